//! Link arguments of the `ipabs` binary: zstd's context constructor and destructor go to
//! src/zstd_contexts.rs, which keeps freed contexts for reuse (docs/performance.md, session
//! 17). GNU ld, gold, lld and mold support `--wrap`; only Linux builds ask for it, as only
//! they compile that module (src/main.rs).
//!
//! The build identifier `IPABS_BUILD` (`ipabs --version`, docs/output.md): the git commit the
//! code was built from, its date, and `modified` when the code (src/, Cargo.toml, Cargo.lock,
//! build.rs, untracked files there included) differs from that commit; `unknown commit`
//! outside a git checkout.
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bin=ipabs=-Wl,--wrap=ZSTD_createCCtx,--wrap=ZSTD_freeCCtx");
    }
    println!("cargo::rustc-env=IPABS_BUILD={}", build_id());
}

/// `git` with `args` in this package's directory, its trimmed output when it succeeds. Optional
/// locks are off, so that the build never writes the repository's index.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn build_id() -> String {
    const CODE: [&str; 4] = ["src", "Cargo.toml", "Cargo.lock", "build.rs"];
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown commit".to_string();
    };
    // Run again when the checkout moves to another commit or the code changes.
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let dir = Path::new(&dir);
        let mut watch = vec![dir.join("HEAD"), dir.join("packed-refs")];
        if let Some(head) = git(&["rev-parse", "--symbolic-full-name", "HEAD"]) {
            watch.push(dir.join(head));
        }
        for path in watch.iter().filter(|p| p.exists()) {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
    for path in CODE {
        println!("cargo::rerun-if-changed={path}");
    }
    let date = git(&["log", "-1", "--format=%cs", "HEAD"]).unwrap_or_default();
    // New files under the code's paths count (review 29c item 8): the build compiles them.
    let mut status = vec!["status", "--porcelain", "--untracked-files=normal", "--"];
    status.extend(CODE);
    let modified = git(&status).is_none_or(|s| !s.is_empty());
    format!(
        "commit {commit} of {date}{}",
        if modified { ", modified" } else { "" }
    )
}

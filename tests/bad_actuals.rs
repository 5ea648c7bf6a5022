//! The bad-actuals corpus: every `NNN-short-name.toml` in `tests/bad_actuals/` is an actuals
//! file (docs/auditing.md) with one mistake, for the deal `tests/bad_deals/valid/base.toml`
//! (or the `deal` its `.expected` names, relative to `tests/bad_deals`). `ipabs reconcile DEAL
//! --actuals FILE --out DIR` must reject it: exit code 2, an error block starting with
//! `error: FILE:LINE:COLUMN: KEY: ` that holds the `message` fragment and the `expected`
//! fragment, nothing on stdout, no panic, and nothing written. The `.expected` format is that
//! of `tests/bad_deals.rs`, with one more optional key: `errors = N`, the number of errors
//! the file must give (a mistake told once, not again at a later period). `valid/base.toml` must be accepted (exit 0 or 4: its figures may
//! differ from the waterfall).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reconcile(deal: &str, actuals: &str, out: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(["reconcile", deal, "--actuals", actuals, "--out"])
        .arg(out)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the ipabs binary runs")
}

fn case(stem: &str) -> Vec<String> {
    let exp_path = root().join(format!("tests/bad_actuals/{stem}.expected"));
    let src = std::fs::read_to_string(&exp_path).expect("an .expected file");
    let t: toml::Table = src.parse().expect("the .expected is TOML");
    let get = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let deal = get("deal").map_or("tests/bad_deals/valid/base.toml".to_string(), |d| {
        format!("tests/bad_deals/{d}")
    });
    let (at, key, message) = (
        get("at").expect("at"),
        get("key").expect("key"),
        get("message").expect("message"),
    );
    let file = format!("tests/bad_actuals/{stem}.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("out");
    let o = reconcile(&deal, &file, &out_dir);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut problems = Vec::new();
    if o.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", o.status.code()));
    }
    if stderr.contains("panicked") {
        problems.push("panicked".into());
    }
    if !o.stdout.is_empty() {
        problems.push(format!("stdout: {}", String::from_utf8_lossy(&o.stdout)));
    }
    let head = format!("error: {file}:{at}: {key}: ");
    let mut blocks: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if line.starts_with("error: ") || blocks.is_empty() {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    match blocks.iter().find(|b| b.starts_with(&head)) {
        None => problems.push(format!("no error starting with `{head}`")),
        Some(b) => {
            if !b.contains(&message) {
                problems.push(format!("the error lacks {message:?}"));
            }
            if let Some(x) = get("expected")
                && !b
                    .lines()
                    .any(|l| l.starts_with("  expected: ") && l.contains(x.as_str()))
            {
                problems.push(format!("the error lacks `expected: …{x}…`"));
            }
        }
    }
    // `errors = N`: exactly N errors (one mistake that must not be told again later).
    if let Some(n) = t.get("errors").and_then(toml::Value::as_integer) {
        let told = blocks.iter().filter(|b| b.starts_with("error: ")).count();
        if told as i64 != n {
            problems.push(format!("{told} errors, expected {n}"));
        }
    }
    if out_dir.exists() && std::fs::read_dir(&out_dir).map_or(0, |d| d.count()) > 0 {
        problems.push("files were written".into());
    }
    problems
        .into_iter()
        .map(|p| format!("{stem}: {p}\n{stderr}"))
        .collect()
}

#[test]
fn every_bad_actuals_file_is_rejected_where_the_mistake_is() {
    let dir = root().join("tests/bad_actuals");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("the corpus exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    stems.sort();
    assert!(stems.len() >= 29, "{stems:?}");
    let failures: Vec<String> = stems.iter().flat_map(|s| case(s)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_base_actuals_file_is_valid() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = reconcile(
        "tests/bad_deals/valid/base.toml",
        "tests/bad_actuals/valid/base.toml",
        &tmp.path().join("out"),
    );
    assert!(
        matches!(o.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

//! An interrupted run (Ctrl-C, i.e. SIGINT) leaves the previous result files intact: results
//! are written to a temporary directory and renamed into place only when all are complete.

#![cfg(unix)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A valid deal with `n` obligors, each owing one receivable: slow enough to interrupt.
fn big_deal(n: usize) -> String {
    let mut s = String::from(
        "[deal]\nname = \"big\"\ncutoff_date = 2024-01-01\nclosing_date = 2024-01-01\n\
         first_payment_date = 2024-04-01\nfrequency = \"quarterly\"\nlegal_maturity = 2025-04-01\n\
         calendar = \"weekends\"\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "[[obligors]]\nname = \"O{i}\"\n[[obligors.assets]]\nkind = \"receivable\"\n\
             amount = 1000\ndue_date = 2024-{:02}-15\n",
            1 + i % 12
        ));
    }
    let total = 1000 * n;
    s.push_str(&format!(
        "[[tranches]]\nname = \"A\"\nclass = \"senior\"\nbalance = {}\ncoupon = 0.03\n\n\
         [waterfalls]\nnormal = [\n  {{ action = \"pay_interest\", tranches = [\"A\"] }},\n  \
         {{ action = \"pay_principal\", tranches = [\"A\"] }},\n]\n",
        total * 9 / 10
    ));
    s
}

/// What [`big_run_sent_sigint`] leaves: each result file's bytes before and after, and how the
/// run ended.
struct Interrupted {
    before: Vec<(String, Vec<u8>)>,
    after: Vec<(String, Option<Vec<u8>>)>,
    status: std::process::ExitStatus,
}

/// Writes a small run's files, then starts a big run into the same directory with SIGINT's
/// disposition set to `sigint`, and from 400 ms on sends it SIGINT every 200 ms until it ends.
fn big_run_sent_sigint(sigint: libc::sighandler_t) -> Interrupted {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let first = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .current_dir(root())
        .args(["run", "tests/fixtures/hand_worked.toml", "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0));
    let read_all = || -> Vec<(String, Option<Vec<u8>>)> {
        ipabs::output::RUN_FILES
            .iter()
            .map(|f| (f.to_string(), std::fs::read(out.join(f)).ok()))
            .collect()
    };
    let before = read_all()
        .into_iter()
        .map(|(f, b)| (f, b.expect("written")))
        .collect();

    let deal = dir.path().join("big.toml");
    std::fs::write(&deal, big_deal(60_000)).expect("write");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ipabs"));
    command
        .args(["run", "--force", "--quiet", "--out"])
        .arg(&out)
        .arg(&deal);
    // The child's SIGINT is set explicitly: a shell starts a script's background jobs with it
    // ignored, and a test run from one would pass that on.
    // SAFETY: `signal` is async-signal-safe, and the closure touches no other state.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            libc::signal(libc::SIGINT, sigint);
            Ok(())
        });
    }
    let mut child = command.spawn().expect("starts");
    std::thread::sleep(Duration::from_millis(400));
    let still_running = child.try_wait().expect("waits").is_none();
    assert!(
        still_running,
        "the big run finished before it could be interrupted"
    );
    // SIGINT every 200 ms until the run ends: some signals reach it after it has installed
    // its handler (after loading), whatever the machine's speed.
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "did not end after SIGINT"
        );
        // A signal to a process that has just exited fails; the next try_wait sees the exit.
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        std::thread::sleep(Duration::from_millis(200));
    };
    Interrupted {
        before,
        after: read_all(),
        status,
    }
}

#[test]
fn sigint_during_a_run_keeps_the_previous_files() {
    let r = big_run_sent_sigint(libc::SIG_DFL);
    // Exit code 130 from the handler, or killed by SIGINT's default action when the signal
    // came before the handler (while the deal was still loading).
    let by_signal = std::os::unix::process::ExitStatusExt::signal(&r.status);
    assert!(
        r.status.code() == Some(130) || by_signal == Some(libc::SIGINT),
        "an interrupted run must not report success: {:?}",
        r.status
    );
    for ((f, before), (_, after)) in r.before.iter().zip(&r.after) {
        assert_eq!(
            after.as_ref(),
            Some(before),
            "{f} changed after an interrupted run"
        );
    }
}

/// A run started with SIGINT ignored (a script's background job) keeps it ignored: the signal
/// does not stop it, and it writes its results.
#[test]
fn a_run_started_with_sigint_ignored_finishes() {
    let r = big_run_sent_sigint(libc::SIG_IGN);
    assert_eq!(
        r.status.code(),
        Some(0),
        "the run ignores SIGINT and succeeds"
    );
    // The big deal's results replaced the small run's.
    for ((f, before), (_, after)) in r.before.iter().zip(&r.after) {
        let after = after.as_ref().expect("written");
        assert_ne!(after, before, "{f} was not replaced by the finished run");
    }
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// `ipabs portfolio` writes hundreds of files in partition directories, made while the files
/// are encoded. SIGINT as soon as the first of them shows in a fresh output directory: the
/// run ends with 130 and leaves nothing (the directories it made are removed), or, if the
/// signal met the renames, waits for them and leaves the complete set; never a part.
#[test]
fn sigint_while_a_portfolio_writes_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deals = dir.path().join("deals");
    std::fs::create_dir(&deals).unwrap();
    for d in [
        "nanshan_gaoxintou_5_2022",
        "tianzhi_1_2024",
        "kexue_trademark_2021",
    ] {
        std::fs::copy(
            root().join(format!("deals/{d}.toml")),
            deals.join(format!("{d}.toml")),
        )
        .unwrap();
    }
    let portfolio = |out: &std::path::Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ipabs"));
        c.args(["portfolio", "--stress", "standard", "--quiet", "--out"])
            .arg(out)
            .arg(&deals)
            .stderr(std::process::Stdio::piped());
        // SAFETY: `signal` is async-signal-safe, and the closure touches no other state.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut c, || {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        c
    };
    let full = dir.path().join("full");
    assert!(portfolio(&full).status().expect("runs").success());
    let complete = files_under(&full);
    assert!(complete.len() > 100, "{} files", complete.len());

    let out = dir.path().join("out");
    let mut child = portfolio(&out).spawn().expect("starts");
    let start = Instant::now();
    let shown = loop {
        let result_entry = std::fs::read_dir(&out).ok().and_then(|mut entries| {
            entries.find(|e| {
                e.as_ref().is_ok_and(|e| {
                    !e.file_name()
                        .to_string_lossy()
                        .starts_with(ipabs::output::TEMP_DIR_PREFIX)
                })
            })
        });
        if result_entry.is_some() {
            // SAFETY: a plain kill(2) of our own child.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
            break true;
        }
        if child.try_wait().expect("waits").is_some() || start.elapsed() > Duration::from_secs(120)
        {
            break false;
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let output = child.wait_with_output().expect("ends");
    assert!(shown, "the portfolio ended before any of its files showed");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let left = files_under(&out);
    assert!(
        left.is_empty() && !out.exists() || left == complete,
        "an interrupted portfolio left {} of {} files (or the output directory): {:?}",
        left.len(),
        complete.len(),
        left.iter().take(5).collect::<Vec<_>>()
    );
}

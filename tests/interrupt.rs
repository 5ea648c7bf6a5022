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

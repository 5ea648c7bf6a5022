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

#[test]
fn sigint_during_a_run_keeps_the_previous_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let first = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .current_dir(root())
        .args(["run", "tests/fixtures/hand_worked.toml", "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0));
    let before: Vec<(String, Vec<u8>)> = ipabs::output::RUN_FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read(out.join(f)).expect("written")))
        .collect();

    let deal = dir.path().join("big.toml");
    std::fs::write(&deal, big_deal(60_000)).expect("write");
    let mut command = Command::new(env!("CARGO_BIN_EXE_ipabs"));
    command
        .args(["run", "--force", "--quiet", "--out"])
        .arg(&out)
        .arg(&deal);
    // A shell starts a background job of a script with SIGINT ignored, and a child inherits
    // that: under such a harness the signal below would fall on a run that ignores it until
    // it installs its handler (after loading), and the run would finish. The child gets
    // SIGINT's default action back, as a terminal's Ctrl-C finds it.
    // SAFETY: `signal` is async-signal-safe, and the closure touches no other state.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
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
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waits") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !status.success(),
        "an interrupted run must not report success"
    );
    for (f, bytes) in before {
        assert_eq!(
            std::fs::read(out.join(&f)).expect("still there"),
            bytes,
            "{f} changed after an interrupted run"
        );
    }
}

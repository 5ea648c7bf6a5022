//! Once a command has ended (`guard::hold_off_signals`, called by `ipabs`'s `main` before it
//! exits), SIGTERM changes nothing: the signal thread does not clean up, and the process ends
//! with the command's own code. Its own test binary: it signals this process itself.

use std::process::Command;
use std::time::Duration;

use ipabs::output::guard::{self, OutputLock};

#[test]
fn a_signal_after_the_command_has_ended_removes_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("out");
    guard::on_signals().expect("the signal thread starts");
    // The lock creates `out` and registers it: a clean-up would remove it (it is empty) and
    // end this process with code 143, which fails the test binary.
    let lock = OutputLock::acquire(&out).expect("locks");
    guard::hold_off_signals();
    let kill = Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(out.is_dir(), "the clean-up ran after hold_off_signals");
    drop(lock);
}

//! Output safety: one run at a time in an output directory, and no temporary files left
//! behind by an interrupted run (docs/output.md, "Output safety").
//!
//! * [`OutputLock`] holds an advisory lock (`flock`) on the output directory itself while a
//!   run computes and writes its results. A second run on the same directory is refused at
//!   once with a clear message (exit code 1) instead of both writing and both reporting
//!   success. The lock is on the directory, so no lock file is left in it, and the kernel
//!   releases it when the process ends, however it ends.
//! * Temporary directories (`.ipabs-tmp-<pid>-<n>`, [`super::TEMP_DIR_PREFIX`]) and the files
//!   that stage a single-file result beside its place are registered while they exist, and so
//!   are the output directories (and their subdirectories) a run creates. Files and output
//!   directories are created under locks (`create_file`, `create_dir_all`, `create_dir`) that
//!   the signal thread holds from its clean-up until the process exits, so that nothing new
//!   appears while it cleans up or after. [`on_signals`] starts a thread that, on SIGINT or
//!   SIGTERM, waits until files being moved into place are all in place or all taken back
//!   (`moving`), removes every registered temporary directory and staged file and every
//!   registered output directory left empty, and exits with 130 or 143.
//! * A run killed with SIGKILL cannot clean up: the next run that takes the lock removes every
//!   `.ipabs-tmp-<pid>-*` directory it finds whose process is gone (a shard writes there under
//!   its own lock, so a live one may be a shard's).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};

use crate::error::Error;

/// Temporary directories and staged files that exist now, and output directories this process
/// created.
struct Registry {
    temp: Vec<PathBuf>,
    staged: Vec<PathBuf>,
    created: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temp: Vec::new(),
    staged: Vec::new(),
    created: Vec::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates `path` as a directory (not its parents) and registers it as temporary, under the
/// registry's lock, so that a signal cannot come between the two.
pub(super) fn create_temp(path: &Path) -> std::io::Result<()> {
    let mut r = registry();
    fs::create_dir(path)?;
    r.temp.push(path.to_path_buf());
    Ok(())
}

/// Shared by every creation of a file or an output directory ([`create_file`],
/// [`create_dir_all`]); the signal thread takes it exclusively before its clean-up and holds
/// it until the process exits. So creations do not wait for each other (the encoding thread's
/// files and `create_dirs`' directories go on at once), a clean-up waits for those under way,
/// and nothing is created after it has begun.
static CREATING: RwLock<()> = RwLock::new(());

/// Creates the file `path` in a temporary directory, unless a signal's clean-up has begun
/// ([`CREATING`]; then it waits until the process exits): no file can appear in a temporary
/// directory between the clean-up's listing of it and its removal (which would then fail and
/// leave the directory, and the output directory holding it, behind).
pub(super) fn create_file(path: &Path) -> std::io::Result<File> {
    let _c = CREATING.read().unwrap_or_else(|e| e.into_inner());
    File::create(path)
}

/// Creates the new file `path` that stages a result beside its final place (a single-file
/// result: the sized deal file, an Excel workbook), as [`create_file`], and registers it: a
/// signal before [`forget_staged`] removes it.
pub(super) fn create_staged(path: &Path) -> std::io::Result<File> {
    let _c = CREATING.read().unwrap_or_else(|e| e.into_inner());
    let mut r = registry();
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    r.staged.push(path.to_path_buf());
    Ok(file)
}

/// Forgets a file of [`create_staged`]: it was renamed into place, or removed.
pub(super) fn forget_staged(path: &Path) {
    registry().staged.retain(|p| p != path);
}

/// `fs::create_dir_all(dir)`, as [`create_file`]: the output directory a signal's clean-up
/// removed is not made again by a write that was still on its way.
pub(super) fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    let _c = CREATING.read().unwrap_or_else(|e| e.into_inner());
    fs::create_dir_all(dir)
}

/// Creates `path` as a directory (not its parents) of a result, and registers it, under the
/// registry's lock, so that a signal before its files are moved in removes it again (only
/// while it is empty).
pub(super) fn create_dir(path: &Path) -> std::io::Result<()> {
    let mut r = registry();
    fs::create_dir(path)?;
    r.created.push(path.to_path_buf());
    Ok(())
}

/// Forgets directories registered by [`create_dir`]: they hold their files, or were removed.
pub(super) fn forget_dirs(dirs: &[PathBuf]) {
    if dirs.is_empty() {
        return;
    }
    let gone: std::collections::HashSet<&PathBuf> = dirs.iter().collect();
    registry().created.retain(|d| !gone.contains(d));
}

/// Removes a temporary directory and forgets it.
pub(super) fn remove_temp(path: &Path) {
    let mut r = registry();
    let _ = fs::remove_dir_all(path);
    r.temp.retain(|p| p != path);
}

/// Held while a write moves its files into place ([`moving`]), and true once one has: the
/// signal thread takes it before it cleans up, so that a signal waits for the renames (and
/// their fsyncs) to end and never leaves a mix of old and new files.
static MOVING: Mutex<bool> = Mutex::new(false);

/// The lock the moves of one write hold; set it to `true` when the files are in place.
pub(super) fn moving() -> MutexGuard<'static, bool> {
    MOVING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every registered temporary directory and staged file, and every created output
/// directory that is then empty; returns the registry's lock so that nothing new is registered
/// before the process exits.
fn clean_up() -> MutexGuard<'static, Registry> {
    let r = registry();
    remove_registered(&r);
    r
}

/// The removals of [`clean_up`]: temporary directories and staged files, then created output
/// directories that are empty.
fn remove_registered(r: &Registry) {
    for t in &r.temp {
        let _ = fs::remove_dir_all(t);
    }
    for f in &r.staged {
        let _ = fs::remove_file(f);
    }
    remove_empty_dirs(&r.created);
}

/// Removes the directories `dirs` (made in this order: parents first), innermost first, each
/// only if it is empty.
pub(super) fn remove_empty_dirs(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        // Only succeeds when the directory is empty.
        let _ = fs::remove_dir(d);
    }
}

/// For the end of a command, before the process exits with its code: a signal handled from
/// now on does not clean up (its clean-up waits for `CREATING`, which this takes and keeps),
/// and one whose clean-up has begun ends the process with 130 or 143 while this waits. So a
/// command that fails because a clean-up removed its temporary directory does not end the
/// process with its own error and code, and the results of one that finished are left alone.
pub fn hold_off_signals() {
    std::mem::forget(CREATING.read().unwrap_or_else(|e| e.into_inner()));
}

/// Set by [`leave_signals_alone`].
static SIGNALS_LEFT_ALONE: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// For a program that embeds ipabs (the Python package): [`on_signals`] then does nothing, and
/// SIGINT/SIGTERM stay the host's (Python's KeyboardInterrupt), never an exit of the process.
pub fn leave_signals_alone() {
    SIGNALS_LEFT_ALONE.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether SIGINT was ignored when the process started. A shell starts a script's background
/// jobs so, that a Ctrl-C meant for the foreground leaves them running; ipabs then keeps it
/// ignored, as Python and most Unix programs do.
#[cfg(unix)]
fn sigint_ignored() -> bool {
    // SAFETY: with a null new action, `sigaction` only writes the current one into `old`, a
    // zeroed plain C struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(not(unix))]
fn sigint_ignored() -> bool {
    false
}

/// Starts the thread that cleans up and exits on SIGINT (exit code 130) or SIGTERM (143), once
/// per process. Without it the default action kills the process and leaves its temporary
/// files. A SIGINT ignored when the process started stays ignored (`sigint_ignored`).
pub fn on_signals() -> Result<(), Error> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::atomic::{AtomicBool, Ordering};
    // Once per process: a `rate` shard installs it before it simulates, and again with the
    // lock it takes to write.
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if SIGNALS_LEFT_ALONE.load(Ordering::SeqCst) || INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let caught: &[i32] = if sigint_ignored() {
        &[SIGTERM]
    } else {
        &[SIGINT, SIGTERM]
    };
    let mut signals = signal_hook::iterator::Signals::new(caught)
        .map_err(|e| Error::Internal(format!("cannot install the signal handler: {e}")))?;
    std::thread::Builder::new()
        .name("ipabs-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let moved = moving();
                let _no_more = CREATING.write().unwrap_or_else(|e| e.into_inner());
                let _hold = clean_up();
                let message: &[u8] = if *moved {
                    b"error: interrupted; temporary files removed; the result files written \
                      before the signal are complete, no other result file was changed\n"
                } else {
                    b"error: interrupted; temporary files removed, no result file was changed\n"
                };
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message);
                std::process::exit(128 + sig);
            }
        })
        .map_err(|e| Error::Internal(format!("cannot start the signal thread: {e}")))?;
    Ok(())
}

/// An advisory lock on an output directory, held until dropped. Dropping it removes the
/// directory again when this lock created it and nothing was written into it, and so the
/// missing parents it made (`--out a/b/c` with `a` missing: review 45c item 4).
#[derive(Debug)]
pub struct OutputLock {
    /// The directories this lock made, parents first.
    created: Vec<PathBuf>,
    _handle: Option<File>,
}

impl OutputLock {
    /// Creates `dir` if missing, locks it, and removes temporary directories left in it by a
    /// killed run. Refuses (exit code 1) when another run holds the lock.
    pub fn acquire(dir: &Path) -> Result<OutputLock, Error> {
        let fail = |message: String| Error::Write {
            path: dir.to_path_buf(),
            message,
        };
        // Made and registered under one lock: a signal between the two would leave it. Each
        // missing directory from the first that exists down to `dir`, parents first.
        let created = {
            let mut r = registry();
            let mut missing: Vec<PathBuf> = dir
                .ancestors()
                .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
                .map(Path::to_path_buf)
                .collect();
            missing.reverse();
            fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
            r.created.extend(missing.iter().cloned());
            missing
        };
        let mut lock = OutputLock {
            created,
            _handle: None,
        };
        lock._handle = lock_dir(dir).map_err(fail)?;
        remove_stale_temp(dir);
        Ok(lock)
    }
}

#[cfg(unix)]
fn lock_dir(dir: &Path) -> Result<Option<File>, String> {
    let handle = File::open(dir).map_err(|e| format!("cannot open it to lock it: {e}"))?;
    match handle.try_lock() {
        Ok(()) => Ok(Some(handle)),
        Err(fs::TryLockError::WouldBlock) => Err(
            "another ipabs run is writing results into this directory now (it is locked); wait \
             for that run to finish, or choose another --out"
                .to_string(),
        ),
        Err(fs::TryLockError::Error(e)) => Err(format!("cannot lock it: {e}")),
    }
}

/// Directories cannot be opened for locking on Windows: no lock there.
#[cfg(not(unix))]
fn lock_dir(_dir: &Path) -> Result<Option<File>, String> {
    Ok(None)
}

/// Removes `.ipabs-tmp-<pid>-<n>` directories in `dir` left by a killed run: those whose
/// process is gone. A live one is a shard's, which writes into `--out` under its own lock, not
/// the directory's (review 45c item 3: a full `rate` into a scale-out's directory removed a
/// writing shard's directory, and the shard failed with its whole simulation lost).
fn remove_stale_temp(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(super::TEMP_DIR_PREFIX))
            && e.file_type().is_ok_and(|t| t.is_dir())
            && !owner_alive(rest)
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Whether the process named by a temporary directory's `<pid>-<n>` runs: on Linux, by
/// `/proc/<pid>`; elsewhere, and for a name without a pid, taken as gone (the lock holder's
/// earlier rule). A pid the system reused keeps a stale directory until a later run.
fn owner_alive(pid_n: &str) -> bool {
    let Some(pid) = pid_n.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let proc = Path::new("/proc");
    proc.join("self").exists() && proc.join(pid.to_string()).exists()
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if !self.created.is_empty() {
            let mut r = registry();
            // Innermost first, each only when nothing was written into it.
            remove_empty_dirs(&self.created);
            r.created.retain(|d| !self.created.contains(d));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// What the signal thread relies on: while it holds `CREATING` (from its clean-up until
    /// the process exits), a write still on its way can create neither an output directory nor
    /// a file in a temporary directory. Without that, a write made the output directory again
    /// after the clean-up had removed it (seen in CI: `tests/checks.rs`,
    /// `sigterm_removes_the_temporary_files`), or a file appeared in a temporary directory
    /// between the clean-up's listing and its removal.
    #[test]
    fn nothing_is_created_while_a_clean_up_holds_the_lock() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("out");
        let file = root.path().join("f.parquet");
        let held = CREATING.write().unwrap();
        let (d, f) = (dir.clone(), file.clone());
        let writers = [
            std::thread::spawn(move || create_dir_all(&d).expect("creates the directory")),
            std::thread::spawn(move || drop(create_file(&f).expect("creates the file"))),
        ];
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !dir.exists(),
            "a directory created while a clean-up holds the lock"
        );
        assert!(
            !file.exists(),
            "a file created while a clean-up holds the lock"
        );
        drop(held);
        for w in writers {
            w.join().expect("the writer ends");
        }
        assert!(dir.is_dir() && file.is_file());
    }

    /// A lock on `a/b/c` with `a` missing makes all three, and its drop removes all three
    /// again, innermost first, when nothing was written (review 45c item 4: `a` and `a/b` were
    /// left behind); a directory holding a file stays, and so do its parents.
    #[test]
    fn a_lock_removes_the_parents_it_made() {
        let root = tempfile::tempdir().expect("tempdir");
        let deep = root.path().join("a").join("b").join("c");
        drop(OutputLock::acquire(&deep).expect("locks"));
        assert!(!root.path().join("a").exists());
        let lock = OutputLock::acquire(&deep).expect("locks");
        fs::write(root.path().join("a").join("b").join("x"), b"x").unwrap();
        drop(lock);
        assert!(!deep.exists(), "empty: removed");
        assert!(root.path().join("a").join("b").join("x").is_file());
    }

    /// The lock holder removes the temporary directories of processes that are gone, and keeps
    /// a live process's (a shard writing into the directory under its own lock: review 45c
    /// item 3). This process is alive; pid 4194303, above Linux's default `pid_max`, is not.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_live_processs_temporary_directory_is_kept() {
        let root = tempfile::tempdir().expect("tempdir");
        let live = root
            .path()
            .join(format!(".ipabs-tmp-{}-7", std::process::id()));
        let gone = root.path().join(".ipabs-tmp-4194303-0");
        fs::create_dir(&live).unwrap();
        fs::create_dir(&gone).unwrap();
        remove_stale_temp(root.path());
        assert!(live.is_dir());
        assert!(!gone.exists());
    }

    /// A staged file is registered from its creation until it is forgotten, and a clean-up
    /// removes it with the temporary directories, and then the output directories it left
    /// empty (on a registry of its own, not the process's, which other tests use).
    #[test]
    fn a_clean_up_removes_staged_files() {
        let root = tempfile::tempdir().expect("tempdir");
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        let staged = out.join(".deal.ipabs-tmp-1");
        drop(create_staged(&staged).expect("created"));
        assert!(registry().staged.contains(&staged));
        assert!(
            create_staged(&staged).is_err(),
            "an existing file is not staged over"
        );
        forget_staged(&staged);
        assert!(!registry().staged.contains(&staged));
        let temp = out.join(".ipabs-tmp-1-0");
        fs::create_dir(&temp).unwrap();
        fs::write(temp.join("0.staged"), b"x").unwrap();
        let kept = root.path().join("kept");
        fs::create_dir(&kept).unwrap();
        fs::write(kept.join("a.parquet"), b"x").unwrap();
        let r = Registry {
            temp: vec![temp],
            staged: vec![staged],
            created: vec![out.clone(), kept.clone()],
        };
        remove_registered(&r);
        assert!(!out.exists(), "emptied by the removals, then removed");
        assert!(
            kept.join("a.parquet").is_file(),
            "a directory with a result stays"
        );
    }
}

//! Making written files and directory entries durable (fsync), several at a time.
//!
//! An fsync waits on the disk, not the CPU. Concurrent fsyncs on one filesystem share its
//! journal commits (ext4's jbd2 commits once for every fsync waiting on it), so a few threads
//! syncing at once take a fraction of the time one thread syncing in turn takes: for 1,585
//! small files on the bench machine's ext4, 0.28–0.30 s in turn, 0.11–0.12 s on 8 threads
//! (docs/performance.md, session 20). Each call returns only when everything it was given is
//! synced, so the all-or-nothing order of [`super::write_tables`] is unchanged.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use super::write_error;
use crate::error::Error;

/// Threads that fsync at once, at most. Beyond 8 the bench machine's gain was within its noise
/// (0.09–0.10 s on 16 and 32 threads for the 1,585 files above).
pub const SYNCERS_MAX: usize = 8;

/// Files written and not yet fsynced, at most: beyond this the writer waits for the syncers, so
/// that a table of thousands of files (`ipabs portfolio`'s hive layout) never holds more open.
const UNSYNCED_MAX: usize = 16;

/// Runs `write(send)` on this thread, with up to `threads` (at least one) other threads
/// fsyncing each `(position, path, file)` it sends while it writes the next. Returns the
/// write's error if it failed; else the sync error of the earliest position, if any; else
/// `Ok`. Every file sent is synced (or its failure reported) before this returns. If no thread
/// can be started, each file is synced as it is sent.
pub fn write_and_sync(
    threads: usize,
    write: impl FnOnce(&mut dyn FnMut(usize, PathBuf, fs::File)) -> Result<(), Error>,
) -> Result<(), Error> {
    let (to_sync, files) = mpsc::sync_channel::<(usize, PathBuf, fs::File)>(UNSYNCED_MAX);
    let files = Mutex::new(files);
    let receive = || sync_received(&files);
    let (written, failed) = std::thread::scope(|scope| {
        let syncers = start(scope, threads.max(1), &receive);
        let mut failed: Failure = None;
        let written = if syncers.is_empty() {
            drop(to_sync);
            write(&mut |i, path, file| sync_file(&mut failed, i, &path, file))
        } else {
            // A send fails only when every syncer has stopped, which they do only when the
            // channel closes: each reports its failures and goes on with the next file.
            let written = write(&mut |i, path, file| {
                let _ = to_sync.send((i, path, file));
            });
            drop(to_sync);
            written
        };
        join_into(syncers, &mut failed);
        (written, failed)
    });
    written?;
    into_result(failed)
}

/// Syncs files from the shared channel until it closes; the failure of the earliest position.
fn sync_received(files: &Mutex<mpsc::Receiver<(usize, PathBuf, fs::File)>>) -> Failure {
    let mut failed = None;
    loop {
        // The lock is held while waiting for the next file only: the fsync runs without it,
        // so that another thread takes the file after.
        let next = match files.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((i, path, file)) = next else {
            return failed;
        };
        sync_file(&mut failed, i, &path, file);
    }
}

/// Fsyncs the `i`-th written file, keeping its failure in `failed` if it is the earliest.
fn sync_file(failed: &mut Failure, i: usize, path: &Path, file: fs::File) {
    if let Err(e) = file.sync_all() {
        keep_earliest(failed, (i, write_error(path, &e)));
    }
}

/// Fsyncs each directory of `dirs`, so that the names created in it are durable, on up to
/// [`SYNCERS_MAX`] threads; the error of the earliest directory that failed. Directories cannot
/// be opened for syncing on Windows; there this is a no-op.
pub fn sync_dirs(dirs: &[&Path]) -> Result<(), Error> {
    let threads = dirs.len().min(SYNCERS_MAX);
    if threads <= 1 {
        return dirs.iter().try_for_each(|d| sync_dir(d));
    }
    let next = AtomicUsize::new(0);
    let each = || {
        let mut failed = None;
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(d) = dirs.get(i) else {
                return failed;
            };
            if let Err(e) = sync_dir(d) {
                keep_earliest(&mut failed, (i, e));
            }
        }
    };
    let failed = std::thread::scope(|scope| {
        // This thread syncs too; a helper that cannot be started leaves its share to the others.
        let helpers = start(scope, threads - 1, &each);
        let mut failed = each();
        join_into(helpers, &mut failed);
        failed
    });
    into_result(failed)
}

/// The failure of the earliest position a syncing thread met, if any.
type Failure = Option<(usize, Error)>;

/// Starts up to `n` threads named `ipabs-fsync` running `work`; fewer if the system refuses
/// one.
fn start<'scope, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    n: usize,
    work: &'scope F,
) -> Vec<std::thread::ScopedJoinHandle<'scope, Failure>>
where
    F: Fn() -> Failure + Sync,
{
    (0..n)
        .map_while(|_| {
            std::thread::Builder::new()
                .name("ipabs-fsync".to_string())
                .spawn_scoped(scope, work)
                .ok()
        })
        .collect()
}

/// Waits for `threads`, keeping the earliest failure in `failed`.
fn join_into(threads: Vec<std::thread::ScopedJoinHandle<'_, Failure>>, failed: &mut Failure) {
    for t in threads {
        let result = t.join().unwrap_or_else(|_| {
            Some((
                0,
                Error::Internal(
                    "a thread that fsyncs written files or directories panicked".to_string(),
                ),
            ))
        });
        if let Some(f) = result {
            keep_earliest(failed, f);
        }
    }
}

/// Fsyncs a directory, so that the names created in it are durable. Directories cannot be
/// opened for syncing on Windows; there this is a no-op.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| write_error(dir, &e))?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

/// `Err` with the kept failure's error, if any.
fn into_result(failed: Failure) -> Result<(), Error> {
    failed.map_or(Ok(()), |(_, e)| Err(e))
}

/// Keeps in `slot` the failure of the smaller position: the error reported does not depend on
/// which thread met its failure first.
fn keep_earliest(slot: &mut Failure, f: (usize, Error)) {
    if slot.as_ref().is_none_or(|(i, _)| f.0 < *i) {
        *slot = Some(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ipabs-sync-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn every_file_sent_is_taken_and_the_call_returns_after_them() {
        for threads in [0, 1, 3, SYNCERS_MAX] {
            let d = scratch(&format!("files{threads}"));
            // More files than the channel holds, so that the writer waits for the syncers.
            let n = UNSYNCED_MAX * 3 + 1;
            write_and_sync(threads, |synced| {
                for i in 0..n {
                    let path = d.join(i.to_string());
                    let mut f = fs::File::create(&path).unwrap();
                    write!(f, "{i}").unwrap();
                    synced(i, path, f);
                }
                Ok(())
            })
            .unwrap();
            for i in 0..n {
                assert_eq!(
                    fs::read_to_string(d.join(i.to_string())).unwrap(),
                    i.to_string()
                );
            }
            fs::remove_dir_all(&d).unwrap();
        }
    }

    #[test]
    fn a_write_error_is_returned_rather_than_the_files_synced_before_it() {
        let d = scratch("write-error");
        let err = write_and_sync(4, |synced| {
            for i in 0..5 {
                let path = d.join(i.to_string());
                synced(i, path.clone(), fs::File::create(&path).unwrap());
            }
            Err(Error::Write {
                path: d.join("5"),
                message: "disk full".into(),
            })
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::Write { ref path, .. } if path.ends_with("5")),
            "{err}"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_error_of_the_earliest_directory_is_reported_whichever_thread_meets_it() {
        let d = scratch("dirs");
        let mut owned: Vec<PathBuf> = (0..40).map(|i| d.join(format!("d{i}"))).collect();
        for p in &owned {
            fs::create_dir(p).unwrap();
        }
        // Three missing directories, the earliest at position 17.
        for i in [17, 23, 38] {
            owned[i] = d.join(format!("missing{i}"));
        }
        let dirs: Vec<&Path> = owned.iter().map(PathBuf::as_path).collect();
        for _ in 0..20 {
            let err = sync_dirs(&dirs).unwrap_err();
            assert!(
                matches!(&err, Error::Write { path, .. } if path.ends_with("missing17")),
                "{err}"
            );
        }
        // One directory, and none, are synced on this thread.
        assert!(sync_dirs(&dirs[..1]).is_ok());
        assert!(sync_dirs(&[]).is_ok());
        assert!(sync_dirs(&dirs[..17]).is_ok());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_smaller_position_is_kept() {
        let e = |s: &str| Error::Internal(s.to_string());
        let mut slot = None;
        keep_earliest(&mut slot, (5, e("five")));
        keep_earliest(&mut slot, (9, e("nine")));
        keep_earliest(&mut slot, (2, e("two")));
        keep_earliest(&mut slot, (2, e("two again")));
        assert!(matches!(slot, Some((2, Error::Internal(ref m))) if m == "two"));
    }
}

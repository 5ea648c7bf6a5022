//! Output: the run tables as Parquet files, and the terminal summary.
//!
//! [`write_run_tables`] writes the tables of [`RunTable::ALL`] ([`RUN_FILES`]) for one or
//! more priced runs, all or nothing; [`write_tables`] is the one atomic writer, also used for
//! `scenarios.parquet` and `breakeven.parquet`. Every column is documented in docs/output.md.

pub mod breakeven;
pub mod csv;
pub mod guard;
pub mod html;
pub mod journal;
pub mod parquet;
pub mod portfolio;
pub mod rating;
pub mod reconcile;
pub mod scenarios;
pub mod shards;
mod sync;
pub mod table;
pub mod text;
pub mod warnings;
pub mod xlsx;

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::DataFrame;

use crate::analytics::measures::PricedRun;
use crate::engine::result::RunTable;
use crate::error::Error;

/// The names of the files [`write_run_tables`] writes, in the order it writes them: the files
/// of [`RunTable::ALL`].
///
/// `support.parquet` holds the credit-support draw totals (`RunResult::support_draws`).
pub const RUN_FILES: [&str; RunTable::ALL.len()] = {
    let mut files = [""; RunTable::ALL.len()];
    let mut i = 0;
    while i < files.len() {
        files[i] = RunTable::ALL[i].file();
        i += 1;
    }
    files
};

/// Prefix of the temporary directory created inside the output directory.
pub const TEMP_DIR_PREFIX: &str = ".ipabs-tmp-";

/// Writes the tables for one or more runs (stacked; every table has `deal` and `scenario`
/// columns) into `dir`.
///
/// Atomic: every table is first built in memory, then written into a fresh temporary directory
/// inside `dir` (`dir` is created if missing) and fsync'd; only after ALL files were written are
/// they renamed into place. A file that already exists under a final name is replaced; should a
/// rename fail, the files renamed so far are taken back and the replaced ones restored. On any
/// failure the temporary directory is removed and no new or partial file is left in `dir` (and
/// `dir` itself is removed again if this call created it).
/// Returns the final paths, in the order of [`RUN_FILES`].
///
/// The tables that grow with the pool (`pool_flows`, `tranche_flows`, `ledger`) are built and
/// written one Parquet row group at a time ([`parquet::run_table_chunks`]), so a large run holds
/// one row group's columns rather than the whole table's; the files are the same.
pub fn write_run_tables(dir: &Path, runs: &[PricedRun]) -> Result<Vec<PathBuf>, Error> {
    write_tables(dir, run_table_frames(dir, runs))
}

/// The run tables of `runs` as [`write_run_tables`] writes them, each built a row group at a
/// time, for a caller that writes other tables with them, all or nothing.
pub fn run_table_frames<'a>(
    dir: &'a Path,
    runs: &'a [PricedRun],
) -> Vec<(&'static str, Frame<'a>)> {
    RunTable::ALL
        .iter()
        .map(|&t| {
            let chunks =
                parquet::run_table_chunks(t, runs).map(move |f| f.map_err(|e| in_dir(dir, e)));
            (t.file(), Frame::Chunks(Box::new(chunks)))
        })
        .collect()
}

/// A table to write: built, or built one row group at a time while it is written.
pub enum Frame<'a> {
    /// The whole table.
    Ready(DataFrame),
    /// The whole table, built when its turn to be written comes and freed once it is written:
    /// the next table is built in the memory this one leaves rather than in pages the system
    /// maps afresh (docs/performance.md, session 16). An error stops the write.
    Later(Box<dyn FnOnce() -> Result<DataFrame, Error> + 'a>),
    /// The table's frames, in order, each written as one row group (see
    /// [`parquet::write_parquet_chunks`]); an error stops the write.
    Chunks(Box<dyn Iterator<Item = Result<DataFrame, Error>> + 'a>),
    /// A text file written as its bytes (a sized deal beside its tables, so that the command's
    /// results are written together or not at all; review 27b item M6).
    Text(String),
}

impl Frame<'_> {
    /// The whole table: built now if it is built [`Frame::Later`]; a table built a row group
    /// at a time is never needed whole, and is an internal error here.
    pub fn build(self) -> Result<DataFrame, Error> {
        match self {
            Frame::Ready(df) => Ok(df),
            Frame::Later(build) => build(),
            Frame::Chunks(_) | Frame::Text(_) => Err(Error::Internal(
                "a table built a row group at a time, or a text file, was asked for as a table"
                    .to_string(),
            )),
        }
    }
}

impl From<DataFrame> for Frame<'_> {
    fn from(df: DataFrame) -> Self {
        Frame::Ready(df)
    }
}

/// The frames of `tables` for `runs`, each paired with its file name.
pub fn run_frames(
    tables: &[RunTable],
    runs: &[PricedRun],
) -> Result<Vec<(&'static str, DataFrame)>, Error> {
    tables
        .iter()
        .map(|&t| Ok((t.file(), parquet::run_table_frame(t, runs)?)))
        .collect()
}

/// [`write_tables`] of frames still to be checked: a table that could not be built is
/// reported under `dir` and nothing is written.
pub fn write_frames(
    dir: &Path,
    frames: Result<Vec<(&'static str, DataFrame)>, Error>,
) -> Result<Vec<PathBuf>, Error> {
    write_tables(dir, frames.map_err(|e| in_dir(dir, e))?)
}

/// Puts a table-building error's file name under `dir`.
pub fn in_dir(dir: &Path, e: Error) -> Error {
    match e {
        Error::Write { path, message } => Error::Write {
            path: dir.join(path),
            message,
        },
        other => other,
    }
}

/// Writes already built tables `(file name, frame)` into `dir` with the same all-or-nothing
/// guarantee as [`write_run_tables`]. Returns the final paths in the given order. A name ending
/// in `.csv` is written as CSV ([`csv::write_csv`]), any other as Parquet.
///
/// A name may hold `/`-separated subdirectories (the hive-partitioned layout of `ipabs
/// portfolio`, `TABLE/deal=ID/scenario=NAME/part-0.parquet`): they are created as needed, and
/// removed again (when empty) if the write fails.
pub fn write_tables<'a, N: AsRef<str>, F: Into<Frame<'a>>>(
    dir: &Path,
    frames: Vec<(N, F)>,
) -> Result<Vec<PathBuf>, Error> {
    let frames: Vec<(String, Frame<'a>)> = frames
        .into_iter()
        .map(|(n, df)| (n.as_ref().to_string(), df.into()))
        .collect();
    let names: Vec<String> = frames.iter().map(|(n, _)| n.clone()).collect();
    let existed = dir.is_dir();
    guard::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let result = create_temp_dir(dir).and_then(|tmp| {
        // Subdirectories this call created, in creation order.
        let mut created = Vec::new();
        let result = write_and_make_dirs(&tmp, dir, frames, &names, &mut created).and_then(|()| {
            // A signal now waits for every file to be in place, or taken back.
            let mut moving = guard::moving();
            let moved = move_into_place(&tmp, dir, &names);
            *moving |= moved.is_ok();
            moved
        });
        if result.is_err() {
            // The files were taken back: the directories made for them go.
            guard::remove_empty_dirs(&created);
        }
        guard::forget_dirs(&created);
        // The files were moved out (or the write failed): the temporary directory and any
        // backups of replaced files go. Failing to remove it does not fail a successful write.
        guard::remove_temp(&tmp);
        result
    });
    if result.is_err() && !existed {
        // Only succeeds when `dir` is empty, i.e. holds nothing but what this call created.
        let _ = fs::remove_dir(dir);
    }
    result
}

/// Writes the single file `path` (an HTML report, an Excel workbook, a sized deal) whole or
/// not at all: its directory is made if missing, `fill` writes a staged file beside it
/// (`.NAME.ipabs-tmp-PID`, registered with the signal guard), which is fsynced and renamed to
/// `path`, and the directory is fsynced so that the name is durable. On failure `path` keeps
/// what it held and no staged file is left; a signal's clean-up removes a staged file still
/// being written.
pub fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(name) = path.file_name() else {
        return Err(Error::Write {
            path: path.to_path_buf(),
            message: "the path names no file (it ends in `..` or is a root); give a file name"
                .to_string(),
        });
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    guard::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let tmp = path.with_file_name(format!(
        ".{}.ipabs-tmp-{}",
        name.to_string_lossy(),
        process::id()
    ));
    // One left by a killed run of the same process id: replaced, as `File::create` would.
    let _ = fs::remove_file(&tmp);
    let result = guard::create_staged(&tmp)
        .map_err(|e| write_error(path, &e))
        .and_then(|mut f| {
            fill(&mut f)?;
            f.sync_all().map_err(|e| write_error(path, &e))
        })
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| write_error(path, &e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    guard::forget_staged(&tmp);
    result?;
    sync::sync_dir(dir)
}

/// [`write_file`] with `text` as its bytes.
pub fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    write_file(path, |f| {
        io::Write::write_all(f, text.as_bytes()).map_err(|e| write_error(path, &e))
    })
}

fn write_error(path: &Path, e: &io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Creates a new, empty directory `dir/.ipabs-tmp-<pid>-<n>`.
fn create_temp_dir(dir: &Path) -> Result<PathBuf, Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let pid = process::id();
    for _ in 0..1000 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!("{TEMP_DIR_PREFIX}{pid}-{n}"));
        match guard::create_temp(&tmp) {
            Ok(()) => return Ok(tmp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(write_error(&tmp, &e)),
        }
    }
    Err(Error::Write {
        path: dir.to_path_buf(),
        message: "cannot create a temporary directory: 1000 names already taken".to_string(),
    })
}

/// Writes and fsyncs every table into `tmp`, then fsyncs `tmp`.
///
/// Up to [`sync::SYNCERS_MAX`] other threads fsync the written files while this one encodes
/// the next ([`sync::write_and_sync`]): an fsync waits on the disk, not the CPU. Every file is
/// synced before this returns `Ok`. On failure the error is a write's if one failed, else the
/// sync error of the earliest file.
fn write_all(tmp: &Path, frames: Vec<(String, Frame<'_>)>) -> Result<(), Error> {
    let threads = frames.len().min(sync::SYNCERS_MAX);
    sync::write_and_sync(threads, |synced| {
        frames
            .into_iter()
            .enumerate()
            .try_for_each(|(i, (name, frame))| {
                // Written under its position, reported under its final name.
                let (path, shown) = (staged(tmp, i), tmp.join(&name));
                let file = write_one(&path, &name, frame).map_err(|e| match e {
                    Error::Write { path: p, message } if p == path => Error::Write {
                        path: shown.clone(),
                        message,
                    },
                    other => other,
                })?;
                synced(i, shown, file);
                Ok(())
            })
    })?;
    sync::sync_dir(tmp)
}

/// Writes the table `name` to `path` and returns the file, not yet fsynced: CSV for a name
/// ending in `.csv`, else Parquet.
fn write_one(path: &Path, name: &str, frame: Frame<'_>) -> Result<fs::File, Error> {
    let as_csv = name.ends_with(".csv");
    match frame {
        Frame::Chunks(chunks) if !as_csv => parquet::write_parquet_chunks(path, chunks),
        // Only `write_run_tables` makes chunked frames, and it writes Parquet.
        Frame::Chunks(_) => Err(Error::Internal(format!(
            "{name}: a table built a row group at a time is written as Parquet only"
        ))),
        Frame::Text(text) => {
            let mut f = fs::File::create(path).map_err(|e| write_error(path, &e))?;
            io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| write_error(path, &e))?;
            Ok(f)
        }
        // Ready, or built now (`Frame::Later`).
        whole => {
            let mut df = whole.build()?;
            if as_csv {
                csv::write_csv(path, &df)
            } else {
                parquet::write_parquet(path, &mut df)
            }
        }
    }
}

/// [`write_all`], and meanwhile, on a second thread, the subdirectories of `dir` that `names`
/// go into ([`create_dirs`]; `ipabs portfolio` makes 1,585 of them, docs/performance.md,
/// session 20). `created` receives those made, also when either fails.
fn write_and_make_dirs(
    tmp: &Path,
    dir: &Path,
    frames: Vec<(String, Frame<'_>)>,
    names: &[String],
    created: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    if !names.iter().any(|n| n.contains('/')) {
        return write_all(tmp, frames);
    }
    std::thread::scope(|scope| {
        let making = std::thread::Builder::new()
            .name("ipabs-mkdir".to_string())
            .spawn_scoped(scope, || {
                let mut made = Vec::new();
                let result = create_dirs(dir, names, &mut made);
                (made, result)
            });
        match making {
            Ok(making) => {
                let written = write_all(tmp, frames);
                let made = making.join().map_or_else(
                    |_| {
                        Err(Error::Internal(
                            "the thread that creates the output's directories panicked".to_string(),
                        ))
                    },
                    |(mut made, result)| {
                        created.append(&mut made);
                        result
                    },
                );
                written.and(made)
            }
            // No second thread: one after the other.
            Err(_) => write_all(tmp, frames).and_then(|()| create_dirs(dir, names, created)),
        }
    })
}

/// Creates the directories between `dir` and each file of `names` that are missing, outermost
/// first, pushing those it created onto `created`. A directory is looked at once: a file's
/// chain is walked up only to the first directory already met.
fn create_dirs(dir: &Path, names: &[String], created: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut met: HashSet<PathBuf> = HashSet::new();
    for name in names.iter().filter(|n| n.contains('/')) {
        let target = dir.join(name);
        let mut missing: Vec<&Path> = Vec::new();
        let mut p = target.parent();
        while let Some(d) = p {
            if d == dir || met.contains(d) {
                break;
            }
            missing.push(d);
            p = d.parent();
        }
        for &d in missing.iter().rev() {
            match guard::create_dir(d) {
                Ok(()) => created.push(d.to_path_buf()),
                // There before this run, or made meanwhile by another (the shards of one
                // dataset write at the same time, docs/scale-out.md): not this call's to
                // remove.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
                Err(e) => return Err(write_error(d, &e)),
            }
            met.insert(d.to_path_buf());
        }
    }
    Ok(())
}

/// Renames every file of `names` from `tmp` into `dir` (whose subdirectories exist), all or
/// nothing.
fn move_into_place(tmp: &Path, dir: &Path, names: &[String]) -> Result<Vec<PathBuf>, Error> {
    // (final path, backup of the file it replaced)
    let mut moved: Vec<(PathBuf, Option<PathBuf>)> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        match move_one(&staged(tmp, i), dir, name) {
            Ok(done) => moved.push(done),
            Err(e) => {
                roll_back(&moved);
                return Err(e);
            }
        }
    }
    // `dir` and the directory of each file moved, once each (an error names the first met that
    // failed), synced several at a time. A set, not a scan of the list per file: `ipabs
    // portfolio` writes 1,585 files in as many directories, and the scan was a fifth of the
    // command's instructions.
    let mut seen: HashSet<&Path> = HashSet::with_capacity(moved.len() + 1);
    let dirs: Vec<&Path> = std::iter::once(dir)
        .chain(moved.iter().filter_map(|(target, _)| target.parent()))
        .filter(|d| seen.insert(d))
        .collect();
    if let Err(e) = sync::sync_dirs(&dirs) {
        roll_back(&moved);
        return Err(e);
    }
    Ok(moved.into_iter().map(|(path, _)| path).collect())
}

/// The file of the `i`-th table while it is written: directly in the temporary directory,
/// named by its position, so that no directory is made there for a name with subdirectories
/// (`ipabs portfolio` writes 1,585 files in as many directories; docs/performance.md, session
/// 19) and no name grows past the system's limit.
fn staged(tmp: &Path, i: usize) -> PathBuf {
    tmp.join(format!("{i}.staged"))
}

/// Moves the written file `from` (in the temporary directory) to `dir/name`, first keeping a
/// hard link (or copy) of any file it replaces next to `from`, so that the rename itself
/// replaces it atomically and a rollback can restore it.
fn move_one(from: &Path, dir: &Path, name: &str) -> Result<(PathBuf, Option<PathBuf>), Error> {
    let tmp = from.parent().unwrap_or(dir);
    let target = dir.join(name);
    let backup = match fs::symlink_metadata(&target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_error(&target, &e)),
        Ok(meta) => {
            if !meta.is_file() {
                return Err(Error::Write {
                    path: target,
                    message: "exists and is not a regular file".to_string(),
                });
            }
            let backup = tmp.join(format!("replaced-{}", name.replace('/', "%2F")));
            if fs::hard_link(&target, &backup).is_err() {
                fs::copy(&target, &backup).map_err(|e| Error::Write {
                    path: target.clone(),
                    message: format!("cannot keep a copy of the file it replaces: {e}"),
                })?;
            }
            Some(backup)
        }
    };
    if let Err(e) = fs::rename(from, &target) {
        if let Some(b) = &backup {
            let _ = fs::remove_file(b);
        }
        return Err(write_error(&target, &e));
    }
    Ok((target, backup))
}

/// Best effort: removes the new files and puts back those they replaced.
fn roll_back(moved: &[(PathBuf, Option<PathBuf>)]) {
    for (target, backup) in moved.iter().rev() {
        match backup {
            Some(b) => {
                let _ = fs::rename(b, target);
            }
            None => {
                let _ = fs::remove_file(target);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("listed")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A report or workbook path whose directories do not exist yet: they are made, as
    /// `--out` makes its directory (the HTML report and the sized deal failed with "No such
    /// file or directory" before), and only the file is left in them.
    #[test]
    fn a_single_file_gets_its_directories() {
        let root = tempfile::tempdir().expect("tempdir");
        let path = root.path().join("new/sub/report.html");
        write_text(&path, "<p>x</p>\n").expect("written");
        assert_eq!(fs::read_to_string(&path).expect("read"), "<p>x</p>\n");
        assert_eq!(names(path.parent().expect("dir")), ["report.html"]);
    }

    /// A failure while filling leaves the file as it was and no staged file beside it.
    #[test]
    fn a_failed_single_file_leaves_the_old_one() {
        let root = tempfile::tempdir().expect("tempdir");
        let path = root.path().join("w.xlsx");
        fs::write(&path, "old").expect("old file");
        let e = write_file(&path, |f| {
            io::Write::write_all(f, b"half").expect("written");
            Err(Error::Write {
                path: path.clone(),
                message: "the encoder failed".to_string(),
            })
        })
        .expect_err("fails");
        assert!(e.to_string().contains("the encoder failed"), "{e}");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old");
        assert_eq!(names(root.path()), ["w.xlsx"]);
    }

    /// A path that is a directory, or that names no file, is an error naming the path; nothing
    /// is left behind.
    #[test]
    fn a_path_that_is_not_a_file_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("d");
        fs::create_dir(&dir).expect("dir");
        let e = write_text(&dir, "x").expect_err("a directory");
        assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
        assert_eq!(names(root.path()), ["d"]);
        assert!(names(&dir).is_empty());
        let e = write_text(&root.path().join(".."), "x").expect_err("no file name");
        assert!(e.to_string().contains("names no file"), "{e}");
    }
}

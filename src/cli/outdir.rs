//! What a command writes: the refusals before anything runs (results it would replace,
//! copies in the wrong place), the output directory's lock, the CSV, Excel and HTML copies.

use std::path::{Path, PathBuf};

use super::{CopyArgs, OutArgs};
use crate::error::{Error, Result, Warning};
use crate::output::breakeven::BREAKEVEN_FILE;
use crate::output::guard::{self, OutputLock};
use crate::output::scenarios::SCENARIOS_FILE;
use crate::output::warnings::WARNINGS_FILE;
use crate::output::{self, RUN_FILES};
use crate::scenario::ScenarioSet;
use crate::shard::{self, Shard};
use crate::validate::Loaded;

/// Writes `frames` as CSV into `--csv DIR` (all or none) and as the workbook `--xlsx FILE`,
/// when asked; `command` and `what` go on the workbook's `overview` sheet.
pub(super) fn write_copies<N: AsRef<str>>(
    copy: &CopyArgs,
    command: &str,
    what: &str,
    frames: &[(N, polars::prelude::DataFrame)],
) -> Result<()> {
    if let Some(dir) = &copy.csv {
        let csv: Vec<(String, polars::prelude::DataFrame)> = frames
            .iter()
            .map(|(n, df)| (output::csv::csv_name(n.as_ref()), df.clone()))
            .collect();
        output::write_tables(dir, csv)?;
    }
    if let Some(file) = &copy.xlsx {
        let info = vec![
            ("command".to_string(), format!("ipabs {command}")),
            ("arguments".to_string(), super::command_line()),
            ("input".to_string(), what.to_string()),
            ("ipabs version".to_string(), crate::VERSION.to_string()),
            (
                "money".to_string(),
                "yuan, to the fen; the Parquet files are the exact record".to_string(),
            ),
        ];
        output::xlsx::write_xlsx(file, &info, frames)?;
    }
    Ok(())
}

/// Refuses, before anything runs (exit code 2), a copy that would replace a file it should
/// not (docs/output.md, "Single-file results"): an `--xlsx` or `--html` path that is a
/// directory, one of the result files `names` the command writes into `--out` or `--csv` (even
/// with `--force`), or the other copy's path; and without `--force`, an existing file at either
/// path or an existing `--csv` file of `names`, as `--out`'s results are refused.
pub(super) fn refuse_copies(
    copy: &CopyArgs,
    out: &OutArgs,
    names: &[&str],
    inputs: &[&Path],
) -> Result<()> {
    refuse_copies_with(copy, None, out, names, inputs)
}

/// [`refuse_copies`], with the journal of `run` and `reconcile` (`--journal FILE`) checked as
/// `--xlsx` and `--html` are.
pub(super) fn refuse_copies_with(
    copy: &CopyArgs,
    journal: Option<&Path>,
    out: &OutArgs,
    names: &[&str],
    inputs: &[&Path],
) -> Result<()> {
    let csv_names: Vec<String> = names.iter().map(|n| output::csv::csv_name(n)).collect();
    let mut ours: Vec<PathBuf> = names.iter().map(|n| out.out.join(n)).collect();
    if let Some(dir) = &copy.csv {
        refuse_file_above("--csv", dir)?;
        if dir.is_file() {
            return Err(Error::Usage(format!(
                "--csv {} is a file; --csv takes a directory (created if missing)",
                dir.display()
            )));
        }
        ours.extend(csv_names.iter().map(|n| dir.join(n)));
        let existing: Vec<&str> = csv_names
            .iter()
            .map(String::as_str)
            .filter(|n| dir.join(n).exists())
            .collect();
        if !out.force && !existing.is_empty() {
            return Err(Error::Usage(format!(
                "{} already holds {}; pass --force to replace them, or choose another --csv",
                dir.display(),
                existing.join(", ")
            )));
        }
    }
    // A result is put in place by renaming a new file over its path, which would replace a
    // device or a FIFO with a regular file, even `/dev/null` for the whole machine (review 44c
    // F3): such a path is refused, with or without --force.
    for r in &ours {
        refuse_special(None, r)?;
        // A result named as one of the command's inputs (review 44c F7: `size --out DIR
        // --force` replaced its own `--scenarios DIR/<stem>.sized.toml` with the sized deal).
        if let Some(i) = inputs.iter().find(|i| same_place(r, i)) {
            return Err(Error::Usage(format!(
                "the result {} would replace {}, an input file of this command, even with \
                 --force; choose another --out (or --csv) directory, or move the input",
                r.display(),
                i.display()
            )));
        }
    }
    let files = [
        ("--xlsx", copy.xlsx.as_deref()),
        ("--html", copy.html.as_deref()),
        ("--journal", journal),
    ];
    let files: Vec<(&str, &Path)> = files
        .iter()
        .filter_map(|&(flag, f)| f.map(|f| (flag, f)))
        .collect();
    for &(flag, file) in &files {
        refuse_file_above(flag, file)?;
        if file.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {} is a directory; give the path of a file",
                file.display()
            )));
        }
        refuse_special(Some(flag), file)?;
        // `t/nd/`, `t/nd/.` or `t/..`: a directory by its spelling, made or not (review 44c
        // F11: refused only after the tables were written).
        if let Some(end) = directory_spelling(file) {
            return Err(Error::Usage(format!(
                "{flag} {} ends with `{end}`, a directory; give the path of a file",
                file.display()
            )));
        }
        // One of the command's own inputs (the deal, a scenario or cohort file) is refused even
        // with --force (review 31a item 2: `--xlsx deal.toml --force` replaced the deal).
        if let Some(i) = inputs.iter().find(|i| same_place(file, i)) {
            return Err(Error::Usage(format!(
                "{flag} {} would replace {}, an input file of this command; choose another path",
                file.display(),
                i.display()
            )));
        }
        if let Some(r) = ours.iter().find(|r| same_place(file, r)) {
            return Err(Error::Usage(format!(
                "{flag} {} would replace {}, a result file this command writes; choose another \
                 path",
                file.display(),
                r.display()
            )));
        }
        // The directories the command writes into, made if missing (review 43f F8: a FILE
        // naming one that did not exist yet failed after the tables were written).
        let dirs = std::iter::once(("--out", out.out.as_path()))
            .chain(copy.csv.as_deref().map(|d| ("--csv", d)));
        for (dir_flag, dir) in dirs {
            if same_place(file, dir) {
                return Err(Error::Usage(format!(
                    "{flag} {} is the {dir_flag} directory; give the path of a file",
                    file.display()
                )));
            }
        }
        if !out.force && file.exists() {
            return Err(Error::Usage(format!(
                "{} already exists; pass --force to replace it, or choose another {flag} path",
                file.display()
            )));
        }
    }
    for (i, &(flag_a, a)) in files.iter().enumerate() {
        if let Some(&(flag_b, _)) = files[i + 1..].iter().find(|(_, b)| same_place(a, b)) {
            return Err(Error::Usage(format!(
                "{flag_a} and {flag_b} both name {}; give each its own file",
                a.display()
            )));
        }
    }
    Ok(())
}

/// The ending that makes `file` a directory by its spelling, whether or not it exists: `/`,
/// or a last component `.` or `..` (a path that is `.` or `..` itself too).
fn directory_spelling(file: &Path) -> Option<&'static str> {
    let bytes = file.as_os_str().as_encoded_bytes();
    let last = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    if bytes.ends_with(b"/") {
        Some("/")
    } else if last == b"." {
        Some(".")
    } else if last == b".." {
        Some("..")
    } else {
        None
    }
}

/// Refuses a result path that exists and is neither a regular file nor a directory (through a
/// symbolic link too): a device, a FIFO or a socket, which the rename that puts a result in
/// place would replace with a regular file (review 44c F3: `--xlsx /dev/null --force` run as
/// root replaced the machine's `/dev/null`). `flag` names the option that gave the path.
fn refuse_special(flag: Option<&str>, file: &Path) -> Result<()> {
    let Ok(meta) = std::fs::metadata(file) else {
        return Ok(());
    };
    if meta.is_file() || meta.is_dir() {
        return Ok(());
    }
    let given = flag.map_or_else(String::new, |f| format!("{f} "));
    Err(Error::Usage(format!(
        "{given}{} is not a regular file (a device, a FIFO or a socket): ipabs puts a result in \
         place by renaming a new file over its path, which would replace it, so it is refused \
         even with --force; give the path of a regular file",
        file.display()
    )))
}

/// Whether `a` and `b` name the same file: compared with their directories resolved where they
/// exist (so `out/x` and `./out/../out/x` agree), else as absolute paths with `.` and `..`
/// taken out as written (a directory the command is still to make holds no link).
fn same_place(a: &Path, b: &Path) -> bool {
    fn place(p: &Path) -> PathBuf {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        if let (Ok(d), Some(n)) = (dir.unwrap_or(Path::new(".")).canonicalize(), p.file_name()) {
            return d.join(n);
        }
        let abs = std::env::current_dir().map_or_else(|_| p.to_path_buf(), |c| c.join(p));
        let mut out = PathBuf::new();
        for c in abs.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        out
    }
    place(a) == place(b)
}

/// The deal's and scenario file's warnings: written once, by the first shard (or the whole
/// run), since they belong to no block of the work.
pub(super) fn load_warnings_of(
    shard: Option<Shard>,
    loaded: &Loaded,
    set: &ScenarioSet,
) -> Vec<Warning> {
    if shard.is_some_and(|s| !s.is_first()) {
        return Vec::new();
    }
    loaded
        .warnings
        .iter()
        .chain(&set.warnings)
        .cloned()
        .collect()
}

/// [`lock_output`], or under `--shard` a lock of the shard's own lock directory, so that
/// the shards of one run write into one output directory at the same time.
pub(super) fn lock_output_shard(out: &OutArgs, shard: Option<Shard>) -> Result<OutputLock> {
    match shard {
        None => lock_output(out),
        Some(s) => {
            guard::on_signals()?;
            OutputLock::acquire(&out.out.join(s.lock_dir()))
        }
    }
}

/// `sweep`'s refusal to replace results, for the whole run or one shard.
pub(super) fn refuse_sweep_overwrite(out: &OutArgs, shard: Option<Shard>) -> Result<()> {
    match shard {
        None => refuse_files(out, &result_names()),
        Some(_) => {
            let files: Vec<String> = RUN_FILES
                .iter()
                .copied()
                .chain([SCENARIOS_FILE, WARNINGS_FILE])
                .map(|f| shard::file_name(shard, f))
                .collect();
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            refuse_files(out, &files)
        }
    }
}

pub(super) fn lock_output(out: &OutArgs) -> Result<OutputLock> {
    guard::on_signals()?;
    OutputLock::acquire(&out.out)
}

/// [`lock_output`] for the result files `names` (with `shard`, the shard's own lock), then
/// [`refuse_files`] again under the lock: a run into the same `--out` that finished between
/// the command's first check and its lock left results that, without `--force`, are not
/// replaced (review 45b item 1: a second `rate` replaced a first one's results).
pub(super) fn lock_results(
    out: &OutArgs,
    shard: Option<Shard>,
    names: &[&str],
) -> Result<OutputLock> {
    let lock = lock_output_shard(out, shard)?;
    refuse_files(out, names)?;
    Ok(lock)
}

/// Refuses to replace `breakeven.parquet` unless `--force` is set.
pub(super) fn refuse_breakeven_overwrite(out: &OutArgs, shard: Option<Shard>) -> Result<()> {
    refuse_out_file(&out.out)?;
    let names: Vec<String> = [BREAKEVEN_FILE, WARNINGS_FILE]
        .into_iter()
        .map(|f| shard::file_name(shard, f))
        .collect();
    refuse_directories(out, &names)?;
    refuse_other_splits(out, &names)?;
    let existing: Vec<String> = names
        .into_iter()
        .filter(|f| out.out.join(f).exists())
        .collect();
    if !out.force && !existing.is_empty() {
        return Err(Error::Usage(format!(
            "{} already holds {}; pass --force to replace it, or choose another --out",
            out.out.display(),
            existing.join(", ")
        )));
    }
    Ok(())
}

/// The files `run` and `sweep` write into `--out`: the run tables, `scenarios.parquet` and
/// `warnings.parquet`.
pub(super) fn result_names() -> Vec<&'static str> {
    RUN_FILES
        .iter()
        .copied()
        .chain([SCENARIOS_FILE, WARNINGS_FILE])
        .collect()
}

/// Refuses an `--out` that exists and is not a directory (exit code 2, before anything runs):
/// the results could not be written into it.
fn refuse_out_file(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file; --out takes a directory (created if missing)",
            out.display()
        )));
    }
    refuse_file_above("--out", out)
}

/// Refuses, before anything runs, a path whose directory cannot be made because a file is
/// where one of its directories goes (review 31a item 10: `--xlsx afile/x.xlsx` ran, wrote the
/// Parquet files and failed with "File exists", exit 1).
fn refuse_file_above(flag: &str, path: &Path) -> Result<()> {
    match path.ancestors().skip(1).find(|a| a.is_file()) {
        Some(file) => Err(Error::Usage(format!(
            "{flag} {}: {} is a file, not a directory; choose another path",
            path.display(),
            file.display()
        ))),
        None => Ok(()),
    }
}

/// Refuses to replace `files` in `out` unless `force`.
pub(super) fn refuse_files(out: &OutArgs, files: &[&str]) -> Result<()> {
    refuse_out_file(&out.out)?;
    refuse_directories(out, files)?;
    refuse_other_splits(out, files)?;
    if out.force {
        return Ok(());
    }
    let existing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| out.out.join(f).exists())
        .collect();
    if existing.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{} already holds results ({}); pass --force to replace them, or choose another --out",
            out.out.display(),
            existing.join(", ")
        )))
    }
}

/// A shard's table beside another splitting of it (`TABLE/shards=M` with M other than this
/// shard's N), `--force` or not: a reader of `TABLE/` would take both splittings' rows, every
/// row twice or more (review 34g item M1).
fn refuse_other_splits(out: &OutArgs, files: &[impl AsRef<str>]) -> Result<()> {
    for f in files {
        let Some((table, n)) = shard::split_of(f.as_ref()) else {
            continue;
        };
        let Ok(entries) = std::fs::read_dir(out.out.join(table)) else {
            continue;
        };
        let other = entries.filter_map(|e| e.ok()).find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("shards=")
                .filter(|m| *m != n)
                .map(str::to_string)
        });
        if let Some(m) = other {
            return Err(Error::Usage(format!(
                "{} already holds a {m}-way split of `{table}` ({table}/shards={m}); this \
                 {n}-way split would sit beside it and a reader of `{table}/` would take both: \
                 write it to another --out, or remove {table}/shards={m} first \
                 (docs/scale-out.md)",
                out.out.display()
            )));
        }
    }
    Ok(())
}

/// A directory where a result file goes cannot be replaced, `--force` or not: refused before
/// the command runs (reviews 27c item 10 and 27d item 5: `size` and `breakeven` found it after
/// their whole search and exited 1).
fn refuse_directories(out: &OutArgs, files: &[impl AsRef<str>]) -> Result<()> {
    match files
        .iter()
        .map(AsRef::as_ref)
        .find(|f| out.out.join(f).is_dir())
    {
        Some(f) => Err(Error::Usage(format!(
            "{} is a directory, where the command writes its result file {f}; remove it or \
             choose another --out",
            out.out.join(f).display()
        ))),
        None => Ok(()),
    }
}

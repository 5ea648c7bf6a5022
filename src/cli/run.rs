//! `ipabs run`: one deal, its scenarios, every table to Parquet.

use std::path::{Path, PathBuf};

use clap::Args;

use super::console::{out_line, print_warnings, strict_check};
use super::outdir::{lock_results, refuse_copies_with, refuse_files, result_names, write_copies};
use super::{CopyArgs, OutArgs, exits_with_process, load};
use crate::engine::result::RunTable;
use crate::error::{Result, Warning};
use crate::output::warnings::{WARNINGS_FILE, warnings_frame};
use crate::output::{self, RUN_FILES};
use crate::sweep::{self, SweepOptions};

/// The arguments of `ipabs run`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct RunArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// A scenario file ([[scenarios]], [grid], [pricing]); without it the deal's own
    /// [scenario] (or the base case) runs.
    #[arg(long, visible_alias = "scenarios")]
    pub scenario: Option<PathBuf>,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Also write the ledger as a plain-text double-entry journal (hledger's format), the
    /// trust's balances asserted after each payment date (docs/output.md, "Journal").
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `ipabs run`.
pub(super) fn command(args: RunArgs, strict: bool) -> Result<()> {
    let RunArgs {
        deal,
        scenario,
        copy,
        journal,
        out,
    } = args;
    refuse_files(&out, &result_names())?;
    let inputs: Vec<&Path> = std::iter::once(deal.as_path())
        .chain(scenario.as_deref())
        .collect();
    refuse_copies_with(&copy, journal.as_deref(), &out, &result_names(), &inputs)?;
    let (loaded, set) = load(&deal, scenario.as_deref())?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
    // The check for earlier results is repeated under the lock (docs/output.md).
    let _lock = lock_results(&out, None, &result_names())?;
    let opts = SweepOptions {
        flows: true,
        threads: None,
    };
    let runs = sweep::sweep(&loaded.deal, &set.scenarios, &set.pricing, opts, &())?;
    for r in &runs {
        print_warnings(&r.warnings);
    }
    strict_check(strict, runs.iter().map(|r| r.warnings.len()).sum())?;
    // The warnings, found afterwards as a sweep's are (since session 31, review 31b item 2: a
    // notebook's `run()` had no trace of them): the files' first, then each scenario's.
    let load: Vec<Warning> = loaded
        .warnings
        .iter()
        .chain(&set.warnings)
        .cloned()
        .collect();
    let run_w: Vec<(&str, &[Warning])> = runs
        .iter()
        .map(|r| (r.scenario.as_str(), r.warnings.as_slice()))
        .collect();
    let mut frames = output::run_table_frames(&out.out, &runs);
    let (name, dir) = (&loaded.deal.name, &out.out);
    let warnings = || warnings_frame(name, &load, &run_w).map_err(|e| output::in_dir(dir, e));
    frames.push((WARNINGS_FILE, output::Frame::Later(Box::new(warnings))));
    output::write_tables(&out.out, frames)?;
    if copy.csv.is_some() || copy.xlsx.is_some() {
        let mut frames = output::run_frames(&RunTable::ALL, &runs)?;
        frames.push((WARNINGS_FILE, warnings_frame(name, &load, &run_w)?));
        write_copies(&copy, "run", &loaded.deal.name, &frames)?;
    }
    if let Some(file) = &copy.html {
        use crate::output::html;
        let sections: Vec<String> = runs
            .iter()
            .map(|r| html::run_charts(&loaded.deal, r))
            .collect();
        let table: Vec<String> = runs.iter().map(output::table::summary_table).collect();
        html::write_html(file, &loaded.deal.name, &table.join("\n"), &sections)?;
    }
    if let Some(file) = &journal {
        output::write_text(
            file,
            &output::journal::journal_text(&loaded.deal.name, &runs),
        )?;
    }
    for r in &runs {
        if !out.quiet {
            out_line(&output::table::summary_table(r));
            if let Some(line) = output::table::pass_through_coverage_line(&loaded.deal, &r.run) {
                out_line(&line);
            }
        }
    }
    if !out.quiet {
        out_line(&format!(
            "wrote {} files to {}{}",
            RUN_FILES.len() + 1,
            out.out.display(),
            copy.written_with(journal.as_deref())
        ));
    }
    exits_with_process((runs, loaded, set));
    Ok(())
}

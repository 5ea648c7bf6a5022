//! `ipabs reconcile`: a deal in life against its trustee report, to the fen.

use std::path::{Path, PathBuf};

use clap::Args;

use super::console::{err_line, out_line, print_warnings, strict_check};
use super::outdir::{lock_results, refuse_copies_with, refuse_files, write_copies};
use super::{CopyArgs, OutArgs, load};
use crate::engine::result::RunTable;
use crate::error::{Error, Result, Warning};
use crate::output::warnings::{WARNINGS_FILE, warnings_frame};
use crate::output::{self, RUN_FILES};
use crate::validate;

/// The arguments of `ipabs reconcile`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct ReconcileArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// The actuals file (TOML, docs/auditing.md).
    #[arg(long)]
    pub actuals: PathBuf,
    /// A scenario file whose one scenario projects the rest of the deal; without it the
    /// deal's own [scenario].
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Also write the ledger, the restatements included, as a plain-text double-entry journal
    /// (hledger's format), the trust's balances asserted after each payment date
    /// (docs/output.md, "Journal").
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `ipabs reconcile`.
pub(super) fn command(args: ReconcileArgs, strict: bool) -> Result<()> {
    let ReconcileArgs {
        deal,
        actuals,
        scenario,
        copy,
        journal,
        out,
    } = args;
    reconcile_command(
        &deal,
        &actuals,
        scenario.as_deref(),
        (&copy, journal.as_deref(), &out),
        strict,
    )
}

/// `ipabs reconcile`.
fn reconcile_command(
    deal: &Path,
    actuals: &Path,
    scenario: Option<&Path>,
    (copy, journal, out): (&CopyArgs, Option<&Path>, &OutArgs),
    strict: bool,
) -> Result<()> {
    use crate::output::reconcile::{
        IN_LIFE_FILE, RECONCILIATION_FILE, art39_text, differences_text, in_life_frame,
        reconciliation_frame,
    };
    let files: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .chain([RECONCILIATION_FILE, IN_LIFE_FILE, WARNINGS_FILE])
        .collect();
    refuse_files(out, &files)?;
    // Copies for Excel and CSV users (since session 32, review 32b item 3), as `run` writes.
    let inputs: Vec<&Path> = [deal, actuals].into_iter().chain(scenario).collect();
    refuse_copies_with(copy, journal, out, &files, &inputs)?;
    let (loaded, set) = load(deal, scenario)?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    let scenario = super::one_scenario(
        "reconcile projects the rest of the deal under one scenario",
        scenario,
        &set,
    )?;
    let d = &loaded.deal;
    let actuals_path = actuals;
    let actuals = validate::load_actuals(actuals, d)?;
    print_warnings(&actuals.warnings);
    strict_check(
        strict,
        loaded.warnings.len() + set.warnings.len() + actuals.warnings.len(),
    )?;
    // The check for earlier results is repeated under the lock (docs/output.md).
    let _lock = lock_results(out, None, &files)?;
    let rec = crate::analytics::reconcile::reconcile(d, scenario, &actuals)?;
    print_warnings(&rec.run.warnings);
    strict_check(strict, rec.run.warnings.len())?;
    let lines = rec.lines.clone();
    let in_life = rec.in_life.clone();
    let diffs = differences_text(&rec);
    let differing = rec.differences().count();
    // The warnings, kept as `run` keeps them (since session 32, review 32b item 2: a report
    // that does not add up was told on the terminal only): the files' first, the report's
    // among them, then the run's.
    let load: Vec<Warning> = loaded
        .warnings
        .iter()
        .chain(&set.warnings)
        .chain(&actuals.warnings)
        .cloned()
        .collect();
    let run_warnings = rec.run.warnings.clone();
    let priced = crate::analytics::measures::price_run(d, rec.run, &set.pricing);
    let runs = [priced];
    let frames = output::run_frames(&RunTable::ALL, &runs).and_then(|mut f| {
        f.push((
            RECONCILIATION_FILE,
            reconciliation_frame(&d.name, &scenario.name, &lines, d.notices.decimals)?,
        ));
        f.push((
            IN_LIFE_FILE,
            in_life_frame(&d.name, &scenario.name, &in_life)?,
        ));
        let run_w = [(scenario.name.as_str(), run_warnings.as_slice())];
        f.push((WARNINGS_FILE, warnings_frame(&d.name, &load, &run_w)?));
        Ok(f)
    });
    let frames = frames.map_err(|e| output::in_dir(&out.out, e))?;
    output::write_tables(&out.out, frames.clone())?;
    let reconciled = format!(
        "reconciled {} line(s) of {} payment date(s) of {} under scenario `{}`: {differing} differ",
        lines.len(),
        actuals.len(),
        actuals_path.display(),
        scenario.name
    );
    // The workbook's overview says what was compared (review 33b item L4).
    write_copies(
        copy,
        "reconcile",
        &format!("{}; {reconciled}", d.name),
        &frames,
    )?;
    let summary = output::table::summary_table(&runs[0]);
    let art39: Vec<String> = in_life.iter().filter_map(art39_text).collect();
    if let Some(file) = &copy.html {
        use crate::output::html;
        // The page an auditor files: what the terminal says, the CSRC Art. 39 flags and the
        // warnings included (review 33b item M3: it held the summary and the differences only).
        let mut page = vec![summary.clone()];
        page.extend(art39.iter().cloned());
        page.push(reconciled.clone());
        page.push(diffs.trim_end().to_string());
        let warned: Vec<String> = load
            .iter()
            .chain(&run_warnings)
            .map(|w| w.to_string())
            .collect();
        page.extend(warned);
        let text = page.join("\n");
        html::write_html(file, &d.name, &text, &[html::run_charts(d, &runs[0])])?;
    }
    if let Some(file) = journal {
        output::write_text(file, &output::journal::journal_text(&d.name, &runs))?;
    }
    if !out.quiet {
        out_line(&summary);
        for line in &art39 {
            out_line(line);
        }
        out_line(&format!(
            "{reconciled}; wrote {} files to {}{}",
            files.len(),
            out.out.display(),
            copy.written_with(journal)
        ));
    }
    if differing > 0 {
        // The listing is the error's: with `--quiet` (nothing but errors and warnings) it goes
        // to stderr with it (review 39b item 4: the error said "listed above" on stderr, the
        // lines were on stdout).
        if out.quiet {
            err_line(diffs.trim_end());
        } else {
            out_line(diffs.trim_end());
        }
        return Err(Error::Differences(format!(
            "{differing} reported line(s) differ from the waterfall (listed above; every line \
             is in {})",
            out.out.join(RECONCILIATION_FILE).display()
        )));
    }
    Ok(())
}

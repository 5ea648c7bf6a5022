//! `ipabs portfolio`: many deals under the same scenarios and stress suites.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::threads_arg;
use super::args::{no_copies_with_shard, stress_suite};
use super::console::{out_line, print_warning_lines, print_warnings, strict_check};
use super::outdir::{lock_output_shard, refuse_copies, refuse_files, write_copies};
use super::{CopyArgs, OutArgs};
use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Error, Result, Warning};
use crate::output::warnings::{WARNINGS_FILE, warnings_table};
use crate::output::{self, RUN_FILES};
use crate::shard::{self, Shard};

/// The arguments of `ipabs portfolio`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct PortfolioArgs {
    /// Deal files, directories of deal files, or cohort files ([cohort] deals = [...]).
    #[arg(required = true)]
    pub deals: Vec<PathBuf>,
    /// Scenario file applied to every deal (one that names obligors fits only the deal that
    /// has them); without it each deal's own [scenario].
    #[arg(long, visible_alias = "scenario")]
    pub scenarios: Option<PathBuf>,
    /// Add a built-in stress suite, built on each deal's [scenario]: standard,
    /// concentration or all.
    #[arg(long)]
    pub stress: Option<StressSuite>,
    /// What --stress is built on: `deal` (each deal's [scenario], the default) or
    /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
    #[arg(long)]
    pub stress_on: Option<StressBase>,
    /// Worker threads, 1 to 256 (default: one per core); the output does not depend on it.
    #[arg(long, value_parser = threads_arg, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// Run only block I of N of the deals (deals.parquet goes to
    /// deals/shards=N/shard=I/part-0.parquet; docs/scale-out.md).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `ipabs portfolio`.
pub(super) fn command(args: PortfolioArgs, strict: bool) -> Result<()> {
    let PortfolioArgs {
        deals,
        scenarios,
        stress,
        stress_on,
        threads,
        shard,
        copy,
        out,
    } = args;
    no_copies_with_shard(shard, &copy)?;
    portfolio_command(
        &deals,
        scenarios.as_deref(),
        stress_suite(stress, stress_on)?,
        Split { threads, shard },
        &copy,
        &out,
        strict,
    )
}

/// How a command's work is split: threads on this machine, and the shard of the whole it runs.
#[derive(Debug, Clone, Copy)]
struct Split {
    threads: Option<usize>,
    shard: Option<Shard>,
}

/// Refuses to replace, without `--force`, a run table partition that `deals` (this command's,
/// or this shard's) would write: another run's results in the same `--out`, such as an
/// unsharded run's under a shard, or another splitting's (review 30a item 1: they were
/// replaced, leaving `deals.parquet` out of step with the tables).
fn refuse_partitions(out: &OutArgs, deals: &[crate::portfolio::PortfolioDeal]) -> Result<()> {
    use crate::output::portfolio::partition_path;
    if out.force {
        return Ok(());
    }
    let existing: Vec<String> = deals
        .iter()
        .flat_map(|d| {
            d.set.scenarios.iter().flat_map(move |s| {
                crate::engine::result::RunTable::ALL
                    .into_iter()
                    .map(move |t| partition_path(t, &d.id, &s.name))
            })
        })
        .filter(|p| out.out.join(p).exists())
        .collect();
    match existing.first() {
        None => Ok(()),
        Some(first) => Err(Error::Usage(format!(
            "{} already holds run tables of these deals ({first}{}), written by an earlier run \
             (another --shard splitting, or a run without --shard); pass --force to replace \
             them, or choose another --out",
            out.out.display(),
            match existing.len() - 1 {
                0 => String::new(),
                n => format!(" and {n} more"),
            }
        ))),
    }
}

/// `ipabs portfolio`.
fn portfolio_command(
    args: &[PathBuf],
    scenarios: Option<&Path>,
    stress: Option<(StressSuite, StressBase)>,
    split: Split,
    copy: &CopyArgs,
    out: &OutArgs,
    strict: bool,
) -> Result<()> {
    use crate::output::portfolio::{DEALS_FILE, comparison_table, deals_frame, hive_frames};
    use crate::portfolio as pf;
    let Split { threads, shard } = split;
    let deals_file = shard::file_name(shard, DEALS_FILE);
    let warnings_file = shard::file_name(shard, WARNINGS_FILE);
    refuse_files(out, &[deals_file.as_str(), warnings_file.as_str()])?;
    let mut names = vec![DEALS_FILE, WARNINGS_FILE];
    names.extend(RUN_FILES);
    let named = super::deal_files::deal_paths(args)?;
    let scenarios = scenarios.or(named.cohort_scenarios.as_deref());
    let inputs: Vec<&Path> = args
        .iter()
        .chain(&named.deals)
        .map(PathBuf::as_path)
        .chain(scenarios)
        .collect();
    refuse_copies(copy, out, &names, &inputs)?;
    // Every deal is loaded (and checked) by every shard; each runs its own block.
    let mut deals = super::deal_files::load_deals(&named.deals, scenarios, stress)?;
    // Every partition directory can be made, and is its own on any file system: checked
    // before anything runs.
    let case = |what: &str, (a, b): (&str, &str)| {
        Error::Usage(format!(
            "{what} `{a}` and `{b}` differ only in case: their partition directories are one on \
             a case-insensitive file system (macOS and Windows by default), where one would \
             overwrite the other's files; rename one"
        ))
    };
    let ids: Vec<&str> = deals.iter().map(|d| d.id.as_str()).collect();
    if let Some(pair) = crate::output::portfolio::case_collision(&ids) {
        return Err(case("the deal ids (file stems)", pair));
    }
    for d in &deals {
        for s in &d.set.scenarios {
            if let Some(problem) = crate::output::portfolio::partition_key_problem(&d.id, &s.name) {
                return Err(Error::Usage(problem));
            }
        }
        let names: Vec<&str> = d.set.scenarios.iter().map(|s| s.name.as_str()).collect();
        if let Some(pair) = crate::output::portfolio::case_collision(&names) {
            return Err(case(&format!("deal `{}`'s scenarios", d.id), pair));
        }
    }
    if let Some(s) = shard {
        let r = s.range(deals.len() as u64);
        deals.truncate(r.end as usize);
        deals.drain(..r.start as usize);
    }
    let mut load_warnings = 0;
    for d in &deals {
        print_warnings(&d.loaded.warnings);
        // A scenario file serves every deal: its warnings say which deal they are about
        // (review 30e item 9: an `unwatched_event` warning named only the file).
        let named: Vec<Warning> = d
            .set
            .warnings
            .iter()
            .map(|w| {
                let mut w = w.clone();
                w.message = format!("{} (deal `{}`)", w.message, d.id);
                w
            })
            .collect();
        print_warnings(&named);
        load_warnings += d.loaded.warnings.len() + d.set.warnings.len();
    }
    strict_check(strict, load_warnings)?;
    refuse_partitions(out, &deals)?;
    let _lock = lock_output_shard(out, shard)?;
    refuse_files(out, &[deals_file.as_str(), warnings_file.as_str()])?;
    refuse_partitions(out, &deals)?;
    let bar = super::console::Bar::new(!out.quiet, "runs and searches");
    let result = pf::run_portfolio(&deals, threads, &bar)?;
    let run_warnings = pf::run_warnings(&deals, &result);
    let counted: Vec<(&str, &[Warning])> = run_warnings
        .iter()
        .map(|(name, w)| (name.as_str(), w.as_slice()))
        .collect();
    let file = out.out.join(&warnings_file);
    print_warning_lines(
        &counted,
        (!strict).then_some(file.as_path()),
        ("deal/scenario", "runs"),
    );
    strict_check(strict, run_warnings.iter().map(|(_, w)| w.len()).sum())?;
    // Every warning of the shard's deals: each deal's load warnings, then its runs'.
    // (deal id, deal name, warning); the table is led by `deal_id`.
    let warned = || {
        deals.iter().zip(&result.runs).flat_map(|(d, runs)| {
            let (id, name) = (d.id.as_str(), d.loaded.deal.name.as_str());
            let load = d.loaded.warnings.iter().chain(&d.set.warnings);
            load.chain(runs.iter().flat_map(|r| &r.warnings))
                .map(move |w| (id, name, w))
        })
    };
    let warnings_frame = || -> Result<polars::prelude::DataFrame> {
        let rows: Vec<(&str, &str, &Warning)> = warned().collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let table = warnings_table(rows.iter().map(|r| (r.1, r.2)).collect())?;
        crate::output::portfolio::with_deal_id(table, &ids)
    };
    let frames = deals_frame(&result.rows)
        .and_then(|d| {
            let mut f = vec![(deals_file.clone(), d)];
            f.push((warnings_file.clone(), warnings_frame()?));
            f.extend(hive_frames(&pf::runs_by_id(&deals, &result))?);
            Ok(f)
        })
        .map_err(|e| output::in_dir(&out.out, e))?;
    let n = output::write_tables(&out.out, frames)?.len();
    if copy.csv.is_some() || copy.xlsx.is_some() {
        // deals, and each run table stacked over every deal and scenario, led by deal_id.
        let mut frames = vec![
            (DEALS_FILE.to_string(), deals_frame(&result.rows)?),
            (WARNINGS_FILE.to_string(), warnings_frame()?),
        ];
        frames.extend(crate::output::portfolio::stacked_frames(&pf::runs_by_id(
            &deals, &result,
        ))?);
        let ids: Vec<&str> = deals.iter().map(|d| d.id.as_str()).collect();
        write_copies(copy, "portfolio", &ids.join(", "), &frames)?;
    }
    if let Some(file) = &copy.html {
        use crate::output::html;
        let mut sections = vec![html::portfolio_section(&result.rows)];
        for (d, runs) in deals.iter().zip(&result.runs) {
            if let Some(r) = runs.first() {
                sections.push(html::run_charts(&d.loaded.deal, r));
            }
        }
        html::write_html(
            file,
            "ipabs portfolio",
            &comparison_table(&result.rows),
            &sections,
        )?;
    }
    if !out.quiet {
        out_line(&comparison_table(&result.rows));
        let runs: usize = result.runs.iter().map(Vec::len).sum();
        out_line(&format!(
            "{} deals, {runs} runs; wrote {n} files to {}{}",
            deals.len(),
            out.out.display(),
            copy.written()
        ));
    }
    Ok(())
}

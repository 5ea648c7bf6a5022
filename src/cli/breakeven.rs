//! `ipabs breakeven`: each rated tranche's break-even default rate under every scenario.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::threads_arg;
use super::args::{no_concentration_breakeven, no_copies_with_shard, stress_suite};
use super::console::{out_line, print_warning_counts, strict_check};
use super::outdir::{
    load_warnings_of, lock_output_shard, refuse_breakeven_overwrite, refuse_copies, write_copies,
};
use super::{CopyArgs, OutArgs, load_for_search};
use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Result, Warning};
use crate::output;
use crate::output::breakeven::{BREAKEVEN_FILE, breakeven_frame, breakeven_table};
use crate::output::warnings::{WARNINGS_FILE, warnings_frame};
use crate::shard::{self, Shard};
use crate::sweep::{self, SweepOptions};

/// The arguments of `ipabs breakeven`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct BreakevenArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// Scenario file: [[scenarios]], [grid], [rating].
    #[arg(long, visible_alias = "scenario")]
    pub scenarios: Option<PathBuf>,
    /// Add the built-in standard stress suite built on the deal's [scenario]
    /// (docs/scenarios.md). `concentration` and `all` are refused: the search replaces
    /// their named defaults with its own default rate.
    #[arg(long)]
    pub stress: Option<StressSuite>,
    /// What --stress is built on: `deal` (the deal's [scenario], the default) or
    /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
    #[arg(long)]
    pub stress_on: Option<StressBase>,
    /// Worker threads, 1 to 256 (default: one per core).
    #[arg(long, value_parser = threads_arg, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// Run only block I of N of the scenarios and write TABLE/shards=N/shard=I/part-0.parquet
    /// (docs/scale-out.md).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `ipabs breakeven`.
pub(super) fn command(args: BreakevenArgs, strict: bool) -> Result<()> {
    let BreakevenArgs {
        deal,
        scenarios,
        stress,
        stress_on,
        threads,
        shard,
        copy,
        out,
    } = args;
    no_copies_with_shard(shard, &copy)?;
    no_concentration_breakeven("breakeven", stress)?;
    let stress = stress_suite(stress, stress_on)?;
    refuse_breakeven_overwrite(&out, shard)?;
    let inputs: Vec<&Path> = std::iter::once(deal.as_path())
        .chain(scenarios.as_deref())
        .collect();
    refuse_copies(&copy, &out, &[BREAKEVEN_FILE, WARNINGS_FILE], &inputs)?;
    let (_, loaded, set) = load_for_search(
        &deal,
        scenarios.as_deref(),
        stress,
        (strict, false, out.quiet),
    )?;
    let d = &loaded.deal;
    let _lock = lock_output_shard(&out, shard)?;
    refuse_breakeven_overwrite(&out, shard)?;
    let opts = SweepOptions {
        flows: false,
        threads,
    };
    let block = shard.map_or(&set.scenarios[..], |s| s.slice(&set.scenarios));
    let bar = super::console::Bar::new(!out.quiet, "searches");
    let rows = sweep::breakeven_sweep(d, block, &set.rating, opts, &bar)?;
    let warnings = sweep::run_warnings(d, block, threads)?;
    let run_warnings: Vec<(&str, &[Warning])> = block
        .iter()
        .map(|s| s.name.as_str())
        .zip(warnings.iter().map(Vec::as_slice))
        .collect();
    let file = out.out.join(shard::file_name(shard, WARNINGS_FILE));
    print_warning_counts(&run_warnings, (!strict).then_some(file.as_path()));
    strict_check(strict, run_warnings.iter().map(|(_, w)| w.len()).sum())?;
    let mut load_warnings = load_warnings_of(shard, &loaded, &set);
    // The searches' own warnings go with the file's, in the first shard's table only.
    if shard.is_none_or(|s| s.is_first()) {
        load_warnings.extend(set.search_warnings.iter().cloned());
    }
    let frames = breakeven_frame(&rows).and_then(|b| {
        Ok(vec![
            (shard::file_name(shard, BREAKEVEN_FILE), b),
            (
                shard::file_name(shard, WARNINGS_FILE),
                warnings_frame(&d.name, &load_warnings, &run_warnings)?,
            ),
        ])
    });
    let frames = frames.map_err(|e| output::in_dir(&out.out, e))?;
    output::write_tables(&out.out, frames.clone())?;
    write_copies(&copy, "breakeven", &d.name, &frames)?;
    if let Some(file) = &copy.html {
        use crate::output::html;
        let mut sections = Vec::new();
        if let Some(s) = set.scenarios.first() {
            sections.push(html::run_charts(d, &crate::engine::run(d, s)?));
        }
        sections.push(html::breakeven_chart(&rows));
        html::write_html(file, &d.name, &breakeven_table(&rows), &sections)?;
    }
    if !out.quiet {
        out_line(&breakeven_table(&rows));
        out_line(&format!(
            "{} break-even rows for {}; wrote {} and {}{}",
            rows.len(),
            d.name,
            out.out
                .join(shard::file_name(shard, BREAKEVEN_FILE))
                .display(),
            file.display(),
            copy.written()
        ));
    }
    Ok(())
}

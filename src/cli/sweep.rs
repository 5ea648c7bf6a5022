//! `ipabs sweep`: many scenarios of one deal in parallel.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::threads_arg;
use super::args::{no_copies_with_shard, stress_suite};
use super::console::{out_line, print_warning_counts, print_warnings, strict_check};
use super::outdir::{
    load_warnings_of, lock_output_shard, refuse_copies, refuse_sweep_overwrite, result_names,
    write_copies,
};
use super::{CopyArgs, OutArgs, exits_with_process, load};
use crate::analytics::stress::{StressBase, StressSuite};
use crate::engine::result::{Kept, RunTable};
use crate::error::{Result, Warning};
use crate::output;
use crate::output::scenarios::{SCENARIOS_FILE, scenarios_frame};
use crate::output::warnings::{WARNINGS_FILE, warnings_frame};
use crate::shard::{self, Shard};
use crate::sweep::{self, SweepOptions};

/// The arguments of `ipabs sweep`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct SweepArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// Scenario file: [[scenarios]], [grid], [rating], [pricing].
    #[arg(long, visible_alias = "scenario")]
    pub scenarios: Option<PathBuf>,
    /// Add a built-in stress suite built on the deal's [scenario]: standard,
    /// concentration or all (docs/scenarios.md).
    #[arg(long)]
    pub stress: Option<StressSuite>,
    /// What --stress is built on: `deal` (the deal's [scenario], the default) or
    /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
    #[arg(long)]
    pub stress_on: Option<StressBase>,
    /// Keep every table of every run (pool flows, ledger, periods, all tranches); without
    /// it only summary.parquet, the senior tranches' tranche_flows, scenarios.parquet and
    /// warnings.parquet.
    #[arg(long)]
    pub flows: bool,
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

/// `ipabs sweep`.
pub(super) fn command(args: SweepArgs, strict: bool) -> Result<()> {
    let SweepArgs {
        deal,
        scenarios,
        stress,
        stress_on,
        flows,
        threads,
        shard,
        copy,
        out,
    } = args;
    no_copies_with_shard(shard, &copy)?;
    let stress = stress_suite(stress, stress_on)?;
    refuse_sweep_overwrite(&out, shard)?;
    let inputs: Vec<&Path> = std::iter::once(deal.as_path())
        .chain(scenarios.as_deref())
        .collect();
    refuse_copies(&copy, &out, &result_names(), &inputs)?;
    let (loaded, mut set) = load(&deal, scenarios.as_deref())?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
    let d = &loaded.deal;
    if let Some((suite, base)) = stress {
        for note in suite.add_to(d, &mut set.scenarios, base)? {
            if !out.quiet {
                super::console::err_line(&note);
            }
        }
    }
    let _lock = lock_output_shard(&out, shard)?;
    refuse_sweep_overwrite(&out, shard)?;
    let opts = SweepOptions { flows, threads };
    let block = shard.map_or(&set.scenarios[..], |s| s.slice(&set.scenarios));
    let bar = super::console::Bar::new(!out.quiet, "scenarios");
    let runs = sweep::sweep(d, block, &set.pricing, opts, &bar)?;
    let run_warnings: Vec<(&str, &[Warning])> = runs
        .iter()
        .map(|r| (r.scenario.as_str(), r.warnings.as_slice()))
        .collect();
    let file = out.out.join(shard::file_name(shard, WARNINGS_FILE));
    print_warning_counts(&run_warnings, (!strict).then_some(file.as_path()));
    strict_check(strict, run_warnings.iter().map(|(_, w)| w.len()).sum())?;
    let load_warnings = load_warnings_of(shard, &loaded, &set);
    let tables: Vec<RunTable> = RunTable::ALL
        .into_iter()
        .filter(|t| flows || t.without_flows() != Kept::Nothing)
        .collect();
    // Each table is built when its turn to be written comes ([`output::Frame::Later`]).
    let (all, dir) = (&runs, &out.out);
    let (load, run_w) = (&load_warnings, &run_warnings);
    let frames = || {
        let in_dir = move |e| output::in_dir(dir, e);
        let mut frames: Vec<(String, output::Frame<'_>)> = tables
            .iter()
            .map(|&t| {
                let build = move || output::parquet::run_table_frame(t, all).map_err(in_dir);
                let name = shard::file_name(shard, t.file());
                (name, output::Frame::Later(Box::new(build)))
            })
            .collect();
        let scenarios = move || scenarios_frame(d, block).map_err(in_dir);
        let warnings = move || warnings_frame(&d.name, load, run_w).map_err(in_dir);
        frames.push((
            shard::file_name(shard, SCENARIOS_FILE),
            output::Frame::Later(Box::new(scenarios)),
        ));
        frames.push((
            shard::file_name(shard, WARNINGS_FILE),
            output::Frame::Later(Box::new(warnings)),
        ));
        frames
    };
    let n = output::write_tables(&out.out, frames())?.len();
    if copy.csv.is_some() || copy.xlsx.is_some() {
        let built = frames()
            .into_iter()
            .map(|(name, frame)| Ok((name, frame.build()?)))
            .collect::<Result<Vec<_>>>()?;
        write_copies(&copy, "sweep", &d.name, &built)?;
    }
    if let Some(file) = &copy.html {
        use crate::output::html;
        let sections: Vec<String> = runs
            .iter()
            .take(1)
            .map(|r| html::run_charts(d, r))
            .collect();
        html::write_html(file, &d.name, &output::table::sweep_table(&runs), &sections)?;
    }
    if !out.quiet {
        out_line(&output::table::sweep_table(&runs));
        out_line(&format!(
            "{} scenarios of {}; wrote {n} files to {}{}",
            runs.len(),
            d.name,
            out.out.display(),
            copy.written()
        ));
    }
    exits_with_process((runs, loaded, set));
    Ok(())
}

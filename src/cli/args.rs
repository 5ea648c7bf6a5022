//! The command line's arguments (clap): the commands, their shared option groups, and the
//! checks of values and combinations clap cannot express.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::{breakeven, check, notice, portfolio, rate, reconcile, run, size};
use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Error, Result};
use crate::shard::Shard;
use crate::sweep;

/// Cash-flow modeler for Chinese IP securitizations (知识产权证券化).
#[derive(Debug, Parser)]
#[command(name = "ipabs", version = crate::VERSION, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Treat every warning as an error: print it, write nothing, exit with code 2 (for scripts
    /// and CI).
    #[arg(long, global = true)]
    pub strict: bool,
}

/// The Monte Carlo options of `rate` and `size`.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[rating_model]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct McArgs {
    /// Scenario file: the stress scenarios of the BDR, and [rating_model].
    #[arg(long, visible_alias = "scenario")]
    pub scenarios: Option<PathBuf>,
    /// Monte Carlo paths, 1 to 10^9.
    #[arg(
        long,
        default_value_t = crate::analytics::rating::DEFAULT_PATHS,
        value_parser = paths_arg,
        allow_negative_numbers = true
    )]
    pub paths: u64,
    /// Seed of the random generator (docs/rating.md).
    #[arg(
        long,
        default_value_t = crate::analytics::rating::DEFAULT_SEED,
        value_parser = seed_arg,
        allow_negative_numbers = true
    )]
    pub seed: u64,
    /// Worker threads, 1 to 256 (default: one per core); the output does not depend on it.
    #[arg(long, value_parser = threads_arg, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// Add the built-in standard stress suite to the scenarios of the BDR (docs/scenarios.md).
    /// `concentration` and `all` are refused, as by `breakeven`: the search replaces their
    /// named defaults with its own default rate.
    #[arg(long)]
    pub stress: Option<StressSuite>,
    /// What --stress is built on: `deal` (the deal's [scenario], the default) or
    /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
    #[arg(long)]
    pub stress_on: Option<StressBase>,
}

/// Copies of the tables for people who do not read Parquet (docs/output.md).
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Also write every table as a plain CSV file into DIR (created if missing), all or none.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Also write an Excel workbook: an `overview` sheet, then one sheet per table.
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// Also write a self-contained HTML report with charts (no network needed to view it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl CopyArgs {
    /// Whether any copy was asked for.
    pub fn any(&self) -> bool {
        self.csv.is_some() || self.xlsx.is_some() || self.html.is_some()
    }

    /// The copies written, for a command's closing line: empty without any, else `; and the
    /// CSV files in DIR, the workbook FILE, the report FILE` (review 38b item 9: the line
    /// named only the Parquet files).
    pub fn written(&self) -> String {
        self.written_with(None)
    }

    /// [`CopyArgs::written`], with the journal `run` and `reconcile` write (`--journal`).
    pub fn written_with(&self, journal: Option<&std::path::Path>) -> String {
        let mut parts = Vec::new();
        if let Some(d) = &self.csv {
            parts.push(format!("the CSV files in {}", d.display()));
        }
        if let Some(f) = &self.xlsx {
            parts.push(format!("the workbook {}", f.display()));
        }
        if let Some(f) = &self.html {
            parts.push(format!("the report {}", f.display()));
        }
        if let Some(f) = journal {
            parts.push(format!("the journal {}", f.display()));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("; and {}", parts.join(", "))
        }
    }
}

/// Where results go.
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace result files already in the output directory.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The commands of `ipabs`.
#[derive(Debug, Subcommand)]
// The doc comments of the subcommands and their arguments are their `--help` text, where
// `[scenario]` and `[[scenarios]]` are TOML tables, not links.
#[allow(rustdoc::broken_intra_doc_links)]
pub enum Command {
    /// Run a deal and write every table to Parquet files in DIR.
    Run(run::RunArgs),
    /// Reconcile a deal in life with its actuals (a trustee report's figures): run the
    /// waterfall on the actual collections, compare every reported line to the fen, project
    /// the rest of the deal from the actual state and flag CSRC Art. 39 events
    /// (docs/auditing.md). Exits with code 4 when a line differs.
    Reconcile(reconcile::ReconcileArgs),
    /// Print the payment notice (收益分配报告 / 兑付兑息公告) of one payment date: every
    /// tranche's figures per 100 yuan of face, as Markdown (docs/auditing.md).
    Notice(notice::NoticeArgs),
    /// Run many scenarios in parallel (a scenario file, its grid, stress suites); every table
    /// carries a `scenario` column.
    Sweep(super::sweep::SweepArgs),
    /// Find each rated tranche's break-even default rate (临界违约率) under every scenario and
    /// compare it with its rating's target default rate (docs/breakeven.md).
    Breakeven(breakeven::BreakevenArgs),
    /// Rate the pool by Monte Carlo: default distribution, target default rate (TDR) of every
    /// rating, each rated tranche's BDR and implied rating, and every path through the
    /// waterfall (docs/rating.md).
    Rate(rate::RateArgs),
    /// Size tranches: the largest balance of each targeted tranche that keeps its target
    /// rating (and a minimum coverage multiple); writes the sized deal file (docs/rating.md).
    Size(size::SizeArgs),
    /// Run many deals under the same scenarios and stress suites, in parallel: deals.parquet
    /// (one row per deal × scenario × reported tranche), every run table hive-partitioned
    /// (TABLE/deal=ID/scenario=NAME/part-0.parquet) and a comparison table (docs/portfolio.md).
    Portfolio(portfolio::PortfolioArgs),
    /// Print the JSON Schema of an input format (deal, scenarios or actuals) for editors:
    /// taplo / Even Better TOML complete and check files with it (docs/editor.md).
    Schema {
        /// Which input format.
        #[arg(value_enum, default_value = "deal")]
        format: crate::json_schema::Format,
    },
    /// Validate a deal (and optionally a scenario file), then run its base case (no defaults,
    /// no delay, every support paying) for its run-time warnings; writes nothing.
    Check(check::CheckArgs),
}

/// The most Monte Carlo paths one command runs: 10^9, ten thousand times the default of 10^5
/// (docs/rating.md). Beyond it a run would not finish on one machine (`--shard` splits one),
/// and `u64::MAX` paths aborted the process allocating the chunks' results.
const MAX_PATHS: u64 = 1_000_000_000;

/// `--paths`: a whole number from 1 to [`MAX_PATHS`].
fn paths_arg(s: &str) -> std::result::Result<u64, String> {
    counted(s, MAX_PATHS, "paths")
}

/// A count from 1 to `max` of `what`: a usage error that gives the range for anything else
/// (0, a negative number, a number too large for any integer, a fraction, text).
pub(super) fn counted(s: &str, max: u64, what: &str) -> std::result::Result<u64, String> {
    let range = format!("from 1 to {max} {what}");
    let n: i128 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number {range}"))?;
    match u64::try_from(n) {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{n} is out of range: {range}")),
    }
}

/// `--threads`: a whole number from 1 to [`sweep::MAX_THREADS`].
/// `--seed`: any whole number an unsigned 64-bit integer holds, said so for anything else
/// (review 29a item 7: `-1` read as an unknown argument, `abc` as "invalid digit").
fn seed_arg(s: &str) -> std::result::Result<u64, String> {
    s.parse().map_err(|_| {
        format!(
            "`{s}` is not a seed: expected a whole number from 0 to {}",
            u64::MAX
        )
    })
}

/// `size --step`: an amount in yuan, said so when it is not a number (review 29a item 7);
/// its range and fen are checked with the deal.
pub(super) fn step_arg(s: &str) -> std::result::Result<rust_decimal::Decimal, String> {
    let step: rust_decimal::Decimal = s.parse().map_err(|_| {
        format!("`{s}` is not an amount: expected yuan in whole fen, e.g. 10000 (not 1万)")
    })?;
    // Beyond any tranche a deal accepts (review 31a item 8: a step of 2^63 yuan or more was an
    // internal error, exit 3, and one above 10^15 an error in the sized file never written).
    if step >= crate::validate::MAX_MONEY {
        return Err(format!(
            "`{s}` is too large a step: expected an amount below 10^15 yuan, the largest a deal \
             accepts"
        ));
    }
    Ok(step)
}

/// `size --min-coverage`: a number, said so when it is not one; its range is checked by
/// `size` (a multiple above 0 and below 10).
pub(super) fn multiple_arg(s: &str) -> std::result::Result<rust_decimal::Decimal, String> {
    s.parse().map_err(|_| {
        format!(
            "`{s}` is not a multiple: expected a number above 0 and below 10, e.g. 1.2 for 1.2×"
        )
    })
}

/// `size --margin`: a fraction of the pool from 0 to below 1, said so for anything else (2 for
/// 2 points is a percentage typed for a fraction).
pub(super) fn margin_arg(s: &str) -> std::result::Result<rust_decimal::Decimal, String> {
    match s.parse::<rust_decimal::Decimal>() {
        Ok(m) if m >= rust_decimal::Decimal::ZERO && m < rust_decimal::Decimal::ONE => Ok(m),
        _ => Err(format!(
            "`{s}` is not a margin: expected a fraction of the pool from 0 to below 1, e.g. \
             0.02 for 2 points above the TDR (not 2)"
        )),
    }
}

pub(super) fn threads_arg(s: &str) -> std::result::Result<usize, String> {
    let what = "threads (without --threads, one per core)";
    counted(s, sweep::MAX_THREADS as u64, what).map(|n| n as usize)
}

/// Refuses `--stress concentration` or `all` for `command` (`breakeven`, `rate`, `size`; exit
/// code 2): the concentration stresses default named obligors, and a break-even search
/// replaces every default of its scenario by its own default rate, so their rows would
/// repeat the base's (docs/breakeven.md).
pub(super) fn no_concentration_breakeven(command: &str, stress: Option<StressSuite>) -> Result<()> {
    match stress {
        Some(s @ (StressSuite::Concentration | StressSuite::All)) => Err(Error::Usage(format!(
            "{command} --stress {s}: the concentration stresses default named obligors, and a \
             break-even search replaces a scenario's defaults with its own default rate, so \
             their rows would repeat the base's; use --stress standard (the break-even in whole \
             obligors, `breakeven_obligors`, already defaults the largest names), or run the \
             concentration suite with `ipabs sweep`"
        ))),
        _ => Ok(()),
    }
}

/// `--stress` with what it is built on; `--stress-on` alone is a usage error (exit code 2)
/// that names the flag it needs.
pub(super) fn stress_suite(
    stress: Option<StressSuite>,
    on: Option<StressBase>,
) -> Result<Option<(StressSuite, StressBase)>> {
    match (stress, on) {
        (None, Some(base)) => Err(Error::Usage(format!(
            "--stress-on {} says what a stress suite is built on, but no --stress names \
             one; add --stress standard (sweep and portfolio also take concentration and \
             all), or drop --stress-on",
            base.name()
        ))),
        (stress, on) => Ok(stress.map(|s| (s, on.unwrap_or_default()))),
    }
}

/// `--csv`, `--xlsx` and `--html` copy a whole result; a shard holds only part of one.
pub(super) fn no_copies_with_shard(shard: Option<Shard>, copy: &CopyArgs) -> Result<()> {
    if shard.is_some() && copy.any() {
        return Err(Error::Usage(
            "--shard writes part of a dataset; --csv, --xlsx and --html need the whole result \
             (run them on one machine, or read the merged dataset: docs/scale-out.md)"
                .into(),
        ));
    }
    Ok(())
}

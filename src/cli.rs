//! The command line: `ipabs run`, `ipabs check`.
//!
//! Exit codes: 0 success; 2 bad input or usage (the message names file, line, column and key);
//! 1 output could not be written; 3 internal error (a bug: cash not conserved, …).

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::engine::result::RunResult;
use crate::error::{Error, Result, Warning};
use crate::output::parquet::{
    self, LEDGER_FILE, PERIODS_FILE, POOL_FLOWS_FILE, SUMMARY_FILE, SUPPORT_FILE,
    TRANCHE_FLOWS_FILE,
};
use crate::output::scenarios::{SCENARIOS_FILE, scenarios_frame};
use crate::output::{self, RUN_FILES};
use crate::scenario::Pricing;
use crate::scenario::Scenario;
use crate::sweep::{self, SweepOptions};
use crate::validate::{self, Loaded};

/// Cash-flow modeler for Chinese IP securitizations (知识产权证券化).
#[derive(Debug, Parser)]
#[command(name = "ipabs", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a deal and write its cash flows to Parquet files in DIR.
    Run {
        /// The deal file (TOML).
        deal: PathBuf,
        /// A scenario file with one or more [[scenarios]]; without it the deal's own
        /// [scenario] (or the base case) runs.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Replace result files already in the output directory.
        #[arg(long)]
        force: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run many scenarios of a deal in parallel (scenario file, grid, stress suites) and write
    /// one table per kind with a `scenario` column.
    Sweep {
        deal: PathBuf,
        /// Scenario file: [[scenarios]], [grid], [rating], [pricing].
        #[arg(long)]
        scenarios: Option<PathBuf>,
        /// Keep every table of every run (pool flows, ledger, periods, all tranches); without
        /// it only summary.parquet, the senior tranches' tranche_flows and scenarios.parquet.
        #[arg(long)]
        flows: bool,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        force: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate a deal (and optionally a scenario file) without running it.
    Check {
        deal: PathBuf,
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
}

/// Parses the arguments, runs the command, prints errors; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match execute(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("{w}");
    }
}

/// Loads a deal and the scenarios to run.
pub fn load(deal: &Path, scenario: Option<&Path>) -> Result<(Loaded, Vec<Scenario>)> {
    let loaded = validate::load_deal(deal)?;
    let scenarios = match scenario {
        Some(p) => validate::load_scenarios(p, &loaded.deal)?,
        None => vec![loaded.deal.scenario.clone()],
    };
    Ok((loaded, scenarios))
}

/// Runs every scenario of a deal, keeping every table, priced at par.
pub fn run_all(loaded: &Loaded, scenarios: &[Scenario]) -> Result<Vec<RunResult>> {
    let opts = SweepOptions {
        flows: true,
        threads: None,
        progress: false,
    };
    sweep::sweep(&loaded.deal, scenarios, &Pricing::default(), opts)
}

fn execute(cmd: Command) -> Result<()> {
    match cmd {
        Command::Check { deal, scenario } => {
            let (loaded, scenarios) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            let d = &loaded.deal;
            println!(
                "ok: {} — {} obligors, {} tranches, {} payment dates, pool {}, issue {}, {} scenario(s)",
                d.name,
                d.obligors.len(),
                d.tranches.len(),
                d.periods.len(),
                crate::output::table::format_money(d.pool_balance()),
                crate::output::table::format_money(d.issue_size()),
                scenarios.len()
            );
            Ok(())
        }
        Command::Sweep {
            deal,
            scenarios,
            flows,
            threads,
            out,
            force,
            quiet,
        } => {
            refuse_overwrite(&out, force)?;
            let opts = SweepOptions {
                flows,
                threads,
                progress: !quiet,
            };
            sweep_cmd(&deal, scenarios.as_deref(), opts, &out, quiet)
        }
        Command::Run {
            deal,
            scenario,
            out,
            force,
            quiet,
        } => {
            refuse_overwrite(&out, force)?;
            let (loaded, scenarios) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            let runs = run_all(&loaded, &scenarios)?;
            output::write_run_tables(&out, &runs)?;
            for r in &runs {
                print_warnings(&r.warnings);
                if !quiet {
                    println!("{}", output::table::summary_table(r));
                }
            }
            if !quiet {
                println!("wrote {} files to {}", RUN_FILES.len(), out.display());
            }
            Ok(())
        }
    }
}

fn sweep_cmd(
    deal: &Path,
    scenarios: Option<&Path>,
    opts: SweepOptions,
    out: &Path,
    quiet: bool,
) -> Result<()> {
    let (loaded, scenarios) = load(deal, scenarios)?;
    print_warnings(&loaded.warnings);
    let d = &loaded.deal;
    let runs = sweep::sweep(d, &scenarios, &Pricing::default(), opts)?;
    let mut frames = vec![
        (SUMMARY_FILE, parquet::summary_frame(&runs)?),
        (TRANCHE_FLOWS_FILE, parquet::tranche_flows_frame(&runs)?),
        (SCENARIOS_FILE, scenarios_frame(d, &scenarios)?),
    ];
    if opts.flows {
        frames.extend([
            (POOL_FLOWS_FILE, parquet::pool_flows_frame(&runs)?),
            (LEDGER_FILE, parquet::ledger_frame(&runs)?),
            (PERIODS_FILE, parquet::periods_frame(&runs)?),
            (SUPPORT_FILE, parquet::support_frame(&runs)?),
        ]);
    }
    let n = frames.len();
    output::write_tables(out, frames)?;
    if !quiet {
        println!("{}", output::table::sweep_table(&runs));
        println!(
            "{} scenarios of {}; wrote {n} files to {}",
            runs.len(),
            d.name,
            out.display()
        );
    }
    Ok(())
}

/// Refuses to replace result files in `out` unless `force` is set.
fn refuse_overwrite(out: &Path, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let existing: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .chain([SCENARIOS_FILE])
        .filter(|f| out.join(f).exists())
        .collect();
    if existing.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{} already holds results ({}); pass --force to replace them, or choose another --out",
            out.display(),
            existing.join(", ")
        )))
    }
}

//! The command line: `ipabs run`, `ipabs check`.
//!
//! Exit codes: 0 success; 2 bad input or usage (the message names file, line, column and key);
//! 1 output could not be written; 3 internal error (a bug: cash not conserved, …).

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::engine::{self, result::RunResult};
use crate::error::{Error, Result, Warning};
use crate::output::{self, RUN_FILES};
use crate::scenario::Scenario;
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

/// Runs every scenario of a deal.
pub fn run_all(loaded: &Loaded, scenarios: &[Scenario]) -> Result<Vec<RunResult>> {
    scenarios
        .iter()
        .map(|s| engine::run(&loaded.deal, s))
        .collect()
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

/// Refuses to replace result files in `out` unless `force` is set.
fn refuse_overwrite(out: &Path, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let existing: Vec<&str> = RUN_FILES
        .iter()
        .copied()
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

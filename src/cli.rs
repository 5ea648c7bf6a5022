//! The command line: `ipabs run`, `ipabs sweep`, `ipabs breakeven`, `ipabs check`.
//!
//! Exit codes: 0 success; 2 bad input or usage (the message names file, line, column and key);
//! 1 output could not be written; 3 internal error (a bug: cash not conserved, …).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::analytics::stress::StressSuite;
use crate::deal::Deal;
use crate::engine::result::{Kept, RunTable};
use crate::error::{Error, Result, Warning};
use crate::output::breakeven::{BREAKEVEN_FILE, breakeven_table, write_breakeven};
use crate::output::scenarios::{SCENARIOS_FILE, scenarios_frame};
use crate::output::{self, RUN_FILES};
use crate::scenario::{Scenario, ScenarioSet};
use crate::sweep::{self, SweepOptions};
use crate::validate::{self, Loaded};

/// Cash-flow modeler for Chinese IP securitizations (知识产权证券化).
#[derive(Debug, Parser)]
#[command(name = "ipabs", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a deal and write every table to Parquet files in DIR.
    Run {
        /// The deal file (TOML).
        deal: PathBuf,
        /// A scenario file ([[scenarios]], [grid], [pricing]); without it the deal's own
        /// [scenario] (or the base case) runs.
        #[arg(long, visible_alias = "scenarios")]
        scenario: Option<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Run many scenarios in parallel (a scenario file, its grid, stress suites); every table
    /// carries a `scenario` column.
    Sweep {
        /// The deal file (TOML).
        deal: PathBuf,
        /// Scenario file: [[scenarios]], [grid], [rating], [pricing].
        #[arg(long, visible_alias = "scenario")]
        scenarios: Option<PathBuf>,
        /// Add a built-in stress suite built on the deal's [scenario]: standard,
        /// concentration or all (docs/scenarios.md).
        #[arg(long)]
        stress: Option<StressSuite>,
        /// Keep every table of every run (pool flows, ledger, periods, all tranches); without
        /// it only summary.parquet, the senior tranches' tranche_flows and scenarios.parquet.
        #[arg(long)]
        flows: bool,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Find each rated tranche's break-even default rate (临界违约率) under every scenario and
    /// compare it with its rating's target default rate (docs/breakeven.md).
    Breakeven {
        /// The deal file (TOML).
        deal: PathBuf,
        /// Scenario file: [[scenarios]], [grid], [rating].
        #[arg(long, visible_alias = "scenario")]
        scenarios: Option<PathBuf>,
        /// Add a built-in stress suite built on the deal's [scenario].
        #[arg(long)]
        stress: Option<StressSuite>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Validate a deal (and optionally a scenario file) without running it.
    Check {
        /// The deal file (TOML).
        deal: PathBuf,
        /// A scenario file to validate against the deal.
        #[arg(long, visible_alias = "scenarios")]
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
            err_line(&e.to_string());
            e.exit_code()
        }
    }
}

/// Prints a line on stdout; a closed pipe (`ipabs … | head`) is not an error.
fn out_line(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Prints a line on stderr; a closed pipe is not an error.
fn err_line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        err_line(&w.to_string());
    }
}

/// Loads a deal and its scenario set: the scenario file's, or the deal's own scenario.
pub fn load(deal: &Path, scenario_file: Option<&Path>) -> Result<(Loaded, ScenarioSet)> {
    let loaded = validate::load_deal(deal)?;
    let set = match scenario_file {
        Some(p) => validate::load_scenario_set(p, &loaded.deal)?,
        None => ScenarioSet::single(loaded.deal.scenario.clone()),
    };
    Ok((loaded, set))
}

/// Appends a stress suite (built on the deal's own scenario) to `scenarios`, refusing names
/// that would appear twice.
pub fn add_stress(deal: &Deal, scenarios: &mut Vec<Scenario>, suite: StressSuite) -> Result<()> {
    let extra = suite.scenarios(deal, &deal.scenario)?;
    let mut seen: HashSet<String> = scenarios.iter().map(|s| s.name.clone()).collect();
    for s in &extra {
        if !seen.insert(s.name.clone()) {
            return Err(Error::Usage(format!(
                "the scenario file already has a scenario named `{}`, which the {suite} stress \
                 suite also generates; rename it",
                s.name
            )));
        }
    }
    scenarios.extend(extra);
    Ok(())
}

fn execute(cmd: Command) -> Result<()> {
    match cmd {
        Command::Check { deal, scenario } => {
            let (loaded, set) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            let d = &loaded.deal;
            out_line(&format!(
                "ok: {} — {} obligors, {} tranches, {} payment dates, pool {}, issue {}, {} scenario(s)",
                d.name,
                d.obligors.len(),
                d.tranches.len(),
                d.periods.len(),
                output::table::format_money(d.pool_balance()),
                output::table::format_money(d.issue_size()),
                set.scenarios.len()
            ));
            Ok(())
        }
        Command::Run {
            deal,
            scenario,
            out,
        } => {
            refuse_overwrite(&out.out, out.force)?;
            let (loaded, set) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            let opts = SweepOptions {
                flows: true,
                threads: None,
                progress: false,
            };
            let runs = sweep::sweep(&loaded.deal, &set.scenarios, &set.pricing, opts)?;
            output::write_run_tables(&out.out, &runs)?;
            for r in &runs {
                print_warnings(&r.warnings);
                if !out.quiet {
                    out_line(&output::table::summary_table(r));
                }
            }
            if !out.quiet {
                out_line(&format!(
                    "wrote {} files to {}",
                    RUN_FILES.len(),
                    out.out.display()
                ));
            }
            Ok(())
        }
        Command::Breakeven {
            deal,
            scenarios,
            stress,
            threads,
            out,
        } => {
            if !out.force && out.out.join(BREAKEVEN_FILE).exists() {
                return Err(Error::Usage(format!(
                    "{} already holds {BREAKEVEN_FILE}; pass --force to replace it, or choose \
                     another --out",
                    out.out.display()
                )));
            }
            let (loaded, mut set) = load(&deal, scenarios.as_deref())?;
            print_warnings(&loaded.warnings);
            let d = &loaded.deal;
            if let Some(suite) = stress {
                add_stress(d, &mut set.scenarios, suite)?;
            }
            let opts = SweepOptions {
                flows: false,
                threads,
                progress: !out.quiet,
            };
            let rows = sweep::breakeven_sweep(d, &set.scenarios, &set.rating, opts)?;
            write_breakeven(&out.out, &rows)?;
            if !out.quiet {
                out_line(&breakeven_table(&rows));
                out_line(&format!(
                    "{} break-even rows for {}; wrote {}",
                    rows.len(),
                    d.name,
                    out.out.join(BREAKEVEN_FILE).display()
                ));
            }
            Ok(())
        }
        Command::Sweep {
            deal,
            scenarios,
            stress,
            flows,
            threads,
            out,
        } => {
            refuse_overwrite(&out.out, out.force)?;
            let (loaded, mut set) = load(&deal, scenarios.as_deref())?;
            print_warnings(&loaded.warnings);
            let d = &loaded.deal;
            if let Some(suite) = stress {
                add_stress(d, &mut set.scenarios, suite)?;
            }
            let opts = SweepOptions {
                flows,
                threads,
                progress: !out.quiet,
            };
            let runs = sweep::sweep(d, &set.scenarios, &set.pricing, opts)?;
            let tables: Vec<RunTable> = RunTable::ALL
                .into_iter()
                .filter(|t| flows || t.without_flows() != Kept::Nothing)
                .collect();
            let frames = output::run_frames(&tables, &runs).and_then(|mut frames| {
                frames.push((SCENARIOS_FILE, scenarios_frame(d, &set.scenarios)?));
                Ok(frames)
            });
            let n = output::write_frames(&out.out, frames)?.len();
            if !out.quiet {
                out_line(&output::table::sweep_table(&runs));
                out_line(&format!(
                    "{} scenarios of {}; wrote {n} files to {}",
                    runs.len(),
                    d.name,
                    out.out.display()
                ));
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

//! The command line: `ipabs run`, `ipabs sweep`, `ipabs breakeven`, `ipabs rate`, `ipabs size`,
//! `ipabs reconcile`, `ipabs notice`, `ipabs check`.
//!
//! Exit codes: 0 success; 2 bad input or usage (the message names file, line, column and key);
//! 1 output could not be written; 3 internal error (a bug: cash not conserved, …); 4 reconcile
//! found reported lines that differ from the waterfall.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand};

use crate::analytics::rating;
use crate::analytics::stress::{StressBase, StressSuite};
use crate::engine::result::{Kept, RunTable};
use crate::error::{Error, Result, Warning};
use crate::output::breakeven::{BREAKEVEN_FILE, breakeven_frame, breakeven_table};
use crate::output::guard::{self, OutputLock};
use crate::output::scenarios::{SCENARIOS_FILE, scenarios_frame};
use crate::output::warnings::{WARNINGS_FILE, warnings_frame, warnings_table};
use crate::output::{self, RUN_FILES};
use crate::scenario::{Scenario, ScenarioSet};
use crate::shard::{self, Shard};
use crate::sweep::{self, SweepOptions};
use crate::validate::{self, Loaded};

/// Cash-flow modeler for Chinese IP securitizations (知识产权证券化).
#[derive(Debug, Parser)]
#[command(name = "ipabs", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Treat every warning as an error: print it, write nothing, exit with code 2 (for scripts
    /// and CI).
    #[arg(long, global = true)]
    pub strict: bool,
}

/// The Monte Carlo options of `rate` and `size`.
#[derive(Debug, Args)]
pub struct McArgs {
    /// Scenario file: the stress scenarios of the BDR, and [rating_model].
    #[arg(long, visible_alias = "scenario")]
    scenarios: Option<PathBuf>,
    /// Monte Carlo paths, 1 to 10^9.
    #[arg(long, default_value_t = crate::analytics::rating::DEFAULT_PATHS, value_parser = paths_arg)]
    paths: u64,
    /// Seed of the random generator (docs/rating.md).
    #[arg(long, default_value_t = crate::analytics::rating::DEFAULT_SEED)]
    seed: u64,
    /// Worker threads, 1 to 256 (default: one per core); the output does not depend on it.
    #[arg(long, value_parser = threads_arg)]
    threads: Option<usize>,
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
// The doc comments of the subcommands and their arguments are their `--help` text, where
// `[scenario]` and `[[scenarios]]` are TOML tables, not links.
#[allow(rustdoc::broken_intra_doc_links)]
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
        copy: CopyArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Reconcile a deal in life with its actuals (a trustee report's figures): run the
    /// waterfall on the actual collections, compare every reported line to the fen, project
    /// the rest of the deal from the actual state and flag CSRC Art. 39 events
    /// (docs/auditing.md). Exits with code 4 when a line differs.
    Reconcile {
        /// The deal file (TOML).
        deal: PathBuf,
        /// The actuals file (TOML, docs/auditing.md).
        #[arg(long)]
        actuals: PathBuf,
        /// A scenario file whose one scenario projects the rest of the deal; without it the
        /// deal's own [scenario].
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Print the payment notice (收益分配报告 / 兑付兑息公告) of one payment date: every
    /// tranche's figures per 100 yuan of face, as Markdown (docs/auditing.md).
    Notice {
        /// The deal file (TOML).
        deal: PathBuf,
        /// The payment date's period number (1 = the first payment date).
        #[arg(long)]
        period: u32,
        /// A scenario file whose one scenario runs; without it the deal's own [scenario].
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// An actuals file: the notice of the in-life run (actual dates restated to the
        /// reported figures, then the projection from the actual state), as `reconcile` runs it.
        #[arg(long)]
        actuals: Option<PathBuf>,
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
        /// What --stress is built on: `deal` (the deal's [scenario], the default) or
        /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
        #[arg(long)]
        stress_on: Option<StressBase>,
        /// Keep every table of every run (pool flows, ledger, periods, all tranches); without
        /// it only summary.parquet, the senior tranches' tranche_flows, scenarios.parquet and
        /// warnings.parquet.
        #[arg(long)]
        flows: bool,
        /// Worker threads, 1 to 256 (default: one per core).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<usize>,
        /// Run only block I of N of the scenarios and write TABLE/shards=N/shard=I/part-0.parquet
        /// (docs/scale-out.md).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        #[command(flatten)]
        copy: CopyArgs,
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
        /// Add the built-in standard stress suite built on the deal's [scenario]
        /// (docs/scenarios.md). `concentration` and `all` are refused: the search replaces
        /// their named defaults with its own default rate.
        #[arg(long)]
        stress: Option<StressSuite>,
        /// What --stress is built on: `deal` (the deal's [scenario], the default) or
        /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
        #[arg(long)]
        stress_on: Option<StressBase>,
        /// Worker threads, 1 to 256 (default: one per core).
        #[arg(long, value_parser = threads_arg)]
        threads: Option<usize>,
        /// Run only block I of N of the scenarios and write TABLE/shards=N/shard=I/part-0.parquet
        /// (docs/scale-out.md).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        #[command(flatten)]
        copy: CopyArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Rate the pool by Monte Carlo: default distribution, target default rate (TDR) of every
    /// rating, each rated tranche's BDR and implied rating, and every path through the
    /// waterfall (docs/rating.md).
    Rate {
        /// The deal file (TOML); every obligor needs a `rating` (or `pd`) tag.
        deal: PathBuf,
        #[command(flatten)]
        mc: McArgs,
        /// Simulate only block I of N of the paths and write their default patterns to
        /// patterns/shards=N/shard=I/part-0.parquet; `--merge` adds the shards up
        /// (docs/scale-out.md).
        #[arg(long, value_name = "I/N", conflicts_with = "merge")]
        shard: Option<Shard>,
        /// Instead of simulating, add up the patterns of every shard in DIR (written by
        /// `--shard I/N` with the same --paths and --seed) and write the three tables.
        #[arg(long, value_name = "DIR")]
        merge: Option<PathBuf>,
        /// With --merge: run only block J of M of the run's distinct default patterns through
        /// the waterfall and write their outcomes to outcomes/shards=M/shard=J/part-0.parquet;
        /// `--outcomes` reads them (docs/scale-out.md).
        #[arg(
            long,
            value_name = "J/M",
            requires = "merge",
            conflicts_with = "outcomes"
        )]
        waterfall_shard: Option<Shard>,
        /// With --merge: take the patterns' waterfall outcomes from the shards in DIR (written
        /// by `--waterfall-shard J/M`) instead of running the waterfall, and write the three
        /// tables.
        #[arg(long, value_name = "DIR", requires = "merge")]
        outcomes: Option<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Size tranches: the largest balance of each targeted tranche that keeps its target
    /// rating (and a minimum coverage multiple); writes the sized deal file (docs/rating.md).
    Size {
        /// The deal file (TOML).
        deal: PathBuf,
        /// TRANCHE=RATING, e.g. A=AAA; repeat for several tranches.
        #[arg(long = "target", required = true)]
        targets: Vec<String>,
        /// Minimum coverage multiple on every payment date of the base case, above 0 and below
        /// 10 (1.2 for 1.2×).
        #[arg(long)]
        min_coverage: Option<rust_decimal::Decimal>,
        /// Balance grid, yuan.
        #[arg(long, default_value = "10000")]
        step: rust_decimal::Decimal,
        /// Keep the subordinated tranche and let the issue size change.
        #[arg(long)]
        free_issue_size: bool,
        #[command(flatten)]
        mc: McArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Run many deals under the same scenarios and stress suites, in parallel: deals.parquet
    /// (one row per deal × scenario × reported tranche), every run table hive-partitioned
    /// (TABLE/deal=ID/scenario=NAME/part-0.parquet) and a comparison table (docs/portfolio.md).
    Portfolio {
        /// Deal files, directories of deal files, or cohort files ([cohort] deals = [...]).
        #[arg(required = true)]
        deals: Vec<PathBuf>,
        /// Scenario file applied to every deal (one that names obligors fits only the deal that
        /// has them); without it each deal's own [scenario].
        #[arg(long, visible_alias = "scenario")]
        scenarios: Option<PathBuf>,
        /// Add a built-in stress suite, built on each deal's [scenario]: standard,
        /// concentration or all.
        #[arg(long)]
        stress: Option<StressSuite>,
        /// What --stress is built on: `deal` (each deal's [scenario], the default) or
        /// `scenarios` (every scenario of the file, each stress named SCENARIO×STRESS).
        #[arg(long)]
        stress_on: Option<StressBase>,
        /// Worker threads, 1 to 256 (default: one per core); the output does not depend on it.
        #[arg(long, value_parser = threads_arg)]
        threads: Option<usize>,
        /// Run only block I of N of the deals (deals.parquet goes to
        /// deals/shards=N/shard=I/part-0.parquet; docs/scale-out.md).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        #[command(flatten)]
        copy: CopyArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Print the JSON Schema of an input format (deal, scenarios or actuals) for editors:
    /// taplo / Even Better TOML complete and check files with it (docs/editor.md).
    Schema {
        /// Which input format.
        #[arg(value_enum, default_value = "deal")]
        format: crate::json_schema::Format,
    },
    /// Validate a deal (and optionally a scenario file), then run its base case (no defaults,
    /// no delay, every support paying) for its run-time warnings; writes nothing.
    Check {
        /// The deal file (TOML).
        deal: PathBuf,
        /// A scenario file to validate against the deal.
        #[arg(long, visible_alias = "scenarios")]
        scenario: Option<PathBuf>,
    },
}

/// Called once a deal file is loaded, when the load's temporary memory has been freed: the
/// `ipabs` binary sets it to return that memory to the system (src/main.rs). Unset in a
/// program that embeds the library.
pub static AFTER_LOAD: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// [`AFTER_LOAD`] runs after loading a deal file of at least this many bytes (4 MiB, some
/// 17,000 obligors). A smaller file's load leaves a few megabytes, which the run reuses:
/// handing them back (a collection, then a page fault for each page the run touches again)
/// cost a one-scenario sweep of the 15-obligor deal 140 page faults and about 10% of its time
/// (docs/performance.md, session 16).
pub const AFTER_LOAD_MIN_BYTES: u64 = 4 << 20;

/// Parses the arguments, runs the command, prints errors; returns the exit code.
pub fn main() -> i32 {
    EXITS_AFTER_COMMAND.store(true, Ordering::Relaxed);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match execute(cli.command, cli.strict) {
        Ok(()) => 0,
        Err(e) => {
            err_line(&e.to_string());
            e.exit_code()
        }
    }
}

/// Runs one command given as arguments (`["ipabs", "sweep", "deal.toml", "--out", "dir"]`), as
/// `main` does but returning the error instead of printing it: the Python package's entry
/// point (python/, docs/python.md). A usage error of clap is [`Error::Usage`].
pub fn run_args<I, T>(args: I) -> Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args).map_err(|e| Error::Usage(e.to_string()))?;
    execute(cli.command, cli.strict)
}

/// The most Monte Carlo paths one command runs: 10^9, ten thousand times the default of 10^5
/// (docs/rating.md). Beyond it a run would not finish on one machine (`--shard` splits one),
/// and `u64::MAX` paths aborted the process allocating the chunks' results.
const MAX_PATHS: u64 = 1_000_000_000;

/// `--paths`: a whole number from 1 to [`MAX_PATHS`].
fn paths_arg(s: &str) -> std::result::Result<u64, String> {
    let n: u64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n == 0 || n > MAX_PATHS {
        return Err(format!("{n} is out of range: from 1 to {MAX_PATHS} paths"));
    }
    Ok(n)
}

/// `--threads`: a whole number from 1 to [`sweep::MAX_THREADS`].
fn threads_arg(s: &str) -> std::result::Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if n == 0 || n > sweep::MAX_THREADS {
        return Err(format!(
            "{n} is out of range: from 1 to {} threads (without --threads, one per core)",
            sweep::MAX_THREADS
        ));
    }
    Ok(n)
}

/// Prints a line on stdout; a closed pipe (`ipabs … | head`) is not an error. Control
/// characters (from names in the deal) are escaped, never sent to the terminal.
fn out_line(text: &str) {
    let _ = writeln!(std::io::stdout(), "{}", terminal_safe(text));
}

/// Prints a line on stderr; a closed pipe is not an error.
fn err_line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}", terminal_safe(text));
}

/// `text` with every control character but newline and tab escaped.
fn terminal_safe(text: &str) -> String {
    crate::error::escape_controls(text.chars())
}

fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        err_line(&w.to_string());
    }
}

/// Under `--strict`, any warning is an error (exit code 2, nothing written).
fn strict_check(strict: bool, count: usize) -> Result<()> {
    if strict && count > 0 {
        return Err(Error::Usage(format!(
            "{count} warning(s) with --strict: nothing was written (silence a warning the deal \
             means with [deal] allow, docs/errors.md)"
        )));
    }
    Ok(())
}

/// The distinct check names of `warnings`, sorted, comma-separated.
fn check_names<'w>(warnings: impl IntoIterator<Item = &'w Warning>) -> String {
    let mut kinds: Vec<&str> = warnings.into_iter().map(|w| w.check.name()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds.join(", ")
}

/// Most scenarios `sweep` and `breakeven` name one line each on the terminal; the rest are
/// counted on one closing line (every warning is in `warnings.parquet` either way).
const WARNING_LINES: usize = 20;

/// Prints the number of run-time warnings of each scenario that has any (sweep, breakeven):
/// one line for each of the first [`WARNING_LINES`] such scenarios, then one line counting
/// the others and their checks. The lines go to stderr in one write.
fn print_warning_counts(runs: &[(&str, &[Warning])], file: Option<&Path>) {
    print_warning_lines(runs, file, ("scenario", "scenario(s)"));
}

/// [`print_warning_counts`] for runs named by `noun` (singular, plural): a portfolio's
/// `deal/scenario`. Each line points to `file`, the warnings table about to be written; under
/// `--strict` (`None`) nothing will be, and the lines say so.
fn print_warning_lines(runs: &[(&str, &[Warning])], file: Option<&Path>, noun: (&str, &str)) {
    let warned: Vec<&(&str, &[Warning])> = runs.iter().filter(|(_, w)| !w.is_empty()).collect();
    let see = file.map_or_else(
        || "--strict: no file is written".to_string(),
        |f| format!("see {}", f.display()),
    );
    let mut text = String::new();
    for (name, w) in warned.iter().take(WARNING_LINES) {
        text.push_str(&terminal_safe(&format!(
            "warning: {} `{}`: {} run-time warning(s) ({}); {see}",
            noun.0,
            crate::error::clip(name),
            w.len(),
            check_names(w.iter()),
        )));
        text.push('\n');
    }
    let rest = &warned[warned.len().min(WARNING_LINES)..];
    if !rest.is_empty() {
        let all = || rest.iter().flat_map(|(_, w)| w.iter());
        text.push_str(&terminal_safe(&format!(
            "warning: {} more {} have {} run-time warning(s) ({}); {see}",
            rest.len(),
            noun.1,
            all().count(),
            check_names(all()),
        )));
        text.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether a command's results are left to the end of the process: set by [`main`], which the
/// `ipabs` binary calls and then exits with the command's code; never by [`run_args`], whose
/// caller (the Python package) goes on running.
static EXITS_AFTER_COMMAND: AtomicBool = AtomicBool::new(false);

/// Leaves `value`'s memory to the end of the process when the process ends with the command
/// ([`main`]): handing a sweep's thousands of runs, or a large pool's rows, back to the
/// allocator block by block, and the allocator's pages back to the system, only costs time
/// (2–3 ms of a 40 ms sweep of 1,001 scenarios; docs/performance.md, session 16). Otherwise
/// (`run_args`, an embedding program) `value` is dropped as usual. Only for values a command
/// is done with, at its end.
fn exits_with_process<T>(value: T) {
    if EXITS_AFTER_COMMAND.load(Ordering::Relaxed) {
        std::mem::forget(value);
    }
}

/// Loads a deal and its scenario set: the scenario file's, or the deal's own scenario.
pub fn load(deal: &Path, scenario_file: Option<&Path>) -> Result<(Loaded, ScenarioSet)> {
    let loaded = validate::load_deal(deal)?;
    if let Some(after) = AFTER_LOAD.get()
        && std::fs::metadata(deal).is_ok_and(|m| m.len() >= AFTER_LOAD_MIN_BYTES)
    {
        after();
    }
    let set = match scenario_file {
        Some(p) => validate::load_scenario_set(p, &loaded.deal)?,
        None => ScenarioSet::single(loaded.deal.scenario.clone()),
    };
    Ok((loaded, set))
}

fn execute(cmd: Command, strict: bool) -> Result<()> {
    match cmd {
        Command::Portfolio {
            deals,
            scenarios,
            stress,
            stress_on,
            threads,
            shard,
            copy,
            out,
        } => {
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
        Command::Rate {
            deal,
            mc,
            shard,
            merge,
            waterfall_shard,
            outcomes,
            out,
        } => {
            let source = match (shard, merge) {
                (Some(s), _) => Paths::Shard(s),
                (None, Some(dir)) => Paths::Merge(dir),
                (None, None) => Paths::All,
            };
            let waterfall = match (waterfall_shard, outcomes) {
                (Some(s), _) => Outcomes::Shard(s),
                (None, Some(dir)) => Outcomes::Merge(dir),
                (None, None) => Outcomes::Run,
            };
            rate_command(
                &deal,
                mc.scenarios.as_deref(),
                (mc.paths, mc.seed),
                mc.threads,
                (source, waterfall),
                &out,
            )
        }
        Command::Size {
            deal,
            targets,
            min_coverage,
            step,
            free_issue_size,
            mc,
            out,
        } => {
            let opts = SizeArgs {
                targets,
                min_coverage,
                step,
                free_issue_size,
                paths: mc.paths,
                seed: mc.seed,
                threads: mc.threads,
            };
            size_command(&deal, mc.scenarios.as_deref(), opts, &out)
        }
        Command::Reconcile {
            deal,
            actuals,
            scenario,
            out,
        } => reconcile_command(&deal, &actuals, scenario.as_deref(), &out, strict),
        Command::Notice {
            deal,
            period,
            scenario,
            actuals,
        } => {
            let (loaded, set) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            print_warnings(&set.warnings);
            strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
            let [scenario] = set.scenarios.as_slice() else {
                return Err(Error::Usage(format!(
                    "notice runs one scenario, and the scenario file has {} ({}); keep one",
                    set.scenarios.len(),
                    crate::error::clip(
                        &set.scenarios
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                )));
            };
            let d = &loaded.deal;
            let n = d.periods.len();
            if period == 0 || period as usize > n {
                return Err(Error::Usage(format!(
                    "--period {period}: the deal has periods 1 to {n}"
                )));
            }
            let r = match actuals {
                None => crate::engine::run(d, scenario)?,
                Some(path) => {
                    let a = validate::load_actuals(&path, d)?;
                    print_warnings(&a.warnings);
                    strict_check(strict, a.warnings.len())?;
                    crate::analytics::reconcile::reconcile(d, scenario, &a)?.run
                }
            };
            print_warnings(&r.warnings);
            out_line(&output::table::notice_text(d, &r, period));
            Ok(())
        }
        Command::Schema { format } => {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                crate::json_schema::schema_text(format)
            );
            Ok(())
        }
        Command::Check { deal, scenario } => {
            let (loaded, set) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            print_warnings(&set.warnings);
            let d = &loaded.deal;
            // The base case's run-time warnings (no defaults, no delay, every support paying).
            let base =
                crate::engine::run_with(d, &Scenario::base(), crate::engine::ObligorRows::Skip)?;
            print_warnings(&base.warnings);
            strict_check(
                strict,
                loaded.warnings.len() + set.warnings.len() + base.warnings.len(),
            )?;
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
            copy,
            out,
        } => {
            refuse_files(&out, &result_names())?;
            refuse_copies(&copy, &out, &result_names())?;
            let (loaded, set) = load(&deal, scenario.as_deref())?;
            print_warnings(&loaded.warnings);
            print_warnings(&set.warnings);
            strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
            let _lock = lock_output(&out)?;
            let opts = SweepOptions {
                flows: true,
                threads: None,
                progress: false,
            };
            let runs = sweep::sweep(&loaded.deal, &set.scenarios, &set.pricing, opts)?;
            for r in &runs {
                print_warnings(&r.warnings);
            }
            strict_check(strict, runs.iter().map(|r| r.warnings.len()).sum())?;
            output::write_run_tables(&out.out, &runs)?;
            if copy.csv.is_some() || copy.xlsx.is_some() {
                let frames = output::run_frames(&RunTable::ALL, &runs)?;
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
            for r in &runs {
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
            exits_with_process((runs, loaded, set));
            Ok(())
        }
        Command::Breakeven {
            deal,
            scenarios,
            stress,
            stress_on,
            threads,
            shard,
            copy,
            out,
        } => {
            no_copies_with_shard(shard, &copy)?;
            no_concentration_breakeven(stress)?;
            let stress = stress_suite(stress, stress_on)?;
            refuse_breakeven_overwrite(&out, shard)?;
            refuse_copies(&copy, &out, &[BREAKEVEN_FILE, WARNINGS_FILE])?;
            let (loaded, mut set) = load(&deal, scenarios.as_deref())?;
            print_warnings(&loaded.warnings);
            print_warnings(&set.warnings);
            strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
            let d = &loaded.deal;
            if let Some((suite, base)) = stress {
                suite.add_to(d, &mut set.scenarios, base)?;
            }
            let _lock = lock_output_shard(&out, shard)?;
            refuse_breakeven_overwrite(&out, shard)?;
            let opts = SweepOptions {
                flows: false,
                threads,
                progress: !out.quiet,
            };
            let block = shard.map_or(&set.scenarios[..], |s| s.slice(&set.scenarios));
            let rows = sweep::breakeven_sweep(d, block, &set.rating, opts)?;
            let warnings = sweep::run_warnings(d, block, threads)?;
            let run_warnings: Vec<(&str, &[Warning])> = block
                .iter()
                .map(|s| s.name.as_str())
                .zip(warnings.iter().map(Vec::as_slice))
                .collect();
            let file = out.out.join(shard::file_name(shard, WARNINGS_FILE));
            print_warning_counts(&run_warnings, (!strict).then_some(file.as_path()));
            strict_check(strict, run_warnings.iter().map(|(_, w)| w.len()).sum())?;
            let load_warnings = load_warnings_of(shard, &loaded, &set);
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
                    "{} break-even rows for {}; wrote {} and {}",
                    rows.len(),
                    d.name,
                    out.out
                        .join(shard::file_name(shard, BREAKEVEN_FILE))
                        .display(),
                    file.display()
                ));
            }
            Ok(())
        }
        Command::Sweep {
            deal,
            scenarios,
            stress,
            stress_on,
            flows,
            threads,
            shard,
            copy,
            out,
        } => {
            no_copies_with_shard(shard, &copy)?;
            let stress = stress_suite(stress, stress_on)?;
            refuse_sweep_overwrite(&out, shard)?;
            refuse_copies(&copy, &out, &result_names())?;
            let (loaded, mut set) = load(&deal, scenarios.as_deref())?;
            print_warnings(&loaded.warnings);
            print_warnings(&set.warnings);
            strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
            let d = &loaded.deal;
            if let Some((suite, base)) = stress {
                suite.add_to(d, &mut set.scenarios, base)?;
            }
            let _lock = lock_output_shard(&out, shard)?;
            refuse_sweep_overwrite(&out, shard)?;
            let opts = SweepOptions {
                flows,
                threads,
                progress: !out.quiet,
            };
            let block = shard.map_or(&set.scenarios[..], |s| s.slice(&set.scenarios));
            let runs = sweep::sweep(d, block, &set.pricing, opts)?;
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
                        let build =
                            move || output::parquet::run_table_frame(t, all).map_err(in_dir);
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
                    "{} scenarios of {}; wrote {n} files to {}",
                    runs.len(),
                    d.name,
                    out.out.display()
                ));
            }
            exits_with_process((runs, loaded, set));
            Ok(())
        }
    }
}

/// Writes `frames` as CSV into `--csv DIR` (all or none) and as the workbook `--xlsx FILE`,
/// when asked; `command` and `what` go on the workbook's `overview` sheet.
fn write_copies<N: AsRef<str>>(
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
            ("input".to_string(), what.to_string()),
            (
                "ipabs version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
            (
                "money".to_string(),
                "yuan, to the fen; the Parquet files are the exact record".to_string(),
            ),
        ];
        output::xlsx::write_xlsx(file, &info, frames)?;
    }
    Ok(())
}

/// How a command's work is split: threads on this machine, and the shard of the whole it runs.
#[derive(Debug, Clone, Copy)]
struct Split {
    threads: Option<usize>,
    shard: Option<Shard>,
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
    refuse_copies(copy, out, &names)?;
    let named = pf::deal_paths(args)?;
    let scenarios = scenarios.or(named.cohort_scenarios.as_deref());
    // Every deal is loaded (and checked) by every shard; each runs its own block.
    let mut deals = pf::load_deals(&named.deals, scenarios, stress)?;
    // Every partition directory can be made: checked before anything runs.
    for d in &deals {
        for s in &d.set.scenarios {
            if let Some(problem) = crate::output::portfolio::partition_key_problem(&d.id, &s.name) {
                return Err(Error::Usage(problem));
            }
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
        print_warnings(&d.set.warnings);
        load_warnings += d.loaded.warnings.len() + d.set.warnings.len();
    }
    strict_check(strict, load_warnings)?;
    let _lock = lock_output_shard(out, shard)?;
    refuse_files(out, &[deals_file.as_str(), warnings_file.as_str()])?;
    let result = pf::run_portfolio(&deals, threads, !out.quiet)?;
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
            "{} deals, {runs} runs; wrote {n} files to {}",
            deals.len(),
            out.out.display()
        ));
    }
    Ok(())
}

/// Locks the output directory for this run (refusing a second concurrent run) and makes
/// SIGINT and SIGTERM remove the run's temporary files (docs/output.md, "Output safety").
/// `ipabs reconcile`.
fn reconcile_command(
    deal: &Path,
    actuals: &Path,
    scenario: Option<&Path>,
    out: &OutArgs,
    strict: bool,
) -> Result<()> {
    use crate::output::reconcile::{
        IN_LIFE_FILE, RECONCILIATION_FILE, art39_text, differences_text, in_life_frame,
        reconciliation_frame,
    };
    let files: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .chain([RECONCILIATION_FILE, IN_LIFE_FILE])
        .collect();
    refuse_files(out, &files)?;
    let (loaded, set) = load(deal, scenario)?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    let [scenario] = set.scenarios.as_slice() else {
        return Err(Error::Usage(format!(
            "reconcile projects the rest of the deal under one scenario, and the scenario \
             file has {}; keep one",
            set.scenarios.len()
        )));
    };
    let d = &loaded.deal;
    let actuals = validate::load_actuals(actuals, d)?;
    print_warnings(&actuals.warnings);
    strict_check(
        strict,
        loaded.warnings.len() + set.warnings.len() + actuals.warnings.len(),
    )?;
    let _lock = lock_output(out)?;
    let rec = crate::analytics::reconcile::reconcile(d, scenario, &actuals)?;
    print_warnings(&rec.run.warnings);
    strict_check(strict, rec.run.warnings.len())?;
    let lines = rec.lines.clone();
    let in_life = rec.in_life.clone();
    let diffs = differences_text(&rec);
    let differing = rec.differences().count();
    let priced = crate::analytics::measures::price_run(d, rec.run, &set.pricing);
    let runs = [priced];
    let frames = output::run_frames(&RunTable::ALL, &runs).and_then(|mut f| {
        f.push((RECONCILIATION_FILE, reconciliation_frame(&d.name, &lines)?));
        f.push((
            IN_LIFE_FILE,
            in_life_frame(&d.name, &scenario.name, &in_life)?,
        ));
        Ok(f)
    });
    output::write_frames(&out.out, frames)?;
    if !out.quiet {
        out_line(&output::table::summary_table(&runs[0]));
        for line in in_life.iter().filter_map(art39_text) {
            out_line(&line);
        }
        out_line(&format!(
            "reconciled {} line(s) of {} payment date(s): {differing} differ; wrote {} files to {}",
            lines.len(),
            actuals.len(),
            files.len(),
            out.out.display()
        ));
    }
    if differing > 0 {
        out_line(diffs.trim_end());
        return Err(Error::Differences(format!(
            "{differing} reported line(s) differ from the waterfall (listed above; every line \
             is in {})",
            out.out.join(RECONCILIATION_FILE).display()
        )));
    }
    Ok(())
}

/// `--csv`, `--xlsx` and `--html` copy a whole result; a shard holds only part of one.
/// Refuses `breakeven --stress concentration` or `all` (exit code 2): the concentration
/// stresses default named obligors, and a break-even search replaces every default of its
/// scenario by its own default rate, so their rows would repeat the base's
/// (docs/breakeven.md).
fn no_concentration_breakeven(stress: Option<StressSuite>) -> Result<()> {
    match stress {
        Some(s @ (StressSuite::Concentration | StressSuite::All)) => Err(Error::Usage(format!(
            "breakeven --stress {s}: the concentration stresses default named obligors, and a \
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
fn stress_suite(
    stress: Option<StressSuite>,
    on: Option<StressBase>,
) -> Result<Option<(StressSuite, StressBase)>> {
    match (stress, on) {
        (None, Some(base)) => Err(Error::Usage(format!(
            "--stress-on {} says what a stress suite is built on, but no --stress names \
             one; add --stress standard (or concentration, all), or drop --stress-on",
            base.name()
        ))),
        (stress, on) => Ok(stress.map(|s| (s, on.unwrap_or_default()))),
    }
}

fn no_copies_with_shard(shard: Option<Shard>, copy: &CopyArgs) -> Result<()> {
    if shard.is_some() && (copy.csv.is_some() || copy.xlsx.is_some() || copy.html.is_some()) {
        return Err(Error::Usage(
            "--shard writes part of a dataset; --csv, --xlsx and --html need the whole result \
             (run them on one machine, or read the merged dataset: docs/scale-out.md)"
                .into(),
        ));
    }
    Ok(())
}

/// Refuses, before anything runs (exit code 2), a copy that would replace a file it should
/// not (docs/output.md, "Single-file results"): an `--xlsx` or `--html` path that is a
/// directory, one of the result files `names` the command writes into `--out` or `--csv` (even
/// with `--force`), or the other copy's path; and without `--force`, an existing file at either
/// path or an existing `--csv` file of `names`, as `--out`'s results are refused.
fn refuse_copies(copy: &CopyArgs, out: &OutArgs, names: &[&str]) -> Result<()> {
    let csv_names: Vec<String> = names.iter().map(|n| output::csv::csv_name(n)).collect();
    let mut ours: Vec<PathBuf> = names.iter().map(|n| out.out.join(n)).collect();
    if let Some(dir) = &copy.csv {
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
    let files = [("--xlsx", &copy.xlsx), ("--html", &copy.html)];
    let files: Vec<(&str, &PathBuf)> = files
        .iter()
        .filter_map(|(flag, f)| f.as_ref().map(|f| (*flag, f)))
        .collect();
    for &(flag, file) in &files {
        if file.is_dir() {
            return Err(Error::Usage(format!(
                "{flag} {} is a directory; give the path of a file",
                file.display()
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
        if !out.force && file.exists() {
            return Err(Error::Usage(format!(
                "{} already exists; pass --force to replace it, or choose another {flag} path",
                file.display()
            )));
        }
    }
    if let [(_, a), (_, b)] = files.as_slice()
        && same_place(a, b)
    {
        return Err(Error::Usage(format!(
            "--xlsx and --html both name {}; give each its own file",
            a.display()
        )));
    }
    Ok(())
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
fn load_warnings_of(shard: Option<Shard>, loaded: &Loaded, set: &ScenarioSet) -> Vec<Warning> {
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
fn lock_output_shard(out: &OutArgs, shard: Option<Shard>) -> Result<OutputLock> {
    match shard {
        None => lock_output(out),
        Some(s) => {
            guard::on_signals()?;
            OutputLock::acquire(&out.out.join(s.lock_dir()))
        }
    }
}

/// `sweep`'s refusal to replace results, for the whole run or one shard.
fn refuse_sweep_overwrite(out: &OutArgs, shard: Option<Shard>) -> Result<()> {
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

fn lock_output(out: &OutArgs) -> Result<OutputLock> {
    guard::on_signals()?;
    OutputLock::acquire(&out.out)
}

/// Refuses to replace `breakeven.parquet` unless `--force` is set.
fn refuse_breakeven_overwrite(out: &OutArgs, shard: Option<Shard>) -> Result<()> {
    refuse_out_file(&out.out)?;
    let existing: Vec<String> = [BREAKEVEN_FILE, WARNINGS_FILE]
        .into_iter()
        .map(|f| shard::file_name(shard, f))
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
fn result_names() -> Vec<&'static str> {
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
    Ok(())
}

/// Refuses to replace `files` in `out` unless `force`.
fn refuse_files(out: &OutArgs, files: &[&str]) -> Result<()> {
    refuse_out_file(&out.out)?;
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

/// The pool's default model, simulation and TDRs for `rate` and `size`.
struct Rated {
    loaded: Loaded,
    set: ScenarioSet,
    pool: rating::Pool,
    sim: rating::Simulation,
    tdrs: Vec<rating::RatingTdr>,
}

/// Which paths `rate` simulates: all of them, a shard's block (`--shard`), or none, adding up
/// the shards' patterns instead (`--merge`).
enum Paths {
    All,
    Shard(Shard),
    Merge(PathBuf),
}

/// How `rate` gets the distinct patterns' waterfall outcomes: by running every pattern, by
/// running a block of them and writing only their outcomes (`--waterfall-shard`), or by
/// reading the shards' outcomes (`--outcomes`).
enum Outcomes {
    Run,
    Shard(Shard),
    Merge(PathBuf),
}

fn simulate_pool(
    deal: &Path,
    scenarios: Option<&Path>,
    paths: u64,
    seed: u64,
    progress: bool,
) -> Result<Rated> {
    simulate_paths(deal, scenarios, paths, seed, progress, &Paths::All)
}

fn simulate_paths(
    deal: &Path,
    scenarios: Option<&Path>,
    paths: u64,
    seed: u64,
    progress: bool,
    source: &Paths,
) -> Result<Rated> {
    let (loaded, set) = load(deal, scenarios)?;
    print_warnings(&loaded.warnings);
    let d = &loaded.deal;
    let credits = validate::load_obligor_credit(deal, d, &set.rating_model.pd)?;
    let pool = rating::pool(d, credits, &set.rating_model, seed)?;
    let sim = match source {
        Paths::All => {
            let bar = sweep::progress_bar(paths, progress);
            let sim = rating::simulate(&pool, paths, &|k| bar.inc(k));
            bar.finish_and_clear();
            sim
        }
        Paths::Shard(s) => {
            let block = s.range(paths);
            let bar = sweep::progress_bar(block.end - block.start, progress);
            let sim = rating::simulate_range(&pool, block, &|k| bar.inc(k));
            bar.finish_and_clear();
            sim
        }
        Paths::Merge(dir) => crate::output::shards::merge_patterns(dir, seed, paths)?,
    };
    let tdrs = rating::tdrs(d, &pool, &sim, &set.rating_model);
    Ok(Rated {
        loaded,
        set,
        pool,
        sim,
        tdrs,
    })
}

fn rate_command(
    deal: &Path,
    scenarios: Option<&Path>,
    (paths, seed): (u64, u64),
    threads: Option<usize>,
    (source, waterfall): (Paths, Outcomes),
    out: &OutArgs,
) -> Result<()> {
    use crate::output::rating as o;
    use crate::output::shards::{
        OUTCOMES_FILE, PATTERNS_FILE, merge_outcomes, outcomes_frame, patterns_frame,
    };
    let input = (deal, scenarios);
    if let Paths::Shard(s) = source {
        let shard = (&source, s, PATTERNS_FILE);
        return write_rate_shard(input, (paths, seed), threads, shard, out, |r, _| {
            let line = format!(
                "shard {s}: {} of {paths} paths, {} distinct default patterns",
                r.sim.paths,
                r.sim.patterns.len()
            );
            Ok((patterns_frame(&r.sim, seed, paths)?, line))
        });
    }
    if let Outcomes::Shard(s) = waterfall {
        let shard = (&source, s, OUTCOMES_FILE);
        return write_rate_shard(input, (paths, seed), threads, shard, out, |r, progress| {
            let d = &r.loaded.deal;
            let all: Vec<&rating::Pattern> = r.sim.patterns.keys().collect();
            let block = s.slice(&all);
            let bar = sweep::progress_bar(block.len() as u64, progress);
            let outcomes =
                rating::pattern_outcomes(d, &r.pool, &d.scenario, block, &|k| bar.inc(k))?;
            bar.finish_and_clear();
            let frame = outcomes_frame(d, block, &outcomes, (seed, paths, all.len()))?;
            let line = format!(
                "waterfall shard {s}: {} of {} distinct default patterns",
                block.len(),
                all.len()
            );
            Ok((frame, line))
        });
    }
    refuse_files(
        out,
        &[o::DISTRIBUTION_FILE, o::RATING_FILE, o::MC_TRANCHES_FILE],
    )?;
    let progress = !out.quiet;
    sweep::in_pool(threads, || -> Result<()> {
        let r = simulate_paths(deal, scenarios, paths, seed, progress, &source)?;
        let d = &r.loaded.deal;
        let rows = rating::rating_rows(d, &r.set.scenarios, &r.tdrs)?;
        let mc = match &waterfall {
            Outcomes::Merge(dir) => rating::aggregate_outcomes(
                d,
                &r.sim,
                &merge_outcomes(dir, d, &r.sim, (seed, paths))?,
                &r.set.rating_model.pd,
            ),
            _ => {
                let bar = sweep::progress_bar(r.sim.patterns.len() as u64, progress);
                let mc = rating::through_waterfall(
                    d,
                    &r.pool,
                    &d.scenario,
                    &r.sim,
                    &r.set.rating_model.pd,
                    &|k| bar.inc(k),
                )?;
                bar.finish_and_clear();
                mc
            }
        };
        let dist = rating::distribution(&r.pool, &r.sim);
        let frames = vec![
            (o::DISTRIBUTION_FILE, o::distribution_frame(&d.name, &dist)?),
            (o::RATING_FILE, o::rating_frame(&rows)?),
            (o::MC_TRANCHES_FILE, o::mc_frame(&mc)?),
        ];
        output::write_tables(&out.out, frames)?;
        if !out.quiet {
            out_line(&o::rate_table(
                &d.name,
                r.pool.wa_term,
                paths,
                &r.tdrs,
                &rows,
                &mc,
            ));
            out_line(&format!("wrote 3 files to {}", out.out.display()));
        }
        Ok(())
    })?
}

/// Writes one `rate` shard, table `name` (`--shard`'s patterns, `--waterfall-shard`'s
/// outcomes): refuses to replace the shard's file, simulates (or merges) the paths in the
/// thread pool, lets `table` make the frame and its summary line (given the progress flag)
/// and writes it under the shard's lock.
fn write_rate_shard(
    (deal, scenarios): (&Path, Option<&Path>),
    (paths, seed): (u64, u64),
    threads: Option<usize>,
    (source, shard, name): (&Paths, Shard, &str),
    out: &OutArgs,
    table: impl FnOnce(&Rated, bool) -> Result<(polars::prelude::DataFrame, String)> + Send,
) -> Result<()> {
    let file = shard.file(name);
    refuse_files(out, &[file.as_str()])?;
    let progress = !out.quiet;
    sweep::in_pool(threads, || -> Result<()> {
        let r = simulate_paths(deal, scenarios, paths, seed, progress, source)?;
        let (frame, line) = table(&r, progress)?;
        let _lock = lock_output_shard(out, Some(shard))?;
        output::write_tables(&out.out, vec![(file.clone(), frame)])?;
        if !out.quiet {
            out_line(&format!("{line}; wrote {}", out.out.join(&file).display()));
        }
        Ok(())
    })?
}

/// The options of `ipabs size` besides the deal, scenarios and output.
struct SizeArgs {
    targets: Vec<String>,
    min_coverage: Option<rust_decimal::Decimal>,
    step: rust_decimal::Decimal,
    free_issue_size: bool,
    paths: u64,
    seed: u64,
    threads: Option<usize>,
}

fn size_command(deal: &Path, scenarios: Option<&Path>, a: SizeArgs, out: &OutArgs) -> Result<()> {
    use crate::analytics::rating::size::{SizeOptions, size};
    use crate::output::rating as o;
    let stem = deal
        .file_stem()
        .map_or_else(|| "deal".to_string(), |s| s.to_string_lossy().into_owned());
    let sized_name = format!("{stem}.sized.toml");
    refuse_files(out, &[o::SIZE_STEPS_FILE, sized_name.as_str()])?;
    if a.step <= rust_decimal::Decimal::ZERO || !crate::money::is_fen(a.step) {
        return Err(Error::Usage(format!(
            "--step {}: expected a positive amount in whole fen, e.g. 10000",
            a.step
        )));
    }
    // A coverage multiple of 10 or more is a percentage typed for a multiple (120 for 1.2×):
    // no deal covers its senior ten times (the `coverage_below` range is 0.8–3, errors.md).
    if let Some(m) = a.min_coverage
        && (m <= rust_decimal::Decimal::ZERO || m >= rust_decimal::Decimal::TEN)
    {
        return Err(Error::Usage(format!(
            "--min-coverage {m}: expected a positive multiple below 10, e.g. 1.2 for 1.2× (not \
             120 for 120%)"
        )));
    }
    let progress = !out.quiet;
    sweep::in_pool(a.threads, || -> Result<()> {
        let r = simulate_pool(deal, scenarios, a.paths, a.seed, progress)?;
        let d = &r.loaded.deal;
        let mut targets = Vec::new();
        for t in &a.targets {
            let Some((name, rating)) = t.split_once('=') else {
                return Err(Error::Usage(format!(
                    "--target {t}: expected TRANCHE=RATING, e.g. A=AAA"
                )));
            };
            let i = d
                .tranches
                .iter()
                .position(|x| x.name == name.trim())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--target {t}: the deal has no tranche `{}` (it has {})",
                        name.trim(),
                        d.tranches
                            .iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            if targets.iter().any(|(j, _)| *j == i) {
                return Err(Error::Usage(format!(
                    "--target {t}: tranche targeted twice"
                )));
            }
            targets.push((i, rating.trim().to_string()));
        }
        let opts = SizeOptions {
            targets,
            min_coverage: a.min_coverage,
            step: a.step,
            free_issue_size: a.free_issue_size,
        };
        let result = size(d, &r.set.scenarios, &r.tdrs, &opts)?;
        let balances: Vec<(String, rust_decimal::Decimal)> = result
            .deal
            .tranches
            .iter()
            .zip(&d.tranches)
            .filter(|(new, old)| new.balance != old.balance)
            .map(|(new, _)| (new.name.clone(), new.balance))
            .collect();
        let original = std::fs::read_to_string(deal).map_err(|e| Error::Read {
            path: deal.to_path_buf(),
            source: e,
        })?;
        let text = o::sized_deal_text(&deal.display().to_string(), &original, &balances)?;
        // The sized file must load as a deal before anything is written.
        validate::deal_from_str(&sized_name, &text)?;
        output::write_tables(
            &out.out,
            vec![(o::SIZE_STEPS_FILE, o::size_steps_frame(&result.steps)?)],
        )?;
        output::write_text(&out.out.join(&sized_name), &text)?;
        if !out.quiet {
            out_line(&o::size_table(&result.steps, &result.sized));
            out_line(&format!(
                "wrote {} and {} to {}",
                o::SIZE_STEPS_FILE,
                sized_name,
                out.out.display()
            ));
        }
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command run through `run_args` (the Python package's entry point, in a process that
    /// goes on) frees its results: only `main`, whose process ends with the command, leaves
    /// them to the process's end.
    #[test]
    fn an_embedded_command_frees_its_results() {
        let _ = run_args(["ipabs", "--version"]);
        assert!(!EXITS_AFTER_COMMAND.load(Ordering::Relaxed));
        let results = std::rc::Rc::new(vec![0u8; 1024]);
        exits_with_process(std::rc::Rc::clone(&results));
        assert_eq!(
            std::rc::Rc::strong_count(&results),
            1,
            "the clone was dropped"
        );
    }
}

//! The command line: `ipabs run`, `ipabs sweep`, `ipabs breakeven`, `ipabs rate`, `ipabs size`,
//! `ipabs portfolio`, `ipabs reconcile`, `ipabs notice`, `ipabs schema`, `ipabs check`.
//!
//! Exit codes: 0 success; 2 bad input or usage (the message names file, line, column and key);
//! 1 output could not be written; 3 internal error (a bug: cash not conserved, …); 4 reconcile
//! found reported lines that differ from the waterfall.
//!
//! One module per command (`run`, `sweep`, …: its arguments and its body); `args` holds the
//! command enum and the option groups the commands share, `console` what they print, and
//! `outdir` what they write and refuse to replace.

mod args;
mod breakeven;
mod check;
mod console;
mod deal_files;
mod notice;
mod outdir;
mod portfolio;
mod rate;
mod reconcile;
mod run;
mod size;
mod sweep;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Error, Result};
use crate::scenario::ScenarioSet;
use crate::validate::{self, Loaded};
pub use args::{Cli, Command, CopyArgs, McArgs, OutArgs};
use console::err_line;

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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    set_command_line(&args);
    let cli = match Cli::try_parse_from(args) {
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
    let cli = parse(args)?;
    execute(cli.command, cli.strict)
}

/// Parses a command line (the program first) and keeps it as this thread's; a usage error of
/// clap is [`Error::Usage`].
fn parse<I, T>(args: I) -> Result<Cli>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    set_command_line(&args);
    // clap's text starts with its own `error: `, which the usage error's display adds again
    // (review 34g item L3: "error: error: unexpected argument" in Python).
    Cli::try_parse_from(args).map_err(|e| {
        let text = e.to_string();
        Error::Usage(
            text.strip_prefix("error: ")
                .map_or_else(|| text.clone(), str::to_string),
        )
    })
}

/// The Markdown that `ipabs notice` prints for `args` (the program first, then `notice` and
/// its arguments), as a string: the Python package's `Deal.notice`. Any other command is a
/// usage error.
pub fn notice_of_args<I, T>(args: I) -> Result<String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = parse(args)?;
    match cli.command {
        Command::Notice(a) => notice::markdown(a, cli.strict),
        _ => Err(Error::Usage(
            "notice_of_args runs `notice` only; run the other commands with run_args".into(),
        )),
    }
}

thread_local! {
    /// The command line of the command running on this thread ([`command_line`]).
    static COMMAND_LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Keeps `args` (the program first) as this thread's command line, for the workbook's
/// overview.
fn set_command_line(args: &[std::ffi::OsString]) {
    let line = command_line_of(args);
    COMMAND_LINE.with(|c| *c.borrow_mut() = line);
}

/// `ipabs` and the arguments after the program, each quoted as a shell would need it (review
/// 35e item 5: a workbook did not say which scenario file, Monte Carlo scenario, paths or seed
/// made it).
fn command_line_of(args: &[std::ffi::OsString]) -> String {
    let quote = |a: &std::ffi::OsString| {
        let a = a.to_string_lossy();
        let plain = !a.is_empty()
            && a.chars()
                .all(|c| c.is_alphanumeric() || "-_./=:,+@%".contains(c) || !c.is_ascii());
        if plain {
            a.into_owned()
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        }
    };
    std::iter::once("ipabs".to_string())
        .chain(args.iter().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod command_line_tests {
    use super::command_line_of;

    /// The program is written `ipabs`; plain arguments as they are (a Chinese name too); an
    /// argument with a space, a quote or nothing in it, single-quoted as a shell needs it.
    #[test]
    fn the_command_line_is_quoted_as_a_shell_needs_it() {
        let args: Vec<std::ffi::OsString> = [
            "/usr/bin/ipabs",
            "rate",
            "deals/南山.toml",
            "--mc-scenario",
            "pool alone",
            "--seed",
            "7",
            "",
            "it's",
        ]
        .iter()
        .map(Into::into)
        .collect();
        assert_eq!(
            command_line_of(&args),
            "ipabs rate deals/南山.toml --mc-scenario 'pool alone' --seed 7 '' 'it'\\''s'"
        );
    }
}

/// The command line of the command running on this thread (`ipabs rate deal.toml --paths
/// 1000 …`), as [`main`] or [`run_args`] received it.
pub(super) fn command_line() -> String {
    COMMAND_LINE.with(|c| c.borrow().clone())
}

/// [`crate::sweep::in_pool`] with this thread's command line kept for `work`, which runs on a
/// worker of the pool: the workbook's overview reads it there (review 38a item 3: `rate` and
/// `size` wrote an empty `arguments` cell).
pub(super) fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T> {
    let line = command_line();
    crate::sweep::in_pool(threads, move || {
        COMMAND_LINE.with(|c| *c.borrow_mut() = line);
        work()
    })
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
    load_source(deal, scenario_file).map(|(_, loaded, set)| (loaded, set))
}

/// [`load`], with the deal file's text as it was read, once: a command that reads more from
/// the deal (the obligors' credit tags, the text `size` rewrites) reads it from the same text,
/// not from a file that may have changed since it was validated (review 32d item 5).
pub(super) fn load_source(
    deal: &Path,
    scenario_file: Option<&Path>,
) -> Result<(String, Loaded, ScenarioSet)> {
    let source = validate::read_input(deal)?;
    let loaded = validate::deal_from_str(&deal.display().to_string(), &source)?;
    if let Some(after) = AFTER_LOAD.get()
        && std::fs::metadata(deal).is_ok_and(|m| m.len() >= AFTER_LOAD_MIN_BYTES)
    {
        after();
    }
    let set = match scenario_file {
        Some(p) => {
            let mut set = validate::load_scenario_set(p, &loaded.deal)?;
            // The deal's own search warnings that are about the deal, not its [scenario].
            set.search_warnings.extend(
                loaded
                    .search_warnings
                    .iter()
                    .filter(|w| w.check == crate::error::Check::RevolvingDefaults)
                    .cloned(),
            );
            set
        }
        None => ScenarioSet {
            // The deal's own scenario runs: its searches' warnings are the deal file's.
            search_warnings: loaded.search_warnings.clone(),
            ..ScenarioSet::single(loaded.deal.scenario.clone())
        },
    };
    Ok((source, loaded, set))
}

/// The one scenario of `set` for a command that runs one (`notice`, `reconcile`); a file with
/// several (or a grid of several points) is a usage error naming the file and its scenarios
/// (review 29a item 3: the file was not named).
pub(super) fn one_scenario<'a>(
    what: &str,
    file: Option<&Path>,
    set: &'a ScenarioSet,
) -> Result<&'a crate::scenario::Scenario> {
    match set.scenarios.as_slice() {
        [one] => Ok(one),
        many => Err(Error::Usage(format!(
            "{}: {what}, and the file makes {} ({}); keep one [[scenarios]] entry (or one \
             [grid] point), or pass the deal's own [scenario] by leaving --scenario out",
            file.map_or_else(|| "--scenario".to_string(), |f| f.display().to_string()),
            many.len(),
            crate::error::clip(
                &many
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ))),
    }
}

/// [`load`] for the commands that search break-evens (`breakeven`, `rate`, `size`): prints the
/// deal's and the scenario file's warnings and the searches' own (`search_drops_defaults`);
/// under `--strict` any is an error, before anything runs. Then adds the stress suite to the
/// scenarios. `monte_carlo`: the command runs Monte Carlo paths (`rate`, `size`), which the
/// deal-level `revolving_defaults` warning is about; `breakeven` leaves it out.
pub(super) fn load_for_search(
    deal: &Path,
    scenarios: Option<&Path>,
    stress: Option<(StressSuite, StressBase)>,
    (strict, monte_carlo, quiet): (bool, bool, bool),
) -> Result<(String, Loaded, ScenarioSet)> {
    let (source, loaded, mut set) = load_source(deal, scenarios)?;
    if !monte_carlo {
        set.search_warnings
            .retain(|w| w.check != crate::error::Check::RevolvingDefaults);
    }
    console::print_warnings(&loaded.warnings);
    console::print_warnings(&set.warnings);
    console::print_warnings(&set.search_warnings);
    let told = loaded.warnings.len() + set.warnings.len() + set.search_warnings.len();
    console::strict_check(strict, told)?;
    if let Some((suite, base)) = stress {
        for note in suite.add_to(&loaded.deal, &mut set.scenarios, base)? {
            if !quiet {
                console::err_line(&note);
            }
        }
    }
    Ok((source, loaded, set))
}

fn execute(cmd: Command, strict: bool) -> Result<()> {
    match cmd {
        Command::Run(a) => run::command(a, strict),
        Command::Sweep(a) => sweep::command(a, strict),
        Command::Breakeven(a) => breakeven::command(a, strict),
        Command::Rate(a) => rate::command(a, strict),
        Command::Size(a) => size::command(a, strict),
        Command::Portfolio(a) => portfolio::command(a, strict),
        Command::Reconcile(a) => reconcile::command(a, strict),
        Command::Notice(a) => notice::command(a, strict),
        Command::Check(a) => check::command(a, strict),
        Command::Schema { format } => {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                crate::json_schema::schema_text(format)
            );
            Ok(())
        }
    }
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

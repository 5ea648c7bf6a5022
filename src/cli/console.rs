//! What a command prints: lines on the terminal (control characters escaped), its warnings,
//! `--strict`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result, Warning};
use crate::sweep::Progress;

/// A progress bar on stderr ([`Progress`]), drawn only when `wanted` and stderr is a terminal;
/// `what` names the units (`scenarios`, `paths`).
pub(super) struct Bar(ProgressBar);

impl Bar {
    pub(super) fn new(wanted: bool, what: &str) -> Bar {
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(0);
        let template = format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what} ({{eta}})");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }

    /// A bar of `len` units, started.
    pub(super) fn of(len: u64, wanted: bool, what: &str) -> Bar {
        let bar = Bar::new(wanted, what);
        bar.start(len);
        bar
    }
}

impl Progress for Bar {
    fn start(&self, len: u64) {
        self.0.set_length(len);
    }
    fn inc(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Prints a line on stdout; a closed pipe (`ipabs … | head`) is not an error. Control
/// characters (from names in the deal) are escaped, never sent to the terminal.
pub(super) fn out_line(text: &str) {
    let _ = writeln!(std::io::stdout(), "{}", terminal_safe(text));
}

/// Prints a line on stderr; a closed pipe is not an error.
pub(super) fn err_line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}", terminal_safe(text));
}

/// `text` with every control character but newline and tab escaped.
fn terminal_safe(text: &str) -> String {
    crate::error::escape_controls(text.chars())
}

pub(super) fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        err_line(&w.to_string());
    }
}

/// Under `--strict`, any warning is an error (exit code 2, nothing written).
pub(super) fn strict_check(strict: bool, count: usize) -> Result<()> {
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
pub(super) fn print_warning_counts(runs: &[(&str, &[Warning])], file: Option<&Path>) {
    print_warning_lines(runs, file, ("scenario", "scenario(s)"));
}

/// [`print_warning_counts`] for runs named by `noun` (singular, plural): a portfolio's
/// `deal/scenario`. Each line points to `file`, the warnings table about to be written; under
/// `--strict` (`None`) nothing will be, and the lines say so.
pub(super) fn print_warning_lines(
    runs: &[(&str, &[Warning])],
    file: Option<&Path>,
    noun: (&str, &str),
) {
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

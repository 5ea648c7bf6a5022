//! Errors, and the exit codes they map to.
//!
//! * [`Error::Input`]: the deal or scenario file is wrong. Each [`InputError`] names the file,
//!   the line and column, the key path, what was wrong and what was expected. Exit code 2.
//! * [`Error::Io`]: a file could not be read or written. Exit code 1 (2 when it is an input file).
//! * [`Error::Internal`]: the engine broke one of its own invariants (for example, cash was not
//!   conserved). This is a bug in ipabs, never a user mistake. Exit code 3.

use std::fmt;
use std::path::PathBuf;

/// One problem in an input file, located to a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line; 0 when the problem has no location (e.g. an empty file).
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Dotted key path, e.g. `tranches[1].balance` (array indices are 0-based). Empty for the
    /// document root.
    pub key_path: String,
    /// What was wrong.
    pub problem: String,
    /// What was expected instead.
    pub expected: String,
    /// The offending source line, for display.
    pub source_line: Option<String>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.key_path.is_empty() {
            "(document)"
        } else {
            &self.key_path
        };
        write!(
            f,
            "error: {}:{}:{}: {}: {}",
            self.file, self.line, self.column, key, self.problem
        )?;
        if !self.expected.is_empty() {
            write!(f, "\n  expected: {}", self.expected)?;
        }
        if let Some(src) = &self.source_line {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad = " ".repeat(self.column.saturating_sub(1));
            write!(f, "\n {pad} |\n {gutter} | {src}\n {pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

/// A non-fatal finding, reported separately from errors: the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where, when it comes from an input file: `file:line:column: key`; empty otherwise.
    pub location: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "warning: {}", self.message)
        } else {
            write!(f, "warning: {}: {}", self.location, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in an input file.
    #[error("{}", render_input(.0))]
    Input(Vec<InputError>),
    /// Reading an input file failed.
    #[error("error: cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing output failed; nothing was left half-written.
    #[error("error: cannot write {}: {message}", .path.display())]
    Write { path: PathBuf, message: String },
    /// Bad command-line usage that clap cannot catch (e.g. an existing output directory).
    #[error("error: {0}")]
    Usage(String),
    /// An engine invariant failed. This is a bug in ipabs; please report it with the deal file.
    #[error("internal error (a bug in ipabs, please report it with the deal file): {0}")]
    Internal(String),
}

fn render_input(errors: &[InputError]) -> String {
    let mut out = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&e.to_string());
    }
    if errors.len() > 1 {
        out.push_str(&format!("\n\n{} errors", errors.len()));
    }
    out
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Read { .. } | Error::Usage(_) => 2,
            Error::Write { .. } => 1,
            Error::Internal(_) => 3,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The kinds of input file, told apart by their top-level tables, so that a file given in the
//! wrong place (a scenario file as the deal, a deal as the actuals) is named as what it is
//! instead of getting one "unknown key" error per table.

use toml::de::DeTable;

use super::spans::SourceIndex;
use crate::error::InputError;

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// A deal file: `[deal]`.
    Deal,
    /// A scenario file: `[[scenarios]]` or `[grid]`.
    Scenarios,
    /// An actuals file: `[actuals]` or `[[periods]]`.
    Actuals,
    /// A cohort file: `[cohort]`.
    Cohort,
}

impl FileKind {
    /// In the order they are recognised: a deal file has `[deal]` whatever else it holds.
    const ALL: [FileKind; 4] = [
        FileKind::Deal,
        FileKind::Cohort,
        FileKind::Actuals,
        FileKind::Scenarios,
    ];

    /// The top-level keys that mark a file of this kind.
    fn markers(self) -> &'static [&'static str] {
        match self {
            FileKind::Deal => &["deal"],
            FileKind::Scenarios => &["scenarios", "grid"],
            FileKind::Actuals => &["actuals", "periods"],
            FileKind::Cohort => &["cohort"],
        }
    }

    fn what(self) -> &'static str {
        match self {
            FileKind::Deal => "a deal file",
            FileKind::Scenarios => "a scenario file",
            FileKind::Actuals => "an actuals file",
            FileKind::Cohort => "a cohort file",
        }
    }

    /// Where a file of this kind goes on the command line.
    fn usage(self) -> &'static str {
        match self {
            FileKind::Deal => "a deal file is the DEAL argument of a command",
            FileKind::Scenarios => {
                "a scenario file goes after --scenarios (run, sweep, breakeven, rate, size, \
                 portfolio, check) or --scenario (reconcile, notice)"
            }
            FileKind::Actuals => "an actuals file goes after --actuals (reconcile, notice)",
            FileKind::Cohort => "a cohort file goes to `ipabs portfolio`",
        }
    }
}

/// When a file that should be of kind `expected` failed to load and is recognisably another
/// kind of file: one error, at the key that marks it, saying what it is and where it goes.
/// None when the file does not parse as TOML or is of no other kind.
pub(crate) fn instead(file: &str, text: &str, expected: FileKind) -> Option<InputError> {
    let table = DeTable::parse(text).ok()?;
    let (kind, marker) = FileKind::ALL.into_iter().find_map(|k| {
        k.markers()
            .iter()
            .find(|m| {
                table
                    .get_ref()
                    .keys()
                    .any(|key| key.get_ref().as_ref() == **m)
            })
            .map(|m| (k, *m))
    })?;
    if kind == expected {
        return None;
    }
    let index = SourceIndex::of_table(file, text, &table);
    let offset = index.key_offset(marker).unwrap_or(0);
    Some(index.error_at(
        offset,
        marker,
        format!(
            "this is {} (it has `{marker}`), not {}",
            kind.what(),
            expected.what()
        ),
        format!("{}; {}", expected.what(), kind.usage()),
    ))
}

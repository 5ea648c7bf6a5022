//! From raw files ([`crate::schema`]) to the validated [`Deal`] and [`Scenario`]s.
//!
//! Syntax and type errors stop at the first one (toml and serde do). Every semantic check
//! after that runs to the end and all of its errors are reported, each with the file, line,
//! column and key path. The format is documented in `docs/deal-format.md`.

mod accounts;
mod actuals;
mod assets;
mod checks;
mod cohort;
mod dates;
mod deal;
mod fee_schedule;
mod fees;
mod file_kind;
use file_kind::FileKind;
mod floating;
mod liabilities;
mod messages;
mod pieces;
mod reserve;
mod revolving;
mod scenario;
mod spans;
mod waterfalls;

pub use cohort::{COHORT_KEY, Cohort, load_cohort};

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::deal::Deal;
use crate::error::{Check, Error, InputError, Warning};
use crate::money::is_fen;
use crate::rating_model::{CreditCurve, ObligorCredit, PdTable};
use crate::scenario::{Scenario, ScenarioSet};
use crate::schema;
use spans::{Literal, SourceIndex};

/// A validated deal and the warnings found while validating it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub deal: Deal,
    pub warnings: Vec<Warning>,
    /// `search_drops_defaults` warnings of the deal's own `[scenario]`, told only by the
    /// commands that search break-evens ([`crate::scenario::ScenarioSet::search_warnings`]).
    pub search_warnings: Vec<Warning>,
}

/// Validates a deal file's text. `file` is the name used in messages (as the user typed it).
/// A leading UTF-8 byte-order mark is ignored.
pub fn deal_from_str(file: &str, source: &str) -> Result<Loaded, Error> {
    deal_from_text(file, source, pieces::PIECE_BYTES)
}

/// [`deal_from_str`], the file parsed in pieces of about `piece_bytes` when it is large
/// ([`pieces`]).
fn deal_from_text(file: &str, source: &str, piece_bytes: usize) -> Result<Loaded, Error> {
    let text = strip_bom(source);
    if text.trim().is_empty() {
        return Err(Error::Input(vec![empty_file(file, "deal", "[deal]")]));
    }
    let (index, mut raw) = pieces::load_deal(file, text, piece_bytes)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Deal))?;
    let mut ctx = Ctx::new(&index);
    let deal = deal::build(&mut ctx, &mut raw);
    let search_warnings = in_file_order(std::mem::take(&mut ctx.search_warnings));
    ctx.finish(deal).map(|(deal, warnings)| Loaded {
        search_warnings: search_warnings
            .into_iter()
            .filter(|w| !deal.allow.contains(&w.check))
            .collect(),
        deal,
        warnings,
    })
}

/// The error of a file that did not load, or, when it is another kind of file than `expected`
/// (a scenario file given as the deal), one error saying so ([`file_kind::instead`]).
fn of_its_kind(e: Error, file: &str, text: &str, expected: FileKind) -> Error {
    match e {
        Error::Input(_) => {
            file_kind::instead(file, text, expected).map_or(e, |w| Error::Input(vec![w]))
        }
        other => other,
    }
}

/// Reads and validates a deal file.
pub fn load_deal(path: &Path) -> Result<Loaded, Error> {
    let text = read(path)?;
    deal_from_str(&path.display().to_string(), &text)
}

/// Validates an actuals file's text against `deal` (docs/auditing.md).
pub fn actuals_from_str(
    file: &str,
    source: &str,
    deal: &Deal,
) -> Result<crate::actuals::Actuals, Error> {
    let text = strip_bom(source);
    if text.trim().is_empty() {
        return Err(Error::Input(vec![empty_file(
            file,
            "periods",
            "[[periods]]",
        )]));
    }
    let (index, raw) = SourceIndex::load::<schema::ActualsFile>(file, text)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Actuals))?;
    let mut ctx = Ctx::new(&index);
    let actuals = actuals::build(&mut ctx, &raw, deal);
    ctx.silence(&deal.allow);
    ctx.finish(actuals).map(|(mut a, warnings)| {
        a.warnings = warnings;
        a
    })
}

/// Reads and validates an actuals file against `deal`.
pub fn load_actuals(path: &Path, deal: &Deal) -> Result<crate::actuals::Actuals, Error> {
    let text = read(path)?;
    actuals_from_str(&path.display().to_string(), &text, deal)
}

/// Validates a scenario file against `deal`: its listed scenarios followed by its grid's
/// points, the rating table and the pricing inputs (docs/scenarios.md).
pub fn scenario_set_from_str(file: &str, source: &str, deal: &Deal) -> Result<ScenarioSet, Error> {
    let text = strip_bom(source);
    let (index, raw) = SourceIndex::load::<schema::ScenarioFile>(file, text)
        .map_err(|e| of_its_kind(e, file, text, FileKind::Scenarios))?;
    let mut ctx = Ctx::new(&index);
    let set = scenario::build_file(&mut ctx, &raw, deal);
    ctx.silence(&deal.allow);
    ctx.finish(set).map(|(mut s, warnings)| {
        s.warnings = warnings;
        s
    })
}

/// Reads and validates a scenario file against `deal`.
pub fn load_scenario_set(path: &Path, deal: &Deal) -> Result<ScenarioSet, Error> {
    let text = read(path)?;
    scenario_set_from_str(&path.display().to_string(), &text, deal)
}

/// The scenarios of a scenario file ([`scenario_set_from_str`]`.scenarios`).
pub fn scenarios_from_str(file: &str, source: &str, deal: &Deal) -> Result<Vec<Scenario>, Error> {
    scenario_set_from_str(file, source, deal).map(|s| s.scenarios)
}

/// Reads a scenario file and returns its scenarios ([`load_scenario_set`]`.scenarios`).
pub fn load_scenarios(path: &Path, deal: &Deal) -> Result<Vec<Scenario>, Error> {
    load_scenario_set(path, deal).map(|s| s.scenarios)
}

/// Resolves every obligor's credit inputs for the default model (docs/rating.md): its `rating`
/// tag (a label of `table`) or its `pd` tag (a cumulative PD over its exposure term, 0 < pd ≤ 1),
/// and its `region` and `industry` tags. `source` is the text `deal` was loaded from; errors are
/// located in it. A missing or unknown rating is an error naming the obligor.
pub fn obligor_credit_from_str(
    file: &str,
    source: &str,
    deal: &Deal,
    table: &PdTable,
) -> Result<Vec<ObligorCredit>, Error> {
    let text = strip_bom(source);
    let (index, _raw) = pieces::load_deal(file, text, pieces::PIECE_BYTES)?;
    let mut ctx = Ctx::new(&index);
    let labels = table.labels().collect::<Vec<_>>().join(", ");
    let mut out = Vec::with_capacity(deal.obligors.len());
    for (i, o) in deal.obligors.iter().enumerate() {
        let tag = |k: &str| o.tags.get(k).map(|v| v.trim().to_string());
        let curve = match (tag("rating"), tag("pd")) {
            (Some(_), Some(_)) => {
                ctx.err(
                    &format!("obligors[{i}].tags.pd"),
                    format!("obligor `{}` has both a `rating` and a `pd` tag", o.name),
                    "one of them",
                );
                None
            }
            (Some(r), None) => match table.index(&r) {
                Some(x) => Some(CreditCurve::Rating(x)),
                None => {
                    ctx.err(
                        &format!("obligors[{i}].tags.rating"),
                        format!(
                            "obligor `{}` has rating `{r}`, which the PD table does not have",
                            o.name
                        ),
                        format!("one of {labels}"),
                    );
                    None
                }
            },
            (None, Some(p)) => match p.parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 1.0 => Some(CreditCurve::Explicit(v)),
                _ => {
                    ctx.err(
                        &format!("obligors[{i}].tags.pd"),
                        format!("obligor `{}` has pd `{p}`", o.name),
                        "a cumulative default probability over the obligor's term, 0 < pd ≤ 1, \
                         written as a string, e.g. pd = \"0.02\"",
                    );
                    None
                }
            },
            (None, None) => {
                ctx.err(
                    &format!("obligors[{i}].tags.rating"),
                    format!("obligor `{}` has no rating", o.name),
                    format!(
                        "a `rating` tag (one of {labels}) or a `pd` tag, e.g. tags = {{ rating = \"AA\" }}"
                    ),
                );
                None
            }
        };
        if let Some(curve) = curve {
            out.push(ObligorCredit {
                curve,
                region: tag("region"),
                industry: tag("industry"),
            });
        }
    }
    ctx.finish(Some(out)).map(|(v, _)| v)
}

/// Reads `path` and resolves its obligors' credit inputs ([`obligor_credit_from_str`]).
pub fn load_obligor_credit(
    path: &Path,
    deal: &Deal,
    table: &PdTable,
) -> Result<Vec<ObligorCredit>, Error> {
    let text = read(path)?;
    obligor_credit_from_str(&path.display().to_string(), &text, deal, table)
}

/// Largest input file accepted: 64 MiB. A larger file is rejected before it is read, so
/// a wrong path (a disk image, a log) fails at once instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads an input file: a regular file of at most [`MAX_INPUT_BYTES`], in UTF-8. A byte
/// that is not UTF-8 is reported at its line and column.
fn read(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let fail = |source: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let plain = |kind: std::io::ErrorKind, msg: String| fail(std::io::Error::new(kind, msg));
    if path.is_dir() {
        return Err(plain(
            std::io::ErrorKind::IsADirectory,
            "it is a directory; expected a deal or scenario file (TOML)".to_string(),
        ));
    }
    let file = std::fs::File::open(path).map_err(fail)?;
    let too_large = |size: u64| {
        plain(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "the file is {size} bytes, larger than the {} MiB limit for input files",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        )
    };
    if let Ok(meta) = file.metadata()
        && meta.len() > MAX_INPUT_BYTES
    {
        return Err(too_large(meta.len()));
    }
    // Read at most one byte past the limit: a pipe or device has no size to check first.
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let name = path.display().to_string();
        Error::Input(vec![encoding_error(&name, e.as_bytes(), e.utf8_error())])
    })
}

/// Locates the first byte that is not UTF-8.
fn encoding_error(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> InputError {
    let offset = e.valid_up_to();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return InputError {
            file: file.to_string(),
            line: 1,
            column: 1,
            key_path: String::new(),
            problem: "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8"
                .to_string(),
            expected: "a file saved as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)".to_string(),
            source_line: None,
        };
    }
    let bad: Vec<String> = bytes
        .iter()
        .skip(offset)
        .take(e.error_len().unwrap_or(1).max(1))
        .map(|b| format!("0x{b:02X}"))
        .collect();
    let problem = format!(
        "the file is not valid UTF-8: byte {} cannot start or continue a UTF-8 character \
         (GBK, GB18030 and Latin-1 files must be converted)",
        bad.join(" ")
    );
    let text = String::from_utf8_lossy(bytes);
    SourceIndex::error_in_text(
        file,
        &text,
        offset,
        problem,
        "a file saved as UTF-8 (e.g. `iconv -f GB18030 -t UTF-8`)".to_string(),
    )
}

/// The error for a file with nothing in it (or only blanks).
fn empty_file(file: &str, key: &str, example: &str) -> InputError {
    // The page that documents the format.
    let doc = if key == "periods" {
        "docs/auditing.md"
    } else {
        "docs/deal-format.md"
    };
    InputError {
        file: file.to_string(),
        line: 0,
        column: 0,
        key_path: key.to_string(),
        problem: format!("the file is empty: missing required key `{key}`"),
        expected: format!("a TOML file that starts with {example} (see {doc})"),
        source_line: None,
    }
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

/// Earliest date accepted anywhere in a file.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// Latest date accepted anywhere in a file.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};
/// Money amounts must be below this (10^15 yuan).
pub const MAX_MONEY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Validation state: the source index, and the errors and warnings found so far.
pub(crate) struct Ctx<'a> {
    src: &'a SourceIndex<'a>,
    errors: Vec<InputError>,
    warnings: Vec<Located>,
    /// Warnings only some commands tell (`search_drops_defaults`), kept apart.
    search_warnings: Vec<Located>,
}

/// A warning and the byte offset in the file of the key it is about, by which the warnings of a
/// file are told in the file's order.
pub(crate) type Located = (usize, Warning);

/// The warnings in the order of their positions in the file (a stable sort: two warnings about
/// one key keep the order they were found in).
pub(crate) fn in_file_order(mut warnings: Vec<Located>) -> Vec<Warning> {
    warnings.sort_by_key(|(offset, _)| *offset);
    warnings.into_iter().map(|(_, w)| w).collect()
}

/// Which values a number may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Positive,
    NonNegative,
}

impl<'a> Ctx<'a> {
    fn new(src: &'a SourceIndex<'a>) -> Self {
        Ctx {
            src,
            errors: Vec::new(),
            warnings: Vec::new(),
            search_warnings: Vec::new(),
        }
    }

    /// Errors sorted by position, or the value and the warnings.
    fn finish<T>(mut self, value: Option<T>) -> Result<(T, Vec<Warning>), Error> {
        match value {
            Some(v) if self.errors.is_empty() => Ok((v, in_file_order(self.warnings))),
            _ => {
                if self.errors.is_empty() {
                    self.err(
                        "",
                        "the file could not be validated",
                        "a complete file (see docs/deal-format.md)",
                    );
                }
                self.errors.sort_by_key(|e| (e.line, e.column));
                Err(Error::Input(self.errors))
            }
        }
    }

    pub(crate) fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// An error at the value of `path` (or, for a missing key, the enclosing table).
    pub(crate) fn err(
        &mut self,
        path: &str,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) {
        let e = self.src.error(path, problem.into(), expected.into());
        self.errors.push(e);
    }

    /// An error at the key of `path` (a key that should not be there).
    pub(crate) fn key_err(
        &mut self,
        path: &str,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) {
        let e = self.src.key_error(path, problem.into(), expected.into());
        self.errors.push(e);
    }

    /// A warning of kind `check` at the key of `path`.
    pub(crate) fn warn(&mut self, check: Check, path: &str, message: impl Into<String>) {
        let located = self.located(check, path, message);
        self.warnings.push(located);
    }

    /// A warning of kind `check` at the key of `path`, returned rather than kept with the
    /// file's warnings: for warnings only some commands tell.
    pub(crate) fn located(&self, check: Check, path: &str, message: impl Into<String>) -> Located {
        (
            self.src.offset(path),
            Warning::at(check, self.src.location(path), message.into()),
        )
    }

    /// Drops the warnings of the checks in `allow`.
    pub(crate) fn silence(&mut self, allow: &[Check]) {
        self.warnings.retain(|(_, w)| !allow.contains(&w.check));
    }

    pub(crate) fn key_offset(&self, path: &str) -> Option<usize> {
        self.src.key_offset(path)
    }

    /// Checks that a date lies in 1990-01-01..=2100-12-31.
    pub(crate) fn date(&mut self, path: &str, d: schema::Date) -> NaiveDate {
        let d = d.0;
        if d < MIN_DATE || d > MAX_DATE {
            self.err(
                path,
                format!("date {d} is outside {MIN_DATE}..{MAX_DATE}"),
                format!("a date from {MIN_DATE} to {MAX_DATE}"),
            );
        }
        d
    }

    /// A number must mean what it spells: a float must hold exactly the decimal written, and
    /// an integer must be decimal (`0x10` is 16, which nobody means for an amount). False
    /// (reported) when it does not.
    fn exact(&mut self, path: &str, v: Decimal) -> bool {
        let text = match self.src.literal(path) {
            None => return true,
            Some(Literal::Integer(text, radix)) => {
                let text = text.to_string();
                return self.decimal_radix(path, &text, radix);
            }
            Some(Literal::Float(text)) => text.to_string(),
        };
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        let spelled = clean
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&clean))
            .ok();
        if spelled == Some(v) {
            return true;
        }
        self.err(
            path,
            format!("the float `{text}` cannot be held exactly as a TOML float (it reads as {v})"),
            format!("the number as a string: \"{clean}\""),
        );
        false
    }

    /// Reports an integer written in hexadecimal, octal or binary.
    fn decimal_radix(&mut self, path: &str, text: &str, radix: u32) -> bool {
        if radix == 10 {
            return true;
        }
        let base = match radix {
            16 => "hexadecimal",
            8 => "octal",
            2 => "binary",
            _ => "non-decimal",
        };
        let digits: String = text
            .trim_start_matches(['+', '-'])
            .get(2..)
            .unwrap_or("")
            .chars()
            .filter(|&c| c != '_')
            .collect();
        let value = i128::from_str_radix(&digits, radix)
            .map(|v| format!(" (= {v} in decimal)"))
            .unwrap_or_default();
        self.err(
            path,
            format!("`{text}` is a {base} integer{value}"),
            "a decimal number (0x, 0o and 0b integers are not accepted for amounts, rates and \
             counts)",
        );
        false
    }

    /// Checks a money amount: exact, whole fen, below 10^15, and of the right sign.
    pub(crate) fn money(&mut self, path: &str, v: Decimal, sign: Sign) -> Decimal {
        if !self.exact(path, v) {
            return v;
        }
        let positive = matches!(sign, Sign::Positive);
        if v.is_sign_negative() && !v.is_zero() || (positive && v.is_zero()) {
            let what = if v.is_zero() { "zero" } else { "negative" };
            let want = if positive {
                "an amount greater than 0"
            } else {
                "an amount of 0 or more"
            };
            self.err(path, format!("amount {v} is {what}"), want);
        } else if v.abs() >= MAX_MONEY {
            self.err(
                path,
                format!("amount {v} is too large"),
                "an amount below 1000000000000000 (10^15 yuan)",
            );
        } else if !is_fen(v) {
            self.err(
                path,
                format!("amount {v} has more than 2 decimal places; money is whole fen"),
                "at most 2 decimal places, e.g. 1250000.50",
            );
        }
        v
    }

    /// Checks an annual rate: 0 <= v < 1 (or 0 < v < 1 when `sign` is positive).
    pub(crate) fn annual_rate(&mut self, path: &str, v: Decimal, sign: Sign) -> Decimal {
        if !self.exact(path, v) || !self.rate_places(path, v) {
            return v;
        }
        let key = path.rsplit('.').next().unwrap_or(path);
        let expected = match sign {
            Sign::Positive => {
                "an annual rate as a fraction above 0 and below 1, e.g. 0.0435 for 4.35%"
            }
            Sign::NonNegative => {
                "an annual rate as a fraction from 0 to below 1, e.g. 0.0435 for 4.35%"
            }
        };
        if v >= Decimal::ONE {
            self.err(
                path,
                format!("{key} {v} is {}% a year", percent(v)),
                expected,
            );
        } else if v.is_sign_negative() && !v.is_zero() {
            self.err(path, format!("{key} {v} is negative"), expected);
        } else if sign == Sign::Positive && v.is_zero() {
            self.err(path, format!("{key} is zero"), expected);
        }
        v
    }

    /// A rate has at most [`RATE_PLACES`] decimal places (0.0001%), the scale at which the
    /// output writes it (a coupon in `summary.parquet`); false (reported) when it has more.
    pub(crate) fn rate_places(&mut self, path: &str, v: Decimal) -> bool {
        if v.normalize().scale() <= RATE_PLACES {
            return true;
        }
        let key = path.rsplit('.').next().unwrap_or(path);
        let rounded = v.round_dp_with_strategy(
            RATE_PLACES,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        self.err(
            path,
            format!("{key} {v} has more than {RATE_PLACES} decimal places"),
            format!(
                "a rate to at most {RATE_PLACES} decimal places (0.0001%), e.g. {}",
                rounded.normalize()
            ),
        );
        false
    }

    /// Checks a fraction in `[0, 1)` (`upper_inclusive` false) or `[0, 1]`.
    pub(crate) fn fraction(&mut self, path: &str, v: Decimal, upper_inclusive: bool) -> Decimal {
        if !self.exact(path, v) {
            return v;
        }
        let key = path.rsplit('.').next().unwrap_or(path);
        let too_big = if upper_inclusive {
            v > Decimal::ONE
        } else {
            v >= Decimal::ONE
        };
        if too_big || (v.is_sign_negative() && !v.is_zero()) {
            let range = if upper_inclusive {
                "a fraction from 0 to 1, e.g. 0.3 for 30%"
            } else {
                "a fraction from 0 to below 1, e.g. 0.02 for 2%"
            };
            self.err(
                path,
                format!("{key} {v} ({}%) is out of range", percent(v)),
                range,
            );
        }
        v
    }

    /// Checks a plain decimal: exact, and > 0 or >= 0.
    pub(crate) fn number(&mut self, path: &str, v: Decimal, sign: Sign) -> Decimal {
        if !self.exact(path, v) {
            return v;
        }
        let key = path.rsplit('.').next().unwrap_or(path);
        match sign {
            Sign::Positive if v <= Decimal::ZERO => self.err(
                path,
                format!("{key} {v} is not positive"),
                "a number greater than 0",
            ),
            Sign::NonNegative if v < Decimal::ZERO => self.err(
                path,
                format!("{key} {v} is negative"),
                "a number of 0 or more",
            ),
            _ => {}
        }
        v
    }

    /// Checks an integer in `lo..=hi`; returns it as u32 (clamped when out of range).
    pub(crate) fn int_in(&mut self, path: &str, v: i64, lo: u32, hi: u32, unit: &str) -> u32 {
        let key = path.rsplit('.').next().unwrap_or(path);
        if let Some(Literal::Integer(text, radix)) = self.src.literal(path) {
            let text = text.to_string();
            if !self.decimal_radix(path, &text, radix) {
                return lo;
            }
        }
        if v < i64::from(lo) || v > i64::from(hi) {
            self.err(
                path,
                format!("{key} {v} is out of range"),
                format!("a whole number of {unit} from {lo} to {hi}"),
            );
        }
        u32::try_from(v.clamp(i64::from(lo), i64::from(hi))).unwrap_or(lo)
    }

    /// Checks that a name is not blank.
    pub(crate) fn name(&mut self, path: &str, s: &str) {
        if s.trim().is_empty() {
            self.err(path, "the name is empty", "a non-empty name");
        }
    }
}

/// The key paths under one table's path, built in one reused buffer: `keys.at("balance")` is
/// `"{p}.balance"` without a `format!` and an allocation per key. Validation passes a path to
/// every check whether or not it reports; a pool of 10,000 loans formats some 100,000 of them
/// (docs/performance.md).
pub(crate) struct KeyPaths {
    buf: String,
    base: usize,
}

impl KeyPaths {
    pub(crate) fn new(p: &str) -> KeyPaths {
        let mut buf = String::with_capacity(p.len() + 24);
        buf.push_str(p);
        KeyPaths { buf, base: p.len() }
    }

    /// `"{p}.{key}"`, valid until the next call.
    pub(crate) fn at(&mut self, key: &str) -> &str {
        self.buf.truncate(self.base);
        self.buf.push('.');
        self.buf.push_str(key);
        &self.buf
    }

    /// `"{p}.{key}[{i}]"`, valid until the next call.
    pub(crate) fn at_index(&mut self, key: &str, i: usize) -> &str {
        use std::fmt::Write;
        self.at(key);
        // Writing to a String cannot fail.
        let _ = write!(self.buf, "[{i}]");
        &self.buf
    }
}

/// `one of: a, b, c`: the `expected` text of an unknown name, built from the accepted names
/// (each enum's own list, so the message cannot drift from what is parsed).
pub(crate) fn one_of(names: &[&str]) -> String {
    format!("one of: {}", names.join(", "))
}

/// Sums amounts with overflow checking; reports an overflow at `path`.
pub(crate) fn checked_sum(
    ctx: &mut Ctx,
    path: &str,
    items: impl Iterator<Item = Decimal>,
) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for v in items {
        match total.checked_add(v) {
            Some(t) => total = t,
            None => {
                ctx.err(
                    path,
                    "the amounts overflow when added up",
                    "smaller amounts",
                );
                return None;
            }
        }
    }
    Some(total)
}

/// A pool or issue `total` the output tables can hold: a run writes it (a pool balance, a
/// senior balance), and stopped when it did (review 27b item M1: `check` said ok).
pub(crate) fn within_tables(ctx: &mut Ctx, path: &str, what: &str, total: Decimal) {
    if total.abs() >= MAX_TABLE_MONEY {
        ctx.err(
            path,
            format!(
                "the {what} totals {total}, more than the output tables hold (money columns \
                 are Decimal(18, 2): below 10^16 yuan)"
            ),
            "a total below 10,000,000,000,000,000 yuan; check the units (yuan, not fen)",
        );
    }
}

/// Money in the output tables must be below this (10^16 yuan: Decimal(18, 2) columns,
/// `output::parquet::DECIMAL_PRECISION`).
pub const MAX_TABLE_MONEY: Decimal = Decimal::from_parts(1_874_919_424, 2_328_306, 0, false, 0);

/// Parses an optional string key with `FromStr`; None means the default applies (or the
/// value was wrong, which is reported with the accepted `names`).
pub(crate) fn parse_or<T: std::str::FromStr>(
    ctx: &mut Ctx,
    path: &str,
    s: Option<&str>,
    what: &str,
    names: &[&str],
) -> Option<T> {
    let s = s?;
    let parsed = s.parse::<T>().ok();
    if parsed.is_none() {
        let hint = suggest(s, names.iter().copied())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        ctx.err(path, format!("unknown {what} `{s}`{hint}"), one_of(names));
    }
    parsed
}

/// Reports each present key of `keys` that is not in `allowed`; `common` lists the keys
/// every variant takes, for the message.
pub(crate) fn forbid(
    ctx: &mut Ctx,
    prefix: &str,
    keys: &[(&str, bool)],
    allowed: &[&str],
    common: &[&str],
    what: &str,
) {
    for &(k, present) in keys {
        if present && !allowed.contains(&k) {
            let all: Vec<&str> = common.iter().chain(allowed).copied().collect();
            ctx.key_err(
                &format!("{prefix}.{k}"),
                format!("`{k}` does not belong to {what}"),
                format!("{what} takes: {}", all.join(", ")),
            );
        }
    }
}

pub(crate) fn missing(ctx: &mut Ctx, path: &str, what: &str, example: &str) {
    let key = path.rsplit('.').next().unwrap_or(path);
    ctx.err(
        path,
        format!("missing required key `{key}` for {what}"),
        example.to_string(),
    );
}

/// Decimal places of an input rate: 6, the scale of the rate columns of the output
/// (`Decimal(18, 6)`, docs/output.md), so that a coupon is written as it was given.
pub(crate) const RATE_PLACES: u32 = 6;

/// `v` × 100 without trailing zeros, for a message (`250` for 2.5); `v×100` when the product
/// would overflow (a value of 10^27 or more, which only a mistake writes). Never panics: it
/// formats values that validation has not yet bounded.
pub(crate) fn percent(v: Decimal) -> String {
    v.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| format!("{v}×100"), |x| x.normalize().to_string())
}

/// Name → index table of one kind of named item, checking uniqueness.
pub(crate) struct Names {
    what: &'static str,
    map: FxHashMap<String, usize>,
    /// Names in file order, for "expected one of" lists.
    order: Vec<String>,
}

impl Names {
    pub(crate) fn new(what: &'static str) -> Self {
        Names {
            what,
            map: FxHashMap::default(),
            order: Vec::new(),
        }
    }

    /// A table of names known to be unique (from a validated deal), indexed in order.
    pub(crate) fn from_list<'n>(what: &'static str, names: impl Iterator<Item = &'n str>) -> Self {
        let mut t = Names::new(what);
        for (i, n) in names.enumerate() {
            t.map.entry(n.to_string()).or_insert(i);
            t.order.push(n.to_string());
        }
        t
    }

    /// Adds `name` with `index`; reports a duplicate at `path`.
    pub(crate) fn add(&mut self, ctx: &mut Ctx, path: &str, name: &str, index: usize) {
        if let Some(&first) = self.map.get(name) {
            let first = match path.rsplit_once('.') {
                Some((item, key)) => match item.rsplit_once('[') {
                    Some((list, _)) => format!(" ({list}[{first}].{key} is `{name}` too)"),
                    None => String::new(),
                },
                None => String::new(),
            };
            ctx.err(
                path,
                format!("duplicate {} name `{name}`{first}", self.what),
                format!("{} {} name used only once", article(self.what), self.what),
            );
        } else {
            self.map.insert(name.to_string(), index);
            if !name.trim().is_empty() {
                self.order.push(name.to_string());
            }
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }

    /// Resolves `name`, reporting "no X named `name`" at `path`.
    pub(crate) fn resolve(&self, ctx: &mut Ctx, path: &str, name: &str) -> Option<usize> {
        let found = self.get(name);
        if found.is_none() {
            let hint = suggest(name, self.order.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            ctx.err(
                path,
                format!("no {} named `{name}`{hint}", self.what),
                self.one_of(),
            );
        }
        found
    }

    pub(crate) fn one_of(&self) -> String {
        if self.order.is_empty() {
            format!(
                "{} {} name, but the deal has none",
                article(self.what),
                self.what
            )
        } else {
            format!("one of: {}", self.order.join(", "))
        }
    }

    pub(crate) fn map_indices(&mut self, f: impl Fn(usize) -> usize) {
        for v in self.map.values_mut() {
            *v = f(*v);
        }
    }
}

/// "a" or "an" before `word`.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The one name of `candidates` that `found` is a near miss of (a typo: at most one edit
/// for short names, two or three for longer ones, a swap of two letters counting as one);
/// None when nothing is close or two candidates are equally close.
pub(crate) fn suggest<'c>(
    found: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let found_lower = found.to_lowercase();
    let n = found.chars().count();
    let limit = match n {
        // `O2` for `O1`, `C` for `A`: too short to tell a typo from another name.
        0..=2 => return None,
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for c in candidates {
        if c == found {
            continue;
        }
        let d = edit_distance(&found_lower, &c.to_lowercase());
        if d > limit || d >= n.max(1) {
            continue;
        }
        match best {
            Some((bd, _)) if d > bd => {}
            Some((bd, _)) if d == bd => tie = true,
            _ => {
                best = Some((d, c));
                tie = false;
            }
        }
    }
    if tie { None } else { best.map(|(_, c)| c) }
}

/// Edit distance with adjacent transpositions (optimal string alignment), in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long strings are never near misses; skip the quadratic work.
    if a.len().abs_diff(b.len()) > 3 || a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    // Three rows of the table: two rows back (for transpositions), the last and this one.
    let mut before: Vec<usize> = (0..=b.len()).collect();
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut v = (last.get(j + 1).copied().unwrap_or(usize::MAX) + 1)
                .min(row.get(j).copied().unwrap_or(usize::MAX) + 1)
                .min(last.get(j).copied().unwrap_or(usize::MAX) + cost);
            let swapped = i > 0
                && j > 0
                && a.get(i - 1) == Some(&cb)
                && b.get(j - 1) == Some(&ca)
                && ca != cb;
            if swapped {
                v = v.min(before.get(j - 1).copied().unwrap_or(usize::MAX) + 1);
            }
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = v;
            }
        }
        before = std::mem::replace(&mut last, row);
    }
    last.last().copied().unwrap_or(usize::MAX)
}

/// Resolves a list of names, checking it is non-empty and has no repeats.
pub(crate) fn resolve_list(
    ctx: &mut Ctx,
    path: &str,
    names: &[String],
    table: &Names,
) -> Vec<usize> {
    if names.is_empty() {
        ctx.err(
            path,
            format!("`{}` is empty", path.rsplit('.').next().unwrap_or(path)),
            format!("at least one {} name", table.what),
        );
    }
    let mut out: Vec<usize> = Vec::with_capacity(names.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if seen.insert(n.as_str(), i).is_some() {
            ctx.err(
                &p,
                format!("`{n}` is listed twice"),
                format!("each {} at most once", table.what),
            );
            continue;
        }
        if let Some(ix) = table.resolve(ctx, &p, n) {
            out.push(ix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["name", "balance", "coupon", "class"];
        assert_eq!(suggest("balanse", keys.into_iter()), Some("balance"));
        assert_eq!(suggest("cupon", keys.into_iter()), Some("coupon"));
        assert_eq!(suggest("bsae", ["base", "rate"].into_iter()), Some("base"));
        // Too far, or two equally near names: no guess.
        assert_eq!(suggest("xyz", keys.into_iter()), None);
        assert_eq!(suggest("C", ["A", "B"].into_iter()), None);
        assert_eq!(suggest("O3", ["O1", "O2"].into_iter()), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("treshold", "threshold"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn constants() {
        assert_eq!(MAX_MONEY, Decimal::from(1_000_000_000_000_000i64));
        assert_eq!(MIN_DATE.to_string(), "1990-01-01");
        assert_eq!(MAX_DATE.to_string(), "2100-12-31");
    }
}

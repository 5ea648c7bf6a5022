//! From raw files ([`crate::schema`]) to the validated [`Deal`] and [`Scenario`]s.
//!
//! Syntax and type errors stop at the first one (toml and serde do). Every semantic check
//! after that runs to the end and all of its errors are reported, each with the file, line,
//! column and key path. The format is documented in `docs/deal-format.md`.

mod assets;
mod deal;
mod scenario;
mod spans;

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::error::{Error, InputError, Warning};
use crate::money::is_fen;
use crate::scenario::{Scenario, ScenarioSet};
use crate::schema;
use spans::SourceIndex;

/// A validated deal and the warnings found while validating it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub deal: Deal,
    pub warnings: Vec<Warning>,
}

/// Validates a deal file's text. `file` is the name used in messages (as the user typed it).
/// A leading UTF-8 byte-order mark is ignored.
pub fn deal_from_str(file: &str, source: &str) -> Result<Loaded, Error> {
    let text = strip_bom(source);
    let (index, raw) = SourceIndex::load::<schema::DealFile>(file, text)?;
    let mut ctx = Ctx::new(&index);
    let deal = deal::build(&mut ctx, &raw);
    ctx.finish(deal)
        .map(|(deal, warnings)| Loaded { deal, warnings })
}

/// Reads and validates a deal file.
pub fn load_deal(path: &Path) -> Result<Loaded, Error> {
    let text = read(path)?;
    deal_from_str(&path.display().to_string(), &text)
}

/// Validates a scenario file against `deal`: its listed scenarios followed by its grid's
/// points, the rating table and the pricing inputs (docs/scenarios.md).
pub fn scenario_set_from_str(file: &str, source: &str, deal: &Deal) -> Result<ScenarioSet, Error> {
    let text = strip_bom(source);
    let (index, raw) = SourceIndex::load::<schema::ScenarioFile>(file, text)?;
    let mut ctx = Ctx::new(&index);
    let set = scenario::build_file(&mut ctx, &raw, deal);
    ctx.finish(set).map(|(s, _)| s)
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

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
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
    warnings: Vec<Warning>,
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
        }
    }

    /// Errors sorted by position, or the value and the warnings.
    fn finish<T>(mut self, value: Option<T>) -> Result<(T, Vec<Warning>), Error> {
        match value {
            Some(v) if self.errors.is_empty() => Ok((v, self.warnings)),
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

    pub(crate) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            location: self.src.location(path),
            message: message.into(),
        });
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

    /// A float written in the file must be exactly the decimal it spells; false (reported)
    /// when it is not.
    fn exact(&mut self, path: &str, v: Decimal) -> bool {
        let Some(text) = self.src.float_text(path) else {
            return true;
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
        if !self.exact(path, v) {
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

/// `v` × 100, without trailing zeros.
fn percent(v: Decimal) -> Decimal {
    v.checked_mul(Decimal::ONE_HUNDRED)
        .unwrap_or(Decimal::MAX)
        .normalize()
}

/// Name → index table of one kind of named item, checking uniqueness.
pub(crate) struct Names {
    what: &'static str,
    map: HashMap<String, usize>,
    /// Names in file order, for "expected one of" lists.
    order: Vec<String>,
}

impl Names {
    pub(crate) fn new(what: &'static str) -> Self {
        Names {
            what,
            map: HashMap::new(),
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
        if self.map.contains_key(name) {
            ctx.err(
                path,
                format!("duplicate {} name `{name}`", self.what),
                format!("a {} name used only once", self.what),
            );
        } else {
            self.map.insert(name.to_string(), index);
            self.order.push(name.to_string());
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }

    /// Resolves `name`, reporting "no X named `name`" at `path`.
    pub(crate) fn resolve(&self, ctx: &mut Ctx, path: &str, name: &str) -> Option<usize> {
        let found = self.get(name);
        if found.is_none() {
            ctx.err(
                path,
                format!("no {} named `{name}`", self.what),
                self.one_of(),
            );
        }
        found
    }

    pub(crate) fn one_of(&self) -> String {
        if self.order.is_empty() {
            format!("a {} name, but the deal has none", self.what)
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
    for (i, n) in names.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if names[..i].contains(n) {
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
    fn constants() {
        assert_eq!(MAX_MONEY, Decimal::from(1_000_000_000_000_000i64));
        assert_eq!(MIN_DATE.to_string(), "1990-01-01");
        assert_eq!(MAX_DATE.to_string(), "2100-12-31");
    }
}

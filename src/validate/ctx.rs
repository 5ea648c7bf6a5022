//! The validation state ([`Ctx`]): the source index, the errors and warnings found so far, and
//! the checks of single values every part of a file shares (amounts, rates, dates, names).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::names::suggest;
use super::spans::{Literal, SourceIndex};
use crate::error::{Check, Error, InputError, Warning};
use crate::money::is_fen;
use crate::schema;

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
    pub(super) src: &'a SourceIndex<'a>,
    pub(super) errors: Vec<InputError>,
    pub(super) warnings: Vec<Located>,
    /// Warnings only some commands tell (`search_drops_defaults`), kept apart.
    pub(super) search_warnings: Vec<Located>,
    /// Checks silenced under one key (a trigger's own `allow`): the key path and the check.
    pub(super) scoped_allow: Vec<(String, Check)>,
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
    pub(super) fn new(src: &'a SourceIndex<'a>) -> Self {
        Ctx {
            src,
            errors: Vec::new(),
            warnings: Vec::new(),
            search_warnings: Vec::new(),
            scoped_allow: Vec::new(),
        }
    }

    /// Errors sorted by position, or the value and the warnings.
    pub(super) fn finish<T>(mut self, value: Option<T>) -> Result<(T, Vec<Warning>), Error> {
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

    /// Drops the warnings of the checks in `allow`, and those of a scoped allowance
    /// (`scoped_allow`) about its key or a key under it.
    pub(crate) fn silence(&mut self, allow: &[Check]) {
        let scoped = std::mem::take(&mut self.scoped_allow);
        self.warnings.retain(|(_, w)| {
            let key = w.location.rsplit_once(": ").map_or("", |(_, k)| k);
            let under = |path: &str| {
                key.strip_prefix(path)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            };
            !allow.contains(&w.check)
                && !scoped
                    .iter()
                    .any(|(path, check)| *check == w.check && under(path))
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

    /// A number must mean what it spells: a float must hold exactly the decimal written, and
    /// an integer must be decimal (`0x10` is 16, which nobody means for an amount). False
    /// (reported) when it does not.
    pub(super) fn exact(&mut self, path: &str, v: Decimal) -> bool {
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
    pub(super) fn decimal_radix(&mut self, path: &str, text: &str, radix: u32) -> bool {
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
            // A small amount at 3 or more places is likelier a figure per 100 yuan of face
            // (a payment notice's 1.1123) or a rate than a total (review 30b item 7).
            let hint = if v.abs() < Decimal::ONE_HUNDRED {
                " (a figure per 100 yuan of face, or a rate? amounts are totals in yuan; in an \
                 actuals file a notice's figure goes in `interest_per_100` or `principal_per_100`)"
            } else {
                ""
            };
            self.err(
                path,
                format!("amount {v} has more than 2 decimal places; money is whole fen{hint}"),
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
                "the {what} totals {:.2}, more than the output tables hold (money columns \
                 are Decimal(18, 2): below 10^16 yuan)",
                total
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
    crate::money::percent_value(v, 0).map_or_else(|| format!("{v}×100"), |x| x.to_string())
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

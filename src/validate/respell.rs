//! Values and punctuation typed in a local habit, and how TOML spells them.
//!
//! A deal file typed with a Chinese input method picks up full-width punctuation (`＝`, `，`,
//! `“…”`, `［［…］］`, the ideographic space), and amounts and dates come over from trustee
//! reports as `3000万`, `0.3亿`, `30,000,000`, `5.5%` or `2024年3月31日`. TOML reads none of
//! them, and its own message for each (quote the value, a missing comma) leads the wrong way.
//! These functions find them and give the spelling ipabs reads, exactly: an amount in 万 is
//! multiplied out in Decimal, never in a float (docs/errors.md, "Typed in a local habit").

use std::str::FromStr;

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::schema::parse_iso_date;

/// The ASCII character TOML needs where the input method typed `c`, for the full-width forms
/// of ASCII (U+FF01–U+FF5E), the ideographic space and the CJK marks that stand for TOML's
/// punctuation. A full-width colon stands for `=`: a key is followed by `=` in TOML.
pub(super) fn ascii_for(c: char) -> Option<char> {
    Some(match c {
        '：' => '=',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
        '\u{3000}' => ' ',
        '、' => ',',
        '。' => '.',
        '【' | '〔' => '[',
        '】' | '〕' => ']',
        '“' | '”' | '「' | '」' | '『' | '』' => '"',
        '‘' | '’' => '\'',
        _ => return None,
    })
}

/// The standard name of a character, for messages: `U+201D`.
pub(super) fn mark_name(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A quote that closes a string the input method opened (`“…”`, `「…」`).
fn closes_ime_string(c: char) -> bool {
    matches!(c, '”' | '“' | '＂' | '」' | '』')
}

/// `line` scanned as TOML: each char with whether it is outside strings and comments, after
/// full-width marks outside strings are read as their ASCII characters. A string opened by a
/// full-width quote is closed by one, so `“天知，1号”` keeps its comma.
fn scan(line: &str, mut visit: impl FnMut(usize, char, Option<char>, bool)) {
    #[derive(PartialEq)]
    enum In {
        Code,
        Basic { ime: bool, escape: bool },
        Literal { ime: bool },
        Comment,
    }
    let mut state = In::Code;
    for (i, c) in line.char_indices() {
        match &mut state {
            In::Code => {
                let mapped = ascii_for(c);
                let m = mapped.unwrap_or(c);
                visit(i, c, mapped, true);
                match m {
                    '"' => {
                        state = In::Basic {
                            ime: mapped.is_some(),
                            escape: false,
                        }
                    }
                    '\'' => {
                        state = In::Literal {
                            ime: mapped.is_some(),
                        }
                    }
                    '#' => state = In::Comment,
                    _ => {}
                }
            }
            In::Basic { ime, escape } => {
                let closes = !*escape && (c == '"' || (*ime && closes_ime_string(c)));
                let mapped = (closes && c != '"').then_some('"');
                *escape = !*escape && c == '\\';
                visit(i, c, mapped, false);
                if closes {
                    state = In::Code;
                }
            }
            In::Literal { ime } => {
                let closes = c == '\'' || (*ime && c == '’');
                visit(i, c, (closes && c != '\'').then_some('\''), false);
                if closes {
                    state = In::Code;
                }
            }
            In::Comment => visit(i, c, None, false),
        }
    }
}

/// The first full-width mark on `line` outside strings and comments: its byte offset in the
/// line and the mark.
pub(super) fn first_full_width(line: &str) -> Option<(usize, char)> {
    let mut found = None;
    scan(line, |i, c, mapped, code| {
        if found.is_none() && code && mapped.is_some() {
            found = Some((i, c));
        }
    });
    found
}

/// `line` with every full-width mark outside strings and comments (and the full-width quote
/// that closes a string one opened) typed in ASCII, character for character: the n-th
/// character of the result is the n-th of `line`'s, read.
pub(super) fn half_width(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    scan(line, |_, c, mapped, _| out.push(mapped.unwrap_or(c)));
    out
}

/// What a full-width mark is, for an error's problem: "`＝` (U+FF1D) is full-width …".
pub(super) fn full_width_problem(c: char) -> String {
    format!(
        "`{c}` ({}) was typed in the input method's full-width mode: outside strings TOML reads \
         only ASCII",
        mark_name(c)
    )
}

/// The full-width quotes (`”`, `“`, `＂`) on `line` inside a string opened by an ASCII `"`,
/// not after a `\\`: their byte offsets and the quotes. Quotes in a comment or in a `'…'`
/// string are the file's own text.
pub(super) fn quotes_in_strings(line: &str) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let (mut basic, mut literal, mut escape) = (false, false, false);
    for (at, c) in line.char_indices() {
        let inside = basic && !escape;
        if basic {
            escape = !escape && c == '\\';
            basic = !(inside && c == '"');
        } else if literal {
            literal = c != '\'';
        } else {
            match c {
                '"' => basic = true,
                '\'' => literal = true,
                '#' => break,
                _ => {}
            }
        }
        if inside && matches!(c, '”' | '“' | '＂') {
            out.push((at, c));
        }
    }
    out
}

/// Whether the end of `text` (a file up to a line's start) is inside a multi-line string
/// (`"""…"""` or `'''…'''`), read as TOML reads it: a `"""` in a comment or in a
/// one-line string opens nothing (review 46b F7).
pub(super) fn inside_multiline_string(text: &str) -> bool {
    #[derive(PartialEq)]
    enum In {
        Code,
        Comment,
        Basic,
        Literal,
        MultiBasic,
        MultiLiteral,
    }
    let b = text.as_bytes();
    let at = |i: usize, s: &[u8]| b.get(i..i + s.len()) == Some(s);
    let mut state = In::Code;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match state {
            In::Code if at(i, b"\"\"\"") => {
                state = In::MultiBasic;
                i += 3;
                continue;
            }
            In::Code if at(i, b"'''") => {
                state = In::MultiLiteral;
                i += 3;
                continue;
            }
            In::Code => {
                state = match c {
                    b'"' => In::Basic,
                    b'\'' => In::Literal,
                    b'#' => In::Comment,
                    _ => In::Code,
                }
            }
            In::Comment | In::Literal if c == b'\n' => state = In::Code,
            In::Literal if c == b'\'' => state = In::Code,
            In::Basic if c == b'\\' => i += 1,
            In::Basic if c == b'"' || c == b'\n' => state = In::Code,
            In::MultiBasic if c == b'\\' => i += 1,
            In::MultiBasic if at(i, b"\"\"\"") => {
                state = In::Code;
                i += 3;
                continue;
            }
            In::MultiLiteral if at(i, b"'''") => {
                state = In::Code;
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    matches!(state, In::MultiBasic | In::MultiLiteral)
}

/// One value on a line that [`respell`] knows, fitting its key: its characters `from..to` in
/// the line, what it was and its respelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub from: usize,
    pub to: usize,
    pub typed: String,
    pub r: Respelling,
}

/// The values on `line` (read half-width, see [`half_width`]) that [`respell`] knows and that
/// fit their key, in order, counted in characters. A value's key is the bare key before the
/// nearest `=` to its left on the line, else `line_key` (the array a row of a multi-line array
/// belongs to); `parent` is the table of `line_key`. A line `key = value` whose value is no
/// array or table is one value, commas and all (`30,000,000`); elsewhere values end at
/// blanks and at `[ ] { } , =`.
pub(super) fn tokens(line: &str, line_key: &str, parent: &str) -> Vec<Token> {
    let mut chars = Vec::with_capacity(line.len());
    scan(line, |_, c, _, code| chars.push((code, c)));
    let ends = |c: char| c.is_whitespace() || matches!(c, '[' | ']' | '{' | '}' | ',' | '=');
    // The key a value is under, and the inline tables open around it (an actuals file's
    // `fees = { trustee = … }`: `trustee` in `fees`).
    let mut key: Option<String> = None;
    // The table a dotted key names before its last part (`taxes.vat = …`: `taxes`).
    let mut dotted: Option<String> = None;
    let mut tables: Vec<Option<String>> = Vec::new();
    let mut word = String::new();
    let mut out = Vec::new();
    let fits =
        |v: &str, key: &Option<String>, dotted: &Option<String>, tables: &[Option<String>]| {
            let (k, p) = match key {
                // In an inline table, its key; else a dotted key's table; else the table the line
                // is in: `line_key` when the line is under a header (`[periods.taxes]`), the
                // parent when the line's own key is the one located (review 47f F4: both gave
                // no table, and an actuals file's `taxes.vat = ¥1000` no offer).
                Some(k) => (
                    k.as_str(),
                    match (tables.last(), dotted) {
                        (Some(t), _) => t.as_deref().unwrap_or(""),
                        (None, Some(d)) => d.as_str(),
                        (None, None) if k != line_key => line_key,
                        (None, None) => parent,
                    },
                ),
                None => (line_key, parent),
            };
            respell(v).filter(|r| r.kind == kind_of(k, p))
        };
    let mut i = 0;
    while i < chars.len() {
        let (code, c) = chars[i];
        if !code {
            i += 1;
            continue;
        }
        match c {
            '=' => {
                // A dotted key (`tranches.A = …`) is its last part, in the table before it.
                let mut parts = word.rsplit('.');
                key = Some(parts.next().unwrap_or("").to_string());
                dotted = parts.next().map(|d| d.trim_matches('"').to_string());
                let rest: String = chars[i + 1..]
                    .iter()
                    .take_while(|&&(code, c)| code && c != '#')
                    .map(|&(_, c)| c)
                    .collect();
                let value = rest.trim();
                let scalar = !value.is_empty()
                    && !value.starts_with(['[', '{', '"', '\''])
                    && !value.contains(['{', '}', '[', ']', '='])
                    && !value.ends_with(',');
                if scalar {
                    let from = i + 1 + rest.chars().take_while(|c| c.is_whitespace()).count();
                    if let Some(r) = fits(value, &key, &dotted, &tables) {
                        let to = from + value.chars().count();
                        let typed = value.to_string();
                        out.push(Token { from, to, typed, r });
                    }
                    break;
                }
            }
            '{' => {
                tables.push(key.take());
                dotted = None;
            }
            '}' => {
                key = tables.pop().flatten();
                dotted = None;
            }
            _ if ends(c) => {}
            _ => {
                let from = i;
                while i < chars.len() && chars[i].0 && !ends(chars[i].1) {
                    i += 1;
                }
                let w: String = chars[from..i].iter().map(|&(_, c)| c).collect();
                match fits(&w, &key, &dotted, &tables) {
                    Some(r) => out.push(Token {
                        from,
                        to: i,
                        typed: w,
                        r,
                    }),
                    None => word = w,
                }
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A value as written, spelt as ipabs reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Respelling {
    /// What the value is, after "`…` is": "an amount in 万 (ten thousand yuan)".
    pub what: &'static str,
    /// The value as TOML and ipabs read it: `30000000`, `2024-03-31`, `0.055`.
    pub toml: String,
    /// Why, in a few words: "amounts are written in yuan".
    pub why: &'static str,
    /// What kind of key the value fits.
    pub kind: Kind,
}

/// What a key holds, for the spellings it may be offered: a percentage only where a rate goes,
/// an amount in 万 only where an amount goes, a date only where a date goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A rate or another fraction (`coupon`, `cdr`, `fraction`, `threshold`, …).
    Rate,
    /// An amount of money in yuan (`balance`, `amount`, `principal`, …).
    Amount,
    /// A date.
    Date,
    /// Anything else (a count, a name, a multiple, a key the tables do not list): nothing is
    /// offered.
    Other,
}

/// Keys holding a rate or a fraction, by their last name. A key ending `_rate` or `_cut` is one
/// too.
const RATE_KEYS: &[&str] = &[
    "rate",
    "coupon",
    "cdr",
    "cpr",
    "coupon_shift",
    "cumulative_default_ratio_above",
    "default_ratio_below",
    "default_timing",
    "floor",
    "fraction",
    "growth",
    "index_shift",
    "pool_factor_below",
    "share",
    "price_share",
    "spread",
    "threshold",
];

/// Keys holding an amount in yuan, by their last name.
const AMOUNT_KEYS: &[&str] = &[
    "amount",
    "balance",
    "balance_end",
    "cap_per_period",
    "cap_total",
    "collection",
    "defaults",
    "face",
    "initial",
    "interest",
    "issue_size",
    "prepayments",
    "principal",
    "recoveries",
    "reserve",
    "reserve_draws",
    "residual",
    "target",
];

/// Keys holding a date or a list of dates, by their last name.
const DATE_KEYS: &[&str] = &[
    "after",
    "before",
    "closing_date",
    "collection_ends",
    "cutoff_date",
    "date",
    "default_date",
    "due_date",
    "end",
    "end_date",
    "expected_maturity",
    "extra_holidays",
    "extra_working_days",
    "first",
    "first_payment_date",
    "from",
    "legal_maturity",
    "on_or_after",
    "payment_date",
    "payment_dates",
    "reset_dates",
    "reset_from",
    "settlement_date",
    "start",
    "start_date",
    "until",
];

/// Number keys that are neither a rate nor an amount: a multiple, a price per 100, a payment
/// notice's figure per 100, a share of a loss, a cap that is a rate for a floating coupon and
/// an amount for a fee. Nothing is offered for them.
#[cfg(test)]
const OTHER_NUMBER_KEYS: &[&str] = &[
    "cap",
    "fixed",
    "interest_per_100",
    "large_obligor_loss",
    "multiple",
    "originator_factor",
    "price",
    "principal_per_100",
    "target_multiple",
];

/// The tables of an actuals file whose keys are names and whose values are amounts:
/// `fees.<name>`, `taxes.<name>`, `supports.<name>`, `support_repaid.<name>`,
/// `support_interest.<name>` (paid or drawn on the date) and `accounts.<name>` (balances; review
/// 47e F3: taxes and supports got no offer).
const AMOUNTS_BY_NAME: &[&str] = &[
    "accounts",
    "fees",
    "support_interest",
    "support_repaid",
    "supports",
    "taxes",
];

/// What the key `key` holds (its last name; `parent` the table it is in, for the tables of an
/// actuals file whose values are amounts under any name, [`AMOUNTS_BY_NAME`]).
pub(super) fn kind_of(key: &str, parent: &str) -> Kind {
    if RATE_KEYS.contains(&key) || key.ends_with("_rate") || key.ends_with("_cut") {
        Kind::Rate
    } else if AMOUNT_KEYS.contains(&key) {
        Kind::Amount
    } else if DATE_KEYS.contains(&key) {
        Kind::Date
    } else if AMOUNTS_BY_NAME.contains(&parent) {
        Kind::Amount
    } else if parent == "indices" {
        // A scenario's `indices = { lpr_5y = 0.036 }`: rates under any name.
        Kind::Rate
    } else {
        Kind::Other
    }
}

/// The value `raw` (unquoted text, trimmed) in the spelling ipabs reads, when it is an amount in
/// 万 or 亿 or followed by 元, a number with thousands separators, a percentage, or a date in
/// Chinese, with `/` or `.`, or without leading zeros. Full-width digits and marks in it are read
/// as ASCII first. None for anything else, and for a value ipabs already reads.
/// The units an amount is typed in, by the suffix that names them, and what a value in each is:
/// the longer suffix first (`3千万` is in 千万, not 万).
const UNITS: [(&str, u64, &str); 6] = [
    ("千万", 10_000_000, "an amount in 千万 (ten million yuan)"),
    ("百万", 1_000_000, "an amount in 百万 (a million yuan)"),
    ("万", 10_000, "an amount in 万 (ten thousand yuan)"),
    (
        "亿",
        100_000_000,
        "an amount in 亿 (a hundred million yuan)",
    ),
    ("w", 10_000, "an amount in w (万, ten thousand yuan)"),
    ("W", 10_000, "an amount in W (万, ten thousand yuan)"),
];

pub(super) fn respell(raw: &str) -> Option<Respelling> {
    let v: String = raw
        .trim()
        .chars()
        // Full-width digits and marks as ASCII (not `：`, which is `=` only after a key); the
        // units, 年月日号 and `￥` have no ASCII form and stay.
        .map(|c| ascii_for(c).filter(|&a| a != '=').unwrap_or(c))
        .collect();
    if let Some(d) = date(&v) {
        return Some(d);
    }
    // The yuan sign before the figure (`¥`, or the full-width `￥` of a Chinese input method).
    let (v, yuan_sign) = match v.strip_prefix(['¥', '￥']) {
        Some(rest) => (rest.trim_start(), true),
        None => (v.as_str(), false),
    };
    let b = v.strip_suffix('元').unwrap_or(v);
    // The unit a figure is in, and what a value in it is: 千万 and 百万 before 万, and `w`, the
    // Latin letter typed for 万.
    let (body, unit) = UNITS
        .iter()
        .find_map(|&(suffix, u, what)| b.strip_suffix(suffix).map(|n| (n, Some((u, what)))))
        .unwrap_or((b, None));
    let yuan_suffix = v.ends_with('元');
    if let Some(pct) = body.strip_suffix('%')
        && unit.is_none()
        && !yuan_suffix
        && !yuan_sign
    {
        let n = number(pct.trim())?;
        let r = n.checked_div(Decimal::ONE_HUNDRED)?;
        // Exact, or nothing (Decimal holds 28 digits).
        (r.checked_mul(Decimal::ONE_HUNDRED)? == n).then_some(())?;
        return Some(Respelling {
            what: "a percentage",
            toml: plain(r),
            why: "rates are fractions: 5.5% is 0.055",
            kind: Kind::Rate,
        });
    }
    let body = body.trim();
    let n = number(body)?;
    let times = |u: u64| {
        let u = Decimal::from(u);
        let r = n.checked_mul(u)?;
        // Exact, or nothing (Decimal holds 28 digits).
        (r.checked_div(u)? == n).then_some(r)
    };
    let (what, why, n) = match unit {
        Some((u, what)) => (what, "amounts are written in yuan", times(u)?),
        None if yuan_suffix => (
            "an amount followed by its unit 元",
            "amounts are plain numbers, in yuan",
            n,
        ),
        None if yuan_sign => (
            "an amount with the yuan sign",
            "amounts are plain numbers, in yuan",
            n,
        ),
        None if body.contains(',') => (
            "a number with thousands separators",
            "TOML groups digits with `_` if at all, e.g. 30_000_000",
            n,
        ),
        // Only a plain number: nothing to respell.
        None => return None,
    };
    Some(Respelling {
        what,
        toml: plain(n),
        why,
        kind: Kind::Amount,
    })
}

/// A decimal number, optionally signed and grouped in threes by commas (`30,000,000.50`).
fn number(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let grouped = int.contains(',');
    let groups: Vec<&str> = int.split(',').collect();
    // `1,500` groups thousands; `0,022` and `01,500` do not (a decimal comma is no guess).
    let well_grouped = !grouped
        || (groups[0].len() <= 3
            && !groups[0].is_empty()
            && !groups[0].starts_with('0')
            && groups[1..].iter().all(|g| g.len() == 3));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    // Decimal keeps 28 digits: more would be rounded, and the respelling no longer exact.
    if int.is_empty()
        || int.len() + frac.len() > 28
        || !well_grouped
        || !groups.iter().all(|g| all_digits(g))
        || !all_digits(frac)
        || (digits.contains('.') && frac.is_empty())
    {
        return None;
    }
    Decimal::from_str(&s.replace(',', "")).ok()
}

/// A Decimal as TOML reads it back exactly: no exponent, no trailing zeros after the point.
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A date written `2024年3月31日`, `2024/3/31`, `2024.03.31` or `2024-3-31`, as `2024-03-31`.
fn date(v: &str) -> Option<Respelling> {
    // 号 is the spoken day (2024年3月31号), 日 the written one.
    let (parts, what): (Vec<&str>, _) = if let Some(rest) = v.strip_suffix(['日', '号']) {
        (
            rest.split(['年', '月']).collect(),
            "a date written in Chinese",
        )
    } else if v.contains('/') {
        (v.split('/').collect(), "a date written with `/`")
    } else if v.matches('.').count() == 2 {
        (v.split('.').collect(), "a date written with `.`")
    } else if v.matches('-').count() == 2 && parse_iso_date(v).is_none() {
        (v.split('-').collect(), "a date without its leading zeros")
    } else {
        return None;
    };
    let [y, m, d] = parts[..] else { return None };
    let ok = |t: &str, max: usize| {
        !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit())
    };
    if y.len() != 4 || !ok(y, 4) || !ok(m, 2) || !ok(d, 2) {
        return None;
    }
    let iso = format!("{y}-{m:0>2}-{d:0>2}");
    // A day of the calendar within the years ipabs reads (docs/errors.md, "date out of range").
    let day = parse_iso_date(&iso)?;
    (1990..=2100).contains(&day.year()).then_some(())?;
    Some(Respelling {
        what,
        toml: iso,
        why: "dates are written YYYY-MM-DD",
        kind: Kind::Date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_marks_and_their_ascii() {
        // The full-width forms are ASCII + 0xFEE0: `＝` U+FF1D is `=` U+003D.
        assert_eq!(ascii_for('＝'), Some('='));
        assert_eq!(ascii_for('，'), Some(','));
        assert_eq!(ascii_for('３'), Some('3'));
        assert_eq!(ascii_for('［'), Some('['));
        assert_eq!(ascii_for('＂'), Some('"'));
        assert_eq!(ascii_for('：'), Some('='));
        assert_eq!(ascii_for('\u{3000}'), Some(' '));
        assert_eq!(ascii_for('“'), Some('"'));
        assert_eq!(ascii_for('天'), None);
        assert_eq!(ascii_for('='), None);
    }

    #[test]
    fn marks_outside_strings_and_comments_only() {
        // `rate ＝ 0.055`: the mark is at byte 5.
        assert_eq!(first_full_width("rate ＝ 0.055"), Some((5, '＝')));
        // A comma inside a string and a mark in a comment are the file's text, not punctuation.
        assert_eq!(first_full_width("name = \"天知，1号\" # 注：示例"), None);
        assert_eq!(first_full_width("name = '天知，1号'"), None);
        assert_eq!(
            half_width("tags = { rating = \"A+\"， region = “天河，广州” }"),
            "tags = { rating = \"A+\", region = \"天河，广州\" }"
        );
        assert_eq!(half_width("［［obligors］］"), "[[obligors]]");
        assert_eq!(half_width("rate： 0.055　"), "rate= 0.055 ");
        // An escaped quote does not close a string.
        assert_eq!(first_full_width(r#"name = "a\"，b""#), None);
    }

    #[test]
    fn amounts_in_wan_and_yi_multiplied_exactly() {
        // 3000 × 10,000 = 30,000,000; 0.3 × 100,000,000 = 30,000,000; 1,234.5 × 10,000 =
        // 12,345,000; 0.000001 × 10,000 = 0.01 (one fen).
        let r = respell("3000万").unwrap();
        assert_eq!((r.toml.as_str(), r.kind), ("30000000", Kind::Amount));
        assert_eq!(r.what, "an amount in 万 (ten thousand yuan)");
        assert_eq!(respell("0.3亿").unwrap().toml, "30000000");
        assert_eq!(respell("1,234.5万元").unwrap().toml, "12345000");
        assert_eq!(respell("0.000001万").unwrap().toml, "0.01");
        assert_eq!(respell("３０００万").unwrap().toml, "30000000");
        assert_eq!(respell("30000000元").unwrap().toml, "30000000");
        assert_eq!(respell("30,000,000").unwrap().toml, "30000000");
        assert_eq!(respell("30,000,000.50").unwrap().toml, "30000000.5");
        // Grouping that is not in threes is not a number ipabs guesses at, nor a decimal comma
        // (`0,022` for 0.022 is not 22).
        assert_eq!(respell("3,00,000"), None);
        assert_eq!(respell("0,022"), None);
        assert_eq!(respell("01,500"), None);
        assert_eq!(respell("30000000"), None);
        assert_eq!(respell("万"), None);
        // 3 × 10,000,000 = 30,000,000 (千万); 30 × 1,000,000 (百万); 3000 × 10,000 (`w` for
        // 万); the yuan sign before a figure, half- or full-width, with or without grouping.
        for (typed, what) in [
            ("3千万", "an amount in 千万 (ten million yuan)"),
            ("30百万", "an amount in 百万 (a million yuan)"),
            ("3000w", "an amount in w (万, ten thousand yuan)"),
            ("3000W", "an amount in W (万, ten thousand yuan)"),
            ("¥30,000,000", "an amount with the yuan sign"),
            ("￥30000000", "an amount with the yuan sign"),
            ("¥3000万", "an amount in 万 (ten thousand yuan)"),
        ] {
            let r = respell(typed).unwrap_or_else(|| panic!("{typed}"));
            assert_eq!((r.toml.as_str(), r.what), ("30000000", what), "{typed}");
        }
        // A sign alone, or before a percentage, is no amount.
        assert_eq!(respell("¥"), None);
        assert_eq!(respell("¥5%"), None);
        assert_eq!(respell("w"), None);
    }

    #[test]
    fn percentages_are_fractions() {
        // 5.5 / 100 = 0.055; 12 / 100 = 0.12; ０.５％ is 0.5% = 0.005.
        assert_eq!(respell("5.5%").unwrap().toml, "0.055");
        assert_eq!(respell("12%").unwrap().toml, "0.12");
        assert_eq!(respell("０.５％").unwrap().toml, "0.005");
        assert_eq!(respell("%"), None);
    }

    #[test]
    fn values_fit_their_keys() {
        // A percentage where a rate goes, an amount in 万 where an amount goes, a date where a
        // date goes; nothing elsewhere.
        let one = |line: &str| -> Vec<(String, String)> {
            tokens(line, "", "")
                .into_iter()
                .map(|t| (t.typed, t.r.toml))
                .collect()
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(one("coupon = 5.5%"), [pair("5.5%", "0.055")]);
        assert!(one("balance = 5.5%").is_empty());
        assert!(one("coupon = 3000万").is_empty());
        assert!(one("cutoff_date = 3000万").is_empty());
        assert!(one("balance = 2024/3/31").is_empty());
        assert!(one("term = 5.5%").is_empty());
        assert!(one("name = 3000万").is_empty());
        // A scalar keeps its commas; an inline table's values have their own keys; `}` ends a
        // value typed against it.
        assert_eq!(
            one("balance = 30,000,000 # 万元? no"),
            [pair("30,000,000", "30000000")]
        );
        assert_eq!(
            one("  { date = 2024年3月15日, principal = 50万, interest = 25000 },"),
            [pair("2024年3月15日", "2024-03-15"), pair("50万", "500000")]
        );
        assert_eq!(one("delay = {fraction=10%}"), [pair("10%", "0.1")]);
        // An actuals file's fees are amounts under any name; a row of a multi-line array is
        // under the array's key.
        assert_eq!(
            one("fees = { trustee = 1000万 }"),
            [pair("1000万", "10000000")]
        );
        // So are its taxes and its supports' draws, repayments and interest (review 47e F3).
        assert_eq!(
            one("taxes = { vat = ￥1000元 }"),
            [pair("￥1000元", "1000")]
        );
        assert_eq!(
            one("supports = { undertaking = 0.1百万 }"),
            [pair("0.1百万", "100000")]
        );
        for parent in ["support_repaid", "support_interest"] {
            assert_eq!(kind_of("undertaking", parent), Kind::Amount);
        }
        // A dotted key's table, and the table of a header the line is under (review 47f F4).
        assert_eq!(one("taxes.vat = ¥1000"), [pair("¥1000", "1000")]);
        let under = tokens("vat = 3千万", "taxes", "periods");
        assert_eq!(under.len(), 1);
        assert_eq!(under[0].r.toml, "30000000");
        let own = tokens("vat = 3千万", "vat", "taxes");
        assert_eq!(own.len(), 1);
        assert!(tokens("name = 3千万", "name", "deal").is_empty());
        let row = tokens("  2024/4/1, 2024/7/1,", "payment_dates", "deal");
        assert_eq!(row.len(), 2);
        assert_eq!((row[1].from, row[1].to), (12, 20));
        assert_eq!(kind_of("recovery_rate", ""), Kind::Rate);
        assert_eq!(kind_of("purchase_cut", ""), Kind::Rate);
        assert_eq!(kind_of("trustee", "fees"), Kind::Amount);
        assert_eq!(kind_of("cap", ""), Kind::Other);
        assert_eq!(kind_of("lpr_5y", "indices"), Kind::Rate);
    }

    /// Every number and date key of the three input formats' JSON Schemas is in one of the
    /// tables above, so that a key added to the schema is classed when it is added.
    #[test]
    fn every_number_and_date_key_is_classed() {
        use crate::json_schema::{Format, schema_text};
        fn walk(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Object(o) => {
                    if let Some(serde_json::Value::Object(props)) = o.get("properties") {
                        for (k, p) in props {
                            out.push((k.clone(), p.to_string()));
                        }
                    }
                    o.values().for_each(|x| walk(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut props = Vec::new();
        for f in [Format::Deal, Format::Scenarios, Format::Actuals] {
            let v: serde_json::Value = serde_json::from_str(&schema_text(f)).unwrap();
            walk(&v, &mut props);
        }
        // A Decimal's pattern, as the JSON text of a property holds it.
        let number = r#"\\d+(\\.\\d+)?"#;
        // A key that is a date or a number somewhere must be classed as one; a key a table
        // lists must be of its kind somewhere (a key may be a table or an array elsewhere:
        // `reserve`, `defaults`).
        let is_date = |p: &str| p.contains("#/$defs/Date");
        let is_number = |p: &str| p.contains(number) && !p.contains("additionalProperties");
        let mut unclassed: Vec<&str> = props
            .iter()
            .filter(|(k, p)| match kind_of(k, "") {
                Kind::Date => is_number(p),
                Kind::Rate | Kind::Amount => is_date(p),
                Kind::Other => {
                    is_date(p) || (is_number(p) && !OTHER_NUMBER_KEYS.contains(&k.as_str()))
                }
            })
            .map(|(k, _)| k.as_str())
            .collect();
        for k in RATE_KEYS.iter().chain(AMOUNT_KEYS).chain(DATE_KEYS) {
            let kind = kind_of(k, "");
            let seen = props.iter().any(|(name, p)| {
                name == k
                    && if kind == Kind::Date {
                        is_date(p)
                    } else {
                        is_number(p)
                    }
            });
            if !seen {
                unclassed.push(k);
            }
        }
        unclassed.sort();
        unclassed.dedup();
        assert!(unclassed.is_empty(), "keys to class: {unclassed:?}");
    }

    #[test]
    fn multi_line_strings_are_read_as_toml_reads_them() {
        assert!(inside_multiline_string("name = \"\"\"\nfirst line\n"));
        assert!(!inside_multiline_string("name = \"\"\"\ntext\n\"\"\"\n"));
        assert!(inside_multiline_string("note = '''\nC:\\x\n"));
        // A `\"\"\"` in a comment or inside a one-line string opens nothing.
        assert!(!inside_multiline_string(
            "# names may use \"\"\" for long text\nx = 1\n"
        ));
        assert!(!inside_multiline_string("a = 'x\"\"\"y'\nb = \"q\\\"\"\n"));
    }

    #[test]
    fn dates_in_other_spellings() {
        for (v, iso) in [
            ("2024年3月31日", "2024-03-31"),
            ("2024/03/31", "2024-03-31"),
            ("2024/3/1", "2024-03-01"),
            ("2024.03.31", "2024-03-31"),
            ("2024-3-31", "2024-03-31"),
            ("２０２４年３月３１日", "2024-03-31"),
            ("2024年3月31号", "2024-03-31"),
        ] {
            let r = respell(v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!((r.toml.as_str(), r.kind), (iso, Kind::Date), "{v}");
        }
        // Not a day of the calendar, or not a date at all.
        assert_eq!(respell("2024年2月30日"), None);
        assert_eq!(respell("2024-03-31"), None);
        assert_eq!(respell("1.2.3"), None);
        assert_eq!(respell("24/3/31"), None);
        // Outside the years ipabs reads (1990–2100).
        assert_eq!(respell("1234.5.6"), None);
        // More digits than Decimal keeps: no respelling rather than a rounded one.
        assert_eq!(respell("0.00000000000000000000000000001万"), None);
    }
}

//! Values and punctuation typed in a local habit, and how TOML spells them.
//!
//! A deal file typed with a Chinese input method picks up full-width punctuation (`＝`, `，`,
//! `“…”`, `［［…］］`, the ideographic space), and amounts and dates come over from trustee
//! reports as `3000万`, `0.3亿`, `30,000,000`, `5.5%` or `2024年3月31日`. TOML reads none of
//! them, and its own message for each (quote the value, a missing comma) leads the wrong way.
//! These functions find them and give the spelling ipabs reads, exactly: an amount in 万 is
//! multiplied out in Decimal, never in a float (docs/errors.md, "Typed in a local habit").

use std::str::FromStr;

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

/// The standard name of a mark [`ascii_for`] knows, for messages.
fn mark_name(c: char) -> String {
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
        Literal,
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
                    '\'' => state = In::Literal,
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
            In::Literal => {
                visit(i, c, None, false);
                if c == '\'' {
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
/// that closes a string one opened) typed in ASCII.
pub(super) fn half_width(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    scan(line, |_, c, mapped, _| {
        // `rate：0.055` → `rate = 0.055`, as the `=` of a key is written.
        if c == '：' && mapped.is_some() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push(mapped.unwrap_or(c));
    });
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

/// A value as written, spelt as ipabs reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Respelling {
    /// What the value is, after "`…` is": "an amount in 万 (ten thousand yuan)".
    pub what: &'static str,
    /// The value as TOML and ipabs read it: `30000000`, `2024-03-31`, `0.055`.
    pub toml: String,
    /// Why, in a few words: "amounts are written in yuan".
    pub why: &'static str,
    /// A date (`true`) or a number.
    pub date: bool,
}

/// The value `raw` (unquoted text, trimmed) in the spelling ipabs reads, when it is an amount in
/// 万 or 亿 or followed by 元, a number with thousands separators, a percentage, or a date in
/// Chinese, with `/` or `.`, or without leading zeros. Full-width digits and marks in it are read
/// as ASCII first. None for anything else, and for a value ipabs already reads.
pub(super) fn respell(raw: &str) -> Option<Respelling> {
    let v: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '万' | '亿' | '元' | '年' | '月' | '日' => c,
            _ => ascii_for(c).filter(|&a| a != '=').unwrap_or(c),
        })
        .collect();
    if let Some(d) = date(&v) {
        return Some(d);
    }
    let b = v.strip_suffix('元').unwrap_or(&v);
    let (body, unit) = match (b.strip_suffix('万'), b.strip_suffix('亿')) {
        (Some(n), _) => (n, Some(10_000u64)),
        (_, Some(n)) => (n, Some(100_000_000)),
        _ => (b, None),
    };
    let yuan_suffix = v.ends_with('元');
    if let Some(pct) = body.strip_suffix('%')
        && unit.is_none()
        && !yuan_suffix
    {
        let n = number(pct.trim())?;
        return Some(Respelling {
            what: "a percentage",
            toml: plain(n.checked_div(Decimal::ONE_HUNDRED)?),
            why: "rates are fractions: 5.5% is 0.055",
            date: false,
        });
    }
    let body = body.trim();
    let n = number(body)?;
    let (what, why, n) = match unit {
        Some(10_000) => (
            "an amount in 万 (ten thousand yuan)",
            "amounts are written in yuan",
            n.checked_mul(Decimal::from(10_000))?,
        ),
        Some(_) => (
            "an amount in 亿 (a hundred million yuan)",
            "amounts are written in yuan",
            n.checked_mul(Decimal::from(100_000_000))?,
        ),
        None if yuan_suffix => (
            "an amount followed by its unit 元",
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
        date: false,
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
    if int.is_empty()
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
    let (parts, what): (Vec<&str>, _) = if let Some(rest) = v.strip_suffix('日') {
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
    parse_iso_date(&iso)?;
    Some(Respelling {
        what,
        toml: iso,
        why: "dates are written YYYY-MM-DD",
        date: true,
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
        assert_eq!(half_width("rate： 0.055　"), "rate = 0.055 ");
        // An escaped quote does not close a string.
        assert_eq!(first_full_width(r#"name = "a\"，b""#), None);
    }

    #[test]
    fn amounts_in_wan_and_yi_multiplied_exactly() {
        // 3000 × 10,000 = 30,000,000; 0.3 × 100,000,000 = 30,000,000; 1,234.5 × 10,000 =
        // 12,345,000; 0.000001 × 10,000 = 0.01 (one fen).
        let r = respell("3000万").unwrap();
        assert_eq!((r.toml.as_str(), r.date), ("30000000", false));
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
    fn dates_in_other_spellings() {
        for (v, iso) in [
            ("2024年3月31日", "2024-03-31"),
            ("2024/03/31", "2024-03-31"),
            ("2024/3/1", "2024-03-01"),
            ("2024.03.31", "2024-03-31"),
            ("2024-3-31", "2024-03-31"),
            ("２０２４年３月３１日", "2024-03-31"),
        ] {
            let r = respell(v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!((r.toml.as_str(), r.date), (iso, true), "{v}");
        }
        // Not a day of the calendar, or not a date at all.
        assert_eq!(respell("2024年2月30日"), None);
        assert_eq!(respell("2024-03-31"), None);
        assert_eq!(respell("1.2.3"), None);
        assert_eq!(respell("24/3/31"), None);
    }
}

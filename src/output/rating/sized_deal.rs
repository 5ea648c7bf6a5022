//! The sized deal file of `ipabs size --write`: the original text with the sized balances,
//! targets and issue size, its layout kept.

use super::*;

/// The deal file's text with the given tranches' `balance` values replaced, keeping every
/// comment and the layout (toml_edit). Balances are written as integers when whole, otherwise
/// with their two decimals.
/// A scheduled tranche's `target_balances` are written as `schedules` gives them, by tranche
/// name, in the file's order of its entries (only their `balance` values change).
pub fn sized_deal_text(
    file: &str,
    original: &str,
    balances: &[(String, Decimal)],
    schedules: &[(String, Vec<Decimal>)],
) -> Result<String, Error> {
    let mut doc = document(file, original)?;
    let mut tranches = tranches_of(file, &mut doc)?;
    for (name, bal) in balances {
        let table = named(&mut tranches, file, name)?;
        let old = table.get("balance").and_then(|v| v.as_value());
        let mut value = amount_value(*bal, old, "balance")?;
        if let Some(old) = old {
            keep_comment_column(&mut value, old);
        }
        table.insert("balance", toml_edit::Item::Value(value));
    }
    for (name, targets) in schedules {
        let table = named(&mut tranches, file, name)?;
        let wrong = || {
            Error::Usage(format!(
                "{file}: tranche `{name}`'s target_balances is not {} {{ date, balance }} \
                 entries",
                targets.len()
            ))
        };
        let value_of = |target: &Decimal, old: Option<&toml_edit::Value>| {
            amount_value(*target, old, "target balance")
        };
        let item = table.get_mut("target_balances").ok_or_else(wrong)?;
        // `target_balances = [{ … }, …]`, or `[[tranches.target_balances]]` tables (review
        // 29e item 3: the second form was refused).
        if let Some(entries) = item.as_array_mut() {
            if entries.len() != targets.len() {
                return Err(wrong());
            }
            for (entry, target) in entries.iter_mut().zip(targets) {
                let t = entry.as_inline_table_mut().ok_or_else(wrong)?;
                let value = value_of(target, t.get("balance"))?;
                t.insert("balance", value);
            }
        } else if let Some(tables) = item.as_array_of_tables_mut() {
            if tables.len() != targets.len() {
                return Err(wrong());
            }
            for (t, target) in tables.iter_mut().zip(targets) {
                let value = value_of(target, t.get("balance").and_then(|v| v.as_value()))?;
                t.insert("balance", toml_edit::Item::Value(value));
            }
        } else {
            return Err(wrong());
        }
    }
    // `[deal] issue_size` (发行规模), which must equal the tranches' sum: the sized tranches'
    // new sum (review 32e item 4: the sized file kept the old size and failed its own check).
    let sum = tranche_tables(&mut doc).map(|ts| {
        ts.iter()
            .map(|t| {
                let v = t.get("balance").and_then(|v| v.as_value())?;
                let text = match v.as_str() {
                    Some(s) => s.to_string(),
                    None => {
                        let mut bare = v.clone();
                        bare.decor_mut().clear();
                        bare.to_string()
                    }
                };
                text.trim().parse::<Decimal>().ok()
            })
            .sum::<Option<Decimal>>()
    });
    if let (Some(Some(sum)), Some(deal)) =
        (sum, doc.get_mut("deal").and_then(|d| d.as_table_like_mut()))
        && let Some(old) = deal.get("issue_size").and_then(|v| v.as_value()).cloned()
    {
        let value = amount_value(sum, Some(&old), "issue size")?;
        deal.insert("issue_size", toml_edit::Item::Value(value));
    }
    Ok(doc.to_string())
}

/// The sized deal file's text with each sized tranche's `rating` set to the rating it was
/// sized to (`ratings`: tranche name, rating), its spacing and comment kept, or added where the
/// tranche has none (review 47b F3: a senior sized to AA kept `rating = "AAA"`, against which
/// `breakeven` on the sized file then compared it).
pub fn with_ratings(file: &str, text: &str, ratings: &[(String, String)]) -> Result<String, Error> {
    let mut doc = document(file, text)?;
    let mut tranches = tranches_of(file, &mut doc)?;
    for (name, rating) in ratings {
        let table = named(&mut tranches, file, name)?;
        let mut value = toml_edit::Value::from(rating.as_str());
        if let Some(old) = table.get("rating").and_then(|v| v.as_value()) {
            if old.as_str() == Some(rating.as_str()) {
                continue;
            }
            *value.decor_mut() = old.decor().clone();
            keep_comment_column(&mut value, old);
        }
        table.insert("rating", toml_edit::Item::Value(value));
    }
    Ok(doc.to_string())
}

/// Keeps the trailing comment of `old`, which `value` replaces, in its column as far as one
/// space allows: the spaces before it make up for the new value's length (review 47e F2: a
/// rating's comment moved a column).
fn keep_comment_column(value: &mut toml_edit::Value, old: &toml_edit::Value) {
    let bare_len = |v: &toml_edit::Value| {
        let mut bare = v.clone();
        bare.decor_mut().clear();
        bare.to_string().chars().count()
    };
    if let Some(suffix) = old.decor().suffix().and_then(|r| r.as_str())
        && suffix.trim_start().starts_with('#')
    {
        let spaces = suffix.len() - suffix.trim_start_matches(' ').len();
        let wanted = (spaces + bare_len(old))
            .saturating_sub(bare_len(value))
            .max(1);
        let comment = suffix.trim_start_matches(' ');
        value
            .decor_mut()
            .set_suffix(format!("{}{comment}", " ".repeat(wanted)));
    }
}

/// `text`, the deal file's, as a TOML document to edit.
fn document(file: &str, text: &str) -> Result<toml_edit::DocumentMut, Error> {
    text.parse()
        .map_err(|e| Error::Usage(format!("{file}: cannot be re-read as TOML: {e}")))
}

/// [`tranche_tables`], or the error that the file has none.
fn tranches_of<'d>(
    file: &str,
    doc: &'d mut toml_edit::DocumentMut,
) -> Result<Vec<&'d mut dyn toml_edit::TableLike>, Error> {
    tranche_tables(doc).ok_or_else(|| {
        Error::Usage(format!(
            "{file}: no `tranches` array of tables (`[[tranches]]`) or inline tables"
        ))
    })
}

/// The tranche of `tranches` whose `name` is `name`.
fn named<'t, 'd>(
    tranches: &'t mut [&'d mut dyn toml_edit::TableLike],
    file: &str,
    name: &str,
) -> Result<&'t mut &'d mut dyn toml_edit::TableLike, Error> {
    tranches
        .iter_mut()
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
        .ok_or_else(|| Error::Usage(format!("{file}: no [[tranches]] named `{name}`")))
}

/// The deal's tranches, `[[tranches]]` tables or `tranches = [{ … }, …]` inline tables
/// (review 44c F6: a valid deal written the second way was refused after the simulation).
fn tranche_tables(doc: &mut toml_edit::DocumentMut) -> Option<Vec<&mut dyn toml_edit::TableLike>> {
    let item = doc.get_mut("tranches")?;
    if item.is_array_of_tables() {
        return item.as_array_of_tables_mut().map(|ts| {
            ts.iter_mut()
                .map(|t| t as &mut dyn toml_edit::TableLike)
                .collect()
        });
    }
    let array = item.as_array_mut()?;
    array
        .iter_mut()
        .map(|v| {
            v.as_inline_table_mut()
                .map(|t| t as &mut dyn toml_edit::TableLike)
        })
        .collect()
}

/// `x` as a TOML value (an integer when whole), with the spacing and comments of `old`.
fn amount_value(
    x: Decimal,
    old: Option<&toml_edit::Value>,
    what: &str,
) -> Result<toml_edit::Value, Error> {
    let text = x.normalize().to_string();
    let mut value: toml_edit::Value = text
        .parse()
        .map_err(|e| Error::Internal(format!("{what} {text} is not a TOML value: {e}")))?;
    if let Some(old) = old {
        *value.decor_mut() = old.decor().clone();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// A sized tranche's `rating` is the one it was sized to: replaced with its comment kept,
    /// added where there was none, left alone where it is that already (review 47b F3).
    #[test]
    fn the_rating_is_the_one_sized_to() {
        let original = "[[tranches]]\nname = \"A\"\nrating = \"AAA\" # 目标评级\nbalance = 100\n\n\
                        [[tranches]]\nname = \"M\"\nbalance = 10\n\n\
                        [[tranches]]\nname = \"B\"\nrating = \"A\"\nbalance = 5\n";
        let ratings =
            [("A", "AA"), ("M", "A+"), ("B", "A")].map(|(n, r)| (n.to_string(), r.to_string()));
        let sized = with_ratings("d.toml", original, &ratings).expect("sized");
        assert!(
            // The comment keeps its column: "AAA" is a character longer than "AA".
            sized.contains("name = \"A\"\nrating = \"AA\"  # 目标评级\n"),
            "{sized}"
        );
        assert!(
            sized.contains("name = \"M\"\nbalance = 10\nrating = \"A+\"\n"),
            "{sized}"
        );
        assert!(
            sized.contains("name = \"B\"\nrating = \"A\"\nbalance = 5\n"),
            "{sized}"
        );
        let inline = "tranches = [{ name = \"A\", rating = \"AAA\", balance = 100 }]\n";
        let sized = with_ratings("d.toml", inline, &ratings[..1]).expect("inline");
        assert!(
            sized.contains("{ name = \"A\", rating = \"AA\", balance = 100 }"),
            "{sized}"
        );
    }

    /// A scheduled tranche's targets are rewritten in either TOML form (review 29e item 3:
    /// `[[tranches.target_balances]]` tables were refused), values only.
    #[test]
    fn target_balances_are_rewritten_inline_or_as_tables() {
        let inline = "[[tranches]]\nname = \"A\"\nbalance = 100\ntarget_balances = [\n  { date = 2024-01-01, balance = 50 },\n  { date = 2024-07-01, balance = 0 },\n]\n";
        let tables = "[[tranches]]\nname = \"A\"\nbalance = 100\n\n[[tranches.target_balances]]\ndate = 2024-01-01\nbalance = 50\n\n[[tranches.target_balances]]\ndate = 2024-07-01\nbalance = 0\n";
        let schedules = vec![("A".to_string(), vec![dec!(60.5), dec!(0)])];
        let balances = vec![("A".to_string(), dec!(121))];
        let a = sized_deal_text("d.toml", inline, &balances, &schedules).expect("inline");
        assert!(a.contains("{ date = 2024-01-01, balance = 60.5 }"), "{a}");
        assert!(a.contains("balance = 121"), "{a}");
        let b = sized_deal_text("d.toml", tables, &balances, &schedules).expect("tables");
        assert!(b.contains("date = 2024-01-01\nbalance = 60.5\n"), "{b}");
        assert!(b.contains("date = 2024-07-01\nbalance = 0\n"), "{b}");
    }

    /// `[deal] issue_size` follows the sized tranches (review 32e item 4): A 100 → 121 with B
    /// 20 (a quoted string) gives 121 + 20 = 141; its comment stays. Without the key, none is
    /// added.
    #[test]
    fn the_issue_size_follows_the_tranches() {
        let original = "[deal]\nname = \"d\"\nissue_size = 120 # 发行规模\n\n[[tranches]]\nname = \"A\"\n\
                        balance = 100\n\n[[tranches]]\nname = \"B\"\nbalance = \"20\"\n";
        let balances = vec![("A".to_string(), dec!(121))];
        let sized = sized_deal_text("d.toml", original, &balances, &[]).expect("sized");
        assert!(sized.contains("issue_size = 141 # 发行规模"), "{sized}");
        let without = original.replace("issue_size = 120 # 发行规模\n", "");
        let sized = sized_deal_text("d.toml", &without, &balances, &[]).expect("sized");
        assert!(!sized.contains("issue_size"), "{sized}");
    }

    /// Tranches written as inline tables are sized as `[[tranches]]` are (review 44c F6: the
    /// valid form was refused after the simulation): A 100 → 121 beside B 20 gives the
    /// issue size 121 + 20 = 141, and A's inline targets are rewritten.
    #[test]
    fn inline_tranches_are_sized_too() {
        let original = "tranches = [\n  { name = \"A\", balance = 100, \
                        target_balances = [{ date = 2024-01-01, balance = 50 }] },\n  \
                        { name = \"B\", balance = 20 },\n]\n\n[deal]\nissue_size = 120\n";
        let balances = vec![("A".to_string(), dec!(121))];
        let schedules = vec![("A".to_string(), vec![dec!(60.5)])];
        let sized = sized_deal_text("d.toml", original, &balances, &schedules).expect("sized");
        assert!(sized.contains("{ name = \"A\", balance = 121,"), "{sized}");
        assert!(
            sized.contains("{ date = 2024-01-01, balance = 60.5 }"),
            "{sized}"
        );
        assert!(sized.contains("issue_size = 141"), "{sized}");
        let neither = "tranches = 3\n\n[deal]\nissue_size = 120\n";
        let e = sized_deal_text("d.toml", neither, &balances, &[]).expect_err("refused");
        assert!(
            e.to_string().contains("no `tranches` array of tables"),
            "{e}"
        );
    }

    /// The column of `#` on the line of `key` in `text`.
    fn comment_column(text: &str, key: &str) -> Option<usize> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line.chars().position(|c| c == '#')
    }

    /// The sized deal keeps the layout: a balance's trailing comment stays in its column when
    /// the new value is shorter or a little longer, and one space separates them when it no
    /// longer fits (found by a review: the comments shifted by the values' difference).
    #[test]
    fn a_balance_comment_keeps_its_column() {
        let original = "[[tranches]]\nname = \"A\"\nbalance = 131000000                 # split\n\
                        coupon = 0.04\n\n[[tranches]]\nname = \"B\"\n\
                        balance = \"600000.00\"  # quoted\n\n[[tranches]]\nname = \"C\"\n\
                        balance = 1 # short\n";
        let balances = [
            ("A".to_string(), dec!(90500000)),
            ("B".to_string(), dec!(500000)),
            ("C".to_string(), dec!(123456789)),
        ];
        let sized = sized_deal_text("d.toml", original, &balances, &[]).expect("sized");
        // A: `balance = 131000000` is 19 characters and 17 spaces put `#` at column 36;
        // `balance = 90500000` is 18, so 18 spaces keep it there.
        assert_eq!(comment_column(original, "balance = 131000000"), Some(36));
        assert!(
            sized.contains("balance = 90500000                  # split\n"),
            "{sized}"
        );
        // B: `"600000.00"` (11 characters) and 2 spaces; `500000` (6) takes 2 + 11 − 6 = 7.
        assert!(
            sized.contains("balance = 500000       # quoted\n"),
            "{sized}"
        );
        // C: one space, and a longer value: still one space.
        assert!(sized.contains("balance = 123456789 # short\n"), "{sized}");
        assert!(sized.contains("coupon = 0.04\n"));
    }
}

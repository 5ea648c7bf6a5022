//! The ledger as a plain-text double-entry journal, in hledger's journal format (which Ledger
//! reads too): one transaction per `ledger.parquet` row, and after each payment date the
//! trust's accounts asserted at the balances `periods.parquet` states, so that `hledger check`
//! re-adds every movement and compares (docs/output.md, "Journal (`--journal FILE`)"; the
//! format: docs/sources.md, R11).

use std::fmt::Write;

use crate::analytics::measures::PricedRun;
use crate::engine::ledger::{Account, AccountNames};
use crate::engine::result::{LedgerEntry, PeriodRow, RunResult};
use crate::money::{Fen, to_fen};

/// The commodity every amount is written in.
const COMMODITY: &str = "CNY";

/// The journal of `runs` (one deal, each run a scenario), as text.
pub fn journal_text(deal: &str, runs: &[PricedRun]) -> String {
    let mut out = String::new();
    let scenarios = top_names(runs.iter().map(|r| r.run.scenario.as_str()));
    let _ = writeln!(
        out,
        "; ipabs {} journal of deal `{}`, scenario(s) {} (docs/output.md, \"Journal\").\n\
         ; One transaction per ledger.parquet row: the destination gains the amount, the source\n\
         ; gives it. After each payment date the trust's accounts are asserted at the balances\n\
         ; periods.parquet states. Check it with `hledger -f FILE check`.",
        env!("CARGO_PKG_VERSION"),
        clean(deal),
        scenarios.join(", "),
    );
    for (r, top) in runs.iter().zip(&scenarios) {
        run_journal(&mut out, &r.run, top);
    }
    out
}

/// Each scenario's top account: its name [`clean`]ed, and `~2`, `~3`, … after a name an
/// earlier scenario's cleans to, so that no two scenarios share an account (review 43f F1:
/// `a:b` and `a_b` shared one, and their assertions failed).
fn top_names<'a>(scenarios: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut tops: Vec<String> = Vec::new();
    for name in scenarios {
        let mut base = clean(name);
        // The scenario starts every posting's account, where hledger reads a leading `*` or
        // `!` as the posting's status and `(…)` or `[…]` as a virtual posting (review 44c F4:
        // `*s` shared `s`'s accounts, and `(base)` made unbalanced virtual postings).
        if base.starts_with(['(', '[', '*', '!']) {
            base.replace_range(..1, "_");
        }
        let mut top = base.clone();
        let mut n = 1;
        while tops.contains(&top) {
            n += 1;
            top = format!("{base}~{n}");
        }
        tops.push(top);
    }
    tops
}

/// The transactions of one run under its top account `top`, each date's balance assertions
/// after its movements.
fn run_journal(out: &mut String, run: &RunResult, top: &str) {
    let mut periods = run.periods.iter().peekable();
    for e in &run.ledger {
        while let Some(p) = periods.next_if(|p| p.period < e.period) {
            assertions(out, top, p);
        }
        movement(out, top, &run.accounts, e);
    }
    for p in periods {
        assertions(out, top, p);
    }
}

/// One movement: the destination's posting, then the source's.
fn movement(out: &mut String, top: &str, names: &AccountNames, e: &LedgerEntry) {
    let amount = to_fen(e.amount);
    let _ = writeln!(
        out,
        "\n{} ({}.{}) {} {}\n    ; {}",
        e.date,
        e.period,
        e.step,
        e.action.name(),
        clean(e.item.as_str()),
        clean(e.reason),
    );
    posting(out, &account(top, names, e.destination), amount, None);
    posting(out, &account(top, names, e.source), -amount, None);
}

/// The trust's balances after payment date `p`: the collection and reserve accounts, and
/// the named accounts together (`=*` counts an account's subaccounts) when the deal has them.
fn assertions(out: &mut String, top: &str, p: &PeriodRow) {
    let _ = write!(
        out,
        "\n{} ({}) balances after payment date {}\n",
        p.payment_date, p.period, p.period
    );
    let trust = |a: &str| format!("{top}:trust:{a}");
    posting(
        out,
        &trust("collection"),
        0,
        Some(("=", to_fen(p.collection_balance_end))),
    );
    posting(
        out,
        &trust("reserve"),
        0,
        Some(("=", to_fen(p.reserve_balance_end))),
    );
    if let Some(named) = p.accounts_balance_end {
        posting(out, &trust("accounts"), 0, Some(("=*", to_fen(named))));
    }
}

/// A posting line: the account, two spaces at least, the amount, and an assertion.
fn posting(out: &mut String, account: &str, amount: Fen, assert: Option<(&str, Fen)>) {
    let _ = write!(
        out,
        "    {account:<44}  {:>18} {COMMODITY}",
        fen_text(amount)
    );
    if let Some((op, balance)) = assert {
        let _ = write!(out, " {op} {} {COMMODITY}", fen_text(balance));
    }
    out.push('\n');
}

/// The journal's name of `account`, under the run's top account: `trust:collection`,
/// `trust:reserve` and `trust:accounts:NAME` for the cash inside the deal; the others as
/// `ledger.parquet` names them (`pool`, `tranche:A`, `support:NAME`, …).
fn account(top: &str, names: &AccountNames, account: Account) -> String {
    let name = names.name(account);
    let path = match (account, name.split_once(':')) {
        (Account::Collection | Account::Reserve, _) => format!("trust:{name}"),
        (Account::Named(_), Some((_, n))) => format!("trust:accounts:{}", clean(n)),
        (_, Some((kind, n))) => format!("{kind}:{}", clean(n)),
        (_, None) => clean(name),
    };
    format!("{top}:{path}")
}

/// `f` fen in yuan with two decimals and no separators: `-1234.56`.
fn fen_text(f: Fen) -> String {
    let sign = if f < 0 { "-" } else { "" };
    let a = f.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// A name as one journal name part: `:` (hledger's separator of account parts) becomes `_`,
/// `;` (a comment) `,`, control characters and runs of white space one space; never empty.
fn clean(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c {
            ':' => '_',
            ';' => ',',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let words: Vec<&str> = mapped.split_whitespace().collect();
    if words.is_empty() {
        "_".to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_yuan_with_two_decimals() {
        assert_eq!(fen_text(0), "0.00");
        assert_eq!(fen_text(5), "0.05");
        assert_eq!(fen_text(-123_456), "-1234.56");
        assert_eq!(fen_text(100), "1.00");
    }

    #[test]
    fn colliding_scenario_names_get_their_own_accounts() {
        let tops = top_names(["a:b", "a_b", "x  y", "x y", "a_b", "a_b~2"].into_iter());
        assert_eq!(tops, ["a_b", "a_b~2", "x y", "x y~2", "a_b~3", "a_b~2~2"]);
    }

    #[test]
    fn a_scenario_starting_with_a_posting_mark_gets_an_underscore() {
        let tops = top_names(["s", "*s", "(base)", "[x]", "!y", "_s"].into_iter());
        assert_eq!(tops, ["s", "_s", "_base)", "_x]", "_y", "_s~2"]);
    }

    #[test]
    fn names_keep_to_one_account_part() {
        assert_eq!(clean("A:1"), "A_1");
        assert_eq!(clean("  stress  ×\tCDR;2% "), "stress × CDR,2%");
        assert_eq!(clean("a\nb"), "a b");
        assert_eq!(clean(" "), "_");
    }
}

//! Loading and the invariants every run must satisfy, shared by tests/properties.rs and
//! tests/regressions.rs. Definitions: docs/robustness.md.

#![allow(dead_code)]

use ipabs::deal::Deal;
use ipabs::engine::{self, result::RunResult};
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;

/// Loads a deal that must be valid; a rejection is a failure that prints the file.
pub fn load(toml: &str) -> Result<Deal, String> {
    deal_from_str("prop.toml", toml)
        .map(|l| l.deal)
        .map_err(|e| format!("a generated deal was rejected:\n{e}\n----- deal.toml -----\n{toml}"))
}

/// Runs `deal` under its own scenario.
pub fn run(deal: &Deal) -> Result<RunResult, String> {
    engine::run(deal, &deal.scenario).map_err(|e| format!("the run failed: {e}"))
}

fn sum(it: impl Iterator<Item = Decimal>) -> Decimal {
    it.sum()
}

/// Cash conservation, re-derived from the output tables; non-negative balances; positive
/// ledger amounts; principal paid never above the initial balance. Returns the first
/// violation.
pub fn accounting(deal: &Deal, r: &RunResult) -> Result<(), String> {
    let zero = Decimal::ZERO;
    // Inflows.
    let pool = sum(r.pool_flows.iter().map(|p| p.collected + p.recovered));
    // Draws, and an asset guarantor's payments of the defaults (担保代偿, since session 29).
    let support = sum(r
        .ledger
        .iter()
        .filter(|e| matches!(e.action.name(), "draw_support" | "guarantee_payment"))
        .map(|e| e.amount));
    // The recoveries paid back to the asset guarantor (代位追偿): an outflow, not a payment.
    let subrogation = sum(r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "subrogation")
        .map(|e| e.amount));
    // A support's draws repaid by a `repay_support` step (since session 32): an outflow.
    let repaid = sum(r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "repay_support")
        .map(|e| e.amount));
    if repaid != sum(r.support_draws.iter().map(|s| s.repaid)) {
        return Err(format!(
            "the ledger repaid the supports {repaid}, support.parquet's `repaid` says otherwise"
        ));
    }
    let funding = sum(r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "fund_reserve")
        .map(|e| e.amount));
    let expected_funding = deal.reserve.as_ref().map_or(zero, |x| x.initial);
    if funding != expected_funding {
        return Err(format!(
            "reserve funded {funding}, but the deal says {expected_funding}"
        ));
    }
    // The clean-up call's price (issue 12): an inflow from the originator; and income on cash
    // held (合格投资, since session 29), counted with it.
    let call = sum(r
        .ledger
        .iter()
        .filter(|e| matches!(e.action.name(), "clean_up_call" | "investment_income"))
        .map(|e| e.amount));
    // Outflows: from the collection account or a named account to a payee (revolving
    // purchases, to the seller, included).
    let internal = |n: &str| n == "collection" || n.starts_with("account:");
    let payments = sum(r
        .ledger
        .iter()
        .filter(|e| {
            internal(r.accounts.name(e.source))
                && !internal(r.accounts.name(e.destination))
                && r.accounts.name(e.destination) != "reserve"
                && !matches!(e.action.name(), "subrogation" | "repay_support")
        })
        .map(|e| e.amount));
    let (collection_end, reserve_end, accounts_end) =
        r.periods.last().map_or((zero, funding, zero), |p| {
            (
                p.collection_balance_end,
                p.reserve_balance_end,
                p.accounts_balance_end.unwrap_or(zero),
            )
        });
    if pool + support + funding + call
        != payments + collection_end + reserve_end + accounts_end + subrogation + repaid
    {
        return Err(format!(
            "cash not conserved: pool {pool} + support {support} + funding {funding} + call \
             {call} != payments {payments} + collection {collection_end} + reserve \
             {reserve_end} + accounts {accounts_end} + subrogation {subrogation} + repaid \
             {repaid}"
        ));
    }
    // The engine's own record agrees with the re-derivation.
    let c = &r.conservation;
    if (
        c.pool_cash,
        c.support_draws,
        c.reserve_funding,
        c.payments + c.purchases,
        c.collection_end,
        c.reserve_end,
        c.call_price + c.investment_income,
        c.accounts_end,
        c.subrogation,
        c.support_repaid,
    ) != (
        pool,
        support,
        funding,
        payments,
        collection_end,
        reserve_end,
        call,
        accounts_end,
        subrogation,
        repaid,
    ) {
        return Err(format!("conservation record {c:?} differs from the tables"));
    }
    // Pool cash per period = pool flows of that period.
    for p in &r.periods {
        let rows = sum(r
            .pool_flows
            .iter()
            .filter(|f| f.period == p.period)
            .map(|f| f.collected + f.recovered));
        if rows != p.pool_cash {
            return Err(format!(
                "period {}: pool cash {} but pool rows sum to {rows}",
                p.period, p.pool_cash
            ));
        }
        let moved = |action: &str| {
            sum(r
                .ledger
                .iter()
                .filter(|e| e.period == p.period && e.action.name() == action)
                .map(|e| e.amount))
        };
        let called = moved("clean_up_call") + moved("investment_income");
        // The asset guarantor's payment in, the recoveries paid back to it out, before the
        // waterfall (docs/output.md, `available_funds`).
        let guaranteed = moved("guarantee_payment") - moved("subrogation");
        if p.available_funds != p.pool_cash + p.cash_brought_forward + called + guaranteed {
            return Err(format!(
                "period {}: available funds do not add up",
                p.period
            ));
        }
    }
    // Support totals match the ledger.
    for s in &r.support_draws {
        let src = format!("support:{}", s.support);
        let l = sum(r
            .ledger
            .iter()
            .filter(|e| r.accounts.name(e.source) == src)
            .map(|e| e.amount));
        if l != s.total {
            return Err(format!(
                "support {}: total {} but ledger {l}",
                s.support, s.total
            ));
        }
    }
    // No ledger amount <= 0; the accounts never go negative when the ledger is replayed.
    let (mut coll, mut res) = (zero, zero);
    for e in &r.ledger {
        if e.amount <= zero {
            return Err(format!("ledger amount <= 0: {e:?}"));
        }
        let (from, to) = (r.accounts.name(e.source), r.accounts.name(e.destination));
        if from == "collection" {
            coll -= e.amount;
        }
        if from == "reserve" {
            res -= e.amount;
        }
        if to == "collection" {
            coll += e.amount;
        }
        if to == "reserve" {
            res += e.amount;
        }
        if coll < zero || res < zero {
            return Err(format!("account negative after {e:?}"));
        }
    }
    if (coll, res) != (collection_end, reserve_end) {
        return Err(format!(
            "ledger replays to {coll}/{res}, tables end at {collection_end}/{reserve_end}"
        ));
    }
    // No balance is ever negative.
    for p in &r.periods {
        for (what, v) in [
            ("collection", p.collection_balance_end),
            ("reserve", p.reserve_balance_end),
            ("pool", p.pool_balance_end),
            ("senior", p.senior_balance_end),
            ("cash brought forward", p.cash_brought_forward),
        ] {
            if v < zero {
                return Err(format!("period {}: {what} balance {v} < 0", p.period));
            }
        }
    }
    for f in &r.pool_flows {
        for (what, v) in [
            ("balance_end", f.balance_end),
            ("collected", f.collected),
            ("recovered", f.recovered),
            ("defaulted", f.defaulted),
            ("prepaid", f.prepaid),
            ("scheduled", f.scheduled),
            ("delayed", f.delayed),
            ("principal_collected", f.principal_collected),
            ("interest_collected", f.interest_collected),
        ] {
            if v < zero {
                return Err(format!(
                    "pool row {} / {}: {what} {v} < 0",
                    f.period, f.obligor
                ));
            }
        }
    }
    for f in &r.tranche_flows {
        let neg = [
            f.balance_start,
            f.balance_end,
            f.interest_due,
            f.interest_paid,
            f.interest_shortfall,
            f.principal_due,
            f.principal_paid,
            f.residual_paid,
        ]
        .iter()
        .any(|v| *v < zero);
        if neg {
            return Err(format!("negative amount in tranche row {f:?}"));
        }
        if f.balance_end != f.balance_start - f.principal_paid
            || f.interest_shortfall != f.interest_due - f.interest_paid
        {
            return Err(format!("tranche row does not add up: {f:?}"));
        }
    }
    // Principal paid never exceeds the initial balance; final balance = initial − paid.
    for t in &deal.tranches {
        let paid = sum(r
            .tranche_flows
            .iter()
            .filter(|f| f.tranche == t.name)
            .map(|f| f.principal_paid));
        if paid > t.balance {
            return Err(format!(
                "tranche {}: principal paid {paid} > initial {}",
                t.name, t.balance
            ));
        }
        let last = r.tranche_flows.iter().rev().find(|f| f.tranche == t.name);
        if let Some(last) = last
            && last.balance_end != t.balance - paid
        {
            return Err(format!(
                "tranche {}: final balance {} != initial − paid",
                t.name, last.balance_end
            ));
        }
        let s = r.summary.iter().find(|s| s.tranche == t.name);
        if let Some(s) = s
            && (s.total_principal != paid || s.principal_loss != t.balance - paid)
        {
            return Err(format!(
                "tranche {}: summary {s:?} disagrees with the flows",
                t.name
            ));
        }
    }
    Ok(())
}

/// Class rank: 0 senior, 1 mezzanine, 2 subordinated.
fn rank(class: &str) -> u8 {
    match class {
        "senior" => 0,
        "mezzanine" => 1,
        _ => 2,
    }
}

/// Seniority (docs/robustness.md): on every payment date, if a tranche receives interest,
/// every tranche of a strictly senior class was paid its interest due in full; if it receives
/// principal, a periodic return or residual, every tranche of a strictly senior class was
/// paid its interest due and at least its principal due in full.
pub fn seniority(r: &RunResult) -> Result<(), String> {
    for p in &r.periods {
        let rows: Vec<_> = r
            .tranche_flows
            .iter()
            .filter(|f| f.period == p.period)
            .collect();
        let sub_return = |name: &str| {
            r.ledger.iter().any(|e| {
                e.period == p.period && e.action.name() == "pay_sub_return" && e.item == name
            })
        };
        for j in &rows {
            let got_interest = j.interest_paid > Decimal::ZERO && !sub_return(&j.tranche);
            let got_more = j.principal_paid > Decimal::ZERO
                || j.residual_paid > Decimal::ZERO
                || sub_return(&j.tranche);
            if !got_interest && !got_more {
                continue;
            }
            for s in rows.iter().filter(|s| rank(&s.class) < rank(&j.class)) {
                if s.interest_paid < s.interest_due {
                    return Err(format!(
                        "period {}: junior {} was paid ({}) while senior {} had an interest \
                         shortfall of {}",
                        p.period,
                        j.tranche,
                        if got_more {
                            "principal/return/residual"
                        } else {
                            "interest"
                        },
                        s.tranche,
                        s.interest_due - s.interest_paid
                    ));
                }
                if got_more && s.principal_paid < s.principal_due {
                    return Err(format!(
                        "period {}: junior {} was paid principal/return/residual while senior {} \
                         was paid {} of {} principal due",
                        p.period, j.tranche, s.tranche, s.principal_paid, s.principal_due
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Senior principal loss plus final senior interest shortfall.
pub fn senior_deficit(r: &RunResult) -> Decimal {
    r.summary
        .iter()
        .filter(|s| s.class == "senior")
        .map(|s| s.principal_loss + s.interest_shortfall)
        .sum()
}

/// One fen per payment date per amount the engine rounds on that date (each tax, each fee,
/// each tranche's interest, the reserve target): the slack the monotonicity property allows
/// for rounding (docs/robustness.md).
pub fn rounding_tolerance(deal: &Deal) -> Decimal {
    let items = deal.taxes.len() + deal.fees.len() + deal.tranches.len() + 1;
    Decimal::new((deal.periods.len() * items) as i64, 2)
}

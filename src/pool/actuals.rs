//! The pool of a deal in life: the actual collections of its past payment dates, then the
//! at-issue projection of the rest rebased on the actual performing balance (docs/auditing.md).
//!
//! The engine reads only the period totals ([`PeriodCash`]) and the initial balance, so the
//! waterfall runs on actual collections exactly as it runs on projected ones, and the
//! cumulative default ratio of every period is measured against the ORIGINAL pool.

use rust_decimal::Decimal;

use crate::actuals::{Actuals, Collections};
use crate::deal::Deal;
use crate::error::{Error, Result};
use crate::label::Label;
use crate::money::{Fen, Ratio, fen_times, from_fen, to_fen};
use crate::pool::projection::{PeriodCash, PoolProjection};
use crate::pool::rows::{PoolFlowRow, PoolFlows};

/// The obligor name of the one pool row of an actual period given as pool totals only.
pub const POOL_ROW: &str = "(pool)";

fn dec(f: Fen) -> Result<Decimal> {
    from_fen(f).ok_or_else(|| Error::Internal(format!("{f} fen is beyond Decimal's range")))
}

/// The pool of `deal` with `actuals` for its first payment dates and `at_issue` (the
/// projection of the deal's scenario from the cutoff) for the rest.
///
/// * Actual period `k`: collected = principal + prepayments + interest, recovered,
///   defaulted as reported; the balance at its start is the previous period's end (the
///   at-issue initial balance for period 1), and at its end the reported `balance_end`, or
///   the start less principal, prepayments and defaults.
/// * Every later period: the at-issue projection of each obligor scaled by `A / P`, where
///   `A` is the actual performing balance at the last actual date and `P` the projected one
///   (each amount `x × A / P` rounded once by the deal's rounding); the period totals are the
///   sums of the scaled rows. When `A = P` nothing is scaled, so actuals equal to the
///   projection give the projection itself.
/// * Cumulative defaults run on: actual defaults, then the scaled projected ones.
pub fn rebased(
    deal: &Deal,
    actuals: &Actuals,
    at_issue: &PoolProjection,
) -> Result<PoolProjection> {
    let n = deal.periods.len();
    let m = actuals.len().min(n);
    let no = deal.obligors.len();
    let at_rows: Vec<PoolFlowRow> = at_issue.rows.iter().collect();
    let per_period = |k: usize| -> &[PoolFlowRow] {
        if at_rows.len() == n * no {
            &at_rows[k * no..(k + 1) * no]
        } else {
            &[]
        }
    };
    let mut periods = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(at_rows.len());
    let mut balance = to_fen(at_issue.initial_balance);
    let mut cumulative: Fen = 0;
    // Each obligor's performing balance at the end of the last actual period.
    let mut obligor_balance: Vec<Option<Fen>> = vec![None; no];
    for a in &actuals.periods[..m] {
        let k = a.index;
        let c = &a.pool;
        let start = balance;
        let end = match c.balance_end {
            Some(b) => to_fen(b),
            None => start - to_fen(c.principal) - to_fen(c.prepayments) - to_fen(c.defaults),
        };
        if end < 0 {
            return Err(Error::Usage(format!(
                "actuals, period {}: the pool's performing balance would fall below zero \
                 ({} at the start, less principal {}, prepayments {} and defaults {}); give \
                 `balance_end` or check the amounts",
                k + 1,
                dec(start)?,
                c.principal,
                c.prepayments,
                c.defaults
            )));
        }
        cumulative += to_fen(c.defaults);
        periods.push(PeriodCash {
            collected: c.collected(),
            principal_collected: c.principal + c.prepayments,
            interest_collected: c.interest,
            prepaid: c.prepayments,
            recovered: c.recoveries,
            defaulted: c.defaults,
            delayed: Decimal::ZERO,
            balance_start: dec(start)?,
            balance_end: dec(end)?,
            cumulative_defaults: dec(cumulative)?,
        });
        let p = deal.periods[k];
        let at = per_period(k);
        match &a.obligors {
            Some(list) if at.len() == no => {
                for ((row, o), b) in at.iter().zip(list).zip(obligor_balance.iter_mut()) {
                    // Period 1 starts from the projection's opening balance of the obligor.
                    let start = b.unwrap_or(
                        to_fen(row.balance_end)
                            + to_fen(row.principal_collected)
                            + to_fen(row.defaulted),
                    );
                    let end = match o.balance_end {
                        Some(x) => to_fen(x),
                        None => {
                            start - to_fen(o.principal) - to_fen(o.prepayments) - to_fen(o.defaults)
                        }
                    };
                    *b = Some(end);
                    rows.push(actual_row(row, o, dec(end)?));
                }
            }
            _ => {
                let scheduled = at.iter().map(|r| r.scheduled).sum();
                let mut row = actual_row(
                    &PoolFlowRow {
                        period: p.number,
                        payment_date: p.date(),
                        obligor: Label::Static(POOL_ROW),
                        scheduled,
                        collected: Decimal::ZERO,
                        principal_collected: Decimal::ZERO,
                        interest_collected: Decimal::ZERO,
                        prepaid: Decimal::ZERO,
                        defaulted: Decimal::ZERO,
                        recovered: Decimal::ZERO,
                        delayed: Decimal::ZERO,
                        balance_end: Decimal::ZERO,
                    },
                    c,
                    dec(end)?,
                );
                row.delayed = Decimal::ZERO;
                rows.push(row);
            }
        }
        balance = end;
    }
    // The rest: the at-issue projection, scaled by A / P.
    let projected_end = if m == 0 {
        to_fen(at_issue.initial_balance)
    } else {
        to_fen(at_issue.periods[m - 1].balance_end)
    };
    let scale = (balance != projected_end && projected_end > 0).then_some(Ratio {
        num: i64::try_from(balance).map_err(|_| Error::Internal("balance too large".into()))?,
        den: i64::try_from(projected_end)
            .map_err(|_| Error::Internal("balance too large".into()))?,
    });
    let s = |x: Decimal| -> Result<Decimal> {
        match scale {
            None => Ok(x),
            Some(r) => dec(fen_times(to_fen(x), &[], r, deal.rounding).ok_or_else(|| {
                Error::Internal(format!("{x} × {}/{} is beyond range", r.num, r.den))
            })?),
        }
    };
    let mut cumulative_projected = if m == 0 {
        Decimal::ZERO
    } else {
        at_issue.periods[m - 1].cumulative_defaults
    };
    for k in m..n {
        let pc = at_issue.periods[k];
        let at = per_period(k);
        if scale.is_none() {
            rows.extend(at.iter().cloned());
            cumulative += to_fen(pc.cumulative_defaults - cumulative_projected);
            cumulative_projected = pc.cumulative_defaults;
            periods.push(PeriodCash {
                cumulative_defaults: dec(cumulative)?,
                ..pc
            });
            balance = to_fen(pc.balance_end);
            continue;
        }
        let mut t = PeriodCash::default();
        if at.is_empty() {
            // No obligor rows: scale the totals.
            t = PeriodCash {
                collected: Decimal::ZERO,
                principal_collected: s(pc.principal_collected)?,
                interest_collected: s(pc.interest_collected)?,
                prepaid: s(pc.prepaid)?,
                recovered: s(pc.recovered)?,
                defaulted: s(pc.defaulted)?,
                delayed: s(pc.delayed)?,
                balance_start: Decimal::ZERO,
                balance_end: s(pc.balance_end)?,
                cumulative_defaults: Decimal::ZERO,
            };
            t.collected = t.principal_collected + t.interest_collected;
        }
        for r in at {
            let principal = s(r.principal_collected)?;
            let interest = s(r.interest_collected)?;
            let row = PoolFlowRow {
                scheduled: s(r.scheduled)?,
                collected: principal + interest,
                principal_collected: principal,
                interest_collected: interest,
                prepaid: s(r.prepaid)?,
                defaulted: s(r.defaulted)?,
                recovered: s(r.recovered)?,
                delayed: s(r.delayed)?,
                balance_end: s(r.balance_end)?,
                ..r.clone()
            };
            t.collected += row.collected;
            t.principal_collected += row.principal_collected;
            t.interest_collected += row.interest_collected;
            t.prepaid += row.prepaid;
            t.recovered += row.recovered;
            t.defaulted += row.defaulted;
            t.delayed += row.delayed;
            t.balance_end += row.balance_end;
            rows.push(row);
        }
        t.balance_start = dec(balance)?;
        cumulative += to_fen(t.defaulted);
        t.cumulative_defaults = dec(cumulative)?;
        balance = to_fen(t.balance_end);
        periods.push(t);
    }
    Ok(PoolProjection {
        rows: PoolFlows::from_rows(&rows)?,
        periods,
        initial_balance: at_issue.initial_balance,
        beyond_horizon: s(at_issue.beyond_horizon)?,
    })
}

/// `row` (the at-issue projection of one obligor and period) with the actual figures `c`.
fn actual_row(row: &PoolFlowRow, c: &Collections, balance_end: Decimal) -> PoolFlowRow {
    PoolFlowRow {
        collected: c.collected(),
        principal_collected: c.principal + c.prepayments,
        interest_collected: c.interest,
        prepaid: c.prepayments,
        defaulted: c.defaults,
        recovered: c.recoveries,
        balance_end: c.balance_end.unwrap_or(balance_end),
        ..row.clone()
    }
}

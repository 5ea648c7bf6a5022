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
use crate::money::{Fen, Ratio, Rounding, fen_times, from_fen, to_fen};
use crate::pool::projection::{PeriodCash, PoolProjection};
use crate::pool::rows::{PoolFlowRow, PoolFlows};

/// The obligor name of the one pool row of an actual period given as pool totals only.
pub const POOL_ROW: &str = "(pool)";

/// `location: ` before a message about a line of the actuals file (`file:line:column:
/// periods[i].pool`), where validation could not tell it (a revolving pool, whose purchases
/// the waterfall makes: review 44c F5, the errors named no place); empty when there is none.
fn located(location: &str) -> String {
    if location.is_empty() {
        String::new()
    } else {
        format!("{location}: ")
    }
}

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
    // Each obligor's performing balance at the end of the last actual period, while the
    // periods list the obligors: from its balance at the cutoff. After a period given in pool
    // totals they are not known (None); a period that lists the obligors again starts them
    // from the pool's balance split in proportion to the projection, and they are estimates
    // (`estimated`) until a period states every obligor's `balance_end` (review 43g F1-F2:
    // they restarted from the projection, or from an earlier period, and the pool lost or
    // gained what the totals had said).
    let mut obligor_balance: Option<Vec<Fen>> =
        Some(deal.obligors.iter().map(|o| to_fen(o.balance())).collect());
    let mut estimated = false;
    for a in &actuals.periods[..m] {
        let k = a.index;
        let c = &a.pool;
        let start = balance;
        let at = per_period(k);
        // Each obligor's balance at the period's end, when the file gives the obligors: its
        // reported `balance_end`, else its start less its principal, prepayments and defaults
        // (an estimate below zero is 0: the report is not wrong, the split was); and whether
        // the balances are estimates after the period.
        let obligor_ends: Option<(Vec<Fen>, bool)> = match &a.obligors {
            Some(list) if at.len() == no => {
                let (starts, est) = match &obligor_balance {
                    Some(b) => (b.clone(), estimated),
                    None => {
                        // The projection's balances at the period's start, as weights.
                        let weights = (0..no).map(|o| match k {
                            0 => deal.obligors[o].balance(),
                            _ => at_rows[(k - 1) * no + o].balance_end,
                        });
                        let split: Vec<Fen> = split(dec(start)?, weights)?
                            .into_iter()
                            .map(to_fen)
                            .collect();
                        (split, true)
                    }
                };
                let mut ends = Vec::with_capacity(no);
                for (x, ((o, s0), ob)) in list.iter().zip(starts).zip(&deal.obligors).enumerate() {
                    let end = match o.balance_end {
                        Some(x) => to_fen(x),
                        None => s0 - to_fen(o.fall()),
                    };
                    // Defaults or principal beyond what the obligor owes (review 43g F7: its
                    // balance went negative and the rest collected negative principal);
                    // validation tells it at the obligor's entry first.
                    if end < 0 && !est {
                        return Err(Error::Usage(format!(
                            "{}actuals, period {}: obligor `{}`'s performing balance would fall \
                             below zero ({} at the start, less principal {}, prepayments {} and \
                             defaults {}); give its `balance_end` or check its amounts",
                            located(a.location_of(x)),
                            k + 1,
                            ob.name,
                            dec(s0)?,
                            o.principal,
                            o.prepayments,
                            o.defaults
                        )));
                    }
                    ends.push(end.max(0));
                }
                let all_stated = list.iter().all(|o| o.balance_end.is_some());
                Some((ends, est && !all_stated))
            }
            _ => None,
        };
        // The pool's: with the obligors' balances known, the sum of theirs (review 43d F2: one
        // obligor's reported balance was left out of the pool's, so the period's balance and
        // its rows disagreed; a pool `balance_end` given beside them must be that sum, which
        // validation checks); else its reported `balance_end` (the obligors' sum when they all
        // state one), else its start less its principal, prepayments and defaults (review 43h
        // F1: after pool totals, a sum of estimates moved the pool's balance).
        let end = match (&obligor_ends, c.balance_end) {
            (Some((ends, false)), given) => {
                let sum: Fen = ends.iter().sum();
                if let Some(b) = given.map(to_fen).filter(|&b| b != sum) {
                    return Err(Error::Usage(format!(
                        "{}actuals, period {}: the pool's balance_end {} is not the sum of its \
                         obligors' balances, {} (each its reported balance_end, else its start \
                         less its principal, prepayments and defaults): state each obligor's \
                         balance_end, or leave the pool's out",
                        located(&a.pool_location),
                        k + 1,
                        dec(b)?,
                        dec(sum)?
                    )));
                }
                sum
            }
            (_, Some(b)) => to_fen(b),
            (_, None) => start - to_fen(c.fall()),
        };
        if end < 0 {
            return Err(Error::Usage(format!(
                "{}actuals, period {}: the pool's performing balance would fall below zero \
                 ({} at the start, less principal {}, prepayments {} and defaults {}); give \
                 `balance_end` or check the amounts",
                located(&a.pool_location),
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
        match (&a.obligors, &obligor_ends) {
            (Some(list), Some((ends, _))) => {
                for ((row, o), &end) in at.iter().zip(list).zip(ends) {
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
        (obligor_balance, estimated) = match obligor_ends {
            Some((ends, est)) => (Some(ends), est),
            None => (None, false),
        };
    }
    // With the obligors' figures on the last actual date, each obligor's rest is its own
    // projection rebased on its own balance (review 30b item 3 and 30c item 3: split from the
    // pool's rest, an obligor that had defaulted in full collected again, and one behind its
    // schedule lost its balance without a flow); the period totals are the rows' sums.
    // On estimates (after pool totals), the pool's balance split in proportion to them, so
    // that an obligor the report shows defaulted collects nothing again (review 43i F1: the
    // rest was the pool's, scaled, and it did); with no estimate left, the pool's rest.
    let actual_balances: Option<Vec<Fen>> = match (&obligor_balance, estimated) {
        (Some(b), false) => Some(b.clone()),
        (Some(b), true) if b.iter().sum::<Fen>() > 0 => Some(
            split(
                dec(balance)?,
                b.iter()
                    .map(|&x| dec(x))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter(),
            )?
            .into_iter()
            .map(to_fen)
            .collect(),
        ),
        _ => None,
    };
    if let Some(last) = actuals.periods[..m].last()
        && last.obligors.is_some()
        && let Some(actual_balances) = &actual_balances
        && at_rows.len() == n * no
    {
        let own: Vec<(Fen, Fen)> = (0..no)
            .map(|o| {
                let projected = to_fen(at_rows[(m - 1) * no + o].balance_end);
                (actual_balances[o], projected)
            })
            .collect();
        if own.iter().any(|(a, p)| a != p) {
            let rest = Rest {
                deal,
                at_rows: &at_rows,
                m,
                own: &own,
            };
            rest.by_obligor(balance, cumulative, &mut periods, &mut rows)?;
            // What falls beyond the horizon, scaled at the pool's level (A / P).
            let (a, p) = own.iter().fold((0, 0), |(x, y), (a, p)| (x + a, y + p));
            let beyond = match p {
                0 => at_issue.beyond_horizon,
                _ => dec(ratio_of(deal, to_fen(at_issue.beyond_horizon), a, p)?)?,
            };
            return Ok(PoolProjection {
                rows: PoolFlows::from_rows(&rows)?,
                periods,
                initial_balance: at_issue.initial_balance,
                beyond_horizon: beyond,
            });
        }
    }
    // The rest: the at-issue projection, scaled by A / P.
    let projected_end = to_fen(projected_end_decimal(at_issue, m));
    let (actual_end, scaled) = (balance, balance != projected_end && projected_end > 0);
    let s = |x: Decimal| -> Result<Decimal> {
        match scaled {
            false => Ok(x),
            true => dec(ratio_of(deal, to_fen(x), actual_end, projected_end)?),
        }
    };
    // A flow of the rest is scaled at the pool's level and cumulatively: its running sum from
    // the last actual date, scaled and rounded once, less the previous one (`Flows::step`), so
    // that the rest collects the scaled total, the actual balance, to the fen (amounts rounded
    // each on its own, by period or by obligor, could collect a fen more than the pool holds).
    // A period's amount is then split over the obligors in proportion to their projected
    // amounts (`split`), in whole fen that add up to it.
    let mut totals = Flows::default();
    // The pool's balance of the rest is the scaled projected balance at the last actual date
    // (exactly A) less the scaled projected fall since, each rounded once; it is split over
    // the obligors as the flows are.
    let pool_start = projected_end_decimal(at_issue, m);
    let balance_of =
        |start: Decimal, end: Decimal| -> Result<Decimal> { Ok(s(start)? - s(start - end)?) };
    let mut cumulative_projected = if m == 0 {
        Decimal::ZERO
    } else {
        at_issue.periods[m - 1].cumulative_defaults
    };
    for k in m..n {
        let pc = at_issue.periods[k];
        let at = per_period(k);
        if !scaled {
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
        // The period's pool flows and balance: the sums of its obligor rows, or its totals
        // when the projection keeps none. Scaled, they are the period's totals; the rows are
        // their split by obligor, which adds up to them.
        let pool = if at.is_empty() {
            [
                pc.principal_collected,
                pc.interest_collected,
                pc.prepaid,
                pc.recovered,
                pc.defaulted,
                pc.delayed,
                Decimal::ZERO,
                pc.balance_end,
            ]
        } else {
            let mut sums = [Decimal::ZERO; 8];
            for r in at {
                for (p, x) in sums.iter_mut().zip(row_fields(r)) {
                    *p += x;
                }
            }
            sums
        };
        let [flows @ .., end] = pool;
        let mut scaled = [Decimal::ZERO; 8];
        scaled[..7].copy_from_slice(&totals.step(flows, &s)?);
        scaled[7] = balance_of(pool_start, end)?;
        let mut t = period_cash(scaled, dec(balance)?, Decimal::ZERO);
        let shares: Vec<Vec<Decimal>> = (0..8)
            .map(|j| split(scaled[j], at.iter().map(|r| row_fields(r)[j])))
            .collect::<Result<_>>()?;
        for (o, r) in at.iter().enumerate() {
            let x = |j: usize| shares[j][o];
            rows.push(PoolFlowRow {
                scheduled: x(6),
                collected: x(0) + x(1),
                principal_collected: x(0),
                interest_collected: x(1),
                prepaid: x(2),
                defaulted: x(4),
                recovered: x(3),
                delayed: x(5),
                balance_end: x(7),
                ..r.clone()
            });
        }
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

/// A row's flows and balance in the order the rest is scaled in: principal collected,
/// interest collected, prepaid, recovered, defaulted, delayed, scheduled, balance at the end.
fn row_fields(r: &PoolFlowRow) -> [Decimal; 8] {
    [
        r.principal_collected,
        r.interest_collected,
        r.prepaid,
        r.recovered,
        r.defaulted,
        r.delayed,
        r.scheduled,
        r.balance_end,
    ]
}

/// A period's totals from [`row_fields`]-ordered amounts (scheduled is not a total).
fn period_cash(
    [
        principal,
        interest,
        prepaid,
        recovered,
        defaulted,
        delayed,
        _,
        balance_end,
    ]: [Decimal; 8],
    balance_start: Decimal,
    cumulative_defaults: Decimal,
) -> PeriodCash {
    PeriodCash {
        collected: principal + interest,
        principal_collected: principal,
        interest_collected: interest,
        prepaid,
        recovered,
        defaulted,
        delayed,
        balance_start,
        balance_end,
        cumulative_defaults,
    }
}

/// `x × a / p` (fen) rounded once by the deal's rounding.
fn ratio_of(deal: &Deal, x: Fen, a: Fen, p: Fen) -> Result<Fen> {
    let big = || Error::Internal("balance too large".into());
    let r = Ratio {
        num: i64::try_from(a).map_err(|_| big())?,
        den: i64::try_from(p).map_err(|_| big())?,
    };
    fen_times(x, &[], r, deal.rounding)
        .ok_or_else(|| Error::Internal(format!("{x} fen × {a}/{p} is beyond range")))
}

/// The rest of a deal in life after its last actual date `m`, when that date reports the
/// obligors: each obligor's balance there, actual and projected (`own[o]` = (A_o, P_o)).
struct Rest<'a> {
    deal: &'a Deal,
    at_rows: &'a [PoolFlowRow],
    m: usize,
    own: &'a [(Fen, Fen)],
}

impl Rest<'_> {
    /// Each obligor's projected rest rebased on its own balance: every flow's running sum from
    /// the last actual date × A_o / P_o, rounded once, less the one before (so the obligor
    /// collects A_o to the fen when its projection runs it out), its balance A_o less the
    /// rebased projected fall; an obligor with nothing projected left (P_o = 0) collects
    /// nothing and keeps A_o. The period totals are the rows' sums; cumulative defaults run on
    /// from `cumulative`.
    fn by_obligor(
        &self,
        mut balance: Fen,
        mut cumulative: Fen,
        periods: &mut Vec<PeriodCash>,
        rows: &mut Vec<PoolFlowRow>,
    ) -> Result<()> {
        let deal = self.deal;
        let (n, no) = (deal.periods.len(), deal.obligors.len());
        let mut flows = vec![Flows::default(); no];
        for k in self.m..n {
            let at = &self.at_rows[k * no..(k + 1) * no];
            let mut sum = [Decimal::ZERO; 8];
            for (o, r) in at.iter().enumerate() {
                let (a, p) = self.own[o];
                let s = |x: Decimal| -> Result<Decimal> {
                    match p {
                        _ if a == p => Ok(x),
                        0 => Ok(Decimal::ZERO),
                        _ => dec(ratio_of(deal, to_fen(x), a, p)?),
                    }
                };
                let [flow @ .., _] = row_fields(r);
                let x = flows[o].step(flow, &s)?;
                let start = dec(p)?;
                let balance_end = match p {
                    0 => dec(a)?,
                    _ => s(start)? - s(start - r.balance_end)?,
                };
                let row = PoolFlowRow {
                    scheduled: x[6],
                    collected: x[0] + x[1],
                    principal_collected: x[0],
                    interest_collected: x[1],
                    prepaid: x[2],
                    recovered: x[3],
                    defaulted: x[4],
                    delayed: x[5],
                    balance_end,
                    ..r.clone()
                };
                for (t, v) in sum.iter_mut().zip(row_fields(&row)) {
                    *t += v;
                }
                rows.push(row);
            }
            cumulative += to_fen(sum[4]);
            periods.push(period_cash(sum, dec(balance)?, dec(cumulative)?));
            balance = to_fen(sum[7]);
        }
        Ok(())
    }
}

/// The projected pool balance at the end of the last actual date `m` (the cutoff's for 0).
fn projected_end_decimal(at_issue: &PoolProjection, m: usize) -> Decimal {
    match m {
        0 => at_issue.initial_balance,
        _ => at_issue.periods[m - 1].balance_end,
    }
}

/// `amount` (whole fen) split over `weights` (fen, ≥ 0) in proportion, in whole fen that add
/// up to it: the `i`th share is `round(amount × W≤i / W) − round(amount × W<i / W)` with
/// `W` the weights' sum, half away from zero. All zero when the weights are.
fn split(amount: Decimal, weights: impl Iterator<Item = Decimal>) -> Result<Vec<Decimal>> {
    let w: Vec<i128> = weights.map(to_fen).collect();
    let total: i128 = w.iter().sum();
    let a = to_fen(amount);
    if total == 0 {
        return w.iter().map(|_| Ok(Decimal::ZERO)).collect();
    }
    let overflow = || Error::Internal(format!("{amount} split over {total} fen is beyond range"));
    let (mut run, mut before) = (0i128, 0i128);
    w.iter()
        .map(|&x| {
            run += x;
            let upto = crate::money::rational::div_round(
                a.checked_mul(run).ok_or_else(overflow)?,
                total,
                Rounding::HalfUp,
            );
            let share = upto - before;
            before = upto;
            dec(share)
        })
        .collect()
}

/// The running sums of a row's flows over the rest of the deal, as projected and as scaled.
#[derive(Debug, Clone, Copy, Default)]
struct Flows {
    projected: [Decimal; 7],
    scaled: [Decimal; 7],
}

impl Flows {
    /// This period's scaled flows: each running sum with `x` added, scaled by `s` (rounded
    /// once), less the scaled running sum before it.
    fn step(
        &mut self,
        x: [Decimal; 7],
        s: &impl Fn(Decimal) -> Result<Decimal>,
    ) -> Result<[Decimal; 7]> {
        let mut out = [Decimal::ZERO; 7];
        for j in 0..7 {
            self.projected[j] += x[j];
            let scaled = s(self.projected[j])?;
            out[j] = scaled - self.scaled[j];
            self.scaled[j] = scaled;
        }
        Ok(out)
    }
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

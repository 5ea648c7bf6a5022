//! The pool totals of a kept performing path, by part, for projections without obligor rows.
//!
//! A projection that keeps no per-obligor rows (a sweep without `--flows`) needs only each
//! period's pool totals. On a kept [`PerformingPath`] those are sums over the obligors of
//! three parts, each an exact function of its own inputs:
//! * the path itself (phase one: defaults, instalments paid before any delay, prepayments,
//!   balances), the same for every scenario that shares the path;
//! * the delays: each paid instalment's delayed principal and interest, `round(amount ×
//!   share)`, moved from its period to the one its due date plus the delay's months falls in
//!   (or beyond the horizon), a function of the share and the months;
//! * the recoveries: each default's `round(amount × rate)`, booked in the period its date plus
//!   the lag falls in, a function of the rate and the lag.
//!
//! Integer sums do not depend on their order, so the totals put together from the parts are
//! the very totals obligor by obligor (`tests/sweep.rs` compares them with runs alone). A grid
//! of recovery rates × delays on one path then costs one pass over the path's events per
//! recovery rate and per delay, not one per scenario.

use chrono::NaiveDate;

use super::{
    ArrivalPeriods, FACTOR_DP, PathEvent, PerformingPath, PeriodSums, cell_fields, find_or_add,
    mul_pow10_i64,
};
use crate::deal::PeriodDates;
use crate::money::{Fen, Rounding};

/// Index of each total in a period's [`PeriodSums`].
const PRINCIPAL: usize = 0;
const INTEREST: usize = 1;
const RECOVERED: usize = 3;
const DELAYED: usize = 5;

/// Parts of each kind a path keeps before it starts afresh: a grid's recovery rates and
/// delays on one path.
const PARTS: usize = 32;

/// What a kept path's lean projections have put together so far ([`PathParts::totals`]).
#[derive(Debug, Default)]
pub(super) struct PathParts {
    /// The path's own period sums (no delay, no recovery), and whether no obligor's sums can
    /// leave `i64` under any share and rate in [0, 1]; `None` until first needed.
    base: Option<(Vec<PeriodSums>, bool)>,
    delays: Vec<DelayPart>,
    recoveries: Vec<RecoveryPart>,
}

/// The delays of a path under one share and one delay in months.
#[derive(Debug)]
struct DelayPart {
    /// The share at `FACTOR_DP` places, the months and the deal's rounding. (Not the arrival
    /// table's index: a memo that makes room renumbers its tables.)
    key: (i64, u32, Rounding),
    /// Per period: the change to principal, to interest, and the amount delayed.
    moves: Vec<[Fen; 3]>,
    beyond: Fen,
}

/// The recoveries of a path under one rate and one lag in months.
#[derive(Debug)]
struct RecoveryPart {
    /// The rate at `FACTOR_DP` places, the lag in months and the deal's rounding.
    key: (i64, u32, Rounding),
    recovered: Vec<Fen>,
    beyond: Fen,
}

/// A share or rate in [0, 1] as its mantissa at `FACTOR_DP` places, with the table of its lag.
pub(super) type UnitRule = (i64, usize);

/// The pool's period sums (`project_in`'s order) and the cash beyond the horizon of a lean
/// projection on `path` with one profile: delays of `delay.0` (a share at `FACTOR_DP` places
/// in [0, 1]) through arrival table `delay.1`, recoveries of `recovery.0` through table
/// `recovery.1`. `None` when an obligor's sums could leave `i64`: the projection then goes
/// obligor by obligor, and reports the overflow as it does.
pub(super) fn totals(
    path: &mut PerformingPath,
    tables: &mut [ArrivalPeriods],
    periods: &[PeriodDates],
    (delay, recovery): (UnitRule, UnitRule),
    mode: Rounding,
) -> Option<(Vec<PeriodSums>, Fen)> {
    let n = periods.len();
    if path.parts.base.is_none() {
        path.parts.base = Some(base_sums(path, n));
    }
    let PerformingPath { events, parts, .. } = path;
    let (base, safe) = parts.base.as_ref()?;
    if !*safe {
        return None;
    }
    let mut sums = base.clone();
    let mut beyond: Fen = 0;
    if delay.0 != 0 {
        let key = (delay.0, tables[delay.1].months, mode);
        let part = find_or_add(
            &mut parts.delays,
            PARTS,
            |p| p.key == key,
            || Some(delay_part(events, &mut tables[delay.1], periods, key)),
        )?;
        for (s, m) in sums.iter_mut().zip(&part.moves) {
            s[PRINCIPAL] += m[0];
            s[INTEREST] += m[1];
            s[DELAYED] += m[2];
        }
        beyond += part.beyond;
    }
    if recovery.0 != 0 {
        let key = (recovery.0, tables[recovery.1].months, mode);
        let part = find_or_add(
            &mut parts.recoveries,
            PARTS,
            |p| p.key == key,
            || Some(recovery_part(events, &mut tables[recovery.1], periods, key)),
        )?;
        for (s, r) in sums.iter_mut().zip(&part.recovered) {
            s[RECOVERED] += r;
        }
        beyond += part.beyond;
    }
    Some((sums, beyond))
}

/// The period sums of the path with no delay and no recovery, and whether they are safe:
/// each obligor's phase-one cells and the absolute amounts phase two could add to them sum
/// within `i64`, so that no sum of an obligor's cells can leave it under a share and a rate in
/// [0, 1] (a delayed or recovered amount is at most the amount it comes from, with its sign).
fn base_sums(path: &PerformingPath, n: usize) -> (Vec<PeriodSums>, bool) {
    let mut sums = vec![[0; 7]; n];
    let mut safe = true;
    let abs = |x: i64| u128::from(x.unsigned_abs());
    for (o, obligor) in path.cells.chunks(n).enumerate() {
        let mut bound: u128 = 0;
        for (s, c) in sums.iter_mut().zip(obligor) {
            for (x, f) in s.iter_mut().zip(cell_fields(c)) {
                *x += f;
                bound += f.unsigned_abs();
            }
        }
        let from = if o == 0 { 0 } else { path.ends[o - 1] };
        for e in &path.events[from..path.ends[o]] {
            match *e {
                PathEvent::Paid {
                    k,
                    principal,
                    interest,
                    ..
                } => {
                    sums[k as usize][PRINCIPAL] += Fen::from(principal);
                    sums[k as usize][INTEREST] += Fen::from(interest);
                    // Paid on time, delayed, and arriving: each at most the amount.
                    bound += 2 * (abs(principal) + abs(interest));
                }
                PathEvent::PeriodDefault { amount, .. }
                | PathEvent::NamedDefault { amount, .. } => bound += abs(amount),
            }
        }
        safe &= bound <= i64::MAX as u128;
    }
    (sums, safe)
}

/// The delays of `events` under `key`'s share, through `table`.
fn delay_part(
    events: &[PathEvent],
    table: &mut ArrivalPeriods,
    periods: &[PeriodDates],
    key: (i64, u32, Rounding),
) -> DelayPart {
    let (share, _, mode) = key;
    let mut moves = vec![[0 as Fen; 3]; periods.len()];
    let mut beyond: Fen = 0;
    for e in events {
        let PathEvent::Paid {
            k,
            date,
            principal,
            interest,
        } = *e
        else {
            continue;
        };
        let dp = Fen::from(unit_product(principal, share, mode));
        let di = Fen::from(unit_product(interest, share, mode));
        if dp == 0 && di == 0 {
            continue;
        }
        // A share that arrives within its own period is collected there: no move, and not
        // delayed (review 41a item 1); otherwise moved out, and delayed.
        let k = k as usize;
        let arrives = table.period(periods, date);
        if arrives == Some(k) {
            continue;
        }
        let m = &mut moves[k];
        m[0] -= dp;
        m[1] -= di;
        m[2] += dp + di;
        match arrives {
            Some(a) => {
                moves[a][0] += dp;
                moves[a][1] += di;
            }
            None => beyond += dp + di,
        }
    }
    DelayPart { key, moves, beyond }
}

/// The recoveries of `events` under `key`'s rate, through `table`.
fn recovery_part(
    events: &[PathEvent],
    table: &mut ArrivalPeriods,
    periods: &[PeriodDates],
    key: (i64, u32, Rounding),
) -> RecoveryPart {
    let (rate, _, mode) = key;
    let mut recovered = vec![0 as Fen; periods.len()];
    let mut beyond: Fen = 0;
    let mut book = |from: NaiveDate, amount: i64, table: &mut ArrivalPeriods| {
        let rec = Fen::from(unit_product(amount, rate, mode));
        if rec == 0 {
            return;
        }
        match table.period(periods, from) {
            Some(a) => recovered[a] += rec,
            None => beyond += rec,
        }
    };
    for e in events {
        match *e {
            PathEvent::PeriodDefault { k, amount } => {
                book(periods[k as usize].collection_start, amount, table)
            }
            PathEvent::NamedDefault { date, amount } => book(date, amount, table),
            PathEvent::Paid { .. } => {}
        }
    }
    RecoveryPart {
        key,
        recovered,
        beyond,
    }
}

/// `round(amount × unit)` for a `unit` in [0, 1] at `FACTOR_DP` places: what the projection's
/// `Rate::times` gives, which for such a rate is at most `amount` in magnitude, so within
/// `i64` and never an error.
#[inline(always)]
fn unit_product(amount: i64, unit: i64, mode: Rounding) -> i64 {
    mul_pow10_i64::<FACTOR_DP>(amount, unit, mode) as i64
}

//! Default patterns: lean projections of scenarios that differ only in their named defaults.
//!
//! The rating Monte Carlo runs each distinct default pattern (which obligors default, and
//! when) through the waterfall under one base scenario: every pattern is the same scenario
//! with other `obligor_defaults`. An obligor's projection (both phases) depends on the
//! scenario's assumptions and on its own named default only, never on another obligor's. So a
//! projection without obligor rows can take each obligor's share of the pool totals from a
//! table ([`PatternTable`]):
//! * every obligor performing (no named default): computed once, with the pool's totals;
//! * an obligor defaulting on a date: computed the first time a pattern has it.
//!
//! A pattern's totals are the all-performing totals, less the performing shares of the
//! obligors it defaults, plus their defaulting shares: integer sums, in any order the same.
//! Any error while the table is built or used sends the projection back to going obligor by
//! obligor, which then reports it as it always does.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    Arrivals, Cell, PathContext, PathKey, PeriodSums, Profile, cell_fields, find_or_add, perform,
};
use crate::deal::Obligor;
use crate::money::Fen;
use crate::scenario::Scenario;

/// Most (obligor, default date) shares a table keeps before it starts them afresh.
const MAX_DEFAULTS: usize = 4_096;

/// What a table's shares depend on besides the obligor and its named default: the scenario
/// without its named defaults, and its recoveries and delays.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PatternKey {
    path: PathKey,
    recovery: (Decimal, u32),
    delay: (Decimal, u32),
}

impl PatternKey {
    pub(super) fn of(s: &Scenario) -> PatternKey {
        let mut path = PathKey::of(s);
        path.obligor_defaults.clear();
        PatternKey {
            path,
            recovery: (s.recovery_rate, s.recovery_lag_months),
            delay: (s.delay_fraction, s.delay_months),
        }
    }
}

/// One obligor's share of the pool's period sums, and the cash it sends beyond the horizon.
#[derive(Debug, Clone)]
struct Share {
    sums: Vec<PeriodSums>,
    beyond: Fen,
}

/// The shares of a pool's obligors under one [`PatternKey`].
#[derive(Debug)]
pub(super) struct PatternTable {
    pub(super) key: PatternKey,
    /// Each obligor's share when it performs.
    performing: Vec<Share>,
    /// The pool's sums and beyond-horizon cash with every obligor performing, and its
    /// performing balance at the cutoff.
    all: Share,
    initial_balance: Fen,
    /// (obligor, its default date as the projection uses it) → its share.
    defaults: Vec<((usize, NaiveDate), Share)>,
}

/// What a pattern's projection needs: the pool's obligors and their one profile, how their
/// paths are computed, and where delayed cash and recoveries arrive.
pub(super) struct PatternInputs<'a, 'c, 'p> {
    pub(super) ctx: &'a PathContext<'a>,
    pub(super) obligors: &'a [Obligor],
    pub(super) profile: &'a Profile,
    pub(super) arrivals: Arrivals<'c, 'p>,
}

impl PatternTable {
    /// The table of `key`: every obligor's performing share. `None` on any error.
    pub(super) fn build(key: PatternKey, inputs: &mut PatternInputs) -> Option<PatternTable> {
        let n = inputs.arrivals.cells.len();
        let mut all = Share {
            sums: vec![[0; 7]; n],
            beyond: 0,
        };
        let mut initial_balance: Fen = 0;
        let mut performing = Vec::with_capacity(inputs.obligors.len());
        for o in 0..inputs.obligors.len() {
            let (share, initial) = share_of(inputs, o, None)?;
            for (t, s) in all.sums.iter_mut().zip(&share.sums) {
                for (x, y) in t.iter_mut().zip(s) {
                    *x += y;
                }
            }
            all.beyond += share.beyond;
            initial_balance += initial;
            performing.push(share);
        }
        Some(PatternTable {
            key,
            performing,
            all,
            initial_balance,
            defaults: Vec::new(),
        })
    }

    /// The pool's sums, beyond-horizon cash and performing balance at the cutoff when the
    /// obligors of `named` (obligor, date as the projection uses it; one entry per obligor)
    /// default and the others perform. `None` on any error.
    pub(super) fn totals(
        &mut self,
        named: &[(usize, NaiveDate)],
        inputs: &mut PatternInputs,
    ) -> Option<(Vec<PeriodSums>, Fen, Fen)> {
        let mut sums = self.all.sums.clone();
        let mut beyond = self.all.beyond;
        for &(o, date) in named {
            let (_, into) = find_or_add(
                &mut self.defaults,
                MAX_DEFAULTS,
                |(k, _)| *k == (o, date),
                || Some(((o, date), share_of(inputs, o, Some(date))?.0)),
            )?;
            let out = &self.performing[o];
            for ((t, p), d) in sums.iter_mut().zip(&out.sums).zip(&into.sums) {
                for ((x, y), z) in t.iter_mut().zip(p).zip(d) {
                    *x += z - y;
                }
            }
            beyond += into.beyond - out.beyond;
        }
        Some((sums, beyond, self.initial_balance))
    }
}

/// Obligor `o`'s share when it defaults on `default_at` (or performs), and its performing
/// balance at the cutoff; `None` on any error (an amount beyond `i64`, a product beyond it).
fn share_of(
    inputs: &mut PatternInputs,
    o: usize,
    default_at: Option<NaiveDate>,
) -> Option<(Share, Fen)> {
    let a = &mut inputs.arrivals;
    let initial = perform(
        inputs.ctx,
        &inputs.obligors[o],
        inputs.profile,
        default_at,
        a,
    );
    let overflow = std::mem::take(&mut a.overflow);
    let beyond = std::mem::take(a.beyond);
    let sums = a
        .cells
        .iter_mut()
        .map(|c| cell_fields(&std::mem::take::<Cell>(c)))
        .collect();
    match (initial, overflow) {
        (Ok(initial), false) => Some((Share { sums, beyond }, initial)),
        _ => None,
    }
}

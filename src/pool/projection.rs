//! Pool projection: what each obligor pays in each collection period under a scenario.
//!
//! Conventions (docs/conventions.md states them with formulas):
//! * An instalment is collected in the collection period that contains its (unadjusted) due date.
//! * The CDR default of a period happens on its first day, on the performing balance then;
//!   the fraction is `1 − (1 − CDR)^(days/365)` for a period of `days` calendar days.
//! * A named default on date D: instalments due before D are paid, nothing due on or after D
//!   is; the defaulted amount is the performing principal at D.
//! * Recovery = recovery rate × defaulted amount, received `lag` months after the default date.
//! * Delay: the fraction `x` of each scheduled instalment arrives `n` months after its due date.
//! * Prepayment happens on the last day of the period, on the balance after scheduled principal;
//!   the fraction is `1 − (1 − CPR)^(days/365)`.
//! * Defaults and prepayments scale every later instalment of the asset by the surviving
//!   fraction; each scaled amount is rounded to the fen, and the asset's last instalment takes
//!   whatever principal remains so the balance ends at exactly zero.
//! * Cash that would arrive after the last collection period is outside the deal; it is
//!   reported as `beyond_horizon`.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::*;

use crate::calendar::schedule::add_months;
use crate::deal::{Deal, Obligor, PeriodDates};
use crate::error::{Error, Result};
use crate::label::Label;
use crate::money::rational::exact_product;
use crate::money::{Fen, Ratio, Rounding, fen_times, from_fen, mul_pow10_i64, mul_scaled};
use crate::pool::rows::{FlowAmounts, PoolFlows};
use crate::scenario::{Assumptions, Scenario};

mod arrivals;
mod fractions;
mod memo;
mod parts;
mod patterns;
mod perform;

use arrivals::*;
pub use fractions::annual_to_period;
use fractions::{FRACTION_DP, POW10_FRACTION, period_fractions};
use memo::obligor_labels;
pub use memo::{PoolPlan, ProjectionMemo};
use perform::*;

/// Most obligor × payment-date cells a projection may hold (docs/performance.md): about
/// 4 GB of memory at the measured 0.2 KB per cell of a full run.
pub const MAX_OBLIGOR_PERIODS: usize = 20_000_000;

/// Pool totals of one collection period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodCash {
    /// Cash from instalments (incl. delayed arrivals and prepayments).
    pub collected: Decimal,
    /// Principal part of `collected`, prepayments included.
    pub principal_collected: Decimal,
    /// Interest part of `collected`.
    pub interest_collected: Decimal,
    /// Prepaid principal (part of `collected`).
    pub prepaid: Decimal,
    /// Recovery cash received in the period.
    pub recovered: Decimal,
    /// Performing balance that defaulted in the period.
    pub defaulted: Decimal,
    /// Cash due in the period that the scenario's delay pushed to a later period.
    pub delayed: Decimal,
    /// Performing balance at the start of the collection period.
    pub balance_start: Decimal,
    /// Performing balance at the end of the collection period.
    pub balance_end: Decimal,
    /// Defaults from the cutoff through the end of this period.
    pub cumulative_defaults: Decimal,
}

impl PeriodCash {
    /// All pool cash of the period: collections plus recoveries.
    pub fn cash(&self) -> Decimal {
        self.collected + self.recovered
    }
}

/// Field by field: the totals of two parts of a pool for the same period (e.g. the pool and
/// the assets a revolving period bought).
impl std::ops::AddAssign<&PeriodCash> for PeriodCash {
    fn add_assign(&mut self, c: &PeriodCash) {
        self.collected += c.collected;
        self.principal_collected += c.principal_collected;
        self.interest_collected += c.interest_collected;
        self.prepaid += c.prepaid;
        self.recovered += c.recovered;
        self.defaulted += c.defaulted;
        self.delayed += c.delayed;
        self.balance_start += c.balance_start;
        self.balance_end += c.balance_end;
        self.cumulative_defaults += c.cumulative_defaults;
    }
}

/// The projected pool of one run.
#[derive(Debug, Clone)]
pub struct PoolProjection {
    /// Per obligor per period, period-major (all obligors of period 1, then period 2, …).
    pub rows: PoolFlows,
    /// Per period totals.
    pub periods: Vec<PeriodCash>,
    /// Performing balance at the cutoff date.
    pub initial_balance: Decimal,
    /// Cash that falls after the last collection period (delays, recoveries): not in the deal.
    pub beyond_horizon: Decimal,
}

/// Per-obligor, per-period accumulator: `i64` counts of fen, as a pool row holds them. Sums
/// wrap and note the overflow ([`add`]); an obligor with one is an error, reported once.
type Cell = FlowAmounts;

/// `x += v`, noting in `overflow` when the sum leaves `i64`.
#[inline(always)]
fn add(x: &mut i64, v: i64, overflow: &mut bool) {
    let (sum, o) = x.overflowing_add(v);
    *x = sum;
    *overflow |= o;
}

/// A period's pool sums, in fen: principal, interest, prepaid, recovered, defaulted,
/// delayed, balance_end (in [`cell_fields`]' order). Collections are principal + interest,
/// derived when the sums become a [`PoolProjection`].
type PeriodSums = [Fen; 7];

/// A cell's contribution to its period's [`PeriodSums`].
#[inline(always)]
fn cell_fields(c: &Cell) -> PeriodSums {
    [
        Fen::from(c.principal),
        Fen::from(c.interest),
        Fen::from(c.prepaid),
        Fen::from(c.recovered),
        Fen::from(c.defaulted),
        Fen::from(c.delayed),
        Fen::from(c.balance_end),
    ]
}

/// The entry of `entries` that `is` picks, else the one `make` computes, added (after
/// forgetting all of them once there are `max`); `None` if `make` fails. The memo's bounded
/// caches of path parts ([`parts`]) and pattern shares ([`patterns`]).
fn find_or_add<P>(
    entries: &mut Vec<P>,
    max: usize,
    is: impl Fn(&P) -> bool,
    make: impl FnOnce() -> Option<P>,
) -> Option<&P> {
    match entries.iter().position(is) {
        Some(i) => Some(&entries[i]),
        None => {
            if entries.len() >= max {
                entries.clear();
            }
            entries.push(make()?);
            entries.last()
        }
    }
}

/// An `i128` product back in `i64`: a product by a fraction of at most one never leaves it
/// (a rate above one in a hand-made scenario could).
#[inline(always)]
fn narrow(x: i128) -> Result<i64> {
    match i64::try_from(x) {
        Ok(v) => Ok(v),
        Err(_) => Err(projection_overflow()),
    }
}

/// Whether a projection builds its per-obligor rows ([`PoolProjection::rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObligorRows {
    /// Build them (a run whose tables are written).
    Keep,
    /// Leave `rows` empty: sweeps without `--flows` and break-even searches, which drop them.
    /// The period totals are the same either way.
    Skip,
}

/// Projects the pool of `deal` under `scenario`, with per-obligor rows.
pub fn project(deal: &Deal, scenario: &Scenario) -> Result<PoolProjection> {
    project_with(deal, scenario, ObligorRows::Keep)
}

/// Projects the pool of `deal` under `scenario`; `rows_wanted` says whether to build the
/// per-obligor rows.
///
/// Inside, money is an exact count of fen ([`Fen`]) and every factor (a period's CDR or CPR
/// fraction at 10 places, the surviving factor at 12 places, the recovery rate and the delayed
/// share) an integer mantissa with its scale: each amount is the exact product rounded once
/// ([`mul_scaled`]), and totals are integer sums written back to Decimals once.
pub fn project_with(
    deal: &Deal,
    scenario: &Scenario,
    rows_wanted: ObligorRows,
) -> Result<PoolProjection> {
    project_planned(
        deal,
        (
            &PoolPlan::build(&deal.periods, &deal.obligors, rows_wanted),
            &mut ProjectionMemo::default(),
        ),
        scenario,
        rows_wanted,
    )
}

/// [`project_with`] on the [`PoolPlan`] of `deal`'s own pool, derived once for many runs.
///
/// `memo` carries what one projection of the plan's pool leaves for the next
/// ([`ProjectionMemo`]); the result does not depend on it.
pub fn project_planned(
    deal: &Deal,
    (plan, memo): (&PoolPlan, &mut ProjectionMemo),
    scenario: &Scenario,
    rows_wanted: ObligorRows,
) -> Result<PoolProjection> {
    project_in(
        &deal.periods,
        &deal.obligors,
        (deal.rounding, &deal.scenario.indices, deal.cutoff_date),
        scenario,
        rows_wanted,
        (plan, memo),
    )
}

/// [`project_with`] on `obligors` over `periods` (any run of a deal's consecutive periods:
/// assets bought in a revolving period are projected from the period after their purchase).
/// `(mode, index_history, cutoff)` are the deal's rounding, the index paths of its own
/// `[scenario]` and its cutoff date (floating loans are refixed against them). The
/// scenario's obligor indices refer to `obligors`.
pub fn project_obligors(
    periods: &[PeriodDates],
    obligors: &[Obligor],
    deal_context: (Rounding, &crate::floating::IndexPaths, NaiveDate),
    scenario: &Scenario,
    rows_wanted: ObligorRows,
) -> Result<PoolProjection> {
    project_in(
        periods,
        obligors,
        deal_context,
        scenario,
        rows_wanted,
        (
            &PoolPlan::build(periods, obligors, rows_wanted),
            &mut ProjectionMemo::default(),
        ),
    )
}

/// [`project_obligors`] with the obligors' [`PoolPlan`].
fn project_in(
    periods: &[PeriodDates],
    obligors: &[Obligor],
    (mode, index_history, cutoff): (Rounding, &crate::floating::IndexPaths, NaiveDate),
    scenario: &Scenario,
    rows_wanted: ObligorRows,
    (plan, memo): (&PoolPlan, &mut ProjectionMemo),
) -> Result<PoolProjection> {
    let memo = memo.of(plan);
    memo.projections += 1;
    let n = periods.len();
    let n_obl = obligors.len();
    if n.saturating_mul(n_obl) > MAX_OBLIGOR_PERIODS {
        return Err(Error::Usage(format!(
            "the pool is too large to project: {n_obl} obligors × {n} payment dates = {} \
             obligor-periods, above the limit of {MAX_OBLIGOR_PERIODS} (each takes about 0.2 KB of \
             memory in a full run); split the pool into \
             sub-pools or use fewer payment dates",
            n.saturating_mul(n_obl)
        )));
    }
    // One obligor's cells (one per period), folded into the rows and the period totals when
    // the obligor is done: delays and recoveries only move an obligor's cash to its own later
    // periods, so a projection holds one obligor's accumulators at a time.
    let mut cells = vec![Cell::default(); n];
    let mut beyond: Fen = 0;
    let keep = rows_wanted == ObligorRows::Keep;
    let mut rows = if keep {
        let names = match &plan.names {
            Some(names) => names.clone(),
            None => obligor_labels(obligors),
        };
        PoolFlows::grid(names, &plan.dates)
    } else {
        PoolFlows::new()
    };
    // Period totals ([`PeriodSums`]).
    let mut sums: Vec<PeriodSums> = vec![[0; 7]; n];

    // Each obligor's assumptions: the scenario's pool-wide ones, or those its `overrides`
    // give it (docs/scenarios.md); one profile per distinct set.
    let (assumptions, profile_of) = scenario.assumptions_by_obligor(n_obl);

    // The default curve's horizon: the period holding the pool's last instalment.
    let shares = scenario.timing_shares(n, plan.pool_periods);
    let profiles = assumptions
        .iter()
        .map(|a| Profile::new(a, &shares, periods, memo))
        .collect::<Result<Vec<Profile>>>()?;

    let mut named_default: Vec<Option<NaiveDate>> = vec![None; n_obl];
    // A named default of an obligor of a group defaults the group, on its earliest named date
    // (docs/rating.md, "Obligor groups"); the scenario keeps what it names. The plan holds the
    // groups, derived once for the deal's runs.
    let spread;
    let named = if !scenario.obligor_defaults.is_empty() && !plan.groups.is_empty() {
        spread = crate::deal::spread_to_groups(&plan.groups, &scenario.obligor_defaults);
        &spread
    } else {
        &scenario.obligor_defaults
    };
    for &(o, d) in named {
        if let Some(slot) = named_default.get_mut(o) {
            *slot = Some(d);
        }
    }

    memo.make_room(2 * assumptions.len());
    let rules: Vec<ArrivalRules> = assumptions
        .iter()
        .map(|a| ArrivalRules {
            delay: memo.arrival_table(a.delay_months),
            recovery: memo.arrival_table(a.recovery_lag_months),
            recovery_rate: Rate::of(a.recovery_rate),
            delay_share: Rate::of(a.delay_fraction),
            recovery_of_period: Vec::new(),
        })
        .collect();
    // Floating-rate loans: the validated schedule is the one under the deal's own index
    // paths; another scenario's paths rebuild it (schedule::floating_loan).
    let view = crate::floating::IndexView {
        history: index_history,
        scenario: &scenario.indices,
        history_end: cutoff,
    };
    let same_paths = scenario.indices == *index_history;
    let ctx = PathContext {
        periods,
        mode,
        refix: (!same_paths).then_some((&view, cutoff, scenario.name.as_str())),
    };
    // Without obligor rows, a default pattern's totals come from the obligors' shares when
    // patterns of one scenario follow each other ([`patterns`]).
    if !keep
        && !scenario.obligor_defaults.is_empty()
        && let Some(projection) = by_pattern(
            memo,
            scenario,
            (&ctx, obligors, &profiles, &rules),
            &named_default,
        )
    {
        return projection;
    }
    // The pool's performing paths: those of an earlier projection of the memo whose
    // scenario differs from this one in recoveries and delays only ([`PathKey`]), else
    // computed, and kept the second time their key comes ([`ProjectionMemo::seen_before`];
    // a single run keeps none). Only under the deal's own index paths and for a pool of at
    // most `SHARED_PATH_CELLS` obligor-periods.
    let key = (memo.projections > 1 && same_paths && n_obl.saturating_mul(n) <= SHARED_PATH_CELLS)
        .then(|| PathKey::of(scenario));
    let hit = key
        .as_ref()
        .and_then(|key| memo.paths.iter().position(|p| p.key == *key));
    let mut kept = match key {
        Some(key) if hit.is_none() && memo.seen_before(&key) => Some(PerformingPath {
            key,
            cells: Vec::with_capacity(n_obl * n),
            events: Vec::new(),
            ends: Vec::with_capacity(n_obl),
            initial_balance: 0,
            parts: parts::PathParts::default(),
        }),
        _ => None,
    };
    // Without obligor rows, a shared path's pool totals are put together from its parts
    // when every obligor has the same recoveries and delays ([`parts`]).
    if let (false, Some(i), [rule]) = (keep, hit, rules.as_slice())
        && let Some(projection) = by_parts(memo, i, rule, periods, mode)
    {
        return projection;
    }
    let shared = hit.map(|i| &memo.paths[i]);
    let mut arrivals = Arrivals::new(
        (&mut cells, &mut beyond),
        rules,
        &mut memo.arrivals,
        periods,
        mode,
    );
    // Where a CDR or curve default's recovery arrives: one period per profile and collection
    // period, for the profiles that have such defaults. (`Arrivals::set_recovery_periods`,
    // written out: called here, the compiler laid `project_in` out so that a base-case run
    // took 0.65% more instructions.)
    for (r, profile) in profiles.iter().enumerate() {
        if profile.default_fractions.iter().any(|&d| d != 0)
            || profile.curve.iter().any(|c| !c.0.is_zero())
        {
            let table = &mut arrivals.tables[arrivals.rules[r].recovery];
            arrivals.rules[r].recovery_of_period = periods
                .iter()
                .map(|p| table.period(periods, p.collection_start))
                .collect();
        }
    }
    // The performing balance at the cutoff (`Deal::pool_balance`), summed on the way.
    let mut initial_balance: Fen = shared.map_or(0, |p| p.initial_balance);
    for (o, obligor) in obligors.iter().enumerate() {
        arrivals.use_profile(profile_of[o]);
        // Phase one, the performing path (shared, computed, or computed and kept); phase two,
        // this scenario's recoveries and delays on it.
        let profile = &profiles[profile_of[o]];
        // Named default date, moved into the first collection period if earlier.
        let default_at = named_default[o].map(|d| d.max(periods[0].collection_start));
        match (shared, &mut kept) {
            (Some(p), _) => {
                arrivals.cells.copy_from_slice(&p.cells[o * n..(o + 1) * n]);
                let from = if o == 0 { 0 } else { p.ends[o - 1] };
                arrivals.arrive(&p.events[from..p.ends[o]])?;
            }
            (None, Some(k)) => {
                let from = k.events.len();
                let mut recorder = Recorder {
                    cells: arrivals.cells,
                    overflow: &mut arrivals.overflow,
                    events: &mut k.events,
                };
                initial_balance += perform(&ctx, obligor, profile, default_at, &mut recorder)?;
                k.cells.extend_from_slice(arrivals.cells);
                k.ends.push(k.events.len());
                arrivals.arrive(&k.events[from..])?;
            }
            (None, None) => {
                initial_balance += perform(&ctx, obligor, profile, default_at, &mut arrivals)?;
            }
        }
        // The obligor is done: its cells become its rows and join the period totals.
        if std::mem::take(&mut arrivals.overflow) {
            return Err(obligor_overflow(&obligor.name));
        }
        for (k, c) in arrivals.cells.iter_mut().enumerate() {
            for (total, f) in sums[k].iter_mut().zip(cell_fields(c)) {
                *total += f;
            }
            if keep {
                rows.set_amounts(k * n_obl + o, *c);
            }
            *c = Cell::default();
        }
    }
    if let Some(mut path) = kept {
        path.initial_balance = initial_balance;
        memo.keep(path);
    }
    memo.shared += u64::from(hit.is_some());

    pool_projection(sums, initial_balance, beyond, rows)
}

/// The projection without obligor rows on the memo's shared path `i`, every obligor under
/// `rule`, put together from the path's parts ([`parts`]); `None` when it cannot be (a share
/// or rate outside [0, 1], or sums that could leave `i64`).
#[inline(never)]
fn by_parts(
    memo: &mut ProjectionMemo,
    i: usize,
    rule: &ArrivalRules,
    periods: &[PeriodDates],
    mode: Rounding,
) -> Option<Result<PoolProjection>> {
    let share = rule.delay_share.unit()?;
    let rate = rule.recovery_rate.unit()?;
    let (sums, beyond) = parts::totals(
        &mut memo.paths[i],
        &mut memo.arrivals,
        periods,
        ((share, rule.delay), (rate, rule.recovery)),
        mode,
    )?;
    memo.shared += 1;
    memo.by_parts += 1;
    let initial_balance = memo.paths[i].initial_balance;
    Some(pool_projection(
        sums,
        initial_balance,
        beyond,
        PoolFlows::new(),
    ))
}

/// The projection without obligor rows of `scenario`, a default pattern (its named defaults
/// `named_default`, one per obligor) of a scenario whose patterns came before: from the
/// memo's [`patterns::PatternTable`] of the pool's obligors, built the second time in a row
/// that a pattern of the same scenario comes. Only under the deal's own index paths, with one
/// profile, after the memo's first projection and for a pool of at most `SHARED_PATH_CELLS`
/// obligor-periods. `None` to go obligor by obligor (the first pattern, or any error on the
/// way, which that way reports).
#[inline(never)]
fn by_pattern(
    memo: &mut ProjectionMemo,
    scenario: &Scenario,
    (ctx, obligors, profiles, rules): (&PathContext, &[Obligor], &[Profile], &[ArrivalRules]),
    named_default: &[Option<NaiveDate>],
) -> Option<Result<PoolProjection>> {
    let periods = ctx.periods;
    let n = periods.len();
    let ([rule], [profile]) = (rules, profiles) else {
        return None;
    };
    if ctx.refix.is_some()
        || memo.projections <= 1
        || obligors.len().saturating_mul(n) > SHARED_PATH_CELLS
    {
        return None;
    }
    let key = patterns::PatternKey::of(scenario);
    if memo.patterns.as_ref().is_none_or(|t| t.key != key) {
        memo.patterns = None;
        if memo.pattern_seen.as_ref() != Some(&key) {
            memo.pattern_seen = Some(key);
            return None;
        }
    }
    let (mut cells, mut beyond) = (vec![Cell::default(); n], 0 as Fen);
    let rules = vec![ArrivalRules {
        delay: rule.delay,
        recovery: rule.recovery,
        recovery_rate: rule.recovery_rate,
        delay_share: rule.delay_share,
        recovery_of_period: Vec::new(),
    }];
    let mut arrivals = Arrivals::new(
        (&mut cells, &mut beyond),
        rules,
        &mut memo.arrivals,
        periods,
        ctx.mode,
    );
    arrivals.set_recovery_periods(0, profile);
    arrivals.use_profile(0);
    let mut inputs = patterns::PatternInputs {
        ctx,
        obligors,
        profile,
        arrivals,
    };
    let table = match &mut memo.patterns {
        Some(t) => t,
        empty => empty.insert(patterns::PatternTable::build(key, &mut inputs)?),
    };
    // Moved into the first collection period as `project_in` moves them. (Moving them where
    // `named_default` is built, once for both, made a base-case run 0.7% more instructions:
    // the compiler laid `project_in` out differently.)
    let start = periods[0].collection_start;
    let named: Vec<(usize, NaiveDate)> = named_default
        .iter()
        .enumerate()
        .filter_map(|(o, d)| d.map(|d| (o, d.max(start))))
        .collect();
    let (sums, beyond, initial_balance) = table.totals(&named, &mut inputs)?;
    memo.by_pattern += 1;
    Some(pool_projection(
        sums,
        initial_balance,
        beyond,
        PoolFlows::new(),
    ))
}

/// The projection of the period sums, written back to Decimals once.
fn pool_projection(
    sums: Vec<PeriodSums>,
    initial_balance: Fen,
    beyond: Fen,
    rows: PoolFlows,
) -> Result<PoolProjection> {
    let n = sums.len();
    let mut totals = Vec::with_capacity(n);
    let d = |f: Fen| {
        from_fen(f).ok_or_else(|| Error::Internal("a pool total exceeds the Decimal range".into()))
    };
    let initial_dec = d(initial_balance)?;
    let mut bal_start = initial_dec;
    let mut cum: Fen = 0;
    for t in sums {
        let [
            principal,
            interest,
            prepaid,
            recovered,
            defaulted,
            delayed,
            end,
        ] = t;
        cum += defaulted;
        let balance_end = d(end)?;
        totals.push(PeriodCash {
            collected: d(principal + interest)?,
            principal_collected: d(principal)?,
            interest_collected: d(interest)?,
            prepaid: d(prepaid)?,
            recovered: d(recovered)?,
            defaulted: d(defaulted)?,
            delayed: d(delayed)?,
            balance_start: bal_start,
            balance_end,
            cumulative_defaults: d(cum)?,
        });
        bal_start = balance_end;
    }
    Ok(PoolProjection {
        rows,
        periods: totals,
        initial_balance: initial_dec,
        beyond_horizon: d(beyond)?,
    })
}

/// Decimal places of the surviving factor: it is kept to 12 places (half away from zero), so
/// that scaled instalments stay cheap to compute. The roundings accumulate over the periods: a
/// scaled instalment can be a fen off the exact product at 10^8 yuan and more above
/// (docs/conventions.md, step 5).
const FACTOR_DP: u32 = 12;
/// 1 at [`FACTOR_DP`] places.
const POW10_FACTOR: i64 = 1_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo used with another plan starts afresh: its arrival slots hold period indices of
    /// the first plan's periods.
    #[test]
    fn a_memo_forgets_another_plans_entries() {
        let plan = || PoolPlan::build(&[], &[], ObligorRows::Keep);
        let (a, b) = (plan(), plan());
        assert_ne!(a.id, b.id);
        let mut memo = ProjectionMemo::default();
        let m = memo.of(&a);
        m.arrivals.push(ArrivalPeriods {
            months: 6,
            slots: Box::new([(1, 2); ARRIVAL_SLOTS]),
        });
        m.fractions.push(((5, 2), vec![7]));
        assert_eq!(memo.of(&a).arrivals.len(), 1);
        assert_eq!(memo.of(&a).fractions.len(), 1);
        let m = memo.of(&b);
        assert!(m.arrivals.is_empty() && m.fractions.is_empty());
        assert_eq!(m.plan, Some(b.id));
        let t = m.arrival_table(6);
        assert_eq!(m.arrivals[t].slots[0], (EMPTY, 0));
    }
}

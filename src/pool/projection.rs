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

mod parts;
mod patterns;

/// Most obligor × payment-date cells a projection may hold (docs/performance.md): about
/// 4 GB of memory at the measured 0.2 KB per cell of a full run.
pub const MAX_OBLIGOR_PERIODS: usize = 20_000_000;

/// Pool totals of one collection period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodCash {
    /// Cash from instalments (incl. delayed arrivals and prepayments).
    pub collected: Decimal,
    pub principal_collected: Decimal,
    pub interest_collected: Decimal,
    pub prepaid: Decimal,
    pub recovered: Decimal,
    pub defaulted: Decimal,
    pub delayed: Decimal,
    /// Performing balance at the start of the collection period.
    pub balance_start: Decimal,
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

/// What the projections of one [`PoolPlan`]'s pool carry from one run to the next (a sweep
/// keeps one per worker thread):
/// * each period fraction of an annual rate met so far;
/// * where each delay or recovery lag met so far brings cash due on a date;
/// * the pool's performing paths under a few keys (the defaults and prepayments of
///   a scenario), each kept the second time its key comes;
/// * for projections without obligor rows, each kept path's pool totals by part: its own
///   sums, its delays under each share and lag met, its recoveries under each rate and lag
///   met (docs/performance.md, session 13).
///
/// Each is an exact function of the deal's periods and obligors and its key, so a projection
/// gives the same result, bit for bit, with a used memo and with a fresh one. Used with
/// another plan, a memo starts afresh.
#[derive(Debug, Default)]
pub struct ProjectionMemo {
    /// The [`PoolPlan::id`] the entries below belong to.
    plan: Option<u64>,
    /// An annual rate's mantissa and scale → [`period_fractions`] of it.
    fractions: Vec<((i128, u32), Vec<i64>)>,
    /// The arrival periods of each lag met so far.
    arrivals: Vec<ArrivalPeriods>,
    /// Projections of the plan so far.
    projections: u64,
    /// Those that took their performing paths from an earlier one.
    shared: u64,
    /// Those of them that put their pool totals together from the path's parts.
    by_parts: u64,
    /// The obligors' shares of the latest scenario whose default patterns came in a row
    /// ([`patterns`]), and the key of the last pattern that built no table.
    patterns: Option<patterns::PatternTable>,
    pattern_seen: Option<patterns::PatternKey>,
    /// Projections whose totals came from `patterns`.
    by_pattern: u64,
    /// The keys of the latest paths computed and not kept, oldest first: a path is kept
    /// the second time its key comes, so that searches whose steps never repeat one (a
    /// break-even search, the rating Monte Carlo's default patterns) keep none.
    seen: Vec<PathKey>,
    /// The performing paths kept, oldest first ([`PerformingPath`]).
    paths: Vec<PerformingPath>,
}

/// Entries a [`ProjectionMemo`] keeps of each kind before it starts afresh (a break-even
/// search meets a new CDR at every step).
const MEMO_ENTRIES: usize = 256;

impl ProjectionMemo {
    /// How many projections since the memo's plan last changed took their performing paths
    /// (defaults, instalments paid, prepayments) from an earlier one: a diagnostic, for the
    /// results are the same either way.
    pub fn paths_shared(&self) -> u64 {
        self.shared
    }

    /// How many of those [`ProjectionMemo::paths_shared`] counts, without obligor rows, put
    /// their pool totals together from the shared path's parts (its own sums, the delays
    /// under one share and lag, the recoveries under one rate and lag) instead of going
    /// obligor by obligor: a diagnostic too.
    pub fn totals_by_parts(&self) -> u64 {
        self.by_parts
    }

    /// How many projections without obligor rows took their pool totals from the obligors'
    /// shares of a scenario whose default patterns came before (the rating Monte Carlo's
    /// patterns): a diagnostic too.
    pub fn totals_by_pattern(&self) -> u64 {
        self.by_pattern
    }

    /// The memo, emptied unless its entries belong to `plan`.
    fn of(&mut self, plan: &PoolPlan) -> &mut Self {
        if self.plan != Some(plan.id) {
            *self = ProjectionMemo {
                plan: Some(plan.id),
                ..ProjectionMemo::default()
            };
        }
        self
    }

    /// [`period_fractions`] of `rate`, computed once.
    fn fractions(&mut self, rate: Decimal, periods: &[PeriodDates]) -> Result<Vec<i64>> {
        let key = (rate.mantissa(), rate.scale());
        if let Some((_, f)) = self.fractions.iter().find(|(k, _)| *k == key) {
            return Ok(f.clone());
        }
        let f = period_fractions(rate, periods)?;
        if self.fractions.len() >= MEMO_ENTRIES {
            self.fractions.clear();
        }
        self.fractions.push((key, f.clone()));
        Ok(f)
    }

    /// The index in `arrivals` of the table of a lag of `months`, added if new. Call
    /// [`ProjectionMemo::make_room`] first: the indices of a projection must stay valid.
    fn arrival_table(&mut self, months: u32) -> usize {
        if let Some(i) = self.arrivals.iter().position(|a| a.months == months) {
            return i;
        }
        self.arrivals.push(ArrivalPeriods::new(months));
        self.arrivals.len() - 1
    }

    /// Whether `key` came before without its path being kept; notes it if not.
    fn seen_before(&mut self, key: &PathKey) -> bool {
        if let Some(i) = self.seen.iter().position(|k| k == key) {
            self.seen.remove(i);
            return true;
        }
        if self.seen.len() >= 2 * SHARED_PATHS {
            self.seen.remove(0);
        }
        self.seen.push(key.clone());
        false
    }

    /// Keeps `path`, forgetting the oldest paths to stay within [`SHARED_PATHS`] paths and
    /// [`SHARED_PATH_CELLS`] cells.
    fn keep(&mut self, path: PerformingPath) {
        let mut cells = path.cells.len() + self.paths.iter().map(|p| p.cells.len()).sum::<usize>();
        while !self.paths.is_empty()
            && (cells > SHARED_PATH_CELLS || self.paths.len() >= SHARED_PATHS)
        {
            cells -= self.paths.remove(0).cells.len();
        }
        self.paths.push(path);
    }

    /// Forgets the arrival tables if `more` new ones could take them past [`MEMO_ENTRIES`].
    fn make_room(&mut self, more: usize) {
        if self.arrivals.len() + more > MEMO_ENTRIES {
            self.arrivals.clear();
        }
    }
}

/// What every projection of one set of obligors over one run of periods shares, whatever the
/// scenario: the obligors' row labels, the row grid's (period, payment date) pairs and the
/// default curve's horizon.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    /// Tells plans apart for a [`ProjectionMemo`]: unique in the process.
    id: u64,
    /// `None` in a plan built for projections without obligor rows.
    names: Option<Vec<Label>>,
    dates: Vec<(u32, NaiveDate)>,
    /// Collection periods up to the one holding the pool's last instalment (all of them
    /// without an instalment in any).
    pool_periods: usize,
}

impl PoolPlan {
    /// The plan, with the obligors' labels only for projections that build `rows` (a
    /// projection without rows reads none; one with rows builds them if the plan lacks them).
    pub fn build(periods: &[PeriodDates], obligors: &[Obligor], rows: ObligorRows) -> PoolPlan {
        let n = periods.len();
        let last_due = obligors
            .iter()
            .flat_map(|o| o.assets.iter())
            .filter_map(|a| a.instalments.last().map(|i| i.date))
            .max();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        PoolPlan {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            names: (rows == ObligorRows::Keep).then(|| obligor_labels(obligors)),
            dates: periods.iter().map(|p| (p.number, p.date())).collect(),
            pool_periods: last_due.map_or(n, |d| period_of(periods, d).map_or(n, |k| k + 1)),
        }
    }
}

/// The row labels of `obligors`, in order.
fn obligor_labels(obligors: &[Obligor]) -> Vec<Label> {
    obligors.iter().map(|o| Label::from(&o.name)).collect()
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
    for &(o, d) in &scenario.obligor_defaults {
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

/// Obligor-periods of a pool whose performing paths a [`ProjectionMemo`] keeps (all its
/// paths together): about 10 MB of cells and events.
const SHARED_PATH_CELLS: usize = 100_000;
/// Most performing paths a [`ProjectionMemo`] keeps: one per default and prepayment setting
/// of a grid whose other axes vary faster.
const SHARED_PATHS: usize = 16;

/// What an obligor's performing path reads besides the obligor and its profile.
struct PathContext<'a> {
    periods: &'a [PeriodDates],
    mode: Rounding,
    /// The index paths floating loans are refixed against, the cutoff and the scenario's
    /// name: `None` under the deal's own paths (the validated schedules stand).
    refix: Option<(&'a crate::floating::IndexView<'a>, NaiveDate, &'a str)>,
}

/// What phase two of an obligor's projection (a scenario's recoveries and delays) acts on.
#[derive(Debug, Clone, Copy)]
enum PathEvent {
    /// A CDR or curve default of `amount` on the first day of period `k`.
    PeriodDefault { k: u32, amount: i64 },
    /// A named default of `amount` (the performing balance) on `date`.
    NamedDefault { date: NaiveDate, amount: i64 },
    /// The instalment due on `date`, in period `k`, paid `principal` and `interest` before
    /// any delay.
    Paid {
        k: u32,
        date: NaiveDate,
        principal: i64,
        interest: i64,
    },
}

/// What an obligor's performing path depends on in a scenario: its defaults (CDR, curve and
/// named) and prepayments, pool-wide and by override. Recoveries and delays are not in it,
/// so the scenarios of a grid that vary only those share one path. Rates compare by value:
/// `0.02` and `0.020` give the same fractions and the same exact products. Only a scenario
/// under the deal's own index paths has a key: other paths refix floating loans.
#[derive(Debug, Clone, PartialEq)]
struct PathKey {
    cdr: Decimal,
    default_rate: Decimal,
    cpr: Decimal,
    default_timing: Vec<Decimal>,
    obligor_defaults: Vec<(usize, NaiveDate)>,
    /// Each override's obligors and its CDR, default rate and CPR.
    overrides: Vec<(Vec<usize>, [Option<Decimal>; 3])>,
}

impl PathKey {
    fn of(s: &Scenario) -> PathKey {
        PathKey {
            cdr: s.cdr,
            default_rate: s.default_rate,
            cpr: s.cpr,
            default_timing: s.default_timing.clone(),
            obligor_defaults: s.obligor_defaults.clone(),
            overrides: s
                .overrides
                .iter()
                .map(|r| (r.obligors.clone(), [r.cdr, r.default_rate, r.cpr]))
                .collect(),
        }
    }
}

/// The performing paths of a pool's obligors under one [`PathKey`]: phase one of a
/// projection, kept by a [`ProjectionMemo`] for the next scenario with the same key.
#[derive(Debug)]
struct PerformingPath {
    key: PathKey,
    /// Each obligor's cells after phase one, obligor-major.
    cells: Vec<Cell>,
    /// Each obligor's events, in order.
    events: Vec<PathEvent>,
    /// Where each obligor's events end in `events`.
    ends: Vec<usize>,
    initial_balance: Fen,
    /// Its pool totals by part, for projections without obligor rows ([`parts`]).
    parts: parts::PathParts,
}

/// A sum of an obligor's amounts that leaves `i64`.
#[cold]
fn obligor_overflow(name: &str) -> Error {
    Error::Usage(format!(
        "obligor `{name}`: an amount exceeds 92,233,720,368,547,758.07 yuan, the largest a pool \
         row holds; check the units of its amounts"
    ))
}

/// Phase one of an obligor's projection, its performing path: CDR, curve and named defaults,
/// instalments as paid before any delay, prepayments. Writes the `scheduled`, `defaulted`,
/// `prepaid` and `balance_end` of the sink's cells and the prepaid part of their `principal`,
/// and hands the sink what the scenario's recoveries and delays act on ([`PathSink`]);
/// returns the obligor's performing balance at the cutoff.
#[inline(always)]
fn perform<S: PathSink>(
    ctx: &PathContext,
    obligor: &Obligor,
    profile: &Profile,
    default_at: Option<NaiveDate>,
    sink: &mut S,
) -> Result<Fen> {
    let PathContext {
        periods,
        mode,
        refix,
    } = *ctx;
    let Profile {
        default_fractions,
        default_survive,
        prepay_fractions,
        prepay_survive,
        curve,
    } = profile;
    let mut initial_balance: Fen = 0;
    for original in &obligor.assets {
        let rebuilt;
        let refixed = refix.and_then(|(view, cutoff, _)| {
            crate::schedule::floating_loan::refixed(original, view, cutoff)
        });
        let asset = match refixed {
            Some(r) => {
                rebuilt = r.map_err(|e| {
                    Error::Usage(format!(
                        "scenario `{}`: obligor `{}`: floating loan: {e}",
                        refix.map_or("", |r| r.2),
                        obligor.name
                    ))
                })?;
                &rebuilt
            }
            None => original,
        };
        let amounts = asset.fen_amounts().ok_or_else(|| {
            Error::Usage(format!(
                "obligor `{}`: an instalment exceeds 92,233,720,368,547,758.07 yuan; check the \
                 units of its amounts",
                obligor.name
            ))
        })?;
        let initial: i64 = amounts
            .iter()
            .try_fold(0i64, |t, a| t.checked_add(a.0))
            .ok_or_else(|| obligor_overflow(&obligor.name))?;
        initial_balance += Fen::from(initial);
        let mut bal = initial;
        // The surviving factor, a mantissa at FACTOR_DP places (1 = 10^12).
        let mut factor: i64 = POW10_FACTOR;
        // While nothing has defaulted or prepaid, the balance is exactly the sum of the
        // remaining contractual principal: instalments are paid as scheduled.
        let mut intact = true;
        let mut next = 0usize; // next instalment index
        let last = asset.instalments.len().saturating_sub(1);
        let mut dead = false;
        for (k, p) in periods.iter().enumerate() {
            // 1. CDR and default-curve defaults on the first day of the period.
            let dk = default_fractions[k];
            let (ck, share, cdiv) = curve[k];
            if !dead && (dk != 0 || !ck.is_zero()) && bal > 0 {
                let cdr_part = narrow(mul_pow10_i64::<FRACTION_DP>(bal, dk, mode))?;
                let curve_part = if ck.is_zero() {
                    0
                } else {
                    let factors = [ck, share];
                    let n = if share == Decimal::ONE { 1 } else { 2 };
                    fen_times(Fen::from(initial), &factors[..n], Ratio::new(1, cdiv), mode)
                        .ok_or_else(projection_overflow)?
                };
                // At most the balance, so within i64.
                let def = (Fen::from(cdr_part) + curve_part).min(Fen::from(bal)) as i64;
                if def > 0 {
                    // CDR alone: φ(1 − f) exactly; with a curve part or capped at the
                    // balance: φ(B − D)/B; each rounded half away to FACTOR_DP places
                    // (never above φ, so within i64).
                    factor = if curve_part == 0 && cdr_part <= bal {
                        survive(factor, default_survive[k])
                    } else {
                        div_half_away(i128::from(factor) * i128::from(bal - def), i128::from(bal))
                            as i64
                    };
                    intact = false;
                    bal -= def;
                    let (c, overflow) = sink.cell(k);
                    add(&mut c.defaulted, def, overflow);
                    sink.period_default(k, def)?;
                }
            }
            // 2. Instalments due in the period, with a named default interleaved.
            while next < asset.instalments.len() && asset.instalments[next].date <= p.collection_end
            {
                let inst = asset.instalments[next];
                if inst.date < p.collection_start {
                    // Cannot happen for a validated deal (instalments fall after cutoff).
                    next += 1;
                    continue;
                }
                if !dead && default_at.is_some_and(|d| d <= inst.date) {
                    dead = true;
                    default_now(sink, k, default_at.unwrap_or(inst.date), &mut bal)?;
                }
                let (ip, ii) = amounts[next];
                let (c, overflow) = sink.cell(k);
                add(&mut c.scheduled, ip, overflow);
                add(&mut c.scheduled, ii, overflow);
                if !dead {
                    // Scaled by the surviving factor (at most one: within i64).
                    let scaled = |x: i64| narrow(mul_pow10_i64::<FACTOR_DP>(x, factor, mode));
                    let (pr, it) = if intact {
                        (ip, ii)
                    } else if next == last {
                        (bal, scaled(ii)?)
                    } else {
                        (scaled(ip)?.min(bal), scaled(ii)?)
                    };
                    bal -= pr;
                    sink.paid(k, inst.date, pr, it)?;
                }
                next += 1;
            }
            // A named default inside the period with no instalment on or after it.
            if !dead && default_at.is_some_and(|d| d <= p.collection_end) {
                dead = true;
                default_now(sink, k, default_at.unwrap_or(p.collection_end), &mut bal)?;
            }
            // 3. Prepayment on the last day of the period.
            let sk = prepay_fractions[k];
            if asset.prepayable && !dead && sk != 0 && bal > 0 {
                let pp = narrow(mul_pow10_i64::<FRACTION_DP>(bal, sk, mode))?.min(bal);
                bal -= pp;
                factor = survive(factor, prepay_survive[k]);
                intact = false;
                let (c, overflow) = sink.cell(k);
                add(&mut c.prepaid, pp, overflow);
                add(&mut c.principal, pp, overflow);
            }
            let (c, overflow) = sink.cell(k);
            add(&mut c.balance_end, bal, overflow);
        }
    }
    Ok(initial_balance)
}

/// A named default on `date` in period `k`: the whole performing balance defaults.
#[inline]
fn default_now<S: PathSink>(sink: &mut S, k: usize, date: NaiveDate, bal: &mut i64) -> Result<()> {
    let amount = std::mem::take(bal);
    if amount == 0 {
        return Ok(());
    }
    let (c, overflow) = sink.cell(k);
    add(&mut c.defaulted, amount, overflow);
    sink.named_default(date, amount)
}

/// Where an obligor's performing path goes ([`perform`]): straight into phase two
/// ([`Arrivals`]), or recorded for the scenarios that share it ([`Recorder`]).
trait PathSink {
    /// Period `k`'s cell of the obligor, and the flag of a sum that left `i64`.
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool);
    /// A CDR or curve default of `amount` on the first day of period `k`.
    fn period_default(&mut self, k: usize, amount: i64) -> Result<()>;
    /// A named default of `amount` (the performing balance) on `date`.
    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()>;
    /// The instalment due on `date`, in period `k`, paid `principal` and `interest` before any
    /// delay.
    fn paid(&mut self, k: usize, date: NaiveDate, principal: i64, interest: i64) -> Result<()>;
}

/// Records a performing path as [`PathEvent`]s, for [`Arrivals::arrive`].
struct Recorder<'a> {
    cells: &'a mut [Cell],
    overflow: &'a mut bool,
    events: &'a mut Vec<PathEvent>,
}

impl PathSink for Recorder<'_> {
    #[inline(always)]
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool) {
        (&mut self.cells[k], self.overflow)
    }

    fn period_default(&mut self, k: usize, amount: i64) -> Result<()> {
        self.events.push(PathEvent::PeriodDefault {
            k: k as u32,
            amount,
        });
        Ok(())
    }

    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()> {
        self.events.push(PathEvent::NamedDefault { date, amount });
        Ok(())
    }

    fn paid(&mut self, k: usize, date: NaiveDate, principal: i64, interest: i64) -> Result<()> {
        self.events.push(PathEvent::Paid {
            k: k as u32,
            date,
            principal,
            interest,
        });
        Ok(())
    }
}

/// Phase two as the path is computed: the scenario's recoveries and delays.
impl PathSink for Arrivals<'_, '_> {
    #[inline(always)]
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool) {
        (&mut self.cells[k], &mut self.overflow)
    }

    #[inline(always)]
    fn period_default(&mut self, k: usize, amount: i64) -> Result<()> {
        let rec = self.recovery_rate.times(amount, self.mode)?;
        self.book_recovery_of_period(k, rec);
        Ok(())
    }

    #[inline(always)]
    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()> {
        let rec = self.recovery_rate.times(amount, self.mode)?;
        self.book_recovery(date, rec);
        Ok(())
    }

    #[inline(always)]
    fn paid(&mut self, k: usize, date: NaiveDate, pr: i64, it: i64) -> Result<()> {
        let delay = self.delay_share;
        let (ovf, c) = (&mut self.overflow, &mut self.cells[k]);
        if delay.is_zero() {
            add(&mut c.principal, pr, ovf);
            add(&mut c.interest, it, ovf);
        } else {
            let dp = delay.times(pr, self.mode)?;
            let di = delay.times(it, self.mode)?;
            add(&mut c.principal, pr - dp, ovf);
            add(&mut c.interest, it - di, ovf);
            add(&mut c.delayed, dp, ovf);
            add(&mut c.delayed, di, ovf);
            self.book_delayed(date, dp, di);
        }
        Ok(())
    }
}

/// A rate of a scenario (a recovery rate, a delayed share) for the projection's products: its
/// mantissa at [`FACTOR_DP`] places when it has at most that many and fits an `i64` (every
/// rate in [0, 1] does), so that a product divides by a constant; otherwise as it is.
#[derive(Debug, Clone, Copy)]
enum Rate {
    Fixed(i64),
    Any { m: i128, s: u32 },
}

impl Rate {
    fn of(d: Decimal) -> Rate {
        let (m, s) = (d.mantissa(), d.scale());
        if s <= FACTOR_DP
            && let Some(m) = m
                .checked_mul(10i128.pow(FACTOR_DP - s))
                .and_then(|m| i64::try_from(m).ok())
        {
            return Rate::Fixed(m);
        }
        Rate::Any { m, s }
    }

    fn is_zero(self) -> bool {
        matches!(self, Rate::Fixed(0) | Rate::Any { m: 0, .. })
    }

    /// The mantissa at [`FACTOR_DP`] places of a rate in [0, 1].
    fn unit(self) -> Option<i64> {
        match self {
            Rate::Fixed(m) if (0..=POW10_FACTOR).contains(&m) => Some(m),
            _ => None,
        }
    }

    /// `round(amount × rate)`, exact and rounded once. Inlined, and the fixed scale on `i64`
    /// operands returns a plain `i128` in registers: a `Result` or `Option` of `i128` built out
    /// of line went through memory in two halves read back as one, a stalled store-to-load
    /// forward per product.
    #[inline(always)]
    fn times(self, amount: i64, mode: Rounding) -> Result<i64> {
        match self {
            Rate::Fixed(m) => narrow(mul_pow10_i64::<FACTOR_DP>(amount, m, mode)),
            Rate::Any { m, s } => Self::times_any(amount, m, s, mode),
        }
    }

    #[cold]
    #[inline(never)]
    fn times_any(amount: i64, m: i128, s: u32, mode: Rounding) -> Result<i64> {
        narrow(mul_scaled(i128::from(amount), m, s, mode).ok_or_else(projection_overflow)?)
    }
}

/// An amount beyond 128 bits in the projection.
#[cold]
fn projection_overflow() -> Error {
    Error::Internal("an amount overflows in the pool projection".into())
}

/// The surviving factor after a period's CDR or CPR: `factor × (1 − f)`, rounded half away
/// from zero to [`FACTOR_DP`] places (`survive_m` is `1 − f` at [`FRACTION_DP`] places).
#[inline]
fn survive(factor: i64, survive_m: i64) -> i64 {
    // At most the factor: both are non-negative and `survive_m` is at most 10^10.
    mul_pow10_i64::<FRACTION_DP>(factor, survive_m, Rounding::HalfUp) as i64
}

/// `num / den` rounded half away from zero, for `num ≥ 0`, `den > 0`.
#[inline]
fn div_half_away(num: i128, den: i128) -> i128 {
    let (q, r) = (num / den, num % den);
    q + i128::from(r >= den - r)
}

/// Where cash arriving later (delayed instalments, recoveries) is booked.
struct Arrivals<'c, 'p> {
    cells: &'c mut [Cell],
    beyond: &'c mut Fen,
    /// The delay and recovery rules of each profile.
    rules: Vec<ArrivalRules>,
    /// The memo's arrival tables, which the rules point into.
    tables: &'c mut [ArrivalPeriods],
    periods: &'p [PeriodDates],
    /// The profile of the obligor being projected ([`Arrivals::use_profile`]).
    current: usize,
    /// Its recovery rate and delayed share.
    recovery_rate: Rate,
    delay_share: Rate,
    mode: Rounding,
    /// A sum of the current obligor's cells left `i64` ([`add`]).
    overflow: bool,
}

/// When delayed cash and recoveries of one profile arrive, and the recovery rate.
struct ArrivalRules {
    /// The index of the delay's table in [`Arrivals::tables`].
    delay: usize,
    /// The index of the recovery lag's table.
    recovery: usize,
    recovery_rate: Rate,
    /// The share of each instalment that arrives late.
    delay_share: Rate,
    /// [`ArrivalPeriods::period`] of each collection period's first day (when CDR and curve
    /// defaults happen), computed once; empty for a profile without them.
    recovery_of_period: Vec<Option<usize>>,
}

/// The per-period factors of one set of [`Assumptions`].
struct Profile {
    /// CDR fraction of each period, a mantissa at [`FRACTION_DP`] places.
    default_fractions: Vec<i64>,
    /// 1 − the CDR fraction.
    default_survive: Vec<i64>,
    /// CPR fraction of each period.
    prepay_fractions: Vec<i64>,
    /// 1 − the CPR fraction.
    prepay_survive: Vec<i64>,
    /// (default_rate × share factor, the share factor when that product is not exact in
    /// Decimal (else 1), share divisor) per period: the exact curve amount of an
    /// asset is its cutoff balance × factor / divisor, rounded once.
    curve: Vec<(Decimal, Decimal, i64)>,
}

impl Profile {
    fn new(
        a: &Assumptions,
        shares: &[(Decimal, i64)],
        periods: &[PeriodDates],
        memo: &mut ProjectionMemo,
    ) -> Result<Self> {
        // Fractions as mantissas at FRACTION_DP places; 1 − fraction is the surviving share.
        let default_fractions = memo.fractions(a.cdr, periods)?;
        let prepay_fractions = memo.fractions(a.cpr, periods)?;
        let one = POW10_FRACTION;
        let default_survive = default_fractions.iter().map(|f| one - f).collect();
        let prepay_survive = prepay_fractions.iter().map(|f| one - f).collect();
        let curve = if a.default_rate.is_zero() {
            vec![(Decimal::ZERO, Decimal::ONE, 1); periods.len()]
        } else {
            shares
                .iter()
                .map(|&(share, div)| match exact_product(a.default_rate, share) {
                    Some(p) => (p, Decimal::ONE, div),
                    // A product of more than 28 significant digits would be rounded: the
                    // two factors go to the amount apart, multiplied out exactly.
                    None => (a.default_rate, share, div),
                })
                .collect()
        };
        Ok(Profile {
            default_fractions,
            default_survive,
            prepay_fractions,
            prepay_survive,
            curve,
        })
    }
}

impl<'c, 'p> Arrivals<'c, 'p> {
    /// Phase two into one obligor's `cells` and the cash `beyond` the horizon, under `rules`
    /// (profile 0 current until [`Arrivals::use_profile`]).
    fn new(
        (cells, beyond): (&'c mut [Cell], &'c mut Fen),
        rules: Vec<ArrivalRules>,
        tables: &'c mut [ArrivalPeriods],
        periods: &'p [PeriodDates],
        mode: Rounding,
    ) -> Self {
        Arrivals {
            cells,
            beyond,
            rules,
            tables,
            periods,
            current: 0,
            recovery_rate: Rate::Fixed(0),
            delay_share: Rate::Fixed(0),
            mode,
            overflow: false,
        }
    }

    /// Books the delayed principal and interest of an instalment of `obligor` due on `from`,
    /// in the collection period containing `from` + the scenario's delay (or beyond the
    /// horizon).
    #[inline(always)]
    fn book_delayed(&mut self, from: NaiveDate, principal: i64, interest: i64) {
        if principal == 0 && interest == 0 {
            return;
        }
        let table = self.rules[self.current].delay;
        match self.tables[table].period(self.periods, from) {
            Some(k) => {
                let c = &mut self.cells[k];
                add(&mut c.principal, principal, &mut self.overflow);
                add(&mut c.interest, interest, &mut self.overflow);
            }
            None => *self.beyond += Fen::from(principal) + Fen::from(interest),
        }
    }

    /// Books a recovery of `obligor` on a default on `from`, in the collection period
    /// containing `from` + the scenario's recovery lag (or beyond the horizon).
    #[inline]
    fn book_recovery(&mut self, from: NaiveDate, amount: i64) {
        if amount == 0 {
            return;
        }
        let table = self.rules[self.current].recovery;
        match self.tables[table].period(self.periods, from) {
            Some(k) => add(&mut self.cells[k].recovered, amount, &mut self.overflow),
            None => *self.beyond += Fen::from(amount),
        }
    }

    /// [`Arrivals::book_recovery`] of a CDR or curve default on the first day of period `k`.
    #[inline(always)]
    fn book_recovery_of_period(&mut self, k: usize, amount: i64) {
        if amount == 0 {
            return;
        }
        match self.rules[self.current].recovery_of_period[k] {
            Some(a) => add(&mut self.cells[a].recovered, amount, &mut self.overflow),
            None => *self.beyond += Fen::from(amount),
        }
    }

    /// Where profile `r`'s CDR and curve defaults' recoveries arrive: one period per
    /// collection period, for a profile that has such defaults.
    fn set_recovery_periods(&mut self, r: usize, profile: &Profile) {
        if profile.default_fractions.iter().any(|&d| d != 0)
            || profile.curve.iter().any(|c| !c.0.is_zero())
        {
            let (periods, table) = (self.periods, &mut self.tables[self.rules[r].recovery]);
            self.rules[r].recovery_of_period = periods
                .iter()
                .map(|p| table.period(periods, p.collection_start))
                .collect();
        }
    }

    /// Makes profile `r` the current one.
    #[inline]
    fn use_profile(&mut self, r: usize) {
        self.current = r;
        self.recovery_rate = self.rules[r].recovery_rate;
        self.delay_share = self.rules[r].delay_share;
    }

    /// Phase two of an obligor's projection on its recorded performing path: the recoveries
    /// of its defaults and the delays of its instalments under the current profile's rules.
    fn arrive(&mut self, path: &[PathEvent]) -> Result<()> {
        for e in path {
            match *e {
                PathEvent::PeriodDefault { k, amount } => {
                    self.period_default(k as usize, amount)?
                }
                PathEvent::NamedDefault { date, amount } => self.named_default(date, amount)?,
                PathEvent::Paid {
                    k,
                    date,
                    principal,
                    interest,
                } => self.paid(k as usize, date, principal, interest)?,
            }
        }
        Ok(())
    }
}

/// The collection period containing `from + months`, memoised by `from`: the assets of a pool
/// share their due dates, and the date arithmetic costs more than the rest of an instalment's
/// projection. A direct-mapped table: a slot collision only recomputes. A date's slot is its
/// day number over 8, modulo the table's 256 slots, so that two dates at least 8 days apart
/// share a slot only when they are more than 5 years apart (by day number modulo 64 slots, a
/// quarterly schedule's twelve dates collided about two times in three, and each obligor then
/// recomputed them).
///
/// A [`ProjectionMemo`] keeps the tables of one deal's periods from one projection to the
/// next.
#[derive(Debug)]
struct ArrivalPeriods {
    months: u32,
    /// (day number of `from`, encoded result); `EMPTY` when unused.
    slots: Box<[(i32, u32); ARRIVAL_SLOTS]>,
}

const ARRIVAL_SLOTS: usize = 256;
const EMPTY: i32 = i32::MIN;
/// Encodes "after the last collection period" in a slot.
const BEYOND: u32 = u32::MAX;

impl ArrivalPeriods {
    /// An empty table of a lag of `months`.
    fn new(months: u32) -> Self {
        ArrivalPeriods {
            months,
            slots: Box::new([(EMPTY, 0); ARRIVAL_SLOTS]),
        }
    }

    /// The collection period of `periods` containing `from + months`.
    #[inline(always)]
    fn period(&mut self, periods: &[PeriodDates], from: NaiveDate) -> Option<usize> {
        let key = from.num_days_from_ce();
        let slot = (key >> 3).rem_euclid(ARRIVAL_SLOTS as i32) as usize;
        let (k, code) = self.slots[slot];
        if k == key {
            return (code != BEYOND).then_some(code as usize);
        }
        self.miss(periods, from, slot)
    }

    /// [`ArrivalPeriods::period`] computed, and kept in `slot`.
    #[inline(never)]
    fn miss(&mut self, periods: &[PeriodDates], from: NaiveDate, slot: usize) -> Option<usize> {
        let key = from.num_days_from_ce();
        let k = i32::try_from(self.months)
            .ok()
            .and_then(|m| add_months(from, m, false))
            .and_then(|d| period_of(periods, d));
        let code = k.and_then(|k| u32::try_from(k).ok()).unwrap_or(BEYOND);
        self.slots[slot] = (key, code);
        (code != BEYOND).then_some(code as usize)
    }
}

/// The fraction `annual_to_period(rate, days)` of each collection period, as its mantissa at
/// [`FRACTION_DP`] places; periods share a few lengths, so each length is computed once.
fn period_fractions(rate: Decimal, periods: &[PeriodDates]) -> Result<Vec<i64>> {
    if rate.is_zero() {
        return Ok(vec![0; periods.len()]);
    }
    let mut seen: Vec<(i64, i64)> = Vec::new();
    periods
        .iter()
        .map(|p| {
            let days = (p.collection_end - p.collection_start).num_days() + 1;
            if let Some(&(_, f)) = seen.iter().find(|(d, _)| *d == days) {
                return Ok(f);
            }
            let f = fraction_mantissa(rate, days)?;
            seen.push((days, f));
            Ok(f)
        })
        .collect()
}

/// Decimal places of the surviving factor: it is kept to 12 places (half away from zero), so
/// that scaled instalments stay cheap to compute. The roundings accumulate over the periods: a
/// scaled instalment can be a fen off the exact product at 10^8 yuan and more above
/// (docs/conventions.md, step 5).
const FACTOR_DP: u32 = 12;
/// 1 at [`FACTOR_DP`] places.
const POW10_FACTOR: i64 = 1_000_000_000_000;
/// Decimal places of a period's CDR or CPR fraction ([`annual_to_period`]).
const FRACTION_DP: u32 = 10;
/// 1 at [`FRACTION_DP`] places.
const POW10_FRACTION: i64 = 10_000_000_000;

/// The collection period (0-based) containing `date`, if any.
pub fn period_of(periods: &[PeriodDates], date: NaiveDate) -> Option<usize> {
    let k = periods.partition_point(|p| p.collection_end < date);
    (k < periods.len() && periods[k].collection_start <= date).then_some(k)
}

/// Converts an annual rate (CDR or CPR) to the fraction for a period of `days` days:
/// `1 − (1 − rate)^(days/365)`, rounded half away from zero to 10 decimal places, once, from
/// its exact value (docs/conventions.md). A zero rate gives exactly zero.
///
/// The power is estimated in `f64` (`crate::pow::powf`, glibc's bits on every platform); where
/// the estimate is within 10^-3 of a unit of the 10th place of a midpoint, the side of the
/// midpoint is decided exactly, in integers ([`exact_side`]): no float decides the fraction
/// (review 27b item M3; before, the `f64` value was rounded, and a fraction within about
/// 10^-15 of a midpoint could round the other way).
pub fn annual_to_period(rate: Decimal, days: i64) -> Result<Decimal> {
    if rate.is_zero() || days <= 0 {
        return Ok(Decimal::ZERO);
    }
    Ok(Decimal::new(fraction_mantissa(rate, days)?, FRACTION_DP))
}

/// How far from a midpoint, in units of the 10th place, the `f64` estimate must be for its
/// rounding to be certain: its error is below 10^-5 there (an error of a few units in 10^-16
/// of the power, scaled by 10^10).
const MIDPOINT_MARGIN: f64 = 1e-3;

/// [`annual_to_period`]'s mantissa at [`FRACTION_DP`] places (zero for a zero rate or no
/// days), which the projection multiplies by.
fn fraction_mantissa(rate: Decimal, days: i64) -> Result<i64> {
    if rate.is_zero() || days <= 0 {
        return Ok(0);
    }
    let r = rate
        .to_f64()
        .ok_or_else(|| Error::Internal(format!("rate {rate} is not representable")))?;
    // glibc's `pow` bits on every platform (crate::pow), so the estimate is too.
    let f = 1.0 - crate::pow::powf(1.0 - r, days as f64 / 365.0);
    let raw = f * 1e10;
    // A fraction lies in [0, 1] for rates in [0, 1] (validated); the range check guards the
    // conversion anyway.
    if !(raw.is_finite() && raw.abs() <= 1e18) {
        return Err(Error::Internal(format!(
            "period fraction {f} is out of range"
        )));
    }
    let below = raw.floor();
    if (raw - below - 0.5).abs() > MIDPOINT_MARGIN {
        return Ok(raw.round() as i64);
    }
    // Near the midpoint (K + 1/2) × 10^-10: its side, exactly.
    let k = below as i64;
    Ok(match exact_side(rate, days, k) {
        Some(true) => k + 1,
        Some(false) => k,
        None => raw.round() as i64,
    })
}

/// Whether `1 − (1 − rate)^(days/365) ≥ (K + 1/2) × 10^-10` (rounding half away from zero
/// then gives K + 1), decided in integers: with `1 − rate = P / Q` and the midpoint's
/// complement `1 − (2K + 1) / (2 × 10^10) = R / T`, the fraction reaches the midpoint when
/// `(P/Q)^(days/365) ≤ R/T`, i.e. `P^days × T^365 ≤ R^365 × Q^days` (both sides positive,
/// raised to the 365th power). `None` outside the rates and midpoints this can state (a rate
/// outside [0, 1), a midpoint outside (0, 1)).
fn exact_side(rate: Decimal, days: i64, k: i64) -> Option<bool> {
    use num_bigint::BigInt;
    let days = u32::try_from(days).ok()?;
    let q = BigInt::from(10u32).pow(rate.scale());
    let p = &q - BigInt::from(rate.mantissa());
    let t = BigInt::from(2u64) * BigInt::from(10u64).pow(10);
    let r = &t - BigInt::from(2 * i128::from(k) + 1);
    if p <= BigInt::from(0) || p > q || r <= BigInt::from(0) || r >= t {
        return None;
    }
    Some(p.pow(days) * t.pow(365) <= r.pow(365) * q.pow(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Period fractions within 10^-3 of a unit of a 10-place midpoint take the exact path
    /// ([`exact_side`]). Oracle: Python's `decimal` at 80 digits, `1 − (1 − r)^(d/365)`,
    /// from a random search for such pairs (these eight are the first it found; the
    /// fourth is 6 × 10^-6 of a unit from its midpoint). And exact ties, at 365 days, where
    /// the fraction is the rate itself: 0.12345678905 → 0.1234567891 (half away from zero).
    #[test]
    fn fractions_near_a_midpoint_are_decided_exactly() {
        for (rate, days, want) in [
            ("0.254", 90, 697_053_298),
            ("0.19821", 182, 1_043_017_174),
            ("0.789897", 366, 7_907_931_485),
            ("0.16", 181, 828_279_236),
            ("0.24", 184, 1_292_028_700),
            ("0.3483", 91, 1_012_491_900),
            ("0.061", 89, 152_298_003),
            ("0.1893", 182, 993_523_181),
            ("0.12345678905", 365, 1_234_567_891),
            ("0.12345678915", 365, 1_234_567_892),
            ("0.00000000005", 365, 1),
        ] {
            let r: Decimal = rate.parse().unwrap();
            assert_eq!(
                fraction_mantissa(r, days).unwrap(),
                want,
                "{rate} over {days}"
            );
        }
        // The exact side itself: 0.16 over 181 days is 0.0828279235500006… ≥ its midpoint;
        // 0.254 over 90 days, 0.0697053298499879…, is below.
        assert_eq!(
            exact_side("0.16".parse().unwrap(), 181, 828_279_235),
            Some(true)
        );
        assert_eq!(
            exact_side("0.254".parse().unwrap(), 90, 697_053_298),
            Some(false)
        );
    }

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

//! Break-even default rate (临界违约率) of each rated tranche under each scenario.
//!
//! The break-even default rate (BDR) of a tranche under a scenario is the highest cumulative
//! default rate at which the tranche still receives all of its interest on time and all of its
//! principal by legal maturity. Every rule is stated in docs/breakeven.md; in short:
//!
//! * **Paid in full** ([`paid_in_full`]): on every payment date `interest_paid == interest_due`
//!   (no interest shortfall, ever; a `per_unit` 尾差 is none), and `balance_end == 0` on the
//!   last payment date.
//! * **The stressed scenario at rate R** ([`stressed`]) is the given scenario with
//!   `default_rate = R`, `cdr = 0` and no named `obligor_defaults`; its default timing,
//!   recoveries, delays, CPR and `supports_off` are kept.
//! * **Root finder**: a scan R = j/128 (j = 1, 2, …) up to the first failing rate, then
//!   bisection inside that first failing bracket until it is at most [`TOLERANCE`] (0.0001)
//!   wide. The break-even is therefore the highest rate below which **every** scanned rate
//!   passes: a trigger that makes more defaults help cannot lift it past a failing scan point.
//!   Every R is an exact Decimal: a midpoint `(lo + hi) / 2` rounded half away from zero to
//!   [`RATE_DP`] (8) decimal places. A tranche that fails at R = 0 has a break-even of 0
//!   (`fails_at_zero`); one that passes at every scan point up to R = 1 has a break-even of 1
//!   (`passes_at_one`).
//! * **Reported rate**: `breakeven_input_rate` is the passing lower bound R of the bracket;
//!   `breakeven_default_rate` is the *realised* cumulative default ratio of the run at that R
//!   (the last period's `cumulative_default_ratio`), which can be below R because defaults are
//!   capped at the performing balance.
//! * **Whole obligors**: the k largest obligors (by cutoff balance, ties by name) default on the
//!   first day of the first collection period, k = 0, 1, …; `breakeven_obligors` is the largest k
//!   such that the tranche is paid in full for every k' ≤ k.
//! * **TDR**: multiplier × base default rate from the [`RatingTable`], rounded to 8 decimal
//!   places; `pass = Some(bdr >= tdr)` when a TDR exists, the BDR being `breakeven_default_rate`,
//!   or for a tranche paid in full at R = 1 the larger of it and
//!   `breakeven_obligor_default_rate` ([`Bdr::of`]; always false for a tranche that fails with
//!   no defaults at all).
//!
//! * **Status changes**: where two passing rates took different paths through the deal's
//!   statuses ([`RunResult::regime`]), the search bisects on the path between them
//!   (`status_edge`): a failing band just below a trigger's change of date is found even when
//!   it is narrower than the scan step.
//!
//! Inside the first failing bracket (1/128 wide) bisection still assumes monotonicity apart
//! from status changes: a pass pocket narrower than the scan step can be missed. The bracket itself is always honest: its
//! lower bound was run and passed, its upper bound was run and failed, and the function checks
//! this before it returns.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::deal::{Deal, PaymentTest, Tranche, TrancheClass};
use crate::engine::{DealPlan, ObligorRows, ProjectionCache, RunMemo, result::RunResult};
use crate::error::{Error, Result};
use crate::scenario::{RatingTable, Scenario};

/// Width of the final bisection bracket: 0.0001 = 0.01% of the pool balance at cutoff.
pub const TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 4);

/// Decimal places of every tried default rate and of the target default rate
/// ([`crate::scenario::TDR_DP`], the rating table's).
pub const RATE_DP: u32 = 8;
const _: () = assert!(RATE_DP == crate::scenario::TDR_DP);

/// Step of the scan that precedes the bisection: 2⁻⁷ = 0.0078125, so that the scan points are
/// points of the bisection of [0, 1] and a monotone tranche gets exactly the bracket that plain
/// bisection from [0, 1] would give (docs/breakeven.md).
pub const SCAN_STEP: Decimal = Decimal::from_parts(78125, 0, 0, false, 7);

/// Scan points after R = 0: R = 1/128, 2/128, …, 1.
pub const SCAN_POINTS: u32 = 128;

/// Bisection steps are bounded (14 are needed from [0, 1] to 0.0001; this is a safety net).
const MAX_BISECTION_STEPS: u32 = 64;

/// Most runs one look at the status changes between two passing rates takes (7 bracket one
/// change of a scan step; this bounds a bracket with many).
const MAX_EDGE_PROBES: u32 = 64;

/// The break-even of one tranche under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakevenRow {
    /// The deal's name.
    pub deal: String,
    /// Name of the given (unstressed) scenario.
    pub scenario: String,
    /// The tranche's name.
    pub tranche: String,
    /// `senior`, `mezzanine` or `subordinated`.
    pub class: String,
    /// The tranche's rating label (`rating`), if it has one.
    pub rating: Option<String>,
    /// Realised cumulative default ratio (6 dp) of the run at `breakeven_input_rate`.
    pub breakeven_default_rate: Decimal,
    /// The highest tried default rate (8 dp) at which the tranche was paid in full: the lower
    /// bound of the final bisection bracket.
    pub breakeven_input_rate: Decimal,
    /// Largest k such that the tranche is paid in full when the k' largest obligors default,
    /// for every k' ≤ k (0 also when it fails with no default at all: see `fails_at_zero`).
    pub breakeven_obligors: u32,
    /// Realised cumulative default ratio (6 dp) of the run with those k obligors defaulted (0
    /// when k = 0): the loss the tranche survives in whole obligors.
    pub breakeven_obligor_default_rate: Decimal,
    /// Realised cumulative default ratio (6 dp) of the run with the `breakeven_obligors + 1`
    /// largest obligors defaulted: the smallest whole-obligor loss that breaks the tranche.
    /// None when it survives every obligor's default, or fails with none (since session 32).
    pub breaking_obligor_default_rate: Option<Decimal>,
    /// Number of obligors in the pool, an obligor group (the `group` tag) counted once.
    pub obligor_count: u32,
    /// Target default rate of the tranche's rating, when the rating table has one.
    pub target_default_rate: Option<Decimal>,
    /// The row's BDR ([`BreakevenRow::bdr`]: for a tranche paid in full at R = 1, the larger of
    /// its two realised ratios) ≥ `target_default_rate`, false when `fails_at_zero`; None
    /// without a TDR ([`Bdr::meets`]).
    pub pass: Option<bool>,
    /// Engine runs this row took.
    pub runs: u32,
    /// The tranche is not paid in full even with no defaults: every break-even is 0.
    pub fails_at_zero: bool,
    /// The tranche is paid in full even at a default rate of 1: the break-even input rate is 1.
    pub passes_at_one: bool,
    /// What breaks the tranche at the failing end of the final bracket (the lowest failing
    /// rate tried; R = 0 when it fails with no defaults); None when it passes at 1.
    pub breach: Option<Breach>,
}

/// What breaks a tranche on one run (review 29b item 7: a rating hinged on 59.10 yuan of
/// interest that no output named): the first payment date whose interest due is not paid in
/// full (per-unit 尾差 aside), or, all interest paid, the principal left after the last date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    /// The default rate of the run (8 places).
    pub rate: Decimal,
    /// The payment date: the first whose interest due is not paid in full (a timely test),
    /// else the tranche's last, with interest or principal left.
    pub date: NaiveDate,
    /// Whether interest or principal is missed.
    pub what: BreachKind,
    /// The interest not paid on `date`, or the principal left after it.
    pub amount: Decimal,
    /// The run's pool cash that would arrive after the last collection period (delayed
    /// collections, recoveries), lost to the deal: often why a tranche fails with no defaults
    /// when its legal maturity is its last payment date (review 34e item M2; since session 34).
    pub beyond_horizon: Decimal,
}

/// Which payment a [`Breach`] misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachKind {
    /// Interest due not paid in full on a payment date.
    Interest,
    /// Principal left after the last payment date.
    Principal,
}

impl BreachKind {
    /// The name in `breakeven.parquet`'s `breaks_by` column.
    pub fn name(self) -> &'static str {
        match self {
            BreachKind::Interest => "interest",
            BreachKind::Principal => "principal",
        }
    }
}

/// The first [`Breach`] of `tranche` in `run` at default rate `rate`; None when it is paid in
/// full, or has no row (which [`paid_in_full`] counts as not paid in full). With
/// `PaymentTest::Ultimate` only the last date's interest counts.
pub fn first_breach(run: &RunResult, tranche: &Tranche, rate: Decimal) -> Option<Breach> {
    match outcome(run, tranche, rate) {
        Outcome::Breach(b) => Some(b),
        Outcome::Paid | Outcome::NoRow => None,
    }
}

/// What one run did to a tranche under its payment test: the one reading of the rows that
/// [`paid_in_full`] and [`first_breach`] share.
enum Outcome {
    Paid,
    NoRow,
    Breach(Breach),
}

fn outcome(run: &RunResult, tranche: &Tranche, rate: Decimal) -> Outcome {
    let timely = tranche.payment_test == PaymentTest::Timely;
    let breach = |date, what, amount| {
        Outcome::Breach(Breach {
            rate,
            date,
            what,
            amount,
            beyond_horizon: run.beyond_horizon,
        })
    };
    let mut last: Option<(u32, NaiveDate, Decimal, Decimal)> = None;
    for row in run
        .tranche_flows
        .iter()
        .filter(|r| r.tranche == tranche.name)
    {
        let unpaid = row.interest_unpaid();
        if timely && !unpaid.is_zero() {
            return breach(row.payment_date, BreachKind::Interest, unpaid);
        }
        if last.is_none_or(|(period, ..)| row.period >= period) {
            last = Some((row.period, row.payment_date, row.balance_end, unpaid));
        }
    }
    let Some((_, date, balance, unpaid)) = last else {
        return Outcome::NoRow;
    };
    if !unpaid.is_zero() {
        breach(date, BreachKind::Interest, unpaid)
    } else if !balance.is_zero() {
        breach(date, BreachKind::Principal, balance)
    } else {
        Outcome::Paid
    }
}

/// A break-even default rate as the pass rule reads it (docs/breakeven.md, "Target default rate
/// and the pass rule"): the default ratio the tranche is shown to survive, and whether it was
/// paid in full at every input rate up to 1. For such an unbroken tranche the rate is a lower
/// bound: the larger of the realised ratio at R = 1 (what the scenario's curve can default:
/// an amortizing pool loses less than all of it) and the realised ratio of the whole-obligor
/// break-even (the largest obligors defaulted at once). A target above both is not met: the
/// scenario never showed the tranche surviving a loss that large (review 31c item 1; before
/// session 31 an unbroken tranche met every target). A tranche that fails with no defaults has
/// no break-even and meets no target, not even a TDR of 0. Ordered so that the minimum over
/// scenarios is the binding one: a failure at zero comes first, then by rate, a rate the
/// search bounded before an equal unbroken one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bdr {
    /// Paid in full with no defaults (false: `fails_at_zero`, and `rate` is 0).
    pub pays_at_zero: bool,
    /// The default ratio shown survived (0 for a tranche that fails with no defaults).
    pub rate: Decimal,
    /// Paid in full at R = 1: `rate` is then a lower bound, shown `≥ rate`.
    pub unbroken: bool,
}

impl Bdr {
    /// The break-even as the terminals print it: `none` for a tranche not paid in full with
    /// no defaults, `≥ r` when paid in full at R = 1 (a lower bound), else `r`; r in percent
    /// at 4 places.
    pub fn text(self) -> String {
        let pct = crate::money::percent_dp(self.rate, 4);
        if !self.pays_at_zero {
            "none".to_string()
        } else if self.unbroken {
            format!("≥ {pct}")
        } else {
            pct
        }
    }

    /// Whether the break-even covers the target default rate `tdr`: never for a tranche
    /// that fails with no defaults, whatever the TDR.
    pub fn meets(self, tdr: Decimal) -> bool {
        self.pays_at_zero && self.rate >= tdr
    }

    /// The break-even of a search's result: `realised` (the realised ratio at the break-even,
    /// or at R = 1 when `unbroken`) and, for an unbroken tranche, `obligors` (the realised ratio
    /// of the whole-obligor break-even) when larger.
    pub fn of(fails_at_zero: bool, unbroken: bool, realised: Decimal, obligors: Decimal) -> Bdr {
        Bdr {
            pays_at_zero: !fails_at_zero,
            unbroken,
            rate: if fails_at_zero {
                Decimal::ZERO
            } else if unbroken {
                realised.max(obligors)
            } else {
                realised
            },
        }
    }
}

impl BreakevenRow {
    /// Whether the row meets the target default rate `tdr`: its break-even covers it
    /// ([`Bdr::meets`]), and no whole-obligor loss within it breaks the tranche (the largest
    /// obligors defaulting at once, a realised ratio of at most `tdr`: since session 32,
    /// review 32c item 7, where a one-debtor pool passed AAA by the curve while its one
    /// default broke the senior).
    pub fn meets(&self, tdr: Decimal) -> bool {
        self.bdr().meets(tdr) && self.breaking_obligor_default_rate.is_none_or(|b| b > tdr)
    }

    /// Whether the row's break-even covers `tdr` but a whole-obligor loss within it breaks the
    /// tranche: what fails it in [`BreakevenRow::meets`] alone.
    pub fn breaks_in_obligors(&self, tdr: Decimal) -> bool {
        self.bdr().meets(tdr) && !self.meets(tdr)
    }

    /// The row's break-even as the pass rule reads it.
    pub fn bdr(&self) -> Bdr {
        Bdr::of(
            self.fails_at_zero,
            self.passes_at_one,
            self.breakeven_default_rate,
            self.breakeven_obligor_default_rate,
        )
    }
}

/// Indices of the tranches the break-even table reports: every senior and mezzanine tranche,
/// and a subordinated tranche only if it has a rating. In seniority order.
pub fn breakeven_tranches(deal: &Deal) -> Vec<usize> {
    deal.tranches
        .iter()
        .enumerate()
        .filter(|(_, t)| t.class != TrancheClass::Subordinated || t.rating.is_some())
        .map(|(i, _)| i)
        .collect()
}

/// The break-even table: for each scenario (in order), each tranche of
/// [`breakeven_tranches`] (in seniority order).
///
/// The (scenario, tranche) pairs are independent; [`breakeven_one`] computes one and can be
/// called from several threads at once.
pub fn breakeven(
    deal: &Deal,
    scenarios: &[Scenario],
    rating: &RatingTable,
) -> Result<Vec<BreakevenRow>, Error> {
    let tranches = breakeven_tranches(deal);
    let mut rows = Vec::with_capacity(scenarios.len() * tranches.len());
    // The tranches' searches of one scenario share its projections.
    let caches = ProjectionCache::shared(scenarios.len(), tranches.len());
    for (i, scenario) in scenarios.iter().enumerate() {
        let cache = caches.as_ref().map(|c| &c[i]);
        for &t in &tranches {
            rows.push(breakeven_one_in(deal, scenario, t, rating, cache)?);
        }
    }
    Ok(rows)
}

/// The paid-in-full test on one run: the tranche was paid all of its interest due on every
/// payment date (no interest unpaid, [`TrancheFlowRow::interest_unpaid`]: with `[notices]
/// per_unit` the 尾差 carried by design is not a shortfall), or with `PaymentTest::Ultimate`
/// on the last one (what it was owed by then, earlier shortfalls carried included), and its
/// balance is zero after the last payment date. False when the run has no row for it.
///
/// [`TrancheFlowRow::interest_unpaid`]: crate::engine::result::TrancheFlowRow::interest_unpaid
pub fn paid_in_full(run: &RunResult, tranche: &Tranche) -> bool {
    // The facts the engine gathered as it recorded the rows (what `outcome` reads of them),
    // without scanning every row by tranche name.
    let Some(s) = run.summary.iter().find(|s| s.tranche == tranche.name) else {
        return false;
    };
    let Some(facts) = s.paid else {
        return false;
    };
    let on_time =
        tranche.payment_test == PaymentTest::Ultimate || facts.first_interest_unpaid.is_none();
    on_time && !facts.interest_unpaid_end && s.principal_loss.is_zero()
}

/// The stressed scenario at default rate `rate`: `scenario` with `default_rate = rate`,
/// `cdr = 0`, no named obligor defaults, and no `overrides` rule's CDR or default rate (every
/// obligor defaults on the curve); everything else (name, default timing, recoveries, delay,
/// CPR, the rules' other keys, supports off) is kept.
pub fn stressed(scenario: &Scenario, rate: Decimal) -> Scenario {
    let mut s = Scenario {
        default_rate: rate,
        cdr: Decimal::ZERO,
        obligor_defaults: Vec::new(),
        ..scenario.clone()
    };
    for o in &mut s.overrides {
        o.cdr = None;
        o.default_rate = None;
    }
    s
}

/// The target default rate of `rating` in `table` ([`RatingTable::target_default_rate`],
/// rounded half away from zero to 8 decimal places): None when the tranche is unrated, the
/// table has no multiplier for the rating, or the table's base default rate is not positive.
pub fn target_default_rate(table: &RatingTable, rating: Option<&str>) -> Option<Decimal> {
    if table.base_default_rate <= Decimal::ZERO {
        return None;
    }
    rating.and_then(|r| table.target_default_rate(r))
}

/// One probe of the bisection: the rate tried and what the run gave.
#[derive(Debug, Clone, Copy)]
struct Probe {
    rate: Decimal,
    pass: bool,
    /// What broke the tranche, when it failed.
    breach: Option<Breach>,
    /// Realised cumulative default ratio of the run.
    realised: Decimal,
    /// The run's path through the deal's statuses ([`RunResult::regime`]).
    regime: u64,
}

/// Runs the engine for one (scenario, tranche) pair, counting runs.
struct Tester<'a> {
    plan: DealPlan<'a>,
    memo: RunMemo,
    /// Projections of this scenario shared with other searches on the same pool.
    cache: Option<&'a ProjectionCache>,
    tranche: &'a Tranche,
    /// The scenario being run; mutated in place between runs.
    scenario: Scenario,
    runs: u32,
}

impl Tester<'_> {
    /// Runs the current scenario: (paid in full, realised cumulative default ratio, the
    /// path's fingerprint).
    fn run(&mut self) -> Result<(bool, Decimal, u64, Option<Breach>)> {
        let run = match self.cache {
            Some(cache) => self
                .plan
                .run_lean_cached(&mut self.memo, &self.scenario, cache)?,
            None => self
                .plan
                .run_in(&mut self.memo, &self.scenario, ObligorRows::Skip)?,
        };
        self.runs += 1;
        let pass = paid_in_full(&run, self.tranche);
        let breach = if pass {
            None
        } else {
            first_breach(&run, self.tranche, self.scenario.default_rate)
        };
        Ok((pass, run.cumulative_default_ratio, run.regime, breach))
    }

    fn probe(&mut self, rate: Decimal) -> Result<Probe> {
        self.scenario.default_rate = rate;
        let (pass, realised, regime, breach) = self.run()?;
        Ok(Probe {
            rate,
            pass,
            breach,
            realised,
            regime,
        })
    }
}

/// The break-even of tranche `tranche_index` (an index into `deal.tranches`) under `scenario`.
///
/// Runs the engine for the rate (R = 0, the scan up to the first failure, 7 midpoints, and up to
/// 7 runs at each status change met; docs/breakeven.md, "Cost") plus once
/// per obligor defaulted until the first failure; the run with no defaults serves both searches.
/// Errors: an index out of range, or an engine error on any run.
pub fn breakeven_one(
    deal: &Deal,
    scenario: &Scenario,
    tranche_index: usize,
    rating: &RatingTable,
) -> Result<BreakevenRow, Error> {
    breakeven_one_in(deal, scenario, tranche_index, rating, None)
}

/// [`breakeven_one`], taking the pool's projections under `scenario` from `cache` where kept
/// there and keeping those it makes ([`ProjectionCache`]): the searches of the other tranches
/// of `scenario`, or of `deal` with other tranche balances, find them. The same row, to the
/// bit. `cache` serves one scenario of `deal`'s pool only.
pub fn breakeven_one_in(
    deal: &Deal,
    scenario: &Scenario,
    tranche_index: usize,
    rating: &RatingTable,
    cache: Option<&ProjectionCache>,
) -> Result<BreakevenRow, Error> {
    let tranche = deal.tranches.get(tranche_index).ok_or_else(|| {
        Error::Internal(format!(
            "break-even asked for tranche {tranche_index}, but the deal has {} tranches",
            deal.tranches.len()
        ))
    })?;
    let obligor_count = u32::try_from(deal.credit_groups().len())
        .map_err(|_| Error::Internal("more than 2^32 obligors".into()))?;
    let mut t = Tester {
        plan: DealPlan::new(deal),
        memo: RunMemo::default(),
        cache,
        tranche,
        scenario: stressed(scenario, Decimal::ZERO),
        runs: 0,
    };

    // R = 0 is also k = 0 obligors: no default of any kind.
    let zero = t.probe(Decimal::ZERO)?;
    let (
        input_rate,
        realised,
        (obligors, obligor_rate, breaking),
        fails_at_zero,
        passes_at_one,
        breach,
    ) = if !zero.pass {
        (
            Decimal::ZERO,
            Decimal::ZERO,
            (0, Decimal::ZERO, None),
            true,
            false,
            zero.breach,
        )
    } else {
        let (lo, hi) = scan_then_bisect(&mut t, zero)?;
        let k = obligor_breakeven(&mut t, deal)?;
        let breach = hi.and_then(|h| h.breach);
        (
            lo.rate,
            lo.realised,
            k,
            false,
            lo.rate == Decimal::ONE,
            breach,
        )
    };

    let tdr = target_default_rate(rating, tranche.rating.as_deref());
    let mut row = BreakevenRow {
        deal: deal.name.clone(),
        scenario: scenario.name.clone(),
        tranche: tranche.name.clone(),
        class: tranche.class.name().to_string(),
        rating: tranche.rating.clone(),
        breakeven_default_rate: realised,
        breakeven_input_rate: input_rate,
        breakeven_obligors: obligors,
        breakeven_obligor_default_rate: obligor_rate,
        breaking_obligor_default_rate: breaking,
        obligor_count,
        target_default_rate: tdr,
        pass: None,
        runs: t.runs,
        fails_at_zero,
        passes_at_one,
        breach,
    };
    // The row's own break-even ([`BreakevenRow::bdr`]) and its whole obligors against its TDR.
    row.pass = tdr.map(|x| row.meets(x));
    Ok(row)
}

/// The scan: R = j × [`SCAN_STEP`], j = 1, 2, …, 128, until the first failure; then bisection
/// inside that first failing bracket. Returns the final passing lower bound (R = 1 when every
/// scanned rate passes), and the failing upper bound (None then). `zero` is the passing run at
/// R = 0.
///
/// Where two passing scan points took different paths through the deal's statuses (a trigger
/// tripped on another date, [`RunResult::regime`]), the search looks at the change itself
/// ([`status_edge`]) before it goes on: a band that fails just below it, narrower than the
/// scan step, is found there.
fn scan_then_bisect(t: &mut Tester<'_>, zero: Probe) -> Result<(Probe, Option<Probe>)> {
    let mut lo = zero;
    for j in 1..=SCAN_POINTS {
        let p = t.probe(SCAN_STEP * Decimal::from(j))?;
        if !p.pass {
            return bisect(t, lo, p).map(|(lo, hi)| (lo, Some(hi)));
        }
        if p.regime != lo.regime
            && let Some((pass, fail)) = status_edge(t, lo, p)?
        {
            return bisect(t, pass, fail).map(|(lo, hi)| (lo, Some(hi)));
        }
        lo = p;
    }
    Ok((lo, None))
}

/// Bisects on the path between two passing probes `lo` < `hi` that took different paths,
/// until a change is bracketed within [`TOLERANCE`], then goes on above it to `hi` while the
/// path still differs there (two triggers can change their dates between two scan points);
/// every probe is also a pass test. Returns the first failure met, with the passing probe
/// below it, or None when every probe passed. The rates just below a change are the worst of
/// their path (the most defaults before a trigger trips a date earlier), which is where a
/// failing band sits.
fn status_edge(t: &mut Tester<'_>, lo: Probe, hi: Probe) -> Result<Option<(Probe, Probe)>> {
    let mut probes = 0;
    let mut from = Some(lo);
    while let Some(mut a) = from.take() {
        let mut b = hi;
        while b.rate - a.rate > TOLERANCE && probes < MAX_EDGE_PROBES {
            let mid = round_rate((a.rate + b.rate) / Decimal::TWO);
            if mid <= a.rate || mid >= b.rate {
                break;
            }
            probes += 1;
            let p = t.probe(mid)?;
            if !p.pass {
                return Ok(Some((a, p)));
            }
            if p.regime == a.regime {
                a = p;
            } else {
                b = p;
            }
        }
        // `a` and `b` bracket the lowest change found; above it the path may change again.
        if b.rate < hi.rate && b.regime != hi.regime && probes < MAX_EDGE_PROBES {
            from = Some(b);
        }
    }
    Ok(None)
}

/// Bisection between a passing `lo` and a failing `hi`; returns the final bracket.
fn bisect(t: &mut Tester<'_>, mut lo: Probe, mut hi: Probe) -> Result<(Probe, Probe)> {
    let mut steps = 0;
    while hi.rate - lo.rate > TOLERANCE && steps < MAX_BISECTION_STEPS {
        steps += 1;
        let mid = round_rate((lo.rate + hi.rate) / Decimal::TWO);
        if mid <= lo.rate || mid >= hi.rate {
            break;
        }
        let p = t.probe(mid)?;
        if !p.pass {
            hi = p;
            continue;
        }
        // A status change between two passing rates: a failure just below it brackets the
        // break-even instead ([`status_edge`]).
        if p.regime != lo.regime
            && let Some((pass, fail)) = status_edge(t, lo, p)?
        {
            (lo, hi) = (pass, fail);
            continue;
        }
        lo = p;
    }
    // The sanity check of the bracket: both ends were run, the lower one passed and the upper
    // one failed. (A non-monotone structure can still hide other crossings inside [0, lo].)
    if !lo.pass || hi.pass || lo.rate >= hi.rate {
        return Err(Error::Internal(format!(
            "break-even bisection ended with an inconsistent bracket: {} ({}) .. {} ({})",
            lo.rate,
            if lo.pass { "pass" } else { "fail" },
            hi.rate,
            if hi.pass { "pass" } else { "fail" },
        )));
    }
    Ok((lo, hi))
}

/// Defaults the largest obligors one more at a time (k = 1, 2, …) on the first day of the first
/// collection period and returns the largest k before the first failure, with the realised
/// cumulative default ratio of that k's run (0 for k = 0). An obligor group (the `group` tag,
/// [`Deal::credit_groups_by_balance`]) is one obligor here: its obligors default together.
/// The caller has run k = 0 and seen it pass.
fn obligor_breakeven(t: &mut Tester<'_>, deal: &Deal) -> Result<ObligorBreakeven> {
    let Some(first) = deal.periods.first() else {
        return Err(Error::Internal("the deal has no payment dates".into()));
    };
    let date = first.collection_start;
    t.scenario.default_rate = Decimal::ZERO;
    t.scenario.obligor_defaults.clear();
    let (mut k, mut realised) = (0u32, Decimal::ZERO);
    for group in deal.credit_groups_by_balance() {
        t.scenario
            .obligor_defaults
            .extend(group.iter().map(|&o| (o, date)));
        let (pass, ratio, _, _) = t.run()?;
        if !pass {
            return Ok((k, realised, Some(ratio)));
        }
        (k, realised) = (k + 1, ratio);
    }
    Ok((k, realised, None))
}

/// The whole-obligor break-even: the count k survived, its realised ratio, and the realised
/// ratio of the k + 1 largest defaulted, which breaks the tranche (None when it survives them
/// all).
type ObligorBreakeven = (u32, Decimal, Option<Decimal>);

/// Rounds a rate half away from zero to [`RATE_DP`] decimal places.
fn round_rate(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(RATE_DP, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The minimum over scenarios is by rate (since session 31, review 31d item 3): an
    /// unbroken bound of 66.6667% binds over a bounded 69.9951%, a failure at zero binds over
    /// both, and of equal rates the bounded one comes first. An unbroken bound is the larger
    /// of its two ratios (`Bdr::of`).
    #[test]
    fn the_binding_break_even_is_the_lowest() {
        let unbroken = Bdr::of(false, true, dec!(0.666667), dec!(0.5));
        let bounded = Bdr::of(false, false, dec!(0.699951), dec!(0.9));
        let zero = Bdr::of(true, false, dec!(0.3), dec!(0.3));
        assert_eq!(unbroken.rate, dec!(0.666667));
        assert_eq!(bounded.rate, dec!(0.699951));
        assert_eq!(zero.rate, dec!(0));
        assert_eq!([bounded, unbroken].into_iter().min(), Some(unbroken));
        assert_eq!([bounded, unbroken, zero].into_iter().min(), Some(zero));
        let same = Bdr::of(false, false, dec!(0.666667), dec!(0));
        assert_eq!([unbroken, same].into_iter().min(), Some(same));
        assert!(!unbroken.meets(dec!(0.75)) && unbroken.meets(dec!(0.65)));
        assert!(!zero.meets(dec!(0)));
    }

    #[test]
    fn tolerance_is_one_basis_point_of_the_pool() {
        assert_eq!(TOLERANCE, dec!(0.0001));
    }

    #[test]
    fn rates_round_half_away_from_zero_to_eight_places() {
        assert_eq!(round_rate(dec!(0.000061035156250)), dec!(0.00006104));
        assert_eq!(round_rate(dec!(0.123456785)), dec!(0.12345679));
        assert_eq!(round_rate(dec!(0.5)), dec!(0.5));
    }

    #[test]
    fn tdr_needs_a_positive_base_and_a_known_rating() {
        let table = RatingTable {
            base_default_rate: dec!(0.02),
            multipliers: vec![("AAA".into(), dec!(5.0)), ("AA".into(), dec!(4.1))],
        };
        assert_eq!(target_default_rate(&table, Some("AAA")), Some(dec!(0.1)));
        assert_eq!(target_default_rate(&table, Some("AA")), Some(dec!(0.082)));
        assert_eq!(target_default_rate(&table, Some("A")), None);
        assert_eq!(target_default_rate(&table, None), None);
        let zero = RatingTable {
            base_default_rate: Decimal::ZERO,
            ..table
        };
        assert_eq!(target_default_rate(&zero, Some("AAA")), None);
    }
}

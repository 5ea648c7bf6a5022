//! Tranche sizing (`ipabs size`, docs/rating.md "Sizing"): in order of seniority, the largest
//! balance of each targeted tranche, on a grid of `step`, that keeps its target rating (its BDR,
//! the minimum over the scenarios, covers the rating's TDR) and, if asked, a coverage multiple
//! of at least the minimum on every payment date of the base case, and trips no trigger in the
//! base case (a structure that accelerates with no default: `trips_without_defaults`); in
//! rounds until no balance moves, when several tranches are sized. The last subordinated
//! tranche takes the rest of a fixed issue size, unless the issue size is freed.

use std::cell::RefCell;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{RatingTdr, min_bdr_of};
use crate::analytics::breakeven::Bdr;
use crate::deal::{Amortization, Deal, TrancheClass, TriggerCondition};
use crate::engine::{self, DealPlan, ObligorRows, ProjectionCache, RunMemo, TRIPS_ADVICE};
use crate::error::{Check, Error, Result};
use crate::money::format_money;
use crate::scenario::Scenario;

/// What `ipabs size` is asked.
#[derive(Debug, Clone)]
pub struct SizeOptions {
    /// (tranche index, target rating), any order; sized in seniority order.
    pub targets: Vec<(usize, String)>,
    /// Minimum coverage multiple on every payment date of the base case.
    pub min_coverage: Option<Decimal>,
    /// Balance grid, yuan.
    pub step: Decimal,
    /// Keep the subordinated tranche as it is and let the issue size change.
    pub free_issue_size: bool,
    /// A cushion the break-even must keep above the target default rate (a fraction of the
    /// pool: 0.02 for 2 points): a balance passes when BDR ≥ TDR + margin (0: BDR ≥ TDR).
    pub margin: Decimal,
    /// Which TDR a balance is tested against: the point estimate, or the upper end of its 95%
    /// confidence interval ([`super::RatingTdr::tdr_high`]).
    pub tdr_at: TdrAt,
    /// Which coverage multiple `min_coverage` tests (`--coverage-basis`).
    pub coverage_basis: CoverageBasis,
}

/// The coverage multiple `size --min-coverage` tests (`--coverage-basis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoverageBasis {
    /// The engine's multiple (docs/conventions.md, "The coverage multiple"): a pass-through
    /// tranche owes no principal before its expected maturity, so it counts interest only.
    #[default]
    Engine,
    /// The portfolio multiple (docs/portfolio.md, "Portfolio coverage multiple"): a
    /// pass-through tranche is charged the pool's decline of the period as principal due
    /// (review 38a item 4, 39a: a pass-through senior could not be sized to a coverage).
    Portfolio,
}

impl CoverageBasis {
    /// `engine` or `portfolio`, as `--coverage-basis` and `size_steps.parquet` write it.
    pub fn name(self) -> &'static str {
        match self {
            CoverageBasis::Engine => "engine",
            CoverageBasis::Portfolio => "portfolio",
        }
    }
}

impl TdrAt {
    /// `point` or `upper`, as `--tdr-at` and `size_steps.parquet` write it.
    pub fn name(self) -> &'static str {
        match self {
            TdrAt::Point => "point",
            TdrAt::Upper => "upper",
        }
    }
}

/// The TDR `size` tests a balance against (`--tdr-at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TdrAt {
    /// The simulated order statistic (docs/rating.md §5).
    #[default]
    Point,
    /// The upper end of the TDR's 95% confidence interval: a pass that holds at the upper
    /// 97.5% confidence bound of the true TDR (100% when the paths are too few to bound it).
    Upper,
}

/// One evaluated balance.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeStep {
    /// The deal's name.
    pub deal: String,
    /// 1-based order of evaluation over the whole search.
    pub step: u32,
    /// The tranche sized.
    pub tranche: String,
    /// Its target rating.
    pub target_rating: String,
    /// The tried balance, yuan.
    pub balance: Decimal,
    /// The subordinated tranche's balance at this step.
    pub subordinated_balance: Decimal,
    /// The tranche's BDR at this balance, the minimum over the scenarios.
    pub breakeven_default_rate: Decimal,
    /// The target rating's TDR: the point estimate or its upper end (`tdr_at`).
    pub target_default_rate: Decimal,
    /// BDR ≥ TDR + margin, and no whole-obligor loss within TDR + margin breaks the tranche,
    /// by the pass rule ([`TrancheBreakeven::meets`](super::TrancheBreakeven::meets)); false
    /// whenever `fails_at_zero`.
    pub rating_ok: bool,
    /// The tranche's minimum coverage multiple in the base case (None: not computed for it).
    pub min_coverage_multiple: Option<Decimal>,
    /// None when no minimum was asked or no multiple exists for the tranche.
    pub coverage_ok: Option<bool>,
    /// Every constraint holds: `rating_ok`, `coverage_ok` unless it is None, and no
    /// `base_case_trigger`.
    pub pass: bool,
    /// Paid in full at R = 1 in the binding scenario (the minimum's): `breakeven_default_rate`
    /// is a lower bound (often the work of an uncapped support), the larger of the realised
    /// ratios at R = 1 and in whole obligors.
    pub passes_at_one: bool,
    /// Not paid in full with no defaults in some scenario: no break-even, and no target met.
    pub fails_at_zero: bool,
    /// The scenario whose break-even is the minimum (the first such).
    pub binding_scenario: Option<String>,
    /// Which TDR `target_default_rate` is (`--tdr-at`; review 30d item 5).
    pub tdr_at: TdrAt,
    /// The first payment date of the base case with the tranche's minimum coverage multiple
    /// (None with it; since session 34, review 34c item H1).
    pub min_coverage_date: Option<NaiveDate>,
    /// Which multiple `min_coverage_multiple` is (`--coverage-basis`; since session 39).
    pub coverage_basis: CoverageBasis,
    /// The trigger the base case trips with no default and no delay, when it does
    /// (`trips_without_defaults`), which fails the step (since session 41, review 40d F1).
    pub base_case_trigger: Option<BaseTrigger>,
    /// The smallest whole-obligor loss that breaks the tranche at this balance in some
    /// scenario (the realised ratio of the fewest largest obligors defaulting at once); None
    /// when none does. At most TDR + margin, it fails `rating_ok` (review 43c F2).
    pub breaking_obligor_default_rate: Option<Decimal>,
}

/// A trigger the base case trips with no default and no delay: the structure accelerates (or
/// defaults) by itself, so no balance that trips it passes (`allow =
/// ["trips_without_defaults"]`, in `[deal]` or in the trigger, says the structure means it to
/// trip, and then it does not bind).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseTrigger {
    /// The trigger's name.
    pub name: String,
    /// The payment date it first trips on.
    pub date: NaiveDate,
}

impl BaseTrigger {
    /// The trigger the base case `base` trips as `check` would warn of it: its first trigger of
    /// those the deal does not mean to trip, when the run warned `trips_without_defaults` (the
    /// rule is the engine's, in `engine::end`: not a scenario's event or a support's failure,
    /// and allowed neither by the deal nor by the trigger).
    fn of(base: &crate::engine::result::RunResult) -> Option<BaseTrigger> {
        let warned = base
            .warnings
            .iter()
            .any(|w| w.check == Check::TripsWithoutDefaults);
        let (name, date) = base.first_unplanned_trigger.clone().filter(|_| warned)?;
        Some(BaseTrigger { name, date })
    }

    /// `trigger `NAME` trips in the base case on DATE`, for the terminal and the refusal.
    pub fn text(&self) -> String {
        format!(
            "trigger `{}` trips in the base case (no default, no delay) on {}",
            self.name, self.date
        )
    }
}

impl SizeStep {
    /// The step's break-even as the pass rule reads it.
    pub fn bdr(&self) -> Bdr {
        Bdr {
            pays_at_zero: !self.fails_at_zero,
            unbroken: self.passes_at_one,
            rate: self.breakeven_default_rate,
        }
    }
    /// The step's break-even with the whole-obligor loss that breaks the tranche, as
    /// `rating_ok` read it.
    pub fn breakeven(&self) -> super::TrancheBreakeven {
        super::TrancheBreakeven {
            bdr: self.bdr(),
            breaking: self.breaking_obligor_default_rate,
        }
    }
}

/// What a failing step shows, for the error that no balance passes: its BDR against the TDR,
/// its coverage, and the other tranches' balances at the time.
fn failed_step(s: &SizeStep, d: &Deal, margin: Decimal) -> String {
    let pct = |x: Decimal| crate::money::percent_dp(x, 4);
    let bdr = s.bdr().text();
    // At 4 places as the table prints it (review 41c F8: it was rounded here, cut there).
    let coverage = s
        .min_coverage_multiple
        .map(|c| format!(", minimum coverage {c:.4}"))
        .unwrap_or_default();
    // The bar the step was tested against (review 41c F8: the margin was left out).
    let bar = match margin.is_zero() {
        true => String::new(),
        false => format!(" + margin {}", pct(margin)),
    };
    let trigger = s
        .base_case_trigger
        .as_ref()
        .map(|t| format!(", {}", t.text()))
        .unwrap_or_default();
    let others: Vec<String> = d
        .tranches
        .iter()
        .filter(|x| x.name != s.tranche)
        .map(|x| format!("{} {}", x.name, format_money(x.balance)))
        .collect();
    // A whole-obligor loss within the bar that breaks the tranche, when the BDR alone meets it
    // (review 43c F2).
    let obligors = match s.breaking_obligor_default_rate {
        Some(b)
            if s.breakeven()
                .breaks_in_obligors(s.target_default_rate + margin) =>
        {
            format!(
                ", and the largest obligors defaulting at once (a realised {}) break it within it",
                pct(b)
            )
        }
        _ => String::new(),
    };
    format!(
        ": BDR {bdr} against TDR({}) {}{bar}{obligors}{coverage}{trigger}, with {}",
        s.target_rating,
        pct(s.target_default_rate),
        others.join(", ")
    )
}

/// The result for one targeted tranche.
#[derive(Debug, Clone, PartialEq)]
pub struct Sized {
    /// The tranche sized.
    pub tranche: String,
    /// Its target rating.
    pub target_rating: String,
    /// The balance found on the grid of `step`, yuan.
    pub balance: Decimal,
    /// What stops a larger balance: `rating`, `coverage`, `trigger`, two of them joined by
    /// "and", `rating, coverage and trigger`, or `issue size` (the subordinated tranche is down
    /// to one step).
    pub binding: String,
    /// When coverage binds: where the balance one step up falls short of the minimum.
    pub coverage_short: Option<CoverageShort>,
    /// When a base-case trigger binds: the trigger the balance one step up trips.
    pub trigger_short: Option<BaseTrigger>,
    /// When the search walked down for a trigger: the balances it tried one by one, from the
    /// one above `balance` to the largest the rating and coverage allow, each of which trips
    /// a trigger or fails (not rows of `size_steps.parquet`).
    pub trigger_walk: Option<(Decimal, Decimal)>,
}

/// Where a balance one step above the one found fails `--min-coverage` (review 34c item H1:
/// a junior senior was sized on its senior's redemption date, which the output did not say).
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageShort {
    /// The first payment date of the base case with the tranche's minimum multiple.
    pub date: NaiveDate,
    /// That multiple.
    pub multiple: Decimal,
    /// Principal of the tranche falls due on the date.
    pub own_principal_due: bool,
    /// The more senior tranches with principal due on the date, in seniority order.
    pub seniors_due: Vec<String>,
}

/// The sized deal, every step, and the per-tranche results.
#[derive(Debug, Clone)]
pub struct SizeResult {
    /// The deal with the sized balances.
    pub deal: Deal,
    /// Every evaluated balance, in evaluation order.
    pub steps: Vec<SizeStep>,
    /// One result per targeted tranche, in seniority order.
    pub sized: Vec<Sized>,
}

struct Eval {
    rating_ok: bool,
    coverage_ok: Option<bool>,
    /// Where the tranche's minimum coverage multiple stands (with a multiple).
    coverage_at: Option<CoverageShort>,
    /// The trigger the base case trips with no default, which fails the step.
    trigger: Option<BaseTrigger>,
}

impl Eval {
    /// Grid point `idx` found with this evaluation one step above it: what binds it, where
    /// coverage falls short when coverage fails, and the trigger it trips.
    fn found_below(self, idx: u64) -> Found {
        Found {
            idx,
            binding: self.binding(),
            coverage_short: self.coverage_at.filter(|_| self.coverage_ok == Some(false)),
            trigger_short: self.trigger,
            walked: None,
        }
    }

    /// The rating and the coverage pass: the constraints that only get harder as the tranche
    /// grows.
    fn allows(&self) -> bool {
        self.rating_ok && self.coverage_ok != Some(false)
    }

    /// Every constraint passes: the rating, the coverage, and no trigger in the base case.
    fn pass(&self) -> bool {
        self.allows() && self.trigger.is_none()
    }

    /// What fails: `rating`, `coverage`, `trigger`, two of them joined by "and", all three
    /// as "rating, coverage and trigger"; `issue size` when nothing does.
    fn binding(&self) -> String {
        let failed: Vec<&str> = [
            (!self.rating_ok, "rating"),
            (self.coverage_ok == Some(false), "coverage"),
            (self.trigger.is_some(), "trigger"),
        ]
        .into_iter()
        .filter_map(|(fails, name)| fails.then_some(name))
        .collect();
        match failed.split_last() {
            None => "issue size".to_string(),
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// A grid point found, what binds it, and where coverage falls short or which trigger trips
/// one step up.
#[derive(Debug, Clone)]
struct Found {
    idx: u64,
    binding: String,
    coverage_short: Option<CoverageShort>,
    trigger_short: Option<BaseTrigger>,
    /// The grid points walked down for a trigger, from the one above `idx` to the largest the
    /// rating and coverage allow.
    walked: Option<(u64, u64)>,
}

impl Found {
    /// Grid point `idx` when it is the largest the room allows: nothing binds but the size.
    fn at_top(idx: u64) -> Found {
        Found {
            idx,
            binding: "issue size".to_string(),
            coverage_short: None,
            trigger_short: None,
            walked: None,
        }
    }
}

/// Where tranche `t`'s minimum coverage multiple `min` stands in the base case `base` of `d`:
/// its first date, and whose principal falls due there. The engine's multiple is found in the
/// rows by its value, with the principal due of the rows; the portfolio multiple (`date`
/// given, which the rows do not hold) with the principal it charges
/// ([`crate::analytics::portfolio::charges`]: review 39e item 1, a pass-through tranche
/// charged nothing on the date was said to owe principal).
fn coverage_at(
    base: &crate::engine::result::RunResult,
    d: &Deal,
    t: &Target,
    (min, date): (Decimal, Option<NaiveDate>),
) -> Option<CoverageShort> {
    let flows = &base.tranche_flows;
    let row = flows.iter().find(|f| {
        *f.tranche == *t.name
            && match date {
                Some(date) => f.payment_date == date,
                None => f.coverage_multiple == Some(min),
            }
    })?;
    // The principal each tranche owes on the date, as the multiple counts it.
    let owed: Vec<bool> = match date {
        Some(_) => {
            use crate::analytics::portfolio::{charges, pool_start};
            charges(d, base, row.period, pool_start(d, base, row.period))
                .iter()
                .map(|(_, principal)| *principal > Decimal::ZERO)
                .collect()
        }
        None => d
            .tranches
            .iter()
            .map(|s| {
                flows.iter().any(|f| {
                    f.period == row.period
                        && *f.tranche == *s.name
                        && f.principal_due > Decimal::ZERO
                })
            })
            .collect(),
    };
    let seniors_due = d.tranches[..t.index]
        .iter()
        .zip(&owed)
        .filter(|(s, owes)| s.class != TrancheClass::Subordinated && **owes)
        .map(|(s, _)| s.name.clone())
        .collect();
    Some(CoverageShort {
        date: row.payment_date,
        multiple: min,
        own_principal_due: owed.get(t.index).copied().unwrap_or(false),
        seniors_due,
    })
}

/// Most rounds of sizing several tranches (see [`size`]) before the search gives up.
pub const MAX_ROUNDS: usize = 20;

/// One targeted tranche.
struct Target {
    index: usize,
    name: String,
    rating: String,
    tdr: Decimal,
    /// Why the TDR is 100%, when it is ([`full_tdr`]).
    full: Option<String>,
}

/// Why a TDR tested is 100%, which only a break-even of 100% meets (review 34c item L3:
/// `size` refused a AAA target with no hint why): the cap of the simulated part times the
/// single-obligor multiplier, the large-obligor test, or the upper end of a sampling interval
/// the paths cannot bound. With a `margin` the bar is above 100%, which no break-even reaches
/// (review 40b F3: the refusal said a break-even of 100% passes).
fn full_tdr(t: &RatingTdr, tdr_at: TdrAt, margin: Decimal) -> Option<String> {
    let pct = |x: Decimal| crate::money::percent_dp(x, 4);
    let tested = match tdr_at {
        TdrAt::Point => t.tdr,
        TdrAt::Upper => t.tdr_high,
    };
    if tested < Decimal::ONE {
        return None;
    }
    let why = if t.large_obligor == Some(Decimal::ONE) {
        "the large-obligor test sets it (the largest credits' default)".to_string()
    } else if t.tdr >= Decimal::ONE {
        format!(
            "the simulated {} times the single-obligor multiplier {} is capped at 1",
            pct(t.simulated),
            t.multiplier
        )
    } else {
        format!(
            "--tdr-at upper: the paths cannot bound the TDR ({} at the point) from above",
            pct(t.tdr)
        )
    };
    let passes = if margin > Decimal::ZERO {
        format!(
            "and with --margin {margin} the bar is TDR + margin = {}, which no break-even reaches",
            pct(Decimal::ONE + margin)
        )
    } else {
        "so only a tranche whose break-even is 100% passes it".to_string()
    };
    Some(format!(
        "; TDR({}) is 100%: {why} (docs/rating.md §5), {passes}",
        t.rating
    ))
}

/// Sets tranche `i` of `d` to `balance`, a scheduled one with its target balances scaled from
/// those `original` gives it ([`scaled_schedule`]): what every balance a search tries, and the
/// one-step probe of `ipabs size`, is.
pub fn set_balance(d: &mut Deal, original: &Deal, i: usize, balance: Decimal) {
    d.tranches[i].balance = balance;
    if let Amortization::Scheduled(table) = &original.tranches[i].amortization {
        d.tranches[i].amortization = Amortization::Scheduled(scaled_schedule(
            table,
            original.tranches[i].balance,
            balance,
            (original.rounding, Some(original.notices.face)),
        ));
    }
}

/// A scheduled tranche's target balances for balance `to` instead of `from` (its 兑付计划 kept
/// in proportion, as sizing a tranche with one scales it): each target × `to` / `from`, one
/// exact value rounded once under `rounding`, to whole units of `face` (the notices' face, 100
/// yuan by default, so that every date's principal is whole units and its notice carries no
/// 尾差 of the schedule's making: review 39a item 6), or to the fen without a face, when the
/// face is not whole yuan, when `to` is not whole units of it (a `--step` of 150 yuan on a deal
/// without `[notices]`, where 1.5 units rounded up would exceed `to`: review 39c item 4), or
/// when `from` × `face` is beyond an `i64` of fen. In units, `to` is whole units, so
/// non-increasing targets stay so and none exceeds `to`.
pub fn scaled_schedule(
    table: &[(chrono::NaiveDate, Decimal)],
    from: Decimal,
    to: Decimal,
    (rounding, face): (crate::money::Rounding, Option<Decimal>),
) -> Vec<(chrono::NaiveDate, Decimal)> {
    use crate::money::{Ratio, fen_of, to_fen};
    // In fen, target × to / from yuan is target × to × 100 / from_fen: multiplied out exactly
    // (past Decimal's range too: review 32d item 1, where `target × to` overflowed at 10^15
    // yuan and panicked), then rounded once. In units of `face` (whole yuan F), it is
    // target × to / (from × F) units, which `fen_of` rounds to whole units as hundredths:
    // target × to × 1 / (from_fen × F), rounded to the fen, is the units / 100.
    let from_fen = i64::try_from(to_fen(from)).ok().filter(|&den| den > 0);
    let unit = face
        .filter(|f| *f > Decimal::ZERO && f.fract().is_zero() && (to % *f).is_zero())
        .and_then(|f| rust_decimal::prelude::ToPrimitive::to_i64(&f))
        .and_then(|f| Some((f, from_fen?.checked_mul(f)?)));
    let ratio = from_fen.map(|den| Ratio { num: 100, den });
    table
        .iter()
        .map(|&(d, target)| {
            // Never beyond range: validation keeps every target within the tranche's balance
            // `from`, so the result is within `to`, which the fallback keeps too.
            let v = match unit {
                Some((f, den)) => fen_of(&[target, to], Ratio { num: 1, den }, rounding)
                    .map_or(to, |hundredths| hundredths * Decimal::from(100 * f)),
                None => ratio.map_or(Decimal::ZERO, |r| {
                    fen_of(&[target, to], r, rounding).unwrap_or(to)
                }),
            };
            (d, v)
        })
        .collect()
}

/// What every evaluation of a balance shares.
struct Search<'a> {
    /// The deal as given: what a scheduled target's schedule is scaled from.
    original: &'a Deal,
    scenarios: &'a [Scenario],
    caches: Vec<ProjectionCache>,
    /// The pool's projection in the base case, which every balance shares, and what one run
    /// leaves for the next: each base case after the first runs the waterfall only.
    base: (ProjectionCache, RefCell<RunMemo>),
    opts: &'a SizeOptions,
    /// The subordinated tranche that takes the rest.
    sub: Option<usize>,
    /// The targets, by index: a held tranche that is one is named so in a refusal.
    targets: Vec<usize>,
}

impl Search<'_> {
    /// Sets tranche `t` of `d` to grid point `idx` (and, with a fixed issue size, the
    /// subordinated tranche to the rest of `issue`).
    fn set(&self, d: &mut Deal, t: &Target, idx: u64, issue: Decimal) {
        let balance = self.opts.step * Decimal::from(idx);
        let others: Decimal = d
            .tranches
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != t.index && Some(*i) != self.sub)
            .map(|(_, x)| x.balance)
            .sum();
        set_balance(d, self.original, t.index, balance);
        if !self.opts.free_issue_size
            && let Some(sub) = self.sub
        {
            // Its 兑付计划 in proportion too (review 47b F2: left as given, a sized senior moved
            // the rest below its own first target).
            set_balance(d, self.original, sub, issue - others - balance);
        }
    }

    /// Evaluates grid point `idx` of `t` on `d`, leaving `d` there, and records the step.
    fn eval(
        &self,
        d: &mut Deal,
        t: &Target,
        idx: u64,
        issue: Decimal,
        steps: &mut Vec<SizeStep>,
    ) -> Result<Eval> {
        self.set(d, t, idx, issue);
        let (b, binding) = min_bdr_of(d, self.scenarios, t.index, Some(&self.caches))?;
        let bdr = b.bdr;
        let rating_ok = b.meets(t.tdr + self.opts.margin);
        // The base case: its coverage, and a trigger it trips with no default.
        let (cov, coverage_at, trigger) = match self.opts.coverage_basis {
            CoverageBasis::Engine => {
                let base = self.base_case(d)?;
                let cov = base
                    .summary
                    .iter()
                    .find(|s| s.tranche == t.name)
                    .and_then(|s| s.min_coverage_multiple);
                let at = cov.and_then(|m| coverage_at(&base, d, t, (m, None)));
                (cov, at, BaseTrigger::of(&base))
            }
            CoverageBasis::Portfolio => {
                // With the ledger: the asset guarantor's money held is read from it.
                let base = engine::run_with(d, &Scenario::base(), ObligorRows::Keep)?;
                let min = crate::analytics::portfolio::min_coverage(d, &base, t.index);
                let at = min
                    .as_ref()
                    .and_then(|m| coverage_at(&base, d, t, (m.multiple, Some(m.date))));
                (min.map(|m| m.multiple), at, BaseTrigger::of(&base))
            }
        };
        let coverage_ok = self.opts.min_coverage.and_then(|m| cov.map(|c| c >= m));
        let e = Eval {
            rating_ok,
            coverage_ok,
            coverage_at,
            trigger,
        };
        steps.push(SizeStep {
            deal: d.name.clone(),
            step: steps.len() as u32 + 1,
            tranche: t.name.clone(),
            target_rating: t.rating.clone(),
            balance: d.tranches[t.index].balance,
            subordinated_balance: self.sub.map_or(Decimal::ZERO, |s| d.tranches[s].balance),
            breakeven_default_rate: bdr.rate,
            target_default_rate: t.tdr,
            rating_ok,
            min_coverage_multiple: cov,
            coverage_ok,
            pass: e.pass(),
            passes_at_one: bdr.unbroken,
            fails_at_zero: !bdr.pays_at_zero,
            binding_scenario: binding.map(|i| self.scenarios[i].name.clone()),
            tdr_at: self.opts.tdr_at,
            min_coverage_date: e.coverage_at.as_ref().map(|c| c.date),
            coverage_basis: self.opts.coverage_basis,
            base_case_trigger: e.trigger.clone(),
            breaking_obligor_default_rate: b.breaking,
        });
        Ok(e)
    }

    /// The largest grid point of `t` on `d` as it stands: with a fixed issue, up to the one
    /// that leaves the subordinated tranche one step; an error when the step leaves no room.
    fn max_idx(&self, d: &Deal, t: &Target) -> Result<u64> {
        let room = match self.sub {
            Some(sub) if !self.opts.free_issue_size => {
                d.tranches[t.index].balance + d.tranches[sub].balance - self.opts.step
            }
            _ => d.pool_balance(),
        };
        let max_idx = (room / self.opts.step).floor().to_u64_checked()?;
        if max_idx == 0 {
            // The room and the way out (review 33a item L4).
            let held = match self.sub {
                Some(sub) if !self.opts.free_issue_size => format!(
                    "`{}` and the subordinated `{}` hold {} yuan together, and the subordinated \
                     tranche keeps at least one step",
                    t.name,
                    d.tranches[sub].name,
                    format_money(d.tranches[t.index].balance + d.tranches[sub].balance)
                ),
                _ => format!("the pool holds {} yuan", format_money(d.pool_balance())),
            };
            return Err(Error::Usage(format!(
                "--step {} leaves no room to size `{}`: {held}; give a smaller --step, or check \
                 that the deal's amounts are in yuan (not 万元)",
                self.opts.step, t.name
            )));
        }
        Ok(max_idx)
    }

    /// What breaks `t` as `d` stands, in the binding scenario: its first shortfall just past
    /// its break-even (interest on a date, or principal at the end), and, for interest under
    /// the timely test of a tranche below the senior, the test that would wait for it (review
    /// 39a item 3: a mezzanine an acceleration waterfall pays after the senior's principal
    /// failed at every size, and the refusal did not say why).
    fn breach_text(&self, d: &Deal, t: &Target, binding: Option<&str>) -> Result<String> {
        use crate::analytics::breakeven::{BreachKind, breakeven_one_in};
        use crate::deal::PaymentTest;
        let Some(i) = binding.and_then(|b| self.scenarios.iter().position(|s| s.name == b)) else {
            return Ok(String::new());
        };
        let scenario = &self.scenarios[i];
        let row = breakeven_one_in(
            d,
            scenario,
            t.index,
            &crate::scenario::RatingTable::default(),
            self.caches.get(i),
        )?;
        let Some(b) = row.breach else {
            return Ok(String::new());
        };
        let tranche = &d.tranches[t.index];
        let mut text = format!(
            "; it breaks by {} in scenario `{}`: at a default rate of {} its {} is {} short {}",
            b.what.name(),
            scenario.name,
            crate::money::percent_dp(b.rate, 4),
            b.what.name(),
            format_money(b.amount),
            match b.what {
                BreachKind::Interest => format!("on {}", b.date),
                BreachKind::Principal => format!("after the last payment date ({})", b.date),
            }
        );
        if b.what == BreachKind::Interest
            && tranche.payment_test == PaymentTest::Timely
            && tranche.class != TrancheClass::Senior
        {
            text.push_str(&format!(
                " (`breakeven` shows the run); a waterfall that pays its interest after the \
                 senior's principal, as an acceleration often does, breaks it at any size under \
                 the timely test: if the deal lets its interest wait (利息可递延), set \
                 `payment_test = \"ultimate\"` on `{}`",
                tranche.name
            ));
        }
        Ok(text)
    }

    /// The largest passing grid point of `t` with the other tranches as they are in `d`, and
    /// what binds it; leaves `d` at that point.
    ///
    /// First the largest point the rating and coverage allow, which only get harder as the
    /// tranche grows: the largest is tried first, otherwise the grid is bisected between one
    /// step (which must pass them) and the largest. A trigger need not trip more as the tranche
    /// grows (an interest-shortfall test of the top class trips when a small senior is repaid
    /// early and the mezzanine comes up, not when a large one is still there to be paid; review
    /// 41c F1), so below that point the grid is walked down one step at a time, a base case
    /// each ([`Search::trips`]), to the first that trips none.
    fn largest(&self, d: &mut Deal, t: &Target, steps: &mut Vec<SizeStep>) -> Result<Found> {
        let issue = d.issue_size();
        let max_idx = self.max_idx(d, t)?;
        let top = self.eval(d, t, max_idx, issue, steps)?;
        let (r, r_eval, above) = if top.allows() {
            (max_idx, top, None)
        } else {
            let low = self.eval(d, t, 1, issue, steps)?;
            if !low.allows() {
                let mut breach = if low.rating_ok {
                    String::new()
                } else {
                    // The binding scenario of the step just evaluated, not searched again.
                    let binding = steps.last().and_then(|s| s.binding_scenario.as_deref());
                    self.breach_text(d, t, binding)?
                };
                if low.trigger.is_some() {
                    breach.push_str(&format!("; as for the trigger{TRIPS_ADVICE}"));
                }
                return Err(Error::Usage(format!(
                    "no balance of `{}` keeps {}: even {} fails ({}){}{}{breach}",
                    t.name,
                    t.rating,
                    format_money(self.opts.step),
                    low.binding(),
                    steps
                        .last()
                        .map(|s| failed_step(s, d, self.opts.margin))
                        .unwrap_or_default(),
                    t.full
                        .as_deref()
                        .filter(|_| !low.rating_ok)
                        .unwrap_or_default()
                )));
            }
            // Bisection on the grid: lo passes the rating and coverage, hi does not (assumes
            // a larger tranche never passes them where a smaller one fails; each step is in
            // the table).
            let (mut lo, mut lo_eval, mut hi, mut hi_eval) = (1u64, low, max_idx, top);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let e = self.eval(d, t, mid, issue, steps)?;
                if e.allows() {
                    (lo, lo_eval) = (mid, e);
                } else {
                    (hi, hi_eval) = (mid, e);
                }
            }
            (lo, lo_eval, Some(hi_eval))
        };
        let Some(mut tripped) = r_eval.trigger.clone() else {
            let found = match above {
                None => Found::at_top(r),
                Some(e) => e.found_below(r),
            };
            self.set(d, t, found.idx, issue);
            return Ok(found);
        };
        // Down from r, a base case each, to the first point that trips nothing; evaluated in
        // full there (a row of the table). A point the rating or coverage fails after all (a
        // trip above switched the waterfall, so they are not monotone either: review 41e N3)
        // is walked past, and then it is what binds.
        let mut idx = r;
        let mut above: Option<Eval> = None;
        loop {
            idx -= 1;
            if idx == 0 {
                return Err(self.trips_throughout(d, t, r, &tripped));
            }
            if r - idx > MAX_TRIGGER_WALK {
                let money = |i: u64| format_money(self.opts.step * Decimal::from(i));
                return Err(Error::Usage(format!(
                    "`{}`: every balance from {} down to {} trips a trigger in the base case, or \
                     fails once a trip above it switched the waterfall (the last tried: {}): more \
                     than {MAX_TRIGGER_WALK} steps of --step {} to try one by one; give a larger \
                     --step; as for the trigger{TRIPS_ADVICE}",
                    t.name,
                    money(r),
                    money(idx + 1),
                    tripped.text(),
                    self.opts.step,
                )));
            }
            match self.trips(d, t, idx, issue)? {
                Some(x) => {
                    tripped = x;
                    above = None;
                }
                None => {
                    let e = self.eval(d, t, idx, issue, steps)?;
                    if e.pass() {
                        break;
                    }
                    if let Some(x) = &e.trigger {
                        tripped = x.clone();
                    }
                    above = Some(e);
                }
            }
        }
        self.set(d, t, idx, issue);
        let mut found = match above {
            Some(e) => e.found_below(idx),
            None => Found {
                idx,
                binding: "trigger".to_string(),
                coverage_short: None,
                trigger_short: Some(tripped),
                walked: None,
            },
        };
        // The points between, tried with the base case alone (none when the next one up is r,
        // a row; review 41f F3).
        found.walked = (idx + 1 < r).then_some((idx + 1, r));
        Ok(found)
    }

    /// Whether the base case of `t` at grid point `idx` trips a trigger, as a step would find
    /// it, without the step's break-even search; leaves `d` at `idx`.
    fn trips(
        &self,
        d: &mut Deal,
        t: &Target,
        idx: u64,
        issue: Decimal,
    ) -> Result<Option<BaseTrigger>> {
        self.set(d, t, idx, issue);
        Ok(BaseTrigger::of(&self.base_case(d)?))
    }

    /// The base case of `d` as it stands, without obligor rows: the pool's projection, which
    /// the balances do not change, made once and kept (review 41e N1: a walk of 100,000 steps
    /// projected a 2,000-obligor pool as often); the same result to the bit as
    /// `engine::run_with`.
    fn base_case(&self, d: &Deal) -> Result<crate::engine::result::RunResult> {
        let (cache, memo) = &self.base;
        DealPlan::lean(d).run_lean_cached(&mut memo.borrow_mut(), &Scenario::base(), cache)
    }

    /// The refusal when the rating and coverage allow `t` up to grid point `r` and every point
    /// from one step to it trips a trigger: the rest of the structure trips it (review 41c F2:
    /// it was told as the target's rating).
    fn trips_throughout(&self, d: &Deal, t: &Target, r: u64, tripped: &BaseTrigger) -> Error {
        // The tranches the search holds: not the target, nor the subordinated tranche that
        // takes the rest of a fixed issue; a held target is named so (review 41e N2: the
        // refusal advised targeting a tranche that was one).
        let held: Vec<String> = d
            .tranches
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != t.index && (self.opts.free_issue_size || Some(i) != self.sub))
            .map(|(i, x)| match self.targets.contains(&i) {
                true => format!(
                    "{} {} (a target, held at its balance in the deal while `{}` is sized: give \
                     it a smaller one there)",
                    x.name,
                    format_money(x.balance),
                    t.name
                ),
                false => format!("{} {}", x.name, format_money(x.balance)),
            })
            .collect();
        let with = match held.is_empty() {
            true => String::new(),
            false => format!(", with {}", held.join(", ")),
        };
        // A senior not targeted sets the room of a trigger on the senior's ratios (not said of
        // a senior target, nor of another condition; review 41f F6).
        let untargeted_senior = d
            .tranches
            .iter()
            .enumerate()
            .any(|(i, x)| x.class == TrancheClass::Senior && !self.targets.contains(&i));
        let on_senior_ratio = d.triggers.iter().any(|x| {
            x.name == tripped.name
                && matches!(
                    x.condition,
                    TriggerCondition::CoverageBelow(_) | TriggerCondition::PoolToSeniorBelow(_)
                )
        });
        let senior_hint = if untargeted_senior && on_senior_ratio {
            " (a trigger on the senior's coverage or over-collateralisation is sized with the \
             senior: target it too)"
        } else {
            ""
        };
        Error::Usage(format!(
            "no balance of `{}` passes: its rating {}{} it up to {}, and every balance from {} to \
             there trips a trigger in the base case, or fails once a trip above it switched the \
             waterfall (at {}, {}){with}: the rest of the structure, or the trigger's own \
             threshold, makes it trip{senior_hint}; as for the trigger{TRIPS_ADVICE}",
            t.name,
            t.rating,
            match self.opts.min_coverage {
                Some(_) => " and the minimum coverage allow",
                None => " allows",
            },
            format_money(self.opts.step * Decimal::from(r)),
            format_money(self.opts.step),
            format_money(self.opts.step),
            tripped.text(),
        ))
    }

    /// Whether grid point `idx` of `t` is still the largest passing one with the other
    /// tranches as they now are in `d`: it passes, and the next fails the rating or coverage
    /// (or there is none); then what binds it now (review 34d item L10: an earlier round's
    /// binding was kept). A next point that fails by a trigger alone does not show that no
    /// larger one passes ([`Search::largest`]): the tranche is searched again. Leaves `d` at
    /// `idx`.
    fn still_largest(
        &self,
        d: &mut Deal,
        t: &Target,
        idx: u64,
        steps: &mut Vec<SizeStep>,
    ) -> Result<Option<Found>> {
        let issue = d.issue_size();
        let max_idx = self.max_idx(d, t)?;
        let found = if idx > max_idx || !self.eval(d, t, idx, issue, steps)?.pass() {
            None
        } else if idx == max_idx {
            Some(Found::at_top(idx))
        } else {
            let next = self.eval(d, t, idx + 1, issue, steps)?;
            (!next.allows()).then(|| next.found_below(idx))
        };
        self.set(d, t, idx, issue);
        Ok(found)
    }
}

/// Most grid points the search walks down, a base case each, below the largest the rating and
/// coverage allow, for one that trips no trigger (docs/rating.md §9).
pub const MAX_TRIGGER_WALK: u64 = 1_000_000;

/// Sizes the targeted tranches of `deal`. `tdrs` are the pool's TDRs (they do not depend on the
/// tranches); `scenarios` are the stress scenarios of the BDR.
///
/// Each tranche, in seniority order, gets the largest passing balance with the others as they
/// stand. With several targets a later one changes what an earlier one passes with (a larger
/// mezzanine pays more interest ahead of the senior's principal), so the search goes round
/// again: each tranche's balance is checked (it passes and one step more fails) and sized
/// again if not, until a round changes nothing; every balance of the written deal then keeps
/// its target. More than [`MAX_ROUNDS`] rounds is an error.
pub fn size(
    deal: &Deal,
    scenarios: &[Scenario],
    tdrs: &[RatingTdr],
    opts: &SizeOptions,
) -> Result<SizeResult> {
    if opts.step <= Decimal::ZERO {
        return Err(Error::Usage(format!(
            "--step {} must be positive",
            opts.step
        )));
    }
    // With a fixed issue size the last subordinated tranche takes the rest; with a free one
    // it is only kept (and a deal may have none).
    let sub = deal
        .tranches
        .iter()
        .rposition(|t| t.class == TrancheClass::Subordinated);
    if sub.is_none() && !opts.free_issue_size {
        return Err(Error::Usage(
            "the deal has no subordinated tranche to take the rest of a fixed issue size; \
             size with --free-issue-size"
                .into(),
        ));
    }
    let mut sorted = opts.targets.clone();
    sorted.sort_by_key(|(t, _)| *t);
    let mut targets = Vec::with_capacity(sorted.len());
    for (ti, rating) in sorted {
        let name = deal.tranches[ti].name.clone();
        if Some(ti) == sub {
            return Err(Error::Usage(format!(
                "`{name}` is the subordinated tranche that takes the rest; target another tranche"
            )));
        }
        let found = tdrs.iter().find(|t| t.rating == rating);
        let tdr = found
            .map(|t| match opts.tdr_at {
                TdrAt::Point => t.tdr,
                TdrAt::Upper => t.tdr_high,
            })
            .ok_or_else(|| {
                // The label meant, as for an obligor's tag (review 43h F6).
                let meant =
                    crate::validate::meant_label(&rating, tdrs.iter().map(|t| t.rating.as_str()));
                Error::Usage(format!(
                    "--target {name}={rating}: the PD table has no rating `{rating}`{}; its \
                     ratings are {}",
                    meant.map_or(String::new(), |m| format!(" (did you mean `{m}`?)")),
                    tdrs.iter()
                        .map(|t| t.rating.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        targets.push(Target {
            index: ti,
            name,
            rating,
            tdr,
            full: found.and_then(|t| full_tdr(t, opts.tdr_at, opts.margin)),
        });
    }
    // Every candidate balance searches the same scenarios on the same pool: their
    // projections are made once ([`ProjectionCache`]).
    // A scheduled tranche keeps its 兑付计划 in proportion ([`set_balance`]; review 29b item 4:
    // it could not be sized at all).
    let search = Search {
        original: deal,
        scenarios,
        caches: ProjectionCache::per_scenario(scenarios.len()),
        base: Default::default(),
        opts,
        sub,
        targets: targets.iter().map(|t| t.index).collect(),
    };
    let mut d = deal.clone();
    let mut steps = Vec::new();
    let mut found: Vec<Option<Found>> = vec![None; targets.len()];
    for round in 1..=MAX_ROUNDS {
        let mut changed = false;
        for (j, t) in targets.iter().enumerate() {
            let before = found[j].as_ref().map(|f| f.idx);
            if let Some(idx) = before
                && let Some(now) = search.still_largest(&mut d, t, idx, &mut steps)?
            {
                found[j] = Some(now);
                continue;
            }
            let now = search
                .largest(&mut d, t, &mut steps)
                .map_err(|e| sized_before(e, &targets, &found, opts.step))?;
            // Searched again to the same point (a trigger alone failed the next one): settled.
            changed |= before != Some(now.idx);
            found[j] = Some(now);
        }
        // One target: nothing else moves, so its first balance stays the largest.
        if targets.len() == 1 || (round > 1 && !changed) {
            let sized = targets
                .iter()
                .zip(found)
                .map(|(t, f)| {
                    let f = f.unwrap_or_else(|| Found::at_top(0));
                    let money = |i: u64| opts.step * Decimal::from(i);
                    Sized {
                        tranche: t.name.clone(),
                        target_rating: t.rating.clone(),
                        balance: money(f.idx),
                        binding: f.binding,
                        coverage_short: f.coverage_short,
                        trigger_short: f.trigger_short,
                        trigger_walk: f.walked.map(|(a, b)| (money(a), money(b))),
                    }
                })
                .collect();
            return Ok(SizeResult {
                deal: d,
                steps,
                sized,
            });
        }
    }
    Err(Error::Usage(format!(
        "the tranches' balances did not settle in {MAX_ROUNDS} rounds of sizing (each round \
         changes what another target passes with); size fewer tranches at once, or use a larger \
         --step"
    )))
}

/// A target's refusal, with the targets the search had sized before it (review 39a item 3:
/// a second target that cannot be met dropped the first's result without a word).
fn sized_before(e: Error, targets: &[Target], found: &[Option<Found>], step: Decimal) -> Error {
    let sized: Vec<String> = targets
        .iter()
        .zip(found)
        .filter_map(|(t, f)| {
            f.as_ref().map(|f| {
                format!(
                    "`{}` {} at {}",
                    t.name,
                    format_money(step * Decimal::from(f.idx)),
                    t.rating
                )
            })
        })
        .collect();
    match e {
        Error::Usage(m) if !sized.is_empty() => Error::Usage(format!(
            "{m}; sized before it in this search: {} (size it alone with one --target, or \
             change the deal so that this target can pass)",
            sized.join(", ")
        )),
        e => e,
    }
}

trait ToU64 {
    fn to_u64_checked(self) -> Result<u64>;
}

impl ToU64 for Decimal {
    fn to_u64_checked(self) -> Result<u64> {
        use rust_decimal::prelude::ToPrimitive;
        if self < Decimal::ZERO {
            return Ok(0);
        }
        self.to_u64()
            .ok_or_else(|| Error::Usage(format!("{self} steps are too many")))
    }
}

#[cfg(test)]
mod tests {
    use super::scaled_schedule;
    use crate::money::Rounding;
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn scaled(targets: &[Decimal], from: Decimal, to: Decimal, r: Rounding) -> Vec<Decimal> {
        let d = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date");
        let table: Vec<_> = targets.iter().map(|&t| (d, t)).collect();
        scaled_schedule(&table, from, to, (r, None))
            .into_iter()
            .map(|x| x.1)
            .collect()
    }

    /// Each target × to / from, rounded once to the fen (review 32d item 1): 2.00 × 1.00 /
    /// 3.00 = 0.666… → 0.67 half up, 0.66 truncated; 1.00 × 1.00 / 3.00 = 0.333… → 0.33.
    /// At 10^15 yuan, where `target × to` (4.5 × 10^14 × 8 × 10^14 = 3.6 × 10^29) is past
    /// Decimal's 7.9 × 10^28 and panicked: 4.5 × 10^14 × 8 × 10^14 / 9 × 10^14 = 4 × 10^14.
    #[test]
    fn targets_scale_exactly_and_round_once() {
        let t = [dec!(2.00), dec!(1.00), dec!(0)];
        assert_eq!(
            scaled(&t, dec!(3.00), dec!(1.00), Rounding::HalfUp),
            [dec!(0.67), dec!(0.33), dec!(0)]
        );
        assert_eq!(
            scaled(&t, dec!(3.00), dec!(1.00), Rounding::Truncate),
            [dec!(0.66), dec!(0.33), dec!(0)]
        );
        assert_eq!(
            scaled(
                &[dec!(450000000000000.00)],
                dec!(900000000000000.00),
                dec!(800000000000000.00),
                Rounding::HalfUp
            ),
            [dec!(400000000000000.00)]
        );
        assert_eq!(
            scaled(&[dec!(5.00)], dec!(0), dec!(1.00), Rounding::HalfUp),
            [dec!(0)]
        );
        // An exact half-fen tie: 0.01 × 1.00 / 2.00 = 0.005, up to 0.01 half up, 0.00 cut.
        assert_eq!(
            scaled(&[dec!(0.01)], dec!(2.00), dec!(1.00), Rounding::HalfUp),
            [dec!(0.01)]
        );
        assert_eq!(
            scaled(&[dec!(0.01)], dec!(2.00), dec!(1.00), Rounding::Truncate),
            [dec!(0.00)]
        );
    }

    /// With a face, to whole units of it (review 39a item 6), one rounding: face 100, 3,000.00
    /// sized to 1,000.00 (10 units): 2,000 × 1,000 / 3,000 = 666.67 = 6.667 units → 7 (700.00)
    /// half up, 6 (600.00) cut; 1,000 × 1,000 / 3,000 = 3.33 units → 3 (300.00) either way; an
    /// exact half unit, 150 × 1,000 / 3,000 = 50 = 0.5 units → 1 (100.00) half up, 0 cut. The
    /// gdd schedule sized to 213,440,000: 242,000,000 × 213,440,000 / 285,000,000 =
    /// 181,236,771.93 = 1,812,367.72 units → 1,812,368 (181,236,800.00). A face that is not
    /// whole yuan leaves the fen.
    #[test]
    fn targets_scale_to_whole_units_of_the_face() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date");
        let units = |targets: &[Decimal], from, to, r, face| -> Vec<Decimal> {
            let table: Vec<_> = targets.iter().map(|&t| (d, t)).collect();
            scaled_schedule(&table, from, to, (r, Some(face)))
                .into_iter()
                .map(|x| x.1)
                .collect()
        };
        let t = [dec!(2000), dec!(1000), dec!(150), dec!(0)];
        assert_eq!(
            units(&t, dec!(3000), dec!(1000), Rounding::HalfUp, dec!(100)),
            [dec!(700), dec!(300), dec!(100), dec!(0)]
        );
        assert_eq!(
            units(&t, dec!(3000), dec!(1000), Rounding::Truncate, dec!(100)),
            [dec!(600), dec!(300), dec!(0), dec!(0)]
        );
        assert_eq!(
            units(
                &[dec!(242000000)],
                dec!(285000000),
                dec!(213440000),
                Rounding::HalfUp,
                dec!(100)
            ),
            [dec!(181236800)]
        );
        assert_eq!(
            units(&t[..1], dec!(3000), dec!(1000), Rounding::HalfUp, dec!(0.5)),
            [dec!(666.67)]
        );
        // A balance of 1.5 units (a --step of 150 on a deal without [notices]): a target equal
        // to the balance, 150 × 150 / 150, stays 150.00, not 2 units above it (review 39c
        // item 4); to the fen, 2,000 × 150 / 3,000 = 100.00.
        assert_eq!(
            units(
                &[dec!(150)],
                dec!(150),
                dec!(150),
                Rounding::HalfUp,
                dec!(100)
            ),
            [dec!(150.00)]
        );
        assert_eq!(
            units(&t[..1], dec!(3000), dec!(150), Rounding::HalfUp, dec!(100)),
            [dec!(100.00)]
        );
    }
}

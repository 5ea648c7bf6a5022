//! Scenarios: the assumptions a run applies to the pool and to credit support.
//!
//! The base case is [`Scenario::base`]: no defaults, no prepayment, no delay, every support
//! provider performing.
//!
//! Scenarios refer to a deal's obligors and supports by index; nothing here depends on
//! [`crate::deal`] (a deal holds the scenario of its file).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Error;

/// A validated scenario. Obligors and support providers are referred to by index into the deal.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// Named defaults: obligor index and default date. An obligor pays nothing that falls due on
    /// or after its default date.
    pub obligor_defaults: Vec<(usize, NaiveDate)>,
    /// Annual constant default rate applied to performing balances, as a fraction (0.02 = 2%).
    pub cdr: Decimal,
    /// Cumulative default rate: this fraction of each asset's balance at cutoff defaults over
    /// the deal, spread over the collection periods by `default_timing` (docs/conventions.md).
    pub default_rate: Decimal,
    /// Share of `default_rate` falling in each collection period (period 1 first; missing
    /// periods get 0; the shares sum to 1). Empty: even over the periods up to the one holding
    /// the pool's last instalment.
    pub default_timing: Vec<Decimal>,
    /// Fraction of a defaulted balance that is recovered.
    pub recovery_rate: Decimal,
    /// Months from default to recovery.
    pub recovery_lag_months: u32,
    /// Collection delay: this fraction of each scheduled collection arrives `delay_months` late.
    pub delay_fraction: Decimal,
    pub delay_months: u32,
    /// Annual constant prepayment rate for prepayable assets (loans and leases).
    pub cpr: Decimal,
    /// Support providers (indices into `Deal::supports`) that fail to pay in this scenario.
    pub supports_off: Vec<usize>,
    /// The paths of the indices floating rates follow, and a parallel shift. An index this
    /// scenario does not give falls back to the deal file's own `[scenario]`.
    pub indices: crate::floating::IndexPaths,
    /// Whether the originator exercises the deal's clean-up call as soon as it can
    /// (`clean_up_call`, default true; no effect on a deal without one).
    pub clean_up_call: bool,
    /// Assumptions for some obligors only (by name or tag), in file order: each field of an
    /// obligor's [`Assumptions`] is taken from the last rule that matches it and sets the
    /// field, else from the pool-wide value above (docs/scenarios.md).
    pub overrides: Vec<Override>,
}

/// One `overrides` rule: pool assumptions that apply to some obligors only.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// How the rule selects its obligors, as written (`tag industry:semiconductor`,
    /// `obligor SME-03`): for messages.
    pub label: String,
    /// The obligors it applies to (indices into `Deal::obligors`), resolved when validated.
    pub obligors: Vec<usize>,
    /// The (key, value) tag it selects by, if it selects by tag: obligors the run creates
    /// (revolving purchases) are matched by it.
    pub tag: Option<(String, String)>,
    pub cdr: Option<Decimal>,
    pub default_rate: Option<Decimal>,
    pub recovery_rate: Option<Decimal>,
    pub recovery_lag_months: Option<u32>,
    /// (fraction, months).
    pub delay: Option<(Decimal, u32)>,
    pub cpr: Option<Decimal>,
}

/// The pool assumptions one obligor is projected under: the scenario's pool-wide values with
/// its matching [`Override`]s applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Assumptions {
    pub cdr: Decimal,
    pub default_rate: Decimal,
    pub recovery_rate: Decimal,
    pub recovery_lag_months: u32,
    pub delay_fraction: Decimal,
    pub delay_months: u32,
    pub cpr: Decimal,
}

impl Scenario {
    /// Whether the scenario has defaults besides its default curve: named defaults, a CDR, or
    /// a rule of `overrides` that sets a CDR or its own default rate. A break-even search
    /// replaces them with its own default rate (docs/breakeven.md), so such a scenario has no
    /// break-even of its own.
    pub fn defaults_beyond_the_curve(&self) -> bool {
        !self.obligor_defaults.is_empty()
            || self.cdr > Decimal::ZERO
            || self
                .overrides
                .iter()
                .any(|o| o.cdr.is_some_and(|c| c > Decimal::ZERO) || o.default_rate.is_some())
    }

    /// The base case: everything performs as scheduled.
    pub fn base() -> Scenario {
        Scenario {
            name: "base".to_string(),
            obligor_defaults: Vec::new(),
            cdr: Decimal::ZERO,
            default_rate: Decimal::ZERO,
            default_timing: Vec::new(),
            recovery_rate: Decimal::ZERO,
            recovery_lag_months: 0,
            delay_fraction: Decimal::ZERO,
            delay_months: 0,
            cpr: Decimal::ZERO,
            supports_off: Vec::new(),
            overrides: Vec::new(),
            indices: crate::floating::IndexPaths::default(),
            clean_up_call: true,
        }
    }

    /// The pool-wide assumptions (an obligor that no override matches).
    pub fn pool_assumptions(&self) -> Assumptions {
        Assumptions {
            cdr: self.cdr,
            default_rate: self.default_rate,
            recovery_rate: self.recovery_rate,
            recovery_lag_months: self.recovery_lag_months,
            delay_fraction: self.delay_fraction,
            delay_months: self.delay_months,
            cpr: self.cpr,
        }
    }

    /// The distinct assumptions of a pool of `obligors` obligors, and the index into them of
    /// each obligor. Index 0 is always [`Scenario::pool_assumptions`]; with no overrides it is
    /// the only one.
    pub fn assumptions_by_obligor(&self, obligors: usize) -> (Vec<Assumptions>, Vec<usize>) {
        let pool = self.pool_assumptions();
        let mut distinct = vec![pool];
        if self.overrides.is_empty() {
            return (distinct, vec![0; obligors]);
        }
        let mut each = vec![pool; obligors];
        for rule in &self.overrides {
            for &o in &rule.obligors {
                let Some(a) = each.get_mut(o) else { continue };
                if let Some(v) = rule.cdr {
                    a.cdr = v;
                }
                if let Some(v) = rule.default_rate {
                    a.default_rate = v;
                }
                if let Some(v) = rule.recovery_rate {
                    a.recovery_rate = v;
                }
                if let Some(v) = rule.recovery_lag_months {
                    a.recovery_lag_months = v;
                }
                if let Some((f, m)) = rule.delay {
                    a.delay_fraction = f;
                    a.delay_months = m;
                }
                if let Some(v) = rule.cpr {
                    a.cpr = v;
                }
            }
        }
        let index = each
            .iter()
            .map(|a| match distinct.iter().position(|d| d == a) {
                Some(i) => i,
                None => {
                    distinct.push(*a);
                    distinct.len() - 1
                }
            })
            .collect();
        (distinct, index)
    }

    /// The key of the runs this scenario shares with others, when some of its assumptions
    /// cannot change its run: `None` when it has defaults (then every assumption may matter).
    ///
    /// Without any default (no CDR, no cumulative default rate, no named default, no override),
    /// there is nothing to recover: the recovery rate and lag cannot change a run (a revolving
    /// purchase is projected under the same pool-wide rates, docs/scenarios.md), nor can the
    /// default curve's timing. With a delay fraction of zero nothing arrives late, so the
    /// delay's months cannot either. The key is the scenario with those set to zero or empty,
    /// and its name cleared: two scenarios with equal keys run to the same result but for their
    /// names. A sweep runs each key once (src/sweep.rs): a grid's CDR-0 row, once per delay
    /// rather than once per recovery rate.
    pub fn defaultless_key(&self) -> Option<Scenario> {
        let defaults = !self.cdr.is_zero()
            || !self.default_rate.is_zero()
            || !self.obligor_defaults.is_empty()
            || !self.overrides.is_empty();
        if defaults {
            return None;
        }
        let mut key = self.clone();
        key.name.clear();
        key.recovery_rate = Decimal::ZERO;
        key.recovery_lag_months = 0;
        key.default_timing.clear();
        if key.delay_fraction.is_zero() {
            key.delay_months = 0;
        }
        Some(key)
    }

    /// Checks the ranges that validation enforces on scenario files, for scenarios built in
    /// code: fractions in range, months at most 120, indices naming one of `obligors` obligors
    /// and `supports` support providers. [`crate::engine::run`] calls it.
    pub fn check(&self, obligors: usize, supports: usize) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Usage(format!("scenario `{}`: {what}", self.name)));
        let one = Decimal::ONE;
        for (name, v, max_inclusive) in [
            ("cdr", self.cdr, false),
            ("cpr", self.cpr, false),
            ("default_rate", self.default_rate, true),
            ("recovery_rate", self.recovery_rate, true),
            ("delay fraction", self.delay_fraction, true),
        ] {
            if v < Decimal::ZERO || v > one || (!max_inclusive && v == one) {
                let range = if max_inclusive { "0..=1" } else { "0..1" };
                return bad(format!("{name} {v} is outside {range}"));
            }
        }
        if self.recovery_lag_months > 120 || self.delay_months > 120 {
            return bad("recovery lag and delay must be at most 120 months".into());
        }
        if self
            .default_timing
            .iter()
            .any(|t| *t < Decimal::ZERO || *t > one)
        {
            return bad("default_timing shares must be between 0 and 1".into());
        }
        for rule in &self.overrides {
            for (name, v, max_inclusive) in [
                ("cdr", rule.cdr, false),
                ("cpr", rule.cpr, false),
                ("default_rate", rule.default_rate, true),
                ("recovery_rate", rule.recovery_rate, true),
                ("delay fraction", rule.delay.map(|d| d.0), true),
            ] {
                let Some(v) = v else { continue };
                if v < Decimal::ZERO || v > one || (!max_inclusive && v == one) {
                    let range = if max_inclusive { "0..=1" } else { "0..1" };
                    return bad(format!(
                        "override `{}`: {name} {v} is outside {range}",
                        rule.label
                    ));
                }
            }
            if rule.recovery_lag_months.is_some_and(|m| m > 120)
                || rule.delay.is_some_and(|d| d.1 > 120)
            {
                return bad(format!(
                    "override `{}`: recovery lag and delay must be at most 120 months",
                    rule.label
                ));
            }
            if let Some(o) = rule.obligors.iter().find(|o| **o >= obligors) {
                return bad(format!(
                    "override `{}`: obligor index {o} does not exist",
                    rule.label
                ));
            }
        }
        if let Some((o, _)) = self.obligor_defaults.iter().find(|(o, _)| *o >= obligors) {
            return bad(format!("obligor index {o} does not exist"));
        }
        if let Some(i) = self.supports_off.iter().find(|i| **i >= supports) {
            return bad(format!("support index {i} does not exist"));
        }
        Ok(())
    }

    /// The share of `default_rate` falling in each of `n` collection periods, where
    /// `pool_periods` is the number of periods up to the one holding the pool's last instalment:
    /// the `default_timing` shares, or (when it is empty) `m` even shares of exactly `1/m`.
    /// Each share is an exact (factor, divisor) pair, so the default amount
    /// `balance × default_rate × factor / divisor` is multiplied out before it is divided.
    pub fn default_shares(&self, n: usize, pool_periods: usize) -> Vec<(Decimal, i64)> {
        if self.default_rate.is_zero() {
            return vec![(Decimal::ZERO, 1); n];
        }
        self.timing_shares(n, pool_periods)
    }

    /// The shares of [`Scenario::default_shares`] whatever the pool-wide `default_rate` (an
    /// override may set its own rate on the same timing).
    pub fn timing_shares(&self, n: usize, pool_periods: usize) -> Vec<(Decimal, i64)> {
        let mut shares = vec![(Decimal::ZERO, 1); n];
        if self.default_timing.is_empty() {
            let m = pool_periods.clamp(1, n.max(1));
            let div = i64::try_from(m).unwrap_or(i64::MAX);
            shares
                .iter_mut()
                .take(m)
                .for_each(|s| *s = (Decimal::ONE, div));
        } else {
            for (s, t) in shares.iter_mut().zip(&self.default_timing) {
                *s = (*t, 1);
            }
        }
        shares
    }
}

/// The rating table of the break-even analysis: target default rate (TDR) of a rating =
/// multiplier × base default rate (压力乘数法).
#[derive(Debug, Clone, PartialEq)]
pub struct RatingTable {
    /// Expected (base-case) cumulative default rate of the pool, as a fraction of its balance.
    pub base_default_rate: Decimal,
    /// Pressure multiplier per rating label, e.g. ("AAA", 5.0).
    pub multipliers: Vec<(String, Decimal)>,
}

/// The default pressure multipliers, highest rating first: rating-report practice as
/// reproduced by third-party code (docs/sources.md \[S39\]: `xiaolongli2026-jpg/Bond`,
/// `rating/prepare/config.py`, `multiplier_dict`, loan classes 1–4). Indicative only.
pub const DEFAULT_MULTIPLIERS: [(&str, Decimal); 14] = [
    ("AAA", Decimal::from_parts(50, 0, 0, false, 1)),
    ("AAA-", Decimal::from_parts(48, 0, 0, false, 1)),
    ("AA+", Decimal::from_parts(45, 0, 0, false, 1)),
    ("AA", Decimal::from_parts(41, 0, 0, false, 1)),
    ("AA-", Decimal::from_parts(37, 0, 0, false, 1)),
    ("A+", Decimal::from_parts(33, 0, 0, false, 1)),
    ("A", Decimal::from_parts(30, 0, 0, false, 1)),
    ("A-", Decimal::from_parts(27, 0, 0, false, 1)),
    ("BBB+", Decimal::from_parts(25, 0, 0, false, 1)),
    ("BBB", Decimal::from_parts(23, 0, 0, false, 1)),
    ("BBB-", Decimal::from_parts(20, 0, 0, false, 1)),
    ("BB+", Decimal::from_parts(18, 0, 0, false, 1)),
    ("BB", Decimal::from_parts(15, 0, 0, false, 1)),
    ("BB-", Decimal::from_parts(12, 0, 0, false, 1)),
];

impl Default for RatingTable {
    /// Base default rate 0 (no target default rate configured) and [`DEFAULT_MULTIPLIERS`].
    fn default() -> Self {
        RatingTable {
            base_default_rate: Decimal::ZERO,
            multipliers: DEFAULT_MULTIPLIERS
                .iter()
                .map(|(r, m)| ((*r).to_string(), *m))
                .collect(),
        }
    }
}

impl RatingTable {
    /// The target default rate of `rating`, if the table has it. With a base default rate of
    /// 0 (none configured) every target is 0.
    pub fn target_default_rate(&self, rating: &str) -> Option<Decimal> {
        self.multipliers
            .iter()
            .find(|(r, _)| r == rating)
            .map(|(_, m)| *m * self.base_default_rate)
    }
}

/// How a tranche is quoted for the analytics in `summary.parquet`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quote {
    /// Price per 100 of the tranche's initial balance.
    Price(f64),
    /// Annual yield (annual compounding, ACT/365F).
    Yield(f64),
}

/// Lower end of the yield bracket: −99 % a year. Quoted yields and discount rates must lie in
/// `[YIELD_MIN, YIELD_MAX]`, the bracket the analytics solve in.
pub const YIELD_MIN: f64 = -0.99;
/// Upper end of the yield bracket: +1000 % a year.
pub const YIELD_MAX: f64 = 10.0;

/// Zero-curve points that break one of the rules of [`ZeroCurve::new`].
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error(
    "invalid zero curve: {reason}. Pass at least one (tenor in years, annually compounded \
     zero rate) point, tenors finite, >= 0 and strictly increasing, rates finite and > -1"
)]
pub struct CurveError {
    pub reason: String,
}

/// A zero curve: (tenor in years, annually compounded zero rate) points, rates interpolated
/// linearly in tenor, flat beyond the first and last points.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroCurve {
    points: Vec<(f64, f64)>,
}

impl ZeroCurve {
    /// Validates the points: at least one; tenors finite, ≥ 0 and strictly increasing; rates
    /// finite and > −1.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, CurveError> {
        let invalid = |reason: String| Err(CurveError { reason });
        if points.is_empty() {
            return invalid("it has no points".to_string());
        }
        for (i, &(t, r)) in points.iter().enumerate() {
            if !t.is_finite() || t < 0.0 {
                return invalid(format!("point {i} has tenor {t}, not a finite number >= 0"));
            }
            if !r.is_finite() || r <= -1.0 {
                return invalid(format!("point {i} has rate {r}, not a finite number > -1"));
            }
            if i > 0 && t <= points[i - 1].0 {
                return invalid(format!(
                    "tenor {t} of point {i} is not above tenor {} of point {}",
                    points[i - 1].0,
                    i - 1
                ));
            }
        }
        Ok(Self { points })
    }

    /// The curve's points, as validated.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// Zero rate at tenor `t` years: linear in `t` between points, the first point's rate for
    /// `t` at or before the first tenor, the last point's rate at or after the last tenor.
    /// `NaN` when `t` is NaN.
    pub fn rate(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let Some(&(t0, r0)) = self.points.first() else {
            return f64::NAN; // unreachable for a validated curve
        };
        if t <= t0 {
            return r0;
        }
        // Index of the first point with tenor > t; ≥ 1 because t > t0.
        let i = self.points.partition_point(|&(ti, _)| ti <= t);
        match (self.points.get(i - 1), self.points.get(i)) {
            (Some(&(ta, ra)), Some(&(tb, rb))) => ra + (rb - ra) * (t - ta) / (tb - ta),
            (Some(&(_, ra)), None) => ra,
            _ => f64::NAN, // unreachable: i ≥ 1
        }
    }
}

/// The discount curve that spreads are measured against.
#[derive(Debug, Clone, PartialEq)]
pub enum Discount {
    /// A flat annual rate.
    Flat(f64),
    /// A zero curve: (years, annually compounded rate) points.
    Curve(ZeroCurve),
}

/// Pricing inputs for tranche analytics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pricing {
    /// Settlement date of the quotes; default the closing date.
    pub settlement: Option<NaiveDate>,
    /// Quotes by tranche index; unquoted tranches are priced at par (100).
    pub quotes: Vec<(usize, Quote)>,
    pub discount: Option<Discount>,
}

/// Everything a scenario file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSet {
    /// The listed `[[scenarios]]` followed by the expansion of `[grid]`.
    pub scenarios: Vec<Scenario>,
    pub rating: RatingTable,
    pub pricing: Pricing,
    /// `[rating_model]`: the Monte Carlo default model (docs/rating.md).
    pub rating_model: crate::rating_model::RatingModel,
    /// Warnings found in the scenario file (scenario dates, pricing quotes).
    pub warnings: Vec<crate::error::Warning>,
    /// `search_drops_defaults` warnings, told only by the commands that search break-evens
    /// (`breakeven`, `rate`, `size`): each listed scenario's named defaults and CDR, which
    /// their searches replace with their own default rate (docs/breakeven.md).
    pub search_warnings: Vec<crate::error::Warning>,
}

impl ScenarioSet {
    /// The set of a deal run without a scenario file: `scenario` (the deal's `[scenario]`, or
    /// the base case), the default rating table and no pricing inputs.
    pub fn single(scenario: Scenario) -> ScenarioSet {
        ScenarioSet {
            scenarios: vec![scenario],
            rating: RatingTable::default(),
            pricing: Pricing::default(),
            rating_model: crate::rating_model::RatingModel::default(),
            warnings: Vec::new(),
            search_warnings: Vec::new(),
        }
    }
}

/// Most points a grid may expand to.
pub const MAX_GRID_POINTS: u128 = 1_000_000;

/// One dimension of a [`Grid`]: the values it takes, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    Cdr(Vec<Decimal>),
    DefaultRate(Vec<Decimal>),
    RecoveryRate(Vec<Decimal>),
    RecoveryLagMonths(Vec<u32>),
    /// (fraction, months).
    Delay(Vec<(Decimal, u32)>),
    Cpr(Vec<Decimal>),
    /// Sets of obligor indices, all defaulting on `date`; a set replaces the base's defaults.
    DefaultedObligors {
        sets: Vec<Vec<usize>>,
        date: NaiveDate,
    },
    /// Sets of support indices switched off; a set replaces the base's.
    SupportsOff(Vec<Vec<usize>>),
}

impl Axis {
    /// The keys of the dimensions, in the order of the variants.
    pub const KEYS: [&'static str; 8] = [
        "cdr",
        "default_rate",
        "recovery_rate",
        "recovery_lag_months",
        "delay",
        "cpr",
        "defaulted_obligors",
        "supports_off",
    ];

    /// The key of the dimension in a scenario file and in point names.
    pub fn key(&self) -> &'static str {
        Self::KEYS[match self {
            Axis::Cdr(_) => 0,
            Axis::DefaultRate(_) => 1,
            Axis::RecoveryRate(_) => 2,
            Axis::RecoveryLagMonths(_) => 3,
            Axis::Delay(_) => 4,
            Axis::Cpr(_) => 5,
            Axis::DefaultedObligors { .. } => 6,
            Axis::SupportsOff(_) => 7,
        }]
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Axis::Cdr(v) | Axis::DefaultRate(v) | Axis::RecoveryRate(v) | Axis::Cpr(v) => v.len(),
            Axis::RecoveryLagMonths(v) => v.len(),
            Axis::Delay(v) => v.len(),
            Axis::DefaultedObligors { sets, .. } => sets.len(),
            Axis::SupportsOff(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets value `i` on `s`.
    fn apply(&self, i: usize, s: &mut Scenario) {
        match self {
            Axis::Cdr(v) => s.cdr = v[i],
            Axis::DefaultRate(v) => s.default_rate = v[i],
            Axis::RecoveryRate(v) => s.recovery_rate = v[i],
            Axis::RecoveryLagMonths(v) => s.recovery_lag_months = v[i],
            Axis::Delay(v) => (s.delay_fraction, s.delay_months) = v[i],
            Axis::Cpr(v) => s.cpr = v[i],
            Axis::DefaultedObligors { sets, date } => {
                s.obligor_defaults = sets[i].iter().map(|&o| (o, *date)).collect();
            }
            Axis::SupportsOff(v) => s.supports_off = v[i].clone(),
        }
    }

    /// Value `i` as written in a point name.
    fn label(&self, i: usize, names: &PointNames) -> String {
        let join = |set: &[usize], name: &dyn Fn(usize) -> Option<String>| {
            if set.is_empty() {
                "none".to_string()
            } else {
                set.iter()
                    .map(|&x| name(x).unwrap_or_else(|| x.to_string()))
                    .collect::<Vec<_>>()
                    .join("+")
            }
        };
        match self {
            Axis::Cdr(v) | Axis::DefaultRate(v) | Axis::RecoveryRate(v) | Axis::Cpr(v) => {
                v[i].normalize().to_string()
            }
            Axis::RecoveryLagMonths(v) => v[i].to_string(),
            Axis::Delay(v) => format!("{}@{}m", v[i].0.normalize(), v[i].1),
            Axis::DefaultedObligors { sets, .. } => {
                join(&sets[i], &|o| names_of(names.obligors, o))
            }
            Axis::SupportsOff(v) => join(&v[i], &|x| names_of(names.supports, x)),
        }
    }
}

/// A deal's obligor and support names by index, for grid point names.
#[derive(Debug, Clone, Copy)]
pub struct PointNames<'a> {
    pub obligors: &'a [&'a str],
    pub supports: &'a [&'a str],
}

/// The name at `i`, if there is one.
fn names_of(names: &[&str], i: usize) -> Option<String> {
    names.get(i).map(|n| (*n).to_string())
}

/// A grid of scenarios: the Cartesian product of its axes applied to `base`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Prefix of the point names.
    pub prefix: String,
    /// The scenario whose other fields every point inherits.
    pub base: Scenario,
    /// Dimensions, slowest-varying first.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// Number of points: the product of the axis lengths (1 with no axes), saturating.
    pub fn size(&self) -> u128 {
        self.axes
            .iter()
            .fold(1u128, |n, a| n.saturating_mul(a.len() as u128))
    }

    /// Point `index` (0-based, `< size()`): the last axis varies fastest. Its name is
    /// `prefix[key=value,...]` over the axes with two or more values, or `prefix` alone when
    /// there are none.
    pub fn point(&self, index: usize, names: &PointNames) -> Scenario {
        self.point_with(index, &self.labels(names))
    }

    /// The name label of every value of every axis with two or more values.
    fn labels(&self, names: &PointNames) -> Vec<Vec<String>> {
        self.axes
            .iter()
            .map(|a| {
                if a.len() > 1 {
                    (0..a.len())
                        .map(|i| format!("{}={}", a.key(), a.label(i, names)))
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect()
    }

    fn point_with(&self, index: usize, labels: &[Vec<String>]) -> Scenario {
        let mut s = self.base.clone();
        let mut rest = index;
        let mut picks = vec![0usize; self.axes.len()];
        for (pick, axis) in picks.iter_mut().zip(&self.axes).rev() {
            let n = axis.len().max(1);
            *pick = rest % n;
            rest /= n;
        }
        let mut name = self.prefix.clone();
        let mut sep = '[';
        for ((&i, axis), labels) in picks.iter().zip(&self.axes).zip(labels) {
            if axis.is_empty() {
                continue;
            }
            axis.apply(i, &mut s);
            if let Some(l) = labels.get(i) {
                name.push(sep);
                name.push_str(l);
                sep = ',';
            }
        }
        if sep == ',' {
            name.push(']');
        }
        s.name = name;
        s
    }

    /// Every point, in order (see [`Grid::point`]). The caller keeps `size()` reasonable
    /// (validation caps it at [`MAX_GRID_POINTS`]).
    pub fn expand(&self, names: &PointNames) -> Vec<Scenario> {
        let n = usize::try_from(self.size()).unwrap_or(usize::MAX);
        let labels = self.labels(names);
        (0..n).map(|i| self.point_with(i, &labels)).collect()
    }
}

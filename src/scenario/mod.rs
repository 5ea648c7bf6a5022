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

mod grid;
mod pricing;
mod rating_table;

pub use grid::*;
pub use pricing::*;
pub use rating_table::*;

/// A validated scenario. Obligors and support providers are referred to by index into the deal.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The scenario's name (`base` for the base case), as the output's `scenario` column
    /// writes it.
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
    /// How many months late the delayed fraction arrives.
    pub delay_months: u32,
    /// Annual constant prepayment rate for prepayable assets (loans and leases).
    pub cpr: Decimal,
    /// Support providers (indices into `Deal::supports`) that fail to pay in this scenario.
    pub supports_off: Vec<usize>,
    /// Support providers that stop paying from a date: (index into `Deal::supports`, date).
    /// A provider pays nothing on a payment date on or after its date (since session 28).
    pub support_failures: Vec<(usize, NaiveDate)>,
    /// Events from a date (`events`): an `event` trigger watching one holds on the payment
    /// dates on or after its date (since session 30) and, with `until`, before that (since
    /// session 31).
    pub events: Vec<DatedEvent>,
    /// The paths of the indices floating rates follow, and a parallel shift. An index this
    /// scenario does not give falls back to the deal file's own `[scenario]`.
    pub indices: crate::floating::IndexPaths,
    /// Added to every senior and mezzanine tranche's coupon on every payment date, after a
    /// floating rate's floor and cap (`coupon_shift`, a fraction ≥ 0; since session 35): the
    /// spread compression of the rating reports. 0: none.
    pub coupon_shift: Decimal,
    /// The revolving purchases' yield cut (`revolving_yield_cut`, a fraction ≥ 0; since session
    /// 36): each asset bought bears the template's rate × (1 − cut).
    pub revolving_yield_cut: Decimal,
    /// The revolving purchases' spending cut (`purchase_cut`, a fraction ≥ 0; since session
    /// 36): each `buy_assets` step spends its cash × (1 − cut).
    pub purchase_cut: Decimal,
    /// Whether the originator exercises the deal's clean-up call as soon as it can
    /// (`clean_up_call`, default true; no effect on a deal without one).
    pub clean_up_call: bool,
    /// The servicer's failure and what its estate keeps of the pool cash (`commingling`,
    /// 混同风险); `None`: the servicer passes every collection on.
    pub commingling: Option<Commingling>,
    /// Assumptions for some obligors only (by name or tag), in file order: each field of an
    /// obligor's [`Assumptions`] is taken from the last rule that matches it and sets the
    /// field, else from the pool-wide value above (docs/scenarios.md).
    pub overrides: Vec<Override>,
}

/// One `events` entry: the event `event` (an index into `Deal::events`) holds on payment dates
/// on or after `from` and, with `until`, before `until` (a downgrade restored, a replaced
/// servicer: a `curable` trigger watching it cures then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatedEvent {
    /// The event: an index into `Deal::events`.
    pub event: usize,
    /// It holds on payment dates on or after this date.
    pub from: NaiveDate,
    /// It is over on payment dates on or after this date; `None`: never.
    pub until: Option<NaiveDate>,
}

impl DatedEvent {
    /// Whether the event holds on payment date `date`.
    pub fn holds_on(&self, date: NaiveDate) -> bool {
        date >= self.from && self.until.is_none_or(|u| date < u)
    }
}

/// `commingling`: the servicer (资产服务机构) fails on `date`, and `share` of the pool cash of
/// the collection period holding it (every deposit of that period: collections and
/// recoveries, or each source with named accounts) is lost in its estate, each deposit's loss
/// rounded once by the deal's rule (docs/scenarios.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commingling {
    /// The date the servicer fails.
    pub date: NaiveDate,
    /// The share of the period's pool cash lost, 0 to 1.
    pub share: Decimal,
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
    /// Annual constant default rate of these obligors, if the rule sets it.
    pub cdr: Option<Decimal>,
    /// Cumulative default rate of these obligors, on the scenario's `default_timing`, if
    /// the rule sets it.
    pub default_rate: Option<Decimal>,
    /// Fraction of a defaulted balance recovered, if the rule sets it.
    pub recovery_rate: Option<Decimal>,
    /// Months from default to recovery, if the rule sets it.
    pub recovery_lag_months: Option<u32>,
    /// (fraction, months).
    pub delay: Option<(Decimal, u32)>,
    /// Annual constant prepayment rate of their prepayable assets, if the rule sets it.
    pub cpr: Option<Decimal>,
}

/// The pool assumptions one obligor is projected under: the scenario's pool-wide values with
/// its matching [`Override`]s applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Assumptions {
    /// Annual constant default rate, a fraction.
    pub cdr: Decimal,
    /// Cumulative default rate over the deal, a fraction.
    pub default_rate: Decimal,
    /// Fraction of a defaulted balance recovered.
    pub recovery_rate: Decimal,
    /// Months from default to recovery.
    pub recovery_lag_months: u32,
    /// Fraction of each scheduled collection that arrives late.
    pub delay_fraction: Decimal,
    /// How many months late it arrives.
    pub delay_months: u32,
    /// Annual constant prepayment rate of prepayable assets.
    pub cpr: Decimal,
}

impl Scenario {
    /// The date the scenario defaults obligor `o` (a named default), if it does.
    pub fn default_date(&self, o: usize) -> Option<NaiveDate> {
        self.obligor_defaults
            .iter()
            .find(|&&(x, _)| x == o)
            .map(|&(_, d)| d)
    }

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
            support_failures: Vec::new(),
            events: Vec::new(),
            overrides: Vec::new(),
            indices: crate::floating::IndexPaths::default(),
            coupon_shift: Decimal::ZERO,
            revolving_yield_cut: Decimal::ZERO,
            purchase_cut: Decimal::ZERO,
            clean_up_call: true,
            commingling: None,
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
    /// code: fractions in range, months at most 120, indices naming one of `obligors` obligors,
    /// `supports` support providers and `events` watched events. [`crate::engine::run`] calls
    /// it.
    pub fn check(&self, obligors: usize, supports: usize, events: usize) -> Result<(), Error> {
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
        if let Some(i) = self
            .supports_off
            .iter()
            .chain(self.support_failures.iter().map(|(s, _)| s))
            .find(|i| **i >= supports)
        {
            return bad(format!("support index {i} does not exist"));
        }
        // An event a trigger of the deal watches (review 30e item 10).
        if let Some(e) = self.events.iter().find(|e| e.event >= events) {
            return bad(format!("event index {} does not exist", e.event));
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

/// Everything a scenario file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSet {
    /// The listed `[[scenarios]]` followed by the expansion of `[grid]`.
    pub scenarios: Vec<Scenario>,
    /// `[rating]`: the base default rate and the pressure-multiplier table.
    pub rating: RatingTable,
    /// `[pricing]`: quotes, settlement date and discount curve.
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

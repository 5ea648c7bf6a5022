//! Scenarios: the assumptions a run applies to the pool and to credit support.
//!
//! The base case is [`Scenario::base`]: no defaults, no prepayment, no delay, every support
//! provider performing.

use chrono::NaiveDate;
use rust_decimal::Decimal;

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
}

impl Scenario {
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
        }
    }

    /// The share of `default_rate` falling in each of `n` collection periods, where
    /// `pool_periods` is the number of periods up to the one holding the pool's last instalment.
    pub fn default_shares(&self, n: usize, pool_periods: usize) -> Vec<Decimal> {
        let mut shares = vec![Decimal::ZERO; n];
        if self.default_rate.is_zero() {
            return shares;
        }
        if self.default_timing.is_empty() {
            let m = pool_periods.clamp(1, n.max(1));
            let each = Decimal::ONE / Decimal::from(m);
            shares.iter_mut().take(m).for_each(|s| *s = each);
        } else {
            for (s, t) in shares.iter_mut().zip(&self.default_timing) {
                *s = *t;
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

impl RatingTable {
    /// The target default rate of `rating`, if the table has it.
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

/// The discount curve that spreads are measured against.
#[derive(Debug, Clone, PartialEq)]
pub enum Discount {
    /// A flat annual rate.
    Flat(f64),
    /// A zero curve: (years, annually compounded rate) points.
    Curve(crate::analytics::bond_math::ZeroCurve),
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
}

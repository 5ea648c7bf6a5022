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
            recovery_rate: Decimal::ZERO,
            recovery_lag_months: 0,
            delay_fraction: Decimal::ZERO,
            delay_months: 0,
            cpr: Decimal::ZERO,
            supports_off: Vec::new(),
        }
    }
}

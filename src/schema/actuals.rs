//! An actuals file (docs/auditing.md).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

/// An actuals file (docs/auditing.md): what was collected and paid on each past payment date,
/// as a trustee report states it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualsFile {
    /// `[actuals]`: which deal the file is about.
    pub actuals: Option<ActualsSection>,
    /// `[[periods]]`: one per past payment date.
    #[serde(default)]
    pub periods: Vec<ActualPeriod>,
}

/// `[actuals]`: which deal the file is about.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualsSection {
    /// The deal's name.
    pub deal: Option<String>,
}

/// `[[periods]]`: one past payment date.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualPeriod {
    /// Period number (1 = the first payment date).
    pub period: i64,
    /// The payment date.
    pub payment_date: Date,
    /// The pool's collections.
    pub pool: Option<ActualCollections>,
    /// Collections by obligor.
    #[serde(default)]
    pub obligors: Vec<ActualObligor>,
    /// Tax name → amount paid.
    #[serde(default)]
    pub taxes: BTreeMap<String, Decimal>,
    /// Fee name → amount paid.
    #[serde(default)]
    pub fees: BTreeMap<String, Decimal>,
    /// Support name → amount drawn.
    #[serde(default)]
    pub supports: BTreeMap<String, Decimal>,
    /// Support name → what `repay_support` paid back of its draws (返还差额支付款).
    #[serde(default)]
    pub support_repaid: BTreeMap<String, Decimal>,
    /// Support name → the interest on its draws paid (a facility's `interest_rate`).
    #[serde(default)]
    pub support_interest: BTreeMap<String, Decimal>,
    /// Amount drawn from the reserve.
    pub reserve_draws: Option<Decimal>,
    /// Tranche name → what it was paid.
    #[serde(default)]
    pub tranches: BTreeMap<String, ActualTranche>,
    /// Account balances after the payment date.
    pub accounts: Option<ActualAccounts>,
    /// Triggers reported as hit.
    pub triggers: Option<Vec<String>>,
}

/// The pool's (or one obligor's) collections of a collection period.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualCollections {
    /// Principal collected.
    pub principal: Decimal,
    /// Interest collected.
    pub interest: Decimal,
    /// Prepayments collected.
    pub prepayments: Option<Decimal>,
    /// Balance defaulted.
    pub defaults: Option<Decimal>,
    /// Recoveries collected.
    pub recoveries: Option<Decimal>,
    /// Pool balance at the period's end.
    pub balance_end: Option<Decimal>,
}

/// `[[periods.obligors]]`: one obligor's collections.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualObligor {
    /// The obligor.
    pub name: String,
    /// Principal collected.
    pub principal: Decimal,
    /// Interest collected.
    pub interest: Decimal,
    /// Prepayments collected.
    pub prepayments: Option<Decimal>,
    /// Balance defaulted.
    pub defaults: Option<Decimal>,
    /// Recoveries collected.
    pub recoveries: Option<Decimal>,
    /// Balance at the period's end.
    pub balance_end: Option<Decimal>,
}

/// `[periods.tranches.NAME]`: what a tranche was paid.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualTranche {
    /// Interest paid.
    pub interest: Option<Decimal>,
    /// Principal paid.
    pub principal: Option<Decimal>,
    /// Residual paid.
    pub residual: Option<Decimal>,
    /// The payment notice's interest per 100 yuan of face (每百元利息), as published.
    pub interest_per_100: Option<Decimal>,
    /// The payment notice's principal per 100 yuan of face (每百元本金), as published.
    pub principal_per_100: Option<Decimal>,
}

/// `[periods.accounts]`: account balances at the end of the payment date.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualAccounts {
    /// Collection account balance.
    pub collection: Option<Decimal>,
    /// Reserve account balance.
    pub reserve: Option<Decimal>,
}

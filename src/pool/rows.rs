//! The rows the pool projection produces.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::label::Label;

/// One obligor in one collection period.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFlowRow {
    pub period: u32,
    pub payment_date: NaiveDate,
    pub obligor: Label,
    /// Contractual amounts (principal + interest) falling due in the collection period, as if
    /// the obligor performed.
    pub scheduled: Decimal,
    /// Cash received from instalments in this period: on-time scheduled cash, delayed cash
    /// arriving now, and prepayments. Excludes recoveries.
    pub collected: Decimal,
    /// Principal part of `collected`.
    pub principal_collected: Decimal,
    /// Interest part of `collected`.
    pub interest_collected: Decimal,
    /// Prepaid principal (part of `collected`).
    pub prepaid: Decimal,
    /// Performing balance that defaulted in this period.
    pub defaulted: Decimal,
    /// Recovery cash received in this period.
    pub recovered: Decimal,
    /// Cash due in this period that the scenario's delay pushed to a later period.
    pub delayed: Decimal,
    /// Performing principal balance at the end of the collection period.
    pub balance_end: Decimal,
}

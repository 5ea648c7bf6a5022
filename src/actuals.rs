//! A deal's actuals (docs/auditing.md): what was collected and paid on each past payment date,
//! validated against the deal ([`crate::validate::actuals_from_str`]). Every amount is exact
//! whole fen; a line the file leaves out is `None` and is not compared.

use rust_decimal::Decimal;

/// Collections of one collection period (of the pool or of one obligor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collections {
    /// Scheduled principal collected (正常回收本金), without prepayments.
    pub principal: Decimal,
    /// Interest collected.
    pub interest: Decimal,
    /// Prepaid principal (提前还款).
    pub prepayments: Decimal,
    /// Performing balance that defaulted in the period (新增违约).
    pub defaults: Decimal,
    /// Recoveries received (违约回收).
    pub recoveries: Decimal,
    /// Performing balance at the end of the period; when not given, the balance at its start
    /// less principal, prepayments and defaults.
    pub balance_end: Option<Decimal>,
}

impl Collections {
    /// Cash from instalments: principal, prepayments and interest (recoveries apart).
    pub fn collected(&self) -> Decimal {
        self.principal + self.prepayments + self.interest
    }

    /// What the performing balance falls by in the period as reported: principal,
    /// prepayments and defaults (its end, when `balance_end` is not given, is the start less
    /// this).
    pub fn fall(&self) -> Decimal {
        self.principal + self.prepayments + self.defaults
    }

    /// Adds `o` to these totals (`balance_end` summed when both have one).
    pub fn add(&mut self, o: &Collections) {
        self.principal += o.principal;
        self.interest += o.interest;
        self.prepayments += o.prepayments;
        self.defaults += o.defaults;
        self.recoveries += o.recoveries;
        self.balance_end = match (self.balance_end, o.balance_end) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
}

/// One past payment date as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualPeriod {
    /// Index of the payment date in `deal.periods`.
    pub index: usize,
    /// Where the pool's figures are in the file (`file:line:column: periods[i].pool`), for a
    /// warning found once the deal's projection is known (`reconcile`'s units check).
    pub pool_location: String,
    /// The pool's totals (the sum of the obligors' when the file gives them per obligor).
    pub pool: Collections,
    /// Per obligor, indexed like `deal.obligors`, when the file gives them.
    pub obligors: Option<Vec<Collections>>,
    /// Where each obligor's entry is in the file (`file:line:column: periods[i].obligors[j]`),
    /// indexed like `deal.obligors`; empty for an obligor the period leaves out, and no entry
    /// without obligors (for a warning found once the projection is known, `actuals_arrears`).
    pub obligor_locations: Vec<String>,
    /// Paid per tax, fee and support (draws), indexed like the deal's lists.
    pub taxes: Vec<Option<Decimal>>,
    /// Paid per fee (`fees.NAME`), indexed like `deal.fees`.
    pub fees: Vec<Option<Decimal>>,
    /// Drawn per support (`supports.NAME`), indexed like `deal.supports`.
    pub supports: Vec<Option<Decimal>>,
    /// Repaid of each support's draws (`support_repaid.NAME`; since session 36).
    pub support_repaid: Vec<Option<Decimal>>,
    /// Interest paid to each support on its draws (`support_interest.NAME`; since session 36).
    pub support_interest: Vec<Option<Decimal>>,
    /// Drawn from the reserve (`reserve_draws`).
    pub reserve_draws: Option<Decimal>,
    /// Paid per tranche.
    pub interest: Vec<Option<Decimal>>,
    /// Principal paid per tranche, indexed like `deal.tranches`.
    pub principal: Vec<Option<Decimal>>,
    /// Residual paid per tranche (剩余收益), indexed like `deal.tranches`.
    pub residual: Vec<Option<Decimal>>,
    /// The payment notice's figures per 100 yuan of face as published (每百元利息,
    /// 每百元本金), per tranche, indexed like `deal.tranches`: compared with the model's
    /// notice, never restated (docs/auditing.md, "Figures per 100 as published").
    pub per_100: Vec<[Option<Decimal>; 2]>,
    /// Account balances after the payment date.
    pub collection_balance: Option<Decimal>,
    /// The reserve's balance after the payment date (`accounts.reserve`).
    pub reserve_balance: Option<Decimal>,
    /// The triggers declared tripped (indices into `deal.triggers`), when stated.
    pub triggers: Option<Vec<usize>>,
}

impl ActualPeriod {
    /// Where obligor `o`'s figures are in the file: its entry, else the period's (an obligor
    /// the period leaves out, or a period of pool totals); empty when neither is known.
    pub fn location_of(&self, o: usize) -> &str {
        self.obligor_locations
            .get(o)
            .map(String::as_str)
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.pool_location)
    }
}

/// The actuals of a deal: its first payment dates, in order, without gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actuals {
    /// The actual payment dates, from the first, in order.
    pub periods: Vec<ActualPeriod>,
    /// Located warnings of the file: a pool that does not add up (`actuals_pool`).
    pub warnings: Vec<crate::error::Warning>,
}

impl Actuals {
    /// How many payment dates are actual.
    pub fn len(&self) -> usize {
        self.periods.len()
    }

    /// Whether no payment date is actual.
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }

    /// Whether payment date `k` (0-based) is reported.
    pub fn reports(&self, k: usize) -> bool {
        self.periods.iter().any(|a| a.index == k)
    }
}

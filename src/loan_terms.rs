//! The terms of a loan or lease asset that the model, the schedules and the floating-rate
//! terms share: how principal is repaid over the instalments and how interest accrues (below
//! `floating` and `deal`, which both use them: review 32d item 4, where `floating` imported them
//! from `deal` and `deal` imported `floating`).

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::calendar::daycount::DayCount;

/// How principal is repaid over the instalments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repayment {
    /// 等额本息: constant instalment.
    Level,
    /// 等额本金: constant principal, declining interest.
    EqualPrincipal,
    /// Periodic interest, all principal with the last instalment (先息后本).
    InterestOnlyBullet,
    /// Principal and all accrued interest in one instalment at maturity (到期一次还本付息).
    Bullet,
    /// 递增租金: an instalment that is level within each year and grows by the given annual
    /// fraction (`growth`, 0 ≤ g < 1) on each anniversary of the first payment date, sized so
    /// that the instalments repay the balance at the rate (docs/amortization.md). A growth of
    /// 0 is [`Repayment::Level`].
    StepUp(Decimal),
}

impl Repayment {
    /// Every method, in the order messages list them (`StepUp` with a growth of 0: only its
    /// name is meant).
    pub const ALL: [Repayment; 5] = [
        Repayment::Level,
        Repayment::EqualPrincipal,
        Repayment::InterestOnlyBullet,
        Repayment::Bullet,
        Repayment::StepUp(Decimal::ZERO),
    ];

    /// The TOML spelling: `level`, `equal_principal`, `interest_only`, `bullet` or `step_up`.
    pub fn name(self) -> &'static str {
        match self {
            Repayment::Level => "level",
            Repayment::EqualPrincipal => "equal_principal",
            Repayment::InterestOnlyBullet => "interest_only",
            Repayment::Bullet => "bullet",
            Repayment::StepUp(_) => "step_up",
        }
    }
}

impl FromStr for Repayment {
    type Err = String;

    /// Parses a TOML spelling (exact, lower case); the error lists the valid ones. `step_up`
    /// parses with a growth of 0: validation sets the asset's `growth`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|r| r.name()).collect();
                format!(
                    "unknown repayment method {s:?}; expected one of: {}",
                    valid.join(", ")
                )
            })
    }
}

/// How each period's interest is accrued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Accrual {
    /// Periodic rate = annual rate / payments per year (Chinese bank convention). Default.
    #[default]
    Periodic,
    /// Each period's interest = balance × annual rate × year_fraction(prev date, date).
    DayCount(DayCount),
}

//! Waterfalls: their steps, actions and conditions (docs/deal-format.md, `[waterfalls]`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

/// A named priority of payments (`[waterfalls]`); `normal` runs until a trigger
/// switches to another.
#[derive(Debug, Clone)]
pub struct Waterfall {
    /// Its key in `[waterfalls]`, e.g. `normal`.
    pub name: String,
    /// Its steps, run in order on each payment date.
    pub steps: Vec<Step>,
}

/// One waterfall step and the condition under which it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// When the step runs; `None`: on every payment date.
    pub when: Option<StepCondition>,
    /// The account the step pays from (a `transfer` names its own).
    pub from: AccountRef,
}

/// What a step does. Indices point into the deal's taxes, fees and tranches.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Pay these taxes (pro rata by amount due when short).
    PayTax(Vec<usize>),
    /// Pay these fees (pro rata by amount due when short).
    PayFee(Vec<usize>),
    /// Pay interest due (pro rata by amount due when short).
    PayInterest(Vec<usize>),
    /// Pay a share of these fees, or their excess over their caps (`pay_fee` with `share` or
    /// `part = "excess"`), pro rata when short.
    PayFeePart {
        /// The fees (indices into `Deal::fees`).
        fees: Vec<usize>,
        /// At most this share of what is still due of each fee at the step.
        share: Option<Decimal>,
        /// The excess over each fee's `cap` instead of the part up to it.
        excess: bool,
    },
    /// Pay principal to these tranches.
    PayPrincipal {
        /// The tranches (indices into `Deal::tranches`), in the step's order.
        tranches: Vec<usize>,
        /// How the cash is shared among them.
        order: PrincipalOrder,
        /// How much principal is paid.
        amount: PrincipalAmount,
    },
    /// Bring the reserve to its target: deposit from cash if below, release the excess if above.
    TopUpReserve,
    /// `top_up_reserve` with `release = false`: deposit towards the target only.
    DepositReserve,
    /// Release the reserve's excess over its target into the collection account here.
    ReleaseReserve,
    /// Pay a subordinated tranche its capped periodic return (期间收益).
    PaySubReturn(usize),
    /// Pay all remaining cash to a tranche as residual (超额收益).
    PayResidual(usize),
    /// Move cash between two accounts.
    Transfer {
        /// The account the cash leaves.
        from: AccountRef,
        /// The account the cash enters.
        to: AccountRef,
        /// The most that moves.
        limit: TransferLimit,
    },
    /// Buy assets from the `[revolving]` template while the revolving period is live.
    BuyAssets(Spend),
    /// Repay these supports (indices into `Deal::supports`, in this order) what they have
    /// drawn and not yet been repaid and the interest on it, or one of the two (返还差额支付款;
    /// `engine::repayment`).
    RepaySupport {
        /// The supports, in this order.
        supports: Vec<usize>,
        /// Whether it repays the interest on the draws, the draws, or both.
        interest: bool,
        /// Whether it repays the draws.
        draws: bool,
    },
}

/// How much a transfer moves, at most the source account's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferLimit {
    /// Everything in the source account.
    All,
    /// At most the PDL's balance; the PDL is credited (cleared) by what moves.
    Pdl,
    /// At most what the destination lacks to pay these items' unpaid amounts due; the PDL is
    /// debited by what moves.
    Covers(Vec<Cover>),
}

/// What a `buy_assets` step may spend (cash held in the collection account at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// The principal collected in the period (scheduled and prepaid).
    PrincipalCollected,
    /// All cash held when the step runs.
    Available,
}

/// How a `pay_principal` step shares cash among its tranches (`order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalOrder {
    /// In the order listed: each tranche is paid in full before the next gets anything.
    Sequential,
    /// Pro rata by current balance.
    ProRata,
}

/// How much principal a `pay_principal` step pays (`amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalAmount {
    /// What each tranche's amortization allows: pass-through tranches take all available cash,
    /// scheduled ones their target, bullets only on their expected maturity.
    Scheduled,
    /// All available cash up to the balance, whatever the amortization (used after acceleration).
    Available,
}

/// When a waterfall step runs (`when`; docs/deal-format.md, "Conditions").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepCondition {
    /// Runs only once every senior tranche is repaid (after this period's earlier steps).
    SeniorPaidOff,
    /// Runs only on the last payment date (or the clean-up call date).
    FinalPeriod,
    /// Runs once every listed tranche is repaid (after this period's earlier steps).
    PaidOff(Vec<usize>),
    /// Runs on payment dates on or after this date.
    OnOrAfter(NaiveDate),
    /// Runs on payment dates before this date.
    Before(NaiveDate),
    /// Runs while this trigger (index) is tripped.
    Trigger(usize),
    /// Runs when the performing pool balance at the end of the collection period is below this
    /// fraction of the cutoff balance (exact comparison).
    PoolFactorBelow(Decimal),
    /// Runs when cumulative defaults / cutoff balance exceed this fraction (exact comparison).
    CumulativeDefaultRatioAbove(Decimal),
    /// Runs when every listed condition holds.
    All(Vec<StepCondition>),
    /// Runs when any listed condition holds.
    Any(Vec<StepCondition>),
    /// Runs when the condition does not hold.
    Not(Box<StepCondition>),
}

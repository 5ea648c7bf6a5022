//! The liabilities: tranches, fees, taxes, the reserve and credit supports.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

/// A tranche's class; the order is seniority, senior first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrancheClass {
    /// 优先级: paid first.
    Senior,
    /// 中间级: paid after the senior tranches.
    Mezzanine,
    /// 次级: paid last; its `coupon` caps its periodic return (期间收益).
    Subordinated,
}

impl TrancheClass {
    /// The TOML spelling: `senior`, `mezzanine` or `subordinated`.
    pub fn name(self) -> &'static str {
        match self {
            TrancheClass::Senior => "senior",
            TrancheClass::Mezzanine => "mezzanine",
            TrancheClass::Subordinated => "subordinated",
        }
    }
}

/// How a tranche's principal falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amortization {
    /// Pass-through: every payment date it takes all cash that reaches its principal step.
    /// Contractually due in full on its expected maturity.
    PassThrough,
    /// A target-balance table: on each payment date the balance is due down to the target of the
    /// latest table date on or before that payment date.
    Scheduled(Vec<(NaiveDate, Decimal)>),
    /// The whole balance falls due on the expected maturity (到期一次还本).
    Bullet,
}

impl Amortization {
    /// The TOML spelling: `pass_through`, `scheduled` or `bullet`.
    pub fn name(&self) -> &'static str {
        match self {
            Amortization::PassThrough => "pass_through",
            Amortization::Scheduled(_) => "scheduled",
            Amortization::Bullet => "bullet",
        }
    }
}

/// A security of the deal (资产支持证券): one `[[tranches]]` entry.
#[derive(Debug, Clone)]
pub struct Tranche {
    /// The tranche's name, unique among tranches.
    pub name: String,
    /// Its class: senior, mezzanine or subordinated.
    pub class: TrancheClass,
    /// Initial balance at closing, yuan (whole fen).
    pub balance: Decimal,
    /// Fixed annual coupon; for a subordinated tranche, the cap of its periodic return (期间收益).
    pub coupon: Decimal,
    /// How its principal falls due.
    pub amortization: Amortization,
    /// The date by which principal is contractually due (defaults to the last payment date).
    pub expected_maturity: NaiveDate,
    /// Rating label, e.g. "AAA"; informational here.
    pub rating: Option<String>,
    /// Unpaid interest itself accrues at the coupon (`interest_on_shortfall`; off by default).
    pub interest_on_shortfall: bool,
    /// 到期一次还本付息 (`interest_at_maturity`): each period's interest is deferred, not due,
    /// until the tranche matures, the run's last date, or a date after its balance was repaid
    /// (`engine::due`).
    pub interest_at_maturity: bool,
    /// What "paid in full" means for its break-even and Monte Carlo (`payment_test`).
    pub payment_test: PaymentTest,
    /// A floating coupon: index + spread fixed on the closing date and each reset date, with
    /// its floor and cap (`coupon` is then zero and unused). `None`: the fixed `coupon`.
    pub floating: Option<crate::floating::FloatingRate>,
}

impl Tranche {
    /// Whether the tranche accrues interest: a fixed `coupon` above 0 or a `floating` rate
    /// (validated with a coupon of 0).
    pub fn bears_interest(&self) -> bool {
        self.coupon > Decimal::ZERO || self.floating.is_some()
    }
}

/// What a tranche's break-even and Monte Carlo call "paid in full" (`payment_test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaymentTest {
    /// Every date's interest due paid on that date, and the balance repaid by the last date
    /// (及时足额, the default).
    #[default]
    Timely,
    /// Interest and principal paid by the last date: a date's shortfall is no failure if it is
    /// made good later (最终足额; a mezzanine tranche rated on ultimate payment).
    Ultimate,
}

/// What an annual-rate fee or a tax is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// A tranche's balance at the start of the accrual period.
    Tranche(usize),
    /// The sum of senior tranche balances at the start of the accrual period.
    SeniorBalance,
    /// The performing pool balance at the start of the collection period.
    PoolBalance,
    /// The sum of the tranches' initial balances.
    IssueSize,
    /// The interest part of this period's collections (collected plus recovered counts as
    /// principal; see docs/conventions.md).
    InterestCollections,
    /// All pool cash of this period (collections plus recoveries).
    Collections,
    /// The interest paid to a tranche on this payment date by the steps before the fee's
    /// `pay_fee` step (fees only; `interest_paid:<name>`).
    InterestPaid(usize),
}

impl Base {
    /// Every kind of base in the order messages list them; `Tranche(0)` stands for any tranche.
    pub const ALL: [Base; 7] = [
        Base::SeniorBalance,
        Base::PoolBalance,
        Base::IssueSize,
        Base::Tranche(0),
        Base::InterestCollections,
        Base::Collections,
        Base::InterestPaid(0),
    ];

    /// Whether the base is an amount of the date (collections, interest paid), of which a
    /// fee takes a share, rather than a balance, on which it charges a year's rate.
    pub fn is_flow(self) -> bool {
        matches!(
            self,
            Base::InterestCollections | Base::Collections | Base::InterestPaid(_)
        )
    }

    /// The TOML spelling; `tranche:<name>` for a tranche's balance.
    pub fn name(self) -> &'static str {
        match self {
            Base::Tranche(_) => "tranche:<name>",
            Base::SeniorBalance => "senior_balance",
            Base::PoolBalance => "pool_balance",
            Base::IssueSize => "issue_size",
            Base::InterestCollections => "interest_collections",
            Base::Collections => "collections",
            Base::InterestPaid(_) => "interest_paid:<name>",
        }
    }
}

/// How much of a fee falls due, and on which payment dates (`kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeeKind {
    /// The same amount every payment date.
    Fixed(Decimal),
    /// `amount` a year: due on `first` and every 12 months after, each charged on the first
    /// payment date on or after it.
    Annual {
        /// The amount due each year, in yuan (`amount`).
        amount: Decimal,
        /// The first due date (`date`; by default the first anniversary of `closing_date`).
        first: NaiveDate,
    },
    /// rate × base × year fraction of the accrual period (deal day count).
    AnnualRate {
        /// The annual rate, a fraction (`rate`, 0 ≤ rate < 1).
        rate: Decimal,
        /// The balance or flow the rate applies to (`base`, docs/deal-format.md "Bases").
        base: Base,
    },
    /// Paid once, on the first payment date on or after `date`.
    OneOff {
        /// The amount, in yuan (`amount`).
        amount: Decimal,
        /// Paid on the first payment date on or after it (`date`; by default the first one).
        date: NaiveDate,
    },
}

/// A fee paid by the waterfall (`[[fees]]`): trustee, custodian, servicer, rating, …
#[derive(Debug, Clone)]
pub struct Fee {
    /// The fee's name, unique among fees.
    pub name: String,
    /// How much falls due, and when.
    pub kind: FeeKind,
    /// Most that can fall due on one payment date (before adding carried shortfall).
    pub cap_per_period: Option<Decimal>,
    /// Most that can fall due over the life of the deal.
    pub cap_total: Option<Decimal>,
    /// Per-period cap of the senior part: the charge above it is due as the fee's excess,
    /// paid by `pay_fee` steps with `part = "excess"` (`None`: no split).
    pub cap: Option<Decimal>,
    /// Payment dates before this date charge nothing.
    pub start: Option<NaiveDate>,
    /// Payment dates after this date charge nothing (arrears stay due).
    pub end: Option<NaiveDate>,
}

impl Fee {
    /// Whether the fee runs on payment date `p`: its `start` reached, its `end` not past.
    pub fn active_on(&self, p: &PeriodDates) -> bool {
        self.start.is_none_or(|s| p.reached(s)) && !self.end.is_some_and(|e| p.past(e))
    }

    /// Whether some payment date of `periods` charges the fee, its amount or its base aside:
    /// one that reaches a one-off fee's date, that reaches an annual fee's due date while the
    /// fee runs, any on which a fixed or rate fee runs. The validator's test of a fee that
    /// would never be charged; the engine charges by the same predicates.
    pub fn ever_charged(&self, periods: &[PeriodDates]) -> bool {
        (0..periods.len()).any(|k| self.charged_on(periods, k))
    }

    /// Whether payment date `k` of `periods` charges the fee, its amount or its base aside:
    /// the first that reaches a one-off fee's date, one that reaches an annual fee's due date
    /// while the fee runs, one on which a fixed or rate fee runs.
    pub fn charged_on(&self, periods: &[PeriodDates], k: usize) -> bool {
        let p = &periods[k];
        match self.kind {
            FeeKind::OneOff { date, .. } => {
                p.reached(date) && (k == 0 || !periods[k - 1].reached(date))
            }
            FeeKind::Annual { first, .. } => {
                self.active_on(p) && annual_dates_on(first, periods, k) > 0
            }
            FeeKind::Fixed(_) | FeeKind::AnnualRate { .. } => self.active_on(p),
        }
    }
}

/// A tax: rate × its base, e.g. 3.26% VAT and surcharges on the interest part of collections;
/// on a flow base the rate applies as it is, on a balance base it is annual and multiplied by
/// the accrual period's year fraction (docs/deal-format.md, `[[taxes]]`).
#[derive(Debug, Clone)]
pub struct Tax {
    /// The tax's name, unique among taxes.
    pub name: String,
    /// Rate, a fraction: applied as it is to a flow base, and multiplied by the accrual
    /// period's year fraction on a balance base (docs/deal-format.md, `[[taxes]]`).
    pub rate: Decimal,
    /// What the rate applies to.
    pub base: Base,
}

/// The balance `top_up_reserve` steps bring the reserve to (`target`,
/// `target_multiple` or `formula`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveTarget {
    /// A fixed amount, yuan (`target`).
    Fixed(Decimal),
    /// A multiple of the next payment date's senior interest plus fees, on the balances at the
    /// step (or after the date's due principal: [`Reserve::after_due_principal`]).
    SeniorInterestAndFees(Decimal),
    /// A formula: the larger or smaller of several targets (`[reserve] formula`).
    Formula(TargetFormula),
}

/// A reserve target formula, evaluated by `top_up_reserve` after the steps before it
/// (docs/conventions.md, "Reserve target").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetFormula {
    /// A fixed amount.
    Fixed(Decimal),
    /// `m ×` the next payment date's senior interest plus fees (as `target_multiple`).
    SeniorInterestAndFees(Decimal),
    /// `share ×` a balance (`Base::SeniorBalance`, `PoolBalance`, `IssueSize`, `Tranche`) as
    /// it stands at the step (the pool balance at the end of the collection period).
    Share(Decimal, Base),
    /// The largest of the formulas.
    Max(Vec<TargetFormula>),
    /// The smallest of the formulas.
    Min(Vec<TargetFormula>),
}

/// A stepped-down reserve target (`[reserve.step_down]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDown {
    /// Applies on payment dates on or after this date.
    pub after: Option<NaiveDate>,
    /// Applies while cumulative defaults / initial pool balance < this.
    pub default_ratio_below: Option<Decimal>,
    /// The stepped-down target (`formula`).
    pub target: TargetFormula,
}

/// The reserve account (`[reserve]`): funded at closing and by `top_up_reserve` steps,
/// drawn when a covered item is short (docs/conventions.md).
#[derive(Debug, Clone)]
pub struct Reserve {
    /// Its target balance.
    pub target: ReserveTarget,
    /// Deposited at closing (a closing-date inflow from the originator).
    pub initial: Decimal,
    /// Items the reserve pays when the collection account falls short.
    pub covers: Vec<Cover>,
    /// The target reads each tranche's balance less the principal due on the date
    /// (`balances = "after_due_principal"`), instead of the balance at the step.
    pub after_due_principal: bool,
    /// A lower target when its conditions hold; `None`: the target always applies.
    pub step_down: Option<StepDown>,
}

/// The waterfall items that a reserve or a support provider can pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cover {
    /// Taxes due.
    Taxes,
    /// Fees due.
    Fees,
    /// Interest due on the senior tranches.
    SeniorInterest,
    /// Principal due on the senior tranches.
    SeniorPrincipal,
    /// Interest due on the mezzanine tranches.
    MezzanineInterest,
    /// Principal due on the mezzanine tranches.
    MezzaninePrincipal,
}

impl Cover {
    /// What covers the interest of a tranche of class `class`; None for a subordinated one.
    pub fn interest_of(class: TrancheClass) -> Option<Cover> {
        match class {
            TrancheClass::Senior => Some(Cover::SeniorInterest),
            TrancheClass::Mezzanine => Some(Cover::MezzanineInterest),
            TrancheClass::Subordinated => None,
        }
    }

    /// What covers the principal of a tranche of class `class`; None for a subordinated one.
    pub fn principal_of(class: TrancheClass) -> Option<Cover> {
        match class {
            TrancheClass::Senior => Some(Cover::SeniorPrincipal),
            TrancheClass::Mezzanine => Some(Cover::MezzaninePrincipal),
            TrancheClass::Subordinated => None,
        }
    }

    /// The TOML spelling, e.g. `senior_interest`.
    pub fn name(self) -> &'static str {
        match self {
            Cover::Taxes => "taxes",
            Cover::Fees => "fees",
            Cover::SeniorInterest => "senior_interest",
            Cover::SeniorPrincipal => "senior_principal",
            Cover::MezzanineInterest => "mezzanine_interest",
            Cover::MezzaninePrincipal => "mezzanine_principal",
        }
    }
    /// Every item, in the order messages list them.
    pub const ALL: [Cover; 6] = [
        Cover::Taxes,
        Cover::Fees,
        Cover::SeniorInterest,
        Cover::SeniorPrincipal,
        Cover::MezzanineInterest,
        Cover::MezzaninePrincipal,
    ];
}

/// The kind of a credit support (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportKind {
    /// 差额支付承诺.
    ShortfallUndertaking,
    /// 保证担保.
    Guarantee,
    /// 基础资产保证: pays each collection period's defaulted principal into the trust (担保代偿)
    /// and is paid the recoveries until it has recovered what it paid (代位追偿); no `covers`
    /// (`engine::guarantee`).
    AssetGuarantee,
}

impl SupportKind {
    /// The TOML spelling: `shortfall_undertaking`, `guarantee` or `asset_guarantee`.
    pub fn name(self) -> &'static str {
        match self {
            SupportKind::ShortfallUndertaking => "shortfall_undertaking",
            SupportKind::Guarantee => "guarantee",
            SupportKind::AssetGuarantee => "asset_guarantee",
        }
    }
}

/// External credit support, drawn after the reserve when a covered item is short.
#[derive(Debug, Clone)]
pub struct Support {
    /// The support's name, unique among supports.
    pub name: String,
    /// Who provides it (差额支付承诺人, 保证人), as the output's `provider` column writes it.
    pub provider: String,
    /// What kind of support it is.
    pub kind: SupportKind,
    /// The items it pays when cash falls short (none for an asset guarantee).
    pub covers: Vec<Cover>,
    /// Most it pays on one payment date, yuan; `None`: no cap.
    pub cap_per_period: Option<Decimal>,
    /// Most it pays over the deal's life, yuan; `None`: no cap.
    pub cap_total: Option<Decimal>,
    /// The waterfalls (indices) in which it may be drawn; `None`: all.
    pub waterfalls: Option<Vec<usize>>,
    /// The support (index) this one backs (`backs`): it is drawn only when that one is out
    /// (scenario `supports_off`, or failed), for that one's covers and waterfalls (copied
    /// here) and within that one's caps, which their draws share (`engine::steps`).
    pub backs: Option<usize>,
    /// The obligor (index) whose default by name the provider's failure goes with
    /// (`fails_with`): the support fails from that obligor's default date.
    pub fails_with: Option<usize>,
    /// The provider's credit tags (`rating` or `pd`, `region`, `industry`), which `ipabs rate`
    /// reads ([`crate::rating_model::ProviderCredit`]); empty without.
    pub tags: BTreeMap<String, String>,
    /// Annual interest on its draws not yet repaid, accrued per payment date and paid first by
    /// `repay_support` steps (`engine::repayment`); `None`: none.
    pub interest_rate: Option<Decimal>,
    /// Repayments of its draws restore `cap_total`: it bounds the draws outstanding.
    pub revolving_cap: bool,
}

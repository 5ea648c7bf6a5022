//! The validated deal: the domain model the engine runs.
//!
//! Nothing here is read from TOML directly. [`crate::schema`] holds the raw file types and
//! [`crate::validate`] turns them into a [`Deal`], resolving every name to an index so the
//! engine never looks anything up by string. A `Deal` that exists is internally consistent:
//! names are unique, references resolve, amounts are whole fen, dates are in order.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::daycount::DayCount;
use crate::calendar::schedule::{CollectionLag, ScheduledDate};
use crate::calendar::{BusinessDayConvention, Calendar, PaymentDays};
use crate::money::{ProRataRounding, Rounding, to_fen};
use crate::scenario::Scenario;

/// The loan terms, kept in `loan_terms` (below `floating`) and named here as before.
pub use crate::loan_terms::{Accrual, Repayment};

/// A securitization: dates, pool, liabilities, waterfalls and triggers.
#[derive(Debug, Clone)]
pub struct Deal {
    /// The deal's name (`[deal] name`), as the output tables' `deal` column writes it.
    pub name: String,
    /// Currency of every amount: `CNY`, the only one supported.
    pub currency: String,
    /// Pool cutoff date (封包日): instalments due on or before it belong to the originator.
    pub cutoff_date: NaiveDate,
    /// Closing date (设立日): interest on the securities starts here.
    pub closing_date: NaiveDate,
    /// Legal maturity (法定到期日): no payment date is scheduled after it.
    pub legal_maturity: NaiveDate,
    /// Day count of each accrual period's year fraction: coupons, annual-rate fees,
    /// balance-base taxes and income on cash (`day_count`, docs/calendar.md).
    pub day_count: DayCount,
    /// How every amount is rounded to the fen (`rounding`).
    pub rounding: Rounding,
    /// How pro rata shares are rounded to the fen (`pro_rata_rounding`).
    pub pro_rata_rounding: ProRataRounding,
    /// How payment dates that fall on a non-business day are moved (`business_day`).
    pub business_day: BusinessDayConvention,
    /// Whether payment dates fall on the calendar's business days or its trading days
    /// (`payment_days`); `periods` are adjusted accordingly.
    pub payment_days: PaymentDays,
    /// The holiday calendar payment dates and business-day lags are reckoned on
    /// (`calendar`, with `extra_holidays` and `extra_working_days`; docs/calendar.md).
    pub calendar: Calendar,
    /// Payment dates, in order, each with its collection period.
    pub periods: Vec<PeriodDates>,
    /// The frequency the payment dates were generated with (`first_payment_date` and
    /// `frequency`); None when the deal lists its `payment_dates`.
    pub frequency: Option<crate::calendar::schedule::Frequency>,
    /// How each collection period's end follows from its payment date (a lag in calendar
    /// or business days, `collection_end` or `collection_ends`).
    pub collection_lag: CollectionLag,
    /// The pool, by obligor, in file order.
    pub obligors: Vec<Obligor>,
    /// Tranches in order of seniority (senior first, then mezzanine, then subordinated; the
    /// file order within a class).
    pub tranches: Vec<Tranche>,
    /// Fees (`[[fees]]`), in file order.
    pub fees: Vec<Fee>,
    /// Taxes (`[[taxes]]`), in file order.
    pub taxes: Vec<Tax>,
    /// The reserve account (`[reserve]`), if the deal has one.
    pub reserve: Option<Reserve>,
    /// Credit supports (`[[supports]]`): 差额支付承诺, guarantees and the asset guarantee,
    /// in file order (the order they are drawn in).
    pub supports: Vec<Support>,
    /// Waterfalls; index 0 is `normal`.
    pub waterfalls: Vec<Waterfall>,
    /// Triggers (`[[triggers]]`), in file order.
    pub triggers: Vec<Trigger>,
    /// The names of the events its `event` triggers watch, each once, in the order the triggers
    /// first name them (`TriggerCondition::Event` indexes it; a scenario's `events` resolve
    /// against it).
    pub events: Vec<String>,
    /// The scenario written in the deal file, or the base case (no defaults) if there is none.
    pub scenario: Scenario,
    /// The warnings this deal silences (`[deal] allow`), by kind.
    pub allow: Vec<crate::error::Check>,
    /// How payment notices state amounts per 100 yuan of face (`[notices]`).
    pub notices: NoticeRules,
    /// The named cash accounts (`[[accounts]]`) and where each pool source is deposited.
    pub accounts: Accounts,
    /// The principal deficiency ledger (`[pdl]`), if the deal keeps one.
    pub pdl: Option<Pdl>,
    /// The clean-up call (`[clean_up_call]`), if the deal has one.
    pub clean_up_call: Option<CleanUpCall>,
    /// The revolving purchase period (`[revolving]`), if the deal has one.
    pub revolving: Option<Revolving>,
    /// 合格投资: the annual rate the trust's cash earns between payment dates
    /// (`reinvestment_rate`; 0: none; `engine::state`, docs/conventions.md).
    pub reinvestment_rate: Decimal,
    /// The plan ends (专项计划终止) on the payment date whose waterfall leaves every tranche
    /// repaid and owed nothing (`[deal] end_when_repaid`): later dates are not run, and the
    /// pool's later cash is not the plan's, as after a clean-up call.
    pub end_when_repaid: bool,
}

/// A cash account of the trust that a step pays from or a transfer moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRef {
    /// The collection account (收款账户): every source no rule routes elsewhere.
    Collection,
    /// A named account, by index in `Accounts::names`.
    Named(usize),
}

/// The kinds of pool cash that collection rules route (`collects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CashSource {
    /// The interest part of collections (leases and loans; licence fees are all principal).
    Interest,
    /// The scheduled principal part of collections (delayed arrivals included).
    Principal,
    /// Prepaid principal.
    Prepayments,
    /// Recoveries on defaulted assets.
    Recoveries,
}

impl CashSource {
    /// Every source, in deposit order.
    pub const ALL: [CashSource; 4] = [
        CashSource::Interest,
        CashSource::Principal,
        CashSource::Prepayments,
        CashSource::Recoveries,
    ];

    /// The TOML spelling: `interest`, `principal`, `prepayments` or `recoveries`.
    pub fn name(self) -> &'static str {
        match self {
            CashSource::Interest => "interest",
            CashSource::Principal => "principal",
            CashSource::Prepayments => "prepayments",
            CashSource::Recoveries => "recoveries",
        }
    }
}

/// The named accounts and the collection rules. With no named account every source goes to
/// the collection account, as it always has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// The named accounts, in file order.
    pub names: Vec<String>,
    /// Where each source of [`CashSource::ALL`] is deposited, in that order.
    pub route: [Option<usize>; 4],
}

impl Accounts {
    /// True when the deal routes pool cash by source (it has named accounts).
    pub fn split(&self) -> bool {
        !self.names.is_empty()
    }

    /// The account `source` is deposited into.
    pub fn of(&self, source: CashSource) -> AccountRef {
        let i = CashSource::ALL
            .iter()
            .position(|&s| s == source)
            .unwrap_or(0);
        self.route[i].map_or(AccountRef::Collection, AccountRef::Named)
    }
}

/// `[pdl]`: the principal deficiency ledger (本金亏损账).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdl {
    /// Whether each period's defaulted principal is debited to it.
    pub defaults: bool,
}

/// `[clean_up_call]`: the originator's repurchase of the remaining pool (清仓回购).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanUpCall {
    /// Exercisable when the performing balance at the end of a collection period is below
    /// this fraction of the cutoff balance.
    pub pool_factor_below: Option<Decimal>,
    /// Exercisable on payment dates on or after this date.
    pub on_or_after: Option<NaiveDate>,
    /// Price = this fraction × performing balance (plus the accrued interest when
    /// `accrued_interest`), rounded once to the fen.
    pub price_share: Decimal,
    /// Whether the price includes the interest accrued on the performing pool
    /// (`engine::call`, docs/deal-format.md).
    pub accrued_interest: bool,
    /// Exercised only when the price and the trust's cash (every account and the reserve) pay
    /// the date's taxes, fees and the senior and mezzanine tranches' interest and principal in
    /// full (`engine::call`; default true since session 29).
    pub repays_senior: bool,
    /// The waterfall of the call date.
    pub waterfall: usize,
}

/// `[revolving]`: the revolving purchase period (循环购买). While it is live (payment dates on
/// or before `end_date`, and no end trigger has tripped on an earlier or the same date),
/// `buy_assets` steps spend cash on new assets made from `template` (docs/deal-format.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Revolving {
    /// The last payment date on which assets may be bought (inclusive).
    pub end_date: NaiveDate,
    /// Triggers (indices into `Deal::triggers`) whose tripping ends the period for good.
    pub end_triggers: Vec<usize>,
    /// The waterfall run while the period is live and no trigger has tripped.
    pub waterfall: Option<usize>,
    /// Cash paid per yuan of balance bought (a fraction of par, > 0).
    pub price: Decimal,
    /// Name prefix of the synthetic obligors the purchases create.
    pub obligor: String,
    /// The file's obligor of that name, if one is (index into `Deal::obligors`): the
    /// purchases are its receivables, and its named default and the `overrides` rules that
    /// name it reach them.
    pub debtor: Option<usize>,
    /// Tags of those obligors (scenario overrides by tag apply to them): as written, else the
    /// debtor's.
    pub tags: BTreeMap<String, String>,
    /// The asset every purchase creates.
    pub template: RevolvingTemplate,
}

/// The asset every purchase creates: a loan or lease starting on the purchase date with the
/// balance bought, its schedule generated as in docs/amortization.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RevolvingTemplate {
    /// `Loan` or `Lease` (validation refuses the other kinds).
    pub kind: AssetKind,
    /// Nominal annual rate, a fraction below 1 (0.0435 = 4.35%).
    pub annual_rate: Decimal,
    /// Number of instalments, 1..=600.
    pub term: u32,
    /// Months between instalments: 1, 3, 6 or 12.
    pub months_per_period: u32,
    /// How the instalments repay the balance (default level, 等额本息).
    pub repayment: Repayment,
    /// How interest accrues: periodically (annual rate ÷ payments a year) or by a day count.
    pub accrual: Accrual,
    /// Whether a scenario's CPR applies (default true).
    pub prepayable: bool,
}

/// `[notices]`: the per-unit arithmetic of payment notices (收益分配报告, 兑付兑息公告;
/// docs/auditing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRules {
    /// Face value of one unit (份), yuan.
    pub face: Decimal,
    /// Decimal places of the per-100-yuan figures.
    pub decimals: u32,
    /// How the per-100-yuan figures are rounded to `decimals`.
    pub rounding: Rounding,
    /// CSDC fee rate on principal plus interest paid.
    pub csdc_fee_rate: Decimal,
    /// Whether the waterfall pays the per-unit amounts (the residual stays in the collection
    /// account).
    pub per_unit: bool,
}

impl Default for NoticeRules {
    fn default() -> Self {
        NoticeRules {
            face: Decimal::ONE_HUNDRED,
            decimals: 4,
            rounding: Rounding::Truncate,
            csdc_fee_rate: Decimal::new(5, 5),
            per_unit: false,
        }
    }
}

/// One payment date and the collection period whose cash it distributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodDates {
    /// 1-based period number.
    pub number: u32,
    /// The payment date as scheduled and as adjusted (`date` is the adjusted one).
    pub payment: ScheduledDate,
    /// First day of the collection period (inclusive).
    pub collection_start: NaiveDate,
    /// Last day of the collection period (inclusive).
    pub collection_end: NaiveDate,
    /// Start of the interest accrual period: the previous payment date (adjusted, or with
    /// `accrual_dates = "unadjusted"` as scheduled), or the closing date.
    pub accrual_start: NaiveDate,
    /// End of the interest accrual period: this payment date, adjusted, or with
    /// `accrual_dates = "unadjusted"` as scheduled.
    pub accrual_end: NaiveDate,
    /// The record dates (权益登记日) of this payment date: 1 trading day before it, and 3
    /// before it for a tranche's final payment (trading days: the deal calendar's business
    /// days from Monday to Friday that are not listed exchange closures,
    /// [`crate::calendar::Calendar::is_trading_day`]).
    pub record_dates: [NaiveDate; 2],
}

/// The collection period (0-based) of `periods` containing `date`, if any: the model's one
/// answer to "which period collects this", for the validator and the projection alike.
pub fn period_of(periods: &[PeriodDates], date: NaiveDate) -> Option<usize> {
    let k = periods.partition_point(|p| p.collection_end < date);
    (k < periods.len() && periods[k].collection_start <= date).then_some(k)
}

/// Number of collection periods up to and including the one holding the last instalment of
/// `obligors` (all periods when that date is outside them): the span of the even default
/// timing (docs/scenarios.md).
pub fn pool_periods(periods: &[PeriodDates], obligors: &[Obligor]) -> usize {
    let n = periods.len();
    obligors
        .iter()
        .filter_map(Obligor::last_due)
        .max()
        .map_or(n, |d| period_of(periods, d).map_or(n, |k| k + 1))
}

/// How many of an annual fee's due dates (`first` and every 12 months after) payment date `k`
/// of `periods` charges: those it has reached ([`PeriodDates::reached`]) and the date before
/// it had not.
pub fn annual_dates_on(first: NaiveDate, periods: &[PeriodDates], k: usize) -> i64 {
    let through = |k: usize| annual_dates_through(first, periods[k].latest());
    through(k) - if k == 0 { 0 } else { through(k - 1) }
}

/// How many of an annual fee's due dates, `first` and every 12 months after it (the day
/// clamped to the month's end, `add_months`), are on or before `t`.
fn annual_dates_through(first: chrono::NaiveDate, t: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    if t < first {
        return 0;
    }
    // At most one year off the difference in years; settled by the dates themselves.
    let mut n = i64::from(t.year() - first.year()).max(0);
    let due = |n: i64| {
        i32::try_from(12 * n)
            .ok()
            .and_then(|m| crate::calendar::schedule::add_months(first, m, false))
    };
    while n > 0 && due(n).is_none_or(|d| d > t) {
        n -= 1;
    }
    n + 1
}

impl PeriodDates {
    /// The adjusted payment date.
    pub fn date(&self) -> NaiveDate {
        self.payment.adjusted
    }

    /// The later of the paid and the scheduled date: the last day the payment date reaches.
    pub fn latest(&self) -> NaiveDate {
        self.date().max(self.payment.unadjusted)
    }

    /// The earlier of the paid and the scheduled date: the day the payment date is past.
    pub fn earliest(&self) -> NaiveDate {
        self.date().min(self.payment.unadjusted)
    }

    /// Whether the payment date has reached `d`: paid or scheduled on or after it. A fee's
    /// `start`, a one-off fee's `date` and an annual fee's due dates count from the first
    /// payment date that has reached them.
    pub fn reached(&self, d: NaiveDate) -> bool {
        self.latest() >= d
    }

    /// Whether the payment date is past `e`: paid and scheduled after it (a fee's `end`).
    pub fn past(&self, e: NaiveDate) -> bool {
        self.earliest() > e
    }

    /// Whether this payment date is on or before `end`, by its scheduled (unadjusted) date or
    /// the date it is paid (adjusted): a period that ends on a scheduled date includes it,
    /// whichever way the business-day convention moved it.
    pub fn on_or_before(&self, end: NaiveDate) -> bool {
        self.payment.unadjusted.min(self.payment.adjusted) <= end
    }

    /// The record date of a payment on this date: 3 trading days before it when it is the
    /// tranche's final payment, 1 otherwise.
    pub fn record_date(&self, final_payment: bool) -> NaiveDate {
        self.record_dates[usize::from(final_payment)]
    }
}

/// An SME (or a core debtor) that owes the pool money.
#[derive(Debug, Clone)]
pub struct Obligor {
    /// The obligor's name, unique among obligors.
    pub name: String,
    /// Free labels (`industry`, `region`, `rating`, `pd`, `group`, …): scenario `overrides`
    /// select by them and the rating model reads them (docs/rating.md).
    pub tags: BTreeMap<String, String>,
    /// Its receivables, in file order.
    pub assets: Vec<Asset>,
}

/// The obligor tag that makes obligors one credit (关联方合并: a core debtor and its
/// subsidiaries, one parent's borrowers): obligors with equal `group` tags default together in
/// the rating model and count as one in its concentration rules, the whole-obligor break-even
/// and the concentration stresses (docs/rating.md, "Obligor groups").
pub const GROUP_TAG: &str = "group";

impl Obligor {
    /// Its credit group: the `group` tag, trimmed; None without one (or an empty one, which
    /// validation refuses).
    pub fn group(&self) -> Option<&str> {
        self.tags
            .get(GROUP_TAG)
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
    }

    /// Principal outstanding at the cutoff, over its assets.
    pub fn balance(&self) -> Decimal {
        self.assets.iter().map(Asset::balance).sum()
    }

    /// The date of the obligor's last instalment; None when it has none.
    pub fn last_due(&self) -> Option<NaiveDate> {
        self.assets
            .iter()
            .filter_map(|a| a.instalments.last().map(|i| i.date))
            .max()
    }

    /// Its exposure term: ACT/365F years from `cutoff` to its last instalment (0 without one,
    /// or when that is before `cutoff`), the term the rating model reads its PD over.
    pub fn term_years(&self, cutoff: NaiveDate) -> f64 {
        let last = self.last_due().unwrap_or(cutoff);
        DayCount::Act365F.fraction(cutoff, last).to_f64().max(0.0)
    }
}

/// The four shapes of IP-derived claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetKind {
    /// 许可-再许可: scheduled sublicence fees.
    Licence,
    /// 知识产权质押贷款: a loan with a generated or explicit schedule.
    Loan,
    /// 融资租赁 (售后回租): rents split into principal and interest.
    Lease,
    /// 供应链应收账款: a receivable owed by one core debtor.
    Receivable,
}

impl AssetKind {
    /// The TOML spelling: `licence`, `loan`, `lease` or `receivable`.
    pub fn name(self) -> &'static str {
        match self {
            AssetKind::Licence => "licence",
            AssetKind::Loan => "loan",
            AssetKind::Lease => "lease",
            AssetKind::Receivable => "receivable",
        }
    }
}

/// One claim, resolved into its contractual instalments.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The shape of the claim.
    pub kind: AssetKind,
    /// Instalments due after the cutoff date, in date order. Principal sums to the asset's
    /// balance at cutoff.
    pub instalments: Vec<Instalment>,
    /// Whether a scenario's CPR applies (loans and leases).
    pub prepayable: bool,
    /// Each instalment's (principal, interest) as counts of fen, in the same order: the
    /// projection's integer copy of the schedule, made once ([`Asset::new`]). `i64` holds any
    /// validated amount (below 10^15 yuan) with room to spare, at half the memory of [`Fen`](crate::money::Fen).
    fen: Vec<(i64, i64)>,
    /// A floating-rate loan's terms: `instalments` are then its schedule under the deal's
    /// own `[scenario]`, and the pool rebuilds it under each scenario's index path.
    pub floating: Option<Box<crate::floating::FloatingLoan>>,
}

impl Asset {
    /// An asset with its schedule (whole fen, in date order).
    pub fn new(kind: AssetKind, instalments: Vec<Instalment>, prepayable: bool) -> Asset {
        let fen = fen_schedule(&instalments);
        Asset {
            kind,
            instalments,
            prepayable,
            fen,
            floating: None,
        }
    }

    /// The instalments' (principal, interest) in fen, in schedule order; `None` when an
    /// amount is beyond ±9.2 × 10^16 yuan (`i64` fen), which no validated amount is.
    pub fn fen_amounts(&self) -> Option<std::borrow::Cow<'_, [(i64, i64)]>> {
        if self.fen.len() == self.instalments.len() {
            Some(std::borrow::Cow::Borrowed(&self.fen))
        } else {
            // `instalments` was changed after construction (or did not fit): convert it now.
            try_fen_schedule(&self.instalments).map(std::borrow::Cow::Owned)
        }
    }

    /// Outstanding principal at cutoff: the sum of the instalments' principal parts.
    pub fn balance(&self) -> Decimal {
        self.instalments.iter().map(|i| i.principal).sum()
    }
}

/// A contractual amount due on an unadjusted date. For licence fees and receivables given as a
/// single amount, the whole amount is principal and the interest part is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// Due date, as the contract states it (unadjusted).
    pub date: NaiveDate,
    /// Principal part, yuan (whole fen).
    pub principal: Decimal,
    /// Interest part, yuan (whole fen); zero for an instalment given as one `amount`.
    pub interest: Decimal,
}

/// (principal, interest) of each instalment in fen; empty when one does not fit `i64`
/// ([`Asset::fen_amounts`] then reports it).
fn fen_schedule(instalments: &[Instalment]) -> Vec<(i64, i64)> {
    try_fen_schedule(instalments).unwrap_or_default()
}

fn try_fen_schedule(instalments: &[Instalment]) -> Option<Vec<(i64, i64)>> {
    let f = |x: Decimal| i64::try_from(to_fen(x)).ok();
    // Exactly one place per instalment (collecting into an `Option<Vec>` loses the length
    // and doubles: 64 places for a 36-month loan).
    let mut out = Vec::with_capacity(instalments.len());
    for i in instalments {
        out.push((f(i.principal)?, f(i.interest)?));
    }
    Some(out)
}

impl Instalment {
    /// Principal plus interest: what the obligor owes on `date`.
    pub fn amount(&self) -> Decimal {
        self.principal + self.interest
    }
}

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
    /// A multiple of the next payment date's senior interest plus fees, projected on the balances
    /// after the current payment date.
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
}

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
    /// drawn and not yet been repaid (返还差额支付款; `engine::repayment`).
    RepaySupport(Vec<usize>),
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

/// What a trigger stands for (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TriggerKind {
    /// 加速清偿事件.
    Acceleration,
    /// 违约事件; takes precedence over an acceleration event.
    EventOfDefault,
}

impl TriggerKind {
    /// The TOML spelling: `acceleration` or `event_of_default`.
    pub fn name(self) -> &'static str {
        match self {
            TriggerKind::Acceleration => "acceleration",
            TriggerKind::EventOfDefault => "event_of_default",
        }
    }
}

/// What trips a trigger (`condition`, with its `threshold`, `support` or `event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerCondition {
    /// Cumulative defaults / initial pool balance > x (tested before the waterfall).
    CumulativeDefaultRatioAbove(Decimal),
    /// Senior interest due was not paid in full on a payment date (tested after the waterfall;
    /// it switches the waterfall from the next payment date).
    SeniorInterestShortfall,
    /// The senior coverage multiple of the payment date is below x (tested before the waterfall).
    CoverageBelow(Decimal),
    /// Senior principal is outstanding after a payment date on or after legal maturity (tested
    /// after the waterfall).
    SeniorOutstandingAfterLegalMaturity,
    /// The most senior class outstanding before the payment date (senior; mezzanine once every
    /// senior tranche is repaid) was not paid its interest due in full (tested after the
    /// waterfall): 未能足额支付当时最高级别优先级证券的预期收益.
    TopClassInterestShortfall,
    /// A support provider (this one, by index into `Deal::supports`, or any) has failed: a
    /// scenario's `support_failures` date (or its `fails_with` obligor's default) on or before
    /// the payment date (tested before the waterfall; since session 28). A support the
    /// scenario switches off (`supports_off`) is absent, not failed, and trips nothing.
    /// 差额支付承诺人、担保人违约.
    SupportFailed(Option<usize>),
    /// An event the scenario dates (`events`), by index into `Deal::events`, has happened on or
    /// before the payment date (tested before the waterfall; since session 30): 评级下调, 原始
    /// 权益人丧失清偿能力 and the other 加速清偿事件 the model does not derive.
    Event(usize),
    /// The pool's performing balance at the collection period's end over the senior balance
    /// before the payment date is below x (超额抵押, an over-collateralisation test; tested
    /// before the waterfall; since session 31). Never with no senior balance.
    PoolToSeniorBelow(Decimal),
}

impl TriggerCondition {
    /// The TOML spelling of the condition, e.g. `coverage_below`.
    pub fn name(&self) -> &'static str {
        match self {
            TriggerCondition::CumulativeDefaultRatioAbove(_) => "cumulative_default_ratio_above",
            TriggerCondition::SeniorInterestShortfall => "senior_interest_shortfall",
            TriggerCondition::TopClassInterestShortfall => "top_class_interest_shortfall",
            TriggerCondition::CoverageBelow(_) => "coverage_below",
            TriggerCondition::SeniorOutstandingAfterLegalMaturity => {
                "senior_outstanding_after_legal_maturity"
            }
            TriggerCondition::SupportFailed(_) => "support_failed",
            TriggerCondition::Event(_) => "event",
            TriggerCondition::PoolToSeniorBelow(_) => "pool_to_senior_below",
        }
    }
}

/// A trigger (`[[triggers]]`): an event that switches the waterfall once its
/// condition holds.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// The trigger's name, unique among triggers.
    pub name: String,
    /// 加速清偿事件 or 违约事件.
    pub kind: TriggerKind,
    /// What trips it.
    pub condition: TriggerCondition,
    /// Index of the waterfall it switches to.
    pub waterfall: usize,
    /// A curable trigger is re-tested every period and can switch back; others stay tripped.
    pub curable: bool,
}

impl Deal {
    /// The index of the deal's asset guarantee (`kind = "asset_guarantee"`), if it has one
    /// (at most one: validated).
    pub fn asset_guarantee(&self) -> Option<usize> {
        self.supports
            .iter()
            .position(|s| s.kind == SupportKind::AssetGuarantee)
    }

    /// Whether a tranche coupon or a loan rate follows an index (the standard stress suite
    /// then adds index shifts).
    pub fn has_floating_rates(&self) -> bool {
        self.tranches.iter().any(|t| t.floating.is_some())
            || self
                .obligors
                .iter()
                .flat_map(|o| &o.assets)
                .any(|a| a.floating.is_some())
    }

    /// The names of the indices the deal's floating rates read (tranches' coupons and loans'
    /// rates), sorted.
    pub fn index_names(&self) -> Vec<&str> {
        let tranches = self.tranches.iter().filter_map(|t| t.floating.as_ref());
        let loans = self
            .obligors
            .iter()
            .flat_map(|o| &o.assets)
            .filter_map(|a| a.floating.as_ref().map(|f| &f.rate));
        let mut names: Vec<&str> = tranches.chain(loans).map(|f| f.index.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Tranche `t`'s coupon on the first payment date: its fixed `coupon`, or its floating
    /// rate fixed on the closing date under the deal's own `[scenario]` (0 if that gives no
    /// path, which validation refuses).
    pub fn initial_coupon(&self, t: &Tranche) -> Decimal {
        let Some(f) = &t.floating else {
            return t.coupon;
        };
        let view = crate::floating::IndexView {
            history: &self.scenario.indices,
            scenario: &self.scenario.indices,
            history_end: self.closing_date,
        };
        let start = self
            .periods
            .first()
            .map_or(self.closing_date, |p| p.accrual_start);
        f.rate_on(f.fixing_date(self.closing_date, start), &view)
            .unwrap_or(Decimal::ZERO)
    }

    /// Sum of the tranches' initial balances.
    pub fn issue_size(&self) -> Decimal {
        self.tranches.iter().map(|t| t.balance).sum()
    }

    /// Performing pool balance at cutoff.
    pub fn pool_balance(&self) -> Decimal {
        self.obligors
            .iter()
            .flat_map(|o| o.assets.iter())
            .map(Asset::balance)
            .sum()
    }

    /// The pool's credits (关联方合并): the obligors that share a `group` tag
    /// ([`Obligor::group`]) as one credit, every other obligor alone. Each credit lists its
    /// obligors in file order; the credits come in the file order of their first obligors, so
    /// a pool without groups is one credit per obligor, in file order.
    pub fn credit_groups(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::with_capacity(self.obligors.len());
        let mut at: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, o) in self.obligors.iter().enumerate() {
            match o.group().and_then(|g| at.get(g).map(|&k| (g, k))) {
                Some((_, k)) => out[k].push(i),
                None => {
                    if let Some(g) = o.group() {
                        at.insert(g, out.len());
                    }
                    out.push(vec![i]);
                }
            }
        }
        out
    }

    /// [`Deal::credit_groups`] by cutoff balance (the sum of their obligors'), largest first;
    /// equal balances in the order of their first obligors' names. Without groups: the
    /// obligors by balance, one to a credit.
    pub fn credit_groups_by_balance(&self) -> Vec<Vec<usize>> {
        let groups = self.credit_groups();
        self.rank_by_balance(&groups)
            .into_iter()
            .map(|k| groups[k].clone())
            .collect()
    }

    /// The indices of `groups` (sets of this deal's obligors, as [`Deal::credit_groups`]) by
    /// cutoff balance, largest first; equal balances in the order of their first obligors'
    /// names.
    pub fn rank_by_balance(&self, groups: &[Vec<usize>]) -> Vec<usize> {
        let balances: Vec<Decimal> = groups
            .iter()
            .map(|g| g.iter().map(|&o| self.obligors[o].balance()).sum())
            .collect();
        let name = |k: usize| &self.obligors[groups[k][0]].name;
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|&a, &b| {
            balances[b]
                .cmp(&balances[a])
                .then_with(|| name(a).cmp(name(b)))
        });
        order
    }

    /// The index of the tranche named `name`, if there is one.
    pub fn tranche_index(&self, name: &str) -> Option<usize> {
        self.tranches.iter().position(|t| t.name == name)
    }

    /// The index of the obligor named `name`, if there is one.
    pub fn obligor_index(&self, name: &str) -> Option<usize> {
        self.obligors.iter().position(|o| o.name == name)
    }

    /// The index of the support named `name`, if there is one.
    pub fn support_index(&self, name: &str) -> Option<usize> {
        self.supports.iter().position(|s| s.name == name)
    }

    /// The date of the pool's last instalment; None when no asset has one.
    pub fn last_due(&self) -> Option<NaiveDate> {
        self.obligors.iter().filter_map(Obligor::last_due).max()
    }

    /// The last payment date.
    pub fn final_payment_date(&self) -> Option<NaiveDate> {
        self.periods.last().map(PeriodDates::date)
    }
}

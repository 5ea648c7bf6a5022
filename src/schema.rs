//! Raw deal and scenario files: serde types that mirror the TOML one to one.
//!
//! Every struct denies unknown keys, so a typo is an error. Keys whose presence depends on
//! another key (an asset's `kind`, a step's `action`, …) are optional here and checked in
//! [`crate::validate`], which turns these types into [`crate::deal::Deal`] and
//! [`crate::scenario::Scenario`]. The file format is documented in `docs/deal-format.md`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use crate::calendar::parse_iso_date;

/// A date written as a native TOML date (`2024-03-31`) or a string (`"2024-03-31"`).
/// A date-time (with a time or an offset) is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// The `expected` text of every date error.
pub const DATE_EXPECTED: &str = "a date like 2024-03-31";

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DATE_EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        parse_iso_date(v).map(Date).ok_or_else(|| {
            E::custom(format_args!(
                "`{v}` is not a date, expected {DATE_EXPECTED}"
            ))
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Date, A::Error> {
        let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let invalid = || {
            de::Error::custom(format_args!(
                "the date-time `{dt}` has a time or an offset, expected {DATE_EXPECTED}"
            ))
        };
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .map(Date)
                    .ok_or_else(invalid)
            }
            _ => Err(invalid()),
        }
    }
}

/// In the JSON Schema (`ipabs schema`), a date is a string in ISO form: taplo and other
/// editors present TOML's native dates to a schema as such strings.
impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A date like 2024-03-31 (a native TOML date or a string); no time, no offset."
        })
    }
}

/// A deal file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealFile {
    /// `[deal]`: name, dates, schedule and conventions.
    pub deal: DealSection,
    /// `[[obligors]]`: the pool, by obligor.
    #[serde(default)]
    pub obligors: Vec<Obligor>,
    /// `[[tranches]]`: the securities, senior first.
    #[serde(default)]
    pub tranches: Vec<Tranche>,
    /// `[[fees]]`: fees paid by the waterfall.
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// `[[taxes]]`: taxes paid by the waterfall (e.g. VAT on interest).
    #[serde(default)]
    pub taxes: Vec<Tax>,
    /// `[reserve]`: the reserve account.
    pub reserve: Option<Reserve>,
    /// `[[supports]]`: credit support (差额支付承诺, guarantees).
    #[serde(default)]
    pub supports: Vec<Support>,
    /// Named step lists; `normal` is required (checked in validation). The map is sorted by
    /// name; validation restores file order from the spans.
    pub waterfalls: Option<BTreeMap<String, Vec<Step>>>,
    /// `[[triggers]]`: acceleration and default events that switch the waterfall.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// `[scenario]`: the deal's own scenario (defaults, CDR, recoveries, delays, CPR); without it the base case.
    pub scenario: Option<Scenario>,
    /// `[notices]`: payment notices per 100 yuan of face.
    pub notices: Option<Notices>,
}

/// `[notices]`: payment notices per 100 yuan of face.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    /// The face of one unit (份), yuan; default 100.
    pub face: Option<Decimal>,
    /// Decimal places of the per-100-yuan figures, 0..=8; default 4.
    pub decimals: Option<i64>,
    /// `truncate` (default) or `half_up`: how the per-100 figures are rounded.
    pub rounding: Option<String>,
    /// The CSDC fee rate on interest plus principal paid; default 0.00005.
    pub csdc_fee_rate: Option<Decimal>,
    /// `true`: the waterfall pays the per-unit amounts; the residual (尾差) stays in the collection account.
    pub per_unit: Option<bool>,
}

/// `[deal]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealSection {
    /// The deal's name (non-empty).
    pub name: String,
    /// Only `CNY` is supported (the default).
    pub currency: Option<String>,
    /// Pool cutoff (封包日): instalments due on or before it stay with the originator.
    pub cutoff_date: Date,
    /// Closing date, on or after the cutoff; interest on the securities starts here.
    pub closing_date: Date,
    /// First payment date, with `frequency`; required unless `payment_dates` is given.
    pub first_payment_date: Option<Date>,
    /// `monthly`, `quarterly`, `semiannual` or `annual`; with `first_payment_date`.
    pub frequency: Option<String>,
    /// Every payment date, instead of `first_payment_date` + `frequency`; strictly increasing.
    pub payment_dates: Option<Vec<Date>>,
    /// Legal maturity, after the closing date.
    pub legal_maturity: Date,
    /// `ACT/365F` (default), `ACT/360`, `30/360` or `ACT/ACT`.
    pub day_count: Option<String>,
    /// `unadjusted`, `following` (default), `modified_following` or `preceding`.
    pub business_day: Option<String>,
    /// `CN` (mainland China holidays, the default) or `weekends`.
    pub calendar: Option<String>,
    /// Deal-specific non-business days.
    #[serde(default)]
    pub extra_holidays: Vec<Date>,
    /// Deal-specific business days (e.g. a working Saturday).
    #[serde(default)]
    pub extra_working_days: Vec<Date>,
    /// Calendar days from a collection period's end to the payment date, 0..=366; default 0.
    pub collection_lag_days: Option<i64>,
    /// Business days from a collection period's end to the payment date, 0..=250.
    pub collection_lag_business_days: Option<i64>,
    /// `half_up` (default) or `truncate`: how every amount is rounded to the fen, once.
    pub rounding: Option<String>,
    /// `list_order` (default), `largest_remainder` or `half_up_last_takes_rest`: how pro-rata shares are rounded to the fen.
    pub pro_rata_rounding: Option<String>,
    /// Names of warnings this deal silences (docs/errors.md).
    #[serde(default)]
    pub allow: Vec<String>,
}

/// `[[obligors]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Obligor {
    /// The obligor's name, unique among obligors.
    pub name: String,
    /// Free labels (industry, region, rating, pd, …); `ipabs rate` reads `rating` or `pd`, `region` and `industry`.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `[[obligors.assets]]`: the obligor's receivables.
    #[serde(default)]
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Licence,
    Loan,
    Lease,
    Receivable,
}

/// `[[obligors.assets]]`: the union of every kind's keys; which ones a kind takes is checked
/// in validation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// `licence`, `loan`, `lease` or `receivable`.
    pub kind: AssetKind,
    /// Explicit instalments: required for a licence; the explicit form of a loan or lease.
    pub schedule: Option<Vec<ScheduleEntry>>,
    /// Loan or lease balance (generated schedule), yuan.
    pub balance: Option<Decimal>,
    /// Annual rate of a generated loan or lease schedule, 0 ≤ rate < 1.
    pub rate: Option<Decimal>,
    /// Disbursement or lease start, on or before the cutoff.
    pub start_date: Option<Date>,
    /// First instalment date of a generated schedule; default start + one period.
    pub first_payment_date: Option<Date>,
    /// Number of instalments of a generated schedule, 1..=600.
    pub term: Option<i64>,
    /// `monthly`, `quarterly`, `semiannual` or `annual`.
    pub frequency: Option<String>,
    /// `level` (等额本息), `equal_principal` (等额本金), `interest_only` (先息后本) or `bullet`.
    pub repayment: Option<String>,
    /// `periodic` (default: rate ÷ payments per year) or `day_count`.
    pub accrual: Option<Accrual>,
    /// Whether a scenario's CPR applies (loan, lease); default true.
    pub prepayable: Option<bool>,
    /// Amount of a receivable, yuan.
    pub amount: Option<Decimal>,
    /// Due date of a receivable.
    pub due_date: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    Periodic,
    DayCount,
}

/// One entry of an explicit schedule: `{date, amount}` or `{date, principal, interest}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// Instalment date; strictly increasing within the schedule.
    pub date: Date,
    /// Licence fee instalment, all principal; not with `principal`/`interest`.
    pub amount: Option<Decimal>,
    /// Principal of the instalment, with `interest`.
    pub principal: Option<Decimal>,
    /// Interest of the instalment, with `principal`.
    pub interest: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrancheClass {
    Senior,
    Mezzanine,
    Subordinated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Amortization {
    PassThrough,
    Scheduled,
    Bullet,
}

/// `[[tranches]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    /// The tranche's name, unique among tranches.
    pub name: String,
    /// `senior`, `mezzanine` or `subordinated`.
    pub class: TrancheClass,
    /// Initial balance, yuan.
    pub balance: Decimal,
    /// Annual coupon, 0 ≤ coupon < 1; for a subordinated tranche the cap of its periodic return.
    pub coupon: Option<Decimal>,
    /// `pass_through` (default), `scheduled` or `bullet`.
    pub amortization: Option<Amortization>,
    /// Expected maturity; default the last payment date.
    pub expected_maturity: Option<Date>,
    /// Scheduled balances `{ date, balance }`, with `amortization = "scheduled"`.
    pub target_balances: Option<Vec<TargetBalance>>,
    /// Rating label, e.g. `AAA`.
    pub rating: Option<String>,
    /// Unpaid interest itself accrues at the coupon; default false.
    pub interest_on_shortfall: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBalance {
    /// Payment date of the target.
    pub date: Date,
    /// Target balance after that date, yuan.
    pub balance: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    Fixed,
    AnnualRate,
    OneOff,
}

/// `[[fees]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// The fee's name, unique among fees.
    pub name: String,
    /// `fixed`, `annual_rate` or `one_off`.
    pub kind: FeeKind,
    /// Amount of a `fixed` or `one_off` fee, yuan.
    pub amount: Option<Decimal>,
    /// Annual rate of an `annual_rate` fee.
    pub rate: Option<Decimal>,
    /// Base of an `annual_rate` fee (docs/deal-format.md, Bases).
    pub base: Option<String>,
    /// Date of a `one_off` fee; default the first payment date.
    pub date: Option<Date>,
    /// Cap per payment date, yuan.
    pub cap_per_period: Option<Decimal>,
    /// Cap over the deal's life, yuan.
    pub cap_total: Option<Decimal>,
}

/// `[[taxes]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// The tax's name, unique among taxes.
    pub name: String,
    /// Rate per period (not annualised), 0 < rate < 1.
    pub rate: Decimal,
    /// Base of the tax (docs/deal-format.md, Bases).
    pub base: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cover {
    Taxes,
    Fees,
    SeniorInterest,
    SeniorPrincipal,
    MezzanineInterest,
    MezzaninePrincipal,
}

/// `[reserve]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    /// Fixed target balance, yuan.
    pub target: Option<Decimal>,
    /// Target as a multiple of the next payment date's senior interest plus fees.
    pub target_multiple: Option<Decimal>,
    /// Deposit at closing, yuan; default 0.
    pub initial: Option<Decimal>,
    /// What the reserve pays: `taxes`, `fees`, `senior_interest`, `senior_principal`, `mezzanine_interest`, `mezzanine_principal`.
    pub covers: Option<Vec<Cover>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    ShortfallUndertaking,
    Guarantee,
}

/// `[[supports]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// The support's name, unique among supports.
    pub name: String,
    /// Who provides it.
    pub provider: String,
    /// `shortfall_undertaking` (差额支付承诺) or `guarantee` (保证担保).
    pub kind: SupportKind,
    /// What it pays for; the same items as the reserve's `covers`.
    pub covers: Vec<Cover>,
    /// Cap per payment date, yuan.
    pub cap_per_period: Option<Decimal>,
    /// Cap over the deal's life, yuan.
    pub cap_total: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    PayTax,
    PayFee,
    PayInterest,
    PayPrincipal,
    TopUpReserve,
    PaySubReturn,
    PayResidual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalOrder {
    Sequential,
    ProRata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalAmount {
    Scheduled,
    Available,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepCondition {
    SeniorPaidOff,
    FinalPeriod,
}

/// One waterfall step: the union of every action's keys; which ones an action takes is
/// checked in validation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `pay_tax`, `pay_fee`, `pay_interest`, `pay_principal`, `top_up_reserve`, `pay_sub_return` or `pay_residual`.
    pub action: Action,
    /// Taxes paid by `pay_tax`.
    pub taxes: Option<Vec<String>>,
    /// Fees paid by `pay_fee`.
    pub fees: Option<Vec<String>>,
    /// Tranches paid by `pay_interest` or `pay_principal`.
    pub tranches: Option<Vec<String>>,
    /// The tranche of `pay_sub_return` or `pay_residual`.
    pub tranche: Option<String>,
    /// `sequential` (default) or `pro_rata`, for `pay_principal`.
    pub order: Option<PrincipalOrder>,
    /// `scheduled` (default) or `available`, for `pay_principal`.
    pub amount: Option<PrincipalAmount>,
    /// `senior_paid_off` or `final_period`; without it the step always runs.
    pub when: Option<StepCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Acceleration,
    EventOfDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerCondition {
    CumulativeDefaultRatioAbove,
    SeniorInterestShortfall,
    CoverageBelow,
    SeniorOutstandingAfterLegalMaturity,
}

/// `[[triggers]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The trigger's name, unique among triggers.
    pub name: String,
    /// `acceleration` (加速清偿事件) or `event_of_default` (违约事件).
    pub kind: TriggerKind,
    /// `cumulative_default_ratio_above`, `senior_interest_shortfall`, `coverage_below` or `senior_outstanding_after_legal_maturity`.
    pub condition: TriggerCondition,
    /// Threshold of `cumulative_default_ratio_above` (a ratio) or `coverage_below` (a multiple).
    pub threshold: Option<Decimal>,
    /// The waterfall (in `[waterfalls]`) that runs once the trigger is hit.
    pub waterfall: String,
    /// Re-tested every period and can switch back; default false.
    pub curable: Option<bool>,
}

/// `[scenario]` in a deal file, or one `[[scenarios]]` entry of a scenario file (where
/// `name` is required; checked in validation).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name; required and unique in a scenario file.
    pub name: Option<String>,
    /// Named obligor defaults `{ obligor, date }`.
    #[serde(default)]
    pub defaults: Vec<ObligorDefault>,
    /// Annual constant default rate, 0 ≤ x < 1.
    pub cdr: Option<Decimal>,
    /// Cumulative default rate over the deal, 0 ≤ x ≤ 1.
    pub default_rate: Option<Decimal>,
    /// Share of `default_rate` in each collection period, period 1 first.
    pub default_timing: Option<Vec<Decimal>>,
    /// Recovery rate on defaults, 0 ≤ x ≤ 1.
    pub recovery_rate: Option<Decimal>,
    /// Months from default to recovery, 0..=120.
    pub recovery_lag_months: Option<i64>,
    /// `{ fraction, months }`: this fraction of each collection arrives months late.
    pub delay: Option<Delay>,
    /// Annual constant prepayment rate, 0 ≤ x < 1.
    pub cpr: Option<Decimal>,
    /// Supports that fail to pay.
    #[serde(default)]
    pub supports_off: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligorDefault {
    /// The obligor that defaults.
    pub obligor: String,
    /// It pays nothing due on or after this date.
    pub date: Date,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    /// Fraction of each collection that arrives late, 0 ≤ x ≤ 1.
    pub fraction: Decimal,
    /// How many months late, 0..=120.
    pub months: i64,
}

/// A scenario file (`--scenario FILE`): listed scenarios, a grid, the rating table and pricing
/// (docs/scenarios.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[[scenarios]]`: scenarios written out, each with a unique `name`.
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    /// `[grid]`: value lists whose Cartesian product gives more scenarios.
    pub grid: Option<Grid>,
    /// `[rating]`: the base default rate and the pressure-multiplier table.
    pub rating: Option<Rating>,
    /// `[pricing]`: quotes, settlement date and discount curve.
    pub pricing: Option<Pricing>,
    /// `[rating_model]`: the Monte Carlo default model of `ipabs rate` and `ipabs size`.
    pub rating_model: Option<RatingModel>,
}

/// `[rating_model]`: the Monte Carlo default model of `ipabs rate` and `ipabs size`
/// (docs/rating.md). Probabilities are floats: statistics, not money.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingModel {
    /// Rating label → cumulative PD over 1, 2, …, 10 years; replaces the whole table, highest
    /// rating first in file order.
    pub pd: Option<BTreeMap<String, Vec<f64>>>,
    /// Asset correlations by shared region and industry.
    pub correlation: Option<CorrelationTable>,
    /// Apply the largest-obligor test (大额测试).
    pub large_obligor_test: Option<bool>,
    /// Loss rate of the largest-obligor test.
    pub large_obligor_loss: Option<f64>,
    /// Apply the single-obligor default multiplier.
    pub single_obligor_multiplier: Option<bool>,
    /// Originator type factor s of the default multipliers.
    pub originator_factor: Option<f64>,
}

/// `[rating_model.correlation]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationTable {
    /// Correlation of two obligors in the same region and industry.
    pub same_region_and_industry: Option<f64>,
    /// Correlation of two obligors in the same region only.
    pub same_region: Option<f64>,
    /// Correlation of two obligors in the same industry only.
    pub same_industry: Option<f64>,
    /// Correlation of two obligors sharing neither.
    pub neither: Option<f64>,
}

/// `[grid]`: value lists whose Cartesian product is a list of scenarios.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Prefix of the points' names.
    pub name: Option<String>,
    /// A listed scenario the points inherit their other fields from.
    pub base: Option<String>,
    /// Dimension: annual constant default rates.
    pub cdr: Option<Vec<Decimal>>,
    /// Dimension: cumulative default rates.
    pub default_rate: Option<Vec<Decimal>>,
    /// Dimension: recovery rates.
    pub recovery_rate: Option<Vec<Decimal>>,
    /// Dimension: recovery lags, months.
    pub recovery_lag_months: Option<Vec<i64>>,
    /// Dimension: delays `{ fraction, months }`.
    pub delay: Option<Vec<Delay>>,
    /// Dimension: annual prepayment rates.
    pub cpr: Option<Vec<Decimal>>,
    /// Dimension: sets of obligors that default.
    pub defaulted_obligors: Option<Vec<Vec<String>>>,
    /// The date every `defaulted_obligors` set defaults.
    pub default_date: Option<Date>,
    /// Dimension: sets of supports that fail to pay.
    pub supports_off: Option<Vec<Vec<String>>>,
}

/// `[rating]`: the pressure-multiplier table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// The pool's expected cumulative default rate, 0 ≤ x ≤ 1.
    pub base_default_rate: Decimal,
    /// Rating label → multiplier. Sorted by label here; validation restores file order.
    pub multipliers: Option<BTreeMap<String, Decimal>>,
}

/// `[pricing]`: quotes and the discount curve. Floats: these are statistics, not money.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// Settlement date of the quotes; default the closing date.
    pub settlement_date: Option<Date>,
    /// Tranche → price per 100 of initial balance.
    pub prices: Option<BTreeMap<String, f64>>,
    /// Tranche → annual yield.
    pub yields: Option<BTreeMap<String, f64>>,
    /// Flat annually compounded discount rate; not with `zero_curve`.
    pub discount_rate: Option<f64>,
    /// Zero curve points `{ years, rate }`; not with `discount_rate`.
    pub zero_curve: Option<Vec<CurvePoint>>,
}

/// One `zero_curve` point.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Time in years, ≥ 0, strictly increasing.
    pub years: f64,
    /// Zero rate at that time.
    pub rate: f64,
}

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

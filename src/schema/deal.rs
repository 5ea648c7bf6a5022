//! A deal file (docs/deal-format.md).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::*;

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
    /// Named cash accounts (收入分账户, 本金分账户) and the pool sources each collects; sources
    /// no account collects go to the collection account (docs/deal-format.md, "Accounts").
    #[serde(default)]
    pub accounts: Vec<CashAccount>,
    /// The principal deficiency ledger (本金亏损账, PDL).
    pub pdl: Option<Pdl>,
    /// The clean-up call (清仓回购).
    pub clean_up_call: Option<CleanUpCall>,
    /// `[revolving]`: the revolving purchase period (循环购买), docs/deal-format.md.
    pub revolving: Option<Revolving>,
}

/// `[[accounts]]`: a named cash account of the trust and the pool sources it collects.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CashAccount {
    /// The account's name, e.g. `income` (收入分账户) or `principal` (本金分账户); steps name it
    /// in `from` and `to`. `collection` is reserved for the collection account.
    pub name: String,
    /// The pool sources deposited into this account; each source at most once across accounts.
    #[serde(default)]
    pub collects: Vec<CashSource>,
}

/// A kind of pool cash that collection rules route to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CashSource {
    /// The interest part of collections (a schedule entry's `interest`, a loan's or lease's).
    Interest,
    /// The scheduled principal part of collections (including delayed arrivals).
    Principal,
    /// Prepaid principal.
    Prepayments,
    /// Recoveries on defaulted assets.
    Recoveries,
}

/// `[pdl]`: the principal deficiency ledger (本金亏损账). It records the pool's defaulted
/// principal and the principal a `transfer` step with `covers` moves to pay income items; a
/// `transfer` step with `up_to = "pdl"` clears it. It holds no cash.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pdl {
    /// Whether each collection period's defaulted principal is debited to the ledger
    /// (default true).
    pub defaults: Option<bool>,
}

/// `[clean_up_call]`: the originator's right to repurchase the remaining pool (清仓回购).
/// Exercisable on the first payment date on which any of its conditions holds.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanUpCall {
    /// Exercisable once the performing pool balance at the end of a collection period is below
    /// this fraction of the balance at cutoff (e.g. 0.10 for 10%).
    pub pool_factor_below: Option<Decimal>,
    /// Exercisable on any payment date on or after this date.
    pub on_or_after: Option<Date>,
    /// The repurchase price as a fraction of the performing balance (default 1: par).
    pub price_share: Option<Decimal>,
    /// Add the interest accrued on the performing pool at the end of the call's collection
    /// period (未偿本金余额 + 应计利息; docs/deal-format.md). Default false.
    pub accrued_interest: Option<bool>,
    /// Exercised only on a date when the price and the cash in the trust's accounts (collection,
    /// named accounts, reserve) pay the date's taxes and fees and every senior and mezzanine
    /// tranche's interest and principal in full (回购价款足以兑付优先级). Default true; false
    /// exercises whenever it is exercisable.
    pub repays_senior: Option<bool>,
    /// The waterfall that runs on the call date instead of the triggers' choice, e.g.
    /// `clean_up`.
    pub waterfall: String,
}

/// `[revolving]`: until `end_date` (or an end trigger), `buy_assets` waterfall steps spend
/// cash on new assets made from the `asset` template.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revolving {
    /// The last payment date on which assets may be bought (inclusive).
    pub end_date: Date,
    /// Triggers (by name) whose tripping ends the revolving period for good; default every
    /// trigger of the deal.
    pub end_triggers: Option<Vec<String>>,
    /// The waterfall run while the revolving period is live and no trigger has tripped;
    /// default `normal`.
    pub waterfall: Option<String>,
    /// Cash paid per yuan of balance bought, as a fraction of par (0.98 = 98%); default 1.
    pub price: Option<Decimal>,
    /// Name of the synthetic obligors the purchases create (`NAME@DATE`); default
    /// `revolving`. The name of an obligor of the file makes the purchases its receivables:
    /// its named default and the `overrides` naming it reach them.
    pub obligor: Option<String>,
    /// Tags of the purchased assets' obligors: scenario `overrides` by tag apply to them;
    /// default the tags of the obligor `obligor` names, if any.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The eligibility template every purchased asset follows.
    pub asset: RevolvingAsset,
}

/// `[revolving.asset]`: a loan or lease generated on the purchase date with the balance
/// bought (docs/amortization.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevolvingAsset {
    /// `loan` or `lease`.
    #[schemars(with = "RevolvingKind")]
    pub kind: AssetKind,
    /// Annual rate, a fraction below 1.
    pub rate: Decimal,
    /// Number of instalments, 1..=600.
    pub term: i64,
    /// `monthly`, `quarterly`, `semiannual` or `annual`.
    pub frequency: String,
    /// `level`, `equal_principal`, `interest_only`, `bullet` or `step_up` (with `growth`);
    /// default `level`.
    pub repayment: Option<String>,
    /// Annual growth of a `step_up` instalment, a fraction 0 ≤ g < 1.
    pub growth: Option<Decimal>,
    /// `periodic` (default) or `day_count`.
    pub accrual: Option<Accrual>,
    /// With `accrual = "day_count"`: the assets' own day count (`ACT/360` for most Chinese
    /// loans); default the deal's `day_count`.
    pub day_count: Option<String>,
    /// Whether a scenario's CPR applies; default true.
    pub prepayable: Option<bool>,
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
    /// `true`: the waterfall pays the per-unit amounts; the residual (尾差) goes back to the
    /// paying account, carried, and is forgone on a tranche's last date.
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
    /// `ACT/365F` (default), `ACT/360`, `30/360`, `ACT/ACT` or `NL/365`.
    pub day_count: Option<String>,
    /// `unadjusted`, `following` (default), `modified_following` or `preceding`.
    pub business_day: Option<String>,
    /// `CN` (mainland China holidays, the default) or `weekends`.
    pub calendar: Option<String>,
    /// `business` (default) or `trading`: whether payment dates are adjusted on the
    /// calendar's business days or on its exchange trading days.
    pub payment_days: Option<String>,
    /// `adjusted` (default) or `unadjusted`: whether interest accrues between the payment
    /// dates as paid or as scheduled (顺延期间不另计利息).
    pub accrual_dates: Option<String>,
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
    /// `previous_month_end`: each collection period ends on the last day of the month before
    /// its scheduled payment date's month (计算日 at a month or quarter end); not with a lag.
    pub collection_end: Option<String>,
    /// Each collection period's last day (计算日), one per payment date in order, when the
    /// offering circular lists them; not with `collection_end` or a collection lag.
    pub collection_ends: Option<Vec<Date>>,
    /// `half_up` (default) or `truncate`: how every amount is rounded to the fen, once.
    pub rounding: Option<String>,
    /// 合格投资: the annual rate the trust's cash (collection, named accounts, reserve) earns
    /// between payment dates, a fraction (0.015 for 1.5%); default 0.
    pub reinvestment_rate: Option<Decimal>,
    /// `list_order` (default), `largest_remainder` or `half_up_last_takes_rest`: how pro-rata shares are rounded to the fen.
    pub pro_rata_rounding: Option<String>,
    /// `true`: the plan ends (专项计划终止) on the payment date that repays every tranche in
    /// full; later payment dates are not run. Default `false`: every date to the last runs.
    pub end_when_repaid: Option<bool>,
    /// The issue size of the term sheet (发行规模), yuan: checked against the sum of the
    /// tranches' balances, exactly.
    pub issue_size: Option<Decimal>,
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

/// The kinds a revolving purchase can be, for the JSON Schema of `[revolving.asset] kind`
/// (editors offer these two; validation explains why a `licence` or `receivable` is refused).
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum RevolvingKind {
    Loan,
    Lease,
}

/// An asset's `kind`: the four shapes of IP-derived claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
// Undocumented variants keep the schema's plain `enum` list of the four kinds (tests/schema.rs).
#[allow(missing_docs)]
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
    /// The instalments: an array of typed entries, or (licences) a generator table
    /// `{ first, frequency, periods, amount, growth }` (docs/deal-format.md).
    pub schedule: Option<ScheduleSpec>,
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
    /// `level` (等额本息), `equal_principal` (等额本金), `interest_only` (先息后本), `bullet` or
    /// `step_up` (递增租金, with `growth`).
    pub repayment: Option<String>,
    /// Annual growth of a `step_up` instalment, a fraction 0 ≤ g < 1 (0.05 = 5% a year),
    /// compounded on each anniversary of the first payment date.
    pub growth: Option<Decimal>,
    /// `periodic` (default: rate ÷ payments per year) or `day_count`.
    pub accrual: Option<Accrual>,
    /// With `accrual = "day_count"`: the asset's own day count (`ACT/360`, 日利率 = 年利率 /
    /// 360, for most Chinese loan contracts); default the deal's `day_count`.
    pub day_count: Option<String>,
    /// Whether a scenario's CPR applies (loan, lease); default true.
    pub prepayable: Option<bool>,
    /// Amount of a receivable, yuan.
    pub amount: Option<Decimal>,
    /// Due date of a receivable.
    pub due_date: Option<Date>,
    /// A floating loan rate (replaces `rate`): re-fixed on the reset dates, after which the
    /// loan re-amortizes on its remaining balance and term (docs/deal-format.md).
    pub floating: Option<Floating>,
}

/// How a generated loan or lease accrues interest (`accrual`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    /// The annual rate ÷ payments per year (the default).
    Periodic,
    /// Balance × annual rate × the period's year fraction by the asset's `day_count` (or the
    /// deal's).
    DayCount,
}

/// An asset's `schedule`: typed entries (`[{ date, amount }, …]`) or a generator table
/// (`{ first = 2025-03-31, frequency = "quarterly", periods = 12, amount = 1250000 }`).
#[derive(Debug)]
pub enum ScheduleSpec {
    /// An array of typed entries.
    Entries(Vec<ScheduleEntry>),
    /// A table that generates level or growing instalments.
    Generated(ScheduleGenerator),
}

/// In the JSON Schema: an array of entries or a generator table (deserialized by hand).
impl JsonSchema for ScheduleSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ScheduleSpec".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let entries = generator.subschema_for::<Vec<ScheduleEntry>>();
        let table = generator.subschema_for::<ScheduleGenerator>();
        schemars::json_schema!({
            "description": "The instalments: an array of { date, amount } (or { date, principal, interest }) entries, or (licences) a generator table { first, frequency, periods, amount, growth }.",
            "anyOf": [entries, table]
        })
    }
}

impl<'de> Deserialize<'de> for ScheduleSpec {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScheduleSpecVisitor)
    }
}

struct ScheduleSpecVisitor;

impl<'de> Visitor<'de> for ScheduleSpecVisitor {
    type Value = ScheduleSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "an array of entries { date, amount }, or a generator table \
             { first, frequency, periods, amount }",
        )
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<ScheduleSpec, A::Error> {
        Vec::<ScheduleEntry>::deserialize(de::value::SeqAccessDeserializer::new(seq))
            .map(ScheduleSpec::Entries)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScheduleSpec, A::Error> {
        // A table that starts like one schedule entry is an entry missing its `[ ]`: the
        // error an array's place gives, not the generator's unknown key.
        let first: Option<String> = map.next_key()?;
        if let Some(k) = &first
            && ["date", "principal", "interest"].contains(&k.as_str())
        {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &"a sequence"));
        }
        ScheduleGenerator::deserialize(de::value::MapAccessDeserializer::new(Replay {
            first,
            inner: map,
        }))
        .map(ScheduleSpec::Generated)
    }
}

/// A map whose first key was already read: it is handed out again before the rest.
struct Replay<A> {
    first: Option<String>,
    inner: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(k) => seed
                .deserialize(de::IntoDeserializer::<A::Error>::into_deserializer(k))
                .map(Some),
            None => self.inner.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }
}

/// A generated licence-fee schedule: `periods` instalments, the first on `first` and each
/// later one `frequency` after it; instalment i is `amount × (1 + growth)^y`, where `y` is the
/// number of whole years from `first` to its date, rounded once to the fen; with `rate`, each
/// fee is split into interest on the implied balance and principal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleGenerator {
    /// Due date of the first instalment (a month end keeps later dates at month ends).
    pub first: Date,
    /// Months between instalments: `monthly`, `quarterly`, `semiannual` or `annual`.
    pub frequency: String,
    /// Number of instalments, 1..=600.
    pub periods: i64,
    /// The first year's instalment, yuan (whole fen).
    pub amount: Decimal,
    /// Annual escalation as a fraction (0.03 = 3% a year), compounded once per whole year
    /// from `first`; default 0 (level fees).
    pub growth: Option<Decimal>,
    /// Implied annual interest rate as a fraction (0.06 = 6%): each fee is split into the
    /// interest on the implied balance (the fees' present value at this rate) and principal;
    /// default 0 (every fee all principal).
    pub rate: Option<Decimal>,
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

/// A tranche's `class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrancheClass {
    /// 优先级: paid first.
    Senior,
    /// 中间级: paid after the senior tranches.
    Mezzanine,
    /// 次级: paid last; its `coupon` caps its periodic return (期间收益).
    Subordinated,
}

/// How a tranche's principal falls due (`amortization`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Amortization {
    /// All the cash that reaches its principal step, every payment date (the default).
    PassThrough,
    /// Down to the target of `target_balances` on each payment date.
    Scheduled,
    /// The whole balance on the expected maturity (到期一次还本).
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
    /// 到期一次还本付息: interest accrues every period but falls due with the principal, at
    /// the expected maturity (a `bullet` senior or mezzanine tranche only); default false.
    pub interest_at_maturity: Option<bool>,
    /// `timely` (default: every date's interest paid on that date) or `ultimate` (interest and
    /// principal paid by the last date): what the break-even and the Monte Carlo call paid
    /// in full.
    pub payment_test: Option<PaymentTest>,
    /// A floating coupon (浮动利率): an index plus a spread, reset on dates, with a floor and
    /// a cap. Replaces `coupon` (docs/deal-format.md, "Floating rates").
    pub floating: Option<Floating>,
}

/// `floating = { … }` on a tranche or a loan: the rate is `index + spread` (plus the
/// scenario's `index_shift`), fixed on the origin (the closing date for a tranche, the start
/// date for a loan) and re-fixed on each reset date, then held within `floor` and `cap` and
/// never below zero.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Floating {
    /// The index: `lpr_1y`, `lpr_5y` or any name the scenario's `indices` or `index_paths`
    /// gives a path for.
    pub index: String,
    /// Added to the index, as a fraction: 0.005 for 50 bp. May be negative.
    pub spread: Decimal,
    /// The lowest rate, as a fraction (optional).
    pub floor: Option<Decimal>,
    /// The highest rate, as a fraction (optional).
    pub cap: Option<Decimal>,
    /// Re-fix on these dates (strictly increasing). Without `reset_dates` or
    /// `reset_every_months` the rate is re-fixed at the start of every accrual period.
    pub reset_dates: Option<Vec<Date>>,
    /// Re-fix every this many months, from `reset_from` (1 to 120).
    pub reset_every_months: Option<i64>,
    /// The first date of `reset_every_months` (required with it).
    pub reset_from: Option<Date>,
}

/// One dated value of an index path (`index_paths`): the index is `rate` from `date` until
/// the next entry's date.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexPoint {
    /// The date from which the value applies.
    pub date: Date,
    /// The index's value, as a fraction (0.031 for 3.10%).
    pub rate: Decimal,
}

/// One `target_balances` entry: a scheduled tranche's target balance from a date on.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBalance {
    /// Payment date of the target.
    pub date: Date,
    /// Target balance after that date, yuan.
    pub balance: Decimal,
}

/// How a fee falls due (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// The same `amount` every payment date.
    Fixed,
    /// `amount` a year, due on `date` and every 12 months after.
    Annual,
    /// `rate` × `base`, times the accrual period's year fraction on a balance base.
    AnnualRate,
    /// `amount` once, on the first payment date on or after `date`.
    OneOff,
}

/// `[[fees]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// The fee's name, unique among fees.
    pub name: String,
    /// `fixed`, `annual`, `annual_rate` or `one_off`.
    pub kind: FeeKind,
    /// Amount of a `fixed` or `one_off` fee, or of an `annual` fee a year, yuan.
    pub amount: Option<Decimal>,
    /// Annual rate of an `annual_rate` fee.
    pub rate: Option<Decimal>,
    /// Base of an `annual_rate` fee (docs/deal-format.md, Bases).
    pub base: Option<String>,
    /// Date of a `one_off` fee (default the first payment date), or the first due date of an
    /// `annual` fee, due again every 12 months (default the first anniversary of the closing
    /// date).
    pub date: Option<Date>,
    /// Cap per payment date, yuan.
    pub cap_per_period: Option<Decimal>,
    /// Cap over the deal's life, yuan.
    pub cap_total: Option<Decimal>,
    /// A per-period cap on the senior part of the fee: what is charged above it is not lost
    /// (as above `cap_per_period`) but falls due as the fee's excess, paid by `pay_fee` steps
    /// with `part = "excess"` lower in the waterfall.
    pub cap: Option<Decimal>,
    /// The first payment date on or after this date is the first that charges the fee.
    pub start: Option<Date>,
    /// Payment dates after this date charge nothing (arrears stay due).
    pub end: Option<Date>,
}

/// What a `repay_support` step repays (`repays`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repays {
    /// The interest on the draws (`interest_rate`), then the draws.
    All,
    /// The interest on the draws only.
    Interest,
    /// The draws only.
    Draws,
}

/// Which part of a fee a `pay_fee` step pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeePart {
    /// The fee due up to its `cap` (the whole fee when it has none), with arrears.
    Due,
    /// What was charged above the fee's `cap`, with arrears of it.
    Excess,
}
/// `[[taxes]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// The tax's name, unique among taxes.
    pub name: String,
    /// Rate, 0 < rate < 1: applied as it is to a flow base (interest, collections), and
    /// annualised by the deal's day count on a balance base (docs/deal-format.md).
    pub rate: Decimal,
    /// Base of the tax (docs/deal-format.md, Bases).
    pub base: String,
}

/// An item a reserve or a support pays when cash falls short (`covers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
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
    /// A target formula instead of `target` or `target_multiple`: the larger or smaller of
    /// several targets (docs/deal-format.md, "Reserve target formulas").
    pub formula: Option<TargetFormula>,
    /// A lower target that applies from a date and/or while the cumulative default ratio is
    /// below a threshold (递减).
    pub step_down: Option<StepDown>,
    /// The tranche balances the target reads: `at_step` (default: as they stand when the
    /// `top_up_reserve` step runs) or `after_due_principal` (less the principal due on the
    /// date, as a 必备金额 on the balances after the distribution).
    pub balances: Option<ReserveBalances>,
}

/// `[reserve] balances`: which tranche balances the reserve target reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReserveBalances {
    /// As they stand when the step runs.
    AtStep,
    /// Less the principal due on the date (its schedule's, or the whole balance at maturity).
    AfterDuePrincipal,
}

/// A reserve target formula: exactly one of `fixed`, `multiple`, `share` (with `of`), `max`
/// or `min`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFormula {
    /// A fixed amount (money).
    pub fixed: Option<Decimal>,
    /// A multiple of the next payment date's senior interest plus fees (as `target_multiple`).
    pub multiple: Option<Decimal>,
    /// A share (fraction) of the balance named by `of`.
    pub share: Option<Decimal>,
    /// The balance `share` applies to: `senior_balance`, `pool_balance`, `issue_size` or
    /// `tranche:<name>`, as it stands after the step.
    pub of: Option<String>,
    /// The largest of these formulas.
    pub max: Option<Vec<TargetFormula>>,
    /// The smallest of these formulas.
    pub min: Option<Vec<TargetFormula>>,
}

/// `[reserve.step_down]`: the target becomes `formula` on payment dates on or after `after`
/// and while the cumulative default ratio is below `default_ratio_below` (both, when both are
/// given).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDown {
    /// The first date the step-down can apply (a payment date on or after it).
    pub after: Option<Date>,
    /// The step-down applies only while cumulative defaults / initial pool balance is below
    /// this fraction.
    pub default_ratio_below: Option<Decimal>,
    /// The stepped-down target.
    pub formula: TargetFormula,
}

/// The kind of a credit support (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    /// 差额支付承诺: pays what its `covers` lack.
    ShortfallUndertaking,
    /// 保证担保: pays what its `covers` lack, as an undertaking does.
    Guarantee,
    /// 基础资产保证: pays each period's defaulted principal (担保代偿) and takes the
    /// recoveries up to what it paid (代位追偿).
    AssetGuarantee,
}

/// `[[supports]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// The support's name, unique among supports.
    pub name: String,
    /// Who provides it.
    pub provider: String,
    /// `shortfall_undertaking` (差额支付承诺), `guarantee` (保证担保) or `asset_guarantee`
    /// (基础资产保证: the guarantor pays each period's defaulted principal, 担保代偿, and takes
    /// the recoveries up to what it paid, 代位追偿).
    pub kind: SupportKind,
    /// What it pays for; the same items as the reserve's `covers`. Required, except for an
    /// `asset_guarantee`, which pays the pool's defaults and takes none.
    pub covers: Option<Vec<Cover>>,
    /// Cap per payment date, yuan.
    pub cap_per_period: Option<Decimal>,
    /// Cap over the deal's life, yuan.
    pub cap_total: Option<Decimal>,
    /// The waterfalls in which the provider may be drawn (default: all), e.g. `["normal"]`
    /// for no draw once accelerated.
    pub waterfalls: Option<Vec<String>>,
    /// The support this one guarantees (担保人为差额支付义务提供保证): it pays only what that
    /// support is due and does not pay, when the scenario leaves it out or its provider fails,
    /// for its `covers`, in its waterfalls and within its caps, shared. No `covers` or
    /// `waterfalls` of its own.
    pub backs: Option<String>,
    /// An obligor of the pool whose default the provider's failure goes with (the core
    /// debtor's parent as 差额支付承诺人: wrong-way risk): the support fails from the date that
    /// obligor defaults by name (a scenario's `defaults`, a Monte Carlo path, a whole-obligor
    /// break-even).
    pub fails_with: Option<String>,
    /// The provider's credit for `ipabs rate` and `ipabs size`: `rating` (a PD table label) or
    /// `pd` (a cumulative PD over the deal's term, as a string), and `region` and `industry`
    /// for the correlations. With one, the Monte Carlo paths default the provider as they
    /// default obligors, and the support fails from that date (docs/rating.md §7).
    pub tags: Option<BTreeMap<String, String>>,
    /// Annual interest on its draws not yet repaid (a liquidity facility's 资金占用费), accrued
    /// over each date's accrual period at the deal's day count and paid by `repay_support`
    /// steps before the draws; no interest without it. Not for an `asset_guarantee`.
    pub interest_rate: Option<Decimal>,
    /// Repayments of its draws restore `cap_total` (a revolving liquidity facility): the cap
    /// bounds the draws outstanding instead of the draws made. Needs `cap_total`; not for an
    /// `asset_guarantee`.
    pub revolving_cap: Option<bool>,
}

/// What a waterfall step does (`action`; docs/deal-format.md, `[waterfalls]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Pay the `taxes` due.
    PayTax,
    /// Pay the `fees` due, a `share` of it, or the `part` above a fee's `cap`.
    PayFee,
    /// Pay the interest due on `tranches`.
    PayInterest,
    /// Pay principal to `tranches` (`order`, `amount`).
    PayPrincipal,
    /// Bring the reserve to its target and release the excess (only deposit with
    /// `release = false`).
    TopUpReserve,
    /// Pay a subordinated `tranche` its capped periodic return (期间收益).
    PaySubReturn,
    /// Pay all remaining cash to `tranche` (超额收益).
    PayResidual,
    /// Buy assets from the `[revolving]` template while the revolving period is live.
    BuyAssets,
    /// Releases the reserve's excess over its target into the collection account at this
    /// point of the waterfall (with `top_up_reserve` steps that have `release = false`).
    ReleaseReserve,
    /// Move cash from one account to another (`from`, `to`, and `up_to` or `covers`).
    Transfer,
    /// Repay credit supports what they have drawn and not yet been repaid (`supports`;
    /// 返还差额支付款, 偿还流动性支持).
    RepaySupport,
}

/// `payment_test` of a tranche.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTest {
    /// Each date's interest paid on that date, the balance by the last date (及时足额, default).
    Timely,
    /// Interest and principal paid by the last date (最终足额).
    Ultimate,
}

/// How a `pay_principal` step shares cash among its `tranches` (`order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalOrder {
    /// In the listed order, each tranche in full before the next (the default).
    Sequential,
    /// Pro rata by current balance.
    ProRata,
}

/// How much principal a `pay_principal` step pays (`amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalAmount {
    /// What each tranche's amortization makes due (the default).
    Scheduled,
    /// All available cash up to the balances, whatever the amortization.
    Available,
}

/// What a `buy_assets` step may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Spend {
    /// The principal collected in the period (scheduled and prepaid), at most the cash held.
    PrincipalCollected,
    /// All cash held in the account when the step runs.
    Available,
}

/// The named step conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepCondition {
    /// Once every senior tranche is repaid.
    SeniorPaidOff,
    /// On the last payment date (or the clean-up call date).
    FinalPeriod,
}

/// One waterfall step: the union of every action's keys; which ones an action takes is
/// checked in validation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `pay_tax`, `pay_fee`, `pay_interest`, `pay_principal`, `top_up_reserve`,
    /// `release_reserve`, `pay_sub_return`, `pay_residual`, `transfer`, `buy_assets` or
    /// `repay_support`.
    pub action: Action,
    /// Taxes paid by `pay_tax`.
    pub taxes: Option<Vec<String>>,
    /// Fees paid by `pay_fee`.
    pub fees: Option<Vec<String>>,
    /// Tranches paid by `pay_interest` or `pay_principal`.
    pub tranches: Option<Vec<String>>,
    /// The tranche of `pay_sub_return` or `pay_residual`.
    pub tranche: Option<String>,
    /// `repay_support` only: the supports repaid, in this order.
    pub supports: Option<Vec<String>>,
    /// `sequential` (default) or `pro_rata`, for `pay_principal`.
    pub order: Option<PrincipalOrder>,
    /// `scheduled` (default) or `available`, for `pay_principal`.
    pub amount: Option<PrincipalAmount>,
    /// `buy_assets` only: what the step may spend (default `principal_collected`).
    pub spend: Option<Spend>,
    /// `top_up_reserve` only: `false` deposits towards the target but releases nothing (the
    /// excess is released by a later `release_reserve` step). Default `true`.
    pub release: Option<bool>,
    /// `pay_fee` only: pay at most this share (a fraction, 0 < share ≤ 1) of what is still
    /// due of each fee at this step; a later step pays the rest.
    pub share: Option<Decimal>,
    /// `pay_fee` only: `due` (default) or `excess` (the part above the fee's `cap`).
    pub part: Option<FeePart>,
    /// `repay_support` only: `all` (default: the interest on the draws, then the draws),
    /// `interest` or `draws`, so that a plan can rank them apart.
    pub repays: Option<Repays>,
    /// When the step runs: a named condition or a condition table (docs/deal-format.md).
    pub when: Option<When>,
    /// The account the step pays from (default: the collection account); for `transfer`,
    /// the account the cash leaves.
    pub from: Option<String>,
    /// `transfer` only: the account the cash enters.
    pub to: Option<String>,
    /// `transfer` only: `"pdl"` moves at most the principal deficiency ledger's balance and
    /// clears it by what it moved.
    pub up_to: Option<TransferLimit>,
    /// `transfer` only: move at most what the `to` account lacks to pay these items in full
    /// (本金账补充收入账); the amount is debited to the PDL.
    pub covers: Option<Vec<Cover>>,
}

/// The limit of a `transfer` step besides the source account's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferLimit {
    /// The principal deficiency ledger's balance.
    Pdl,
}

/// A step's `when`: a named condition (`"senior_paid_off"`, `"final_period"`) or a table
/// with exactly one test. (Deserialized by hand rather than as an untagged enum, so that a
/// misspelt name gets serde's "unknown variant … expected one of" message.)
#[derive(Debug)]
pub enum When {
    /// `"senior_paid_off"` or `"final_period"`.
    Named(StepCondition),
    /// A condition table such as `{ paid_off = "B" }`.
    Test(Box<Condition>),
}

/// In the JSON Schema: a named condition or a condition table (deserialized by hand).
impl JsonSchema for When {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "When".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let named = generator.subschema_for::<StepCondition>();
        let table = generator.subschema_for::<Condition>();
        schemars::json_schema!({
            "description": "When the step runs: \"senior_paid_off\", \"final_period\", or a condition table with exactly one test such as { paid_off = \"B\" }.",
            "anyOf": [named, table]
        })
    }
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WhenVisitor)
    }
}

struct WhenVisitor;

impl<'de> Visitor<'de> for WhenVisitor {
    type Value = When;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "\"senior_paid_off\", \"final_period\" or a condition table like { paid_off = \"B\" }",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<When, E> {
        use de::IntoDeserializer;
        StepCondition::deserialize(v.into_deserializer()).map(When::Named)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<When, A::Error> {
        Condition::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|c| When::Test(Box::new(c)))
    }
}

/// A condition table: exactly one key.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// True once this tranche's balance is zero.
    pub paid_off: Option<String>,
    /// True on payment dates on or after this date.
    pub on_or_after: Option<Date>,
    /// True on payment dates before this date.
    pub before: Option<Date>,
    /// True while this trigger is tripped.
    pub trigger: Option<String>,
    /// True when the performing pool balance at the end of the collection period is below
    /// this fraction of the balance at cutoff.
    pub pool_factor_below: Option<Decimal>,
    /// True when cumulative defaults over the pool balance at cutoff exceed this fraction.
    pub cumulative_default_ratio_above: Option<Decimal>,
    /// True when every listed condition is.
    pub all: Option<Vec<When>>,
    /// True when any listed condition is.
    pub any: Option<Vec<When>>,
    /// True when the condition is false.
    pub not: Option<Box<When>>,
}

/// What a trigger stands for (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// 加速清偿事件.
    Acceleration,
    /// 违约事件; takes precedence over an acceleration event.
    EventOfDefault,
}

/// What trips a trigger (`condition`; docs/deal-format.md, `[[triggers]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerCondition {
    /// Cumulative defaults over the initial pool balance above `threshold`.
    CumulativeDefaultRatioAbove,
    /// Senior interest due not paid in full on a payment date.
    SeniorInterestShortfall,
    /// The senior coverage multiple of the payment date below `threshold`.
    CoverageBelow,
    /// Senior principal outstanding after a payment date on or after the legal maturity.
    SeniorOutstandingAfterLegalMaturity,
    /// The most senior class outstanding not paid its interest due in full
    /// (未能足额支付当时最高级别优先级证券的预期收益).
    TopClassInterestShortfall,
    /// A support provider (`support`, default any) has failed by the payment date.
    SupportFailed,
    /// The `event` a scenario's `events` dates has happened by the payment date.
    Event,
    /// The performing pool over the senior balance below `threshold` (超额抵押).
    PoolToSeniorBelow,
}

/// One `threshold_steps` entry of a trigger: its threshold from a date on.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdStep {
    /// The step applies on every payment date on or after this date (scheduled or paid).
    pub from: Date,
    /// The threshold from then on, written as `threshold` is.
    pub threshold: Decimal,
}

/// `[[triggers]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The trigger's name, unique among triggers.
    pub name: String,
    /// `acceleration` (加速清偿事件) or `event_of_default` (违约事件).
    pub kind: TriggerKind,
    /// `cumulative_default_ratio_above`, `senior_interest_shortfall`, `coverage_below`,
    /// `senior_outstanding_after_legal_maturity`, `top_class_interest_shortfall`,
    /// `support_failed`, `event` or `pool_to_senior_below`.
    pub condition: TriggerCondition,
    /// Threshold of `cumulative_default_ratio_above` (a ratio), `coverage_below` or
    /// `pool_to_senior_below` (a multiple).
    pub threshold: Option<Decimal>,
    /// Thresholds that replace `threshold` from a date on (a 累计违约率 trigger whose level
    /// steps up year by year), in date order.
    pub threshold_steps: Option<Vec<ThresholdStep>>,
    /// The support a `support_failed` trigger watches (default: any support).
    pub support: Option<String>,
    /// The event an `event` trigger watches: a name that a scenario's `events` gives a date.
    pub event: Option<String>,
    /// The waterfall (in `[waterfalls]`) that runs once the trigger is hit.
    pub waterfall: String,
    /// Re-tested every period and can switch back; default false.
    pub curable: Option<bool>,
    /// Checks about this trigger it silences: `trips_without_defaults`, for a trigger the
    /// structure means to trip with no default and no delay (a switch to sequential pay when
    /// the pool falls below a level: `check` does not warn of it and `size` does not test it,
    /// while the deal's other triggers stay checked), and `trigger_range`,
    /// `coverage_on_interest`, `trigger_to_normal` and `threshold_steps` at its keys.
    pub allow: Option<Vec<String>>,
}

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

/// A deal file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealFile {
    pub deal: DealSection,
    #[serde(default)]
    pub obligors: Vec<Obligor>,
    #[serde(default)]
    pub tranches: Vec<Tranche>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub taxes: Vec<Tax>,
    pub reserve: Option<Reserve>,
    #[serde(default)]
    pub supports: Vec<Support>,
    /// Named step lists; `normal` is required (checked in validation). The map is sorted by
    /// name; validation restores file order from the spans.
    pub waterfalls: Option<BTreeMap<String, Vec<Step>>>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    pub scenario: Option<Scenario>,
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
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashSource {
    /// The interest part of collections (for leases and loans; licence fees are all principal).
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pdl {
    /// Whether each collection period's defaulted principal is debited to the ledger
    /// (default true).
    pub defaults: Option<bool>,
}

/// `[clean_up_call]`: the originator's right to repurchase the remaining pool (清仓回购).
/// Exercisable on the first payment date on which any of its conditions holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanUpCall {
    /// Exercisable once the performing pool balance at the end of a collection period is below
    /// this fraction of the balance at cutoff (e.g. 0.10 for 10%).
    pub pool_factor_below: Option<Decimal>,
    /// Exercisable on any payment date on or after this date.
    pub on_or_after: Option<Date>,
    /// The repurchase price as a fraction of the performing balance (default 1: par).
    pub price_share: Option<Decimal>,
    /// The waterfall that runs on the call date instead of the triggers' choice, e.g.
    /// `clean_up`.
    pub waterfall: String,
}

/// `[revolving]`: until `end_date` (or an end trigger), `buy_assets` waterfall steps spend
/// cash on new assets made from the `asset` template.
#[derive(Debug, Deserialize)]
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
    /// `revolving`.
    pub obligor: Option<String>,
    /// Tags of the purchased assets' obligors: scenario `overrides` by tag apply to them.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The eligibility template every purchased asset follows.
    pub asset: RevolvingAsset,
}

/// `[revolving.asset]`: a loan or lease generated on the purchase date with the balance
/// bought (docs/amortization.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevolvingAsset {
    /// `loan` or `lease`.
    pub kind: AssetKind,
    /// Annual rate, a fraction below 1.
    pub rate: Decimal,
    /// Number of instalments, 1..=600.
    pub term: i64,
    /// `monthly`, `quarterly`, `semiannual` or `annual`.
    pub frequency: String,
    /// `level`, `equal_principal`, `interest_only` or `bullet`; default `level`.
    pub repayment: Option<String>,
    /// `periodic` (default) or `day_count`.
    pub accrual: Option<Accrual>,
    /// Whether a scenario's CPR applies; default true.
    pub prepayable: Option<bool>,
}

/// `[notices]`: payment notices per 100 yuan of face.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    pub face: Option<Decimal>,
    pub decimals: Option<i64>,
    pub rounding: Option<String>,
    pub csdc_fee_rate: Option<Decimal>,
    pub per_unit: Option<bool>,
}

/// `[deal]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealSection {
    pub name: String,
    pub currency: Option<String>,
    pub cutoff_date: Date,
    pub closing_date: Date,
    pub first_payment_date: Option<Date>,
    pub frequency: Option<String>,
    pub payment_dates: Option<Vec<Date>>,
    pub legal_maturity: Date,
    pub day_count: Option<String>,
    pub business_day: Option<String>,
    pub calendar: Option<String>,
    #[serde(default)]
    pub extra_holidays: Vec<Date>,
    #[serde(default)]
    pub extra_working_days: Vec<Date>,
    pub collection_lag_days: Option<i64>,
    pub collection_lag_business_days: Option<i64>,
    pub rounding: Option<String>,
    pub pro_rata_rounding: Option<String>,
    /// Names of warnings this deal silences (docs/errors.md).
    #[serde(default)]
    pub allow: Vec<String>,
}

/// `[[obligors]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligor {
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Licence,
    Loan,
    Lease,
    Receivable,
}

/// `[[obligors.assets]]`: the union of every kind's keys; which ones a kind takes is checked
/// in validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub kind: AssetKind,
    /// The instalments: an array of typed entries, or (licences) a generator table
    /// `{ first, frequency, periods, amount, growth }` (docs/deal-format.md).
    pub schedule: Option<ScheduleSpec>,
    pub balance: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub start_date: Option<Date>,
    pub first_payment_date: Option<Date>,
    pub term: Option<i64>,
    pub frequency: Option<String>,
    pub repayment: Option<String>,
    pub accrual: Option<Accrual>,
    pub prepayable: Option<bool>,
    pub amount: Option<Decimal>,
    pub due_date: Option<Date>,
    /// A floating loan rate (replaces `rate`): re-fixed on the reset dates, after which the
    /// loan re-amortizes on its remaining balance and term (docs/deal-format.md).
    pub floating: Option<Floating>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    Periodic,
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
/// number of whole years from `first` to its date, rounded once to the fen.
#[derive(Debug, Deserialize)]
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
}

/// One entry of an explicit schedule: `{date, amount}` or `{date, principal, interest}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    pub date: Date,
    pub amount: Option<Decimal>,
    pub principal: Option<Decimal>,
    pub interest: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrancheClass {
    Senior,
    Mezzanine,
    Subordinated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amortization {
    PassThrough,
    Scheduled,
    Bullet,
}

/// `[[tranches]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    pub name: String,
    pub class: TrancheClass,
    pub balance: Decimal,
    pub coupon: Option<Decimal>,
    pub amortization: Option<Amortization>,
    pub expected_maturity: Option<Date>,
    pub target_balances: Option<Vec<TargetBalance>>,
    pub rating: Option<String>,
    pub interest_on_shortfall: Option<bool>,
    /// A floating coupon (浮动利率): an index plus a spread, reset on dates, with a floor and
    /// a cap. Replaces `coupon` (docs/deal-format.md, "Floating rates").
    pub floating: Option<Floating>,
}

/// `floating = { … }` on a tranche or a loan: the rate is `index + spread` (plus the
/// scenario's `index_shift`), fixed on the origin (the closing date for a tranche, the start
/// date for a loan) and re-fixed on each reset date, then held within `floor` and `cap` and
/// never below zero.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexPoint {
    /// The date from which the value applies.
    pub date: Date,
    /// The index's value, as a fraction (0.031 for 3.10%).
    pub rate: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBalance {
    pub date: Date,
    pub balance: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    Fixed,
    AnnualRate,
    OneOff,
}

/// `[[fees]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub name: String,
    pub kind: FeeKind,
    pub amount: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub base: Option<String>,
    pub date: Option<Date>,
    pub cap_per_period: Option<Decimal>,
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

/// Which part of a fee a `pay_fee` step pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeePart {
    /// The fee due up to its `cap` (the whole fee when it has none), with arrears.
    Due,
    /// What was charged above the fee's `cap`, with arrears of it.
    Excess,
}
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    pub name: String,
    pub rate: Decimal,
    pub base: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    pub target: Option<Decimal>,
    pub target_multiple: Option<Decimal>,
    pub initial: Option<Decimal>,
    pub covers: Option<Vec<Cover>>,
    /// A target formula instead of `target` or `target_multiple`: the larger or smaller of
    /// several targets (docs/deal-format.md, "Reserve target formulas").
    pub formula: Option<TargetFormula>,
    /// A lower target that applies from a date and/or while the cumulative default ratio is
    /// below a threshold (递减).
    pub step_down: Option<StepDown>,
}

/// A reserve target formula: exactly one of `fixed`, `multiple`, `share` (with `of`), `max`
/// or `min`.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    ShortfallUndertaking,
    Guarantee,
}

/// `[[supports]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    pub name: String,
    pub provider: String,
    pub kind: SupportKind,
    pub covers: Vec<Cover>,
    pub cap_per_period: Option<Decimal>,
    pub cap_total: Option<Decimal>,
    /// The waterfalls in which the provider may be drawn (default: all), e.g. `["normal"]`
    /// for no draw once accelerated.
    pub waterfalls: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    PayTax,
    PayFee,
    PayInterest,
    PayPrincipal,
    TopUpReserve,
    PaySubReturn,
    PayResidual,
    /// Buy assets from the `[revolving]` template while the revolving period is live.
    BuyAssets,
    /// Releases the reserve's excess over its target into the collection account at this
    /// point of the waterfall (with `top_up_reserve` steps that have `release = false`).
    ReleaseReserve,
    /// Move cash from one account to another (`from`, `to`, and `up_to` or `covers`).
    Transfer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalOrder {
    Sequential,
    ProRata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalAmount {
    Scheduled,
    Available,
}

/// What a `buy_assets` step may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spend {
    /// The principal collected in the period (scheduled and prepaid), at most the cash held.
    PrincipalCollected,
    /// All cash held in the account when the step runs.
    Available,
}

/// The named step conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepCondition {
    /// Once every senior tranche is repaid.
    SeniorPaidOff,
    /// On the last payment date (or the clean-up call date).
    FinalPeriod,
}

/// One waterfall step: the union of every action's keys; which ones an action takes is
/// checked in validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub action: Action,
    pub taxes: Option<Vec<String>>,
    pub fees: Option<Vec<String>>,
    pub tranches: Option<Vec<String>>,
    pub tranche: Option<String>,
    pub order: Option<PrincipalOrder>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Default, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Acceleration,
    EventOfDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerCondition {
    CumulativeDefaultRatioAbove,
    SeniorInterestShortfall,
    CoverageBelow,
    SeniorOutstandingAfterLegalMaturity,
}

/// `[[triggers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub name: String,
    pub kind: TriggerKind,
    pub condition: TriggerCondition,
    pub threshold: Option<Decimal>,
    pub waterfall: String,
    pub curable: Option<bool>,
}

/// `[scenario]` in a deal file, or one `[[scenarios]]` entry of a scenario file (where
/// `name` is required; checked in validation).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    #[serde(default)]
    pub defaults: Vec<ObligorDefault>,
    pub cdr: Option<Decimal>,
    pub default_rate: Option<Decimal>,
    pub default_timing: Option<Vec<Decimal>>,
    pub recovery_rate: Option<Decimal>,
    pub recovery_lag_months: Option<i64>,
    pub delay: Option<Delay>,
    pub cpr: Option<Decimal>,
    #[serde(default)]
    pub supports_off: Vec<String>,
    /// Flat index values: index name → value on every date (`lpr_1y = 0.031`).
    pub indices: Option<BTreeMap<String, Decimal>>,
    /// Index paths by date: index name → `[{ date, rate }, …]`, a step function.
    pub index_paths: Option<BTreeMap<String, Vec<IndexPoint>>>,
    /// A parallel shift added to every index on every date, as a fraction (0.01 = +100 bp).
    pub index_shift: Option<Decimal>,
    /// Whether the originator exercises the deal's clean-up call when it can (default true).
    pub clean_up_call: Option<bool>,
    /// Assumptions for some obligors only, chosen by name or by tag, in order; a later rule
    /// wins where two set the same key for one obligor (docs/scenarios.md).
    #[serde(default)]
    pub overrides: Vec<ScenarioOverride>,
}

/// One `overrides` rule of a scenario: CDR, cumulative default rate, recovery, delay or CPR
/// for the obligors it selects (exactly one of `obligor` and `tag`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioOverride {
    /// The name of one obligor.
    pub obligor: Option<String>,
    /// Every obligor with this tag, written `key:value` (`"industry:semiconductor"`).
    pub tag: Option<String>,
    /// Annual constant default rate of these obligors (a fraction, below 1).
    pub cdr: Option<Decimal>,
    /// Cumulative default rate of these obligors, on the scenario's `default_timing`.
    pub default_rate: Option<Decimal>,
    /// Share of a defaulted balance recovered (0..=1).
    pub recovery_rate: Option<Decimal>,
    /// Months from default to recovery (0..=120).
    pub recovery_lag_months: Option<i64>,
    /// Share of each instalment paid late, and how many months late.
    pub delay: Option<Delay>,
    /// Annual constant prepayment rate of these obligors' prepayable assets.
    pub cpr: Option<Decimal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligorDefault {
    pub obligor: String,
    pub date: Date,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    pub fraction: Decimal,
    pub months: i64,
}

/// A scenario file (`--scenario FILE`): listed scenarios, a grid, the rating table and pricing
/// (docs/scenarios.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    pub grid: Option<Grid>,
    pub rating: Option<Rating>,
    pub pricing: Option<Pricing>,
    pub rating_model: Option<RatingModel>,
}

/// `[rating_model]`: the Monte Carlo default model of `ipabs rate` and `ipabs size`
/// (docs/rating.md). Probabilities are floats: statistics, not money.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingModel {
    /// Rating label → cumulative PD over 1, 2, …, 10 years; replaces the whole table, highest
    /// rating first in file order.
    pub pd: Option<BTreeMap<String, Vec<f64>>>,
    pub correlation: Option<CorrelationTable>,
    pub large_obligor_test: Option<bool>,
    pub large_obligor_loss: Option<f64>,
    pub single_obligor_multiplier: Option<bool>,
    pub originator_factor: Option<f64>,
}

/// `[rating_model.correlation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationTable {
    pub same_region_and_industry: Option<f64>,
    pub same_region: Option<f64>,
    pub same_industry: Option<f64>,
    pub neither: Option<f64>,
}

/// `[grid]`: value lists whose Cartesian product is a list of scenarios.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Prefix of the points' names.
    pub name: Option<String>,
    /// A listed scenario the points inherit their other fields from.
    pub base: Option<String>,
    pub cdr: Option<Vec<Decimal>>,
    pub default_rate: Option<Vec<Decimal>>,
    pub recovery_rate: Option<Vec<Decimal>>,
    pub recovery_lag_months: Option<Vec<i64>>,
    pub delay: Option<Vec<Delay>>,
    pub cpr: Option<Vec<Decimal>>,
    pub defaulted_obligors: Option<Vec<Vec<String>>>,
    pub default_date: Option<Date>,
    pub supports_off: Option<Vec<Vec<String>>>,
}

/// `[rating]`: the pressure-multiplier table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub base_default_rate: Decimal,
    /// Rating label → multiplier. Sorted by label here; validation restores file order.
    pub multipliers: Option<BTreeMap<String, Decimal>>,
}

/// `[pricing]`: quotes and the discount curve. Floats: these are statistics, not money.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    pub settlement_date: Option<Date>,
    /// Tranche → price per 100 of initial balance.
    pub prices: Option<BTreeMap<String, f64>>,
    /// Tranche → annual yield.
    pub yields: Option<BTreeMap<String, f64>>,
    pub discount_rate: Option<f64>,
    pub zero_curve: Option<Vec<CurvePoint>>,
}

/// One `zero_curve` point.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    pub years: f64,
    pub rate: f64,
}

/// An actuals file (docs/auditing.md): what was collected and paid on each past payment date,
/// as a trustee report states it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualsFile {
    pub actuals: Option<ActualsSection>,
    #[serde(default)]
    pub periods: Vec<ActualPeriod>,
}

/// `[actuals]`: which deal the file is about.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualsSection {
    pub deal: Option<String>,
}

/// `[[periods]]`: one past payment date.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualPeriod {
    pub period: i64,
    pub payment_date: Date,
    pub pool: Option<ActualCollections>,
    #[serde(default)]
    pub obligors: Vec<ActualObligor>,
    #[serde(default)]
    pub taxes: BTreeMap<String, Decimal>,
    #[serde(default)]
    pub fees: BTreeMap<String, Decimal>,
    #[serde(default)]
    pub supports: BTreeMap<String, Decimal>,
    pub reserve_draws: Option<Decimal>,
    #[serde(default)]
    pub tranches: BTreeMap<String, ActualTranche>,
    pub accounts: Option<ActualAccounts>,
    pub triggers: Option<Vec<String>>,
}

/// The pool's (or one obligor's) collections of a collection period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualCollections {
    pub principal: Decimal,
    pub interest: Decimal,
    pub prepayments: Option<Decimal>,
    pub defaults: Option<Decimal>,
    pub recoveries: Option<Decimal>,
    pub balance_end: Option<Decimal>,
}

/// `[[periods.obligors]]`: one obligor's collections.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualObligor {
    pub name: String,
    pub principal: Decimal,
    pub interest: Decimal,
    pub prepayments: Option<Decimal>,
    pub defaults: Option<Decimal>,
    pub recoveries: Option<Decimal>,
    pub balance_end: Option<Decimal>,
}

/// `[periods.tranches.NAME]`: what a tranche was paid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualTranche {
    pub interest: Option<Decimal>,
    pub principal: Option<Decimal>,
    pub residual: Option<Decimal>,
}

/// `[periods.accounts]`: account balances at the end of the payment date.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActualAccounts {
    pub collection: Option<Decimal>,
    pub reserve: Option<Decimal>,
}

//! A deal's `[scenario]` and a scenario file (docs/scenarios.md).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

use super::*;

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
    /// Supports that stop paying from a date `{ support, date }` (since session 28).
    #[serde(default)]
    pub support_failures: Vec<SupportFailure>,
    /// Events the model does not derive, from a date `{ name, date }` (评级下调, 原始权益人丧失清偿
    /// 能力, …): a trigger with `condition = "event"` and that `event` trips on the first
    /// payment date on or after it (since session 30).
    #[serde(default)]
    pub events: Vec<ScenarioEvent>,
    /// Flat index values: index name → value on every date (`lpr_1y = 0.031`).
    pub indices: Option<BTreeMap<String, Decimal>>,
    /// Index paths by date: index name → `[{ date, rate }, …]`, a step function.
    pub index_paths: Option<BTreeMap<String, Vec<IndexPoint>>>,
    /// A parallel shift added to every index on every date, as a fraction (0.01 = +100 bp).
    pub index_shift: Option<Decimal>,
    /// Added to every senior and mezzanine tranche's coupon on every date, fixed or floating,
    /// as a fraction (0.005 = +50 bp): the rating reports' spread compression (超额利差压缩,
    /// 发行利率上升), the cost of the securities raised against the pool's fixed yield.
    pub coupon_shift: Option<Decimal>,
    /// Cuts the yield of the assets a revolving period buys (循环购买资产收益率下降): the
    /// `[revolving.asset]` rate × (1 − cut), a fraction from 0 to 1 (0.2 = 20% lower).
    pub revolving_yield_cut: Option<Decimal>,
    /// Cuts what each `buy_assets` step spends (循环购买率下降): the cash it would spend × (1 −
    /// cut), a fraction from 0 to 1 (1: no purchase); the rest stays in the account.
    pub purchase_cut: Option<Decimal>,
    /// Whether the originator exercises the deal's clean-up call when it can (default true).
    pub clean_up_call: Option<bool>,
    /// `{ date, share }`: the servicer (资产服务机构) fails on `date`, and `share` of the pool
    /// cash of the collection period holding it, collected and not yet passed to the trust, is
    /// lost in its estate (混同风险).
    pub commingling: Option<Commingling>,
    /// Assumptions for some obligors only, chosen by name or by tag, in order; a later rule
    /// wins where two set the same key for one obligor (docs/scenarios.md).
    #[serde(default)]
    pub overrides: Vec<ScenarioOverride>,
}

/// One `overrides` rule of a scenario: CDR, cumulative default rate, recovery, delay or CPR
/// for the obligors it selects (exactly one of `obligor` and `tag`).
#[derive(Debug, Deserialize, JsonSchema)]
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

/// One `defaults` entry: an obligor that defaults on `date`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligorDefault {
    /// The obligor that defaults.
    pub obligor: String,
    /// It pays nothing due on or after this date.
    pub date: Date,
}

/// One `support_failures` entry: a support provider that pays nothing on the payment dates on
/// or after `date` (差额支付承诺人、担保人违约).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportFailure {
    /// The support (its `name` in `[[supports]]`).
    pub support: String,
    /// It pays nothing on a payment date on or after this date.
    pub date: Date,
}

/// One `events` entry: an event that happens on `date` (a rating downgrade of a support
/// provider, the originator's insolvency, …), which a trigger watching it by name turns into a
/// 加速清偿事件 or 违约事件.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioEvent {
    /// The event's name, as a trigger's `event` names it.
    pub name: String,
    /// It has happened on a payment date on or after this date.
    pub date: Date,
    /// It is over on a payment date on or after this date (after `date`); default: never.
    pub until: Option<Date>,
}

/// `commingling`: the servicer fails on `date`; `share` of the collection period's pool cash
/// is lost with it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Commingling {
    /// The servicer fails on this date, inside a collection period.
    pub date: Date,
    /// Share of that collection period's pool cash lost, 0 ≤ x ≤ 1 (default 1: all of it).
    pub share: Option<Decimal>,
}

/// `delay`: this `fraction` of each collection arrives `months` late.
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
    pub large_obligor_loss: Option<Decimal>,
    /// Apply the single-obligor default multiplier.
    pub single_obligor_multiplier: Option<bool>,
    /// Originator type factor s of the default multipliers.
    pub originator_factor: Option<Decimal>,
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
    /// Tranche → price per 100 of the balance outstanding at settlement.
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

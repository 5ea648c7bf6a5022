//! Triggers (加速清偿事件, 违约事件): what trips them and the waterfall they switch to.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::PeriodDates;

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
    /// The condition's threshold, for the conditions that take one.
    pub fn threshold(&self) -> Option<Decimal> {
        match *self {
            TriggerCondition::CumulativeDefaultRatioAbove(x)
            | TriggerCondition::CoverageBelow(x)
            | TriggerCondition::PoolToSeniorBelow(x) => Some(x),
            _ => None,
        }
    }

    /// The condition with threshold `x` in place of its own (a condition without a threshold
    /// unchanged).
    pub fn with_threshold(self, x: Decimal) -> Self {
        match self {
            TriggerCondition::CumulativeDefaultRatioAbove(_) => {
                TriggerCondition::CumulativeDefaultRatioAbove(x)
            }
            TriggerCondition::CoverageBelow(_) => TriggerCondition::CoverageBelow(x),
            TriggerCondition::PoolToSeniorBelow(_) => TriggerCondition::PoolToSeniorBelow(x),
            other => other,
        }
    }

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
    /// `threshold_steps`: from each date on (a payment date scheduled or paid on or after
    /// it), the threshold that replaces the condition's; dates strictly increasing. Empty for
    /// a trigger whose threshold never changes, and for the conditions without one.
    pub threshold_steps: Vec<(NaiveDate, Decimal)>,
    /// `allow = ["trips_without_defaults"]`: the structure means the trigger to trip with no
    /// default and no delay, so a base case that trips it is not warned of
    /// (`Check::TripsWithoutDefaults`) and `size` does not test it.
    pub trips_by_design: bool,
}

impl Trigger {
    /// The condition as it stands on the payment date `period`: its threshold the last
    /// step's whose date is on or before the date scheduled or paid, else the condition's own.
    #[inline]
    pub fn condition_on(&self, period: &PeriodDates) -> TriggerCondition {
        let Some(&(_, x)) = self
            .threshold_steps
            .iter()
            .rev()
            .find(|(from, _)| period.reached(*from))
        else {
            return self.condition;
        };
        self.condition.with_threshold(x)
    }

    /// Every threshold the trigger can have: the condition's, then its steps'.
    pub fn thresholds(&self) -> impl Iterator<Item = Decimal> + '_ {
        self.condition
            .threshold()
            .into_iter()
            .chain(self.threshold_steps.iter().map(|&(_, x)| x))
    }
}

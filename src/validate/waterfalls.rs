//! Waterfalls, their steps, and the triggers that switch between them.

use super::accounts::{CondRefs, account_ref, condition};
use super::{Ctx, Names, Sign, forbid, missing, resolve_list};
use crate::deal::{
    AccountRef, Action, PrincipalAmount, PrincipalOrder, Spend, Step, SupportKind, TrancheClass,
    TransferLimit, Trigger, TriggerCondition, TriggerKind, Waterfall,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Check;
use crate::schema;

/// What waterfall steps may refer to.
pub(super) struct Refs<'n> {
    pub(super) taxes: &'n Names,
    pub(super) fees: &'n Names,
    pub(super) tranches: &'n Names,
    /// Class of each tranche, by sorted index.
    pub(super) tranche_classes: Vec<TrancheClass>,
    pub(super) has_reserve: bool,
    /// Whether the deal has a `[revolving]` section (for `buy_assets`).
    pub(super) has_revolving: bool,
    /// Whether each fee (by index) has a `cap` whose excess a `part = "excess"` step pays.
    pub(super) fee_caps: Vec<bool>,
    /// The named accounts (`from`, `to`).
    pub(super) accounts: &'n Names,
    /// The triggers, by name in file order (`when = { trigger = … }`).
    pub(super) triggers: &'n Names,
    pub(super) has_pdl: bool,
    /// The supports (`repay_support`) and the kind of each, by index.
    pub(super) supports: &'n Names,
    pub(super) support_kinds: Vec<SupportKind>,
}

pub(super) fn waterfalls(
    ctx: &mut Ctx,
    raw: Option<&std::collections::BTreeMap<String, Vec<schema::Step>>>,
    refs: &Refs,
) -> (Vec<Waterfall>, Names) {
    let mut names = Names::new("waterfall");
    let empty = std::collections::BTreeMap::new();
    let raw = raw.unwrap_or(&empty);
    if !raw.contains_key("normal") {
        let others: Vec<&str> = raw.keys().map(String::as_str).collect();
        let problem = if others.is_empty() {
            "no `normal` waterfall".to_string()
        } else {
            format!(
                "no `normal` waterfall (the waterfalls are: {}); `normal` is the one that runs \
                 until a trigger trips",
                others.join(", ")
            )
        };
        ctx.err(
            "waterfalls.normal",
            problem,
            "[waterfalls] with normal = [ { action = … }, … ]",
        );
    }
    // `normal` first, the others in file order.
    let mut order: Vec<(&String, &Vec<schema::Step>)> = raw.iter().collect();
    order.sort_by_key(|(name, _)| {
        (
            name.as_str() != "normal",
            ctx.key_offset(&super::spans::join_key("waterfalls", name)),
        )
    });
    let mut out = Vec::with_capacity(order.len());
    for (w, (name, steps)) in order.into_iter().enumerate() {
        let p = super::spans::join_key("waterfalls", name);
        names.add(ctx, &p, name, w);
        if steps.is_empty() {
            ctx.err(
                &p,
                format!("waterfall `{name}` has no steps"),
                "at least one step, e.g. { action = \"pay_interest\", tranches = [\"A\"] }",
            );
        }
        let steps = steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| step(ctx, &format!("{p}[{i}]"), s, refs))
            .collect();
        out.push(Waterfall {
            name: name.clone(),
            steps,
        });
    }
    (out, names)
}

fn action_name(a: schema::Action) -> &'static str {
    match a {
        schema::Action::PayTax => "pay_tax",
        schema::Action::PayFee => "pay_fee",
        schema::Action::PayInterest => "pay_interest",
        schema::Action::PayPrincipal => "pay_principal",
        schema::Action::TopUpReserve => "top_up_reserve",
        schema::Action::ReleaseReserve => "release_reserve",
        schema::Action::PaySubReturn => "pay_sub_return",
        schema::Action::PayResidual => "pay_residual",
        schema::Action::Transfer => "transfer",
        schema::Action::BuyAssets => "buy_assets",
        schema::Action::RepaySupport => "repay_support",
    }
}

fn step(ctx: &mut Ctx, p: &str, s: &schema::Step, refs: &Refs) -> Option<Step> {
    use schema::Action as A;
    let name = action_name(s.action);
    let allowed: &[&str] = match s.action {
        A::PayTax => &["taxes", "from"],
        A::PayFee => &["fees", "share", "part", "from"],
        A::PayInterest => &["tranches", "from"],
        A::PayPrincipal => &["tranches", "order", "amount", "from"],
        A::TopUpReserve => &["release", "from"],
        A::ReleaseReserve => &[],
        A::PaySubReturn | A::PayResidual => &["tranche", "from"],
        A::Transfer => &["from", "to", "up_to", "covers"],
        A::BuyAssets => &["spend", "from"],
        A::RepaySupport => &["supports", "repays", "from"],
    };
    let keys = [
        ("taxes", s.taxes.is_some()),
        ("fees", s.fees.is_some()),
        ("tranches", s.tranches.is_some()),
        ("tranche", s.tranche.is_some()),
        ("supports", s.supports.is_some()),
        ("order", s.order.is_some()),
        ("amount", s.amount.is_some()),
        ("spend", s.spend.is_some()),
        ("release", s.release.is_some()),
        ("share", s.share.is_some()),
        ("part", s.part.is_some()),
        ("repays", s.repays.is_some()),
        ("from", s.from.is_some()),
        ("to", s.to.is_some()),
        ("up_to", s.up_to.is_some()),
        ("covers", s.covers.is_some()),
    ];
    let what = format!("a `{name}` step");
    forbid(ctx, p, &keys, allowed, &["action", "when"], &what);
    let before = ctx.error_count();
    let list = |ctx: &mut Ctx, key: &str, v: &Option<Vec<String>>, table: &Names| match v {
        Some(v) => resolve_list(ctx, &format!("{p}.{key}"), v, table),
        None => {
            missing(
                ctx,
                &format!("{p}.{key}"),
                &what,
                &format!("{key} = [\"name\", …]"),
            );
            Vec::new()
        }
    };
    let one = |ctx: &mut Ctx, v: &Option<String>| match v {
        Some(t) => refs.tranches.resolve(ctx, &format!("{p}.tranche"), t),
        None => {
            missing(ctx, &format!("{p}.tranche"), &what, "tranche = \"B\"");
            None
        }
    };
    let action = match s.action {
        A::PayTax => Action::PayTax(list(ctx, "taxes", &s.taxes, refs.taxes)),
        A::PayFee if s.share.is_none() && s.part.is_none() => {
            Action::PayFee(list(ctx, "fees", &s.fees, refs.fees))
        }
        A::PayFee => {
            let fees = list(ctx, "fees", &s.fees, refs.fees);
            let share = s.share.map(|v| super::fees::share(ctx, p, v));
            let excess = s.part == Some(schema::FeePart::Excess);
            if excess {
                for (i, &j) in fees.iter().enumerate() {
                    if !refs.fee_caps.get(j).copied().unwrap_or(true) {
                        ctx.err(
                            &format!("{p}.fees[{i}]"),
                            format!(
                                "fee `{}` has no `cap`: nothing of it is ever excess",
                                s.fees.as_ref().and_then(|f| f.get(i)).map_or("", |n| n)
                            ),
                            "a fee with cap = …, or part = \"due\"",
                        );
                    }
                }
            }
            Action::PayFeePart {
                fees,
                share,
                excess,
            }
        }
        A::PayInterest => Action::PayInterest(list(ctx, "tranches", &s.tranches, refs.tranches)),
        A::PayPrincipal => Action::PayPrincipal {
            tranches: list(ctx, "tranches", &s.tranches, refs.tranches),
            order: match s.order {
                Some(schema::PrincipalOrder::ProRata) => PrincipalOrder::ProRata,
                _ => PrincipalOrder::Sequential,
            },
            amount: match s.amount {
                Some(schema::PrincipalAmount::Available) => PrincipalAmount::Available,
                _ => PrincipalAmount::Scheduled,
            },
        },
        A::TopUpReserve => {
            if !refs.has_reserve {
                ctx.err(
                    &format!("{p}.action"),
                    "`top_up_reserve` but the deal has no [reserve]",
                    "a [reserve] table, or no top_up_reserve step",
                );
            }
            if s.release == Some(false) {
                Action::DepositReserve
            } else {
                Action::TopUpReserve
            }
        }
        A::ReleaseReserve => {
            if !refs.has_reserve {
                ctx.err(
                    &format!("{p}.action"),
                    "`release_reserve` but the deal has no [reserve]",
                    "a [reserve] table, or no release_reserve step",
                );
            }
            Action::ReleaseReserve
        }
        A::PaySubReturn => {
            let t = one(ctx, &s.tranche);
            if let Some(t) = t
                && let Some(&class) = refs.tranche_classes.get(t)
                && class != TrancheClass::Subordinated
            {
                ctx.err(
                    &format!("{p}.tranche"),
                    format!(
                        "`pay_sub_return` on tranche `{}`, which is {}",
                        s.tranche.as_deref().unwrap_or(""),
                        class.name()
                    ),
                    "a subordinated tranche",
                );
            }
            Action::PaySubReturn(t.unwrap_or(0))
        }
        A::PayResidual => Action::PayResidual(one(ctx, &s.tranche).unwrap_or(0)),
        A::Transfer => transfer(ctx, p, s, refs),
        A::BuyAssets => {
            if !refs.has_revolving {
                ctx.err(
                    &format!("{p}.action"),
                    "`buy_assets` but the deal has no [revolving] section",
                    "a [revolving] table (end date, price, asset template), or no buy_assets step",
                );
            }
            Action::BuyAssets(match s.spend {
                Some(schema::Spend::Available) => Spend::Available,
                _ => Spend::PrincipalCollected,
            })
        }
        A::RepaySupport => {
            let supports = list(ctx, "supports", &s.supports, refs.supports);
            for (i, &x) in supports.iter().enumerate() {
                if refs.support_kinds.get(x) == Some(&SupportKind::AssetGuarantee) {
                    ctx.err(
                        &format!("{p}.supports[{i}]"),
                        format!(
                            "`{}` is an asset guarantee: the recoveries repay what it paid \
                             (代位追偿), not a waterfall step",
                            s.supports.as_ref().and_then(|v| v.get(i)).map_or("", |n| n)
                        ),
                        "a `shortfall_undertaking` or `guarantee` support",
                    );
                }
            }
            let repays = s.repays.unwrap_or(schema::Repays::All);
            Action::RepaySupport {
                supports,
                interest: repays != schema::Repays::Draws,
                draws: repays != schema::Repays::Interest,
            }
        }
    };
    let from = match (&s.from, s.action) {
        (Some(name), a) if a != A::Transfer => {
            account_ref(ctx, &format!("{p}.from"), name, refs.accounts)
        }
        _ => Some(AccountRef::Collection),
    };
    let cond_refs = CondRefs {
        tranches: refs.tranches,
        triggers: refs.triggers,
    };
    let when = match &s.when {
        Some(w) => condition(ctx, &format!("{p}.when"), w, &cond_refs),
        None => None,
    };
    if ctx.error_count() > before {
        return None;
    }
    Some(Step {
        action,
        when,
        from: from?,
    })
}

/// A `transfer` step: `from`, `to`, and at most one of `up_to` and `covers`.
fn transfer(ctx: &mut Ctx, p: &str, s: &schema::Step, refs: &Refs) -> Action {
    let what = "a `transfer` step";
    let mut end = |key: &str, v: &Option<String>, example: &str| match v {
        Some(name) => account_ref(ctx, &format!("{p}.{key}"), name, refs.accounts),
        None => {
            missing(ctx, &format!("{p}.{key}"), what, example);
            None
        }
    };
    let from = end("from", &s.from, "from = \"principal\"");
    let to = end("to", &s.to, "to = \"income\"");
    if let (Some(f), Some(t)) = (from, to)
        && f == t
    {
        ctx.err(
            &format!("{p}.to"),
            "the transfer moves cash from an account to itself",
            "another account than `from`",
        );
    }
    let limit = match (&s.up_to, &s.covers) {
        (Some(_), Some(_)) => {
            ctx.key_err(
                &format!("{p}.covers"),
                "a transfer takes `up_to` or `covers`, not both",
                "up_to = \"pdl\" (cure the PDL) or covers = [\"senior_interest\"] (cover a \
                 shortfall)",
            );
            TransferLimit::All
        }
        (Some(schema::TransferLimit::Pdl), None) => {
            if !refs.has_pdl {
                ctx.err(
                    &format!("{p}.up_to"),
                    "`up_to = \"pdl\"` but the deal has no [pdl]",
                    "a [pdl] table, or no up_to",
                );
            }
            TransferLimit::Pdl
        }
        (None, Some(c)) => {
            TransferLimit::Covers(super::liabilities::covers(ctx, &format!("{p}.covers"), c))
        }
        (None, None) => TransferLimit::All,
    };
    Action::Transfer {
        from: from.unwrap_or(AccountRef::Collection),
        to: to.unwrap_or(AccountRef::Collection),
        limit,
    }
}

pub(super) fn triggers(
    ctx: &mut Ctx,
    raw: &[schema::Trigger],
    waterfalls: &Names,
    supports: &Names,
) -> (Vec<Trigger>, Vec<String>) {
    use schema::TriggerCondition as C;
    let mut names = Names::new("trigger");
    let mut out = Vec::with_capacity(raw.len());
    // The events `event` triggers watch, each once.
    let mut events: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let p = format!("triggers[{i}]");
        ctx.name(&format!("{p}.name"), &t.name);
        names.add(ctx, &format!("{p}.name"), &t.name, i);
        let tp = format!("{p}.threshold");
        let condition = match (t.condition, t.threshold) {
            (C::CumulativeDefaultRatioAbove, Some(x)) => Some(
                TriggerCondition::CumulativeDefaultRatioAbove(ctx.fraction(&tp, x, true)),
            ),
            (C::CoverageBelow, Some(x)) => Some(TriggerCondition::CoverageBelow(ctx.number(
                &tp,
                x,
                Sign::Positive,
            ))),
            (C::PoolToSeniorBelow, Some(x)) => Some(TriggerCondition::PoolToSeniorBelow(
                ctx.number(&tp, x, Sign::Positive),
            )),
            (C::CumulativeDefaultRatioAbove | C::CoverageBelow | C::PoolToSeniorBelow, None) => {
                ctx.err(
                    &tp,
                    "missing required key `threshold` for this condition",
                    "threshold = 0.10 (a ratio for cumulative_default_ratio_above, a multiple \
                     for coverage_below and pool_to_senior_below)",
                );
                None
            }
            (C::SeniorInterestShortfall, x)
            | (C::SeniorOutstandingAfterLegalMaturity, x)
            | (C::TopClassInterestShortfall, x)
            | (C::SupportFailed, x)
            | (C::Event, x) => {
                if x.is_some() {
                    ctx.key_err(
                        &tp,
                        "`threshold` does not apply to this condition",
                        "no threshold (only cumulative_default_ratio_above, coverage_below and \
                         pool_to_senior_below take one)",
                    );
                }
                match t.condition {
                    C::SeniorInterestShortfall => Some(TriggerCondition::SeniorInterestShortfall),
                    C::TopClassInterestShortfall => {
                        Some(TriggerCondition::TopClassInterestShortfall)
                    }
                    C::SupportFailed => support_failed(ctx, &p, t, supports),
                    C::Event => event(ctx, &p, t, &mut events),
                    _ => Some(TriggerCondition::SeniorOutstandingAfterLegalMaturity),
                }
            }
        };
        let threshold_steps = threshold_steps(ctx, &p, t);
        if t.support.is_some() && t.condition != C::SupportFailed {
            ctx.key_err(
                &format!("{p}.support"),
                "`support` applies only to a `support_failed` trigger",
                "no support key, or condition = \"support_failed\"",
            );
        }
        if t.event.is_some() && t.condition != C::Event {
            ctx.key_err(
                &format!("{p}.event"),
                "`event` applies only to an `event` trigger",
                "no event key, or condition = \"event\"",
            );
        }
        let trips_by_design = trigger_allow(ctx, &p, t);
        let waterfall = waterfalls.resolve(ctx, &format!("{p}.waterfall"), &t.waterfall);
        if waterfall == Some(0) {
            ctx.warn(
                Check::TriggerToNormal,
                &format!("{p}.waterfall"),
                format!(
                    "trigger `{}` switches to `normal`, the waterfall that runs when no trigger \
                     has tripped: tripping it changes nothing{}",
                    t.name,
                    if t.kind == schema::TriggerKind::EventOfDefault {
                        ", except that as an event of default it overrides every acceleration \
                         trigger"
                    } else {
                        ""
                    }
                ),
            );
        }
        if let (Some(condition), Some(waterfall)) = (condition, waterfall) {
            out.push(Trigger {
                name: t.name.clone(),
                kind: match t.kind {
                    schema::TriggerKind::Acceleration => TriggerKind::Acceleration,
                    schema::TriggerKind::EventOfDefault => TriggerKind::EventOfDefault,
                },
                condition,
                waterfall,
                curable: t.curable.unwrap_or(false),
                threshold_steps,
                trips_by_design,
            });
        }
    }
    (out, events)
}

/// The checks about one trigger, which its own `allow` can silence: the run's
/// `trips_without_defaults` and the load-time checks located at the trigger.
const TRIGGER_CHECKS: [Check; 5] = [
    Check::TripsWithoutDefaults,
    Check::TriggerRange,
    Check::CoverageOnInterest,
    Check::TriggerToNormal,
    Check::ThresholdSteps,
];

/// A trigger's `allow` (the trigger at `p`): the load-time checks it lists are silenced at its
/// keys (`Ctx::scoped_allow`); returns whether it lists `trips_without_defaults`. A check not
/// about one trigger, a repeat, or `trips_without_defaults` on a trigger a run without
/// defaults never trips (`event`, `support_failed`: the scenario trips them;
/// `cumulative_default_ratio_above`: defaults do) is an error.
fn trigger_allow(ctx: &mut Ctx, p: &str, t: &schema::Trigger) -> bool {
    use schema::TriggerCondition as C;
    let Some(names) = &t.allow else {
        return false;
    };
    let names_of = || TRIGGER_CHECKS.map(Check::name);
    let mut listed: Vec<Check> = Vec::new();
    for (j, n) in names.iter().enumerate() {
        let path = format!("{p}.allow[{j}]");
        match n.parse::<Check>() {
            Ok(c) if listed.contains(&c) => ctx.err(
                &path,
                format!("`{n}` is listed twice"),
                "each check at most once",
            ),
            Ok(Check::TripsWithoutDefaults)
                if matches!(
                    t.condition,
                    C::Event | C::SupportFailed | C::CumulativeDefaultRatioAbove
                ) =>
            {
                ctx.err(
                    &path,
                    "`trips_without_defaults` is never warned of for this trigger: a run with no \
                     default never trips an `event`, `support_failed` or \
                     `cumulative_default_ratio_above` trigger",
                    "no `trips_without_defaults` in this trigger's allow",
                )
            }
            Ok(c) if TRIGGER_CHECKS.contains(&c) => {
                listed.push(c);
                if c != Check::TripsWithoutDefaults {
                    ctx.scoped_allow.push((p.to_string(), c));
                }
            }
            Ok(_) => ctx.err(
                &path,
                format!("`{n}` is not a check about one trigger"),
                format!(
                    "{} (or the check in `[deal] allow`, which silences it for the whole deal)",
                    super::one_of(&names_of())
                ),
            ),
            Err(()) => super::deal::unknown_check(ctx, &path, n, &names_of()),
        }
    }
    listed.contains(&Check::TripsWithoutDefaults)
}

/// A trigger's `threshold_steps`: each threshold checked as `threshold` is, the dates strictly
/// increasing; only for the conditions that take a threshold.
fn threshold_steps(ctx: &mut Ctx, p: &str, t: &schema::Trigger) -> Vec<(NaiveDate, Decimal)> {
    use schema::TriggerCondition as C;
    let Some(steps) = &t.threshold_steps else {
        return Vec::new();
    };
    let sp = format!("{p}.threshold_steps");
    if !matches!(
        t.condition,
        C::CumulativeDefaultRatioAbove | C::CoverageBelow | C::PoolToSeniorBelow
    ) {
        ctx.key_err(
            &sp,
            "`threshold_steps` does not apply to this condition",
            "no threshold_steps (only cumulative_default_ratio_above, coverage_below and \
             pool_to_senior_below take a threshold)",
        );
        return Vec::new();
    }
    let mut out: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(steps.len());
    for (j, step) in steps.iter().enumerate() {
        let q = format!("{sp}[{j}]");
        let from = ctx.date(&format!("{q}.from"), step.from);
        let tp = format!("{q}.threshold");
        let x = match t.condition {
            C::CumulativeDefaultRatioAbove => ctx.fraction(&tp, step.threshold, true),
            _ => ctx.number(&tp, step.threshold, Sign::Positive),
        };
        if let Some(&(before, _)) = out.last()
            && from <= before
        {
            ctx.err(
                &format!("{q}.from"),
                format!("step from {from} is not after the step before it (from {before})"),
                "threshold_steps in date order, each `from` later than the one before",
            );
        }
        out.push((from, x));
    }
    out
}

/// A `support_failed` trigger's condition: the support it names, or any; a deal without
/// supports has nothing to fail.
fn support_failed(
    ctx: &mut Ctx,
    p: &str,
    t: &schema::Trigger,
    supports: &Names,
) -> Option<TriggerCondition> {
    if supports.is_empty() {
        ctx.err(
            &format!("{p}.condition"),
            "a `support_failed` trigger, but the deal has no [[supports]]",
            "a [[supports]] entry (差额支付承诺, 保证担保) for the trigger to watch",
        );
        return None;
    }
    match &t.support {
        Some(name) => supports
            .resolve(ctx, &format!("{p}.support"), name)
            .map(|s| TriggerCondition::SupportFailed(Some(s))),
        None => Some(TriggerCondition::SupportFailed(None)),
    }
}

/// An `event` trigger at `p`: the event it watches (`event`, required, a non-empty name), added
/// to `events` when it is new there.
fn event(
    ctx: &mut Ctx,
    p: &str,
    t: &schema::Trigger,
    events: &mut Vec<String>,
) -> Option<TriggerCondition> {
    let Some(name) = &t.event else {
        ctx.err(
            &format!("{p}.condition"),
            "an `event` trigger names no event",
            "event = \"undertaker_downgrade\": the name a scenario's `events` gives a date",
        );
        return None;
    };
    ctx.name(&format!("{p}.event"), name);
    let i = match events.iter().position(|e| e == name) {
        Some(i) => i,
        None => {
            events.push(name.clone());
            events.len() - 1
        }
    };
    Some(TriggerCondition::Event(i))
}

/// Warns about a waterfall other than `normal` that no trigger switches to: it never runs.
pub(super) fn unused_waterfalls(
    ctx: &mut Ctx,
    waterfalls: &[Waterfall],
    triggers: &[schema::Trigger],
    call: Option<&str>,
    revolving: Option<&str>,
) {
    for w in waterfalls.iter().filter(|w| w.name != "normal") {
        if !triggers.iter().any(|t| t.waterfall == w.name)
            && call != Some(w.name.as_str())
            && revolving != Some(w.name.as_str())
        {
            ctx.warn(
                Check::UnusedWaterfall,
                &super::spans::join_key("waterfalls", &w.name),
                format!(
                    "waterfall `{}` never runs: no trigger switches to it",
                    w.name
                ),
            );
        }
    }
}

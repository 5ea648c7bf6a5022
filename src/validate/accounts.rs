//! Named cash accounts and their collection rules, the principal deficiency ledger, the
//! clean-up call, step conditions (`when`) and support limits by waterfall
//! (docs/deal-format.md: "Accounts", "Conditions", "Clean-up call").

use super::{Ctx, Names, Sign};
use crate::deal::{
    AccountRef, Accounts, Action, CashSource, CleanUpCall, Deal, Pdl, StepCondition, Support,
};
use crate::error::Check;
use crate::schema;

/// The name of the collection account in `from` and `to`.
pub(super) use crate::deal::COLLECTION;

/// `[[accounts]]`: the named accounts and where each pool source goes.
pub(super) fn accounts(ctx: &mut Ctx, raw: &[schema::CashAccount]) -> (Accounts, Names) {
    let mut names = Names::new("account");
    let mut out = Accounts::default();
    // Where each source was first routed: (account index, path).
    let mut routed: [Option<(usize, String)>; 4] = Default::default();
    for (i, a) in raw.iter().enumerate() {
        let p = format!("accounts[{i}]");
        ctx.name(&format!("{p}.name"), &a.name);
        if a.name == COLLECTION {
            ctx.err(
                &format!("{p}.name"),
                "`collection` is the name of the collection account, which always exists",
                "another name, e.g. \"income\" or \"principal\"",
            );
        }
        names.add(ctx, &format!("{p}.name"), &a.name, i);
        out.names.push(a.name.clone());
        for (j, &src) in a.collects.iter().enumerate() {
            let src = source(src);
            let s = CashSource::ALL.iter().position(|&x| x == src).unwrap_or(0);
            let path = format!("{p}.collects[{j}]");
            match &routed[s] {
                Some((first, _)) => ctx.err(
                    &path,
                    format!(
                        "`{}` is already collected by account `{}`",
                        src.name(),
                        raw[*first].name
                    ),
                    "each source in at most one account's `collects`",
                ),
                None => {
                    routed[s] = Some((i, path));
                    out.route[s] = Some(i);
                }
            }
        }
    }
    (out, names)
}

fn source(s: schema::CashSource) -> CashSource {
    match s {
        schema::CashSource::Interest => CashSource::Interest,
        schema::CashSource::Principal => CashSource::Principal,
        schema::CashSource::Prepayments => CashSource::Prepayments,
        schema::CashSource::Recoveries => CashSource::Recoveries,
    }
}

/// Resolves an account name of `from` or `to`: `collection` or a named account.
pub(super) fn account_ref(
    ctx: &mut Ctx,
    path: &str,
    name: &str,
    accounts: &Names,
) -> Option<AccountRef> {
    if name == COLLECTION {
        return Some(AccountRef::Collection);
    }
    match accounts.get(name) {
        Some(i) => Some(AccountRef::Named(i)),
        None => {
            ctx.err(
                path,
                format!("no account named `{name}`"),
                format!(
                    "`collection` or the name of an [[accounts]] entry ({})",
                    accounts.one_of()
                ),
            );
            None
        }
    }
}

/// `[pdl]`.
pub(super) fn pdl(raw: Option<&schema::Pdl>) -> Option<Pdl> {
    raw.map(|p| Pdl {
        defaults: p.defaults.unwrap_or(true),
    })
}

/// What a condition may refer to.
pub(super) struct CondRefs<'n> {
    pub(super) tranches: &'n Names,
    pub(super) triggers: &'n Names,
}

/// A step's `when` at `path`.
pub(super) fn condition(
    ctx: &mut Ctx,
    path: &str,
    w: &schema::When,
    refs: &CondRefs,
) -> Option<StepCondition> {
    let t = match w {
        schema::When::Named(schema::StepCondition::SeniorPaidOff) => {
            return Some(StepCondition::SeniorPaidOff);
        }
        schema::When::Named(schema::StepCondition::FinalPeriod) => {
            return Some(StepCondition::FinalPeriod);
        }
        schema::When::Test(t) => t,
    };
    let keys = [
        ("paid_off", t.paid_off.is_some()),
        ("on_or_after", t.on_or_after.is_some()),
        ("before", t.before.is_some()),
        ("trigger", t.trigger.is_some()),
        ("pool_factor_below", t.pool_factor_below.is_some()),
        (
            "cumulative_default_ratio_above",
            t.cumulative_default_ratio_above.is_some(),
        ),
        ("all", t.all.is_some()),
        ("any", t.any.is_some()),
        ("not", t.not.is_some()),
    ];
    let given: Vec<&str> = keys.iter().filter(|k| k.1).map(|k| k.0).collect();
    if given.len() != 1 {
        ctx.err(
            path,
            if given.is_empty() {
                "the condition table is empty".to_string()
            } else {
                format!(
                    "the condition table has {} tests ({}); combine them with `all` or `any`",
                    given.len(),
                    given.join(", ")
                )
            },
            "exactly one of: paid_off, on_or_after, before, trigger, pool_factor_below, \
             cumulative_default_ratio_above, all, any, not; e.g. { paid_off = \"B\" }",
        );
        return None;
    }
    let list = |ctx: &mut Ctx, key: &str, v: &[schema::When]| -> Option<Vec<StepCondition>> {
        if v.is_empty() {
            ctx.err(
                &format!("{path}.{key}"),
                format!("`{key}` lists no condition"),
                "at least one condition, e.g. [{ paid_off = \"A\" }, \"final_period\"]",
            );
            return None;
        }
        let out: Vec<Option<StepCondition>> = v
            .iter()
            .enumerate()
            .map(|(i, c)| condition(ctx, &format!("{path}.{key}[{i}]"), c, refs))
            .collect();
        out.into_iter().collect()
    };
    if let Some(name) = &t.paid_off {
        let p = format!("{path}.paid_off");
        return refs
            .tranches
            .resolve(ctx, &p, name)
            .map(|i| StepCondition::PaidOff(vec![i]));
    }
    if let Some(d) = t.on_or_after {
        return Some(StepCondition::OnOrAfter(
            ctx.date(&format!("{path}.on_or_after"), d),
        ));
    }
    if let Some(d) = t.before {
        return Some(StepCondition::Before(
            ctx.date(&format!("{path}.before"), d),
        ));
    }
    if let Some(name) = &t.trigger {
        return refs
            .triggers
            .resolve(ctx, &format!("{path}.trigger"), name)
            .map(StepCondition::Trigger);
    }
    if let Some(x) = t.pool_factor_below {
        let p = format!("{path}.pool_factor_below");
        let before = ctx.error_count();
        let x = ctx.fraction(&p, x, true);
        return (ctx.error_count() == before).then_some(StepCondition::PoolFactorBelow(x));
    }
    if let Some(x) = t.cumulative_default_ratio_above {
        let p = format!("{path}.cumulative_default_ratio_above");
        let before = ctx.error_count();
        let x = ctx.fraction(&p, x, true);
        return (ctx.error_count() == before)
            .then_some(StepCondition::CumulativeDefaultRatioAbove(x));
    }
    if let Some(v) = &t.all {
        return list(ctx, "all", v).map(StepCondition::All);
    }
    if let Some(v) = &t.any {
        return list(ctx, "any", v).map(StepCondition::Any);
    }
    if let Some(c) = &t.not {
        return condition(ctx, &format!("{path}.not"), c, refs)
            .map(|c| StepCondition::Not(Box::new(c)));
    }
    None
}

/// `[clean_up_call]`.
pub(super) fn clean_up_call(
    ctx: &mut Ctx,
    raw: Option<&schema::CleanUpCall>,
    waterfalls: &Names,
) -> Option<CleanUpCall> {
    let c = raw?;
    let p = "clean_up_call";
    if c.pool_factor_below.is_none() && c.on_or_after.is_none() {
        ctx.err(
            p,
            "the clean-up call has no condition",
            "pool_factor_below = 0.10, on_or_after = 2027-06-30, or both (either makes it \
             exercisable)",
        );
    }
    let pool_factor_below = c.pool_factor_below.map(|x| {
        let path = format!("{p}.pool_factor_below");
        let x = ctx.fraction(&path, x, true);
        if x.is_zero() {
            // The performing balance is never below 0 (review 31a item 7).
            ctx.warn(
                Check::CallRange,
                &path,
                "a clean-up call at a pool factor below 0 is never exercised on the pool factor: \
                 the pool's balance is never below 0 (0.10 for 10%)"
                    .to_string(),
            );
        }
        if x > rust_decimal::Decimal::new(3, 1) && x <= rust_decimal::Decimal::ONE {
            ctx.warn(
                Check::CallRange,
                &path,
                format!(
                    "a clean-up call at a pool factor below {x} ({}% of the cutoff balance) is \
                     far above the 10%–20% seen in Chinese ABS",
                    super::percent(x)
                ),
            );
        }
        x
    });
    let on_or_after = c
        .on_or_after
        .map(|d| ctx.date(&format!("{p}.on_or_after"), d));
    let price_share = match c.price_share {
        Some(x) => {
            let path = format!("{p}.price_share");
            let x = ctx.number(&path, x, Sign::Positive);
            if x > rust_decimal::Decimal::new(15, 1) {
                ctx.warn(
                    Check::CallRange,
                    &path,
                    format!(
                        "a repurchase price of {x} times the pool balance: a share is written \
                         as a fraction (1 for par, 0.98 for 98%)"
                    ),
                );
            }
            x
        }
        None => rust_decimal::Decimal::ONE,
    };
    let waterfall = waterfalls.resolve(ctx, &format!("{p}.waterfall"), &c.waterfall);
    if waterfall == Some(0) {
        ctx.err(
            &format!("{p}.waterfall"),
            "the clean-up call runs `normal`",
            "a waterfall of its own, e.g. waterfall = \"clean_up\" with [waterfalls] clean_up = […]",
        );
    }
    Some(CleanUpCall {
        pool_factor_below,
        on_or_after,
        price_share,
        accrued_interest: c.accrued_interest.unwrap_or(false),
        repays_senior: c.repays_senior.unwrap_or(true),
        waterfall: waterfall?,
    })
}

/// `[[supports]] waterfalls`: resolved once the waterfalls are known.
pub(super) fn support_waterfalls(
    ctx: &mut Ctx,
    raw: &[schema::Support],
    supports: &mut [Support],
    waterfalls: &Names,
) {
    for (i, (r, s)) in raw.iter().zip(supports.iter_mut()).enumerate() {
        if let Some(list) = &r.waterfalls {
            let p = format!("supports[{i}].waterfalls");
            if list.is_empty() {
                ctx.err(
                    &p,
                    "`waterfalls` is empty: the provider could never be drawn",
                    "at least one waterfall, e.g. [\"normal\"], or no `waterfalls` key (all)",
                );
            }
            s.waterfalls = Some(super::resolve_list(ctx, &p, list, waterfalls));
        }
    }
    // A backing support is drawn in the backed support's waterfalls.
    for i in 0..supports.len() {
        if let Some(b) = supports[i].backs {
            supports[i].waterfalls = supports[b].waterfalls.clone();
        }
    }
}

/// Warns about a step paying from an account that nothing fills: no collection rule routes a
/// source to it and no transfer moves cash into it.
pub(super) fn unfilled_accounts(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    if !deal.accounts.split() {
        return;
    }
    let filled = |a: AccountRef| -> bool {
        let by_rule = CashSource::ALL.iter().any(|&s| deal.accounts.of(s) == a);
        let by_transfer = deal
            .waterfalls
            .iter()
            .flat_map(|w| &w.steps)
            .any(|s| matches!(s.action, Action::Transfer { to, .. } if to == a));
        by_rule || by_transfer
    };
    let name = |a: AccountRef| deal.accounts.name_of(a).to_string();
    let mut warned: Vec<AccountRef> = Vec::new();
    for w in &deal.waterfalls {
        let Some(raw_steps) = raw.waterfalls.as_ref().and_then(|m| m.get(&w.name)) else {
            continue;
        };
        // A `release_reserve` step pays from no account and fills the collection account for
        // the steps after it in its waterfall (review 40a item 4: a release moved on by a
        // transfer was told; review 40c F1: a release elsewhere must not hide a step that
        // pays from the empty collection account).
        let mut released = false;
        for (i, s) in w.steps.iter().enumerate() {
            let from = match s.action {
                Action::Transfer { from, .. } => from,
                Action::ReleaseReserve => {
                    released = true;
                    continue;
                }
                _ => s.from,
            };
            if filled(from)
                || (released && from == AccountRef::Collection)
                || warned.contains(&from)
            {
                continue;
            }
            warned.push(from);
            let key = if raw_steps.get(i).is_some_and(|r| r.from.is_some()) {
                "from"
            } else {
                "action"
            };
            // A release later in the waterfall fills it for the next date only (review 40e
            // F5: the text said the account only ever holds draws).
            let later = w
                .steps
                .iter()
                .skip(i + 1)
                .position(|s| matches!(s.action, Action::ReleaseReserve))
                .filter(|_| from == AccountRef::Collection)
                .map_or(String::new(), |j| {
                    format!(
                        " (and what the `release_reserve` of step {} releases after this step, \
                         for the next date)",
                        i + j + 2
                    )
                });
            ctx.warn(
                Check::UnfilledAccount,
                &format!(
                    "{}[{i}].{key}",
                    super::spans::join_key("waterfalls", &w.name)
                ),
                format!(
                    "this step pays from the {} account, which no `collects` rule and no \
                     transfer fills: on its date it holds only reserve and support draws{later}; \
                     is its `from` missing?",
                    name(from)
                ),
            );
        }
    }
}

//! The structure of the waterfalls: every item reached, steps in an order that can pay, step
//! conditions, the claims of taxes, fees and the reserve, and what the supports cover.

use super::*;
use crate::deal::{
    Action, Amortization, Base, Cover, Deal, FeeKind, PrincipalAmount, PrincipalOrder, Step,
    StepCondition, TrancheClass, TransferLimit,
};
use crate::error::Check;
use crate::schema;
use crate::validate::Ctx;

pub(super) fn names(deal: &Deal, tranches: &[usize]) -> String {
    tranches
        .iter()
        .map(|&t| format!("`{}`", deal.tranches[t].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every fee, tax, tranche and the reserve is reached by some step of `normal`.
pub(super) fn reached(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
    let Some(normal) = deal.waterfalls.first() else {
        return;
    };
    let steps = &normal.steps;
    let elsewhere = |pred: &dyn Fn(&Action) -> bool| {
        deal.waterfalls
            .iter()
            .skip(1)
            .filter(|w| w.steps.iter().any(|s| pred(&s.action)))
            .map(|w| format!("`{}`", w.name))
            .collect::<Vec<_>>()
    };
    let only_in = |others: Vec<String>| {
        if others.is_empty() {
            "no waterfall pays it".to_string()
        } else {
            format!("only {} pays it", others.join(", "))
        }
    };
    // No residual: what the tranches leave stays in the deal's accounts while `normal` runs
    // (review 40d F6: a deal without a subordinated tranche was told only at run time,
    // `cash_left`); a clean-up call's or a trigger's waterfall may pay it out later (review
    // 40e F3), which the message leaves open.
    if !steps
        .iter()
        .any(|s| matches!(s.action, Action::PayResidual(_)))
    {
        ctx.warn(
            Check::Unreached,
            "waterfalls.normal",
            "no step of the `normal` waterfall pays the residual (`pay_residual`): what the \
             tranches and charges leave stays in the deal's accounts while it runs (a run's \
             `cash_left` warning when some is left at the end); give it to the subordinated \
             tranche (剩余收益) with a last `pay_residual` step"
                .to_string(),
        );
    }
    // A fee or tax that no step of `normal` pays: (its kind, path of its name, name).
    let unpaid_charge = |ctx: &mut Ctx,
                         (kind, path, name): (&str, String, &str),
                         pays: &dyn Fn(&Action) -> bool| {
        if !steps.iter().any(|s| pays(&s.action)) {
            ctx.warn(
                Check::Unreached,
                &path,
                format!(
                    "{kind} `{name}` is paid by no step of the `normal` waterfall ({}): it falls \
                     due every payment date and its arrears grow unpaid (fees.parquet shows them)",
                    only_in(elsewhere(pays))
                ),
            );
        }
    };
    for (j, f) in deal.fees.iter().enumerate() {
        let pays = |a: &Action| matches!(a, Action::PayFee(l) | Action::PayFeePart { fees: l, excess: false, .. } if l.contains(&j));
        unpaid_charge(ctx, ("fee", format!("fees[{j}].name"), &f.name), &pays);
    }
    for (j, f) in deal.fees.iter().enumerate() {
        let pays_excess = |a: &Action| matches!(a, Action::PayFeePart { fees: l, excess: true, .. } if l.contains(&j));
        if f.cap.is_some() && !steps.iter().any(|s| pays_excess(&s.action)) {
            ctx.warn(
                Check::Unreached,
                &format!("fees[{j}].cap"),
                format!(
                    "the excess of fee `{}` over its cap is paid by no step of the `normal` \
                     waterfall (a pay_fee step with part = \"excess\"): it accumulates unpaid",
                    f.name
                ),
            );
        }
    }
    for (j, t) in deal.taxes.iter().enumerate() {
        let pays = |a: &Action| matches!(a, Action::PayTax(l) if l.contains(&j));
        unpaid_charge(ctx, ("tax", format!("taxes[{j}].name"), &t.name), &pays);
    }
    for (i, t) in deal.tranches.iter().enumerate() {
        let principal = |a: &Action| matches!(a, Action::PayPrincipal { tranches, .. } if tranches.contains(&i));
        let interest = |a: &Action| match a {
            Action::PayInterest(l) => l.contains(&i),
            Action::PaySubReturn(x) => *x == i,
            _ => false,
        };
        let any = |a: &Action| {
            principal(a) || interest(a) || matches!(a, Action::PayResidual(x) if *x == i)
        };
        let path = format!("{}.name", paths.tranche(&t.name));
        if !steps.iter().any(|s| any(&s.action)) {
            ctx.warn(
                Check::Unreached,
                &path,
                format!(
                    "tranche `{}` is paid by no step of the `normal` waterfall ({})",
                    t.name,
                    only_in(elsewhere(&any))
                ),
            );
            continue;
        }
        // With `end_when_repaid` the plan ends when every balance is 0: a tranche no
        // `pay_principal` step repays (its residual only) never gets there (review 31f item 3).
        if deal.end_when_repaid
            && !deal
                .waterfalls
                .iter()
                .any(|w| w.steps.iter().any(|s| principal(&s.action)))
        {
            ctx.warn(
                Check::Unreached,
                "deal.end_when_repaid",
                format!(
                    "tranche `{}` is repaid by no `pay_principal` step (its residual only): its \
                     balance never reaches 0, so end_when_repaid never ends the plan",
                    t.name
                ),
            );
        }
        // A subordinated tranche may be paid out by its residual instead.
        let residual = |a: &Action| matches!(a, Action::PayResidual(x) if *x == i);
        if !steps
            .iter()
            .any(|s| principal(&s.action) || residual(&s.action))
        {
            ctx.warn(
                Check::Unreached,
                &path,
                format!(
                    "no `pay_principal` (or `pay_residual`) step of the `normal` waterfall pays \
                     tranche `{}` its principal: its balance is never paid down",
                    t.name
                ),
            );
        }
        if t.class != TrancheClass::Subordinated
            && t.bears_interest()
            && !steps.iter().any(|s| interest(&s.action))
        {
            ctx.warn(
                Check::Unreached,
                &path,
                format!(
                    "no `pay_interest` step of the `normal` waterfall pays tranche `{}`'s \
                     interest: it falls due every payment date and is never paid",
                    t.name
                ),
            );
        }
        // A subordinated coupon (its period return's cap, 期间收益) that no step pays: its
        // due grows unseen (review 31c item 6).
        // A floating one too, at its key (review 39e item 5).
        if t.class == TrancheClass::Subordinated
            && t.bears_interest()
            && !steps.iter().any(|s| interest(&s.action))
        {
            let (key, rate) = match t.floating {
                Some(_) => ("floating", "its floating rate".to_string()),
                None => (
                    "coupon",
                    format!("its coupon of {}", super::plausibility::pct(t.coupon)),
                ),
            };
            ctx.warn(
                Check::Unreached,
                &format!("{}.{key}", paths.tranche(&t.name)),
                format!(
                    "no `pay_sub_return` step of the `normal` waterfall pays subordinated \
                     tranche `{}` its period return (期间收益) at {rate}: it falls due every \
                     payment date and is never paid; add the step, or leave `{key}` out for a \
                     tranche without one",
                    t.name,
                ),
            );
        }
    }
    if raw.reserve.is_some()
        && !steps
            .iter()
            .any(|s| matches!(s.action, Action::TopUpReserve | Action::DepositReserve))
    {
        ctx.warn(
            Check::Unreached,
            "reserve",
            "no `top_up_reserve` step in the `normal` waterfall: the reserve is never \
             replenished after a draw, nor released to the waterfall",
        );
    }
}

/// A waterfall a trigger or the clean-up call selects that never releases the reserve (no
/// `top_up_reserve` that releases, no `release_reserve`): once it runs, the reserve keeps its
/// balance to the end, the last date's target of 0 included (review 38a item 1: it cost a
/// senior half a point of break-even with no word; only a stressed `run` told `cash_left`).
/// `normal` is `reached`'s; a revolving period's waterfall gives way to `normal` when the
/// period ends.
pub(super) fn reserve_released(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    if raw.reserve.is_none() {
        return;
    }
    for w in selected(deal) {
        if w.steps
            .iter()
            .any(|s| matches!(s.action, Action::TopUpReserve | Action::ReleaseReserve))
        {
            continue;
        }
        ctx.warn(
            Check::Unreached,
            &join_key("waterfalls", &w.name),
            format!(
                "waterfall `{}` has no `top_up_reserve` or `release_reserve` step: once it \
                 runs, the reserve is never released, not even on the last \
                 payment date (its target is 0 then), and its balance is left in it after the \
                 deal (`cash_left`) instead of paying the tranches; add \
                 `{{ action = \"release_reserve\" }}` before its principal steps",
                w.name
            ),
        );
    }
}

/// The waterfalls other than `normal` that a trigger or the clean-up call selects (a
/// revolving period's waterfall gives way to `normal` when the period ends).
fn selected(deal: &Deal) -> impl Iterator<Item = &crate::deal::Waterfall> {
    deal.waterfalls
        .iter()
        .enumerate()
        .skip(1)
        .filter(|&(ix, _)| {
            deal.triggers.iter().any(|t| t.waterfall == ix)
                || deal
                    .clean_up_call
                    .as_ref()
                    .is_some_and(|c| c.waterfall == ix)
        })
        .map(|(_, w)| w)
}

/// A waterfall a trigger or the clean-up call selects that never repays a tranche (no
/// `pay_principal` or `pay_residual` names it), or never pays a senior or mezzanine
/// tranche's interest: once it runs, that tranche is paid nothing more, while the tranches it
/// does name are repaid, juniors included (review 39a item 1: an accelerated waterfall without
/// the senior's principal step left it 86.5m short under stress with juniors repaid in full,
/// and `check` said nothing; `reached` reads `normal` only, and `step_order` sees a step out of
/// place, not one missing).
pub(super) fn repaid_when_selected(ctx: &mut Ctx, deal: &Deal) {
    for w in selected(deal) {
        for (i, t) in deal.tranches.iter().enumerate() {
            let repays = |a: &Action| match a {
                Action::PayPrincipal { tranches, .. } => tranches.contains(&i),
                Action::PayResidual(x) => *x == i,
                _ => false,
            };
            let pays_interest = |a: &Action| matches!(a, Action::PayInterest(l) if l.contains(&i));
            let missing = if !w.steps.iter().any(|s| repays(&s.action)) {
                format!(
                    "no `pay_principal` (or `pay_residual`) step repays tranche `{}`: once it \
                     runs, that tranche is repaid nothing more while its other steps pay the \
                     rest (juniors included)",
                    t.name
                )
            } else if t.class != TrancheClass::Subordinated
                && t.bears_interest()
                && !w.steps.iter().any(|s| pays_interest(&s.action))
            {
                format!(
                    "no `pay_interest` step pays tranche `{}`'s interest: once it runs, that \
                     interest falls due every payment date and is never paid",
                    t.name
                )
            } else {
                continue;
            };
            ctx.warn(
                Check::Unreached,
                &join_key("waterfalls", &w.name),
                format!(
                    "in waterfall `{}`, which a trigger or the clean-up call selects, {missing}; \
                     add the step in its order of priority",
                    w.name
                ),
            );
        }
    }
}

/// What a step pays, for the order checks: (principal?, tranches).
pub(super) fn claims(a: &Action) -> Option<(bool, Vec<usize>)> {
    match a {
        Action::PayInterest(l) => Some((false, l.clone())),
        Action::PaySubReturn(t) => Some((false, vec![*t])),
        Action::PayPrincipal { tranches, .. } => Some((true, tranches.clone())),
        _ => None,
    }
}

/// Whether `a` is a `pay_principal` step that repays a senior tranche.
fn repays_senior(deal: &Deal, a: &Action) -> bool {
    matches!(a, Action::PayPrincipal { tranches, .. }
        if tranches.iter().any(|&t| deal.tranches[t].class == TrancheClass::Senior))
}

/// Interest before principal within a class, senior before junior, the residual last.
pub(super) fn order(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
    let class = |t: usize| deal.tranches[t].class;
    for (i, s) in steps.iter().enumerate() {
        let path = paths.step(waterfall, i);
        if let Action::PayResidual(t) = s.action {
            // The residual (剩余收益, 超额收益) is the subordinated tranche's.
            if class(t) != TrancheClass::Subordinated {
                ctx.warn(
                    Check::StepOrder,
                    &format!("{path}.tranche"),
                    format!(
                        "step {} of waterfall `{waterfall}` pays everything left to {} tranche \
                         `{}`; the residual is the subordinated tranche's",
                        i + 1,
                        class(t).name(),
                        deal.tranches[t].name
                    ),
                );
            }
            // Only the later steps paying from the same account get nothing (accounts:
            // docs/deal-format.md).
            let pays_from = |x: &Step| match x.action {
                Action::Transfer { from, .. } => from,
                _ => x.from,
            };
            let later: Vec<&Step> = steps
                .get(i + 1..)
                .unwrap_or(&[])
                .iter()
                .filter(|x| pays_from(x) == s.from)
                .collect();
            if !later.is_empty() {
                let what = format!(
                    "`pay_residual` to `{}` is step {} of {} in waterfall `{waterfall}`: it pays \
                     out everything left, so the {} step(s) after it get nothing but credit \
                     support",
                    deal.tranches[t].name,
                    i + 1,
                    steps.len(),
                    later.len()
                );
                if s.when.is_none() {
                    ctx.err(
                        &format!("{path}.action"),
                        what,
                        "the residual step last in its waterfall",
                    );
                } else {
                    ctx.warn(Check::StepOrder, &path, what);
                }
            }
            continue;
        }
        // Within a sequential principal step, senior before junior.
        if let Action::PayPrincipal {
            tranches,
            order: PrincipalOrder::Sequential,
            ..
        } = &s.action
            && let Some(w) = tranches.windows(2).find(|w| class(w[0]) > class(w[1]))
        {
            ctx.warn(
                Check::StepOrder,
                &format!("{path}.tranches"),
                format!(
                    "the step repays {} tranche `{}` before {} tranche `{}`",
                    class(w[0]).name(),
                    deal.tranches[w[0]].name,
                    class(w[1]).name(),
                    deal.tranches[w[1]].name
                ),
            );
        }
        // A pro-rata principal step over a subordinated tranche and a more senior one pays the
        // subordinated a share of every principal payment while the other is outstanding
        // (review 45d item 1: "A then B" merged into one step cut the senior's break-even by a
        // third to three quarters, in silence). A step that waits for the seniors to be repaid
        // pays no senior; senior and mezzanine pro rata (优先A and 优先B under acceleration, as
        // docs/deal-format.md's complete example) is a structure some deals mean.
        if let Action::PayPrincipal {
            tranches,
            order: PrincipalOrder::ProRata,
            ..
        } = &s.action
            && s.when != Some(StepCondition::SeniorPaidOff)
            && let (Some(&hi), Some(&lo)) = (
                tranches.iter().min_by_key(|&&t| class(t)),
                tranches.iter().max_by_key(|&&t| class(t)),
            )
            && class(hi) < class(lo)
            && class(lo) == TrancheClass::Subordinated
        {
            ctx.warn(
                Check::StepOrder,
                &format!("{path}.tranches"),
                format!(
                    "step {} of waterfall `{waterfall}` repays {} tranche `{}` and {} tranche \
                     `{}` pro rata: the subordinated tranche takes a share of every principal \
                     payment while the other is outstanding; repay them in sequence (`order = \
                     \"sequential\"`, or one step each), or, when the deal means it, add \
                     \"step_order\" to [deal] allow",
                    i + 1,
                    class(hi).name(),
                    deal.tranches[hi].name,
                    class(lo).name(),
                    deal.tranches[lo].name
                ),
            );
        }
        let Some((principal, mine)) = claims(&s.action) else {
            continue;
        };
        let waits_for_senior = s.when == Some(StepCondition::SeniorPaidOff);
        // The first later step this one should have come after.
        let mut found: Option<String> = None;
        for (k, later) in steps.iter().enumerate().skip(i + 1) {
            let Some((later_principal, theirs)) = claims(&later.action) else {
                continue;
            };
            for &a in &mine {
                for &b in &theirs {
                    // The same tranche matters only for principal before its interest.
                    let principal_then_interest = principal && !later_principal;
                    if a == b && !principal_then_interest {
                        continue;
                    }
                    let junior = class(a) > class(b);
                    let same = class(a) == class(b);
                    // A step that waits for the seniors to be repaid may come before them.
                    if waits_for_senior && class(b) == TrancheClass::Senior {
                        continue;
                    }
                    let problem = match (principal, later_principal) {
                        (true, false) if same || junior => Some(format!(
                            "principal of {} tranche `{}` before the interest of {} tranche \
                             `{}` (step {})",
                            class(a).name(),
                            deal.tranches[a].name,
                            class(b).name(),
                            deal.tranches[b].name,
                            k + 1
                        )),
                        (true, true) | (false, false) if junior => Some(format!(
                            "{} of {} tranche `{}` before that of {} tranche `{}` (step {})",
                            if principal { "principal" } else { "interest" },
                            class(a).name(),
                            deal.tranches[a].name,
                            class(b).name(),
                            deal.tranches[b].name,
                            k + 1
                        )),
                        _ => None,
                    };
                    if found.is_none() {
                        found = problem;
                    }
                }
            }
        }
        if let Some(problem) = found {
            ctx.warn(
                Check::StepOrder,
                &path,
                format!("step {} of waterfall `{waterfall}` pays {problem}", i + 1),
            );
        }
    }
}

/// Taxes and fees before the tranches, and the reserve after senior interest: a `pay_tax`
/// after a step paying interest or principal (增值税 comes first), a `pay_fee` (not a cap's
/// excess part) after a step repaying senior principal, a `top_up_reserve` before the first
/// step paying senior interest (it would trap the cash that interest needs).
pub(super) fn expense_order(
    ctx: &mut Ctx,
    deal: &Deal,
    waterfall: &str,
    steps: &[Step],
    paths: &Paths,
) {
    let senior = |ts: &[usize]| {
        ts.iter()
            .any(|&t| deal.tranches[t].class == TrancheClass::Senior)
    };
    let first = |pred: &dyn Fn(&Action) -> bool| steps.iter().position(|s| pred(&s.action));
    let tranche_step = first(&|a| {
        matches!(
            a,
            Action::PayInterest(_) | Action::PayPrincipal { .. } | Action::PaySubReturn(_)
        )
    });
    let senior_principal = first(&|a| repays_senior(deal, a));
    let senior_interest = first(&|a| matches!(a, Action::PayInterest(t) if senior(t)));
    for (i, s) in steps.iter().enumerate() {
        let told = match &s.action {
            Action::PayTax(_) => tranche_step.filter(|&j| j < i).map(|j| {
                format!(
                    "pays taxes after step {} pays a tranche: taxes (增值税及附加) come first",
                    j + 1
                )
            }),
            Action::PayFee(_) => senior_principal.filter(|&j| j < i).map(|j| {
                format!(
                    "pays fees after step {} repays senior principal: fees are senior \
                     expenses, paid before the tranches (a capped fee's excess goes lower in a \
                     `pay_fee` step with `part = \"excess\"`, docs/deal-format.md)",
                    j + 1
                )
            }),
            Action::TopUpReserve => senior_interest.filter(|&j| j > i).map(|j| {
                format!(
                    "tops up the reserve before step {} pays senior interest: the reserve \
                     would trap the cash that interest needs",
                    j + 1
                )
            }),
            // A PDL cure (本金亏损 made good from income) before the taxes or senior interest
            // that the same account pays later: the cure takes their cash (review 34a item L2:
            // the default run ended with the taxes and fees in arrears). A fee after the cure is
            // not told: a fee after senior interest (超额服务费) is a structure deals mean (review
            // 34d item M1), and a fee before senior interest comes with that interest's step.
            Action::Transfer {
                from,
                limit: TransferLimit::Pdl,
                ..
            } => steps[i + 1..]
                .iter()
                .position(|x| {
                    x.from == *from
                        && match &x.action {
                            Action::PayTax(_) => true,
                            Action::PayInterest(t) => senior(t),
                            _ => false,
                        }
                })
                .map(|j| {
                    format!(
                        "cures the principal deficiency ledger from `{}` before step {} pays \
                         taxes or senior interest from it: the cure takes the cash those need; \
                         cure the PDL after senior interest",
                        deal.accounts.name_of(*from),
                        i + j + 2
                    )
                }),
            _ => None,
        };
        if let Some(problem) = told {
            ctx.warn(
                Check::StepOrder,
                &paths.step(waterfall, i),
                format!("step {} of waterfall `{waterfall}` {problem}", i + 1),
            );
        }
    }
}

/// A fee or tax on `interest_paid:M` paid before the step that pays M's interest in the same
/// waterfall: it is charged on what M has been paid so far on the date, nothing, on every
/// date that waterfall runs (docs/deal-format.md, Bases: it belongs after M's interest step).
pub(super) fn charge_order(
    ctx: &mut Ctx,
    deal: &Deal,
    waterfall: &str,
    steps: &[Step],
    paths: &Paths,
) {
    let on_interest_paid = |base: &Base| match base {
        Base::InterestPaid(m) => Some(*m),
        _ => None,
    };
    for (i, s) in steps.iter().enumerate() {
        let charges: Vec<(&str, &str, usize)> = match &s.action {
            Action::PayFee(fees) | Action::PayFeePart { fees, .. } => fees
                .iter()
                .filter_map(|&f| match &deal.fees[f].kind {
                    FeeKind::AnnualRate { base, .. } => {
                        on_interest_paid(base).map(|m| ("fee", deal.fees[f].name.as_str(), m))
                    }
                    _ => None,
                })
                .collect(),
            Action::PayTax(taxes) => taxes
                .iter()
                .filter_map(|&x| {
                    on_interest_paid(&deal.taxes[x].base)
                        .map(|m| ("tax", deal.taxes[x].name.as_str(), m))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (what, name, m) in charges {
            let paid_before = steps[..i]
                .iter()
                .any(|x| matches!(&x.action, Action::PayInterest(t) if t.contains(&m)));
            if paid_before {
                continue;
            }
            let after = steps[i + 1..]
                .iter()
                .position(|x| matches!(&x.action, Action::PayInterest(t) if t.contains(&m)))
                .map_or_else(
                    || format!("no step of waterfall `{waterfall}` pays it"),
                    |j| format!("step {} pays it", i + j + 2),
                );
            ctx.warn(
                Check::StepOrder,
                &paths.step(waterfall, i),
                format!(
                    "step {} of waterfall `{waterfall}` pays {what} `{name}`, charged on the \
                     interest paid to `{}`, before that interest is paid ({after}): it is \
                     charged nothing; put it after `{}`'s `pay_interest`",
                    i + 1,
                    deal.tranches[m].name,
                    deal.tranches[m].name
                ),
            );
        }
    }
}

/// A `buy_assets` step after a principal step of the same waterfall (`[revolving]`): the
/// principal step runs first, so the purchase gets only what principal leaves, usually
/// nothing (a pass-through tranche takes all the cash). Revolving waterfalls buy before they
/// repay principal.
pub(super) fn purchase_order(
    ctx: &mut Ctx,
    deal: &Deal,
    waterfall: &str,
    steps: &[Step],
    paths: &Paths,
) {
    let mut principal: Option<(usize, &[usize])> = None;
    for (i, s) in steps.iter().enumerate() {
        match &s.action {
            Action::PayPrincipal { tranches, .. } if principal.is_none() => {
                principal = Some((i, tranches));
            }
            Action::BuyAssets(_) => {
                if let Some((j, tranches)) = principal {
                    ctx.warn(
                        Check::StepOrder,
                        &paths.step(waterfall, i),
                        format!(
                            "step {} of waterfall `{waterfall}` buys assets after step {} repays \
                             principal of {}: the purchase gets only the cash principal leaves \
                             (none after a pass-through tranche); put `buy_assets` before the \
                             principal steps",
                            i + 1,
                            j + 1,
                            names(deal, tranches)
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// A step's condition can become true, and does not contradict what the step pays.
pub(super) fn conditions(
    ctx: &mut Ctx,
    deal: &Deal,
    waterfall: &str,
    steps: &[Step],
    paths: &Paths,
) {
    for (i, s) in steps.iter().enumerate() {
        if s.when != Some(StepCondition::SeniorPaidOff) {
            continue;
        }
        let (what, tranches) = match &s.action {
            Action::PayInterest(l) => ("interest", l),
            Action::PayPrincipal { tranches, .. } => ("principal", tranches),
            _ => continue,
        };
        let senior: Vec<usize> = tranches
            .iter()
            .copied()
            .filter(|&t| deal.tranches[t].class == TrancheClass::Senior)
            .collect();
        if senior.is_empty() {
            continue;
        }
        let consequence = if what == "interest" {
            "the senior's interest would be paid only after its principal is repaid in full, \
             and never while it is outstanding"
        } else {
            "a repaid senior has no principal left: the step can never pay it"
        };
        ctx.err(
            &format!("{}.when", paths.step(waterfall, i)),
            format!(
                "step {} of waterfall `{waterfall}` pays the {what} of senior tranche(s) {} only \
                 `when = \"senior_paid_off\"`: {consequence}",
                i + 1,
                names(deal, &senior)
            ),
            "no `when` on a step that pays senior interest or principal (senior_paid_off is \
             for junior steps)",
        );
    }
}

/// A reserve or support covers only items the deal has.
pub(super) fn covers(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    let has = |class: TrancheClass| deal.tranches.iter().any(|t| t.class == class);
    let exists = |c: Cover| match c {
        Cover::Taxes => (!deal.taxes.is_empty(), "the deal has no [[taxes]]"),
        Cover::Fees => (!deal.fees.is_empty(), "the deal has no [[fees]]"),
        Cover::SeniorInterest | Cover::SeniorPrincipal => {
            (has(TrancheClass::Senior), "the deal has no senior tranche")
        }
        Cover::MezzanineInterest | Cover::MezzaninePrincipal => (
            has(TrancheClass::Mezzanine),
            "the deal has no mezzanine tranche",
        ),
    };
    let mut lists: Vec<(String, &[Cover])> = Vec::new();
    if let (Some(r), Some(raw_r)) = (&deal.reserve, &raw.reserve)
        && raw_r.covers.is_some()
    {
        lists.push(("reserve.covers".to_string(), &r.covers));
    }
    for (i, s) in deal.supports.iter().enumerate() {
        lists.push((format!("supports[{i}].covers"), &s.covers));
    }
    for (path, list) in lists {
        for (j, &c) in list.iter().enumerate() {
            let (ok, why) = exists(c);
            if !ok {
                ctx.err(
                    &format!("{path}[{j}]"),
                    format!("covers `{}` but {why}", c.name()),
                    format!(
                        "items the deal has: {}",
                        Cover::ALL
                            .into_iter()
                            .filter(|&c| exists(c).0)
                            .map(Cover::name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

/// What a step pays of the items supports and reserves cover (`covers`).
fn covered_by(deal: &Deal, a: &Action) -> Vec<Cover> {
    // The classes the step pays, senior first, through the engine's own mapping.
    let classes = |ts: &[usize], cover: fn(TrancheClass) -> Option<Cover>| {
        [TrancheClass::Senior, TrancheClass::Mezzanine]
            .into_iter()
            .filter(|&c| ts.iter().any(|&t| deal.tranches[t].class == c))
            .filter_map(cover)
            .collect()
    };
    match a {
        Action::PayTax(_) => vec![Cover::Taxes],
        Action::PayFee(_) | Action::PayFeePart { .. } => vec![Cover::Fees],
        Action::PayInterest(ts) => classes(ts, Cover::interest_of),
        Action::PayPrincipal { tranches, .. } => classes(tranches, Cover::principal_of),
        _ => Vec::new(),
    }
}

/// A support with `interest_rate` or `revolving_cap` that no `repay_support` step of any
/// waterfall names (since session 36): its draws are never repaid, so its interest accrues
/// unpaid and its cap is never restored.
pub(super) fn facilities_repaid(ctx: &mut Ctx, deal: &Deal, paths: &Paths) {
    // A step that repays only the interest of supports that bear none pays nothing (review
    // 36c): told at the step.
    for w in &deal.waterfalls {
        for (i, s) in w.steps.iter().enumerate() {
            let Action::RepaySupport {
                supports,
                draws: false,
                ..
            } = &s.action
            else {
                continue;
            };
            for &x in supports {
                let sup = &deal.supports[x];
                if sup.interest_rate.is_none() {
                    ctx.warn(
                        Check::NeverRepaid,
                        &paths.step(&w.name, i),
                        format!(
                            "step {} of waterfall `{}` repays the interest of support `{}`, \
                             which has no `interest_rate`: it pays it nothing; give the \
                             support an interest_rate, or drop the step",
                            i + 1,
                            w.name,
                            sup.name
                        ),
                    );
                }
            }
        }
    }
    for (x, sup) in deal.supports.iter().enumerate() {
        // Its interest needs a step that repays interest; its cap one that repays draws.
        let repays = |want_interest: bool| {
            deal.waterfalls.iter().any(|w| {
                w.steps.iter().any(|s| match &s.action {
                    Action::RepaySupport {
                        supports,
                        interest,
                        draws,
                    } => supports.contains(&x) && if want_interest { *interest } else { *draws },
                    _ => false,
                })
            })
        };
        for (key, set, part, consequence) in [
            (
                "interest_rate",
                sup.interest_rate.is_some(),
                "interest",
                "its interest accrues and is never paid",
            ),
            (
                "revolving_cap",
                sup.revolving_cap,
                "draws",
                "its draws are never repaid, so its cap is never restored",
            ),
        ] {
            if set && !repays(key == "interest_rate") {
                ctx.warn(
                    Check::NeverRepaid,
                    &format!("supports[{x}].{key}"),
                    format!(
                        "support `{}` has `{key}`, but no `repay_support` step repays its \
                         {part}: {consequence}; add {{ action = \"repay_support\", supports = \
                         [\"{}\"] }} where the plan repays it",
                        sup.name, sup.name
                    ),
                );
            }
        }
    }
}

/// A `repay_support` step that repays draws before a step of the same waterfall that pays an
/// item the support covers there: the cash repaid is cash that item may then draw from the
/// support again (返还差额支付款 ranks after what the support backs). A step with `repays =
/// "interest"` is not told: a facility's interest paid senior is a structure plans mean
/// (review 36c item M2).
pub(super) fn repayment_order(
    ctx: &mut Ctx,
    deal: &Deal,
    (w, waterfall): (usize, &str),
    steps: &[Step],
    paths: &Paths,
) {
    for (i, s) in steps.iter().enumerate() {
        let Action::RepaySupport {
            supports,
            draws: true,
            ..
        } = &s.action
        else {
            continue;
        };
        for &x in supports {
            let sup = &deal.supports[x];
            if sup.waterfalls.as_ref().is_some_and(|ws| !ws.contains(&w)) {
                continue;
            }
            let later = steps.iter().enumerate().skip(i + 1).find_map(|(j, t)| {
                covered_by(deal, &t.action)
                    .into_iter()
                    .find(|c| sup.covers.contains(c))
                    .map(|c| (j, c))
            });
            if let Some((j, c)) = later {
                ctx.warn(
                    Check::StepOrder,
                    &paths.step(waterfall, i),
                    format!(
                        "step {} of waterfall `{waterfall}` repays support `{}` before step {} \
                         pays {}, which `{}` covers: the cash repaid is cash that step may \
                         draw from it again; repay a support after the items it covers",
                        i + 1,
                        sup.name,
                        j + 1,
                        c.name(),
                        sup.name
                    ),
                );
            }
        }
    }
}

/// Whether a step's `when` waits for tranche `s` to be repaid: `senior_paid_off` for a senior
/// tranche, `paid_off` listing it, or either among `all` conditions.
fn waits_for(deal: &Deal, when: &Option<StepCondition>, s: usize) -> bool {
    fn holds(deal: &Deal, c: &StepCondition, s: usize) -> bool {
        match c {
            StepCondition::SeniorPaidOff => deal.tranches[s].class == TrancheClass::Senior,
            StepCondition::PaidOff(l) => l.contains(&s),
            StepCondition::All(v) => v.iter().any(|c| holds(deal, c, s)),
            _ => false,
        }
    }
    when.as_ref().is_some_and(|c| holds(deal, c, s))
}

/// In a waterfall a trigger selects (加速清偿, 违约事件: not `normal`), the seniors come first
/// (review 48b F2, F3: neither was told, and the base case, which trips no trigger, cannot show
/// them):
///
/// * a `pay_principal` step repaying a junior tranche while a more senior one is not repaid
///   from all the cash by an unconditional step before it (or before it in the same sequential
///   step): `amount = "available"`, or a pass-through tranche; a step that waits for the senior
///   (`when = "senior_paid_off"`, `paid_off`) is not told, nor a pro-rata step (`order`'s own
///   check). gdd's accelerated waterfall paying A its schedule and then B from all the cash
///   repaid B's 16,000,000.00 on the date after the trigger with A 196,000,000.00 outstanding;
/// * a step paying a subordinated tranche's interest or periodic return before the first step
///   repaying senior principal: after the trigger the junior was paid 2,887,890.41 of return
///   and the 差额支付 drew as much more for the senior's principal.
pub(super) fn triggered_order(
    ctx: &mut Ctx,
    deal: &Deal,
    (ix, waterfall): (usize, &str),
    steps: &[Step],
    paths: &Paths,
) {
    let Some(trigger) = deal
        .triggers
        .iter()
        .find(|t| t.waterfall == ix)
        .filter(|_| ix != 0)
    else {
        return;
    };
    let class = |t: usize| deal.tranches[t].class;
    let name = |t: usize| deal.tranches[t].name.as_str();
    let takes_all = |amount: &PrincipalAmount, t: usize| {
        *amount == PrincipalAmount::Available
            || matches!(deal.tranches[t].amortization, Amortization::PassThrough)
    };
    let selects = format!(
        "waterfall `{waterfall}`, which {} `{}` selects,",
        trigger.kind.name().replace('_', " "),
        trigger.name
    );
    let seniors: Vec<usize> = (0..deal.tranches.len())
        .filter(|&t| class(t) == TrancheClass::Senior)
        .collect();
    for (i, s) in steps.iter().enumerate() {
        let told = match &s.action {
            Action::PayPrincipal {
                tranches,
                order: PrincipalOrder::Sequential,
                amount,
            } => tranches.iter().enumerate().find_map(|(p, &j)| {
                let senior = (0..deal.tranches.len()).find(|&x| {
                    class(x) < class(j)
                        && !waits_for(deal, &s.when, x)
                        && !tranches[..p]
                            .iter()
                            .any(|&y| y == x && takes_all(amount, x))
                        // All the cash of the account this step pays from (review 48e F2: A
                        // repaid from the principal account left B's step from income told
                        // nothing).
                        // ... with nothing put into that account between the two steps (review
                        // 48f items 1, 2: a transfer in, or a reserve released, reached B).
                        && !steps[..i].iter().enumerate().any(|(m, e)| {
                            e.when.is_none()
                                && e.from == s.from
                                && matches!(&e.action, Action::PayPrincipal { tranches, amount, .. }
                                    if tranches.contains(&x) && takes_all(amount, x))
                                && !steps[m + 1..i].iter().any(|b| match &b.action {
                                    Action::Transfer { to, .. } => *to == s.from,
                                    Action::TopUpReserve | Action::ReleaseReserve => true,
                                    _ => false,
                                })
                        })
                })?;
                // `senior_paid_off` waits for senior tranches only (review 48e F7).
                let wait = if class(senior) == TrancheClass::Senior {
                    format!(
                        "`when = \"senior_paid_off\"` (or `{{ paid_off = \"{}\" }}`)",
                        name(senior)
                    )
                } else {
                    format!("`when = {{ paid_off = \"{}\" }}`", name(senior))
                };
                Some(format!(
                    "step {} of {selects} repays {} tranche `{}` while {} tranche `{}` may be \
                     outstanding: no step before it repays `{}` from all the cash of the account \
                     it pays from, so after the trigger the junior is repaid ahead of the \
                     senior; repay `{}` first with `amount = \"available\"`, or give this step \
                     {wait}",
                    i + 1,
                    class(j).name(),
                    name(j),
                    class(senior).name(),
                    name(senior),
                    name(senior),
                    name(senior),
                ))
            }),
            Action::PaySubReturn(_) | Action::PayInterest(_) => {
                let subs: Vec<usize> = match &s.action {
                    Action::PaySubReturn(t) => vec![*t],
                    Action::PayInterest(l) => l.clone(),
                    _ => Vec::new(),
                };
                // Any later step repaying senior principal (review 48e F3: a return between A's
                // scheduled step and its all-cash step was not told), unless this step waits
                // for every senior (`paid_off` too: review 48e F6).
                subs.into_iter()
                    .find(|&t| class(t) == TrancheClass::Subordinated)
                    .filter(|_| !seniors.iter().all(|&x| waits_for(deal, &s.when, x)))
                    .and_then(|t| {
                        let k = steps[i + 1..]
                            .iter()
                            .position(|x| repays_senior(deal, &x.action))?;
                        Some((t, i + 1 + k))
                    })
                    .map(|(t, k)| {
                        format!(
                            "step {} of {selects} pays subordinated tranche `{}` its interest or \
                             periodic return before step {} repays senior principal: after the \
                             trigger the senior's principal comes first, and a support that \
                             covers it pays the junior's return; move this step after the \
                             senior's principal",
                            i + 1,
                            name(t),
                            k + 1
                        )
                    })
            }
            _ => None,
        };
        if let Some(message) = told {
            ctx.warn(Check::StepOrder, &paths.step(waterfall, i), message);
        }
    }
}

/// A step that releases the reserve's excess over its target (`top_up_reserve`, which
/// releases unless `release = false`, or `release_reserve`) after a step repaying senior
/// principal: what it releases, all of it on the last date when the target is 0, goes to the
/// steps after it, not to the senior, and a support covering senior principal is drawn first
/// (review 48b F4: xuhui's 差额支付 was drawn 700,000.00 more on its last date and the reserve
/// went to the subordinated tranche's principal).
pub(super) fn release_order(
    ctx: &mut Ctx,
    deal: &Deal,
    waterfall: &str,
    steps: &[Step],
    paths: &Paths,
) {
    // A reserve that covers senior principal is drawn for it before any support, so its
    // release after the step takes nothing the senior needed (review 48e F5).
    if deal
        .reserve
        .as_ref()
        .is_none_or(|r| r.covers.contains(&Cover::SeniorPrincipal))
    {
        return;
    }
    let Some(j) = steps.iter().position(|s| repays_senior(deal, &s.action)) else {
        return;
    };
    for (i, s) in steps.iter().enumerate().skip(j + 1) {
        if matches!(s.action, Action::TopUpReserve | Action::ReleaseReserve) {
            ctx.warn(
                Check::StepOrder,
                &paths.step(waterfall, i),
                format!(
                    "step {} of waterfall `{waterfall}` releases the reserve's excess over its \
                     target after step {} repays senior principal: what it releases (all of it \
                     on the last date, when the target is 0) goes to the steps after it, not to \
                     the senior, and a support covering senior principal is drawn first; \
                     release it before the principal steps (`{{ action = \"release_reserve\" \
                     }}`) and keep this step with `release = false`",
                    i + 1,
                    j + 1
                ),
            );
        }
    }
}

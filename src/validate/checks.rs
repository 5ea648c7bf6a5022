//! Checks on a deal that is well formed but may not mean what its author meant: the structure
//! of its waterfalls, figures outside the range seen in Chinese ABS, and dates that cannot be
//! kept. Each is a located warning of a named [`Check`] (a deal silences one with
//! `[deal] allow = ["name", …]`), or an error where the structure cannot be meant. Every check,
//! its range and its source are listed in docs/errors.md.

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::Ctx;
use super::spans::join_key;
use crate::calendar::{BusinessDayConvention, PaymentDays};
use crate::deal::{
    Action, Base, Cover, Deal, FeeKind, PrincipalOrder, ReserveTarget, Step, StepCondition,
    TrancheClass, TriggerCondition,
};
use crate::error::Check;
use crate::scenario::Scenario;
use crate::schema;

/// Senior and mezzanine coupons outside this range (a fraction a year) are a warning
/// (docs/errors.md, `coupon_range`; docs/sources.md [D4]).
pub const COUPON_MIN: Decimal = dec!(0.01);
pub const COUPON_MAX: Decimal = dec!(0.10);
/// A subordinated tranche's period-return cap above this is a warning.
pub const SUB_COUPON_MAX: Decimal = dec!(0.20);
/// Annual fee rates on a balance above this are a warning (`fee_range`; [NF1]).
pub const FEE_RATE_MAX: Decimal = dec!(0.02);
/// Fee rates on the period's collections above this are a warning.
pub const FLOW_FEE_RATE_MAX: Decimal = dec!(0.05);
/// A fixed fee per payment date, or a one-off fee, above this share of the issue size.
pub const FIXED_FEE_SHARE_MAX: Decimal = dec!(0.01);
/// A `[notices] csdc_fee_rate` above this is a warning (`fee_range`): ten times CSDC's
/// 0.005% ([P1]); "0.005%" typed as 0.005 is a hundred times.
pub const CSDC_FEE_RATE_MAX: Decimal = dec!(0.0005);
/// Tax rates above this are a warning (`tax_range`; [D1]).
pub const TAX_RATE_MAX: Decimal = dec!(0.10);
/// `coverage_below` thresholds outside this range are a warning (`trigger_range`).
pub const COVERAGE_MIN: Decimal = dec!(0.8);
pub const COVERAGE_MAX: Decimal = dec!(3);
/// `cumulative_default_ratio_above` thresholds above this are a warning.
pub const CDR_TRIGGER_MAX: Decimal = dec!(0.5);
/// Reserve `target_multiple` above this is a warning (`reserve_range`; [NF5]).
pub const RESERVE_MULTIPLE_MAX: Decimal = dec!(3);
/// Reserve `target_multiple` above zero and below this is a warning (`reserve_range`): a tenth
/// of a period's senior interest and fees protects nothing (`0.01` written for 1×).
pub const RESERVE_MULTIPLE_MIN: Decimal = dec!(0.1);
/// A fixed reserve target or initial deposit above this share of the issue size.
pub const RESERVE_SHARE_MAX: Decimal = dec!(0.10);
/// A positive fixed reserve target or initial deposit below this share of the issue size (150
/// yuan against 150,000,000: a 万元 figure written in yuan) is a warning (`reserve_range`).
pub const RESERVE_SHARE_MIN: Decimal = dec!(0.0001);
/// A positive fixed or one-off fee below this share of the issue size is a warning
/// (`issue_size`): 0.5 for 5,000, or 5 for 50,000 written in 万元.
pub const FIXED_FEE_SHARE_MIN: Decimal = dec!(0.000001);
/// The issue size outside this multiple of the pool balance (either way) is a warning
/// (`issue_size`): a 万元 or 亿元 mistake is four or eight orders of magnitude off.
pub const ISSUE_RATIO_MAX: Decimal = dec!(10);
/// A tranche below this share of the pool balance is a warning (`issue_size`).
pub const TRANCHE_SHARE_MIN: Decimal = dec!(0.001);
/// An asset's annual rate (a loan's, a lease's, a revolving template's) above this is a
/// warning (`rate_range`; docs/sources.md [D5]): 5.5% typed as 0.55.
pub const ASSET_RATE_MAX: Decimal = dec!(0.24);
/// An index value (`indices`, `index_paths`) above this is a warning (`rate_range`; [D5]).
pub const INDEX_RATE_MAX: Decimal = dec!(0.15);
/// An `index_shift` beyond ± this is a warning (`rate_range`): 0.5 typed for 50 bp.
pub const INDEX_SHIFT_MAX: Decimal = dec!(0.05);

/// Warns (`rate_range`) when the pool-side rate `v` at `path` (`what`: "asset rate", "index
/// `lpr_1y`") is beyond `max` in absolute value.
pub(super) fn rate_range(ctx: &mut Ctx, path: &str, v: Decimal, max: Decimal, what: &str) {
    // 1 (100%) or more is already an error at the key.
    if v.abs() > max && v.abs() < Decimal::ONE {
        ctx.warn(
            Check::RateRange,
            path,
            format!(
                "{what} {v} is {} a year, beyond {}; {}",
                pct(v),
                pct(max),
                if max == INDEX_SHIFT_MAX {
                    "a shift is a fraction, 0.005 for 50 bp"
                } else {
                    "a rate is a fraction, 0.055 for 5.5%"
                }
            ),
        );
    }
}

/// Where the items of a deal are in its file.
struct Paths<'r> {
    raw: &'r schema::DealFile,
}

impl Paths<'_> {
    /// `tranches[i]` of the file for the deal's (seniority-sorted) tranche `name`.
    fn tranche(&self, name: &str) -> String {
        let i = self
            .raw
            .tranches
            .iter()
            .position(|t| t.name == name)
            .unwrap_or(0);
        format!("tranches[{i}]")
    }

    fn step(&self, waterfall: &str, i: usize) -> String {
        format!("{}[{i}]", join_key("waterfalls", waterfall))
    }

    /// The key that made payment date `k` (0-based).
    fn payment(&self, k: usize) -> String {
        if self.raw.deal.payment_dates.is_some() {
            format!("deal.payment_dates[{k}]")
        } else {
            "deal.first_payment_date".to_string()
        }
    }
}

/// Runs every check on a deal that has no errors.
pub(super) fn deal(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    let paths = Paths { raw };
    reached(ctx, deal, raw, &paths);
    for w in &deal.waterfalls {
        order(ctx, deal, &w.name, &w.steps, &paths);
        conditions(ctx, deal, &w.name, &w.steps, &paths);
        purchase_order(ctx, deal, &w.name, &w.steps, &paths);
        charge_order(ctx, deal, &w.name, &w.steps, &paths);
        expense_order(ctx, deal, &w.name, &w.steps, &paths);
    }
    covers(ctx, deal, raw);
    plausible(ctx, deal, raw, &paths);
    dates(ctx, deal, raw, &paths);
    scenario_dates(ctx, "scenario", &deal.scenario, deal);
    if let Some(r) = deal.revolving.as_ref().filter(|r| r.debtor.is_none()) {
        // Told by `rate` and `size` only (review 27c item 3): a Monte Carlo path defaults the
        // file's obligors by name, and a break-even's curve reaches every purchase.
        let w = ctx.located(
            Check::RevolvingDefaults,
            "revolving",
            format!(
                "the revolving purchases (`{}@DATE`) are the receivables of no obligor of the \
                 file: a Monte Carlo path defaults the file's obligors, so it never defaults \
                 them, and the rating leaves their credit risk out (the default curve of a \
                 break-even reaches them); set `obligor` to the debtor's name when they are \
                 one obligor's (docs/deal-format.md, `[revolving]`)",
                r.obligor
            ),
        );
        ctx.search_warnings.push(w);
    }
}

/// Whether the revolving template's `obligor` bears `name` without being it: `name` followed
/// by a character that cannot continue a name (`X (循环购买)`, `X@1`, not `X2`).
fn bears_name(template: &str, name: &str) -> bool {
    let (template, name) = (template.trim(), name.trim());
    !name.is_empty()
        && template != name
        && template
            .strip_prefix(name)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| !c.is_alphanumeric() && c != '_' && c != '-')
}

/// A named default, or an `overrides` rule naming an obligor, whose name the revolving
/// purchases bear without being its receivables (`obligor = "X (循环购买)"` beside obligor
/// `X`): only an `obligor` that is the obligor's own name ties them to it, so neither reaches
/// them (review 26d item H1; the rule and the name match, review 27c item 9).
pub(super) fn revolving_defaults(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    let Some(r) = deal.revolving.as_ref().filter(|r| r.debtor.is_none()) else {
        return;
    };
    let fix = |name: &str| {
        format!(
            "the revolving purchases, named `{}@DATE`, are not its receivables, so it does not \
             reach them (docs/deal-format.md, `[revolving]`); to make them its receivables, set \
             `[revolving] obligor = \"{name}\"`",
            r.obligor
        )
    };
    for &(o, date) in &s.obligor_defaults {
        if let Some(ob) = deal.obligors.get(o)
            && bears_name(&r.obligor, &ob.name)
        {
            ctx.warn(
                Check::RevolvingDefaults,
                &format!("{p}.defaults"),
                format!(
                    "scenario `{}` defaults obligor `{}` on {date}; {}",
                    s.name,
                    ob.name,
                    fix(&ob.name)
                ),
            );
        }
    }
    for (k, rule) in s.overrides.iter().enumerate() {
        if rule.tag.is_some() {
            continue;
        }
        for &o in &rule.obligors {
            if let Some(ob) = deal.obligors.get(o)
                && bears_name(&r.obligor, &ob.name)
            {
                ctx.warn(
                    Check::RevolvingDefaults,
                    &format!("{p}.overrides[{k}]"),
                    format!(
                        "scenario `{}` sets assumptions for obligor `{}`; {}",
                        s.name,
                        ob.name,
                        fix(&ob.name)
                    ),
                );
            }
        }
    }
}

// ---- structure ----

fn names(deal: &Deal, tranches: &[usize]) -> String {
    tranches
        .iter()
        .map(|&t| format!("`{}`", deal.tranches[t].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every fee, tax, tranche and the reserve is reached by some step of `normal`.
fn reached(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
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
    for (j, f) in deal.fees.iter().enumerate() {
        let pays = |a: &Action| matches!(a, Action::PayFee(l) | Action::PayFeePart { fees: l, excess: false, .. } if l.contains(&j));
        if !steps.iter().any(|s| pays(&s.action)) {
            ctx.warn(
                Check::Unreached,
                &format!("fees[{j}].name"),
                format!(
                    "fee `{}` is paid by no step of the `normal` waterfall ({}): it falls due \
                     every payment date and its arrears grow unpaid (fees.parquet shows them)",
                    f.name,
                    only_in(elsewhere(&pays))
                ),
            );
        }
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
        if !steps.iter().any(|s| pays(&s.action)) {
            ctx.warn(
                Check::Unreached,
                &format!("taxes[{j}].name"),
                format!(
                    "tax `{}` is paid by no step of the `normal` waterfall ({}): it falls due \
                     every payment date and its arrears grow unpaid (fees.parquet shows them)",
                    t.name,
                    only_in(elsewhere(&pays))
                ),
            );
        }
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
            && t.coupon > Decimal::ZERO
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

/// What a step pays, for the order checks: (principal?, tranches).
fn claims(a: &Action) -> Option<(bool, Vec<usize>)> {
    match a {
        Action::PayInterest(l) => Some((false, l.clone())),
        Action::PaySubReturn(t) => Some((false, vec![*t])),
        Action::PayPrincipal { tranches, .. } => Some((true, tranches.clone())),
        _ => None,
    }
}

/// Interest before principal within a class, senior before junior, the residual last.
fn order(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
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
fn expense_order(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
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
    let senior_principal =
        first(&|a| matches!(a, Action::PayPrincipal { tranches, .. } if senior(tranches)));
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
                     expenses, paid before the tranches (a capped fee's excess goes lower with \
                     `pay_fee_part`, docs/deal-format.md)",
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
fn charge_order(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
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
fn purchase_order(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
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
fn conditions(ctx: &mut Ctx, deal: &Deal, waterfall: &str, steps: &[Step], paths: &Paths) {
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
fn covers(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
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

// ---- plausibility ----

fn pct(v: Decimal) -> String {
    format!("{}%", super::percent(v))
}

/// A share as a percentage with three significant digits, so that a tiny share does not read
/// as 0%: 2e-10 → "0.00000002%", 0.123456 → "12.3%".
fn share_pct(v: Decimal) -> String {
    let Some(x) = v
        .checked_mul(Decimal::ONE_HUNDRED)
        .filter(|x| *x > Decimal::ZERO)
    else {
        return pct(v);
    };
    // Decimal places that keep three significant digits of x.
    let mut places = 2u32;
    let mut scaled = x;
    while scaled < Decimal::ONE && places < 28 {
        scaled *= Decimal::TEN;
        places += 1;
    }
    let mut big = x;
    while big >= Decimal::TEN && places > 0 {
        big /= Decimal::TEN;
        places -= 1;
    }
    format!("{}%", x.round_dp(places).normalize())
}

/// Support caps and fixed fees orders of magnitude off the issue size (`issue_size`): a cap
/// below [`RESERVE_SHARE_MIN`] of the issue or above [`ISSUE_RATIO_MAX`] times it, a fixed or
/// one-off fee below [`FIXED_FEE_SHARE_MIN`] of it (50 for 500,000: a 万元 slip).
fn amounts_in_scale(ctx: &mut Ctx, deal: &Deal, issue: Decimal) {
    let slip = "is it in 万元 or 亿元? Every amount is in yuan";
    for (i, s) in deal.supports.iter().enumerate() {
        for (key, cap) in [
            ("cap_total", s.cap_total),
            ("cap_per_period", s.cap_per_period),
        ] {
            let Some(c) = cap.filter(|c| *c > Decimal::ZERO) else {
                continue;
            };
            if c < issue * RESERVE_SHARE_MIN || c > issue * ISSUE_RATIO_MAX {
                ctx.warn(
                    Check::IssueSize,
                    &format!("supports[{i}].{key}"),
                    format!(
                        "support `{}`'s {key} {c:.2} is {} times the issue size {issue:.2}: {slip}",
                        s.name,
                        (c / issue).round_dp(6).normalize()
                    ),
                );
            }
        }
    }
    for (i, f) in deal.fees.iter().enumerate() {
        let amount = match f.kind {
            FeeKind::Fixed(a) | FeeKind::OneOff { amount: a, .. } => a,
            FeeKind::AnnualRate { .. } => continue,
        };
        if amount > Decimal::ZERO && amount < issue * FIXED_FEE_SHARE_MIN {
            ctx.warn(
                Check::IssueSize,
                &format!("fees[{i}].amount"),
                format!(
                    "fee `{}`'s amount {amount:.2} is less than {} of the issue size \
                     {issue:.2}: {slip}",
                    f.name,
                    pct(FIXED_FEE_SHARE_MIN)
                ),
            );
        }
    }
}

fn plausible(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
    let pool = deal.pool_balance();
    let issue = deal.issue_size();
    if pool > Decimal::ZERO && issue > Decimal::ZERO {
        let ratio = issue / pool;
        if ratio > ISSUE_RATIO_MAX || ratio * ISSUE_RATIO_MAX < Decimal::ONE {
            ctx.warn(
                Check::IssueSize,
                "tranches",
                format!(
                    "the tranches total {issue:.2} yuan, {} times the pool balance of {pool:.2}: \
                     is one side in 万元 (×10,000) or 亿元 (×100,000,000)? Every amount is in yuan",
                    ratio.round_dp(6).normalize()
                ),
            );
        }
        for t in &deal.tranches {
            if t.balance < pool * TRANCHE_SHARE_MIN {
                ctx.warn(
                    Check::IssueSize,
                    &format!("{}.balance", paths.tranche(&t.name)),
                    format!(
                        "tranche `{}` is {:.2} yuan, {} of the pool balance of {pool:.2} (below \
                         {}): is it in 万元 or 亿元? Every amount is in yuan",
                        t.name,
                        t.balance,
                        share_pct(t.balance / pool),
                        pct(TRANCHE_SHARE_MIN)
                    ),
                );
            }
        }
    }
    if issue > Decimal::ZERO {
        amounts_in_scale(ctx, deal, issue);
    }
    for t in &deal.tranches {
        let path = format!("{}.coupon", paths.tranche(&t.name));
        let explicit = raw
            .tranches
            .iter()
            .find(|r| r.name == t.name)
            .is_some_and(|r| r.coupon.is_some());
        if !explicit {
            continue;
        }
        if t.class == TrancheClass::Subordinated {
            if t.coupon > SUB_COUPON_MAX {
                ctx.warn(
                    Check::CouponRange,
                    &path,
                    format!(
                        "subordinated tranche `{}`'s period-return cap {} ({}) is above {} a \
                         year; a rate is a fraction, 0.06 for 6%",
                        t.name,
                        t.coupon,
                        pct(t.coupon),
                        pct(SUB_COUPON_MAX)
                    ),
                );
            }
        } else if t.coupon < COUPON_MIN || t.coupon > COUPON_MAX {
            ctx.warn(
                Check::CouponRange,
                &path,
                format!(
                    "{} tranche `{}`'s coupon {} ({} a year) is outside {}–{}, the range of \
                     Chinese ABS coupons; a rate is a fraction, 0.038 for 3.8%",
                    t.class.name(),
                    t.name,
                    t.coupon,
                    pct(t.coupon),
                    pct(COUPON_MIN),
                    pct(COUPON_MAX)
                ),
            );
        }
    }
    for (j, f) in deal.fees.iter().enumerate() {
        match f.kind {
            FeeKind::AnnualRate { rate, base } => {
                let flow = matches!(base, Base::InterestCollections | Base::Collections);
                let max = if flow {
                    FLOW_FEE_RATE_MAX
                } else {
                    FEE_RATE_MAX
                };
                if rate > max {
                    ctx.warn(
                        Check::FeeRange,
                        &format!("fees[{j}].rate"),
                        format!(
                            "fee `{}`'s rate {rate} ({}{}) is above {}; a rate is a fraction, \
                             0.001 for 0.1%",
                            f.name,
                            pct(rate),
                            if flow { " of collections" } else { " a year" },
                            pct(max)
                        ),
                    );
                }
            }
            FeeKind::Fixed(a) | FeeKind::OneOff { amount: a, .. } => {
                if a > issue * FIXED_FEE_SHARE_MAX {
                    ctx.warn(
                        Check::FeeRange,
                        &format!("fees[{j}].amount"),
                        format!(
                            "fee `{}` is {a:.2} yuan{}, more than {} of the issue size \
                             {issue:.2}: amounts are in yuan",
                            f.name,
                            if matches!(f.kind, FeeKind::Fixed(_)) {
                                " every payment date"
                            } else {
                                ""
                            },
                            pct(FIXED_FEE_SHARE_MAX)
                        ),
                    );
                }
            }
        }
    }
    for (j, t) in deal.taxes.iter().enumerate() {
        if t.rate > TAX_RATE_MAX {
            ctx.warn(
                Check::TaxRange,
                &format!("taxes[{j}].rate"),
                format!(
                    "tax `{}`'s rate {} ({}) is above {}; the VAT and surcharges of an ABS are \
                     about 3.26% of interest (0.0326)",
                    t.name,
                    t.rate,
                    pct(t.rate),
                    pct(TAX_RATE_MAX)
                ),
            );
        }
    }
    for (i, t) in deal.triggers.iter().enumerate() {
        let path = format!("triggers[{i}].threshold");
        match t.condition {
            TriggerCondition::CoverageBelow(x) if x < COVERAGE_MIN || x > COVERAGE_MAX => {
                ctx.warn(
                    Check::TriggerRange,
                    &path,
                    format!(
                        "trigger `{}`: a coverage multiple below {x} is outside {}–{}; a \
                         multiple is written as a ratio, 1.05 for 105%{}",
                        t.name,
                        COVERAGE_MIN.normalize(),
                        COVERAGE_MAX.normalize(),
                        if x > COVERAGE_MAX {
                            " (this threshold would trip on almost every payment date)"
                        } else {
                            ""
                        }
                    ),
                );
            }
            TriggerCondition::CumulativeDefaultRatioAbove(x) if x > CDR_TRIGGER_MAX => {
                ctx.warn(
                    Check::TriggerRange,
                    &path,
                    format!(
                        "trigger `{}` trips only when cumulative defaults pass {} of the pool, \
                         above {}",
                        t.name,
                        pct(x),
                        pct(CDR_TRIGGER_MAX)
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(r) = &deal.reserve {
        match r.target {
            ReserveTarget::SeniorInterestAndFees(m) if m > RESERVE_MULTIPLE_MAX => {
                ctx.warn(
                    Check::ReserveRange,
                    "reserve.target_multiple",
                    format!(
                        "target_multiple {m}: the reserve would trap {m} times a period's senior \
                         interest and fees; a multiple is written as a ratio, 1.0 for 100%, and \
                         is at most {} in practice",
                        RESERVE_MULTIPLE_MAX.normalize()
                    ),
                );
            }
            ReserveTarget::SeniorInterestAndFees(m)
                if m > Decimal::ZERO && m < RESERVE_MULTIPLE_MIN =>
            {
                ctx.warn(
                    Check::ReserveRange,
                    "reserve.target_multiple",
                    format!(
                        "target_multiple {m}: the reserve would hold {} of one period's senior \
                         interest and fees; a multiple is written as a ratio, 1.0 for 1× (100%), \
                         and is at least {} in practice",
                        share_pct(m),
                        RESERVE_MULTIPLE_MIN.normalize()
                    ),
                );
            }
            ReserveTarget::Fixed(x) if x > Decimal::ZERO && x < issue * RESERVE_SHARE_MIN => {
                ctx.warn(
                    Check::ReserveRange,
                    "reserve.target",
                    format!(
                        "the reserve target {x:.2} is less than {} of the issue size \
                         {issue:.2}: is it in 万元? amounts are in yuan",
                        pct(RESERVE_SHARE_MIN)
                    ),
                );
            }
            ReserveTarget::Fixed(x) if x > issue * RESERVE_SHARE_MAX => {
                ctx.warn(
                    Check::ReserveRange,
                    "reserve.target",
                    format!(
                        "the reserve target {x:.2} is more than {} of the issue size {issue:.2}",
                        pct(RESERVE_SHARE_MAX)
                    ),
                );
            }
            _ => {}
        }
        if r.initial > Decimal::ZERO && r.initial < issue * RESERVE_SHARE_MIN {
            ctx.warn(
                Check::ReserveRange,
                "reserve.initial",
                format!(
                    "the reserve's initial deposit {:.2} is less than {} of the issue size \
                     {issue:.2}: is it in 万元? amounts are in yuan",
                    r.initial,
                    pct(RESERVE_SHARE_MIN)
                ),
            );
        }
        if r.initial > issue * RESERVE_SHARE_MAX {
            ctx.warn(
                Check::ReserveRange,
                "reserve.initial",
                format!(
                    "the reserve's initial deposit {:.2} is more than {} of the issue size \
                     {issue:.2}",
                    r.initial,
                    pct(RESERVE_SHARE_MAX)
                ),
            );
        }
    }
}

// ---- dates ----

fn dates(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
    let cal = &deal.calendar;
    let is_payment_date = |d: NaiveDate| {
        deal.periods
            .iter()
            .any(|p| p.payment.unadjusted == d || p.payment.adjusted == d)
    };
    let pay_cal = deal.payment_days.calendar(cal);
    for (k, p) in deal.periods.iter().enumerate() {
        if deal.business_day == BusinessDayConvention::Unadjusted
            && !pay_cal.is_business_day(p.payment.unadjusted)
        {
            ctx.warn(
                Check::HolidayPayment,
                &paths.payment(k),
                format!(
                    "payment date {} ({}) is not a business day in the {} calendar, and \
                     business_day = \"unadjusted\" keeps it there: no payment can be made that \
                     day",
                    p.number,
                    p.payment.unadjusted,
                    pay_cal.name()
                ),
            );
        } else if deal.payment_days == PaymentDays::Business && !cal.is_trading_day(p.date()) {
            let day = p.date();
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let added = weekend && raw.deal.extra_working_days.iter().any(|w| w.0 == day);
            let kind = if added {
                "a working day the deal adds (extra_working_days)"
            } else if weekend {
                "an adjusted working weekend (调休上班)"
            } else {
                "an exchange closure (休市)"
            };
            ctx.warn(
                Check::PaymentNotTradingDay,
                &paths.payment(k),
                format!(
                    "payment date {} {}{day} ({:?}), {kind} in the {} calendar: a business \
                     day, but the exchanges do not trade and CSDC pays no listed security that \
                     day. If the deal's documents pay on trading days (交易日), set \
                     `payment_days = \"trading\"` in [deal]",
                    p.number,
                    if p.payment.unadjusted == day {
                        "falls on ".to_string()
                    } else {
                        format!(
                            "({}) is moved by `{}` to ",
                            p.payment.unadjusted,
                            deal.business_day.name()
                        )
                    },
                    day.weekday(),
                    cal.name()
                ),
            );
        }
        if p.date() > deal.legal_maturity {
            ctx.warn(
                Check::PaymentAfterLegal,
                "deal.legal_maturity",
                format!(
                    "payment date {} ({}) is moved by `{}`{} to {}, after the legal maturity {}",
                    p.number,
                    p.payment.unadjusted,
                    deal.business_day.name(),
                    if deal.payment_days == PaymentDays::Trading {
                        " on trading days"
                    } else {
                        ""
                    },
                    p.date(),
                    deal.legal_maturity
                ),
            );
        }
    }
    let last_payment = deal.final_payment_date();
    for t in &deal.tranches {
        let tp = paths.tranche(&t.name);
        let Some(rt) = raw.tranches.iter().find(|r| r.name == t.name) else {
            continue;
        };
        if let Some(m) = rt.expected_maturity
            && last_payment.is_none_or(|l| m.0 <= l)
            && !is_payment_date(m.0)
        {
            ctx.warn(
                Check::NotPaymentDate,
                &format!("{tp}.expected_maturity"),
                format!(
                    "tranche `{}`'s expected maturity {} is not a payment date: its principal \
                     falls due on the next one",
                    t.name, m.0
                ),
            );
        }
        for (j, tb) in rt.target_balances.iter().flatten().enumerate() {
            if !is_payment_date(tb.date.0) {
                ctx.warn(
                    Check::NotPaymentDate,
                    &format!("{tp}.target_balances[{j}].date"),
                    format!(
                        "target date {} of tranche `{}` is not a payment date: the target \
                         applies from the next payment date",
                        tb.date.0, t.name
                    ),
                );
            }
        }
    }
    // A revolving period's end that is no payment date: purchases stop at the one before it.
    if let Some(r) = &deal.revolving
        && last_payment.is_none_or(|l| r.end_date <= l)
        && !is_payment_date(r.end_date)
        && let Some(last) = deal.periods.iter().rfind(|p| p.on_or_before(r.end_date))
    {
        ctx.warn(
            Check::NotPaymentDate,
            "revolving.end_date",
            format!(
                "the revolving period's end date {} is not a payment date: the last \
                 purchases are on payment date {} ({})",
                r.end_date,
                last.number,
                last.date()
            ),
        );
    }
    // Payment dates whose collection period starts after the pool's last instalment. Not for
    // a revolving deal: assets bought in its revolving period pay on those dates (review 26d
    // item M5).
    let last_due = deal
        .obligors
        .iter()
        .flat_map(|o| &o.assets)
        .filter_map(|a| a.instalments.last())
        .map(|i| i.date)
        .max();
    if let Some(last_due) = last_due.filter(|_| deal.revolving.is_none()) {
        let empty: Vec<_> = deal
            .periods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.collection_start > last_due)
            .collect();
        if let Some(&(k, first)) = empty.first() {
            let path = if raw.deal.payment_dates.is_some() {
                paths.payment(k)
            } else {
                "deal.legal_maturity".to_string()
            };
            ctx.warn(
                Check::EmptyPeriods,
                &path,
                format!(
                    "{} payment date(s) from {} (period {}) come after the pool's last \
                     instalment, due {last_due}: no pool cash is collected for them, yet fees \
                     fall due on them",
                    empty.len(),
                    first.date(),
                    first.number
                ),
            );
        }
    }
}

/// What is wrong with a named default on `date`: on or before the cutoff, or after the last
/// collection period's end (or the legal maturity); None inside the deal.
pub(super) fn default_date_problem(deal: &Deal, date: NaiveDate) -> Option<String> {
    let end = deal.periods.last()?.collection_end.min(deal.legal_maturity);
    if date <= deal.cutoff_date {
        Some(format!(
            "on or before the cutoff date {}: it counts as a default on the first day of the \
             first collection period",
            deal.cutoff_date
        ))
    } else if date > end {
        Some(format!(
            "after the deal's last collection period ends ({end}) or its legal maturity: it \
             changes nothing"
        ))
    } else {
        None
    }
}

/// A scenario's named defaults fall inside the deal: after the cutoff, and on or before the
/// last collection period's end.
pub(super) fn scenario_dates(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    revolving_defaults(ctx, p, s, deal);
    for (i, &(o, date)) in s.obligor_defaults.iter().enumerate() {
        let name = deal.obligors.get(o).map_or("", |x| x.name.as_str());
        if let Some(problem) = default_date_problem(deal, date) {
            ctx.warn(
                Check::ScenarioDates,
                &format!("{p}.defaults[{i}].date"),
                format!("obligor `{name}` defaults on {date}, {problem}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bears_name;

    /// A template bears a name followed by a character that cannot continue it (review 27c
    /// item 9: `SME-1` was matched inside `SME-12 (循环购买)`).
    #[test]
    fn a_template_bears_a_whole_name() {
        assert!(bears_name("核心债务人 奇艺 (循环购买)", "核心债务人 奇艺"));
        assert!(bears_name("R1@pool", "R1"));
        assert!(!bears_name("SME-12 (循环购买)", "SME-1"));
        assert!(!bears_name("R12", "R1"));
        assert!(!bears_name("R1", "R1"));
        assert!(!bears_name("revolving", ""));
    }

    use super::share_pct;
    use rust_decimal_macros::dec;

    /// Three significant digits of the percentage, worked by hand: 300,000 of a pool of
    /// 1.5 × 10^15 is 2 × 10^-10 = 0.00000002% (review 25d printed it as "0%").
    #[test]
    fn tiny_shares_keep_their_digits() {
        assert_eq!(
            share_pct(dec!(300000) / dec!(1500000000000000)),
            "0.00000002%"
        );
        assert_eq!(share_pct(dec!(0.123456)), "12.3%");
        assert_eq!(share_pct(dec!(0.005)), "0.5%");
        assert_eq!(share_pct(dec!(0.0123456)), "1.23%");
        assert_eq!(share_pct(dec!(1.5)), "150%");
        assert_eq!(share_pct(dec!(0)), "0%");
    }
}

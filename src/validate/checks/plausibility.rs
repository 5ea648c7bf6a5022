//! Figures outside the range seen in Chinese ABS: coupons, fees, taxes, reserve targets,
//! trigger thresholds, rates and amounts out of scale with the issue (a 万元 written in yuan).

use rust_decimal::Decimal;

use super::*;
use crate::deal::{
    Amortization, Base, Deal, FeeKind, ReserveTarget, TargetFormula, TrancheClass, Trigger,
    TriggerCondition,
};
use crate::error::Check;
use crate::schema;
use crate::validate::Ctx;

pub(super) fn pct(v: Decimal) -> String {
    format!("{}%", crate::validate::percent(v))
}

/// A share as a percentage with three significant digits, so that a tiny share does not read
/// as 0%: 2e-10 → "0.00000002%", 0.123456 → "12.3%".
pub(super) fn share_pct(v: Decimal) -> String {
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
/// below [`SUPPORT_CAP_SHARE_MIN`] of the issue or above [`ISSUE_RATIO_MAX`] times it, a fixed or
/// one-off fee below [`FIXED_FEE_SHARE_MIN`] of it (50 for 500,000: a 万元 slip).
pub(super) fn amounts_in_scale(ctx: &mut Ctx, deal: &Deal, issue: Decimal) {
    let slip = "is it in 万元 or 亿元? Every amount is in yuan";
    for (i, s) in deal.supports.iter().enumerate() {
        for (key, cap) in [
            ("cap_total", s.cap_total),
            ("cap_per_period", s.cap_per_period),
        ] {
            let Some(c) = cap.filter(|c| *c > Decimal::ZERO) else {
                continue;
            };
            if c < issue * SUPPORT_CAP_SHARE_MIN || c > issue * ISSUE_RATIO_MAX {
                ctx.warn(
                    Check::IssueSize,
                    &format!("supports[{i}].{key}"),
                    format!(
                        "support `{}`'s {key} {c:.2} is {} times the issue size {issue:.2}: {slip}",
                        s.name,
                        crate::money::report_ratio(c, issue)
                            .unwrap_or_default()
                            .normalize()
                    ),
                );
            }
        }
    }
    for (i, f) in deal.fees.iter().enumerate() {
        let amount = match f.kind {
            FeeKind::Fixed(a)
            | FeeKind::OneOff { amount: a, .. }
            | FeeKind::Annual { amount: a, .. } => a,
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

/// The smallest issue (yuan) not told as a units slip: 100,000 yuan. A 1亿 issue typed in 万元
/// is 10,000. An assumption, not a sourced minimum: 天知1号's first issue was 2亿
/// (docs/sources.md [G4]), and no securities issue is this small.
const ISSUE_MIN: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

/// How many times smaller than the pool's median asset an asset may be before it is told
/// (`asset_size`): an amount in 万元 is 10,000 times too small.
const ASSET_SCALE_MAX: u32 = 1000;

/// How many times larger than the pool's median asset an asset may be before it is told: an
/// amount in fen is 100 times too large (reviews 29d item 4 and 29e item 5: at 1000, then 50,
/// times a fen slip on an ordinary asset passed, 44 times the median); the example deals'
/// largest asset is at most 2.14 times their median.
const ASSET_LARGE_MAX: u32 = 20;

/// Schedule entries out of scale with the rest of their schedule (`asset_size`, review 31a item
/// 4: one entry of a licence in 万元 among entries in yuan was told by nothing, or only as the
/// deal's `over_issued`): an entry's principal (or `amount`), or interest, less than
/// 1/[`ASSET_SCALE_MAX`] of the schedule's median, in schedules of three or more such entries.
fn entries_in_scale(ctx: &mut Ctx, p: &str, entries: &[schema::ScheduleEntry]) {
    // Each part of an entry: its value and the key that states it.
    type Part = fn(&schema::ScheduleEntry) -> Option<(Decimal, &'static str)>;
    let parts: [(&str, Part); 2] = [
        ("principal", |e| {
            e.principal
                .map(|v| (v, "principal"))
                .or(e.amount.map(|v| (v, "amount")))
        }),
        ("interest", |e| e.interest.map(|v| (v, "interest"))),
    ];
    for (what, get) in parts {
        let values: Vec<(usize, Decimal, &str)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| get(e).map(|(v, key)| (i, v, key)))
            .filter(|(_, v, _)| *v > Decimal::ZERO)
            .collect();
        if values.len() < 3 {
            continue;
        }
        let mut sorted: Vec<Decimal> = values.iter().map(|(_, v, _)| *v).collect();
        sorted.sort();
        let median = sorted[sorted.len() / 2];
        for (i, v, key) in values {
            if v * Decimal::from(ASSET_SCALE_MAX) < median {
                ctx.warn(
                    Check::AssetSize,
                    &format!("{p}.schedule[{i}].{key}"),
                    format!(
                        "this entry's {what} {v:.2} is less than 1/{ASSET_SCALE_MAX} of the \
                         schedule's median {what}, {median:.2}: is it in 万元 (×10,000)? Every \
                         amount is in yuan (a nominal purchase price, 留购价, or a remainder is \
                         meant so: `allow = [\"asset_size\"]`)"
                    ),
                );
            }
        }
    }
}

/// Assets out of scale with the rest of the pool (`asset_size`, review 29b item 10: one balance
/// written in 万元 was caught only by `over_issued`), and generated loans and leases whose
/// `term` reads as years (`term_units`: `term = 3` on a quarterly loan is 9 months).
fn assets_in_scale(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile) {
    // Each asset's principal at cutoff, with the key that states it.
    let mut sizes: Vec<(Decimal, String)> = Vec::new();
    for (o, (obligor, r)) in deal.obligors.iter().zip(&raw.obligors).enumerate() {
        for (a, (asset, ra)) in obligor.assets.iter().zip(&r.assets).enumerate() {
            let p = format!("obligors[{o}].assets[{a}]");
            // Monthly and quarterly only: a semiannual or annual loan of one instalment may be
            // meant (review 29d item 7: a 6-month bullet was told).
            if let (Some(term), Some(freq)) = (ra.term, ra.frequency.as_deref())
                && let Some(f) = crate::calendar::schedule::Frequency::ALL
                    .into_iter()
                    .find(|f| f.name().eq_ignore_ascii_case(freq))
                && f.months() <= 3
                && (1..=5).contains(&term)
                && term * i64::from(f.months()) < 12
            {
                ctx.warn(
                    Check::TermUnits,
                    &format!("{p}.term"),
                    format!(
                        "term = {term} is {term} {} instalment{}, {} months: `term` counts \
                         instalments, not years (a 3-year {} loan is term = {})",
                        f.name(),
                        if term == 1 { "" } else { "s" },
                        term * i64::from(f.months()),
                        f.name(),
                        3 * f.per_year()
                    ),
                );
            }
            if let Some(schema::ScheduleSpec::Entries(entries)) = &ra.schedule {
                entries_in_scale(ctx, &p, entries);
            }
            let principal: Decimal = asset.instalments.iter().map(|i| i.principal).sum();
            let key = if ra.balance.is_some() {
                "balance"
            } else if ra.amount.is_some() {
                "amount"
            } else {
                "schedule"
            };
            if principal > Decimal::ZERO {
                sizes.push((principal, format!("{p}.{key}")));
            }
        }
    }
    if sizes.len() < 3 {
        return;
    }
    let mut sorted: Vec<Decimal> = sizes.iter().map(|(s, _)| *s).collect();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    for (size, path) in &sizes {
        let small = *size * Decimal::from(ASSET_SCALE_MAX) < median;
        let large = *size > median * Decimal::from(ASSET_LARGE_MAX);
        let what = if small {
            format!(
                "less than 1/{ASSET_SCALE_MAX} of the pool's median asset, {median:.2}: is it in \
                 万元 (×10,000)?"
            )
        } else if large {
            format!(
                "more than {ASSET_LARGE_MAX} times the pool's median asset, {median:.2}: is it in \
                 fen (×100)?"
            )
        } else {
            continue;
        };
        ctx.warn(
            Check::AssetSize,
            path,
            format!("this asset's principal {size:.2} is {what} Every amount is in yuan"),
        );
    }
}

pub(super) fn plausible(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
    assets_in_scale(ctx, deal, raw);
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
                    crate::money::report_ratio(issue, pool)
                        .unwrap_or_default()
                        .normalize()
                ),
            );
        }
        for t in &deal.tranches {
            // A target balance orders of magnitude below its tranche (review 33a item M3: 60
            // for 600,000 moved the senior's principal due with no word).
            if let crate::deal::Amortization::Scheduled(table) = &t.amortization {
                for (j, &(date, target)) in table.iter().enumerate() {
                    if target > Decimal::ZERO && target < t.balance * TRANCHE_SHARE_MIN {
                        ctx.warn(
                            Check::IssueSize,
                            &format!("{}.target_balances[{j}].balance", paths.tranche(&t.name)),
                            format!(
                                "tranche `{}`'s target balance on {date} is {target:.2} yuan, {} \
                                 of its balance of {:.2} (below {}): is it in 万元? Every amount \
                                 is in yuan",
                                t.name,
                                share_pct(target / t.balance),
                                t.balance,
                                pct(TRANCHE_SHARE_MIN)
                            ),
                        );
                    }
                }
            }
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
    // A whole deal in 万元 compares with itself as a deal in yuan does (review 31a item 3: an
    // issue of 20,000 yuan passed): an issue below ISSUE_MIN yuan is told once.
    if issue > Decimal::ZERO
        && issue < ISSUE_MIN
        && let Some(first) = deal.tranches.first()
    {
        ctx.warn(
            Check::IssueSize,
            &format!("{}.balance", paths.tranche(&first.name)),
            format!(
                "the tranches total {issue:.2} yuan, below {ISSUE_MIN} yuan, far below any \
                 securities issue: is the deal in 万元 (×10,000)? Every amount is in yuan"
            ),
        );
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
                // Of what: a year's rate on a balance, or a share of a flow, not annualised
                // (`Base::is_flow`, as validation reads the rate).
                let flow = base.is_flow();
                let (max, of) = match base {
                    Base::InterestPaid(i) => (
                        PAID_FEE_RATE_MAX,
                        format!(
                            " of the interest paid to `{}`",
                            deal.tranches.get(i).map_or("", |t| t.name.as_str())
                        ),
                    ),
                    _ if flow => (FLOW_FEE_RATE_MAX, " of collections".to_string()),
                    _ => (FEE_RATE_MAX, " a year".to_string()),
                };
                // At the bound too on a balance (review 33a item M2).
                if rate > max || (!flow && rate == max) {
                    ctx.warn(
                        Check::FeeRange,
                        &format!("fees[{j}].rate"),
                        format!(
                            "fee `{}`'s rate {rate} ({}{of}) is {} {}; a rate is a fraction, \
                             0.001 for 0.1%",
                            f.name,
                            pct(rate),
                            if flow { "above" } else { "at or above" },
                            pct(max)
                        ),
                    );
                }
            }
            FeeKind::Fixed(a)
            | FeeKind::OneOff { amount: a, .. }
            | FeeKind::Annual { amount: a, .. } => {
                if a > issue * FIXED_FEE_SHARE_MAX {
                    ctx.warn(
                        Check::FeeRange,
                        &format!("fees[{j}].amount"),
                        format!(
                            "fee `{}` is {a:.2} yuan{}, more than {} of the issue size \
                             {issue:.2}: amounts are in yuan",
                            f.name,
                            match f.kind {
                                FeeKind::Fixed(_) => " every payment date",
                                FeeKind::Annual { .. } => " a year",
                                _ => "",
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
    coverage_on_interest(ctx, deal);
    for (i, t) in deal.triggers.iter().enumerate() {
        // The trigger's own threshold, then each step's that differs from the one before
        // (review 34d item L6: equal steps repeated the warning).
        trigger_in_range(
            ctx,
            &t.name,
            &format!("triggers[{i}].threshold"),
            t.condition,
        );
        let levels = t.thresholds().collect::<Vec<_>>();
        for (j, w) in levels.windows(2).enumerate() {
            if w[1] != w[0] {
                let path = format!("triggers[{i}].threshold_steps[{j}].threshold");
                trigger_in_range(ctx, &t.name, &path, t.condition.with_threshold(w[1]));
            }
        }
        threshold_steps(ctx, deal, i, t);
    }
    reserve_in_range(ctx, deal, issue);
}

/// A `coverage_below` trigger on a deal whose senior tranches are all pass-through: before
/// their expected maturity no principal is due, so the multiple counts their interest alone
/// (docs/conventions.md) and falls below the threshold only when the pool cannot pay that
/// interest (review 38a item 2: at 40% defaults a 1.05 trigger tripped on the last date, the
/// senior 54 million short). Told at the trigger's `condition`, with what watches principal.
fn coverage_on_interest(ctx: &mut Ctx, deal: &Deal) {
    let seniors: Vec<&crate::deal::Tranche> = deal
        .tranches
        .iter()
        .filter(|t| t.class == TrancheClass::Senior)
        .collect();
    if seniors.is_empty()
        || !seniors
            .iter()
            .all(|t| matches!(t.amortization, Amortization::PassThrough))
    {
        return;
    }
    let names: Vec<&str> = seniors.iter().map(|t| t.name.as_str()).collect();
    for (i, t) in deal.triggers.iter().enumerate() {
        let TriggerCondition::CoverageBelow(x) = t.condition else {
            continue;
        };
        ctx.warn(
            Check::CoverageOnInterest,
            &format!("triggers[{i}].condition"),
            format!(
                "trigger `{}` watches the senior coverage multiple below {x}, but the senior \
                 tranche(s) `{}` are pass-through: before their expected maturity no principal \
                 is due, so the multiple counts their interest alone and trips only when the \
                 pool cannot pay that interest, however much principal the defaults take; \
                 `pool_to_senior_below` or `cumulative_default_ratio_above` watch the principal",
                t.name,
                names.join("`, `"),
            ),
        );
    }
}

/// A trigger threshold (`path`) outside the range seen (`trigger_range`).
fn trigger_in_range(ctx: &mut Ctx, name: &str, path: &str, condition: TriggerCondition) {
    {
        match condition {
            TriggerCondition::CoverageBelow(x) if x < COVERAGE_MIN || x > COVERAGE_MAX => {
                ctx.warn(
                    Check::TriggerRange,
                    path,
                    format!(
                        "trigger `{}`: a coverage multiple below {x} is outside {}–{}; a \
                         multiple is written as a ratio, 1.05 for 105%{}",
                        name,
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
            TriggerCondition::PoolToSeniorBelow(x) if x < COVERAGE_MIN || x > COVERAGE_MAX => {
                ctx.warn(
                    Check::TriggerRange,
                    path,
                    format!(
                        "trigger `{}`: a pool-to-senior ratio below {x} is outside {}–{}; a \
                         ratio is written as a multiple, 1.1 for 110%",
                        name,
                        COVERAGE_MIN.normalize(),
                        COVERAGE_MAX.normalize(),
                    ),
                );
            }
            TriggerCondition::CumulativeDefaultRatioAbove(x) if x > CDR_TRIGGER_MAX => {
                ctx.warn(
                    Check::TriggerRange,
                    path,
                    format!(
                        "trigger `{}` trips only when cumulative defaults pass {} of the pool, \
                         above {}",
                        name,
                        pct(x),
                        pct(CDR_TRIGGER_MAX)
                    ),
                );
            }
            _ => {}
        }
    }
}

/// Threshold steps of trigger `i` that cannot mean what they say (`threshold_steps`): a step
/// that applies on no payment date (after the last one, told once for it and the steps after
/// it; or replaced by the next step before any payment date reaches it: review 34d item L1), a
/// first step from the first payment date (so `threshold` applies on none), and a
/// `cumulative_default_ratio_above` level that steps down from the level before it on the
/// payment dates (such levels step up; review 34d item L2: a `threshold` that applies on no
/// date is not a level to step down from).
fn threshold_steps(ctx: &mut Ctx, deal: &Deal, i: usize, t: &Trigger) {
    let Some(first) = deal.periods.first() else {
        return;
    };
    let steps = &t.threshold_steps;
    // The level in force before each step: `threshold`, unless the first step applies from
    // the first payment date on.
    let mut before = t
        .thresholds()
        .next()
        .filter(|_| steps.first().is_none_or(|&(from, _)| !first.reached(from)));
    // The first payment date each step reaches (None: after the last).
    let reaches: Vec<Option<usize>> = steps
        .iter()
        .map(|&(from, _)| deal.periods.iter().position(|p| p.reached(from)))
        .collect();
    let mut j = 0;
    while j < steps.len() {
        let (from, x) = steps[j];
        let path = format!("triggers[{i}].threshold_steps[{j}]");
        let Some(k) = reaches[j] else {
            let last = deal.periods.last().map_or(from, |p| p.date());
            let more = match steps.len() - j - 1 {
                0 => String::new(),
                1 => ", nor does the step after it".to_string(),
                n => format!(", nor do the {n} steps after it"),
            };
            ctx.warn(
                Check::ThresholdSteps,
                &format!("{path}.from"),
                format!(
                    "trigger `{}`: the step from {from} applies on no payment date (the last is \
                     {last}){more}: is the date a year late?",
                    t.name
                ),
            );
            return;
        };
        // Steps the next ones replace before any payment date reaches them, told once.
        let last_same = (j..steps.len())
            .take_while(|&m| reaches[m] == Some(k))
            .last()
            .unwrap_or(j);
        if last_same > j {
            let p = &deal.periods[k];
            ctx.warn(
                Check::ThresholdSteps,
                &format!("{path}.from"),
                format!(
                    "trigger `{}`: {} on no payment date: the step from {} replaces {} \
                     before the next payment date ({}); is a date mistyped?",
                    t.name,
                    if last_same == j + 1 {
                        format!("the step from {from} applies")
                    } else {
                        format!(
                            "the {} steps from {from} to {} apply",
                            last_same - j,
                            steps[last_same - 1].0
                        )
                    },
                    steps[last_same].0,
                    if last_same == j + 1 { "it" } else { "them" },
                    p.date()
                ),
            );
            j = last_same;
            continue;
        }
        let p = &deal.periods[k];
        if k == 0 {
            ctx.warn(
                Check::ThresholdSteps,
                &format!("{path}.from"),
                format!(
                    "trigger `{}`: the step from {from} applies from the first payment date \
                     ({}) on, so `threshold` applies on none: is the date a year early?",
                    t.name,
                    first.date()
                ),
            );
        }
        if let (TriggerCondition::CumulativeDefaultRatioAbove(_), Some(b)) = (t.condition, before)
            && x < b
        {
            ctx.warn(
                Check::ThresholdSteps,
                &format!("{path}.threshold"),
                format!(
                    "trigger `{}`: the threshold falls from {} to {} on {}; cumulative \
                     defaults never fall, so the trigger can trip then with no new default \
                     (such levels step up, 5% then 8% then 10%): are the steps in the right \
                     order?",
                    t.name,
                    pct(b),
                    pct(x),
                    p.date()
                ),
            );
        }
        before = Some(x);
        j += 1;
    }
}

/// The reserve's target and initial deposit out of scale with the issue (`reserve_range`).
fn reserve_in_range(ctx: &mut Ctx, deal: &Deal, issue: Decimal) {
    if let Some(r) = &deal.reserve {
        match &r.target {
            ReserveTarget::SeniorInterestAndFees(m) => {
                multiple_in_range(ctx, "reserve.target_multiple", "target_multiple", *m)
            }
            ReserveTarget::Fixed(x) => fixed_in_range(ctx, "reserve.target", "target", *x, issue),
            ReserveTarget::Formula(f) => formula_in_range(ctx, "reserve.formula", f, issue),
        }
        if let Some(s) = &r.step_down {
            formula_in_range(ctx, "reserve.step_down.formula", &s.target, issue);
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

/// A reserve target of `m` times a period's senior interest and fees (`key` at `path`) out
/// of the range seen.
fn multiple_in_range(ctx: &mut Ctx, path: &str, key: &str, m: Decimal) {
    if m > RESERVE_MULTIPLE_MAX {
        ctx.warn(
            Check::ReserveRange,
            path,
            format!(
                "{key} {m}: the reserve would trap {m} times a period's senior interest and \
                 fees; a multiple is written as a ratio, 1.0 for 100%, and is at most {} in \
                 practice",
                RESERVE_MULTIPLE_MAX.normalize()
            ),
        );
    } else if m > Decimal::ZERO && m < RESERVE_MULTIPLE_MIN {
        ctx.warn(
            Check::ReserveRange,
            path,
            format!(
                "{key} {m}: the reserve would hold {} of one period's senior interest and fees; \
                 a multiple is written as a ratio, 1.0 for 1× (100%), and is at least {} in \
                 practice",
                share_pct(m),
                RESERVE_MULTIPLE_MIN.normalize()
            ),
        );
    }
}

/// A fixed reserve target `x` (`key` at `path`) out of scale with the issue.
fn fixed_in_range(ctx: &mut Ctx, path: &str, key: &str, x: Decimal, issue: Decimal) {
    let what = if key == "target" {
        "the reserve target".to_string()
    } else {
        format!("the reserve target's `{key}`")
    };
    if x > Decimal::ZERO && x < issue * RESERVE_SHARE_MIN {
        ctx.warn(
            Check::ReserveRange,
            path,
            format!(
                "{what} {x:.2} is less than {} of the issue size {issue:.2}: is it in 万元? \
                 amounts are in yuan",
                pct(RESERVE_SHARE_MIN)
            ),
        );
    } else if x > issue * RESERVE_SHARE_MAX {
        ctx.warn(
            Check::ReserveRange,
            path,
            format!(
                "{what} {x:.2} is more than {} of the issue size {issue:.2}",
                pct(RESERVE_SHARE_MAX)
            ),
        );
    }
}

/// Each term of a reserve target formula at `path` out of the range seen, as the same figure
/// written as `target` or `target_multiple` is (review 34a item M2), and a `share` above
/// [`RESERVE_SHARE_MAX`] of its balance (1.0 written for 1%).
fn formula_in_range(ctx: &mut Ctx, path: &str, f: &TargetFormula, issue: Decimal) {
    match f {
        TargetFormula::Fixed(x) => {
            fixed_in_range(ctx, &format!("{path}.fixed"), "fixed", *x, issue)
        }
        TargetFormula::SeniorInterestAndFees(m) => {
            multiple_in_range(ctx, &format!("{path}.multiple"), "multiple", *m)
        }
        TargetFormula::Share(share, _) if *share > RESERVE_SHARE_MAX => ctx.warn(
            Check::ReserveRange,
            &format!("{path}.share"),
            format!(
                "share {share}: the reserve would hold {} of its balance, above the {} seen; a \
                 share is written as a fraction, 0.01 for 1%",
                pct(*share),
                pct(RESERVE_SHARE_MAX)
            ),
        ),
        TargetFormula::Share(..) => {}
        TargetFormula::Max(parts) | TargetFormula::Min(parts) => {
            let key = if matches!(f, TargetFormula::Max(_)) {
                "max"
            } else {
                "min"
            };
            for (i, g) in parts.iter().enumerate() {
                formula_in_range(ctx, &format!("{path}.{key}[{i}]"), g, issue);
            }
        }
    }
}

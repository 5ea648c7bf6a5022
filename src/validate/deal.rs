//! The deal file: resolves `[deal]` ([`super::dates`]), the pool ([`super::assets`]), the
//! liabilities ([`super::liabilities`]), the waterfalls and triggers ([`super::waterfalls`])
//! and the deal's `[scenario]`, then checks the pool against the issue.

use super::assets::{self, PoolDates};
use super::dates::header;
use super::liabilities::{fees, reserve, supports, taxes, tranches};
use super::waterfalls::{Refs, triggers, unused_waterfalls, waterfalls};
use super::{Ctx, Sign, checked_sum, scenario};
use crate::deal::Deal;
use crate::error::Check;
use crate::scenario::Scenario;
use crate::schema;
use rust_decimal::Decimal;

/// The highest reinvestment rate not warned about (`rate_range`): 合格投资 are bank deposits
/// and money-market funds, a few percent a year; 10% is a percentage typed for a fraction or
/// no such investment.
const REINVESTMENT_RATE_MAX: Decimal = Decimal::from_parts(10, 0, 0, false, 2);

/// The validated deal. The obligors' names and tags are moved out of `raw`.
pub(super) fn build(ctx: &mut Ctx, raw: &mut schema::DealFile) -> Option<Deal> {
    let h = header(ctx, &raw.deal);
    let last_payment = h.periods.as_ref().and_then(|p| p.last()).map(|p| p.date());
    let pool_dates = PoolDates {
        cutoff: h.cutoff,
        legal: h.legal,
        legal_ok: h.dates_ok,
        day_count: h.day_count,
        rounding: h.rounding,
        last_collection_end: h
            .periods
            .as_ref()
            .and_then(|p| p.last())
            .map(|p| p.collection_end),
    };
    let (mut obligors, obligor_names) = assets::obligors(ctx, &mut raw.obligors, &pool_dates);
    dropped_payment_date(ctx, &h, &obligors);
    lag_drops_instalments(ctx, &h, &obligors);
    let (tranches, tranche_names) = tranches(ctx, &raw.tranches, &h, last_payment);
    let (fees, fee_names) = fees(
        ctx,
        &raw.fees,
        &tranche_names,
        h.periods.as_deref().unwrap_or_default(),
        h.closing,
    );
    let (taxes, tax_names) = taxes(ctx, &raw.taxes, &tranche_names);
    let reserve = raw
        .reserve
        .as_ref()
        .and_then(|r| reserve(ctx, r, &tranche_names, &h));
    let (mut supports, support_names) = supports(ctx, &raw.supports);
    super::liabilities::support_obligors(
        ctx,
        &raw.supports,
        &mut supports,
        (&obligor_names, &obligors),
    );
    let (accounts, account_names) = super::accounts::accounts(ctx, &raw.accounts);
    let trigger_names =
        super::Names::from_list("trigger", raw.triggers.iter().map(|t| t.name.as_str()));
    let refs = Refs {
        taxes: &tax_names,
        fees: &fee_names,
        tranches: &tranche_names,
        tranche_classes: tranches.iter().map(|t| t.class).collect(),
        has_reserve: raw.reserve.is_some(),
        has_revolving: raw.revolving.is_some(),
        fee_caps: fees.iter().map(|f| f.cap.is_some()).collect(),
        accounts: &account_names,
        triggers: &trigger_names,
        has_pdl: raw.pdl.is_some(),
        supports: &support_names,
        support_kinds: supports.iter().map(|s| s.kind).collect(),
    };
    let (waterfalls, waterfall_names) = waterfalls(ctx, raw.waterfalls.as_ref(), &refs);
    let (triggers, events) = triggers(ctx, &raw.triggers, &waterfall_names, &support_names);
    let clean_up_call =
        super::accounts::clean_up_call(ctx, raw.clean_up_call.as_ref(), &waterfall_names);
    super::accounts::support_waterfalls(ctx, &raw.supports, &mut supports, &waterfall_names);
    unused_waterfalls(
        ctx,
        &waterfalls,
        &raw.triggers,
        raw.clean_up_call.as_ref().map(|c| c.waterfall.as_str()),
        raw.revolving.as_ref().and_then(|r| r.waterfall.as_deref()),
    );
    let revolving = raw.revolving.as_ref().and_then(|r| {
        super::revolving::revolving(
            ctx,
            r,
            &super::revolving::RevolvingRefs {
                legal: h.legal,
                day_count: h.day_count,
                periods: h.periods.as_deref(),
                triggers: &triggers,
                waterfalls: &waterfall_names,
                waterfall_steps: &waterfalls,
                obligors: &obligors,
            },
        )
    });
    let scenario = match &raw.scenario {
        Some(s) => scenario::build(
            ctx,
            "scenario",
            s,
            &obligor_names,
            &scenario::TagIndex {
                obligors: obligors.iter().map(|o| &o.tags).collect(),
                revolving: raw.revolving.as_ref().map(|r| &r.tags),
            },
            (&support_names, &events),
            Some("base"),
        ),
        None => Some(Scenario::base()),
    };
    if let (Some(s), Some(p)) = (&scenario, &h.periods) {
        scenario::check_timing_periods(ctx, "scenario", s, p.len());
    }
    if let Some(s) = &scenario {
        let told = scenario::search_drops_defaults(ctx, "scenario", s);
        ctx.search_warnings.extend(told);
    }
    if let Some(s) = &scenario {
        index_paths_given(ctx, raw, s);
        if ctx.error_count() == 0 {
            refix_floating_loans(ctx, &mut obligors, s, h.cutoff);
        }
    }

    // Over-collateralization: a warning only.
    let pool = checked_sum(
        ctx,
        "obligors",
        obligors
            .iter()
            .flat_map(|o| &o.assets)
            .flat_map(|a| &a.instalments)
            .map(|i| i.principal),
    );
    let issue = checked_sum(ctx, "tranches", tranches.iter().map(|t| t.balance));
    if let Some(pool) = pool {
        super::within_tables(ctx, "obligors", "pool's principal", pool);
    }
    // A period's deposit is its instalments' principal and interest (review 27c item 6: a
    // pool whose deposits reached 10^16 passed `check`); delays and recoveries move cash
    // between periods, which only the run sees.
    if let Some(periods) = &h.periods
        && let Some((k, cash)) = largest_period_cash(&obligors, periods)
    {
        super::within_tables(
            ctx,
            "obligors",
            &format!(
                "scheduled principal and interest of collection period {} (paid {})",
                periods[k].number,
                periods[k].date()
            ),
            cash,
        );
    }
    if let Some(issue) = issue {
        super::within_tables(ctx, "tranches", "issue", issue);
    }
    // The term sheet's issue size (发行规模), when given: the tranches must add up to it
    // (since session 32, review 32c item 10: tranches of 310m against a 300m term sheet passed).
    if let (Some(given), Some(issue)) = (raw.deal.issue_size, issue) {
        let before = ctx.error_count();
        let given = ctx.money("deal.issue_size", given, Sign::Positive);
        // An amount that is not one (review 32e item 7) is told once.
        if ctx.error_count() == before && given != issue {
            ctx.err(
                "deal.issue_size",
                format!(
                    "the tranches' balances add up to {issue}, not the issue size {given} \
                     (a difference of {})",
                    issue - given
                ),
                "the sum of the tranches' balances (发行规模), or the tranche balances corrected",
            );
        }
    }
    if let (Some(pool), Some(issue)) = (pool, issue)
        && !obligors.is_empty()
        && issue > pool
    {
        ctx.warn(
            Check::OverIssued,
            "tranches",
            format!(
                "the tranches total {issue:.2} but the pool balance at cutoff is {pool:.2}: \
                 over-collateralization is negative ({:.2})",
                pool - issue
            ),
        );
    }

    let allow = allow(ctx, &raw.deal.allow);
    let reinvestment_rate = raw.deal.reinvestment_rate.map_or(Decimal::ZERO, |r| {
        let path = "deal.reinvestment_rate";
        let r = ctx.annual_rate(path, r, super::Sign::NonNegative);
        super::checks::rate_range(ctx, path, r, REINVESTMENT_RATE_MAX, "the reinvestment rate");
        r
    });
    let notices = notices(ctx, raw, &tranches);

    if ctx.error_count() > 0 {
        return None;
    }
    let deal = Deal {
        name: h.name,
        currency: h.currency,
        cutoff_date: h.cutoff,
        closing_date: h.closing,
        legal_maturity: h.legal,
        day_count: h.day_count,
        rounding: h.rounding,
        pro_rata_rounding: h.pro_rata_rounding,
        business_day: h.business_day,
        payment_days: h.payment_days,
        calendar: h.calendar?,
        periods: h.periods?,
        frequency: h.frequency,
        collection_lag: h.lag,
        obligors,
        tranches,
        fees,
        taxes,
        reserve,
        supports,
        waterfalls,
        triggers,
        events,
        scenario: scenario?,
        allow,
        notices,
        accounts,
        pdl: super::accounts::pdl(raw.pdl.as_ref()),
        clean_up_call,
        revolving,
        reinvestment_rate,
        end_when_repaid: raw.deal.end_when_repaid.unwrap_or(false),
    };
    super::checks::deal(ctx, &deal, raw);
    if let Some(s) = &raw.scenario {
        super::floating::unread_indices(ctx, "scenario", s, &deal.index_names());
    }
    super::accounts::unfilled_accounts(ctx, &deal, raw);
    ctx.silence(&deal.allow);
    if ctx.error_count() > 0 {
        return None;
    }
    Some(deal)
}

/// `[deal] allow`: the names of the warnings the deal silences.
fn allow(ctx: &mut Ctx, names: &[String]) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let path = format!("deal.allow[{i}]");
        match n.parse::<Check>() {
            Ok(c) if out.contains(&c) => ctx.err(
                &path,
                format!("`{n}` is listed twice"),
                "each check at most once",
            ),
            Ok(c) => out.push(c),
            Err(()) => unknown_check(ctx, &path, n, &Check::ALL.map(Check::name)),
        }
    }
    out
}

/// The error of an `allow` entry (at `path`) that names no check: `candidates` are the names
/// the key takes, its near miss among them suggested (`[deal] allow`, a trigger's `allow`).
pub(super) fn unknown_check(ctx: &mut Ctx, path: &str, name: &str, candidates: &[&str]) {
    let hint = super::suggest(name, candidates.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    ctx.err(
        path,
        format!("unknown check `{name}`{hint}"),
        super::one_of(candidates),
    );
}

/// `[notices]`: the per-unit rules of payment notices (docs/auditing.md).
fn notices(
    ctx: &mut Ctx,
    file: &schema::DealFile,
    tranches: &[crate::deal::Tranche],
) -> crate::deal::NoticeRules {
    use super::Sign;
    use crate::money::Rounding;
    let mut r = crate::deal::NoticeRules::default();
    let Some(n) = file.notices.as_ref() else {
        return r;
    };
    if let Some(f) = n.face {
        r.face = ctx.money("notices.face", f, Sign::Positive);
    }
    if let Some(d) = n.decimals {
        r.decimals = ctx.int_in("notices.decimals", d, 0, 8, "decimal places");
    }
    if let Some(x) = n.rounding.as_deref() {
        r.rounding = match x {
            "truncate" => Rounding::Truncate,
            "half_up" => Rounding::HalfUp,
            _ => {
                ctx.err(
                    "notices.rounding",
                    format!("unknown rounding rule `{x}`"),
                    "one of: truncate, half_up",
                );
                Rounding::Truncate
            }
        };
    }
    if let Some(x) = n.csdc_fee_rate {
        r.csdc_fee_rate = ctx.fraction("notices.csdc_fee_rate", x, false);
        if r.csdc_fee_rate > super::checks::CSDC_FEE_RATE_MAX {
            ctx.warn(
                Check::FeeRange,
                "notices.csdc_fee_rate",
                format!(
                    "the CSDC fee rate {} is {}% of the payment, above {}%; CSDC charges \
                     0.005%, written 0.00005 (docs/sources.md [P1])",
                    r.csdc_fee_rate,
                    super::percent(r.csdc_fee_rate),
                    super::percent(super::checks::CSDC_FEE_RATE_MAX)
                ),
            );
        }
    }
    r.per_unit = n.per_unit.unwrap_or(false);
    if r.per_unit && r.rounding == Rounding::HalfUp {
        ctx.err(
            "notices.rounding",
            "`per_unit = true` with `rounding = \"half_up\"`: a rounded-up rate times the units \
             can pay more than the waterfall has",
            "rounding = \"truncate\" with per_unit = true (half_up only for notices that are \
             reported)",
        );
    }
    if r.face > rust_decimal::Decimal::ZERO {
        for t in tranches {
            let i = file
                .tranches
                .iter()
                .position(|x| x.name == t.name)
                .unwrap_or(0);
            if !(t.balance % r.face).is_zero() {
                ctx.err(
                    &format!("tranches[{i}].balance"),
                    format!(
                        "tranche {} has a balance of {}, not a whole number of units of {} yuan",
                        t.name, t.balance, r.face
                    ),
                    format!("a multiple of notices.face ({})", r.face),
                );
            } else if r.per_unit {
                // X per 100 at d places pays m × B / (100 × 10^d) yuan for a whole m: whole
                // fen for every m only when B is a multiple of 10^d yuan (review 26a item M5:
                // 9,001 units redeemed 100 per 100 and left a fen of the balance unpaid).
                let step =
                    rust_decimal::Decimal::from_i128_with_scale(10i128.pow(r.decimals.min(18)), 0);
                if !(t.balance % step).is_zero() {
                    ctx.err(
                        &format!("tranches[{i}].balance"),
                        format!(
                            "with `per_unit = true` and {} decimals per 100, tranche {}'s \
                             balance {} is not a multiple of {} yuan: the units times a figure \
                             per 100 is then not always whole fen, and the notice that redeems \
                             the tranche would leave part of a fen of it unpaid",
                            r.decimals, t.name, t.balance, step
                        ),
                        format!(
                            "a balance that is a multiple of {step} yuan, or fewer \
                             notices.decimals"
                        ),
                    );
                }
            }
        }
    }
    r
}

/// Every index a floating tranche or loan follows has a path in the deal's own `[scenario]`,
/// the fallback of every scenario (docs/scenarios.md, "Index paths").
fn index_paths_given(ctx: &mut Ctx, raw: &schema::DealFile, s: &Scenario) {
    let tranches = raw.tranches.iter().enumerate().filter_map(|(i, t)| {
        Some((
            format!("tranches[{i}].floating.index"),
            t.floating.as_ref()?,
        ))
    });
    let loans = raw.obligors.iter().enumerate().flat_map(|(o, ob)| {
        ob.assets.iter().enumerate().filter_map(move |(a, asset)| {
            // The path is written only for a floating loan.
            let floating = asset.floating.as_ref()?;
            Some((
                format!("obligors[{o}].assets[{a}].floating.index"),
                floating,
            ))
        })
    });
    for (path, f) in tranches.chain(loans) {
        let name = f.index.trim();
        if !name.is_empty() && s.indices.get(name).is_none() {
            ctx.err(
                &path,
                format!(
                    "index `{name}` has no path: the deal's [scenario] gives none, and every \
                     scenario falls back to it"
                ),
                format!(
                    "[scenario] indices = {{ {name} = 0.031 }} (a flat value), or index_paths.{name} \
                     = [{{ date = 2024-10-21, rate = 0.031 }}, …]"
                ),
            );
        }
    }
}

/// Rebuilds every floating loan's schedule under the deal's own index paths (its base
/// schedule; other scenarios rebuild it again in the pool projection).
fn refix_floating_loans(
    ctx: &mut Ctx,
    obligors: &mut [crate::deal::Obligor],
    s: &Scenario,
    cutoff: chrono::NaiveDate,
) {
    let view = crate::floating::IndexView {
        history: &s.indices,
        scenario: &s.indices,
        history_end: cutoff,
    };
    for (o, ob) in obligors.iter_mut().enumerate() {
        for (a, asset) in ob.assets.iter_mut().enumerate() {
            match crate::schedule::floating_loan::refixed(asset, &view, cutoff) {
                Some(Ok(new)) if new.instalments.is_empty() => ctx.err(
                    &format!("obligors[{o}].assets[{a}]"),
                    "the floating loan has nothing left to pay after the cutoff date",
                    "a loan outstanding at the cutoff date",
                ),
                Some(Ok(new)) => *asset = new,
                Some(Err(e)) => ctx.err(
                    &format!("obligors[{o}].assets[{a}].floating"),
                    format!("cannot generate the floating loan's schedule: {e}"),
                    "terms that give a valid schedule (see docs/amortization.md)",
                ),
                None => {}
            }
        }
    }
}

/// The collection period whose instalments owe the most principal and interest, and that sum
/// (`None` when a sum leaves Decimal's range, which `checked_sum` has told).
fn largest_period_cash(
    obligors: &[crate::deal::Obligor],
    periods: &[crate::deal::PeriodDates],
) -> Option<(usize, rust_decimal::Decimal)> {
    let mut sums = vec![rust_decimal::Decimal::ZERO; periods.len()];
    for i in obligors
        .iter()
        .flat_map(|o| &o.assets)
        .flat_map(|a| &a.instalments)
    {
        if let Some(k) = crate::deal::period_of(periods, i.date) {
            sums[k] = sums[k].checked_add(i.principal)?.checked_add(i.interest)?;
        }
    }
    sums.into_iter().enumerate().max_by_key(|&(_, s)| s)
}

/// A collection lag that leaves instalments of two assets or more between the last collection
/// period's end and the last payment date, where the deal never collects them: each is told at
/// its date (`never_collected`), and this at the lag's key, the one line to fix (review 45d item
/// 11: a lag of 50 business days typed for 5 was told as eleven warnings at the loans' `term`s
/// and none at the lag). One asset's last instalment in the gap is a matter of that asset and
/// is told there only; a lag of the month end or listed collection ends is not a typed number.
fn lag_drops_instalments(
    ctx: &mut Ctx,
    h: &super::dates::Header,
    obligors: &[crate::deal::Obligor],
) {
    use crate::calendar::schedule::CollectionLag;
    // A lag of a month or more reads as other units (a month's days typed as business days,
    // days as months); a shorter one is the usual transfer lag (回收款转付), and then the
    // assets falling due in its last days are the matter (review 46b F4).
    let (key, n, unit, long) = match h.lag {
        CollectionLag::BusinessDays(n) if n > 0 => (
            "deal.collection_lag_business_days",
            n,
            "business days",
            n >= 20,
        ),
        CollectionLag::CalendarDays(n) if n > 0 => ("deal.collection_lag_days", n, "days", n >= 30),
        _ => return,
    };
    let Some(last) = h.periods.as_deref().and_then(|p| p.last()) else {
        return;
    };
    let (end, paid) = (last.collection_end, last.payment.adjusted);
    let stranded = |i: &&crate::deal::Instalment| i.date > end && i.date <= paid;
    let pool = || obligors.iter().flat_map(|o| &o.assets);
    let assets = pool()
        .filter(|a| a.instalments.iter().any(|i| stranded(&i)))
        .count();
    if assets < 2 {
        return;
    }
    let gap = || pool().flat_map(|a| a.instalments.iter().filter(stranded));
    let count = gap().count();
    let Some(total) = gap().try_fold(Decimal::ZERO, |t, i| t.checked_add(i.amount())) else {
        return;
    };
    ctx.warn(
        Check::NeverCollected,
        key,
        format!(
            "the collection lag of {n} {unit} ends the last collection period on {end}, {} days \
             before the last payment date {paid}: {count} instalment(s) of {assets} assets, \
             totalling {}, fall due between and are never collected (each told at its date); \
             {}",
            (paid - end).num_days(),
            total.normalize(),
            if long {
                "a lag meant in other units?"
            } else {
                "is the last payment date, or the legal maturity, too early for them?"
            }
        ),
    );
}

/// Generated payment dates stop at the legal maturity, so one set between two dates of the
/// frequency (a day short, say) drops the later one, and the instalments due after the last
/// collection period are never collected: each is told at its date (`never_collected`), and
/// this at `legal_maturity`, the one line to fix, with the first date of the frequency whose
/// collection period reaches the last of them (review 40d F2: a legal maturity a day short sent
/// the user to twelve receivables' due dates; review 40e F1: with a month-end collection the
/// next date was not enough); the date is the later of its scheduled and paid days, so that
/// the legal maturity suggested is not before the payment (`payment_after_legal`, review 40g
/// F1). Not told when the legal maturity is on or before the last payment date, scheduled or
/// paid (the lag, not the maturity, is then what to look at: review 40e F2, 40g F2), when the
/// deal lists its collection ends, or when no date of the next ten years would collect them.
fn dropped_payment_date(
    ctx: &mut Ctx,
    h: &super::dates::Header,
    obligors: &[crate::deal::Obligor],
) {
    use crate::calendar::schedule::{ScheduledDate, add_months, is_month_end};
    let (Some(freq), Some(periods), Some(cal)) =
        (h.frequency, h.periods.as_deref(), h.calendar.as_ref())
    else {
        return;
    };
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return;
    };
    if h.legal <= last.payment.adjusted.max(last.payment.unadjusted) {
        return;
    }
    let end = last.collection_end;
    let late: Vec<chrono::NaiveDate> = obligors
        .iter()
        .flat_map(|o| &o.assets)
        .flat_map(|a| &a.instalments)
        .map(|i| i.date)
        .filter(|&d| d > end)
        .collect();
    let Some(&latest) = late.iter().max() else {
        return;
    };
    let pay_cal = h.payment_days.calendar(cal);
    let start = first.payment.unadjusted;
    let step = freq.months() as usize;
    // The first date of the frequency after the last whose collection period ends on or after
    // the last late instalment, within ten years.
    let needed = (periods.len()..periods.len() + 120 / step).find_map(|n| {
        let u = add_months(start, i32::try_from(n * step).ok()?, is_month_end(start))?;
        let date = ScheduledDate {
            unadjusted: u,
            adjusted: pay_cal.adjust(u, h.business_day),
        };
        let e = h.lag.collection_end(date, &pay_cal)?;
        (e >= latest).then_some(date.unadjusted.max(date.adjusted))
    });
    let Some(needed) = needed else {
        return;
    };
    let (count, them, keeps) = match late.len() {
        1 => ("1 instalment is".to_string(), "it", "keeps it"),
        n => (
            format!("{n} instalments are"),
            "the last of them",
            "keeps them",
        ),
    };
    ctx.warn(
        Check::NeverCollected,
        "deal.legal_maturity",
        format!(
            "the payment dates stop at {} (the last of the {} dates on or before the legal \
             maturity {}), so {count} due after its collection period ends on {end} and never \
             collected; a legal maturity on or after {needed}, the first date whose collection \
             period reaches {them} ({latest}), {keeps}",
            last.payment.unadjusted,
            freq.name(),
            h.legal,
        ),
    );
}

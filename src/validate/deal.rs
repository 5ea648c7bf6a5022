//! The deal file: `[deal]`, tranches, fees, taxes, reserve, supports, waterfalls, triggers.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use super::assets::{self, PoolDates};
use super::scenario;
use super::{Ctx, Names, Sign, resolve_list};
use crate::calendar::daycount::DayCount;
use crate::calendar::schedule::{CollectionLag, Frequency, ScheduledDate, payment_dates};
use crate::calendar::{BusinessDayConvention, Calendar};
use crate::deal::{
    Action, Amortization, Base, Cover, Deal, Fee, FeeKind, PeriodDates, PrincipalAmount,
    PrincipalOrder, Reserve, ReserveTarget, Step, StepCondition, Support, SupportKind, Tax,
    Tranche, TrancheClass, Trigger, TriggerCondition, TriggerKind, Waterfall,
};
use crate::money::allocation::one_of;
use crate::money::{ProRataRounding, Rounding};
use crate::scenario::Scenario;
use crate::schema;

pub(super) const DAY_COUNTS: &str = "one of: ACT/365F, ACT/360, 30/360, ACT/ACT";
const CONVENTIONS: &str = "one of: unadjusted, following, modified_following, preceding";
const CALENDARS: &str = "one of: CN, weekends";
pub(super) const FREQUENCIES: &str = "one of: monthly, quarterly, semiannual, annual";
const BASES: &str = "one of: senior_balance, pool_balance, issue_size, tranche:<name>, \
                     interest_collections, collections";
/// Longest collection lags accepted.
const MAX_LAG_DAYS: u32 = 366;
const MAX_LAG_BUSINESS_DAYS: u32 = 250;

/// `[deal]`, resolved.
struct Header {
    name: String,
    currency: String,
    cutoff: NaiveDate,
    closing: NaiveDate,
    legal: NaiveDate,
    /// The cutoff, closing and legal maturity are each in range and in order; when they are
    /// not, checks against them are skipped (they would only repeat that error).
    dates_ok: bool,
    day_count: DayCount,
    rounding: Rounding,
    pro_rata_rounding: ProRataRounding,
    business_day: BusinessDayConvention,
    calendar: Option<Calendar>,
    lag: CollectionLag,
    periods: Option<Vec<PeriodDates>>,
}

pub(super) fn build(ctx: &mut Ctx, raw: &schema::DealFile) -> Option<Deal> {
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
    let (obligors, obligor_names) = assets::obligors(ctx, &raw.obligors, &pool_dates);
    let (tranches, tranche_names) = tranches(ctx, &raw.tranches, &h, last_payment);
    let first_payment = h.periods.as_ref().and_then(|p| p.first()).map(|p| p.date());
    let (fees, fee_names) = fees(ctx, &raw.fees, &tranche_names, first_payment, last_payment);
    let (taxes, tax_names) = taxes(ctx, &raw.taxes, &tranche_names);
    let reserve = raw.reserve.as_ref().and_then(|r| reserve(ctx, r));
    let (supports, support_names) = supports(ctx, &raw.supports);
    let refs = Refs {
        taxes: &tax_names,
        fees: &fee_names,
        tranches: &tranche_names,
        tranche_classes: tranches.iter().map(|t| t.class).collect(),
        has_reserve: raw.reserve.is_some(),
    };
    let (waterfalls, waterfall_names) = waterfalls(ctx, raw.waterfalls.as_ref(), &refs);
    let triggers = triggers(ctx, &raw.triggers, &waterfall_names);
    unused_waterfalls(ctx, &waterfalls, &raw.triggers);
    let scenario = match &raw.scenario {
        Some(s) => scenario::build(
            ctx,
            "scenario",
            s,
            &obligor_names,
            &support_names,
            Some("base"),
        ),
        None => Some(Scenario::base()),
    };
    if let (Some(s), Some(p)) = (&scenario, &h.periods) {
        scenario::check_timing_periods(ctx, "scenario", s, p.len());
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
    if let (Some(pool), Some(issue)) = (pool, issue)
        && !obligors.is_empty()
        && issue > pool
    {
        ctx.warn(
            "tranches",
            format!(
                "the tranches total {issue:.2} but the pool balance at cutoff is {pool:.2}: \
                 over-collateralization is negative ({:.2})",
                pool - issue
            ),
        );
    }

    if ctx.error_count() > 0 {
        return None;
    }
    Some(Deal {
        name: h.name,
        currency: h.currency,
        cutoff_date: h.cutoff,
        closing_date: h.closing,
        legal_maturity: h.legal,
        day_count: h.day_count,
        rounding: h.rounding,
        pro_rata_rounding: h.pro_rata_rounding,
        business_day: h.business_day,
        calendar: h.calendar?,
        periods: h.periods?,
        collection_lag: h.lag,
        obligors,
        tranches,
        fees,
        taxes,
        reserve,
        supports,
        waterfalls,
        triggers,
        scenario: scenario?,
    })
}

/// Sums amounts with overflow checking; reports an overflow at `path`.
pub(super) fn checked_sum(
    ctx: &mut Ctx,
    path: &str,
    items: impl Iterator<Item = Decimal>,
) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for v in items {
        match total.checked_add(v) {
            Some(t) => total = t,
            None => {
                ctx.err(
                    path,
                    "the amounts overflow when added up",
                    "smaller amounts",
                );
                return None;
            }
        }
    }
    Some(total)
}

fn header(ctx: &mut Ctx, d: &schema::DealSection) -> Header {
    ctx.name("deal.name", &d.name);
    let currency = d.currency.clone().unwrap_or_else(|| "CNY".to_string());
    if currency != "CNY" {
        ctx.err(
            "deal.currency",
            format!("currency `{currency}` is not supported"),
            "CNY (the only supported currency)",
        );
    }
    let before_dates = ctx.error_count();
    let cutoff = ctx.date("deal.cutoff_date", d.cutoff_date);
    let closing = ctx.date("deal.closing_date", d.closing_date);
    let legal = ctx.date("deal.legal_maturity", d.legal_maturity);
    if closing < cutoff {
        ctx.err(
            "deal.closing_date",
            format!("closing date {closing} is before the cutoff date {cutoff}"),
            "a closing date on or after the cutoff date",
        );
    }
    if legal <= closing {
        ctx.err(
            "deal.legal_maturity",
            format!("legal maturity {legal} is not after the closing date {closing}"),
            "a legal maturity after the closing date",
        );
    }
    let day_count = parse_or(
        ctx,
        "deal.day_count",
        d.day_count.as_deref(),
        "day count",
        DAY_COUNTS,
    )
    .unwrap_or(DayCount::Act365F);
    let rounding = parse_or(
        ctx,
        "deal.rounding",
        d.rounding.as_deref(),
        "rounding rule",
        &one_of(Rounding::ALL.iter().map(|r| r.name())),
    )
    .unwrap_or_default();
    let pro_rata_rounding = parse_or(
        ctx,
        "deal.pro_rata_rounding",
        d.pro_rata_rounding.as_deref(),
        "pro rata rounding rule",
        &ProRataRounding::one_of(),
    )
    .unwrap_or_default();
    let business_day = parse_or(
        ctx,
        "deal.business_day",
        d.business_day.as_deref(),
        "business-day convention",
        CONVENTIONS,
    )
    .unwrap_or(BusinessDayConvention::Following);
    let dates_ok = ctx.error_count() == before_dates;
    let calendar = calendar(ctx, d);
    let before_lag = ctx.error_count();
    let lag = collection_lag(ctx, d);
    let lag_ok = ctx.error_count() == before_lag;
    // Periods from a wrong lag would only repeat the lag's error in other words.
    let periods = match &calendar {
        Some(cal) if lag_ok && dates_ok => {
            periods(ctx, d, cutoff, closing, legal, cal, business_day, lag)
        }
        _ => None,
    };
    if let (Some(cal), Some(periods)) = (&calendar, &periods) {
        calendar_coverage(ctx, cal, periods);
    }
    Header {
        name: d.name.clone(),
        currency,
        cutoff,
        closing,
        legal,
        dates_ok,
        day_count,
        rounding,
        pro_rata_rounding,
        business_day,
        calendar,
        lag,
        periods,
    }
}

/// Parses an optional string key with `FromStr`; None means the default applies (or the
/// value was wrong, which is reported).
pub(super) fn parse_or<T: std::str::FromStr>(
    ctx: &mut Ctx,
    path: &str,
    s: Option<&str>,
    what: &str,
    expected: &str,
) -> Option<T> {
    let s = s?;
    let parsed = s.parse::<T>().ok();
    if parsed.is_none() {
        let names = expected.strip_prefix("one of: ").unwrap_or("");
        let hint = super::suggest(s, names.split(", "))
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        ctx.err(path, format!("unknown {what} `{s}`{hint}"), expected);
    }
    parsed
}

fn calendar(ctx: &mut Ctx, d: &schema::DealSection) -> Option<Calendar> {
    let name = d.calendar.as_deref().unwrap_or("CN");
    let Some(cal) = Calendar::builtin(name) else {
        ctx.err(
            "deal.calendar",
            format!("unknown calendar `{name}`"),
            CALENDARS,
        );
        return None;
    };
    let holidays: Vec<NaiveDate> = d
        .extra_holidays
        .iter()
        .enumerate()
        .map(|(i, &h)| ctx.date(&format!("deal.extra_holidays[{i}]"), h))
        .collect();
    let mut working = Vec::with_capacity(d.extra_working_days.len());
    for (i, &w) in d.extra_working_days.iter().enumerate() {
        let path = format!("deal.extra_working_days[{i}]");
        let w = ctx.date(&path, w);
        if holidays.contains(&w) {
            ctx.err(
                &path,
                format!("{w} is listed in both extra_holidays and extra_working_days"),
                "a date in at most one of the two lists",
            );
        }
        working.push(w);
    }
    Some(cal.with_overrides(&holidays, &working))
}

fn collection_lag(ctx: &mut Ctx, d: &schema::DealSection) -> CollectionLag {
    match (d.collection_lag_days, d.collection_lag_business_days) {
        (Some(_), Some(_)) => {
            ctx.key_err(
                "deal.collection_lag_business_days",
                "both collection_lag_days and collection_lag_business_days are given",
                "at most one of them",
            );
            CollectionLag::CalendarDays(0)
        }
        (Some(n), None) => CollectionLag::CalendarDays(ctx.int_in(
            "deal.collection_lag_days",
            n,
            0,
            MAX_LAG_DAYS,
            "days",
        )),
        (None, Some(n)) => CollectionLag::BusinessDays(ctx.int_in(
            "deal.collection_lag_business_days",
            n,
            0,
            MAX_LAG_BUSINESS_DAYS,
            "business days",
        )),
        (None, None) => CollectionLag::CalendarDays(0),
    }
}

/// The payment dates and their collection periods.
#[allow(clippy::too_many_arguments)]
fn periods(
    ctx: &mut Ctx,
    d: &schema::DealSection,
    cutoff: NaiveDate,
    closing: NaiveDate,
    legal: NaiveDate,
    cal: &Calendar,
    bdc: BusinessDayConvention,
    lag: CollectionLag,
) -> Option<Vec<PeriodDates>> {
    let before = ctx.error_count();
    // Each date with the key path that produced it.
    let dates: Vec<(ScheduledDate, String)> =
        match (d.first_payment_date, &d.frequency, &d.payment_dates) {
            (Some(first), freq, None) => {
                let first = ctx.date("deal.first_payment_date", first);
                let freq = match freq {
                    Some(f) => parse_or::<Frequency>(
                        ctx,
                        "deal.frequency",
                        Some(f),
                        "frequency",
                        FREQUENCIES,
                    )?,
                    None => {
                        ctx.err(
                            "deal.frequency",
                            "missing required key `frequency` (it goes with first_payment_date)",
                            FREQUENCIES,
                        );
                        return None;
                    }
                };
                if first <= closing {
                    ctx.err(
                        "deal.first_payment_date",
                        format!(
                            "first payment date {first} is not after the closing date {closing}"
                        ),
                        "a first payment date after the closing date",
                    );
                }
                if first > legal {
                    ctx.err(
                        "deal.first_payment_date",
                        format!("first payment date {first} is after the legal maturity {legal}"),
                        "a first payment date on or before the legal maturity",
                    );
                }
                if ctx.error_count() > before {
                    return None;
                }
                payment_dates(first, freq, legal, cal, bdc)
                    .into_iter()
                    .map(|s| (s, "deal.first_payment_date".to_string()))
                    .collect()
            }
            (None, freq, Some(list)) => {
                if freq.is_some() {
                    ctx.key_err(
                        "deal.frequency",
                        "`frequency` does not apply with an explicit `payment_dates` list",
                        "either first_payment_date with frequency, or payment_dates",
                    );
                }
                explicit_dates(ctx, list, closing, legal, cal, bdc)
            }
            (Some(_), _, Some(_)) => {
                ctx.key_err(
                    "deal.payment_dates",
                    "both first_payment_date and payment_dates are given",
                    "either first_payment_date with frequency, or payment_dates",
                );
                return None;
            }
            (None, _, None) => {
                ctx.err(
                    "deal.first_payment_date",
                    "no payment dates: neither first_payment_date nor payment_dates is given",
                    "first_payment_date with frequency, or a payment_dates list",
                );
                return None;
            }
        };
    if ctx.error_count() > before || dates.is_empty() {
        return None;
    }

    let lag_path = match lag {
        CollectionLag::CalendarDays(0) | CollectionLag::BusinessDays(0) => None,
        CollectionLag::CalendarDays(_) => Some("deal.collection_lag_days"),
        CollectionLag::BusinessDays(_) => Some("deal.collection_lag_business_days"),
    };
    let mut out: Vec<PeriodDates> = Vec::with_capacity(dates.len());
    for (k, (date, path)) in dates.iter().enumerate() {
        let n = k + 1;
        let prev = out.last().copied();
        match prev {
            None if date.adjusted <= closing => {
                ctx.err(
                    path,
                    format!(
                        "payment date 1 ({}) is adjusted to {}, on or before the closing date {closing}",
                        date.unadjusted, date.adjusted
                    ),
                    "a first payment date that stays after the closing date once adjusted",
                );
                return None;
            }
            Some(p) if date.adjusted <= p.payment.adjusted => {
                let problem = if date.adjusted == p.payment.adjusted {
                    format!(
                        "payment dates {k} ({}) and {n} ({}) both fall on {} after `{}` adjustment",
                        p.payment.unadjusted,
                        date.unadjusted,
                        date.adjusted,
                        bdc.name()
                    )
                } else {
                    format!(
                        "payment date {n} ({}) is adjusted to {}, before payment date {k} ({})",
                        date.unadjusted, date.adjusted, p.payment.adjusted
                    )
                };
                ctx.err(
                    path,
                    problem,
                    "payment dates that stay distinct and in order after business-day adjustment",
                );
                return None;
            }
            _ => {}
        }
        let end = lag.collection_end(date.adjusted, cal);
        let (start, accrual_start) = match prev {
            None => (cutoff.checked_add_days(Days::new(1)), closing),
            Some(p) => (
                p.collection_end.checked_add_days(Days::new(1)),
                p.payment.adjusted,
            ),
        };
        let start = start.unwrap_or(NaiveDate::MAX);
        if prev.is_none() && end <= cutoff {
            ctx.err(
                lag_path.unwrap_or(path),
                format!(
                    "collection period 1 ends on {end} (payment date {} less the collection lag), \
                     on or before the cutoff date {cutoff}",
                    date.adjusted
                ),
                "a first collection period that ends after the cutoff date",
            );
            return None;
        }
        if end < start {
            ctx.err(
                lag_path.unwrap_or(path),
                format!(
                    "collection period {n} is empty: it would start on {start} (the day after \
                     period {k}'s collection end) and end on {end} (payment date {} less the lag)",
                    date.adjusted
                ),
                "payment dates and a collection lag that leave every collection period at \
                 least one day long",
            );
            return None;
        }
        out.push(PeriodDates {
            number: u32::try_from(n).unwrap_or(u32::MAX),
            payment: *date,
            collection_start: start,
            collection_end: end,
            accrual_start,
        });
    }
    Some(out)
}

fn explicit_dates(
    ctx: &mut Ctx,
    list: &[schema::Date],
    closing: NaiveDate,
    legal: NaiveDate,
    cal: &Calendar,
    bdc: BusinessDayConvention,
) -> Vec<(ScheduledDate, String)> {
    if list.is_empty() {
        ctx.err(
            "deal.payment_dates",
            "`payment_dates` is empty",
            "at least one payment date",
        );
    }
    let mut out: Vec<(ScheduledDate, String)> = Vec::with_capacity(list.len());
    let mut prev: Option<NaiveDate> = None;
    for (i, &d) in list.iter().enumerate() {
        let path = format!("deal.payment_dates[{i}]");
        let d = ctx.date(&path, d);
        if d <= closing {
            ctx.err(
                &path,
                format!("payment date {d} is not after the closing date {closing}"),
                "payment dates after the closing date",
            );
        }
        if d > legal {
            ctx.err(
                &path,
                format!("payment date {d} is after the legal maturity {legal}"),
                "payment dates on or before the legal maturity",
            );
        }
        if let Some(p) = prev
            && d <= p
        {
            ctx.err(
                &path,
                format!("payment date {d} is not after the previous one, {p}"),
                "payment dates in strictly increasing order",
            );
        }
        prev = Some(d);
        out.push((
            ScheduledDate {
                unadjusted: d,
                adjusted: cal.adjust(d, bdc),
            },
            path,
        ));
    }
    out
}

/// Warns when a payment date falls in a year the built-in holiday data does not cover.
fn calendar_coverage(ctx: &mut Ctx, cal: &Calendar, periods: &[PeriodDates]) {
    let Some((first, last)) = cal.covered_years() else {
        return;
    };
    let outside: BTreeSet<i32> = periods
        .iter()
        .flat_map(|p| [p.payment.unadjusted.year(), p.payment.adjusted.year()])
        .filter(|y| *y < first || *y > last)
        .collect();
    if !outside.is_empty() {
        let years: Vec<String> = outside.iter().map(i32::to_string).collect();
        ctx.warn(
            "deal.calendar",
            format!(
                "the {} calendar's holiday data covers {first}–{last}; payment dates in {} are \
                 adjusted for weekends (and extra_holidays/extra_working_days) only",
                cal.name(),
                years.join(", ")
            ),
        );
    }
}

fn class(c: schema::TrancheClass) -> TrancheClass {
    match c {
        schema::TrancheClass::Senior => TrancheClass::Senior,
        schema::TrancheClass::Mezzanine => TrancheClass::Mezzanine,
        schema::TrancheClass::Subordinated => TrancheClass::Subordinated,
    }
}

/// Tranches sorted by seniority, and their names resolving to the sorted indices.
fn tranches(
    ctx: &mut Ctx,
    raw: &[schema::Tranche],
    h: &Header,
    last_payment: Option<NaiveDate>,
) -> (Vec<Tranche>, Names) {
    let mut names = Names::new("tranche");
    if raw.is_empty() {
        ctx.err("tranches", "no tranches", "at least one [[tranches]] table");
    }
    let mut out: Vec<Tranche> = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let p = format!("tranches[{i}]");
        ctx.name(&format!("{p}.name"), &t.name);
        names.add(ctx, &format!("{p}.name"), &t.name, i);
        let class = class(t.class);
        let balance = ctx.money(&format!("{p}.balance"), t.balance, Sign::Positive);
        let coupon = match (t.coupon, class) {
            (Some(c), _) => ctx.annual_rate(&format!("{p}.coupon"), c, Sign::NonNegative),
            (None, TrancheClass::Subordinated) => Decimal::ZERO,
            (None, _) => {
                ctx.err(
                    &format!("{p}.coupon"),
                    format!(
                        "missing required key `coupon` (a {} tranche needs one)",
                        class.name()
                    ),
                    "an annual coupon as a fraction, e.g. coupon = 0.04 for 4%",
                );
                Decimal::ZERO
            }
        };
        let amortization = match (t.amortization, &t.target_balances) {
            (Some(schema::Amortization::Scheduled), Some(list)) => {
                Amortization::Scheduled(target_balances(ctx, &p, list, balance, h))
            }
            (Some(schema::Amortization::Scheduled), None) => {
                ctx.err(
                    &format!("{p}.target_balances"),
                    "missing required key `target_balances` (amortization is `scheduled`)",
                    "target_balances = [{ date = 2020-03-11, balance = 200000000 }, …]",
                );
                Amortization::Scheduled(Vec::new())
            }
            (other, targets) => {
                if targets.is_some() {
                    ctx.key_err(
                        &format!("{p}.target_balances"),
                        "`target_balances` applies only to amortization = \"scheduled\"",
                        "amortization = \"scheduled\", or no target_balances",
                    );
                }
                match other {
                    Some(schema::Amortization::Bullet) => Amortization::Bullet,
                    _ => Amortization::PassThrough,
                }
            }
        };
        let expected_maturity = match t.expected_maturity {
            Some(m) => {
                let path = format!("{p}.expected_maturity");
                let m = ctx.date(&path, m);
                if !h.dates_ok {
                } else if m > h.legal {
                    ctx.err(
                        &path,
                        format!(
                            "expected maturity {m} is after the legal maturity {}",
                            h.legal
                        ),
                        "an expected maturity on or before the legal maturity",
                    );
                } else if m <= h.closing {
                    ctx.err(
                        &path,
                        format!(
                            "expected maturity {m} is not after the closing date {}",
                            h.closing
                        ),
                        "an expected maturity after the closing date",
                    );
                } else if let Some(last) = last_payment
                    && m > last
                {
                    ctx.warn(
                        &path,
                        format!(
                            "tranche `{}`: expected maturity {m} is after the last payment date {last}",
                            t.name
                        ),
                    );
                }
                m
            }
            None => last_payment.unwrap_or(h.legal),
        };
        out.push(Tranche {
            name: t.name.clone(),
            class,
            balance,
            coupon,
            amortization,
            expected_maturity,
            rating: t.rating.clone(),
            interest_on_shortfall: t.interest_on_shortfall.unwrap_or(false),
        });
    }
    // Stable sort by seniority; names follow their tranches.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| out[i].class);
    let mut new_index = vec![0; out.len()];
    for (sorted, &file) in order.iter().enumerate() {
        new_index[file] = sorted;
    }
    names.map_indices(|file| new_index.get(file).copied().unwrap_or(file));
    let mut slots: Vec<Option<Tranche>> = out.into_iter().map(Some).collect();
    let sorted = order
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect();
    (sorted, names)
}

fn target_balances(
    ctx: &mut Ctx,
    p: &str,
    list: &[schema::TargetBalance],
    balance: Decimal,
    h: &Header,
) -> Vec<(NaiveDate, Decimal)> {
    let base = format!("{p}.target_balances");
    if list.is_empty() {
        ctx.err(
            &base,
            "`target_balances` is empty",
            "at least one { date, balance } entry",
        );
    }
    let mut out: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(list.len());
    for (j, tb) in list.iter().enumerate() {
        let ep = format!("{base}[{j}]");
        let d = ctx.date(&format!("{ep}.date"), tb.date);
        let b = ctx.money(&format!("{ep}.balance"), tb.balance, Sign::NonNegative);
        if h.dates_ok && (d <= h.closing || d > h.legal) {
            ctx.err(
                &format!("{ep}.date"),
                format!(
                    "target date {d} is outside the deal's life ({} to {})",
                    h.closing, h.legal
                ),
                "a date after the closing date and on or before the legal maturity",
            );
        }
        if b > balance {
            ctx.err(
                &format!("{ep}.balance"),
                format!("target balance {b} is above the tranche's balance {balance}"),
                "a target balance no greater than the tranche's balance",
            );
        }
        if let Some(&(pd, pb)) = out.last() {
            if d <= pd {
                ctx.err(
                    &format!("{ep}.date"),
                    format!("target date {d} is not after the previous one, {pd}"),
                    "target dates in strictly increasing order",
                );
            }
            if b > pb {
                ctx.err(
                    &format!("{ep}.balance"),
                    format!("target balance {b} is above the previous target {pb}"),
                    "target balances that never increase",
                );
            }
        }
        out.push((d, b));
    }
    out
}

fn base(ctx: &mut Ctx, path: &str, s: &str, tranches: &Names) -> Option<Base> {
    Some(match s {
        "senior_balance" => Base::SeniorBalance,
        "pool_balance" => Base::PoolBalance,
        "issue_size" => Base::IssueSize,
        "interest_collections" => Base::InterestCollections,
        "collections" => Base::Collections,
        _ => match s.strip_prefix("tranche:") {
            Some(name) => Base::Tranche(tranches.resolve(ctx, path, name.trim())?),
            None => {
                ctx.err(path, format!("unknown base `{s}`"), BASES);
                return None;
            }
        },
    })
}

/// Reports each present key of `keys` that is not in `allowed`; `common` lists the keys
/// every variant takes, for the message.
pub(super) fn forbid(
    ctx: &mut Ctx,
    prefix: &str,
    keys: &[(&str, bool)],
    allowed: &[&str],
    common: &[&str],
    what: &str,
) {
    for &(k, present) in keys {
        if present && !allowed.contains(&k) {
            let all: Vec<&str> = common.iter().chain(allowed).copied().collect();
            ctx.key_err(
                &format!("{prefix}.{k}"),
                format!("`{k}` does not belong to {what}"),
                format!("{what} takes: {}", all.join(", ")),
            );
        }
    }
}

fn missing(ctx: &mut Ctx, path: &str, what: &str, example: &str) {
    let key = path.rsplit('.').next().unwrap_or(path);
    ctx.err(
        path,
        format!("missing required key `{key}` for {what}"),
        example.to_string(),
    );
}

fn fees(
    ctx: &mut Ctx,
    raw: &[schema::Fee],
    tranches: &Names,
    first_payment: Option<NaiveDate>,
    last_payment: Option<NaiveDate>,
) -> (Vec<Fee>, Names) {
    let mut names = Names::new("fee");
    let mut out = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let p = format!("fees[{i}]");
        ctx.name(&format!("{p}.name"), &f.name);
        names.add(ctx, &format!("{p}.name"), &f.name, i);
        let keys = [
            ("amount", f.amount.is_some()),
            ("rate", f.rate.is_some()),
            ("base", f.base.is_some()),
            ("date", f.date.is_some()),
        ];
        let (allowed, what): (&[&str], &str) = match f.kind {
            schema::FeeKind::Fixed => (&["amount"], "a `fixed` fee"),
            schema::FeeKind::AnnualRate => (&["rate", "base"], "an `annual_rate` fee"),
            schema::FeeKind::OneOff => (&["amount", "date"], "a `one_off` fee"),
        };
        forbid(
            ctx,
            &p,
            &keys,
            allowed,
            &["name", "kind", "cap_per_period", "cap_total"],
            what,
        );
        let amount = |ctx: &mut Ctx| match f.amount {
            Some(a) => Some(ctx.money(&format!("{p}.amount"), a, Sign::Positive)),
            None => {
                missing(ctx, &format!("{p}.amount"), what, "amount = 50000");
                None
            }
        };
        let kind = match f.kind {
            schema::FeeKind::Fixed => amount(ctx).map(FeeKind::Fixed),
            schema::FeeKind::AnnualRate => {
                let rate = match f.rate {
                    Some(r) => Some(ctx.annual_rate(&format!("{p}.rate"), r, Sign::NonNegative)),
                    None => {
                        missing(ctx, &format!("{p}.rate"), what, "rate = 0.001");
                        None
                    }
                };
                let b = match &f.base {
                    Some(b) => base(ctx, &format!("{p}.base"), b, tranches),
                    None => {
                        missing(ctx, &format!("{p}.base"), what, BASES);
                        None
                    }
                };
                match (rate, b) {
                    (Some(rate), Some(base)) => Some(FeeKind::AnnualRate { rate, base }),
                    _ => None,
                }
            }
            schema::FeeKind::OneOff => {
                let amount = amount(ctx);
                let date = match f.date {
                    Some(d) => {
                        let path = format!("{p}.date");
                        let d = ctx.date(&path, d);
                        if let Some(last) = last_payment
                            && d > last
                        {
                            ctx.err(
                                &path,
                                format!(
                                    "one-off fee date {d} is after the last payment date {last}; \
                                     it would never be paid"
                                ),
                                "a date on or before the last payment date",
                            );
                        }
                        Some(d)
                    }
                    None => first_payment,
                };
                match (amount, date) {
                    (Some(amount), Some(date)) => Some(FeeKind::OneOff { amount, date }),
                    _ => None,
                }
            }
        };
        let cap_per_period = f
            .cap_per_period
            .map(|c| ctx.money(&format!("{p}.cap_per_period"), c, Sign::NonNegative));
        let cap_total = f
            .cap_total
            .map(|c| ctx.money(&format!("{p}.cap_total"), c, Sign::NonNegative));
        if let Some(kind) = kind {
            out.push(Fee {
                name: f.name.clone(),
                kind,
                cap_per_period,
                cap_total,
            });
        }
    }
    (out, names)
}

fn taxes(ctx: &mut Ctx, raw: &[schema::Tax], tranches: &Names) -> (Vec<Tax>, Names) {
    let mut names = Names::new("tax");
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let p = format!("taxes[{i}]");
        ctx.name(&format!("{p}.name"), &t.name);
        names.add(ctx, &format!("{p}.name"), &t.name, i);
        let rate = ctx.fraction(&format!("{p}.rate"), t.rate, false);
        if rate.is_zero() {
            ctx.err(
                &format!("{p}.rate"),
                "tax rate is zero",
                "a fraction above 0 and below 1, e.g. 0.0326 for 3.26%",
            );
        }
        if let Some(base) = base(ctx, &format!("{p}.base"), &t.base, tranches) {
            out.push(Tax {
                name: t.name.clone(),
                rate,
                base,
            });
        }
    }
    (out, names)
}

fn cover(c: schema::Cover) -> Cover {
    match c {
        schema::Cover::Taxes => Cover::Taxes,
        schema::Cover::Fees => Cover::Fees,
        schema::Cover::SeniorInterest => Cover::SeniorInterest,
        schema::Cover::SeniorPrincipal => Cover::SeniorPrincipal,
        schema::Cover::MezzanineInterest => Cover::MezzanineInterest,
        schema::Cover::MezzaninePrincipal => Cover::MezzaninePrincipal,
    }
}

fn covers(ctx: &mut Ctx, path: &str, list: &[schema::Cover]) -> Vec<Cover> {
    if list.is_empty() {
        ctx.err(
            path,
            "`covers` is empty",
            "at least one of: taxes, fees, senior_interest, senior_principal, \
             mezzanine_interest, mezzanine_principal",
        );
    }
    let mut out: Vec<Cover> = Vec::with_capacity(list.len());
    for (i, &c) in list.iter().enumerate() {
        let c = cover(c);
        if out.contains(&c) {
            ctx.err(
                &format!("{path}[{i}]"),
                format!("`{}` is listed twice", c.name()),
                "each item at most once",
            );
        } else {
            out.push(c);
        }
    }
    out
}

/// Largest reserve `target_multiple` accepted.
const MAX_RESERVE_MULTIPLE: u32 = 100;

fn reserve(ctx: &mut Ctx, r: &schema::Reserve) -> Option<Reserve> {
    let target = match (r.target, r.target_multiple) {
        (Some(t), None) => Some(ReserveTarget::Fixed(ctx.money(
            "reserve.target",
            t,
            Sign::NonNegative,
        ))),
        (None, Some(m)) => {
            let m = ctx.number("reserve.target_multiple", m, Sign::NonNegative);
            if m > Decimal::from(MAX_RESERVE_MULTIPLE) {
                ctx.err(
                    "reserve.target_multiple",
                    format!("target_multiple {m} is absurd: the reserve would hold {m} times a period's senior interest and fees"),
                    format!("a multiple between 0 and {MAX_RESERVE_MULTIPLE}, e.g. 1.0"),
                );
            }
            Some(ReserveTarget::SeniorInterestAndFees(m))
        }
        (Some(_), Some(_)) => {
            ctx.key_err(
                "reserve.target_multiple",
                "both target and target_multiple are given",
                "either a fixed `target` or a `target_multiple`, not both",
            );
            None
        }
        (None, None) => {
            ctx.err(
                "reserve.target",
                "missing `target` (or `target_multiple`)",
                "either target = 2000000 or target_multiple = 1.0",
            );
            None
        }
    };
    let initial = r.initial.map_or(Decimal::ZERO, |v| {
        ctx.money("reserve.initial", v, Sign::NonNegative)
    });
    let covers = match &r.covers {
        Some(list) => covers(ctx, "reserve.covers", list),
        None => vec![Cover::Taxes, Cover::Fees, Cover::SeniorInterest],
    };
    Some(Reserve {
        target: target?,
        initial,
        covers,
    })
}

fn supports(ctx: &mut Ctx, raw: &[schema::Support]) -> (Vec<Support>, Names) {
    let mut names = Names::new("support");
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let p = format!("supports[{i}]");
        ctx.name(&format!("{p}.name"), &s.name);
        names.add(ctx, &format!("{p}.name"), &s.name, i);
        if s.provider.trim().is_empty() {
            ctx.err(
                &format!("{p}.provider"),
                "the provider is empty",
                "the support provider's name",
            );
        }
        let covers = covers(ctx, &format!("{p}.covers"), &s.covers);
        out.push(Support {
            name: s.name.clone(),
            provider: s.provider.clone(),
            kind: match s.kind {
                schema::SupportKind::ShortfallUndertaking => SupportKind::ShortfallUndertaking,
                schema::SupportKind::Guarantee => SupportKind::Guarantee,
            },
            covers,
            cap_per_period: s
                .cap_per_period
                .map(|c| ctx.money(&format!("{p}.cap_per_period"), c, Sign::NonNegative)),
            cap_total: s
                .cap_total
                .map(|c| ctx.money(&format!("{p}.cap_total"), c, Sign::NonNegative)),
        });
    }
    (out, names)
}

/// What waterfall steps may refer to.
struct Refs<'n> {
    taxes: &'n Names,
    fees: &'n Names,
    tranches: &'n Names,
    /// Class of each tranche, by sorted index.
    tranche_classes: Vec<TrancheClass>,
    has_reserve: bool,
}

fn waterfalls(
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
        schema::Action::PaySubReturn => "pay_sub_return",
        schema::Action::PayResidual => "pay_residual",
    }
}

fn step(ctx: &mut Ctx, p: &str, s: &schema::Step, refs: &Refs) -> Option<Step> {
    use schema::Action as A;
    let name = action_name(s.action);
    let allowed: &[&str] = match s.action {
        A::PayTax => &["taxes"],
        A::PayFee => &["fees"],
        A::PayInterest => &["tranches"],
        A::PayPrincipal => &["tranches", "order", "amount"],
        A::TopUpReserve => &[],
        A::PaySubReturn | A::PayResidual => &["tranche"],
    };
    let keys = [
        ("taxes", s.taxes.is_some()),
        ("fees", s.fees.is_some()),
        ("tranches", s.tranches.is_some()),
        ("tranche", s.tranche.is_some()),
        ("order", s.order.is_some()),
        ("amount", s.amount.is_some()),
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
        A::PayFee => Action::PayFee(list(ctx, "fees", &s.fees, refs.fees)),
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
            Action::TopUpReserve
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
    };
    if ctx.error_count() > before {
        return None;
    }
    Some(Step {
        action,
        when: s.when.map(|w| match w {
            schema::StepCondition::SeniorPaidOff => StepCondition::SeniorPaidOff,
            schema::StepCondition::FinalPeriod => StepCondition::FinalPeriod,
        }),
    })
}

fn triggers(ctx: &mut Ctx, raw: &[schema::Trigger], waterfalls: &Names) -> Vec<Trigger> {
    use schema::TriggerCondition as C;
    let mut names = Names::new("trigger");
    let mut out = Vec::with_capacity(raw.len());
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
            (C::CumulativeDefaultRatioAbove | C::CoverageBelow, None) => {
                ctx.err(
                    &tp,
                    "missing required key `threshold` for this condition",
                    "threshold = 0.10 (a ratio for cumulative_default_ratio_above, a multiple \
                     for coverage_below)",
                );
                None
            }
            (C::SeniorInterestShortfall, x) | (C::SeniorOutstandingAfterLegalMaturity, x) => {
                if x.is_some() {
                    ctx.key_err(
                        &tp,
                        "`threshold` does not apply to this condition",
                        "no threshold (only cumulative_default_ratio_above and coverage_below \
                         take one)",
                    );
                }
                Some(match t.condition {
                    C::SeniorInterestShortfall => TriggerCondition::SeniorInterestShortfall,
                    _ => TriggerCondition::SeniorOutstandingAfterLegalMaturity,
                })
            }
        };
        let waterfall = waterfalls.resolve(ctx, &format!("{p}.waterfall"), &t.waterfall);
        if waterfall == Some(0) {
            ctx.warn(
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
            });
        }
    }
    out
}

/// Warns about a waterfall other than `normal` that no trigger switches to: it never runs.
fn unused_waterfalls(ctx: &mut Ctx, waterfalls: &[Waterfall], triggers: &[schema::Trigger]) {
    for w in waterfalls.iter().filter(|w| w.name != "normal") {
        if !triggers.iter().any(|t| t.waterfall == w.name) {
            ctx.warn(
                &super::spans::join_key("waterfalls", &w.name),
                format!(
                    "waterfall `{}` never runs: no trigger switches to it",
                    w.name
                ),
            );
        }
    }
}

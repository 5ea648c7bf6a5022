//! `[deal]`: the name, the dates, the calendar and the payment periods.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate};

use super::{Ctx, one_of, parse_or};
use crate::calendar::daycount::DayCount;
use crate::calendar::schedule::{CollectionLag, Frequency, ScheduledDate, payment_dates};
use crate::calendar::{AccrualDates, BusinessDayConvention, Calendar, PaymentDays};
use crate::deal::PeriodDates;
use crate::error::Check;
use crate::money::{ProRataRounding, Rounding};
use crate::schema;

/// Longest collection lags accepted.
const MAX_LAG_DAYS: u32 = 366;
const MAX_LAG_BUSINESS_DAYS: u32 = 250;

/// `[deal]`, resolved.
pub(super) struct Header {
    pub(super) name: String,
    pub(super) currency: String,
    pub(super) cutoff: NaiveDate,
    pub(super) closing: NaiveDate,
    pub(super) legal: NaiveDate,
    /// The cutoff, closing and legal maturity are each in range and in order; when they are
    /// not, checks against them are skipped (they would only repeat that error).
    pub(super) dates_ok: bool,
    pub(super) day_count: DayCount,
    pub(super) rounding: Rounding,
    pub(super) pro_rata_rounding: ProRataRounding,
    pub(super) business_day: BusinessDayConvention,
    pub(super) payment_days: PaymentDays,
    pub(super) calendar: Option<Calendar>,
    pub(super) lag: CollectionLag,
    pub(super) periods: Option<Vec<PeriodDates>>,
    /// The frequency the payment dates were generated with; None for explicit dates.
    pub(super) frequency: Option<Frequency>,
}

pub(super) fn header(ctx: &mut Ctx, d: &schema::DealSection) -> Header {
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
        &DayCount::ALL.map(DayCount::name),
    )
    .unwrap_or(DayCount::Act365F);
    let rounding = parse_or(
        ctx,
        "deal.rounding",
        d.rounding.as_deref(),
        "rounding rule",
        &Rounding::ALL.map(Rounding::name),
    )
    .unwrap_or_default();
    let pro_rata_rounding = parse_or(
        ctx,
        "deal.pro_rata_rounding",
        d.pro_rata_rounding.as_deref(),
        "pro rata rounding rule",
        &ProRataRounding::ALL.map(ProRataRounding::name),
    )
    .unwrap_or_default();
    let business_day = parse_or(
        ctx,
        "deal.business_day",
        d.business_day.as_deref(),
        "business-day convention",
        &BusinessDayConvention::ALL.map(BusinessDayConvention::name),
    )
    .unwrap_or(BusinessDayConvention::Following);
    let accrual: AccrualDates = parse_or(
        ctx,
        "deal.accrual_dates",
        d.accrual_dates.as_deref(),
        "accrual dates",
        &AccrualDates::ALL.map(AccrualDates::name),
    )
    .unwrap_or_default();
    let payment_days: PaymentDays = parse_or(
        ctx,
        "deal.payment_days",
        d.payment_days.as_deref(),
        "payment days",
        &PaymentDays::ALL.map(PaymentDays::name),
    )
    .unwrap_or_default();
    let dates_ok = ctx.error_count() == before_dates;
    let calendar = calendar(ctx, d);
    let before_lag = ctx.error_count();
    let lag = collection_lag(ctx, d);
    let lag_ok = ctx.error_count() == before_lag;
    // Periods from a wrong lag would only repeat the lag's error in other words.
    let periods = match &calendar {
        Some(cal) if lag_ok && dates_ok => periods(
            ctx,
            d,
            cutoff,
            closing,
            legal,
            (cal, payment_days, accrual),
            business_day,
            lag,
        ),
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
        payment_days,
        calendar,
        lag,
        periods,
        frequency: d
            .frequency
            .as_deref()
            .filter(|_| d.first_payment_date.is_some() && d.payment_dates.is_none())
            .and_then(|f| f.parse().ok()),
    }
}

fn calendar(ctx: &mut Ctx, d: &schema::DealSection) -> Option<Calendar> {
    let name = d.calendar.as_deref().unwrap_or("CN");
    let Some(cal) = Calendar::builtin(name) else {
        ctx.err(
            "deal.calendar",
            format!("unknown calendar `{name}`"),
            one_of(&Calendar::BUILTIN),
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
    // The keys that derive collection ends another way, each an error beside the one given.
    let lags = [
        (d.collection_lag_days.is_some(), "deal.collection_lag_days"),
        (
            d.collection_lag_business_days.is_some(),
            "deal.collection_lag_business_days",
        ),
    ];
    let refuse = |ctx: &mut Ctx, keys: &[(bool, &str)], problem: &str, expected: &str| {
        for &(given, key) in keys {
            if given {
                ctx.key_err(key, problem, expected);
            }
        }
    };
    if d.collection_ends.is_some() {
        refuse(
            ctx,
            &[
                (d.collection_end.is_some(), "deal.collection_end"),
                lags[0],
                lags[1],
            ],
            "both collection_ends and another way of deriving the collection ends are given",
            "either the collection_ends list, or collection_end, or one collection lag",
        );
        return CollectionLag::Listed;
    }
    if let Some(end) = d.collection_end.as_deref() {
        if end != "previous_month_end" {
            ctx.err(
                "deal.collection_end",
                format!("unknown collection end `{end}`"),
                "`previous_month_end` (the last day of the month before each scheduled payment \
                 date's month), or leave it out and give a collection lag",
            );
        }
        refuse(
            ctx,
            &lags,
            "both collection_end and a collection lag are given",
            "either collection_end or one collection lag",
        );
        return CollectionLag::PreviousMonthEnd;
    }
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

/// The payment dates and their collection periods: the deal's calendar (collection lags in
/// business days, record dates) and the days its payment dates are adjusted on
/// (`payment_days`: the calendar's business days or its trading days).
#[allow(clippy::too_many_arguments)]
fn periods(
    ctx: &mut Ctx,
    d: &schema::DealSection,
    cutoff: NaiveDate,
    closing: NaiveDate,
    legal: NaiveDate,
    (cal, payment_days, accrual): (&Calendar, PaymentDays, AccrualDates),
    bdc: BusinessDayConvention,
    lag: CollectionLag,
) -> Option<Vec<PeriodDates>> {
    let before = ctx.error_count();
    let pay_cal = &payment_days.calendar(cal);
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
                        &Frequency::ALL.map(Frequency::name),
                    )?,
                    None => {
                        ctx.err(
                            "deal.frequency",
                            "missing required key `frequency` (it goes with first_payment_date)",
                            one_of(&Frequency::ALL.map(Frequency::name)),
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
                payment_dates(first, freq, legal, pay_cal, bdc)
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
                explicit_dates(ctx, list, closing, legal, pay_cal, bdc)
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

    // The listed collection ends (计算日), one per payment date, each with its key path.
    let listed: Vec<(NaiveDate, String)> = match (lag, &d.collection_ends) {
        (CollectionLag::Listed, Some(list)) => {
            let listed: Vec<(NaiveDate, String)> = list
                .iter()
                .enumerate()
                .map(|(i, &e)| {
                    let path = format!("deal.collection_ends[{i}]");
                    (ctx.date(&path, e), path)
                })
                .collect();
            if listed.len() != dates.len() {
                ctx.err(
                    "deal.collection_ends",
                    format!(
                        "{} collection ends are listed for {} payment dates ({} to {})",
                        listed.len(),
                        dates.len(),
                        dates[0].0.adjusted,
                        dates[dates.len() - 1].0.adjusted
                    ),
                    "one collection end per payment date, in the same order",
                );
                return None;
            }
            listed
        }
        _ => Vec::new(),
    };
    // The key a collection end comes from, for period index `k`.
    let lag_path = |k: usize| -> Option<&str> {
        match lag {
            CollectionLag::CalendarDays(0) | CollectionLag::BusinessDays(0) => None,
            CollectionLag::CalendarDays(_) => Some("deal.collection_lag_days"),
            CollectionLag::BusinessDays(_) => Some("deal.collection_lag_business_days"),
            CollectionLag::PreviousMonthEnd => Some("deal.collection_end"),
            CollectionLag::Listed => listed.get(k).map(|(_, p)| p.as_str()),
        }
    };
    // How a message says where a collection end comes from.
    let from = |date: &ScheduledDate| match lag {
        CollectionLag::PreviousMonthEnd => format!(
            "the month end before the scheduled payment date {}",
            date.unadjusted
        ),
        CollectionLag::Listed => format!("listed for payment date {}", date.adjusted),
        _ => format!("payment date {} less the collection lag", date.adjusted),
    };
    let mut out: Vec<PeriodDates> = Vec::with_capacity(dates.len());
    // How the dates were moved, as the messages say it: on trading days, when they were.
    let on = match payment_days {
        PaymentDays::Business => "",
        PaymentDays::Trading => " on trading days",
    };
    for (k, (date, path)) in dates.iter().enumerate() {
        let n = k + 1;
        let prev = out.last().copied();
        match prev {
            None if date.adjusted <= closing => {
                ctx.err(
                    path,
                    format!(
                        "payment date 1 ({}) is adjusted{on} to {}, on or before the closing date \
                         {closing}",
                        date.unadjusted, date.adjusted
                    ),
                    "a first payment date that stays after the closing date once adjusted",
                );
                return None;
            }
            Some(p) if date.adjusted <= p.payment.adjusted => {
                let problem = if date.adjusted == p.payment.adjusted {
                    format!(
                        "payment dates {k} ({}) and {n} ({}) both fall on {} after `{}` \
                         adjustment{on}",
                        p.payment.unadjusted,
                        date.unadjusted,
                        date.adjusted,
                        bdc.name()
                    )
                } else {
                    format!(
                        "payment date {n} ({}) is adjusted{on} to {}, before payment date {k} ({})",
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
        // A lag in business days counts the deal's 工作日: its trading days when its payment
        // dates are (review 26d item L2).
        let end = lag
            .collection_end(*date, pay_cal)
            .or_else(|| listed.get(k).map(|(e, _)| *e))
            .unwrap_or(NaiveDate::MIN);
        // Interest accrues between the dates as paid, or as scheduled (顺延期间不另计利息).
        let accrual_end = match accrual {
            AccrualDates::Adjusted => date.adjusted,
            AccrualDates::Unadjusted => date.unadjusted,
        };
        let (start, accrual_start) = match prev {
            None => (cutoff.checked_add_days(Days::new(1)), closing),
            Some(p) => (
                p.collection_end.checked_add_days(Days::new(1)),
                p.accrual_end,
            ),
        };
        let start = start.unwrap_or(NaiveDate::MAX);
        if prev.is_none() && end <= cutoff {
            ctx.err(
                lag_path(k).unwrap_or(path),
                format!(
                    "collection period 1 ends on {end} ({}), on or before the cutoff date \
                     {cutoff}",
                    from(date)
                ),
                "a first collection period that ends after the cutoff date",
            );
            return None;
        }
        if end > date.adjusted {
            // A month end before a date scheduled on the 1st that `preceding` moved back into
            // that month (review 30e item 1: the period collected cash due after the date that
            // paid it out), or a listed end after its date.
            let (moved, expected) = match lag {
                CollectionLag::Listed => (
                    String::new(),
                    "a collection end on or before its payment date",
                ),
                _ => (
                    format!(" (moved{on} by `{}`)", bdc.name()),
                    "a collection end on or before the payment date: business_day = \
                     \"following\" or \"modified_following\", or a collection lag",
                ),
            };
            ctx.err(
                lag_path(k).unwrap_or(path),
                format!(
                    "collection period {n} ends on {end} ({}), after its payment date {}{moved}",
                    from(date),
                    date.adjusted,
                ),
                expected,
            );
            return None;
        }
        if end < start {
            ctx.err(
                lag_path(k).unwrap_or(path),
                format!(
                    "collection period {n} is empty: it would start on {start} (the day after \
                     period {k}'s collection end) and end on {end} ({})",
                    from(date)
                ),
                match lag {
                    CollectionLag::Listed => {
                        "collection ends in increasing order, each after \
                                              the one before"
                    }
                    _ => {
                        "payment dates and a collection lag that leave every collection \
                          period at least one day long"
                    }
                },
            );
            return None;
        }
        out.push(PeriodDates {
            number: u32::try_from(n).unwrap_or(u32::MAX),
            payment: *date,
            collection_start: start,
            collection_end: end,
            accrual_start,
            accrual_end,
            record_dates: [
                cal.add_trading_days(date.adjusted, -1),
                cal.add_trading_days(date.adjusted, -3),
            ],
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
    let dates: Vec<NaiveDate> = out.iter().map(|(d, _)| d.unadjusted).collect();
    if dates.windows(2).all(|w| w[0] < w[1]) {
        let path = |k| format!("deal.payment_dates[{k}]");
        super::checks::tell_out_of_step(ctx, &dates, "payment date", path);
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
        // The dates among them in a window where a public holiday is likely (review 29b item
        // 9: a payment date in the 2028 Spring Festival week got only the years named).
        let risky: BTreeSet<String> = periods
            .iter()
            .map(|p| p.payment.adjusted)
            .filter(|d| outside.contains(&d.year()) && holiday_likely(*d))
            .map(|d| d.to_string())
            .collect();
        let risky = if risky.is_empty() {
            String::new()
        } else {
            format!(
                "; of them {} {} where a holiday is likely (31 December–3 January, the Spring \
                 Festival between 20 January and 28 February, 4–6 April, 1–5 May, 1–8 \
                 October): check the official calendar when it is published and add \
                 `extra_holidays`",
                risky.iter().cloned().collect::<Vec<_>>().join(", "),
                if risky.len() == 1 { "falls" } else { "fall" }
            )
        };
        ctx.warn(
            Check::CalendarCoverage,
            "deal.calendar",
            format!(
                "the {} calendar's holiday data covers {first}–{last}; payment dates in {} are \
                 adjusted for weekends (and extra_holidays/extra_working_days) only{risky}",
                cal.name(),
                years.join(", ")
            ),
        );
    }
}

/// Whether `d` falls in a window of the year where a Chinese public holiday is likely whatever
/// the year: New Year (31 December is a bridge day in some years: 2018-12-31), the Spring
/// Festival (its first day falls between 21 January and 20
/// February, and the week's holiday follows it), Qingming, Labour Day and National Day. The
/// Dragon Boat and Mid-Autumn festivals move over a month and are left out.
fn holiday_likely(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    matches!(
        (m, day),
        (1, 1..=3) | (1, 20..=31) | (2, _) | (4, 4..=6) | (5, 1..=5) | (10, 1..=8) | (12, 31)
    )
}

//! Dates that cannot be kept: payment dates on holidays or on no trading day, schedules beyond
//! the last collection period, scenario dates outside the deal.

use chrono::{Datelike, NaiveDate, Weekday};

use super::*;
use crate::calendar::schedule::{add_months, is_month_end};
use crate::calendar::{BusinessDayConvention, PaymentDays};
use crate::deal::Deal;
use crate::error::Check;
use crate::scenario::Scenario;
use crate::schema;
use crate::validate::Ctx;

/// `call_range`: a clean-up call's `on_or_after` after the last payment date (it is never
/// exercised) or on or before the closing date (it is exercisable from the first payment date:
/// a year typed wrong ends the deal there; review 31a item 7).
fn call_dates(ctx: &mut Ctx, deal: &Deal) {
    let (Some(c), Some(last)) = (&deal.clean_up_call, deal.periods.last()) else {
        return;
    };
    let Some(on) = c.on_or_after else {
        return;
    };
    let problem = if on > last.date() && on > last.payment.unadjusted {
        format!(
            "after the last payment date {}: the call is never exercised",
            last.date()
        )
    } else if on <= deal.closing_date {
        format!(
            "on or before the closing date {}: the call is exercisable from the first payment \
             date{}; check the year",
            deal.closing_date,
            if c.pool_factor_below.is_none() {
                ", and ends the deal there"
            } else {
                ""
            }
        )
    } else {
        return;
    };
    ctx.warn(
        Check::CallRange,
        "clean_up_call.on_or_after",
        format!("the clean-up call's on_or_after {on} is {problem}"),
    );
}

pub(super) fn dates(ctx: &mut Ctx, deal: &Deal, raw: &schema::DealFile, paths: &Paths) {
    call_dates(ctx, deal);
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
    let last_due = deal.last_due();
    // Nor with `end_when_repaid`: dates after the pool's last instalment are the tail to the
    // legal maturity that runs only while a tranche is outstanding (review 31d item 6).
    if let Some(last_due) = last_due.filter(|_| deal.revolving.is_none() && !deal.end_when_repaid) {
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
            // The fees that may fall due on them, read as the engine charges them (review 29b
            // item 8: the warning said fees fell due when every fee had ended): a fee whose
            // base is the pool or its cash charges nothing there.
            let pool_based = |f: &crate::deal::Fee| {
                matches!(
                    f.kind,
                    crate::deal::FeeKind::AnnualRate {
                        base: crate::deal::Base::PoolBalance
                            | crate::deal::Base::InterestCollections
                            | crate::deal::Base::Collections,
                        ..
                    }
                )
            };
            let charged: Vec<&str> = deal
                .fees
                .iter()
                .filter(|f| {
                    !pool_based(f) && empty.iter().any(|&(j, _)| f.charged_on(&deal.periods, j))
                })
                .map(|f| f.name.as_str())
                .collect();
            let fees = if charged.is_empty() {
                "; no fee falls due on them".to_string()
            } else {
                format!(
                    ", yet fees fall due on them ({}), even with every tranche repaid \
                     (`[deal] end_when_repaid = true` ends the plan then)",
                    charged.join(", ")
                )
            };
            ctx.warn(
                Check::EmptyPeriods,
                &path,
                format!(
                    "{} payment date(s) from {} (period {}) come after the pool's last \
                     instalment, due {last_due}: no pool cash is collected for them{fees}",
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
pub(crate) fn default_date_problem(deal: &Deal, date: NaiveDate) -> Option<String> {
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

/// The dates of an explicit list (in increasing order) that look mistyped: an inner date whose
/// period before and period after are one shorter than 0.7 and the other longer than 1.3 times
/// the list's median period, together within 10% of two median periods (a month or a year
/// typed wrong moves one date between steady neighbours: review 45d item 8, wenke's
/// 2020-07-26 typed 2020-05-26 or 2021-01-26 typed 2020-12-26). Lists of fewer than four
/// dates have no steady step to judge by. Each is given with the date half-way between its
/// neighbours, when they are an even number of months apart (else none), and the list's
/// median period in days.
pub(crate) fn out_of_step(dates: &[NaiveDate]) -> (Vec<(usize, Option<NaiveDate>)>, i64) {
    if dates.len() < 4 {
        return (Vec::new(), 0);
    }
    let gaps: Vec<i64> = dates.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    // In tenths of the median period for the bounds.
    let m = super::lower_median(gaps.clone()).unwrap_or(0);
    if m <= 0 {
        return (Vec::new(), m);
    }
    // A list of month ends, told by the dates that say so: a 31st, or February's last day,
    // against a 30th of a 31-day month (a June 30th is both: review 46d N2).
    let month_end_like = dates
        .iter()
        .filter(|d| d.day() == 31 || (d.month() == 2 && is_month_end(**d)))
        .count();
    let thirtieth_like = dates
        .iter()
        .filter(|d| d.day() == 30 && !is_month_end(**d))
        .count();
    let month_ends = month_end_like > thirtieth_like;
    let mut out = Vec::new();
    for k in 1..dates.len() - 1 {
        let (a, b) = (gaps[k - 1], gaps[k]);
        let (short, long) = (a.min(b), a.max(b));
        if 10 * short < 7 * m && 10 * long > 13 * m && (18 * m..=22 * m).contains(&(10 * (a + b))) {
            let (p, n) = (dates[k - 1], dates[k + 1]);
            let months = (n.year() - p.year()) * 12 + n.month() as i32 - p.month() as i32;
            // At the month's end between two month ends in a list of month ends (03-31 and
            // 09-30 give 06-30, 04-30 and 06-30 give 05-31; review 46b F2, 46c F3), else on the
            // neighbours' day of the month.
            let ends = is_month_end(p) && is_month_end(n);
            let step = if months <= 0 || months % 2 != 0 {
                None
            } else if ends && (month_ends || n.day() != p.day()) {
                add_months(p, months / 2, true)
            } else if n.day() == p.day() {
                add_months(p, months / 2, false)
            } else {
                None
            };
            out.push((k, step));
        }
    }
    (out, m)
}

/// [`out_of_step`] told at each date's key (`path(k)`), `what` naming the list. Returns, for
/// each date told, the entry at the end of its short period (the date's own when the period
/// before it is the short one, else the next): the one whose period the mistyped date cut.
pub(crate) fn tell_out_of_step(
    ctx: &mut Ctx,
    dates: &[NaiveDate],
    what: &str,
    path: impl Fn(usize) -> String,
) -> Vec<usize> {
    let (found, median) = out_of_step(dates);
    for &(k, step) in &found {
        let (p, d, n) = (dates[k - 1], dates[k], dates[k + 1]);
        let instead = step.map_or(String::new(), |s| format!(": was {s} meant?"));
        ctx.warn(
            Check::OutOfStep,
            &path(k),
            format!(
                "{what} {d} is {} days after the previous one ({p}) and {} days before the next \
                 ({n}), where the list's dates are about {} days apart{instead}",
                (d - p).num_days(),
                (n - d).num_days(),
                median,
            ),
        );
    }
    found
        .into_iter()
        .map(|(k, _)| {
            let before = dates[k] - dates[k - 1];
            if before < dates[k + 1] - dates[k] {
                k
            } else {
                k + 1
            }
        })
        .collect()
}

/// A recovery lag or a delay, pool-wide or in an `overrides` rule, of 30 months or more that
/// moves even what falls due on the cutoff date past the last collection period's end: nothing
/// it moves is ever collected, and the figure reads as days typed as months (review 45d item
/// 11: `recovery_lag_months = 90` on a 12-month deal was told only by `run`, as
/// `beyond_horizon`, and not at all by `check`). Told at the key, once per key. A shorter lag
/// past the deal is an ordinary stress (12 to 24 months on a one-year deal: review 46b F3) and
/// is not told; nor is a lag with nothing to move: a recovery lag in a scenario that defaults
/// nothing or recovers nothing, a delay of nothing.
fn lags_past_the_deal(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    let defaults = !s.cdr.is_zero()
        || !s.default_rate.is_zero()
        || !s.obligor_defaults.is_empty()
        || s.overrides.iter().any(|o| {
            o.cdr.is_some_and(|x| !x.is_zero()) || o.default_rate.is_some_and(|x| !x.is_zero())
        });
    if defaults && s.recovery_rate > Decimal::ZERO {
        lag_past_the_deal(
            ctx,
            &format!("{p}.recovery_lag_months"),
            s.recovery_lag_months,
            deal,
            Lag::Recovery,
        );
    }
    if s.delay_fraction > Decimal::ZERO {
        lag_past_the_deal(
            ctx,
            &format!("{p}.delay.months"),
            s.delay_months,
            deal,
            Lag::Delay,
        );
    }
    for (k, o) in s.overrides.iter().enumerate() {
        let rate = o.recovery_rate.unwrap_or(s.recovery_rate);
        if let Some(m) = o
            .recovery_lag_months
            .filter(|_| defaults && rate > Decimal::ZERO)
        {
            let key = format!("{p}.overrides[{k}].recovery_lag_months");
            lag_past_the_deal(ctx, &key, m, deal, Lag::Recovery);
        }
        if let Some((_, m)) = o.delay.filter(|&(f, _)| f > Decimal::ZERO) {
            let key = format!("{p}.overrides[{k}].delay.months");
            lag_past_the_deal(ctx, &key, m, deal, Lag::Delay);
        }
    }
}

/// What a lag of [`lag_past_the_deal`] moves.
#[derive(Clone, Copy)]
pub(crate) enum Lag {
    /// A recovery, after its default.
    Recovery,
    /// A delayed collection, after its due date.
    Delay,
}

/// The `scenario_dates` warning of [`lags_past_the_deal`] for one lag of `months` at `key`
/// (also each value of a `[grid]`'s `recovery_lag_months` and `delay`).
pub(crate) fn lag_past_the_deal(ctx: &mut Ctx, key: &str, months: u32, deal: &Deal, lag: Lag) {
    let Some(end) = deal.periods.last().map(|q| q.collection_end) else {
        return;
    };
    let arrives = deal
        .cutoff_date
        .checked_add_months(chrono::Months::new(months));
    if months < DAYS_AS_MONTHS || arrives.is_some_and(|a| a <= end) {
        return;
    }
    let (what, so) = match lag {
        Lag::Recovery => (
            "the recovery of a default",
            "no recovery is ever collected, as with recovery_rate = 0",
        ),
        Lag::Delay => (
            "a collection due",
            "the delayed fraction is never collected, a loss of that fraction",
        ),
    };
    ctx.warn(
        Check::ScenarioDates,
        key,
        format!(
            "{months} months is longer than the deal: even {what} on the cutoff date {} would \
             arrive after the last collection period ends ({end}), so {so} (`run` tells it as \
             beyond_horizon); days typed as months?",
            deal.cutoff_date
        ),
    );
}

/// The shortest lag, in months, [`lag_past_the_deal`] tells: 30 reads as a month of days.
const DAYS_AS_MONTHS: u32 = 30;

/// A scenario's named defaults fall inside the deal: after the cutoff, and on or before the
/// last collection period's end.
pub(crate) fn scenario_dates(ctx: &mut Ctx, p: &str, s: &Scenario, deal: &Deal) {
    revolving_defaults(ctx, p, s, deal);
    lags_past_the_deal(ctx, p, s, deal);
    // A servicer failure outside every collection period holds no pool cash: it loses nothing.
    if let Some(c) = s.commingling
        && crate::deal::period_of(&deal.periods, c.date).is_none()
        && let (Some(first), Some(last)) = (deal.periods.first(), deal.periods.last())
    {
        ctx.warn(
            Check::ScenarioDates,
            &format!("{p}.commingling.date"),
            format!(
                "the servicer fails on {}, outside every collection period ({} to {}): it holds \
                 no pool cash then and nothing is lost; check the year",
                c.date, first.collection_start, last.collection_end
            ),
        );
    }
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
    if let Some(last) = deal.periods.last().map(|p| p.date()) {
        // Before the deal exists (review 29a item 1: a year typed wrong reads as
        // `supports_off`, silently).
        let start = deal.closing_date.max(deal.cutoff_date);
        for (i, &(x, date)) in s.support_failures.iter().enumerate() {
            let name = deal.supports.get(x).map_or("", |x| x.name.as_str());
            let problem = if date > last {
                format!("after the last payment date {last}: it changes nothing")
            } else if date <= start {
                format!(
                    "on or before the deal's closing and cutoff dates ({start}): it fails from \
                     the first payment date, where a `support_failed` trigger trips; check the \
                     year, or list it in `supports_off` to run the deal without it"
                )
            } else {
                continue;
            };
            ctx.warn(
                Check::ScenarioDates,
                &format!("{p}.support_failures[{i}].date"),
                format!("support `{name}` fails on {date}, {problem}"),
            );
        }
        // An event after the last payment date trips nothing, and one on or before closing
        // trips from the first date (a year typed wrong is likelier; review 30e item 6).
        for (i, e) in s.events.iter().enumerate() {
            let (name, date) = (deal.events.get(e.event).map_or("", String::as_str), e.from);
            // A window `date..until` that holds no payment date trips nothing (review 31d
            // item 5): told at `until`, with the next payment date.
            if let Some(until) = e.until
                && date <= last
                && !deal.periods.iter().any(|q| e.holds_on(q.date()))
            {
                let next = deal
                    .periods
                    .iter()
                    .map(|q| q.date())
                    .find(|d| *d >= date)
                    .map_or(String::new(), |d| {
                        format!(" (the first payment date from {date} is {d})")
                    });
                ctx.warn(
                    Check::ScenarioDates,
                    &format!("{p}.events[{i}].until"),
                    format!(
                        "event `{name}` holds from {date} until {until}, on no payment date{next}: \
                         it trips nothing"
                    ),
                );
                continue;
            }
            let problem = if date > last {
                format!("after the last payment date {last}: it trips nothing")
            } else if date <= start {
                format!(
                    "on or before the deal's closing and cutoff dates ({start}): its trigger \
                     trips from the first payment date; check the year"
                )
            } else {
                continue;
            };
            ctx.warn(
                Check::ScenarioDates,
                &format!("{p}.events[{i}].date"),
                format!("event `{name}` happens on {date}, {problem}"),
            );
        }
    }
}

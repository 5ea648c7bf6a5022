//! Floating rates: a tranche's or a loan's `floating = { … }` and a scenario's `indices`,
//! `index_paths` and `index_shift` (docs/deal-format.md, docs/scenarios.md).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ctx, Sign, checks};
use crate::error::Check;
use crate::floating::{FloatingRate, IndexPath, IndexPaths, Reset};
use crate::schema;

/// A spread beyond ±5% is outside what Chinese floating-rate ABS use (a few hundred basis
/// points at most); beyond ±100% it cannot be meant (basis points written as a number).
const SPREAD_WARN: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// Validates `floating` at `p` (`tranches[0].floating`); `origin` is the first fixing date
/// (the closing date or the loan's start date) and `legal` the deal's legal maturity, when
/// they are known.
pub(super) fn floating(
    ctx: &mut Ctx,
    p: &str,
    f: &schema::Floating,
    origin: Option<NaiveDate>,
    legal: Option<NaiveDate>,
) -> Option<FloatingRate> {
    let before = ctx.error_count();
    ctx.name(&format!("{p}.index"), &f.index);
    let sp = format!("{p}.spread");
    let spread = f.spread;
    if !ctx.exact(&sp, spread) || !ctx.rate_places(&sp, spread) {
    } else if spread.abs() >= Decimal::ONE {
        ctx.err(
            &sp,
            format!(
                "spread {spread} is {}% a year: basis points written as a number?",
                super::percent(spread)
            ),
            "a spread as a fraction, e.g. spread = 0.005 for 50 bp",
        );
    } else if spread.abs() > SPREAD_WARN {
        ctx.warn(
            Check::CouponRange,
            &sp,
            format!(
                "spread {spread} is {}% over the index; floating spreads in Chinese ABS are a \
                 few hundred basis points at most (0.005 is 50 bp)",
                super::percent(spread)
            ),
        );
    }
    let floor = f
        .floor
        .map(|v| ctx.annual_rate(&format!("{p}.floor"), v, Sign::NonNegative));
    let cap = f
        .cap
        .map(|v| ctx.annual_rate(&format!("{p}.cap"), v, Sign::Positive));
    if let (Some(lo), Some(hi)) = (floor, cap)
        && lo > hi
    {
        ctx.err(
            &format!("{p}.floor"),
            format!("floor {lo} is above the cap {hi}"),
            "a floor no higher than the cap",
        );
    }
    let in_life = |d: NaiveDate| origin.is_none_or(|o| d > o) && legal.is_none_or(|l| d <= l);
    let life = match (origin, legal) {
        (Some(o), Some(l)) => format!("after {o} and on or before {l}"),
        _ => "a date within the deal's life".to_string(),
    };
    let reset = match (&f.reset_dates, f.reset_every_months, f.reset_from) {
        (Some(_), Some(_), _) => {
            ctx.key_err(
                &format!("{p}.reset_every_months"),
                "both reset_dates and reset_every_months are given",
                "either a list of reset_dates or reset_every_months with reset_from",
            );
            None
        }
        (Some(list), None, from) => {
            if from.is_some() {
                ctx.key_err(
                    &format!("{p}.reset_from"),
                    "`reset_from` goes with reset_every_months, not reset_dates",
                    "reset_every_months = 12 and reset_from = 2025-06-21",
                );
            }
            if list.is_empty() {
                ctx.err(
                    &format!("{p}.reset_dates"),
                    "`reset_dates` is empty",
                    "at least one date, or no reset_dates (re-fixed every period)",
                );
            }
            let mut out: Vec<NaiveDate> = Vec::with_capacity(list.len());
            for (j, d) in list.iter().enumerate() {
                let dp = format!("{p}.reset_dates[{j}]");
                let d = ctx.date(&dp, *d);
                if !in_life(d) {
                    ctx.err(
                        &dp,
                        format!("reset date {d} is outside the rate's life"),
                        &life,
                    );
                } else if out.last().is_some_and(|l| d <= *l) {
                    ctx.err(
                        &dp,
                        format!("reset date {d} is not after the previous one"),
                        "reset dates in strictly increasing order",
                    );
                }
                out.push(d);
            }
            Some(Reset::Dates(out))
        }
        (None, Some(m), Some(from)) => {
            let months = ctx.int_in(&format!("{p}.reset_every_months"), m, 1, 120, "months");
            let fp = format!("{p}.reset_from");
            let from = ctx.date(&fp, from);
            if !in_life(from) {
                ctx.err(
                    &fp,
                    format!("reset_from {from} is outside the rate's life"),
                    &life,
                );
            }
            Some(Reset::Every { months, from })
        }
        (None, Some(_), None) => {
            ctx.err(
                &format!("{p}.reset_from"),
                "missing `reset_from` (reset_every_months needs its first reset date)",
                "reset_from = 2025-06-21",
            );
            None
        }
        (None, None, Some(_)) => {
            ctx.key_err(
                &format!("{p}.reset_from"),
                "`reset_from` without reset_every_months",
                "reset_every_months = 12 with reset_from, or neither",
            );
            None
        }
        (None, None, None) => Some(Reset::EveryPeriod),
    };
    if ctx.error_count() > before {
        return None;
    }
    Some(FloatingRate {
        index: f.index.trim().to_string(),
        spread,
        floor,
        cap,
        reset: reset?,
    })
}

/// A scenario's index paths at `p` (`scenario`, `scenarios[2]`).
/// Warns (`unread_index`) at each index of scenario `s` at `p` (in `indices` or `index_paths`)
/// that none of `read` (the deal's floating rates' indices) is: a misspelt name would leave
/// the scenario on the deal's own values in silence. So is an `index_shift` on a deal without
/// a floating rate (review 35c: a committee's "−50 bp" scenario equalled the base in silence).
pub(super) fn unread_indices(ctx: &mut Ctx, p: &str, s: &schema::Scenario, read: &[&str]) {
    if read.is_empty()
        && let Some(shift) = s.index_shift.filter(|v| !v.is_zero())
    {
        ctx.warn(
            Check::UnreadIndex,
            &format!("{p}.index_shift"),
            format!(
                "index_shift {shift} shifts nothing: the deal has no floating rate (a fixed \
                 coupon or asset rate does not move with an index; for a spread compression, \
                 coupon_shift raises the senior and mezzanine coupons, docs/scenarios.md)"
            ),
        );
    }
    let given = s
        .indices
        .iter()
        .flat_map(|m| m.keys().map(|k| ("indices", k)))
        .chain(
            s.index_paths
                .iter()
                .flat_map(|m| m.keys().map(|k| ("index_paths", k))),
        );
    for (table, name) in given {
        if read.contains(&name.as_str()) {
            continue;
        }
        let hint = super::suggest(name, read.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        let reads = if read.is_empty() {
            "the deal has no floating rate".to_string()
        } else {
            format!("its floating rates read {}", read.join(", "))
        };
        ctx.warn(
            Check::UnreadIndex,
            &format!("{p}.{table}.{name}"),
            format!("no floating rate of the deal reads index `{name}`{hint}; {reads}"),
        );
    }
}

pub(super) fn index_paths(ctx: &mut Ctx, p: &str, s: &schema::Scenario) -> IndexPaths {
    let mut paths: Vec<(String, IndexPath)> = Vec::new();
    if let Some(flat) = &s.indices {
        for (name, v) in flat {
            let vp = format!("{p}.indices.{name}");
            let v = ctx.annual_rate(&vp, *v, Sign::NonNegative);
            checks::rate_range(
                ctx,
                &vp,
                v,
                checks::INDEX_RATE_MAX,
                &format!("index `{name}`"),
            );
            paths.push((name.clone(), IndexPath::Flat(v)));
        }
    }
    if let Some(dated) = &s.index_paths {
        for (name, list) in dated {
            let lp = format!("{p}.index_paths.{name}");
            if paths.iter().any(|(n, _)| n == name) {
                ctx.key_err(
                    &lp,
                    format!("index `{name}` is given both in `indices` and in `index_paths`"),
                    "each index once: a flat value in indices or a dated path in index_paths",
                );
                continue;
            }
            if list.is_empty() {
                ctx.err(
                    &lp,
                    "the path is empty",
                    "[{ date = 2024-10-21, rate = 0.031 }, …]",
                );
                continue;
            }
            let mut steps: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(list.len());
            for (j, pt) in list.iter().enumerate() {
                let ep = format!("{lp}[{j}]");
                let d = ctx.date(&format!("{ep}.date"), pt.date);
                let rp = format!("{ep}.rate");
                let r = ctx.annual_rate(&rp, pt.rate, Sign::NonNegative);
                checks::rate_range(
                    ctx,
                    &rp,
                    r,
                    checks::INDEX_RATE_MAX,
                    &format!("index `{name}`"),
                );
                if steps.last().is_some_and(|(l, _)| d <= *l) {
                    ctx.err(
                        &format!("{ep}.date"),
                        format!("date {d} is not after the previous entry's"),
                        "dates in strictly increasing order",
                    );
                }
                steps.push((d, r));
            }
            paths.push((name.clone(), IndexPath::Steps(steps)));
        }
    }
    let shift = s.index_shift.map_or(Decimal::ZERO, |v| {
        let sp = format!("{p}.index_shift");
        if !ctx.rate_places(&sp, v) {
        } else if v.abs() >= Decimal::ONE {
            ctx.err(
                &sp,
                format!("index_shift {v} is a shift of {}%", super::percent(v)),
                "a shift as a fraction, e.g. 0.01 for +100 bp or -0.005 for -50 bp",
            );
        } else {
            checks::rate_range(ctx, &sp, v, checks::INDEX_SHIFT_MAX, "index_shift");
        }
        v
    });
    IndexPaths { paths, shift }
}

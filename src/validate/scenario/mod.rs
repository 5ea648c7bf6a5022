//! Scenarios: `[scenario]` in a deal file; `[[scenarios]]`, `[grid]`, `[rating]` and
//! `[pricing]` in a scenario file (docs/scenarios.md).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ctx, Names, Sign};
use crate::error::Check;
use crate::scenario::{DatedEvent, Override, Scenario};
use crate::schema;

mod file;
mod grid;
mod pricing;
mod rating;

pub(in crate::validate) use file::{build_file, search_drops_defaults};
use grid::*;
use pricing::*;
use rating::*;

/// Longest recovery lag and collection delay, in months.
const MAX_MONTHS: u32 = 120;

/// How far the `default_timing` shares may sum from 1 before they are normalised.
const TIMING_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 4);

/// Validates one scenario table at `p`. `default_name` applies when `name` is absent;
/// without one, `name` is required. The number of `default_timing` shares is not checked
/// here (see [`check_timing_periods`]).
pub(super) fn build(
    ctx: &mut Ctx,
    p: &str,
    s: &schema::Scenario,
    obligors: &Names,
    tags: &TagIndex,
    (supports, events): (&Names, &[String]),
    default_name: Option<&str>,
) -> Option<Scenario> {
    let before = ctx.error_count();
    let name = match (&s.name, default_name) {
        (Some(n), _) => {
            ctx.name(&format!("{p}.name"), n);
            n.clone()
        }
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            ctx.err(
                &format!("{p}.name"),
                "missing required key `name`",
                "name = \"stress\" (unique within the file)",
            );
            String::new()
        }
    };
    let mut obligor_defaults: Vec<(usize, NaiveDate)> = Vec::new();
    for (i, d) in s.defaults.iter().enumerate() {
        let dp = format!("{p}.defaults[{i}]");
        let date = ctx.date(&format!("{dp}.date"), d.date);
        let Some(o) = obligors.resolve(ctx, &format!("{dp}.obligor"), &d.obligor) else {
            continue;
        };
        if let Some(j) = obligor_defaults.iter().position(|(x, _)| *x == o) {
            ctx.err(
                &format!("{dp}.obligor"),
                format!("obligor `{}` already defaults in defaults[{j}]", d.obligor),
                "each obligor at most once",
            );
            continue;
        }
        obligor_defaults.push((o, date));
    }
    let cdr = s.cdr.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.cdr"), v, false)
    });
    let default_rate = s.default_rate.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.default_rate"), v, true)
    });
    let default_timing = s
        .default_timing
        .as_deref()
        .map_or_else(Vec::new, |t| timing(ctx, &format!("{p}.default_timing"), t));
    let recovery_rate = s.recovery_rate.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.recovery_rate"), v, true)
    });
    let recovery_lag_months = s
        .recovery_lag_months
        .map_or(0, |v| months(ctx, &format!("{p}.recovery_lag_months"), v));
    let (delay_fraction, delay_months) = match &s.delay {
        Some(d) => delay(ctx, &format!("{p}.delay"), d),
        None => (Decimal::ZERO, 0),
    };
    let cpr = s.cpr.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.cpr"), v, false)
    });
    let supports_off = if s.supports_off.is_empty() {
        Vec::new()
    } else {
        super::resolve_list(ctx, &format!("{p}.supports_off"), &s.supports_off, supports)
    };
    let support_failures = support_failures(ctx, p, s, supports, &supports_off);
    let events = scenario_events(ctx, p, s, events);
    let overrides = s
        .overrides
        .iter()
        .enumerate()
        .filter_map(|(i, r)| override_rule(ctx, &format!("{p}.overrides[{i}]"), r, obligors, tags))
        .collect();
    let indices = super::floating::index_paths(ctx, p, s);
    let coupon_shift = s.coupon_shift.map_or(Decimal::ZERO, |v| {
        let cp = format!("{p}.coupon_shift");
        let v = ctx.fraction(&cp, v, false);
        crate::validate::checks::rate_range(
            ctx,
            &cp,
            v,
            crate::validate::checks::INDEX_SHIFT_MAX,
            "coupon_shift",
        );
        v
    });
    let revolving_yield_cut = s.revolving_yield_cut.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.revolving_yield_cut"), v, true)
    });
    let purchase_cut = s.purchase_cut.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.purchase_cut"), v, true)
    });
    let commingling = s.commingling.as_ref().map(|c| {
        let cp = format!("{p}.commingling");
        crate::scenario::Commingling {
            date: ctx.date(&format!("{cp}.date"), c.date),
            share: c.share.map_or(Decimal::ONE, |v| {
                ctx.fraction(&format!("{cp}.share"), v, true)
            }),
        }
    });
    if ctx.error_count() > before {
        return None;
    }
    Some(Scenario {
        overrides,
        name,
        obligor_defaults,
        cdr,
        default_rate,
        default_timing,
        recovery_rate,
        recovery_lag_months,
        delay_fraction,
        delay_months,
        cpr,
        supports_off,
        support_failures,
        events,
        indices,
        coupon_shift,
        revolving_yield_cut,
        purchase_cut,
        clean_up_call: s.clean_up_call.unwrap_or(true),
        commingling,
    })
}

/// `support_failures` at `p`: each support named once, and not also in `supports_off`
/// (which fails it from the start).
fn support_failures(
    ctx: &mut Ctx,
    p: &str,
    s: &schema::Scenario,
    supports: &Names,
    supports_off: &[usize],
) -> Vec<(usize, NaiveDate)> {
    let mut out: Vec<(usize, NaiveDate)> = Vec::new();
    for (i, f) in s.support_failures.iter().enumerate() {
        let fp = format!("{p}.support_failures[{i}]");
        let date = ctx.date(&format!("{fp}.date"), f.date);
        let Some(x) = supports.resolve(ctx, &format!("{fp}.support"), &f.support) else {
            continue;
        };
        if let Some(j) = out.iter().position(|(y, _)| *y == x) {
            ctx.err(
                &format!("{fp}.support"),
                format!(
                    "support `{}` already fails in support_failures[{j}]",
                    f.support
                ),
                "each support at most once",
            );
            continue;
        }
        if supports_off.contains(&x) {
            ctx.err(
                &format!("{fp}.support"),
                format!(
                    "support `{}` is also in supports_off, which fails it from the start",
                    f.support
                ),
                "a support in supports_off (from the start) or support_failures (from a \
                 date), not both",
            );
            continue;
        }
        out.push((x, date));
    }
    out
}

/// `events` at `p`, resolved against the events the deal's triggers watch (`watched`): each
/// name at most once; one no trigger watches is an `unwatched_event` warning with its near miss
/// and is left out (a scenario file may serve deals with other triggers, so it is not an
/// error).
fn scenario_events(
    ctx: &mut Ctx,
    p: &str,
    s: &schema::Scenario,
    watched: &[String],
) -> Vec<DatedEvent> {
    let mut out: Vec<DatedEvent> = Vec::new();
    for (i, e) in s.events.iter().enumerate() {
        let ep = format!("{p}.events[{i}]");
        let date = ctx.date(&format!("{ep}.date"), e.date);
        let until = e.until.map(|u| ctx.date(&format!("{ep}.until"), u));
        if let Some(u) = until
            && u <= date
        {
            ctx.err(
                &format!("{ep}.until"),
                format!(
                    "event `{}` is over on {u}, on or before the date it happens ({date})",
                    e.name
                ),
                "an `until` date after the event's `date`, or no `until` (the event lasts)",
            );
            continue;
        }
        ctx.name(&format!("{ep}.name"), &e.name);
        if let Some(j) = s.events[..i].iter().position(|x| x.name == e.name) {
            ctx.err(
                &format!("{ep}.name"),
                format!("event `{}` is already dated in events[{j}]", e.name),
                "each event at most once",
            );
            continue;
        }
        match watched.iter().position(|w| *w == e.name) {
            Some(x) => out.push(DatedEvent {
                event: x,
                from: date,
                until,
            }),
            None => {
                let hint = super::names::suggest(&e.name, watched.iter().map(String::as_str))
                    .map(|m| format!(" (did you mean `{m}`?)"))
                    .unwrap_or_default();
                let list = if watched.is_empty() {
                    "the deal has no `event` trigger".to_string()
                } else {
                    format!("its event triggers watch {}", watched.join(", "))
                };
                ctx.warn(
                    Check::UnwatchedEvent,
                    &format!("{ep}.name"),
                    format!(
                        "no trigger of the deal watches event `{}`{hint}; {list}: the event \
                         changes nothing",
                        e.name
                    ),
                );
            }
        }
    }
    out
}

/// One `overrides` rule at `p`: its selector resolved to obligor indices, its values checked
/// as the pool-wide keys are.
fn override_rule(
    ctx: &mut Ctx,
    p: &str,
    r: &schema::ScenarioOverride,
    obligors: &Names,
    tags: &TagIndex,
) -> Option<Override> {
    let before = ctx.error_count();
    let selector = "either obligor = \"NAME\" or tag = \"key:value\"";
    let tag_pair = r.tag.as_deref().and_then(|t| {
        t.split_once(':')
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
    });
    let (label, selected) = match (&r.obligor, &r.tag) {
        (Some(name), None) => {
            let o = obligors.resolve(ctx, &format!("{p}.obligor"), name);
            (format!("obligor {name}"), o.map(|o| vec![o]))
        }
        (None, Some(tag)) => (
            format!("tag {tag}"),
            tag_obligors(ctx, &format!("{p}.tag"), tag, tags),
        ),
        (Some(_), Some(_)) => {
            ctx.key_err(
                &format!("{p}.tag"),
                "an override has both `obligor` and `tag`",
                selector,
            );
            (String::new(), None)
        }
        (None, None) => {
            ctx.err(
                p,
                "an override names neither an `obligor` nor a `tag`",
                selector,
            );
            (String::new(), None)
        }
    };
    let cdr = r.cdr.map(|v| ctx.fraction(&format!("{p}.cdr"), v, false));
    let default_rate = r
        .default_rate
        .map(|v| ctx.fraction(&format!("{p}.default_rate"), v, true));
    let recovery_rate = r
        .recovery_rate
        .map(|v| ctx.fraction(&format!("{p}.recovery_rate"), v, true));
    let recovery_lag_months = r
        .recovery_lag_months
        .map(|v| months(ctx, &format!("{p}.recovery_lag_months"), v));
    let delay = r
        .delay
        .as_ref()
        .map(|d| delay(ctx, &format!("{p}.delay"), d));
    let cpr = r.cpr.map(|v| ctx.fraction(&format!("{p}.cpr"), v, false));
    if cdr.is_none()
        && default_rate.is_none()
        && recovery_rate.is_none()
        && recovery_lag_months.is_none()
        && delay.is_none()
        && cpr.is_none()
    {
        ctx.err(
            p,
            "the override sets no assumption",
            "at least one of cdr, default_rate, recovery_rate, recovery_lag_months, delay, cpr",
        );
    }
    if ctx.error_count() > before {
        return None;
    }
    Some(Override {
        label,
        obligors: selected?,
        tag: tag_pair,
        cdr,
        default_rate,
        recovery_rate,
        recovery_lag_months,
        delay,
        cpr,
    })
}

/// The tags scenario `overrides` may select by: each obligor's, and those of the obligors a
/// revolving period creates (`[revolving] tags`).
pub(super) struct TagIndex<'a> {
    pub obligors: Vec<&'a BTreeMap<String, String>>,
    pub revolving: Option<&'a BTreeMap<String, String>>,
}

impl TagIndex<'_> {
    /// Every tag table: the obligors', then the revolving one.
    fn all(&self) -> impl Iterator<Item = &BTreeMap<String, String>> {
        self.obligors.iter().copied().chain(self.revolving)
    }
}

/// The obligors whose tags hold `key:value` (`tag` as written); none when only the obligors
/// a revolving period creates have it. A tag no obligor has is an
/// error that lists the keys, or the key's values, the deal does have.
fn tag_obligors(ctx: &mut Ctx, path: &str, tag: &str, tags: &TagIndex) -> Option<Vec<usize>> {
    let Some((key, value)) = tag.split_once(':') else {
        ctx.err(
            path,
            format!("the tag `{tag}` has no `:` between its key and value"),
            "a tag written key:value, e.g. \"industry:semiconductor\"",
        );
        return None;
    };
    let (key, value) = (key.trim(), value.trim());
    // Values compared trimmed, as the `group`, `rating` and `pd` tags are read (review 33f
    // item M1: `group = " Core "` was left out of `group:Core`).
    let has = |t: &BTreeMap<String, String>| t.get(key).is_some_and(|v| v.trim() == value);
    let matched: Vec<usize> = tags
        .obligors
        .iter()
        .enumerate()
        .filter(|(_, t)| has(t))
        .map(|(i, _)| i)
        .collect();
    if !matched.is_empty() || tags.revolving.is_some_and(has) {
        return Some(matched);
    }
    let mut values: Vec<&str> = tags
        .all()
        .filter_map(|t| t.get(key).map(String::as_str))
        .collect();
    values.sort_unstable();
    values.dedup();
    if values.is_empty() {
        let mut keys: Vec<&str> = tags
            .all()
            .flat_map(|t| t.keys().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let expected = if keys.is_empty() {
            "a tag some obligor has; no obligor has tags".to_string()
        } else {
            format!("a tag key some obligor has: {}", keys.join(", "))
        };
        ctx.err(path, format!("no obligor has a tag `{key}`"), expected);
    } else {
        let hint = super::suggest(value, values.iter().copied())
            .map(|n| format!(" (did you mean `{key}:{n}`?)"))
            .unwrap_or_default();
        ctx.err(
            path,
            format!("no obligor has the tag `{key}:{value}`{hint}"),
            format!("a value of `{key}` some obligor has: {}", values.join(", ")),
        );
    }
    None
}

/// Checks that the scenario at `p` has no more `default_timing` shares than the deal has
/// payment dates (`periods`).
pub(super) fn check_timing_periods(ctx: &mut Ctx, p: &str, s: &Scenario, periods: usize) {
    let n = s.default_timing.len();
    if n > periods {
        ctx.err(
            &format!("{p}.default_timing"),
            format!("default_timing has {n} shares but the deal has {periods} payment dates"),
            format!("at most {periods} shares, one per payment date"),
        );
    }
}

/// `default_timing`: shares >= 0 summing to 1 within 1e-4, normalised by dividing by the sum.
fn timing(ctx: &mut Ctx, path: &str, t: &[Decimal]) -> Vec<Decimal> {
    let expected = "per-period shares of the default rate, each >= 0 and summing to 1, \
                    e.g. [0.5, 0.3, 0.2]";
    if t.is_empty() {
        ctx.err(
            path,
            "`default_timing` is empty",
            format!("{expected}; omit the key for even timing"),
        );
        return Vec::new();
    }
    let before = ctx.error_count();
    for (i, &v) in t.iter().enumerate() {
        ctx.number(&format!("{path}[{i}]"), v, Sign::NonNegative);
    }
    if ctx.error_count() > before {
        return Vec::new();
    }
    let Some(sum) = t.iter().try_fold(Decimal::ZERO, |a, &v| a.checked_add(v)) else {
        ctx.err(path, "the shares are too large to add up", expected);
        return Vec::new();
    };
    if (sum - Decimal::ONE).abs() > TIMING_TOLERANCE {
        ctx.err(
            path,
            format!("the shares sum to {}", sum.normalize()),
            format!("{expected} (within 0.0001)"),
        );
        return Vec::new();
    }
    t.iter()
        .map(|&v| v.checked_div(sum).unwrap_or(Decimal::ZERO))
        .collect()
}

fn months(ctx: &mut Ctx, path: &str, v: i64) -> u32 {
    ctx.int_in(path, v, 0, MAX_MONTHS, "months")
}

fn delay(ctx: &mut Ctx, path: &str, d: &schema::Delay) -> (Decimal, u32) {
    (
        ctx.fraction(&format!("{path}.fraction"), d.fraction, true),
        months(ctx, &format!("{path}.months"), d.months),
    )
}

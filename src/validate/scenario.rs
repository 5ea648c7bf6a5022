//! Scenarios: `[scenario]` in a deal file; `[[scenarios]]`, `[grid]`, `[rating]` and
//! `[pricing]` in a scenario file (docs/scenarios.md).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::spans::join_key;
use super::{Ctx, Located, Names, Sign, one_of};
use crate::deal::Deal;
use crate::error::Check;
use crate::rating_model::{PdTable, RatingModel};
use crate::scenario::{
    Axis, Discount, Grid, MAX_GRID_POINTS, Override, PointNames, Pricing, Quote, RatingTable,
    Scenario, ScenarioSet, YIELD_MAX, YIELD_MIN, ZeroCurve,
};
use crate::schema;

/// Prices outside this range (per 100 of the initial balance) are a warning (`pricing_range`):
/// a price of 0.995 or 1 was meant as 99.5 or 100.
pub const PRICE_MIN: f64 = 2.0;
pub const PRICE_MAX: f64 = 200.0;
/// Yields and discount rates above this (a fraction a year) are a warning (`pricing_range`):
/// 3.5 was meant as 0.035.
pub const PRICING_RATE_MAX: f64 = 0.3;

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
    supports: &Names,
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
    let overrides = s
        .overrides
        .iter()
        .enumerate()
        .filter_map(|(i, r)| override_rule(ctx, &format!("{p}.overrides[{i}]"), r, obligors, tags))
        .collect();
    let indices = super::floating::index_paths(ctx, p, s);
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
        indices,
        clean_up_call: s.clean_up_call.unwrap_or(true),
    })
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
    let has = |t: &BTreeMap<String, String>| t.get(key).is_some_and(|v| v == value);
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

/// Validates a scenario file against `deal`.
pub(super) fn build_file(
    ctx: &mut Ctx,
    raw: &schema::ScenarioFile,
    deal: &Deal,
) -> Option<ScenarioSet> {
    let before = ctx.error_count();
    let obligors = Names::from_list("obligor", deal.obligors.iter().map(|o| o.name.as_str()));
    let supports = Names::from_list("support", deal.supports.iter().map(|s| s.name.as_str()));
    let tags = TagIndex {
        obligors: deal.obligors.iter().map(|o| &o.tags).collect(),
        revolving: deal.revolving.as_ref().map(|r| &r.tags),
    };
    if raw.scenarios.is_empty() && raw.grid.is_none() {
        ctx.err(
            "scenarios",
            "the file has no scenarios",
            "at least one [[scenarios]] table with a name, or a [grid]",
        );
    }
    let mut names = Names::new("scenario");
    let mut listed: Vec<Option<Scenario>> = Vec::with_capacity(raw.scenarios.len());
    let mut search_warnings = Vec::new();
    let index_names = deal.index_names();
    for (i, s) in raw.scenarios.iter().enumerate() {
        let p = format!("scenarios[{i}]");
        if let Some(n) = &s.name {
            names.add(ctx, &format!("{p}.name"), n, i);
        }
        let sc = build(ctx, &p, s, &obligors, &tags, &supports, None);
        if let Some(sc) = &sc {
            check_timing_periods(ctx, &p, sc, deal.periods.len());
            super::checks::scenario_dates(ctx, &p, sc, deal);
            search_warnings.extend(search_drops_defaults(ctx, &p, sc));
            super::floating::unread_indices(ctx, &p, s, &index_names);
        }
        listed.push(sc);
    }
    let grid = raw
        .grid
        .as_ref()
        .and_then(|g| grid(ctx, g, deal, &names, &listed, &obligors, &supports));
    if let Some(g) = &raw.grid {
        let axis = |key: &str, what: &str| {
            ctx.located(
                Check::SearchDropsDefaults,
                key,
                format!(
                    "the grid's {what}, which a break-even search replaces with its own default \
                     rate, so its points' BDRs are those of the same points without them \
                     (docs/breakeven.md); `ipabs sweep` runs them as given"
                ),
            )
        };
        if g.cdr.iter().flatten().any(|c| *c > Decimal::ZERO) {
            search_warnings.push(axis("grid.cdr", "`cdr` axis gives a CDR"));
        }
        if g.defaulted_obligors.iter().flatten().any(|o| !o.is_empty()) {
            search_warnings.push(axis(
                "grid.defaulted_obligors",
                "`defaulted_obligors` axis names defaults",
            ));
        }
    }
    let rating = raw
        .rating
        .as_ref()
        .map_or_else(RatingTable::default, |r| rating(ctx, r));
    let pricing = raw
        .pricing
        .as_ref()
        .map_or_else(Pricing::default, |p| pricing(ctx, p, deal));
    let rating_model = raw
        .rating_model
        .as_ref()
        .map_or_else(RatingModel::default, |m| rating_model(ctx, m));
    if ctx.error_count() > before {
        return None;
    }
    let mut scenarios: Vec<Scenario> = listed.into_iter().flatten().collect();
    if let Some(g) = grid {
        let obligor_names: Vec<&str> = deal.obligors.iter().map(|o| o.name.as_str()).collect();
        let support_names: Vec<&str> = deal.supports.iter().map(|s| s.name.as_str()).collect();
        let points = g.expand(&PointNames {
            obligors: &obligor_names,
            supports: &support_names,
        });
        let mut seen: HashMap<&str, usize> = scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let listed_count = scenarios.len();
        for (k, s) in points.iter().enumerate() {
            if let Some(&j) = seen.get(s.name.as_str()) {
                let other = if j < listed_count {
                    format!("scenarios[{j}]")
                } else {
                    format!("grid point {}", j - listed_count + 1)
                };
                let path = if raw.grid.as_ref().is_some_and(|g| g.name.is_some()) {
                    "grid.name"
                } else {
                    "grid"
                };
                ctx.err(
                    path,
                    format!(
                        "grid point {} is named `{}`, the name of {other}",
                        k + 1,
                        s.name
                    ),
                    "scenario names unique across [[scenarios]] and the grid \
                     (change the grid's name prefix or the scenario's name)",
                );
                return None;
            }
            seen.insert(s.name.as_str(), listed_count + k);
        }
        scenarios.extend(points);
    }
    Some(ScenarioSet {
        scenarios,
        rating,
        pricing,
        rating_model,
        warnings: Vec::new(),
        search_warnings: super::in_file_order(search_warnings)
            .into_iter()
            .filter(|w| !deal.allow.contains(&w.check))
            .collect(),
    })
}

/// The `search_drops_defaults` warnings of scenario `sc` at `p`: its named defaults and its
/// CDR, which a break-even search replaces with its own default rate (docs/breakeven.md).
pub(super) fn search_drops_defaults(ctx: &Ctx, p: &str, sc: &Scenario) -> Vec<Located> {
    let tail = "so the scenario's BDR is that of the same scenario without them \
                (docs/breakeven.md); `ipabs sweep` runs them as given";
    let mut w = Vec::new();
    if !sc.obligor_defaults.is_empty() {
        w.push(ctx.located(
            Check::SearchDropsDefaults,
            &format!("{p}.defaults"),
            format!(
                "scenario `{}` names {} default(s), which a break-even search replaces with its \
                 own default rate, {tail}",
                sc.name,
                sc.obligor_defaults.len()
            ),
        ));
    }
    if sc.cdr > Decimal::ZERO {
        w.push(ctx.located(
            Check::SearchDropsDefaults,
            &format!("{p}.cdr"),
            format!(
                "scenario `{}` has cdr {}, which a break-even search sets to 0 for its own \
                 default rate, {tail}",
                sc.name, sc.cdr
            ),
        ));
    }
    for (i, o) in sc.overrides.iter().enumerate() {
        let keys = [
            ("cdr", o.cdr.filter(|c| *c > Decimal::ZERO)),
            ("default_rate", o.default_rate),
        ];
        for (key, value) in keys {
            if let Some(v) = value {
                w.push(ctx.located(
                    Check::SearchDropsDefaults,
                    &format!("{p}.overrides[{i}].{key}"),
                    format!(
                        "scenario `{}`'s rule for {} sets {key} {v}, which a break-even search \
                         drops so that every obligor defaults on its own default rate, {tail}",
                        sc.name, o.label
                    ),
                ));
            }
        }
    }
    w
}

/// Validates `[grid]`. None when it has errors or its base scenario has.
fn grid(
    ctx: &mut Ctx,
    g: &schema::Grid,
    deal: &Deal,
    names: &Names,
    listed: &[Option<Scenario>],
    obligors: &Names,
    supports: &Names,
) -> Option<Grid> {
    let before = ctx.error_count();
    let prefix = match &g.name {
        Some(n) => {
            ctx.name("grid.name", n);
            n.clone()
        }
        None => "grid".to_string(),
    };
    // `Some(None)`: the named base exists but did not validate (its errors are reported).
    let base: Option<Option<Scenario>> = match &g.base {
        Some(b) => names
            .resolve(ctx, "grid.base", b)
            .map(|i| listed.get(i).cloned().flatten()),
        None => Some(Some(deal.scenario.clone())),
    };

    let mut axes = Vec::new();
    if let Some(v) = &g.cdr {
        axes.push(Axis::Cdr(decimals(ctx, "grid.cdr", v, false)));
    }
    if let Some(v) = &g.default_rate {
        axes.push(Axis::DefaultRate(decimals(
            ctx,
            "grid.default_rate",
            v,
            true,
        )));
    }
    if let Some(v) = &g.recovery_rate {
        axes.push(Axis::RecoveryRate(decimals(
            ctx,
            "grid.recovery_rate",
            v,
            true,
        )));
    }
    if let Some(v) = &g.recovery_lag_months {
        let path = "grid.recovery_lag_months";
        non_empty(ctx, path, v.len(), "recovery_lag_months = [3, 6]");
        let before = ctx.error_count();
        let vals: Vec<u32> = v
            .iter()
            .enumerate()
            .map(|(i, &m)| months(ctx, &format!("{path}[{i}]"), m))
            .collect();
        no_repeats(ctx, before, path, &vals);
        axes.push(Axis::RecoveryLagMonths(vals));
    }
    if let Some(v) = &g.delay {
        let path = "grid.delay";
        non_empty(
            ctx,
            path,
            v.len(),
            "delay = [{ fraction = 0, months = 0 }, { fraction = 0.3, months = 6 }]",
        );
        let before = ctx.error_count();
        let vals: Vec<(Decimal, u32)> = v
            .iter()
            .enumerate()
            .map(|(i, d)| delay(ctx, &format!("{path}[{i}]"), d))
            .collect();
        no_repeats(ctx, before, path, &vals);
        axes.push(Axis::Delay(vals));
    }
    if let Some(v) = &g.cpr {
        axes.push(Axis::Cpr(decimals(ctx, "grid.cpr", v, false)));
    }
    let first_start = deal.periods.first().map(|p| p.collection_start);
    match (&g.defaulted_obligors, g.default_date) {
        (Some(v), date) => {
            let date = match date {
                Some(d) => {
                    let d = ctx.date("grid.default_date", d);
                    if let Some(problem) = super::checks::default_date_problem(deal, d) {
                        ctx.warn(
                            Check::ScenarioDates,
                            "grid.default_date",
                            format!("the grid's obligors default on {d}, {problem}"),
                        );
                    }
                    d
                }
                None => first_start.unwrap_or(deal.cutoff_date),
            };
            let sets = name_sets(ctx, "grid.defaulted_obligors", v, obligors, "\"SME-01\"");
            axes.push(Axis::DefaultedObligors { sets, date });
        }
        (None, Some(_)) => ctx.key_err(
            "grid.default_date",
            "`default_date` without `defaulted_obligors` has no effect",
            "default_date only together with defaulted_obligors = [[...], ...]",
        ),
        (None, None) => {}
    }
    if let Some(v) = &g.supports_off {
        axes.push(Axis::SupportsOff(name_sets(
            ctx,
            "grid.supports_off",
            v,
            supports,
            "\"guarantor\"",
        )));
    }
    if axes.is_empty() {
        ctx.err(
            "grid",
            "the grid has no value lists",
            format!("at least {}", one_of(&Axis::KEYS)),
        );
    }
    let grid = Grid {
        prefix,
        base: base.clone().flatten().unwrap_or_else(Scenario::base),
        axes,
    };
    let size = grid.size();
    if size > MAX_GRID_POINTS {
        let factors: Vec<String> = grid
            .axes
            .iter()
            .map(|a| format!("{} {}", a.key(), a.len()))
            .collect();
        ctx.err(
            "grid",
            format!("the grid has {size} points ({})", factors.join(" × ")),
            format!("at most {MAX_GRID_POINTS} points: shorten the value lists or split the grid"),
        );
    }
    if ctx.error_count() > before || !matches!(base, Some(Some(_))) {
        return None;
    }
    Some(grid)
}

fn non_empty(ctx: &mut Ctx, path: &str, len: usize, example: &str) {
    if len == 0 {
        let key = path.rsplit('.').next().unwrap_or(path);
        ctx.err(
            path,
            format!("`{key}` is empty"),
            format!("at least one value, e.g. {example}; omit the key to keep the base's value"),
        );
    }
}

/// Reports the second and later occurrences of a value; nothing when the values had errors
/// since `before` (an out-of-range value is clamped and could look like a repeat).
fn no_repeats<T: PartialEq>(ctx: &mut Ctx, before: usize, path: &str, vals: &[T]) {
    if ctx.error_count() > before {
        return;
    }
    for (i, v) in vals.iter().enumerate() {
        if let Some(j) = vals[..i].iter().position(|w| w == v) {
            ctx.err(
                &format!("{path}[{i}]"),
                format!("the value is listed twice (also {path}[{j}])"),
                "each value at most once",
            );
        }
    }
}

/// A non-empty list of fractions in `[0, 1)` or `[0, 1]`, without repeats.
fn decimals(ctx: &mut Ctx, path: &str, v: &[Decimal], upper_inclusive: bool) -> Vec<Decimal> {
    let key = path.rsplit('.').next().unwrap_or(path);
    non_empty(ctx, path, v.len(), &format!("{key} = [0.02, 0.05]"));
    let before = ctx.error_count();
    let vals: Vec<Decimal> = v
        .iter()
        .enumerate()
        .map(|(i, &x)| ctx.fraction(&format!("{path}[{i}]"), x, upper_inclusive))
        .collect();
    no_repeats(ctx, before, path, &vals);
    vals
}

/// A non-empty list of name sets (each possibly empty), names resolved, no repeats within a
/// set, no set listed twice (in any order).
fn name_sets(
    ctx: &mut Ctx,
    path: &str,
    v: &[Vec<String>],
    table: &Names,
    example: &str,
) -> Vec<Vec<usize>> {
    let key = path.rsplit('.').next().unwrap_or(path);
    non_empty(ctx, path, v.len(), &format!("{key} = [[], [{example}]]"));
    let mut sets: Vec<Vec<usize>> = Vec::with_capacity(v.len());
    let mut sorted: Vec<Option<Vec<usize>>> = Vec::with_capacity(v.len());
    for (j, names) in v.iter().enumerate() {
        let sp = format!("{path}[{j}]");
        let before = ctx.error_count();
        let mut set = Vec::with_capacity(names.len());
        for (k, n) in names.iter().enumerate() {
            let p = format!("{sp}[{k}]");
            if names[..k].contains(n) {
                ctx.err(
                    &p,
                    format!("`{n}` is listed twice"),
                    "each name at most once",
                );
                continue;
            }
            if let Some(ix) = table.resolve(ctx, &p, n) {
                set.push(ix);
            }
        }
        // Only sets whose names all resolved are compared.
        let key = (ctx.error_count() == before).then(|| {
            let mut k = set.clone();
            k.sort_unstable();
            k
        });
        if let Some(i) = key
            .as_ref()
            .and_then(|k| sorted.iter().position(|s| s.as_ref() == Some(k)))
        {
            ctx.err(
                &sp,
                format!("the same set is listed twice (also {path}[{i}])"),
                "each set at most once",
            );
        }
        sorted.push(key);
        sets.push(set);
    }
    sets
}

/// Validates `[rating]`. Given multipliers replace the default table; they keep file order.
fn rating(ctx: &mut Ctx, r: &schema::Rating) -> RatingTable {
    let base_default_rate = ctx.fraction("rating.base_default_rate", r.base_default_rate, true);
    let multipliers = match &r.multipliers {
        None => RatingTable::default().multipliers,
        Some(m) => {
            if m.is_empty() {
                ctx.err(
                    "rating.multipliers",
                    "`multipliers` is empty",
                    "rating → multiplier pairs, e.g. { AAA = 5.0, AA = 4.1 }; omit the key \
                     for the default table",
                );
            }
            let mut out: Vec<(Option<usize>, String, Decimal)> = Vec::with_capacity(m.len());
            for (label, &v) in m {
                let p = join_key("rating.multipliers", label);
                if label.trim().is_empty() {
                    ctx.key_err(&p, "the rating label is empty", "a label such as \"AAA\"");
                }
                let v = ctx.number(&p, v, Sign::Positive);
                out.push((ctx.key_offset(&p), label.clone(), v));
            }
            out.sort_by_key(|(at, _, _)| *at);
            let table: Vec<(String, Decimal)> = out.into_iter().map(|(_, l, v)| (l, v)).collect();
            multipliers_in_order(ctx, &table);
            table
        }
    };
    RatingTable {
        base_default_rate,
        multipliers,
    }
}

/// Warns (`rating_order`) at a `[rating]` multiplier above the one of a higher grade of the
/// scale (a lower rating must take a smaller multiple of the base default rate), and
/// (`rating_label`) at a label that is no grade.
fn multipliers_in_order(ctx: &mut Ctx, table: &[(String, Decimal)]) {
    use crate::rating_model::GRADES;
    let mut graded: Vec<(usize, &str, Decimal)> = Vec::new();
    for (label, v) in table {
        let p = join_key("rating.multipliers", label);
        match GRADES.iter().position(|g| g == label) {
            Some(g) => graded.push((g, label, *v)),
            None => ctx.warn(
                Check::RatingLabel,
                &p,
                format!(
                    "`{label}` is not a grade of the rating scale ({}): no tranche rated with \
                     a grade gets this multiplier",
                    GRADES.join(", ")
                ),
            ),
        }
    }
    graded.sort_by_key(|x| x.0);
    for w in graded.windows(2) {
        let ((_, hi, hv), (_, lo, lv)) = (w[0], w[1]);
        if lv > hv {
            ctx.warn(
                Check::RatingOrder,
                &join_key("rating.multipliers", lo),
                format!(
                    "the multiplier of {lo}, {}, is above {hi}'s, {}: a lower rating takes a \
                     smaller multiple of the base default rate",
                    lv.normalize(),
                    hv.normalize()
                ),
            );
        }
    }
}

/// Warns (`rating_order`) at the first PD of a `[rating_model.pd]` row (file order, highest
/// rating first) below the same term's PD of the row above it: a worse rating defaults more
/// (`AAA = [0.015, …]` for 0.015% is 100 times the AA row).
fn pd_rows_in_order(ctx: &mut Ctx, rows: &[(Option<usize>, String, [f64; 10])]) {
    for w in rows.windows(2) {
        let ((_, hi, h), (_, lo, l)) = (&w[0], &w[1]);
        if let Some(t) = (0..10).find(|&t| l[t] < h[t]) {
            ctx.warn(
                Check::RatingOrder,
                &format!("{}[{t}]", join_key("rating_model.pd", lo)),
                format!(
                    "the {}-year PD of {lo}, {}, is below {hi}'s, {}: the rows go from the \
                     highest rating down, and a lower rating defaults more (a percent typed for \
                     a fraction?)",
                    t + 1,
                    l[t],
                    h[t]
                ),
            );
        }
    }
}

/// Validates `[rating_model]` (docs/rating.md). Given PD rows replace the default table and keep
/// file order (highest rating first).
fn rating_model(ctx: &mut Ctx, m: &schema::RatingModel) -> RatingModel {
    let mut out = RatingModel::default();
    let prob = |ctx: &mut Ctx, path: &str, v: f64, lo: f64| -> f64 {
        if !v.is_finite() || v < lo || v > 1.0 {
            ctx.err(
                path,
                format!("{v} is outside {lo}..=1"),
                format!("a number from {lo} to 1"),
            );
        }
        v
    };
    if let Some(pd) = &m.pd {
        if pd.is_empty() {
            ctx.err(
                "rating_model.pd",
                "`pd` is empty",
                "rating → ten cumulative PDs (1 … 10 years), e.g. { AAA = [0.00015, …] }; omit \
                 the key for the default table",
            );
        }
        let mut rows: Vec<(Option<usize>, String, [f64; 10])> = Vec::with_capacity(pd.len());
        for (label, values) in pd {
            let p = join_key("rating_model.pd", label);
            if label.trim().is_empty() {
                ctx.key_err(&p, "the rating label is empty", "a label such as \"AAA\"");
            }
            if values.len() != 10 {
                ctx.err(
                    &p,
                    format!("{} values", values.len()),
                    "exactly ten cumulative PDs, for 1, 2, …, 10 years",
                );
                continue;
            }
            let mut row = [0.0; 10];
            for (i, &v) in values.iter().enumerate() {
                row[i] = prob(ctx, &format!("{p}[{i}]"), v, 0.0);
                if i > 0 && v < row[i - 1] {
                    ctx.err(
                        &format!("{p}[{i}]"),
                        format!("{v} is below the {i}-year value {}", row[i - 1]),
                        "cumulative PDs that do not decrease with the term",
                    );
                }
            }
            if row[0] <= 0.0 {
                ctx.err(
                    &format!("{p}[0]"),
                    "the 1-year PD is 0",
                    "a positive 1-year PD (the default time below one year is t × PD(1))",
                );
            }
            rows.push((ctx.key_offset(&p), label.clone(), row));
        }
        rows.sort_by_key(|(at, _, _)| *at);
        pd_rows_in_order(ctx, &rows);
        out.pd = PdTable {
            rows: rows.into_iter().map(|(_, l, r)| (l, r)).collect(),
        };
    }
    if let Some(c) = &m.correlation {
        let k = &mut out.correlations;
        for (name, v, slot) in [
            (
                "same_region_and_industry",
                c.same_region_and_industry,
                &mut k.same_region_and_industry,
            ),
            ("same_region", c.same_region, &mut k.same_region),
            ("same_industry", c.same_industry, &mut k.same_industry),
            ("neither", c.neither, &mut k.neither),
        ] {
            if let Some(v) = v {
                *slot = prob(ctx, &format!("rating_model.correlation.{name}"), v, -1.0);
            }
        }
    }
    let conc = &mut out.concentration;
    if let Some(b) = m.large_obligor_test {
        conc.large_obligor_test = b;
    }
    if let Some(b) = m.single_obligor_multiplier {
        conc.single_obligor_multiplier = b;
    }
    if let Some(v) = m.large_obligor_loss {
        let path = "rating_model.large_obligor_loss";
        conc.large_obligor_loss = ctx.fraction(path, v, true);
        ctx.rate_places(path, v);
    }
    if let Some(v) = m.originator_factor {
        let path = "rating_model.originator_factor";
        conc.originator_factor = ctx.fraction(path, v, true);
        ctx.rate_places(path, v);
    }
    out
}

/// A float rate (a pricing input) × 100 for a message, by its shortest decimal spelling
/// (0.57 → 57, where the float product prints 56.99999999999999).
fn pct_f64(x: f64) -> String {
    match x.to_string().parse::<Decimal>() {
        Ok(d) => super::percent(d),
        Err(_) => format!("{}", x * 100.0),
    }
}

/// Validates `[pricing]`.
fn pricing(ctx: &mut Ctx, p: &schema::Pricing, deal: &Deal) -> Pricing {
    let settlement = p.settlement_date.map(|d| {
        let d = ctx.date("pricing.settlement_date", d);
        let last = deal.final_payment_date();
        if d < deal.closing_date || last.is_some_and(|l| d >= l) {
            let to = last.map_or_else(String::new, |l| {
                format!(" and before the last payment date {l}")
            });
            ctx.err(
                "pricing.settlement_date",
                format!("settlement date {d} is outside the life of the deal"),
                format!(
                    "a date on or after the closing date {}{to}",
                    deal.closing_date
                ),
            );
        }
        d
    });
    let tranches = Names::from_list("tranche", deal.tranches.iter().map(|t| t.name.as_str()));
    let mut quotes: Vec<(usize, Quote)> = Vec::new();
    let mut priced: Vec<usize> = Vec::new();
    for (label, &v) in p.prices.iter().flatten() {
        let path = join_key("pricing.prices", label);
        let t = tranche_key(ctx, &path, label, &tranches);
        if !(v.is_finite() && v > 0.0) {
            ctx.err(
                &path,
                format!("price {v} is not a positive number"),
                "a price per 100 of the tranche's initial balance, above 0, e.g. 99.5",
            );
        }
        if v.is_finite() && v > 0.0 && !(PRICE_MIN..=PRICE_MAX).contains(&v) {
            ctx.warn(
                Check::PricingRange,
                &path,
                format!(
                    "price {v} is outside {PRICE_MIN}–{PRICE_MAX}: a price is per 100 of the \
                     tranche's initial balance (99.5, not 0.995)"
                ),
            );
        }
        if let Some(t) = t {
            priced.push(t);
            quotes.push((t, Quote::Price(v)));
        }
    }
    for (label, &v) in p.yields.iter().flatten() {
        let path = join_key("pricing.yields", label);
        let t = tranche_key(ctx, &path, label, &tranches);
        if !(v.is_finite() && (YIELD_MIN..=YIELD_MAX).contains(&v)) {
            ctx.err(
                &path,
                format!("yield {v} is out of range"),
                format!(
                    "an annual yield as a fraction from {YIELD_MIN} to {YIELD_MAX}, \
                     e.g. 0.05 for 5%"
                ),
            );
        }
        if v.is_finite() && v > PRICING_RATE_MAX && v <= YIELD_MAX {
            ctx.warn(
                Check::PricingRange,
                &path,
                format!(
                    "yield {v} is {}% a year, above {}%: a yield is a fraction, 0.035 for 3.5%",
                    pct_f64(v),
                    pct_f64(PRICING_RATE_MAX)
                ),
            );
        }
        if let Some(t) = t {
            if priced.contains(&t) {
                ctx.key_err(
                    &path,
                    format!("tranche `{label}` has both a price and a yield"),
                    "each tranche in at most one of `prices` and `yields`",
                );
            }
            quotes.push((t, Quote::Yield(v)));
        }
    }
    quotes.sort_by_key(|(t, _)| *t);
    let discount = match (p.discount_rate, &p.zero_curve) {
        (Some(_), Some(_)) => {
            ctx.key_err(
                "pricing.zero_curve",
                "both `discount_rate` and `zero_curve` are given",
                "one of discount_rate = 0.02 or zero_curve = [{ years = 1, rate = 0.02 }]",
            );
            None
        }
        (Some(r), None) => {
            if !(r.is_finite() && (YIELD_MIN..=YIELD_MAX).contains(&r)) {
                ctx.err(
                    "pricing.discount_rate",
                    format!("discount rate {r} is out of range"),
                    format!(
                        "an annually compounded rate as a fraction from {YIELD_MIN} to \
                         {YIELD_MAX}, e.g. 0.02 for 2%"
                    ),
                );
            } else if r > PRICING_RATE_MAX {
                ctx.warn(
                    Check::PricingRange,
                    "pricing.discount_rate",
                    format!(
                        "discount rate {r} is {}% a year, above {}%: a rate is a fraction, 0.02 \
                         for 2%",
                        pct_f64(r),
                        pct_f64(PRICING_RATE_MAX)
                    ),
                );
            }
            Some(Discount::Flat(r))
        }
        (None, Some(c)) => zero_curve(ctx, c).map(Discount::Curve),
        (None, None) => None,
    };
    Pricing {
        settlement,
        quotes,
        discount,
    }
}

/// Resolves a tranche named by a key, reporting at the key.
fn tranche_key(ctx: &mut Ctx, path: &str, label: &str, tranches: &Names) -> Option<usize> {
    let t = tranches.get(label);
    if t.is_none() {
        ctx.key_err(
            path,
            format!("no tranche named `{label}`"),
            tranches.one_of(),
        );
    }
    t
}

fn zero_curve(ctx: &mut Ctx, c: &[schema::CurvePoint]) -> Option<ZeroCurve> {
    let before = ctx.error_count();
    let path = "pricing.zero_curve";
    if c.is_empty() {
        ctx.err(
            path,
            "`zero_curve` is empty",
            "at least one point, e.g. [{ years = 1, rate = 0.02 }]",
        );
        return None;
    }
    for (i, pt) in c.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let prev = i.checked_sub(1).and_then(|j| c.get(j)).map(|q| q.years);
        if !(pt.years.is_finite() && pt.years >= 0.0) {
            ctx.err(
                &format!("{p}.years"),
                format!("years {} is not a number >= 0", pt.years),
                "a tenor in years, 0 or more, e.g. 0.5",
            );
        } else if let Some(q) = prev.filter(|q| pt.years <= *q) {
            ctx.err(
                &format!("{p}.years"),
                format!("years {} is not above the previous point's {q}", pt.years),
                "tenors in strictly increasing order",
            );
        }
        if !(pt.rate.is_finite() && pt.rate > -1.0) {
            ctx.err(
                &format!("{p}.rate"),
                format!("rate {} is not a number above -1", pt.rate),
                "an annually compounded zero rate as a fraction above -1, e.g. 0.018",
            );
        } else if pt.rate > PRICING_RATE_MAX {
            ctx.warn(
                Check::PricingRange,
                &format!("{p}.rate"),
                format!(
                    "zero rate {} is {}% a year, above {}%: a rate is a fraction, 0.018 for 1.8%",
                    pt.rate,
                    pct_f64(pt.rate),
                    pct_f64(PRICING_RATE_MAX)
                ),
            );
        }
    }
    if ctx.error_count() > before {
        return None;
    }
    match ZeroCurve::new(c.iter().map(|p| (p.years, p.rate)).collect()) {
        Ok(curve) => Some(curve),
        Err(e) => {
            ctx.err(
                path,
                e.to_string(),
                "(tenor in years, annually compounded zero rate) points, tenors >= 0 and \
                 strictly increasing, rates above -1",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    /// A float's percent by its shortest spelling: 0.57 × 100 is 56.99999999999999 in f64.
    #[test]
    fn float_percent_by_its_spelling() {
        assert_eq!(0.57f64 * 100.0, 56.99999999999999);
        assert_eq!(super::pct_f64(0.57), "57");
        assert_eq!(super::pct_f64(3.5), "350");
        assert_eq!(super::pct_f64(0.3), "30");
    }
}

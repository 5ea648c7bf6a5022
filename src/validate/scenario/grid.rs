//! A scenario file's `[grid]`: its axes, each a list of values without repeats, and the
//! names of its points.

use rust_decimal::Decimal;

use super::*;
use crate::deal::Deal;
use crate::error::Check;
use crate::scenario::{Axis, Grid, MAX_GRID_POINTS, Scenario};
use crate::schema;
use crate::validate::checks::Lag;
use crate::validate::{Ctx, Names, one_of};

/// Validates `[grid]`. None when it has errors or its base scenario has.
pub(super) fn grid(
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
        for (i, &m) in vals.iter().enumerate() {
            let key = format!("{path}[{i}]");
            crate::validate::checks::lag_past_the_deal(ctx, &key, m, deal, Lag::Recovery);
        }
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
        for (i, &(_, m)) in vals.iter().enumerate().filter(|(_, (f, _))| !f.is_zero()) {
            let key = format!("{path}[{i}].months");
            crate::validate::checks::lag_past_the_deal(ctx, &key, m, deal, Lag::Delay);
        }
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
                    if let Some(problem) = crate::validate::checks::default_date_problem(deal, d) {
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

pub(super) fn non_empty(ctx: &mut Ctx, path: &str, len: usize, example: &str) {
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
pub(super) fn no_repeats<T: PartialEq>(ctx: &mut Ctx, before: usize, path: &str, vals: &[T]) {
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
pub(super) fn decimals(
    ctx: &mut Ctx,
    path: &str,
    v: &[Decimal],
    upper_inclusive: bool,
) -> Vec<Decimal> {
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
pub(super) fn name_sets(
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

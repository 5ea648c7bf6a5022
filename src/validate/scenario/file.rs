//! A scenario file: its `[[scenarios]]`, `[grid]`, `[rating]`, `[rating_model]` and `[pricing]`
//! tables validated against a deal, and the warnings its searches tell.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::*;
use crate::deal::Deal;
use crate::error::Check;
use crate::rating_model::RatingModel;
use crate::scenario::{PointNames, Pricing, RatingTable, Scenario, ScenarioSet};
use crate::schema;
use crate::validate::{Ctx, Located, Names};

/// Validates a scenario file against `deal`.
pub(in crate::validate) fn build_file(
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
        let sc = build(
            ctx,
            &p,
            s,
            &obligors,
            &tags,
            (&supports, &deal.events),
            None,
        );
        if let Some(sc) = &sc {
            check_timing_periods(ctx, &p, sc, deal.periods.len());
            crate::validate::checks::scenario_dates(ctx, &p, sc, deal);
            search_warnings.extend(search_drops_defaults(ctx, &p, sc));
            crate::validate::floating::unread_indices(ctx, &p, s, &index_names);
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
        // A `cpr` axis on a pool that cannot prepay (review 31d item 7).
        if g.cpr.iter().flatten().any(|c| *c > Decimal::ZERO)
            && !crate::validate::checks::can_prepay(deal)
        {
            ctx.warn(
                Check::UnreadCpr,
                "grid.cpr",
                crate::validate::checks::UNREAD_CPR.to_string(),
            );
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
        search_warnings: crate::validate::in_file_order(search_warnings)
            .into_iter()
            .filter(|w| !deal.allow.contains(&w.check))
            .collect(),
    })
}

/// The `search_drops_defaults` warnings of scenario `sc` at `p`: its named defaults and its
/// CDR, which a break-even search replaces with its own default rate (docs/breakeven.md).
pub(in crate::validate) fn search_drops_defaults(
    ctx: &Ctx,
    p: &str,
    sc: &Scenario,
) -> Vec<Located> {
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

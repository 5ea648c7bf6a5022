//! Scenarios: `[scenario]` in a deal file and `[[scenarios]]` in a scenario file.

use rust_decimal::Decimal;

use super::{Ctx, Names};
use crate::deal::Deal;
use crate::scenario::Scenario;
use crate::schema;

/// Longest recovery lag and collection delay, in months.
const MAX_MONTHS: u32 = 120;

/// Validates one scenario table at `p`. `default_name` applies when `name` is absent;
/// without one, `name` is required.
pub(super) fn build(
    ctx: &mut Ctx,
    p: &str,
    s: &schema::Scenario,
    obligors: &Names,
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
    let mut obligor_defaults: Vec<(usize, chrono::NaiveDate)> = Vec::new();
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
    let recovery_rate = s.recovery_rate.map_or(Decimal::ZERO, |v| {
        ctx.fraction(&format!("{p}.recovery_rate"), v, true)
    });
    let recovery_lag_months = s.recovery_lag_months.map_or(0, |v| {
        ctx.int_in(
            &format!("{p}.recovery_lag_months"),
            v,
            0,
            MAX_MONTHS,
            "months",
        )
    });
    let (delay_fraction, delay_months) = match &s.delay {
        Some(d) => (
            ctx.fraction(&format!("{p}.delay.fraction"), d.fraction, true),
            ctx.int_in(
                &format!("{p}.delay.months"),
                d.months,
                0,
                MAX_MONTHS,
                "months",
            ),
        ),
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
    if ctx.error_count() > before {
        return None;
    }
    Some(Scenario {
        name,
        obligor_defaults,
        cdr,
        default_rate: rust_decimal::Decimal::ZERO,
        default_timing: Vec::new(),
        recovery_rate,
        recovery_lag_months,
        delay_fraction,
        delay_months,
        cpr,
        supports_off,
    })
}

/// Validates every `[[scenarios]]` of a scenario file against `deal`.
pub(super) fn build_file(
    ctx: &mut Ctx,
    raw: &schema::ScenarioFile,
    deal: &Deal,
) -> Option<Vec<Scenario>> {
    let obligors = Names::from_list("obligor", deal.obligors.iter().map(|o| o.name.as_str()));
    let supports = Names::from_list("support", deal.supports.iter().map(|s| s.name.as_str()));
    if raw.scenarios.is_empty() {
        ctx.err(
            "scenarios",
            "the file has no scenarios",
            "at least one [[scenarios]] table with a name",
        );
    }
    let mut names = Names::new("scenario");
    let mut out = Vec::with_capacity(raw.scenarios.len());
    for (i, s) in raw.scenarios.iter().enumerate() {
        let p = format!("scenarios[{i}]");
        if let Some(n) = &s.name {
            names.add(ctx, &format!("{p}.name"), n, i);
        }
        if let Some(sc) = build(ctx, &p, s, &obligors, &supports, None) {
            out.push(sc);
        }
    }
    Some(out)
}

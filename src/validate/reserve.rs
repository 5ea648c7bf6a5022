//! Reserve target formulas and the step-down (`[reserve] formula`, `[reserve.step_down]`;
//! docs/deal-format.md, "Reserve target formulas").

use rust_decimal::Decimal;

use super::dates::Header;
use super::{Ctx, Names, Sign};
use crate::deal::{Base, StepDown, TargetFormula};
use crate::schema;

/// Largest `multiple` accepted (as `target_multiple`).
const MAX_MULTIPLE: u32 = 100;
/// How deep `max` and `min` may nest.
const MAX_DEPTH: usize = 8;

const EXPECTED: &str = "exactly one of fixed = 1000000, multiple = 1.0, share = 0.02 with \
                        of = \"senior_balance\", max = [ … ] or min = [ … ]";

/// A target formula at `p`.
pub(super) fn formula(
    ctx: &mut Ctx,
    p: &str,
    f: &schema::TargetFormula,
    tranches: &Names,
) -> Option<TargetFormula> {
    formula_at(ctx, p, f, tranches, 0)
}

fn formula_at(
    ctx: &mut Ctx,
    p: &str,
    f: &schema::TargetFormula,
    tranches: &Names,
    depth: usize,
) -> Option<TargetFormula> {
    let given = [
        f.fixed.is_some(),
        f.multiple.is_some(),
        f.share.is_some(),
        f.max.is_some(),
        f.min.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        let problem = if given == 0 {
            "the formula is empty".to_string()
        } else {
            format!("the formula has {given} forms")
        };
        ctx.err(p, problem, EXPECTED);
        return None;
    }
    if f.of.is_some() && f.share.is_none() {
        ctx.key_err(&format!("{p}.of"), "`of` goes with `share`", EXPECTED);
        return None;
    }
    if depth >= MAX_DEPTH {
        ctx.err(
            p,
            "max and min nest too deep",
            format!("at most {MAX_DEPTH} levels"),
        );
        return None;
    }
    if let Some(v) = f.fixed {
        return Some(TargetFormula::Fixed(ctx.money(
            &format!("{p}.fixed"),
            v,
            Sign::NonNegative,
        )));
    }
    if let Some(m) = f.multiple {
        let mp = format!("{p}.multiple");
        let m = ctx.number(&mp, m, Sign::NonNegative);
        if m > Decimal::from(MAX_MULTIPLE) {
            ctx.err(
                &mp,
                format!("multiple {m} is absurd"),
                format!("a multiple between 0 and {MAX_MULTIPLE}, e.g. 1.0"),
            );
        }
        return Some(TargetFormula::SeniorInterestAndFees(m));
    }
    if let Some(s) = f.share {
        let share = ctx.fraction(&format!("{p}.share"), s, true);
        let op = format!("{p}.of");
        let Some(of) = &f.of else {
            ctx.err(
                &op,
                "missing `of` (the balance the share applies to)",
                "of = \"senior_balance\", \"pool_balance\", \"issue_size\" or \"tranche:<name>\"",
            );
            return None;
        };
        let base = super::liabilities::base(ctx, &op, of, tranches)?;
        if !matches!(
            base,
            Base::SeniorBalance | Base::PoolBalance | Base::IssueSize | Base::Tranche(_)
        ) {
            ctx.err(
                &op,
                format!("`{of}` is a flow, not a balance"),
                "of = \"senior_balance\", \"pool_balance\", \"issue_size\" or \"tranche:<name>\"",
            );
            return None;
        }
        return Some(TargetFormula::Share(share, base));
    }
    let (key, list) = match (&f.max, &f.min) {
        (Some(l), _) => ("max", l),
        (_, Some(l)) => ("min", l),
        _ => return None,
    };
    let lp = format!("{p}.{key}");
    if list.is_empty() {
        ctx.err(&lp, format!("`{key}` is empty"), "at least one formula");
        return None;
    }
    let parts: Vec<Option<TargetFormula>> = list
        .iter()
        .enumerate()
        .map(|(i, g)| formula_at(ctx, &format!("{lp}[{i}]"), g, tranches, depth + 1))
        .collect();
    let parts: Option<Vec<TargetFormula>> = parts.into_iter().collect();
    let parts = parts?;
    Some(if key == "max" {
        TargetFormula::Max(parts)
    } else {
        TargetFormula::Min(parts)
    })
}

/// `[reserve.step_down]`.
pub(super) fn step_down(
    ctx: &mut Ctx,
    s: &schema::StepDown,
    tranches: &Names,
    h: &Header,
) -> Option<StepDown> {
    let p = "reserve.step_down";
    let before = ctx.error_count();
    if s.after.is_none() && s.default_ratio_below.is_none() {
        ctx.err(
            p,
            "the step-down has no condition",
            "after = 2025-06-30 and/or default_ratio_below = 0.02",
        );
    }
    let after = s.after.map(|d| {
        let ap = format!("{p}.after");
        let d = ctx.date(&ap, d);
        if h.dates_ok && (d <= h.closing || d > h.legal) {
            ctx.err(
                &ap,
                format!(
                    "step-down date {d} is outside the deal's life ({} to {})",
                    h.closing, h.legal
                ),
                "a date after the closing date and on or before the legal maturity",
            );
        }
        d
    });
    let default_ratio_below = s
        .default_ratio_below
        .map(|x| ctx.fraction(&format!("{p}.default_ratio_below"), x, true));
    let target = formula(ctx, &format!("{p}.formula"), &s.formula, tranches);
    if ctx.error_count() > before {
        return None;
    }
    Some(StepDown {
        after,
        default_ratio_below,
        target: target?,
    })
}

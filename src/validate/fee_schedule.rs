//! A licence asset's generated `schedule = { first, frequency, periods, amount, growth, rate }`.

use rust_decimal::Decimal;

use super::{Ctx, Sign, parse_or};
use crate::calendar::schedule::Frequency;
use crate::deal::Instalment;
use crate::error::Check;
use crate::money::Rounding;
use crate::schedule::fee_schedule::{FeeTerms, fee_schedule};
use crate::schema::ScheduleGenerator;

/// Most instalments a generated fee schedule may have.
const MAX_PERIODS: u32 = 600;

/// The instalments of the generator at `p` (the `schedule` key), each with the key path its
/// date comes from (`periods`, so a schedule that runs past the legal maturity is reported
/// there). `None` when the table is wrong (reported).
pub(super) fn generate(
    ctx: &mut Ctx,
    p: &str,
    g: &ScheduleGenerator,
    rounding: Rounding,
) -> Option<Vec<(Instalment, super::assets::ItemPath)>> {
    let before = ctx.error_count();
    let first = ctx.date(&format!("{p}.first"), g.first);
    let frequency: Option<Frequency> = parse_or(
        ctx,
        &format!("{p}.frequency"),
        Some(&g.frequency),
        "frequency",
        &Frequency::ALL.map(Frequency::name),
    );
    let pp = format!("{p}.periods");
    let periods = if g.periods == 0 {
        ctx.err(
            &pp,
            "periods 0: a generated schedule needs at least 1 instalment",
            format!("a number of instalments from 1 to {MAX_PERIODS}"),
        );
        1
    } else {
        ctx.int_in(&pp, g.periods, 1, MAX_PERIODS, "instalments")
    };
    let amount = ctx.money(&format!("{p}.amount"), g.amount, Sign::Positive);
    let growth = match g.growth {
        Some(v) => growth(ctx, &format!("{p}.growth"), v),
        None => Decimal::ZERO,
    };
    let rate = g.rate.map_or(Decimal::ZERO, |v| {
        super::checks::asset_rate_in_range(ctx, &format!("{p}.rate"), v)
    });
    if ctx.error_count() > before {
        return None;
    }
    let terms = FeeTerms {
        first,
        months: frequency?.months(),
        periods,
        amount,
        growth,
        rate,
        rounding,
    };
    let pp = super::assets::ItemPath::from(pp);
    match fee_schedule(&terms) {
        Ok(s) => Some(
            s.into_iter()
                .map(|(date, principal, interest)| {
                    (
                        Instalment {
                            date,
                            principal,
                            interest,
                        },
                        pp.clone(),
                    )
                })
                .collect(),
        ),
        Err(e) => {
            use crate::schedule::fee_schedule::FeeScheduleError as E;
            let (at, expected) = match e {
                E::InterestAboveFee { .. } => (
                    format!("{p}.rate"),
                    "a rate well above the fees' growth, fewer periods, or no rate (every fee \
                     all principal)",
                ),
                _ => (p.to_string(), "fewer periods or a smaller amount or growth"),
            };
            ctx.err(
                &at,
                format!("cannot generate the fee schedule: {e}"),
                expected,
            );
            None
        }
    }
}

/// The annual escalation (a generated fee schedule's, a `step_up` instalment's): a fraction
/// from 0 to below 1. `3` for 3% is the likely mistake, and the message says what it would
/// mean.
/// Above this annual `growth`, a `growth_range` warning (docs/errors.md): a 0.5 typed for
/// 0.05 makes the sixth year's instalment 7.59 times the first instead of 1.28 times.
const GROWTH_WARN: Decimal = Decimal::from_parts(2, 0, 0, false, 1);

pub(super) fn growth(ctx: &mut Ctx, path: &str, v: Decimal) -> Decimal {
    let expected = "an annual escalation as a fraction from 0 to below 1, e.g. 0.03 for 3% a year";
    if v > GROWTH_WARN && v < Decimal::ONE {
        ctx.warn(
            Check::GrowthRange,
            path,
            format!(
                "growth {v} is {}% a year: each year's instalment {}× the last, {}× the first \
                 after five years; escalations are a few percent a year (0.05 is 5%)",
                super::percent(v),
                (v + Decimal::ONE).normalize(),
                {
                    let g = v + Decimal::ONE;
                    (g * g * g * g * g).round_dp(2).normalize()
                }
            ),
        );
    }
    if v >= Decimal::ONE {
        ctx.err(
            path,
            format!(
                "growth {v} is {}% a year (each year's instalment {}× the last)",
                super::percent(v),
                v.checked_add(Decimal::ONE)
                    .map_or_else(|| format!("{v} + 1"), |g| g.normalize().to_string())
            ),
            expected,
        );
        v
    } else {
        ctx.fraction(path, v, false)
    }
}

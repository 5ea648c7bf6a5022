//! Fee mechanics: a fee's `start` and `end` dates, and the `share` and `part` of `pay_fee`
//! steps (docs/deal-format.md, "Fee mechanics").

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Ctx;
use crate::schema;

/// A fee's `start` and `end` (not on a one-off fee, which has its own `date`): `start` on or
/// before the last payment date, `end` on or after the first, `start` ≤ `end`.
pub(super) fn fee_dates(
    ctx: &mut Ctx,
    p: &str,
    f: &schema::Fee,
    first_payment: Option<NaiveDate>,
    last_payment: Option<NaiveDate>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    if f.kind == schema::FeeKind::Annual && f.start.is_some() {
        ctx.key_err(
            &format!("{p}.start"),
            "`start` does not apply to an annual fee (its `date` is when it first falls due)"
                .to_string(),
            "a `date` for an annual fee's first due date; `end` to stop it",
        );
    }
    if f.kind == schema::FeeKind::OneOff {
        for (key, present) in [("start", f.start.is_some()), ("end", f.end.is_some())] {
            if present {
                ctx.key_err(
                    &format!("{p}.{key}"),
                    format!(
                        "`{key}` does not apply to a one-off fee (it is paid once, on its `date`)"
                    ),
                    "a `date` for a one-off fee; `start` for fixed or annual_rate fees; `end` for fixed, \
                     annual or annual_rate fees",
                );
            }
        }
        return (None, None);
    }
    let start = f.start.map(|d| {
        let sp = format!("{p}.start");
        let d = ctx.date(&sp, d);
        if let Some(last) = last_payment
            && d > last
        {
            ctx.err(
                &sp,
                format!("fee start {d} is after the last payment date {last}; the fee would never be charged"),
                "a start on or before the last payment date",
            );
        }
        d
    });
    let end = f.end.map(|d| {
        let ep = format!("{p}.end");
        let d = ctx.date(&ep, d);
        if let Some(first) = first_payment
            && d < first
        {
            ctx.err(
                &ep,
                format!("fee end {d} is before the first payment date {first}; the fee would never be charged"),
                "an end on or after the first payment date",
            );
        }
        d
    });
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        ctx.err(
            &format!("{p}.end"),
            format!("fee end {e} is before its start {s}"),
            "an end on or after the start",
        );
    }
    (start, end)
}

/// A `pay_fee` step's `share`: 0 < share ≤ 1.
pub(super) fn share(ctx: &mut Ctx, p: &str, v: Decimal) -> Decimal {
    let sp = format!("{p}.share");
    let v = ctx.fraction(&sp, v, true);
    if v.is_zero() {
        ctx.err(
            &sp,
            "share is zero: the step would pay nothing",
            "a share above 0 and at most 1, e.g. share = 0.5 for half",
        );
    }
    v
}

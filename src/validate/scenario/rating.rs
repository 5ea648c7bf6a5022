//! A scenario file's `[rating]` (the break-even's multiplier table) and `[rating_model]` (the
//! Monte Carlo default model's inputs).

use rust_decimal::Decimal;

use crate::error::Check;
use crate::rating_model::{PdTable, RatingModel};
use crate::scenario::RatingTable;
use crate::schema;
use crate::validate::spans::join_key;
use crate::validate::{Ctx, Sign};

/// Validates `[rating]`. Given multipliers replace the default table; they keep file order.
pub(super) fn rating(ctx: &mut Ctx, r: &schema::Rating) -> RatingTable {
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
    tdrs_in_range(ctx, r, base_default_rate, &multipliers);
    RatingTable {
        base_default_rate,
        multipliers,
    }
}

/// Warns (`tdr_range`) once when some grade's target default rate, `base_default_rate ×
/// multiplier`, is above 100%: a break-even default rate is at most 100% of the pool, so no
/// tranche rated there can pass (review 38a item 7: a multiplier of 500 ran and printed FAIL).
/// At the first such multiplier the file gives, else at `base_default_rate`.
fn tdrs_in_range(ctx: &mut Ctx, r: &schema::Rating, base: Decimal, table: &[(String, Decimal)]) {
    let over: Vec<&(String, Decimal)> = table
        .iter()
        .filter(|(_, m)| base * m > Decimal::ONE)
        .collect();
    let Some((first, m)) = over.first() else {
        return;
    };
    let given = r
        .multipliers
        .as_ref()
        .is_some_and(|g| g.contains_key(first));
    let path = if given {
        join_key("rating.multipliers", first)
    } else {
        "rating.base_default_rate".to_string()
    };
    let others: Vec<&str> = over[1..].iter().map(|(l, _)| l.as_str()).collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(", as is that of {}", others.join(", "))
    };
    ctx.warn(
        Check::TdrRange,
        &path,
        format!(
            "the target default rate of {first} is {} × {} = {}, above 100% of the pool{also}: \
             no tranche rated there can pass, since a break-even default rate is at most 100%; \
             a multiplier is a plain factor (5 for 5×) and the base rate a fraction (0.03 for \
             3%)",
            base.normalize(),
            m.normalize(),
            crate::money::percent(base * m, 2),
        ),
    );
}

/// Warns (`rating_order`) at a `[rating]` multiplier above the one of a higher grade of the
/// scale (a lower rating must take a smaller multiple of the base default rate), and
/// (`rating_label`) at a label that is no grade.
pub(super) fn multipliers_in_order(ctx: &mut Ctx, table: &[(String, Decimal)]) {
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
pub(super) fn pd_rows_in_order(ctx: &mut Ctx, rows: &[(Option<usize>, String, [f64; 10])]) {
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
pub(super) fn rating_model(ctx: &mut Ctx, m: &schema::RatingModel) -> RatingModel {
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

//! `[revolving]`: the revolving purchase period (循环购买) and its asset template.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ctx, Names, Sign, resolve_list};
use crate::calendar::schedule::add_months;
use crate::deal::{
    AssetKind, Obligor, PeriodDates, Revolving, RevolvingTemplate, Trigger, Waterfall,
};
use crate::schedule::amortization::{LoanTerms, Repayment, loan_schedule};
use crate::schema;

/// Highest price accepted, as a fraction of par: above it the price was surely written in
/// percent (98 for 98%).
const MAX_PRICE: Decimal = Decimal::from_parts(15, 0, 0, false, 1);

/// What `[revolving]` is checked against.
pub(super) struct RevolvingRefs<'a> {
    pub legal: NaiveDate,
    pub day_count: crate::calendar::daycount::DayCount,
    pub periods: Option<&'a [PeriodDates]>,
    pub triggers: &'a [Trigger],
    pub waterfalls: &'a Names,
    pub waterfall_steps: &'a [Waterfall],
    /// The file's obligors: a template `obligor` of the same name ties the purchases to it.
    pub obligors: &'a [Obligor],
}

pub(super) fn revolving(
    ctx: &mut Ctx,
    r: &schema::Revolving,
    refs: &RevolvingRefs,
) -> Option<Revolving> {
    let before = ctx.error_count();
    let p = "revolving";
    let end_path = format!("{p}.end_date");
    let end_date = ctx.date(&end_path, r.end_date);
    if end_date > refs.legal {
        ctx.err(
            &end_path,
            format!(
                "the revolving period ends on {end_date}, after the legal maturity {}",
                refs.legal
            ),
            "an end date on or before the legal maturity, leaving time for the purchased \
             assets to amortize",
        );
    }
    let last_buy = refs.periods.and_then(|ps| {
        ps.iter()
            .take_while(|p| p.on_or_before(end_date))
            .map(PeriodDates::date)
            .last()
    });
    if let Some(ps) = refs.periods
        && last_buy.is_none()
        && end_date <= refs.legal
    {
        // The first date as written (scheduled), and when it is paid if that differs.
        let first = ps.first().map(|p| {
            let (s, a) = (p.payment.unadjusted, p.payment.adjusted);
            if s == a {
                format!(" {s}")
            } else {
                format!(" {s} (paid {a})")
            }
        });
        ctx.err(
            &end_path,
            format!(
                "the revolving period ends on {end_date}, before the first payment date{}: \
                 no purchase can happen",
                first.unwrap_or_default()
            ),
            "an end date on or after the first payment date",
        );
    }
    let price = match r.price {
        Some(v) => {
            let v = ctx.number(&format!("{p}.price"), v, Sign::Positive);
            if v.normalize().scale() > 10 {
                ctx.err(
                    &format!("{p}.price"),
                    format!("price {v} has more than 10 decimal places"),
                    "a price as a fraction of par with at most 10 decimal places, e.g. 0.98",
                );
            } else if v > MAX_PRICE {
                ctx.err(
                    &format!("{p}.price"),
                    format!("price {v} is {}% of par", super::percent(v)),
                    "the price as a fraction of the balance bought, e.g. 0.98 for 98% of par \
                     (at most 1.5)",
                );
            }
            v
        }
        None => Decimal::ONE,
    };
    let obligor = r.obligor.clone().unwrap_or_else(|| "revolving".to_string());
    ctx.name(&format!("{p}.obligor"), &obligor);
    // A template named after an obligor of the file buys that debtor's receivables (a
    // supply-chain deal's core debtor, review 26d item H1).
    let debtor = refs
        .obligors
        .iter()
        .position(|o| o.name.trim() == obligor.trim());
    let tags = match debtor {
        Some(d) if r.tags.is_empty() => refs.obligors[d].tags.clone(),
        _ => r.tags.clone(),
    };
    let template = template(ctx, &format!("{p}.asset"), &r.asset, refs.day_count);
    // A purchase on the last revolving payment date must mature by the legal maturity.
    if let (Some(t), Some(d)) = (template, last_buy) {
        let months = t.term.saturating_mul(t.months_per_period);
        let matures = i32::try_from(months)
            .ok()
            .and_then(|m| add_months(d, m, false));
        if matures.is_none_or(|m| m > refs.legal) {
            ctx.err(
                &format!("{p}.asset.term"),
                format!(
                    "an asset bought on {d}, the last payment date of the revolving period, \
                     matures {}, after the legal maturity {}",
                    matures.map_or("beyond the calendar".to_string(), |m| format!("on {m}")),
                    refs.legal
                ),
                "a shorter term, or an earlier `end_date`",
            );
        }
    }
    let trigger_names = Names::from_list("trigger", refs.triggers.iter().map(|t| t.name.as_str()));
    let end_triggers = match &r.end_triggers {
        // `[]`: no trigger ends the period early.
        Some(list) if list.is_empty() => Vec::new(),
        Some(list) => resolve_list(ctx, &format!("{p}.end_triggers"), list, &trigger_names),
        None => (0..refs.triggers.len()).collect(),
    };
    let waterfall = r
        .waterfall
        .as_ref()
        .and_then(|w| refs.waterfalls.resolve(ctx, &format!("{p}.waterfall"), w));
    let buys = refs.waterfall_steps.iter().any(|w| {
        w.steps
            .iter()
            .any(|s| matches!(s.action, crate::deal::Action::BuyAssets(_)))
    });
    if !buys {
        ctx.err(
            p,
            "the revolving period buys nothing: no waterfall has a `buy_assets` step",
            "a step { action = \"buy_assets\" } in the waterfall that runs while the period \
             is live",
        );
    }
    if ctx.error_count() > before {
        return None;
    }
    Some(Revolving {
        end_date,
        end_triggers,
        waterfall,
        price,
        obligor,
        debtor,
        tags,
        template: template?,
    })
}

/// `[revolving.asset]`.
fn template(
    ctx: &mut Ctx,
    p: &str,
    a: &schema::RevolvingAsset,
    day_count: crate::calendar::daycount::DayCount,
) -> Option<RevolvingTemplate> {
    let before = ctx.error_count();
    let kind = match a.kind {
        schema::AssetKind::Loan => AssetKind::Loan,
        schema::AssetKind::Lease => AssetKind::Lease,
        other => {
            let name = match other {
                schema::AssetKind::Licence => "licence",
                _ => "receivable",
            };
            ctx.err(
                &format!("{p}.kind"),
                format!("a revolving purchase of a {name} asset is not modelled"),
                "kind = \"loan\" or \"lease\" (generated from the balance bought)",
            );
            AssetKind::Loan
        }
    };
    let annual_rate = super::checks::annual_rate_in_range(
        ctx,
        &format!("{p}.rate"),
        a.rate,
        "the template's rate",
    );
    let term = if a.term == 0 {
        ctx.err(
            &format!("{p}.term"),
            "term 0: a purchased asset needs at least 1 instalment",
            "a number of instalments from 1 to 600",
        );
        1
    } else {
        ctx.int_in(&format!("{p}.term"), a.term, 1, 600, "instalments")
    };
    let (frequency, repayment) = super::assets::frequency_and_repayment(
        ctx,
        p,
        Some(&a.frequency),
        (a.repayment.as_deref(), a.growth),
    );
    let accrual = super::assets::accrual_of(ctx, p, (a.accrual, a.day_count.as_deref()), day_count);
    if ctx.error_count() > before {
        return None;
    }
    let template = RevolvingTemplate {
        kind,
        annual_rate,
        term,
        months_per_period: frequency?.months(),
        repayment: repayment?,
        accrual,
        prepayable: a.prepayable.unwrap_or(true),
    };
    if let Repayment::StepUp(_) = template.repayment {
        step_up_generates(ctx, p, &template)?;
    }
    Some(template)
}

/// Whether a `step_up` template generates a schedule: its first instalment covers its interest
/// (a growth too steep for the rate and term does not). The condition depends only on the
/// rate, growth, term and frequency, so one schedule (1,000,000.00 bought on 2024-01-31)
/// decides it for every purchase. Reported at `growth`.
fn step_up_generates(ctx: &mut Ctx, p: &str, t: &RevolvingTemplate) -> Option<()> {
    let terms = LoanTerms {
        balance: Decimal::new(100_000_000, 2),
        annual_rate: t.annual_rate,
        start_date: NaiveDate::from_ymd_opt(2024, 1, 31)?,
        first_payment_date: None,
        term: t.term,
        months_per_period: t.months_per_period,
        repayment: t.repayment,
        accrual: t.accrual,
        rounding: crate::money::Rounding::HalfUp,
    };
    match loan_schedule(&terms) {
        Ok(_) => Some(()),
        Err(e) => {
            ctx.err(
                &format!("{p}.growth"),
                format!("the purchased assets cannot be generated: {e}"),
                "a smaller growth, a shorter term or a higher rate (docs/amortization.md)",
            );
            None
        }
    }
}

//! The liabilities: tranches, fees, taxes, the reserve and credit support.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::dates::Header;
use super::{Ctx, MAX_TABLE_MONEY, Names, Sign, forbid, missing, one_of};
use crate::calendar::schedule::add_months;
use crate::deal::{
    Amortization, Base, Cover, Fee, FeeKind, PeriodDates, Reserve, ReserveTarget, Support,
    SupportKind, Tax, Tranche, TrancheClass,
};
use crate::error::Check;
use crate::schema;

fn class(c: schema::TrancheClass) -> TrancheClass {
    match c {
        schema::TrancheClass::Senior => TrancheClass::Senior,
        schema::TrancheClass::Mezzanine => TrancheClass::Mezzanine,
        schema::TrancheClass::Subordinated => TrancheClass::Subordinated,
    }
}

/// Tranches sorted by seniority, and their names resolving to the sorted indices.
/// Warns (`rating_label`) when a tranche's `rating` is not a grade of the scale (AAA+ … C,
/// the PD table's and the break-even table's labels): `AAA ` or `aa+` would get no target
/// default rate, and the tranche no pass or fail, in silence.
fn rating_label(ctx: &mut Ctx, p: &str, rating: &str) {
    use crate::rating_model::GRADES;
    if GRADES.contains(&rating) {
        return;
    }
    let meant = rating.trim().to_uppercase();
    let hint = if GRADES.contains(&meant.as_str()) {
        format!(" (did you mean `{meant}`?)")
    } else {
        String::new()
    };
    ctx.warn(
        Check::RatingLabel,
        &format!("{p}.rating"),
        format!(
            "rating `{rating}` is not a grade of the rating scale{hint}: the tranche gets no \
             target default rate; the grades are {}",
            GRADES.join(", ")
        ),
    );
}

pub(super) fn tranches(
    ctx: &mut Ctx,
    raw: &[schema::Tranche],
    h: &Header,
    last_payment: Option<NaiveDate>,
) -> (Vec<Tranche>, Names) {
    let mut names = Names::new("tranche");
    if raw.is_empty() {
        ctx.err("tranches", "no tranches", "at least one [[tranches]] table");
    }
    let mut out: Vec<Tranche> = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let p = format!("tranches[{i}]");
        ctx.name(&format!("{p}.name"), &t.name);
        names.add(ctx, &format!("{p}.name"), &t.name, i);
        let class = class(t.class);
        let balance = ctx.money(&format!("{p}.balance"), t.balance, Sign::Positive);
        let floating = t.floating.as_ref().and_then(|f| {
            if t.coupon.is_some() {
                ctx.key_err(
                    &format!("{p}.coupon"),
                    "both coupon and floating are given",
                    "either a fixed `coupon` or a `floating` rate, not both",
                );
            }
            let legal = h.dates_ok.then_some(h.legal);
            let closing = h.dates_ok.then_some(h.closing);
            super::floating::floating(ctx, &format!("{p}.floating"), f, closing, legal)
        });
        let coupon = match (t.coupon, class) {
            _ if t.floating.is_some() => Decimal::ZERO,
            (Some(c), _) => ctx.annual_rate(&format!("{p}.coupon"), c, Sign::NonNegative),
            (None, TrancheClass::Subordinated) => Decimal::ZERO,
            (None, _) => {
                ctx.err(
                    &format!("{p}.coupon"),
                    format!(
                        "missing required key `coupon` (a {} tranche needs one)",
                        class.name()
                    ),
                    "an annual coupon as a fraction, e.g. coupon = 0.04 for 4%",
                );
                Decimal::ZERO
            }
        };
        let amortization = match (t.amortization, &t.target_balances) {
            (Some(schema::Amortization::Scheduled), Some(list)) => {
                Amortization::Scheduled(target_balances(ctx, &p, list, balance, h))
            }
            (Some(schema::Amortization::Scheduled), None) => {
                ctx.err(
                    &format!("{p}.target_balances"),
                    "missing required key `target_balances` (amortization is `scheduled`)",
                    "target_balances = [{ date = 2020-03-11, balance = 200000000 }, …]",
                );
                Amortization::Scheduled(Vec::new())
            }
            (other, targets) => {
                if targets.is_some() {
                    ctx.key_err(
                        &format!("{p}.target_balances"),
                        "`target_balances` applies only to amortization = \"scheduled\"",
                        "amortization = \"scheduled\", or no target_balances",
                    );
                }
                match other {
                    Some(schema::Amortization::Bullet) => Amortization::Bullet,
                    _ => Amortization::PassThrough,
                }
            }
        };
        let expected_maturity = match t.expected_maturity {
            Some(m) => {
                let path = format!("{p}.expected_maturity");
                let m = ctx.date(&path, m);
                if !h.dates_ok {
                } else if m > h.legal {
                    ctx.err(
                        &path,
                        format!(
                            "expected maturity {m} is after the legal maturity {}",
                            h.legal
                        ),
                        "an expected maturity on or before the legal maturity",
                    );
                } else if m <= h.closing {
                    ctx.err(
                        &path,
                        format!(
                            "expected maturity {m} is not after the closing date {}",
                            h.closing
                        ),
                        "an expected maturity after the closing date",
                    );
                } else if let Some(last) = last_payment
                    && m > last
                {
                    ctx.warn(
                        Check::MaturityAfterLastPayment,
                        &path,
                        format!(
                            "tranche `{}`: expected maturity {m} is after the last payment date {last}",
                            t.name
                        ),
                    );
                }
                m
            }
            None => last_payment.unwrap_or(h.legal),
        };
        let at_maturity = interest_at_maturity(ctx, &p, t, class, &amortization);
        out.push(Tranche {
            name: t.name.clone(),
            class,
            balance,
            coupon,
            amortization,
            expected_maturity,
            rating: t.rating.clone().inspect(|r| rating_label(ctx, &p, r)),
            interest_on_shortfall: t.interest_on_shortfall.unwrap_or(false),
            interest_at_maturity: at_maturity,
            payment_test: match t.payment_test {
                Some(schema::PaymentTest::Ultimate) => crate::deal::PaymentTest::Ultimate,
                _ => crate::deal::PaymentTest::Timely,
            },
            floating,
        });
    }
    // Stable sort by seniority; names follow their tranches.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| out[i].class);
    let mut new_index = vec![0; out.len()];
    for (sorted, &file) in order.iter().enumerate() {
        new_index[file] = sorted;
    }
    names.map_indices(|file| new_index.get(file).copied().unwrap_or(file));
    let mut slots: Vec<Option<Tranche>> = out.into_iter().map(Some).collect();
    let sorted = order
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect();
    (sorted, names)
}

fn target_balances(
    ctx: &mut Ctx,
    p: &str,
    list: &[schema::TargetBalance],
    balance: Decimal,
    h: &Header,
) -> Vec<(NaiveDate, Decimal)> {
    let base = format!("{p}.target_balances");
    if list.is_empty() {
        ctx.err(
            &base,
            "`target_balances` is empty",
            "at least one { date, balance } entry",
        );
    }
    let mut out: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(list.len());
    for (j, tb) in list.iter().enumerate() {
        let ep = format!("{base}[{j}]");
        let d = ctx.date(&format!("{ep}.date"), tb.date);
        let b = ctx.money(&format!("{ep}.balance"), tb.balance, Sign::NonNegative);
        if h.dates_ok && (d <= h.closing || d > h.legal) {
            ctx.err(
                &format!("{ep}.date"),
                format!(
                    "target date {d} is outside the deal's life ({} to {})",
                    h.closing, h.legal
                ),
                "a date after the closing date and on or before the legal maturity",
            );
        }
        if b > balance {
            ctx.err(
                &format!("{ep}.balance"),
                format!("target balance {b} is above the tranche's balance {balance}"),
                "a target balance no greater than the tranche's balance",
            );
        }
        if let Some(&(pd, pb)) = out.last() {
            if d <= pd {
                ctx.err(
                    &format!("{ep}.date"),
                    format!("target date {d} is not after the previous one, {pd}"),
                    "target dates in strictly increasing order",
                );
            }
            // The previous entry typed in 万元 (review 45d item 11): 13000 for 130,000,000
            // between 150,000,000 and 98,000,000. Told at that entry, the one to correct.
            // Only when the product fits the order both ways: under the target before it too
            // (review 46b F5: 500000, 60, 300000 would give 600000 above 500000).
            let before = out.len().checked_sub(2).map_or(balance, |i| out[i].1);
            let in_wan = pb
                .checked_mul(Decimal::from(10_000))
                .filter(|w| pb > Decimal::ZERO && *w >= b && *w <= balance.min(before));
            if let (true, Some(w)) = (b > pb, in_wan) {
                ctx.err(
                    &format!("{base}[{}].balance", j - 1),
                    format!(
                        "target balance {pb} is followed by a higher one, {b} \
                         (target_balances[{j}]): is it in 万元? {pb} × 10,000 is {}",
                        w.normalize()
                    ),
                    "target balances in yuan that never increase",
                );
            } else if b > pb {
                ctx.err(
                    &format!("{ep}.balance"),
                    format!("target balance {b} is above the previous target {pb}"),
                    "target balances that never increase",
                );
            }
        }
        out.push((d, b));
    }
    out
}

/// `expected` of an unknown base: every spelling of [`Base`].
fn bases() -> String {
    one_of(&Base::ALL.map(Base::name))
}

pub(super) fn base(ctx: &mut Ctx, path: &str, s: &str, tranches: &Names) -> Option<Base> {
    if let Some(b) = Base::ALL
        .into_iter()
        .find(|b| !matches!(b, Base::Tranche(_) | Base::InterestPaid(_)) && b.name() == s)
    {
        return Some(b);
    }
    if let Some(name) = s.strip_prefix("interest_paid:") {
        return Some(Base::InterestPaid(tranches.resolve(
            ctx,
            path,
            name.trim(),
        )?));
    }
    match s.strip_prefix("tranche:") {
        Some(name) => Some(Base::Tranche(tranches.resolve(ctx, path, name.trim())?)),
        None => {
            ctx.err(path, format!("unknown base `{s}`"), bases());
            None
        }
    }
}

pub(super) fn fees(
    ctx: &mut Ctx,
    raw: &[schema::Fee],
    tranches: &Names,
    periods: &[PeriodDates],
    closing: NaiveDate,
) -> (Vec<Fee>, Names) {
    // A one-off fee without `date` is due on the first (adjusted) payment date. A date counts
    // from the first payment date paid or scheduled on or after it, and an `end` stops the
    // fee once a date is paid and scheduled after it (`PeriodDates::reached`, `past`): the
    // latest date any payment date reaches, and the earliest an `end` may be.
    let first_payment = periods.first().map(|p| p.date());
    let last_payment = periods.last().map(PeriodDates::latest);
    let first_bound = periods.first().map(PeriodDates::earliest);
    let mut names = Names::new("fee");
    let mut out = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let p = format!("fees[{i}]");
        ctx.name(&format!("{p}.name"), &f.name);
        names.add(ctx, &format!("{p}.name"), &f.name, i);
        let keys = [
            ("amount", f.amount.is_some()),
            ("rate", f.rate.is_some()),
            ("base", f.base.is_some()),
            ("date", f.date.is_some()),
        ];
        let (allowed, what): (&[&str], &str) = match f.kind {
            schema::FeeKind::Fixed => (&["amount", "cap", "start", "end"], "a `fixed` fee"),
            schema::FeeKind::Annual => (&["amount", "date", "cap", "end"], "an `annual` fee"),
            schema::FeeKind::AnnualRate => (
                &["rate", "base", "cap", "start", "end"],
                "an `annual_rate` fee",
            ),
            schema::FeeKind::OneOff => (&["amount", "date", "cap"], "a `one_off` fee"),
        };
        forbid(
            ctx,
            &p,
            &keys,
            allowed,
            &["name", "kind", "cap_per_period", "cap_total"],
            what,
        );
        let amount = |ctx: &mut Ctx| match f.amount {
            Some(a) => Some(ctx.money(&format!("{p}.amount"), a, Sign::Positive)),
            None => {
                missing(ctx, &format!("{p}.amount"), what, "amount = 50000");
                None
            }
        };
        // The errors of the fee's own dates and values: one fee, one error (review 28c item 5:
        // a date after the last payment date also tripped the catch-all below).
        let before = ctx.error_count();
        let kind = match f.kind {
            schema::FeeKind::Fixed => amount(ctx).map(FeeKind::Fixed),
            schema::FeeKind::Annual => {
                let amount = amount(ctx);
                let first = match f.date {
                    Some(d) => {
                        let path = format!("{p}.date");
                        let d = due_date(
                            ctx,
                            &path,
                            d,
                            last_payment,
                            ("annual fee's first due date", "charged"),
                        );
                        if d < closing {
                            // Review 28a item 4: the first payment date charges every due
                            // date since, silently (a backlog may be meant, a year typo not).
                            let years = periods.first().map_or(0, |p| {
                                crate::deal::annual_dates_on(d, std::slice::from_ref(p), 0)
                            });
                            // A backlog the output tables cannot hold is an error here, not
                            // a failure to write `fees.parquet` after the run (review 29a
                            // item 2).
                            let backlog = amount.map(|a| a * Decimal::from(years));
                            if let Some(b) = backlog.filter(|b| *b >= MAX_TABLE_MONEY) {
                                ctx.err(
                                    &format!("{p}.amount"),
                                    format!(
                                        "the first payment date charges {years} years' amounts \
                                         of this annual fee at once (its first due date {d} is \
                                         before the closing date {closing}): {b:.2} yuan, more \
                                         than the output tables hold (below 10^16 yuan)"
                                    ),
                                    "a smaller amount (yuan, not fen), or a first due date \
                                     closer to the closing date",
                                );
                            } else if years >= 2 {
                                // One year's amount on the first date is what a date at
                                // closing charges too (review 28c item 8): only a backlog is
                                // told.
                                ctx.warn(
                                    Check::FeeBeforeClosing,
                                    &path,
                                    format!(
                                        "annual fee's first due date {d} is before the closing \
                                         date {closing}: the first payment date charges {years} \
                                         years' amounts at once; the first anniversary of \
                                         closing is the default"
                                    ),
                                );
                            }
                        }
                        Some(d)
                    }
                    // The first anniversary of the closing date: the first year's fee is
                    // usually paid at issue, outside the waterfall.
                    None => {
                        let d = add_months(closing, 12, false);
                        if let (Some(d), Some(last)) = (d, last_payment)
                            && d > last
                        {
                            ctx.err(
                                &format!("{p}.kind"),
                                format!(
                                    "an annual fee without `date` first falls due on the first \
                                     anniversary of closing, {d}, after the last payment date \
                                     {last}; it would never be charged"
                                ),
                                "a `date` on or before the last payment date, or a `one_off` \
                                 fee for an amount paid once",
                            );
                        }
                        d
                    }
                };
                match (amount, first) {
                    (Some(amount), Some(first)) => Some(FeeKind::Annual { amount, first }),
                    _ => None,
                }
            }
            schema::FeeKind::AnnualRate => {
                let b = match &f.base {
                    Some(b) => base(ctx, &format!("{p}.base"), b, tranches),
                    None => {
                        missing(ctx, &format!("{p}.base"), what, &bases());
                        None
                    }
                };
                // On a flow base a share of the date's amount, not a year's rate (review 40c
                // F7: 1.5 on `interest_paid:A` was "150% a year"); below 1 either way.
                let rp = format!("{p}.rate");
                let rate = match f.rate {
                    Some(r) if b.is_some_and(Base::is_flow) => {
                        Some(match ctx.rate_places(&rp, r) {
                            true => ctx.fraction(&rp, r, false),
                            false => r,
                        })
                    }
                    Some(r) => Some(ctx.annual_rate(&rp, r, Sign::NonNegative)),
                    None => {
                        missing(ctx, &rp, what, "rate = 0.001");
                        None
                    }
                };
                match (rate, b) {
                    (Some(rate), Some(base)) => Some(FeeKind::AnnualRate { rate, base }),
                    _ => None,
                }
            }
            schema::FeeKind::OneOff => {
                let amount = amount(ctx);
                let date = match f.date {
                    Some(d) => Some(due_date(
                        ctx,
                        &format!("{p}.date"),
                        d,
                        last_payment,
                        ("one-off fee date", "paid"),
                    )),
                    None => first_payment,
                };
                match (amount, date) {
                    (Some(amount), Some(date)) => Some(FeeKind::OneOff { amount, date }),
                    _ => None,
                }
            }
        };
        let cap_per_period = f
            .cap_per_period
            .map(|c| ctx.money(&format!("{p}.cap_per_period"), c, Sign::NonNegative));
        let cap_total = f
            .cap_total
            .map(|c| ctx.money(&format!("{p}.cap_total"), c, Sign::NonNegative));
        let cap = f
            .cap
            .map(|c| ctx.money(&format!("{p}.cap"), c, Sign::NonNegative));
        let (start, end) = super::fees::fee_dates(ctx, &p, f, first_bound, last_payment);
        if let Some(kind) = kind {
            let fee = Fee {
                name: f.name.clone(),
                kind,
                cap_per_period,
                cap_total,
                cap,
                start,
                end,
            };
            // Any other way to a fee no date charges (review 28a item 3: an annual fee due
            // on 2025-01-15 and ending 2025-01-20, with no payment date between).
            if ctx.error_count() == before && !periods.is_empty() && !fee.ever_charged(periods) {
                let key = if end.is_some() { "end" } else { "kind" };
                let (problem, expected) = match (&fee.kind, end) {
                    (FeeKind::Annual { first, .. }, Some(e)) => (
                        format!(
                            "the annual fee first falls due on {first} and ends on {e}: no \
                             payment date reaches a due date before the end; it would never \
                             be charged"
                        ),
                        "an end on or after the first payment date on or after the first due \
                         date",
                    ),
                    _ => (
                        format!(
                            "no payment date falls where fee `{}` is due and runs; it would \
                             never be charged",
                            f.name
                        ),
                        "a start, end or date with a payment date between them",
                    ),
                };
                ctx.err(&format!("{p}.{key}"), problem, expected);
            }
            out.push(fee);
        }
    }
    (out, names)
}

/// A fee's `date` at `path`: an error when no payment date reaches it, `what` naming the date
/// and `verb` what would never happen to the fee.
fn due_date(
    ctx: &mut Ctx,
    path: &str,
    d: schema::Date,
    last_payment: Option<NaiveDate>,
    (what, verb): (&str, &str),
) -> NaiveDate {
    let d = ctx.date(path, d);
    if let Some(last) = last_payment
        && d > last
    {
        ctx.err(
            path,
            format!("{what} {d} is after the last payment date {last}; it would never be {verb}"),
            "a date on or before the last payment date",
        );
    }
    d
}

pub(super) fn taxes(ctx: &mut Ctx, raw: &[schema::Tax], tranches: &Names) -> (Vec<Tax>, Names) {
    let mut names = Names::new("tax");
    let mut out = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let p = format!("taxes[{i}]");
        ctx.name(&format!("{p}.name"), &t.name);
        names.add(ctx, &format!("{p}.name"), &t.name, i);
        let rate = ctx.fraction(&format!("{p}.rate"), t.rate, false);
        if rate.is_zero() {
            ctx.err(
                &format!("{p}.rate"),
                "tax rate is zero",
                "a fraction above 0 and below 1, e.g. 0.0326 for 3.26%",
            );
        }
        let base = base(ctx, &format!("{p}.base"), &t.base, tranches);
        if let Some(Base::InterestPaid(_)) = base {
            ctx.err(
                &format!("{p}.base"),
                "a tax cannot be based on interest paid",
                "interest_collections, collections or a balance base",
            );
        }
        if let Some(base) = base {
            out.push(Tax {
                name: t.name.clone(),
                rate,
                base,
            });
        }
    }
    (out, names)
}

fn cover(c: schema::Cover) -> Cover {
    match c {
        schema::Cover::Taxes => Cover::Taxes,
        schema::Cover::Fees => Cover::Fees,
        schema::Cover::SeniorInterest => Cover::SeniorInterest,
        schema::Cover::SeniorPrincipal => Cover::SeniorPrincipal,
        schema::Cover::MezzanineInterest => Cover::MezzanineInterest,
        schema::Cover::MezzaninePrincipal => Cover::MezzaninePrincipal,
    }
}

pub(super) fn covers(ctx: &mut Ctx, path: &str, list: &[schema::Cover]) -> Vec<Cover> {
    if list.is_empty() {
        ctx.err(
            path,
            "`covers` is empty",
            format!("at least {}", one_of(&Cover::ALL.map(Cover::name))),
        );
    }
    let mut out: Vec<Cover> = Vec::with_capacity(list.len());
    for (i, &c) in list.iter().enumerate() {
        let c = cover(c);
        if out.contains(&c) {
            ctx.err(
                &format!("{path}[{i}]"),
                format!("`{}` is listed twice", c.name()),
                "each item at most once",
            );
        } else {
            out.push(c);
        }
    }
    out
}

/// Largest reserve `target_multiple` accepted.
const MAX_RESERVE_MULTIPLE: u32 = 100;

pub(super) fn reserve(
    ctx: &mut Ctx,
    r: &schema::Reserve,
    tranches: &Names,
    h: &Header,
) -> Option<Reserve> {
    let target = match (r.target, r.target_multiple) {
        _ if r.formula.is_some() => {
            if r.target.is_some() || r.target_multiple.is_some() {
                ctx.key_err(
                    "reserve.formula",
                    "both a formula and target (or target_multiple) are given",
                    "one of target, target_multiple or formula",
                );
            }
            r.formula
                .as_ref()
                .and_then(|f| super::reserve::formula(ctx, "reserve.formula", f, tranches))
                .map(ReserveTarget::Formula)
        }
        (Some(t), None) => Some(ReserveTarget::Fixed(ctx.money(
            "reserve.target",
            t,
            Sign::NonNegative,
        ))),
        (None, Some(m)) => {
            let m = ctx.number("reserve.target_multiple", m, Sign::NonNegative);
            if m > Decimal::from(MAX_RESERVE_MULTIPLE) {
                ctx.err(
                    "reserve.target_multiple",
                    format!("target_multiple {m} is absurd: the reserve would hold {m} times a period's senior interest and fees"),
                    format!("a multiple between 0 and {MAX_RESERVE_MULTIPLE}, e.g. 1.0"),
                );
            }
            Some(ReserveTarget::SeniorInterestAndFees(m))
        }
        (Some(_), Some(_)) => {
            ctx.key_err(
                "reserve.target_multiple",
                "both target and target_multiple are given",
                "either a fixed `target` or a `target_multiple`, not both",
            );
            None
        }
        (None, None) => {
            ctx.err(
                "reserve.target",
                "missing `target` (or `target_multiple`)",
                "either target = 2000000 or target_multiple = 1.0 (or a formula, \
                 docs/deal-format.md)",
            );
            None
        }
    };
    let initial = r.initial.map_or(Decimal::ZERO, |v| {
        ctx.money("reserve.initial", v, Sign::NonNegative)
    });
    let covers = match &r.covers {
        Some(list) => covers(ctx, "reserve.covers", list),
        None => vec![Cover::Taxes, Cover::Fees, Cover::SeniorInterest],
    };
    let step_down = r
        .step_down
        .as_ref()
        .and_then(|s| super::reserve::step_down(ctx, s, tranches, h));
    if r.step_down.is_some() && step_down.is_none() {
        return None;
    }
    Some(Reserve {
        target: target?,
        initial,
        covers,
        step_down,
        after_due_principal: r.balances == Some(schema::ReserveBalances::AfterDuePrincipal),
    })
}

pub(super) fn supports(ctx: &mut Ctx, raw: &[schema::Support]) -> (Vec<Support>, Names) {
    let mut names = Names::new("support");
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let p = format!("supports[{i}]");
        ctx.name(&format!("{p}.name"), &s.name);
        names.add(ctx, &format!("{p}.name"), &s.name, i);
        if s.provider.trim().is_empty() {
            ctx.err(
                &format!("{p}.provider"),
                "the provider is empty",
                "the support provider's name",
            );
        }
        let kind = match s.kind {
            schema::SupportKind::ShortfallUndertaking => SupportKind::ShortfallUndertaking,
            schema::SupportKind::Guarantee => SupportKind::Guarantee,
            schema::SupportKind::AssetGuarantee => SupportKind::AssetGuarantee,
        };
        let cp = format!("{p}.covers");
        let covers = match (kind, &s.covers) {
            (SupportKind::AssetGuarantee, None) => Vec::new(),
            (SupportKind::AssetGuarantee, Some(_)) => {
                ctx.key_err(
                    &cp,
                    "`covers` does not apply to an asset guarantee: it pays the pool's defaulted \
                     principal (担保代偿), whatever the tranches are short",
                    "no `covers`; a `guarantee` or `shortfall_undertaking` covers tranche items",
                );
                Vec::new()
            }
            (_, Some(list)) => covers(ctx, &cp, list),
            // Copied from the backed support (`backed_supports`).
            (_, None) if s.backs.is_some() => Vec::new(),
            (_, None) => {
                missing(
                    ctx,
                    &cp,
                    "a support",
                    "covers = [\"senior_interest\", \"senior_principal\"]",
                );
                Vec::new()
            }
        };
        if kind == SupportKind::AssetGuarantee {
            if s.waterfalls.is_some() {
                ctx.key_err(
                    &format!("{p}.waterfalls"),
                    "`waterfalls` does not apply to an asset guarantee: it pays the defaults \
                     before any waterfall runs",
                    "no `waterfalls`",
                );
            }
            if let Some(j) = raw[..i]
                .iter()
                .position(|x| x.kind == schema::SupportKind::AssetGuarantee)
            {
                ctx.err(
                    &format!("{p}.kind"),
                    format!("a second asset guarantee (supports[{j}] is one)"),
                    "one asset guarantee of the pool",
                );
            }
        }
        out.push(Support {
            name: s.name.clone(),
            provider: s.provider.clone(),
            kind,
            covers,
            cap_per_period: s
                .cap_per_period
                .map(|c| ctx.money(&format!("{p}.cap_per_period"), c, Sign::NonNegative)),
            cap_total: s
                .cap_total
                .map(|c| ctx.money(&format!("{p}.cap_total"), c, Sign::NonNegative)),
            // Resolved once the waterfalls are known (`super::accounts::support_waterfalls`).
            waterfalls: None,
            backs: None,
            // Resolved once the obligors are known (`support_obligors`).
            fails_with: None,
            tags: provider_tags(ctx, raw, i),
            // 0.9999 runs, but is a slip (review 36b): warned as an asset's rate.
            interest_rate: s.interest_rate.map(|r| {
                crate::validate::checks::annual_rate_in_range(
                    ctx,
                    &format!("{p}.interest_rate"),
                    r,
                    "interest_rate",
                )
            }),
            revolving_cap: s.revolving_cap.unwrap_or(false),
        });
        facility_keys(ctx, s, &p, kind);
    }
    backed_supports(ctx, raw, &mut out, &names);
    (out, names)
}

/// `interest_rate` and `revolving_cap` (a liquidity facility's terms, since session 36, review
/// 35c G4): not for an asset guarantee, which is repaid by the recoveries; `revolving_cap`
/// restores a `cap_total`, so it needs one.
fn facility_keys(ctx: &mut Ctx, s: &schema::Support, p: &str, kind: SupportKind) {
    if kind == SupportKind::AssetGuarantee {
        for (key, set) in [
            ("interest_rate", s.interest_rate.is_some()),
            ("revolving_cap", s.revolving_cap.is_some()),
        ] {
            if set {
                ctx.key_err(
                    &format!("{p}.{key}"),
                    format!(
                        "`{key}` does not apply to an asset guarantee: the recoveries repay \
                         what it paid (代位追偿), with no interest and no cap restored"
                    ),
                    "a `shortfall_undertaking` or `guarantee` (a liquidity facility), or no \
                     such key",
                );
            }
        }
    } else if s.revolving_cap == Some(true) && s.cap_total.is_none() {
        ctx.key_err(
            &format!("{p}.revolving_cap"),
            "`revolving_cap` restores `cap_total` by the repayments, and this support has no \
             `cap_total`",
            "a `cap_total` (the facility's limit), or no `revolving_cap`",
        );
    }
}

/// The tags a provider's credit may have: `rating` or `pd`, and the correlations' `region`
/// and `industry` (docs/rating.md §7).
const PROVIDER_TAGS: [&str; 4] = ["rating", "pd", "region", "industry"];

/// `supports[i].tags`: the provider's credit (since session 35, review 35c G1). One of
/// `rating` and `pd` (a PD table label is checked by `rate`, whose scenario file may replace
/// the table), optional `region` and `industry`, nothing else; the supports of one provider
/// (equal `provider`, trimmed) carry one credit, so a second support's tags, if any, equal the
/// first's.
fn provider_tags(ctx: &mut Ctx, raw: &[schema::Support], i: usize) -> BTreeMap<String, String> {
    let s = &raw[i];
    let Some(tags) = &s.tags else {
        return BTreeMap::new();
    };
    let p = format!("supports[{i}].tags");
    let mut ok = true;
    for (k, v) in tags {
        if !PROVIDER_TAGS.contains(&k.as_str()) {
            ctx.key_err(
                &format!("{p}.{k}"),
                format!("unknown provider tag `{k}`"),
                "rating or pd (the provider's credit), region, industry",
            );
            ok = false;
        } else if v.trim().is_empty() {
            ctx.err(
                &format!("{p}.{k}"),
                format!("the `{k}` tag is empty"),
                "a value",
            );
            ok = false;
        }
    }
    match (tags.get("rating"), tags.get("pd")) {
        (Some(_), Some(_)) => {
            ctx.err(
                &format!("{p}.pd"),
                "the provider has both a `rating` and a `pd` tag",
                "one of them",
            );
            ok = false;
        }
        // A misspelt `rating` is told as such, not as a missing credit too.
        (None, None) if ok => {
            ctx.err(
                &p,
                "the provider's tags give no credit",
                "a `rating` tag (a label of the PD table, e.g. rating = \"AA+\") or a `pd` \
                 tag (its cumulative default probability over the deal's term, e.g. pd = \
                 \"0.002\")",
            );
            ok = false;
        }
        (None, Some(v)) if !v.trim().parse::<f64>().is_ok_and(|x| x > 0.0 && x <= 1.0) => {
            ctx.err(
                &format!("{p}.pd"),
                format!("the provider has pd `{v}`"),
                "a cumulative default probability over the deal's term, 0 < pd ≤ 1, written \
                 as a string, e.g. pd = \"0.002\"",
            );
            ok = false;
        }
        _ => {}
    }
    // One provider, one credit.
    // Trimmed, and a `pd` as its number (review 35d item F6: "0.2" and "0.20" disagreed).
    let trimmed = |t: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        t.iter()
            .map(|(k, v)| {
                let v = v.trim();
                let v = match v.parse::<Decimal>() {
                    Ok(d) if k == "pd" => d.normalize().to_string(),
                    _ => v.to_string(),
                };
                (k.clone(), v)
            })
            .collect()
    };
    if let Some((j, first)) = raw[..i].iter().enumerate().find_map(|(j, x)| {
        x.tags
            .as_ref()
            .filter(|_| x.provider.trim() == s.provider.trim())
            .map(|t| (j, t))
    }) && trimmed(first) != trimmed(tags)
    {
        ctx.err(
            &p,
            format!(
                "support `{}` gives its provider `{}` other tags than supports[{j}] `{}` does",
                s.name,
                s.provider.trim(),
                raw[j].name
            ),
            "the same tags on every support of one provider (its one credit), or tags on one \
             of them only",
        );
        ok = false;
    }
    if ok { trimmed(tags) } else { BTreeMap::new() }
}

/// `fails_with`: the obligor whose default by name the support's failure goes with (since
/// session 32, review 32c item 1: a supply-chain plan's 差额支付承诺人 is the core debtor's
/// parent).
pub(super) fn support_obligors(
    ctx: &mut Ctx,
    raw: &[schema::Support],
    out: &mut [Support],
    (names, obligors): (&Names, &[crate::deal::Obligor]),
) {
    for (i, s) in raw.iter().enumerate() {
        if let (Some(name), Some(sup)) = (&s.fails_with, out.get_mut(i)) {
            let path = format!("supports[{i}].fails_with");
            // An obligor group's name (review 33f item L3: told only as an unknown obligor).
            let members: Vec<&str> = obligors
                .iter()
                .filter(|o| o.group() == Some(name.trim()))
                .map(|o| o.name.as_str())
                .collect();
            if names.get(name).is_none() && !members.is_empty() {
                ctx.err(
                    &path,
                    format!("`{name}` is an obligor group, not an obligor"),
                    format!(
                        "one of its obligors, e.g. fails_with = \"{}\": a group's obligors \
                         default together, so the support fails with any of them",
                        members[0]
                    ),
                );
                continue;
            }
            sup.fails_with = names.resolve(ctx, &path, name);
        }
    }
}

/// `backs`: a support that guarantees another's obligation (review 26d item M3: a second
/// support added to the first instead of sharing its cap). It takes the backed support's
/// `covers` (its waterfalls: `support_waterfalls`); the backed support is neither an asset
/// guarantee nor a backing support itself, and a support backs another, not itself.
fn backed_supports(ctx: &mut Ctx, raw: &[schema::Support], out: &mut [Support], names: &Names) {
    for (i, s) in raw.iter().enumerate() {
        let Some(name) = &s.backs else {
            continue;
        };
        let p = format!("supports[{i}]");
        let bp = format!("{p}.backs");
        let Some(b) = names.resolve(ctx, &bp, name) else {
            continue;
        };
        if b == i {
            ctx.err(
                &bp,
                "a support backs itself",
                "the name of another [[supports]] entry",
            );
            continue;
        }
        if out[i].kind == SupportKind::AssetGuarantee || out[b].kind == SupportKind::AssetGuarantee
        {
            ctx.err(
                &bp,
                "an asset guarantee neither backs nor is backed: it pays the pool's defaults",
                "`backs` between supports with `covers` (a guarantee of a 差额支付承诺)",
            );
            continue;
        }
        if raw[b].backs.is_some() {
            ctx.err(
                &bp,
                format!("`{name}` backs another support itself: backing does not chain"),
                "the support that pays first",
            );
            continue;
        }
        for (key, given) in [
            ("covers", s.covers.is_some()),
            ("waterfalls", s.waterfalls.is_some()),
        ] {
            if given {
                ctx.key_err(
                    &format!("{p}.{key}"),
                    format!("a support that backs `{name}` takes its `{key}`"),
                    format!("no `{key}` here (they are `{name}`'s)"),
                );
            }
        }
        out[i].covers = out[b].covers.clone();
        out[i].backs = Some(b);
    }
}

/// `interest_at_maturity` (到期一次还本付息, since session 32, review 32c item 5): a bullet
/// senior or mezzanine tranche only; a subordinated tranche's coupon is its 期间收益 cap.
fn interest_at_maturity(
    ctx: &mut Ctx,
    p: &str,
    t: &schema::Tranche,
    class: TrancheClass,
    amortization: &Amortization,
) -> bool {
    if t.interest_at_maturity != Some(true) {
        return false;
    }
    let path = format!("{p}.interest_at_maturity");
    if !matches!(amortization, Amortization::Bullet) {
        ctx.err(
            &path,
            format!(
                "tranche `{}` pays interest at maturity but its amortization is `{}`: interest \
                 falls due with a bullet's principal",
                t.name,
                amortization.name()
            ),
            "amortization = \"bullet\" (到期一次还本付息), or no interest_at_maturity",
        );
        return false;
    }
    if class == TrancheClass::Subordinated {
        ctx.err(
            &path,
            format!(
                "tranche `{}` is subordinated: its coupon is the cap of a periodic return \
                 (期间收益), paid by `pay_sub_return`",
                t.name
            ),
            "a senior or mezzanine tranche",
        );
        return false;
    }
    true
}

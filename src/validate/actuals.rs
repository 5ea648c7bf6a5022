//! Validates an actuals file against its deal (docs/auditing.md).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::spans::join_key;
use super::{Ctx, Names, Sign};
use crate::actuals::{ActualPeriod, Actuals, Collections};
use crate::deal::Deal;
use crate::error::Check;
use crate::schema;

/// Builds the actuals; `None` when an error was reported.
pub(super) fn build(ctx: &mut Ctx, raw: &schema::ActualsFile, deal: &Deal) -> Option<Actuals> {
    let before = ctx.error_count();
    if let Some(a) = &raw.actuals
        && let Some(name) = &a.deal
        && *name != deal.name
    {
        ctx.err(
            "actuals.deal",
            format!(
                "the actuals are for deal `{name}`, but the deal file is `{}`",
                deal.name
            ),
            format!("deal = \"{}\" (or no `deal` key)", deal.name),
        );
    }
    if raw.periods.is_empty() {
        ctx.err(
            "",
            "the file has no [[periods]]",
            "one [[periods]] table per past payment date, from period 1 (docs/auditing.md)",
        );
        return None;
    }
    let t = Tables::of(deal);
    let out: Vec<ActualPeriod> = (0..raw.periods.len())
        .map(|i| period(ctx, raw, i, deal, &t))
        .collect();
    // Only a file without errors is rolled forward: a period with an error has no index.
    if ctx.error_count() == before {
        roll_forward(ctx, raw, deal, &out);
        tranches_repaid(ctx, raw, deal, &out);
    }
    (ctx.error_count() == before).then_some(Actuals {
        periods: out,
        warnings: Vec::new(),
    })
}

/// The names an actuals period's keys resolve against, built once per file.
struct Tables {
    taxes: Names,
    fees: Names,
    supports: Names,
    tranches: Names,
    obligors: Names,
    triggers: Names,
}

impl Tables {
    fn of(deal: &Deal) -> Tables {
        let names = |what: &'static str, v: Vec<&str>| Names::from_list(what, v.into_iter());
        Tables {
            taxes: names("tax", deal.taxes.iter().map(|t| t.name.as_str()).collect()),
            fees: names("fee", deal.fees.iter().map(|t| t.name.as_str()).collect()),
            supports: names(
                "support",
                deal.supports.iter().map(|t| t.name.as_str()).collect(),
            ),
            tranches: names(
                "tranche",
                deal.tranches.iter().map(|t| t.name.as_str()).collect(),
            ),
            obligors: names(
                "obligor",
                deal.obligors.iter().map(|t| t.name.as_str()).collect(),
            ),
            triggers: names(
                "trigger",
                deal.triggers.iter().map(|t| t.name.as_str()).collect(),
            ),
        }
    }
}

/// The repayment lines of a period (`support_repaid`, `support_interest`; since session 36):
/// an asset guarantee is repaid by the recoveries (代位追偿), never by a `repay_support` step,
/// and interest is paid only on a support with an `interest_rate`.
fn repayment_lines(
    ctx: &mut Ctx,
    deal: &Deal,
    key: &dyn Fn(&str) -> String,
    (repaid, interest): (&[Option<Decimal>], &[Option<Decimal>]),
) {
    for (s, sup) in deal.supports.iter().enumerate() {
        let asset = sup.kind == crate::deal::SupportKind::AssetGuarantee;
        if asset && repaid.get(s).copied().flatten().is_some() {
            ctx.err(
                &join_key(&key("support_repaid"), &sup.name),
                format!(
                    "`{}` is an asset guarantee: the recoveries repay what it paid (代位追偿), \
                     not a repay_support step",
                    sup.name
                ),
                "the name of a shortfall_undertaking or guarantee",
            );
        }
        let paid = interest.get(s).copied().flatten();
        if paid.is_some_and(|x| x > Decimal::ZERO) && sup.interest_rate.is_none() {
            ctx.err(
                &join_key(&key("support_interest"), &sup.name),
                format!(
                    "support `{}` has no interest_rate: it bears no interest",
                    sup.name
                ),
                "a support with an `interest_rate` in the deal, or 0",
            );
        }
    }
}

/// `periods[i]` of the actuals file: its index among the deal's periods ([`period_index`]),
/// its payment date ([`payment_date`]), its collections ([`period_collections`]), the amounts
/// it reports paid and the triggers it reports tripped (split from [`build`], review 35a: 331
/// lines).
fn period(
    ctx: &mut Ctx,
    raw: &schema::ActualsFile,
    i: usize,
    deal: &Deal,
    tables: &Tables,
) -> ActualPeriod {
    let p = &raw.periods[i];
    let at = format!("periods[{i}]");
    let key = |k: &str| format!("{at}.{k}");
    let index = period_index(ctx, raw, i, deal.periods.len());
    payment_date(ctx, p, &key("payment_date"), index, deal);
    let (total, per_obligor) = period_collections(ctx, &at, p, deal, &tables.obligors);
    let amounts = |ctx: &mut Ctx, what: &str, table: &Names, m: &BTreeMap<String, Decimal>| {
        let mut v: Vec<Option<Decimal>> = Vec::new();
        let mut out = Vec::new();
        for (name, &x) in m {
            let path = join_key(&key(what), name);
            let x = ctx.money(&path, x, Sign::NonNegative);
            if let Some(ix) = table.resolve(ctx, &path, name) {
                out.push((ix, x));
            }
        }
        for (ix, x) in out {
            if ix >= v.len() {
                v.resize(ix + 1, None);
            }
            v[ix] = Some(x);
        }
        v
    };
    let mut tax = amounts(ctx, "taxes", &tables.taxes, &p.taxes);
    tax.resize(deal.taxes.len(), None);
    let mut fee = amounts(ctx, "fees", &tables.fees, &p.fees);
    fee.resize(deal.fees.len(), None);
    let mut support = amounts(ctx, "supports", &tables.supports, &p.supports);
    support.resize(deal.supports.len(), None);
    let mut support_repaid = amounts(ctx, "support_repaid", &tables.supports, &p.support_repaid);
    support_repaid.resize(deal.supports.len(), None);
    let mut support_interest = amounts(
        ctx,
        "support_interest",
        &tables.supports,
        &p.support_interest,
    );
    support_interest.resize(deal.supports.len(), None);
    repayment_lines(ctx, deal, &key, (&support_repaid, &support_interest));
    let reserve_draws = p
        .reserve_draws
        .map(|x| ctx.money(&key("reserve_draws"), x, Sign::NonNegative));
    // A reserve the deal does not have (review 26a item M3: it was created out of the
    // restatement account). A zero is a line stated as not applicable.
    if deal.reserve.is_none() {
        let given = [
            ("reserve_draws", p.reserve_draws),
            (
                "accounts.reserve",
                p.accounts.as_ref().and_then(|a| a.reserve),
            ),
        ];
        for (k, x) in given {
            if x.is_some_and(|x| !x.is_zero()) {
                ctx.err(
                    &key(k),
                    format!(
                        "the deal has no [reserve], yet period {} reports one",
                        p.period
                    ),
                    "no reserve figures (or 0) for a deal without a [reserve]",
                );
            }
        }
    }
    let nt = deal.tranches.len();
    let (mut interest, mut principal, mut residual) =
        (vec![None; nt], vec![None; nt], vec![None; nt]);
    let mut per_100 = vec![[None, None]; nt];
    for (name, t) in &p.tranches {
        let tp = join_key(&key("tranches"), name);
        let Some(ix) = tables.tranches.resolve(ctx, &tp, name) else {
            continue;
        };
        let mut m = |k: &str, v: Option<Decimal>| {
            v.map(|x| ctx.money(&format!("{tp}.{k}"), x, Sign::NonNegative))
        };
        interest[ix] = m("interest", t.interest);
        principal[ix] = m("principal", t.principal);
        residual[ix] = m("residual", t.residual);
        for (part, (k, v)) in [
            ("interest_per_100", t.interest_per_100),
            ("principal_per_100", t.principal_per_100),
        ]
        .into_iter()
        .enumerate()
        {
            let principal = part == 1;
            per_100[ix][part] =
                v.map(|x| figure(ctx, &format!("{tp}.{k}"), x, deal, (ix, principal)));
        }
    }
    let (collection_balance, reserve_balance) = match &p.accounts {
        None => (None, None),
        Some(a) => (
            a.collection
                .map(|x| ctx.money(&key("accounts.collection"), x, Sign::NonNegative)),
            a.reserve
                .map(|x| ctx.money(&key("accounts.reserve"), x, Sign::NonNegative)),
        ),
    };
    let trig = p.triggers.as_ref().map(|list| {
        let mut v = Vec::new();
        for (j, name) in list.iter().enumerate() {
            let path = format!("{at}.triggers[{j}]");
            if let Some(ix) = tables.triggers.resolve(ctx, &path, name) {
                if v.contains(&ix) {
                    ctx.err(
                        &path,
                        format!("trigger `{name}` is listed twice"),
                        "each tripped trigger at most once",
                    );
                } else {
                    v.push(ix);
                }
            }
        }
        v.sort_unstable();
        v
    });
    ActualPeriod {
        index: index.unwrap_or(0),
        pool_location: ctx.src.location(&if p.pool.is_some() {
            key("pool")
        } else {
            at.clone()
        }),
        pool: total,
        obligor_locations: obligor_locations(ctx, &at, p, deal, per_obligor.is_some()),
        obligors: per_obligor,
        taxes: tax,
        fees: fee,
        supports: support,
        support_repaid,
        support_interest,
        reserve_draws,
        interest,
        principal,
        residual,
        per_100,
        collection_balance,
        reserve_balance,
        triggers: trig,
    }
}

/// A tranche's published principal figures per 100 that add up past 100, the whole face: figures
/// to date (累计) typed for the date's own (review 48d F3: 45.6455, then 79.4842, then 100 went
/// in silence, where amounts get this warning); an `actuals_tranche` warning at the figure
/// that passes it, once per tranche.
fn figures_past_the_face(
    ctx: &mut Ctx,
    raw: &schema::ActualsFile,
    deal: &Deal,
    periods: &[ActualPeriod],
) {
    for (t, tranche) in deal.tranches.iter().enumerate() {
        let mut sum = Decimal::ZERO;
        for (i, (a, p)) in periods.iter().zip(&raw.periods).enumerate() {
            let Some(f) = a.per_100[t][1] else {
                continue;
            };
            sum += f;
            if sum > Decimal::ONE_HUNDRED {
                let Some(name) = p.tranches.keys().find(|k| *k == &tranche.name) else {
                    break;
                };
                let tp = join_key(&format!("periods[{i}].tranches"), name);
                ctx.warn(
                    Check::ActualsTranche,
                    &format!("{tp}.principal_per_100"),
                    format!(
                        "period {}: tranche {}'s published principal figures per 100 add up to \
                         {} with this one ({}), above 100, the whole face: figures to date \
                         (累计) typed for the date's own? Each date's figure is what that date \
                         redeems",
                        a.index + 1,
                        tranche.name,
                        sum.normalize(),
                        f.normalize()
                    ),
                );
                break;
            }
        }
    }
}

/// A payment notice's figure per 100 yuan of face as published (`interest_per_100`,
/// `principal_per_100` of tranche `t`, the latter when `principal`, at `path`): exact, 0 or more, at most the deal's
/// `[notices] decimals` places, of a tranche that has notices (a whole number of units of
/// face); a principal figure at most 100 (the whole face), an interest figure below 10,000
/// and told above 100 as an amount in yuan typed for the figure (docs/auditing.md).
fn figure(
    ctx: &mut Ctx,
    path: &str,
    v: Decimal,
    deal: &Deal,
    (t, principal): (usize, bool),
) -> Decimal {
    if !ctx.exact(path, v) {
        return v;
    }
    let rules = &deal.notices;
    let tranche = &deal.tranches[t];
    let places = v.normalize().scale();
    let hundred = Decimal::ONE_HUNDRED;
    if v.is_sign_negative() && !v.is_zero() {
        ctx.err(
            path,
            format!("figure per 100 {v} is negative"),
            "a figure per 100 yuan of face of 0 or more, as the payment notice states it",
        );
    } else if places > rules.decimals {
        ctx.err(
            path,
            format!(
                "figure per 100 {} has {places} decimal places; the deal's payment notices state \
                 {} (`[notices] decimals`)",
                v.normalize(),
                rules.decimals
            ),
            format!(
                "at most {} decimal places, as the notice states the figure; or set `[notices] \
                 decimals` in the deal to the notices' places",
                rules.decimals
            ),
        );
    } else if rules.face <= Decimal::ZERO || !(tranche.balance % rules.face).is_zero() {
        ctx.err(
            path,
            format!(
                "tranche `{}` has no payment notices: its balance {} is not a whole number of \
                 units of `[notices] face` {}",
                tranche.name, tranche.balance, rules.face
            ),
            "figures per 100 only for a tranche with notices (state its amounts as `interest` \
             and `principal` in yuan)",
        );
    } else if principal && v > hundred {
        ctx.err(
            path,
            format!(
                "principal per 100 yuan of face {v} is above 100, the whole face: an amount in \
                 yuan typed for the figure?"
            ),
            "at most 100 (每百元本金); an amount in yuan goes in `principal`",
        );
    } else if v >= Decimal::from(10_000) {
        // 100 times the face: beyond any notice, and an amount in yuan (review 48d U2: 10^9
        // passed, and the write failed on what it paid).
        ctx.err(
            path,
            format!("figure per 100 {v} is too large: 100 times the face or more"),
            "a figure per 100 yuan of face below 10000, as the payment notice states it (an \
             amount in yuan goes in `interest`)",
        );
    } else if v > hundred {
        ctx.warn(
            Check::ActualsTranche,
            path,
            format!(
                "interest per 100 yuan of face {v} is above 100, more than the whole face in one \
                 date's interest: an amount in yuan typed for the figure? An amount in yuan goes \
                 in `interest`"
            ),
        );
    }
    v
}

/// The index of `periods[i]` among the deal's `n` periods; None after an error.
fn period_index(ctx: &mut Ctx, raw: &schema::ActualsFile, i: usize, n: usize) -> Option<usize> {
    let p = &raw.periods[i];
    let key = |k: &str| format!("periods[{i}].{k}");
    // Period number: 1..=n, in order from 1 without gaps. A period is in its place when it
    // is its position's (i + 1) or the one after the period before it, so that one period
    // left out is one error (review 30b item 6: each later period was told it left out the
    // one before it) and one period mistyped is one error too (review 30c item 4).
    let prev = i.checked_sub(1).map(|j| raw.periods[j].period);
    let in_place =
        p.period == i as i64 + 1 || prev.is_some_and(|x| p.period == x.saturating_add(1));
    let want = if in_place {
        p.period
    } else {
        prev.map_or(1, |x| x.saturating_add(1)).min(i as i64 + 1)
    };
    if p.period < 1 || p.period > n as i64 {
        ctx.err(
            &key("period"),
            format!("the deal has no period {}", p.period),
            format!("a period from 1 to {n} (the deal's payment dates)"),
        );
        None
    } else if p.period != want {
        // Out of order: the period its place in the file calls for; left out: the one
        // the file skipped.
        let (problem, expected) = if i > 0 && p.period <= raw.periods[i - 1].period {
            (
                format!(
                    "period {} comes after period {}: periods out of order or repeated",
                    p.period,
                    raw.periods[i - 1].period
                ),
                i as i64 + 1,
            )
        } else {
            (
                format!("period {} leaves out period {want}", p.period),
                want,
            )
        };
        ctx.err(
            &key("period"),
            problem,
            format!("period = {expected}: the periods in order from 1, without gaps"),
        );
        None
    } else {
        Some((p.period - 1) as usize)
    }
}

/// A period's `payment_date` at `path`: the date the deal pays period `index` on (its paid
/// date, adjusted), else an error naming what the date is.
fn payment_date(
    ctx: &mut Ctx,
    p: &schema::ActualPeriod,
    path: &str,
    index: Option<usize>,
    deal: &Deal,
) {
    let date = ctx.date(path, p.payment_date);
    if let Some(k) = index {
        let pd = deal.periods[k];
        if date != pd.date() {
            let other = if pd.payment.unadjusted == date {
                format!(
                    " (it is the period's scheduled date; an actuals file gives the date it \
                     was paid, {})",
                    pd.date()
                )
            } else {
                deal.periods
                    .iter()
                    .find(|q| q.date() == date)
                    .map(|q| format!(" (it is the date of period {})", q.number))
                    .unwrap_or_else(|| " (not a payment date of the deal)".to_string())
            };
            ctx.err(
                path,
                format!(
                    "{date} is not the payment date of period {}{other}",
                    pd.number
                ),
                format!("payment_date = {}", pd.date()),
            );
        }
    }
}

/// Where each of `deal`'s obligors is in period `p` at `at` (empty when it is not there);
/// none when the period gives no obligors (`given`).
fn obligor_locations(
    ctx: &Ctx,
    at: &str,
    p: &schema::ActualPeriod,
    deal: &Deal,
    given: bool,
) -> Vec<String> {
    if !given {
        return Vec::new();
    }
    obligor_entries(p, deal)
        .into_iter()
        .map(|j| {
            j.map_or_else(String::new, |j| {
                ctx.src.location(&format!("{at}.obligors[{j}]"))
            })
        })
        .collect()
}

/// For each obligor of the deal, the index of its entry in the period's `[[periods.obligors]]`
/// (the first, when a name is listed twice, which is an error), from one pass over them: a
/// search per obligor costs the square of a large pool's size.
fn obligor_entries(p: &schema::ActualPeriod, deal: &Deal) -> Vec<Option<usize>> {
    let mut entry: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(p.obligors.len());
    for (j, r) in p.obligors.iter().enumerate() {
        entry.entry(r.name.as_str()).or_insert(j);
    }
    deal.obligors
        .iter()
        .map(|o| entry.get(o.name.as_str()).copied())
        .collect()
}

/// A period's collections at `at`: its pool table, its obligors' (each named once), and the
/// total the run takes (the obligors' sum, which a pool table given too must equal).
fn period_collections(
    ctx: &mut Ctx,
    at: &str,
    p: &schema::ActualPeriod,
    deal: &Deal,
    obligors: &Names,
) -> (Collections, Option<Vec<Collections>>) {
    let key = |k: &str| format!("{at}.{k}");
    // Collections.
    let pool = p.pool.as_ref().map(|c| {
        collections(
            ctx,
            &key("pool"),
            (c.principal, c.interest),
            [c.prepayments, c.defaults, c.recoveries],
            c.balance_end,
        )
    });
    let per_obligor = if p.obligors.is_empty() {
        None
    } else {
        let mut v = vec![Collections::default(); deal.obligors.len()];
        let mut seen = vec![false; deal.obligors.len()];
        for (j, o) in p.obligors.iter().enumerate() {
            let op = format!("{at}.obligors[{j}]");
            let c = collections(
                ctx,
                &op,
                (o.principal, o.interest),
                [o.prepayments, o.defaults, o.recoveries],
                o.balance_end,
            );
            if let Some(x) = obligors.resolve(ctx, &format!("{op}.name"), &o.name) {
                if seen[x] {
                    ctx.err(
                        &format!("{op}.name"),
                        format!(
                            "obligor `{}` is listed twice in period {}",
                            o.name, p.period
                        ),
                        "each obligor at most once per period",
                    );
                }
                seen[x] = true;
                v[x] = c;
            }
        }
        Some(v)
    };
    let total = match (&pool, &per_obligor) {
        (None, None) => {
            ctx.err(
                at,
                format!("period {} has no collections", p.period),
                "a [periods.pool] table (principal, interest, …) or [[periods.obligors]]",
            );
            Collections::default()
        }
        (Some(c), None) => *c,
        (pool, Some(v)) => {
            let mut t = Collections {
                balance_end: Some(Decimal::ZERO),
                ..Collections::default()
            };
            v.iter().for_each(|c| t.add(c));
            if let Some(c) = pool {
                let same = c.principal == t.principal
                    && c.interest == t.interest
                    && c.prepayments == t.prepayments
                    && c.defaults == t.defaults
                    && c.recoveries == t.recoveries
                    && (c.balance_end.is_none()
                        || t.balance_end.is_none()
                        || c.balance_end == t.balance_end);
                if !same {
                    // The obligors' sums beside the pool's figures, `balance_end` included
                    // (review 43d F3: the error listed the sums alone, equal to the line).
                    let pair = |name: &str, pool: Decimal, sum: Decimal| {
                        format!("{name} {} (obligors {})", pool.normalize(), sum.normalize())
                    };
                    let mut parts = vec![
                        pair("principal", c.principal, t.principal),
                        pair("interest", c.interest, t.interest),
                        pair("prepayments", c.prepayments, t.prepayments),
                        pair("defaults", c.defaults, t.defaults),
                        pair("recoveries", c.recoveries, t.recoveries),
                    ];
                    if let (Some(pb), Some(ob)) = (c.balance_end, t.balance_end) {
                        parts.push(pair("balance_end", pb, ob));
                    }
                    ctx.err(
                        &key("pool"),
                        format!(
                            "the pool totals of period {} differ from the sum of its obligors: {}",
                            p.period,
                            parts.join(", ")
                        ),
                        "pool totals equal to the sum of [[periods.obligors]], or only one \
                         of the two",
                    );
                }
                t.balance_end = c.balance_end.or(t.balance_end);
            }
            t
        }
    };
    (total, per_obligor)
}

/// The reported pool, period after period, from the cutoff balance (docs/auditing.md): a
/// period without `balance_end` must not take the balance below zero (an error); a reported
/// `balance_end` other than the start less principal, prepayments and defaults, and recoveries
/// beyond the defaults reported so far (told at the first such period), are `actuals_pool`
/// warnings. Not for a revolving deal,
/// whose purchases the report does not state.
/// Warns (`actuals_tranche`) where a tranche's reported principal, added up over the reported
/// periods, passes its initial balance: no waterfall can pay it, and the restatement caps it
/// at the balance left. Told once per tranche, at the first such period.
fn tranches_repaid(
    ctx: &mut Ctx,
    raw: &schema::ActualsFile,
    deal: &Deal,
    periods: &[ActualPeriod],
) {
    tranches_left_out(ctx, raw, deal, periods);
    figures_past_the_face(ctx, raw, deal, periods);
    for (t, tranche) in deal.tranches.iter().enumerate() {
        let mut repaid = Decimal::ZERO;
        // Every date so far reported its principal: what is left is known.
        let mut complete = true;
        for (i, (a, p)) in periods.iter().zip(&raw.periods).enumerate() {
            let Some(paid) = a.principal[t] else {
                complete = false;
                continue;
            };
            repaid += paid;
            if complete
                && let Some(tick) = off_tick(deal, tranche.balance, tranche.balance - repaid)
                && let Some(name) = p.tranches.keys().find(|k| *k == &tranche.name)
            {
                // With `per_unit`, a balance no figure per 100 can redeem (review 43e F2: a
                // principal reported a fen over left 695.99 the last date could not pay, and
                // the subordinated tranche's steps, waiting for it, never ran). Told once.
                let tp = join_key(&format!("periods[{i}].tranches"), name);
                ctx.warn(
                    Check::ActualsTranche,
                    &format!("{tp}.principal"),
                    format!(
                        "period {}: with per_unit notices, tranche {}'s reported principal {} \
                         leaves {} of its balance, which no figure per 100 can redeem (each \
                         redeems a multiple of {} yuan): its last date would leave the rest \
                         unpaid, and the steps that wait for its repayment would not run; check \
                         the figure (a fen over?)",
                        a.index + 1,
                        tranche.name,
                        paid.normalize(),
                        (tranche.balance - repaid).normalize(),
                        tick.normalize()
                    ),
                );
                break;
            }
            if repaid > tranche.balance {
                // The key as written in the file (a tranche name may need quotes).
                let Some(name) = p.tranches.keys().find(|k| *k == &tranche.name) else {
                    break;
                };
                let tp = join_key(&format!("periods[{i}].tranches"), name);
                ctx.warn(
                    Check::ActualsTranche,
                    &format!("{tp}.principal"),
                    format!(
                        "period {}: tranche {}'s reported principal {} brings what it has \
                         repaid to {}, above its initial balance {}; the restatement pays at \
                         most the balance left",
                        a.index + 1,
                        tranche.name,
                        paid.normalize(),
                        repaid.normalize(),
                        tranche.balance.normalize()
                    ),
                );
                break;
            }
        }
    }
}

/// `100 × 10^decimals` of the deal's notices: one tick of a figure per 100 (10^−decimals per
/// 100 yuan of face) pays `initial / scale` on a tranche of `initial`.
fn figure_scale(deal: &Deal) -> Option<Decimal> {
    Some(Decimal::ONE_HUNDRED * Decimal::from(10u64.checked_pow(deal.notices.decimals)?))
}

/// With `[notices] per_unit`, the amount one tick of a figure per 100 pays on a tranche of
/// `initial` (`initial / (100 × 10^decimals)`), when `left` (> 0) is not a whole number of
/// such ticks; None otherwise (docs/auditing.md, "per_unit").
fn off_tick(deal: &Deal, initial: Decimal, left: Decimal) -> Option<Decimal> {
    let rules = deal.notices;
    if !rules.per_unit || left <= Decimal::ZERO || initial <= Decimal::ZERO {
        return None;
    }
    let scale = figure_scale(deal)?;
    // `left × 100 × 10^d / initial` must be whole.
    let ticks = left.checked_mul(scale)?.checked_div(initial)?;
    (ticks.fract() != Decimal::ZERO).then(|| initial / scale)
}

/// A period that reports a tranche and leaves out a more senior one that is not yet repaid
/// (by the principal reported so far): that tranche's payments on the date are not compared,
/// and the waterfall's stand for them (review 26a item M4: a senior left out reconciled with
/// exit 0). A transcription slip, most likely; told once per period, at its `tranches` table.
/// A report of the senior tranches alone, common when the subordinated one is held
/// privately, is not told (review 26c item M2).
fn tranches_left_out(
    ctx: &mut Ctx,
    raw: &schema::ActualsFile,
    deal: &Deal,
    periods: &[ActualPeriod],
) {
    let mut repaid = vec![Decimal::ZERO; deal.tranches.len()];
    // What the dates stated by a principal figure may have paid beyond it: a figure is cut to
    // the notices' places, so each such date one tick (balance / 100 × 10^−decimals) at most
    // (review 48f item 3: A repaid with a figure on its first date was 0.50 short for ever).
    let mut slack = vec![Decimal::ZERO; deal.tranches.len()];
    let tick = |t: usize| {
        figure_scale(deal).map_or(Decimal::ZERO, |scale| deal.tranches[t].balance / scale)
    };
    // The first period (number) that reported a tranche.
    let mut reported_before: Option<usize> = None;
    for (i, (a, p)) in periods.iter().zip(&raw.periods).enumerate() {
        // A tranche stated by its published figures per 100 alone is reported too (review 48d
        // F1: such a date was told as reporting no tranche, and `--strict` refused it).
        let reported = |t: usize| {
            a.interest[t].is_some()
                || a.principal[t].is_some()
                || a.residual[t].is_some()
                || a.per_100[t].iter().any(Option::is_some)
        };
        let outstanding: Vec<&str> = deal
            .tranches
            .iter()
            .enumerate()
            .filter(|&(t, tr)| repaid[t] + slack[t] < tr.balance)
            .map(|(_, tr)| tr.name.as_str())
            .collect();
        // No tranche at all, where an earlier period reported some and the figures so far
        // leave some outstanding: the whole block left out (review 38b item 5: exit 0 and no
        // word, where one senior left out is told below).
        if let Some(first) = reported_before
            && (0..deal.tranches.len()).all(|t| !reported(t))
            && !outstanding.is_empty()
        {
            ctx.warn(
                Check::ActualsTranche,
                &format!("periods[{i}]"),
                format!(
                    "period {} reports no tranche, where period {first} did, and {} {} \
                     outstanding by the figures reported so far: no payment to the tranches \
                     on this date is compared, and the waterfall's stand for them",
                    a.index + 1,
                    outstanding.join(", "),
                    if outstanding.len() == 1 { "is" } else { "are" }
                ),
            );
        }
        if reported_before.is_none() && (0..deal.tranches.len()).any(reported) {
            reported_before = Some(a.index + 1);
        }
        // Tranches are in order of seniority: those before the most junior one reported.
        if let Some(last) = (0..deal.tranches.len()).rev().find(|&t| reported(t)) {
            let missing: Vec<&str> = deal.tranches[..last]
                .iter()
                .enumerate()
                .filter(|&(t, tr)| !reported(t) && repaid[t] + slack[t] < tr.balance)
                .map(|(_, tr)| tr.name.as_str())
                .collect();
            if !missing.is_empty() {
                let listed: Vec<&str> = p.tranches.keys().map(String::as_str).collect();
                ctx.warn(
                    Check::ActualsTranche,
                    &format!("periods[{i}].tranches"),
                    format!(
                        "period {} reports tranche(s) {} but not {}, which the figures reported \
                         so far leave outstanding: {} payments on this date are not compared, \
                         and the waterfall's stand for them",
                        a.index + 1,
                        listed.join(", "),
                        missing.join(", "),
                        if missing.len() == 1 { "its" } else { "their" }
                    ),
                );
            }
        }
        for (t, r) in repaid.iter_mut().enumerate() {
            *r += repaid_on(deal, a, t).unwrap_or_default();
            if a.principal[t].is_none() && a.per_100[t][1].is_some() {
                slack[t] += tick(t);
            }
        }
    }
}

/// Tranche `t`'s principal reported on period `a`: the amount, else what its published
/// principal figure per 100 redeems (`figure × initial balance / 100`, exact); None when it
/// states neither.
fn repaid_on(deal: &Deal, a: &ActualPeriod, t: usize) -> Option<Decimal> {
    a.principal[t]
        .or_else(|| a.per_100[t][1].map(|f| f * deal.tranches[t].balance / Decimal::ONE_HUNDRED))
}

fn roll_forward(ctx: &mut Ctx, raw: &schema::ActualsFile, deal: &Deal, periods: &[ActualPeriod]) {
    if deal.revolving.is_some() {
        return;
    }
    let mut balance = deal.pool_balance();
    let (mut defaults, mut recoveries) = (Decimal::ZERO, Decimal::ZERO);
    // Recoveries beyond the defaults are told once, at the first period where they are.
    let mut recoveries_told = false;
    // After a period whose figures take the balance below zero, the balance is not known
    // until a period reports its `balance_end`: a later period is not an error of its own
    // (review 29a item 5: one slip made two errors).
    let mut known = true;
    // Each obligor's balance, from its cutoff balance, while the periods give the obligors
    // (review 43d F2: an obligor's `balance_end` was never rolled forward, and one that did not
    // add up became a silent loss or gain in the projection rebased on it).
    let mut obligor_balance =
        ObligorBalances::Known(deal.obligors.iter().map(|o| o.balance()).collect());
    // Each obligor's defaults and recoveries so far, while every period gives the obligors.
    let mut obligor_history = Some(vec![ObligorHistory::default(); deal.obligors.len()]);
    for (i, (a, p)) in periods.iter().zip(&raw.periods).enumerate() {
        let c = &a.pool;
        // Where the pool's figures are: its table, else the period (obligors only).
        let at = if p.pool.is_some() {
            format!("periods[{i}].pool")
        } else {
            format!("periods[{i}]")
        };
        let key = |k: &str| match &p.pool {
            Some(_) => format!("{at}.{k}"),
            None => at.clone(),
        };
        let rolled = balance - c.fall();
        let number = a.index + 1;
        // The obligors', each at its key; the pool's then only where its own table states it
        // (the sum of the obligors' is told obligor by obligor).
        let known_before = matches!(obligor_balance, ObligorBalances::Known(_));
        let entries = if a.obligors.is_some() {
            obligor_entries(p, deal)
        } else {
            Vec::new()
        };
        let obligor_sum = obligors_roll_forward(ctx, (i, &entries), deal, a, &mut obligor_balance);
        obligor_lines(ctx, (i, &entries), deal, a, &mut obligor_history);
        // The pool's own check, where the obligors' cannot tell it: a period of pool totals,
        // or one whose obligors' balances at its start are not known (after pool totals).
        // Otherwise each obligor is checked, and a pool table's balance must be their sum.
        let pool_table_end = p.pool.as_ref().and_then(|t| t.balance_end);
        let pool_stated = p.obligors.is_empty() || !known_before;
        if let (Some(end), Some(sum), true) = (pool_table_end, obligor_sum, known_before)
            && end != sum
        {
            ctx.err(
                &key("balance_end"),
                format!(
                    "period {number}: the pool's balance_end {} is not the sum of its obligors' \
                     balances, {} (each its reported balance_end, else its start less its \
                     principal, prepayments and defaults)",
                    end.normalize(),
                    sum.normalize()
                ),
                "each obligor's balance_end stated, or the pool's left out",
            );
        }
        match c.balance_end.filter(|_| pool_stated) {
            // With the obligors known, each is checked instead (one slip, one error).
            None if rolled < Decimal::ZERO && known && pool_stated => ctx.err(
                &at,
                format!(
                    "period {number}: the pool's performing balance would fall below zero: {} at \
                     the start, less principal {}, prepayments {} and defaults {}",
                    balance.normalize(),
                    c.principal.normalize(),
                    c.prepayments.normalize(),
                    c.defaults.normalize()
                ),
                "amounts within the balance at the start of the period, or `balance_end`",
            ),
            Some(end) if end != rolled => ctx.warn(
                Check::ActualsPool,
                &key("balance_end"),
                format!(
                    "period {number}: balance_end {} is not the start {} less principal {}, \
                     prepayments {} and defaults {} (= {}); {} of the balance is not explained \
                     by the report, and the projection after the last actual date is rebased \
                     on it",
                    end.normalize(),
                    balance.normalize(),
                    c.principal.normalize(),
                    c.prepayments.normalize(),
                    c.defaults.normalize(),
                    rolled.normalize(),
                    (rolled - end).normalize()
                ),
            ),
            _ => {}
        }
        defaults += c.defaults;
        recoveries += c.recoveries;
        // While every period so far gives the obligors, each obligor's recoveries above its
        // own defaults are told at its line ([`obligor_lines`]), and the pool's cannot exceed
        // its defaults without one of them doing so: the pool's check is for the rest (review
        // 44e F12: the same recoveries were told twice; review 45c item 2: telling the
        // obligor's only while the pool's stayed within its defaults lost a second obligor's).
        if recoveries > defaults && !recoveries_told && obligor_history.is_none() {
            recoveries_told = true;
            ctx.warn(
                Check::ActualsPool,
                &key("recoveries"),
                format!(
                    "period {number}: recoveries reported so far, {}, exceed the defaults \
                     reported so far, {}",
                    recoveries.normalize(),
                    defaults.normalize()
                ),
            );
        }
        known = c.balance_end.is_some() || (known && rolled >= Decimal::ZERO);
        balance = c
            .balance_end
            .or(obligor_sum)
            .unwrap_or(rolled.max(Decimal::ZERO));
    }
}

/// One obligor's reported defaults and recoveries so far, and whether its recoveries above
/// them were told.
#[derive(Debug, Clone, Copy, Default)]
struct ObligorHistory {
    defaults: Decimal,
    recoveries: Decimal,
    told: bool,
}

/// The lines of period `i`'s obligors that the obligor's own history makes impossible, each
/// an `actuals_pool` warning at the line (review 44c F9: typed on another obligor's row, they
/// were silent), while every period so far gives the obligors: recoveries above the defaults
/// the obligor reported so far, once per obligor (asked as "put on another obligor's row?"
/// when another obligor has reported defaults, else as recoveries with no default), and
/// interest from an obligor whose defaults reported on earlier dates reach its cutoff balance
/// (defaulted in full).
fn obligor_lines(
    ctx: &mut Ctx,
    (i, entries): (usize, &[Option<usize>]),
    deal: &Deal,
    a: &ActualPeriod,
    history: &mut Option<Vec<ObligorHistory>>,
) {
    let (Some(list), Some(seen)) = (&a.obligors, history.as_mut()) else {
        *history = None;
        return;
    };
    // Defaulted in full on an earlier date: its cash is recoveries, not interest (a repaid
    // obligor may pay interest after its principal: a schedule's own row, late or penalty
    // interest; review 44e F2). Read before the date's figures join the histories.
    let defaulted_before: Vec<bool> = seen
        .iter()
        .zip(&deal.obligors)
        .map(|(h, ob)| h.defaults > Decimal::ZERO && h.defaults >= ob.balance())
        .collect();
    for (h, o) in seen.iter_mut().zip(list) {
        h.defaults += o.defaults;
        h.recoveries += o.recoveries;
    }
    let all_defaults: Decimal = seen.iter().map(|h| h.defaults).sum();
    for (x, o) in list.iter().enumerate() {
        let h = &mut seen[x];
        let defaulted_before = defaulted_before[x];
        let name = &deal.obligors[x].name;
        let Some(j) = entries.get(x).copied().flatten() else {
            continue;
        };
        if defaulted_before && o.interest > Decimal::ZERO {
            ctx.warn(
                Check::ActualsPool,
                &format!("periods[{i}].obligors[{j}].interest"),
                format!(
                    "period {}: obligor `{name}` is reported paying interest {} after defaulting \
                     in full on an earlier date ({} of defaults reported): put on another \
                     obligor's row? A defaulted obligor's cash is `recoveries`",
                    a.index + 1,
                    o.interest.normalize(),
                    h.defaults.normalize()
                ),
            );
        }
        // Told at the period that makes them exceed, at the obligor's `recoveries` there.
        if h.recoveries > h.defaults && !h.told && o.recoveries > Decimal::ZERO {
            h.told = true;
            let ask = if all_defaults > h.defaults {
                ": recoveries put on another obligor's row?"
            } else if h.defaults.is_zero() {
                ", and no obligor has reported a default: recoveries with no default, or a \
                 default left out?"
            } else {
                ", and no other obligor has reported a default: a default understated, or \
                 recoveries overstated?"
            };
            ctx.warn(
                Check::ActualsPool,
                &format!("periods[{i}].obligors[{j}].recoveries"),
                format!(
                    "period {}: obligor `{name}`'s recoveries reported so far, {}, exceed its \
                     own defaults reported so far, {}{ask}",
                    a.index + 1,
                    h.recoveries.normalize(),
                    h.defaults.normalize(),
                ),
            );
        }
    }
}

/// What the roll forward knows of the obligors' balances (docs/auditing.md).
enum ObligorBalances {
    /// Each obligor's, from its cutoff balance through periods that list them all.
    Known(Vec<Decimal>),
    /// After a period of pool totals, then one that listed the obligors without every
    /// `balance_end`: the run's are estimates, split from the pool's, not checked here.
    Estimated,
    /// After a period of pool totals.
    Unknown,
}

/// The obligors of period `i` (`a` as read; `entries`, each obligor's entry in the file,
/// [`obligor_entries`]) rolled forward from `balances` (their balances at the period's start,
/// from the cutoff): an `actuals_pool` warning at each
/// obligor's `balance_end` that is not its start less its principal, prepayments and defaults,
/// and an error at an obligor whose figures take it below zero (docs/auditing.md); returns the
/// sum of their balances at the period's end (reported, else rolled) when they are known, and
/// leaves `balances` at them. A period without obligors leaves them unknown; the first period
/// that lists them after one is told once (review 43h F3: it was told at every later one).
fn obligors_roll_forward(
    ctx: &mut Ctx,
    (i, entries): (usize, &[Option<usize>]),
    deal: &Deal,
    a: &ActualPeriod,
    balances: &mut ObligorBalances,
) -> Option<Decimal> {
    let Some(list) = &a.obligors else {
        *balances = ObligorBalances::Unknown;
        return None;
    };
    let stated: Option<Vec<Decimal>> = list.iter().map(|o| o.balance_end).collect();
    let bal = match balances {
        ObligorBalances::Known(bal) => bal,
        ObligorBalances::Unknown => {
            // After pool totals: the obligors' balances at the start are the pool's split by
            // the projection, estimates no obligor's figure is checked against.
            ctx.warn(
                Check::ActualsPool,
                &format!("periods[{i}]"),
                format!(
                    "period {}: its obligors follow a period given in pool totals only, so their \
                     balances at its start are not reported: each is the pool's, split in \
                     proportion to the projection at issue, and rolled forward from there; no \
                     obligor's balance is checked, and the pool's is its own roll forward, {}",
                    a.index + 1,
                    match stated {
                        Some(_) => "before this date, whose obligors all state their balance_end",
                        None => {
                            "until a date states every obligor's balance_end (or report every \
                             period by obligor)"
                        }
                    }
                ),
            );
            *balances = stated.map_or(ObligorBalances::Estimated, ObligorBalances::Known);
            return None;
        }
        ObligorBalances::Estimated => {
            *balances = stated.map_or(ObligorBalances::Estimated, ObligorBalances::Known);
            return None;
        }
    };
    for (x, o) in list.iter().enumerate() {
        let rolled = bal[x] - o.fall();
        let name = &deal.obligors[x].name;
        let j = entries.get(x).copied().flatten();
        // An obligor's figures beyond its balance (review 43g F7: it went negative, and the
        // rest collected negative principal from it).
        if o.balance_end.is_none()
            && rolled < Decimal::ZERO
            && let Some(j) = j
        {
            ctx.err(
                &format!("periods[{i}].obligors[{j}]"),
                format!(
                    "period {}: obligor `{name}`'s performing balance would fall below zero: {} \
                     at the start, less principal {}, prepayments {} and defaults {}",
                    a.index + 1,
                    bal[x].normalize(),
                    o.principal.normalize(),
                    o.prepayments.normalize(),
                    o.defaults.normalize()
                ),
                "amounts within the obligor's balance at the start of the period, or its \
                 `balance_end`",
            );
        }
        if let Some(end) = o.balance_end
            && end != rolled
            && let Some(j) = j
        {
            ctx.warn(
                Check::ActualsPool,
                &format!("periods[{i}].obligors[{j}].balance_end"),
                format!(
                    "period {}: obligor `{name}`: balance_end {} is not its start {} less \
                     principal {}, prepayments {} and defaults {} (= {}); {} of its balance is \
                     not explained by the report, and its projection after the last actual date \
                     is rebased on it",
                    a.index + 1,
                    end.normalize(),
                    bal[x].normalize(),
                    o.principal.normalize(),
                    o.prepayments.normalize(),
                    o.defaults.normalize(),
                    rolled.normalize(),
                    (rolled - end).normalize()
                ),
            );
        }
        bal[x] = o.balance_end.unwrap_or(rolled.max(Decimal::ZERO));
    }
    Some(bal.iter().sum())
}

/// Checks one set of collections at `at`.
fn collections(
    ctx: &mut Ctx,
    at: &str,
    (principal, interest): (Decimal, Decimal),
    [prepayments, defaults, recoveries]: [Option<Decimal>; 3],
    balance_end: Option<Decimal>,
) -> Collections {
    let mut m = |k: &str, v: Decimal| ctx.money(&format!("{at}.{k}"), v, Sign::NonNegative);
    Collections {
        principal: m("principal", principal),
        interest: m("interest", interest),
        prepayments: prepayments.map_or(Decimal::ZERO, |v| m("prepayments", v)),
        defaults: defaults.map_or(Decimal::ZERO, |v| m("defaults", v)),
        recoveries: recoveries.map_or(Decimal::ZERO, |v| m("recoveries", v)),
        balance_end: balance_end.map(|v| m("balance_end", v)),
    }
}

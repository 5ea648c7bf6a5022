//! Obligors and their assets: explicit schedules, generated loan and lease schedules,
//! receivables.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ctx, KeyPaths, Names, Sign, checked_sum, checks, forbid, one_of, parse_or};
use crate::calendar::daycount::DayCount;
use crate::calendar::schedule::Frequency;
use crate::deal::{Asset, AssetKind, GROUP_TAG, Instalment, Obligor};
use crate::error::Check;
use crate::floating::FloatingLoan;
use crate::money::Rounding;
use crate::schedule::amortization::{Accrual, LoanTerms, Repayment, loan_schedule};
use crate::schema;

/// The key path an instalment's date comes from, for messages: shared by the instalments
/// of a generated schedule (one allocation, not one per instalment).
pub(super) type ItemPath = std::rc::Rc<str>;

/// Most instalments a generated schedule may have.
const MAX_TERM: u32 = 600;

/// The deal dates an asset is checked against.
pub(super) struct PoolDates {
    pub cutoff: NaiveDate,
    pub legal: NaiveDate,
    /// False when the deal's own dates are wrong: instalments are then not checked against
    /// the legal maturity.
    pub legal_ok: bool,
    pub day_count: DayCount,
    /// The deal's rounding rule, for generated schedules.
    pub rounding: Rounding,
    /// End of the last collection period, when the periods are valid.
    pub last_collection_end: Option<NaiveDate>,
}

/// The pool's obligors; each raw obligor's name and tags are moved into the validated one.
pub(super) fn obligors(
    ctx: &mut Ctx,
    raw: &mut [schema::Obligor],
    dates: &PoolDates,
) -> (Vec<Obligor>, Names) {
    let mut names = Names::new("obligor");
    let mut out = Vec::with_capacity(raw.len());
    let empty_pool = raw.iter().all(|o| o.assets.is_empty());
    for (i, o) in raw.iter_mut().enumerate() {
        let p = format!("obligors[{i}]");
        let mut keys = KeyPaths::new(&p);
        let name_path = keys.at("name");
        ctx.name(name_path, &o.name);
        names.add(ctx, name_path, &o.name, i);
        if o.assets.is_empty() && !empty_pool {
            ctx.warn(
                Check::ObligorWithoutAssets,
                &p,
                format!("obligor `{}` has no assets", o.name),
            );
        }
        if o.tags.get(GROUP_TAG).is_some_and(|g| g.trim().is_empty()) {
            ctx.err(
                &format!("{p}.tags.{GROUP_TAG}"),
                format!("obligor `{}` has an empty `group` tag", o.name),
                "the name of its obligor group (obligors with equal `group` tags are one credit), \
                 or no `group` tag",
            );
        }
        let built: Vec<(usize, Asset)> = o
            .assets
            .iter()
            .enumerate()
            .filter_map(|(j, a)| Some((j, asset(ctx, keys.at_index("assets", j), a, dates)?)))
            .collect();
        duplicate_assets(ctx, &p, &o.name, &built);
        let assets = built.into_iter().map(|(_, a)| a).collect();
        out.push(Obligor {
            name: std::mem::take(&mut o.name),
            tags: std::mem::take(&mut o.tags),
            assets,
        });
    }
    obligor_groups(ctx, &out);
    correlation_tag_cases(ctx, &out);
    tag_key_near_misses(ctx, &out);
    if empty_pool {
        ctx.err(
            "obligors",
            "empty pool: no obligor has any asset",
            "at least one [[obligors]] with at least one [[obligors.assets]]",
        );
    }
    (out, names)
}

/// An asset of an obligor equal to an earlier one of the same obligor, kind and instalments
/// alike: one contract pasted twice (review 48c: it added 48.9m to a 383.1m pool in silence); a
/// `duplicate_asset` warning at the first such asset, with how many more the obligor has. Two
/// equal contracts of one obligor are `allow`ed.
fn duplicate_assets(ctx: &mut Ctx, p: &str, obligor: &str, built: &[(usize, Asset)]) {
    if built.len() < 2 {
        return;
    }
    // One pass through a map of each asset's first index (review 48e F12: pairwise, a core
    // debtor's 60,000 receivables took 9.8 s to load).
    let mut first: std::collections::HashMap<(AssetKind, &[Instalment]), usize> =
        std::collections::HashMap::with_capacity(built.len());
    // Each asset equal to an earlier one, with that one's index.
    let mut twins: Vec<(usize, usize, &Asset)> = Vec::new();
    for (j, a) in built {
        let twin = *first
            .entry((a.kind, a.instalments.as_slice()))
            .or_insert(*j);
        if twin != *j {
            twins.push((*j, twin, a));
        }
    }
    // Told once per obligor, at the first: equal invoices of one core debtor would otherwise be
    // a warning each.
    let Some(&(j, twin, a)) = twins.first() else {
        return;
    };
    let principal: Decimal = a.instalments.iter().map(|i| i.principal).sum();
    let more = match twins.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more of its assets repeats an earlier one)".to_string(),
        n => format!(" (and {n} more of its assets repeat an earlier one)"),
    };
    ctx.warn(
        Check::DuplicateAsset,
        &format!("{p}.assets[{j}]"),
        format!(
            "asset {} of obligor `{obligor}` is asset {} again (the same kind and instalments, \
             {principal:.2} of principal){more}: pasted twice? Two equal contracts of one \
             obligor are meant with `allow = [\"duplicate_asset\"]`",
            j + 1,
            twin + 1
        ),
    );
}

/// The tag keys `ipabs` reads on an obligor: its credit (`rating`, `pd`), the correlations'
/// `region` and `industry`, and `group`.
const READ_TAGS: [&str; 5] = ["rating", "pd", "region", "industry", GROUP_TAG];

/// A tag key one edit from one `ipabs` reads ([`READ_TAGS`]), not an extension of it, on an
/// obligor without that tag: `regoin` for `region` left a pool with no region and TDR(AAA) fell from 56.59% to
/// 38.33% in silence (review 48c); a `rating_inputs` warning at the key, once per obligor and
/// key.
fn tag_key_near_misses(ctx: &mut Ctx, out: &[Obligor]) {
    for (i, o) in out.iter().enumerate() {
        for key in o.tags.keys() {
            if READ_TAGS.contains(&key.as_str()) {
                continue;
            }
            let Some(meant) = super::names::suggest(key, READ_TAGS.into_iter()) else {
                continue;
            };
            // A typo is one edit (a swap of two letters counts as one), and does not extend the
            // tag: `region_cn`, `industry2` are tags of their own, which a scenario's `overrides`
            // may read (reviews 48e F8, 48f item 6: `ranking` and `reason` were told too).
            if o.tags.contains_key(meant)
                || key.starts_with(meant)
                || super::names::edit_distance(&key.to_lowercase(), meant) > 1
            {
                continue;
            }
            ctx.warn(
                Check::RatingInputs,
                &format!("obligors[{i}].tags.{key}"),
                format!(
                    "obligor `{}` has a tag `{key}`: did you mean `{meant}`? ipabs reads \
                     `{meant}` (docs/deal-format.md, `tags`), not `{key}`",
                    o.name
                ),
            );
        }
    }
}

/// A `region` or `industry` tag whose value differs from an earlier obligor's only in letter
/// case (`Software`, `software`): the correlations (docs/rating.md §3) compare them as written
/// (trimmed), so they are two industries (review 45d item 12: TDR(AAA) moved from 61.1% to
/// 59.1% in silence); a `rating_inputs` warning at the later tag, once per value.
fn correlation_tag_cases(ctx: &mut Ctx, out: &[Obligor]) {
    // Only on a pool rated by the Monte Carlo: the tags drive nothing else.
    let rated = out
        .iter()
        .any(|o| o.tags.contains_key("rating") || o.tags.contains_key("pd"));
    if !rated {
        return;
    }
    for key in ["region", "industry"] {
        let values = out
            .iter()
            .enumerate()
            .filter_map(|(i, o)| Some((i, o.tags.get(key)?.trim())));
        for (i, v, first) in case_twins(values) {
            ctx.warn(
                Check::RatingInputs,
                &format!("obligors[{i}].tags.{key}"),
                format!(
                    "{key} `{v}` of obligor `{}` and {key} `{first}` of an earlier obligor \
                     differ only in letter case: `rate` and `size` take them as two {key} \
                     values, which lowers the correlation between them; is it one?",
                    out[i].name
                ),
            );
        }
    }
}

/// Each `(i, value)` of `values` whose value differs from an earlier one only in letter case,
/// with that earlier spelling: `(i, value, earlier)`, once per spelling (the obligor groups'
/// names and the correlation tags alike).
fn case_twins<'a>(
    values: impl IntoIterator<Item = (usize, &'a str)>,
) -> Vec<(usize, &'a str, &'a str)> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut out: Vec<(usize, &str, &str)> = Vec::new();
    for (i, v) in values {
        match seen.get(&v.to_lowercase()) {
            Some(&first) if first != v && !out.iter().any(|t| t.1 == v) => out.push((i, v, first)),
            Some(_) => {}
            None => {
                seen.insert(v.to_lowercase(), v);
            }
        }
    }
    out
}

/// The located warnings on the pool's obligor groups (docs/rating.md, "Obligor groups"), the
/// groups as the model forms them (`crate::deal::credit_groups_of`): two groups whose names
/// differ only in case (`group_name`), members with different credit tags (`group_credit`),
/// and a group of one obligor (`single_member_group`, with its near miss among the groups of
/// two or more).
fn obligor_groups(ctx: &mut Ctx, out: &[Obligor]) {
    let groups: Vec<(&str, Vec<usize>)> = crate::deal::credit_groups_of(out)
        .into_iter()
        .filter_map(|g| Some((out[g[0]].group()?, g)))
        .collect();
    // Names that differ only in case are two groups (review 33f item L4: said nothing when
    // both had two or more obligors); told at the later group's first obligor.
    for (first_member, g, other) in case_twins(groups.iter().map(|(g, m)| (m[0], *g))) {
        ctx.warn(
            Check::GroupName,
            &format!("obligors[{first_member}].tags.{GROUP_TAG}"),
            format!(
                "obligor group `{g}` and obligor group `{other}` differ only in letter case: \
                 they are two groups, which default apart; is it one group?"
            ),
        );
    }
    for (g, members) in &groups {
        // One credit per group: members whose credit tags differ are refused by `rate` and
        // `size`; told here first (review 33f item L2: `check` said ok). A pd is compared as
        // a number (review 33h item L2: "0.3" and "0.30" are one credit).
        let credit = |i: usize| {
            let t = |k: &str| out[i].tags.get(k).map(|v| v.trim().to_string());
            let pd = t("pd").map(|p| match p.parse::<Decimal>() {
                Ok(x) => x.normalize().to_string(),
                Err(_) => p,
            });
            (t("rating"), pd)
        };
        if let Some(&j) = members.iter().find(|&&j| credit(j) != credit(members[0])) {
            let show = |i: usize| super::credit_tags_text(&out[i].tags);
            ctx.warn(
                Check::GroupCredit,
                &format!("obligors[{j}].tags"),
                format!(
                    "obligor `{}` has {}, but it is in obligor group `{g}` with `{}`, which has \
                     {}: a group is one credit, and `rate` and `size` refuse two; give the group \
                     the weaker credit",
                    out[j].name,
                    show(j),
                    out[members[0]].name,
                    show(members[0])
                ),
            );
        }
        if let [i] = members[..] {
            // The near miss among the groups of two or more (a typo leaves an obligor out of a
            // real group): listing every group grew with the square of the obligors (review
            // 33g item M4), and so did a near miss over every group (review 33h item M2).
            let multi = groups.iter().filter(|(_, m)| m.len() > 1).map(|(k, _)| *k);
            let near = super::names::suggest(g, multi)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            ctx.warn(
                Check::SingleMemberGroup,
                &format!("obligors[{i}].tags.{GROUP_TAG}"),
                format!(
                    "obligor `{}` is the only obligor of group `{g}`{near}: a group is the \
                     obligors with equal `group` tags, which default as one; is the name \
                     misspelt?",
                    out[i].name,
                ),
            );
        }
    }
}

fn kind(k: schema::AssetKind) -> AssetKind {
    match k {
        schema::AssetKind::Licence => AssetKind::Licence,
        schema::AssetKind::Loan => AssetKind::Loan,
        schema::AssetKind::Lease => AssetKind::Lease,
        schema::AssetKind::Receivable => AssetKind::Receivable,
    }
}

const GENERATION_KEYS: [&str; 10] = [
    "balance",
    "rate",
    "start_date",
    "first_payment_date",
    "term",
    "frequency",
    "repayment",
    "growth",
    "accrual",
    "day_count",
];

/// A generated loan's or lease's accrual: `periodic`, or `day_count` under the asset's own
/// `day_count` (review 29b item 5: Chinese loans accrue ACT/360 while the securities count
/// ACT/365F) or, without one, the deal's. A `day_count` without `accrual = "day_count"` is an
/// error: it would change nothing.
pub(super) fn accrual_of(
    ctx: &mut Ctx,
    p: &str,
    (accrual, own): (Option<schema::Accrual>, Option<&str>),
    deal: DayCount,
) -> Accrual {
    let path = format!("{p}.day_count");
    let own = parse_or(
        ctx,
        &path,
        own,
        "day count",
        &DayCount::ALL.map(DayCount::name),
    );
    match accrual {
        Some(schema::Accrual::DayCount) => Accrual::DayCount(own.unwrap_or(deal)),
        _ => {
            if own.is_some() {
                ctx.err(
                    &path,
                    "`day_count` applies to interest accrued by days, and this asset accrues \
                     `periodic` interest (rate ÷ payments per year)",
                    "accrual = \"day_count\" with it, or no day_count",
                );
            }
            Accrual::Periodic
        }
    }
}

fn asset(ctx: &mut Ctx, p: &str, a: &schema::Asset, dates: &PoolDates) -> Option<Asset> {
    let kind = kind(a.kind);
    let keys = [
        ("schedule", a.schedule.is_some()),
        ("balance", a.balance.is_some()),
        ("rate", a.rate.is_some()),
        ("start_date", a.start_date.is_some()),
        ("first_payment_date", a.first_payment_date.is_some()),
        ("term", a.term.is_some()),
        ("frequency", a.frequency.is_some()),
        ("repayment", a.repayment.is_some()),
        ("growth", a.growth.is_some()),
        ("accrual", a.accrual.is_some()),
        ("day_count", a.day_count.is_some()),
        ("prepayable", a.prepayable.is_some()),
        ("amount", a.amount.is_some()),
        ("due_date", a.due_date.is_some()),
    ];
    let allowed: &[&str] = match kind {
        AssetKind::Licence => &["schedule"],
        AssetKind::Loan | AssetKind::Lease => &[
            "schedule",
            "balance",
            "rate",
            "start_date",
            "first_payment_date",
            "term",
            "frequency",
            "repayment",
            "growth",
            "accrual",
            "day_count",
            "prepayable",
        ],
        AssetKind::Receivable => &["amount", "due_date"],
    };
    let what = match kind {
        AssetKind::Licence => "a licence asset",
        AssetKind::Loan => "a loan asset",
        AssetKind::Lease => "a lease asset",
        AssetKind::Receivable => "a receivable asset",
    };
    forbid(ctx, p, &keys, allowed, &["kind"], what);
    if a.floating.is_some() {
        floating_form(ctx, p, a, kind);
    }
    let before = ctx.error_count();
    let mut loan_terms: Option<LoanTerms> = None;

    // Instalments with the key path each one's date comes from, and where to report an
    // asset with nothing after the cutoff.
    let (items, nothing_path, generated): (Vec<(Instalment, ItemPath)>, String, bool) = match kind {
        AssetKind::Licence => match &a.schedule {
            Some(schema::ScheduleSpec::Entries(s)) => (
                explicit(ctx, p, s, kind, true),
                format!("{p}.schedule"),
                false,
            ),
            Some(schema::ScheduleSpec::Generated(g)) => (
                super::fee_schedule::generate(ctx, &format!("{p}.schedule"), g, dates.rounding)?,
                format!("{p}.schedule"),
                true,
            ),
            None => {
                ctx.err(
                    &format!("{p}.schedule"),
                    "missing required key `schedule` for a licence asset",
                    "schedule = [{ date = 2019-12-01, amount = 1000000 }, …]",
                );
                return None;
            }
        },
        AssetKind::Receivable => {
            let amount = match a.amount {
                Some(v) => ctx.money(&format!("{p}.amount"), v, Sign::Positive),
                None => {
                    ctx.err(
                        &format!("{p}.amount"),
                        "missing required key `amount` for a receivable asset",
                        "amount = 5000000",
                    );
                    Decimal::ZERO
                }
            };
            let due_path = format!("{p}.due_date");
            let Some(due) = a.due_date else {
                ctx.err(
                    &due_path,
                    "missing required key `due_date` for a receivable asset",
                    "due_date = 2019-12-31",
                );
                return None;
            };
            let due = ctx.date(&due_path, due);
            let item = Instalment {
                date: due,
                principal: amount,
                interest: Decimal::ZERO,
            };
            (
                vec![(item, ItemPath::from(due_path.as_str()))],
                due_path,
                false,
            )
        }
        AssetKind::Loan | AssetKind::Lease => {
            let generation = keys
                .iter()
                .any(|(k, present)| *present && GENERATION_KEYS.contains(k));
            match (&a.schedule, generation) {
                (Some(_), true) => {
                    ctx.key_err(
                        &format!("{p}.schedule"),
                        format!(
                            "{what} has both an explicit `schedule` and generation keys \
                             (balance, rate, start_date, …)"
                        ),
                        "either `schedule`, or balance, rate, start_date, term and frequency; \
                         not both",
                    );
                    return None;
                }
                (Some(schema::ScheduleSpec::Generated(_)), false) => {
                    ctx.err(
                        &format!("{p}.schedule"),
                        format!(
                            "{what} cannot take a generator table as its `schedule`; it \
                             applies to licence fees"
                        ),
                        "for a loan or lease: balance, rate, start_date, term, frequency and \
                         repayment (or an array of { date, principal, interest } entries)",
                    );
                    return None;
                }
                (Some(schema::ScheduleSpec::Entries(s)), false) => (
                    explicit(ctx, p, s, kind, false),
                    format!("{p}.schedule"),
                    false,
                ),
                (None, true) => {
                    let (items, terms) = generate(ctx, p, a, kind, dates)?;
                    loan_terms = Some(terms);
                    (items, p.to_string(), true)
                }
                (None, false) => {
                    ctx.err(
                        p,
                        format!("{what} has neither a `schedule` nor generation keys"),
                        "schedule = [{ date, principal, interest }, …], or balance, rate, \
                         start_date, term and frequency",
                    );
                    return None;
                }
            }
        }
    };
    if ctx.error_count() > before {
        return None;
    }
    // A licence's fees on or before the cutoff are the originator's and dropped; a loan's or a
    // lease's are the seasoning of an asset that started earlier.
    let licence = kind == AssetKind::Licence;
    let mut instalments = finish(ctx, p, items, (&nothing_path, generated, licence), dates)?;
    // Store every amount at scale 2 (they are whole fen): same-scale sums are the fast path.
    for i in &mut instalments {
        i.principal.rescale(2);
        i.interest.rescale(2);
    }
    let prepayable = a
        .prepayable
        .unwrap_or(matches!(kind, AssetKind::Loan | AssetKind::Lease));
    let mut asset = Asset::new(kind, instalments, prepayable);
    if let (Some(f), Some(terms)) = (&a.floating, loan_terms) {
        let origin = Some(terms.start_date);
        let legal = dates.legal_ok.then_some(dates.legal);
        let rate = super::floating::floating(ctx, &format!("{p}.floating"), f, origin, legal)?;
        // The schedule is rebuilt under the deal's index paths once its `[scenario]` is read
        // (validate::deal); until then it is the one at the provisional rate.
        asset.floating = Some(Box::new(FloatingLoan {
            rate,
            balance: terms.balance,
            start_date: terms.start_date,
            first_payment_date: terms.first_payment_date,
            term: terms.term,
            months_per_period: terms.months_per_period,
            repayment: terms.repayment,
            day_count: match terms.accrual {
                Accrual::Periodic => None,
                Accrual::DayCount(dc) => Some(dc),
            },
            rounding: terms.rounding,
        }));
    }
    Some(asset)
}

/// The keys a floating asset may not have: only a generated loan (any repayment, periodic or
/// day-count accrual) is re-fixed from its terms.
fn floating_form(ctx: &mut Ctx, p: &str, a: &schema::Asset, kind: AssetKind) {
    let fp = format!("{p}.floating");
    let expected = "a generated loan: balance, start_date, term, frequency, repayment and \
                    floating = { index, spread, … } (docs/deal-format.md)";
    if kind != AssetKind::Loan {
        ctx.key_err(
            &fp,
            format!(
                "`floating` applies to loans, not to a {} asset",
                kind.name()
            ),
            expected,
        );
    } else if a.schedule.is_some() {
        ctx.key_err(
            &fp,
            "a floating loan is generated from its terms, not given as a `schedule`",
            expected,
        );
    } else if a.rate.is_some() {
        ctx.key_err(
            &format!("{p}.rate"),
            "both rate and floating are given",
            "either a fixed `rate` or a `floating` rate, not both",
        );
    }
}

/// 100% a year: a schedule's interest split (a licence fee's, say) can be far from a loan's
/// rate, but a 6% rate typed 100 times too large is 600%.
const SCHEDULE_RATE_MAX: Decimal = Decimal::ONE;

/// Warns (`rate_range`) at an entry's `interest` whose rate on the principal still to be
/// repaid (this and the later entries' principal), over the days since the last entry that
/// paid interest, is beyond [`SCHEDULE_RATE_MAX`] a year: a figure typed 100 times too large
/// adds cash to the pool in silence (review 25d item 8: 113 million, 37% of the gdd pool); or,
/// in a schedule with three such rates or more, above 5 times their median and
/// [`OUT_OF_LINE_RATE`], with an interest above 3 times the larger of its nearest neighbours'
/// that pay interest, unless the entry ends a period a mistyped date cut short (`stepped`).
/// The first entry has no previous date here and is not checked.
fn implied_rates(ctx: &mut Ctx, sp: &str, out: &[(Instalment, ItemPath)], stepped: &[usize]) {
    let max = SCHEDULE_RATE_MAX;
    let mut outstanding: Decimal = out.iter().map(|(i, _)| i.principal).sum();
    // (entry, interest, outstanding, days, the rate a year) of the entries with interest. The
    // days run from the last entry that paid interest (the first entry at the start): interest
    // deferred through a grace period and paid at once accrued over all of it (review 46b F1).
    let mut rates: Vec<(usize, Decimal, Decimal, i64, Decimal)> = Vec::new();
    let mut since = out.first().map(|(i, _)| i.date);
    for (k, w) in out.windows(2).enumerate() {
        outstanding -= w[0].0.principal;
        if k > 0 && w[0].0.interest > Decimal::ZERO {
            since = Some(w[0].0.date);
        }
        let e = &w[1].0;
        let days = since.map_or(0, |d| (e.date - d).num_days());
        if outstanding <= Decimal::ZERO || days <= 0 {
            continue;
        }
        let year = Decimal::from(365);
        if e.interest > Decimal::ZERO
            && let Some(rate) = (e.interest * year).checked_div(outstanding * Decimal::from(days))
        {
            rates.push((k + 1, e.interest, outstanding, days, rate));
        }
    }
    let told = |ctx: &mut Ctx,
                (k, interest, outstanding, days, rate): (usize, Decimal, Decimal, i64, Decimal),
                why: String| {
        ctx.warn(
            Check::RateRange,
            &format!("{sp}[{k}].interest"),
            format!(
                "interest {} on the {} of principal still to be repaid, over {days} days, is \
                 {}% a year, {why}",
                interest.normalize(),
                outstanding.normalize(),
                (rate * Decimal::ONE_HUNDRED).round_dp(2).normalize(),
            ),
        );
    };
    // The schedule's median rate, of three entries or more.
    let median = if rates.len() >= 3 {
        super::checks::lower_median(rates.iter().map(|x| x.4).collect())
    } else {
        None
    };
    // The larger interest of the nearest entries before and after entry `k` that pay
    // interest (0 where none): interest paid every other entry is no zero neighbour (review
    // 46d N1).
    let neighbours = |k: usize| {
        let paid =
            |(i, _): &(Instalment, ItemPath)| (i.interest > Decimal::ZERO).then_some(i.interest);
        let before = out[..k].iter().rev().find_map(paid);
        let after = out.get(k + 1..).and_then(|r| r.iter().find_map(paid));
        before
            .unwrap_or(Decimal::ZERO)
            .max(after.unwrap_or(Decimal::ZERO))
    };
    for &x in &rates {
        if x.4 > max {
            let why = format!(
                "beyond {}%: is a figure 100 times too large?",
                super::percent(max)
            );
            told(ctx, x, why);
        } else if let Some(m) = median
            // An entry's rate over a period a mistyped date cut short says nothing more.
            && !stepped.contains(&x.0)
            && x.4 > Decimal::from(5) * m
            && x.4 > OUT_OF_LINE_RATE
            // The amount out of line with its neighbours' too: flat (add-on, 平息) interest is
            // the same each period, its rate on the falling balance rising to many times the
            // first (review 46b F1); an amortising schedule's interest falls, and its median
            // would hide a late entry typed ten times (review 46c F4).
            && x.1 > Decimal::from(3) * neighbours(x.0)
        {
            // Review 45d item 7: kexue's entry with principal and interest swapped was 59.8% a
            // year among entries at 6%, below the 100% bound.
            let why = format!(
                "more than 5 times the schedule's median {}%: a figure typed 10 times too \
                 large, or principal and interest swapped?",
                (m * Decimal::ONE_HUNDRED).round_dp(2).normalize()
            );
            told(ctx, x, why);
        }
    }
}

/// An entry's rate above 5 times its schedule's median is told only above this, 12% a year: a
/// schedule whose interest is small throughout (a licence fee mostly principal) varies more.
const OUT_OF_LINE_RATE: Decimal = Decimal::from_parts(12, 0, 0, false, 2);

/// An explicit schedule. `amount_form` allows `{date, amount}` entries (licences). Its rates
/// are checked by [`implied_rates`], and its dates (`out_of_step`) by
/// `checks::tell_out_of_step`.
fn explicit(
    ctx: &mut Ctx,
    p: &str,
    entries: &[schema::ScheduleEntry],
    kind: AssetKind,
    amount_form: bool,
) -> Vec<(Instalment, ItemPath)> {
    let sp = format!("{p}.schedule");
    let example = if amount_form {
        "entries { date, amount } or { date, principal, interest }"
    } else {
        "entries { date, principal, interest }"
    };
    if entries.is_empty() {
        ctx.err(
            &sp,
            "the schedule is empty",
            format!("at least one of the {example}"),
        );
        return Vec::new();
    }
    let mut out: Vec<(Instalment, ItemPath)> = Vec::with_capacity(entries.len());
    let mut prev: Option<NaiveDate> = None;
    for (i, e) in entries.iter().enumerate() {
        let ep = format!("{sp}[{i}]");
        let dp = format!("{ep}.date");
        let date = ctx.date(&dp, e.date);
        if let Some(pd) = prev
            && date <= pd
        {
            ctx.err(
                &dp,
                format!("date {date} is not after the previous entry's date {pd}"),
                "schedule dates in strictly increasing order",
            );
        }
        prev = Some(date);
        let m = |ctx: &mut Ctx, key: &str, v: Decimal| {
            ctx.money(&format!("{ep}.{key}"), v, Sign::NonNegative)
        };
        let (principal, interest) = match (e.amount, e.principal, e.interest) {
            (Some(a), None, None) if amount_form => (m(ctx, "amount", a), Decimal::ZERO),
            (Some(_), _, _) if !amount_form => {
                ctx.key_err(
                    &format!("{ep}.amount"),
                    format!(
                        "`amount` does not belong to a {} schedule entry",
                        kind.name()
                    ),
                    "`principal` and `interest`",
                );
                continue;
            }
            (Some(_), p, _) => {
                let key = if p.is_some() { "principal" } else { "interest" };
                ctx.key_err(
                    &format!("{ep}.{key}"),
                    format!("`amount` cannot be combined with `{key}`"),
                    "either `amount`, or `principal` and `interest`",
                );
                continue;
            }
            (None, Some(pr), Some(it)) => (m(ctx, "principal", pr), m(ctx, "interest", it)),
            (None, pr, it) => {
                let missing = match (pr, it) {
                    (Some(_), None) => "interest",
                    (None, Some(_)) => "principal",
                    _ if amount_form => "amount",
                    _ => "principal",
                };
                ctx.err(
                    &format!("{ep}.{missing}"),
                    format!("missing required key `{missing}` in a schedule entry"),
                    example.to_string(),
                );
                continue;
            }
        };
        out.push((
            Instalment {
                date,
                principal,
                interest,
            },
            ItemPath::from(dp),
        ));
    }
    if out.len() == entries.len() {
        let dates: Vec<NaiveDate> = out.iter().map(|(i, _)| i.date).collect();
        let mut stepped = Vec::new();
        if dates.windows(2).all(|w| w[0] < w[1]) {
            stepped = super::checks::tell_out_of_step(ctx, &dates, "the entry's date", |k| {
                format!("{sp}[{k}].date")
            });
        }
        implied_rates(ctx, &sp, &out, &stepped);
    }
    let total = checked_sum(
        ctx,
        &sp,
        out.iter().flat_map(|(i, _)| [i.principal, i.interest]),
    );
    if total == Some(Decimal::ZERO) && out.len() == entries.len() {
        ctx.err(
            &sp,
            "every amount in the schedule is zero",
            "at least one entry with a positive amount",
        );
    }
    out
}

/// A generated loan or lease schedule.
fn generate(
    ctx: &mut Ctx,
    p: &str,
    a: &schema::Asset,
    kind: AssetKind,
    dates: &PoolDates,
) -> Option<(Vec<(Instalment, ItemPath)>, LoanTerms)> {
    let before = ctx.error_count();
    // Formatted only for a message.
    let what = || format!("a generated {} schedule", kind.name());
    let need = |ctx: &mut Ctx, key: &str, present: bool, example: &str| {
        if !present {
            ctx.err(
                &format!("{p}.{key}"),
                format!("missing required key `{key}` for {}", what()),
                example.to_string(),
            );
        }
    };
    let mut keys = KeyPaths::new(p);
    need(ctx, "balance", a.balance.is_some(), "balance = 10000000");
    // A floating loan has no `rate`: its schedule is generated at a provisional 0 and rebuilt
    // under the index paths.
    need(
        ctx,
        "rate",
        a.rate.is_some() || a.floating.is_some(),
        "rate = 0.0435",
    );
    need(
        ctx,
        "start_date",
        a.start_date.is_some(),
        "start_date = 2022-04-14",
    );
    need(
        ctx,
        "term",
        a.term.is_some(),
        "term = 12 (number of instalments)",
    );
    need(
        ctx,
        "frequency",
        a.frequency.is_some(),
        &one_of(&Frequency::ALL.map(Frequency::name)),
    );
    if kind == AssetKind::Loan {
        need(
            ctx,
            "repayment",
            a.repayment.is_some(),
            &one_of(&Repayment::ALL.map(Repayment::name)),
        );
    }
    let balance = a
        .balance
        .map(|b| ctx.money(keys.at("balance"), b, Sign::Positive));
    let rate = a
        .rate
        .map(|r| checks::asset_rate_in_range(ctx, keys.at("rate"), r));
    let start = a.start_date.map(|d| ctx.date(keys.at("start_date"), d));
    let first = a
        .first_payment_date
        .map(|d| ctx.date(keys.at("first_payment_date"), d));
    if let Some(s) = start
        && s > dates.cutoff
    {
        // Refused rather than modelled: a loan disbursed after the cutoff would need the pool
        // to pay out its principal on that date (a revolving purchase), docs/deal-format.md.
        ctx.err(
            &format!("{p}.start_date"),
            format!(
                "the {} starts on {s}, after the cutoff date {}; ipabs projects only assets \
                 outstanding at the cutoff",
                kind.name(),
                dates.cutoff
            ),
            "a start date on or before the cutoff date (give a later asset its own deal, or \
             enter its instalments as a `schedule`)",
        );
    }
    if let (Some(s), Some(f)) = (start, first)
        && f <= s
    {
        ctx.err(
            &format!("{p}.first_payment_date"),
            format!("first payment date {f} is not after the start date {s}"),
            "a first payment date after the start date",
        );
    }
    let term = a.term.map(|t| {
        if t == 0 {
            ctx.err(
                &format!("{p}.term"),
                format!("term 0: {} needs at least 1 instalment", what()),
                format!("a number of instalments from 1 to {MAX_TERM}"),
            );
            1
        } else {
            ctx.int_in(keys.at("term"), t, 1, MAX_TERM, "instalments")
        }
    });
    let (frequency, repayment) = frequency_and_repayment(
        ctx,
        p,
        a.frequency.as_deref(),
        (a.repayment.as_deref(), a.growth),
    );
    if a.floating.is_some()
        && let Some(Repayment::StepUp(_)) = repayment
    {
        ctx.err(
            &format!("{p}.repayment"),
            "a floating loan re-amortizes on its remaining balance at each reset; `step_up` \
             (递增租金) applies to a fixed `rate`",
            "repayment = \"level\", \"equal_principal\", \"interest_only\" or \"bullet\" with \
             `floating`, or a fixed `rate` with `step_up`",
        );
    }
    let accrual = accrual_of(ctx, p, (a.accrual, a.day_count.as_deref()), dates.day_count);
    if ctx.error_count() > before {
        return None;
    }
    let terms = LoanTerms {
        balance: balance?,
        annual_rate: if a.floating.is_some() {
            Decimal::ZERO
        } else {
            rate?
        },
        start_date: start?,
        first_payment_date: first,
        term: term?,
        months_per_period: frequency?.months(),
        repayment: repayment?,
        accrual,
        rounding: dates.rounding,
    };
    match loan_schedule(&terms) {
        Ok(schedule) => {
            let tp = ItemPath::from(keys.at("term"));
            Some((
                schedule
                    .into_iter()
                    .map(|i| {
                        (
                            Instalment {
                                date: i.date,
                                principal: i.principal,
                                interest: i.interest,
                            },
                            tp.clone(),
                        )
                    })
                    .collect(),
                terms,
            ))
        }
        Err(e @ crate::schedule::amortization::AmortizationError::StepUpBelowInterest { .. }) => {
            ctx.err(
                &format!("{p}.growth"),
                format!("cannot generate the {} schedule: {e}", kind.name()),
                "a smaller growth, a shorter term or a higher rate (docs/amortization.md)",
            );
            None
        }
        Err(e) => {
            ctx.err(
                p,
                format!("cannot generate the {} schedule: {e}", kind.name()),
                "terms that give a valid schedule (see docs/amortization.md)",
            );
            None
        }
    }
}

/// Checks instalments against the legal maturity, drops those on or before the cutoff (told
/// for a `licence`, whose schedule a date typed a year early shortens: review 45d item 3) and
/// warns about those after the last collection period.
fn finish(
    ctx: &mut Ctx,
    p: &str,
    items: Vec<(Instalment, ItemPath)>,
    (nothing_path, generated, licence): (&str, bool, bool),
    dates: &PoolDates,
) -> Option<Vec<Instalment>> {
    let late: Vec<&(Instalment, ItemPath)> = items
        .iter()
        .filter(|(i, _)| dates.legal_ok && i.date > dates.legal)
        .collect();
    if let Some((first_late, path)) = late.first() {
        let more = match late.len() - 1 {
            0 => String::new(),
            1 => " (and 1 later instalment)".to_string(),
            n => format!(" (and {n} later instalments)"),
        };
        // Every asset past it often means the legal maturity is the mistake (review 48c: one
        // error per obligor, none naming the date to move).
        let expected = if generated {
            "a term that ends on or before the legal maturity (or a later \
             `[deal] legal_maturity`, when that is the date typed wrong)"
        } else {
            "instalments due on or before the legal maturity (or a later \
             `[deal] legal_maturity`, when that is the date typed wrong)"
        };
        ctx.err(
            path,
            format!(
                "instalment due {}{more} is after the legal maturity {}",
                first_late.date, dates.legal
            ),
            expected,
        );
        return None;
    }
    // Sized exactly: a deal keeps this vector (a filtered collect would round its capacity
    // up to a power of two, 64 places for a 36-month loan).
    let after_cutoff = |(i, _): &&(Instalment, ItemPath)| i.date > dates.cutoff;
    let mut kept: Vec<Instalment> = Vec::with_capacity(items.iter().filter(after_cutoff).count());
    kept.extend(items.iter().filter(after_cutoff).map(|(i, _)| *i));
    if kept.is_empty() {
        ctx.err(
            nothing_path,
            format!(
                "every instalment falls on or before the cutoff date {}; the asset has nothing \
                 left to securitize",
                dates.cutoff
            ),
            "at least one instalment due after the cutoff date",
        );
        return None;
    }
    // Told when before the cutoff: a fee due on the cutoff date itself is the usual split
    // between the originator and the deal (docs/deal-format.md's complete example).
    let dropped: Vec<&(Instalment, ItemPath)> = items
        .iter()
        .filter(|(i, _)| i.date < dates.cutoff)
        .collect();
    if licence && let Some((first, path)) = dropped.first() {
        let amount = checked_sum(ctx, p, dropped.iter().map(|(i, _)| i.amount()))?;
        ctx.warn(
            Check::NeverCollected,
            path,
            format!(
                "{} licence instalment(s) totalling {amount}, the first due {}, fall before \
                 the cutoff date {}: they are the originator's, and the deal never collects \
                 them; a date typed a year early?",
                dropped.len(),
                first.date,
                dates.cutoff
            ),
        );
    }
    if let Some(end) = dates.last_collection_end {
        let never: Vec<&Instalment> = kept.iter().filter(|i| i.date > end).collect();
        if let Some(first) = never.first() {
            let path = items
                .iter()
                .find(|(i, _)| i.date == first.date)
                .map_or(p, |(_, path)| path);
            let amount = checked_sum(ctx, p, never.iter().map(|i| i.amount()))?;
            ctx.warn(
                Check::NeverCollected,
                path,
                format!(
                    "{} instalment(s) totalling {amount}, the first due {}, fall after the last \
                     collection period ends on {end}; they will never be collected",
                    never.len(),
                    first.date
                ),
            );
        }
    }
    Some(kept)
}

/// A generated schedule's `frequency` and `repayment` (level when not given) with a `step_up`
/// method's `growth`, each checked at its key under `p`: loans and leases here, the
/// `[revolving.asset]` template in `revolving.rs`. `growth` goes with `step_up` only, which
/// needs it.
pub(super) fn frequency_and_repayment(
    ctx: &mut Ctx,
    p: &str,
    frequency: Option<&str>,
    (repayment, growth): (Option<&str>, Option<Decimal>),
) -> (Option<Frequency>, Option<Repayment>) {
    let mut keys = KeyPaths::new(p);
    let frequency = parse_or(
        ctx,
        keys.at("frequency"),
        frequency,
        "frequency",
        &Frequency::ALL.map(Frequency::name),
    );
    let repayment = match repayment {
        Some(r) => parse_or(
            ctx,
            keys.at("repayment"),
            Some(r),
            "repayment method",
            &Repayment::ALL.map(Repayment::name),
        ),
        None => Some(Repayment::Level),
    };
    let repayment = match (repayment, growth) {
        (Some(Repayment::StepUp(_)), Some(g)) => Some(Repayment::StepUp(
            super::fee_schedule::growth(ctx, keys.at("growth"), g),
        )),
        (Some(Repayment::StepUp(_)), None) => {
            ctx.err(
                keys.at("growth"),
                "missing required key `growth` for repayment = \"step_up\" (递增租金)",
                "growth = 0.05 (each year's instalment 5% above the last)",
            );
            None
        }
        (Some(r), Some(_)) => {
            ctx.key_err(
                keys.at("growth"),
                format!(
                    "`growth` applies to repayment = \"step_up\" (递增租金), not to `{}`",
                    r.name()
                ),
                "repayment = \"step_up\" with `growth`, or no `growth`",
            );
            None
        }
        (r, _) => r,
    };
    (frequency, repayment)
}

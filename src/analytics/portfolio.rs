//! Deal-level figures of `ipabs portfolio` (docs/portfolio.md): pool size, over-collateralisation,
//! concentration, industry and region mix, and per tranche of each run a coverage multiple
//! defined the same way for every amortisation style.
//!
//! Money stays `Decimal`. Ratios are the report ratios (`money::report_ratio`): exact, rounded
//! once, half away from zero, to [`RATIO_DP`] places (the scale of the Parquet ratio columns).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use num_bigint::BigInt;
use rust_decimal::Decimal;

use crate::deal::{Amortization, Deal, TrancheClass};
use crate::engine::result::RunResult;
use crate::money::rational::ratio6_big;

/// Decimal places of every ratio of this module.
pub const RATIO_DP: u32 = 6;

/// Tag read for the industry mix.
pub const INDUSTRY_TAG: &str = "industry";
/// Tag read for the region mix.
pub const REGION_TAG: &str = "region";
/// Mix key of an obligor without the tag.
pub const UNTAGGED: &str = "untagged";

/// `num / den` rounded once to [`RATIO_DP`] places, half away from zero; None when `den` is
/// not positive.
fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    crate::money::report_ratio(num, den)
}

/// The deal-level figures of one deal (the same in every scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct DealFacts {
    /// The tranches' initial balances summed, yuan (column `issue_size`, docs/portfolio.md).
    pub issue_size: Decimal,
    /// Performing pool principal at the cutoff, yuan (column `pool_balance`).
    pub pool_balance: Decimal,
    /// pool_balance / issue_size.
    pub over_collateralisation: Option<Decimal>,
    /// Obligors in the pool (column `obligor_count`).
    pub obligor_count: u32,
    /// Largest obligor's share of the pool balance.
    pub largest_obligor_share: Option<Decimal>,
    /// The five largest obligors' share (all of them when there are fewer).
    pub top5_obligor_share: Option<Decimal>,
    /// The largest credit's share: an obligor group (the `group` tag, docs/rating.md §1)
    /// counted as one, its obligors' balances summed; `largest_obligor_share` without groups
    /// (column `largest_group_share`, since session 33).
    pub largest_group_share: Option<Decimal>,
    /// Credits in the pool: obligors, an obligor group counted once (column `credit_count`,
    /// since session 33); `obligor_count` without groups.
    pub credit_count: u32,
    /// Herfindahl–Hirschman index Σ share², shares as fractions (0 to 1), computed from exact
    /// shares and rounded once.
    pub hhi: Option<Decimal>,
    /// `key:share;…` of the `industry` tag, largest share first (ties by key).
    pub industry_mix: String,
    /// Same, of the `region` tag.
    pub region_mix: String,
    /// Initial-balance-weighted coupon of the senior and mezzanine tranches.
    pub wa_coupon: Option<Decimal>,
    /// Principal-weighted years (ACT/365F) from the cutoff to the instalments' due dates.
    pub wa_term_years: Option<Decimal>,
    /// The deal's closing date, its vintage (column `closing_date`).
    pub closing_date: NaiveDate,
    /// The deal's legal maturity (column `legal_maturity`).
    pub legal_maturity: NaiveDate,
    /// Payment dates of the deal.
    pub payment_dates: u32,
    /// The subordinated tranches' initial balance / issue size (the tranching's credit
    /// enhancement of the senior and mezzanine tranches).
    pub subordination: Option<Decimal>,
    /// The payment frequency (`monthly`, `quarterly`, …) of a deal whose dates are generated;
    /// None when it lists them.
    pub payment_frequency: Option<&'static str>,
}

/// Each obligor's cutoff balance, in deal order.
fn obligor_balances(deal: &Deal) -> Vec<Decimal> {
    deal.obligors.iter().map(|o| o.balance()).collect()
}

/// `key:share;…` of `tag` weighted by obligor balance.
fn mix(deal: &Deal, balances: &[Decimal], pool: Decimal, tag: &str) -> String {
    let mut by: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (o, b) in deal.obligors.iter().zip(balances) {
        let key = o.tags.get(tag).map_or(UNTAGGED, String::as_str);
        *by.entry(key).or_default() += *b;
    }
    let mut parts: Vec<(&str, Decimal)> = by
        .into_iter()
        .map(|(k, b)| (k, ratio(b, pool).unwrap_or_default()))
        .collect();
    parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    parts
        .iter()
        .map(|(k, s)| format!("{}:{}", k.replace([':', ';'], "_"), s.normalize()))
        .collect::<Vec<_>>()
        .join(";")
}

/// The deal-level figures of `deal`.
pub fn deal_facts(deal: &Deal) -> DealFacts {
    let balances = obligor_balances(deal);
    let pool = deal.pool_balance();
    let issue = deal.issue_size();
    let mut sorted = balances.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    let top = |k: usize| ratio(sorted.iter().take(k).copied().sum(), pool);
    // Σ bᵢ² / P² in integers of fen²: a square of 10^15 yuan is beyond Decimal.
    let fen2 = |d: Decimal| {
        let f = BigInt::from(crate::money::to_fen(d));
        &f * &f
    };
    let hhi = ratio6_big(&balances.iter().map(|&b| fen2(b)).sum(), &fen2(pool));
    let rated: Vec<_> = deal
        .tranches
        .iter()
        .filter(|t| t.class != TrancheClass::Subordinated)
        .collect();
    let rated_balance: Decimal = rated.iter().map(|t| t.balance).sum();
    let wa_coupon = ratio(
        rated
            .iter()
            .map(|t| t.balance * deal.initial_coupon(t))
            .sum(),
        rated_balance,
    );
    let mut weighted_days = Decimal::ZERO;
    let mut principal = Decimal::ZERO;
    for a in deal.obligors.iter().flat_map(|o| &o.assets) {
        for i in &a.instalments {
            let days = (i.date - deal.cutoff_date).num_days().max(0);
            weighted_days += i.principal * Decimal::from(days);
            principal += i.principal;
        }
    }
    DealFacts {
        issue_size: issue,
        pool_balance: pool,
        over_collateralisation: ratio(pool, issue),
        obligor_count: u32::try_from(deal.obligors.len()).unwrap_or(u32::MAX),
        largest_obligor_share: top(1),
        top5_obligor_share: top(5),
        largest_group_share: deal
            .credit_balances(&deal.credit_groups())
            .into_iter()
            .max()
            .and_then(|b| ratio(b, pool)),
        credit_count: u32::try_from(deal.credit_groups().len()).unwrap_or(u32::MAX),
        hhi,
        industry_mix: mix(deal, &balances, pool, INDUSTRY_TAG),
        region_mix: mix(deal, &balances, pool, REGION_TAG),
        wa_coupon,
        wa_term_years: ratio(weighted_days, principal * Decimal::from(365)),
        closing_date: deal.closing_date,
        legal_maturity: deal.legal_maturity,
        payment_dates: u32::try_from(deal.periods.len()).unwrap_or(u32::MAX),
        subordination: ratio(
            deal.tranches
                .iter()
                .filter(|t| t.class == TrancheClass::Subordinated)
                .map(|t| t.balance)
                .sum(),
            issue,
        ),
        payment_frequency: deal.frequency.map(|f| f.name()),
    }
}

/// The lowest coverage multiple of a tranche over a run, and the payment date it fell on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinCoverage {
    /// The multiple, rounded to `RATIO_DP` places (1.2 for 1.2×).
    pub multiple: Decimal,
    /// The payment date it fell on, the first such date.
    pub date: NaiveDate,
}

/// The minimum over the run of the portfolio coverage multiple of tranche `tranche` (an index
/// into `deal.tranches`), defined for every amortisation style (docs/portfolio.md):
///
/// `max(0, max(0, available_funds − H) − taxes_paid − fees_paid) / Σ_{j ≤ tranche} (interest_due_j + principal_due_j)`
///
/// (H the asset guarantor's net money still held: what the accounts held of it after the date
/// before, at most and not below 0, plus the date's payment G, less the recoveries S paid back
/// to it on the date; from the ledger and the periods: the pool's own funds, as the engine's
/// multiple counts them)
/// over the tranche and every tranche ahead of it in seniority, where `principal_due_j` is the
/// engine's contractual principal due, except for a pass-through tranche, whose principal due
/// is the larger of that and `min(balance_start_j, pool decline not yet assigned to a more
/// senior pass-through tranche)`; the pool decline of a period is the pool balance at its start
/// less the pool balance at its end (principal collected, prepaid or defaulted). Dates on which
/// nothing is due are skipped; None when nothing is ever due.
pub fn min_coverage(deal: &Deal, run: &RunResult, tranche: usize) -> Option<MinCoverage> {
    use crate::engine::ledger::Movement;
    // The asset guarantee's payment and the recoveries paid back to it, per period (review 30a
    // item 2: the guarantor's money is not the pool's own).
    let mut paid: std::collections::BTreeMap<u32, (Decimal, Decimal)> = Default::default();
    for e in &run.ledger {
        let entry = paid.entry(e.period).or_default();
        match e.action {
            Movement::GuaranteePayment => entry.0 += e.amount,
            Movement::Subrogation => entry.1 += e.amount,
            _ => {}
        }
    }
    // The guarantor's net money still held, as the engine keeps it (reviews 30c item 2, 30e
    // items 2 and 3): what the accounts held of it after the date before (at most, and not
    // below 0), plus the date's payment, less the recoveries it took back; kept on a date
    // with nothing due too.
    let mut held = Decimal::ZERO;
    let mut best: Option<MinCoverage> = None;
    let mut pool_start = deal.pool_balance();
    for p in &run.periods {
        let due: Decimal = charges(deal, run, p.period, pool_start)
            .iter()
            .take(tranche + 1)
            .map(|(interest, principal)| interest + principal)
            .sum();
        pool_start = p.pool_balance_end;
        let (g, back) = paid.get(&p.period).copied().unwrap_or_default();
        let date_held = held + g - back;
        held = date_held
            .min(p.collection_balance_end + p.accounts_balance_end.unwrap_or_default())
            .max(Decimal::ZERO);
        if due <= Decimal::ZERO {
            continue;
        }
        let own = (p.available_funds - date_held).max(Decimal::ZERO);
        let funds = (own - p.taxes_paid - p.fees_paid).max(Decimal::ZERO);
        let Some(m) = ratio(funds, due) else {
            continue;
        };
        if best.is_none_or(|b| m < b.multiple) {
            best = Some(MinCoverage {
                multiple: m,
                date: p.payment_date,
            });
        }
    }
    best
}

/// What the portfolio coverage multiple charges each tranche on payment date `period` of
/// `run` (docs/portfolio.md), in seniority order: (interest due, principal due). The principal
/// is the engine's contractual principal due, except for a pass-through tranche, charged the
/// larger of that and min(its balance at the start, the pool's decline of the period less
/// what the tranches ahead were charged); `pool_start` is the pool balance at the period's
/// start. A tranche without a row is charged nothing. The principal charged to the tranches
/// ahead, scheduled or bullet included, comes off the decline first (review 39e item 2: a
/// pass-through tranche behind a scheduled senior was charged the whole decline on top of the
/// senior's principal).
pub fn charges(
    deal: &Deal,
    run: &RunResult,
    period: u32,
    pool_start: Decimal,
) -> Vec<(Decimal, Decimal)> {
    let end = run
        .periods
        .iter()
        .find(|p| p.period == period)
        .map_or(pool_start, |p| p.pool_balance_end);
    let mut decline = (pool_start - end).max(Decimal::ZERO);
    deal.tranches
        .iter()
        .map(|t| {
            let Some(row) = run
                .tranche_flows
                .iter()
                .find(|r| r.period == period && r.tranche == t.name)
            else {
                return (Decimal::ZERO, Decimal::ZERO);
            };
            let mut principal = row.principal_due;
            if t.amortization == Amortization::PassThrough {
                principal = principal.max(row.balance_start.min(decline));
            }
            decline = (decline - principal).max(Decimal::ZERO);
            (row.interest_due, principal)
        })
        .collect()
}

/// The pool balance at the start of payment date `period` of `run`: the cutoff pool for the
/// first, the date before's `pool_balance_end` after.
pub fn pool_start(deal: &Deal, run: &RunResult, period: u32) -> Decimal {
    run.periods
        .iter()
        .take_while(|p| p.period < period)
        .last()
        .map_or_else(|| deal.pool_balance(), |p| p.pool_balance_end)
}

/// Total drawn from every credit support in `run`, as a share of the senior tranches' initial
/// balance; None without a senior balance.
pub fn support_share(deal: &Deal, run: &RunResult) -> Option<Decimal> {
    let senior: Decimal = deal
        .tranches
        .iter()
        .filter(|t| t.class == TrancheClass::Senior)
        .map(|t| t.balance)
        .sum();
    ratio(run.support_draws.iter().map(|s| s.total).sum(), senior)
}

/// One row of `deals.parquet`: one reported tranche of one deal under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRow {
    /// The deal file's stem (column `deal_id`, docs/portfolio.md).
    pub deal_id: String,
    /// The deal's `[deal] name` (column `deal_name`).
    pub deal_name: String,
    /// The scenario's name (column `scenario`).
    pub scenario: String,
    /// The deal-level figures, the same on every row of the deal.
    pub facts: DealFacts,
    /// The reported tranche's name (column `tranche`).
    pub tranche: String,
    /// The tranche's class: `senior`, `mezzanine` or `subordinated` (column `class`).
    pub class: String,
    /// The tranche's rating; `None` when unrated (column `rating`).
    pub rating: Option<String>,
    /// The tranche's initial balance, yuan (column `initial_balance`).
    pub initial_balance: Decimal,
    /// Weighted average life from the settlement date, ACT/365F years, as in
    /// `summary.parquet` (column `wal_years`).
    pub wal_years: Option<f64>,
    /// Yield of buying at par on the closing date, as in `summary.parquet` (column
    /// `yield_at_par`).
    pub yield_at_par: Option<f64>,
    /// Balance unpaid after the last payment date, yuan (column `principal_loss`).
    pub principal_loss: Decimal,
    /// The lowest portfolio coverage multiple over the run and its date (`min_coverage`;
    /// columns `min_coverage_multiple` and `min_coverage_date`); `None` when nothing is ever due.
    pub min_coverage: Option<MinCoverage>,
    /// The break-even default rate; None under a scenario with named defaults, which the
    /// search replaces with its own default rate (the row would be that of the scenario
    /// without them: every concentration stress would repeat the base).
    pub breakeven_default_rate: Option<Decimal>,
    /// The TDR of the tranche's rating under the scenario file's `[rating]`, a fraction;
    /// `None` without one (column `target_default_rate`).
    pub target_default_rate: Option<Decimal>,
    /// BDR ≥ TDR, by the pass rule of docs/breakeven.md; `None` without a TDR or a BDR.
    pub pass: Option<bool>,
    /// The break-even row's flags (docs/breakeven.md): paid in full at R = 1 (the rate is then
    /// a lower bound), and not paid in full with no defaults. None where the rate is.
    pub passes_at_one: Option<bool>,
    /// Not paid in full with no defaults (its BDR is 0); `None` where the rate is.
    pub fails_at_zero: Option<bool>,
    /// The break-even row's realised ratio with its whole-obligor break-even's obligors
    /// defaulted ([`crate::analytics::breakeven::BreakevenRow::breakeven_obligor_default_rate`]).
    pub breakeven_obligor_default_rate: Option<Decimal>,
    /// Implied rating: not computed by `portfolio` (it needs `ipabs rate`'s Monte Carlo); null.
    pub implied_rating: Option<String>,
    /// Drawn from every credit support over the run / the senior tranches' initial balance
    /// (`support_share`; column `support_share_of_senior`).
    pub support_share_of_senior: Option<Decimal>,
}

impl PortfolioRow {
    /// The row's break-even as the pass rule reads it (as `BreakevenRow::bdr` does); None
    /// where the scenario has none.
    pub fn bdr(&self) -> Option<crate::analytics::breakeven::Bdr> {
        let fails_at_zero = self.fails_at_zero == Some(true);
        Some(crate::analytics::breakeven::Bdr::of(
            fails_at_zero,
            self.passes_at_one == Some(true),
            if fails_at_zero {
                Decimal::ZERO
            } else {
                self.breakeven_default_rate?
            },
            self.breakeven_obligor_default_rate.unwrap_or(Decimal::ZERO),
        ))
    }
}

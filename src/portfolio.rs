//! `ipabs portfolio`: many deals under the same scenarios and stress suites, in parallel
//! (docs/portfolio.md).
//!
//! Results come back in deal order (as given; a directory's files in name order), then
//! scenario order, then tranche order, whatever the number of threads.

use std::path::PathBuf;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::analytics::breakeven::{
    BreakevenRow, breakeven_one_in, breakeven_tranches, target_default_rate,
};
use crate::analytics::measures::{PricedRun, Pricer};
use crate::analytics::portfolio::{PortfolioRow, deal_facts, min_coverage, support_share};
use crate::engine::{DealPlan, ObligorRows, ProjectionCache, RunMemo};
use crate::error::{Result, Warning};
use crate::scenario::{RatingTable, ScenarioSet};
use crate::sweep::{Progress, in_pool};
use crate::validate::Loaded;

pub use crate::validate::{COHORT_KEY, Cohort};

/// One deal of the portfolio, loaded, with the scenarios it runs.
#[derive(Debug)]
pub struct PortfolioDeal {
    /// Short id: the file stem.
    pub id: String,
    /// The deal file's path.
    pub path: PathBuf,
    /// The validated deal, with its file's warnings.
    pub loaded: Loaded,
    /// The scenarios it runs: the scenario file's, or the deal's own `[scenario]`, with the
    /// stress suite's added.
    pub set: ScenarioSet,
}

/// What a portfolio run produces.
#[derive(Debug)]
pub struct PortfolioResult {
    /// Per deal (in order), its priced runs in scenario order.
    pub runs: Vec<Vec<PricedRun>>,
    /// The rows of `deals.parquet`: one per deal × scenario × reported tranche, in that order.
    pub rows: Vec<PortfolioRow>,
}

/// Runs every deal under its scenarios (every table kept) and the break-even of every reported
/// tranche, on `threads` threads (`None`: one per core); `bar` hears of each run and search
/// done.
pub fn run_portfolio(
    deals: &[PortfolioDeal],
    threads: Option<usize>,
    bar: &dyn Progress,
) -> Result<PortfolioResult> {
    let pairs: Vec<(usize, usize)> = deals
        .iter()
        .enumerate()
        .flat_map(|(d, x)| (0..x.set.scenarios.len()).map(move |s| (d, s)))
        .collect();
    // Every reported tranche under every scenario; the break-even is searched only where the
    // scenario has no named defaults (`searched`), since the search replaces them.
    let triples: Vec<(usize, usize, usize)> = pairs
        .iter()
        .flat_map(|&(d, s)| {
            breakeven_tranches(&deals[d].loaded.deal)
                .into_iter()
                .map(move |t| (d, s, t))
        })
        .collect();
    let searched = |&&(d, s, _): &&(usize, usize, usize)| {
        !deals[d].set.scenarios[s].defaults_beyond_the_curve()
    };
    let searches = triples.iter().filter(searched).count();
    // The tranches' searches of one deal and scenario share its projections: `caches[d][s]`
    // (none for a deal with one such tranche).
    let caches: Vec<Option<Vec<ProjectionCache>>> = deals
        .iter()
        .map(|x| {
            ProjectionCache::shared(
                x.set.scenarios.len(),
                breakeven_tranches(&x.loaded.deal).len(),
            )
        })
        .collect();
    bar.start((pairs.len() + searches) as u64);
    // Each deal's plan and pricer, shared by its scenarios' runs.
    let shared: Vec<(DealPlan, Pricer)> = deals
        .iter()
        .map(|x| {
            let deal = &x.loaded.deal;
            (DealPlan::new(deal), Pricer::new(deal, &x.set.pricing))
        })
        .collect();
    let work = || -> Result<(Vec<PricedRun>, Vec<BreakevenRow>)> {
        let runs = pairs
            .par_iter()
            .map_init(RunMemo::default, |memo, &(d, s)| {
                let (plan, pricer) = &shared[d];
                let run = plan.run_in(memo, &deals[d].set.scenarios[s], ObligorRows::Keep)?;
                bar.inc(1);
                Ok(pricer.price(run))
            })
            .collect::<Result<Vec<PricedRun>>>()?;
        let be = triples
            .iter()
            .filter(searched)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&&(d, s, t)| {
                let x = &deals[d];
                let cache = caches[d].as_ref().map(|c| &c[s]);
                let r =
                    breakeven_one_in(&x.loaded.deal, &x.set.scenarios[s], t, &x.set.rating, cache);
                bar.inc(1);
                r
            })
            .collect::<Result<Vec<BreakevenRow>>>()?;
        Ok((runs, be))
    };
    let done = in_pool(threads, work);
    bar.finish();
    let (runs, be) = done??;
    let mut per_deal: Vec<Vec<PricedRun>> = deals.iter().map(|_| Vec::new()).collect();
    for (&(d, _), r) in pairs.iter().zip(runs) {
        per_deal[d].push(r);
    }
    let mut rows = Vec::with_capacity(triples.len());
    let mut be = be.into_iter();
    for &(d, s, t) in &triples {
        let b = if searched(&&(d, s, t)) {
            be.next()
        } else {
            None
        };
        let x = &deals[d];
        let deal = &x.loaded.deal;
        let run = &per_deal[d][s];
        let tr = &deal.tranches[t];
        let i = run.summary.iter().position(|r| r.tranche == tr.name);
        let summary = i.map(|i| &run.summary[i]);
        let pricing = i
            .and_then(|i| run.pricing.get(i))
            .copied()
            .unwrap_or_default();
        rows.push(PortfolioRow {
            deal_id: x.id.clone(),
            deal_name: deal.name.clone(),
            scenario: x.set.scenarios[s].name.clone(),
            facts: deal_facts(deal),
            tranche: tr.name.clone(),
            class: tr.class.name().to_string(),
            rating: tr.rating.clone(),
            initial_balance: tr.balance,
            wal_years: pricing.wal_years,
            yield_at_par: pricing.yield_at_par,
            principal_loss: summary.map_or(Decimal::ZERO, |s| s.principal_loss),
            min_coverage: min_coverage(deal, run, t),
            breakeven_default_rate: b.as_ref().map(|b| b.breakeven_default_rate),
            target_default_rate: target_default_rate(&x.set.rating, tr.rating.as_deref()),
            pass: b.as_ref().and_then(|b| b.pass),
            passes_at_one: b.as_ref().map(|b| b.passes_at_one),
            fails_at_zero: b.as_ref().map(|b| b.fails_at_zero),
            breakeven_obligor_default_rate: b.as_ref().map(|b| b.breakeven_obligor_default_rate),
            implied_rating: b
                .as_ref()
                .and_then(|b| implied_from_table(&x.set.rating, b)),
            support_share_of_senior: support_share(deal, run),
        });
    }
    Ok(PortfolioResult {
        runs: per_deal,
        rows,
    })
}

/// The implied rating of a break-even row under the scenario file's rating table: the highest
/// rating (largest pressure multiplier) whose target default rate (`base × multiplier`, rounded
/// once as `pass` reads it, [`RatingTable::target_default_rate`]) the break-even default rate
/// covers, by the same test as `pass`; `None` without a base default rate, for a tranche that
/// fails with no defaults, or when no TDR is covered.
fn implied_from_table(table: &RatingTable, b: &BreakevenRow) -> Option<String> {
    if table.base_default_rate <= Decimal::ZERO {
        return None;
    }
    let mut by_strength: Vec<&(String, Decimal)> = table.multipliers.iter().collect();
    // Highest rating first; equal multipliers keep the table's order.
    by_strength.sort_by_key(|x| std::cmp::Reverse(x.1));
    by_strength
        .into_iter()
        .find(|(r, _)| table.target_default_rate(r).is_some_and(|tdr| b.meets(tdr)))
        .map(|(r, _)| r.clone())
}

/// Each deal's id and its runs, for the hive-partitioned tables.
pub fn runs_by_id<'a>(
    deals: &'a [PortfolioDeal],
    result: &'a PortfolioResult,
) -> Vec<(&'a str, &'a [PricedRun])> {
    deals
        .iter()
        .zip(&result.runs)
        .map(|(d, r)| (d.id.as_str(), r.as_slice()))
        .collect()
}

/// The run-time warnings of every run, as (`deal id / scenario`, warnings).
pub fn run_warnings(
    deals: &[PortfolioDeal],
    result: &PortfolioResult,
) -> Vec<(String, Vec<Warning>)> {
    deals
        .iter()
        .zip(&result.runs)
        .flat_map(|(d, runs)| {
            runs.iter()
                .map(move |r| (format!("{}/{}", d.id, r.scenario), r.warnings.clone()))
        })
        .collect()
}

#[cfg(test)]
mod implied_rating_tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row(bdr: Decimal, fails_at_zero: bool) -> BreakevenRow {
        BreakevenRow {
            deal: "d".into(),
            scenario: "s".into(),
            tranche: "A".into(),
            class: "senior".into(),
            rating: Some("AAA".into()),
            breakeven_default_rate: bdr,
            breakeven_input_rate: bdr,
            breakeven_obligors: 0,
            breakeven_obligor_default_rate: Decimal::ZERO,
            breaking_obligor_default_rate: None,
            obligor_count: 3,
            target_default_rate: None,
            pass: None,
            runs: 1,
            fails_at_zero,
            passes_at_one: false,
            breach: None,
        }
    }

    #[test]
    fn the_highest_rating_whose_tdr_the_bdr_covers() {
        // Base 10%, multipliers listed lowest first to check the ordering: TDR(AAA) = 5 × 0.1
        // = 0.5, TDR(AA) = 4 × 0.1 = 0.4, TDR(A) = 3 × 0.1 = 0.3.
        let table = RatingTable {
            base_default_rate: dec!(0.1),
            multipliers: vec![
                ("A".into(), dec!(3)),
                ("AAA".into(), dec!(5)),
                ("AA".into(), dec!(4)),
            ],
        };
        // 0.35 covers 0.3 but not 0.4: A.
        assert_eq!(
            implied_from_table(&table, &row(dec!(0.35), false)).as_deref(),
            Some("A")
        );
        // 0.5 covers 0.5 exactly (≥, as `pass`): AAA.
        assert_eq!(
            implied_from_table(&table, &row(dec!(0.5), false)).as_deref(),
            Some("AAA")
        );
        // 0.2 covers none; a tranche failing with no defaults has none; no base rate, none.
        assert_eq!(implied_from_table(&table, &row(dec!(0.2), false)), None);
        assert_eq!(implied_from_table(&table, &row(dec!(0.9), true)), None);
        let no_base = RatingTable {
            base_default_rate: Decimal::ZERO,
            ..table.clone()
        };
        assert_eq!(implied_from_table(&no_base, &row(dec!(0.9), false)), None);
        // The same test as `pass` (review 32e item 5): a BDR of 0.9 covers every TDR, but a
        // whole-obligor loss of 0.35 breaks the tranche: within TDR(AAA) 0.5 and TDR(AA) 0.4,
        // above TDR(A) 0.3: A.
        let mut broken = row(dec!(0.9), false);
        broken.breaking_obligor_default_rate = Some(dec!(0.35));
        assert_eq!(implied_from_table(&table, &broken).as_deref(), Some("A"));
        // One TDR, rounded once (review 35a item 3b): base 0.036666668 × 3 = 0.110000004, to
        // 8 places 0.11000000, which a break-even of exactly 0.11 meets, as `pass` says; the
        // unrounded product it does not.
        let fine = RatingTable {
            base_default_rate: dec!(0.036666668),
            multipliers: vec![("A".into(), dec!(3)), ("AA".into(), dec!(4))],
        };
        assert_eq!(
            crate::analytics::breakeven::target_default_rate(&fine, Some("A")),
            Some(dec!(0.11))
        );
        assert!(row(dec!(0.11), false).meets(dec!(0.11)));
        assert!(!row(dec!(0.11), false).meets(dec!(0.110000004)));
        assert_eq!(
            implied_from_table(&fine, &row(dec!(0.11), false)).as_deref(),
            Some("A")
        );
    }
}

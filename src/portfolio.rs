//! `ipabs portfolio`: many deals under the same scenarios and stress suites, in parallel
//! (docs/portfolio.md).
//!
//! Results come back in deal order (as given; a directory's files in name order), then
//! scenario order, then tranche order, whatever the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::analytics::breakeven::{
    BreakevenRow, breakeven_one_in, breakeven_tranches, target_default_rate,
};
use crate::analytics::measures::{PricedRun, Pricer};
use crate::analytics::portfolio::{PortfolioRow, deal_facts, min_coverage, support_share};
use crate::analytics::stress::{StressBase, StressSuite};
use crate::engine::{DealPlan, ObligorRows, ProjectionCache, RunMemo};
use crate::error::{Error, Result, Warning};
use crate::scenario::{RatingTable, ScenarioSet};
use crate::sweep::{in_pool, progress_bar};
use crate::validate::{self, Loaded};

pub use crate::validate::{COHORT_KEY, Cohort};

/// One deal of the portfolio, loaded, with the scenarios it runs.
#[derive(Debug)]
pub struct PortfolioDeal {
    /// Short id: the file stem.
    pub id: String,
    pub path: PathBuf,
    pub loaded: Loaded,
    pub set: ScenarioSet,
}

/// What a portfolio run produces.
#[derive(Debug)]
pub struct PortfolioResult {
    /// Per deal (in order), its priced runs in scenario order.
    pub runs: Vec<Vec<PricedRun>>,
    pub rows: Vec<PortfolioRow>,
}

/// What the command line names: the deal files, and the scenario file of a cohort file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub deals: Vec<PathBuf>,
    /// The `scenarios` of the cohort file named (or found in a named directory), used when
    /// `--scenarios` is not given.
    pub cohort_scenarios: Option<PathBuf>,
}

/// The deal files named by `args`: a file as given (a cohort file expanded to its deals), a
/// directory's `*.toml` files in name order (a cohort file in it is not a deal, but its
/// `scenarios` is used). The same file named twice is kept once; two different files with the
/// same stem are an error, and so are two cohort files with different `scenarios`.
pub fn deal_paths(args: &[PathBuf]) -> Result<Named> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut cohort_scenarios: Option<PathBuf> = None;
    let mut take = |s: Option<PathBuf>| -> Result<()> {
        if let Some(s) = s {
            match &cohort_scenarios {
                Some(c) if *c != s => {
                    return Err(Error::Usage(format!(
                        "two cohort files name different scenario files ({} and {}); pass \
                         --scenarios",
                        c.display(),
                        s.display()
                    )));
                }
                _ => cohort_scenarios = Some(s),
            }
        }
        Ok(())
    };
    for a in args {
        if a.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(a)
                .map_err(|e| Error::Read {
                    path: a.clone(),
                    source: e,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                match cohort_deals(&f)? {
                    None => out.push(f),
                    Some(c) => take(c.scenarios)?,
                }
            }
        } else {
            match cohort_deals(a)? {
                Some(c) => {
                    out.extend(c.deals);
                    take(c.scenarios)?;
                }
                None => out.push(a.clone()),
            }
        }
    }
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut unique = Vec::new();
    for p in out {
        let id = deal_id(&p);
        let canon = p.canonicalize().unwrap_or_else(|_| p.clone());
        match seen.get(&id) {
            Some(q) if *q == canon => continue,
            Some(q) => {
                return Err(Error::Usage(format!(
                    "two deals have the id `{id}` (the file stem): {} and {}; rename one",
                    q.display(),
                    p.display()
                )));
            }
            None => {
                seen.insert(id, canon);
                unique.push(p);
            }
        }
    }
    if unique.is_empty() {
        return Err(Error::Usage(
            "no deal files: name deal files, directories of them, or a cohort file".into(),
        ));
    }
    Ok(Named {
        deals: unique,
        cohort_scenarios,
    })
}

/// A deal's id: its file stem.
pub fn deal_id(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "deal".to_string(), |s| s.to_string_lossy().into_owned())
}

/// The deals of a cohort file and its scenario file, or None when `path` is not a cohort file
/// ([`validate::load_cohort`]: every mistake located at its key).
pub fn cohort_deals(path: &Path) -> Result<Option<Cohort>> {
    validate::load_cohort(path)
}

/// Loads every deal with the scenario file (or each deal's own scenario) and the stress suite,
/// built on each deal's own scenario or on every scenario ([`StressBase`]).
pub fn load_deals(
    paths: &[PathBuf],
    scenarios: Option<&Path>,
    stress: Option<(StressSuite, StressBase)>,
) -> Result<Vec<PortfolioDeal>> {
    // Each deal, or its error and whether the shared scenario file (not the deal) holds it.
    let loaded: Vec<std::result::Result<PortfolioDeal, (Error, bool)>> = paths
        .iter()
        .map(|p| {
            let loaded = validate::load_deal(p).map_err(|e| (e, false))?;
            let mut set = match scenarios {
                Some(s) => validate::load_scenario_set(s, &loaded.deal).map_err(|e| (e, true))?,
                None => ScenarioSet::single(loaded.deal.scenario.clone()),
            };
            if let Some((suite, base)) = stress {
                suite
                    .add_to(&loaded.deal, &mut set.scenarios, base)
                    .map_err(|e| (e, false))?;
            }
            Ok(PortfolioDeal {
                id: deal_id(p),
                path: p.clone(),
                loaded,
                set,
            })
        })
        .collect();
    // Every deal's file errors at once (review 25d item 9: only the first bad deal's were
    // shown). An error of the shared scenario file is told once, with the deals it holds for
    // when those are not all of them (review 26b item 3: an obligor that only some deals have
    // was reported without the deals); any other error as it comes.
    let mut errors: Vec<(crate::error::InputError, Vec<String>)> = Vec::new();
    let mut deals = Vec::with_capacity(loaded.len());
    // The deals that loaded, and so read the scenario file (review 26c item L3: a deal file
    // that failed made an error of the scenario file itself look like some deals' only).
    let every = loaded
        .iter()
        .filter(|d| matches!(d, Ok(_) | Err((_, true))))
        .count();
    for (d, path) in loaded.into_iter().zip(paths) {
        match d {
            Ok(d) => deals.push(d),
            Err((Error::Input(e), of_scenarios)) => {
                for x in e {
                    match errors.iter_mut().find(|y| y.0.to_string() == x.to_string()) {
                        Some(y) if of_scenarios => y.1.push(deal_id(path)),
                        Some(_) => {}
                        None => {
                            let ids = if of_scenarios {
                                vec![deal_id(path)]
                            } else {
                                Vec::new()
                            };
                            errors.push((x, ids));
                        }
                    }
                }
            }
            Err((e, _)) => return Err(e),
        }
    }
    if errors.is_empty() {
        return Ok(deals);
    }
    Err(Error::Input(
        errors
            .into_iter()
            .map(|(mut x, ids)| {
                if !ids.is_empty() && ids.len() < every {
                    x.problem = format!(
                        "{} (for deal{} {})",
                        x.problem,
                        if ids.len() == 1 { "" } else { "s" },
                        ids.join(", ")
                    );
                }
                x
            })
            .collect(),
    ))
}

/// Runs every deal under its scenarios (every table kept) and the break-even of every reported
/// tranche, on `threads` threads (`None`: one per core); a progress bar when `progress` and
/// stderr is a terminal.
pub fn run_portfolio(
    deals: &[PortfolioDeal],
    threads: Option<usize>,
    progress: bool,
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
    let bar = progress_bar((pairs.len() + searches) as u64, progress);
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
    let (runs, be) = in_pool(threads, work)??;
    bar.finish_and_clear();
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
/// rating (largest pressure multiplier) whose target default rate `base × multiplier` the
/// break-even default rate covers, by the same test as `pass`; `None` without a base default
/// rate, for a tranche that fails with no defaults, or when no TDR is covered.
fn implied_from_table(table: &RatingTable, b: &BreakevenRow) -> Option<String> {
    if table.base_default_rate <= Decimal::ZERO {
        return None;
    }
    let mut by_strength: Vec<&(String, Decimal)> = table.multipliers.iter().collect();
    // Highest rating first; equal multipliers keep the table's order.
    by_strength.sort_by_key(|x| std::cmp::Reverse(x.1));
    by_strength
        .into_iter()
        .find(|(_, m)| b.bdr().meets(*m * table.base_default_rate))
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
            ..table
        };
        assert_eq!(implied_from_table(&no_base, &row(dec!(0.9), false)), None);
    }
}

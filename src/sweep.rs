//! Running many scenarios of one deal, in parallel.
//!
//! Results come back in scenario order whatever the number of threads: each scenario is an
//! independent, deterministic run, so parallel and single-threaded sweeps give identical output.

use rayon::prelude::*;

use crate::analytics::breakeven::{BreakevenRow, breakeven_one_in, breakeven_tranches};
use crate::analytics::measures::{PricedRun, Pricer};
use crate::deal::{Deal, TrancheClass};
use crate::engine::result::{Kept, RunResult, RunTable};
use crate::engine::{DealPlan, ObligorRows, ProjectionCache, RunMemo};
use crate::error::{Error, Result, Warning};
use crate::scenario::{Pricing, RatingTable, Scenario};

/// How a sweep runs and what it keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct SweepOptions {
    /// Keep every table of every run; otherwise only what [`RunTable::without_flows`] keeps
    /// (the summary and the senior tranche rows).
    pub flows: bool,
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
}

/// Where a long computation reports how far it is: the command line draws a bar
/// (`cli::console::Bar`), a library caller may ignore it (`&()`). The computation calls
/// [`Progress::start`] once with the number of units, [`Progress::inc`] as units finish (from
/// any thread), and [`Progress::finish`] at the end.
pub trait Progress: Sync {
    /// The work has `len` units.
    fn start(&self, len: u64) {
        let _ = len;
    }
    /// `n` more units are done.
    fn inc(&self, n: u64) {
        let _ = n;
    }
    /// The work is done (or stopped).
    fn finish(&self) {}
}

/// No progress reported.
impl Progress for () {}

/// Runs every scenario of `deal`, prices each run under `pricing`, and trims each result
/// unless `opts.flows`; `bar` hears of each scenario done.
pub fn sweep(
    deal: &Deal,
    scenarios: &[Scenario],
    pricing: &Pricing,
    opts: SweepOptions,
    bar: &dyn Progress,
) -> Result<Vec<PricedRun>> {
    bar.start(scenarios.len() as u64);
    // What every run and its pricing share, derived once.
    let (plan, pricer) = (DealPlan::new(deal), Pricer::new(deal, pricing));
    let rows = if opts.flows {
        ObligorRows::Keep
    } else {
        ObligorRows::Skip
    };
    let work = || {
        scenarios
            .par_iter()
            .map_init(
                || (RunMemo::default(), SameRuns::default()),
                |(memo, same), s| {
                    // Lean runs only: a kept run with every table (`--flows`) of a large pool
                    // would hold its pool rows twice.
                    let key = if opts.flows {
                        None
                    } else {
                        s.defaultless_key()
                    };
                    if let Some(r) = key.as_ref().and_then(|k| same.get(k, &s.name)) {
                        // Checked as the run would be: an out-of-range value stays an error.
                        s.check(deal.obligors.len(), deal.supports.len(), deal.events.len())?;
                        bar.inc(1);
                        return Ok(r);
                    }
                    let run = plan.run_in(memo, s, rows)?;
                    let mut r = pricer.price(run);
                    if !opts.flows {
                        trim(deal, &mut r.run);
                    }
                    if let Some(k) = key {
                        same.keep(k, &r);
                    }
                    bar.inc(1);
                    Ok(r)
                },
            )
            .collect::<Result<Vec<PricedRun>>>()
    };
    let out = in_pool(opts.threads, work);
    bar.finish();
    out?
}

/// The break-even row of every (scenario, break-even tranche) pair, in parallel, in scenario
/// order then tranche order (docs/breakeven.md); `bar` hears of each pair done.
pub fn breakeven_sweep(
    deal: &Deal,
    scenarios: &[Scenario],
    rating: &RatingTable,
    opts: SweepOptions,
    bar: &dyn Progress,
) -> Result<Vec<BreakevenRow>> {
    let tranches = breakeven_tranches(deal);
    // The tranches' searches of one scenario share its projections.
    let caches = ProjectionCache::shared(scenarios.len(), tranches.len());
    let pairs: Vec<(&Scenario, Option<&ProjectionCache>, usize)> = scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let c = caches.as_ref().map(|c| &c[i]);
            tranches.iter().map(move |&t| (s, c, t))
        })
        .collect();
    bar.start(pairs.len() as u64);
    let work = || {
        pairs
            .par_iter()
            .map(|&(s, c, t)| {
                let row = breakeven_one_in(deal, s, t, rating, c);
                bar.inc(1);
                row
            })
            .collect::<Result<Vec<BreakevenRow>>>()
    };
    let out = in_pool(opts.threads, work);
    bar.finish();
    out?
}

/// The run-time warnings of one run of each scenario (as given, unstressed), in scenario order:
/// what `breakeven` reports next to its searches.
pub fn run_warnings(
    deal: &Deal,
    scenarios: &[Scenario],
    threads: Option<usize>,
) -> Result<Vec<Vec<Warning>>> {
    let plan = DealPlan::new(deal);
    let work = || {
        scenarios
            .par_iter()
            .map_init(RunMemo::default, |memo, s| {
                plan.run_in(memo, s, ObligorRows::Skip).map(|r| r.warnings)
            })
            .collect::<Result<Vec<Vec<Warning>>>>()
    };
    in_pool(threads, work)?
}

/// Most worker threads a sweep or break-even run may ask for (`--threads`): more threads than
/// this only cost memory (each has its own stack), and a value such as 100000 would try to
/// start them all.
pub const MAX_THREADS: usize = 256;

/// Runs `work` on `threads` worker threads, or on rayon's global pool (one per core).
pub fn in_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(work()),
        Some(n) if n > MAX_THREADS => Err(Error::Usage(format!(
            "--threads {n} is more than {MAX_THREADS}; ask for at most {MAX_THREADS} (without \
             --threads, one per core)"
        ))),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {n} threads: {e}")))?
            .install(work)),
    }
}

/// The priced, trimmed runs of one worker's scenarios without defaults in a sweep without
/// `--flows`, by [`Scenario::defaultless_key`]: a scenario whose key came before gets that run
/// under its own name, without running.
#[derive(Default)]
struct SameRuns {
    runs: Vec<(Scenario, PricedRun)>,
}

impl SameRuns {
    /// Keys kept, at most (each with a trimmed run).
    const MAX: usize = 64;

    /// The run of `key`, renamed `name`, if one was kept.
    fn get(&self, key: &Scenario, name: &str) -> Option<PricedRun> {
        let (_, run) = self.runs.iter().find(|(k, _)| k == key)?;
        let mut r = run.clone();
        r.run.scenario = name.to_string();
        for w in &mut r.run.warnings {
            w.scenario = Some(name.to_string());
        }
        Some(r)
    }

    fn keep(&mut self, key: Scenario, run: &PricedRun) {
        if self.runs.len() < Self::MAX {
            self.runs.push((key, run.clone()));
        }
    }
}

/// Keeps of each table what [`RunTable::without_flows`] says.
fn trim(deal: &Deal, r: &mut RunResult) {
    let senior: Vec<&str> = deal
        .tranches
        .iter()
        .filter(|t| t.class == TrancheClass::Senior)
        .map(|t| t.name.as_str())
        .collect();
    for table in RunTable::ALL {
        match table.without_flows() {
            Kept::All => {}
            // Only the per-tranche table keeps senior rows. The sweep holds every kept run
            // until it writes: the rows move to a block of their own size, so the next run
            // reuses the rest instead of touching fresh pages (docs/performance.md, session 14).
            Kept::SeniorRows => {
                r.tranche_flows
                    .retain(|t| senior.contains(&t.tranche.as_str()));
                r.tranche_flows.shrink_to_fit();
            }
            Kept::Nothing => r.clear(table),
        }
    }
}

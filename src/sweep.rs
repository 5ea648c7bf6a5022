//! Running many scenarios of one deal, in parallel.
//!
//! Results come back in scenario order whatever the number of threads: each scenario is an
//! independent, deterministic run, so parallel and single-threaded sweeps give identical output.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::analytics::measures::apply_pricing;
use crate::deal::{Deal, TrancheClass};
use crate::engine::{self, result::RunResult};
use crate::error::{Error, Result};
use crate::scenario::{Pricing, Scenario};

/// How a sweep runs and what it keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct SweepOptions {
    /// Keep every table of every run; otherwise only the summary and the senior tranche rows.
    pub flows: bool,
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// Runs every scenario of `deal`, applies `pricing` to the summaries, and trims each result
/// unless `opts.flows`.
pub fn sweep(
    deal: &Deal,
    scenarios: &[Scenario],
    pricing: &Pricing,
    opts: SweepOptions,
) -> Result<Vec<RunResult>> {
    let bar = progress_bar(scenarios.len() as u64, opts.progress);
    let work = || {
        scenarios
            .par_iter()
            .map(|s| {
                let mut r = engine::run(deal, s)?;
                apply_pricing(deal, &mut r, pricing);
                if !opts.flows {
                    trim(deal, &mut r);
                }
                bar.inc(1);
                Ok(r)
            })
            .collect::<Result<Vec<RunResult>>>()
    };
    let out = match opts.threads {
        None => work(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {n} threads: {e}")))?
            .install(work),
    };
    bar.finish_and_clear();
    out
}

/// Keeps the summary, support totals and the senior tranches' rows; drops the rest.
fn trim(deal: &Deal, r: &mut RunResult) {
    let senior: Vec<&str> = deal
        .tranches
        .iter()
        .filter(|t| t.class == TrancheClass::Senior)
        .map(|t| t.name.as_str())
        .collect();
    r.tranche_flows
        .retain(|t| senior.contains(&t.tranche.as_str()));
    r.pool_flows = Vec::new();
    r.ledger = Vec::new();
    r.periods = Vec::new();
}

fn progress_bar(len: u64, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} scenarios ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

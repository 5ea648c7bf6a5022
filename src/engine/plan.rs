//! [`DealPlan`]: what every run of one deal shares, derived from the deal once.
//!
//! A run reads the deal's item names as row labels, each period's exact accrual year fraction,
//! the senior tranches, the tranches' balances in fen and the pool's row grid. None of them
//! depends on the scenario, so a sweep, a break-even search or the rating Monte Carlo derives
//! them once and lends them to every run ([`DealPlan::run`]); a single run builds a plan of its
//! own ([`super::run_with`]). The plan borrows the deal, so the deal cannot change while a plan
//! of it exists (sizing, which changes tranche balances, builds a new plan for each candidate).

use super::buffers::RunBuffers;
use super::cache::ProjectionCache;
use super::result::RunResult;
use super::state::Labels;
use crate::deal::{Deal, TrancheClass};
use crate::error::Result;
use crate::money::{Fen, Ratio, to_fen};
use crate::pool::projection::{ObligorRows, PoolPlan, ProjectionMemo, project_planned};
use crate::scenario::Scenario;

/// The scenario-independent data of a deal's runs (module docs).
pub struct DealPlan<'d> {
    pub(super) deal: &'d Deal,
    /// Row labels of the tranches, fees, taxes and waterfalls.
    pub(super) labels: Labels,
    /// Exact year fraction of each period's accrual (start to payment date).
    pub(super) year_fraction: Vec<Ratio>,
    /// Indices of the senior tranches.
    pub(super) senior: Vec<usize>,
    /// Each tranche's initial balance in fen.
    pub(super) balance: Vec<Fen>,
    /// Sum of the tranches' initial balances.
    pub(super) issue_size: Fen,
    /// Ledger entries a full run reserves room for: two deposits a period and, per step, a
    /// payment and a draw.
    pub(super) ledger_capacity: usize,
    /// The pool's projection data: obligor labels, the row grid's dates, the default curve's
    /// horizon.
    pub(super) pool: PoolPlan,
    /// Whether some support has an `interest_rate` (its interest accrues on each date).
    pub(super) support_interest: bool,
}

impl<'d> DealPlan<'d> {
    /// Derives the plan of `deal`.
    pub fn new(deal: &'d Deal) -> DealPlan<'d> {
        Self::build(deal, ObligorRows::Keep)
    }

    /// The plan of `deal` for lean runs only ([`DealPlan::run_lean_cached`]): without the
    /// obligors' labels, which only obligor rows need.
    pub fn lean(deal: &'d Deal) -> DealPlan<'d> {
        Self::build(deal, ObligorRows::Skip)
    }

    /// The plan of `deal` for runs that build `rows` (without obligor rows, the pool's plan
    /// has no obligor labels: a single lean run does not pay for them).
    pub(super) fn build(deal: &'d Deal, rows: ObligorRows) -> DealPlan<'d> {
        let balance: Vec<Fen> = deal.tranches.iter().map(|t| to_fen(t.balance)).collect();
        let max_steps = deal
            .waterfalls
            .iter()
            .map(|w| w.steps.len())
            .max()
            .unwrap_or(0);
        DealPlan {
            deal,
            labels: Labels::new(deal),
            year_fraction: deal
                .periods
                .iter()
                .map(|p| deal.day_count.fraction(p.accrual_start, p.accrual_end))
                .collect(),
            senior: (0..deal.tranches.len())
                .filter(|&i| deal.tranches[i].class == TrancheClass::Senior)
                .collect(),
            issue_size: balance.iter().sum(),
            balance,
            ledger_capacity: 1 + deal.periods.len() * (2 + 2 * max_steps),
            pool: PoolPlan::build(&deal.periods, &deal.obligors, rows),
            support_interest: deal.supports.iter().any(|s| s.interest_rate.is_some()),
        }
    }

    /// Projects the pool and runs the waterfall under `scenario`: [`super::run_with`] on this
    /// plan, the same result to the bit.
    pub fn run(&self, scenario: &Scenario, rows: ObligorRows) -> Result<RunResult> {
        let mut once = RunMemo {
            pool: ProjectionMemo::default(),
            buffers: RunBuffers::default(),
        };
        self.run_in(&mut once, scenario, rows)
    }

    /// [`DealPlan::run`], carrying what one run leaves for the next in `memo` (a sweep keeps
    /// one per worker thread; the result does not depend on it).
    pub fn run_in(
        &self,
        memo: &mut RunMemo,
        scenario: &Scenario,
        rows: ObligorRows,
    ) -> Result<RunResult> {
        let deal = self.deal;
        scenario.check(deal.obligors.len(), deal.supports.len(), deal.events.len())?;
        let pool = project_planned(deal, (&self.pool, &mut memo.pool), scenario, rows)?;
        let keep_ledger = rows == ObligorRows::Keep;
        super::waterfall(self, scenario, pool, keep_ledger, &mut memo.buffers)
    }
}

impl DealPlan<'_> {
    /// A lean run ([`ObligorRows::Skip`]) of `scenario`, its pool projection taken from
    /// `cache` when kept there, else projected and kept: [`DealPlan::run_in`], the same result
    /// to the bit. `cache` must serve this deal's pool only ([`ProjectionCache`]).
    pub fn run_lean_cached(
        &self,
        memo: &mut RunMemo,
        scenario: &Scenario,
        cache: &ProjectionCache,
    ) -> Result<RunResult> {
        let deal = self.deal;
        scenario.check(deal.obligors.len(), deal.supports.len(), deal.events.len())?;
        let pool = match cache.get(scenario) {
            Some(pool) => pool,
            None => {
                let pool = project_planned(
                    deal,
                    (&self.pool, &mut memo.pool),
                    scenario,
                    ObligorRows::Skip,
                )?;
                cache.put(scenario, &pool);
                pool
            }
        };
        super::waterfall(self, scenario, pool, false, &mut memo.buffers)
    }
}

/// What one run leaves for the next run of the same deal on the same worker: the pool
/// projection's memo ([`ProjectionMemo`]) and the allocations of the run's state vectors
/// (`engine/buffers.rs`). No result depends on it.
#[derive(Debug)]
pub struct RunMemo {
    pool: ProjectionMemo,
    buffers: RunBuffers,
}

impl Default for RunMemo {
    /// A memo for the runs of one worker: each run gives its vectors to the next.
    fn default() -> RunMemo {
        RunMemo {
            pool: ProjectionMemo::default(),
            buffers: RunBuffers::kept(),
        }
    }
}

impl RunMemo {
    /// The pool projection's part (what its counters say: paths shared, totals by parts).
    pub fn pool(&self) -> &ProjectionMemo {
        &self.pool
    }
}

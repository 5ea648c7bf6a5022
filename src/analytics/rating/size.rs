//! Tranche sizing (`ipabs size`, docs/rating.md "Sizing"): in order of seniority, the largest
//! balance of each targeted tranche, on a grid of `step`, that keeps its target rating (its BDR,
//! the minimum over the scenarios, covers the rating's TDR) and, if asked, a coverage multiple
//! of at least the minimum on every payment date of the base case. The last subordinated
//! tranche takes the rest of a fixed issue size, unless the issue size is freed.

use rust_decimal::Decimal;

use super::{RatingTdr, min_bdr_in};
use crate::deal::{Amortization, Deal, TrancheClass};
use crate::engine::{self, ObligorRows, ProjectionCache};
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// What `ipabs size` is asked.
#[derive(Debug, Clone)]
pub struct SizeOptions {
    /// (tranche index, target rating), any order; sized in seniority order.
    pub targets: Vec<(usize, String)>,
    /// Minimum coverage multiple on every payment date of the base case.
    pub min_coverage: Option<Decimal>,
    /// Balance grid, yuan.
    pub step: Decimal,
    /// Keep the subordinated tranche as it is and let the issue size change.
    pub free_issue_size: bool,
}

/// One evaluated balance.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeStep {
    pub deal: String,
    /// 1-based order of evaluation over the whole search.
    pub step: u32,
    pub tranche: String,
    pub target_rating: String,
    pub balance: Decimal,
    /// The subordinated tranche's balance at this step.
    pub subordinated_balance: Decimal,
    pub breakeven_default_rate: Decimal,
    pub target_default_rate: Decimal,
    pub rating_ok: bool,
    /// The tranche's minimum coverage multiple in the base case (None: not computed for it).
    pub min_coverage_multiple: Option<Decimal>,
    /// None when no minimum was asked or no multiple exists for the tranche.
    pub coverage_ok: Option<bool>,
    pub pass: bool,
}

/// The result for one targeted tranche.
#[derive(Debug, Clone, PartialEq)]
pub struct Sized {
    pub tranche: String,
    pub target_rating: String,
    pub balance: Decimal,
    /// What stops a larger balance: `rating`, `coverage`, `rating and coverage`, or
    /// `issue size` (the subordinated tranche is down to one step).
    pub binding: String,
}

/// The sized deal, every step, and the per-tranche results.
#[derive(Debug, Clone)]
pub struct SizeResult {
    pub deal: Deal,
    pub steps: Vec<SizeStep>,
    pub sized: Vec<Sized>,
}

struct Eval {
    rating_ok: bool,
    coverage_ok: Option<bool>,
}

impl Eval {
    fn pass(&self) -> bool {
        self.rating_ok && self.coverage_ok != Some(false)
    }
    fn binding(&self) -> &'static str {
        match (self.rating_ok, self.coverage_ok == Some(false)) {
            (false, true) => "rating and coverage",
            (false, false) => "rating",
            (true, true) => "coverage",
            (true, false) => "issue size",
        }
    }
}

/// Sizes the targeted tranches of `deal`. `tdrs` are the pool's TDRs (they do not depend on the
/// tranches); `scenarios` are the stress scenarios of the BDR.
pub fn size(
    deal: &Deal,
    scenarios: &[Scenario],
    tdrs: &[RatingTdr],
    opts: &SizeOptions,
) -> Result<SizeResult> {
    if opts.step <= Decimal::ZERO {
        return Err(Error::Usage(format!(
            "--step {} must be positive",
            opts.step
        )));
    }
    let sub = deal
        .tranches
        .iter()
        .rposition(|t| t.class == TrancheClass::Subordinated)
        .ok_or_else(|| {
            Error::Usage("the deal has no subordinated tranche to take the rest".into())
        })?;
    // Every candidate balance searches the same scenarios on the same pool: their
    // projections are made once ([`ProjectionCache`]).
    let caches = ProjectionCache::per_scenario(scenarios.len());
    let mut targets = opts.targets.clone();
    targets.sort_by_key(|(t, _)| *t);
    let mut d = deal.clone();
    let mut steps = Vec::new();
    let mut sized = Vec::new();
    for (ti, rating) in &targets {
        let ti = *ti;
        let name = d.tranches[ti].name.clone();
        if ti == sub {
            return Err(Error::Usage(format!(
                "`{name}` is the subordinated tranche that takes the rest; target another tranche"
            )));
        }
        if matches!(d.tranches[ti].amortization, Amortization::Scheduled(_)) {
            return Err(Error::Usage(format!(
                "--target {name}={rating}: tranche `{name}` (the deal's tranches[{ti}]) has \
                 amortization = \"scheduled\" with target_balances, which fix its balance date \
                 by date; sizing changes the balance of bullet and pass-through tranches only: \
                 target another tranche, or size a copy of the deal with this one's \
                 amortization changed"
            )));
        }
        let tdr = tdrs
            .iter()
            .find(|t| &t.rating == rating)
            .map(|t| t.tdr)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--target {name}={rating}: the PD table has no rating `{rating}`"
                ))
            })?;
        // Largest grid index: a fixed issue leaves the subordinated tranche at least one step.
        let room = if opts.free_issue_size {
            deal.pool_balance()
        } else {
            d.tranches[ti].balance + d.tranches[sub].balance - opts.step
        };
        let max_idx = (room / opts.step).floor().to_u64_checked()?;
        if max_idx == 0 {
            return Err(Error::Usage(format!(
                "--step {} leaves no room to size `{name}`",
                opts.step
            )));
        }
        let issue = d.issue_size();
        let eval = |idx: u64, d: &mut Deal, steps: &mut Vec<SizeStep>| -> Result<Eval> {
            let balance = opts.step * Decimal::from(idx);
            let others: Decimal = d
                .tranches
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != ti && *i != sub)
                .map(|(_, t)| t.balance)
                .sum();
            d.tranches[ti].balance = balance;
            if !opts.free_issue_size {
                d.tranches[sub].balance = issue - others - balance;
            }
            let bdr = min_bdr_in(d, scenarios, ti, Some(&caches))?;
            let rating_ok = bdr >= tdr;
            let base = engine::run_with(d, &Scenario::base(), ObligorRows::Skip)?;
            let cov = base
                .summary
                .iter()
                .find(|s| s.tranche == name)
                .and_then(|s| s.min_coverage_multiple);
            let coverage_ok = opts.min_coverage.and_then(|m| cov.map(|c| c >= m));
            let e = Eval {
                rating_ok,
                coverage_ok,
            };
            steps.push(SizeStep {
                deal: d.name.clone(),
                step: steps.len() as u32 + 1,
                tranche: name.clone(),
                target_rating: rating.clone(),
                balance,
                subordinated_balance: d.tranches[sub].balance,
                breakeven_default_rate: bdr,
                target_default_rate: tdr,
                rating_ok,
                min_coverage_multiple: cov,
                coverage_ok,
                pass: e.pass(),
            });
            Ok(e)
        };
        let top = eval(max_idx, &mut d, &mut steps)?;
        let (found, binding) = if top.pass() {
            (max_idx, "issue size".to_string())
        } else {
            let low = eval(1, &mut d, &mut steps)?;
            if !low.pass() {
                return Err(Error::Usage(format!(
                    "no balance of `{name}` keeps {rating}: even {} fails ({})",
                    opts.step,
                    low.binding()
                )));
            }
            // Bisection on the grid: lo passes, hi fails (assumes a larger tranche never
            // passes where a smaller one fails; each step is in the table).
            let (mut lo, mut hi, mut hi_eval) = (1u64, max_idx, top);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let e = eval(mid, &mut d, &mut steps)?;
                if e.pass() {
                    lo = mid;
                } else {
                    hi = mid;
                    hi_eval = e;
                }
            }
            (lo, hi_eval.binding().to_string())
        };
        // Leave the deal at the found balance.
        let balance = opts.step * Decimal::from(found);
        let others: Decimal = d
            .tranches
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != ti && *i != sub)
            .map(|(_, t)| t.balance)
            .sum();
        d.tranches[ti].balance = balance;
        if !opts.free_issue_size {
            d.tranches[sub].balance = issue - others - balance;
        }
        sized.push(Sized {
            tranche: name,
            target_rating: rating.clone(),
            balance,
            binding,
        });
    }
    Ok(SizeResult {
        deal: d,
        steps,
        sized,
    })
}

trait ToU64 {
    fn to_u64_checked(self) -> Result<u64>;
}

impl ToU64 for Decimal {
    fn to_u64_checked(self) -> Result<u64> {
        use rust_decimal::prelude::ToPrimitive;
        if self < Decimal::ZERO {
            return Ok(0);
        }
        self.to_u64()
            .ok_or_else(|| Error::Usage(format!("{self} steps are too many")))
    }
}

//! The waterfall engine: runs a deal under a scenario, period by period.
//!
//! For each payment date the engine
//! 1. deposits the collection period's pool cash into the collection account;
//! 2. computes what is due (taxes, fees, interest, principal) and the coverage multiples;
//! 3. tests the triggers of the phase before the waterfall and picks the waterfall;
//! 4. runs the waterfall's steps in order, drawing on the reserve and then on support providers
//!    when a covered item is short;
//! 5. tests the triggers of the phase after the waterfall.
//!
//! Every movement of cash is a [`result::LedgerEntry`] between two typed [`ledger::Account`]s.
//! After the run the engine replays every account and checks, to the fen, that pool cash +
//! support draws + reserve funding + clean-up call price + restatements = payments + revolving
//! purchases + the collection account, reserve and named accounts at the end, and (on a full
//! run) that every payee's rows add up to what the ledger paid it (`verify`); a failure is an
//! [`crate::error::Error::Internal`].
//!
//! Modules: `state` (the run's balances, one payment date at a time), `due` (what is due:
//! the interest, fee and tax formulas), `triggers` (when each condition is tested), `steps`
//! (the waterfall steps), `verify` (the conservation replay), `end` (the warnings of a run's
//! end), `summary` (per-tranche totals).

mod accounts;
mod buffers;
mod cache;
mod call;
mod commingling;
mod conditions;
mod due;
mod end;
mod fees;
mod guarantee;
pub mod ledger;
pub mod notice;
mod plan;
mod rates;
mod record;
pub use rates::coupons_on;
mod repayment;
mod reserve;
mod restate;
pub mod result;
mod revolving;
mod state;
mod steps;
mod summary;
pub mod triggers;
mod verify;

use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::error::Result;
use crate::money::{Fen, ratio6_fen, report_ratio};
use crate::pool::projection::PoolProjection;
pub use crate::pool::projection::{ObligorRows, ProjectionMemo};
use crate::scenario::Scenario;
use buffers::RunBuffers;
pub use cache::ProjectionCache;
pub use end::TRIPS_ADVICE;
pub use plan::{DealPlan, RunMemo};
pub use restate::WaterfallRows;
use result::RunResult;

/// Projects the pool and runs the waterfall of `deal` under `scenario`; the result holds every
/// table.
pub fn run(deal: &Deal, scenario: &Scenario) -> Result<RunResult> {
    run_with(deal, scenario, ObligorRows::Keep)
}

/// [`run`], saying whether to build the per-obligor pool rows (`RunResult::pool_flows`) and
/// keep the ledger (`RunResult::ledger`). [`ObligorRows::Skip`] is a lean run for sweeps
/// without `--flows`, break-even searches and the rating Monte Carlo, which drop them: it keeps
/// no pool rows, ledger (nor its account names), period rows (`periods`; [`RunResult::cumulative_default_ratio`]
/// keeps the last one's default ratio), fee and tax rows (`charges`) or payment-notice rows
/// (`notices`, unless `[notices] per_unit` makes them part of the waterfall); every other
/// table is the same, and the conservation check runs on the running replay of every account
/// either way.
///
/// Many runs of one deal share a [`DealPlan`]: `DealPlan::new(deal).run(scenario, rows)` is
/// this function.
pub fn run_with(deal: &Deal, scenario: &Scenario, rows: ObligorRows) -> Result<RunResult> {
    DealPlan::build(deal, rows).run(scenario, rows)
}

/// Runs the waterfall on an already projected pool, keeping the ledger.
pub fn run_with_pool(deal: &Deal, scenario: &Scenario, pool: PoolProjection) -> Result<RunResult> {
    let b = &mut RunBuffers::default();
    waterfall(&waterfall_plan(deal), scenario, pool, true, b)
}

/// Runs the waterfall on `pool` (actual collections first, docs/auditing.md) and, after each
/// payment date of `actuals`, brings the run to the reported state (`restate`): the date's
/// rows, the summary and the pricing read from them state what was reported. Returns the run
/// and, for each actual date the run reached, in order, its rows as the waterfall wrote them
/// before the restatement ([`WaterfallRows`]: what the reconciliation compares).
pub fn run_restated(
    deal: &Deal,
    scenario: &Scenario,
    pool: PoolProjection,
    actuals: &crate::actuals::Actuals,
) -> Result<(RunResult, Vec<WaterfallRows>)> {
    let plan = waterfall_plan(deal);
    let mut b = RunBuffers::default();
    let mut st = state::Run::new(&plan, scenario, pool, true, &mut b)?;
    // A reported date's collections are what the trust received: a servicer that failed in its
    // collection period has kept its share already (`reconcile` warns of it).
    if st.commingle_at.is_some_and(|(k, _)| actuals.reports(k)) {
        st.commingle_at = None;
    }
    let mut waterfall = Vec::with_capacity(actuals.len());
    // Up to the last reported date the plan ends on full repayment (`end_when_repaid`) only
    // as reported: the model runs those dates as ordinary ones (review 31d item 2: the model's
    // end skipped a later report, and a date run as the last paid out cash the report kept).
    let last_reported = actuals.periods.iter().map(|a| a.index).max();
    st.end_from = last_reported.map_or(0, |l| l + 1);
    // The reported dates were paid at the contractual coupons: a stress of the rest applies
    // after them (review 43d F1).
    st.coupons = rates::coupons_known_through(deal, scenario, last_reported)?;
    // The last reported date looks ahead at the contractual coupons too (review 43f F2: its
    // reserve target read the next date's stressed interest, and a report of the deal's own
    // figures differed under `coupon_shift`).
    if let Some(l) = last_reported.filter(|&l| l + 1 < deal.periods.len()) {
        let contractual = rates::coupons_known_through(deal, scenario, Some(l + 1))?;
        st.lookahead_coupons = Some((l, rates::coupons_at(deal, &contractual, l + 1)));
    }
    // The last reported date runs as the plan's last when the reports of every date up to it
    // give each tranche's principal, adding up to its balance (review 31f item 1: run as an
    // ordinary date, it left its residual and reserve in the plan).
    if deal.end_when_repaid
        && let Some(l) = last_reported.filter(|&l| l + 1 < deal.periods.len())
        && (0..=l).all(|j| actuals.reports(j))
        && deal.tranches.iter().enumerate().all(|(t, tr)| {
            let paid: Option<Decimal> = actuals
                .periods
                .iter()
                .map(|a| a.principal.get(t).copied().flatten())
                .sum();
            paid == Some(tr.balance)
        })
    {
        st.end_at = Some(l);
    }
    for k in 0..deal.periods.len() {
        st.period(k)?;
        if let Some(a) = actuals.periods.iter().find(|a| a.index == k) {
            waterfall.push(st.waterfall_rows()?);
            st.restate(a)?;
            // As reported: the plan ended only if the report repaid every tranche.
            st.ended = st.ended && st.all_repaid();
        }
        if st.called || st.ended {
            break;
        }
    }
    st.retotal();
    Ok((st.finish(&mut b)?, waterfall))
}

/// The plan of a waterfall on a pool projected already: without the obligors' labels, which
/// only a projection reads.
fn waterfall_plan(deal: &Deal) -> DealPlan<'_> {
    DealPlan::build(deal, ObligorRows::Skip)
}

fn waterfall(
    plan: &DealPlan,
    scenario: &Scenario,
    pool: PoolProjection,
    keep_ledger: bool,
    b: &mut RunBuffers,
) -> Result<RunResult> {
    let deal = plan.deal;
    let mut st = state::Run::new(plan, scenario, pool, keep_ledger, b)?;
    for k in 0..deal.periods.len() {
        st.period(k)?;
        if st.called || st.ended {
            // The clean-up call ends the deal (`call`), and so does full repayment with
            // `end_when_repaid`.
            break;
        }
    }
    st.finish(b)
}

/// [`report_ratio`] of two counts of fen (a coverage multiple's numerator and denominator), read
/// from the integers when [`ratio6_fen`] can, else from their Decimals.
#[inline]
pub(crate) fn ratio_of_fen(num: Fen, den: Fen) -> Result<Option<Decimal>> {
    if den <= 0 {
        return Ok(None);
    }
    if let Some(r) = ratio6_fen(num, den) {
        return Ok(Some(r));
    }
    Ok(report_ratio(state::dec(num)?, state::dec(den)?))
}

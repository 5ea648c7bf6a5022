//! Floating coupons: each floating tranche's rate on each payment date, fixed once per run
//! from the scenario's index paths (docs/conventions.md, "Floating rates").

use rust_decimal::Decimal;

use crate::deal::{Deal, TrancheClass};
use crate::error::{Error, Result};
use crate::floating::IndexView;
use crate::scenario::Scenario;

/// The coupon of every floating tranche on every payment date (empty for fixed tranches):
/// the rate fixed on the latest reset date on or before the period's accrual start (the
/// closing date before the first reset), read through [`IndexView`]: the closing-date fixing
/// (the issuance coupon) from the deal's own path, later ones from the scenario's path plus
/// its shift; within the floor and the cap. With a `coupon_shift` (since session 35), every
/// senior and mezzanine tranche's coupon on every date, fixed or floating, plus the shift
/// (after the floor and the cap); a subordinated tranche's return cap is not shifted. Fixed
/// once per run, so that a run without floating rates or a shift reads each coupon as before.
pub(super) fn tranche_coupons(deal: &Deal, scenario: &Scenario) -> Result<Vec<Vec<Decimal>>> {
    coupons_known_through(deal, scenario, None)
}

/// [`tranche_coupons`] of an in-life run whose dates up to index `known` were reported
/// (`reconcile`, docs/auditing.md): those dates' coupons are the contractual ones, without the
/// scenario's `coupon_shift`, and every fixing on or before the last of them is history, read
/// from the deal's own index paths, for the later dates too (review 43d F1: a stress of the
/// rest moved the coupons of the reported dates, and a correctly paid interest was restated
/// as unpaid). The scenario stresses the dates after `known` only.
pub(super) fn coupons_known_through(
    deal: &Deal,
    scenario: &Scenario,
    known: Option<usize>,
) -> Result<Vec<Vec<Decimal>>> {
    let shift = scenario.coupon_shift;
    if shift.is_zero() && deal.tranches.iter().all(|t| t.floating.is_none()) {
        return Ok(Vec::new());
    }
    let history_end = known
        .and_then(|k| deal.periods.get(k))
        .map_or(deal.closing_date, |p| p.date().max(deal.closing_date));
    let view = IndexView {
        history: &deal.scenario.indices,
        scenario: &scenario.indices,
        history_end,
    };
    let stressed = |k: usize| known.is_none_or(|last| k > last);
    deal.tranches
        .iter()
        .map(|t| {
            let shift = if t.class == TrancheClass::Subordinated {
                Decimal::ZERO
            } else {
                shift
            };
            let shift_on = |k: usize| if stressed(k) { shift } else { Decimal::ZERO };
            let Some(f) = &t.floating else {
                return Ok(if shift.is_zero() {
                    Vec::new()
                } else {
                    (0..deal.periods.len())
                        .map(|k| t.coupon + shift_on(k))
                        .collect()
                });
            };
            deal.periods
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let fixing = f.fixing_date(deal.closing_date, p.accrual_start);
                    let rate = f.rate_on(fixing, &view).map(|r| r + shift_on(k));
                    rate.ok_or_else(|| {
                        Error::Usage(format!(
                            "scenario `{}`: tranche `{}` follows index `{}`, which neither the \
                             scenario nor the deal's [scenario] gives a path for",
                            scenario.name, t.name, f.index
                        ))
                    })
                })
                .collect()
        })
        .collect()
}

/// Each tranche's coupon for payment date `k` (an index into `deal.periods`) under
/// `scenario`: its fixed coupon, or its floating rate for the period as the run fixes it
/// (what a payment notice states as 本期票面利率), with the scenario's `coupon_shift`.
pub fn coupons_on(deal: &Deal, scenario: &Scenario, k: usize) -> Result<Vec<Decimal>> {
    Ok(coupons_at(deal, &tranche_coupons(deal, scenario)?, k))
}

/// Each tranche's coupon for payment date `k` from a run's coupons `fixed`
/// ([`tranche_coupons`], [`coupons_known_through`]): its entry, or its fixed coupon where the
/// run keeps none.
pub(super) fn coupons_at(deal: &Deal, fixed: &[Vec<Decimal>], k: usize) -> Vec<Decimal> {
    deal.tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            fixed
                .get(i)
                .and_then(|rates| rates.get(k))
                .copied()
                .unwrap_or(t.coupon)
        })
        .collect()
}

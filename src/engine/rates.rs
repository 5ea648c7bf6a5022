//! Floating coupons: each floating tranche's rate on each payment date, fixed once per run
//! from the scenario's index paths (docs/conventions.md, "Floating rates").

use rust_decimal::Decimal;

use crate::deal::{Deal, Tranche, TrancheClass};
use crate::error::{Error, Result};
use crate::floating::IndexView;
use crate::scenario::Scenario;

/// The coupon of every floating tranche on every payment date (empty for fixed tranches):
/// the rate fixed on the latest reset date on or before the period's accrual start (the
/// closing date before the first reset), read through [`IndexView`]: the closing-date fixing
/// (the issuance coupon) from the deal's own path, later ones from the scenario's path plus
/// its shift; within the floor and the cap.
pub(super) fn tranche_coupons(deal: &Deal, scenario: &Scenario) -> Result<Vec<Vec<Decimal>>> {
    if deal.tranches.iter().all(|t| t.floating.is_none()) {
        return Ok(Vec::new());
    }
    let view = IndexView {
        history: &deal.scenario.indices,
        scenario: &scenario.indices,
        history_end: deal.closing_date,
    };
    deal.tranches
        .iter()
        .map(|t| {
            let Some(f) = &t.floating else {
                return Ok(Vec::new());
            };
            deal.periods
                .iter()
                .map(|p| {
                    let fixing = f.fixing_date(deal.closing_date, p.accrual_start);
                    f.rate_on(fixing, &view).ok_or_else(|| {
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
    let floating = tranche_coupons(deal, scenario)?;
    Ok(deal
        .tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let rate = floating
                .get(i)
                .and_then(|rates| rates.get(k))
                .copied()
                .unwrap_or(t.coupon);
            shifted_coupon(t, scenario, rate)
        })
        .collect())
}

/// `rate` plus the scenario's `coupon_shift` for a senior or mezzanine tranche (after a
/// floating rate's floor and cap); a subordinated tranche's return cap is not shifted.
pub(super) fn shifted_coupon(t: &Tranche, scenario: &Scenario, rate: Decimal) -> Decimal {
    if scenario.coupon_shift.is_zero() || t.class == TrancheClass::Subordinated {
        rate
    } else {
        rate + scenario.coupon_shift
    }
}

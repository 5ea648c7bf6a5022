//! Per-tranche totals. WAL, yields and risk measures are computed by
//! [`crate::analytics::measures`].

use rust_decimal::Decimal;

use super::result::{TrancheFlowRow, TrancheSummary};
use crate::deal::Deal;

/// Builds one summary row per tranche from the tranche flows of a run, in one pass over each
/// tranche's rows.
pub(super) fn tranche_summaries(deal: &Deal, flows: &[TrancheFlowRow]) -> Vec<TrancheSummary> {
    let nt = deal.tranches.len();
    deal.tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut total_interest = Decimal::ZERO;
            let mut total_principal = Decimal::ZERO;
            let mut total_residual = Decimal::ZERO;
            let mut last = None;
            let mut final_payment_date = None;
            let mut min_coverage: Option<Decimal> = None;
            // Rows are period-major: tranche i of period k is at k * nt + i.
            for r in flows.iter().skip(i).step_by(nt.max(1)) {
                total_interest += r.interest_paid;
                total_principal += r.principal_paid;
                total_residual += r.residual_paid;
                if !(r.interest_paid + r.principal_paid + r.residual_paid).is_zero() {
                    final_payment_date = Some(r.payment_date);
                }
                if r.balance_start > Decimal::ZERO
                    && let Some(c) = r.coverage_multiple
                {
                    // The first of equal minima, as `Iterator::min`.
                    min_coverage = Some(match min_coverage {
                        Some(m) if c >= m => m,
                        _ => c,
                    });
                }
                last = Some(r);
            }
            TrancheSummary {
                tranche: t.name.clone(),
                class: t.class.name().to_string(),
                rating: t.rating.clone(),
                initial_balance: t.balance,
                coupon: t.coupon,
                total_interest,
                total_principal,
                total_residual,
                principal_loss: last.map_or(t.balance, |r| r.balance_end),
                interest_shortfall: last.map_or(Decimal::ZERO, |r| r.interest_shortfall),
                final_payment_date,
                min_coverage_multiple: min_coverage,
            }
        })
        .collect()
}

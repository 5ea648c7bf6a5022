//! Per-tranche totals and WAL. Yields and risk measures are added by
//! [`crate::analytics::measures::apply_pricing`].

use rust_decimal::Decimal;

use super::result::{TrancheFlowRow, TrancheSummary};
use crate::analytics::bond_math::{flows_from_decimal_iter, wal_years_of};
use crate::deal::Deal;
use crate::money::{lt, plus, positive};

/// Builds one summary row per tranche from the tranche flows of a run, in one pass over each
/// tranche's rows.
pub(super) fn tranche_summaries(deal: &Deal, flows: &[TrancheFlowRow]) -> Vec<TrancheSummary> {
    let nt = deal.tranches.len();
    deal.tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Rows are period-major: tranche i of period k is at k * nt + i.
            let rows = || flows.iter().skip(i).step_by(nt.max(1));
            let mut total_interest = Decimal::ZERO;
            let mut total_principal = Decimal::ZERO;
            let mut total_residual = Decimal::ZERO;
            let mut last = None;
            let mut final_payment_date = None;
            let mut min_coverage: Option<Decimal> = None;
            for r in rows() {
                total_interest = plus(total_interest, r.interest_paid);
                total_principal = plus(total_principal, r.principal_paid);
                total_residual = plus(total_residual, r.residual_paid);
                if !plus(plus(r.interest_paid, r.principal_paid), r.residual_paid).is_zero() {
                    final_payment_date = Some(r.payment_date);
                }
                if positive(r.balance_start)
                    && let Some(c) = r.coverage_multiple
                {
                    // The first of equal minima, as `Iterator::min`.
                    min_coverage = Some(match min_coverage {
                        Some(m) if !lt(c, m) => m,
                        _ => c,
                    });
                }
                last = Some(r);
            }
            let principal = rows()
                .filter(|r| !r.principal_paid.is_zero())
                .map(|r| (r.payment_date, r.principal_paid));
            let wal = wal_years_of(deal.closing_date, flows_from_decimal_iter(principal));
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
                wal_years: wal,
                min_coverage_multiple: min_coverage,
                yield_at_par: None,
                settlement_date: None,
                price: None,
                yield_: None,
                macaulay_duration: None,
                modified_duration: None,
                convexity: None,
                spread: None,
            }
        })
        .collect()
}

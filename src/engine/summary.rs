//! Per-tranche totals and WAL. Yields and risk measures are added by
//! [`crate::analytics::measures::apply_pricing`].

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::result::{TrancheFlowRow, TrancheSummary};
use crate::analytics::bond_math::{flows_from_decimal, wal_years};
use crate::deal::Deal;

/// Builds one summary row per tranche from the tranche flows of a run.
///
pub(super) fn tranche_summaries(deal: &Deal, flows: &[TrancheFlowRow]) -> Vec<TrancheSummary> {
    let nt = deal.tranches.len();
    deal.tranches
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Rows are period-major: tranche i of period k is at k * nt + i.
            let rows: Vec<&TrancheFlowRow> = flows.iter().skip(i).step_by(nt.max(1)).collect();
            let total_interest: Decimal = rows.iter().map(|r| r.interest_paid).sum();
            let total_principal: Decimal = rows.iter().map(|r| r.principal_paid).sum();
            let total_residual: Decimal = rows.iter().map(|r| r.residual_paid).sum();
            let last = rows.last();
            let final_payment_date = rows
                .iter()
                .rev()
                .find(|r| !(r.interest_paid + r.principal_paid + r.residual_paid).is_zero())
                .map(|r| r.payment_date);
            let principal: Vec<(NaiveDate, Decimal)> = rows
                .iter()
                .filter(|r| !r.principal_paid.is_zero())
                .map(|r| (r.payment_date, r.principal_paid))
                .collect();
            let wal = wal_years(deal.closing_date, &flows_from_decimal(&principal));
            let min_coverage = rows
                .iter()
                .filter(|r| r.balance_start > Decimal::ZERO)
                .filter_map(|r| r.coverage_multiple)
                .min();
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

//! Per-tranche totals, gathered as each payment date's tranche rows are recorded. WAL, yields
//! and risk measures are computed by [`crate::analytics::measures`].

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::result::{PaidFacts, TrancheSummary};
use super::state::dec;
use crate::deal::Deal;
use crate::error::Result;
use crate::money::Fen;

/// One tranche's running totals over its rows, in fen: what its summary row states.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TrancheTotals {
    interest: Fen,
    principal: Fen,
    residual: Fen,
    /// Whether a row was recorded (a tranche without rows has exact zero totals).
    any: bool,
    /// The last row's balance and interest shortfall.
    balance_end: Fen,
    interest_shortfall: Fen,
    /// The last date the tranche received any cash.
    final_payment_date: Option<NaiveDate>,
    /// The least coverage multiple (as reported, rounded) over rows with a starting balance;
    /// the first of equal minima.
    min_coverage: Option<Decimal>,
    /// The first date whose interest due was not paid in full (the per-unit 尾差 aside), and
    /// the last row's such interest.
    first_unpaid: Option<NaiveDate>,
    unpaid_end: Fen,
}

/// A payment date's figures of one tranche, as its row reports them.
pub(super) struct TrancheDate {
    pub date: NaiveDate,
    pub balance_start: Fen,
    pub interest_paid: Fen,
    pub principal_paid: Fen,
    pub residual_paid: Fen,
    pub balance_end: Fen,
    pub interest_shortfall: Fen,
    /// `interest_shortfall` less the per-unit 尾差 carried by design.
    pub interest_unpaid: Fen,
    pub coverage_multiple: Option<Decimal>,
}

impl TrancheTotals {
    /// Interest, principal and residual paid over the rows added.
    pub(super) fn paid(&self) -> Fen {
        self.interest + self.principal + self.residual
    }

    /// Adds one payment date's row.
    pub(super) fn add(&mut self, r: &TrancheDate) {
        self.interest += r.interest_paid;
        self.principal += r.principal_paid;
        self.residual += r.residual_paid;
        self.any = true;
        if r.interest_paid + r.principal_paid + r.residual_paid != 0 {
            self.final_payment_date = Some(r.date);
        }
        if r.balance_start > 0
            && let Some(c) = r.coverage_multiple
        {
            self.min_coverage = Some(match self.min_coverage {
                Some(m) if c >= m => m,
                _ => c,
            });
        }
        self.balance_end = r.balance_end;
        self.interest_shortfall = r.interest_shortfall;
        if r.interest_unpaid != 0 && self.first_unpaid.is_none() {
            self.first_unpaid = Some(r.date);
        }
        self.unpaid_end = r.interest_unpaid;
    }
}

/// One summary row per tranche from its running totals. A total is the sum of the rows'
/// Decimals (scale 2), so it is written back at scale 2; a tranche without rows has
/// `Decimal::ZERO` totals and its initial balance as its loss.
pub(super) fn tranche_summaries(
    deal: &Deal,
    totals: &[TrancheTotals],
) -> Result<Vec<TrancheSummary>> {
    deal.tranches
        .iter()
        .zip(totals)
        .map(|(t, s)| {
            let sum = |f: Fen| if s.any { dec(f) } else { Ok(Decimal::ZERO) };
            Ok(TrancheSummary {
                tranche: t.name.clone(),
                class: t.class.name().to_string(),
                rating: t.rating.clone(),
                initial_balance: t.balance,
                coupon: t.coupon,
                total_interest: sum(s.interest)?,
                total_principal: sum(s.principal)?,
                total_residual: sum(s.residual)?,
                principal_loss: if s.any {
                    dec(s.balance_end)?
                } else {
                    t.balance
                },
                interest_shortfall: sum(s.interest_shortfall)?,
                final_payment_date: s.final_payment_date,
                min_coverage_multiple: s.min_coverage,
                paid: s.any.then_some(PaidFacts {
                    first_interest_unpaid: s.first_unpaid,
                    interest_unpaid_end: s.unpaid_end != 0,
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::rational::xorshift;

    #[test]
    fn a_total_in_fen_is_the_sum_of_the_rows_decimals_at_their_scale() {
        // The summary's totals were the sum of the rows' Decimals (each `dec`, scale 2) from
        // `Decimal::ZERO`; `dec` of the sum in fen must be that Decimal, scale included, for
        // every sign and size (up to 2^62 fen a row, 12 rows).
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let rows: Vec<Fen> = (0..1 + next() % 12)
                .map(|_| {
                    let v = (next() >> (2 + next() % 62)) as i128;
                    if next() & 1 == 0 { v } else { -v }
                })
                .collect();
            let by_rows = rows
                .iter()
                .fold(Decimal::ZERO, |t, &f| t + dec(f).expect("in range"));
            let fen: Fen = rows.iter().sum();
            let at_once = dec(fen).expect("in range");
            assert_eq!(by_rows, at_once);
            assert_eq!(by_rows.scale(), 2, "{rows:?}");
            assert_eq!(by_rows.to_string(), at_once.to_string());
        }
    }
}

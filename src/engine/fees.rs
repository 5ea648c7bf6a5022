//! Fee mechanics (docs/conventions.md, "Fee mechanics"): fees that start or stop on dates, a
//! cap whose excess is paid lower down, fees on the interest paid to a tranche, and paying a
//! share of a fee at one step and the rest at another.

use rust_decimal::Decimal;

use super::ledger::Movement;
use super::state::Run;
use super::steps::{Covered, covers_all};
use crate::deal::{Base, Cover, FeeKind};
use crate::money::{Fen, Ratio, pro_rata_fen, to_fen};

impl Run<'_> {
    /// Whether fee `j` charges on payment date `k`: on or after its `start` and on or before
    /// its `end` (either the adjusted or the unadjusted date counts).
    pub(super) fn fee_active(&self, j: usize, k: usize) -> bool {
        self.deal.fees[j].active_on(&self.deal.periods[k])
    }

    /// Splits fee `j`'s new charge at its `cap`: keeps at most the cap in `charge` and returns
    /// the excess (0 without a cap).
    pub(super) fn excess_over_cap(&self, j: usize, charge: &mut Fen) -> Fen {
        match self.deal.fees[j].cap {
            Some(cap) => {
                let cap = to_fen(cap);
                let excess = (*charge - cap).max(0);
                *charge -= excess;
                excess
            }
            None => 0,
        }
    }

    /// Charges the fees of `ix` that are based on interest paid: `fen(rate × interest paid to
    /// the tranche so far on this date)`, as its notice states it with `per_unit`
    /// ([`Run::interest_as_notified`]), less what they were already charged on this date,
    /// within their caps; the excess over a `cap` goes to the excess part.
    pub(super) fn charge_on_paid(&mut self, ix: &[usize]) -> crate::error::Result<()> {
        let k = self.k;
        for &j in ix {
            let f = &self.deal.fees[j];
            let FeeKind::AnnualRate {
                rate,
                base: Base::InterestPaid(i),
            } = f.kind
            else {
                continue;
            };
            if !self.fee_active(j, k) {
                continue;
            }
            let target = self.money(self.interest_as_notified(i)?, &[rate], Ratio::ONE);
            let mut charge = (target - self.fee_on_paid[j]).max(0);
            if let Some(cap) = f.cap_per_period {
                charge = charge.min((to_fen(cap) - self.fee_on_paid[j]).max(0));
            }
            if let Some(cap) = f.cap_total {
                charge = charge.min((to_fen(cap) - self.fee_charged_total[j]).max(0));
            }
            // The cap splits the period's total, not each increment.
            let mut senior = charge;
            let excess = match f.cap {
                Some(cap) => {
                    let room = (to_fen(cap) - self.fee_on_paid[j]).max(0);
                    senior = charge.min(room);
                    charge - senior
                }
                None => 0,
            };
            self.fee_on_paid[j] += charge;
            self.fee_charged_total[j] += charge;
            self.due.fee[j] += senior;
            self.due.fee_excess[j] += excess;
        }
        Ok(())
    }

    /// `pay_fee` with `share` or `part = "excess"`: pays each fee's remaining due (or excess),
    /// at most `fen(share × remaining)` when a share is given, pro rata when short. The due
    /// part draws on the reserve and support as a `pay_fee` step does; the excess does not.
    pub(super) fn pay_fee_part(
        &mut self,
        step: u32,
        ix: &[usize],
        share: Option<Decimal>,
        excess: bool,
    ) -> crate::error::Result<()> {
        self.charge_on_paid(ix)?;
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        for &j in ix {
            let remaining = if excess {
                self.due.fee_excess[j] - self.paid.fee_excess[j]
            } else {
                self.due.fee[j] - self.paid.fee[j]
            };
            let amount = match share {
                Some(s) => self.money(remaining, &[s], Ratio::ONE).min(remaining),
                None => remaining,
            };
            items.push((j, amount.max(0)));
        }
        let need: Fen = items.iter().map(|x| x.1).sum();
        if !excess {
            self.fund(step, Cover::Fees, need, Covered::Fees);
        }
        let reason = match (excess, share.is_some()) {
            (true, _) => "fee above its cap (excess)",
            (false, true) => "share of the fee due",
            (false, false) => "fee due",
        };
        let pay = |run: &mut Run, j: usize, amt: Fen| {
            if amt <= 0 {
                return;
            }
            if excess {
                run.paid.fee_excess[j] += amt;
            } else {
                run.paid.fee[j] += amt;
            }
            run.pay_out(step, Movement::PayFee, j, amt, reason);
        };
        if covers_all(self.collection, need) {
            for &(j, amt) in &items {
                pay(self, j, amt);
            }
        } else if need > 0 {
            let rule = self.deal.pro_rata_rounding;
            for (j, amt) in pro_rata_fen(self.collection.min(need), &items, rule) {
                pay(self, j, amt);
            }
        }
        self.items = items;
        Ok(())
    }
}

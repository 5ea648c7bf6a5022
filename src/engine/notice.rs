//! Payment notices per 100 yuan of face (docs/auditing.md), and with `[notices] per_unit` the
//! waterfall paying exactly what the per-unit figures pay.
//!
//! For a tranche of initial balance `B` paying `X` (interest or principal) on a date:
//! * `x = X × 100 / B` per 100 yuan of face, rounded once to `decimals` places by the notice
//!   rule (truncate by default), computed in integers: `X_fen × 100 × 10^d / B_fen`;
//! * paid to holders `x × B / 100` (= per-unit figure × units), rounded once to the fen by the
//!   same rule: `m × B_fen / (100 × 10^d)` for the mantissa `m` of `x`;
//! * the residual (尾差) `X − paid`. With `per_unit`, the residual goes back from the tranche to
//!   the account that paid it (a [`Movement::PerUnitInterestResidual`] or
//!   [`Movement::PerUnitPrincipalResidual`] entry) and is carried: unpaid interest becomes the
//!   tranche's interest shortfall, unpaid principal stays in its balance. On the deal's last
//!   date, the call date and the dates after a tranche's redemption, nothing can be carried:
//!   the tranche is paid by its figures at each step (`Run::by_figure`), and its interest
//!   尾差 is forgone if it is paid in full; the date that redeems a tranche paid in full
//!   forgoes its 尾差 too (since session 28, docs/auditing.md).

use super::ledger::{Account, Movement};
use super::result::NoticeRow;
use super::state::{Run, dec};
use crate::error::{Error, Result};
use crate::money::pow10;
use crate::money::rational::div_round;
use crate::money::{Fen, Ratio, Rounding, fen_times, from_fen};
use rust_decimal::Decimal;

/// How many units of `face` a tranche of `initial` is, when both are positive and `face`
/// divides `initial` (otherwise the tranche has no notices).
fn whole_units(initial: Fen, face: Fen) -> Option<i128> {
    if initial <= 0 || face <= 0 {
        return None;
    }
    // 64-bit division when both fit (a 128-bit one is a library call).
    let (q, r) = match (u64::try_from(initial), u64::try_from(face)) {
        (Ok(i), Ok(f)) => (i128::from(i / f), i128::from(i % f)),
        _ => (initial / face, initial % face),
    };
    (r == 0).then_some(q)
}

fn overflow() -> Error {
    Error::Internal("a payment-notice figure is beyond 128-bit range".into())
}

/// The mantissa of `amount × 100 / initial` at `decimals` places.
#[inline]
pub fn per_100(amount: Fen, initial: Fen, decimals: u32, mode: Rounding) -> Result<i128> {
    let num = times(amount, per_100_unit(decimals)?)?;
    Ok(div_round(num, initial, mode))
}

/// What a per-100 figure (mantissa `m` at `decimals`) pays on `initial`, in fen.
#[inline(always)]
pub fn paid_of(m: i128, initial: Fen, decimals: u32, mode: Rounding) -> Result<Fen> {
    let num = times(m, initial)?;
    Ok(div_round(num, per_100_unit(decimals)?, mode))
}

/// The 1,000-yuan 长款 of a CSDC transfer instruction (划款指令), in fen.
pub const CSDC_BUFFER: Fen = 100_000;

/// The transfer instruction (划款指令) of one tranche's payment: what the plan account sends
/// to CSDC for a payment of `paid` (interest + principal, fen) with its CSDC fee `fee`, on a
/// tranche of initial balance `initial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// `paid + fee`: 含手续费金额.
    pub with_fee: Fen,
    /// [`CSDC_BUFFER`] when `with_fee` per 100 yuan of initial face, exactly
    /// `with_fee × 100 / initial`, has a digit past its second decimal place; else 0: the
    /// 1,000-yuan 长款 that covers per-account rounding (56.321 per 100 adds 1,000 yuan, 56.32
    /// does not; docs/auditing.md).
    pub buffer: Fen,
    /// `with_fee + buffer`: 划款金额.
    pub total: Fen,
}

/// The transfer instruction of a payment (see [`Transfer`]); `None` for a non-positive
/// initial balance or beyond 128-bit range.
pub fn transfer(paid: Fen, fee: Fen, initial: Fen) -> Option<Transfer> {
    if initial <= 0 {
        return None;
    }
    let with_fee = paid.checked_add(fee)?;
    // with_fee × 100 / initial in hundredths is with_fee_fen × 10^4 / initial_fen (the fen
    // scales cancel): a whole number exactly when initial divides with_fee × 10^4.
    let scaled = with_fee.checked_mul(10_000)?;
    // A 64-bit remainder when both fit (a 128-bit one is a library call).
    let exact = match (i64::try_from(scaled), i64::try_from(initial)) {
        (Ok(s), Ok(i)) => s % i == 0,
        _ => scaled % initial == 0,
    };
    let buffer = if exact { 0 } else { CSDC_BUFFER };
    Some(Transfer {
        with_fee,
        buffer,
        total: with_fee.checked_add(buffer)?,
    })
}

/// `100 × 10^decimals`: one yuan per 100 of face at `decimals` places.
#[inline]
fn per_100_unit(decimals: u32) -> Result<i128> {
    pow10(decimals.saturating_add(2)).ok_or_else(overflow)
}

/// `a × b`, exact: in one 64 × 64-bit product when both fit an `i64` (a checked 128-bit
/// product is a library call), checked otherwise.
#[inline]
fn times(a: i128, b: i128) -> Result<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Ok(i128::from(a) * i128::from(b)),
        _ => a.checked_mul(b).ok_or_else(overflow),
    }
}

/// Whether a run makes notices: a full run keeps their rows, and with `per_unit` they change
/// the waterfall; a lean run (no ledger: sweeps without --flows, searches) otherwise makes
/// none.
#[inline]
pub(super) fn makes_notices(keep_ledger: bool, rules: &crate::deal::NoticeRules) -> bool {
    keep_ledger || rules.per_unit
}

impl Run<'_> {
    /// The notices of payment date `k`, after its waterfall; with `per_unit`, the residuals
    /// go back to the collection account.
    pub(super) fn notices(&mut self, k: usize) -> Result<()> {
        self.notices_of(k, self.deal.notices.per_unit)
    }

    /// With `per_unit`, whether tranche `i` is paid by its figures per 100 at each step of the
    /// current date: on the deal's last date and the call date, which nothing can be carried
    /// past, and once the tranche is redeemed (its arrears are its last payments). Its other
    /// dates are paid by the waterfall and their 尾差 goes back after it (`notices_of`).
    pub(super) fn pays_by_figure(&self, i: usize) -> bool {
        self.unit_final || self.balance[i] + self.paid.principal[i] <= 0
    }

    /// The interest tranche `i` has been paid so far on this date, as its notice will state
    /// it: with `per_unit`, on a date it is not paid by its figures, what the interest figure
    /// per 100 of that amount pays (the 尾差 goes back after the waterfall, `notices_of`);
    /// the amount itself otherwise. A fee on `interest_paid:<name>` is charged on it (review
    /// 40a item 2: it was charged on the 尾差 too, which the tranche never received).
    pub(super) fn interest_as_notified(&self, i: usize) -> Result<Fen> {
        let x = self.paid.interest[i];
        let rules = self.deal.notices;
        if !rules.per_unit || x <= 0 || self.pays_by_figure(i) {
            return Ok(x);
        }
        let initial = crate::money::to_fen(self.deal.tranches[i].balance);
        if whole_units(initial, crate::money::to_fen(rules.face)).is_none() {
            return Ok(x);
        }
        let m = per_100(x, initial, rules.decimals, rules.rounding)?;
        paid_of(m, initial, rules.decimals, rules.rounding)
    }

    /// Of `amt` offered to tranche `i` on top of the `paid` it already has on the date (its
    /// interest, or its principal), what it takes when it is paid by its figures (review 28c
    /// item 1): the date's total cut to what its figure per 100 pays, the rest left in the
    /// account for the date's later steps. `amt` itself on any other date or deal.
    #[inline]
    pub(super) fn by_figure(&self, i: usize, paid: Fen, amt: Fen) -> Fen {
        if !self.deal.notices.per_unit || !self.pays_by_figure(i) {
            return amt;
        }
        self.figure_paid(i, paid + amt)
            .map_or(amt, |cut| cut - paid)
    }

    /// What tranche `i`'s figure per 100 of `x` pays; `None` for a tranche without units (no
    /// notices) or beyond range.
    fn figure_paid(&self, i: usize, x: Fen) -> Option<Fen> {
        let rules = self.deal.notices;
        let initial = crate::money::to_fen(self.deal.tranches[i].balance);
        whole_units(initial, crate::money::to_fen(rules.face))?;
        let m = per_100(x, initial, rules.decimals, rules.rounding).ok()?;
        paid_of(m, initial, rules.decimals, rules.rounding).ok()
    }

    /// Gives tranche `i` back the 尾差 it was to forgo on the date: its interest due is whole
    /// again; returns the amount (not paid in full, a restated payment, an un-redeemed tranche).
    pub(super) fn unforgo(&mut self, i: usize) -> Fen {
        let f = std::mem::take(&mut self.paid.unit_forgone[i]);
        self.due.interest[i] += f;
        f
    }

    /// With `per_unit`, before the waterfall: whether the date is the deal's last or the call
    /// date, and the interest due of each tranche paid by its figures cut to what the figure
    /// per 100 of it pays, `paid_of(per_100(X))`; the 尾差 `X − that` is forgone if the
    /// tranche is paid in full, and owed again if not (`notices_of`; review 28b item 1:
    /// paying `X` whole paid holders more than any figure per 100 states).
    pub(super) fn cut_final_dues(&mut self, k: usize) {
        let deal = self.deal;
        self.unit_final =
            deal.notices.per_unit && (k + 1 == deal.periods.len() || self.called || self.ending);
        if !deal.notices.per_unit {
            return;
        }
        for i in 0..deal.tranches.len() {
            let x = self.due.interest[i];
            if x <= 0 || !self.pays_by_figure(i) {
                continue;
            }
            if let Some(cut) = self.figure_paid(i, x) {
                self.due.interest[i] = cut;
                self.paid.unit_forgone[i] = x - cut;
            }
        }
    }

    /// The notices of payment date `k` (the last date run) once more, for the tranches whose
    /// payments were restated (the indices `restated`; `reconcile`, docs/auditing.md), from the
    /// restated payments and balances; no per-unit residual moves again (what was reported
    /// was paid). The other tranches' rows stay as the waterfall wrote them.
    pub(super) fn restate_notices(&mut self, k: usize, restated: &[usize]) -> Result<()> {
        let number = self.deal.periods[k].number;
        let of_date = |rows: &[NoticeRow]| super::restate::tail(rows, number, |n| n.period);
        let old = self
            .notices
            .split_off(self.notices.len() - of_date(&self.notices));
        // The date's principal per 100 is stated again: take the waterfall's back.
        for o in &old {
            if let Some(i) = self.labels.tranche.iter().position(|l| *l == o.tranche) {
                self.redeemed_per_100[i] -= o.principal_per_100.mantissa();
            }
        }
        self.notices_of(k, false)?;
        let start = self.notices.len() - of_date(&self.notices);
        let labels = &self.labels.tranche;
        for row in &mut self.notices[start..] {
            let kept = labels
                .iter()
                .position(|l| *l == row.tranche)
                .filter(|i| !restated.contains(i));
            if let (Some(i), Some(o)) = (kept, old.iter().find(|o| o.tranche == row.tranche)) {
                // The waterfall's row stays, and with it the principal per 100 it redeemed
                // (computed again from a per-unit payment it can be a unit less).
                self.redeemed_per_100[i] +=
                    o.principal_per_100.mantissa() - row.principal_per_100.mantissa();
                *row = o.clone();
            }
        }
        Ok(())
    }

    /// Puts back into tranche `i`'s deferred interest up to `r` of what date `k` paid of it
    /// early (`Run::early_deferred`), off the date's due; returns what it put back.
    fn keep_deferred(&mut self, k: usize, i: usize, r: Fen) -> Fen {
        let mut back = 0;
        for e in self.early_deferred.iter_mut().rev() {
            if e.0 == k && e.1 == i && back < r {
                let x = (r - back).min(e.2);
                e.2 -= x;
                back += x;
            }
        }
        self.early_deferred.retain(|e| e.2 > 0);
        self.deferred_interest[i] += back;
        self.due.interest[i] -= back;
        back
    }

    /// [`Run::notices`], the per-unit residuals moved when `per_unit`. One body for both, so
    /// that the waterfall's notices and the restated ones cannot differ in a rule. (Forcing it
    /// inline, or building the row in a separate function, made a full run 3–10% slower in
    /// time, whatever the instruction count: docs/performance.md, session 23.)
    fn notices_of(&mut self, k: usize, per_unit: bool) -> Result<()> {
        let deal = self.deal;
        let rules = deal.notices;
        if !makes_notices(self.keep_ledger, &rules) {
            return Ok(());
        }
        let face = crate::money::to_fen(rules.face);
        let d = rules.decimals;
        // The deal's last date, or a call date, which ends it: every tranche's final payment,
        // repaid or not (review 41d L1: a tranche the call left unpaid got the one-day record
        // date).
        let last = k + 1 == deal.periods.len() || self.called;
        let p = deal.periods[k];
        let labels = self.labels;
        for (i, t) in deal.tranches.iter().enumerate() {
            let initial = crate::money::to_fen(t.balance);
            let before = self.balance[i] + self.paid.principal[i];
            let Some(units) = whole_units(initial, face) else {
                continue;
            };
            // A tranche repaid before this date has a row only when it is paid (interest
            // carried past its redemption: review 26c item H1); with `per_unit` it is paid by
            // its figures (since session 28). Paid nothing, it is owed its whole due: the 尾差
            // cut before the waterfall is not forgone (review 28d item 2).
            let redeemed = before <= 0;
            if redeemed && self.paid.interest[i] == 0 {
                if per_unit {
                    self.unforgo(i);
                }
                continue;
            }
            // A tranche paid by its figures (the deal's last date, the call date, a redeemed
            // tranche's arrears) was paid per-unit amounts at each step, so its 尾差 below is
            // 0; the date that redeems a tranche paid in full forgoes its 尾差 (review 28b items
            // 1-3, 28c items 1-3; before session 28 the last and call dates, and a redeemed
            // tranche's arrears, were paid whole, more than their notices stated).
            let by_figure = per_unit && self.pays_by_figure(i);
            let (x_i, x_p) = (self.paid.interest[i], self.paid.principal[i]);
            let m_i = per_100(x_i, initial, d, rules.rounding)?;
            // Principal per 100 never exceeds the face left per 100, and the date that repays
            // the tranche (nothing left after it by the waterfall) redeems all that is left:
            // over a tranche's life its notices redeem exactly 100 (docs/auditing.md). With
            // `per_unit` the unpaid fen stay in the balance, which the last date pays.
            let left = per_100_unit(d)? - self.redeemed_per_100[i];
            let m_p = if !per_unit && self.balance[i] == 0 && x_p > 0 {
                left
            } else {
                per_100(x_p, initial, d, rules.rounding)?.min(left)
            };
            self.redeemed_per_100[i] += m_p;
            let paid_i = paid_of(m_i, initial, d, rules.rounding)?;
            let paid_p = paid_of(m_p, initial, d, rules.rounding)?;
            // Paid by the waterfall (not by its figures) short of its interest due.
            let short = per_unit && !by_figure && x_i < self.due.interest[i];
            if per_unit {
                // Back to the account each part was paid from: the collection account, or the
                // named account of its step (`from`), where the next date's step finds it.
                let (to_i, to_p) = self
                    .unit_src
                    .get(i)
                    .copied()
                    .unwrap_or((Account::Collection, Account::Collection));
                let r_i = x_i - paid_i;
                let r_p = x_p - paid_p;
                self.entry(
                    0,
                    Movement::PerUnitInterestResidual,
                    &labels.tranche[i],
                    (Account::Tranche(i), to_i),
                    r_i,
                    "interest the per-unit figure does not pay (尾差), kept and carried",
                );
                self.entry(
                    0,
                    Movement::PerUnitPrincipalResidual,
                    &labels.tranche[i],
                    (Account::Tranche(i), to_p),
                    r_p,
                    "principal the per-unit figure does not pay (尾差), kept and carried",
                );
                for (to, r) in [(to_i, r_i), (to_p, r_p)] {
                    match to {
                        Account::Named(k) => self.named[k] += r,
                        _ => self.collection += r,
                    }
                }
                self.paid.interest[i] = paid_i;
                self.paid.principal[i] = paid_p;
                self.balance[i] += r_p;
                self.paid.unit_residual_principal[i] = r_p;
                if by_figure {
                    // Not paid in full: the tranche is owed the whole due less what it got,
                    // and nothing is forgone (review 28c item 1).
                    if x_i < self.due.interest[i] {
                        self.unforgo(i);
                    }
                } else if self.balance[i] == 0 && x_i >= self.due.interest[i] {
                    // The date redeems the tranche and pays its interest in full: its units
                    // are cancelled, so no later date can pay the 尾差 (review 28b item 2). It
                    // is forgone, off the date's due; the cash went back to the account above.
                    // With interest still owed, the 尾差 is carried with it (review 28c item 2).
                    self.due.interest[i] -= r_i;
                    self.paid.unit_forgone[i] += r_i;
                } else {
                    // The 尾差 of interest deferred to maturity and paid early on this date
                    // stays deferred, up to that early payment, instead of falling due (review
                    // 43f F4: it became a shortfall the reserve was drawn for on the next date).
                    let back = self.keep_deferred(k, i, r_i);
                    // Paid short of its due, the 尾差 carried by design is the due's (what no
                    // figure per 100 of the due pays), up to what is owed, as `reconcile` keeps
                    // it (review 47a F1: this date kept the short payment's, so a report that
                    // agreed with the waterfall changed its notice and its Art. 39 amount); the
                    // rest of what is owed is not paid as agreed. The cash that goes back is
                    // still `r_i`.
                    self.paid.unit_residual[i] = if short {
                        let owed = self.due.interest[i] - paid_i;
                        self.due_residual(i)?.min(owed).max(0)
                    } else {
                        r_i - back
                    };
                }
            }
            let after = self.balance[i];
            // The face a unit keeps: 100 less the principal per 100 of this and the earlier
            // notices, at the figures' places, so that the next notice's principal per 100
            // never exceeds what this one said was left (review 30b item 1: it was the balance
            // × 100 / B, which without `per_unit` differs by the principal 尾差 kept, and a
            // notice paid 6.4163 after the one before said 6.4158 was left). With `per_unit`
            // the two are equal.
            let face_after = per_100_unit(d)? - self.redeemed_per_100[i];
            let fee = fen_times(
                paid_i + paid_p,
                &[rules.csdc_fee_rate],
                Ratio::ONE,
                deal.rounding,
            )
            .ok_or_else(overflow)?;
            let instruction = transfer(paid_i + paid_p, fee, initial).ok_or_else(overflow)?;
            let final_payment = last || after == 0;
            // The interest 尾差 the row states: what went back on the waterfall's row and what
            // was forgone before it; on a restated row, the waterfall's (carried or forgone),
            // which went back before the row is computed again.
            let r_interest = match (per_unit, by_figure) {
                (true, true) => x_i - paid_i + self.paid.unit_forgone[i],
                // Short of its due: the due's 尾差 carried (above), so that paid + residual +
                // interest unpaid is the due, as on a restated row.
                (true, false) if short => self.paid.unit_residual[i],
                (true, false) => x_i - paid_i,
                _ => x_i - paid_i + self.paid.unit_residual[i] + self.paid.unit_forgone[i],
            };
            let dm = |m: i128| -> Result<Decimal> {
                Decimal::try_from_i128_with_scale(m, d).map_err(|_| overflow())
            };
            self.notices.push(NoticeRow {
                period: p.number,
                payment_date: p.date(),
                tranche: self.labels.tranche[i].clone(),
                record_date: p.record_date(final_payment),
                units: i64::try_from(units).map_err(|_| overflow())?,
                interest_per_100: dm(m_i)?,
                principal_per_100: dm(m_p)?,
                total_per_100: dm(m_i + m_p)?,
                interest_paid: dec(paid_i)?,
                principal_paid: dec(paid_p)?,
                // With `per_unit`, the date's 尾差 (interest carried or forgone, principal kept
                // in the balance) was moved back before a restated row is computed again
                // (`restate_notices`): it stays in the row (review 27d item 4, 28b item 3).
                // On the waterfall's own rows `x_i` and `x_p` still hold what went back, and
                // only the 尾差 forgone before the waterfall is added.
                residual: dec(r_interest + x_p - paid_p
                    + if per_unit {
                        0
                    } else {
                        self.paid.unit_residual_principal[i]
                    })?,
                interest_residual: dec(r_interest)?,
                face_per_100_after: dm(face_after)?,
                csdc_fee: from_fen(fee).ok_or_else(overflow)?,
                csdc_buffer: dec(instruction.buffer)?,
                transfer: dec(instruction.total)?,
                // Due and not paid, the 尾差 carried by design left out (it is the `residual`;
                // review 27c item 5: one definition with the triggers and the tranche rows).
                interest_unpaid: dec(self.interest_unpaid(i).max(0))?,
                accrual_start: p.accrual_start,
                accrual_end: p.accrual_end,
                coupon: self.coupon_rate(i, k),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_rounds_once() {
        assert_eq!(div_round(7, 2, Rounding::Truncate), 3);
        assert_eq!(div_round(7, 2, Rounding::HalfUp), 4);
        assert_eq!(div_round(-7, 2, Rounding::Truncate), -3);
        assert_eq!(div_round(-7, 2, Rounding::HalfUp), -4);
        assert_eq!(div_round(5, 3, Rounding::HalfUp), 2);
        assert_eq!(div_round(4, 3, Rounding::HalfUp), 1);
        // Past 64 bits the 128-bit path rounds the same way: 2^64 + 3 over 2 is
        // 9,223,372,036,854,775,809.5 → ...810 (HalfUp) or ...809 (Truncate).
        let n = (1i128 << 64) + 3;
        assert_eq!(div_round(n, 2, Rounding::HalfUp), (1i128 << 63) + 2);
        assert_eq!(div_round(n, 2, Rounding::Truncate), (1i128 << 63) + 1);
    }

    #[test]
    fn the_csdc_buffer_follows_the_third_decimal_per_100() {
        // A tranche of 900,000.00 (9,000 units of 100). 56.32 per 100 is 56.32 × 9,000 =
        // 506,880.00: no digit past the second, no buffer. 56.321 per 100 is 506,889.00: the
        // third decimal is 1, so 1,000.00 is added (the practice's own example).
        let initial = 90_000_000;
        let t = transfer(50_688_000, 0, initial).expect("in range");
        assert_eq!((t.with_fee, t.buffer, t.total), (50_688_000, 0, 50_688_000));
        let t = transfer(50_688_900, 0, initial).expect("in range");
        assert_eq!(t.buffer, 100_000);
        assert_eq!(t.total, 50_788_900);
        // The fee counts: 506,879.99 + 0.01 = 506,880.00 per 100 = 56.32, no buffer;
        // 506,880.00 + 0.01 is 56.3200011… per 100, a buffer.
        assert_eq!(transfer(50_687_999, 1, initial).map(|t| t.buffer), Some(0));
        assert_eq!(
            transfer(50_688_000, 1, initial).map(|t| t.buffer),
            Some(100_000)
        );
        assert_eq!(transfer(1, 0, 0), None);
        // Beyond i64 (the 128-bit remainder): a face of 2^70 fen paid whole is 100 per 100,
        // no buffer; one fen more is not a whole hundredth per 100 (10^4 / 2^70 is not whole).
        let big: i128 = 1 << 70;
        assert_eq!(transfer(big, 0, big).map(|t| t.buffer), Some(0));
        assert_eq!(transfer(big + 1, 0, big).map(|t| t.buffer), Some(100_000));
        // 2^66 fen over a face of 2^70: 6.25 per 100, a whole hundredth (2^66 × 10^4 is a
        // multiple of 2^70), no buffer; the same within i64 (the 64-bit remainder): 2^40 fen
        // over 2^44, and one fen more is a buffer.
        assert_eq!(transfer(1 << 66, 0, big).map(|t| t.buffer), Some(0));
        assert_eq!(transfer(1 << 40, 0, 1 << 44).map(|t| t.buffer), Some(0));
        assert_eq!(
            transfer((1 << 40) + 1, 0, 1 << 44).map(|t| t.buffer),
            Some(100_000)
        );
    }

    #[test]
    fn whole_units_of_face() {
        // 50,000,000.00 yuan in units of 100.00: 500,000 units.
        assert_eq!(whole_units(5_000_000_000, 10_000), Some(500_000));
        // 100.50 yuan is not a whole number of 100-yuan units; no face, no tranche: none.
        assert_eq!(whole_units(10_050, 10_000), None);
        assert_eq!(whole_units(10_000, 0), None);
        assert_eq!(whole_units(0, 10_000), None);
        // Past 64 bits: 2^70 fen in units of 2^10.
        assert_eq!(whole_units(1 << 70, 1 << 10), Some(1 << 60));
        assert_eq!(whole_units((1 << 70) + 1, 1 << 10), None);
    }

    #[test]
    fn notices_round_as_their_euclidean_rule() {
        // Oracle: the notices' own rule before they used `money::rational::div_round`: the
        // Euclidean quotient, moved toward zero (Truncate) or up at or past a half, away from
        // zero at an exact half (HalfUp). Every numerator −2,000..=2,000 over every denominator
        // 1..=60, and numerators around 2^64 (both of div_round's paths).
        let oracle = |num: i128, den: i128, mode: Rounding| -> i128 {
            let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
            match mode {
                Rounding::Truncate => q + i128::from(num < 0 && r != 0),
                Rounding::HalfUp if num >= 0 => q + i128::from(2 * r >= den),
                Rounding::HalfUp => q + i128::from(2 * r > den),
            }
        };
        let big = (u64::MAX as i128) - 1_000;
        for den in 1..=60i128 {
            for num in (-2_000..=2_000i128).chain(big..=big + 2_000) {
                for mode in Rounding::ALL {
                    assert_eq!(
                        div_round(num, den, mode),
                        oracle(num, den, mode),
                        "{num}/{den}"
                    );
                }
            }
        }
    }
}

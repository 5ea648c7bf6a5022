//! Floating-rate loans: the contractual schedule under an index path, re-amortized exactly at
//! each reset (docs/amortization.md, "Floating-rate loans").
//!
//! The schedule starts as the exact schedule of the rate fixed on the start date
//! ([`loan_schedule`]). At the start of each later instalment period the rate is re-read
//! ([`FloatingRate::fixing_date`]); when it changes, the remaining instalments are replaced by
//! the exact schedule of the remaining balance over the remaining instalments at the new rate
//! (a level annuity for 等额本息), keeping the original due dates.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::amortization::{Accrual, LoanTerms, Repayment, loan_schedule, loan_schedule_on};
use crate::deal::{Asset, Instalment};
use crate::floating::{FloatingLoan, FloatingRepayment, IndexView};

fn repayment(r: FloatingRepayment) -> Repayment {
    match r {
        FloatingRepayment::Level => Repayment::Level,
        FloatingRepayment::EqualPrincipal => Repayment::EqualPrincipal,
        FloatingRepayment::InterestOnly => Repayment::InterestOnlyBullet,
    }
}

/// The schedule of `loan` under `view`, keeping only instalments due after `cutoff`, amounts
/// at scale 2. An error names what failed (an index without a path, terms that cannot be
/// amortized).
pub fn floating_schedule(
    loan: &FloatingLoan,
    view: &IndexView<'_>,
    cutoff: NaiveDate,
) -> Result<Vec<Instalment>, String> {
    let f = &loan.rate;
    let rate_from = |start: NaiveDate| {
        f.rate_on(f.fixing_date(loan.start_date, start), view)
            .ok_or_else(|| format!("index `{}` has no path", f.index))
    };
    let terms = |balance: Decimal, rate: Decimal, start: NaiveDate, first, term| LoanTerms {
        balance,
        annual_rate: rate,
        start_date: start,
        first_payment_date: first,
        term,
        months_per_period: loan.months_per_period,
        repayment: repayment(loan.repayment),
        accrual: loan.day_count.map_or(Accrual::Periodic, Accrual::DayCount),
        rounding: loan.rounding,
    };
    let mut current = rate_from(loan.start_date)?;
    let mut sched = loan_schedule(&terms(
        loan.balance,
        current,
        loan.start_date,
        loan.first_payment_date,
        loan.term,
    ))
    .map_err(|e| e.to_string())?;
    let n = sched.len();
    let mut repaid = Decimal::ZERO;
    for j in 1..n {
        repaid += sched[j - 1].principal;
        let start = sched[j - 1].date;
        let rate = rate_from(start)?;
        if rate == current {
            continue;
        }
        current = rate;
        let remaining = loan.balance - repaid;
        if remaining <= Decimal::ZERO {
            break;
        }
        let left = u32::try_from(n - j).map_err(|e| e.to_string())?;
        // On the original due dates: under a day count they set each instalment's days
        // (dates generated afresh from a month-end would drift to later month-ends).
        let dates: Vec<NaiveDate> = sched[j..].iter().map(|i| i.date).collect();
        let sub = loan_schedule_on(
            &terms(remaining, rate, start, Some(sched[j].date), left),
            &dates,
        )
        .map_err(|e| e.to_string())?;
        for (slot, new) in sched[j..].iter_mut().zip(sub) {
            slot.principal = new.principal;
            slot.interest = new.interest;
            slot.balance_after = new.balance_after;
        }
    }
    Ok(sched
        .into_iter()
        .filter(|i| i.date > cutoff)
        .map(|i| {
            let mut principal = i.principal;
            let mut interest = i.interest;
            principal.rescale(2);
            interest.rescale(2);
            Instalment {
                date: i.date,
                principal,
                interest,
            }
        })
        .collect())
}

/// `asset` with its schedule rebuilt under `view` when it is a floating loan (else `None`).
pub fn refixed(
    asset: &Asset,
    view: &IndexView<'_>,
    cutoff: NaiveDate,
) -> Option<Result<Asset, String>> {
    let loan = asset.floating.as_ref()?;
    Some(floating_schedule(loan, view, cutoff).map(|inst| {
        let mut a = Asset::new(asset.kind, inst, asset.prepayable);
        a.floating = asset.floating.clone();
        a
    }))
}

//! Floating-rate loans: the contractual schedule under an index path, re-amortized exactly at
//! each reset (docs/amortization.md, "Floating-rate loans").
//!
//! The schedule starts as the exact schedule of the rate fixed on the start date
//! ([`loan_schedule`]). At the start of each later instalment period the rate is re-read
//! ([`crate::floating::FloatingRate::fixing_date`]); when it changes, the remaining
//! instalments are replaced by the exact schedule of the remaining balance over the remaining
//! instalments at the new rate (a level annuity for 等额本息), keeping the original due dates. A bullet (到期一次还本付息)
//! has one instalment: its interest sums each notional period's at that period's fixing
//! (`bullet`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::amortization::{
    Accrual, LoanTerms, Repayment, loan_dates, loan_schedule, loan_schedule_on,
};
use crate::deal::{Asset, Instalment};
use crate::floating::{FloatingLoan, IndexView};
use crate::money::{Ratio, fen_of};
use num_integer::Integer;

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
        repayment: loan.repayment,
        accrual: loan.day_count.map_or(Accrual::Periodic, Accrual::DayCount),
        rounding: loan.rounding,
    };
    if loan.repayment == Repayment::Bullet {
        let t = terms(
            loan.balance,
            rate_from(loan.start_date)?,
            loan.start_date,
            loan.first_payment_date,
            loan.term,
        );
        return bullet(loan, &t, rate_from, cutoff);
    }
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

/// A floating bullet (到期一次还本付息): one instalment at maturity, the whole balance and
/// `round(balance × Σ_j rate_j × f_j)`, where the notional periods `j` run between the due
/// dates `terms` generates (from the start date to maturity), `rate_j` is the rate fixed for
/// period `j` (as for any floating loan: the latest reset on or before its start) and `f_j`
/// its accrual fraction: 1 / payments a year (periodic) or the day count's fraction. The sum
/// is exact and rounded once. At a constant rate it is the fixed-rate bullet's interest under
/// periodic accrual and the ACT day counts (their fractions add up over the periods); 30/360
/// fractions need not add up across a month-end, so there the sum of the periods counts.
fn bullet(
    loan: &FloatingLoan,
    terms: &LoanTerms,
    rate_from: impl Fn(NaiveDate) -> Result<Decimal, String>,
    cutoff: NaiveDate,
) -> Result<Vec<Instalment>, String> {
    let dates = loan_dates(terms).map_err(|e| e.to_string())?;
    let per_year = i64::from(12 / loan.months_per_period.max(1));
    let overflow = || "the interest of a floating bullet overflows".to_string();
    // Σ rate_j × num_j over the common denominator `den` (each day count has one; kept
    // general by moving to the least common multiple should two differ).
    let (mut sum, mut den) = (Decimal::ZERO, 1i64);
    let mut start = loan.start_date;
    for &end in &dates {
        let f = match loan.day_count {
            None => Ratio::new(1, per_year),
            Some(dc) => dc.fraction(start, end),
        };
        let common = lcm(den, f.den).ok_or_else(overflow)?;
        let rescaled = sum
            .checked_mul(Decimal::from(common / den))
            .ok_or_else(overflow)?;
        let term = rate_from(start)?
            .checked_mul(Decimal::from(f.num))
            .and_then(|x| x.checked_mul(Decimal::from(common / f.den)))
            .ok_or_else(overflow)?;
        sum = rescaled.checked_add(term).ok_or_else(overflow)?;
        den = common;
        start = end;
    }
    let mut interest =
        fen_of(&[loan.balance, sum], Ratio::new(1, den), loan.rounding).ok_or_else(overflow)?;
    let maturity = *dates.last().ok_or("a floating bullet has no due date")?;
    let mut principal = loan.balance;
    principal.rescale(2);
    interest.rescale(2);
    Ok((maturity > cutoff)
        .then_some(Instalment {
            date: maturity,
            principal,
            interest,
        })
        .into_iter()
        .collect())
}

/// The least common multiple of two positive denominators, `None` past `i64` (num_integer's
/// `lcm`, as `engine::call` uses it, would overflow instead).
fn lcm(a: i64, b: i64) -> Option<i64> {
    (a / a.gcd(&b)).checked_mul(b)
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

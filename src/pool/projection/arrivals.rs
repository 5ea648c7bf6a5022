//! Phase two of a projection: when an obligor's cash arrives ([`Arrivals`]): on time, delayed
//! or recovered months later (docs/conventions.md steps 4 and 6), under each profile of
//! assumptions ([`Profile`], [`ArrivalRules`]), into the obligor's period cells.

use super::*;

/// Where cash arriving later (delayed instalments, recoveries) is booked.
pub(super) struct Arrivals<'c, 'p> {
    pub(super) cells: &'c mut [Cell],
    pub(super) beyond: &'c mut Fen,
    /// The delay and recovery rules of each profile.
    pub(super) rules: Vec<ArrivalRules>,
    /// The memo's arrival tables, which the rules point into.
    pub(super) tables: &'c mut [ArrivalPeriods],
    pub(super) periods: &'p [PeriodDates],
    /// The profile of the obligor being projected ([`Arrivals::use_profile`]).
    pub(super) current: usize,
    /// Its recovery rate and delayed share.
    pub(super) recovery_rate: Rate,
    pub(super) delay_share: Rate,
    pub(super) mode: Rounding,
    /// A sum of the current obligor's cells left `i64` ([`add`]).
    pub(super) overflow: bool,
}

/// When delayed cash and recoveries of one profile arrive, and the recovery rate.
pub(super) struct ArrivalRules {
    /// The index of the delay's table in [`Arrivals::tables`].
    pub(super) delay: usize,
    /// The index of the recovery lag's table.
    pub(super) recovery: usize,
    pub(super) recovery_rate: Rate,
    /// The share of each instalment that arrives late.
    pub(super) delay_share: Rate,
    /// [`ArrivalPeriods::period`] of each collection period's first day (when CDR and curve
    /// defaults happen), computed once; empty for a profile without them.
    pub(super) recovery_of_period: Vec<Option<usize>>,
}

/// The per-period factors of one set of [`Assumptions`].
pub(super) struct Profile {
    /// CDR fraction of each period, a mantissa at [`FRACTION_DP`] places.
    pub(super) default_fractions: Vec<i64>,
    /// 1 − the CDR fraction.
    pub(super) default_survive: Vec<i64>,
    /// CPR fraction of each period.
    pub(super) prepay_fractions: Vec<i64>,
    /// 1 − the CPR fraction.
    pub(super) prepay_survive: Vec<i64>,
    /// (default_rate × share factor, the share factor when that product is not exact in
    /// Decimal (else 1), share divisor) per period: the exact curve amount of an
    /// asset is its cutoff balance × factor / divisor, rounded once.
    pub(super) curve: Vec<(Decimal, Decimal, i64)>,
}

impl Profile {
    pub(super) fn new(
        a: &Assumptions,
        shares: &[(Decimal, i64)],
        periods: &[PeriodDates],
        memo: &mut ProjectionMemo,
    ) -> Result<Self> {
        // Fractions as mantissas at FRACTION_DP places; 1 − fraction is the surviving share.
        let default_fractions = memo.fractions(a.cdr, periods)?;
        let prepay_fractions = memo.fractions(a.cpr, periods)?;
        let one = POW10_FRACTION;
        let default_survive = default_fractions.iter().map(|f| one - f).collect();
        let prepay_survive = prepay_fractions.iter().map(|f| one - f).collect();
        let curve = if a.default_rate.is_zero() {
            vec![(Decimal::ZERO, Decimal::ONE, 1); periods.len()]
        } else {
            shares
                .iter()
                .map(|&(share, div)| match exact_product(a.default_rate, share) {
                    Some(p) => (p, Decimal::ONE, div),
                    // A product of more than 28 significant digits would be rounded: the
                    // two factors go to the amount apart, multiplied out exactly.
                    None => (a.default_rate, share, div),
                })
                .collect()
        };
        Ok(Profile {
            default_fractions,
            default_survive,
            prepay_fractions,
            prepay_survive,
            curve,
        })
    }
}

impl<'c, 'p> Arrivals<'c, 'p> {
    /// Phase two into one obligor's `cells` and the cash `beyond` the horizon, under `rules`
    /// (profile 0 current until [`Arrivals::use_profile`]).
    pub(super) fn new(
        (cells, beyond): (&'c mut [Cell], &'c mut Fen),
        rules: Vec<ArrivalRules>,
        tables: &'c mut [ArrivalPeriods],
        periods: &'p [PeriodDates],
        mode: Rounding,
    ) -> Self {
        Arrivals {
            cells,
            beyond,
            rules,
            tables,
            periods,
            current: 0,
            recovery_rate: Rate::Fixed(0),
            delay_share: Rate::Fixed(0),
            mode,
            overflow: false,
        }
    }

    /// Books the delayed principal and interest of an instalment of `obligor` due on `from`,
    /// in the collection period containing `from` + the scenario's delay (or beyond the
    /// horizon), and returns that period (`None` beyond the horizon).
    #[inline(always)]
    pub(super) fn book_delayed(
        &mut self,
        from: NaiveDate,
        principal: i64,
        interest: i64,
    ) -> Option<usize> {
        let table = self.rules[self.current].delay;
        let arrives = self.tables[table].period(self.periods, from);
        match arrives {
            Some(k) => {
                let c = &mut self.cells[k];
                add(&mut c.principal, principal, &mut self.overflow);
                add(&mut c.interest, interest, &mut self.overflow);
            }
            None => *self.beyond += Fen::from(principal) + Fen::from(interest),
        }
        arrives
    }

    /// Books a recovery of `obligor` on a default on `from`, in the collection period
    /// containing `from` + the scenario's recovery lag (or beyond the horizon).
    #[inline]
    pub(super) fn book_recovery(&mut self, from: NaiveDate, amount: i64) {
        if amount == 0 {
            return;
        }
        let table = self.rules[self.current].recovery;
        match self.tables[table].period(self.periods, from) {
            Some(k) => add(&mut self.cells[k].recovered, amount, &mut self.overflow),
            None => *self.beyond += Fen::from(amount),
        }
    }

    /// [`Arrivals::book_recovery`] of a CDR or curve default on the first day of period `k`.
    #[inline(always)]
    pub(super) fn book_recovery_of_period(&mut self, k: usize, amount: i64) {
        if amount == 0 {
            return;
        }
        match self.rules[self.current].recovery_of_period[k] {
            Some(a) => add(&mut self.cells[a].recovered, amount, &mut self.overflow),
            None => *self.beyond += Fen::from(amount),
        }
    }

    /// Where profile `r`'s CDR and curve defaults' recoveries arrive: one period per
    /// collection period, for a profile that has such defaults.
    pub(super) fn set_recovery_periods(&mut self, r: usize, profile: &Profile) {
        if profile.default_fractions.iter().any(|&d| d != 0)
            || profile.curve.iter().any(|c| !c.0.is_zero())
        {
            let (periods, table) = (self.periods, &mut self.tables[self.rules[r].recovery]);
            self.rules[r].recovery_of_period = periods
                .iter()
                .map(|p| table.period(periods, p.collection_start))
                .collect();
        }
    }

    /// Makes profile `r` the current one.
    #[inline]
    pub(super) fn use_profile(&mut self, r: usize) {
        self.current = r;
        self.recovery_rate = self.rules[r].recovery_rate;
        self.delay_share = self.rules[r].delay_share;
    }

    /// Phase two of an obligor's projection on its recorded performing path: the recoveries
    /// of its defaults and the delays of its instalments under the current profile's rules.
    pub(super) fn arrive(&mut self, path: &[PathEvent]) -> Result<()> {
        for e in path {
            match *e {
                PathEvent::PeriodDefault { k, amount } => {
                    self.period_default(k as usize, amount)?
                }
                PathEvent::NamedDefault { date, amount } => self.named_default(date, amount)?,
                PathEvent::Paid {
                    k,
                    date,
                    principal,
                    interest,
                } => self.paid(k as usize, date, principal, interest)?,
            }
        }
        Ok(())
    }
}

/// The collection period containing `from + months`, memoised by `from`: the assets of a pool
/// share their due dates, and the date arithmetic costs more than the rest of an instalment's
/// projection. A direct-mapped table: a slot collision only recomputes. A date's slot is its
/// day number over 8, modulo the table's 256 slots, so that two dates at least 8 days apart
/// share a slot only when they are more than 5 years apart (by day number modulo 64 slots, a
/// quarterly schedule's twelve dates collided about two times in three, and each obligor then
/// recomputed them).
///
/// A [`ProjectionMemo`] keeps the tables of one deal's periods from one projection to the
/// next.
#[derive(Debug)]
pub(super) struct ArrivalPeriods {
    pub(super) months: u32,
    /// (day number of `from`, encoded result); `EMPTY` when unused.
    pub(super) slots: Box<[(i32, u32); ARRIVAL_SLOTS]>,
}

pub(super) const ARRIVAL_SLOTS: usize = 256;
pub(super) const EMPTY: i32 = i32::MIN;
/// Encodes "after the last collection period" in a slot.
pub(super) const BEYOND: u32 = u32::MAX;

impl ArrivalPeriods {
    /// An empty table of a lag of `months`.
    pub(super) fn new(months: u32) -> Self {
        ArrivalPeriods {
            months,
            slots: Box::new([(EMPTY, 0); ARRIVAL_SLOTS]),
        }
    }

    /// The collection period of `periods` containing `from + months`.
    #[inline(always)]
    pub(super) fn period(&mut self, periods: &[PeriodDates], from: NaiveDate) -> Option<usize> {
        let key = from.num_days_from_ce();
        let slot = (key >> 3).rem_euclid(ARRIVAL_SLOTS as i32) as usize;
        let (k, code) = self.slots[slot];
        if k == key {
            return (code != BEYOND).then_some(code as usize);
        }
        self.miss(periods, from, slot)
    }

    /// [`ArrivalPeriods::period`] computed, and kept in `slot`.
    #[inline(never)]
    pub(super) fn miss(
        &mut self,
        periods: &[PeriodDates],
        from: NaiveDate,
        slot: usize,
    ) -> Option<usize> {
        let key = from.num_days_from_ce();
        let k = i32::try_from(self.months)
            .ok()
            .and_then(|m| add_months(from, m, false))
            .and_then(|d| crate::deal::period_of(periods, d));
        let code = k.and_then(|k| u32::try_from(k).ok()).unwrap_or(BEYOND);
        self.slots[slot] = (key, code);
        (code != BEYOND).then_some(code as usize)
    }
}

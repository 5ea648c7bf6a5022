//! Phase one of a projection: an obligor's performing path (its defaults, scheduled
//! instalments and prepayments, period by period, docs/conventions.md steps 1–5), recorded
//! as events that phase two turns into cash ([`PathSink`]), and kept for the scenarios that
//! share it ([`PathKey`], [`PerformingPath`]).

use super::*;

/// Obligor-periods of a pool whose performing paths a [`ProjectionMemo`] keeps (all its
/// paths together): about 10 MB of cells and events.
pub(super) const SHARED_PATH_CELLS: usize = 100_000;
/// Most performing paths a [`ProjectionMemo`] keeps: one per default and prepayment setting
/// of a grid whose other axes vary faster.
pub(super) const SHARED_PATHS: usize = 16;

/// What an obligor's performing path reads besides the obligor and its profile.
pub(super) struct PathContext<'a> {
    pub(super) periods: &'a [PeriodDates],
    pub(super) mode: Rounding,
    /// The index paths floating loans are refixed against, the cutoff and the scenario's
    /// name: `None` under the deal's own paths (the validated schedules stand).
    pub(super) refix: Option<(&'a crate::floating::IndexView<'a>, NaiveDate, &'a str)>,
}

/// What phase two of an obligor's projection (a scenario's recoveries and delays) acts on.
#[derive(Debug, Clone, Copy)]
pub(super) enum PathEvent {
    /// A CDR or curve default of `amount` on the first day of period `k`.
    PeriodDefault { k: u32, amount: i64 },
    /// A named default of `amount` (the performing balance) on `date`.
    NamedDefault { date: NaiveDate, amount: i64 },
    /// The instalment due on `date`, in period `k`, paid `principal` and `interest` before
    /// any delay.
    Paid {
        k: u32,
        date: NaiveDate,
        principal: i64,
        interest: i64,
    },
}

/// What an obligor's performing path depends on in a scenario: its defaults (CDR, curve and
/// named) and prepayments, pool-wide and by override. Recoveries and delays are not in it,
/// so the scenarios of a grid that vary only those share one path. Rates compare by value:
/// `0.02` and `0.020` give the same fractions and the same exact products. Only a scenario
/// under the deal's own index paths has a key: other paths refix floating loans.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PathKey {
    pub(super) cdr: Decimal,
    pub(super) default_rate: Decimal,
    pub(super) cpr: Decimal,
    pub(super) default_timing: Vec<Decimal>,
    pub(super) obligor_defaults: Vec<(usize, NaiveDate)>,
    /// Each override's obligors and its CDR, default rate and CPR.
    pub(super) overrides: Vec<(Vec<usize>, [Option<Decimal>; 3])>,
}

impl PathKey {
    pub(super) fn of(s: &Scenario) -> PathKey {
        PathKey {
            cdr: s.cdr,
            default_rate: s.default_rate,
            cpr: s.cpr,
            default_timing: s.default_timing.clone(),
            obligor_defaults: s.obligor_defaults.clone(),
            overrides: s
                .overrides
                .iter()
                .map(|r| (r.obligors.clone(), [r.cdr, r.default_rate, r.cpr]))
                .collect(),
        }
    }
}

/// The performing paths of a pool's obligors under one [`PathKey`]: phase one of a
/// projection, kept by a [`ProjectionMemo`] for the next scenario with the same key.
#[derive(Debug)]
pub(super) struct PerformingPath {
    pub(super) key: PathKey,
    /// Each obligor's cells after phase one, obligor-major.
    pub(super) cells: Vec<Cell>,
    /// Each obligor's events, in order.
    pub(super) events: Vec<PathEvent>,
    /// Where each obligor's events end in `events`.
    pub(super) ends: Vec<usize>,
    pub(super) initial_balance: Fen,
    /// Its pool totals by part, for projections without obligor rows ([`parts`]).
    pub(super) parts: parts::PathParts,
}

/// A sum of an obligor's amounts that leaves `i64`.
#[cold]
pub(super) fn obligor_overflow(name: &str) -> Error {
    Error::Usage(format!(
        "obligor `{name}`: an amount exceeds 92,233,720,368,547,758.07 yuan, the largest a pool \
         row holds; check the units of its amounts"
    ))
}

/// Phase one of an obligor's projection, its performing path: CDR, curve and named defaults,
/// instalments as paid before any delay, prepayments. Writes the `scheduled`, `defaulted`,
/// `prepaid` and `balance_end` of the sink's cells and the prepaid part of their `principal`,
/// and hands the sink what the scenario's recoveries and delays act on ([`PathSink`]);
/// returns the obligor's performing balance at the cutoff.
#[inline(always)]
pub(super) fn perform<S: PathSink>(
    ctx: &PathContext,
    obligor: &Obligor,
    profile: &Profile,
    default_at: Option<NaiveDate>,
    sink: &mut S,
) -> Result<Fen> {
    let PathContext {
        periods,
        mode,
        refix,
    } = *ctx;
    let Profile {
        default_fractions,
        default_survive,
        prepay_fractions,
        prepay_survive,
        curve,
    } = profile;
    let mut initial_balance: Fen = 0;
    for original in &obligor.assets {
        let rebuilt;
        let refixed = refix.and_then(|(view, cutoff, _)| {
            crate::schedule::floating_loan::refixed(original, view, cutoff)
        });
        let asset = match refixed {
            Some(r) => {
                rebuilt = r.map_err(|e| {
                    Error::Usage(format!(
                        "scenario `{}`: obligor `{}`: floating loan: {e}",
                        refix.map_or("", |r| r.2),
                        obligor.name
                    ))
                })?;
                &rebuilt
            }
            None => original,
        };
        let amounts = asset.fen_amounts().ok_or_else(|| {
            Error::Usage(format!(
                "obligor `{}`: an instalment exceeds 92,233,720,368,547,758.07 yuan; check the \
                 units of its amounts",
                obligor.name
            ))
        })?;
        let initial: i64 = amounts
            .iter()
            .try_fold(0i64, |t, a| t.checked_add(a.0))
            .ok_or_else(|| obligor_overflow(&obligor.name))?;
        initial_balance += Fen::from(initial);
        let mut bal = initial;
        // The surviving factor, a mantissa at FACTOR_DP places (1 = 10^12).
        let mut factor: i64 = POW10_FACTOR;
        // While nothing has defaulted or prepaid, the balance is exactly the sum of the
        // remaining contractual principal: instalments are paid as scheduled.
        let mut intact = true;
        let mut next = 0usize; // next instalment index
        let last = asset.instalments.len().saturating_sub(1);
        let mut dead = false;
        for (k, p) in periods.iter().enumerate() {
            // 1. CDR and default-curve defaults on the first day of the period.
            let dk = default_fractions[k];
            let (ck, share, cdiv) = curve[k];
            if !dead && (dk != 0 || !ck.is_zero()) && bal > 0 {
                let cdr_part = narrow(mul_pow10_i64::<FRACTION_DP>(bal, dk, mode))?;
                let curve_part = if ck.is_zero() {
                    0
                } else {
                    let factors = [ck, share];
                    let n = if share == Decimal::ONE { 1 } else { 2 };
                    fen_times(Fen::from(initial), &factors[..n], Ratio::new(1, cdiv), mode)
                        .ok_or_else(projection_overflow)?
                };
                // At most the balance, so within i64.
                let def = (Fen::from(cdr_part) + curve_part).min(Fen::from(bal)) as i64;
                if def > 0 {
                    // CDR alone: φ(1 − f) exactly; with a curve part or capped at the
                    // balance: φ(B − D)/B; each rounded half away to FACTOR_DP places
                    // (never above φ, so within i64).
                    factor = if curve_part == 0 && cdr_part <= bal {
                        survive(factor, default_survive[k])
                    } else {
                        div_half_away(i128::from(factor) * i128::from(bal - def), i128::from(bal))
                            as i64
                    };
                    intact = false;
                    bal -= def;
                    let (c, overflow) = sink.cell(k);
                    add(&mut c.defaulted, def, overflow);
                    sink.period_default(k, def)?;
                }
            }
            // 2. Instalments due in the period, with a named default interleaved.
            while next < asset.instalments.len() && asset.instalments[next].date <= p.collection_end
            {
                let inst = asset.instalments[next];
                if inst.date < p.collection_start {
                    // Cannot happen for a validated deal (instalments fall after cutoff).
                    next += 1;
                    continue;
                }
                if !dead && default_at.is_some_and(|d| d <= inst.date) {
                    dead = true;
                    default_now(sink, k, default_at.unwrap_or(inst.date), &mut bal)?;
                }
                let (ip, ii) = amounts[next];
                let (c, overflow) = sink.cell(k);
                add(&mut c.scheduled, ip, overflow);
                add(&mut c.scheduled, ii, overflow);
                if !dead {
                    // Scaled by the surviving factor (at most one: within i64).
                    let scaled = |x: i64| narrow(mul_pow10_i64::<FACTOR_DP>(x, factor, mode));
                    let (pr, it) = if intact {
                        (ip, ii)
                    } else if next == last {
                        (bal, scaled(ii)?)
                    } else {
                        (scaled(ip)?.min(bal), scaled(ii)?)
                    };
                    bal -= pr;
                    sink.paid(k, inst.date, pr, it)?;
                }
                next += 1;
            }
            // A named default inside the period with no instalment on or after it.
            if !dead && default_at.is_some_and(|d| d <= p.collection_end) {
                dead = true;
                default_now(sink, k, default_at.unwrap_or(p.collection_end), &mut bal)?;
            }
            // 3. Prepayment on the last day of the period.
            let sk = prepay_fractions[k];
            if asset.prepayable && !dead && sk != 0 && bal > 0 {
                let pp = narrow(mul_pow10_i64::<FRACTION_DP>(bal, sk, mode))?.min(bal);
                bal -= pp;
                factor = survive(factor, prepay_survive[k]);
                intact = false;
                let (c, overflow) = sink.cell(k);
                add(&mut c.prepaid, pp, overflow);
                add(&mut c.principal, pp, overflow);
            }
            let (c, overflow) = sink.cell(k);
            add(&mut c.balance_end, bal, overflow);
        }
    }
    Ok(initial_balance)
}

/// A named default on `date` in period `k`: the whole performing balance defaults.
#[inline]
pub(super) fn default_now<S: PathSink>(
    sink: &mut S,
    k: usize,
    date: NaiveDate,
    bal: &mut i64,
) -> Result<()> {
    let amount = std::mem::take(bal);
    if amount == 0 {
        return Ok(());
    }
    let (c, overflow) = sink.cell(k);
    add(&mut c.defaulted, amount, overflow);
    sink.named_default(date, amount)
}

/// Where an obligor's performing path goes ([`perform`]): straight into phase two
/// ([`Arrivals`]), or recorded for the scenarios that share it ([`Recorder`]).
pub(super) trait PathSink {
    /// Period `k`'s cell of the obligor, and the flag of a sum that left `i64`.
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool);
    /// A CDR or curve default of `amount` on the first day of period `k`.
    fn period_default(&mut self, k: usize, amount: i64) -> Result<()>;
    /// A named default of `amount` (the performing balance) on `date`.
    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()>;
    /// The instalment due on `date`, in period `k`, paid `principal` and `interest` before any
    /// delay.
    fn paid(&mut self, k: usize, date: NaiveDate, principal: i64, interest: i64) -> Result<()>;
}

/// Records a performing path as [`PathEvent`]s, for [`Arrivals::arrive`].
pub(super) struct Recorder<'a> {
    pub(super) cells: &'a mut [Cell],
    pub(super) overflow: &'a mut bool,
    pub(super) events: &'a mut Vec<PathEvent>,
}

impl PathSink for Recorder<'_> {
    #[inline(always)]
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool) {
        (&mut self.cells[k], self.overflow)
    }

    fn period_default(&mut self, k: usize, amount: i64) -> Result<()> {
        self.events.push(PathEvent::PeriodDefault {
            k: k as u32,
            amount,
        });
        Ok(())
    }

    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()> {
        self.events.push(PathEvent::NamedDefault { date, amount });
        Ok(())
    }

    fn paid(&mut self, k: usize, date: NaiveDate, principal: i64, interest: i64) -> Result<()> {
        self.events.push(PathEvent::Paid {
            k: k as u32,
            date,
            principal,
            interest,
        });
        Ok(())
    }
}

/// Phase two as the path is computed: the scenario's recoveries and delays.
impl PathSink for Arrivals<'_, '_> {
    #[inline(always)]
    fn cell(&mut self, k: usize) -> (&mut Cell, &mut bool) {
        (&mut self.cells[k], &mut self.overflow)
    }

    #[inline(always)]
    fn period_default(&mut self, k: usize, amount: i64) -> Result<()> {
        let rec = self.recovery_rate.times(amount, self.mode)?;
        self.book_recovery_of_period(k, rec);
        Ok(())
    }

    #[inline(always)]
    fn named_default(&mut self, date: NaiveDate, amount: i64) -> Result<()> {
        let rec = self.recovery_rate.times(amount, self.mode)?;
        self.book_recovery(date, rec);
        Ok(())
    }

    #[inline(always)]
    fn paid(&mut self, k: usize, date: NaiveDate, pr: i64, it: i64) -> Result<()> {
        let delay = self.delay_share;
        let (ovf, c) = (&mut self.overflow, &mut self.cells[k]);
        if delay.is_zero() {
            add(&mut c.principal, pr, ovf);
            add(&mut c.interest, it, ovf);
        } else {
            let dp = delay.times(pr, self.mode)?;
            let di = delay.times(it, self.mode)?;
            add(&mut c.principal, pr - dp, ovf);
            add(&mut c.interest, it - di, ovf);
            // `delayed` is the cash the delay moves out of the period (to a later one or
            // beyond the horizon); a share that still arrives within it is collected there
            // (review 41a item 1: it was counted as delayed too).
            if (dp != 0 || di != 0) && self.book_delayed(date, dp, di) != Some(k) {
                let c = &mut self.cells[k];
                add(&mut c.delayed, dp, &mut self.overflow);
                add(&mut c.delayed, di, &mut self.overflow);
            }
        }
        Ok(())
    }
}

/// A rate of a scenario (a recovery rate, a delayed share) for the projection's products: its
/// mantissa at [`FACTOR_DP`] places when it has at most that many and fits an `i64` (every
/// rate in [0, 1] does), so that a product divides by a constant; otherwise as it is.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rate {
    Fixed(i64),
    Any { m: i128, s: u32 },
}

impl Rate {
    pub(super) fn of(d: Decimal) -> Rate {
        let (m, s) = (d.mantissa(), d.scale());
        if s <= FACTOR_DP
            && let Some(m) = m
                .checked_mul(10i128.pow(FACTOR_DP - s))
                .and_then(|m| i64::try_from(m).ok())
        {
            return Rate::Fixed(m);
        }
        Rate::Any { m, s }
    }

    pub(super) fn is_zero(self) -> bool {
        matches!(self, Rate::Fixed(0) | Rate::Any { m: 0, .. })
    }

    /// The mantissa at [`FACTOR_DP`] places of a rate in [0, 1].
    pub(super) fn unit(self) -> Option<i64> {
        match self {
            Rate::Fixed(m) if (0..=POW10_FACTOR).contains(&m) => Some(m),
            _ => None,
        }
    }

    /// `round(amount × rate)`, exact and rounded once. Inlined, and the fixed scale on `i64`
    /// operands returns a plain `i128` in registers: a `Result` or `Option` of `i128` built out
    /// of line went through memory in two halves read back as one, a stalled store-to-load
    /// forward per product.
    #[inline(always)]
    pub(super) fn times(self, amount: i64, mode: Rounding) -> Result<i64> {
        match self {
            Rate::Fixed(m) => narrow(mul_pow10_i64::<FACTOR_DP>(amount, m, mode)),
            Rate::Any { m, s } => Self::times_any(amount, m, s, mode),
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn times_any(amount: i64, m: i128, s: u32, mode: Rounding) -> Result<i64> {
        narrow(mul_scaled(i128::from(amount), m, s, mode).ok_or_else(projection_overflow)?)
    }
}

/// An amount beyond 128 bits in the projection.
#[cold]
pub(super) fn projection_overflow() -> Error {
    Error::Internal("an amount overflows in the pool projection".into())
}

/// The surviving factor after a period's CDR or CPR: `factor × (1 − f)`, rounded half away
/// from zero to [`FACTOR_DP`] places (`survive_m` is `1 − f` at [`FRACTION_DP`] places).
#[inline]
pub(super) fn survive(factor: i64, survive_m: i64) -> i64 {
    // At most the factor: both are non-negative and `survive_m` is at most 10^10.
    mul_pow10_i64::<FRACTION_DP>(factor, survive_m, Rounding::HalfUp) as i64
}

/// `num / den` rounded half away from zero, for `num ≥ 0`, `den > 0`.
#[inline]
pub(super) fn div_half_away(num: i128, den: i128) -> i128 {
    let (q, r) = (num / den, num % den);
    q + i128::from(r >= den - r)
}

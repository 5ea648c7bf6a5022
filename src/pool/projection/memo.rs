//! What the projections of one pool share: its plan (the obligors' labels and the dates their
//! rows use, [`PoolPlan`]) and what one projection leaves the next ([`ProjectionMemo`]: period
//! fractions, arrival tables and performing paths).

use super::*;

/// What the projections of one [`PoolPlan`]'s pool carry from one run to the next (a sweep
/// keeps one per worker thread):
/// * each period fraction of an annual rate met so far;
/// * where each delay or recovery lag met so far brings cash due on a date;
/// * the pool's performing paths under a few keys (the defaults and prepayments of
///   a scenario), each kept the second time its key comes;
/// * for projections without obligor rows, each kept path's pool totals by part: its own
///   sums, its delays under each share and lag met, its recoveries under each rate and lag
///   met (docs/performance.md, session 13).
///
/// Each is an exact function of the deal's periods and obligors and its key, so a projection
/// gives the same result, bit for bit, with a used memo and with a fresh one. Used with
/// another plan, a memo starts afresh.
#[derive(Debug, Default)]
pub struct ProjectionMemo {
    /// The [`PoolPlan::id`] the entries below belong to.
    pub(super) plan: Option<u64>,
    /// An annual rate's mantissa and scale → [`period_fractions`] of it.
    pub(super) fractions: Vec<((i128, u32), Vec<i64>)>,
    /// The arrival periods of each lag met so far.
    pub(super) arrivals: Vec<ArrivalPeriods>,
    /// Projections of the plan so far.
    pub(super) projections: u64,
    /// Those that took their performing paths from an earlier one.
    pub(super) shared: u64,
    /// Those of them that put their pool totals together from the path's parts.
    pub(super) by_parts: u64,
    /// The obligors' shares of the latest scenario whose default patterns came in a row
    /// ([`patterns`]), and the key of the last pattern that built no table.
    pub(super) patterns: Option<patterns::PatternTable>,
    pub(super) pattern_seen: Option<patterns::PatternKey>,
    /// Projections whose totals came from `patterns`.
    pub(super) by_pattern: u64,
    /// The keys of the latest paths computed and not kept, oldest first: a path is kept
    /// the second time its key comes, so that searches whose steps never repeat one (a
    /// break-even search, the rating Monte Carlo's default patterns) keep none.
    pub(super) seen: Vec<PathKey>,
    /// The performing paths kept, oldest first ([`PerformingPath`]).
    pub(super) paths: Vec<PerformingPath>,
}

/// Entries a [`ProjectionMemo`] keeps of each kind before it starts afresh (a break-even
/// search meets a new CDR at every step).
pub(super) const MEMO_ENTRIES: usize = 256;

impl ProjectionMemo {
    /// How many projections since the memo's plan last changed took their performing paths
    /// (defaults, instalments paid, prepayments) from an earlier one: a diagnostic, for the
    /// results are the same either way.
    pub fn paths_shared(&self) -> u64 {
        self.shared
    }

    /// How many of those [`ProjectionMemo::paths_shared`] counts, without obligor rows, put
    /// their pool totals together from the shared path's parts (its own sums, the delays
    /// under one share and lag, the recoveries under one rate and lag) instead of going
    /// obligor by obligor: a diagnostic too.
    pub fn totals_by_parts(&self) -> u64 {
        self.by_parts
    }

    /// How many projections without obligor rows took their pool totals from the obligors'
    /// shares of a scenario whose default patterns came before (the rating Monte Carlo's
    /// patterns): a diagnostic too.
    pub fn totals_by_pattern(&self) -> u64 {
        self.by_pattern
    }

    /// The memo, emptied unless its entries belong to `plan`.
    pub(super) fn of(&mut self, plan: &PoolPlan) -> &mut Self {
        if self.plan != Some(plan.id) {
            *self = ProjectionMemo {
                plan: Some(plan.id),
                ..ProjectionMemo::default()
            };
        }
        self
    }

    /// [`period_fractions`] of `rate`, computed once.
    pub(super) fn fractions(&mut self, rate: Decimal, periods: &[PeriodDates]) -> Result<Vec<i64>> {
        let key = (rate.mantissa(), rate.scale());
        if let Some((_, f)) = self.fractions.iter().find(|(k, _)| *k == key) {
            return Ok(f.clone());
        }
        let f = period_fractions(rate, periods)?;
        if self.fractions.len() >= MEMO_ENTRIES {
            self.fractions.clear();
        }
        self.fractions.push((key, f.clone()));
        Ok(f)
    }

    /// The index in `arrivals` of the table of a lag of `months`, added if new. Call
    /// [`ProjectionMemo::make_room`] first: the indices of a projection must stay valid.
    pub(super) fn arrival_table(&mut self, months: u32) -> usize {
        if let Some(i) = self.arrivals.iter().position(|a| a.months == months) {
            return i;
        }
        self.arrivals.push(ArrivalPeriods::new(months));
        self.arrivals.len() - 1
    }

    /// Whether `key` came before without its path being kept; notes it if not.
    pub(super) fn seen_before(&mut self, key: &PathKey) -> bool {
        if let Some(i) = self.seen.iter().position(|k| k == key) {
            self.seen.remove(i);
            return true;
        }
        if self.seen.len() >= 2 * SHARED_PATHS {
            self.seen.remove(0);
        }
        self.seen.push(key.clone());
        false
    }

    /// Keeps `path`, forgetting the oldest paths to stay within [`SHARED_PATHS`] paths and
    /// [`SHARED_PATH_CELLS`] cells.
    pub(super) fn keep(&mut self, path: PerformingPath) {
        let mut cells = path.cells.len() + self.paths.iter().map(|p| p.cells.len()).sum::<usize>();
        while !self.paths.is_empty()
            && (cells > SHARED_PATH_CELLS || self.paths.len() >= SHARED_PATHS)
        {
            cells -= self.paths.remove(0).cells.len();
        }
        self.paths.push(path);
    }

    /// Forgets the arrival tables if `more` new ones could take them past [`MEMO_ENTRIES`].
    pub(super) fn make_room(&mut self, more: usize) {
        if self.arrivals.len() + more > MEMO_ENTRIES {
            self.arrivals.clear();
        }
    }
}

/// What every projection of one set of obligors over one run of periods shares, whatever the
/// scenario: the obligors' row labels, the row grid's (period, payment date) pairs and the
/// default curve's horizon.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    /// Tells plans apart for a [`ProjectionMemo`]: unique in the process.
    pub(super) id: u64,
    /// `None` in a plan built for projections without obligor rows.
    pub(super) names: Option<Vec<Label>>,
    pub(super) dates: Vec<(u32, NaiveDate)>,
    /// Collection periods up to the one holding the pool's last instalment (all of them
    /// without an instalment in any).
    pub(super) pool_periods: usize,
    /// The obligor groups of two or more (`crate::deal::credit_groups_of`), to which a
    /// scenario's named defaults spread; empty without groups. Derived once, not per run.
    pub(super) groups: Vec<Vec<usize>>,
}

impl PoolPlan {
    /// The plan, with the obligors' labels only for projections that build `rows` (a
    /// projection without rows reads none; one with rows builds them if the plan lacks them).
    pub fn build(periods: &[PeriodDates], obligors: &[Obligor], rows: ObligorRows) -> PoolPlan {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        PoolPlan {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            names: (rows == ObligorRows::Keep).then(|| obligor_labels(obligors)),
            dates: periods.iter().map(|p| (p.number, p.date())).collect(),
            pool_periods: crate::deal::pool_periods(periods, obligors),
            groups: if obligors.iter().any(|o| o.group().is_some()) {
                let mut groups = crate::deal::credit_groups_of(obligors);
                groups.retain(|g| g.len() > 1);
                groups
            } else {
                Vec::new()
            },
        }
    }
}

/// The row labels of `obligors`, in order.
pub(super) fn obligor_labels(obligors: &[Obligor]) -> Vec<Label> {
    obligors.iter().map(|o| Label::from(&o.name)).collect()
}

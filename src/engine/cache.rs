//! [`ProjectionCache`]: the pool projections of one scenario's break-even search, kept for the
//! searches that follow on the same pool.
//!
//! A break-even search (`analytics::breakeven`) runs one scenario again and again, changing
//! only its default rate and its named defaults. The pool's projection under each of those
//! depends on the pool and the scenario only, not on the tranches. The searches of the other
//! rated tranches of the same deal, and every candidate balance of `ipabs size` (which changes
//! tranche balances only), try many of the same rates again: the scan's rates are the same in
//! every search, and the bisections often share their brackets. For a large pool the
//! projection is most of a lean run (`ipabs size` of a 300-obligor pool: 84% of the
//! instructions), so a search that finds a projection here runs only the waterfall.
//!
//! A projection is an exact function of the pool and the scenario, so a run gives the same
//! result, bit for bit, from a cached projection and from a fresh one; only lean projections
//! (without obligor rows) are kept.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::pool::projection::PoolProjection;
use crate::scenario::Scenario;
use chrono::NaiveDate;

/// Periods a cache holds, at most, over all its projections (about 160 bytes each): 3.2 MB.
/// Once full it keeps what it has: the lowest rates of the scan, which every later search
/// tries first.
const MAX_PERIODS: usize = 20_000;

/// The default rate (its mantissa and scale, as written) and named defaults that set a
/// projection apart within one search.
type Key = ((i128, u32), Vec<(usize, NaiveDate)>);

fn key(scenario: &Scenario) -> Key {
    let r = scenario.default_rate;
    ((r.mantissa(), r.scale()), scenario.obligor_defaults.clone())
}

/// Lean pool projections of one scenario under several default rates and named defaults (the
/// module docs). Shared by the threads that search the same scenario; use one cache for one
/// pool only (the deals it serves may differ in their tranches, nothing else).
#[derive(Debug, Default)]
pub struct ProjectionCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// The scenario of the first projection kept, which every later one must equal but for
    /// the key's fields.
    scenario: Option<Scenario>,
    projections: HashMap<Key, PoolProjection>,
    periods: usize,
    /// Projections found here.
    hits: u64,
}

impl ProjectionCache {
    /// An empty cache.
    pub fn new() -> ProjectionCache {
        ProjectionCache::default()
    }

    /// The projection kept for `scenario`, if any.
    pub(super) fn get(&self, scenario: &Scenario) -> Option<PoolProjection> {
        let mut e = self.lock();
        if !e
            .scenario
            .as_ref()
            .is_some_and(|s| same_but_key(s, scenario))
        {
            return None;
        }
        let found = e.projections.get(&key(scenario)).cloned();
        e.hits += u64::from(found.is_some());
        found
    }

    /// Keeps `projection`, the lean projection of `scenario`, unless the cache is full or
    /// holds another scenario.
    pub(super) fn put(&self, scenario: &Scenario, projection: &PoolProjection) {
        let mut e = self.lock();
        match &e.scenario {
            None => e.scenario = Some(scenario.clone()),
            Some(s) if same_but_key(s, scenario) => {}
            Some(_) => return,
        }
        let periods = projection.periods.len().max(1);
        if e.periods + periods > MAX_PERIODS {
            return;
        }
        if e.projections
            .insert(key(scenario), projection.clone())
            .is_none()
        {
            e.periods += periods;
        }
    }

    /// A cache per scenario of `scenarios` for the break-even searches of `searches`
    /// tranches, which share them; `None` for one tranche, whose searches share nothing (a
    /// cache that finds nothing costs a copy of each projection: 2% of `ipabs breakeven` of an
    /// example deal).
    pub fn shared(scenarios: usize, searches: usize) -> Option<Vec<ProjectionCache>> {
        (searches > 1).then(|| ProjectionCache::per_scenario(scenarios))
    }

    /// A new cache for each of `scenarios` scenarios.
    pub fn per_scenario(scenarios: usize) -> Vec<ProjectionCache> {
        (0..scenarios).map(|_| ProjectionCache::new()).collect()
    }

    /// How many projections it holds (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.lock().projections.len()
    }

    /// Whether it holds no projection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many runs took their projection from it (for tests and diagnostics).
    pub fn hits(&self) -> u64 {
        self.lock().hits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether `a` and `b` are the same scenario but for their default rate and named defaults.
/// Every field is named, so that a field added to [`Scenario`] must be considered here.
fn same_but_key(a: &Scenario, b: &Scenario) -> bool {
    let Scenario {
        name,
        obligor_defaults: _,
        cdr,
        default_rate: _,
        default_timing,
        recovery_rate,
        recovery_lag_months,
        delay_fraction,
        delay_months,
        cpr,
        supports_off,
        support_failures,
        events,
        indices,
        coupon_shift,
        revolving_yield_cut,
        purchase_cut,
        clean_up_call,
        overrides,
        commingling,
    } = a;
    *name == b.name
        && *cdr == b.cdr
        && *default_timing == b.default_timing
        && *recovery_rate == b.recovery_rate
        && *recovery_lag_months == b.recovery_lag_months
        && *delay_fraction == b.delay_fraction
        && *delay_months == b.delay_months
        && *cpr == b.cpr
        && *supports_off == b.supports_off
        && *support_failures == b.support_failures
        && *events == b.events
        && *indices == b.indices
        && *coupon_shift == b.coupon_shift
        && *revolving_yield_cut == b.revolving_yield_cut
        && *purchase_cut == b.purchase_cut
        && *clean_up_call == b.clean_up_call
        && *overrides == b.overrides
        && *commingling == b.commingling
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::projection::PeriodCash;
    use crate::pool::rows::PoolFlows;
    use rust_decimal::Decimal;

    fn projection(periods: usize, cash: i64) -> PoolProjection {
        PoolProjection {
            rows: PoolFlows::new(),
            periods: vec![
                PeriodCash {
                    collected: Decimal::new(cash, 2),
                    ..PeriodCash::default()
                };
                periods
            ],
            initial_balance: Decimal::ZERO,
            beyond_horizon: Decimal::ZERO,
        }
    }

    #[test]
    fn a_projection_is_found_under_its_rate_and_defaults_only() {
        let c = ProjectionCache::new();
        let mut s = Scenario::base();
        s.default_rate = Decimal::new(25, 2);
        assert!(c.get(&s).is_none());
        c.put(&s, &projection(3, 7));
        assert_eq!(c.get(&s).unwrap().periods[0].collected, Decimal::new(7, 2));
        assert_eq!(c.hits(), 1);
        // Another rate, the same rate written at another scale, named defaults: not found.
        let mut other = s.clone();
        other.default_rate = Decimal::new(26, 2);
        assert!(c.get(&other).is_none());
        other.default_rate = Decimal::new(250, 3);
        assert!(c.get(&other).is_none());
        let mut named = s.clone();
        named
            .obligor_defaults
            .push((0, chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()));
        assert!(c.get(&named).is_none());
        // Another scenario (a recovery rate): neither found nor kept.
        let mut recovering = s.clone();
        recovering.recovery_rate = Decimal::new(3, 1);
        assert!(c.get(&recovering).is_none());
        c.put(&recovering, &projection(3, 9));
        assert!(c.get(&recovering).is_none());
        assert_eq!(c.len(), 1);
        assert_eq!(c.hits(), 1);
    }

    #[test]
    fn a_full_cache_keeps_what_it_has() {
        let c = ProjectionCache::new();
        let mut s = Scenario::base();
        let per = 1000;
        for i in 0..(MAX_PERIODS / per + 5) {
            s.default_rate = Decimal::new(i as i64, 3);
            c.put(&s, &projection(per, i as i64));
        }
        assert_eq!(c.len(), MAX_PERIODS / per);
        s.default_rate = Decimal::new(0, 3);
        assert!(c.get(&s).is_some());
        s.default_rate = Decimal::new((MAX_PERIODS / per) as i64, 3);
        assert!(c.get(&s).is_none());
    }
}

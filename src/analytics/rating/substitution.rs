//! Credit substitution (docs/rating.md §7): a tranche whose interest and principal a support
//! provider with a credit covers in full is rated the higher of its pool-alone rating and the
//! provider's own.

use std::collections::BTreeMap;

use super::*;
use crate::deal::{Cover, Deal, SupportKind};
use crate::error::Result;
use crate::rating_model::{CreditCurve, PdTable, ProviderCredit};
use crate::scenario::Scenario;

/// A tranche's credit substitution: its pool-alone Monte Carlo figures, the provider that
/// covers it in full, and the higher of the two ratings.
#[derive(Debug, Clone, PartialEq)]
pub struct Substitution {
    /// The provider (its name) whose rating the tranche may take: of the providers covering
    /// it in full, the highest rated (the first in file order among equals).
    pub provider: String,
    /// The provider's rating: its `rating` tag, or the rating its `pd` over the deal's term
    /// implies ([`rating_for_probability`]); `None` when that PD is above every row's.
    pub provider_rating: Option<String>,
    /// The share of paths on which the tranche is not paid in full with the supports of every
    /// provider with a credit switched off.
    pub pool_alone_probability: f64,
    /// The rating that share implies (as `implied_rating`).
    pub pool_alone_rating: Option<String>,
    /// The higher of `pool_alone_rating` and `provider_rating` (`None` if both are).
    pub rating: Option<String>,
    /// The supports (names) that still pay in the pool-alone run: those of providers without
    /// a credit that the scenario does not switch off.
    pub kept: Vec<String>,
}

/// The providers (indices of [`Pool::providers`]) that cover tranche `t` in full under
/// `base`: one of their supports is a 差额支付 or guarantee that covers the tranche's interest
/// and its principal, has no cap per period or in total, may be drawn in every waterfall,
/// backs no other support, and is not switched off by `base`. Empty for a subordinated
/// tranche.
pub fn full_cover(deal: &Deal, pool: &Pool, base: &Scenario, t: usize) -> Vec<usize> {
    let class = deal.tranches[t].class;
    let (Some(interest), Some(principal)) = (Cover::interest_of(class), Cover::principal_of(class))
    else {
        return Vec::new();
    };
    let covers_in_full = |s: usize| {
        let x = &deal.supports[s];
        x.kind != SupportKind::AssetGuarantee
            && x.covers.contains(&interest)
            && x.covers.contains(&principal)
            && x.cap_per_period.is_none()
            && x.cap_total.is_none()
            && x.waterfalls.is_none()
            && x.backs.is_none()
            && !base.supports_off.contains(&s)
    };
    (0..pool.providers.len())
        .filter(|&j| {
            pool.providers[j]
                .supports
                .iter()
                .any(|&s| covers_in_full(s))
        })
        .collect()
}

/// A provider's rating: its `rating` tag's row, or for a `pd` the highest rating whose PD over
/// `term` years (the deal's term) is at least it.
pub fn provider_rating(table: &PdTable, p: &ProviderCredit, term: f64) -> Option<String> {
    match p.credit.curve {
        CreditCurve::Rating(i) => Some(table.rows[i].0.clone()),
        CreditCurve::Explicit(pd) => rating_for_probability(table, pd, term),
    }
}

/// The higher of two ratings of `table` (a rating's row index: the table lists them highest
/// first); a `None` (below every row) loses to any rating.
pub fn higher(table: &PdTable, a: Option<&str>, b: Option<&str>) -> Option<String> {
    let row = |r: Option<&str>| r.and_then(|r| table.rows.iter().position(|(l, _)| l == r));
    match (row(a), row(b)) {
        (Some(i), Some(j)) => Some(table.rows[i.min(j)].0.clone()),
        (Some(i), None) | (None, Some(i)) => Some(table.rows[i].0.clone()),
        (None, None) => None,
    }
}

/// The paths of `sim` with the providers' defaults taken out: the pool's own patterns, merged
/// with their counts (what the paths are when no provider's default matters).
pub fn pool_alone(pool: &Pool, sim: &Simulation) -> Simulation {
    let mut patterns: BTreeMap<Pattern, u64> = BTreeMap::new();
    for (p, c) in &sim.patterns {
        let own: Pattern = p
            .iter()
            .copied()
            .filter(|&(o, _)| pool.provider_of(o).is_none())
            .collect();
        *patterns.entry(own).or_insert(0) += c;
    }
    Simulation {
        paths: sim.paths,
        patterns,
    }
}

/// The credit substitution of every tranche of `deal` under `base` (the Monte Carlo's
/// scenario), `None` for a tranche no provider with a credit covers in full. When one does,
/// the pool's own patterns of `sim` run through the waterfall once more under `base` with
/// the supports of every provider with a credit switched off ([`pool_alone`]; `progress(1)`
/// per run); otherwise nothing runs.
pub fn substitutions(
    deal: &Deal,
    pool: &Pool,
    base: &Scenario,
    sim: &Simulation,
    table: &PdTable,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Option<Substitution>>> {
    let covering: Vec<Vec<usize>> = (0..deal.tranches.len())
        .map(|t| full_cover(deal, pool, base, t))
        .collect();
    if covering.iter().all(Vec::is_empty) {
        return Ok(vec![None; deal.tranches.len()]);
    }
    let mut alone = base.clone();
    for p in &pool.providers {
        for &s in &p.supports {
            if !alone.supports_off.contains(&s) {
                alone.supports_off.push(s);
            }
        }
    }
    alone.supports_off.sort_unstable();
    let kept: Vec<String> = (0..deal.supports.len())
        .filter(|s| !alone.supports_off.contains(s))
        .map(|s| deal.supports[s].name.clone())
        .collect();
    let mc = through_waterfall(deal, pool, &alone, &pool_alone(pool, sim), table, progress)?;
    Ok(covering
        .iter()
        .zip(&mc)
        .map(|(js, m)| {
            // The highest rated of the covering providers, the first among equals.
            let (provider, provider_rating) = js
                .iter()
                .map(|&j| {
                    let p = &pool.providers[j];
                    (p, provider_rating(table, p, pool.provider_term))
                })
                .reduce(|best, next| {
                    let top = higher(table, best.1.as_deref(), next.1.as_deref());
                    if top.is_some() && top != best.1 {
                        next
                    } else {
                        best
                    }
                })?;
            Some(Substitution {
                provider: provider.provider.clone(),
                rating: higher(
                    table,
                    m.implied_rating.as_deref(),
                    provider_rating.as_deref(),
                ),
                provider_rating,
                pool_alone_probability: m.default_probability,
                pool_alone_rating: m.implied_rating.clone(),
                kept: kept.clone(),
            })
        })
        .collect())
}

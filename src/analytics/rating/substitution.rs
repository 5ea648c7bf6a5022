//! Credit substitution (docs/rating.md §7, "Credit substitution"): a tranche whose interest and
//! principal a support provider with a credit covers in full is rated the higher of the
//! provider's rating and its standalone rating, the same paths without that provider's
//! supports.

use std::collections::BTreeMap;

use super::*;
use crate::deal::{Cover, Deal, SupportKind};
use crate::error::Result;
use crate::rating_model::{CreditCurve, PdTable, ProviderCredit};
use crate::scenario::Scenario;

/// A tranche's credit substitution: the provider whose rating it takes, that provider's
/// rating, the tranche's standalone Monte Carlo figures without it, and the higher rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Substitution {
    /// The provider (its name) of the substitution: of the providers covering the tranche in
    /// full, the one giving the highest substituted rating (the first in the order of their
    /// credits among equals).
    pub provider: String,
    /// The provider's rating: its `rating` tag, or the rating its `pd` over the deal's term
    /// implies ([`rating_for_probability`]); `None` when that PD is above every row's.
    pub provider_rating: Option<String>,
    /// The tranche's Monte Carlo figures on the same paths with every support of `provider`
    /// switched off and its defaults dropped; every other support pays and fails as in the
    /// joint run.
    pub standalone: Standalone,
    /// The higher of the standalone `implied_rating` and `provider_rating` (`None` if both
    /// are).
    pub rating: Option<String>,
}

/// A tranche's standalone figures: those of its `mc_tranches` row, on the paths without the
/// provider ([`McTranche`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Standalone {
    /// Share of paths on which the tranche is not paid in full.
    pub default_probability: f64,
    /// Mean (principal loss + final interest shortfall) / initial balance, 8 dp.
    pub expected_loss: rust_decimal::Decimal,
    /// Mean WAL over the paths that have one.
    pub expected_wal_years: Option<f64>,
    /// The rating `default_probability` implies at that WAL.
    pub implied_rating: Option<String>,
}

impl From<&McTranche> for Standalone {
    fn from(m: &McTranche) -> Standalone {
        Standalone {
            default_probability: m.default_probability,
            expected_loss: m.expected_loss,
            expected_wal_years: m.expected_wal_years,
            implied_rating: m.implied_rating.clone(),
        }
    }
}

/// Why support `s` does not cover tranche `t` in full under `base` (empty: it does). In full:
/// a 差额支付 or guarantee covering the tranche's interest and its principal, without
/// `cap_per_period` or `cap_total`, drawn in every waterfall of the deal, failing with no
/// obligor (`fails_with`), and neither switched off nor failed by `base`. A support that
/// `backs` another covers in full when that one would (its caps and waterfalls aside from
/// being switched off or failed) and it has none of these itself.
pub fn cover_gaps(deal: &Deal, base: &Scenario, s: usize, t: usize) -> Vec<String> {
    let sup = &deal.supports[s];
    let mut gaps = Vec::new();
    if let Some(b) = sup.backs {
        gaps.extend(
            terms_gaps(deal, b, t)
                .into_iter()
                .map(|g| format!("backs `{}`, which {g}", deal.supports[b].name)),
        );
    } else {
        gaps.extend(terms_gaps(deal, s, t));
    }
    for (has, gap) in [
        (sup.cap_per_period.is_some(), "has a cap_per_period"),
        (sup.cap_total.is_some(), "has a cap_total"),
    ] {
        if has && sup.backs.is_some() {
            gaps.push(gap.to_string());
        }
    }
    if let Some(o) = sup.fails_with {
        gaps.push(format!(
            "fails with obligor `{}` (fails_with: it fails when it is needed)",
            deal.obligors[o].name
        ));
    }
    if base.supports_off.contains(&s) {
        gaps.push(format!("is switched off by scenario `{}`", base.name));
    } else if let Some((_, d)) = base.support_failures.iter().find(|(x, _)| *x == s) {
        gaps.push(format!("fails from {d} in scenario `{}`", base.name));
    }
    gaps
}

/// The gaps of support `s`'s own terms for tranche `t`: its kind, its covers, its caps and its
/// waterfalls.
fn terms_gaps(deal: &Deal, s: usize, t: usize) -> Vec<String> {
    let sup = &deal.supports[s];
    let class = deal.tranches[t].class;
    let mut gaps = Vec::new();
    if sup.kind == SupportKind::AssetGuarantee {
        gaps.push("is an asset guarantee (it pays the pool's defaults, not a tranche)".into());
        return gaps;
    }
    let has = |c: Option<Cover>| c.is_some_and(|c| sup.covers.contains(&c));
    match (
        has(Cover::interest_of(class)),
        has(Cover::principal_of(class)),
    ) {
        (true, true) => {}
        (true, false) => gaps.push("covers its interest, not its principal".into()),
        (false, true) => gaps.push("covers its principal, not its interest".into()),
        (false, false) => gaps.push("covers neither its interest nor its principal".into()),
    }
    if sup.cap_per_period.is_some() {
        gaps.push("has a cap_per_period".into());
    }
    if sup.cap_total.is_some() {
        gaps.push("has a cap_total".into());
    }
    if let Some(w) = &sup.waterfalls
        && (0..deal.waterfalls.len()).any(|x| !w.contains(&x))
    {
        gaps.push("is not drawn in every waterfall".into());
    }
    gaps
}

/// Whether support `s` has anything to do with tranche `t`: it (or the support it backs)
/// covers the tranche's interest or principal.
fn touches(deal: &Deal, s: usize, t: usize) -> bool {
    let class = deal.tranches[t].class;
    let sup = &deal.supports[deal.supports[s].backs.unwrap_or(s)];
    [Cover::interest_of(class), Cover::principal_of(class)]
        .into_iter()
        .flatten()
        .any(|c| sup.covers.contains(&c))
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

/// The paths of `sim` without provider `j`'s defaults (pattern entry `n + j`): patterns that
/// then coincide merge, with their counts added.
pub fn without_provider(pool: &Pool, sim: &Simulation, j: usize) -> Simulation {
    let mut patterns: BTreeMap<Pattern, u64> = BTreeMap::new();
    for (p, c) in &sim.patterns {
        let own: Pattern = p
            .iter()
            .copied()
            .filter(|&(o, _)| pool.provider_of(o) != Some(j))
            .collect();
        *patterns.entry(own).or_insert(0) += c;
    }
    Simulation {
        paths: sim.paths,
        patterns,
    }
}

/// What the credit substitution of a deal runs: per tranche the providers (indices of
/// [`Pool::providers`]) covering it in full, and per such provider the paths without it.
#[derive(Debug, Clone)]
pub struct SubstitutionPlan {
    /// Per tranche, the providers covering it in full, in the order of their credits.
    pub candidates: Vec<Vec<usize>>,
    /// Per provider of some tranche's candidates, its paths without its defaults.
    pub standalone: BTreeMap<usize, Simulation>,
    /// Per tranche, each support of a provider with a credit that touches it without covering
    /// it in full, when no other support of that provider does, with why (rendered by
    /// `output::rating::substitution_gaps_note`).
    pub gaps: Vec<Vec<(usize, Vec<String>)>>,
}

impl SubstitutionPlan {
    /// The plan of `deal`'s substitutions under `base` (the Monte Carlo's scenario).
    pub fn new(deal: &Deal, pool: &Pool, base: &Scenario, sim: &Simulation) -> SubstitutionPlan {
        let credited = |s: usize| pool.providers.iter().position(|p| p.supports.contains(&s));
        let mut candidates = Vec::with_capacity(deal.tranches.len());
        let mut gaps = Vec::with_capacity(deal.tranches.len());
        for t in 0..deal.tranches.len() {
            let (mut full, mut short) = (Vec::new(), Vec::new());
            if Cover::interest_of(deal.tranches[t].class).is_some() {
                for s in 0..deal.supports.len() {
                    let Some(j) = credited(s) else { continue };
                    if !touches(deal, s, t) {
                        continue;
                    }
                    let g = cover_gaps(deal, base, s, t);
                    if g.is_empty() {
                        if !full.contains(&j) {
                            full.push(j);
                        }
                    } else {
                        short.push((s, j, g));
                    }
                }
            }
            full.sort_unstable();
            let short: Vec<(usize, Vec<String>)> = short
                .into_iter()
                .filter(|(_, j, _)| !full.contains(j))
                .map(|(s, _, g)| (s, g))
                .collect();
            candidates.push(full);
            gaps.push(short);
        }
        let standalone = candidates
            .iter()
            .flatten()
            .map(|&j| (j, without_provider(pool, sim, j)))
            .collect();
        SubstitutionPlan {
            candidates,
            standalone,
            gaps,
        }
    }

    /// The waterfall runs [`SubstitutionPlan::run`] makes: one per distinct pattern of each
    /// provider's paths.
    pub fn runs(&self) -> u64 {
        self.standalone
            .values()
            .map(|s| s.patterns.len() as u64)
            .sum()
    }

    /// Each tranche's substitution, `None` for a tranche no provider covers in full: per
    /// provider of the plan, its paths run through the waterfall under `base` with its
    /// supports switched off (`progress(1)` per run); per tranche, of its providers, the one
    /// whose substituted rating is highest.
    pub fn run(
        &self,
        deal: &Deal,
        pool: &Pool,
        base: &Scenario,
        table: &PdTable,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<Option<Substitution>>> {
        let mut standalone: BTreeMap<usize, Vec<McTranche>> = BTreeMap::new();
        for (&j, sim) in &self.standalone {
            let mut alone = base.clone();
            for &s in &pool.providers[j].supports {
                if !alone.supports_off.contains(&s) {
                    alone.supports_off.push(s);
                }
            }
            standalone.insert(
                j,
                through_waterfall(deal, pool, &alone, sim, table, progress)?,
            );
        }
        Ok(self
            .candidates
            .iter()
            .enumerate()
            .map(|(t, js)| {
                js.iter()
                    .map(|&j| {
                        let p = &pool.providers[j];
                        let provider_rating = provider_rating(table, p, pool.provider_term);
                        let alone = Standalone::from(&standalone[&j][t]);
                        Substitution {
                            provider: p.provider.clone(),
                            rating: higher(
                                table,
                                alone.implied_rating.as_deref(),
                                provider_rating.as_deref(),
                            ),
                            provider_rating,
                            standalone: alone,
                        }
                    })
                    .reduce(|best, next| {
                        let top = higher(table, best.rating.as_deref(), next.rating.as_deref());
                        if top.is_some() && top != best.rating {
                            next
                        } else {
                            best
                        }
                    })
            })
            .collect())
    }
}

//! The pool as the default model sees it: credits (obligors and obligor groups, then the
//! support providers that have one), terms, exposures at default by period (docs/rating.md
//! §1, §4, §7).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::copula::{Curve, DefaultModel};
use super::*;
use crate::deal::Deal;
use crate::error::{Error, Result};
use crate::rating_model::{Credits, ObligorCredit, ProviderCredit, RatingModel};

/// The pool as the default model sees it.
#[derive(Debug, Clone)]
pub struct Pool {
    /// Each obligor's credit input (its `rating` or `pd`, `region` and `industry` tags).
    pub credits: Vec<ObligorCredit>,
    /// The support providers with a credit (`[[supports]] tags`): the default model draws
    /// them after the pool's credits, and a pattern names provider `j` as "obligor" `n + j`,
    /// n the number of obligors ([`Pool::provider_of`]).
    pub providers: Vec<ProviderCredit>,
    /// Each provider's term: the deal's ([`Deal::term_years`]).
    pub provider_term: f64,
    /// Exposure term T_i: years (days / 365) from the cutoff to the obligor's last instalment.
    pub terms: Vec<f64>,
    /// Principal outstanding at the cutoff, per obligor.
    pub balances: Vec<Decimal>,
    /// The credits the default model draws ([`Deal::credit_groups`]): an obligor group's
    /// obligors (the `group` tag) default together, at one time; every other obligor alone.
    pub groups: Vec<Vec<usize>>,
    /// Principal outstanding at the cutoff, per credit of `groups`.
    pub group_balances: Vec<Decimal>,
    /// Exposure term of each credit of `groups`: the longest of its obligors' terms.
    pub group_terms: Vec<f64>,
    /// `exposure[o][k]`: principal of obligor o due on or after the first day of collection
    /// period k (what a default at that date loses).
    pub exposure: Vec<Vec<Decimal>>,
    /// The pool balance at the cutoff.
    pub total: Decimal,
    /// Balance-weighted average exposure term, years.
    pub wa_term: f64,
    /// The Gaussian copula over the credits of `groups`, then the providers.
    pub model: DefaultModel,
    /// First day of each collection period.
    pub period_starts: Vec<NaiveDate>,
    period_ends: Vec<NaiveDate>,
    cutoff: NaiveDate,
}

/// Builds the default model of `deal` for `credits` (one per obligor and one per provider
/// with a credit, from [`crate::validate::credits_from_str`]).
pub fn pool(deal: &Deal, credits: Credits, model: &RatingModel, seed: u64) -> Result<Pool> {
    let Credits {
        obligors: credits,
        providers,
    } = credits;
    let n = deal.obligors.len();
    if credits.len() != n {
        return Err(Error::Internal("one credit per obligor expected".into()));
    }
    if n > MAX_OBLIGORS {
        return Err(Error::Usage(format!(
            "the default model takes at most {MAX_OBLIGORS} obligors; the deal has {n}"
        )));
    }
    if deal.periods.is_empty() {
        return Err(Error::Internal("the deal has no payment dates".into()));
    }
    let cutoff = deal.cutoff_date;
    let period_starts: Vec<NaiveDate> = deal.periods.iter().map(|p| p.collection_start).collect();
    let period_ends: Vec<NaiveDate> = deal.periods.iter().map(|p| p.collection_end).collect();
    let mut terms = Vec::with_capacity(n);
    let mut balances = Vec::with_capacity(n);
    let mut exposure = Vec::with_capacity(n);
    for o in &deal.obligors {
        terms.push(o.term_years(cutoff));
        balances.push(o.balance());
        exposure.push(
            period_starts
                .iter()
                .map(|&s| {
                    o.assets
                        .iter()
                        .flat_map(|a| a.instalments.iter())
                        .filter(|i| i.date >= s)
                        .map(|i| i.principal)
                        .sum::<Decimal>()
                })
                .collect(),
        );
    }
    let total: Decimal = balances.iter().sum();
    if total <= Decimal::ZERO {
        return Err(Error::Usage("the pool has no balance at the cutoff".into()));
    }
    let wa_term = balances
        .iter()
        .zip(&terms)
        .map(|(b, t)| b.to_f64().unwrap_or(0.0) * t)
        .sum::<f64>()
        / total.to_f64().unwrap_or(1.0);
    // One latent variable per credit: an obligor group's first obligor stands for it (its
    // credit, which validation makes every member share, and its region and industry), over
    // the longest of its obligors' terms. Without groups, one per obligor, as before.
    let groups = deal.credit_groups();
    let group_balances = deal.credit_balances(&groups);
    let group_terms: Vec<f64> = groups
        .iter()
        .map(|g| g.iter().map(|&o| terms[o]).fold(0.0, f64::max))
        .collect();
    // The providers come after the pool's credits: a path's normals for the pool are drawn
    // first, and the Cholesky factor's leading block is the pool's alone, so the pool's
    // defaults, its distribution and its TDRs are those of the model without them.
    let provider_term = deal.term_years();
    let model_credits: Vec<ObligorCredit> = groups
        .iter()
        .map(|g| credits[g[0]].clone())
        .chain(providers.iter().map(|p| p.credit.clone()))
        .collect();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| deal.obligors[g[0]].name.as_str())
        .chain(providers.iter().map(|p| p.provider.as_str()))
        .collect();
    let model_terms: Vec<f64> = group_terms
        .iter()
        .copied()
        .chain(providers.iter().map(|_| provider_term))
        .collect();
    let chol = correlation::cholesky(&names, &model_credits, &model.correlations)?;
    let curves: Vec<Curve> = model_credits
        .iter()
        .zip(&model_terms)
        .map(|(c, &t)| Curve::from_credit(&c.curve, &model.pd, t))
        .collect();
    let dm = DefaultModel::new(chol, curves, model_terms, seed)?;
    Ok(Pool {
        credits,
        providers,
        provider_term,
        terms,
        balances,
        groups,
        group_balances,
        group_terms,
        exposure,
        total,
        wa_term,
        model: dm,
        period_starts,
        period_ends,
        cutoff,
    })
}

impl Pool {
    /// The collection period in which a default `t` years after the cutoff falls: the first
    /// whose last day is on or after cutoff + ⌊365 t⌋ days (the last period if none).
    pub fn period_of(&self, t: f64) -> u32 {
        let days = (t * 365.0).floor().max(0.0) as i64;
        let date = self.cutoff + chrono::Duration::days(days);
        let k = self
            .period_ends
            .iter()
            .position(|&e| e >= date)
            .unwrap_or(self.period_ends.len() - 1);
        k as u32
    }

    /// The pattern of a path's defaults, (credit, time in years) as the default model draws
    /// them: each obligor of a defaulted credit defaults in the period of its time, in
    /// obligor order; then each defaulted provider j, as `n + j` (n obligors), in the period
    /// of its time.
    pub fn pattern_of(&self, defaults: &[(u32, f64)]) -> Pattern {
        let (credits, n) = (self.groups.len(), self.balances.len() as u32);
        let mut key: Pattern = defaults
            .iter()
            .flat_map(|&(g, t)| {
                let k = self.period_of(t);
                let members: &[usize] = self.groups.get(g as usize).map_or(&[], |m| m);
                let provider = (g as usize >= credits).then(|| (n + g - credits as u32, k));
                members.iter().map(move |&o| (o as u32, k)).chain(provider)
            })
            .collect();
        if self.groups.len() < self.balances.len() {
            key.sort_unstable();
        }
        key
    }

    /// The provider (an index of [`Pool::providers`]) a pattern's entry `o` names, if it
    /// names one (`o` at or past the number of obligors).
    pub fn provider_of(&self, o: u32) -> Option<usize> {
        (o as usize)
            .checked_sub(self.balances.len())
            .filter(|&j| j < self.providers.len())
    }

    /// Defaulted principal of a pattern (its obligors' exposures; a provider's default loses
    /// no pool principal).
    pub fn amount(&self, p: &Pattern) -> Decimal {
        p.iter()
            .filter(|&&(o, _)| self.provider_of(o).is_none())
            .map(|&(o, k)| self.exposure[o as usize][k as usize])
            .sum()
    }

    /// The named defaults of a pattern: each obligor defaults on the first day of its period.
    pub fn obligor_defaults(&self, p: &Pattern) -> Vec<(usize, NaiveDate)> {
        p.iter()
            .filter(|&&(o, _)| self.provider_of(o).is_none())
            .map(|&(o, k)| (o as usize, self.period_starts[k as usize]))
            .collect()
    }

    /// The support failures of a pattern: each support of a defaulted provider fails from the
    /// first day of the provider's period, as an obligor defaults.
    pub fn support_failures(&self, p: &Pattern) -> Vec<(usize, NaiveDate)> {
        p.iter()
            .filter_map(|&(o, k)| Some((self.provider_of(o)?, k)))
            .flat_map(|(j, k)| {
                let from = self.period_starts[k as usize];
                self.providers[j].supports.iter().map(move |&s| (s, from))
            })
            .collect()
    }
}

//! Break-even default rates against the TDRs: implied ratings and `rating.parquet`'s rows
//! (docs/rating.md §6).

use rayon::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::analytics::breakeven::{self, Bdr, BreakevenRow, breakeven_tranches};
use crate::deal::Deal;
use crate::engine::ProjectionCache;
use crate::error::Result;
use crate::scenario::{RatingTable, Scenario};

/// The implied rating of a break-even default rate: the highest rating whose TDR it covers.
pub fn implied_rating(tdrs: &[RatingTdr], b: impl Into<TrancheBreakeven>) -> Option<String> {
    let b = b.into();
    tdrs.iter()
        .find(|t| b.meets(t.tdr))
        .map(|t| t.rating.clone())
}

/// A tranche's break-even over several scenarios as the pass rule reads it (docs/rating.md
/// §6, as docs/breakeven.md's): the minimum [`Bdr`], and the smallest whole-obligor loss that
/// breaks it in any scenario (review 43c F2: `rate` and `size` read the BDR alone, so a
/// tranche that the largest obligor's default broke within its TDR passed them and failed
/// `breakeven`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrancheBreakeven {
    /// The minimum break-even over the scenarios.
    pub bdr: Bdr,
    /// The smallest `breaking_obligor_default_rate` of the scenarios' rows: the realised ratio
    /// of the fewest largest obligors whose default breaks the tranche; None when no
    /// whole-obligor loss breaks it in any scenario.
    pub breaking: Option<Decimal>,
}

impl TrancheBreakeven {
    /// Whether it meets the target default rate `tdr`: the break-even covers it, and no
    /// whole-obligor loss within it breaks the tranche ([`BreakevenRow::meets`] of every
    /// scenario's row).
    pub fn meets(&self, tdr: Decimal) -> bool {
        self.bdr.meets(tdr) && self.breaking.is_none_or(|b| b > tdr)
    }

    /// Whether the break-even covers `tdr` but a whole-obligor loss within it breaks the
    /// tranche: what alone fails it.
    pub fn breaks_in_obligors(&self, tdr: Decimal) -> bool {
        self.bdr.meets(tdr) && !self.meets(tdr)
    }
}

/// A break-even with no whole-obligor loss known to break it.
impl From<Bdr> for TrancheBreakeven {
    fn from(bdr: Bdr) -> Self {
        TrancheBreakeven {
            bdr,
            breaking: None,
        }
    }
}

/// The implied ratings of a break-even at the two ends of the TDRs' confidence intervals:
/// `(at the upper ends, at the lower ends)`, the first the highest rating whose `tdr_high` the
/// BDR covers, the second the highest whose `tdr_low` it covers. The implied rating at the
/// point TDRs lies between the two (the ends bracket each TDR); when they differ, the rating
/// is not settled by the simulation: the true TDRs could put it anywhere between.
pub fn implied_rating_range(
    tdrs: &[RatingTdr],
    b: impl Into<TrancheBreakeven>,
) -> (Option<String>, Option<String>) {
    let b = b.into();
    let at_high = tdrs
        .iter()
        .find(|t| b.meets(t.tdr_high))
        .map(|t| t.rating.clone());
    let at_low = tdrs
        .iter()
        .find(|t| b.meets(t.tdr_low))
        .map(|t| t.rating.clone());
    (at_high, at_low)
}

/// A tranche's BDR over several scenarios: the minimum of the (scan-then-bisect) break-evens
/// ([`Bdr`]: a rate the search bounded before any unbroken one), 0 for a tranche that fails
/// with no defaults.
pub fn min_bdr(deal: &Deal, scenarios: &[Scenario], tranche: usize) -> Result<Bdr> {
    min_bdr_in(deal, scenarios, tranche, None)
}

/// [`min_bdr`], with a [`ProjectionCache`] per scenario (`caches[i]` for `scenarios[i]`),
/// shared with the searches of other tranches, or of other tranche balances, on `deal`'s pool.
pub fn min_bdr_in(
    deal: &Deal,
    scenarios: &[Scenario],
    tranche: usize,
    caches: Option<&[ProjectionCache]>,
) -> Result<Bdr> {
    min_bdr_of(deal, scenarios, tranche, caches).map(|(b, _)| b.bdr)
}

/// [`min_bdr_in`] with the smallest whole-obligor loss that breaks the tranche
/// ([`TrancheBreakeven`]) and the index of the first scenario that gives the minimum break-even
/// (None without scenarios): the scenario that binds the tranche's rating.
pub fn min_bdr_of(
    deal: &Deal,
    scenarios: &[Scenario],
    tranche: usize,
    caches: Option<&[ProjectionCache]>,
) -> Result<(TrancheBreakeven, Option<usize>)> {
    let table = RatingTable::default();
    let rows = scenarios
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let cache = caches.and_then(|c| c.get(i));
            breakeven::breakeven_one_in(deal, s, tranche, &table, cache)
        })
        .collect::<Result<Vec<_>>>()?;
    let breaking = rows
        .iter()
        .filter_map(|r| r.breaking_obligor_default_rate)
        .min();
    // `min_by_key` keeps the first of equal minima: the binding scenario is the earliest.
    let (bdr, binding) = rows
        .iter()
        .map(BreakevenRow::bdr)
        .enumerate()
        .min_by_key(|&(_, b)| b)
        .map_or(
            (
                Bdr {
                    pays_at_zero: true,
                    unbroken: false,
                    rate: Decimal::ZERO,
                },
                None,
            ),
            |(i, b)| (b, Some(i)),
        );
    Ok((TrancheBreakeven { bdr, breaking }, binding))
}

/// One row of `rating.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRow {
    /// The deal's name.
    pub deal: String,
    /// The tranche's name.
    pub tranche: String,
    /// The rating tested, a row of the PD table.
    pub rating: String,
    /// The rating's TDR (`RatingTdr::tdr`), 6 dp.
    pub target_default_rate: Decimal,
    /// The tranche's BDR, the minimum over the scenarios (`Bdr::rate`).
    pub breakeven_default_rate: Decimal,
    /// Paid in full at R = 1 in the binding scenario (the minimum's): `breakeven_default_rate`
    /// is a lower bound, the larger of the realised ratios at R = 1 and in whole obligors
    /// ([`Bdr`]).
    pub passes_at_one: bool,
    /// Not paid in full with no defaults in some scenario: no break-even, `pass` is false for
    /// every rating (even one whose TDR is 0) and there is no implied rating.
    pub fails_at_zero: bool,
    /// BDR ≥ TDR and no whole-obligor loss within the TDR breaks the tranche, by the pass rule
    /// ([`TrancheBreakeven::meets`]); false whenever `fails_at_zero`.
    pub pass: bool,
    /// The scenario whose break-even is the minimum (the first such), which binds the rating.
    pub binding_scenario: Option<String>,
    /// The TDR's parts ([`RatingTdr`]): the pool term, the rating's PD at it, the simulated
    /// default rate, the single-obligor multiplier and the large-obligor test's rate.
    pub pool_term: f64,
    /// The rating's cumulative PD at `pool_term`.
    pub horizon_pd: f64,
    /// The simulated default rate (TDR_sim), 6 dp.
    pub simulated: Decimal,
    /// The single-obligor multiplier (1 when off).
    pub multiplier: f64,
    /// The large-obligor test's default rate (None when off or not defined for the rating).
    pub large_obligor: Option<Decimal>,
    /// The TDR's 95% confidence interval ([`RatingTdr::tdr_low`], [`RatingTdr::tdr_high`]).
    pub tdr_low: Decimal,
    /// The upper end of that interval.
    pub tdr_high: Decimal,
    /// The highest rating whose TDR the BDR covers; None when it covers none.
    pub implied_rating: Option<String>,
    /// The implied ratings at the TDRs' upper and lower ends ([`implied_rating_range`]): the
    /// range the simulation leaves the rating in (review 30d item 5).
    pub implied_rating_at_tdr_high: Option<String>,
    /// The implied rating read at the TDRs' lower ends.
    pub implied_rating_at_tdr_low: Option<String>,
    /// The smallest whole-obligor loss that breaks the tranche in some scenario
    /// ([`TrancheBreakeven::breaking`]): a rating whose TDR reaches it does not pass.
    pub breaking_obligor_default_rate: Option<Decimal>,
}

impl RatingRow {
    /// The tranche's break-even as the pass rule reads it.
    pub fn bdr(&self) -> Bdr {
        Bdr {
            pays_at_zero: !self.fails_at_zero,
            unbroken: self.passes_at_one,
            rate: self.breakeven_default_rate,
        }
    }

    /// The tranche's break-even with the whole-obligor loss that breaks it.
    pub fn breakeven(&self) -> TrancheBreakeven {
        TrancheBreakeven {
            bdr: self.bdr(),
            breaking: self.breaking_obligor_default_rate,
        }
    }
}

/// For each rated tranche ([`breakeven_tranches`]) and each rating of the table: TDR, the
/// tranche's BDR (minimum over `scenarios`), pass and the implied rating.
pub fn rating_rows(
    deal: &Deal,
    scenarios: &[Scenario],
    tdrs: &[RatingTdr],
) -> Result<Vec<RatingRow>> {
    let mut rows = Vec::new();
    let tranches = breakeven_tranches(deal);
    // Several tranches' searches share each scenario's projections (one searches alone).
    let caches = ProjectionCache::shared(scenarios.len(), tranches.len());
    for t in tranches {
        let (b, binding) = min_bdr_of(deal, scenarios, t, caches.as_deref())?;
        let bdr = b.bdr;
        let binding_scenario = binding.map(|i| scenarios[i].name.clone());
        let implied = implied_rating(tdrs, b);
        let (at_high, at_low) = implied_rating_range(tdrs, b);
        for r in tdrs {
            rows.push(RatingRow {
                deal: deal.name.clone(),
                tranche: deal.tranches[t].name.clone(),
                rating: r.rating.clone(),
                target_default_rate: r.tdr,
                breakeven_default_rate: bdr.rate,
                passes_at_one: bdr.unbroken,
                fails_at_zero: !bdr.pays_at_zero,
                pass: b.meets(r.tdr),
                binding_scenario: binding_scenario.clone(),
                pool_term: r.pool_term,
                horizon_pd: r.horizon_pd,
                simulated: r.simulated,
                multiplier: r.multiplier,
                large_obligor: r.large_obligor,
                tdr_low: r.tdr_low,
                tdr_high: r.tdr_high,
                implied_rating: implied.clone(),
                implied_rating_at_tdr_high: at_high.clone(),
                implied_rating_at_tdr_low: at_low.clone(),
                breaking_obligor_default_rate: b.breaking,
            });
        }
    }
    Ok(rows)
}

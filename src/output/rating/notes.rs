//! The notes under `rate`'s and `size`'s tables (docs/rating.md): the tail's paths, the
//! pool's concentration and groups, the support providers, the credit substitution's gaps.

use super::*;

/// Fewer paths than this beyond a rating's TDR make its simulated part noisy: the quantile's
/// relative error is of the order of 1/√k for the k paths above it (docs/rating.md §5).
pub const MIN_TAIL_PATHS: u64 = 100;

/// A note naming the ratings whose TDR is its simulated part and rests on fewer than
/// [`MIN_TAIL_PATHS`] paths (the (k + 1)-th largest of `paths`, k = ⌊paths × PD⌋), or None.
/// A TDR the large-obligor test sets has no sampling error and is not named.
pub fn tail_note(paths: u64, tdrs: &[RatingTdr]) -> Option<String> {
    let thin: Vec<String> = tdrs
        .iter()
        // A TDR the cap at 1 sets (its whole interval is 1: review 32a item 2), or the
        // large-obligor test, whose rate is above 0 and at least the interval's upper end
        // (docs/rating.md §5), has no sampling error to note. Not one merely equal to the test,
        // whose interval reaches above it (review 47e F1: xuhui's AA+ at 46.0156%, interval
        // to 100%, was 46.8750% under another seed), nor one whose interval a lumpy loss
        // distribution makes a single point (review 47f F3: rugao's BBB- at 22%, interval
        // 22%–22%, was 18.33% under another seed); a test of 0 sets nothing (47b F1).
        .filter(|t| {
            let capped = t.tdr_low == Decimal::ONE;
            let by_test = t
                .large_obligor
                .is_some_and(|l| l > Decimal::ZERO && l >= t.tdr_high);
            !capped && !by_test
        })
        .filter_map(|t| {
            // The TDR is the rank-th largest path: rank − 1 paths lie beyond it (review 30d
            // item 8: 99 beyond was not named).
            let rank = crate::analytics::rating::tail_count(paths, t.horizon_pd) + 1;
            (rank <= MIN_TAIL_PATHS)
                .then(|| format!("{} (the {} largest)", t.rating, ordinal(rank)))
        })
        .collect();
    (!thin.is_empty()).then(|| {
        format!(
            "note: fewer than {MIN_TAIL_PATHS} of the {paths} paths lie beyond the simulated TDR \
             of {}: it moves with --seed (see its 95% interval; docs/rating.md §5); more --paths \
             narrow it",
            thin.join(", ")
        )
    })
}

/// 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st, ….
fn ordinal(k: u64) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

/// The share of the pool at and above which [`concentration_note`] speaks.
pub const CONCENTRATED_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

/// A note when the largest obligor holds at least [`CONCENTRATED_SHARE`] of the pool
/// (review 32c item 2: `size` sized a one-debtor pool's senior to a 0.005% subordination, its
/// AA TDR 0 because the debtor's PD was below AA's, and said nothing). `balances` are the
/// credits' cutoff balances (an obligor group's summed: `Pool::group_balances`), `total` the
/// pool's; `grouped` when the pool has obligor groups (the note says the largest may be one).
pub fn concentration_note(balances: &[Decimal], total: Decimal, grouped: bool) -> Option<String> {
    let (_, share) = dominant_share(balances, total)?;
    Some(format!(
        "note: the largest obligor{} holds {} of the pool: the TDRs step with its default \
             (a rating's TDR is 0 while the obligor's PD is below the rating's, its exposure \
             once above), so an implied rating or a size rests on that obligor's credit rather \
             than on a granular pool (docs/rating.md §5)",
        if grouped {
            " (an obligor group counts as one)"
        } else {
            ""
        },
        share
    ))
}

/// The largest of the credits' `balances` (the first such, by its index) and its share of
/// `total`, as a percentage rounded once to 4 places of a percent, when it is at least
/// [`CONCENTRATED_SHARE`] (compared exactly); else None.
pub fn dominant_share(balances: &[Decimal], total: Decimal) -> Option<(usize, String)> {
    let (i, &largest) = balances.iter().enumerate().rev().max_by_key(|(_, b)| **b)?;
    let at_least = largest >= CONCENTRATED_SHARE.checked_mul(total)?;
    let share = crate::money::report_ratio(largest, total)?;
    at_least.then(|| (i, pct(share)))
}

/// The notes on the pool that `rate` and `size` print under their tables: its obligor groups
/// ([`group_note`]), its concentration ([`concentration_note`]) and, for a concentrated pool,
/// the ratings whose TDR its largest credit's default makes a draw ([`dominant_credit_note`]).
pub fn pool_notes(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    paths: u64,
    tdrs: &[RatingTdr],
) -> Vec<String> {
    let grouped = pool.groups.len() < pool.balances.len();
    group_note(deal, pool)
        .into_iter()
        .chain(concentration_note(
            &pool.group_balances,
            pool.total,
            grouped,
        ))
        .chain(dominant_credit_note(deal, pool, paths, tdrs))
        .collect()
}

/// Within this many binomial standard deviations of a rating's tail count, the expected count
/// of paths that default the largest credit makes the rating's TDR a draw
/// ([`dominant_credit_note`]).
pub const DRAW_SD: f64 = 2.0;
/// The separation, in standard deviations, that [`dominant_credit_note`] gives the paths for.
pub const SEPARATE_SD: f64 = 4.0;

/// For a pool whose largest credit holds at least [`CONCENTRATED_SHARE`], the ratings (those the
/// large-obligor test does not set) whose TDR includes that credit's exposure or not by the
/// draw of the simulation: the count of the `paths` that default it, Binomial(paths, p) with p
/// its PD over its own term, lies within [`DRAW_SD`] standard deviations of the rating's tail
/// count ⌊paths × PD_R⌋ (review 34c item M2: a core debtor's 0.0751% against AA+'s 0.0661% at
/// the pool term gave a AA+ TDR of 25% or 57% by seed at 100,000 paths). It names the paths
/// that put them [`SEPARATE_SD`] standard deviations apart: 16 p(1 − p) / (p − PD_R)².
pub fn dominant_credit_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    paths: u64,
    tdrs: &[RatingTdr],
) -> Option<String> {
    let (g, share) = dominant_share(&pool.group_balances, pool.total).filter(|_| paths > 0)?;
    let p = pool.model.term_pd(g);
    let n = paths as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    let close: Vec<&RatingTdr> = tdrs
        .iter()
        // Set by the large-obligor test: its rate is above zero and bounds the TDR's whole
        // interval, whatever the draw (review 39a item 2: a test of 0 "set" a TDR of 0).
        .filter(|t| {
            !t.large_obligor
                .is_some_and(|l| l > Decimal::ZERO && l >= t.tdr_high)
        })
        .filter(|t| {
            let k = crate::analytics::rating::tail_count(paths, t.horizon_pd) as f64;
            (n * p - k).abs() < DRAW_SD * sd
        })
        .collect();
    if close.is_empty() {
        return None;
    }
    let first = pool.groups[g][0];
    let name = match deal.obligors[first].group() {
        Some(group) if pool.groups[g].len() > 1 => format!("obligor group `{group}`"),
        _ => format!("`{}`", deal.obligors[first].name),
    };
    let ratings: Vec<String> = close
        .iter()
        .map(|t| format!("{} ({:.4}%)", t.rating, t.horizon_pd * 100.0))
        .collect();
    let needed = close
        .iter()
        .map(|t| {
            let gap = p - t.horizon_pd;
            (gap != 0.0).then(|| SEPARATE_SD * SEPARATE_SD * p * (1.0 - p) / (gap * gap))
        })
        .try_fold(0.0f64, |m, x| x.map(|x| m.max(x)));
    let advice = match needed {
        Some(x) if x < 1e12 => format!(
            "about {} paths put them {SEPARATE_SD} standard deviations apart",
            crate::output::table::group_thousands(&(x.ceil() as u64).to_string())
        ),
        _ => "no number of paths separates them".to_string(),
    };
    Some(format!(
        "note: the largest credit {name} ({} of the pool) defaults with probability {:.4}% \
         over its {:.2}-year term, within {DRAW_SD} standard deviations of the pool-term PD of \
         {} on {} paths: whether {} its exposure is a draw of the simulation and moves with \
         --seed; {advice} (docs/rating.md §5)",
        share,
        p * 100.0,
        pool.group_terms[g],
        ratings.join(", "),
        crate::output::table::group_thousands(&paths.to_string()),
        if close.len() == 1 {
            "its TDR includes"
        } else {
            "their TDRs include"
        },
    ))
}

/// A note naming the pool's obligor groups, each one credit in the Monte Carlo and the
/// concentration rules (docs/rating.md §1), with its obligors and its share of the pool; None
/// without groups (review 33f item M3: nothing said the groups were applied).
pub fn group_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
) -> Option<String> {
    let parts: Vec<String> = pool
        .groups
        .iter()
        .zip(&pool.group_balances)
        .filter(|(g, _)| g.len() > 1)
        .map(|(g, &b)| {
            let share = crate::money::report_ratio(b, pool.total).unwrap_or_default();
            format!(
                "`{}` ({} obligors, {})",
                deal.obligors[g[0]].group().unwrap_or_default(),
                g.len(),
                pct(share)
            )
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "obligor groups, each one credit (one default time; one obligor in the \
             concentration rules; docs/rating.md §1): {}",
            parts.join(", ")
        )
    })
}

/// A note naming the support providers the Monte Carlo draws as credits (docs/rating.md §7):
/// each provider's credit, its PD over the deal's term, its supports and on how many of the
/// simulated paths it defaults; whether its region and industry match any obligor's (else it
/// correlates with the pool at `neither`); supports left without a credit (they never fail on
/// a path: a provider written two ways is two providers); that the block is joint default with
/// no credit-substitution floor (the substitution is a block of its own). For `rate`, `mc` is the Monte Carlo's scenario (a provider
/// whose supports it switches off changes nothing there); for `size` (`mc` None), that its
/// sizing does not read them. None when no support has provider tags.
pub fn provider_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    sim: &crate::analytics::rating::Simulation,
    mc: Option<&crate::scenario::Scenario>,
) -> Option<String> {
    if pool.providers.is_empty() {
        return None;
    }
    let n = pool.balances.len();
    let parts: Vec<String> = pool
        .providers
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let defaults: u64 = sim
                .patterns
                .iter()
                .filter(|(pat, _)| pat.iter().any(|&(o, _)| o as usize == n + j))
                .map(|(_, c)| c)
                .sum();
            let supports: Vec<String> = p
                .supports
                .iter()
                .map(|&s| format!("`{}`", deal.supports[s].name))
                .collect();
            // The tags came from the first of its supports that has them (review 35e item 7).
            let tagged = p
                .supports
                .iter()
                .map(|&s| &deal.supports[s].tags)
                .find(|t| !t.is_empty())
                .map_or_else(String::new, crate::validate::credit_tags_text);
            let matched = deal.obligors.iter().any(|o| {
                let same = |k: &str| {
                    p.credit_tag(k)
                        .is_some_and(|v| o.tags.get(k).is_some_and(|x| x.trim() == v))
                };
                same("region") || same("industry")
            });
            let off = mc.is_some_and(|s| p.supports.iter().all(|x| s.supports_off.contains(x)));
            let untagged = p.credit_tag("region").is_none() && p.credit_tag("industry").is_none();
            format!(
                "`{}` ({tagged}: PD {:.4}% over {:.2} years; {}) defaults on {} of {} \
                 paths{}{}",
                p.provider,
                pool.model.term_pd(pool.groups.len() + j) * 100.0,
                pool.provider_term,
                supports.join(", "),
                crate::output::table::group_thousands(&defaults.to_string()),
                crate::output::table::group_thousands(&sim.paths.to_string()),
                // Said apart (review 35f item G6): no tags, or tags the pool spells otherwise.
                if matched {
                    ""
                } else if untagged {
                    " (no region or industry tag: it correlates with every obligor at `neither`)"
                } else {
                    " (its region and industry match no obligor's: it correlates with every \
                     obligor at `neither`)"
                },
                match mc {
                    Some(s) if off => format!(
                        " (the Monte Carlo's scenario `{}` switches its supports off: its \
                         defaults change nothing there)",
                        s.name
                    ),
                    _ => String::new(),
                },
            )
        })
        .collect();
    let untagged: Vec<String> = deal
        .supports
        .iter()
        .enumerate()
        .filter(|(i, _)| !pool.providers.iter().any(|p| p.supports.contains(i)))
        .map(|(_, s)| format!("`{}` (provider `{}`)", s.name, s.provider.trim()))
        .collect();
    let untagged = if untagged.is_empty() {
        String::new()
    } else {
        format!(
            ". Without a credit, so never failing on a path: {}; one provider written two \
             ways is two providers: write its `provider` the same on each \
             of its supports to make them one credit",
            untagged.join(", ")
        )
    };
    Some(match mc {
        Some(_) => format!(
            "support providers drawn as credits (docs/rating.md §7): {}; on those paths their \
             supports fail from the first day of the default's collection period (those the \
             Monte Carlo's scenario switches off are absent already){untagged}. \
             The Monte Carlo through the waterfall (mc_tranches.parquet) counts them: the \
             joint default of the pool and the providers, with no floor or cap at a provider's \
             own rating; a tranche that a provider's support covers in full (interest and \
             principal, no cap) is given its credit substitution too, the higher of its \
             standalone rating without that provider and the provider's. The TDRs are the \
             pool's; the BDRs are the \
             break-even's scenarios', which default no provider",
            parts.join(", ")
        ),
        None => format!(
            "support providers with a credit: {}{untagged}; `size` tests BDR ≥ TDR, which \
             defaults no provider, so it does not read them: `ipabs rate` on the sized deal \
             gives the tranches' default probabilities with the providers' defaults \
             (docs/rating.md §7)",
            parts.join(", ")
        ),
    })
}

/// Why a support of a provider with a credit gives a tranche no credit substitution (review
/// 36a item M3: a cap, a `fails_with` or a scenario's failure dropped it in silence): one
/// clause per tranche and support. None when there is none.
pub fn substitution_gaps_note(
    deal: &crate::deal::Deal,
    plan: &crate::analytics::rating::SubstitutionPlan,
) -> Option<String> {
    let parts: Vec<String> = plan
        .gaps
        .iter()
        .enumerate()
        .flat_map(|(t, gaps)| {
            gaps.iter().map(move |(s, why)| {
                let sup = &deal.supports[*s];
                format!(
                    "{}: `{}` ({}) {}",
                    deal.tranches[t].name,
                    sup.name,
                    sup.provider.trim(),
                    why.join(", ")
                )
            })
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "no credit substitution from a provider whose support does not cover the tranche \
             in full (docs/rating.md §7, \"Credit substitution\"): {}",
            parts.join("; ")
        )
    })
}

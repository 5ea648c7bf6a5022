//! The terminal tables of `ipabs rate` and `ipabs size`.

use super::*;

/// After a tranche's implied rating, the ratings the BDR implies at the two ends of the TDRs'
/// 95% confidence intervals when they differ ([`implied_rating_range`]): the simulation does
/// not settle the rating between them (docs/rating.md §5). Empty for a tranche not paid with
/// no defaults (it has no implied rating). A tranche paid in full at R = 1 has one: its BDR, a
/// lower bound, is compared with the TDRs as any other (review 39a item 2: the range was in
/// `rating.parquet` and not printed).
fn sampling_note(tdrs: &[RatingTdr], r: &RatingRow) -> String {
    if r.fails_at_zero {
        return String::new();
    }
    let (at_high, at_low) = implied_rating_range(tdrs, r.breakeven());
    if at_high == at_low {
        return String::new();
    }
    let name = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".to_string());
    format!(
        "  (the TDRs' 95% intervals give {} to {})",
        name(&at_high),
        name(&at_low)
    )
}

/// The terminal report of `ipabs rate`: the TDR of every rating, then per tranche its BDR and
/// implied rating, then the Monte Carlo through the waterfall.
pub fn rate_table(
    deal: &str,
    wa_term: f64,
    (paths, seed): (u64, u64),
    tdrs: &[RatingTdr],
    rows: &[RatingRow],
    mc: &[McTranche],
    (waterfall_scenario, chosen): (&str, bool),
) -> String {
    let mut out = format!(
        "{deal}\n{paths} paths, seed {seed}; pool term to the last instalments {wa_term:.4} years (balance-weighted; \
         not deals.parquet's wa_term_years)\n\n\
         rating  PD(term)    simulated  × mult  large-obligor  TDR        95% interval\n"
    );
    for t in tdrs {
        out.push_str(&format!(
            "{}{:>9.5}%  {:>10}  {:>5.3}  {:>13}  {:<9}  {} – {}\n",
            pad(&t.rating, 6),
            t.horizon_pd * 100.0,
            pct(t.simulated),
            t.multiplier,
            t.large_obligor.map_or_else(|| "-".to_string(), pct),
            pct(t.tdr),
            pct(t.tdr_low),
            pct(t.tdr_high),
        ));
    }
    if let Some(note) = tail_note(paths, tdrs) {
        out.push_str(&note);
        out.push('\n');
    }
    out.push_str(
        "\ntranche (BDR: minimum over the scenarios; the rating is the highest whose TDR the BDR \
         meets and no whole-obligor loss within it breaks the tranche)\n",
    );
    let w = name_width(rows.iter().map(|r| r.tranche.as_str()));
    let mut seen = Vec::new();
    for r in rows {
        if seen.contains(&r.tranche) {
            continue;
        }
        seen.push(r.tranche.clone());
        // The binding scenario named (review 35e item 1: a failure at zero under a
        // supports-off stress read as the deal's own).
        let binding = r
            .binding_scenario
            .as_deref()
            .map_or_else(String::new, |b| format!(" `{b}`"));
        let note = if r.fails_at_zero {
            format!("  (not paid in full with no defaults in scenario{binding})")
        } else if r.passes_at_one {
            // The realised rate is a lower bound.
            format!("  (paid in full at R = 100% in the binding scenario{binding})")
        } else if r
            .binding_scenario
            .as_deref()
            .is_some_and(|b| b != waterfall_scenario)
        {
            // Not the scenario the Monte Carlo block below runs (review 35f item G5: a
            // supports-off BDR of BB- above an AAA+ with the guarantor, unnamed).
            format!("  (binding scenario{binding})")
        } else {
            String::new()
        };
        let implied = match (&r.implied_rating, r.fails_at_zero) {
            (Some(i), _) => i.as_str(),
            (None, true) => "none",
            (None, false) => "none (below every TDR)",
        };
        // A whole-obligor loss that lowers the rating the BDR alone gives (review 43c F2).
        let obligors = match r.breaking_obligor_default_rate {
            Some(b) if implied_rating(tdrs, r.bdr()) != r.implied_rating => format!(
                "  (the largest obligors defaulting at once, a realised {}, break it: a rating \
                 whose TDR reaches that fails, as in `breakeven`)",
                pct(b)
            ),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {}  BDR {}  implied rating {implied}{note}{obligors}{}\n",
            pad(&r.tranche, w),
            r.bdr().text(),
            sampling_note(tdrs, r),
        ));
    }
    if rows.iter().any(|r| r.passes_at_one) {
        out.push_str(
            "  note: a BDR shown ≥ was paid in full at R = 100%, a lower bound (the larger of the \
             realised ratio there and in whole obligors); when a support pays uncapped, that \
             measures the support, not the pool: rate on the pool alone with a scenario file \
             that sets supports_off (docs/rating.md §6)\n",
        );
    }
    // The paths run under the deal's own [scenario] unless --mc-scenario names another
    // (docs/rating.md, section 7): the block says which, since the BDRs above may come from
    // other scenarios, and that its implied rating is a check of the one above, not another
    // answer (review 29b item 3: BB+ above, AAA+ here, for one tranche).
    let whose = if chosen {
        "the scenario"
    } else {
        "the deal's own [scenario]"
    };
    out.push_str(&format!(
        "\nthrough the waterfall (each path's defaults run through the deal, under {whose} \
         `{waterfall_scenario}`; choose it with --mc-scenario; its implied rating, the PD's at \
         the WAL, checks the rating above under this one scenario)\n"
    ));
    let w = name_width(mc.iter().map(|m| m.tranche.as_str()));
    out.push_str(&format!(
        "  {}  P(loss or shortfall)  expected loss  expected WAL  implied\n",
        pad("tranche", w)
    ));
    for m in mc {
        out.push_str(&format!(
            "  {}  {:>19.6}%  {:>13}  {:>12}  {}{}\n",
            pad(&m.tranche, w),
            m.default_probability * 100.0,
            crate::money::percent_dp(m.expected_loss, 6),
            m.expected_wal_years
                .map_or_else(|| "-".into(), |w| format!("{w:.4} y")),
            m.implied_rating.as_deref().unwrap_or("none"),
            zero_paths_note(m.default_probability, m.paths)
        ));
    }
    out.push_str(&scenarios_differ_note(rows, mc, waterfall_scenario));
    out.push_str(&substitution_block(mc));
    out
}

/// A line for each tranche whose implied rating above (its BDR's, in a binding scenario other
/// than the paths') differs from the paths' below: the two blocks rate it under different
/// scenarios, and `--mc-scenario` runs the paths under the binding one (review 39a item 7: one
/// tranche read AAA+ and BB+ on one report); and one line naming the tranches whose ratings
/// differ under one scenario, the blocks' two measures. Empty when none does.
fn scenarios_differ_note(rows: &[RatingRow], mc: &[McTranche], waterfall_scenario: &str) -> String {
    let mut out = String::new();
    // Tranches rated differently under one scenario: one line for all (review 40d F8: a
    // subordinated tranche read AAA+ here above a BBB- mezzanine, with no word why).
    let mut same_scenario: Vec<String> = Vec::new();
    for m in mc {
        let Some(r) = rows.iter().find(|r| r.tranche == m.tranche) else {
            continue;
        };
        if r.implied_rating == m.implied_rating {
            continue;
        }
        let name = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".to_string());
        let Some(binding) = r
            .binding_scenario
            .as_deref()
            .filter(|&b| b != waterfall_scenario)
        else {
            same_scenario.push(format!(
                "`{}` ({} above, {} here)",
                m.tranche,
                name(&r.implied_rating),
                name(&m.implied_rating)
            ));
            continue;
        };
        // Quoted for the shell when the name is more than letters, digits, `_`, `-` and `.`
        // (review 39c item 7: `pool only` broke the command it suggested).
        let arg = if binding
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            binding.to_string()
        } else {
            format!("'{}'", binding.replace('\'', "'\\''"))
        };
        out.push_str(&format!(
            "  note: `{}` is {} above, by its BDR in scenario `{binding}`, and {} here, under \
             `{waterfall_scenario}`: the blocks rate it under different scenarios; \
             --mc-scenario {arg} runs the paths under the binding one\n",
            m.tranche,
            name(&r.implied_rating),
            name(&m.implied_rating),
        ));
    }
    if !same_scenario.is_empty() {
        out.push_str(&format!(
            "  note: rated differently under one scenario, {}: above by the BDR against the \
             TDRs, here by the share of paths on which the tranche is not paid in full (as for \
             the BDR, under the timely test a date's interest shortfall counts, interest a \
             trigger defers too): the blocks measure different things (docs/rating.md §7)\n",
            same_scenario.join(", ")
        ));
    }
    out
}

/// The credit substitution under the Monte Carlo block (docs/rating.md §7): per tranche a
/// provider with a credit covers in full, the tranche's standalone share and rating without
/// it, the provider's rating and the higher of the two. Empty when no tranche has one.
fn substitution_block(mc: &[McTranche]) -> String {
    let subs: Vec<(&str, &Substitution)> = mc
        .iter()
        .filter_map(|m| Some((m.tranche.as_str(), m.substitution.as_ref()?)))
        .collect();
    if subs.is_empty() {
        return String::new();
    }
    let w = name_width(subs.iter().map(|(t, _)| *t));
    let pw = subs
        .iter()
        .map(|(_, s)| display_width(&s.provider))
        .max()
        .unwrap_or(0)
        .max(display_width("provider"));
    let mut out = format!(
        "\ncredit substitution (a provider with a credit whose support covers the tranche's \
         interest and principal in full: the rating is the higher of the provider's and the \
         standalone one, on the same paths with that provider's supports off and every other \
         support as above)\n  {}  standalone P(loss or shortfall)  implied  {}  rating   \
         substituted\n",
        pad("tranche", w),
        pad("provider", pw)
    );
    for (t, s) in subs {
        let r = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".into());
        out.push_str(&format!(
            "  {}  {:>30.6}%  {}  {}  {}  {}{}\n",
            pad(t, w),
            s.standalone.default_probability * 100.0,
            pad(&r(&s.standalone.implied_rating), 7),
            pad(&s.provider, pw),
            pad(&r(&s.provider_rating), 7),
            r(&s.rating),
            zero_paths_note(s.standalone.default_probability, mc[0].paths),
        ));
    }
    out
}

/// For a tranche that lost on none of `paths` paths, what that bounds (review 35e item 8: a
/// 0% read as certain): the probability is below 3 / paths with 95% confidence (the rule of
/// three: (1 − p)^N ≤ 5% for p ≥ −ln(0.05) / N ≈ 3 / N). Empty otherwise.
fn zero_paths_note(probability: f64, paths: u64) -> String {
    if probability > 0.0 || paths == 0 {
        return String::new();
    }
    if paths < 3 {
        // 3/N would bound nothing (review 36a item L4: "below 300%").
        return format!("  (0 of {paths} paths: too few to bound it)");
    }
    format!(
        "  (0 of {} paths: below {:.4}% at 95%)",
        crate::output::table::group_thousands(&paths.to_string()),
        300.0 / paths as f64
    )
}

/// The terminal report of `ipabs size`.
/// `margin`: `size --margin`, said under the table when it is not 0 (review 29e item 4: it
/// showed nowhere); so is `--tdr-at upper`.
pub fn size_table(steps: &[SizeStep], sized: &[Sized], margin: Decimal, tdr_at: TdrAt) -> String {
    let w = name_width(steps.iter().map(|s| s.tranche.as_str()));
    let mut out = format!(
        "step  {}  balance              sub balance          BDR          TDR        coverage  pass\n",
        pad("tranche", w)
    );
    for s in steps {
        // `≥`: paid in full at R = 100% (the rate is a lower bound); `none`: not paid in full
        // with no defaults (no break-even).
        let bdr = s.bdr().text();
        out.push_str(&format!(
            "{:>4}  {}  {:>19}  {:>19}  {:>11}  {:>9}  {:>8}  {}{}\n",
            s.step,
            pad(&s.tranche, w),
            format_money(s.balance),
            format_money(s.subordinated_balance),
            bdr,
            pct(s.target_default_rate),
            s.min_coverage_multiple
                .map_or_else(|| "-".into(), |c| format!("{:.4}", c)),
            if s.pass { "PASS" } else { "FAIL" },
            // What fails a step whose BDR and coverage pass (since session 41).
            s.base_case_trigger
                .as_ref()
                .map_or_else(String::new, |t| format!("  trigger `{}`", t.name))
        ));
    }
    if steps.iter().any(|s| s.base_case_trigger.is_some()) {
        out.push_str(
            "trigger: a step whose base case (no defaults, no delay) trips a trigger fails, as \
             `check` warns of it (trips_without_defaults; docs/rating.md §9)\n",
        );
    }
    if steps.iter().any(|s| s.min_coverage_multiple.is_some()) {
        // Which multiple (review 39e item 6: only size_steps.parquet said).
        let which = if steps
            .iter()
            .any(|s| s.coverage_basis == crate::analytics::rating::size::CoverageBasis::Portfolio)
        {
            "portfolio coverage multiple (--coverage-basis portfolio: pass-through principal \
             charged as the pool declines, docs/portfolio.md)"
        } else {
            "coverage multiple (the engine's: a pass-through tranche's principal counted at \
             its expected maturity)"
        };
        out.push_str(&format!(
            "coverage: the tranche's minimum {which} in the base case (no defaults, no delay, \
             every support paying), not under the deal's [scenario]\n"
        ));
    }
    if tdr_at == TdrAt::Upper {
        out.push_str(
            "TDR: the upper end of its 95% confidence interval (--tdr-at upper; docs/rating.md §5)\n",
        );
    }
    if !margin.is_zero() {
        out.push_str(&format!(
            "pass: BDR ≥ TDR + the margin {} ({} points), a BDR shown ≥ (paid in full at R = \
             100%) included, and no whole-obligor loss within it breaks the tranche\n",
            margin.normalize(),
            crate::money::percent_value(margin, 0).unwrap_or(margin)
        ));
    }
    for z in sized {
        out.push_str(&format!(
            "\n{} ({}): largest balance {}; binding constraint: {}",
            z.tranche,
            z.target_rating,
            format_money(z.balance),
            z.binding
        ));
        // Where coverage falls short one step up, and when that date is a more senior
        // tranche's redemption (review 34c item H1).
        // With a trigger one step up that trips with no default (since session 41, review 40d
        // F1), each date with its own constraint (review 41c F6).
        match (&z.coverage_short, &z.trigger_short) {
            (Some(c), Some(t)) => out.push_str(&format!(
                ": one step up, the multiple is {:.4} on {} and {}",
                c.multiple,
                c.date,
                t.text()
            )),
            (Some(c), None) => out.push_str(&format!(
                ", on {} (multiple {:.4} one step up)",
                c.date, c.multiple
            )),
            (None, Some(t)) => out.push_str(&format!(" (one step up, {})", t.text())),
            (None, None) => {}
        }
        let mine = || steps.iter().filter(|s| s.tranche == z.tranche);
        // The scenario of the lowest break-even at the balance found.
        let found = steps
            .iter()
            .rfind(|s| s.tranche == z.tranche && s.balance == z.balance);
        if let Some(name) = found.and_then(|s| s.binding_scenario.as_deref()) {
            out.push_str(&format!("; lowest break-even under scenario `{name}`"));
        }
        // The cushion a committee asks for (review 29b item 6): BDR − TDR at the balance
        // found, in points of the pool, when the rating passed there; at least that when the
        // BDR is a lower bound (paid in full at R = 100%; since session 31 it is compared).
        if let Some(s) = found.filter(|s| s.rating_ok) {
            out.push_str(&format!(
                "; cushion BDR − TDR {} {} points",
                if s.passes_at_one { "≥" } else { "=" },
                crate::money::percent_value(s.breakeven_default_rate - s.target_default_rate, 0)
                    .unwrap_or_default()
            ));
        }
        // The balances walked for a trigger, which the table does not show (review 41e N5).
        if let Some((lowest, largest)) = z.trigger_walk {
            out.push_str(&format!(
                "\n  note: from {} (the largest the rating and coverage allow) down to {}, the \
                 balances were tried one by one: each trips a trigger in the base case, or fails \
                 where a trip above switched the waterfall; only those tried in full are rows of \
                 size_steps.parquet",
                format_money(largest),
                format_money(lowest)
            ));
        }
        if let Some(c) = z
            .coverage_short
            .as_ref()
            .filter(|c| !c.own_principal_due && !c.seniors_due.is_empty())
        {
            let seniors = c.seniors_due.join(", ");
            // Sized first (targets too) or as the deal gives them (review 34d item M2: the
            // note said "sized first" of a senior that was not a target).
            let sized_first = c
                .seniors_due
                .iter()
                .all(|s| sized.iter().any(|x| x.tranche == *s));
            let (set_by, advice) = if sized_first {
                (
                    format!("{seniors}, sized first, set {}'s balance", z.tranche),
                    format!(
                        "give {seniors} a smaller balance in the deal and size {} alone",
                        z.tranche
                    ),
                )
            } else {
                (
                    format!(
                        "the balance the deal gives {seniors} sets {}'s room",
                        z.tranche
                    ),
                    format!("give {seniors} a smaller balance in the deal"),
                )
            };
            out.push_str(&format!(
                "\n  note: on {} principal of {seniors} falls due and {} owes interest only: its \
                 multiple there counts everything senior to it, so {set_by}; to leave {} room, \
                 {advice}",
                c.date, z.tranche, z.tranche
            ));
        }
        // Paid in full at R = 100% and rated at every step: the rating never bound (since
        // session 31 an unbroken step can fail a TDR above its bound, review 31d item 3).
        if mine().next().is_some() && mine().all(|s| s.passes_at_one && s.rating_ok) {
            out.push_str(&format!(
                "\n  note: {} was paid in full at R = 100% at every step, so the rating never \
                 bound; when a support pays uncapped, size on the pool alone with a scenario \
                 file that sets supports_off (docs/rating.md)",
                z.tranche
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tranche that lost on none of N paths is told its bound (review 35e item 8): 3 / 400 =
    /// 0.75%, 3 / 100,000 = 0.003%; nothing for a tranche that lost on some.
    #[test]
    fn no_loss_on_n_paths_bounds_the_probability_by_three_over_n() {
        assert_eq!(
            zero_paths_note(0.0, 400),
            "  (0 of 400 paths: below 0.7500% at 95%)"
        );
        assert_eq!(
            zero_paths_note(0.0, 100_000),
            "  (0 of 100,000 paths: below 0.0030% at 95%)"
        );
        assert_eq!(zero_paths_note(0.125, 400), "");
    }
}

//! `ipabs check`: validate a deal and run its base case for its warnings; writes nothing.

use std::path::PathBuf;

use clap::Args;

use super::console::{out_line, print_warnings, strict_check};
use super::load_source;
use crate::error::Result;
use crate::output;
use crate::scenario::Scenario;

/// The arguments of `ipabs check`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct CheckArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// A scenario file to validate against the deal.
    #[arg(long, visible_alias = "scenarios")]
    pub scenario: Option<PathBuf>,
}

/// `ipabs check`.
pub(super) fn command(args: CheckArgs, strict: bool) -> Result<()> {
    let CheckArgs { deal, scenario } = args;
    let (source, loaded, set) = load_source(&deal, scenario.as_deref())?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    let d = &loaded.deal;
    // The base case's run-time warnings (no defaults, no delay, every support paying).
    let base = crate::engine::run_with(d, &Scenario::base(), crate::engine::ObligorRows::Skip)?;
    print_warnings(&base.warnings);
    // Its tranche rows and their totals fit the output's columns, as `run` will need (review
    // 27b item M1: a deal whose interest compounds past 10^16 yuan passed `check` and stopped
    // at the write). The pool's figures are bounded at validation (its scheduled cash).
    let warnings = base.warnings.len();
    let priced =
        crate::analytics::measures::price_run(d, base, &crate::scenario::Pricing::default());
    output::run_frames(
        &[
            crate::engine::result::RunTable::TrancheFlows,
            crate::engine::result::RunTable::Summary,
        ],
        std::slice::from_ref(&priced),
    )
    .map_err(|e| match e {
        crate::error::Error::Usage(m) => {
            crate::error::Error::Usage(format!("the base case would fail to write: {m}"))
        }
        e => e,
    })?;
    let credit = credit_warnings((&deal, &source), d, &set.rating_model.pd, &loaded.warnings)?;
    print_warnings(&credit);
    strict_check(
        strict,
        loaded.warnings.len() + set.warnings.len() + warnings + credit.len(),
    )?;
    // With obligor groups, how many credits the rating model and break-even see (review 33f
    // item M3: nothing said groups were applied).
    let groups = d.credit_groups();
    let grouped = groups.iter().filter(|g| g.len() > 1).count();
    let credits = if grouped > 0 {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        format!(
            " ({} credit{}: {grouped} obligor group{})",
            groups.len(),
            plural(groups.len()),
            plural(grouped)
        )
    } else {
        String::new()
    };
    // A pool one credit dominates, told before `rate` or `size` is run (review 34c item L2),
    // on the one `ok:` line.
    let dominant = output::rating::dominant_share(&d.credit_balances(&groups), d.pool_balance())
        .map_or(String::new(), |(_, share)| {
            let what = if grouped > 0 { "credit" } else { "obligor" };
            format!(" (largest {what} {share})")
        });
    out_line(&format!(
        "ok: {} — {} obligors{credits}, {} tranches, {} payment dates, pool {}{dominant}, issue \
         {}, {} scenario(s)",
        d.name,
        d.obligors.len(),
        d.tranches.len(),
        d.periods.len(),
        output::table::format_money(d.pool_balance()),
        output::table::format_money(d.issue_size()),
        set.scenarios.len()
    ));
    Ok(())
}

/// The credit tags `rate` and `size` read (docs/rating.md): a deal that gives any (`rating` or
/// `pd` on an obligor, `tags` on a support) is checked as those commands check it, with their
/// warnings, and each mistake they would refuse told as a `rating_inputs` warning at its key
/// (review 38a item 5: `check` said ok on a rating `A1`, on an obligor with both `pd` and
/// `rating`, and on one with neither, which `rate` then refused), unless a load warning
/// (`loaded`) already points at that key or one above it (`group_credit` tells a group's two
/// ratings). A deal without credit tags is not rated this way and is not told. `text` is the
/// deal file as `check` validated it ([`super::load_source`]).
fn credit_warnings(
    (path, text): (&std::path::Path, &str),
    d: &crate::deal::Deal,
    table: &crate::rating_model::PdTable,
    loaded: &[crate::error::Warning],
) -> Result<Vec<crate::error::Warning>> {
    use crate::error::{Check, Error, Warning};
    let tagged = d
        .obligors
        .iter()
        .any(|o| o.tags.contains_key("rating") || o.tags.contains_key("pd"))
        || d.supports.iter().any(|s| !s.tags.is_empty());
    if !tagged {
        return Ok(Vec::new());
    }
    let told = |key: &str| {
        loaded.iter().any(|w| {
            w.location.rsplit_once(": ").is_some_and(|(_, k)| {
                key == k
                    || key
                        .strip_prefix(k)
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
        })
    };
    Ok(
        match crate::validate::credits_from_str(&path.display().to_string(), text, d, table) {
            Ok((_, warnings)) => warnings,
            Err(Error::Input(errors)) => errors
                .into_iter()
                .filter(|e| !told(&e.key_path))
                .map(|e| {
                    Warning::at(
                        Check::RatingInputs,
                        format!("{}:{}:{}: {}", e.file, e.line, e.column, e.key_path),
                        format!(
                            "`ipabs rate` and `ipabs size` would refuse this: {}; expected {}",
                            e.problem, e.expected
                        ),
                    )
                })
                .collect(),
            Err(e) => return Err(e),
        },
    )
}

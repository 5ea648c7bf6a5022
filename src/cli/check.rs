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
    let credit = credit_warnings(
        (&deal, &source, scenario.as_deref()),
        d,
        &set.rating_model,
        &loaded.warnings,
    )?;
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
    (path, text, scenarios): (&std::path::Path, &str, Option<&std::path::Path>),
    d: &crate::deal::Deal,
    model: &crate::rating_model::RatingModel,
    loaded: &[crate::error::Warning],
) -> Result<Vec<crate::error::Warning>> {
    let table = &model.pd;
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
            Ok((credits, mut warnings)) => {
                warnings.extend(model_refusal(d, credits, model, scenarios));
                warnings
            }
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

/// The pools whose default model `check` builds: at most this many credits (obligor groups and
/// providers), since the correlations' Cholesky factor costs n³ / 3 (about 2.7 × 10⁹ operations
/// at 2,000, a second or two).
const MODEL_CHECK_CREDITS: usize = 2_000;

/// `rate`'s refusal of the default model of `d` (the credits' correlation matrix not positive
/// definite under the scenario file's `[rating_model.correlation]`), as a `rating_inputs`
/// warning at that table (review 44c F8: `check` passed a table `rate` and `size` refuse),
/// for a pool of at most [`MODEL_CHECK_CREDITS`] credits.
fn model_refusal(
    d: &crate::deal::Deal,
    credits: crate::rating_model::Credits,
    model: &crate::rating_model::RatingModel,
    scenarios: Option<&std::path::Path>,
) -> Option<crate::error::Warning> {
    use crate::error::{Check, Error, Warning};
    if d.credit_groups().len() + credits.providers.len() > MODEL_CHECK_CREDITS {
        return None;
    }
    match crate::analytics::rating::pool(d, credits, model, 1) {
        Err(Error::Usage(message)) if message.contains("correlation matrix") => Some(Warning::at(
            Check::RatingInputs,
            match scenarios {
                Some(s) => format!("{}: rating_model.correlation", s.display()),
                None => "rating_model.correlation".to_string(),
            },
            format!("`ipabs rate` and `ipabs size` would refuse this: {message}"),
        )),
        _ => None,
    }
}

//! `ipabs check`: validate a deal and run its base case for its warnings; writes nothing.

use std::path::PathBuf;

use clap::Args;

use super::console::{out_line, print_warnings, strict_check};
use super::load;
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
    let (loaded, set) = load(&deal, scenario.as_deref())?;
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
    strict_check(
        strict,
        loaded.warnings.len() + set.warnings.len() + warnings,
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

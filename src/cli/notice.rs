//! `ipabs notice`: the payment notice of one payment date, per 100 yuan of face.

use std::path::PathBuf;

use clap::Args;

use super::console::{out_line, print_warnings, strict_check};
use super::load;
use crate::error::{Error, Result};
use crate::output;
use crate::validate;

/// The arguments of `ipabs notice`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct NoticeArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// The payment date's period number (1 = the first payment date).
    #[arg(long, value_parser = period_arg, allow_negative_numbers = true)]
    pub period: u32,
    /// A scenario file whose one scenario runs; without it the deal's own [scenario].
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// An actuals file: the notice of the in-life run (actual dates restated to the
    /// reported figures, then the projection from the actual state), as `reconcile` runs it.
    #[arg(long)]
    pub actuals: Option<PathBuf>,
}

/// `--period`: a whole number from 1 (the deal's own range is checked once it is loaded).
fn period_arg(s: &str) -> std::result::Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{s}` is not a payment date's number: 1 for the first payment date, 2 for the \
             second, …"
        )),
    }
}

/// `ipabs notice`: prints [`markdown`]'s notice.
pub(super) fn command(args: NoticeArgs, strict: bool) -> Result<()> {
    out_line(&markdown(args, strict)?);
    Ok(())
}

/// The payment notice `args` ask for, as Markdown (what `ipabs notice` prints); the warnings
/// on the way are printed to stderr, and with `strict` are an error.
pub(super) fn markdown(args: NoticeArgs, strict: bool) -> Result<String> {
    let NoticeArgs {
        deal,
        period,
        scenario,
        actuals,
    } = args;
    let (loaded, set) = load(&deal, scenario.as_deref())?;
    print_warnings(&loaded.warnings);
    print_warnings(&set.warnings);
    strict_check(strict, loaded.warnings.len() + set.warnings.len())?;
    let scenario = super::one_scenario("notice states one scenario", scenario.as_deref(), &set)?;
    let d = &loaded.deal;
    let n = d.periods.len();
    if period == 0 || period as usize > n {
        return Err(Error::Usage(format!(
            "--period {period}: the deal has periods 1 to {n}"
        )));
    }
    let projected = |from: &str| {
        format!(
            "预测 (projected){from} by the waterfall under scenario `{}`",
            scenario.name
        )
    };
    let (r, basis, reported_date) = match actuals {
        None => (crate::engine::run(d, scenario)?, projected(""), false),
        Some(path) => {
            let a = validate::load_actuals(&path, d)?;
            print_warnings(&a.warnings);
            strict_check(strict, a.warnings.len())?;
            let this = a.periods.iter().find(|p| p.index + 1 == period as usize);
            let reported = this.is_some();
            let last = a.periods.iter().map(|p| p.index + 1).max().unwrap_or(0);
            // A date whose report states no tranche's line: the figures are the waterfall's
            // on the reported collections (review 44c F11: it was labelled as reported).
            let tranche_lines = this.is_some_and(|p| {
                p.interest
                    .iter()
                    .chain(&p.principal)
                    .chain(&p.residual)
                    .any(Option::is_some)
            });
            let basis = if tranche_lines {
                format!(
                    "实际 (reported): the figures {} reports for this date, restated through \
                     the waterfall",
                    path.display()
                )
            } else if reported {
                // Figures per 100 are compared by `reconcile`, never restated (review 48d F1).
                let figures = this.is_some_and(|p| p.per_100.iter().flatten().any(Option::is_some));
                format!(
                    "实际 (reported collections): the pool's figures {} reports for this date; it \
                     states no tranche's payment, so the tranches' figures are the waterfall's on \
                     those collections{}",
                    path.display(),
                    if figures {
                        " (the figures per 100 it publishes are compared by `ipabs reconcile`, \
                         not restated)"
                    } else {
                        ""
                    }
                )
            } else {
                projected(&format!(
                    " from the state {} reports after period {last},",
                    path.display()
                ))
            };
            (
                crate::analytics::reconcile::reconcile(d, scenario, &a)?.run,
                basis,
                reported,
            )
        }
    };
    print_warnings(&r.warnings);
    strict_check(strict, r.warnings.len())?;
    // A date after the deal ended (a clean-up call) has no notice (review 27b item L5: it
    // printed a projected notice with no tranche).
    if !r.periods.iter().any(|p| p.period == period)
        && let Some(last) = r.periods.last()
    {
        let called = r
            .ledger
            .iter()
            .any(|e| e.action == crate::engine::ledger::Movement::CleanUpCall);
        return Err(Error::Usage(format!(
            "--period {period}: under scenario `{}` the deal ends on period {} ({}){}; it makes \
             no payment after",
            scenario.name,
            last.period,
            last.payment_date,
            if called {
                ", its clean-up call date"
            } else {
                ""
            }
        )));
    }
    // A reported date was paid at the contractual coupons: the scenario's `coupon_shift`
    // stresses the dates after the report only (review 43d F1), and is not stated on it.
    let contractual;
    let scenario = if reported_date {
        contractual = crate::scenario::Scenario {
            coupon_shift: rust_decimal::Decimal::ZERO,
            ..scenario.clone()
        };
        &contractual
    } else {
        scenario
    };
    Ok(output::table::notice_text(d, scenario, &r, period, &basis))
}

//! `ipabs size`: the largest balance of each targeted tranche that keeps its rating.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{no_concentration_breakeven, stress_suite};
use super::console::{err_line, out_line, print_warnings, strict_check};
use super::outdir::{lock_results, refuse_copies, refuse_files, write_copies};
use super::rate::{Inputs, simulate_pool};
use super::{CopyArgs, McArgs, OutArgs};
use crate::error::{Error, Result, Warning};
use crate::output;
use crate::validate;

/// The arguments of `ipabs size`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct SizeArgs {
    /// The deal file (TOML).
    pub deal: PathBuf,
    /// TRANCHE=RATING, e.g. A=AAA; repeat for several tranches.
    #[arg(long = "target", required = true)]
    pub targets: Vec<String>,
    /// Minimum coverage multiple on every payment date of the base case, above 0 and below
    /// 10 (1.2 for 1.2×).
    #[arg(long, value_parser = super::args::multiple_arg, allow_negative_numbers = true)]
    pub min_coverage: Option<rust_decimal::Decimal>,
    /// Balance grid, yuan.
    #[arg(long, default_value = "10000", value_parser = super::args::step_arg, allow_negative_numbers = true)]
    pub step: rust_decimal::Decimal,
    /// Keep the subordinated tranche and let the issue size change.
    #[arg(long)]
    pub free_issue_size: bool,
    /// A cushion the break-even must keep above the target default rate, a fraction of the
    /// pool from 0 to below 1 (0.02: BDR ≥ TDR + 2 points; default 0).
    #[arg(long, value_parser = super::args::margin_arg, allow_negative_numbers = true)]
    pub margin: Option<rust_decimal::Decimal>,
    /// The TDR a balance must meet: `point` (the simulated TDR) or `upper` (the upper end of
    /// its 95% confidence interval, the true TDR's upper 97.5% bound; docs/rating.md §5).
    #[arg(long, value_enum, default_value = "point")]
    pub tdr_at: TdrAtArg,
    /// The coverage multiple `--min-coverage` tests: `engine` (the deal's own convention: a
    /// pass-through tranche counts interest only before its expected maturity) or `portfolio`
    /// (a pass-through tranche is charged the pool's decline of each period as principal due,
    /// as `deals.parquet`'s multiple; docs/portfolio.md).
    #[arg(long, value_enum, default_value = "engine")]
    pub coverage_basis: CoverageBasisArg,
    /// The Monte Carlo options: scenarios, paths, seed, threads and stress suite.
    #[command(flatten)]
    pub mc: McArgs,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `size --coverage-basis`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CoverageBasisArg {
    Engine,
    Portfolio,
}

impl From<CoverageBasisArg> for crate::analytics::rating::size::CoverageBasis {
    fn from(a: CoverageBasisArg) -> Self {
        match a {
            CoverageBasisArg::Engine => Self::Engine,
            CoverageBasisArg::Portfolio => Self::Portfolio,
        }
    }
}

/// `size --tdr-at`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TdrAtArg {
    Point,
    Upper,
}

impl From<TdrAtArg> for crate::analytics::rating::size::TdrAt {
    fn from(a: TdrAtArg) -> Self {
        match a {
            TdrAtArg::Point => Self::Point,
            TdrAtArg::Upper => Self::Upper,
        }
    }
}

/// `ipabs size`.
pub(super) fn command(args: SizeArgs, strict: bool) -> Result<()> {
    let SizeArgs {
        deal,
        targets,
        min_coverage,
        step,
        free_issue_size,
        margin,
        tdr_at,
        coverage_basis,
        mc,
        copy,
        out,
    } = args;
    let opts = SizeOpts {
        targets,
        min_coverage,
        step,
        free_issue_size,
        margin: margin.unwrap_or_default(),
        tdr_at: tdr_at.into(),
        coverage_basis: coverage_basis.into(),
        paths: mc.paths,
        seed: mc.seed,
        threads: mc.threads,
    };
    no_concentration_breakeven("size", mc.stress)?;
    let input = Inputs {
        deal: &deal,
        scenarios: mc.scenarios.as_deref(),
        stress: stress_suite(mc.stress, mc.stress_on)?,
    };
    size_command(&input, opts, (&out, &copy), strict)
}

/// The options of `ipabs size` besides the deal, scenarios and output.
struct SizeOpts {
    targets: Vec<String>,
    min_coverage: Option<rust_decimal::Decimal>,
    step: rust_decimal::Decimal,
    free_issue_size: bool,
    margin: rust_decimal::Decimal,
    tdr_at: crate::analytics::rating::size::TdrAt,
    coverage_basis: crate::analytics::rating::size::CoverageBasis,
    paths: u64,
    seed: u64,
    threads: Option<usize>,
}

fn size_command(
    input: &Inputs<'_>,
    a: SizeOpts,
    (out, copy): (&OutArgs, &CopyArgs),
    strict: bool,
) -> Result<()> {
    use crate::analytics::rating::size::{SizeOptions, size};
    use crate::output::rating as o;
    let deal = input.deal;
    let stem = deal
        .file_stem()
        .map_or_else(|| "deal".to_string(), |s| s.to_string_lossy().into_owned());
    let sized_name = format!("{stem}.sized.toml");
    refuse_files(
        out,
        &[o::SIZE_STEPS_FILE, o::SIZED_FILE, sized_name.as_str()],
    )?;
    let inputs: Vec<&Path> = std::iter::once(input.deal).chain(input.scenarios).collect();
    refuse_copies(
        copy,
        out,
        &[o::SIZE_STEPS_FILE, o::SIZED_FILE, sized_name.as_str()],
        &inputs,
    )?;
    if a.step <= rust_decimal::Decimal::ZERO || !crate::money::is_fen(a.step) {
        return Err(Error::Usage(format!(
            "--step {}: expected a positive amount in whole fen, e.g. 10000",
            a.step
        )));
    }
    // A coverage multiple of 10 or more is a percentage typed for a multiple (120 for 1.2×):
    // no deal covers its senior ten times (the `coverage_below` range is 0.8–3, errors.md).
    if let Some(m) = a.min_coverage
        && (m <= rust_decimal::Decimal::ZERO || m >= rust_decimal::Decimal::TEN)
    {
        return Err(Error::Usage(format!(
            "--min-coverage {m}: expected a positive multiple below 10, e.g. 1.2 for 1.2× (not \
             120 for 120%)"
        )));
    }
    // Held from the inputs' validation through the search and the writing, as `run` holds it
    // (review 45b item 1: a `run` into the same `--out` went through while `size` searched).
    let results = [o::SIZE_STEPS_FILE, o::SIZED_FILE, sized_name.as_str()];
    let mut lock = None;
    let progress = !out.quiet;
    super::in_pool(a.threads, || -> Result<()> {
        let mut take_lock = || -> Result<()> {
            lock = Some(lock_results(out, None, &results)?);
            Ok(())
        };
        let r = simulate_pool(input, (a.paths, a.seed), progress, strict, &mut take_lock)?;
        let d = &r.loaded.deal;
        let targets = parse_targets(d, &a.targets)?;
        if a.coverage_basis == crate::analytics::rating::size::CoverageBasis::Engine {
            warn_pass_through(d, &targets, a.min_coverage, strict)?;
        }
        // Every balance the search writes is a whole number of steps: a step the deal cannot
        // take (with `[notices]`, a balance must be whole units of `face`) is refused here,
        // before the search, on the deal with each targeted tranche at one step (review 25c:
        // the search ran to the end and then failed on a file never written).
        // The text that was validated, read once (review 32d item 5: a second read could
        // rewrite a file changed since).
        let original = &r.source;
        // A scheduled tranche's targets scale with it.
        let one_step: Vec<(String, rust_decimal::Decimal)> = targets
            .iter()
            .map(|(i, _)| (d.tranches[*i].name.clone(), a.step))
            .collect();
        // Every schedule the search scaled: the targets', and the one of the subordinated
        // tranche that takes the rest (review 47b F2: it was written as given).
        let schedules_at = |deal: &crate::deal::Deal| -> Vec<(String, Vec<rust_decimal::Decimal>)> {
            deal.tranches
                .iter()
                .zip(&d.tranches)
                .filter(|(new, old)| new.amortization != old.amortization)
                .filter_map(|(t, _)| match &t.amortization {
                    crate::deal::Amortization::Scheduled(table) => {
                        Some((t.name.clone(), table.iter().map(|(_, v)| *v).collect()))
                    }
                    _ => None,
                })
                .collect()
        };
        let mut stepped = d.clone();
        for (i, _) in &targets {
            crate::analytics::rating::size::set_balance(&mut stepped, d, *i, a.step);
        }
        let probe = o::sized_deal_text(
            &deal.display().to_string(),
            original,
            &one_step,
            &schedules_at(&stepped),
        )?;
        if let Err(e) = validate::deal_from_str(&sized_name, &probe) {
            return Err(Error::Usage(format!(
                "--step {}: the deal does not accept a targeted tranche of one step, and \
                 every balance the search tries is a whole number of steps (checked before the \
                 search, on {sized_name} with each target at one step, which is not written):\n{e}",
                a.step
            )));
        }
        let opts = SizeOptions {
            targets: targets.clone(),
            min_coverage: a.min_coverage,
            step: a.step,
            free_issue_size: a.free_issue_size,
            margin: a.margin,
            tdr_at: a.tdr_at,
            coverage_basis: a.coverage_basis,
        };
        let result = size(d, &r.set.scenarios, &r.tdrs, &opts)?;
        let balances: Vec<(String, rust_decimal::Decimal)> = result
            .deal
            .tranches
            .iter()
            .zip(&d.tranches)
            .filter(|(new, old)| new.balance != old.balance)
            .map(|(new, _)| (new.name.clone(), new.balance))
            .collect();
        let text = o::sized_deal_text(
            &deal.display().to_string(),
            original,
            &balances,
            &schedules_at(&result.deal),
        )?;
        // Each target's `rating` is the rating it was sized to (review 47b F3).
        let ratings: Vec<(String, String)> = targets
            .iter()
            .map(|(i, r)| (d.tranches[*i].name.clone(), r.clone()))
            .collect();
        let text = o::with_ratings(&deal.display().to_string(), &text, &ratings)?;
        // The sized file must load as a deal before anything is written; its warnings, and
        // those of its base case (no defaults, as `check` runs it), are printed unless the
        // input deal or its base case had the same, and under `--strict` they stop the
        // command here.
        // Named as written, so that a warning's location opens (review 29a item 8).
        let written = out.out.join(&sized_name).display().to_string();
        let sized = validate::deal_from_str(&written, &text)?;
        let base = crate::engine::run_with(
            &sized.deal,
            &crate::scenario::Scenario::base(),
            crate::engine::ObligorRows::Skip,
        )?;
        let known = |w: &Warning| {
            r.loaded
                .warnings
                .iter()
                .chain(&r.base_warnings)
                .any(|k| k.check == w.check && k.message == w.message)
        };
        // A balance the sizing itself made small is its answer, not a unit slip: the
        // `issue_size` warning's "万元 or 亿元?" on a sized tranche becomes a note (review 38a
        // item 6: an uncapped undertaking left the subordinated tranche at one step).
        let sized_small = |w: &Warning| {
            balances.iter().find(|(name, _)| {
                w.check == crate::error::Check::IssueSize
                    && w.message.starts_with(&format!("tranche `{name}` is "))
            })
        };
        let small_notes: Vec<String> = sized
            .warnings
            .iter()
            .filter_map(sized_small)
            .map(|(name, b)| {
                format!(
                    "note: tranche `{name}` is sized to {}, a small share of the pool: that is \
                     the sizing's result, not an amount in 万元 (the `issue_size` warning the \
                     sized file gets on it is left out here)",
                    output::table::format_money(*b)
                )
            })
            .collect();
        // The base case's run-time warnings name the sized file they are about (review 40d
        // F1: a trigger the sized structure trips read as the input deal's).
        let base_warnings = base.warnings.iter().map(|w| w.clone().about(&written));
        let new: Vec<Warning> = sized
            .warnings
            .iter()
            .cloned()
            .chain(base_warnings)
            .filter(|w| !known(w) && sized_small(w).is_none())
            .collect();
        print_warnings(&new);
        strict_check(strict, new.len())?;
        // The steps and the sized deal together, or neither (review 27b item M6: a sized
        // deal that could not be written left the steps behind, with exit code 1).
        let steps = o::size_steps_frame(&result.steps)?;
        let settings = o::SizeSettings {
            step: a.step,
            margin: a.margin,
            paths: a.paths,
            seed: a.seed,
        };
        let found = o::sized_frame(&d.name, &result.sized, &result.steps, &r.tdrs, settings)?;
        output::write_tables(
            &out.out,
            vec![
                (
                    o::SIZED_FILE.to_string(),
                    output::Frame::Ready(found.clone()),
                ),
                (
                    o::SIZE_STEPS_FILE.to_string(),
                    output::Frame::Ready(steps.clone()),
                ),
                (sized_name.clone(), output::Frame::Text(text)),
            ],
        )?;
        // The copies hold the result and the steps; the sized deal is TOML already. The
        // overview says the paths and the seed (review 43c F4: the default seed was nowhere).
        write_copies(
            copy,
            "size",
            &format!("{}; {} paths, seed {}", d.name, a.paths, a.seed),
            &[(o::SIZED_FILE, found), (o::SIZE_STEPS_FILE, steps)],
        )?;
        let table = o::size_table(&result.steps, &result.sized, a.margin, a.tdr_at);
        // The notes under the table, on the terminal and on the page (review 35e item 4).
        let notes: Vec<String> = o::tail_note(a.paths, &r.tdrs)
            .into_iter()
            .chain(o::pool_notes(&r.loaded.deal, &r.pool, a.paths, &r.tdrs))
            .chain(o::provider_note(&r.loaded.deal, &r.pool, &r.sim, None))
            .chain(small_notes)
            .collect();
        if let Some(file) = &copy.html {
            use crate::output::html;
            let text = std::iter::once(table.clone())
                .chain(notes.iter().cloned())
                .collect::<Vec<_>>()
                .join("\n");
            html::write_html(file, &d.name, &text, &[html::size_charts(&result.steps)])?;
        }
        if !out.quiet {
            out_line(&table);
            for note in &notes {
                out_line(note);
            }
            out_line(&format!(
                "wrote {}, {} and {} to {}{}",
                o::SIZED_FILE,
                o::SIZE_STEPS_FILE,
                sized_name,
                out.out.display(),
                copy.written()
            ));
        }
        Ok(())
    })?
}

/// The `--target TRANCHE=RATING` arguments as (tranche index, rating), in the order given: an
/// unknown tranche, or one targeted twice, is a usage error.
fn parse_targets(d: &crate::deal::Deal, given: &[String]) -> Result<Vec<(usize, String)>> {
    let mut targets = Vec::new();
    for t in given {
        let Some((name, rating)) = t.split_once('=') else {
            return Err(Error::Usage(format!(
                "--target {t}: expected TRANCHE=RATING, e.g. A=AAA"
            )));
        };
        let i = d
            .tranches
            .iter()
            .position(|x| x.name == name.trim())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--target {t}: the deal has no tranche `{}` (it has {})",
                    name.trim(),
                    d.tranches
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        if targets.iter().any(|(j, _)| *j == i) {
            return Err(Error::Usage(format!(
                "--target {t}: tranche targeted twice"
            )));
        }
        targets.push((i, rating.trim().to_string()));
    }
    Ok(targets)
}

/// The warning for a `--min-coverage` on a pass-through target (under `--strict`, an error).
fn warn_pass_through(
    d: &crate::deal::Deal,
    targets: &[(usize, String)],
    min_coverage: Option<rust_decimal::Decimal>,
    strict: bool,
) -> Result<()> {
    // A pass-through tranche owes no principal before its expected maturity, so its
    // coverage multiple (the engine's, docs/conventions.md) counts interest only: a
    // minimum of 1.2× hardly ever binds (review 25a item 3). Said, not refused: it is the
    // deal's own convention, which its `coverage_below` triggers use too.
    if let Some(m) = min_coverage {
        let passing: Vec<&str> = targets
            .iter()
            .filter(|(i, _)| {
                matches!(
                    d.tranches[*i].amortization,
                    crate::deal::Amortization::PassThrough
                )
            })
            .map(|(i, _)| d.tranches[*i].name.as_str())
            .collect();
        if !passing.is_empty() {
            err_line(&format!(
                "warning: --min-coverage {m}: {} is pass-through, so before its expected \
                 maturity its coverage multiple counts interest only and the minimum hardly \
                 ever binds (docs/conventions.md, \"The coverage multiple\"); \
                 `--coverage-basis portfolio` tests the multiple that charges pass-through \
                 principal as the pool declines, as `ipabs portfolio` reports it \
                 (docs/portfolio.md)",
                passing.join(", ")
            ));
            if strict {
                return Err(Error::Usage(
                    "1 warning(s) with --strict: nothing was written (this one is about \
                     the command line: drop --min-coverage, or size the tranche on the \
                     rating alone)"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

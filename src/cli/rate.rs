//! `ipabs rate`: the pool's default distribution and TDRs by Monte Carlo, each rated tranche's BDR
//! and implied rating; `--shard`, `--merge` and the waterfall's shards.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{no_concentration_breakeven, no_copies_with_shard, stress_suite};
use super::console::{out_line, print_warnings, strict_check};
use super::outdir::{lock_results, refuse_copies, refuse_files, write_copies};
use super::{CopyArgs, McArgs, OutArgs, load_for_search};
use crate::analytics::rating;
use crate::analytics::stress::{StressBase, StressSuite};
use crate::error::{Error, Result, Warning};
use crate::output;
use crate::scenario::ScenarioSet;
use crate::shard::Shard;
use crate::sweep::Progress;
use crate::validate::{self, Loaded};

/// The arguments of `ipabs rate`: their doc comments are its `--help` text.
#[derive(Debug, Args)]
// The field comments are `--help` text, where `[scenario]` is a TOML table, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
pub struct RateArgs {
    /// The deal file (TOML); every obligor needs a `rating` (or `pd`) tag.
    pub deal: PathBuf,
    /// The Monte Carlo options: scenarios, paths, seed, threads and stress suite.
    #[command(flatten)]
    pub mc: McArgs,
    /// Simulate only block I of N of the paths and write their default patterns to
    /// patterns/shards=N/shard=I/part-0.parquet; `--merge` adds the shards up
    /// (docs/scale-out.md).
    #[arg(long, value_name = "I/N", conflicts_with = "merge")]
    pub shard: Option<Shard>,
    /// Instead of simulating, add up the patterns of every shard in DIR (written by
    /// `--shard I/N` with the same --paths and --seed) and write the three tables.
    #[arg(long, value_name = "DIR")]
    pub merge: Option<PathBuf>,
    /// With --merge: run only block J of M of the run's distinct default patterns through
    /// the waterfall and write their outcomes to outcomes/shards=M/shard=J/part-0.parquet;
    /// `--outcomes` reads them (docs/scale-out.md).
    #[arg(
        long,
        value_name = "J/M",
        requires = "merge",
        conflicts_with = "outcomes"
    )]
    pub waterfall_shard: Option<Shard>,
    /// With --merge: take the patterns' waterfall outcomes from the shards in DIR (written
    /// by `--waterfall-shard J/M`) instead of running the waterfall, and write the three
    /// tables.
    #[arg(long, value_name = "DIR", requires = "merge")]
    pub outcomes: Option<PathBuf>,
    /// The scenario (by name, from --scenarios and --stress) under which the paths run
    /// through the waterfall; default: the deal's own [scenario] (docs/rating.md §7).
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with_all = ["shard", "waterfall_shard", "outcomes"]
    )]
    pub mc_scenario: Option<String>,
    /// The copies of the tables: `--csv`, `--xlsx`, `--html`.
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Where the results go: `--out`, `--force`, `--quiet`.
    #[command(flatten)]
    pub out: OutArgs,
}

/// `ipabs rate`.
pub(super) fn command(args: RateArgs, strict: bool) -> Result<()> {
    let RateArgs {
        deal,
        mc,
        shard,
        merge,
        waterfall_shard,
        outcomes,
        mc_scenario,
        copy,
        out,
    } = args;
    // A shard's file is part of a result; the copies need the whole of one.
    no_copies_with_shard(shard, &copy)?;
    if waterfall_shard.is_some() && copy.any() {
        return Err(Error::Usage(
            "--waterfall-shard writes part of the outcomes; --csv, --xlsx and --html need the \
             whole result (run `--merge DIR --outcomes DIR` with them: docs/scale-out.md)"
                .into(),
        ));
    }
    let source = match (shard, merge) {
        (Some(s), _) => Paths::Shard(s),
        (None, Some(dir)) => Paths::Merge(dir),
        (None, None) => Paths::All,
    };
    let waterfall = match (waterfall_shard, outcomes) {
        (Some(s), _) => Outcomes::Shard(s),
        (None, Some(dir)) => Outcomes::Merge(dir),
        (None, None) => Outcomes::Run,
    };
    no_concentration_breakeven("rate", mc.stress)?;
    let input = Inputs {
        deal: &deal,
        scenarios: mc.scenarios.as_deref(),
        stress: stress_suite(mc.stress, mc.stress_on)?,
    };
    rate_command(
        &input,
        (mc.paths, mc.seed),
        mc.threads,
        (source, waterfall, mc_scenario.as_deref()),
        (&out, &copy),
        strict,
    )
}

/// What `rate` and `size` read: the deal file, the scenario file, and a stress suite to add
/// to its scenarios.
pub(super) struct Inputs<'a> {
    pub(super) deal: &'a Path,
    pub(super) scenarios: Option<&'a Path>,
    pub(super) stress: Option<(StressSuite, StressBase)>,
}

impl Inputs<'_> {
    /// The fingerprint of the deal and scenario files' bytes, which a shard records and a
    /// merge checks (docs/scale-out.md). The patterns depend on both (the scenario file may
    /// hold the rating model), and a waterfall shard runs the deal's own scenario
    /// (`--mc-scenario` is refused with shards).
    fn fingerprint(&self) -> Result<String> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| Error::Usage(format!("cannot read {}: {e}", p.display())))
        };
        // Line endings and a byte-order mark are not the file's content (review 31d item 10:
        // a CRLF checkout of the same deal on one worker was "other inputs").
        let normal = |b: Vec<u8>| -> Vec<u8> {
            let b = b
                .strip_prefix(b"\xEF\xBB\xBF")
                .map_or(b.clone(), <[u8]>::to_vec);
            let mut out = Vec::with_capacity(b.len());
            for (i, &c) in b.iter().enumerate() {
                if !(c == b'\r' && b.get(i + 1) == Some(&b'\n')) {
                    out.push(c);
                }
            }
            out
        };
        let deal = normal(read(self.deal)?);
        let scenarios = match self.scenarios {
            Some(p) => normal(read(p)?),
            None => Vec::new(),
        };
        Ok(crate::output::shards::fingerprint(&[&deal, &scenarios]))
    }
}

/// The pool's default model, simulation and TDRs for `rate` and `size`.
pub(super) struct Rated {
    /// The deal file's text, as it was read once and validated (`size` rewrites it).
    pub(super) source: String,
    pub(super) loaded: Loaded,
    pub(super) set: ScenarioSet,
    /// The run-time warnings of the deal's base case, told before the simulation.
    pub(super) base_warnings: Vec<Warning>,
    pub(super) pool: rating::Pool,
    pub(super) sim: rating::Simulation,
    pub(super) tdrs: Vec<rating::RatingTdr>,
}

/// Which paths `rate` simulates: all of them, a shard's block (`--shard`), or none, adding up
/// the shards' patterns instead (`--merge`).
enum Paths {
    All,
    Shard(Shard),
    Merge(PathBuf),
}

/// How `rate` gets the distinct patterns' waterfall outcomes: by running every pattern, by
/// running a block of them and writing only their outcomes (`--waterfall-shard`), or by
/// reading the shards' outcomes (`--outcomes`).
enum Outcomes {
    Run,
    Shard(Shard),
    Merge(PathBuf),
}

pub(super) fn simulate_pool(
    input: &Inputs<'_>,
    (paths, seed): (u64, u64),
    progress: bool,
    strict: bool,
    valid: Valid<'_>,
) -> Result<Rated> {
    simulate_paths(input, (paths, seed), progress, strict, (&Paths::All, valid))
}

/// What a command does once its inputs are valid, before the simulation: `rate` and `size`
/// lock `--out` there ([`lock_results`]), so that bad input still exits 2 while another run
/// holds the directory, and a long simulation holds it from its start.
pub(super) type Valid<'v> = &'v mut (dyn FnMut() -> Result<()> + Send);

/// Loads the deal and its scenario file (printing their warnings and the base case's run-time
/// ones; under `--strict` any is an error, before anything is simulated or written), adds the
/// stress suite to the scenarios, builds the pool's default model, calls `valid` and simulates
/// (or merges) `source`'s paths.
fn simulate_paths(
    input: &Inputs<'_>,
    (paths, seed): (u64, u64),
    progress: bool,
    strict: bool,
    (source, valid): (&Paths, Valid<'_>),
) -> Result<Rated> {
    let deal = input.deal;
    let (text, loaded, set) = load_for_search(
        deal,
        input.scenarios,
        input.stress,
        (strict, true, !progress),
    )?;
    let d = &loaded.deal;
    // The base case's run-time warnings, as `check` tells them (no defaults, no delay, every
    // support paying): under `--strict` they stop the command before the simulation.
    let base = crate::engine::run_with(
        d,
        &crate::scenario::Scenario::base(),
        crate::engine::ObligorRows::Skip,
    )?;
    // Named after the deal file they are about, as `size` names its sized file's (review 41c
    // F8: the input's read as the result's).
    let file = deal.display().to_string();
    let base_warnings: Vec<Warning> = base.warnings.into_iter().map(|w| w.about(&file)).collect();
    print_warnings(&base_warnings);
    strict_check(strict, base_warnings.len())?;
    let (credits, credit_warnings) =
        validate::credits_from_str(&deal.display().to_string(), &text, d, &set.rating_model.pd)?;
    print_warnings(&credit_warnings);
    // A `[rating]` table is `breakeven`'s TDRs; here they come from the Monte Carlo (review
    // 43c F3: the two commands gave AAA 25% and 44% from one file, and this one said nothing).
    if progress
        && !set.rating.base_default_rate.is_zero()
        && let Some(file) = input.scenarios
    {
        super::console::err_line(&format!(
            "note: {}'s [rating] table (base_default_rate {}) is not read here: `rate` and \
             `size` derive each rating's TDR from the Monte Carlo of the pool (docs/rating.md \
             §5); `breakeven` reads the table",
            file.display(),
            set.rating.base_default_rate.normalize()
        ));
    }
    strict_check(strict, credit_warnings.len())?;
    let pool = rating::pool(d, credits, &set.rating_model, seed)?;
    valid()?;
    let sim = match source {
        Paths::All => {
            let bar = super::console::Bar::of(paths, progress, "paths");
            let sim = rating::simulate(&pool, paths, &|k| bar.inc(k));
            bar.finish();
            sim
        }
        Paths::Shard(s) => {
            let block = s.range(paths);
            let bar = super::console::Bar::of(block.end - block.start, progress, "paths");
            let sim = rating::simulate_range(&pool, block, &|k| bar.inc(k));
            bar.finish();
            sim
        }
        Paths::Merge(dir) => crate::output::shards::merge_patterns(
            dir,
            (seed, paths),
            crate::output::shards::ShardInputs {
                fingerprint: &input.fingerprint()?,
                obligors: d.obligors.len() + pool.providers.len(),
                periods: d.periods.len(),
            },
        )?,
    };
    let tdrs = rating::tdrs(d, &pool, &sim, &set.rating_model);
    Ok(Rated {
        source: text,
        loaded,
        set,
        base_warnings,
        pool,
        sim,
        tdrs,
    })
}

fn rate_command(
    input: &Inputs<'_>,
    (paths, seed): (u64, u64),
    threads: Option<usize>,
    (source, waterfall, mc_scenario): (Paths, Outcomes, Option<&str>),
    (out, copy): (&OutArgs, &CopyArgs),
    strict: bool,
) -> Result<()> {
    use crate::output::rating as o;
    use crate::output::shards::{
        OUTCOMES_FILE, PATTERNS_FILE, merge_outcomes, outcomes_frame, patterns_frame,
    };
    if let Paths::Shard(s) = source {
        let shard = (&source, s, PATTERNS_FILE);
        return write_rate_shard(
            input,
            (paths, seed),
            threads,
            shard,
            (out, strict),
            |r, _| {
                let line = format!(
                    "shard {s}: {} of {paths} paths, {} distinct default patterns",
                    r.sim.paths,
                    r.sim.patterns.len()
                );
                let inputs = input.fingerprint()?;
                Ok((patterns_frame(&r.sim, (seed, paths), &inputs)?, line))
            },
        );
    }
    if let Outcomes::Shard(s) = waterfall {
        let shard = (&source, s, OUTCOMES_FILE);
        return write_rate_shard(
            input,
            (paths, seed),
            threads,
            shard,
            (out, strict),
            |r, progress| {
                let d = &r.loaded.deal;
                let all: Vec<&rating::Pattern> = r.sim.patterns.keys().collect();
                let block = s.slice(&all);
                let bar = super::console::Bar::of(block.len() as u64, progress, "patterns");
                let outcomes =
                    rating::pattern_outcomes(d, &r.pool, &d.scenario, block, &|k| bar.inc(k))?;
                bar.finish();
                let frame = outcomes_frame(
                    d,
                    block,
                    &outcomes,
                    (seed, paths, all.len()),
                    &input.fingerprint()?,
                )?;
                let line = format!(
                    "waterfall shard {s}: {} of {} distinct default patterns",
                    block.len(),
                    all.len()
                );
                Ok((frame, line))
            },
        );
    }
    let names = [o::DISTRIBUTION_FILE, o::RATING_FILE, o::MC_TRANCHES_FILE];
    refuse_files(out, &names)?;
    let inputs: Vec<&Path> = std::iter::once(input.deal).chain(input.scenarios).collect();
    refuse_copies(copy, out, &names, &inputs)?;
    // Held from the inputs' validation to the last copy: another run into `--out` meanwhile is
    // refused (exit 1), and a signal removes the temporary files (review 45b item 1: a second
    // `rate` wrote its results, then the first replaced them, with no `--force`).
    let mut lock = None;
    let progress = !out.quiet;
    super::in_pool(threads, || -> Result<()> {
        let mut take_lock = || -> Result<()> {
            lock = Some(lock_results(out, None, &names)?);
            Ok(())
        };
        let r = simulate_paths(
            input,
            (paths, seed),
            progress,
            strict,
            (&source, &mut take_lock),
        )?;
        let d = &r.loaded.deal;
        let through = match mc_scenario {
            None => &d.scenario,
            Some(name) => r
                .set
                .scenarios
                .iter()
                .find(|s| s.name == name)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--mc-scenario {name}: no scenario of that name; the scenarios are {}",
                        crate::error::clip(
                            &r.set
                                .scenarios
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    ))
                })?,
        };
        let rows = rating::rating_rows(d, &r.set.scenarios, &r.tdrs)?;
        let mut mc = match &waterfall {
            Outcomes::Merge(dir) => rating::aggregate_outcomes(
                d,
                &r.sim,
                &merge_outcomes(dir, d, &r.sim, (seed, paths), &input.fingerprint()?)?,
                &r.set.rating_model.pd,
            ),
            _ => {
                let bar =
                    super::console::Bar::of(r.sim.patterns.len() as u64, progress, "patterns");
                let mc = rating::through_waterfall(
                    d,
                    &r.pool,
                    through,
                    &r.sim,
                    &r.set.rating_model.pd,
                    &|k| bar.inc(k),
                )?;
                bar.finish();
                mc
            }
        };
        // Credit substitution (docs/rating.md §7): per provider covering a tranche in full,
        // its paths without it once more, with its supports off; in process under --outcomes
        // too (review 36a item M2: with a progress bar, and docs/scale-out.md says so).
        let plan = rating::SubstitutionPlan::new(d, &r.pool, through, &r.sim);
        let bar = super::console::Bar::of(plan.runs(), progress, "standalone patterns");
        let subs = plan.run(d, &r.pool, through, &r.set.rating_model.pd, &|k| bar.inc(k))?;
        bar.finish();
        for (m, s) in mc.iter_mut().zip(subs) {
            m.substitution = s;
        }
        let dist = rating::distribution(&r.pool, &r.sim);
        let frames = vec![
            (o::DISTRIBUTION_FILE, o::distribution_frame(&d.name, &dist)?),
            (o::RATING_FILE, o::rating_frame(&rows)?),
            (o::MC_TRANCHES_FILE, o::mc_frame(&mc)?),
        ];
        output::write_tables(&out.out, frames.clone())?;
        // The overview says the paths and the seed (review 43c F4: the default seed was
        // nowhere in the outputs).
        write_copies(
            copy,
            "rate",
            &format!("{}; {paths} paths, seed {seed}", d.name),
            &frames,
        )?;
        let table = o::rate_table(
            &d.name,
            r.pool.wa_term,
            (paths, seed),
            &r.tdrs,
            &rows,
            &mc,
            (&through.name, mc_scenario.is_some()),
        );
        // The notes under the table go on the page too (review 35e item 4: the providers'
        // paragraph was on the terminal only).
        let notes = o::pool_notes(&r.loaded.deal, &r.pool, paths, &r.tdrs);
        let provider = o::provider_note(&r.loaded.deal, &r.pool, &r.sim, Some(through));
        let notes: Vec<String> = notes
            .into_iter()
            .chain(o::substitution_gaps_note(d, &plan))
            .collect();
        if let Some(file) = &copy.html {
            use crate::output::html;
            let page: Vec<&str> = std::iter::once(table.as_str())
                .chain(notes.iter().map(String::as_str))
                .chain(provider.as_deref())
                .collect();
            let text = page.join("\n");
            html::write_html(file, &d.name, &text, &[html::rating_chart(&rows)])?;
        }
        if !out.quiet {
            out_line(&table);
            for note in &notes {
                out_line(note);
            }
            if let Some(note) = &provider {
                out_line(note);
            }
            out_line(&format!(
                "wrote 3 files to {}{}",
                out.out.display(),
                copy.written()
            ));
        }
        Ok(())
    })?
}

/// Writes one `rate` shard, table `name` (`--shard`'s patterns, `--waterfall-shard`'s
/// outcomes): refuses to replace the shard's file, simulates (or merges) the paths in the
/// thread pool, lets `table` make the frame and its summary line (given the progress flag)
/// and writes it under the shard's lock.
fn write_rate_shard(
    input: &Inputs<'_>,
    (paths, seed): (u64, u64),
    threads: Option<usize>,
    (source, shard, name): (&Paths, Shard, &str),
    (out, strict): (&OutArgs, bool),
    table: impl FnOnce(&Rated, bool) -> Result<(polars::prelude::DataFrame, String)> + Send,
) -> Result<()> {
    let file = shard.file(name);
    refuse_files(out, &[file.as_str()])?;
    let progress = !out.quiet;
    super::in_pool(threads, || -> Result<()> {
        // The shard's own lock is taken to write, after the simulation; a signal during the
        // simulation is told and exits 130 or 143, like every other command's (review 45c: it
        // exited 143 in silence).
        let r = simulate_paths(
            input,
            (paths, seed),
            progress,
            strict,
            (source, &mut || crate::output::guard::on_signals()),
        )?;
        let (frame, line) = table(&r, progress)?;
        let _lock = lock_results(out, Some(shard), &[file.as_str()])?;
        output::write_tables(&out.out, vec![(file.clone(), frame)])?;
        if !out.quiet {
            out_line(&format!("{line}; wrote {}", out.out.join(&file).display()));
        }
        Ok(())
    })?
}

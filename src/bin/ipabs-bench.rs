//! Benchmarks: `cargo run --release --features bench --bin ipabs-bench`. Prints one line per
//! case.
//!
//! Timing: each case is warmed up, then timed over repeated batches of about 20 ms for about
//! two seconds of wall time; the report gives the fastest batch (the least disturbed by other
//! load on the machine) and the median batch. Single-threaded unless stated.
//! docs/performance.md records the results and the machine.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use ipabs::analytics::stress::StressSuite;
use ipabs::engine::{self, ObligorRows};
use ipabs::scenario::{Pricing, RatingTable, Scenario};
use ipabs::sweep::{SweepOptions, breakeven_sweep, sweep};
use ipabs::validate::{Loaded, deal_from_str, load_deal};
use rust_decimal::Decimal;

/// Seconds per call: the fastest and the median batch.
#[derive(Clone, Copy)]
struct Timing {
    best: f64,
    median: f64,
}

/// Runs `f` in batches for about `budget`; returns the fastest and the median seconds per call.
fn time_per_call(budget: Duration, mut f: impl FnMut()) -> Timing {
    // Warm up and size the batch to ~20 ms.
    let t = Instant::now();
    f();
    let one = t.elapsed().as_secs_f64().max(1e-9);
    let batch = ((0.02 / one).ceil() as usize).max(1);
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || samples.len() < 5 {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    Timing {
        best: samples[0],
        median: samples[samples.len() / 2],
    }
}

fn report(name: &str, t: Timing) {
    println!(
        "{name:<58} best {:>7.1} µs/run {:>7.0} runs/s   median {:>7.1} µs/run {:>7.0} runs/s",
        t.best * 1e6,
        1.0 / t.best,
        t.median * 1e6,
        1.0 / t.median
    );
}

/// A synthetic deal: `n` obligors with one amortizing IP-pledged loan each (level payments,
/// `periods` instalments every `months` months), a senior and a subordinated tranche, a tax,
/// two fees, a reserve, a shortfall undertaking and two triggers.
pub fn synthetic_deal(n: usize, periods: u32, months: u32) -> String {
    let freq = match months {
        1 => "monthly",
        3 => "quarterly",
        _ => "semiannual",
    };
    let mut s = format!(
        r#"[deal]
name = "synthetic {n} x {periods}"
cutoff_date = 2025-01-01
closing_date = 2025-01-01
first_payment_date = 2025-{first:02}-10
frequency = "{freq}"
legal_maturity = 2028-01-10
collection_lag_days = 5
"#,
        first = 1 + months
    );
    let mut pool = Decimal::ZERO;
    for i in 0..n {
        let bal = Decimal::from(1_000_000 + (i as i64 % 37) * 250_000);
        pool += bal;
        let rep = ["level", "equal_principal", "interest_only"][i % 3];
        s.push_str(&format!(
            r#"
[[obligors]]
name = "SME-{i:05}"
tags = {{ rating = "{rating}", region = "R{region}", industry = "I{industry}" }}
[[obligors.assets]]
kind = "loan"
balance = {bal}
rate = 0.0{r}
start_date = 2025-01-01
term = {periods}
frequency = "{freq}"
repayment = "{rep}"
"#,
            r = 400 + (i % 9) * 25,
            rating = ["AA", "A+", "A", "A-", "BBB+"][i % 5],
            region = i % 4,
            industry = i % 3
        ));
    }
    let senior = (pool * Decimal::new(85, 2)).round_dp(0);
    let sub = (pool * Decimal::new(10, 2)).round_dp(0);
    s.push_str(&format!(
        r#"
[[tranches]]
name = "A"
class = "senior"
balance = {senior}
coupon = 0.03
rating = "AAA"

[[tranches]]
name = "B"
class = "subordinated"
balance = {sub}
coupon = 0.05

[[fees]]
name = "manager"
kind = "annual_rate"
rate = 0.002
base = "senior_balance"

[[fees]]
name = "custodian"
kind = "fixed"
amount = 10000

[[taxes]]
name = "vat"
rate = 0.0326
base = "interest_collections"

[reserve]
target_multiple = 1.0
initial = 500000

[[supports]]
name = "undertaking"
provider = "Guarantor"
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]

[waterfalls]
normal = [
  {{ action = "pay_tax", taxes = ["vat"] }},
  {{ action = "pay_fee", fees = ["manager", "custodian"] }},
  {{ action = "pay_interest", tranches = ["A"] }},
  {{ action = "pay_principal", tranches = ["A"] }},
  {{ action = "top_up_reserve" }},
  {{ action = "pay_sub_return", tranche = "B" }},
  {{ action = "pay_principal", tranches = ["B"], when = "senior_paid_off" }},
  {{ action = "pay_residual", tranche = "B", when = "senior_paid_off" }},
]
accelerated = [
  {{ action = "pay_tax", taxes = ["vat"] }},
  {{ action = "pay_fee", fees = ["manager", "custodian"] }},
  {{ action = "pay_interest", tranches = ["A"] }},
  {{ action = "pay_principal", tranches = ["A"], amount = "available" }},
  {{ action = "pay_principal", tranches = ["B"] }},
  {{ action = "pay_residual", tranche = "B" }},
]

[[triggers]]
name = "cdr_10"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.10
waterfall = "accelerated"

[[triggers]]
name = "eod"
kind = "event_of_default"
condition = "senior_interest_shortfall"
waterfall = "accelerated"
"#
    ));
    s
}

fn stressed() -> Scenario {
    Scenario {
        name: "stress".into(),
        cdr: Decimal::new(5, 2),
        recovery_rate: Decimal::new(4, 1),
        recovery_lag_months: 6,
        delay_fraction: Decimal::new(3, 1),
        delay_months: 6,
        ..Scenario::base()
    }
}

fn load_str(name: &str, src: &str) -> Loaded {
    deal_from_str(name, src).unwrap_or_else(|e| panic!("{e}"))
}

/// The allocator `ipabs` itself uses (src/main.rs), so that the bench measures what users run.
#[global_allocator]
static GLOBAL: ipabs::allocator::Allocator = ipabs::allocator::Allocator;

/// Runs before `main` and before the first allocation: no transparent huge pages
/// ([`ipabs::allocator::without_huge_pages`]).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static WITHOUT_HUGE_PAGES: extern "C" fn() = ipabs::allocator::without_huge_pages;

/// Runs before `main`: glibc's `malloc`, which zstd uses, keeps what it frees
/// ([`ipabs::allocator::keep_c_heap`]).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static KEEP_C_HEAP: extern "C" fn() = ipabs::allocator::keep_c_heap;

/// Compares `n` powers of [`ipabs::pow`] with the platform's `pow`; the exit code.
fn pow_check(n: u64) -> i32 {
    use ipabs::pow::powers;
    use rand::{RngCore, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x1234_5678);
    let mut next = move || rng.next_u64();
    let t = Instant::now();
    let (mut checked, mut differ) = (0u64, 0u64);
    while checked < n {
        let batch: Vec<(f64, f64)> = (0..1_000_000)
            .map(|i| {
                let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
                let y = if i % 2 == 0 {
                    -0.99 + 10.99 * u
                } else {
                    -0.05 + 0.35 * u
                };
                let t = (next() % 14_610 + 1) as f64 / 365.0;
                (1.0 + y, if i % 8 == 0 { t } else { -t })
            })
            .collect();
        let got = powers(&batch);
        for (&(x, y), g) in batch.iter().zip(got) {
            let want = x.powf(y);
            if g.to_bits() != want.to_bits() {
                differ += 1;
                if differ <= 10 {
                    println!("pow({x:e}, {y:e}): port {g:e}, platform {want:e}");
                }
            }
        }
        checked += batch.len() as u64;
    }
    println!(
        "{checked} powers checked, {differ} differ ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    i32::from(differ > 0)
}

fn main() {
    // `ipabs-bench profile N [base] [lean]`: N stressed (or base-case) runs of the 15 x 12 deal, untimed
    // (for callgrind); `lean` without per-obligor rows.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "profile") {
        let n: usize = args.get(2).and_then(|x| x.parse().ok()).unwrap_or(100);
        let d15 = load_str("synthetic15.toml", &synthetic_deal(15, 12, 3));
        let stress = if args.iter().skip(3).any(|a| a == "base") {
            Scenario::base()
        } else {
            stressed()
        };
        // `lean`: runs without per-obligor rows (case 2's second pair).
        let rows = if args.iter().skip(3).any(|a| a == "lean") {
            ObligorRows::Skip
        } else {
            ObligorRows::Keep
        };
        for _ in 0..n {
            black_box(engine::run_with(&d15.deal, &stress, rows).expect("runs"));
        }
        return;
    }
    // `ipabs-bench profile-sweep N`: the 1,000-scenario sweep of case 3, N times on one thread,
    // untimed (for callgrind).
    if args.get(1).is_some_and(|a| a == "profile-sweep") {
        let n: usize = args.get(2).and_then(|x| x.parse().ok()).unwrap_or(1);
        let d15 = load_str("synthetic15.toml", &synthetic_deal(15, 12, 3));
        let grid = grid_1000();
        let opts = SweepOptions {
            flows: false,
            threads: Some(1),
        };
        for _ in 0..n {
            black_box(sweep(&d15.deal, &grid, &Pricing::default(), opts, &()).expect("sweeps"));
        }
        return;
    }
    // `ipabs-bench big [N]`: the 10,000-loan pool of case 5, loaded once and run N times
    // (default 5), each run timed: the first run is what `ipabs run` pays, the later ones what
    // a sweep of the pool pays (for `perf record` too).
    if args.get(1).is_some_and(|a| a == "big") {
        let n: usize = args.get(2).and_then(|x| x.parse().ok()).unwrap_or(5);
        let t = Instant::now();
        let big = load_str("synthetic10k.toml", &synthetic_deal(10_000, 36, 1));
        println!("load {:.3} s", t.elapsed().as_secs_f64());
        let stress = stressed();
        for i in 0..n {
            let t = Instant::now();
            black_box(engine::run(&big.deal, &stress).expect("runs"));
            println!("run {} {:.3} s", i + 1, t.elapsed().as_secs_f64());
        }
        return;
    }
    // `ipabs-bench write N PERIODS MONTHS FILE`: writes a synthetic deal (for large-input tests).
    if args.get(1).is_some_and(|a| a == "write") {
        let num = |i: usize| {
            args.get(i)
                .and_then(|x| x.parse::<u32>().ok())
                .unwrap_or(12)
        };
        let path = args.get(5).map_or("synthetic.toml", String::as_str);
        let src = synthetic_deal(num(2) as usize, num(3), num(4));
        std::fs::write(path, src).expect("writes the deal");
        return;
    }
    // `ipabs-bench load FILE [N]`: only the load (parse, validation, schedules) of a deal
    // file, N times (default 5); prints the fastest and the median. Run once under
    // `/usr/bin/time -v` for the load's peak memory alone.
    if args.get(1).is_some_and(|a| a == "load") {
        load_bench(args.get(2).map_or("synthetic.toml", String::as_str), {
            args.get(3).and_then(|x| x.parse().ok()).unwrap_or(5)
        });
        return;
    }
    // `ipabs-bench pow-check [N]`: `ipabs::pow` against the platform's `pow`, bit for bit,
    // on N million pairs (default 100) as the yield solver draws them, in this release
    // build (where `powers` runs FMA instructions; `cargo test` checks the debug build).
    if args.get(1).is_some_and(|a| a == "pow-check") {
        let n: u64 = args.get(2).and_then(|x| x.parse().ok()).unwrap_or(100);
        std::process::exit(pow_check(n * 1_000_000));
    }
    // `ipabs-bench rating`: only the Monte Carlo rating cases.
    if args.get(1).is_some_and(|a| a == "rating") {
        rating_bench();
        return;
    }
    let budget = Duration::from_millis(2000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    rating_bench();
    println!("ipabs engine benchmarks (release, single thread unless stated)");

    // 1. One full run of each example deal (projection + waterfall + summary).
    let mut deals: Vec<_> = std::fs::read_dir(root.join("deals"))
        .expect("deals/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        // deals/cohort.toml lists the deals (docs/portfolio.md); it is not one.
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && !p.ends_with("cohort.toml"))
        .collect();
    deals.sort();
    for p in &deals {
        let loaded = load_deal(p).expect("example deal loads");
        let base = loaded.deal.scenario.clone();
        let secs = time_per_call(budget, || {
            black_box(engine::run(&loaded.deal, &base).expect("runs"));
        });
        report(
            &format!(
                "run {}",
                p.file_name().unwrap_or_default().to_string_lossy()
            ),
            secs,
        );
    }

    // 2. The 15-obligor, 12-quarter deal: base and stressed.
    let d15 = load_str("synthetic15.toml", &synthetic_deal(15, 12, 3));
    let base = Scenario::base();
    let stress = stressed();
    report(
        "synthetic 15 obligors x 12 quarters, base",
        time_per_call(budget, || {
            black_box(engine::run(&d15.deal, &base).expect("runs"));
        }),
    );
    report(
        "synthetic 15 obligors x 12 quarters, CDR/recovery/delay",
        time_per_call(budget, || {
            black_box(engine::run(&d15.deal, &stress).expect("runs"));
        }),
    );
    // The same two runs as a sweep without --flows or a break-even search makes them: no
    // per-obligor rows.
    for (name, s) in [("base", &base), ("CDR/recovery/delay", &stress)] {
        report(
            &format!("  the same, {name}, without per-obligor rows"),
            time_per_call(budget, || {
                black_box(engine::run_with(&d15.deal, s, ObligorRows::Skip).expect("runs"));
            }),
        );
    }

    // 3. A 1,000-scenario grid on the 15 x 12 deal: CDR x recovery x delay, 10 values each,
    //    through `sweep` (projection, waterfall, pricing; summary and senior rows kept).
    let grid = grid_1000();
    for threads in [1, 2] {
        let opts = SweepOptions {
            flows: false,
            threads: Some(threads),
        };
        // Five sweeps; the fastest and the median.
        let secs = sorted_secs(5, || {
            black_box(sweep(&d15.deal, &grid, &Pricing::default(), opts, &()).expect("sweeps"));
        });
        println!(
            "{:<58} best {:>6.3} s {:>7.0} runs/s   median {:>6.3} s {:>7.0} runs/s",
            format!("1,000-scenario grid, 15 x 12 deal, {threads} thread(s)"),
            secs[0],
            1000.0 / secs[0],
            secs[2],
            1000.0 / secs[2]
        );
    }

    // 4. The full break-even table of each example deal: its own scenario plus the standard
    //    stress suite, every rated tranche (senior and mezzanine), default rating table.
    for p in &deals {
        let loaded = load_deal(p).expect("example deal loads");
        let deal = &loaded.deal;
        let mut scenarios = vec![deal.scenario.clone()];
        scenarios.extend(
            StressSuite::Standard
                .scenarios(deal, &deal.scenario)
                .expect("suite"),
        );
        for threads in [1, 2] {
            let opts = SweepOptions {
                flows: false,
                threads: Some(threads),
            };
            let t = Instant::now();
            let rows = breakeven_sweep(deal, &scenarios, &RatingTable::default(), opts, &())
                .expect("break-even");
            let secs = t.elapsed().as_secs_f64();
            let runs: u32 = rows.iter().map(|r| r.runs).sum();
            println!(
                "{:<58} {:>8.3} s  {} rows, {} runs",
                format!(
                    "break-even table {} ({threads} thr)",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ),
                secs,
                rows.len(),
                runs
            );
        }
    }

    // 5. A 10,000-loan pool over 36 monthly periods: load (validate + schedules) and run.
    let src = synthetic_deal(10_000, 36, 1);
    let t = Instant::now();
    let big = load_str("synthetic10k.toml", &src);
    let load_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    black_box(engine::run(&big.deal, &stress).expect("runs"));
    let run_secs = t.elapsed().as_secs_f64();
    println!(
        "{:<58} load {:>8.3} s  run {:>8.3} s  total {:>8.3} s",
        "synthetic 10,000 loans x 36 months, stressed",
        load_secs,
        run_secs,
        load_secs + run_secs
    );
}

/// The 1,000-scenario grid of case 3: CDR × recovery × delay, 10 values each.
fn grid_1000() -> Vec<Scenario> {
    let mut grid = Vec::with_capacity(1000);
    for c in 0..10 {
        for r in 0..10 {
            for dl in 0..10 {
                grid.push(Scenario {
                    name: format!("g{c}-{r}-{dl}"),
                    cdr: Decimal::new(c * 2, 2),
                    recovery_rate: Decimal::new(r * 10, 2),
                    recovery_lag_months: 6,
                    delay_fraction: Decimal::new(dl * 5, 2),
                    delay_months: 6,
                    ..Scenario::base()
                });
            }
        }
    }
    grid
}

/// The synthetic deal of `n` obligors × 12 quarters, loaded, and its rating pool under `model`
/// (seed 1).
fn rating_pool(
    n: usize,
    model: &ipabs::rating_model::RatingModel,
) -> (Loaded, ipabs::analytics::rating::Pool) {
    let src = synthetic_deal(n, 12, 3);
    let name = format!("synthetic{n}.toml");
    let d = load_str(&name, &src);
    let (credits, _) = ipabs::validate::credits_from_str(&name, &src, &d.deal, &model.pd)
        .expect("ratings resolve");
    let pool = ipabs::analytics::rating::pool(&d.deal, credits, model, 1).expect("pool");
    (d, pool)
}

/// The wall times of `n` calls of `f`, fastest first.
fn sorted_secs(n: usize, mut f: impl FnMut()) -> Vec<f64> {
    let mut secs: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    secs
}

/// The load of the deal file `path` (read once, untimed), `n` times: the first (on a fresh
/// heap, as `ipabs` loads), the fastest and the median wall time of parsing, validating and
/// building schedules.
fn load_bench(path: &str, n: usize) {
    let src = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut secs: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let t = Instant::now();
            let loaded = black_box(load_str(path, &src));
            let secs = t.elapsed().as_secs_f64();
            drop(loaded);
            secs
        })
        .collect();
    let first = secs[0];
    secs.sort_by(f64::total_cmp);
    println!(
        "{:<50} first {:>6.3} s  fastest {:>6.3} s  median {:>6.3} s  ({} loads)",
        format!("load {path}"),
        first,
        secs[0],
        secs[secs.len() / 2],
        secs.len()
    );
}

/// The Monte Carlo rating (docs/rating.md, docs/performance.md): 1,000,000 paths of the default
/// model alone, and 100,000 paths through the full waterfall of the synthetic 15 x 12 deal
/// (obligors rated AA … BBB+, four regions, three industries), on 1 and 2 threads. Each case
/// is timed three times; the fastest and the slowest are printed.
fn rating_bench() {
    use ipabs::analytics::rating;
    use ipabs::rating_model::RatingModel;
    let model = RatingModel::default();
    let (d15, pool) = rating_pool(15, &model);
    for threads in [1, 2] {
        let tp = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let secs = sorted_secs(3, || {
            black_box(tp.install(|| rating::simulate(&pool, 1_000_000, &|_| {})));
        });
        println!(
            "{:<58} best {:>6.3} s   worst {:>6.3} s",
            format!("default model, 1,000,000 paths, 15 obligors ({threads} thr)"),
            secs[0],
            secs[2]
        );
        let mut secs = Vec::new();
        let mut distinct = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let sim = tp.install(|| rating::simulate(&pool, 100_000, &|_| {}));
            distinct = sim.patterns.len();
            black_box(
                tp.install(|| {
                    rating::through_waterfall(
                        &d15.deal,
                        &pool,
                        &d15.deal.scenario,
                        &sim,
                        &model.pd,
                        &|_| {},
                    )
                })
                .expect("waterfall"),
            );
            secs.push(t.elapsed().as_secs_f64());
        }
        secs.sort_by(f64::total_cmp);
        println!(
            "{:<58} best {:>6.3} s   worst {:>6.3} s  ({distinct} distinct default patterns)",
            format!("100,000 paths through the waterfall, 15 x 12 ({threads} thr)"),
            secs[0],
            secs[2]
        );
    }
    // The default model alone on larger pools, one thread: the latent variables' product
    // with the Cholesky factor grows as n², the rest of a path as n. The default correlations
    // are not a valid matrix for so many obligors in four regions and three industries; 0.5
    // for the same region and industry makes one.
    let mut model = model;
    model.correlations.same_region_and_industry = 0.5;
    for (n, paths) in [(40, 200_000), (250, 10_000), (1_000, 1_000)] {
        let (_, pool) = rating_pool(n, &model);
        let tp = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("thread pool");
        let secs = sorted_secs(3, || {
            black_box(tp.install(|| rating::simulate(&pool, paths, &|_| {})));
        });
        println!(
            "{:<58} best {:>6.3} s   worst {:>6.3} s  ({:.2} µs a path)",
            format!("default model, {paths} paths, {n} obligors (1 thr)"),
            secs[0],
            secs[2],
            secs[0] / paths as f64 * 1e6
        );
    }
}

//! `ipabs portfolio` (docs/portfolio.md): deal-level figures of a hand-worked two-deal portfolio
//! (tests/fixtures/portfolio), the hive-partitioned dataset read back by DuckDB
//! (tests/python/check_portfolio.py) and checked equal to the single-deal `run` files, the
//! cohort file, determinism across thread counts and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;
use rust_decimal_macros::dec;

use ipabs::analytics::portfolio::{DealFacts, deal_facts, min_coverage};
use ipabs::engine;
use ipabs::scenario::Scenario;
use ipabs::validate::load_deal;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ipabs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn facts(name: &str) -> DealFacts {
    let p = root().join(format!("tests/fixtures/portfolio/{name}.toml"));
    deal_facts(&load_deal(&p).expect("loads").deal)
}

#[test]
fn alpha_deal_level_figures_by_hand() {
    let f = facts("alpha");
    // Pool: O1 600,000 + 600,000; O2 400,000 + 200,000 + 200,000 = 2,000,000.
    assert_eq!(f.pool_balance, dec!(2000000));
    // Issue: A 1,700,000 + B 200,000.
    assert_eq!(f.issue_size, dec!(1900000));
    // OC = 2,000,000 / 1,900,000 = 1.05263157… → 1.052632 (6 dp, half away from zero).
    assert_eq!(f.over_collateralisation, Some(dec!(1.052632)));
    assert_eq!(f.obligor_count, 2);
    // Shares: O1 1,200,000 / 2,000,000 = 0.6; O2 0.4. Top 5 = both = 1.
    assert_eq!(f.largest_obligor_share, Some(dec!(0.6)));
    assert_eq!(f.top5_obligor_share, Some(dec!(1)));
    // HHI = 0.6² + 0.4² = 0.36 + 0.16 = 0.52.
    assert_eq!(f.hhi, Some(dec!(0.52)));
    assert_eq!(f.industry_mix, "biotech:0.6;software:0.4");
    assert_eq!(f.region_mix, "north:1");
    // WA coupon: only A is not subordinated: 0.04.
    assert_eq!(f.wa_coupon, Some(dec!(0.04)));
    // WA term from the cutoff 2024-01-01: 03-15 is day 74 (31 + 29 + 14), 06-15 day 166
    // (31+29+31+30+31+14), 09-15 day 258 (244 + 14).
    // Σ principal × days = 600k×74 + 600k×258 + 400k×74 + 200k×166 + 200k×258
    //                    = 44.4m + 154.8m + 29.6m + 33.2m + 51.6m = 313.6m;
    // / (2,000,000 × 365 = 730m) = 0.42958904… → 0.429589.
    assert_eq!(f.wa_term_years, Some(dec!(0.429589)));
    // The vintage and the tranching (added for analysts, review 24c item 11): the file's
    // dates, its 3 payment dates, and B's 200,000 of the 1,900,000 issue: 0.10526315… →
    // 0.105263.
    assert_eq!(f.closing_date.to_string(), "2024-01-01");
    assert_eq!(f.legal_maturity.to_string(), "2024-09-30");
    assert_eq!(f.payment_dates, 3);
    assert_eq!(f.subordination, Some(dec!(0.105263)));
    // alpha lists its payment dates: no frequency (session 25). The gdd example generates its
    // dates from `frequency = "semiannual"`.
    assert_eq!(f.payment_frequency, None);
    let gdd = load_deal(&root().join("deals/gdd_patent_licence_2019.toml")).expect("loads");
    assert_eq!(deal_facts(&gdd.deal).payment_frequency, Some("semiannual"));
}

#[test]
fn beta_deal_level_figures_by_hand() {
    let f = facts("beta");
    // Pool: 500,000 + 300,000 + 200,000 = 1,000,000; issue 800,000 + 100,000 = 900,000.
    assert_eq!(f.pool_balance, dec!(1000000));
    assert_eq!(f.issue_size, dec!(900000));
    // OC = 1,000,000 / 900,000 = 1.1111… → 1.111111.
    assert_eq!(f.over_collateralisation, Some(dec!(1.111111)));
    assert_eq!(f.obligor_count, 3);
    // Shares 0.5, 0.3, 0.2: largest 0.5, top 5 = 1; HHI = 0.25 + 0.09 + 0.04 = 0.38.
    assert_eq!(f.largest_obligor_share, Some(dec!(0.5)));
    // No obligor group: the largest credit is P1, and each obligor is a credit.
    assert_eq!(f.largest_group_share, Some(dec!(0.5)));
    assert_eq!(f.credit_count, 3);
    assert_eq!(f.top5_obligor_share, Some(dec!(1)));
    assert_eq!(f.hhi, Some(dec!(0.38)));
    // P1 and P2 are software (0.8); P3 has no tags (0.2). Regions: P1 south 0.5, the rest
    // untagged 0.5 (equal shares in key order).
    assert_eq!(f.industry_mix, "software:0.8;untagged:0.2");
    assert_eq!(f.region_mix, "south:0.5;untagged:0.5");
    assert_eq!(f.wa_coupon, Some(dec!(0.03)));
    // Every receivable is due 2024-06-15, day 166: 166 / 365 = 0.45479452… → 0.454795.
    assert_eq!(f.wa_term_years, Some(dec!(0.454795)));
}

/// An obligor group is one credit for `largest_group_share` (since session 33): beta's P1
/// (500,000) and P3 (200,000) as group `G` hold 700,000 of the 1,000,000 pool, 0.7, while
/// the largest obligor alone stays P1's 0.5.
#[test]
fn the_largest_group_share_sums_a_group() {
    let p = root().join("tests/fixtures/portfolio/beta.toml");
    let src = std::fs::read_to_string(&p)
        .expect("beta")
        .replacen(
            "tags = { industry = \"software\", region = \"south\" }",
            "tags = { industry = \"software\", region = \"south\", group = \"G\" }",
            1,
        )
        .replacen(
            "name = \"P3\"\n",
            "name = \"P3\"\ntags = { group = \"G\" }\n",
            1,
        );
    let d = ipabs::validate::deal_from_str("beta.toml", &src)
        .expect("loads")
        .deal;
    let f = deal_facts(&d);
    assert_eq!(f.largest_obligor_share, Some(dec!(0.5)));
    assert_eq!(f.largest_group_share, Some(dec!(0.7)));
    // Three obligors, two credits: the group {P1, P3} and P2.
    assert_eq!((f.obligor_count, f.credit_count), (3, 2));
}

#[test]
fn bullet_coverage_counts_principal_due() {
    // beta, base case: the one payment date 2024-07-01 has 1,000,000 available (collected
    // 2024-06-15, no lag, no fees or taxes). A's interest: 800,000 × 3% × 182 / 365
    // (2024-01-01 → 07-01) = 11,967.1232… → 11,967.12 to the fen; its bullet principal is due
    // in full: 800,000. Coverage = 1,000,000 / 811,967.12 = 1.23157… (6 dp).
    let d = load_deal(&root().join("tests/fixtures/portfolio/beta.toml"))
        .expect("loads")
        .deal;
    let run = engine::run(&d, &Scenario::base()).expect("runs");
    let m = min_coverage(&d, &run, 0).expect("something is due");
    let want = (dec!(1000000) / dec!(811967.12)).round_dp(6);
    assert_eq!(m.multiple, want);
    assert_eq!(m.date.to_string(), "2024-07-01");
}

fn read(path: &Path) -> DataFrame {
    let f = std::fs::File::open(path).expect("opens");
    ParquetReader::new(f).finish().expect("reads")
}

#[test]
fn portfolio_of_the_cohort_matches_single_runs_in_duckdb() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pf");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/cohort.toml",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("worst scenario"), "{stdout}");
    assert!(stdout.contains("half defaults (2024-09-30)"), "{stdout}");
    // The min BDR as `breakeven` prints it: four places (review 26b item 4), checked against
    // deals.parquet's lowest `breakeven_default_rate` per deal below.
    // The BDR cell is the one percentage with four places (the TDR has two); the line also
    // names the scenario of the lowest (since session 34).
    let deal_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("alpha ") || l.starts_with("beta "))
        .collect();
    let bdr_cells: Vec<&str> = deal_lines
        .iter()
        .filter_map(|l| {
            l.split_whitespace()
                .find(|t| t.ends_with('%') && t.split('.').nth(1).is_some_and(|d| d.len() == 5))
        })
        .collect();
    assert_eq!(bdr_cells.len(), 2, "{stdout}");

    // deals.parquet: 2 deals × 2 scenarios × 1 reported tranche (A; B is an unrated
    // subordinated tranche).
    let df = read(&out.join("deals.parquet"));
    assert_eq!(df.height(), 4);
    let ids: Vec<Option<&str>> = df
        .column("deal_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        ids,
        [Some("alpha"), Some("alpha"), Some("beta"), Some("beta")]
    );
    let hhi = df.column("hhi").unwrap().cast(&DataType::Float64).unwrap();
    let hhi: Vec<Option<f64>> = hhi.f64().unwrap().iter().collect();
    assert_eq!(hhi, [Some(0.52), Some(0.52), Some(0.38), Some(0.38)]);
    let tdr = df
        .column("target_default_rate")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    assert_eq!(tdr.f64().unwrap().get(0), Some(0.5), "TDR(AAA) = 5 × 0.1");
    // The terminal's min BDR per deal is the lowest `breakeven_default_rate` of its rows
    // (neither deal is paid in full at R = 1 or fails at zero here), × 100 to four places.
    let bdr = df
        .column("breakeven_default_rate")
        .unwrap()
        .decimal()
        .unwrap()
        .clone();
    let scenario = df.column("scenario").unwrap().str().unwrap().clone();
    for (k, cell) in bdr_cells.iter().enumerate() {
        let lowest = (2 * k..2 * k + 2)
            .filter_map(|i| bdr.physical().get(i))
            .min()
            .expect("a break-even");
        let at = (2 * k..2 * k + 2)
            .find(|&i| bdr.physical().get(i) == Some(lowest))
            .expect("its row");
        let name = scenario.get(at).expect("a scenario");
        assert!(deal_lines[k].contains(name), "{name}: {stdout}");
        // decimal128(18, 6): `lowest` is the ratio × 10^6; × 100 as a percentage, 4 places.
        let want = format!("{}.{:04}%", lowest / 10_000, lowest % 10_000);
        assert_eq!(*cell, want, "{stdout}");
    }

    // Every run table, hive-partitioned, equals the single-deal `run` files (DuckDB).
    let mut args: Vec<String> = vec![
        root()
            .join("tests/python/check_portfolio.py")
            .display()
            .to_string(),
        out.display().to_string(),
    ];
    for id in ["alpha", "beta"] {
        let run_dir = tmp.path().join(format!("run-{id}"));
        let o = ipabs(&[
            "run",
            &format!("tests/fixtures/portfolio/{id}.toml"),
            "--scenario",
            "tests/fixtures/portfolio/rating.toml",
            "--out",
            run_dir.to_str().expect("utf-8"),
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        args.push(id.to_string());
        args.push(run_dir.display().to_string());
    }
    assert!(
        out.join("summary/deal=beta/scenario=half%20defaults/part-0.parquet")
            .is_file()
    );
    let check = Command::new("python3")
        .args(&args)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "DuckDB check failed (pip install duckdb, or run `bash .ci/run`):\n{}\n{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert!(text(&check.stdout).contains("16 passed, 0 failed"));
}

/// Run-time warnings of a portfolio: at most 20 lines on the terminal and one counting the
/// rest, as `sweep` prints them, and every warning in `warnings.parquet` (before, one line per
/// deal and scenario and no file). Oracle: `ipabs sweep` of each deal under the same scenario
/// file and suite writes its warnings.parquet; the portfolio's rows of that deal are those rows.
#[test]
fn portfolio_warnings_are_capped_on_the_terminal_and_kept_in_a_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pf");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/cohort.toml",
        "--stress",
        "all",
        "--out",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let each = err
        .lines()
        .filter(|l| l.starts_with("warning: deal/scenario `"))
        .count();
    let rest: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(" more runs have "))
        .collect();
    assert_eq!((each, rest.len()), (20, 1), "{err}");
    let got = read(&out.join("warnings.parquet"));
    let mut want: Option<DataFrame> = None;
    for id in ["alpha", "beta"] {
        let dir = tmp.path().join(id);
        let s = ipabs(&[
            "sweep",
            &format!("tests/fixtures/portfolio/{id}.toml"),
            "--scenarios",
            "tests/fixtures/portfolio/rating.toml",
            "--stress",
            "all",
            "--out",
            dir.to_str().expect("utf-8"),
            "--quiet",
        ]);
        assert_eq!(s.status.code(), Some(0), "{}", text(&s.stderr));
        let w = read(&dir.join("warnings.parquet"));
        want = Some(match want {
            None => w,
            Some(a) => a.vstack(&w).expect("same columns"),
        });
    }
    let want = want.expect("two deals");
    assert!(want.height() > 21, "the fixture warns in more than 21 runs");
    // The portfolio's table is led by `deal_id` (the file stem), then sweep's columns.
    let ids: Vec<Option<&str>> = got
        .column("deal_id")
        .expect("deal_id")
        .str()
        .expect("strings")
        .iter()
        .collect();
    let alpha = ids.iter().filter(|x| **x == Some("alpha")).count();
    assert_eq!(
        alpha + ids.iter().filter(|x| **x == Some("beta")).count(),
        ids.len()
    );
    assert!(alpha > 0 && alpha < ids.len());
    let got = got.drop("deal_id").expect("drop");
    assert!(got.equals_missing(&want), "{got}\n{want}");
}

#[test]
fn deals_parquet_does_not_depend_on_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for t in ["1", "3"] {
        let out = tmp.path().join(t);
        let o = ipabs(&[
            "portfolio",
            "tests/fixtures/portfolio/alpha.toml",
            "tests/fixtures/portfolio/beta.toml",
            "--scenarios",
            "tests/fixtures/portfolio/rating.toml",
            "--threads",
            t,
            "--quiet",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "--quiet prints nothing");
        files.push(std::fs::read(out.join("deals.parquet")).expect("written"));
    }
    assert_eq!(files[0], files[1]);
}

#[test]
fn a_bad_deal_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pf");
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[deal]\nname = 1\n").expect("write");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/alpha.toml",
        bad.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("bad.toml"), "{}", text(&o.stderr));
    assert!(!out.exists(), "nothing written");
}

/// The commands whose tables the copy tests write: run, sweep, breakeven and portfolio on the
/// portfolio fixture, rate on gdd and size on nanshan (whose A is a bullet).
fn copy_cases<'a>(deal: &'a str, scen: &'a str) -> [(&'static str, Vec<&'a str>); 6] {
    [
        ("run", vec!["run", deal, "--scenario", scen]),
        ("sweep", vec!["sweep", deal, "--scenarios", scen]),
        ("breakeven", vec!["breakeven", deal, "--scenarios", scen]),
        (
            "portfolio",
            vec!["portfolio", "tests/fixtures/portfolio/cohort.toml"],
        ),
        (
            "rate",
            vec![
                "rate",
                "deals/gdd_patent_licence_2019.toml",
                "--paths",
                "200",
                "--threads",
                "1",
            ],
        ),
        (
            "size",
            vec![
                "size",
                "deals/nanshan_gaoxintou_5_2022.toml",
                "--target",
                "A=AAA",
                "--paths",
                "200",
                "--threads",
                "1",
            ],
        ),
    ]
}

/// `--csv DIR` on run, sweep, breakeven, portfolio, rate and size (since session 29): every CSV file equals its Parquet table
/// (tests/python/check_csv.py, pyarrow).
#[test]
fn csv_copies_equal_the_parquet_tables() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deal = "tests/fixtures/portfolio/alpha.toml";
    let scen = "tests/fixtures/portfolio/rating.toml";
    let cases = copy_cases(deal, scen);
    for (name, mut args) in cases {
        let out = tmp.path().join(name);
        let csv = tmp.path().join(format!("{name}-csv"));
        let (o, c) = (out.display().to_string(), csv.display().to_string());
        args.extend(["--out", &o, "--csv", &c, "--quiet"]);
        let r = ipabs(&args);
        assert_eq!(r.status.code(), Some(0), "{name}: {}", text(&r.stderr));
        assert!(csv.read_dir().expect("csv dir").count() >= 1, "{name}");
        let check = Command::new("python3")
            .arg(root().join("tests/python/check_csv.py"))
            .arg(&out)
            .arg(&csv)
            .output()
            .expect("python3 runs");
        assert!(
            check.status.success(),
            "{name}: {}\n{}",
            text(&check.stdout),
            text(&check.stderr)
        );
    }
}

/// `--xlsx FILE` on run, sweep, breakeven, portfolio, rate and size (since session 29): read back with openpyxl
/// (tests/python/check_xlsx.py): overview sheet first, one sheet per table, frozen headers,
/// money formatted to the fen, dates as dates, every value equal to the Parquet table's.
#[test]
fn xlsx_workbooks_read_back_with_openpyxl() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deal = "tests/fixtures/portfolio/alpha.toml";
    let scen = "tests/fixtures/portfolio/rating.toml";
    let cases = copy_cases(deal, scen);
    for (name, mut args) in cases {
        let out = tmp.path().join(name);
        let book = tmp.path().join(format!("{name}.xlsx"));
        let (o, b) = (out.display().to_string(), book.display().to_string());
        args.extend(["--out", &o, "--xlsx", &b, "--quiet"]);
        let r = ipabs(&args);
        assert_eq!(r.status.code(), Some(0), "{name}: {}", text(&r.stderr));
        let check = Command::new("python3")
            .arg(root().join("tests/python/check_xlsx.py"))
            .arg(&book)
            .arg(&out)
            .output()
            .expect("python3 runs");
        assert!(
            check.status.success(),
            "{name} (pip install openpyxl, or run `bash .ci/run`): {}\n{}",
            text(&check.stdout),
            text(&check.stderr)
        );
        // The overview states the whole command line, whichever thread wrote the workbook
        // (review 38a item 3: `rate` and `size` write it from a worker of their pool, and
        // their `arguments` cell was empty).
        let cell = Command::new("python3")
            .args([
                "-c",
                "import sys, openpyxl\n\
                 ws = openpyxl.load_workbook(sys.argv[1])['overview']\n\
                 print(dict(ws.iter_rows(values_only=True))['arguments'])",
            ])
            .arg(&book)
            .output()
            .expect("python3 runs");
        let line = text(&cell.stdout);
        assert!(
            line.starts_with(&format!("ipabs {} ", args[0])) && line.contains("--xlsx"),
            "{name}: {line}{}",
            text(&cell.stderr)
        );
    }
}

/// `--html` and `--xlsx` paths whose directories do not exist are written there, as `--out`
/// makes its directory (the HTML report failed with "No such file or directory", exit 1, after
/// the Parquet files were written); only the file is left in each directory.
#[test]
fn report_and_workbook_directories_are_made() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let page = tmp.path().join("reports/2024/run.html");
    let book = tmp.path().join("books/2024/run.xlsx");
    let r = ipabs(&[
        "run",
        "deals/nanshan_gaoxintou_5_2022.toml",
        "--out",
        tmp.path().join("out").to_str().expect("utf-8"),
        "--html",
        page.to_str().expect("utf-8"),
        "--xlsx",
        book.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        std::fs::read_to_string(&page)
            .expect("page")
            .contains("<svg")
    );
    assert!(std::fs::read(&book).expect("workbook").starts_with(b"PK"));
    for dir in [
        tmp.path().join("reports/2024"),
        tmp.path().join("books/2024"),
    ] {
        assert_eq!(
            std::fs::read_dir(&dir).expect("listed").count(),
            1,
            "{}",
            dir.display()
        );
    }
}

/// `--html FILE`: one self-contained page (no script, no network) rendered in headless
/// Chromium (Debian package `chromium`, installed by .ci/run); the screenshot is not blank
/// (tests/python/check_png.py).
#[test]
fn html_report_renders_in_headless_chromium() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pf");
    let page = tmp.path().join("report.html");
    let r = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/cohort.toml",
        "--out",
        out.to_str().expect("utf-8"),
        "--html",
        page.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let html = std::fs::read_to_string(&page).expect("written");
    assert!(html.contains("<svg") && html.contains("Deals side by side"));
    for offline in ["<script", "http://", "https://"] {
        assert!(
            !html.contains(offline) || offline == "http://" && html.contains("www.w3.org/2000/svg"),
            "self-contained: {offline}"
        );
    }
    let png = tmp.path().join("report.png");
    let shot = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=900,1200",
            &format!("--screenshot={}", png.display()),
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs (apt-get install -y chromium, or run `bash .ci/run`)");
    assert!(png.is_file(), "no screenshot: {}", text(&shot.stderr));
    let check = Command::new("python3")
        .arg(root().join("tests/python/check_png.py"))
        .arg(&png)
        .output()
        .expect("python3 runs");
    assert!(check.status.success(), "{}", text(&check.stdout));
}

/// Every partition of a run table has one schema, so the dataset reads as one table without
/// `union_by_name`: `periods` carries `accounts_balance_end` and `pdl_balance_end` in every
/// partition, null for a deal without named accounts or a PDL. Before, only the accounts deal's
/// partitions had them; DuckDB then dropped the columns or stopped, by deal order, and polars
/// refused the union. Oracle: pyarrow reads each file's schema, DuckDB the dataset.
#[test]
fn partitions_of_a_table_share_one_schema() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pf");
    // A deal with a PDL and no named accounts has only the second optional column (review
    // 24f item 1: it came last but one, and stacking the --csv copies failed).
    let pdl = tmp.path().join("pdl_only.toml");
    let alpha =
        std::fs::read_to_string(root().join("tests/fixtures/portfolio/alpha.toml")).expect("alpha");
    // Its notices at 2 places, the others' at 4 (review 38b item 2: its partitions were
    // decimal(18, 2) and polars would not scan them with the others').
    std::fs::write(&pdl, alpha + "\n[pdl]\n\n[notices]\ndecimals = 2\n").expect("write");
    // The accounts deal first: its schema was the one DuckDB took from the first file.
    let o = ipabs(&[
        "portfolio",
        "deals/wenke_leasing_1_accounts_2018.toml",
        "deals/tianzhi_1_2024.toml",
        pdl.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--csv",
        tmp.path().join("csv").to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let script = r#"
import sys, pathlib, duckdb, pyarrow.parquet as pq
root = pathlib.Path(sys.argv[1])
for table in sorted(p for p in root.iterdir() if p.is_dir()):
    schemas = {str(pq.read_schema(f)) for f in table.rglob("*.parquet")}
    assert len(schemas) == 1, (table.name, len(schemas))
glob = str(root / "periods" / "*" / "*" / "*.parquet")
rows = duckdb.sql(
    f"SELECT deal, count(*), count(accounts_balance_end), count(pdl_balance_end) "
    f"FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY deal ORDER BY deal"
).fetchall()
for deal, n, accounts, pdl in rows:
    print(deal, n == accounts, n == pdl, accounts == 0, pdl == 0)
# The 2-place deal's figures at the portfolio's 4 places: whole hundredths, some above 0.
notices = root / "payment_notices" / "deal=pdl_only"
figures = [
    v
    for f in notices.rglob("*.parquet")
    for v in pq.read_table(f).column("total_per_100").to_pylist()
]
assert str(pq.read_schema(next(notices.rglob("*.parquet"))).field("total_per_100").type) == "decimal128(18, 4)"
assert figures and all(v == v.quantize(__import__("decimal").Decimal("0.01")) for v in figures)
assert any(v > 0 for v in figures)
"#;
    let check = Command::new("python3")
        .args(["-c", script, out.to_str().expect("utf-8")])
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "{}\n{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    // The accounts deal has a value on every date; tianzhi has none: all null; the PDL-only
    // deal has a PDL balance on every date and no account balance.
    assert_eq!(
        text(&check.stdout),
        "pdl_only False True True False\n\
         tianzhi_1_2024 False False True True\n\
         wenke_leasing_1_accounts_2018 True True False False\n"
    );
}

/// Under a scenario with named defaults (the concentration stresses) `deals.parquet` states no
/// break-even: the search replaces a scenario's named defaults with its own default rate, so
/// every concentration row repeated the base's BDR, pass and implied rating (AAA with a
/// coverage of 0.599 in one review's example). Elsewhere the rows carry the break-even's flags,
/// and the terminal prints `≥` before a BDR that is a lower bound. Oracle: `ipabs breakeven`
/// under the same scenario file and the standard suite; docs/breakeven.md gives gdd's A a
/// realised ratio of 69.0183% at R = 1 (a lower bound, `passes_at_one`). Since session 31 the
/// pass compares a TDR of 5 × 0.15 = 75% (AAA's multiplier of the default table is 5) with the
/// larger of that and the whole-obligor break-even's ratio: A survives all 11 obligors
/// defaulting on the first day (the undertaking pays), whose whole cutoff balance defaults, a
/// ratio of exactly 1, so the terminal prints `≥ 100.0000%` and A passes. The 69.0183% is
/// recomputed here from the deal file by [`gdd_ratio_at_one`], which shares no code with ipabs.
#[test]
fn concentration_rows_have_no_break_even_and_bounds_are_flagged() {
    assert_eq!(gdd_ratio_at_one(), dec!(0.690183));
    let tmp = tempfile::tempdir().expect("tempdir");
    let scen = tmp.path().join("r15.toml");
    std::fs::write(
        &scen,
        "[[scenarios]]\nname = \"base\"\n[rating]\nbase_default_rate = 0.15\n",
    )
    .expect("write");
    let (scen, pf, be) = (
        scen.to_str().expect("utf-8").to_string(),
        tmp.path().join("pf"),
        tmp.path().join("be"),
    );
    let deal = "deals/gdd_patent_licence_2019.toml";
    let o = ipabs(&[
        "portfolio",
        deal,
        "--scenarios",
        &scen,
        "--stress",
        "all",
        "--out",
        pf.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // Under the base alone the lowest BDR is the bound.
    let base_only = tmp.path().join("base-only");
    let o = ipabs(&[
        "portfolio",
        deal,
        "--scenarios",
        &scen,
        "--out",
        base_only.to_str().expect("utf-8"),
    ]);
    let stdout = text(&o.stdout);
    // The bound: max(69.0183%, 100%), the whole-obligor ratio.
    assert!(
        stdout.contains("≥ 100.0000%  base          75.00%  yes"),
        "{stdout}"
    );
    let o = ipabs(&[
        "breakeven",
        deal,
        "--scenarios",
        &scen,
        "--stress",
        "standard",
        "--out",
        be.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    let rows = read(&pf.join("deals.parquet"));
    let oracle = read(&be.join("breakeven.parquet"));
    let strs = |df: &DataFrame, c: &str| -> Vec<Option<String>> {
        let s = df.column(c).unwrap().cast(&DataType::String).unwrap();
        s.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    };
    let (scenario, bdr, pass, implied, bound, zero) = (
        strs(&rows, "scenario"),
        strs(&rows, "breakeven_default_rate"),
        strs(&rows, "pass"),
        strs(&rows, "implied_rating"),
        strs(&rows, "passes_at_one"),
        strs(&rows, "fails_at_zero"),
    );
    let tdr = strs(&rows, "target_default_rate");
    let (o_scen, o_bdr, o_bound) = (
        strs(&oracle, "scenario"),
        strs(&oracle, "breakeven_default_rate"),
        strs(&oracle, "passes_at_one"),
    );
    let (mut named, mut searched) = (0, 0);
    for i in 0..rows.height() {
        let name = scenario[i].as_deref().unwrap();
        // Every row keeps its TDR: AAA's 5 × 0.15.
        assert_eq!(tdr[i].as_deref(), Some("0.75000000"), "{name}");
        if name.starts_with("top") || name.starts_with("single:") {
            named += 1;
            for col in [&bdr, &pass, &implied, &bound, &zero] {
                assert_eq!(col[i], None, "{name}");
            }
        } else {
            searched += 1;
            let j = o_scen.iter().position(|s| s.as_deref() == Some(name));
            let j = j.unwrap_or_else(|| panic!("{name} not in breakeven.parquet"));
            assert_eq!((&bdr[i], &bound[i]), (&o_bdr[j], &o_bound[j]), "{name}");
            assert_eq!(zero[i].as_deref(), Some("false"), "{name}");
        }
    }
    // The standard suite's 21 and the base; gdd's 11 obligors give 11 single defaults and the
    // top-1/2/3 pairs (first, worst) 6.
    assert_eq!((searched, named), (22, 17));
    let base = scenario
        .iter()
        .position(|s| s.as_deref() == Some("base"))
        .unwrap();
    assert_eq!(bdr[base].as_deref(), Some("0.690183"));
    assert_eq!(
        (bound[base].as_deref(), pass[base].as_deref()),
        (Some("true"), Some("true"))
    );
    assert_eq!(
        strs(&rows, "breakeven_obligor_default_rate")[base].as_deref(),
        Some("1.000000")
    );
    let j = o_scen
        .iter()
        .position(|s| s.as_deref() == Some("base"))
        .unwrap();
    assert_eq!(
        strs(&oracle, "breakeven_obligors")[j].as_deref(),
        Some("11")
    );
}

/// The concentration of a pool at the input limits: two obligors of 2 × 10^14 and 10^14 yuan.
/// HHI = (2² + 1²) / 3² = 5/9 = 0.5555555…, rounded once, half away from zero, to 0.555556;
/// largest share 2/3 → 0.666667. Before, the squares (4 × 10^28 yuan², beyond Decimal's
/// 7.9 × 10^28 for the pool's 9 × 10^28) panicked in `portfolio` while `run` passed.
#[test]
fn concentration_of_a_pool_at_the_input_limits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("big.toml");
    std::fs::write(
        &path,
        r#"[deal]
name = "big"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-04-01, 2024-07-01]
legal_maturity = 2024-07-01
calendar = "weekends"

[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "licence"
schedule = [
  { date = 2024-03-15, principal = 100000000000000, interest = 0 },
  { date = 2024-06-15, principal = 100000000000000, interest = 0 },
]

[[obligors]]
name = "O2"
[[obligors.assets]]
kind = "licence"
schedule = [ { date = 2024-06-15, principal = 100000000000000, interest = 0 } ]

[[tranches]]
name = "A"
class = "senior"
balance = 300000000000000
coupon = 0.02
amortization = "pass_through"

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
]
"#,
    )
    .expect("write");
    let deal = load_deal(&path).expect("valid").deal;
    let f = deal_facts(&deal);
    assert_eq!(f.hhi, Some(dec!(0.555556)));
    assert_eq!(f.largest_obligor_share, Some(dec!(0.666667)));
    let o = ipabs(&[
        "portfolio",
        path.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("pf").to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// A name that would make a partition directory name longer than 255 bytes is a usage error
/// before anything runs (exit 2, nothing written), not an OS error after the whole run
/// (review 24c item 4). A scenario name of 27 CJK characters: `scenario=` (9 bytes) + 27 × 9
/// percent-encoded bytes = 252, fits; 28 make 261. A deal file stem of 29 CJK characters:
/// `deal=` (5) + 29 × 9 = 266.
#[test]
fn partition_names_beyond_255_bytes_are_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deal = root().join("tests/fixtures/portfolio/alpha.toml");
    let scen = |n: usize| {
        let p = tmp.path().join(format!("s{n}.toml"));
        std::fs::write(
            &p,
            format!("[[scenarios]]\nname = \"{}\"\n", "违".repeat(n)),
        )
        .expect("write");
        p
    };
    let run = |args: &[&str], out: &str| {
        let out = tmp.path().join(out);
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend([
            "--out".to_string(),
            out.display().to_string(),
            "--quiet".to_string(),
        ]);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        (ipabs(&refs), out)
    };
    let d = deal.to_str().expect("utf-8");
    let s27 = scen(27);
    let (o, _) = run(
        &["portfolio", d, "--scenarios", s27.to_str().unwrap()],
        "ok",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s28 = scen(28);
    let (o, out) = run(
        &["portfolio", d, "--scenarios", s28.to_str().unwrap()],
        "long",
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("`scenario=…` 261 bytes long"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    let long_stem = tmp.path().join(format!("{}.toml", "知".repeat(29)));
    std::fs::copy(&deal, &long_stem).expect("copy");
    let (o, out) = run(&["portfolio", long_stem.to_str().unwrap()], "stem");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("`deal=…` 266 bytes long"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
}

/// Two deal files of one `[deal] name` stay apart in the `--csv` copies (review 24c item 6):
/// every stacked run table and warnings.csv lead with `deal_id`, the file stem, as the hive
/// partitions' `deal` key does; `deal` keeps the name. alpha under two stems: each summary row
/// of one (run, tranche) appears once per id.
#[test]
fn csv_copies_name_the_deal_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("dir");
    let alpha = root().join("tests/fixtures/portfolio/alpha.toml");
    for stem in ["a1", "a2"] {
        std::fs::copy(&alpha, dir.join(format!("{stem}.toml"))).expect("copy");
    }
    let (out, csv) = (tmp.path().join("pf"), tmp.path().join("csv"));
    let o = ipabs(&[
        "portfolio",
        dir.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--csv",
        csv.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for file in ["summary.csv", "periods.csv", "warnings.csv"] {
        let body = std::fs::read_to_string(csv.join(file)).expect("csv");
        let mut lines = body.lines();
        assert!(
            lines.next().expect("header").starts_with("deal_id,"),
            "{file}"
        );
        let (a1, a2) = lines.fold((0, 0), |(x, y), l| {
            (
                x + usize::from(l.starts_with("a1,")),
                y + usize::from(l.starts_with("a2,")),
            )
        });
        assert_eq!(a1, a2, "{file}");
    }
    let summary = std::fs::read_to_string(csv.join("summary.csv")).expect("csv");
    assert!(summary.lines().filter(|l| l.starts_with("a1,")).count() > 0);
}

/// A cohort file's mistakes are located errors at their keys (review 24a: they were usage
/// errors without line or column), exit code 2, nothing written: a misspelt key (line 4),
/// and once it is fixed a deal that is not a file (line 3, the list's second element).
#[test]
fn cohort_file_mistakes_are_located() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = root().join("tests/fixtures/portfolio");
    let cohort = tmp.path().join("cohort.toml");
    // Absolute deal paths: `Path::join` keeps them, so the fixture need not be copied.
    let alpha = format!("{:?}", dir.join("alpha.toml").display().to_string());
    let out = tmp.path().join("out");
    let name = cohort.display().to_string();
    let run = |body: String| {
        std::fs::write(&cohort, body).expect("write");
        let o = ipabs(&["portfolio", &name, "--out", out.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(!out.exists());
        err
    };
    let err = run(format!(
        "[cohort]\nname = \"c\"\ndeals = [{alpha}]\nsenarios = \"rating.toml\"\n"
    ));
    assert!(
        err.contains(&format!(
            "error: {name}:4:1: cohort.senarios: unknown key `senarios` (did you mean `scenarios`?)"
        )),
        "{err}"
    );
    let err = run(format!(
        "[cohort]\nname = \"c\"\ndeals = [{alpha}, \"nope.toml\"]\n"
    ));
    // Column of `"nope.toml"`: after `deals = [`, the first name and `, `.
    let col = format!("deals = [{alpha}, ").chars().count() + 1;
    assert!(
        err.contains(&format!(
            "error: {name}:3:{col}: cohort.deals[1]: `nope.toml` is not a file"
        )),
        "{err}"
    );
    // A cohort listed as a deal (review 25d item 9: reported as an unknown key `cohort` in
    // the listed file), and a second deal file with the first one's stem `alpha`.
    let other = format!("{:?}", dir.join("cohort.toml").display().to_string());
    let sub = tmp.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::copy(dir.join("alpha.toml"), sub.join("alpha.toml")).expect("copy");
    let err = run(format!(
        "[cohort]\nname = \"c\"\ndeals = [{alpha}, {other}, \"sub/alpha.toml\"]\n"
    ));
    let col = format!("deals = [{alpha}, ").chars().count() + 1;
    assert!(
        err.contains(&format!("error: {name}:3:{col}: cohort.deals[1]: `"))
            && err.contains("is a cohort file; cohorts do not nest"),
        "{err}"
    );
    assert!(
        err.contains(
            "cohort.deals[2]: `sub/alpha.toml` has the id `alpha` (its file stem), as deals[0]"
        ),
        "{err}"
    );
    // The same deal file twice in the list, spelt another way (review 29a item 6: it ran
    // once, in silence).
    let again = format!("{:?}", dir.join("./alpha.toml").display().to_string());
    let err = run(format!(
        "[cohort]\nname = \"c\"\ndeals = [{alpha}, {again}]\n"
    ));
    assert!(
        err.contains(&format!(
            "error: {name}:3:{col}: cohort.deals[1]: `{}` is listed already, as deals[0]",
            dir.join("./alpha.toml").display()
        )),
        "{err}"
    );
}

/// A scenario with a CDR or an `overrides` rule's CDR or default rate has no break-even in
/// `deals.parquet`, as one with named defaults (review 25d item 3: its row repeated the BDR of
/// the same scenario without them, in silence): the search replaces them with its own default
/// rate. The scenario without either keeps its break-even.
#[test]
fn cdr_and_override_default_scenarios_have_no_break_even() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scen = tmp.path().join("s.toml");
    std::fs::write(
        &scen,
        "[[scenarios]]\nname = \"plain\"\n\n[[scenarios]]\nname = \"cdr\"\ncdr = 0.05\n\n\
         [[scenarios]]\nname = \"rule\"\noverrides = [ { obligor = \"O1\", default_rate = 0.2 } ]\n\n\
         [rating]\nbase_default_rate = 0.1\n",
    )
    .expect("write");
    let out = tmp.path().join("pf");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/alpha.toml",
        "--scenarios",
        scen.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows = read(&out.join("deals.parquet"));
    let scenario = rows
        .column("scenario")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let bdr = rows
        .column("breakeven_default_rate")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let (scenario, bdr) = (scenario.str().unwrap(), bdr.str().unwrap());
    let mut seen = 0;
    for (name, b) in scenario.iter().zip(bdr.iter()) {
        match name {
            Some("plain") => assert!(b.is_some(), "plain"),
            Some(n @ ("cdr" | "rule")) => assert_eq!(b, None, "{n}"),
            other => panic!("unexpected scenario {other:?}"),
        }
        seen += 1;
    }
    assert!(seen >= 3);
}

/// Every bad deal of a portfolio is reported in one run (review 25d item 9: only the first
/// bad deal's errors were shown): two deal files, each with one mistake, give two located
/// errors, exit code 2, nothing written.
#[test]
fn every_bad_deal_is_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a.toml"), tmp.path().join("b.toml"));
    std::fs::write(&a, "[deal]\nname = \"x\"\n").expect("write");
    std::fs::write(&b, "[deal]\nnme = \"y\"\n").expect("write");
    let out = tmp.path().join("out");
    let o = ipabs(&[
        "portfolio",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error: {}:1:1: deal.cutoff_date: missing required key `cutoff_date`",
            a.display()
        )) && err.contains(&format!(
            "error: {}:2:1: deal.nme: unknown key `nme`",
            b.display()
        )) && err.contains("2 errors"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A shared scenario file that fits only some deals names, with its error, the deals it holds
/// for (review 26b item 3: seven deals' errors were merged without a deal). `O1` is alpha's
/// obligor and not beta's (whose are P1–P3): the error holds for beta only. A syntax error in
/// the file holds for every deal, and is told once without a list.
#[test]
fn a_scenario_file_error_names_the_deals_it_holds_for() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scen = tmp.path().join("s.toml");
    std::fs::write(
        &scen,
        "[[scenarios]]\nname = \"o1\"\ndefaults = [ { obligor = \"O1\", date = 2024-05-01 } ]\n",
    )
    .expect("write");
    let run = |scen: &std::path::Path| {
        ipabs(&[
            "portfolio",
            "tests/fixtures/portfolio/alpha.toml",
            "tests/fixtures/portfolio/beta.toml",
            "--scenarios",
            scen.to_str().expect("utf-8"),
            "--out",
            tmp.path().join("pf").to_str().expect("utf-8"),
        ])
    };
    let o = run(&scen);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("no obligor named `O1` (for deal beta)"),
        "{err}"
    );
    std::fs::write(&scen, "[[scenarios]]\nname = \"x\"\ncdr = \n").expect("write");
    let o = run(&scen);
    let err = text(&o.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
    assert!(!err.contains("(for deal"), "{err}");
    // A third deal whose own file fails never reads the scenario file: the file's error is
    // still every deal's that read it, told without a list (review 26c item L3).
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/alpha.toml",
        "tests/fixtures/portfolio/beta.toml",
        "tests/bad_deals/295-obligor-table-typo.toml",
        "--scenarios",
        scen.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("pf").to_str().expect("utf-8"),
    ]);
    let err = text(&o.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        2,
        "{err}"
    );
    assert!(!err.contains("(for deal"), "{err}");
    // An obligor neither deal has is one mistake, told once though the deals' names differ
    // (O1, O2 against P1–P3; review 40b F5: once per deal, each with its own list).
    std::fs::write(
        &scen,
        "[[scenarios]]\nname = \"q9\"\ndefaults = [ { obligor = \"Q9\", date = 2024-05-01 } ]\n",
    )
    .expect("write");
    let o = run(&scen);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("no obligor named `Q9`\n"), "{err}");
    assert!(
        err.contains(
            "expected: what each deal allows, which differs between them: `ipabs check DEAL \
             --scenarios"
        ),
        "{err}"
    );
}

/// gdd's realised cumulative default ratio at `default_rate = 1` (review 27a item 3), from
/// docs/conventions.md's projection rules in integer fen, independently of ipabs: every
/// instalment of the file falls in its own collection period, so the even timing has m = 6
/// shares of 1/6. In each period an asset of cutoff balance B0 defaults D = min(fen(B0 / 6), B)
/// at the start, on its performing balance B; φ ← round12(φ × (B − D) / B); the instalment
/// pays principal min(fen(φ × principal), B − D). The ratio is ΣD / ΣB0 to 6 places, half up:
/// 207,745,009.99 / 301,000,000.00 = 0.69018276… → 0.690183.
fn gdd_ratio_at_one() -> rust_decimal::Decimal {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/gdd_patent_licence_2019.toml"),
    )
    .expect("the gdd deal");
    let file: toml::Table = text.parse().expect("TOML");
    let fen = |v: &toml::Value| -> i128 {
        let d: rust_decimal::Decimal = match v {
            toml::Value::String(s) => s.parse().expect("amount"),
            toml::Value::Integer(i) => (*i).into(),
            other => panic!("amount {other}"),
        };
        (d * dec!(100))
            .normalize()
            .to_string()
            .parse()
            .expect("whole fen")
    };
    // ⌊x / y + 1/2⌋ for x, y ≥ 0: half up.
    let round = |x: i128, y: i128| (2 * x + y) / (2 * y);
    const ONE: i128 = 1_000_000_000_000; // φ in units of 10^-12
    let (mut defaulted, mut cutoff) = (0i128, 0i128);
    for obligor in file["obligors"].as_array().expect("obligors") {
        for asset in obligor["assets"].as_array().expect("assets") {
            let schedule = asset["schedule"].as_array().expect("a schedule");
            assert_eq!(schedule.len(), 6);
            let principal: Vec<i128> = schedule.iter().map(|i| fen(&i["principal"])).collect();
            let b0: i128 = principal.iter().sum();
            let (mut b, mut phi) = (b0, ONE);
            for p in principal {
                let d = round(b0, 6).min(b);
                if b > 0 {
                    phi = round(phi * (b - d), b);
                }
                b -= d;
                defaulted += d;
                b -= round(phi * p, ONE).min(b);
            }
            cutoff += b0;
        }
    }
    assert_eq!((defaulted, cutoff), (20_774_500_999, 30_100_000_000));
    rust_decimal::Decimal::from_i128_with_scale(round(defaulted * 1_000_000, cutoff), 6)
}

/// A scenario file's warnings name the deal they are about (review 30e item 9): an event that
/// neither fixture deal's triggers watch is told once per deal, `(deal `alpha`)` and `(deal
/// `beta`)`, at its key (line 3, column 21: the name's value).
#[test]
fn a_scenario_file_warning_names_its_deal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("ev.toml");
    std::fs::write(
        &file,
        "[[scenarios]]\nname = \"base\"\nevents = [ { name = \"downgrade\", date = 2024-06-01 } ]\n",
    )
    .expect("written");
    let out = tmp.path().join("out");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/alpha.toml",
        "tests/fixtures/portfolio/beta.toml",
        "--scenarios",
        file.to_str().expect("utf-8"),
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for deal in ["alpha", "beta"] {
        assert!(
            err.contains(&format!(
                "ev.toml:3:21: scenarios[0].events[0].name: no trigger of the deal watches event \
                 `downgrade`; the deal has no `event` trigger: the event changes nothing (deal \
                 `{deal}`) [unwatched_event]"
            )),
            "{err}"
        );
    }
}

/// A scenario name too long for a partition directory is told with the name clipped (review
/// 33a item L1: 100,000 characters made a 300 KB error line): its first 266 and last 134
/// characters, and how many were left out (100,000 − 400 = 99,600).
#[test]
fn a_partition_name_problem_clips_the_name() {
    let name = "知".repeat(100_000);
    let problem =
        ipabs::output::portfolio::partition_key_problem("alpha", &name).expect("too long");
    assert!(
        problem.contains("(99600 characters left out)"),
        "{}",
        problem.len()
    );
    assert!(
        problem.chars().count() < 1_000,
        "{}",
        problem.chars().count()
    );
}

/// Partition keys every hive reader reads back as written (review 47c): the null sentinel
/// `__HIVE_DEFAULT_PARTITION__` needs no percent-encoding and read back as null (F2), and
/// scenarios `base` and `Base` make two directories on Linux but one on macOS or Windows (F3).
/// Both are usage errors before anything runs; `recovery-50%` beside `Recovery-50%` collides
/// once encoded (`recovery-50%25`), `S1` beside `S2` does not.
#[test]
fn partition_keys_that_would_not_read_back_are_refused() {
    use ipabs::output::portfolio::{case_collision, partition_key_problem};
    let p = partition_key_problem("alpha", "__HIVE_DEFAULT_PARTITION__").expect("refused");
    assert!(
        p.starts_with("scenario `__HIVE_DEFAULT_PARTITION__` is the hive layout's key for null"),
        "{p}"
    );
    assert!(partition_key_problem("__HIVE_DEFAULT_PARTITION__", "base").is_some());
    assert_eq!(
        partition_key_problem("alpha", "__hive_default_partition__"),
        None
    );
    assert_eq!(
        case_collision(&["S1", "base", "S2", "Base"]),
        Some(("base", "Base"))
    );
    assert_eq!(
        case_collision(&["recovery-50%", "Recovery-50%"]),
        Some(("recovery-50%", "Recovery-50%"))
    );
    assert_eq!(case_collision(&["S1", "S2", "base"]), None);
    // The command refuses before it runs: exit 2, nothing written.
    let tmp = tempfile::tempdir().expect("tempdir");
    let scen = tmp.path().join("case.toml");
    std::fs::write(
        &scen,
        "[[scenarios]]\nname = \"base\"\n\n[[scenarios]]\nname = \"Base\"\ncdr = 0.05\n",
    )
    .expect("write");
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(["portfolio", "deals/tianzhi_1_2024.toml", "--scenarios"])
        .arg(&scen)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("deal `tianzhi_1_2024`'s scenarios `base` and `Base` differ only in case"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Review 35b: `sweep --html` without `--flows` keeps no periods, so its page says so instead of
/// three charts with axes and legends and no data (F1); `reconcile --html` writes each warning
/// once prefixed, as the terminal does (F5: "warning: warning:").
#[test]
fn html_pages_without_periods_and_with_warnings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = |s: &str| tmp.path().join(s).to_str().expect("utf-8").to_string();
    let (out, page) = (p("sweep"), p("sweep.html"));
    let r = ipabs(&[
        "sweep",
        "deals/nanshan_gaoxintou_5_2022.toml",
        "--out",
        &out,
        "--html",
        &page,
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains(ipabs::output::html::NO_PERIODS), "{html}");
    assert!(!html.contains("points=\"\""), "an empty line chart");
    let (out, page) = (p("rec"), p("rec.html"));
    let r = ipabs(&[
        "reconcile",
        "tests/fixtures/auditing.toml",
        "--actuals",
        "tests/fixtures/auditing_actuals.toml",
        "--out",
        &out,
        "--html",
        &page,
        "--quiet",
    ]);
    // One reported line differs from the model by design (docs/auditing.md): exit 4.
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains("warning: "), "the warnings are on the page");
    assert!(!html.contains("warning: warning:"), "{html}");
}

/// Two files with one stem are refused, both named as given (review 40b F6: the first was
/// shown resolved to an absolute path, the second as typed); one file named twice is one deal.
#[test]
fn two_deals_with_one_id_are_named_as_given() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let other = tmp.path().join("alpha.toml");
    std::fs::copy("tests/fixtures/portfolio/beta.toml", &other).expect("copy");
    let o = ipabs(&[
        "portfolio",
        "tests/fixtures/portfolio/alpha.toml",
        other.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("pf").to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "two deals have the id `alpha` (the file stem): tests/fixtures/portfolio/alpha.toml \
             and {}; rename one",
            other.display()
        )),
        "{err}"
    );
    assert!(!tmp.path().join("pf").exists());
}

//! Byte-identity pins: every Parquet file that `ipabs run`, `ipabs sweep --stress all --flows`
//! and `ipabs sweep --stress all` write for the four example deals has the SHA-256 digest listed
//! in `tests/expected/outputs.sha256`, and the commands write no file the list does not name.
//! A deal writes 23 files: 9 by `run` (ledger, periods, pool_flows, summary, support,
//! tranche_flows, fees, payment_notices and, since session 31, warnings), those 8 and scenarios
//! and warnings by `sweep --flows`, and summary, tranche_flows, scenarios and warnings by `sweep`
//! without `--flows`: 92 files in all.
//!
//! The first 64 digests were written by the build at the start of the exactness and speed work
//! (commit 47289b8, before the exact-rounding, integer-fen and engine changes of issues #9 and
//! #10), so this test proves that those changes moved no fen and no byte of any example-deal
//! output. These are regression pins, the program's own output by design: an independent
//! check of the figures is in the hand-worked tests. A deliberate change to an example deal or
//! an output column must update the list, and say why in its commit (`sha256sum` of the files,
//! paths relative to the output root: `run-<deal>/`, `sweep-<deal>/` with `--flows`,
//! `sweepnf-<deal>/` without).
//!
//! Re-pinned so far: the eight `scenarios.parquet` files, when four columns were appended to
//! that table (index paths, index shift, clean-up call, overrides); their earlier columns were
//! checked equal to the previous build's; and the eight sweep `summary.parquet` files
//! (2026-12-05), when a tranche that receives nothing got a yield of −1 and its quoted price
//! instead of nulls (docs/analytics.md, "A tranche that receives nothing"): 43 of their 316
//! rows changed, in `yield_at_par`, `price` and `yield` only, each from null, in a row whose
//! tranche received 0.00; and four of the `scenarios.parquet` files again (2026-12-05), when
//! its text columns dropped trailing zeros (`0.30,0.30,0.20,0.20` became `0.3,0.3,0.2,0.2` in
//! `default_timing` of 12 rows, the same values); and 13 of wenke's 16 files (session 26), when
//! the wenke example came to pay on exchange trading days (`payment_days = "trading"`): its fifth
//! payment date moved from Sunday 2020-04-26, an adjusted working weekend, to Monday the 27th.
//! Checked against the previous build's files: every row of periods 1 to 3 is unchanged in every
//! scenario, and each of the senior's 480 interest amounts equals balance × 5% × days / 365
//! rounded half up on the new dates. 37 of the 64 are still 47289b8's.
//!
//! Re-pinned in session 28: the eight `scenarios.parquet` files, when `support_failures` was
//! appended to that table; checked against the previous build's (b4fde2b) files: the earlier
//! columns equal, the new column empty in every row, and every other file of both sweeps
//! byte-identical. Then the eight `payment_notices.parquet` files, when `face_per_100_after`
//! came to be written at the figures' four places (a decimal(18, 4) column, was money) and
//! `interest_residual` was appended (review 28b item 4): checked against b4fde2b's files, the
//! other columns equal, each face after cut to two places the old value, each interest
//! residual the tranche row's interest paid less the notice's, every other file of `run` and
//! both sweeps byte-identical.
//!
//! Re-pinned in session 29: nanshan's 14 sweep files (10 with `--flows`, 4 without), when the
//! example came to model its 基础资产保证人 as an `asset_guarantee` (担保代偿 of each defaulted
//! loan's principal, 代位追偿 of the recoveries) instead of a guarantee of the senior's
//! shortfalls. Its `run` files (the base case has no defaults) and every other deal's 66 files
//! are byte-identical to the previous commit's. Checked on the new files (pyarrow): in each of
//! the 40 scenarios the loan guarantee's total is the scenario's defaulted principal (0 where
//! `supports_off` leaves it out) and the ledger's `subrogation` is the lesser of the
//! recoveries and that total; the three `*-worst` scenarios moved their default dates (the
//! worst date for the deal changed with it).
//!
//! Re-pinned in session 30: six `payment_notices.parquet` files (`run` of gdd and wenke, and
//! `sweep --flows` of all four), when `face_per_100_after` became 100 less the principal per
//! 100 of the tranche's notices so far instead of the balance × 100 / B (review 30b item 1);
//! and nanshan's five sweep files with a coverage multiple (`periods`, `tranche_flows`,
//! `summary`, with and without `--flows`), when the coverage multiple stopped counting the
//! asset guarantee's payment as the pool's funds (review 30a item 2). Checked against the
//! previous build's (fd2d02f) files with pyarrow: in the notices every other column equal and
//! every face after 100 less the running principal per 100 (704 of 1,922 rows changed); in
//! nanshan's files only the coverage columns differ, unchanged in the 284 tranche rows whose
//! period has no guarantee payment or subrogation and, in the other 36, the old multiple less
//! (payment − recoveries paid back) / the denominator, floored at 0, within 1e-6 (rounding).
//! The other 77 files are byte-identical. Then the eight `scenarios.parquet` files again, when
//! `events` was appended to that table (the dated events of `event` triggers): checked against
//! the files before it with pyarrow, the earlier columns equal and the new one empty in every
//! row; every other file byte-identical. Then nanshan's five coverage files again, when the
//! multiple came to leave out the guarantor's money still held from earlier dates, not only
//! the date's payment (review 30c item 2): checked with pyarrow, only the coverage columns
//! differ; unchanged in the 266 tranche rows where nothing was held from an earlier date,
//! and in the other 54 the previous multiple less the held amount (from the ledger's
//! `guarantee_payment` and `periods.collection_balance_end`) over the denominator, floored at
//! 0, within 2e-6 (rounding).
//!
//! Re-pinned in session 31: the twelve `summary.parquet` files, when `support_drawn`,
//! `cumulative_default_ratio`, `first_trigger` and `first_trigger_date` were appended (review
//! 31c item 5). Checked against the previous build's (a2a2dbf) files with pyarrow: the earlier
//! columns equal; in each of the 640 rows `support_drawn` is the sum of the scenario's
//! `support.parquet` totals (216 rows above 0), `cumulative_default_ratio` its last
//! `periods.parquet` ratio, and the first trigger the first date with `triggers_tripped` (148
//! rows) and one of the names tripped then, the files of `sweep` without `--flows` checked
//! against those of `sweep --flows`; the other 76 files byte-identical. Then pinned the four
//! `warnings.parquet` files `run` came to write (review 31b item 2): the example deals' runs
//! print no warning, and each file is the empty table of `sweep`'s warnings columns (pyarrow);
//! the other 88 files byte-identical.
//!
//! Re-pinned in session 32: the eight `support.parquet` files, when `repaid` (what
//! `repay_support` steps paid back of the draws) was appended. Checked against the previous
//! build's (174ff4a) files with pyarrow: the earlier columns equal, `repaid` 0.00 in all 203
//! rows (no example deal repays a support) with the type of `total`; the other 84 files
//! byte-identical. The figure itself is tested by hand in `tests/hand_worked.rs`
//! (`a_repay_support_step_pays_back_the_undertakings_draws`). Then the eight `fees.parquet`
//! files, `charged` appended (review 32b item 7), and the eight `payment_notices.parquet`
//! files, `accrual_start`, `accrual_end`, `accrual_days` and `coupon` appended (item 6):
//! pyarrow against 7822b08's files, the earlier columns equal; in all 4,880 fee rows `charged`
//! is `due` less the previous date's `arrears` of the same item; in all 1,934 notice rows the
//! days are the ends' difference, each period's start the previous one's end, and the coupon
//! the tranche's `summary.parquet` coupon (every example coupon is fixed); the other 76 files
//! byte-identical. Then the six `periods.parquet` files of the deals with a reserve (gdd,
//! wenke, yongxing; `run` and `sweep --flows`), `reserve_target` appended (item 5): the earlier
//! columns equal, no null; wenke's first date 9,170,207.41, the figure review 32b worked by hand
//! from its target formula; the other 86 files byte-identical.
//!
//! Re-pinned in session 34: the eight `support.parquet` files, when `failed_from` (the first
//! payment date a failed provider paid nothing on; review 34c item M3) was appended. Checked
//! against the previous build's (26135af) files with pyarrow: the earlier columns equal,
//! `failed_from` null in all 203 rows (no example scenario fails a support); the other 84 files
//! byte-identical. The figure is tested by hand in `tests/hand_worked.rs`
//! (`a_support_fails_with_the_obligor_it_is_tied_to`, `a_support_failing_from_a_date_…`).
//! Then the twelve `summary.parquet` files, `paid_in_full` appended (review 34e item H1):
//! pyarrow against 26135af's files, the earlier columns equal in all 640 rows; in the 324 rows
//! whose run wrote every tranche row, `paid_in_full` is what the rows give (no date's interest
//! short and no balance after the last date), and 6 of the 640 rows differ from the end's
//! figures alone (interest missed and made good later); the sweeps with and without `--flows`
//! agree; the other 72 files byte-identical.
//!
//! Re-pinned in session 35: the eight `scenarios.parquet` files, when `coupon_shift` (the
//! spread compression a scenario adds to the senior and mezzanine coupons; review 35c G2) was
//! appended. Checked against the previous build's (3289619) files with pyarrow: the earlier
//! columns equal, `coupon_shift` 0 in all 316 rows (no example scenario shifts a coupon); the
//! other 84 files byte-identical. The figure is tested by hand in
//! `tests/fees_reserves_rates.rs` (`coupon_shift_raises_senior_coupons`).
//!
//! Re-pinned in session 36: the eight `support.parquet` files, when `interest_paid` and
//! `interest_unpaid` (a liquidity facility's interest on its draws, `interest_rate`; review
//! 35c G4) were appended. Checked against the previous build's (7b6b156) files with pyarrow:
//! the earlier columns equal, both new columns 0.00 in all 203 rows (no example support has an
//! `interest_rate`) with the type of `total`; the other 84 files byte-identical. The figures
//! are tested by hand in `tests/hand_worked.rs`
//! (`a_facility_is_paid_the_interest_on_its_draws_before_them`). Then the eight
//! `scenarios.parquet` files, when `revolving_yield_cut` and `purchase_cut` (the revolving
//! stresses; review 35c G3) were appended: pyarrow against 7b6b156's files, the earlier columns
//! equal, both new columns 0 in all 316 rows (no example deal revolves, so no suite adds them)
//! with the type of `coupon_shift`; the other 84 files equal to the pins (the support files as
//! re-pinned just above). Tested by hand in `tests/pool_forms.rs`
//! (`the_revolving_stresses_cut_the_purchases_and_their_yield`).
//!
//! Re-pinned in session 37: the eight `periods.parquet` files, when `guarantee_payment`,
//! `support_repaid`, `support_interest_paid`, `purchases` and `restated` were inserted after
//! `senior_balance_end` (before the optional columns, which `portfolio` puts last), so that
//! every row's sources equal its uses (docs/output.md, "The date's cash adds up"). Checked
//! against the previous build's (171191a; the 92 files of a build of f00e37b, whose later
//! commits changed no code on these paths, equal the pins) files with pyarrow: the earlier
//! columns equal in all 976 rows and in the same order around the new ones;
//! `guarantee_payment` is the date's ledger `guarantee_payment` (18 rows of nanshan's sweep
//! above 0), the four others 0.00 (no example deal repays a support, revolves or is
//! reconciled), each with the type of `support_draws`; the other 84 files byte-identical.
//! The figures are tested by hand in `tests/hand_worked.rs`, `tests/pool_forms.rs` and
//! `tests/auditing.rs`.
//!
//! Re-pinned in session 38: the eight `periods.parquet` files, when `commingled` was inserted
//! after `restated` (the pool cash a failed servicer kept, scenario `commingling`), and the
//! eight `scenarios.parquet` files, when `commingling_date` and `commingling_share` were
//! appended. Checked against the previous build's (e569dec) files with pyarrow: the earlier
//! columns equal in all 1,292 rows and in the same order around the new ones; `commingled`
//! 0.00 and `commingling_date` null, `commingling_share` 0 in every row (no example scenario
//! has a servicer failure); the other 76 files byte-identical. The figures are tested by hand
//! in `tests/hand_worked.rs`, `tests/accounts.rs` and `tests/auditing.rs`.
//!
//! Re-pinned in session 40: four `support.parquet` files (`run` and `sweep --flows` of gdd and
//! wenke), when review 40f found their support providers' text stating what no source says
//! (gdd's "the 2020 sister deal", a year the research only infers; wenke's full legal name of
//! 北京文投集团, which no source gives). Checked against the previous build's (7ba4599) files
//! with pyarrow: the same schema and rows (1 and 39 for gdd, 1 and 40 for wenke), every column
//! equal but `provider`, whose one text changed in each; the other 88 files byte-identical.
//!
//! Pinned later (session 27, review 27a item 1): the 24 files the list had left out since the
//! tables were added after 47289b8, `fees.parquet` and `payment_notices.parquet` of `run` and
//! `sweep --flows` and `warnings.parquet` of both sweeps, as the build of commit a4f0c13 wrote
//! them. Until then a change to them passed unseen.
//!
//! The commands run in the repository with the deal's relative path, as a user types it, so
//! that a location in a warning does not depend on where the repository is checked out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ipabs(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("ipabs runs");
    assert!(
        out.status.success(),
        "ipabs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn digest(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn example_deal_outputs_are_byte_identical_to_the_pinned_build() {
    let expected: BTreeMap<String, String> =
        std::fs::read_to_string(root().join("tests/expected/outputs.sha256"))
            .expect("the pin list exists")
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(h, p)| (p.to_string(), h.to_string()))
            .collect();
    assert_eq!(
        expected.len(),
        92,
        "4 deals × (9 run + 10 sweep + 4 trimmed sweep) files"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path();
    for deal in [
        "gdd_patent_licence_2019",
        "nanshan_gaoxintou_5_2022",
        "wenke_leasing_1_2018",
        "yongxing_guofu_ningbo_2024",
    ] {
        let file = format!("deals/{deal}.toml");
        let file = file.as_str();
        let dir = |kind: &str| out.join(format!("{kind}-{deal}"));
        let (run, sweep, trimmed) = (dir("run"), dir("sweep"), dir("sweepnf"));
        let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();
        ipabs(&["run", file, "--out", &s(&run), "--quiet"]);
        ipabs(&[
            "sweep",
            file,
            "--stress",
            "all",
            "--flows",
            "--out",
            &s(&sweep),
            "--quiet",
        ]);
        ipabs(&[
            "sweep",
            file,
            "--stress",
            "all",
            "--out",
            &s(&trimmed),
            "--quiet",
        ]);
    }
    // Every file written is pinned, and every pin is written.
    let mut written = Vec::new();
    for dir in std::fs::read_dir(out).expect("output root") {
        let dir = dir.expect("entry").path();
        for f in std::fs::read_dir(&dir).expect("output directory") {
            let f = f.expect("entry").path();
            let rel = f.strip_prefix(out).expect("under the root");
            written.push(rel.to_str().expect("utf-8 path").replace('\\', "/"));
        }
    }
    written.sort();
    let pinned: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(written, pinned, "the files written are the files pinned");
    let mut checked = 0;
    for (path, want) in &expected {
        let got = digest(&out.join(path));
        assert_eq!(&got, want, "{path} differs from the pinned build");
        checked += 1;
    }
    assert_eq!(checked, 92);
}

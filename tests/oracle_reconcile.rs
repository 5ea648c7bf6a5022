//! The independent oracle of `ipabs reconcile` (tests/oracle_reconcile/README.md): a Python
//! implementation of docs/auditing.md, written without reading `src/` and on top of the run
//! oracle of tests/oracle, recomputes every value `reconcile` writes (the run tables restated,
//! `reconciliation.parquet` with its notes by kind, `in_life.parquet`'s Art. 39 flags, the
//! ledger's waterfall rows and the restatement's nets) and `ipabs notice --actuals`'s figures,
//! for 25 cases of five example deals with actuals files written from the oracle's own
//! figures (reports as projected, a fen off, 拖欠, defaults by obligor and in pool totals,
//! triggers declared, notes of every kind), and compares them with this build's, exactly.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_value_of_the_reconcile_oracles_cases_equals_the_engines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("python3")
        .arg(root.join("tests/oracle_reconcile/reconcile_oracle.py"))
        .args(["--ipabs", env!("CARGO_BIN_EXE_ipabs")])
        .output()
        .expect("python3 runs (tests/oracle_reconcile needs Python 3.11+ with pyarrow)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    // Its last line: "25 cases, N values compared, N equal, 0 case(s) failing; T s".
    let last = out.lines().last().unwrap_or_default();
    let n: Vec<u64> = last
        .split([' ', ','])
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        matches!(n[..], [cases, compared, equal, 0, ..] if cases >= 25 && compared >= 25_000 && equal == compared),
        "{last}"
    );
}

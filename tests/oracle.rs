//! The independent oracle (tests/oracle/README.md): a Python implementation of the docs,
//! written without reading `src/`, recomputes every value of `ipabs run`'s tables for the nine
//! example deals in 192 cases (scenarios and deal variants: delays, defaults, recoveries, CDR,
//! CPR, curves, supports and the asset guarantee, named accounts, the PDL, the clean-up call,
//! per-unit notices, receivables, generated licence tables, fee kinds and caps, every trigger
//! condition with steps, cures and scenario events, a mezzanine tranche, reserve formulas and
//! step-downs, support caps, backing, interest and repayment, floating rates, revolving
//! purchases, income on cash held) and compares them with this build's Parquet files, exactly.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_value_of_the_oracles_cases_equals_the_engines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("python3")
        .arg(root.join("tests/oracle/oracle.py"))
        .args(["--ipabs", env!("CARGO_BIN_EXE_ipabs")])
        .output()
        .expect("python3 runs (tests/oracle needs Python 3.11+ with pyarrow)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    // Its last line: "192 cases, N values compared, N equal, 0 case(s) failing; T s". The
    // comparison is not empty: every case compares at least a thousand values.
    let last = out.lines().last().unwrap_or_default();
    let n: Vec<u64> = last
        .split([' ', ','])
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        matches!(n[..], [cases, compared, equal, 0, ..] if cases >= 192 && compared >= 192_000 && equal == compared),
        "{last}"
    );
}

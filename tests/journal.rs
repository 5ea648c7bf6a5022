//! `--journal FILE` (docs/output.md, "Journal"): the ledger as an hledger journal, the
//! trust's balances asserted after each payment date. hledger (Debian package `hledger`,
//! installed by .ci/run) is the independent oracle: it re-adds every posting, checks that each
//! transaction balances and that each asserted balance is the sum of the postings before it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ipabs(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ipabs runs")
}

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .to_string_lossy()
        .into_owned()
}

/// `hledger -f FILE check`: its exit status and its stderr.
fn hledger_check(journal: &Path) -> (bool, String) {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .arg("check")
        .output()
        .unwrap_or_else(|e| {
            panic!("hledger did not start ({e}): install it (`apt-get install hledger`)")
        });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `args` with `--journal j.journal` in a fresh directory and returns the journal's path
/// (the directory kept alive by the caller's `TempDir`).
fn journal_of(dir: &tempfile::TempDir, args: &[&str]) -> PathBuf {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--out", "out", "--journal", "j.journal", "--quiet"]);
    let out = ipabs(&all, dir.path());
    // reconcile exits 4 when a reported line differs; the files are written all the same.
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.path().join("j.journal")
}

/// The hand-worked deal's closing date and first payment date, each posting from the figures
/// tests/hand_worked.rs derives by hand (docs/conventions.md): the reserve funded at closing
/// with its 5,000 initial; period 1 collects 1,050,000 (O1 and O2 each 500,000 + 25,000); VAT
/// 0.0326 × 50,000 interest = 1,630.00; the fee 1,000.00; A's interest 1,800,000 × 0.04 ×
/// 91/365 = 17,950.684… → 17,950.68; A's pass-through principal 1,050,000 − 1,630 − 1,000 −
/// 17,950.68 = 1,029,419.32; the collection account then 0 and the reserve at its 5,000.
#[test]
fn the_hand_deal_journal_to_the_fen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = journal_of(&dir, &["run", &repo("tests/fixtures/hand_worked.toml")]);
    let text = std::fs::read_to_string(&j).expect("journal written");
    let p = |account: &str, amount: &str| format!("    {account:<44}  {amount:>18} CNY\n");
    let a = |account: &str, balance: &str| {
        format!("    {account:<44}  {:>18} CNY = {balance} CNY\n", "0.00")
    };
    let s = "o2-defaults";
    let expected = [
        "\n2024-01-01 (0.0) fund_reserve reserve\n    ; reserve funded at closing\n".to_string(),
        p(&format!("{s}:trust:reserve"), "5000.00"),
        p(&format!("{s}:originator"), "-5000.00"),
        "\n2024-04-01 (1.0) deposit collections\n    ; pool collections of the period\n".into(),
        p(&format!("{s}:trust:collection"), "1050000.00"),
        p(&format!("{s}:pool"), "-1050000.00"),
        "\n2024-04-01 (1.1) pay_tax vat\n    ; tax due\n".into(),
        p(&format!("{s}:tax:vat"), "1630.00"),
        p(&format!("{s}:trust:collection"), "-1630.00"),
        "\n2024-04-01 (1.2) pay_fee manager\n    ; fee due\n".into(),
        p(&format!("{s}:fee:manager"), "1000.00"),
        p(&format!("{s}:trust:collection"), "-1000.00"),
        "\n2024-04-01 (1.3) pay_interest A\n    ; interest due\n".into(),
        p(&format!("{s}:tranche:A"), "17950.68"),
        p(&format!("{s}:trust:collection"), "-17950.68"),
        "\n2024-04-01 (1.4) pay_principal A\n    ; principal\n".into(),
        p(&format!("{s}:tranche:A"), "1029419.32"),
        p(&format!("{s}:trust:collection"), "-1029419.32"),
        "\n2024-04-01 (1) balances after payment date 1\n".into(),
        a(&format!("{s}:trust:collection"), "0.00"),
        a(&format!("{s}:trust:reserve"), "5000.00"),
    ]
    .concat();
    // Up to the second date's first transaction.
    let body = text
        .split_once("\n2024-07-01")
        .map(|(head, _)| head)
        .expect("a second date");
    let start = body
        .find("\n\n2024-01-01")
        .expect("the closing date's entry")
        + 1;
    assert_eq!(&body[start..], expected.as_str());
    let (ok, err) = hledger_check(&j);
    assert!(ok, "{err}");
}

/// Every example deal, a per-unit deal (its 尾差 back from the tranches), a multi-scenario
/// file and a reconcile with its restatements: hledger finds every transaction balanced and
/// every asserted balance (collection, reserve, named accounts) the sum of the postings.
#[test]
fn hledger_checks_every_example_deal_and_a_reconcile() {
    let mut cases: Vec<Vec<String>> = std::fs::read_dir(repo("deals"))
        .expect("deals/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "cohort.toml"))
        .map(|p| vec!["run".into(), p.to_string_lossy().into_owned()])
        .collect();
    assert_eq!(cases.len(), 9, "the nine example deals");
    let scratch = tempfile::tempdir().expect("tempdir");
    // gdd with per-unit notices, under a grid of four scenarios (two default rates × two
    // recovery rates).
    let gdd = std::fs::read_to_string(repo("deals/gdd_patent_licence_2019.toml")).expect("gdd");
    let per_unit = scratch.path().join("gdd_per_unit.toml");
    let gdd = match gdd.contains("[notices]") {
        true => gdd.replacen("[notices]\n", "[notices]\nper_unit = true\n", 1),
        false => format!("{gdd}\n[notices]\nper_unit = true\n"),
    };
    std::fs::write(&per_unit, gdd).expect("write");
    let grid = scratch.path().join("grid.toml");
    std::fs::write(
        &grid,
        "[grid]\nname = \"g\"\ndefault_rate = [0.05, 0.3]\nrecovery_rate = [0.2, 0.4]\n",
    )
    .expect("write");
    cases.push(vec![
        "run".into(),
        per_unit.to_string_lossy().into_owned(),
        "--scenario".into(),
        grid.to_string_lossy().into_owned(),
    ]);
    // Two scenario names that clean to one account name, `a_b` (review 43f F1): `a_b` and
    // `a_b~2`, each asserted on its own.
    let names = scratch.path().join("names.toml");
    std::fs::write(
        &names,
        "[[scenarios]]\nname = \"a:b\"\n\n[[scenarios]]\nname = \"a_b\"\ndefault_rate = 0.05\n",
    )
    .expect("write");
    cases.push(vec![
        "run".into(),
        repo("tests/fixtures/hand_worked.toml"),
        "--scenario".into(),
        names.to_string_lossy().into_owned(),
    ]);
    // Names that start with what hledger reads at a posting's start (review 44c F4): `(base)`
    // beside a fee whose account then ends with `)` (a virtual posting), and `*s` beside `s`
    // (a status mark: they shared `s`'s accounts).
    let marks = scratch.path().join("marks.toml");
    std::fs::write(
        &marks,
        "[[scenarios]]\nname = \"(base)\"\n\n[[scenarios]]\nname = \"s\"\n\n\
         [[scenarios]]\nname = \"*s\"\ndefault_rate = 0.05\n\n[[scenarios]]\nname = \"[x]\"\n\n\
         [[scenarios]]\nname = \"!y\"\n",
    )
    .expect("write");
    let hw = std::fs::read_to_string(repo("tests/fixtures/hand_worked.toml")).expect("fixture");
    let fee_paren = scratch.path().join("fee_paren.toml");
    let renamed = hw.replace("\"manager\"", "\"manager (管理人)\"");
    assert_ne!(renamed, hw);
    std::fs::write(&fee_paren, renamed).expect("write");
    cases.push(vec![
        "run".into(),
        fee_paren.to_string_lossy().into_owned(),
        "--scenario".into(),
        marks.to_string_lossy().into_owned(),
    ]);
    cases.push(vec![
        "reconcile".into(),
        repo("tests/fixtures/auditing.toml"),
        "--actuals".into(),
        repo("tests/fixtures/auditing_actuals.toml"),
    ]);
    for args in &cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let j = journal_of(&dir, &args);
        let (ok, err) = hledger_check(&j);
        assert!(ok, "{args:?}: {err}");
        let text = std::fs::read_to_string(&j).expect("journal");
        assert!(text.contains("balances after payment date 1\n"), "{args:?}");
    }
}

/// The check can fail: one posting moved by a fen on both sides (the transaction still
/// balances) breaks the next assertion of the account, and hledger says which.
#[test]
fn a_fen_moved_fails_the_assertion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = journal_of(&dir, &["run", &repo("tests/fixtures/hand_worked.toml")]);
    let text = std::fs::read_to_string(&j).expect("journal");
    let bad = text
        .replacen(
            &format!("{:>18} CNY\n", "1630.00"),
            &format!("{:>18} CNY\n", "1630.01"),
            1,
        )
        .replacen(
            &format!("{:>18} CNY\n", "-1630.00"),
            &format!("{:>18} CNY\n", "-1630.01"),
            1,
        );
    assert_ne!(bad, text);
    std::fs::write(&j, bad).expect("write");
    let (ok, err) = hledger_check(&j);
    assert!(!ok);
    assert!(err.contains("balance assertion"), "{err}");
    assert!(err.contains("o2-defaults:trust:collection"), "{err}");
}

/// `--journal` is refused as the other copies are: on an input, on another copy's path, on an
/// existing file without `--force`; nothing is written then (exit code 2).
#[test]
fn journal_paths_are_refused_as_the_copies_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deal = dir.path().join("deal.toml");
    std::fs::copy(repo("tests/fixtures/hand_worked.toml"), &deal).expect("copy");
    let refused = |args: &[&str], says: &str| {
        let out = ipabs(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            !dir.path().join("out").exists(),
            "{args:?}: nothing written"
        );
    };
    refused(
        &["run", "deal.toml", "--out", "out", "--journal", "deal.toml"],
        "an input file of this command",
    );
    refused(
        &[
            "run",
            "deal.toml",
            "--out",
            "out",
            "--journal",
            "r.x",
            "--html",
            "r.x",
        ],
        "--html and --journal both name",
    );
    // A path spelled as a directory, not made yet (review 44c F11).
    refused(
        &["run", "deal.toml", "--out", "out", "--journal", "nd/"],
        "--journal nd/ ends with `/`, a directory",
    );
    // … or ending with `.` or `..`, which were refused only after the tables were written
    // (review 44c F11, left out in session 44).
    refused(
        &["run", "deal.toml", "--out", "out", "--journal", "nd/."],
        "--journal nd/. ends with `.`, a directory",
    );
    refused(
        &["run", "deal.toml", "--out", "out", "--xlsx", "nd/.."],
        "--xlsx nd/.. ends with `..`, a directory",
    );
    // The --out directory itself, not made yet (review 43f F8).
    refused(
        &["run", "deal.toml", "--out", "out", "--journal", "out"],
        "--journal out is the --out directory",
    );
    std::fs::write(dir.path().join("old.journal"), "x").expect("write");
    refused(
        &[
            "run",
            "deal.toml",
            "--out",
            "out",
            "--journal",
            "old.journal",
        ],
        "pass --force",
    );
    let out = ipabs(
        &[
            "run",
            "deal.toml",
            "--out",
            "out",
            "--journal",
            "old.journal",
            "--force",
            "--quiet",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("old.journal")).expect("journal");
    assert!(text.starts_with("; ipabs "));
    // A FIFO (as a device would be) is refused even with --force: the rename that puts the
    // journal in place would have replaced it with a regular file (review 44c F3).
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::fs::remove_dir_all(dir.path().join("out")).expect("clean");
    for flag in ["--journal", "--xlsx", "--html"] {
        refused(
            &["run", "deal.toml", "--out", "out", flag, "pipe", "--force"],
            "is not a regular file (a device, a FIFO or a socket)",
        );
    }
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the FIFO is kept"
    );
}

//! `--shard I/N` (docs/scale-out.md): the union of the N shards equals the one-machine run row
//! for row, for `sweep`, `breakeven` and `portfolio` (read back with DuckDB,
//! tests/python/check_shards.py), and `rate --merge` of the shards' patterns writes the same
//! bytes as one `rate` run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ipabs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("ipabs runs")
}

fn ok(args: &[&str]) {
    let o = ipabs(args);
    assert!(
        o.status.success(),
        "ipabs {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `args` on one machine into `one` and as `n` shards into `many`, then compares.
fn union_equals_one_run(args: &[&str], n: u32) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (one, many) = (tmp.path().join("one"), tmp.path().join("many"));
    ok(&[args, &["--quiet", "--out", s(&one)]].concat());
    // Shards in reverse order: the result does not depend on which finishes first.
    for i in (0..n).rev() {
        let shard = format!("{i}/{n}");
        ok(&[args, &["--quiet", "--shard", &shard, "--out", s(&many)]].concat());
    }
    let left: Vec<String> = std::fs::read_dir(&many)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "lock or temporary files left: {left:?}");
    let out = Command::new("python3")
        .arg(root().join("tests/python/check_shards.py"))
        .arg(&one)
        .arg(&many)
        .arg(n.to_string())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed"),
        "{args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sweep_shards_union_equals_one_sweep() {
    // 22 scenarios (the deal's own and 21 standard stresses) in 3 blocks of 7, 7 and 8.
    union_equals_one_run(
        &[
            "sweep",
            "deals/nanshan_gaoxintou_5_2022.toml",
            "--stress",
            "standard",
            "--flows",
        ],
        3,
    );
}

#[test]
fn breakeven_shards_union_equals_one_breakeven() {
    union_equals_one_run(
        &[
            "breakeven",
            "deals/gdd_patent_licence_2019.toml",
            "--stress",
            "standard",
        ],
        4,
    );
}

#[test]
fn portfolio_shards_union_equals_one_portfolio() {
    // Three deals of the fixture cohort in 2 blocks of 1 and 2 deals.
    union_equals_one_run(&["portfolio", "tests/fixtures/portfolio/cohort.toml"], 2);
}

/// A portfolio shard into the `--out` of an unsharded run, or of another splitting, would
/// replace that run's partitions of its deals, which `deals.parquet` still describes: refused
/// without `--force` (review 30a item 1: they were replaced, exit 0), the files untouched.
#[test]
fn a_portfolio_shard_does_not_replace_another_runs_partitions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let cohort = "tests/fixtures/portfolio/cohort.toml";
    ok(&["portfolio", cohort, "--quiet", "--out", s(&out)]);
    let part = out.join("summary/deal=alpha/scenario=base/part-0.parquet");
    let before = std::fs::read(&part).expect("a partition");
    let refused_with = |args: &[&str], why: &str| {
        let o = ipabs(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(why), "{err}");
    };
    let refused = |args: &[&str]| {
        refused_with(
            args,
            "already holds run tables of these deals (tranche_flows/deal=alpha/",
        );
        refused_with(args, "pass --force");
    };
    refused(&[
        "portfolio",
        cohort,
        "--quiet",
        "--shard",
        "0/2",
        "--out",
        s(&out),
    ]);
    assert_eq!(std::fs::read(&part).expect("still there"), before);
    assert!(!out.join("deals").exists(), "no shard file was written");
    // Another splitting of the same deals into one --out: the second is refused too, as a
    // second splitting of `deals` (since session 34, review 34g item M1).
    let split = tmp.path().join("split");
    ok(&[
        "portfolio",
        cohort,
        "--quiet",
        "--shard",
        "0/2",
        "--out",
        s(&split),
    ]);
    refused_with(
        &[
            "portfolio",
            cohort,
            "--quiet",
            "--shard",
            "1/4",
            "--out",
            s(&split),
        ],
        "already holds a 2-way split of `deals` (deals/shards=2)",
    );
    // With --force it replaces them.
    ok(&[
        "portfolio",
        cohort,
        "--quiet",
        "--shard",
        "0/2",
        "--force",
        "--out",
        s(&out),
    ]);
}

#[test]
fn rate_merge_of_shards_writes_the_one_machine_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (one, parts, merged) = (
        tmp.path().join("one"),
        tmp.path().join("parts"),
        tmp.path().join("merged"),
    );
    let deal = "deals/nanshan_gaoxintou_5_2022.toml";
    // 10000 paths in 3 blocks (0..3333, 3333..6666, 6666..10000): blocks that cut the
    // simulator's chunks of 4096 paths.
    let mc = ["--paths", "10000", "--seed", "9", "--quiet"];
    ok(&[&["rate", deal][..], &mc, &["--out", s(&one)]].concat());
    for i in 0..3 {
        let shard = format!("{i}/3");
        ok(&[
            &["rate", deal][..],
            &mc,
            &["--shard", &shard, "--out", s(&parts)],
        ]
        .concat());
    }
    // A merge before every shard is there is refused, naming the missing shard.
    let partial = tmp.path().join("partial");
    std::fs::create_dir_all(partial.join("patterns/shards=3/shard=0")).expect("mkdir");
    std::fs::copy(
        parts.join("patterns/shards=3/shard=0/part-0.parquet"),
        partial.join("patterns/shards=3/shard=0/part-0.parquet"),
    )
    .expect("copy");
    let o = ipabs(
        &[
            &["rate", deal][..],
            &mc,
            &["--merge", s(&partial), "--out", s(&merged)],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard 1/3 is missing"));
    // A merge with another seed is refused.
    let o = ipabs(&[
        "rate",
        deal,
        "--paths",
        "10000",
        "--seed",
        "8",
        "--quiet",
        "--merge",
        s(&parts),
        "--out",
        s(&merged),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--seed 9"));
    // Shards merged into another deal, or into an edited copy of this one, are refused (review
    // 31a item 1: tianzhi's shards merged into rugao's deal panicked; into a deal of the same
    // size, or an edited copy, they merged silently). tianzhi has nanshan's 12 obligors and 4
    // periods, so only the fingerprint tells them apart.
    let edited = tmp.path().join("edited.toml");
    let text = std::fs::read_to_string(root().join(deal)).expect("deal");
    std::fs::write(&edited, format!("{text}\n# edited\n")).expect("write");
    for other in [
        "deals/tianzhi_1_2024.toml",
        "deals/rugao_data_1_2025.toml",
        s(&edited),
    ] {
        let o = ipabs(
            &[
                &["rate", other][..],
                &mc,
                &["--merge", s(&parts), "--out", s(&merged)],
            ]
            .concat(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{other}: {err}");
        assert!(err.contains("written for other inputs"), "{other}: {err}");
        assert!(!merged.exists(), "{other}: nothing written");
    }
    // The same deal checked out with CRLF line endings is the same input (review 31d item
    // 10): its merge writes the one-machine bytes.
    let crlf = tmp.path().join("crlf.toml");
    std::fs::write(&crlf, text.replace('\n', "\r\n")).expect("write");
    let crlf_out = tmp.path().join("crlf_out");
    ok(&[
        &["rate", s(&crlf)][..],
        &mc,
        &["--merge", s(&parts), "--out", s(&crlf_out)],
    ]
    .concat());
    assert!(
        std::fs::read(one.join("rating.parquet")).expect("one")
            == std::fs::read(crlf_out.join("rating.parquet")).expect("crlf")
    );
    // A truncated shard is bad input (exit 2), not a failed write (review 31a item 9).
    let truncated = tmp.path().join("truncated");
    for i in 0..3 {
        let f = format!("patterns/shards=3/shard={i}/part-0.parquet");
        std::fs::create_dir_all(truncated.join(&f).parent().expect("dir")).expect("mkdir");
        let bytes = std::fs::read(parts.join(&f)).expect("shard");
        let keep = if i == 1 { 300 } else { bytes.len() };
        std::fs::write(truncated.join(&f), &bytes[..keep]).expect("write");
    }
    let o = ipabs(
        &[
            &["rate", deal][..],
            &mc,
            &["--merge", s(&truncated), "--out", s(&merged)],
        ]
        .concat(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a Parquet file, or truncated; run shard 1/3 again"),
        "{err}"
    );
    ok(&[
        &["rate", deal][..],
        &mc,
        &["--merge", s(&parts), "--out", s(&merged)],
    ]
    .concat());
    for f in [
        "default_distribution.parquet",
        "rating.parquet",
        "mc_tranches.parquet",
    ] {
        let a = std::fs::read(one.join(f)).expect("one-machine file");
        let b = std::fs::read(merged.join(f)).expect("merged file");
        assert!(a == b, "{f}: the merge of 3 shards differs from one run");
    }
}

/// `rate --merge --waterfall-shard J/M` runs block J of the merged run's distinct default
/// patterns through the waterfall; `rate --merge --outcomes` puts the blocks together and
/// writes the one-machine bytes (the outcomes are summed in pattern order, as one run sums
/// them).
#[test]
fn rate_waterfall_shards_write_the_one_machine_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = |name: &str| tmp.path().join(name);
    let deal = "deals/nanshan_gaoxintou_5_2022.toml";
    let mc = ["--paths", "10000", "--seed", "9", "--quiet"];
    let rate = |extra: &[&str]| ipabs(&[&["rate", deal][..], &mc, extra].concat());
    ok(&[&["rate", deal][..], &mc, &["--out", s(&dir("one"))]].concat());
    for i in 0..2 {
        let shard = format!("{i}/2");
        ok(&[
            &["rate", deal][..],
            &mc,
            &["--shard", &shard, "--out", s(&dir("parts"))],
        ]
        .concat());
    }
    // Three waterfall shards of the merged patterns.
    for j in 0..3 {
        let shard = format!("{j}/3");
        let o = rate(&[
            "--merge",
            s(&dir("parts")),
            "--waterfall-shard",
            &shard,
            "--out",
            s(&dir("outcomes")),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // A merge before every waterfall shard is there is refused, naming the missing one.
    let partial = dir("partial");
    std::fs::create_dir_all(partial.join("outcomes/shards=3/shard=0")).expect("mkdir");
    std::fs::copy(
        dir("outcomes").join("outcomes/shards=3/shard=0/part-0.parquet"),
        partial.join("outcomes/shards=3/shard=0/part-0.parquet"),
    )
    .expect("copy");
    let o = rate(&[
        "--merge",
        s(&dir("parts")),
        "--outcomes",
        s(&partial),
        "--out",
        s(&dir("refused")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("waterfall shard 1/3 is missing"));
    assert!(!dir("refused").join("mc_tranches.parquet").exists());
    // Outcomes of another run (5,000 paths: other counts, other patterns) are refused.
    let other = ["--paths", "5000", "--seed", "9", "--quiet"];
    ok(&[
        &["rate", deal][..],
        &other,
        &["--shard", "0/1", "--out", s(&dir("parts5"))],
    ]
    .concat());
    ok(&[
        &["rate", deal][..],
        &other,
        &[
            "--merge",
            s(&dir("parts5")),
            "--waterfall-shard",
            "0/1",
            "--out",
            s(&dir("outcomes5")),
        ],
    ]
    .concat());
    let o = rate(&[
        "--merge",
        s(&dir("parts")),
        "--outcomes",
        s(&dir("outcomes5")),
        "--out",
        s(&dir("refused")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("written by a run with --seed 9 --paths 5000"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A waterfall shard needs the patterns to merge.
    let o = rate(&["--waterfall-shard", "0/3", "--out", s(&dir("refused"))]);
    assert_eq!(o.status.code(), Some(2));
    ok(&[
        &["rate", deal][..],
        &mc,
        &[
            "--merge",
            s(&dir("parts")),
            "--outcomes",
            s(&dir("outcomes")),
            "--out",
            s(&dir("merged")),
        ],
    ]
    .concat());
    for f in [
        "default_distribution.parquet",
        "rating.parquet",
        "mc_tranches.parquet",
    ] {
        let a = std::fs::read(dir("one").join(f)).expect("one-machine file");
        let b = std::fs::read(dir("merged").join(f)).expect("merged file");
        assert!(
            a == b,
            "{f}: the waterfall shards' merge differs from one run"
        );
    }
}

/// Two splittings of one table in one output directory are refused, `--force` or not (since
/// session 34, review 34g item M1: a 2-way and a 3-way split of one sweep sat side by side and
/// the documented query read every row twice): the 3-way shard exits 2, names the 2-way split
/// and writes nothing; the 2-way split's other shard still runs. The same for `breakeven`.
#[test]
fn a_second_splitting_beside_another_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deal = "deals/nanshan_gaoxintou_5_2022.toml";
    for command in ["sweep", "breakeven"] {
        let out = tmp.path().join(command);
        let run = |shard: &str, force: bool| {
            let mut args = vec![
                command, deal, "--stress", "standard", "--quiet", "--shard", shard,
            ];
            args.extend(["--out", s(&out)]);
            if force {
                args.push("--force");
            }
            ipabs(&args)
        };
        assert!(run("0/2", false).status.success(), "{command}");
        for force in [false, true] {
            let o = run("0/3", force);
            assert_eq!(o.status.code(), Some(2), "{command}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("already holds a 2-way split of `"), "{err}");
        }
        let table = if command == "sweep" {
            "summary"
        } else {
            "breakeven"
        };
        assert!(!out.join(table).join("shards=3").exists(), "{command}");
        assert!(run("1/2", false).status.success(), "{command}");
    }
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("o");
    for bad in ["3/3", "1", "0/0", "a/2"] {
        let o = ipabs(&[
            "sweep",
            "tests/fixtures/hand_worked.toml",
            "--shard",
            bad,
            "--out",
            s(&out),
        ]);
        assert_eq!(o.status.code(), Some(2), "--shard {bad}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("is not a shard"));
    }
    let o = ipabs(&[
        "sweep",
        "tests/fixtures/hand_worked.toml",
        "--shard",
        "0/2",
        "--csv",
        s(&tmp.path().join("csv")),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists(), "nothing is written");
}

/// A support provider with a credit (docs/rating.md §7) is one more credit of the patterns: a
/// merge of shards takes its defaults (its index follows the obligors'), and writes the bytes
/// of one run. Oracle: one `rate` on one machine, file for file; and the provider's defaults
/// change `mc_tranches.parquet` against the same deal with the support untagged (so the
/// merged files do hold them).
#[test]
fn rate_merge_keeps_a_providers_defaults() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text =
        std::fs::read_to_string(root().join("deals/nanshan_gaoxintou_5_2022.toml")).expect("deal");
    let anchor = "covers = [\"senior_interest\", \"senior_principal\"]\n";
    assert_eq!(text.matches(anchor).count(), 1);
    let tagged = text.replace(
        anchor,
        &format!("{anchor}tags = {{ pd = \"0.3\", region = \"深圳\" }}\n"),
    );
    let (deal, bare) = (tmp.path().join("tagged.toml"), tmp.path().join("bare.toml"));
    std::fs::write(&deal, tagged).expect("write");
    std::fs::write(&bare, &text).expect("write");
    let (one, parts, merged, untagged) = (
        tmp.path().join("one"),
        tmp.path().join("parts"),
        tmp.path().join("merged"),
        tmp.path().join("untagged"),
    );
    let mc = ["--paths", "3000", "--seed", "4", "--quiet"];
    ok(&[&["rate", s(&deal)][..], &mc, &["--out", s(&one)]].concat());
    ok(&[&["rate", s(&bare)][..], &mc, &["--out", s(&untagged)]].concat());
    for i in 0..2 {
        let shard = format!("{i}/2");
        ok(&[
            &["rate", s(&deal)][..],
            &mc,
            &["--shard", &shard, "--out", s(&parts)],
        ]
        .concat());
    }
    ok(&[
        &["rate", s(&deal)][..],
        &mc,
        &["--merge", s(&parts), "--out", s(&merged)],
    ]
    .concat());
    let read = |d: &Path, f: &str| std::fs::read(d.join(f)).expect("file");
    for f in [
        "default_distribution.parquet",
        "rating.parquet",
        "mc_tranches.parquet",
    ] {
        assert_eq!(read(&one, f), read(&merged, f), "{f}");
    }
    assert_eq!(
        read(&one, "default_distribution.parquet"),
        read(&untagged, "default_distribution.parquet")
    );
    assert_ne!(
        read(&one, "mc_tranches.parquet"),
        read(&untagged, "mc_tranches.parquet")
    );
}

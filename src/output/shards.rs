//! `rate --shard I/N` and `rate --merge DIR`: the simulated default patterns of a block of
//! paths, an exactly additive partial result; `rate --merge DIR --waterfall-shard J/M` and
//! `--outcomes DIR`: the waterfall outcomes of a block of the distinct patterns
//! (docs/scale-out.md).
//!
//! `patterns/shards=N/shard=I/part-0.parquet` has one row per distinct default pattern of the
//! shard's paths: `pattern` (`obligor:period` pairs, 0-based indices, `;`-separated, in obligor
//! order; empty for no default), `paths` (how many of the shard's paths had it), and the run's
//! `seed`, `shard_paths` (paths in the block) and `total_paths` (paths of the whole run), and
//! `inputs` (the [`fingerprint`] of the deal and scenario files), so that a merge checks it
//! adds up shards of one run of the same files.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::analytics::rating::{PathOutcome, Pattern, Simulation};
use crate::deal::Deal;
use crate::error::Error;
use crate::shard::Shard;

/// The table name of the patterns (a dataset directory).
pub const PATTERNS_FILE: &str = "patterns.parquet";

fn fail(path: &Path, message: impl ToString) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The fingerprint of a shard's inputs: 64-bit FNV-1a over each part's length (8 bytes,
/// little-endian) and bytes, as 16 hex digits. The parts are the deal file's bytes and the
/// scenario file's (empty without one), without a byte-order mark and with CRLF line endings
/// read as LF. Not a security hash: it tells a shard of another deal,
/// another version of the deal, or another scenario file from one of these (review 31a item 1).
pub fn fingerprint(parts: &[&[u8]]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for part in parts {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part);
    }
    format!("{h:016x}")
}

fn encode(p: &Pattern) -> String {
    p.iter()
        .map(|(o, k)| format!("{o}:{k}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn decode(s: &str) -> Option<Pattern> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(';')
        .map(|pair| {
            let (o, k) = pair.split_once(':')?;
            Some((o.parse().ok()?, k.parse().ok()?))
        })
        .collect()
}

/// The patterns table of one shard's simulation, of inputs with [`fingerprint`] `inputs`.
pub fn patterns_frame(
    sim: &Simulation,
    (seed, total_paths): (u64, u64),
    inputs: &str,
) -> Result<DataFrame, Error> {
    let n = sim.patterns.len();
    let to_i64 = |x: u64| i64::try_from(x).map_err(|e| fail(Path::new(PATTERNS_FILE), e));
    let counts: Vec<i64> = sim
        .patterns
        .values()
        .map(|&c| to_i64(c))
        .collect::<Result<_, _>>()?;
    let columns = vec![
        Column::new(
            "pattern".into(),
            sim.patterns.keys().map(encode).collect::<Vec<String>>(),
        ),
        Column::new("paths".into(), counts),
        Column::new("seed".into(), vec![seed.to_string(); n]),
        Column::new("shard_paths".into(), vec![to_i64(sim.paths)?; n]),
        Column::new("total_paths".into(), vec![to_i64(total_paths)?; n]),
        Column::new("inputs".into(), vec![inputs; n]),
    ];
    DataFrame::new(n, columns).map_err(|e| fail(Path::new(PATTERNS_FILE), e))
}

/// The N shards of the one `shards=N` directory under `dir`'s dataset of `table` (what a merge
/// puts together), and that dataset's directory: refuses none or several splittings, naming
/// `flag`.
fn splitting(dir: &Path, table: &str, flag: &str) -> Result<(Vec<Shard>, PathBuf), Error> {
    let root = dir.join(table.trim_end_matches(".parquet"));
    let usage = |m: String| Error::Usage(m);
    let mut counts: Vec<u64> = std::fs::read_dir(&root)
        .map_err(|e| usage(format!("{flag}: cannot read {}: {e}", root.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("shards=")?
                .parse::<u64>()
                .ok()
        })
        .collect();
    counts.sort_unstable();
    match counts.as_slice() {
        &[count] => Ok((
            (0..count).map(|index| Shard { index, count }).collect(),
            root,
        )),
        _ => Err(usage(format!(
            "{flag}: {} must hold the shards of one run (one shards=N directory), found {}",
            root.display(),
            counts.len()
        ))),
    }
}

/// Shard `shard` of `dir`'s dataset of `table`, read whole, with its path: a missing file is a
/// usage error whose message is `missing(path, error)`.
fn read_shard(
    dir: &Path,
    table: &str,
    shard: Shard,
    missing: impl FnOnce(&Path, std::io::Error) -> String,
) -> Result<(PathBuf, DataFrame), Error> {
    let path = dir.join(shard.file(table));
    let file = File::open(&path).map_err(|e| Error::Usage(missing(&path, e)))?;
    // A shard that is not Parquet (truncated, or another file) is bad input, not a failed
    // write (review 31a item 9: it was exit 1, "cannot write").
    let df = ParquetReader::new(file).finish().map_err(|e| {
        Error::Usage(format!(
            "cannot read {} ({e}): not a Parquet file, or truncated; run shard {shard} again",
            path.display()
        ))
    })?;
    Ok((path, df))
}

/// The inputs a merge expects of its shards: their [`fingerprint`], and the pool's obligors
/// and periods, which bound a pattern's indices.
#[derive(Debug, Clone, Copy)]
pub struct ShardInputs<'a> {
    /// The `fingerprint` of this merge's deal and scenario files, which every shard must carry.
    pub fingerprint: &'a str,
    /// The pool's obligors and the support providers with a credit (docs/rating.md §7): a
    /// pattern's obligor indices (a provider's after the obligors') must be below it.
    pub obligors: usize,
    /// The deal's periods: a pattern's period indices must be below it.
    pub periods: usize,
}

/// The check a merge makes of a shard's `inputs` column: the deal and scenario files of the
/// shard's run are these (same fingerprint).
fn same_inputs(found: &str, expected: &str) -> Result<(), String> {
    if found == expected {
        return Ok(());
    }
    Err(format!(
        "written for other inputs (fingerprint {found}; this merge's deal and scenario files \
         give {expected}): merge the shards with the deal and scenario files they were run \
         with (an edit, even of a comment, makes another file; line endings do not; \
         docs/scale-out.md)"
    ))
}

/// Reads and adds up the N shards of `dir/patterns/shards=N/`: refuses a missing shard, a
/// shard of other inputs (deal or scenario file), seed or path count, a pattern beyond the
/// pool's obligors or periods, or patterns that do not add up to `paths`.
pub fn merge_patterns(
    dir: &Path,
    (seed, paths): (u64, u64),
    inputs: ShardInputs<'_>,
) -> Result<Simulation, Error> {
    let usage = |m: String| Error::Usage(m);
    let (shards, _) = splitting(dir, PATTERNS_FILE, "--merge")?;
    let mut sim = Simulation {
        paths: 0,
        patterns: BTreeMap::new(),
    };
    for shard in shards {
        let (path, df) = read_shard(dir, PATTERNS_FILE, shard, |path, e| {
            format!(
                "--merge: shard {shard} is missing ({}: {e}); run `ipabs rate --shard {shard}` first",
                path.display()
            )
        })?;
        let bad = |m: &str| usage(format!("--merge: {}: {m}", path.display()));
        let col = |name: &str| df.column(name).map_err(|e| bad(&e.to_string()));
        let pattern = col("pattern")?
            .str()
            .map_err(|e| bad(&e.to_string()))?
            .clone();
        let n = col("paths")?
            .i64()
            .map_err(|e| bad(&e.to_string()))?
            .clone();
        let seeds = col("seed")?.str().map_err(|e| bad(&e.to_string()))?.clone();
        let shard_paths = col("shard_paths")?
            .i64()
            .map_err(|e| bad(&e.to_string()))?
            .clone();
        let total = col("total_paths")?
            .i64()
            .map_err(|e| bad(&e.to_string()))?
            .clone();
        let fingerprints = col("inputs")
            .map_err(|_| {
                bad("no `inputs` column (written by an older ipabs): run the shards again")
            })?
            .str()
            .map_err(|e| bad(&e.to_string()))?
            .clone();
        let expected_block = shard.range(paths);
        let mut part = Simulation {
            paths: expected_block.end - expected_block.start,
            patterns: BTreeMap::new(),
        };
        let mut sum = 0u64;
        for i in 0..df.height() {
            let (Some(p), Some(c), Some(s), Some(sp), Some(t), Some(f)) = (
                pattern.get(i),
                n.get(i),
                seeds.get(i),
                shard_paths.get(i),
                total.get(i),
                fingerprints.get(i),
            ) else {
                return Err(bad("a null value"));
            };
            same_inputs(f, inputs.fingerprint).map_err(|m| bad(&m))?;
            if s != seed.to_string() || t as u64 != paths || sp as u64 != part.paths {
                return Err(bad(&format!(
                    "written by a run with --seed {s} --paths {t} (block of {sp} paths); this \
                     merge has --seed {seed} --paths {paths} (block of {} paths)",
                    part.paths
                )));
            }
            let p = decode(p).ok_or_else(|| bad(&format!("`{p}` is not a pattern")))?;
            if let Some(&(o, k)) = p
                .iter()
                .find(|&&(o, k)| o as usize >= inputs.obligors || k as usize >= inputs.periods)
            {
                return Err(bad(&format!(
                    "a pattern names obligor {o} in period {k} (0-based); this deal has {} \
                     obligors (with its providers that have a credit) and {} periods",
                    inputs.obligors, inputs.periods
                )));
            }
            let c = c as u64;
            sum += c;
            *part.patterns.entry(p).or_insert(0) += c;
        }
        if sum != part.paths {
            return Err(bad(&format!(
                "its patterns count {sum} paths, its block has {}",
                part.paths
            )));
        }
        sim.add(part);
    }
    Ok(sim)
}

/// The table name of the waterfall outcomes (a dataset directory).
pub const OUTCOMES_FILE: &str = "outcomes.parquet";

/// The outcomes table of one waterfall shard: one row per pattern of `patterns` and tranche
/// of the deal, `outcomes[i][t]` of pattern i and tranche t; with the run's `seed`,
/// `total_paths` and the number of distinct patterns of the whole run (`patterns`), so that a
/// merge checks it puts together shards of one run.
pub fn outcomes_frame(
    deal: &Deal,
    patterns: &[&Pattern],
    outcomes: &[Vec<PathOutcome>],
    (seed, total_paths, all_patterns): (u64, u64, usize),
    inputs: &str,
) -> Result<DataFrame, Error> {
    let file = Path::new(OUTCOMES_FILE);
    let nt = deal.tranches.len();
    let n = patterns.len() * nt;
    let (mut pattern, mut tranche) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut failed, mut loss, mut wal) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (p, o) in patterns.iter().zip(outcomes) {
        let code = encode(p);
        for (t, x) in deal.tranches.iter().zip(o) {
            pattern.push(code.clone());
            tranche.push(t.name.clone());
            failed.push(x.not_paid_in_full);
            // A summary's loss is whole fen; anything else would not come back exactly.
            if !crate::money::is_fen(x.loss) {
                return Err(fail(file, format!("a loss of {} is not whole fen", x.loss)));
            }
            loss.push(i64::try_from(crate::money::to_fen(x.loss)).map_err(|e| fail(file, e))?);
            wal.push(x.wal_years);
        }
    }
    let to_i64 = |x: u64| i64::try_from(x).map_err(|e| fail(file, e));
    let columns = vec![
        Column::new("pattern".into(), pattern),
        Column::new("tranche".into(), tranche),
        Column::new("not_paid_in_full".into(), failed),
        Column::new("loss_fen".into(), loss),
        Column::new("wal_years".into(), wal),
        Column::new("seed".into(), vec![seed.to_string(); n]),
        Column::new("total_paths".into(), vec![to_i64(total_paths)?; n]),
        Column::new("patterns".into(), vec![to_i64(all_patterns as u64)?; n]),
        Column::new("inputs".into(), vec![inputs; n]),
    ];
    DataFrame::new(n, columns).map_err(|e| fail(file, e))
}

/// Reads the M waterfall shards of `dir/outcomes/shards=M/` and returns the outcomes of every
/// pattern of `sim`, in its order: refuses a missing shard, a shard of another run (seed, path
/// count, number of patterns), a pattern or tranche it does not know, a pattern given twice,
/// and a pattern no shard gives.
pub fn merge_outcomes(
    dir: &Path,
    deal: &Deal,
    sim: &Simulation,
    (seed, paths): (u64, u64),
    inputs: &str,
) -> Result<Vec<Vec<PathOutcome>>, Error> {
    let usage = |m: String| Error::Usage(m);
    let (shards, root) = splitting(dir, OUTCOMES_FILE, "--outcomes")?;
    let index: BTreeMap<String, usize> = sim
        .patterns
        .keys()
        .enumerate()
        .map(|(i, p)| (encode(p), i))
        .collect();
    let nt = deal.tranches.len();
    let mut got: Vec<Option<Vec<PathOutcome>>> = vec![None; index.len()];
    for shard in shards {
        let (path, df) = read_shard(dir, OUTCOMES_FILE, shard, |path, e| {
            format!(
                "--outcomes: waterfall shard {shard} is missing ({}: {e}); run `ipabs rate \
                 --merge DIR --waterfall-shard {shard}` first",
                path.display()
            )
        })?;
        let bad = |m: &str| usage(format!("--outcomes: {}: {m}", path.display()));
        let col = |name: &str| df.column(name).map_err(|e| bad(&e.to_string()));
        let err = |e: PolarsError| bad(&e.to_string());
        let pattern = col("pattern")?.str().map_err(err)?.clone();
        let tranche = col("tranche")?.str().map_err(err)?.clone();
        let failed = col("not_paid_in_full")?.bool().map_err(err)?.clone();
        let loss = col("loss_fen")?.i64().map_err(err)?.clone();
        let wal = col("wal_years")?.f64().map_err(err)?.clone();
        let seeds = col("seed")?.str().map_err(err)?.clone();
        let total = col("total_paths")?.i64().map_err(err)?.clone();
        let all = col("patterns")?.i64().map_err(err)?.clone();
        let fingerprints = col("inputs")
            .map_err(|_| {
                bad("no `inputs` column (written by an older ipabs): run the waterfall shards again")
            })?
            .str()
            .map_err(err)?
            .clone();
        if df.height() % nt.max(1) != 0 {
            return Err(bad(&format!(
                "{} rows are not whole patterns of {nt} tranches",
                df.height()
            )));
        }
        for r in (0..df.height()).step_by(nt.max(1)) {
            let (Some(p), Some(s), Some(t), Some(a), Some(f)) = (
                pattern.get(r),
                seeds.get(r),
                total.get(r),
                all.get(r),
                fingerprints.get(r),
            ) else {
                return Err(bad("a null value"));
            };
            same_inputs(f, inputs).map_err(|m| bad(&m))?;
            if s != seed.to_string() || t as u64 != paths || a as usize != index.len() {
                return Err(bad(&format!(
                    "written by a run with --seed {s} --paths {t} and {a} distinct patterns; \
                     this merge has --seed {seed} --paths {paths} and {} distinct patterns",
                    index.len()
                )));
            }
            let &k = index
                .get(p)
                .ok_or_else(|| bad(&format!("pattern `{p}` is not one of this run's")))?;
            let mut row = Vec::with_capacity(nt);
            for (ti, t) in deal.tranches.iter().enumerate() {
                let j = r + ti;
                let (Some(pj), Some(name), Some(f), Some(l)) =
                    (pattern.get(j), tranche.get(j), failed.get(j), loss.get(j))
                else {
                    return Err(bad("a null value"));
                };
                if pj != p || name != t.name {
                    return Err(bad(&format!(
                        "row {j}: expected tranche `{}` of pattern `{p}`, found `{name}` of \
                         `{pj}`",
                        t.name
                    )));
                }
                row.push(PathOutcome {
                    not_paid_in_full: f,
                    loss: crate::money::from_fen(i128::from(l))
                        .ok_or_else(|| bad("a loss beyond Decimal's range"))?,
                    wal_years: wal.get(j),
                });
            }
            if got[k].replace(row).is_some() {
                return Err(bad(&format!("pattern `{p}` is given twice")));
            }
        }
    }
    if let Some(k) = got.iter().position(Option::is_none) {
        let p = index
            .iter()
            .find(|(_, i)| **i == k)
            .map_or(String::new(), |(p, _)| p.clone());
        return Err(usage(format!(
            "--outcomes: no waterfall shard in {} gives pattern `{p}`; the shards are of \
             another merge",
            root.display()
        )));
    }
    Ok(got.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_round_trip_as_text() {
        let p: Pattern = vec![(0, 3), (12, 0)];
        assert_eq!(encode(&p), "0:3;12:0");
        assert_eq!(decode("0:3;12:0"), Some(p));
        assert_eq!(decode(""), Some(Vec::new()));
        assert_eq!(decode("0:x"), None);
    }

    /// FNV-1a 64's published test vectors (offset basis for no input; "a"), and the
    /// length-prefixed parts: ["ab"] and ["a", "b"] differ.
    #[test]
    fn fingerprints_are_fnv1a_of_length_prefixed_parts() {
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        // One part "a": FNV-1a over [1, 0, 0, 0, 0, 0, 0, 0, b'a'].
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in [1u8, 0, 0, 0, 0, 0, 0, 0, b'a'] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        assert_eq!(fingerprint(&[b"a"]), format!("{h:016x}"));
        assert_ne!(fingerprint(&[b"ab"]), fingerprint(&[b"a", b"b"]));
    }

    /// A pattern naming an obligor or period the merging deal does not have is refused (exit
    /// 2), not read out of bounds (review 31a item 1 panicked), even with a matching
    /// fingerprint: one shard of 1 path whose pattern is obligor 5 in period 0.
    #[test]
    fn a_pattern_beyond_the_pool_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sim = Simulation {
            paths: 1,
            patterns: BTreeMap::from([(vec![(5, 0)], 1)]),
        };
        let mut df = patterns_frame(&sim, (7, 1), "f").expect("frame");
        let file = tmp
            .path()
            .join(Shard { index: 0, count: 1 }.file(PATTERNS_FILE));
        std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
        ParquetWriter::new(File::create(&file).expect("create"))
            .finish(&mut df)
            .expect("write");
        let merge = |obligors: usize, fp: &str| {
            merge_patterns(
                tmp.path(),
                (7, 1),
                ShardInputs {
                    fingerprint: fp,
                    obligors,
                    periods: 4,
                },
            )
        };
        let e = merge(5, "f").expect_err("refused");
        assert!(matches!(e, Error::Usage(_)), "{e}");
        assert!(
            e.to_string()
                .contains("a pattern names obligor 5 in period 0 (0-based); this deal has 5 obligors (with its providers that have a credit) and 4 periods"),
            "{e}"
        );
        let e = merge(6, "g").expect_err("refused");
        assert!(
            e.to_string()
                .contains("written for other inputs (fingerprint f;"),
            "{e}"
        );
        assert_eq!(merge(6, "f").expect("merges").paths, 1);
    }
}

//! `rate --shard I/N` and `rate --merge DIR`: the simulated default patterns of a block of
//! paths, an exactly additive partial result; `rate --merge DIR --waterfall-shard J/M` and
//! `--outcomes DIR`: the waterfall outcomes of a block of the distinct patterns
//! (docs/scale-out.md).
//!
//! `patterns/shards=N/shard=I/part-0.parquet` has one row per distinct default pattern of the
//! shard's paths: `pattern` (`obligor:period` pairs, 0-based indices, `;`-separated, in obligor
//! order; empty for no default), `paths` (how many of the shard's paths had it), and the run's
//! `seed`, `shard_paths` (paths in the block) and `total_paths` (paths of the whole run), so
//! that a merge checks it adds up shards of one run.

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

/// The patterns table of one shard's simulation.
pub fn patterns_frame(sim: &Simulation, seed: u64, total_paths: u64) -> Result<DataFrame, Error> {
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
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| fail(&path, e))?;
    Ok((path, df))
}

/// Reads and adds up the N shards of `dir/patterns/shards=N/`: refuses a missing shard, a
/// shard of another seed or path count, or patterns that do not add up to `paths`.
pub fn merge_patterns(dir: &Path, seed: u64, paths: u64) -> Result<Simulation, Error> {
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
        let expected_block = shard.range(paths);
        let mut part = Simulation {
            paths: expected_block.end - expected_block.start,
            patterns: BTreeMap::new(),
        };
        let mut sum = 0u64;
        for i in 0..df.height() {
            let (Some(p), Some(c), Some(s), Some(sp), Some(t)) = (
                pattern.get(i),
                n.get(i),
                seeds.get(i),
                shard_paths.get(i),
                total.get(i),
            ) else {
                return Err(bad("a null value"));
            };
            if s != seed.to_string() || t as u64 != paths || sp as u64 != part.paths {
                return Err(bad(&format!(
                    "written by a run with --seed {s} --paths {t} (block of {sp} paths); this \
                     merge has --seed {seed} --paths {paths} (block of {} paths)",
                    part.paths
                )));
            }
            let p = decode(p).ok_or_else(|| bad(&format!("`{p}` is not a pattern")))?;
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
        if df.height() % nt.max(1) != 0 {
            return Err(bad(&format!(
                "{} rows are not whole patterns of {nt} tranches",
                df.height()
            )));
        }
        for r in (0..df.height()).step_by(nt.max(1)) {
            let (Some(p), Some(s), Some(t), Some(a)) =
                (pattern.get(r), seeds.get(r), total.get(r), all.get(r))
            else {
                return Err(bad("a null value"));
            };
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
}

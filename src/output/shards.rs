//! `rate --shard I/N` and `rate --merge DIR`: the simulated default patterns of a block of
//! paths, an exactly additive partial result (docs/scale-out.md).
//!
//! `patterns/shards=N/shard=I/part-0.parquet` has one row per distinct default pattern of the
//! shard's paths: `pattern` (`obligor:period` pairs, 0-based indices, `;`-separated, in obligor
//! order; empty for no default), `paths` (how many of the shard's paths had it), and the run's
//! `seed`, `shard_paths` (paths in the block) and `total_paths` (paths of the whole run), so
//! that a merge checks it adds up shards of one run.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::analytics::rating::{Pattern, Simulation};
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

/// Reads and adds up the N shards of `dir/patterns/shards=N/`: refuses a missing shard, a
/// shard of another seed or path count, or patterns that do not add up to `paths`.
pub fn merge_patterns(dir: &Path, seed: u64, paths: u64) -> Result<Simulation, Error> {
    let root = dir.join(PATTERNS_FILE.trim_end_matches(".parquet"));
    let usage = |m: String| Error::Usage(m);
    let mut counts: Vec<u64> = std::fs::read_dir(&root)
        .map_err(|e| usage(format!("--merge: cannot read {}: {e}", root.display())))?
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
    let [count] = counts.as_slice() else {
        return Err(usage(format!(
            "--merge: {} must hold the shards of one run (one shards=N directory), found {}",
            root.display(),
            counts.len()
        )));
    };
    let mut sim = Simulation {
        paths: 0,
        patterns: BTreeMap::new(),
    };
    for index in 0..*count {
        let shard = Shard {
            index,
            count: *count,
        };
        let path = dir.join(shard.file(PATTERNS_FILE));
        let file = File::open(&path).map_err(|e| {
            usage(format!(
                "--merge: shard {shard} is missing ({}: {e}); run `ipabs rate --shard {shard}` first",
                path.display()
            ))
        })?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| fail(&path, e))?;
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

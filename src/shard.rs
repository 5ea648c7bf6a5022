//! `--shard I/N`: one of N deterministic parts of a command's work (docs/scale-out.md).
//!
//! The work is a list (scenarios for `sweep` and `breakeven`, deals for `portfolio`, path
//! numbers for `rate`); shard I of N takes the contiguous block `[⌊I·n/N⌋, ⌊(I+1)·n/N⌋)`, so
//! the N blocks partition the list and, concatenated in shard order, give it back in its order.
//! Each shard writes its rows under `TABLE/shards=N/shard=I/part-0.parquet` of one
//! hive-partitioned dataset: the union of the N shards, ordered by `shard` and then by row,
//! equals the one-machine table row for row.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Shard `index` of `count` (0 ≤ index < count), as `--shard I/N` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0 (`I` of `--shard I/N`).
    pub index: u64,
    /// How many shards the work is split into (`N`), 1 to `MAX_SHARDS`.
    pub count: u64,
}

/// Most shards a command may be split into.
pub const MAX_SHARDS: u64 = 1_000_000;

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "`{s}` is not a shard: expected I/N with 0 ≤ I < N ≤ {MAX_SHARDS}, e.g. 0/4 \
                 (Kubernetes: --shard $JOB_COMPLETION_INDEX/N)"
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// This shard's block of `0..n`: `[⌊I·n/N⌋, ⌊(I+1)·n/N⌋)`.
    pub fn range(self, n: u64) -> Range<u64> {
        let at = |i: u64| (u128::from(i) * u128::from(n) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// This shard's block of `items`.
    pub fn slice<T>(self, items: &[T]) -> &[T] {
        let r = self.range(items.len() as u64);
        &items[r.start as usize..r.end as usize]
    }

    /// Where this shard writes the table that a one-machine run writes as `file`
    /// (`summary.parquet` → `summary/shards=N/shard=I/part-0.parquet`).
    pub fn file(self, file: &str) -> String {
        let table = file.strip_suffix(".parquet").unwrap_or(file);
        format!(
            "{table}/shards={}/shard={}/part-0.parquet",
            self.count, self.index
        )
    }

    /// The first shard also writes what belongs to no block (the deal's and scenario file's
    /// own warnings).
    pub fn is_first(self) -> bool {
        self.index == 0
    }

    /// The lock directory of this shard inside the output directory: shards writing into
    /// the same dataset at once lock their own part, not the whole directory.
    pub fn lock_dir(self) -> String {
        format!(".shard-{}-of-{}.lock", self.index, self.count)
    }
}

/// The table and the shard count N of a path [`Shard::file`] writes
/// (`summary/shards=4/shard=0/part-0.parquet` → (`summary`, `4`)); None for another path.
pub fn split_of(file: &str) -> Option<(&str, &str)> {
    let (table, rest) = file.split_once("/shards=")?;
    Some((table, rest.split('/').next().unwrap_or("")))
}

/// `name` where a run with `shard` writes it: unchanged without a shard.
pub fn file_name(shard: Option<Shard>, name: &str) -> String {
    match shard {
        Some(s) => s.file(name),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shards_file_gives_back_its_table_and_count() {
        let s = Shard {
            index: 2,
            count: 12,
        };
        assert_eq!(
            split_of(&s.file("summary.parquet")),
            Some(("summary", "12"))
        );
        assert_eq!(split_of("summary.parquet"), None);
    }

    #[test]
    fn blocks_partition_the_list_in_order() {
        // 7 items in 3 shards: ⌊0·7/3⌋ = 0, ⌊7/3⌋ = 2, ⌊14/3⌋ = 4, ⌊21/3⌋ = 7.
        let s = |i| Shard { index: i, count: 3 };
        assert_eq!(s(0).range(7), 0..2);
        assert_eq!(s(1).range(7), 2..4);
        assert_eq!(s(2).range(7), 4..7);
        // More shards than items: some blocks are empty, none overlap.
        let t = |i| Shard { index: i, count: 4 };
        let all: Vec<u64> = (0..4).flat_map(|i| t(i).range(2)).collect();
        assert_eq!(all, vec![0, 1]);
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert_eq!(
            Shard { index: 2, count: 5 }.file("summary.parquet"),
            "summary/shards=5/shard=2/part-0.parquet"
        );
    }
}

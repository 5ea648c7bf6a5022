//! A large deal file loaded in pieces.
//!
//! toml lexes a whole document into tokens, turns them into events and builds a tree of
//! B-tree tables from them, all in memory at once: about 36 bytes for every byte of text, 1.7
//! GB for a pool of 200,000 obligors. A deal's pool is one array of tables, `[[obligors]]`.
//! So a large file is cut before `[[obligors]]` header lines into pieces of about
//! [`PIECE_BYTES`]; each piece is parsed, added to the [`SourceIndex`] and deserialized on its
//! own, and only one piece's tokens and tree are in memory at a time.
//!
//! Only a file that loads without a syntax or type error is loaded this way. When a piece does
//! not parse or deserialize, or a top-level key other than `obligors` is in two pieces (which
//! TOML allows for `[a.b]` and `[a.c]`, or forbids for a table written twice), the whole file is
//! loaded as before, so that every message is the one the whole file gives. A cut that falls
//! inside a multi-line string, array or inline table leaves the piece before it unclosed,
//! which does not parse.

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::spans::SourceIndex;
use crate::error::Error;
use crate::schema;

/// The size of a piece: a cut is made at the first `[[obligors]]` line this far past the
/// last cut. Files under twice this size are loaded whole. 64 KiB loaded the 10,000-loan deal
/// faster than 1 MiB (its pieces' tokens and trees reuse the same memory) at the same peak.
pub(super) const PIECE_BYTES: usize = 1 << 16;

/// The key of the pool's array of tables.
const POOL: &str = "obligors";

/// Parses and deserializes a deal file (BOM already stripped), in pieces of about
/// `piece_bytes` when it is large and loads without error; else whole
/// ([`SourceIndex::load`]).
pub(super) fn load_deal<'a>(
    file: &'a str,
    text: &'a str,
    piece_bytes: usize,
) -> Result<(SourceIndex<'a>, schema::DealFile), Error> {
    match in_pieces(file, text, piece_bytes) {
        Some(loaded) => Ok(loaded),
        None => SourceIndex::load::<schema::DealFile>(file, text),
    }
}

/// The pool's elements of one piece.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pool {
    #[serde(default)]
    obligors: Vec<schema::Obligor>,
}

/// The file loaded in pieces; None when it is small, or when it must be loaded whole.
fn in_pieces<'a>(
    file: &'a str,
    text: &'a str,
    piece_bytes: usize,
) -> Option<(SourceIndex<'a>, schema::DealFile)> {
    if text.len() < piece_bytes.saturating_mul(2) {
        return None;
    }
    let cuts = cuts(text, piece_bytes);
    if cuts.len() < 2 {
        return None;
    }
    let mut index = SourceIndex::for_pieces(file, text);
    let mut array = (None, 0);
    let mut rest = DeTable::new();
    let mut obligors = Vec::new();
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(text.len()));
    for (n, (start, end)) in starts.zip(ends).enumerate() {
        let table = DeTable::parse(text.get(start..end)?).ok()?;
        // The text before the first `[[obligors]]` line must not hold the pool (as `obligors
        // = […]`, or `[obligors]`), and no other top-level key may be in two pieces.
        let clash = table.get_ref().iter().any(|(k, _)| {
            let key = k.get_ref().as_ref();
            if key == POOL {
                n == 0
            } else {
                rest.contains_key(key)
            }
        });
        if clash {
            return None;
        }
        index.add_piece(start, &table, POOL, &mut array);
        let mut pool = DeTable::new();
        for (k, v) in table.into_inner() {
            if k.get_ref() == POOL {
                pool.insert(k, v);
            } else {
                rest.insert(k, v);
            }
        }
        let de = toml::de::Deserializer::from(Spanned::new(0..0, pool));
        obligors.extend(Pool::deserialize(de).ok()?.obligors);
    }
    let de = toml::de::Deserializer::from(Spanned::new(0..0, rest));
    let mut raw = schema::DealFile::deserialize(de).ok()?;
    raw.obligors = obligors;
    Some((index, raw))
}

/// Where the pieces after the first start: the first `[[obligors]]` header line, then each
/// such line at least `piece_bytes` past the last cut.
fn cuts(text: &str, piece_bytes: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let far = cuts.last().is_none_or(|&c| start - c >= piece_bytes);
        if far && is_pool_header(line) {
            cuts.push(start);
        }
        start += line.len();
    }
    cuts
}

/// `[[obligors]]`, with blanks around the name and a comment after it allowed.
fn is_pool_header(line: &str) -> bool {
    let blank = |c: char| c == ' ' || c == '\t';
    let Some(rest) = line.trim_start_matches(blank).strip_prefix("[[") else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(blank).strip_prefix(POOL) else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(blank).strip_prefix("]]") else {
        return false;
    };
    let rest = rest.trim_start_matches(blank);
    rest.is_empty() || rest.starts_with(['#', '\n']) || rest.starts_with("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_headers() {
        assert!(is_pool_header("[[obligors]]\n"));
        assert!(is_pool_header("  [[ obligors ]] # the pool\r\n"));
        assert!(is_pool_header("[[obligors]]"));
        assert!(!is_pool_header("[[obligors.assets]]\n"));
        assert!(!is_pool_header("[obligors]\n"));
        assert!(!is_pool_header("# [[obligors]]\n"));
        assert!(!is_pool_header("[[obligors]] x\n"));
        let text = "[deal]\n[[obligors]]\na = 1\n[[obligors]]\n[[obligors]]\nb = 2\n";
        // The headers start at bytes 7, 26 and 39. Cut at the first, then at each header at
        // least 20 bytes past the last cut (26 - 7 = 19 is not).
        assert_eq!(cuts(text, 20), vec![7, 39]);
        assert_eq!(cuts(text, 1), vec![7, 26, 39]);
    }

    /// Every example deal (each has at least two obligors) cut before every `[[obligors]]`:
    /// the same index entries, the same raw deal and the same validated deal and warnings as
    /// the file loaded whole.
    #[test]
    fn pieces_load_as_the_whole_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deals");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("deals/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        assert!(files.len() >= 5);
        for path in files {
            let text = std::fs::read_to_string(&path).expect("reads");
            if !text.contains("[[obligors]]") {
                continue; // not a deal file
            }
            let (whole_index, whole_raw) =
                SourceIndex::load::<schema::DealFile>("d.toml", &text).expect("loads whole");
            let (index, raw) = in_pieces("d.toml", &text, 1)
                .unwrap_or_else(|| panic!("{} loads in pieces", path.display()));
            assert!(cuts(&text, 1).len() >= 2);
            assert_eq!(index.entries_for_test(), whole_index.entries_for_test());
            assert_eq!(format!("{raw:?}"), format!("{whole_raw:?}"));
            let whole = super::super::deal_from_text("d.toml", &text, usize::MAX);
            let cut = super::super::deal_from_text("d.toml", &text, 1);
            assert_eq!(format!("{cut:?}"), format!("{whole:?}"));
        }
    }

    /// What TOML allows or forbids across the cuts is left to the whole file: the pool
    /// written before the first header, a table written again after the pool (an error), a
    /// table's sub-tables on both sides of the pool (allowed by TOML), a cut inside a
    /// multi-line string, a type error in a later piece.
    #[test]
    fn what_crosses_a_cut_is_loaded_whole() {
        let deal = include_str!("../../deals/tianzhi_1_2024.toml");
        assert!(in_pieces("d.toml", deal, 1).is_some());
        let second = "[[obligors]]\nname = \"Borrower-02 (illustrative)\"";
        assert!(deal.contains(second));
        let cases = [
            deal.replacen("[deal]", "obligors = []\n[deal]", 1),
            deal.replacen("[scenario]", "[deal]\nname = \"again\"\n[scenario]", 1),
            deal.replacen("[[obligors]]", "[scenario.x]\n[[obligors]]", 1),
            deal.replacen(second, &format!("note = \"\"\"\n{second}\n\"\"\""), 1),
            deal.replacen(second, "[[obligors]]\nname = 2", 1),
        ];
        for text in &cases {
            assert!(in_pieces("d.toml", text, 1).is_none(), "{text}");
            let whole = SourceIndex::load::<schema::DealFile>("d.toml", text);
            let loaded = load_deal("d.toml", text, 1);
            assert_eq!(
                format!("{:?}", loaded.map(|(i, r)| (i.entries_for_test(), r))),
                format!("{:?}", whole.map(|(i, r)| (i.entries_for_test(), r)))
            );
        }
    }
}

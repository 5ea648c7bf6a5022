//! docs/sources.md and its citations agree: every source it lists is cited by its label
//! somewhere else in the repository, and every label a deal file or a doc cites is listed.
//!
//! A label is cited as `[S20]` (several in one pair of brackets are separated by commas:
//! `[S2, S12]`). The labels are those of sources.md's tables: a row that starts `| LABEL |`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `S2`, `G18`, `H2024`, `HS2024`, `NF10`, `R7`, `D4`, `P1` and `HCN`: a prefix of capital letters and,
/// except for `HCN`, a number.
fn is_label(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_uppercase());
    let prefix = &s[..s.len() - digits.len()];
    (s == "HCN")
        || (matches!(prefix, "S" | "G" | "H" | "HS" | "R" | "D" | "NF" | "P")
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The labels cited in `text`: every bracketed list whose items are all labels.
fn cited(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices('[') {
        let rest = &text[i + 1..];
        let Some(end) = rest.find(']') else { continue };
        let items: Vec<&str> = rest[..end].split(',').map(str::trim).collect();
        if items.iter().all(|s| is_label(s)) {
            out.extend(items.iter().map(|s| s.to_string()));
        }
    }
    out
}

/// The labels sources.md lists: the first cell of its table rows.
fn listed() -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/sources.md")).expect("read");
    text.lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
        .filter(|cell| is_label(cell))
        .map(str::to_string)
        .collect()
}

/// Every text file under `dir` (relative to the repository), recursively.
fn files(dir: &str, out: &mut Vec<PathBuf>) {
    let path = Path::new(ROOT).join(dir);
    if path.is_file() {
        out.push(path);
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(&path)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let rel = p
            .strip_prefix(ROOT)
            .expect("inside")
            .to_str()
            .expect("utf-8");
        if p.is_dir() {
            files(rel, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("md" | "toml" | "rs" | "txt" | "py")
        ) && !rel.ends_with("docs/sources.md")
            // This file's own examples are not citations.
            && !rel.ends_with("tests/sources.rs")
        {
            out.push(p);
        }
    }
}

fn cited_in(dirs: &[&str]) -> BTreeSet<String> {
    let mut paths = Vec::new();
    for d in dirs {
        files(d, &mut paths);
    }
    paths
        .iter()
        .flat_map(|p| cited(&std::fs::read_to_string(p).unwrap_or_default()))
        .collect()
}

#[test]
fn the_label_parser() {
    assert!(is_label("S2") && is_label("NF10") && is_label("H2024") && is_label("HCN"));
    assert!(!is_label("S") && !is_label("X1") && !is_label("S2a") && !is_label("s2"));
    let c = cited("see [S2][S25], [S2, S12] and docs/sources.md [NF9]; not [x] or [S1 and]");
    let want: BTreeSet<String> = ["NF9", "S12", "S2", "S25"].map(String::from).into();
    assert_eq!(c, want);
}

#[test]
fn every_listed_source_is_cited() {
    let listed = listed();
    // The tables hold 60 or so rows; a parser that found none would pass trivially.
    assert!(listed.len() > 50, "{listed:?}");
    let cited = cited_in(&[
        "deals",
        "docs",
        "src",
        "tests",
        "data",
        "vendor/README.md",
        "README.md",
    ]);
    let never: Vec<_> = listed.difference(&cited).collect();
    assert!(
        never.is_empty(),
        "docs/sources.md lists sources that nothing cites as [LABEL]: {never:?}"
    );
}

#[test]
fn every_cited_label_is_listed() {
    let listed = listed();
    let cited = cited_in(&["deals", "docs", "data", "vendor/README.md", "README.md"]);
    let unknown: Vec<_> = cited.difference(&listed).collect();
    assert!(
        unknown.is_empty(),
        "cited but not in docs/sources.md: {unknown:?}"
    );
}

/// Whether an `Address` cell gives an address: a host name or an IPv4 address (`x.y/…`, or a
/// URL), or says the source is a book, which has none.
fn gives_address(cell: &str) -> bool {
    let host = |w: &str| {
        let w = w.trim_matches(|c: char| "`(),;".contains(c));
        let w = w
            .strip_prefix("https://")
            .or(w.strip_prefix("http://"))
            .unwrap_or(w);
        let host = w.split('/').next().unwrap_or("");
        let parts: Vec<&str> = host.split('.').collect();
        let named = parts.len() >= 2
            && parts
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase()));
        // An IPv4 address, as one news copy was recorded (`61.152.230.22/news,…`).
        let ipv4 = parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok());
        // A file's name is no host (review 42f F7: `cn.txt` passed).
        let file = parts.last().is_some_and(|e| {
            [
                "txt", "md", "rs", "toml", "json", "py", "csv", "parquet", "htm", "html", "pdf",
            ]
            .contains(e)
        });
        (named && !file) || ipv4
    };
    cell.starts_with("none (a book)") || cell.split_whitespace().any(host)
}

#[test]
fn every_source_has_an_address() {
    // The guide's rule: sources are cited by URL. In each table whose header has an
    // `Address` column, every labelled row's cell in it names a host.
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/sources.md")).expect("read");
    let (mut column, mut checked, mut missing) = (None, 0, Vec::new());
    for line in text.lines() {
        let cells: Vec<&str> = match line.strip_prefix('|') {
            Some(rest) => rest.split(" |").map(str::trim).collect(),
            None => {
                column = None;
                continue;
            }
        };
        if cells.first() == Some(&"Label") {
            column = cells.iter().position(|c| *c == "Address");
            continue;
        }
        if let (Some(c), Some(label)) = (column, cells.first())
            && is_label(label)
        {
            checked += 1;
            if !cells.get(c).is_some_and(|cell| gives_address(cell)) {
                missing.push(label.to_string());
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} rows with an Address column found"
    );
    assert!(
        missing.is_empty(),
        "sources without an address: {missing:?}"
    );
    // The rule itself can fail: a cell that only names a document does not pass.
    assert!(!gives_address("国办发明电〔2021〕11号, none recorded"));
    assert!(!gives_address("none recorded (see `cn.txt`)"));
    assert!(gives_address(
        "`paper.people.com.cn/rmrb/html/x.htm` (人民日报)"
    ));
    assert!(gives_address("`https://arxiv.org/abs/1702.01284`"));
}

//! Where things are in the source: an index from key path to byte spans, and byte offsets to
//! line, column and key path. [`super::messages`] turns toml and serde errors into
//! [`InputError`]s located with it.

use std::ops::Range;

use rustc_hash::FxHashMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::InputError;

/// One key or array element of the document.
#[derive(Debug)]
struct Entry {
    path: String,
    /// The key's span; None for array elements and the root.
    key: Option<Range<usize>>,
    /// The value's span. For a table opened by a header (`[deal]`, `[[obligors]]`) this is
    /// the header only.
    value: Range<usize>,
    depth: usize,
    kind: Kind,
    /// The source text of a float or integer value.
    literal: Option<Literal>,
}

/// What kind of value an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Array,
    Scalar,
}

/// The source text of a number, kept to check that it means what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Literal {
    Float(String),
    /// An integer and its radix (16 for `0x10`).
    Integer(String, u32),
}

/// A parsed source file with its location index.
#[derive(Debug)]
pub(crate) struct SourceIndex<'a> {
    file: &'a str,
    pub(super) text: &'a str,
    line_starts: Vec<usize>,
    entries: Vec<Entry>,
    by_path: FxHashMap<String, usize>,
}

impl<'a> SourceIndex<'a> {
    /// The index of a parsed document.
    pub(super) fn of_table(file: &'a str, text: &'a str, table: &Spanned<DeTable<'_>>) -> Self {
        let mut index = SourceIndex::new(file, text);
        index.push(String::new(), None, table.span(), 0, Kind::Table, None);
        index.walk_table(table.get_ref(), "", 1);
        index.index_paths();
        index
    }

    /// The index of what the parser can recover from `text`, which need not be valid TOML:
    /// enough to name the key near an error.
    pub(super) fn recovered(file: &'a str, text: &'a str) -> Self {
        let mut index = SourceIndex::new(file, text);
        let (partial, _) = DeTable::parse_recoverable(text);
        index.walk_table(partial.get_ref(), "", 1);
        index.index_paths();
        index
    }

    fn new(file: &'a str, text: &'a str) -> Self {
        SourceIndex {
            file,
            text,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            entries: Vec::new(),
            by_path: FxHashMap::default(),
        }
    }

    /// An error at byte `offset` of `text`, which need not be valid TOML (used for a byte
    /// that is not UTF-8, with `text` decoded lossily): the key path is found as for a
    /// syntax error.
    pub(crate) fn error_in_text(
        file: &'a str,
        text: &'a str,
        offset: usize,
        problem: String,
        expected: String,
    ) -> InputError {
        let index = SourceIndex::recovered(file, text);
        let path = index.path_near(offset, false);
        index.error_at(offset, &path, problem, expected)
    }

    fn push(
        &mut self,
        path: String,
        key: Option<Range<usize>>,
        value: Range<usize>,
        depth: usize,
        kind: Kind,
        literal: Option<Literal>,
    ) {
        self.entries.push(Entry {
            path,
            key,
            value,
            depth,
            kind,
            literal,
        });
    }

    /// Fills the path → entry map (the first entry of a path wins).
    fn index_paths(&mut self) {
        for (i, e) in self.entries.iter().enumerate() {
            self.by_path.entry(e.path.clone()).or_insert(i);
        }
    }

    fn walk_table(&mut self, table: &DeTable<'_>, prefix: &str, depth: usize) {
        for (k, v) in table.iter() {
            let path = join_key(prefix, k.get_ref());
            self.walk_value(path, Some(k.span()), v, depth);
        }
    }

    fn walk_value(
        &mut self,
        path: String,
        key: Option<Range<usize>>,
        v: &Spanned<DeValue<'_>>,
        depth: usize,
    ) {
        let (kind, literal) = match v.get_ref() {
            DeValue::Float(f) => (Kind::Scalar, Some(Literal::Float(f.as_str().to_string()))),
            // toml keeps an integer's digits without its `0x` prefix: take the source text.
            DeValue::Integer(n) => (
                Kind::Scalar,
                Some(Literal::Integer(
                    self.text.get(v.span()).unwrap_or(n.as_str()).to_string(),
                    n.radix(),
                )),
            ),
            DeValue::Table(_) => (Kind::Table, None),
            DeValue::Array(_) => (Kind::Array, None),
            _ => (Kind::Scalar, None),
        };
        self.push(path.clone(), key, v.span(), depth, kind, literal);
        match v.get_ref() {
            DeValue::Table(t) => self.walk_table(t, &path, depth + 1),
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    self.walk_value(format!("{path}[{i}]"), None, item, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// The source text of the number at `path`, if the value there is a TOML float or
    /// integer.
    pub(crate) fn literal(&self, path: &str) -> Option<&Literal> {
        let i = *self.by_path.get(path)?;
        self.entries.get(i)?.literal.as_ref()
    }

    /// Byte offset of the key at `path` (for ordering); None if absent.
    pub(crate) fn key_offset(&self, path: &str) -> Option<usize> {
        let e = &self.entries[*self.by_path.get(path)?];
        Some(e.key.as_ref().map_or(e.value.start, |k| k.start))
    }

    /// Byte offset for an error at `path`: its value, or (for a missing key) the nearest
    /// enclosing table or array element that exists.
    fn offset_of(&self, path: &str, prefer_key: bool) -> usize {
        let mut p = path;
        loop {
            if let Some(&i) = self.by_path.get(p) {
                let e = &self.entries[i];
                return match (&e.key, prefer_key && p == path) {
                    (Some(k), true) => k.start,
                    _ => e.value.start,
                };
            }
            match parent_path(p) {
                Some(parent) => p = parent,
                None => return 0,
            }
        }
    }

    /// The deepest path whose key or value span contains `span`.
    pub(super) fn innermost_path(&self, span: &Range<usize>) -> String {
        let contains = |r: &Range<usize>| r.start <= span.start && span.end <= r.end;
        let mut best: Option<(usize, usize, &str)> = None;
        for e in &self.entries {
            for r in std::iter::once(&e.value).chain(e.key.as_ref()) {
                if contains(r) {
                    let len = r.end - r.start;
                    let better = match best {
                        None => true,
                        Some((blen, bdepth, _)) => len < blen || (len == blen && e.depth > bdepth),
                    };
                    if better {
                        best = Some((len, e.depth, &e.path));
                    }
                }
            }
        }
        best.map(|(_, _, p)| p.to_string()).unwrap_or_default()
    }

    /// The bounds of the line holding byte `offset`.
    pub(super) fn line_bounds(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let start = self
            .text
            .get(..offset)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let end = self
            .text
            .get(offset..)
            .and_then(|t| t.find('\n'))
            .map_or(self.text.len(), |i| offset + i);
        (start, end)
    }

    /// 1-based line of a byte offset.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The array or inline table (not one opened by a header) that encloses `offset`, the
    /// innermost first: its path and where it starts.
    pub(super) fn container_at(&self, offset: usize) -> Option<(&str, usize)> {
        self.entries
            .iter()
            .filter(|e| e.kind != Kind::Scalar && !e.path.is_empty())
            .filter(|e| {
                let opener = self.text.as_bytes().get(e.value.start).copied();
                let header = e.kind == Kind::Table && opener == Some(b'[');
                let inline = e.kind == Kind::Table || opener == Some(b'[');
                !header && inline && e.value.start < offset && offset <= e.value.end
            })
            .max_by_key(|e| e.value.start)
            .map(|e| (e.path.as_str(), e.value.start))
    }

    /// The path of the table whose header (`[deal]`, `[[tranches]]`) is the last one before
    /// `offset`; empty for the document root.
    fn header_before(&self, offset: usize) -> String {
        self.entries
            .iter()
            .filter(|e| {
                e.kind == Kind::Table
                    && e.value.start < offset
                    && self.text.as_bytes().get(e.value.start) == Some(&b'[')
            })
            .max_by_key(|e| (e.value.start, e.depth))
            .map(|e| e.path.clone())
            .unwrap_or_default()
    }

    /// The key path a problem at `offset` (a syntax error, a byte that is not UTF-8) belongs
    /// to. In order: a table header on that line; the last key that starts before it on the
    /// same line; the array or inline table around it (first, when `container_first`); the
    /// key written at the start of the line, inside the table of the last header; that
    /// table; the document.
    pub(super) fn path_near(&self, offset: usize, container_first: bool) -> String {
        let (line_start, line_end) = self.line_bounds(offset);
        let line = self.text.get(line_start..line_end).unwrap_or("");
        if let Some(name) = header_name(line) {
            return name;
        }
        let container = self.container_at(offset).map(|(p, _)| p.to_string());
        if container_first && let Some(p) = &container {
            return p.clone();
        }
        let same_line = self
            .entries
            .iter()
            .filter_map(|e| e.key.as_ref().map(|k| (k.start, &e.path)))
            .filter(|(start, _)| (line_start..offset).contains(start))
            .max_by_key(|(start, _)| *start)
            .map(|(_, p)| p.clone());
        if let Some(p) = same_line.or(container) {
            return p;
        }
        let table = self.header_before(offset);
        match leading_key(line) {
            Some(keys) => keys.iter().fold(table, |p, k| join_key(&p, k)),
            None => table,
        }
    }

    /// 1-based line and column (in characters) of a byte offset, and the line's text.
    fn position(&self, offset: usize) -> (usize, usize, Option<String>) {
        if self.text.is_empty() {
            return (0, 0, None);
        }
        let offset = offset.min(self.text.len());
        let line_idx = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let rest = self.text.get(start..).unwrap_or("");
        let column = rest
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count()
            + 1;
        let line_text = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
        (line_idx + 1, column, Some(line_text.to_string()))
    }

    pub(super) fn error_at(
        &self,
        offset: usize,
        path: &str,
        problem: String,
        expected: String,
    ) -> InputError {
        let (line, column, source_line) = self.position(offset);
        InputError {
            file: self.file.to_string(),
            line,
            column,
            key_path: path.to_string(),
            problem,
            expected,
            source_line,
        }
    }

    /// An error located at the value of `path` (or its nearest existing parent).
    pub(crate) fn error(&self, path: &str, problem: String, expected: String) -> InputError {
        self.error_at(self.offset_of(path, false), path, problem, expected)
    }

    /// An error located at the key of `path` (for keys that should not be there).
    pub(crate) fn key_error(&self, path: &str, problem: String, expected: String) -> InputError {
        self.error_at(self.offset_of(path, true), path, problem, expected)
    }

    /// `file:line:column: key` for a warning about `path`.
    pub(crate) fn location(&self, path: &str) -> String {
        let (line, column, _) = self.position(self.offset_of(path, false));
        format!("{}:{line}:{column}: {path}", self.file)
    }
}

/// `prefix.key`, quoting a key that is not bare.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// The enclosing path: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``; None for the root.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']')
        && let Some(i) = path.rfind('[')
    {
        return Some(&path[..i]);
    }
    // The last `.` outside quotes separates the last key.
    let mut in_quotes = false;
    let mut last_dot = None;
    for (i, c) in path.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => last_dot = Some(i),
            _ => {}
        }
    }
    Some(last_dot.map_or("", |i| &path[..i]))
}

/// The last key of a path: `tranches[1].coupon` → `coupon`, `a.b[2]` → `b`.
pub(super) fn path_tail(path: &str) -> &str {
    let mut p = path;
    while p.ends_with(']') {
        match parent_path(p) {
            Some(parent) => p = parent,
            None => break,
        }
    }
    let tail = match parent_path(p) {
        Some(parent) if !parent.is_empty() => p.get(parent.len() + 1..).unwrap_or(p),
        _ => p,
    };
    tail.trim_matches('"')
}

/// The table a header line opens, as a key path: `[[obligors.assets]]` → `obligors.assets`;
/// None when the line is not a header.
pub(super) fn header_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    let inner = t.strip_prefix("[[").or_else(|| t.strip_prefix('['))?;
    let close = inner.find(']')?;
    let keys = split_dotted(inner.get(..close)?)?;
    Some(keys.iter().fold(String::new(), |p, k| join_key(&p, k)))
}

/// The dotted key at the start of a line (`a.b = 1`, `"名称" = 1`, `cutoff_date 2024`), if
/// the line starts with one.
fn leading_key(line: &str) -> Option<Vec<String>> {
    let t = line.trim_start();
    if t.is_empty() || t.starts_with(['#', '[', '{', ']', '}', ',']) {
        return None;
    }
    // Up to `=`, or the first blank outside quotes.
    let mut end = t.len();
    let mut quote: Option<char> = None;
    for (i, c) in t.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '=' | '#') => {
                end = i;
                break;
            }
            (None, c) if c.is_whitespace() => {
                let after = t.get(i..).unwrap_or("").trim_start();
                if !after.starts_with('.') && !t.get(..i).unwrap_or("").ends_with('.') {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let keys = split_dotted(t.get(..end)?)?;
    (!keys.is_empty()).then_some(keys)
}

/// `a."b.c" . d` → [a, b.c, d]; None when a part is empty.
fn split_dotted(s: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => parts.push(std::mem::take(&mut cur)),
            (None, c) if c.is_whitespace() => {}
            (None, c) => cur.push(c),
        }
    }
    parts.push(cur);
    if parts.iter().any(String::is_empty) {
        None
    } else {
        Some(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a.b"), Some("a"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
        assert_eq!(parent_path("t.\"x.y\".z"), Some("t.\"x.y\""));
    }

    #[test]
    fn lines_of_a_broken_file() {
        assert_eq!(
            header_name("[[obligors.assets]]").as_deref(),
            Some("obligors.assets")
        );
        assert_eq!(header_name("  [reserve] # x").as_deref(), Some("reserve"));
        assert_eq!(header_name("[\"a.b\".c]").as_deref(), Some("\"a.b\".c"));
        assert_eq!(header_name("name = 1"), None);
        assert_eq!(header_name("[deal"), None);
        assert_eq!(
            leading_key("cutoff_date 2024-01-01"),
            Some(vec!["cutoff_date".to_string()])
        );
        assert_eq!(leading_key("名称 = \"x\""), Some(vec!["名称".to_string()]));
        assert_eq!(
            leading_key("a . \"b c\" = 1"),
            Some(vec!["a".to_string(), "b c".to_string()])
        );
        assert_eq!(leading_key("# comment"), None);
        assert_eq!(leading_key("  { date = 1 }"), None);
        assert_eq!(path_tail("tranches[1].coupon"), "coupon");
        assert_eq!(path_tail("obligors[0].assets[0].schedule"), "schedule");
        assert_eq!(path_tail("deal.\"名称\""), "名称");
        assert_eq!(path_tail("reserve"), "reserve");
    }
}

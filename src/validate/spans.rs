//! Where things are in the source: an index from key path to byte spans, byte offsets to
//! line and column, and toml/serde errors to [`InputError`]s.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Error, InputError};
use crate::schema::DATE_EXPECTED;

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
    text: &'a str,
    line_starts: Vec<usize>,
    entries: Vec<Entry>,
    by_path: HashMap<String, usize>,
}

impl<'a> SourceIndex<'a> {
    /// Parses `text` (BOM already stripped) and deserializes it into `T`.
    pub(crate) fn load<T>(file: &'a str, text: &'a str) -> Result<(Self, T), Error>
    where
        T: Deserialize<'a>,
    {
        let mut index = SourceIndex::new(file, text);
        let table = match DeTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                // Index what the parser could recover, to name the key near the error.
                let (partial, _) = DeTable::parse_recoverable(text);
                index.walk_table(partial.get_ref(), "", 1);
                index.index_paths();
                return Err(Error::Input(vec![index.syntax_error(&e)]));
            }
        };
        let root_span = table.span();
        index.push(String::new(), None, root_span, 0, Kind::Table, None);
        index.walk_table(table.get_ref(), "", 1);
        index.index_paths();
        match T::deserialize(toml::de::Deserializer::from(table)) {
            Ok(v) => Ok((index, v)),
            Err(e) => Err(Error::Input(vec![index.serde_error(&e)])),
        }
    }

    fn new(file: &'a str, text: &'a str) -> Self {
        SourceIndex {
            file,
            text,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            entries: Vec::new(),
            by_path: HashMap::new(),
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
        let mut index = SourceIndex::new(file, text);
        let (partial, _) = DeTable::parse_recoverable(text);
        index.walk_table(partial.get_ref(), "", 1);
        index.index_paths();
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
    fn innermost_path(&self, span: &Range<usize>) -> String {
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
    fn line_bounds(&self, offset: usize) -> (usize, usize) {
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
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The array or inline table (not one opened by a header) that encloses `offset`, the
    /// innermost first: its path and where it starts.
    fn container_at(&self, offset: usize) -> Option<(&str, usize)> {
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
    fn path_near(&self, offset: usize, container_first: bool) -> String {
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

    /// A TOML syntax error, in the file's terms: which key, what was found, and a hint for
    /// the common mistakes (an unclosed string or array, a missing `=` or comma, a
    /// duplicate key or table, a bare non-ASCII key).
    fn syntax_error(&self, e: &toml::de::Error) -> InputError {
        let span = e.span().unwrap_or(0..0);
        let offset = span.start.min(self.text.len());
        let found = self
            .text
            .get(span.start..span.end.min(self.text.len()))
            .unwrap_or("");
        let (line_start, line_end) = self.line_bounds(offset);
        let line = self.text.get(line_start..line_end).unwrap_or("");
        let rest = self.text.get(offset..line_end).unwrap_or("").trim();
        let (msg, toml_expected) = match e.message().split_once(", expected ") {
            Some((p, x)) => (p.trim(), x.trim()),
            None => (e.message().trim(), ""),
        };
        // What is at the error: the text toml points at, or the token that starts there.
        let at = if found.trim().is_empty() {
            match rest.chars().next() {
                Some(c) if c.is_alphanumeric() || c == '_' => rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
                    .collect(),
                Some(c) => c.to_string(),
                None => String::new(),
            }
        } else {
            found.trim().to_string()
        };
        let path = self.path_near(offset, msg.starts_with("unclosed"));
        let key = path_tail(&path);
        let first_line = |p: &str| {
            self.key_offset(p)
                .filter(|&o| o < offset)
                .map(|o| format!(" (first on line {})", self.line_of(o)))
                .unwrap_or_default()
        };
        let (problem, expected) = match msg {
            "duplicate key" if header_name(line).is_some() => (
                format!("the table [{path}] appears twice{}", first_line(&path)),
                format!("each table once: merge the two [{path}] tables"),
            ),
            "duplicate key" => (
                format!("duplicate key `{key}`{}", first_line(&path)),
                "each key at most once in a table".to_string(),
            ),
            "invalid unquoted key" if !found.is_ascii() => (
                format!(
                    "`{found}` is not a valid bare key: bare keys may only hold ASCII letters, \
                     digits, `-` and `_`"
                ),
                format!("a quoted key, e.g. \"{found}\" = …"),
            ),
            "key with no value" => (
                format!("`{key}` is not followed by `=`"),
                "key = value, e.g. cutoff_date = 2024-03-31".to_string(),
            ),
            "string values must be quoted" if rest.is_empty() || rest.starts_with('#') => (
                format!("`{key}` has no value after `=`"),
                "a value, e.g. 0.05, \"text\", 2024-03-31 or [ … ]".to_string(),
            ),
            "string values must be quoted" => {
                let word: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}' | '#'))
                    .collect();
                (
                    format!("string values must be quoted: found `{word}`"),
                    format!("\"{word}\""),
                )
            }
            "invalid basic string" | "invalid literal string" if rest.is_empty() => (
                "the string is not closed before the end of the line".to_string(),
                "a closing quote; a string cannot span lines unless it is written \"\"\"…\"\"\""
                    .to_string(),
            ),
            "invalid time" if looks_like_two_dates(found) => (
                format!(
                    "`{found}` reads as a date and a time: is a comma missing between two dates?"
                ),
                "dates separated by commas, e.g. [2024-04-01, 2024-07-01]".to_string(),
            ),
            "missing comma between array elements" | "unclosed array" | "unclosed inline table" => {
                let opened = self
                    .container_at(offset)
                    .filter(|&(_, start)| self.line_of(start) < self.line_of(offset));
                match opened {
                    Some((p, start)) => (
                        format!(
                            "{msg}: `{}` opened on line {} is still open here",
                            path_tail(p),
                            self.line_of(start)
                        ),
                        "`]` or `}` to close it, or `,` between its items".to_string(),
                    ),
                    None => (msg.to_string(), describe_toml_expected(toml_expected)),
                }
            }
            _ if !at.is_empty() && !msg.contains('`') && at.chars().count() <= 40 => (
                format!("{msg}: found `{at}`"),
                describe_toml_expected(toml_expected),
            ),
            _ => (msg.to_string(), describe_toml_expected(toml_expected)),
        };
        self.error_at(
            offset,
            &path,
            format!("TOML syntax error: {problem}"),
            expected,
        )
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

    fn error_at(&self, offset: usize, path: &str, problem: String, expected: String) -> InputError {
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

    fn serde_error(&self, e: &toml::de::Error) -> InputError {
        let span = e.span().unwrap_or(0..0);
        let mut path = self.innermost_path(&span);
        let source = self.text.get(span.clone()).unwrap_or("");
        let (problem, expected, missing) = translate_serde_message(e.message(), source);
        if let Some(key) = missing {
            path = join_key(&path, &key);
        }
        self.error_at(span.start, &path, problem, expected)
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

/// toml's list of what it expected, or a pointer to the TOML syntax when it gave none.
fn describe_toml_expected(e: &str) -> String {
    if e.is_empty() {
        "valid TOML (https://toml.io)".to_string()
    } else {
        e.to_string()
    }
}

/// The last key of a path: `tranches[1].coupon` → `coupon`, `a.b[2]` → `b`.
fn path_tail(path: &str) -> &str {
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
fn header_name(line: &str) -> Option<String> {
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

/// `2024-04-01 2024-07-01`: a date, a blank and something that is not a time.
fn looks_like_two_dates(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 11
        && s.get(..10)
            .is_some_and(|d| crate::schema::parse_date_text(d).is_some())
        && b.get(10) == Some(&b' ')
        && b.get(13) != Some(&b':')
}

/// The backquoted names in `s`: "one of `a`, `b`" → [a, b].
fn quoted_names(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// " (did you mean `x`?)" when `found` is a near miss of exactly one of `names`.
fn did_you_mean(found: &str, names: &[&str]) -> String {
    super::suggest(found, names.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The expectation serde names for a `Decimal`.
const DECIMAL: &str = "a Decimal type representing a fixed-point number";

/// Turns a serde message into (problem, expected, missing key). `source` is the text of
/// the value the message is about, shown instead of serde's rendering of it.
fn translate_serde_message(msg: &str, source: &str) -> (String, String, Option<String>) {
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let key = rest.trim_matches('`').to_string();
        return (
            format!("missing required key `{key}`"),
            format!("the key `{key}` in this table"),
            Some(key),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (found, expected) = rest.split_once(", ").unwrap_or((rest, ""));
        let names = quoted_names(expected);
        let expected = if names.is_empty() {
            "no keys in this table".to_string()
        } else {
            format!("one of: {}", names.join(", "))
        };
        let hint = did_you_mean(found.trim_matches('`'), &names);
        return (format!("unknown key {found}{hint}"), expected, None);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (found, expected) = rest.split_once(", ").unwrap_or((rest, ""));
        let names = quoted_names(expected);
        let hint = did_you_mean(found.trim_matches('`'), &names);
        return (
            format!("unknown value {found}{hint}"),
            format!("one of: {}", names.join(", ")),
            None,
        );
    }
    let (problem, expected) = match msg.split_once(", expected ") {
        Some((p, e)) => (p, e),
        None => (msg, ""),
    };
    let invalid_type = problem.strip_prefix("invalid type: ");
    let invalid_value = problem.strip_prefix("invalid value: ");
    let Some(unexpected) = invalid_type.or(invalid_value) else {
        return (problem.to_string(), describe_expected(expected), None);
    };
    // What was found, in TOML's words and as written.
    let written = if source.is_empty() || source.chars().count() > 60 {
        None
    } else {
        Some(source)
    };
    let found = match unexpected {
        "map" => "a table".to_string(),
        "sequence" => "an array".to_string(),
        u if u.starts_with("floating point") => {
            format!(
                "float `{}`",
                written.unwrap_or(u.trim_start_matches("floating point ").trim_matches('`'))
            )
        }
        u if u.starts_with("string ") => {
            format!(
                "string {}",
                written.unwrap_or(u.trim_start_matches("string "))
            )
        }
        u => u.to_string(),
    };
    let problem = if let Some(big) = unexpected
        .strip_prefix("integer `")
        .and_then(|r| r.strip_suffix("` as i128"))
    {
        format!("the integer {big} is too large")
    } else if invalid_value.is_some() && expected == DECIMAL {
        if found.starts_with("string") {
            format!("{found} is not a number")
        } else {
            format!("{found} is not a finite number that fits a decimal")
        }
    } else if invalid_type.is_some() {
        format!("wrong type: found {found}")
    } else {
        format!("wrong value: found {found}")
    };
    (problem, describe_expected(expected), None)
}

/// serde's name of an expected type, in the file's terms.
fn describe_expected(e: &str) -> String {
    match e {
        DECIMAL => {
            "a number, e.g. 1250000.50, 0.0435 or \"1250000.50\" (quote large amounts)".to_string()
        }
        "i64" | "u32" | "u64" | "i32" => "an integer".to_string(),
        "a boolean" => "true or false".to_string(),
        "a sequence" => "an array, e.g. [\"A\", \"B\"]".to_string(),
        "a map" => "a table".to_string(),
        "a TOML datetime" => DATE_EXPECTED.to_string(),
        _ if e.starts_with("struct ") => "a table".to_string(),
        _ if e.starts_with("enum ") || e.starts_with("variant ") => "a string".to_string(),
        _ => e.to_string(),
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
        assert!(looks_like_two_dates("2024-04-01 2024-07-01"));
        assert!(!looks_like_two_dates("2024-04-01 10:00"));
    }

    #[test]
    fn serde_messages() {
        let (p, e, m) = translate_serde_message(
            "unknown field `balanse`, expected one of `name`, `balance`",
            "balanse",
        );
        assert_eq!(p, "unknown key `balanse` (did you mean `balance`?)");
        assert_eq!(e, "one of: name, balance");
        assert_eq!(m, None);
        let (p, _, m) = translate_serde_message("missing field `balance`", "");
        assert_eq!(p, "missing required key `balance`");
        assert_eq!(m.as_deref(), Some("balance"));
        let (p, e, _) =
            translate_serde_message("invalid type: integer `3`, expected a string", "3");
        assert_eq!(p, "wrong type: found integer `3`");
        assert_eq!(e, "a string");
        let (p, _, _) = translate_serde_message(
            "invalid type: integer `99999999999999999999` as i128, expected i64",
            "99999999999999999999",
        );
        assert_eq!(p, "the integer 99999999999999999999 is too large");
        let (p, e, _) = translate_serde_message(
            "invalid value: string \"lots\", expected a Decimal type representing a \
             fixed-point number",
            "\"lots\"",
        );
        assert_eq!(p, "string \"lots\" is not a number");
        assert!(e.starts_with("a number"));
        let (p, _, _) = translate_serde_message("invalid type: map, expected a sequence", "{}");
        assert_eq!(p, "wrong type: found a table");
    }
}

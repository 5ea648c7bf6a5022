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
    /// The source text of a float value.
    float_text: Option<String>,
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
        let mut index = SourceIndex {
            file,
            text,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            entries: Vec::new(),
            by_path: HashMap::new(),
        };
        let table = match DeTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                // Index what the parser could recover, to name the key near the error.
                let (partial, _) = DeTable::parse_recoverable(text);
                index.walk_table(partial.get_ref(), "", 1);
                let span = e.span().unwrap_or(0..0);
                let path = index.syntax_error_path(span.start);
                let (problem, expected) = syntax_message(e.message());
                return Err(Error::Input(vec![
                    index.error_at(span.start, &path, problem, expected),
                ]));
            }
        };
        let root_span = table.span();
        index.push(String::new(), None, root_span, 0, None);
        index.walk_table(table.get_ref(), "", 1);
        for (i, e) in index.entries.iter().enumerate() {
            index.by_path.entry(e.path.clone()).or_insert(i);
        }
        match T::deserialize(toml::de::Deserializer::from(table)) {
            Ok(v) => Ok((index, v)),
            Err(e) => Err(Error::Input(vec![index.serde_error(&e)])),
        }
    }

    fn push(
        &mut self,
        path: String,
        key: Option<Range<usize>>,
        value: Range<usize>,
        depth: usize,
        float_text: Option<String>,
    ) {
        self.entries.push(Entry {
            path,
            key,
            value,
            depth,
            float_text,
        });
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
        let float_text = match v.get_ref() {
            DeValue::Float(f) => Some(f.as_str().to_string()),
            _ => None,
        };
        self.push(path.clone(), key, v.span(), depth, float_text);
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

    /// The source text of the float at `path`, if the value there is a TOML float.
    pub(crate) fn float_text(&self, path: &str) -> Option<&str> {
        let i = *self.by_path.get(path)?;
        self.entries[i].float_text.as_deref()
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

    /// The key a syntax error at `offset` belongs to: the last key that starts before it on
    /// the same line; else the document.
    fn syntax_error_path(&self, offset: usize) -> String {
        let line_start = self
            .text
            .get(..offset)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        self.entries
            .iter()
            .filter_map(|e| e.key.as_ref().map(|k| (k.start, &e.path)))
            .filter(|(start, _)| (line_start..offset).contains(start))
            .max_by_key(|(start, _)| *start)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
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
        let (problem, expected, missing) = translate_serde_message(e.message());
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

fn syntax_message(msg: &str) -> (String, String) {
    match msg.split_once(", expected ") {
        Some((p, e)) => (format!("TOML syntax error: {p}"), e.to_string()),
        None => (
            format!("TOML syntax error: {msg}"),
            "valid TOML (https://toml.io)".to_string(),
        ),
    }
}

/// The backquoted names in `s`: "one of `a`, `b`" → [a, b].
fn quoted_names(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// Turns a serde message into (problem, expected, missing key).
fn translate_serde_message(msg: &str) -> (String, String, Option<String>) {
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let key = rest.trim_matches('`').to_string();
        return (
            format!("missing required key `{key}`"),
            format!("a `{key}` key in this table"),
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
        return (format!("unknown key {found}"), expected, None);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (found, expected) = rest.split_once(", ").unwrap_or((rest, ""));
        return (
            format!("unknown value {found}"),
            format!("one of: {}", quoted_names(expected).join(", ")),
            None,
        );
    }
    let (problem, expected) = match msg.split_once(", expected ") {
        Some((p, e)) => (p, e),
        None => (msg, ""),
    };
    let problem = if let Some(found) = problem.strip_prefix("invalid type: ") {
        format!("wrong type: found {found}")
    } else {
        problem.to_string()
    };
    (problem, describe_expected(expected), None)
}

/// serde's name of an expected type, in the file's terms.
fn describe_expected(e: &str) -> String {
    match e {
        "a Decimal type representing a fixed-point number" => {
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
    fn serde_messages() {
        let (p, e, m) =
            translate_serde_message("unknown field `balanse`, expected one of `name`, `balance`");
        assert_eq!(p, "unknown key `balanse`");
        assert_eq!(e, "one of: name, balance");
        assert_eq!(m, None);
        let (p, _, m) = translate_serde_message("missing field `balance`");
        assert_eq!(p, "missing required key `balance`");
        assert_eq!(m.as_deref(), Some("balance"));
        let (p, e, _) = translate_serde_message("invalid type: integer `3`, expected a string");
        assert_eq!(p, "wrong type: found integer `3`");
        assert_eq!(e, "a string");
    }
}

//! Loading a file: toml and serde errors in the file's terms (what was wrong, what was
//! expected, and the key path), located with [`SourceIndex`].

use serde::Deserialize;
use toml::de::DeTable;

use super::one_of;
use super::respell;
use super::spans::{SourceIndex, header_name, join_key, path_tail};
use crate::error::{Error, InputError};
use crate::schema::DATE_EXPECTED;

impl<'a> SourceIndex<'a> {
    /// Parses `text` (BOM already stripped) and deserializes it into `T`; a syntax or type
    /// error becomes an [`InputError`] in the file's terms.
    pub(crate) fn load<T>(file: &'a str, text: &'a str) -> Result<(Self, T), Error>
    where
        T: serde::de::DeserializeOwned,
    {
        let table = match DeTable::parse(text) {
            Ok(t) => t,
            Err(e) => {
                let index = SourceIndex::recovered(file, text);
                let e = index.syntax_error(&e, &first_error::<T>);
                return Err(Error::Input(vec![e]));
            }
        };
        let index = SourceIndex::of_table(file, text, &table);
        match T::deserialize(toml::de::Deserializer::from(table)) {
            Ok(v) => Ok((index, v)),
            Err(e) => Err(Error::Input(index.serde_errors::<T>(&e))),
        }
    }

    /// The error `first` of deserializing the file, and when it is an unknown key, every
    /// other unknown key too (two misspelt keys used to be reported one run at a time): the
    /// file is parsed again, each unknown key is renamed to its one near miss (so that a
    /// misspelt required key does not stop the rest) or else dropped, and the file is
    /// deserialized again, up to [`MAX_UNKNOWN_KEYS`] keys ([`MAX_UNKNOWN_KEYS_LARGE`] in a
    /// large file). The first error of another kind ends the list unreported: it may be one
    /// the renaming causes (a dropped `type` meant as `kind` leaves `kind` missing).
    fn serde_errors<T>(&self, first: &toml::de::Error) -> Vec<InputError>
    where
        T: Deserialize<'a>,
    {
        let unknown = |e: &toml::de::Error| e.message().starts_with("unknown field ");
        let (Ok(mut table), true) = (DeTable::parse(self.text), unknown(first)) else {
            return vec![self.serde_error(first)];
        };
        // A near miss the table already has is not the key meant (review 45c item 5: a fee's
        // `bame` was "did you mean `base`?" beside its own `base`).
        let beside = |table: &DeTable<'_>, e: &toml::de::Error| {
            e.span()
                .and_then(|s| keys_beside(table, s.start))
                .unwrap_or_default()
        };
        let mut errors = vec![self.serde_error_beside(first, &beside(table.get_ref(), first))];
        // Each further key costs a copy of the parsed file and a read of it: a large file
        // (a 40 MB pool with 25 misspellings took 32 s) gets a few.
        let most = if self.text.len() > LARGE_FILE_BYTES {
            MAX_UNKNOWN_KEYS_LARGE
        } else {
            MAX_UNKNOWN_KEYS
        };
        let mut last = first.clone();
        while errors.len() < most
            && let Some(span) = last.span()
            && let meant = suggestion(&last, &beside(table.get_ref(), &last))
            && replace_key_at(table.get_mut(), span.start, meant.as_deref())
        {
            match T::deserialize(toml::de::Deserializer::from(table.clone())) {
                Ok(_) => break,
                Err(e) if unknown(&e) => {
                    errors.push(self.serde_error_beside(&e, &beside(table.get_ref(), &e)));
                    last = e;
                }
                Err(_) => break,
            }
        }
        // In the file's order.
        errors.sort_by_key(|e| (e.line, e.column));
        errors
    }

    /// A TOML syntax error, in the file's terms: which key, what was found, and a hint for
    /// the common mistakes (an unclosed string or array, a missing `=` or comma, a
    /// duplicate key or table, a bare non-ASCII key).
    fn syntax_error(&self, e: &toml::de::Error, loads: Loads<'_>) -> InputError {
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
        let mut path = self.path_near(offset, msg.starts_with("unclosed"));
        // A bare non-ASCII key inside `{ … }` is a key of that inline table, not the key
        // before it (review 29a item 4: `obligors[0].tags.industry` for `区域`).
        if msg == "invalid unquoted key"
            && !found.is_ascii()
            && let Some((table, _)) = self.container_at(offset)
        {
            path = super::spans::join_key(&table, found.trim());
        }
        if let Some(e) = self.local_habit(offset, line_start, line, &path, (loads, None)) {
            return e;
        }
        // A container still open at a later line: its string closed by a full-width quote on
        // a line above, where the container's last item is (review 46b F6: `tags = { industry
        // = "biotech” }` was told two lines later, under the next table).
        if matches!(
            msg,
            "missing comma between array elements"
                | "unclosed array"
                | "unclosed inline table"
                | "missing key for inline table element"
                | "missing comma between key-value pairs"
        ) && let Some(e) = self.habit_above(line_start, offset, loads)
        {
            return e;
        }
        let key = path_tail(&path);
        let first_line = |p: &str| {
            self.key_offset(p)
                .filter(|&o| o < offset)
                .map(|o| format!(" (first on line {})", self.line_of(o)))
                .unwrap_or_default()
        };
        if msg == "duplicate key"
            && header_name(line).is_some()
            && let Some(e) = self
                .misspelt_table(&path, offset)
                .or_else(|| self.missing_array_header(line, &path, offset))
        {
            return e;
        }
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
                    .filter(|(_, start)| self.line_of(*start) < self.line_of(offset));
                match opened {
                    Some((p, start)) => (
                        format!(
                            "{msg}: `{}` opened on line {} is still open here",
                            path_tail(&p),
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

    /// A syntax error on a line typed in a local habit ([`respell`]): full-width punctuation
    /// outside strings, a string closed by a full-width quote, or values such as `3000万`,
    /// `5.5%`, `30,000,000` or `2024年3月31日` where an amount, a rate or a date goes. The error
    /// is put at the mark or the value, and `expected` is the line as TOML reads it, offered
    /// only when the file then loads past that line (`loads` gives the offset of a text's first
    /// error): a line still wrong keeps TOML's message.
    fn local_habit(
        &self,
        offset: usize,
        line_start: usize,
        line: &str,
        path: &str,
        (loads, past): (Loads<'_>, Option<usize>),
    ) -> Option<InputError> {
        let typed = line.trim_end_matches('\r');
        let error_at = offset.checked_sub(line_start)?.min(typed.len());
        // Inside a multi-line string the line is the string's text.
        let before = self.text.get(..line_start)?;
        if respell::inside_multiline_string(before) {
            return None;
        }
        // The fixed line, the byte offset in `typed` of what to point at, the problem, why: the
        // first that reads. A mark after where TOML stopped is not the line's first fault.
        let after = self.text.get(line_start + typed.len()..)?;
        // The file must read past the line, or, for a line above TOML's error (`past`), past
        // that error too (review 46c F2: a comment above a missing comma was blamed).
        let reads = |fixed: &str| {
            let text = [before, fixed, after].concat();
            match (loads(&text), past) {
                (None, _) => true,
                (Some(e), None) => !(line_start..=line_start + fixed.len()).contains(&e),
                (Some(e), Some(p)) => e + typed.len() > p + fixed.len(),
            }
        };
        let mut candidates: Vec<_> = self.habit_fix(typed, path).into_iter().collect();
        candidates.extend(full_width_quote_fixes(typed));
        let Fix {
            line: fixed,
            at,
            problem,
            why,
        } = candidates
            .into_iter()
            .find(|f| f.at <= error_at && reads(&f.line))?;
        let path = match (header_name(&fixed), key_and_value(&fixed)) {
            (Some(name), _) => name,
            // A key typed with a full-width mark (`rate：`) is the key before the mark.
            (None, Some((key, _, _))) if key_and_value(typed).map(|k| k.0) != Some(key) => {
                // The table is what comes before the key toml read from the line (`coupon：0.03`
                // reads as the dotted key `"coupon：0"."03"`).
                let table = [format!(".{key}"), format!(".\"{key}")]
                    .iter()
                    .filter_map(|k| path.find(k.as_str()))
                    .min()
                    .map_or_else(
                        || {
                            if path.starts_with(key) || path.starts_with(&format!("\"{key}")) {
                                ""
                            } else {
                                parent_or_root(path)
                            }
                        },
                        |at| &path[..at],
                    );
                join_key(table, key)
            }
            _ => path.to_string(),
        };
        let shown = match fixed.trim() {
            "" => "a blank line".to_string(),
            f => format!("`{f}`"),
        };
        Some(self.error_at(
            line_start + at,
            &path,
            format!("TOML syntax error: {problem}"),
            format!("{shown} ({why})"),
        ))
    }

    /// [`Self::local_habit`] on the three lines above `line_start`, nearest first, each taken
    /// whole: the first whose fix lets the file read past TOML's error at `offset`.
    fn habit_above(
        &self,
        line_start: usize,
        offset: usize,
        loads: Loads<'_>,
    ) -> Option<InputError> {
        let mut end = line_start;
        for _ in 0..3 {
            let above = end.checked_sub(1)?;
            let (start, stop) = self.line_bounds(above);
            let line = self.text.get(start..stop)?;
            let path = self.path_near(start, false);
            if let Some(e) = self.local_habit(stop, start, line, &path, (loads, Some(offset))) {
                return Some(e);
            }
            end = start;
        }
        None
    }

    /// `typed` as TOML reads it when it holds full-width marks outside strings, or values in a
    /// local habit that fit their keys: (the fixed line, the byte offset of the first mark or
    /// value, the problem, why).
    fn habit_fix(&self, typed: &str, path: &str) -> Option<Fix> {
        let half = respell::half_width(typed);
        let parent = parent_or_root(path);
        let found = respell::tokens(&half, path_tail(path), path_tail(parent));
        let mark = respell::first_full_width(typed);
        if found.is_empty() && mark.is_none() {
            return None;
        }
        let mut chars: Vec<String> = half.chars().map(String::from).collect();
        // `rate：0.055` reads `rate = 0.055`, as a key's `=` is written (one string per
        // character of the line, so the values' places below stand).
        let typed_chars: Vec<char> = typed.chars().collect();
        for (n, &c) in typed_chars.iter().enumerate() {
            if c == '：' && chars.get(n).is_some_and(|m| m == "=") {
                let gap = |x: Option<&char>| {
                    if x.is_some_and(|x| !x.is_whitespace()) {
                        " "
                    } else {
                        ""
                    }
                };
                let before = gap(n.checked_sub(1).and_then(|b| typed_chars.get(b)));
                chars[n] = format!("{before}={}", gap(typed_chars.get(n + 1)));
            }
        }
        for t in found.iter().rev() {
            chars.splice(t.from..t.to, [t.r.toml.clone()]);
        }
        let fixed = chars.concat();
        let mut problems: Vec<String> = mark
            .iter()
            .map(|&(_, c)| respell::full_width_problem(c))
            .collect();
        problems.extend(
            found
                .iter()
                .map(|t| format!("`{}` is {}", t.typed, t.r.what)),
        );
        let mut whys: Vec<&str> = mark
            .iter()
            .map(|_| "TOML's punctuation typed in the input method's half-width mode, 半角")
            .collect();
        for t in &found {
            if !whys.contains(&t.r.why) {
                whys.push(t.r.why);
            }
        }
        // The first mark or value on the line.
        let value_at = found.first().map(|t| {
            typed
                .char_indices()
                .nth(t.from)
                .map_or(typed.len(), |(i, _)| i)
        });
        let at = mark.map(|(at, _)| at).into_iter().chain(value_at).min()?;
        Some(Fix {
            line: fixed,
            at,
            problem: problems.join("; "),
            why: whys.join("; "),
        })
    }

    /// The table headers before `offset`: each line's start, the line and the header's dotted
    /// name.
    fn headers_before(&self, offset: usize) -> impl Iterator<Item = (usize, &str, String)> {
        let mut start = 0;
        self.text
            .get(..offset)
            .unwrap_or("")
            .split_inclusive('\n')
            .filter_map(move |line| {
                let line_start = start;
                start += line.len();
                header_name(line).map(|name| (line_start, line, name))
            })
    }

    /// The table `path` repeated at `offset` because a header before it misspells the table's
    /// name: `[[obligor]]` followed by `[[obligors.assets]]` makes `[obligors]` a table of its
    /// own, which the next `[[obligors]]` repeats. The error is put at the misspelt header.
    fn misspelt_table(&self, path: &str, offset: usize) -> Option<InputError> {
        let head = path.split('.').next()?;
        for (line_start, line, name) in self.headers_before(offset) {
            let first = name.split('.').next().unwrap_or("");
            if first == head || super::suggest(first, std::iter::once(head)) != Some(head) {
                continue;
            }
            let brackets = if line.trim_start().starts_with("[[") {
                ("[[", "]]")
            } else {
                ("[", "]")
            };
            let column = line.find(first).unwrap_or(0);
            let first_use = self
                .key_offset(head)
                .filter(|&o| o < offset)
                .map_or(String::new(), |o| format!(" on line {}", self.line_of(o)));
            return Some(self.error_at(
                line_start + column,
                first,
                format!(
                    "unknown table {open}{first}{close} (did you mean {open}{head}{close}?): the \
                     tables under `{head}.` after it make a table [{head}] of their own{first_use}, \
                     which the [{head}] on line {} then repeats",
                    self.line_of(offset),
                    open = brackets.0,
                    close = brackets.1,
                ),
                format!("{open}{head}{close}", open = brackets.0, close = brackets.1),
            ));
        }
        None
    }

    /// `[[path]]` at `offset` after a `[[path.x]]` header with no `[[path]]`
    /// before it, the usual way of leaving out an array element's own header
    /// (`[[obligors.assets]]` without its `[[obligors]]`): the sub-table made a table
    /// [path] that the later `[[path]]` repeats. Told at the sub-table, with the header to
    /// add (review 40d F3: the message said to merge two [obligors] tables the file does not
    /// have).
    fn missing_array_header(&self, line: &str, path: &str, offset: usize) -> Option<InputError> {
        if !line.trim_start().starts_with("[[") {
            return None;
        }
        // Only an array of tables under it (`[[obligors.assets]]`): a `[fees.manager]` or a
        // `[obligors.assets]` is another mistake, which the header to add would not fix
        // (review 40e F4).
        let sub = format!("{path}.");
        for (line_start, l, name) in self.headers_before(offset) {
            if name == path {
                // An element of its own came first: not this mistake.
                return None;
            }
            if !name.starts_with(&sub) {
                continue;
            }
            let t = l.trim_start();
            if !t.starts_with("[[") {
                return None;
            }
            let header = format!("{}]", t.get(..t.find(']').map_or(t.len(), |i| i + 1))?);
            return Some(self.error_at(
                line_start + (l.len() - t.len()),
                path,
                format!(
                    "{header} comes before any [[{path}]]: it makes a table [{path}] of its own, \
                     which the [[{path}]] on line {} then repeats",
                    self.line_of(offset)
                ),
                format!(
                    "the [[{path}]] header of its element (with its keys, e.g. `name`) on the line \
                     above {header}"
                ),
            ));
        }
        None
    }

    fn serde_error(&self, e: &toml::de::Error) -> InputError {
        self.serde_error_beside(e, &[])
    }

    /// [`Self::serde_error`], whose "did you mean" leaves out the keys `beside` (those the
    /// unknown key's table already has).
    fn serde_error_beside(&self, e: &toml::de::Error, beside: &[String]) -> InputError {
        let span = e.span().unwrap_or(0..0);
        let mut path = self.innermost_path(&span);
        let source = self.text.get(span.clone()).unwrap_or("");
        let key = (path_tail(&path), path_tail(parent_or_root(&path)));
        let (problem, expected, missing) =
            translate_serde_message(e.message(), source, beside, key);
        if let Some(key) = missing {
            path = join_key(&path, &key);
        }
        self.error_at(span.start, &path, problem, expected)
    }
}

/// Most unknown keys one load reports ([`SourceIndex::serde_errors`]).
const MAX_UNKNOWN_KEYS: usize = 20;
/// ... and of a file larger than [`LARGE_FILE_BYTES`].
const MAX_UNKNOWN_KEYS_LARGE: usize = 3;
/// 4 MiB, some 17,000 obligors.
const LARGE_FILE_BYTES: usize = 4 << 20;

/// The one near miss that an unknown-key error suggests ("did you mean"), if any, among the
/// expected keys that are not `beside` it already.
fn suggestion(e: &toml::de::Error, beside: &[String]) -> Option<String> {
    let rest = e.message().strip_prefix("unknown field ")?;
    let (found, expected) = rest.split_once(", ").unwrap_or((rest, ""));
    near_miss(found.trim_matches('`'), &quoted_names(expected), beside).map(String::from)
}

/// The one near miss of `found` among `names` that are not `beside` it already (a key its
/// table has is not the one meant): the rename of [`suggestion`] and the hint of
/// [`did_you_mean`] alike.
fn near_miss<'n>(found: &str, names: &[&'n str], beside: &[String]) -> Option<&'n str> {
    let absent = names
        .iter()
        .copied()
        .filter(|n| !beside.iter().any(|b| b == n));
    super::suggest(found, absent)
}

/// The keys of the table that holds the key starting at byte `offset` (in `table`, or in a
/// table inside it), when one does.
fn keys_beside(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    if table.keys().any(|k| k.span().start == offset) {
        return Some(table.keys().map(|k| k.get_ref().to_string()).collect());
    }
    table
        .values()
        .find_map(|v| keys_beside_in(v.get_ref(), offset))
}

fn keys_beside_in(value: &toml::de::DeValue<'_>, offset: usize) -> Option<Vec<String>> {
    match value {
        toml::de::DeValue::Table(t) => keys_beside(t, offset),
        toml::de::DeValue::Array(a) => a.iter().find_map(|v| keys_beside_in(v.get_ref(), offset)),
        _ => None,
    }
}

/// Renames the key that starts at byte `offset` in `table`, or in a table inside it (in a
/// value, or an array of tables), to `to` when given and not already a key there, else
/// removes it; whether it was found.
fn replace_key_at(table: &mut DeTable<'_>, offset: usize, to: Option<&str>) -> bool {
    let hit = table.keys().find(|k| k.span().start == offset).cloned();
    if let Some(k) = hit {
        let Some(value) = table.remove(&k) else {
            return false;
        };
        if let Some(to) = to
            && !table.keys().any(|x| x.get_ref().as_ref() == to)
        {
            let key = toml::Spanned::new(k.span(), std::borrow::Cow::Owned(to.to_string()));
            table.insert(key, value);
        }
        return true;
    }
    table
        .iter_mut()
        .any(|(_, v)| replace_key_in(v.get_mut(), offset, to))
}

fn replace_key_in(value: &mut toml::de::DeValue<'_>, offset: usize, to: Option<&str>) -> bool {
    match value {
        toml::de::DeValue::Table(t) => replace_key_at(t, offset, to),
        toml::de::DeValue::Array(a) => a
            .iter_mut()
            .any(|v| replace_key_in(v.get_mut(), offset, to)),
        _ => false,
    }
}

/// What reads a whole file's text as the file's kind: the byte offset of its first syntax or
/// type error, or None ([`first_error`]).
type Loads<'f> = &'f dyn Fn(&str) -> Option<usize>;

/// The byte offset of the first syntax or type error of `text` read as a `T`, or None when it
/// reads: what [`SourceIndex::local_habit`] checks its fixed line against.
fn first_error<T: serde::de::DeserializeOwned>(text: &str) -> Option<usize> {
    match DeTable::parse(text) {
        Err(e) => Some(e.span().map_or(0, |s| s.start)),
        Ok(t) => T::deserialize(toml::de::Deserializer::from(t))
            .err()
            .map(|e| e.span().map_or(0, |s| s.start)),
    }
}

/// A line `key = value # comment`: the bare key, the value's byte offset in the line and the
/// value (trimmed, without the comment). None for a header, a quoted or dotted key, or no `=`.
fn key_and_value(line: &str) -> Option<(&str, usize, &str)> {
    let (k, v) = line.split_once('=')?;
    let key = k.trim();
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return None;
    }
    let value = v.split('#').next().unwrap_or("").trim();
    let at = k.len() + 1 + (v.len() - v.trim_start().len());
    Some((key, at, value))
}

/// A line of the file as TOML reads it, offered for a syntax error on it.
struct Fix {
    /// The line, fixed.
    line: String,
    /// The byte offset in the line as typed of what to point at.
    at: usize,
    /// What was wrong, for the error's problem.
    problem: String,
    /// Why the fix reads, for the error's `expected`.
    why: String,
}

/// A string opened by `"` and closed by a full-width quote (`name = "天知”`): for each
/// full-width quote inside a string opened by `"` ([`respell::quotes_in_strings`]), in order,
/// the line with that quote made `"`. [`SourceIndex::local_habit`] offers the first with which
/// the file reads (review 46a F5, 46b F6: the string that stays open need not be the line's
/// first; 46c F2: never a quote in a comment or a `'…'` string).
fn full_width_quote_fixes(typed: &str) -> Vec<Fix> {
    respell::quotes_in_strings(typed)
        .into_iter()
        .map(|(at, mark)| Fix {
            line: format!("{}\"{}", &typed[..at], &typed[at + mark.len_utf8()..]),
            at,
            problem: format!(
                "the string is closed by `{mark}` ({}), a full-width quote from the input method",
                respell::mark_name(mark)
            ),
            why: "a string is closed by an ASCII `\"`".to_string(),
        })
        .collect()
}

/// The table that holds the key at `path`, or "" at the top.
fn parent_or_root(path: &str) -> &str {
    super::spans::parent_path(path).unwrap_or("")
}

/// toml's list of what it expected, or a pointer to the TOML syntax when it gave none.
fn describe_toml_expected(e: &str) -> String {
    if e.is_empty() {
        "valid TOML (https://toml.io)".to_string()
    } else {
        e.to_string()
    }
}

/// `2024-04-01 2024-07-01`: a date, a blank and something that is not a time.
fn looks_like_two_dates(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 11
        && s.get(..10)
            .is_some_and(|d| crate::schema::parse_iso_date(d).is_some())
        && b.get(10) == Some(&b' ')
        && b.get(13) != Some(&b':')
}

/// The backquoted names in `s`: "one of `a`, `b`" → [a, b].
fn quoted_names(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// Keys that belong to another table than the one they were found in: (the keys, keys that
/// tell the table they were found in, what to say instead of a near miss). A `rate` in a typed
/// schedule entry is no misspelt `date`; a period's key after a `[[periods.obligors]]` header
/// is read into that obligor by TOML (review 38b item 7: one "unknown key" per line, with no
/// word of why).
const ELSEWHERE: &[(&[&str], &[&str], &str)] = &[
    (
        &["rate"],
        &["date", "principal"],
        "a typed schedule entry has no rate: give its `principal` and `interest`, or generate a \
         licence's fees from a table with `rate`; docs/deal-format.md, \"Generated licence-fee \
         schedules\"",
    ),
    (
        &[
            "period",
            "payment_date",
            "pool",
            "taxes",
            "fees",
            "supports",
            "support_repaid",
            "support_interest",
            "reserve_draws",
            "tranches",
            "accounts",
            "triggers",
        ],
        &["name", "balance_end", "recoveries"],
        "a key of the period, not of an obligor: TOML reads every line after a \
         `[[periods.obligors]]` header into that obligor, so write the period's keys above its \
         first `[[periods.obligors]]`",
    ),
];

/// " (did you mean `x`?)" when `found` is a near miss of exactly one of `names` that is not
/// `beside` it already (a key its table has is not the one meant); the word of [`ELSEWHERE`]
/// for a key that belongs to another table.
fn did_you_mean(found: &str, names: &[&str], beside: &[String]) -> String {
    if let Some((_, _, hint)) = ELSEWHERE
        .iter()
        .find(|(keys, tell, _)| keys.contains(&found) && tell.iter().all(|t| names.contains(t)))
    {
        return format!(" ({hint})");
    }
    near_miss(found, names, beside)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The expectation serde names for a `Decimal`.
const DECIMAL: &str = "a Decimal type representing a fixed-point number";

/// Turns a serde message into (problem, expected, missing key). `source` is the text of
/// the value the message is about, shown instead of serde's rendering of it.
fn translate_serde_message(
    msg: &str,
    source: &str,
    beside: &[String],
    (key, parent): (&str, &str),
) -> (String, String, Option<String>) {
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
            one_of(&names)
        };
        let hint = did_you_mean(found.trim_matches('`'), &names, beside);
        return (format!("unknown key {found}{hint}"), expected, None);
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (found, expected) = rest.split_once(", ").unwrap_or((rest, ""));
        let names = quoted_names(expected);
        let hint = did_you_mean(found.trim_matches('`'), &names, &[]);
        return (format!("unknown value {found}{hint}"), one_of(&names), None);
    }
    let (problem, expected) = match msg.split_once(", expected ") {
        Some((p, e)) => (p, e),
        None => (msg, ""),
    };
    let invalid_type = problem.strip_prefix("invalid type: ");
    let invalid_value = problem.strip_prefix("invalid value: ");
    // A date or a number typed in a local habit, inside quotes: `"2024年3月31日"`, `"3000万"`.
    let respelt = respell::respell(source.trim().trim_matches(['"', '\'']))
        .filter(|r| match r.kind {
            respell::Kind::Date => expected == DATE_EXPECTED,
            k => expected == DECIMAL && k == respell::kind_of(key, parent),
        })
        .map(|r| {
            (
                format!(": it is {}", r.what),
                format!("{} ({})", r.toml, r.why),
                r.kind,
            )
        });
    let Some(unexpected) = invalid_type.or(invalid_value) else {
        if let Some((what, toml, kind)) = respelt {
            // "`2024/1/1` is not a date as TOML writes one: it is a date written with `/`".
            let problem = match kind {
                respell::Kind::Date => {
                    problem.replacen(" is not a date", " is not a date as TOML writes one", 1)
                }
                _ => problem.to_string(),
            };
            return (format!("{problem}{what}"), toml, None);
        }
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
    // A table where an array goes: `[periods]` written for `[[periods]]` (review 44c F11: the
    // example given was a list of names).
    if let Some((what, toml, _)) = respelt {
        return (format!("{problem}{what}"), toml, None);
    }
    let expected = if found == "a table" && expected == "a sequence" {
        "an array: `[ … ]`, or an array of tables, each entry under its own `[[…]]` header (e.g. \
         `[[periods]]`, not `[periods]`)"
            .to_string()
    } else {
        describe_expected(expected)
    };
    (problem, expected, None)
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
    fn two_dates() {
        assert!(looks_like_two_dates("2024-04-01 2024-07-01"));
        assert!(!looks_like_two_dates("2024-04-01 10:00"));
    }

    #[test]
    fn serde_messages() {
        let (p, e, m) = translate_serde_message(
            "unknown field `balanse`, expected one of `name`, `balance`",
            "balanse",
            &[],
            ("", ""),
        );
        assert_eq!(p, "unknown key `balanse` (did you mean `balance`?)");
        assert_eq!(e, "one of: name, balance");
        assert_eq!(m, None);
        let (p, _, m) = translate_serde_message("missing field `balance`", "", &[], ("", ""));
        assert_eq!(p, "missing required key `balance`");
        assert_eq!(m.as_deref(), Some("balance"));
        let (p, e, _) = translate_serde_message(
            "invalid type: integer `3`, expected a string",
            "3",
            &[],
            ("", ""),
        );
        assert_eq!(p, "wrong type: found integer `3`");
        assert_eq!(e, "a string");
        let (p, _, _) = translate_serde_message(
            "invalid type: integer `99999999999999999999` as i128, expected i64",
            "99999999999999999999",
            &[],
            ("", ""),
        );
        assert_eq!(p, "the integer 99999999999999999999 is too large");
        let (p, e, _) = translate_serde_message(
            "invalid value: string \"lots\", expected a Decimal type representing a \
             fixed-point number",
            "\"lots\"",
            &[],
            ("", ""),
        );
        assert_eq!(p, "string \"lots\" is not a number");
        assert!(e.starts_with("a number"));
        let (p, _, _) = translate_serde_message(
            "invalid type: map, expected a sequence",
            "{}",
            &[],
            ("", ""),
        );
        assert_eq!(p, "wrong type: found a table");
    }
}

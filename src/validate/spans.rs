//! Where things are in the source: an index from key path to byte spans, and byte offsets to
//! line, column and key path. [`super::messages`] turns toml and serde errors into
//! [`InputError`]s located with it.
//!
//! The index is compact, since a large pool has millions of keys: an entry holds its parent's
//! id, its own key (a span of the source text) or array position, and its spans; no path is
//! stored. A path is found by a hash of its text (computed from the parent's as entries are
//! added), confirmed by rebuilding the entry's path, and rebuilt as a `String` only when a
//! message needs it.

use std::ops::Range;

use rustc_hash::FxHashMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::InputError;

/// No entry (the parent of a top-level entry of a recovered index), or no span.
const NONE: u32 = u32::MAX;

/// One key or array element of the document.
#[derive(Debug)]
struct Entry {
    /// The enclosing table's or array's entry; [`NONE`] for the root and, in a recovered
    /// index (which has no root entry), the top-level keys.
    parent: u32,
    /// The last part of the path.
    seg: Seg,
    /// The key's span (start, end); start [`NONE`] for array elements and the root.
    key: (u32, u32),
    /// The value's span. For a table opened by a header (`[deal]`, `[[obligors]]`) this is
    /// the header only.
    value: (u32, u32),
    depth: u16,
    kind: Kind,
    /// The source text of a float or integer value.
    literal: Lit,
}

/// The last part of an entry's path.
#[derive(Debug, Clone, Copy)]
enum Seg {
    /// The document itself (path ``).
    Root,
    /// A key as decoded, found in the source text at (start, len).
    Text(u32, u32),
    /// A key as decoded that the source does not hold verbatim (it had escapes): `owned[i]`.
    Owned(u32),
    /// An array element.
    Index(u32),
}

/// Where the source text of a number is.
#[derive(Debug, Clone, Copy)]
enum Lit {
    None,
    /// A float written as the value's span holds it.
    Float,
    /// A float whose text toml normalised (`1_000.5`): `owned[i]`.
    FloatOwned(u32),
    /// An integer (its text is the value's span) and its radix (16 for `0x10`).
    Integer(u8),
}

/// What kind of value an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Array,
    Scalar,
}

/// The source text of a number, kept to check that it means what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Literal<'s> {
    Float(&'s str),
    /// An integer and its radix (16 for `0x10`).
    Integer(&'s str, u32),
}

/// A running FNV-1a hash of a path's text: the hash of `a.b[2]` continues the hash of `a.b`,
/// so each entry hashes only its own part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PathHash(u64);

impl PathHash {
    const EMPTY: PathHash = PathHash(0xcbf2_9ce4_8422_2325);

    fn bytes(self, bytes: &[u8]) -> PathHash {
        let mut h = self.0;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        PathHash(h)
    }

    /// The hash of `prefix.key` (as [`join_key`] writes it) from the hash of `prefix`.
    fn key(self, prefix_empty: bool, key: &str, bare: bool) -> PathHash {
        let h = if prefix_empty { self } else { self.bytes(b".") };
        if bare {
            h.bytes(key.as_bytes())
        } else {
            h.bytes(format!("{key:?}").as_bytes())
        }
    }

    /// The hash of `prefix[i]` from the hash of `prefix`.
    fn index(self, i: usize) -> PathHash {
        let mut buf = [0u8; 20];
        self.bytes(b"[").bytes(decimal(i, &mut buf)).bytes(b"]")
    }
}

/// The decimal digits of `n`, written at the end of `buf`.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[at..]
}

/// A parsed source file with its location index.
#[derive(Debug)]
pub(crate) struct SourceIndex<'a> {
    file: &'a str,
    pub(super) text: &'a str,
    line_starts: Vec<usize>,
    entries: Vec<Entry>,
    /// Keys and float texts that are not verbatim in `text`.
    owned: Vec<Box<str>>,
    /// Path hash → the first entry with that path.
    by_hash: FxHashMap<u64, u32>,
    /// Entries whose path hash is that of another path (so not in `by_hash`); looked through
    /// when the entry `by_hash` gives is not the path asked for.
    collided: Vec<u32>,
    /// While a piece of the text is being added ([`SourceIndex::add_piece`]): where it starts,
    /// added to the spans toml gives in it.
    base: usize,
}

/// A span as two `u32`s (files are at most [`super::MAX_INPUT_BYTES`]).
fn span32(r: &Range<usize>) -> (u32, u32) {
    let c = |x: usize| u32::try_from(x).unwrap_or(NONE - 1);
    (c(r.start), c(r.end))
}

fn range(s: (u32, u32)) -> Range<usize> {
    s.0 as usize..s.1 as usize
}

impl<'a> SourceIndex<'a> {
    /// The index of a parsed document.
    pub(super) fn of_table(file: &'a str, text: &'a str, table: &Spanned<DeTable<'_>>) -> Self {
        let mut index = SourceIndex::new(file, text);
        let root = index.push(
            NONE,
            Seg::Root,
            None,
            &table.span(),
            0,
            Kind::Table,
            Lit::None,
            PathHash::EMPTY,
        );
        index.walk_table(table.get_ref(), root, PathHash::EMPTY, true, 1);
        index
    }

    /// The index of what the parser can recover from `text`, which need not be valid TOML:
    /// enough to name the key near an error.
    pub(super) fn recovered(file: &'a str, text: &'a str) -> Self {
        let mut index = SourceIndex::new(file, text);
        let (partial, _) = DeTable::parse_recoverable(text);
        index.walk_table(partial.get_ref(), NONE, PathHash::EMPTY, true, 1);
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
            owned: Vec::new(),
            by_hash: FxHashMap::default(),
            collided: Vec::new(),
            base: 0,
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

    /// Adds an entry whose path hashes to `hash`; returns its id.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        parent: u32,
        seg: Seg,
        key: Option<Range<usize>>,
        value: &Range<usize>,
        depth: usize,
        kind: Kind,
        literal: Lit,
        hash: PathHash,
    ) -> u32 {
        let id = u32::try_from(self.entries.len()).unwrap_or(NONE);
        self.entries.push(Entry {
            parent,
            seg,
            key: key.as_ref().map_or((NONE, NONE), span32),
            value: span32(value),
            depth: u16::try_from(depth).unwrap_or(u16::MAX),
            kind,
            literal,
        });
        // The first entry of a path wins; a different path with the same hash is kept aside.
        match self.by_hash.entry(hash.0) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let first = *o.get();
                if self.path_of(first) != self.path_of(id)
                    && !self
                        .collided
                        .iter()
                        .any(|&c| self.path_of(c) == self.path_of(id))
                {
                    self.collided.push(id);
                }
            }
        }
        id
    }

    /// A decoded key: where it is in `text`, or a copy when it is not there verbatim.
    fn key_seg(&mut self, key: &str) -> Seg {
        let start = (key.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if let (Ok(s), Ok(len)) = (u32::try_from(start), u32::try_from(key.len()))
            && self.text.get(start..start + key.len()) == Some(key)
        {
            return Seg::Text(s, len);
        }
        self.owned.push(key.into());
        Seg::Owned(u32::try_from(self.owned.len() - 1).unwrap_or(NONE))
    }

    /// The key of a key segment ("" for the root and array elements).
    fn seg_key(&self, seg: Seg) -> &str {
        match seg {
            Seg::Text(s, len) => self
                .text
                .get(s as usize..s as usize + len as usize)
                .unwrap_or(""),
            Seg::Owned(i) => self.owned.get(i as usize).map_or("", |k| k),
            Seg::Root | Seg::Index(_) => "",
        }
    }

    /// The key path of an entry, as [`join_key`] writes it: `obligors[3].assets[0].rate`.
    fn path_of(&self, id: u32) -> String {
        let mut chain = Vec::new();
        let mut at = id;
        while let Some(e) = self.entries.get(at as usize) {
            chain.push(e);
            at = e.parent;
        }
        let mut path = String::new();
        for e in chain.iter().rev() {
            match e.seg {
                Seg::Root => {}
                Seg::Index(i) => {
                    use std::fmt::Write;
                    let _ = write!(path, "[{i}]");
                }
                seg => path = join_key(&path, self.seg_key(seg)),
            }
        }
        path
    }

    /// Whether `path` is the path of entry `id` (`path_of(id) == path`, without building
    /// it): each part is matched at the end of `path`, from the entry up to the root.
    fn path_is(&self, id: u32, path: &str) -> bool {
        let mut rest = path.as_bytes();
        let mut at = id;
        while let Some(e) = self.entries.get(at as usize) {
            let part = match e.seg {
                Seg::Root => break,
                Seg::Index(i) => {
                    let mut buf = [0u8; 20];
                    let digits = decimal(i as usize, &mut buf);
                    let Some(r) = rest.strip_suffix(b"]") else {
                        return false;
                    };
                    let Some(r) = r.strip_suffix(digits) else {
                        return false;
                    };
                    r.strip_suffix(b"[")
                }
                seg => {
                    let key = self.seg_key(seg);
                    let r = if is_bare(key) {
                        rest.strip_suffix(key.as_bytes())
                    } else {
                        rest.strip_suffix(format!("{key:?}").as_bytes())
                    };
                    // `.` before the key unless it is a key of the document's root.
                    let top = self
                        .entries
                        .get(e.parent as usize)
                        .is_none_or(|p| matches!(p.seg, Seg::Root));
                    if top {
                        r
                    } else {
                        r.and_then(|r| r.strip_suffix(b"."))
                    }
                }
            };
            match part {
                Some(r) => rest = r,
                None => return false,
            }
            at = e.parent;
        }
        rest.is_empty()
    }

    /// The entry of `path`, if the document has it.
    fn find(&self, path: &str) -> Option<&Entry> {
        let id = *self
            .by_hash
            .get(&PathHash::EMPTY.bytes(path.as_bytes()).0)?;
        let id = if self.path_is(id, path) {
            id
        } else {
            *self.collided.iter().find(|&&c| self.path_is(c, path))?
        };
        self.entries.get(id as usize)
    }

    /// Adds the entries of `table`'s keys, children of `parent` (whose path hashes to `hash`
    /// and is empty when `top`).
    fn walk_table(
        &mut self,
        table: &DeTable<'_>,
        parent: u32,
        hash: PathHash,
        top: bool,
        depth: usize,
    ) {
        for (k, v) in table.iter() {
            let key = k.get_ref();
            let h = hash.key(top, key, is_bare(key));
            let seg = self.key_seg(key);
            self.walk_value(parent, seg, Some(k.span()), v, h, depth);
        }
    }

    fn walk_value(
        &mut self,
        parent: u32,
        seg: Seg,
        key: Option<Range<usize>>,
        v: &Spanned<DeValue<'_>>,
        hash: PathHash,
        depth: usize,
    ) {
        let span = self.shift(v.span());
        let key = key.map(|k| self.shift(k));
        let (kind, literal) = match v.get_ref() {
            DeValue::Float(f) => {
                let lit = if self.text.get(span.clone()) == Some(f.as_str()) {
                    Lit::Float
                } else {
                    self.owned.push(f.as_str().into());
                    Lit::FloatOwned(u32::try_from(self.owned.len() - 1).unwrap_or(NONE))
                };
                (Kind::Scalar, lit)
            }
            // toml keeps an integer's digits without its `0x` prefix: the span's text is used.
            DeValue::Integer(n) => (
                Kind::Scalar,
                Lit::Integer(u8::try_from(n.radix()).unwrap_or(10)),
            ),
            DeValue::Table(_) => (Kind::Table, Lit::None),
            DeValue::Array(_) => (Kind::Array, Lit::None),
            _ => (Kind::Scalar, Lit::None),
        };
        let id = self.push(parent, seg, key, &span, depth, kind, literal, hash);
        match v.get_ref() {
            DeValue::Table(t) => self.walk_table(t, id, hash, false, depth + 1),
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let seg = Seg::Index(u32::try_from(i).unwrap_or(NONE));
                    self.walk_value(id, seg, None, item, hash.index(i), depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A span toml gives in the piece being added, as a span of the whole text.
    fn shift(&self, r: Range<usize>) -> Range<usize> {
        r.start + self.base..r.end + self.base
    }

    /// An index to which the pieces of a document are added ([`SourceIndex::add_piece`]).
    pub(super) fn for_pieces(file: &'a str, text: &'a str) -> Self {
        let mut index = SourceIndex::new(file, text);
        // toml gives the document's root table the span 0..0.
        index.push(
            NONE,
            Seg::Root,
            None,
            &(0..0),
            0,
            Kind::Table,
            Lit::None,
            PathHash::EMPTY,
        );
        index
    }

    /// Adds the keys of `table`, parsed from the text from byte `base` on, to an index made by
    /// [`SourceIndex::for_pieces`]: the entries [`SourceIndex::of_table`] makes of the whole
    /// text, given that the pieces are added in order, that each piece's key `array` is an
    /// array of tables (the pieces' elements are one array, numbered on from piece to piece,
    /// whose key and header are the first piece's) and that no other top-level key is in
    /// two pieces. `array` holds the array's entry id and its length so far.
    pub(super) fn add_piece(
        &mut self,
        base: usize,
        table: &Spanned<DeTable<'_>>,
        name: &str,
        array: &mut (Option<u32>, u32),
    ) {
        self.base = base;
        let root = 0;
        let array_hash = PathHash::EMPTY.key(true, name, is_bare(name));
        for (k, v) in table.get_ref().iter() {
            let key = k.get_ref();
            match v.get_ref() {
                DeValue::Array(items) if key == name => {
                    let id = match array.0 {
                        Some(id) => id,
                        None => {
                            let seg = self.key_seg(key);
                            let (key_span, span) = (self.shift(k.span()), self.shift(v.span()));
                            let id = self.push(
                                root,
                                seg,
                                Some(key_span),
                                &span,
                                1,
                                Kind::Array,
                                Lit::None,
                                array_hash,
                            );
                            array.0 = Some(id);
                            id
                        }
                    };
                    for item in items.iter() {
                        let i = array.1;
                        let h = array_hash.index(i as usize);
                        self.walk_value(id, Seg::Index(i), None, item, h, 2);
                        array.1 += 1;
                    }
                }
                _ => {
                    let h = PathHash::EMPTY.key(true, key, is_bare(key));
                    let seg = self.key_seg(key);
                    self.walk_value(root, seg, Some(k.span()), v, h, 1);
                }
            }
        }
        self.base = 0;
    }

    /// Every entry as (path, key span, value span, depth, kind, literal), sorted: for tests
    /// that compare two ways of building an index.
    #[cfg(test)]
    pub(super) fn entries_for_test(&self) -> Vec<String> {
        let mut out: Vec<String> = (0..self.entries.len())
            .map(|i| {
                let e = &self.entries[i];
                let path = self.path_of(i as u32);
                let lit = match self.find(&path) {
                    Some(_) => format!("{:?}", self.literal(&path)),
                    None => "not found".to_string(),
                };
                format!(
                    "{path} key {:?} value {:?} depth {} {:?} {lit}",
                    e.key, e.value, e.depth, e.kind
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The source text of the number at `path`, if the value there is a TOML float or
    /// integer.
    pub(crate) fn literal(&self, path: &str) -> Option<Literal<'_>> {
        let e = self.find(path)?;
        let source = || self.text.get(range(e.value));
        match e.literal {
            Lit::None => None,
            Lit::Float => source().map(Literal::Float),
            Lit::FloatOwned(i) => self.owned.get(i as usize).map(|t| Literal::Float(t)),
            Lit::Integer(radix) => source().map(|t| Literal::Integer(t, u32::from(radix))),
        }
    }

    /// Byte offset of the key at `path` (for ordering); None if absent.
    pub(crate) fn key_offset(&self, path: &str) -> Option<usize> {
        let e = self.find(path)?;
        Some(if e.key.0 == NONE { e.value.0 } else { e.key.0 } as usize)
    }

    /// Byte offset for an error at `path`: its value, or (for a missing key) the nearest
    /// enclosing table or array element that exists.
    fn offset_of(&self, path: &str, prefer_key: bool) -> usize {
        let mut p = path;
        loop {
            if let Some(e) = self.find(p) {
                return if prefer_key && p == path && e.key.0 != NONE {
                    e.key.0 as usize
                } else {
                    e.value.0 as usize
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
        let contains = |r: Range<usize>| r.start <= span.start && span.end <= r.end;
        let mut best: Option<(usize, u16, usize)> = None;
        for (i, e) in self.entries.iter().enumerate() {
            let key = (e.key.0 != NONE).then_some(e.key);
            for r in std::iter::once(e.value).chain(key).map(range) {
                if contains(r.clone()) {
                    let len = r.end - r.start;
                    let better = match best {
                        None => true,
                        Some((blen, bdepth, _)) => len < blen || (len == blen && e.depth > bdepth),
                    };
                    if better {
                        best = Some((len, e.depth, i));
                    }
                }
            }
        }
        best.map(|(_, _, i)| self.path_of(i as u32))
            .unwrap_or_default()
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
    pub(super) fn container_at(&self, offset: usize) -> Option<(String, usize)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind != Kind::Scalar && !matches!(e.seg, Seg::Root))
            .filter(|(_, e)| {
                let opener = self.text.as_bytes().get(e.value.0 as usize).copied();
                let header = e.kind == Kind::Table && opener == Some(b'[');
                let inline = e.kind == Kind::Table || opener == Some(b'[');
                let (start, end) = (e.value.0 as usize, e.value.1 as usize);
                !header && inline && start < offset && offset <= end
            })
            .max_by_key(|(_, e)| e.value.0)
            .map(|(i, e)| (self.path_of(i as u32), e.value.0 as usize))
    }

    /// The path of the table whose header (`[deal]`, `[[tranches]]`) is the last one before
    /// `offset`; empty for the document root.
    fn header_before(&self, offset: usize) -> String {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.kind == Kind::Table
                    && (e.value.0 as usize) < offset
                    && self.text.as_bytes().get(e.value.0 as usize) == Some(&b'[')
            })
            .max_by_key(|(_, e)| (e.value.0, e.depth))
            .map(|(i, _)| self.path_of(i as u32))
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
        let container = self.container_at(offset).map(|(p, _)| p);
        if container_first && let Some(p) = &container {
            return p.clone();
        }
        let same_line = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.key.0 != NONE)
            .map(|(i, e)| (e.key.0 as usize, i))
            .filter(|(start, _)| (line_start..offset).contains(start))
            .max_by_key(|(start, _)| *start)
            .map(|(_, i)| self.path_of(i as u32));
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

    pub(crate) fn error_at(
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

    /// The byte offset a warning about `path` points at (its value, or its nearest existing
    /// parent), by which warnings are put in the file's order.
    pub(crate) fn offset(&self, path: &str) -> usize {
        self.offset_of(path, false)
    }

    /// `file:line:column: key` for a warning about `path`.
    pub(crate) fn location(&self, path: &str) -> String {
        let (line, column, _) = self.position(self.offset_of(path, false));
        format!("{}:{line}:{column}: {path}", self.file)
    }
}

/// `prefix.key`, quoting a key that is not bare.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    let key = if is_bare(key) {
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

/// Whether a key is written bare in a key path (else it is quoted, as `"名称"`).
fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The enclosing path: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``; None for the root.
pub(super) fn parent_path(path: &str) -> Option<&str> {
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

    /// Every entry is found by its path, which is what the path strings of the index before
    /// this one (built with `join_key` and `[i]`) were: checked against paths written by hand.
    #[test]
    fn paths_are_found_and_rebuilt() {
        let text = "top = 1\n\
                    [deal]\n\
                    name = \"x\"\n\
                    \"名称\" = 0x1F\n\
                    \"a.b\" = { c = 1_000.5 }\n\
                    \"esc\\u0041\" = 2.50\n\
                    [[obligors]]\n\
                    name = \"o\"\n\
                    [[obligors.assets]]\n\
                    rate = 0.04\n\
                    sched = [[1, 2], [3]]\n";
        let table = DeTable::parse(text).expect("valid TOML");
        let index = SourceIndex::of_table("f", text, &table);
        let expected = [
            "",
            "deal",
            "deal.\"a.b\"",
            "deal.\"a.b\".c",
            "deal.escA",
            "deal.name",
            "deal.\"名称\"",
            "obligors",
            "obligors[0]",
            "obligors[0].assets",
            "obligors[0].assets[0]",
            "obligors[0].assets[0].rate",
            "obligors[0].assets[0].sched",
            "obligors[0].assets[0].sched[0]",
            "obligors[0].assets[0].sched[0][0]",
            "obligors[0].assets[0].sched[0][1]",
            "obligors[0].assets[0].sched[1]",
            "obligors[0].assets[0].sched[1][0]",
            "obligors[0].name",
            "top",
        ];
        // `"esc\u0041"` decodes to `escA` (not verbatim in the text: an owned key), which is
        // bare, so unquoted in the path.
        let mut paths: Vec<String> = (0..index.entries.len() as u32)
            .map(|i| index.path_of(i))
            .collect();
        paths.sort();
        let mut want: Vec<String> = expected.iter().map(|p| p.to_string()).collect();
        want.sort();
        assert_eq!(paths, want);
        for p in expected {
            let e = index.find(p).unwrap_or_else(|| panic!("{p} is found"));
            let id = index
                .entries
                .iter()
                .position(|x| std::ptr::eq(x, e))
                .unwrap();
            assert_eq!(index.path_of(id as u32), p);
        }
        assert!(index.find("deal.missing").is_none());
        assert!(index.find("obligors[1]").is_none());
        // Each entry's path is its own and no other's.
        for i in 0..index.entries.len() as u32 {
            for p in expected {
                assert_eq!(index.path_is(i, p), index.path_of(i) == p, "{i} {p}");
            }
            let p = index.path_of(i);
            for wrong in [
                format!("x{p}"),
                format!(".{p}"),
                format!("{p}0"),
                format!("[0]{p}"),
            ] {
                assert!(!index.path_is(i, &wrong), "{wrong}");
            }
        }
        // Literals: the source text, or toml's text when it differs (underscores dropped).
        assert_eq!(
            index.literal("deal.\"名称\""),
            Some(Literal::Integer("0x1F", 16))
        );
        assert_eq!(
            index.literal("deal.\"a.b\".c"),
            Some(Literal::Float("1000.5"))
        );
        assert_eq!(index.literal("deal.escA"), Some(Literal::Float("2.50")));
        assert_eq!(index.literal("deal.name"), None);
        // Key offsets: `name = "o"` is the 8th line.
        let at = index.key_offset("obligors[0].name").unwrap();
        assert_eq!(index.line_of(at), 8);
    }

    /// An entry stays small: a large pool has millions (docs/performance.md, session 5).
    #[test]
    fn an_entry_is_44_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 44);
    }

    /// A path whose hash leads to another entry is still found, through `collided`.
    #[test]
    fn a_hash_collision_is_resolved() {
        let text = "a = 1\nb = 2\n";
        let table = DeTable::parse(text).expect("valid TOML");
        let mut index = SourceIndex::of_table("f", text, &table);
        let (a, b) = (
            index.find("a").unwrap().value,
            index.find("b").unwrap().value,
        );
        // Make `b`'s hash point at `a`, as if the two paths hashed alike.
        let hb = PathHash::EMPTY.bytes(b"b").0;
        let ida = index.by_hash[&PathHash::EMPTY.bytes(b"a").0];
        let idb = index.by_hash.insert(hb, ida).unwrap();
        assert!(index.find("b").is_none());
        index.collided.push(idb);
        assert_eq!(index.find("b").map(|e| e.value), Some(b));
        assert_eq!(index.find("a").map(|e| e.value), Some(a));
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

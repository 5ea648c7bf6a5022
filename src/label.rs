//! [`Label`]: the cheap-to-clone name the pool and engine rows carry.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A cheap-to-clone string for the many rows a run produces: a static phrase, a short name
/// stored inline, or a longer name shared by every row that mentions it. Compares and prints
/// like a `str`.
///
/// Short names (obligor, tranche and fee names of up to [`INLINE_LEN`] bytes) are copied rather
/// than shared: cloning an `Arc` is an atomic operation, and a run clones a name for every row
/// and ledger entry (docs/performance.md).
#[derive(Clone)]
pub enum Label {
    /// A fixed word of the program: a class, a row's kind, a ledger item such as `reserve`.
    Static(&'static str),
    /// A name of up to `INLINE_LEN` bytes, copied in place.
    Inline(InlineStr),
    /// A longer name, shared by every row that carries it.
    Shared(Arc<str>),
}

/// Bytes a name may have to be stored inline in a [`Label`].
pub const INLINE_LEN: usize = 22;

/// A string of at most [`INLINE_LEN`] bytes, stored in place.
#[derive(Clone, Copy)]
pub struct InlineStr {
    len: u8,
    bytes: [u8; INLINE_LEN],
}

impl InlineStr {
    /// `s` stored inline, if it is short enough.
    fn new(s: &str) -> Option<InlineStr> {
        let src = s.as_bytes();
        if src.len() > INLINE_LEN {
            return None;
        }
        let mut bytes = [0u8; INLINE_LEN];
        bytes[..src.len()].copy_from_slice(src);
        Some(InlineStr {
            len: src.len() as u8,
            bytes,
        })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn as_str(&self) -> &str {
        // SAFETY: `new` is the only constructor, and it copies the bytes of a whole `str` into
        // `bytes[..len]`; the fields are private and never changed after, so these bytes are
        // valid UTF-8. (Checking them again here was 3.5% of a `sweep --flows`: the writer
        // reads every row's names; docs/performance.md, session 19.)
        unsafe { std::str::from_utf8_unchecked(self.as_bytes()) }
    }
}

impl Label {
    /// `s` as a label: inline when short, otherwise shared.
    pub fn new(s: &str) -> Label {
        InlineStr::new(s).map_or_else(|| Label::Shared(s.into()), Label::Inline)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Label::Static(s) => s,
            Label::Inline(s) => s.as_str(),
            Label::Shared(s) => s,
        }
    }

    /// The UTF-8 bytes, without re-checking an inline name: comparisons use these.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Label::Static(s) => s.as_bytes(),
            Label::Inline(s) => s.as_bytes(),
            Label::Shared(s) => s.as_bytes(),
        }
    }
}

impl Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Hashes like the `str` it holds.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> std::cmp::Ordering {
        // UTF-8 byte order is `str` order.
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for Label {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl From<&'static str> for Label {
    fn from(s: &'static str) -> Label {
        Label::Static(s)
    }
}

impl From<String> for Label {
    fn from(s: String) -> Label {
        Label::new(&s)
    }
}

impl From<&String> for Label {
    fn from(s: &String) -> Label {
        Label::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_compare_by_text_whatever_their_storage() {
        let short = Label::new("SME-00001");
        let exactly = Label::new("深圳市某某科技有"); // 8 characters × 3 bytes = 24 bytes: shared
        let long = Label::from(String::from("深圳市某某科技有限公司第一分公司"));
        assert!(matches!(short, Label::Inline(_)));
        assert!(matches!(
            Label::new("1234567890123456789012"),
            Label::Inline(_)
        ));
        assert!(matches!(
            Label::new("12345678901234567890123"),
            Label::Shared(_)
        ));
        assert!(matches!(exactly, Label::Shared(_)));
        assert!(matches!(long, Label::Shared(_)));
        assert_eq!(short.as_str(), "SME-00001");
        assert_eq!(long.as_str(), "深圳市某某科技有限公司第一分公司");
        assert_eq!(Label::new("优先A").as_str(), "优先A");
        assert_eq!(Label::new(""), Label::Static(""));
        assert_eq!(Label::new("reserve"), Label::Static("reserve"));
        assert_eq!(short.clone(), short);
        assert_eq!(format!("{short:?}"), "\"SME-00001\"");
        // Order and hash like the text, across storages.
        let long_b = Label::new(&"B".repeat(30));
        assert!(matches!(long_b, Label::Shared(_)));
        assert!(Label::new("A") < long_b);
        let hash = |x: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            use std::hash::Hasher;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x(&mut h);
            h.finish()
        };
        use std::hash::Hash;
        assert_eq!(hash(&|h| "SME-00001".hash(h)), hash(&|h| short.hash(h)));
    }
}

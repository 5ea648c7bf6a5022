//! Named items: name → index tables that check uniqueness ([`Names`]), lists of names resolved
//! against them, and the "did you mean" suggestion for a misspelt name or key.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::Ctx;

/// Name → index table of one kind of named item, checking uniqueness.
pub(crate) struct Names {
    what: &'static str,
    map: FxHashMap<String, usize>,
    /// Names in file order, for "expected one of" lists.
    order: Vec<String>,
}

impl Names {
    pub(crate) fn new(what: &'static str) -> Self {
        Names {
            what,
            map: FxHashMap::default(),
            order: Vec::new(),
        }
    }

    /// A table of names known to be unique (from a validated deal), indexed in order.
    pub(crate) fn from_list<'n>(what: &'static str, names: impl Iterator<Item = &'n str>) -> Self {
        let mut t = Names::new(what);
        for (i, n) in names.enumerate() {
            t.map.entry(n.to_string()).or_insert(i);
            t.order.push(n.to_string());
        }
        t
    }

    /// Adds `name` with `index`; reports a duplicate at `path`.
    pub(crate) fn add(&mut self, ctx: &mut Ctx, path: &str, name: &str, index: usize) {
        if let Some(&first) = self.map.get(name) {
            let first = match path.rsplit_once('.') {
                Some((item, key)) => match item.rsplit_once('[') {
                    Some((list, _)) => format!(" ({list}[{first}].{key} is `{name}` too)"),
                    None => String::new(),
                },
                None => String::new(),
            };
            ctx.err(
                path,
                format!("duplicate {} name `{name}`{first}", self.what),
                format!("{} {} name used only once", article(self.what), self.what),
            );
        } else {
            self.map.insert(name.to_string(), index);
            if !name.trim().is_empty() {
                self.order.push(name.to_string());
            }
        }
    }

    /// Whether no item of the kind was named.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }

    /// Resolves `name`, reporting "no X named `name`" at `path`.
    pub(crate) fn resolve(&self, ctx: &mut Ctx, path: &str, name: &str) -> Option<usize> {
        let found = self.get(name);
        if found.is_none() {
            // One near miss is suggested; a few equally near are listed (review 38b item 8:
            // `Borrower-1` is as near `Borrower-01` as `Borrower-10`, and nothing was said).
            let hint = match near_misses(name, self.order.iter().map(String::as_str)).as_slice() {
                [] => String::new(),
                [one] => format!(" (did you mean `{one}`?)"),
                few if few.len() <= 4 => format!(" (did you mean one of `{}`?)", few.join("`, `")),
                _ => String::new(),
            };
            ctx.err(
                path,
                format!("no {} named `{name}`{hint}", self.what),
                self.one_of(),
            );
        }
        found
    }

    pub(crate) fn one_of(&self) -> String {
        if self.order.is_empty() {
            // Scenario names are the scenario file's (review 44c F11: "the deal has none").
            let owner = if self.what == "scenario" {
                "the scenario file"
            } else {
                "the deal"
            };
            format!(
                "{} {} name, but {owner} has none",
                article(self.what),
                self.what
            )
        } else {
            format!("one of: {}", self.order.join(", "))
        }
    }

    pub(crate) fn map_indices(&mut self, f: impl Fn(usize) -> usize) {
        for v in self.map.values_mut() {
            *v = f(*v);
        }
    }
}

/// "a" or "an" before `word`.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The rating label of `labels` that `found` means: the one it is once its spaces are taken
/// out (`BBB +`), else [`suggest`]'s near miss (another case, `a+`, or a typo); None when none
/// is (review 43c F6, 43h F6: an obligor's tag and `size --target` name it alike).
pub(crate) fn meant_label<'c>(
    found: &str,
    labels: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    let labels: Vec<&'c str> = labels.collect();
    let squeezed: String = found.chars().filter(|c| !c.is_whitespace()).collect();
    labels
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(&squeezed))
        .or_else(|| suggest(found, labels.iter().copied()))
}

/// The one name of `candidates` that `found` is a near miss of (a typo: at most one edit
/// for short names, two or three for longer ones, a swap of two letters counting as one); of
/// several equally close, the one alone that keeps `found`'s first letter (a typo rarely hits
/// it: `knd` is `kind`, not `end`; review 45b item 3: a fee's `knd` had no suggestion, and
/// its drop hid the file's other unknown keys). None when nothing is close, or when the first
/// letter does not tell the equally close apart.
pub(crate) fn suggest<'c>(
    found: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Option<&'c str> {
    match near_misses(found, candidates).as_slice() {
        [one] => Some(one),
        many => {
            let first = |s: &str| {
                s.chars()
                    .next()
                    .map(|c| c.to_lowercase().collect::<String>())
            };
            let mut keep = many.iter().filter(|c| first(c) == first(found));
            match (keep.next(), keep.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }
    }
}

/// The names of `candidates` that `found` is a near miss of, equally close (see [`suggest`]):
/// the one differing only in case when there is exactly one, else those at the smallest edit
/// distance within the limit for `found`'s length, in `candidates`' order.
pub(crate) fn near_misses<'c>(
    found: &str,
    candidates: impl Iterator<Item = &'c str>,
) -> Vec<&'c str> {
    let candidates: Vec<&'c str> = candidates.collect();
    let found_lower = found.to_lowercase();
    // A name that differs only in case is the one meant, however short (review 30b item 7:
    // tranche `a` for `A` had no suggestion).
    let mut same = candidates
        .iter()
        .filter(|c| **c != found && c.to_lowercase() == found_lower);
    if let (Some(c), None) = (same.next(), same.next()) {
        return vec![c];
    }
    let n = found.chars().count();
    let limit = match n {
        // `O2` for `O1`, `C` for `A`: too short to tell a typo from another name.
        0..=2 => return Vec::new(),
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<usize> = None;
    let mut out: Vec<&'c str> = Vec::new();
    for c in candidates {
        if c == found {
            continue;
        }
        let d = edit_distance(&found_lower, &c.to_lowercase());
        if d > limit || d >= n.max(1) {
            continue;
        }
        match best {
            Some(bd) if d > bd => {}
            Some(bd) if d == bd => out.push(c),
            _ => {
                best = Some(d);
                out = vec![c];
            }
        }
    }
    out
}

/// Edit distance with adjacent transpositions (optimal string alignment), in characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long strings are never near misses; skip the quadratic work.
    if a.len().abs_diff(b.len()) > 3 || a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    // Three rows of the table: two rows back (for transpositions), the last and this one.
    let mut before: Vec<usize> = (0..=b.len()).collect();
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut v = (last.get(j + 1).copied().unwrap_or(usize::MAX) + 1)
                .min(row.get(j).copied().unwrap_or(usize::MAX) + 1)
                .min(last.get(j).copied().unwrap_or(usize::MAX) + cost);
            let swapped = i > 0
                && j > 0
                && a.get(i - 1) == Some(&cb)
                && b.get(j - 1) == Some(&ca)
                && ca != cb;
            if swapped {
                v = v.min(before.get(j - 1).copied().unwrap_or(usize::MAX) + 1);
            }
            if let Some(slot) = row.get_mut(j + 1) {
                *slot = v;
            }
        }
        before = std::mem::replace(&mut last, row);
    }
    last.last().copied().unwrap_or(usize::MAX)
}

/// Resolves a list of names, checking it is non-empty and has no repeats.
pub(crate) fn resolve_list(
    ctx: &mut Ctx,
    path: &str,
    names: &[String],
    table: &Names,
) -> Vec<usize> {
    if names.is_empty() {
        ctx.err(
            path,
            format!("`{}` is empty", path.rsplit('.').next().unwrap_or(path)),
            format!("at least one {} name", table.what),
        );
    }
    let mut out: Vec<usize> = Vec::with_capacity(names.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if seen.insert(n.as_str(), i).is_some() {
            ctx.err(
                &p,
                format!("`{n}` is listed twice"),
                format!("each {} at most once", table.what),
            );
            continue;
        }
        if let Some(ix) = table.resolve(ctx, &p, n) {
            out.push(ix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["name", "balance", "coupon", "class"];
        assert_eq!(suggest("balanse", keys.into_iter()), Some("balance"));
        assert_eq!(suggest("cupon", keys.into_iter()), Some("coupon"));
        assert_eq!(suggest("bsae", ["base", "rate"].into_iter()), Some("base"));
        // Too far, or two equally near names: no guess.
        assert_eq!(suggest("xyz", keys.into_iter()), None);
        assert_eq!(suggest("C", ["A", "B"].into_iter()), None);
        // Case alone: the name meant, however short; two such names: no guess.
        assert_eq!(suggest("a", ["A", "B"].into_iter()), Some("A"));
        assert_eq!(suggest("a", ["A", "B", "a "].into_iter()), Some("A"));
        assert_eq!(suggest("ab", ["AB", "Ab"].into_iter()), None);
        assert_eq!(suggest("O3", ["O1", "O2"].into_iter()), None);
        // Equally near (one edit each): the one that keeps the first letter, when one alone
        // does (review 45b item 3); two that keep it: no guess.
        assert_eq!(
            suggest("knd", ["name", "kind", "end"].into_iter()),
            Some("kind")
        );
        assert_eq!(suggest("bat", ["bit", "bet"].into_iter()), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("treshold", "threshold"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    /// Equally near names are all near misses, in the candidates' order; a nearer one alone
    /// wins (review 38b item 8: `Borrower-1` is one edit from `Borrower-01` and from
    /// `Borrower-10`, two from `Borrower-02`).
    #[test]
    fn near_misses_list_the_equally_near() {
        let names = ["Borrower-01", "Borrower-02", "Borrower-10", "Borrower-11"];
        assert_eq!(
            near_misses("Borrower-1", names.into_iter()),
            ["Borrower-01", "Borrower-10", "Borrower-11"]
        );
        assert_eq!(suggest("Borrower-1", names.into_iter()), None);
        assert_eq!(
            near_misses("Borrower-011", names.into_iter()),
            ["Borrower-01", "Borrower-11"]
        );
        assert_eq!(
            near_misses("Borower-02", names.into_iter()),
            ["Borrower-02"]
        );
        assert!(near_misses("Lender-01", names.into_iter()).is_empty());
    }
}

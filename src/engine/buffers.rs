//! [`RunBuffers`]: the state vectors of a run that do not outlive it, handed from one run to
//! the next of the same worker (a sweep, a search, a Monte Carlo), so that a run allocates
//! only what it returns.
//!
//! A run takes its carries, balances, amounts due and paid and scratch lists from here and
//! gives them back when it finishes; every vector is cleared and sized on the way out, so no
//! value crosses from one run to the next, only the allocations. A run that stops on an error
//! gives nothing back: the next one allocates afresh.

use super::ledger::Account;
use super::summary::TrancheTotals;
use crate::deal::AccountRef;
use crate::money::Fen;

/// Vectors kept between runs ([module docs](self)). The default keeps nothing: a single run
/// drops its vectors with it ([`RunBuffers::kept`] keeps them).
#[derive(Debug, Default)]
pub struct RunBuffers {
    /// Whether a finished run gives its vectors back.
    keeping: bool,
    fen: Vec<Vec<Fen>>,
    flags: Vec<Vec<bool>>,
    pub(super) coverage: Vec<(Fen, Fen)>,
    pub(super) items: Vec<(usize, Fen)>,
    pub(super) held_warned: Vec<Account>,
    pub(super) skipped: Vec<(AccountRef, usize)>,
    pub(super) totals: Vec<TrancheTotals>,
}

impl RunBuffers {
    /// Buffers that keep what each finished run gives back, for the runs of one worker.
    pub(super) fn kept() -> RunBuffers {
        RunBuffers {
            keeping: true,
            ..RunBuffers::default()
        }
    }

    /// Whether a finished run gives its vectors back ([`RunBuffers::kept`]).
    pub(super) fn keeping(&self) -> bool {
        self.keeping
    }

    /// `n` zero amounts.
    pub(super) fn zeros(&mut self, n: usize) -> Vec<Fen> {
        match self.fen.pop() {
            Some(mut v) => {
                v.clear();
                v.resize(n, 0);
                v
            }
            None => vec![0; n],
        }
    }

    /// A copy of `from`.
    pub(super) fn copy(&mut self, from: &[Fen]) -> Vec<Fen> {
        match self.fen.pop() {
            Some(mut v) => {
                v.clear();
                v.extend_from_slice(from);
                v
            }
            None => from.to_vec(),
        }
    }

    /// `n` flags set to `value`.
    pub(super) fn flags(&mut self, n: usize, value: bool) -> Vec<bool> {
        match self.flags.pop() {
            Some(mut v) => {
                v.clear();
                v.resize(n, value);
                v
            }
            None => vec![value; n],
        }
    }

    /// Keeps `v`'s allocation for a later run.
    pub(super) fn keep(&mut self, v: Vec<Fen>) {
        // A run gives back about 30: one allocation rather than five growths.
        if self.fen.capacity() == 0 {
            self.fen.reserve(32);
        }
        self.fen.push(v);
    }

    /// Keeps every vector of `vs`.
    pub(super) fn keep_all<const N: usize>(&mut self, vs: [Vec<Fen>; N]) {
        for v in vs {
            self.keep(v);
        }
    }

    pub(super) fn keep_flags(&mut self, v: Vec<bool>) {
        self.flags.push(v);
    }

    /// The vector kept in `slot` ([`RunBuffers::items`] and the like), cleared; an empty one
    /// stays behind.
    pub(super) fn take<T>(slot: &mut Vec<T>) -> Vec<T> {
        let mut v = std::mem::take(slot);
        v.clear();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept vector comes back cleared and sized: zeros after non-zero values, the copy's
    /// own values, flags of the value asked for.
    #[test]
    fn kept_vectors_come_back_cleared() {
        let mut b = RunBuffers::kept();
        assert!(b.keeping() && !RunBuffers::default().keeping());
        let mut v = b.zeros(3);
        assert_eq!(v, vec![0, 0, 0]);
        v[1] = 7;
        v.push(9);
        b.keep(v);
        assert_eq!(b.zeros(2), vec![0, 0]);
        b.keep(vec![5, 6, 7, 8]);
        assert_eq!(b.copy(&[1, 2]), vec![1, 2]);
        b.keep_flags(vec![true, true]);
        assert_eq!(b.flags(3, false), vec![false, false, false]);
        b.items = vec![(1, 2)];
        assert!(RunBuffers::take(&mut b.items).is_empty() && b.items.is_empty());
    }
}

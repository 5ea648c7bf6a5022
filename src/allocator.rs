//! The global allocator of the `ipabs` and `ipabs-bench` binaries (src/main.rs): mimalloc,
//! except that a large zeroed block is mapped straight from the operating system. Requests
//! `malloc` aligns go to `mi_malloc` itself (`MALLOC_ALIGN`).
//!
//! The library installs no allocator: a program that embeds it (the Python extension) keeps
//! its own.
//!
//! Why the exception: polars keeps one 8 MiB block of zeros for every empty or all-null
//! column it builds, allocated zeroed on first use. mimalloc serves that request from its
//! arena and clears it with `memset`, a third of the instructions of a one-scenario
//! `ipabs sweep` (docs/performance.md, session 14). Anonymous pages from `mmap` are zero
//! already and are only mapped when touched.

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

/// mimalloc's `mi_option_allow_thp` (its position in `mi_option_t`, mimalloc 3 as built by
/// libmimalloc-sys 0.1.49, which names no constant for it). A unit test checks the position
/// against the defaults of the options around it.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Tells mimalloc not to ask for transparent huge pages; the binaries call it before `main`,
/// ahead of the first allocation (src/main.rs).
///
/// By default mimalloc marks its 1 GiB arena `MADV_HUGEPAGE`. Where the kernel's THP `defrag`
/// setting is `madvise` (a common default), every first touch of a 2 MiB region then zeroes a
/// whole huge page, compacting memory first when it is fragmented: on the bench machine the
/// 200,000-obligor run spent 7–9 s of system time in it (14–16 s wall) against 0.85 s
/// without (7 s wall, and a lower peak), docs/performance.md (session 14).
pub extern "C" fn without_huge_pages() {
    // SAFETY: sets one of mimalloc's option values; it takes no pointer and allocates nothing.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) }
}

/// Tells glibc's `malloc`, which the C libraries under polars call (zstd's compression
/// contexts: polars asks for a new one for every page written), to keep the memory they free
/// for the next allocation: blocks under 32 MiB come from its heap rather than a fresh `mmap`
/// each, and the heap's free top is kept up to 64 MiB rather than handed back at 128 KiB. Each
/// context's tables were otherwise cleared in pages the system had just mapped: 390 of a
/// 1,001-scenario sweep's 5,130 page faults (docs/performance.md, session 16). Since session 17
/// the `ipabs` binary also keeps the contexts themselves (src/zstd_contexts.rs). Rust's own
/// allocations go to mimalloc and are not affected. The binaries call it before `main`
/// (src/main.rs).
pub extern "C" fn keep_c_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets two of glibc's malloc parameters; takes no pointer, allocates nothing. A
    // rejected value leaves glibc's default (mallopt returns 0).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

/// Zeroed blocks of at least this many bytes (1 MiB) come from `mmap`; smaller ones, and
/// every block that need not be zeroed, from mimalloc.
pub const MAPPED_ZEROED_MIN: usize = 1 << 20;

/// The largest alignment `mmap` guarantees (a page).
const PAGE: usize = 4096;

/// The alignment `mi_malloc` gives every block of at least this many bytes, as C's `malloc`
/// must (`max_align_t`; mimalloc's `MI_MAX_ALIGN_SIZE`, 16 on 64-bit targets). A request
/// aligned to no more than this and to no more than its size goes to `mi_malloc` itself, as
/// Rust's `System` allocator sends it to `malloc`; the mimalloc crate sends every request to
/// `mi_malloc_aligned`, which looks for a suitably aligned free block first: 77 instructions
/// an allocation against 45 in a full run (docs/performance.md, session 18).
const MALLOC_ALIGN: usize = 16;

/// Whether `mi_malloc` (or `mi_realloc`) of `size` bytes is aligned to `align`.
#[inline]
fn malloc_aligns(size: usize, align: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

/// mimalloc, with large zeroed blocks mapped (see the module's documentation).
pub struct Allocator;

impl Allocator {
    /// Whether a zeroed block of `layout` is mapped: 1 MiB or more, aligned to a page at
    /// most, on a system with `mmap`.
    #[inline]
    fn maps(layout: Layout) -> bool {
        cfg!(unix) && layout.size() >= MAPPED_ZEROED_MIN && layout.align() <= PAGE
    }

    /// Whether `ptr`, a block of `size` bytes this allocator handed out, was mapped rather
    /// than allocated by mimalloc. Only a large block can have been; mimalloc's page map tells
    /// the two apart.
    #[inline]
    fn mapped(ptr: *mut u8, size: usize) -> bool {
        // SAFETY: `mi_is_in_heap_region` only looks the address up in mimalloc's page map;
        // it does not read the block.
        cfg!(unix)
            && size >= MAPPED_ZEROED_MIN
            && !unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast()) }
    }
}

/// A new private anonymous mapping of `size` bytes (zero, page-aligned); null if it fails.
#[cfg(unix)]
fn map_zeroed(size: usize) -> *mut u8 {
    // SAFETY: a new mapping; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

/// Unmaps a block of `size` bytes made by [`map_zeroed`].
///
/// # Safety
/// `ptr` is the start of such a mapping of `size` bytes, no longer used.
#[cfg(unix)]
unsafe fn unmap(ptr: *mut u8, size: usize) {
    // SAFETY: the caller's contract.
    unsafe { libc::munmap(ptr.cast(), size) };
}

// Without `mmap` nothing is mapped (`maps` and `mapped` are false): these are never called.
#[cfg(not(unix))]
fn map_zeroed(_size: usize) -> *mut u8 {
    std::ptr::null_mut()
}

#[cfg(not(unix))]
unsafe fn unmap(_ptr: *mut u8, _size: usize) {}

// SAFETY: every block comes from mimalloc or from an anonymous private mapping of at least
// its size, page-aligned (so aligned for any layout with `align <= PAGE`, the only ones
// mapped), and goes back to the one it came from (`mapped`).
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.size(), layout.align()) {
            // SAFETY: `mi_malloc` returns null or a block of at least `size` bytes, aligned
            // to `align` ([`MALLOC_ALIGN`]).
            return unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() };
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { MiMalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if Self::maps(layout) {
            return map_zeroed(layout.size());
        }
        if malloc_aligns(layout.size(), layout.align()) {
            // SAFETY: `mi_zalloc` returns null or a zeroed block of at least `size` bytes,
            // aligned to `align` ([`MALLOC_ALIGN`]).
            return unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() };
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::mapped(ptr, layout.size()) {
            // SAFETY: `ptr` is the start of a mapping of `layout.size()` bytes made by
            // `alloc_zeroed`, which the caller no longer uses.
            unsafe { unmap(ptr, layout.size()) };
        } else {
            // SAFETY: the caller's contract, passed on: mimalloc made this block.
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !Self::mapped(ptr, layout.size()) {
            if malloc_aligns(new_size, layout.align()) {
                // SAFETY: mimalloc made this block; `mi_realloc` returns null or a block of
                // `new_size` bytes aligned as `mi_malloc`'s ([`MALLOC_ALIGN`]).
                return unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() };
            }
            // SAFETY: the caller's contract, passed on: mimalloc made this block.
            return unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        }
        // A mapped block moves to mimalloc: copy what both sizes hold, then unmap.
        // SAFETY: `layout.align()` is a valid alignment and the caller guarantees that
        // `new_size`, rounded up to it, does not overflow `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_size` is non-zero (the caller's contract).
        let new = unsafe { MiMalloc.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least the smaller size and do not overlap (the old
            // one is still mapped); the old one is unmapped once copied.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                unmap(ptr, layout.size());
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `n` bytes at `p` with a pattern that depends on the offset.
    unsafe fn fill(p: *mut u8, n: usize) {
        for i in 0..n {
            unsafe { *p.add(i) = (i % 251) as u8 };
        }
    }

    unsafe fn holds_pattern(p: *const u8, n: usize) -> bool {
        (0..n).all(|i| unsafe { *p.add(i) } == (i % 251) as u8)
    }

    #[cfg(unix)]
    #[test]
    fn a_large_zeroed_block_is_mapped_zero_and_survives_growth_and_shrinking() {
        let a = Allocator;
        let size = MAPPED_ZEROED_MIN + 12_345;
        let layout = Layout::from_size_align(size, 64).unwrap();
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % 64, 0);
            assert!(
                Allocator::mapped(p, size),
                "a block of 1 MiB or more is mapped"
            );
            assert!((0..size).all(|i| *p.add(i) == 0));
            fill(p, size);
            // Growing moves it to mimalloc with every byte kept.
            let q = a.realloc(p, layout, 3 * size);
            assert!(!q.is_null());
            assert!(
                !Allocator::mapped(q, 3 * size),
                "a grown block is mimalloc's"
            );
            assert!(holds_pattern(q, size));
            a.dealloc(q, Layout::from_size_align(3 * size, 64).unwrap());

            // Shrinking below the threshold moves it too; its prefix is kept.
            let p = a.alloc_zeroed(layout);
            fill(p, size);
            let q = a.realloc(p, layout, 1000);
            assert!(holds_pattern(q, 1000));
            a.dealloc(q, Layout::from_size_align(1000, 64).unwrap());
        }
    }

    #[test]
    fn the_huge_page_option_is_where_it_is_looked_for() {
        use libmimalloc_sys::mi_option_get;
        // The options next to `allow_thp`, with their defaults (mimalloc's options.c): were
        // the enumeration reordered in another mimalloc, these would not hold. The test
        // binary does not call `without_huge_pages`, so `allow_thp` keeps its default 1.
        unsafe {
            // page_cross_thread_max_reclaim = 32
            assert_eq!(mi_option_get(MI_OPTION_ALLOW_THP - 1), 32);
            assert_eq!(mi_option_get(MI_OPTION_ALLOW_THP), 1);
            // minimal_purge_size = 0 (KiB: "use the default")
            assert_eq!(mi_option_get(MI_OPTION_ALLOW_THP + 1), 0);
            // arena_max_object_size = 2 GiB, in KiB
            assert_eq!(mi_option_get(MI_OPTION_ALLOW_THP + 2), 2 * 1024 * 1024);
        }
    }

    #[test]
    fn every_alignment_is_kept_through_growth_and_shrinking() {
        // Alignments up to 16 bytes and the size take `mi_malloc`/`mi_zalloc`/`mi_realloc`,
        // the others mimalloc's aligned calls; sizes across its small (≤ 1 KiB), medium and large
        // classes, each grown to the next or (the last) shrunk to 3 bytes.
        let a = Allocator;
        let sizes = [
            1, 7, 8, 9, 15, 16, 17, 24, 40, 100, 1000, 1024, 1025, 5000, 70_000,
        ];
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for (i, &size) in sizes.iter().enumerate() {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    // A block filled and freed, then a zeroed one of the same layout (mimalloc
                    // hands the freed block out again): it must be zero.
                    let d = a.alloc(layout);
                    fill(d, size);
                    a.dealloc(d, layout);
                    let z = a.alloc_zeroed(layout);
                    assert!(!z.is_null());
                    assert_eq!(
                        z as usize % align,
                        0,
                        "zeroed: size {size}, alignment {align}"
                    );
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size}, alignment {align}");
                    assert!(libmimalloc_sys::mi_is_in_heap_region(p.cast()));
                    fill(p, size);
                    // Grow to the next size (or shrink from the last), keeping the prefix.
                    let other = sizes.get(i + 1).copied().unwrap_or(3);
                    let q = a.realloc(p, layout, other);
                    assert!(!q.is_null());
                    assert_eq!(
                        q as usize % align,
                        0,
                        "{size} -> {other}, alignment {align}"
                    );
                    assert!(holds_pattern(q, size.min(other)));
                    a.dealloc(q, Layout::from_size_align(other, align).unwrap());
                }
            }
        }
    }

    #[test]
    fn other_blocks_are_mimallocs() {
        let a = Allocator;
        unsafe {
            // A small zeroed block, and a large one that need not be zeroed.
            let small = Layout::from_size_align(4096, 8).unwrap();
            let p = a.alloc_zeroed(small);
            assert!((0..4096).all(|i| *p.add(i) == 0));
            assert!(libmimalloc_sys::mi_is_in_heap_region(p.cast()));
            a.dealloc(p, small);
            let big = Layout::from_size_align(2 * MAPPED_ZEROED_MIN, 8).unwrap();
            let p = a.alloc(big);
            assert!(!Allocator::mapped(p, big.size()));
            fill(p, big.size());
            let q = a.realloc(p, big, 4 * MAPPED_ZEROED_MIN);
            assert!(holds_pattern(q, big.size()));
            a.dealloc(
                q,
                Layout::from_size_align(4 * MAPPED_ZEROED_MIN, 8).unwrap(),
            );
            // An alignment beyond a page is not mapped.
            let wide = Layout::from_size_align(MAPPED_ZEROED_MIN, 2 * PAGE).unwrap();
            let p = a.alloc_zeroed(wide);
            assert_eq!(p as usize % (2 * PAGE), 0);
            assert!(!Allocator::mapped(p, wide.size()));
            assert!((0..wide.size()).all(|i| *p.add(i) == 0));
            a.dealloc(p, wide);
        }
    }
}

//! zstd compression contexts kept for reuse, for the `ipabs` binary only (src/main.rs,
//! build.rs).
//!
//! polars' Parquet writer compresses every page with `zstd::bulk::compress_to_buffer`, which
//! creates a compression context, compresses, and frees the context: 89 contexts for the four
//! files of a sweep. Creating a context runs the `cpuid` instruction three times (zstd asks
//! whether the processor has BMI2), and in a virtual machine each `cpuid` traps to the
//! hypervisor: 7.4 µs each on the bench machine, about 2 ms per sweep, a fifth of its fixed
//! cost (docs/performance.md, session 17). A new context also allocates and clears its tables.
//!
//! The linker sends zstd's `ZSTD_createCCtx` and `ZSTD_freeCCtx` here (`--wrap`, build.rs):
//! a freed context is reset to zstd's defaults (`ZSTD_CCtx_reset` with
//! `ZSTD_reset_session_and_parameters`: no frame, default parameters, no dictionary) and kept;
//! the next creation takes it back. A reset context is a new one as far as its caller can see:
//! the same parameters and the same output bytes for the same input (zstd's compression is a
//! function of the input, the parameters and the library's version; the byte-identity test,
//! tests/byte_identity.rs, runs this binary).
//!
//! The library does none of this: a program that embeds it (the Python extension) keeps
//! zstd's own functions.

use std::ffi::c_void;
use std::sync::Mutex;

/// At most this many free contexts are kept; a context freed beyond that is freed. polars
/// compresses a file's columns on at most as many threads as the machine has.
const KEEP_AT_MOST: usize = 64;

/// `ZSTD_reset_session_and_parameters` in zstd's `ZSTD_ResetDirective`.
const RESET_SESSION_AND_PARAMETERS: i32 = 3;

unsafe extern "C" {
    /// zstd's own `ZSTD_createCCtx` (the linker's name for it under `--wrap`).
    fn __real_ZSTD_createCCtx() -> *mut c_void;
    /// zstd's own `ZSTD_freeCCtx`.
    fn __real_ZSTD_freeCCtx(cctx: *mut c_void) -> usize;
    fn ZSTD_CCtx_reset(cctx: *mut c_void, reset: i32) -> usize;
    fn ZSTD_isError(code: usize) -> u32;
}

/// The free contexts, as addresses (a raw pointer is not `Send`).
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// `ZSTD_createCCtx`: a kept context if there is one, else a new one from zstd.
#[unsafe(no_mangle)]
pub extern "C" fn __wrap_ZSTD_createCCtx() -> *mut c_void {
    let kept = FREE.lock().ok().and_then(|mut free| free.pop());
    match kept {
        Some(address) => address as *mut c_void,
        // SAFETY: zstd's constructor; takes nothing, returns a context or null.
        None => unsafe { __real_ZSTD_createCCtx() },
    }
}

/// `ZSTD_freeCCtx`: resets the context and keeps it, or frees it when it cannot be reset or
/// enough are kept. Returns 0 (success), as zstd's does for a context it frees.
#[unsafe(no_mangle)]
pub extern "C" fn __wrap_ZSTD_freeCCtx(cctx: *mut c_void) -> usize {
    if cctx.is_null() {
        return 0;
    }
    // SAFETY: `cctx` is a context zstd created (its callers free only those), not in use by
    // anyone else once freed; resetting it is valid between frames and reports failure
    // (mid-frame) as an error code.
    let reset = unsafe { ZSTD_isError(ZSTD_CCtx_reset(cctx, RESET_SESSION_AND_PARAMETERS)) } == 0;
    if reset
        && let Ok(mut free) = FREE.lock()
        && free.len() < KEEP_AT_MOST
    {
        free.push(cctx as usize);
        return 0;
    }
    // SAFETY: as above; zstd frees the context and its tables.
    unsafe { __real_ZSTD_freeCCtx(cctx) }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" {
        fn ZSTD_compress2(
            cctx: *mut c_void,
            dst: *mut c_void,
            capacity: usize,
            src: *const c_void,
            size: usize,
        ) -> usize;
        fn ZSTD_compressBound(size: usize) -> usize;
        fn ZSTD_CCtx_setParameter(cctx: *mut c_void, param: i32, value: i32) -> usize;
    }

    /// `ZSTD_c_compressionLevel` and `ZSTD_c_checksumFlag` in zstd's `ZSTD_cParameter`.
    const LEVEL: i32 = 100;
    const CHECKSUM_FLAG: i32 = 201;

    /// Compresses `data` at `level` with `cctx` as polars does through the zstd crate
    /// (`zstd::bulk::compress_to_buffer`): the level set as a parameter, then one frame.
    fn compress(cctx: *mut c_void, data: &[u8], level: i32) -> Vec<u8> {
        // SAFETY: a live context; the buffers are valid for the lengths given.
        unsafe {
            assert_eq!(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, LEVEL, level)), 0);
            let mut out = vec![0u8; ZSTD_compressBound(data.len())];
            let n = ZSTD_compress2(
                cctx,
                out.as_mut_ptr().cast(),
                out.len(),
                data.as_ptr().cast(),
                data.len(),
            );
            assert_eq!(ZSTD_isError(n), 0, "zstd compresses");
            out.truncate(n);
            out
        }
    }

    /// Page-like inputs: repetitive little-endian integers of a seeded sequence.
    fn page(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len / 8)
            .flat_map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (if i % 3 == 0 { x % 1000 } else { i as u64 }).to_le_bytes()
            })
            .collect()
    }

    /// A kept context compresses every input to the bytes a context straight from zstd
    /// writes (the oracle: zstd's own constructor, `__real_ZSTD_createCCtx`), after it has
    /// compressed other inputs, at other levels, and had a parameter changed.
    #[test]
    fn a_kept_context_writes_what_a_new_one_writes() {
        let inputs: Vec<Vec<u8>> = [(1, 200), (2, 70_000), (3, 1 << 20), (4, 8), (5, 300_000)]
            .iter()
            .map(|&(s, n)| page(s, n))
            .collect();
        for level in [1, 3, 9] {
            for (i, data) in inputs.iter().enumerate() {
                // SAFETY: zstd's constructor and destructor on a context used only here.
                let fresh = unsafe { __real_ZSTD_createCCtx() };
                let expected = compress(fresh, data, level);
                unsafe { __real_ZSTD_freeCCtx(fresh) };

                // A context that compressed the other inputs (and wrote checksums) first.
                let used = __wrap_ZSTD_createCCtx();
                assert!(!used.is_null());
                // SAFETY: a live context; a valid parameter and value.
                unsafe { ZSTD_CCtx_setParameter(used, CHECKSUM_FLAG, 1) };
                for other in inputs.iter().skip(i + 1).chain(&inputs[..i]) {
                    compress(used, other, 19 - level);
                }
                assert_eq!(__wrap_ZSTD_freeCCtx(used), 0);
                let kept = __wrap_ZSTD_createCCtx();
                assert_eq!(kept, used, "the freed context is the one handed out next");
                assert_eq!(
                    compress(kept, data, level),
                    expected,
                    "input {i} at level {level}"
                );
                __wrap_ZSTD_freeCCtx(kept);
            }
        }
    }
}

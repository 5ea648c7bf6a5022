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

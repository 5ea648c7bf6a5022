//! The `ipabs` command line. All the work is in [`ipabs::cli`].

/// mimalloc rather than glibc malloc, large zeroed blocks mapped: [`ipabs::allocator`],
/// docs/performance.md (issue #10).
#[global_allocator]
static GLOBAL: ipabs::allocator::Allocator = ipabs::allocator::Allocator;

/// Runs before `main` and before the first allocation: no transparent huge pages
/// ([`ipabs::allocator::without_huge_pages`]).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static WITHOUT_HUGE_PAGES: extern "C" fn() = ipabs::allocator::without_huge_pages;

/// Runs before `main`: glibc's `malloc`, which zstd uses, keeps what it frees
/// ([`ipabs::allocator::keep_c_heap`]).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static KEEP_C_HEAP: extern "C" fn() = ipabs::allocator::keep_c_heap;

/// zstd's compression contexts kept for reuse: each new one costs three `cpuid` traps in a
/// virtual machine (src/zstd_contexts.rs; the linker's `--wrap` is in build.rs).
#[cfg(target_os = "linux")]
mod zstd_contexts;

fn main() {
    // Once a deal file is loaded, its parse trees and tokens are freed; mimalloc keeps freed
    // pages for reuse, which would add the load's garbage to the run's peak memory. A forced
    // collection returns them to the system (about 0.2 GB less peak on 200,000 obligors,
    // docs/performance.md), for deal files of `ipabs::cli::AFTER_LOAD_MIN_BYTES` or more.
    let _ = ipabs::cli::AFTER_LOAD.set(|| {
        // SAFETY: `mi_collect` only releases memory mimalloc holds free; it takes no pointer.
        unsafe { libmimalloc_sys::mi_collect(true) }
    });
    let code = ipabs::cli::main();
    ipabs::output::guard::hold_off_signals();
    exit_now(code)
}

/// Ends the process with `code` without the C library's exit handlers: mimalloc's handler
/// collects its heaps (`mi_process_done`), returning to the system, a page run at a time, memory
/// that the process's end returns at once (docs/performance.md, session 21). Every result is
/// written and synced by now, stdout is flushed here and stderr is unbuffered.
#[cfg(unix)]
fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: `_exit` takes no pointer; it ends the process.
    unsafe { libc::_exit(code) }
}

#[cfg(not(unix))]
fn exit_now(code: i32) -> ! {
    std::process::exit(code)
}

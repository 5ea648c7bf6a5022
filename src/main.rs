//! The `ipabs` command line. All the work is in [`ipabs::cli`].

/// mimalloc rather than glibc malloc: docs/performance.md (issue #10).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ipabs::cli::main());
}

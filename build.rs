//! Link arguments of the `ipabs` binary: zstd's context constructor and destructor go to
//! src/zstd_contexts.rs, which keeps freed contexts for reuse (docs/performance.md, session
//! 17). GNU ld, gold, lld and mold support `--wrap`; only Linux builds ask for it, as only
//! they compile that module (src/main.rs).
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bin=ipabs=-Wl,--wrap=ZSTD_createCCtx,--wrap=ZSTD_freeCCtx");
    }
}

//! Fuzz target `deal_loader`: arbitrary bytes as a deal file.
//!
//! bytes → UTF-8 → `ipabs::validate::deal_from_str` → if the deal is valid,
//! `ipabs::engine::run` under the deal's own scenario. Any `Err` is a correct answer; a panic,
//! an abort, a timeout or running out of memory is a crash. See docs/robustness.md.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = ipabs::validate::deal_from_str("fuzz.toml", text) else {
        return;
    };
    let _ = ipabs::engine::run(&loaded.deal, &loaded.deal.scenario);
});

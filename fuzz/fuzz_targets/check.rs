//! `cargo fuzz run check`: see `payplan_fuzz::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::check(data);
});

//! `cargo fuzz run parse`: see `payplan_fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::parse(data);
});

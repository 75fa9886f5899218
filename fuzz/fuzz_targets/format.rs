//! `cargo fuzz run format`: see `payplan_fuzz::format`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::format(data);
});

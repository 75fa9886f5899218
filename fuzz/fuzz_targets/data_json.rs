//! `cargo fuzz run data_json`: see `payplan_fuzz::data_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::data_json(data);
});

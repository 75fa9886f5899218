//! `cargo fuzz run data_csv`: see `payplan_fuzz::data_csv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::data_csv(data);
});

//! `cargo fuzz run whole_run`: see `payplan_fuzz::whole_run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    payplan_fuzz::whole_run(data);
});

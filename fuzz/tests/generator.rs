//! The whole-run generator makes plans that check, data that loads, and runs that
//! mostly succeed (an `EvalError` is allowed, but a generator whose runs all fail
//! would test nothing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_fuzz::gen::{scenario, Bytes, Options};
use std::collections::BTreeMap;

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn tally(options: &Options, runs: u64) -> (usize, BTreeMap<String, usize>) {
    let mut ok = 0;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 0..runs {
        let input = bytes(seed, 2048);
        let s = scenario(&mut Bytes::new(&input), options);
        let checked = payplan_check::check_source(&s.plan.text);
        assert!(!checked.has_errors(), "{:?}\n{}", checked.diagnostics, s.plan.text);
        let plan = checked.plan.unwrap();
        let facts = payplan_data::load_csv_files(&s.files(), &plan.schema())
            .unwrap_or_else(|e| panic!("{}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
        match payplan_eval::evaluate(&plan, &facts) {
            Ok(_) => ok += 1,
            Err(e) => *errors.entry(e.message.chars().take(60).collect()).or_default() += 1,
        }
    }
    (ok, errors)
}

#[test]
fn realistic_scenarios_evaluate() {
    let (ok, errors) = tally(&Options::REALISTIC, 300);
    assert!(ok >= 290, "only {ok} of 300 realistic scenarios evaluate: {errors:?}");
}

#[test]
fn huge_scenarios_check_and_load() {
    let (ok, errors) = tally(&Options::EVERYTHING, 300);
    eprintln!("{ok} of 300 evaluate; errors: {errors:?}");
    assert!(ok >= 150, "{errors:?}");
}

//! Replays the kept corpus of every fuzz target (`corpus/TARGET/*`), the inputs of
//! past findings (`regressions/TARGET/*`) and, for the plan targets, every plan of the
//! repository through the targets' code: the fuzzers'
//! work as plain `cargo test`, on the stable toolchain, with no fuzzer installed.
//!
//! `cargo test --release --no-default-features` in `fuzz/` (see `smoke.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    paths.sort();
    paths
}

fn replay(name: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (_, target) = payplan_fuzz::TARGETS.iter().find(|(n, _)| *n == name).unwrap();
    let corpus = inputs(&root.join("corpus").join(name));
    assert!(!corpus.is_empty(), "the corpus of {name} is empty");
    let regressions = inputs(&root.join("regressions").join(name));
    // The plan targets also replay the repository's own plans (the committed corpus
    // keeps only small inputs).
    let mut plans = Vec::new();
    if matches!(name, "parse" | "check" | "format") {
        for dir in ["../plans", "../tests/diagnostics", "../tests/bad-input"] {
            plans.extend(plan_files(&root.join(dir)));
        }
    }
    for path in corpus.iter().chain(&regressions).chain(&plans) {
        let bytes = std::fs::read(path).unwrap();
        if std::panic::catch_unwind(|| target(&bytes)).is_err() {
            panic!("{name}: {} fails", path.display());
        }
    }
    eprintln!("{name}: {} corpus inputs, {} regressions and {} plans replayed", corpus.len(), regressions.len(), plans.len());
}

/// Every `.plan` file under `dir`.
fn plan_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in inputs(dir) {
        if path.extension().is_some_and(|x| x == "plan") {
            out.push(path);
        }
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()).unwrap_or_default();
    dirs.sort();
    for sub in dirs {
        out.extend(plan_files(&sub));
    }
    out
}

#[test]
fn replay_parse() {
    replay("parse");
}

#[test]
fn replay_check() {
    replay("check");
}

#[test]
fn replay_format() {
    replay("format");
}

#[test]
fn replay_data_csv() {
    replay("data_csv");
}

#[test]
fn replay_data_json() {
    replay("data_json");
}

#[test]
fn replay_whole_run() {
    replay("whole_run");
}

//! The output is the same at any thread count (payees are evaluated in parallel and
//! merged in payee order).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{payplan_command, workspace_root};
use std::path::{Path, PathBuf};

fn run_with_threads(threads: &str, plan: &Path, data: &Path, format: &str) -> Vec<u8> {
    let out = payplan_command(env!("CARGO_BIN_EXE_payplan"), &workspace_root(), &["run", &plan.display().to_string(), "--data", &data.display().to_string(), "--format", format])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn one_thread_and_many_threads_give_the_same_bytes() {
    let root = workspace_root();
    let mut cases: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(root.join("plans"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "plan"))
        .map(|p| (p, root.join("plans/data")))
        .collect();
    let conformance = root.join("../shared/conformance/cases");
    if let Ok(dir) = std::fs::read_dir(&conformance) {
        cases.extend(dir.flatten().map(|e| (e.path().join("plan.plan"), e.path().join("data"))));
    } else {
        eprintln!("conformance cases skipped: ../shared/conformance is absent");
    }
    cases.sort();
    assert!(!cases.is_empty());
    for (plan, data) in &cases {
        for format in ["csv", "json"] {
            let one = run_with_threads("1", plan, data, format);
            let many = run_with_threads("4", plan, data, format);
            assert!(one == many, "{} differs between 1 and 4 threads ({format})", plan.display());
        }
    }
}

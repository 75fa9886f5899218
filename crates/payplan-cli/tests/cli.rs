//! The `payplan` binary as a user runs it (cli.md): exit statuses 0/1/2, `check` on
//! good and bad plans, `--error-format json`, `run` in every format, `--period`, `-o`,
//! and that a run never changes its inputs. Every test works on a fresh copy of the
//! example plans and data in its own folder under Cargo's target tmp dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{
    copy_dir_all, copy_example_plans, example_data_dir, exit_code, files_below, run_file, run_payplan, scratch_dir, stderr_text, stdout_text, write_file,
    Format, EXAMPLE_PLANS,
};
use std::path::{Path, PathBuf};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_payplan");

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    scratch_dir(env!("CARGO_TARGET_TMPDIR"), &format!("cli-{test}"))
}

/// A scratch folder holding copies of `plans/*.plan` and `plans/data/`.
fn examples(test: &str) -> PathBuf {
    let dir = scratch(test);
    copy_example_plans(&dir, &["plan"]);
    copy_dir_all(&example_data_dir(), &dir.join("data"));
    dir
}

/// Runs `payplan ARGS` in `dir`.
fn payplan(dir: &Path, args: &[&str]) -> Output {
    run_payplan(BIN, dir, args)
}

/// A plan with two type errors, lines 8 and 9.
const BAD_PLAN: &str = r#"plan "Bad" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    commission base { on bookings  rate 8% }
    bonus big { when bookings + 5 >= 100_000 USD  pay 500 USD }
    bonus other { pay 5% }
}
"#;

/// A small plan and data set whose run fails in evaluation (a zero quota).
const DIVIDES_PLAN: &str = r#"plan "Divides" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base { on bookings  rate 10%  gate attainment >= 50% }
}
"#;

// ---------------------------------------------------------------- check

#[test]
fn check_good_plans_exits_0_and_prints_nothing() {
    let dir = examples("check-good");
    let out = payplan(&dir, &["check", "enterprise-ae.plan", "se-overlay.plan", "sales-manager.plan", "sdr-partner.plan"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert_eq!(stdout_text(&out), "");
    assert_eq!(stderr_text(&out), "", "a clean plan prints no diagnostic");
}

#[test]
fn check_bad_plan_exits_1_with_every_diagnostic() {
    let dir = scratch("check-bad");
    write_file(&dir, "bad.plan", BAD_PLAN);
    let out = payplan(&dir, &["check", "bad.plan"]);
    assert_eq!(exit_code(&out), 1);
    let err = stderr_text(&out);
    assert!(err.contains("cannot add a number to money"), "{err}");
    assert!(err.contains("`pay` must be money"), "both errors are reported: {err}");
    assert!(err.contains("bad.plan:8:"), "the human report names file:line:column: {err}");
    assert!(err.contains("bookings + 5"), "with the source snippet: {err}");
    assert!(err.to_lowercase().contains("help"), "with the help: {err}");
}

#[test]
fn check_good_and_bad_together_exits_1() {
    let dir = examples("check-mixed");
    write_file(&dir, "bad.plan", BAD_PLAN);
    let out = payplan(&dir, &["check", "enterprise-ae.plan", "bad.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert!(stderr_text(&out).contains("bad.plan"));
}

#[test]
fn check_missing_file_exits_1() {
    let dir = scratch("check-missing");
    let out = payplan(&dir, &["check", "nowhere.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert!(stderr_text(&out).contains("nowhere.plan"), "{}", stderr_text(&out));
}

#[test]
fn error_format_json_is_parseable_with_every_field() {
    let dir = scratch("json-errors");
    let path = write_file(&dir, "bad.plan", BAD_PLAN);
    let out = payplan(&dir, &["--error-format", "json", "check", "bad.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "", "diagnostics go to stderr");
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr_text(&out)));
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2, "{doc:#}");
    let source = std::fs::read_to_string(path).unwrap();
    for d in diagnostics {
        for key in ["message", "code", "severity", "file", "start", "end", "line", "labels", "help"] {
            assert!(d.get(key).is_some(), "missing {key}: {d:#}");
        }
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], "bad.plan");
        assert!(d["code"].as_str().unwrap().starts_with("payplan::"));
        assert!(d["help"].is_string());
        let labels = d["labels"].as_array().unwrap();
        assert!(!labels.is_empty());
        assert!(labels[0]["message"].is_string());
        // start/end are byte offsets of the primary span; line is 1-based.
        let (start, end) = (d["start"].as_u64().unwrap() as usize, d["end"].as_u64().unwrap() as usize);
        let line = d["line"].as_u64().unwrap() as usize;
        assert_eq!(source[..start].matches('\n').count() + 1, line);
        assert_eq!(labels[0]["start"].as_u64().unwrap() as usize, start);
        assert_eq!(labels[0]["end"].as_u64().unwrap() as usize, end);
    }
    let first = &diagnostics[0];
    assert_eq!(&source[first["start"].as_u64().unwrap() as usize..first["end"].as_u64().unwrap() as usize], "bookings + 5");
    assert_eq!(first["line"], 8);
    assert_eq!(diagnostics[1]["line"], 9);
}

#[test]
fn error_format_json_for_data_errors_names_file_and_line() {
    let dir = examples("json-data-errors");
    let bookings = dir.join("data/bookings.csv");
    let text = std::fs::read_to_string(&bookings).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 3 of the file (header = 1): an amount with a thousands separator.
    let cells: Vec<&str> = lines[2].split(',').collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let amount = header.iter().position(|h| *h == "amount").unwrap();
    let mut cells: Vec<String> = cells.iter().map(|c| (*c).to_string()).collect();
    cells[amount] = "\"12,000\"".to_string();
    lines[2] = cells.join(",");
    std::fs::write(&bookings, lines.join("\n") + "\n").unwrap();
    let out = payplan(&dir, &["--error-format", "json", "run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "", "no results on a data error");
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let d = &doc["diagnostics"][0];
    assert!(d["message"].as_str().unwrap().contains("12,000"), "{d:#}");
    assert!(d["file"].as_str().unwrap().ends_with("bookings.csv"), "{d:#}");
    assert_eq!(d["line"], 3, "{d:#}");
    assert_eq!(d["severity"], "error");
    // The byte range and the label are the cell's, for an editor to point at.
    let written = std::fs::read_to_string(&bookings).unwrap();
    let (start, end) = (d["start"].as_u64().unwrap() as usize, d["end"].as_u64().unwrap() as usize);
    assert_eq!(&written[start..end], "\"12,000\"", "{d:#}");
    assert_eq!(d["labels"][0]["message"], "column `amount`", "{d:#}");
    assert_eq!(d["labels"][0]["start_position"]["line"], 3, "{d:#}");
}

// ---------------------------------------------------------------- run

#[test]
fn run_csv_matches_the_library_and_exits_0() {
    let dir = examples("run-csv");
    let out = payplan(&dir, &["run", "sales-manager.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let text = stdout_text(&out);
    assert!(text.starts_with("payee,period,line,amount,currency\n"));
    assert_eq!(text, run_file(&dir.join("sales-manager.plan"), &dir.join("data"), Format::Csv).unwrap());
}

#[test]
fn run_json_has_string_amounts() {
    let dir = examples("run-json");
    let out = payplan(&dir, &["run", "sdr-partner.plan", "--data", "data", "--format", "json"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout_text(&out)).unwrap();
    assert_eq!(doc["currency"], "USD");
    assert_eq!(doc["periods"].as_array().unwrap().len(), 12);
    assert_eq!(doc["periods"][0]["label"], "M1");
    for payee in doc["payees"].as_array().unwrap() {
        assert!(payee["id"].is_string() && payee["balance"].is_string());
        for period in payee["periods"].as_array().unwrap() {
            for line in period["lines"].as_array().unwrap() {
                assert!(line["amount"].is_string(), "{line}");
            }
        }
    }
}

#[test]
fn run_table_is_the_default() {
    let dir = examples("run-table");
    let default = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data"]);
    let table = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "table"]);
    assert_eq!(exit_code(&default), 0, "{}", stderr_text(&default));
    assert_eq!(stdout_text(&default), stdout_text(&table));
    let text = stdout_text(&table);
    assert!(text.starts_with("Northwind Cloud Enterprise AE FY2027"), "{text}");
    assert!(text.contains("all payees"));
    assert!(text.contains(","), "thousands separators");
    assert_eq!(text, run_file(&dir.join("enterprise-ae.plan"), &dir.join("data"), Format::Table).unwrap());
}

#[test]
fn run_period_keeps_one_period() {
    let dir = examples("run-period");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv", "--period", "Q2"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let text = stdout_text(&out);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.split(',').nth(1) == Some("Q2")), "{text}");
    let full = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    let q2_of_full: Vec<&str> = std::str::from_utf8(&full.stdout).unwrap().lines().skip(1).filter(|r| r.split(',').nth(1) == Some("Q2")).collect();
    assert_eq!(rows, q2_of_full, "the Q2 rows of the full run");
}

#[test]
fn run_output_file() {
    let dir = examples("run-output");
    let out = payplan(&dir, &["run", "se-overlay.plan", "--data", "data", "--format", "csv", "-o", "out/result.csv"]);
    // The folder `out` does not exist: writing fails with status 1 and no partial file.
    assert_eq!(exit_code(&out), 1, "{}", stderr_text(&out));
    assert!(!dir.join("out/result.csv").exists());
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let out = payplan(&dir, &["run", "se-overlay.plan", "--data", "data", "--format", "csv", "-o", "out/result.csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert_eq!(stdout_text(&out), "", "results go to the file, not stdout");
    let written = std::fs::read_to_string(dir.join("out/result.csv")).unwrap();
    let printed = payplan(&dir, &["run", "se-overlay.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(written, stdout_text(&printed));
    let long = payplan(&dir, &["run", "se-overlay.plan", "--data", "data", "--format", "csv", "--output", "out/long.csv"]);
    assert_eq!(exit_code(&long), 0);
    assert_eq!(std::fs::read_to_string(dir.join("out/long.csv")).unwrap(), written);
}

#[test]
fn run_unknown_period_is_an_error_without_results() {
    let dir = examples("run-bad-period");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv", "--period", "Q5"]);
    assert_ne!(exit_code(&out), 0);
    assert_eq!(stdout_text(&out), "");
    let err = stderr_text(&out);
    assert!(err.contains("Q5"), "{err}");
    assert!(err.contains("Q1, Q2, Q3, Q4"), "the help lists the plan's periods: {err}");
    // A month label on a quarterly plan is no better.
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--period", "M1"]);
    assert_ne!(exit_code(&out), 0);
}

#[test]
fn run_unknown_period_is_a_usage_error() {
    let dir = examples("run-bad-period-2");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--period", "Q5"]);
    assert_eq!(exit_code(&out), 2, "cli.md: exit status 2 is a usage error; {}", stderr_text(&out));
}

#[test]
fn run_missing_data_folder_exits_1() {
    let dir = examples("run-no-data");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "no-such-folder", "--format", "csv"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "");
    assert!(stderr_text(&out).contains("no-such-folder"), "{}", stderr_text(&out));
}

#[test]
fn run_missing_required_file_exits_1() {
    let dir = examples("run-no-bookings");
    std::fs::remove_file(dir.join("data/bookings.csv")).unwrap();
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "");
    assert!(stderr_text(&out).contains("bookings.csv"), "{}", stderr_text(&out));
}

#[test]
fn run_bad_plan_exits_1_without_results() {
    let dir = examples("run-bad-plan");
    write_file(&dir, "bad.plan", BAD_PLAN);
    let out = payplan(&dir, &["run", "bad.plan", "--data", "data", "--format", "csv", "-o", "result.csv"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "");
    assert!(!dir.join("result.csv").exists(), "a failed run writes no results");
    assert!(stderr_text(&out).contains("cannot add a number to money"));
}

#[test]
fn run_evaluation_error_exits_1_naming_payee_and_period() {
    let dir = scratch("run-eval-error");
    write_file(&dir, "divides.plan", DIVIDES_PLAN);
    write_file(&dir, "data/payees.csv", "id\nalice\nzoe\n");
    write_file(&dir, "data/bookings.csv", "id,date,amount,owner\nb1,2027-02-10,1000,zoe\n");
    write_file(&dir, "data/quotas.csv", "payee,quota,period,amount\nalice,bookings,Y1,1000\nzoe,bookings,Y1,0\n");
    let out = payplan(&dir, &["run", "divides.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "");
    let err = stderr_text(&out);
    assert!(err.contains("zoe") && err.contains("Q1"), "{err}");
    // JSON: the evaluation error points into the plan.
    let out = payplan(&dir, &["--error-format", "json", "run", "divides.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 1);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(d["file"], "divides.plan");
    assert!(d["start"].is_u64() && d["line"].is_u64(), "{d:#}");
}

#[test]
fn run_json_data_file() {
    let dir = scratch("run-json-data");
    write_file(&dir, "flat.plan", "plan \"Flat\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    credit direct { }\n    measure bookings = credited(direct)\n    commission base { on bookings  rate 10% }\n}\n");
    write_file(&dir, "data.json", r#"{"payees": [{"id": "alice"}], "bookings": [{"id": "b1", "date": "2027-05-01", "amount": 1234.5, "owner": "alice"}]}"#);
    let out = payplan(&dir, &["run", "flat.plan", "--data", "data.json", "--format", "csv", "--period", "Q2"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert_eq!(stdout_text(&out), "payee,period,line,amount,currency\nalice,Q2,base,123.45,USD\nalice,Q2,payout,123.45,USD\n");
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_errors_exit_2() {
    let dir = examples("usage");
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["check"][..],
        &["run", "enterprise-ae.plan"][..],
        &["run", "enterprise-ae.plan", "--data", "data", "--format", "xml"][..],
        &["--error-format", "yaml", "check", "enterprise-ae.plan"][..],
        &["run", "enterprise-ae.plan", "--data", "data", "--bogus"][..],
    ] {
        let out = payplan(&dir, args);
        assert_eq!(exit_code(&out), 2, "payplan {args:?}: {}", stderr_text(&out));
        assert_eq!(stdout_text(&out), "", "payplan {args:?}");
    }
    let help = payplan(&dir, &["--help"]);
    assert_eq!(exit_code(&help), 0);
    assert!(stdout_text(&help).contains("check") && stdout_text(&help).contains("run"));
}

// ---------------------------------------------------------------- inputs

#[test]
fn runs_do_not_modify_their_inputs() {
    let dir = examples("inputs");
    let before = files_below(&dir);
    for plan in EXAMPLE_PLANS {
        for format in ["csv", "json", "table"] {
            let out = payplan(&dir, &["run", &format!("{plan}.plan"), "--data", "data", "--format", format]);
            assert_eq!(exit_code(&out), 0, "{plan} {format}: {}", stderr_text(&out));
        }
        let out = payplan(&dir, &["check", &format!("{plan}.plan")]);
        assert_eq!(exit_code(&out), 0);
    }
    // A failing run too.
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--period", "Q9"]);
    assert_ne!(exit_code(&out), 0);
    let after = files_below(&dir);
    assert_eq!(before, after, "a run changed, added or removed a file among its inputs");
    assert_eq!(before.len(), 4 + 8, "4 plans and the 8 files of plans/data");
}

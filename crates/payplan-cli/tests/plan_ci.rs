//! Plan CI as a plan owner uses it: `payplan test` (expectations, snapshots, `--update`,
//! `CI`, JUnit), `payplan diff`, `payplan fmt`, lints and `--deny-warnings`, and
//! `--error-format json` on each. Every test works on a fresh copy of `plans/` (with
//! the committed snapshots) in its own folder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{copy_example_plans, example_data_dir, exit_code, payplan_command, scratch_dir, stderr_text, stdout_text, workspace_path, EXAMPLE_PLANS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_payplan");

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    scratch_dir(env!("CARGO_TARGET_TMPDIR"), &format!("plan-ci-{test}"))
}

/// A scratch copy of `plans/`: the plans, their snapshots and the data (its CSV files).
fn plans_copy(test: &str) -> PathBuf {
    let dir = scratch(test);
    copy_example_plans(&dir, &["plan", "plan.snap"]);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for entry in std::fs::read_dir(example_data_dir()).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "csv") {
            std::fs::copy(entry.path(), dir.join("data").join(entry.file_name())).unwrap();
        }
    }
    dir
}

/// Runs `payplan ARGS` in `dir`, with `CI=true` or without `CI`.
fn payplan_env(dir: &Path, args: &[&str], ci: bool) -> Output {
    let mut command = payplan_command(BIN, dir, args);
    command.env_remove("CI");
    if ci {
        command.env("CI", "true");
    }
    command.output().unwrap()
}

/// Runs `payplan ARGS` in `dir`, outside CI.
fn payplan(dir: &Path, args: &[&str]) -> Output {
    payplan_env(dir, args, false)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// `run --format csv` as (payee, period, line) → amount.
fn run_csv(dir: &Path, plan: &str) -> BTreeMap<(String, String, String), String> {
    let out = payplan(dir, &["run", plan, "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    stdout_text(&out)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[0].to_string(), f[1].to_string(), f[2].to_string()), f[3].to_string())
        })
        .collect()
}

// ---------------------------------------------------------------- test

#[test]
fn the_example_plans_pass_their_tests_in_ci() {
    let dir = plans_copy("examples-pass");
    let out = payplan_env(&dir, &["test", "."], true);
    assert_eq!(exit_code(&out), 0, "{}\n{}", stdout_text(&out), stderr_text(&out));
    let text = stdout_text(&out);
    assert!(text.ends_with("\n10 passed, 0 failed\n"), "{text}");
    assert!(text.contains("enterprise-ae.plan (4 tests)\n  ok    gate, decelerator"), "{text}");
    assert_eq!(stderr_text(&out), "", "clean plans and passing tests print no diagnostic");
}

#[test]
fn changing_a_rate_fails_the_tests_with_a_diff_and_diff_shows_the_exact_effect() {
    let dir = plans_copy("rate-change");
    std::fs::copy(dir.join("enterprise-ae.plan"), dir.join("old.plan")).unwrap();
    edit(&dir.join("enterprise-ae.plan"), "below 50%: 0.5x", "below 50%: 0.6x");

    let out = payplan_env(&dir, &["test", "enterprise-ae.plan"], true);
    assert_eq!(exit_code(&out), 1, "{}", stdout_text(&out));
    let text = stdout_text(&out);
    // The failing expectation, with expected, actual and the explanation.
    assert!(text.contains("FAIL  lost deals and credit of payees not on the plan"), "{text}");
    assert!(text.contains("expect alice Q1 base == 20_000 USD  (enterprise-ae.plan:"), "{text}");
    assert!(text.contains("expected: 20,000.00 USD\n"), "{text}");
    assert!(text.contains("actual:   24,000.00 USD\n"), "{text}");
    assert!(text.contains("how the actual figure was reached:"), "{text}");
    assert!(text.contains("500,000.00 in `below 50%` at 4.8%"), "{text}");
    // The snapshot diff.
    assert!(text.contains("the statement differs from the snapshot in enterprise-ae.plan.snap:"), "{text}");
    assert!(text.contains("--- snapshot\n"), "{text}");
    assert!(text.contains("-        below 50%: credit below 500,000.00: 0.5x the rate"), "{text}");
    assert!(text.contains("+        below 50%: credit below 500,000.00: 0.6x the rate"), "{text}");
    assert!(text.ends_with("0 passed, 4 failed\n"), "{text}");

    // The diff is exactly new minus old for every payee, period and line.
    let (old, new) = (run_csv(&dir, "old.plan"), run_csv(&dir, "enterprise-ae.plan"));
    let out = payplan(&dir, &["diff", "old.plan", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let text = stdout_text(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("payee,period,line,old,new,delta,currency"));
    let mut changed = 0;
    let mut compared = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let key = (f[0].to_string(), f[1].to_string(), f[2].to_string());
        let zero = "0.00".to_string();
        let (o, n) = (old.get(&key).unwrap_or(&zero), new.get(&key).unwrap_or(&zero));
        assert_eq!((f[3], f[4]), (o.as_str(), n.as_str()), "{line}");
        let delta = n.parse::<rust_decimal::Decimal>().unwrap() - o.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(f[5], format!("{:.2}", delta), "{line}");
        changed += usize::from(f[5] != "0.00");
        compared += 1;
    }
    assert!(compared >= 18 * 4 * 2 && changed > 0, "{compared} rows, {changed} changed");
    // E-114 is capped in Q4: the higher Q1 commission comes back through the cap line.
    assert!(text.contains("E-114,Q1,base,65391.83,73685.49,8293.66,USD\n"), "{text}");

    let md = stdout_text(&payplan(&dir, &["diff", "old.plan", "enterprise-ae.plan", "--data", "data", "--format", "markdown"]));
    assert!(md.starts_with("### payplan diff: `old.plan` → `enterprise-ae.plan`\n"), "{md}");
    assert!(md.contains("**Total payout:** 2,243,785.19 → "), "{md}");
    assert!(md.contains("#### Biggest movers (payout over the term)"), "{md}");
    assert!(md.contains("| `E-114` | Q1 | `base` | 65,391.83 | 73,685.49 | +8,293.66 |"), "{md}");

    let table = stdout_text(&payplan(&dir, &["diff", "old.plan", "enterprise-ae.plan", "--data", "data"]));
    assert!(table.contains("biggest movers (payout over the term):"), "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&stdout_text(&payplan(&dir, &["diff", "old.plan", "enterprise-ae.plan", "--data", "data", "--format", "json"]))).unwrap();
    assert_eq!(json["total_payout"]["old"], "2243785.19");
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["delta"].is_string()));
    assert!(!json["movers"].as_array().unwrap().is_empty());
}

#[test]
fn diff_of_a_plan_with_itself_reports_no_change() {
    let dir = plans_copy("diff-same");
    let out = payplan(&dir, &["diff", "sdr-partner.plan", "sdr-partner.plan", "--data", "data"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert!(stdout_text(&out).contains("no payout changes"), "{}", stdout_text(&out));
}

#[test]
fn diff_reports_caps_that_start_binding_and_sign_changes() {
    let dir = plans_copy("diff-caps");
    std::fs::copy(dir.join("enterprise-ae.plan"), dir.join("old.plan")).unwrap();
    edit(&dir.join("enterprise-ae.plan"), "cap total at 250% of payee.target_incentive per term", "cap total at 100% of payee.target_incentive per term");
    let out = payplan(&dir, &["diff", "old.plan", "enterprise-ae.plan", "--data", "data", "--format", "json"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout_text(&out)).unwrap();
    let crossings = json["cap_crossings"].as_array().unwrap();
    assert!(crossings.iter().any(|c| c["cap"] == "cap total" && c["old"] == "0.00"), "{crossings:?}");
    let signs = json["sign_changes"].as_array().unwrap();
    assert!(signs.iter().any(|s| s["line"] == "cap" && s["old"] == "0.00"), "{signs:?}");
}

#[test]
fn a_missing_snapshot_fails_in_ci_and_is_written_outside_it() {
    let dir = plans_copy("missing-snapshot");
    std::fs::remove_file(dir.join("se-overlay.plan.snap")).unwrap();
    let out = payplan_env(&dir, &["test", "se-overlay.plan"], true);
    assert_eq!(exit_code(&out), 1);
    assert!(stdout_text(&out).contains("no snapshot in se-overlay.plan.snap (with CI set"), "{}", stdout_text(&out));
    assert!(!dir.join("se-overlay.plan.snap").exists(), "nothing is written in CI");

    let out = payplan(&dir, &["test", "se-overlay.plan"]);
    assert_eq!(exit_code(&out), 0, "{}", stdout_text(&out));
    assert!(stdout_text(&out).contains("wrote se-overlay.plan.snap"), "{}", stdout_text(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("se-overlay.plan.snap")).unwrap(),
        std::fs::read_to_string(workspace_path("plans/se-overlay.plan.snap")).unwrap()
    );
}

#[test]
fn update_rewrites_the_snapshots() {
    let dir = plans_copy("update");
    edit(&dir.join("sdr-partner.plan"), "pay 400 USD per booking", "pay 500 USD per booking");
    edit(&dir.join("sdr-partner.plan"), "expect sid M3 analytics_launch == 400 USD", "expect sid M3 analytics_launch == 500 USD");
    edit(&dir.join("sdr-partner.plan"), "expect sid M3 recovery == -1_900 USD", "expect sid M3 recovery == -2_000 USD");
    edit(&dir.join("sdr-partner.plan"), "expect sid M6 payout == 2_500 USD", "expect sid M6 payout == 2_600 USD");
    let out = payplan_env(&dir, &["test", "sdr-partner.plan"], true);
    assert_eq!(exit_code(&out), 1, "the snapshot still has 400: {}", stdout_text(&out));
    assert!(stdout_text(&out).contains("analytics_launch"), "{}", stdout_text(&out));
    let out = payplan_env(&dir, &["test", "--update", "sdr-partner.plan"], true);
    assert_eq!(exit_code(&out), 0, "{}", stdout_text(&out));
    let out = payplan_env(&dir, &["test", "sdr-partner.plan"], true);
    assert_eq!(exit_code(&out), 0, "{}", stdout_text(&out));
    let snap = std::fs::read_to_string(dir.join("sdr-partner.plan.snap")).unwrap();
    assert!(snap.contains("spif pay 500.00"), "{snap}");
}

#[test]
fn junit_xml_lists_every_test() {
    let dir = plans_copy("junit");
    edit(&dir.join("sales-manager.plan"), "expect mia Q2 payout == 42_250 USD", "expect mia Q2 payout == 42_000 USD");
    let out = payplan_env(&dir, &["test", ".", "--junit", "report.xml"], true);
    assert_eq!(exit_code(&out), 1);
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"payplan test\" tests=\"10\" failures=\"1\" errors=\"0\">"),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"expect mia Q2 payout == 42_000 USD: expected 42,000.00 USD, actual 42,250.00 USD\">"), "{xml}");
}

#[test]
fn tests_in_a_file_of_their_own_use_the_plan() {
    let dir = plans_copy("use");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("tests/ae.plan"),
        "use \"../enterprise-ae.plan\"\n\ntest \"flat\" {\n    payee zed { role: \"AE\", target_incentive: 75_000 USD }\n    quota zed \"bookings\" Y1 = 1_000_000 USD\n    booking z1 { date: 2027-03-01, amount: 300_000 USD, owner: zed, status: \"won\", product: \"Compute\" }\n    expect zed Q1 base == 15_000 USD\n}\n",
    )
    .unwrap();
    let out = payplan_env(&dir, &["test", "tests"], false);
    assert_eq!(exit_code(&out), 0, "{}{}", stdout_text(&out), stderr_text(&out));
    assert!(stdout_text(&out).contains("tests/ae.plan (1 test)\n  ok    flat"), "{}", stdout_text(&out));
    assert!(dir.join("tests/ae.plan.snap").exists());
}

#[test]
fn bad_test_facts_are_reported_at_the_statement() {
    let dir = scratch("bad-facts");
    std::fs::copy(workspace_path("plans/enterprise-ae.plan"), dir.join("p.plan")).unwrap();
    let text = std::fs::read_to_string(dir.join("p.plan")).unwrap();
    let test = "\ntest \"broken\" {\n    payee ann { role: \"AE\", target_incentive: 75_000 USD }\n    booking x { date: 2027-03-01, amount: 1 USD, owner: nobody, status: \"won\", product: \"Compute\" }\n    expect ann Q1 bonus == 0 USD\n}\n";
    std::fs::write(dir.join("p.plan"), format!("{text}{test}")).unwrap();
    let out = payplan(&dir, &["test", "p.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert!(stdout_text(&out).contains("ERROR broken (p.plan:"), "{}", stdout_text(&out));
    let err = stderr_text(&out);
    assert!(err.contains("nobody"), "{err}");
    assert!(err.contains("booking x { date: 2027-03-01"), "the diagnostic shows the statement: {err}");

    let out = payplan(&dir, &["--error-format", "json", "test", "p.plan"]);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let first = &doc["diagnostics"][0];
    assert_eq!(first["code"], "payplan::test-data");
    assert_eq!(first["line"], text.lines().count() + 4);
}

#[test]
fn an_unknown_line_or_period_is_a_test_error_with_a_hint() {
    let dir = scratch("unknown-line");
    let text = std::fs::read_to_string(workspace_path("plans/sales-manager.plan")).unwrap();
    let test = "\ntest \"typos\" {\n    payee mia { role: \"Manager\", target_incentive: 1 USD, start_date: 2020-01-01 }\n    quota mia \"team\" Y1 = 1 USD\n    expect mia Q1 team_comission == 0 USD\n    expect mia Q5 payout == 0 USD\n}\n";
    std::fs::write(dir.join("p.plan"), format!("{text}{test}")).unwrap();
    let out = payplan(&dir, &["test", "p.plan"]);
    assert_eq!(exit_code(&out), 1);
    let err = stderr_text(&out);
    assert!(err.contains("the plan has no line `team_comission`") && err.contains("did you mean `team_commission`?"), "{err}");
    assert!(err.contains("the plan has no period `Q5`") && err.contains("Q1, Q2, Q3, Q4"), "{err}");
}

#[test]
fn failing_expectations_are_json_diagnostics_for_ci_annotations() {
    let dir = plans_copy("json-failures");
    edit(&dir.join("se-overlay.plan"), "expect sam Q1 mbo_bonus == 2_000 USD", "expect sam Q1 mbo_bonus == 2_001 USD");
    let out = payplan_env(&dir, &["--error-format", "json", "test", "se-overlay.plan"], true);
    assert_eq!(exit_code(&out), 1);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "payplan::test-failed");
    assert_eq!(d["message"], "expected 2,001.00 USD, actual 2,000.00 USD");
    assert_eq!(d["file"], "se-overlay.plan");
    let source = std::fs::read_to_string(dir.join("se-overlay.plan")).unwrap();
    let line = source.lines().position(|l| l.contains("mbo_bonus == 2_001")).unwrap() + 1;
    assert_eq!(d["line"], line);
}

// ---------------------------------------------------------------- fmt

#[test]
fn fmt_check_lists_files_that_would_change_and_w_fixes_them() {
    let dir = plans_copy("fmt");
    let out = payplan(&dir, &["fmt", "--check", "."]);
    assert_eq!(exit_code(&out), 0, "the example plans are formatted: {}", stdout_text(&out));
    let messy = "# a plan\nplan \"m\" {currency USD term 2027-01-01 to 2027-12-31 period quarter # every quarter\n credit direct { when booking.status==\"won\" }\n measure b=credited(direct)\n commission base{on b rate 8%}}\n";
    std::fs::write(dir.join("messy.plan"), messy).unwrap();
    let out = payplan(&dir, &["fmt", "--check", "."]);
    assert_eq!(exit_code(&out), 1);
    assert_eq!(stdout_text(&out), "./messy.plan\n");
    assert_eq!(std::fs::read_to_string(dir.join("messy.plan")).unwrap(), messy, "--check writes nothing");

    let printed = payplan(&dir, &["fmt", "messy.plan"]);
    assert_eq!(exit_code(&printed), 0);
    let expected = "# a plan\nplan \"m\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter  # every quarter\n    credit direct {\n        when booking.status == \"won\"\n    }\n    measure b = credited(direct)\n    commission base {\n        on b\n        rate 8%\n    }\n}\n";
    assert_eq!(stdout_text(&printed), expected);

    let out = payplan(&dir, &["fmt", "-w", "messy.plan"]);
    assert_eq!(exit_code(&out), 0);
    assert_eq!(std::fs::read_to_string(dir.join("messy.plan")).unwrap(), expected);
    assert_eq!(exit_code(&payplan(&dir, &["fmt", "--check", "messy.plan"])), 0, "idempotent");
}

#[test]
fn fmt_refuses_a_file_that_does_not_parse() {
    let dir = scratch("fmt-bad");
    std::fs::write(dir.join("bad.plan"), "plan \"x\" { comission base { } }\n").unwrap();
    let out = payplan(&dir, &["fmt", "-w", "bad.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert!(stderr_text(&out).contains("did you mean `commission`?"), "{}", stderr_text(&out));
    assert_eq!(std::fs::read_to_string(dir.join("bad.plan")).unwrap(), "plan \"x\" { comission base { } }\n");
    let out = payplan(&dir, &["--error-format", "json", "fmt", "--check", "bad.plan"]);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "payplan::parse");
}

// ---------------------------------------------------------------- lints

/// A plan seeded with one of each mistake the lints look for.
const SEEDED: &str = r#"plan "Seeded mistakes" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    field booking.region: text
    let unused_rate = 5%
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    measure spare = bookings
    commission base {
        on bookings
        tiers marginal by bookings {
            0 USD to 100_000 USD: 5%
            100_000 USD to 200_000 USD: 10%
            200_000 USD and above: 20%
        }
        gate bookings >= 150_000 USD
    }
    cap base at 8_000 USD per term
    spif launch {
        on direct
        window 2026-12-01 to 2027-01-31
        pay 100 USD per booking
    }
}
"#;

#[test]
fn lints_fire_on_seeded_mistakes_as_warnings() {
    let dir = scratch("lints");
    std::fs::write(dir.join("seeded.plan"), SEEDED).unwrap();
    let out = payplan(&dir, &["check", "seeded.plan"]);
    assert_eq!(exit_code(&out), 0, "warnings do not fail: {}", stderr_text(&out));
    let err = stderr_text(&out);
    assert_eq!(err.matches('⚠').count(), 6, "{err}");
    assert!(err.contains("help:"), "{err}");

    let out = payplan(&dir, &["--error-format", "json", "check", "seeded.plan"]);
    assert_eq!(exit_code(&out), 0);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let messages: Vec<String> = doc["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap().to_string()).collect();
    for fragment in [
        "the field `booking.region` is declared but never read",
        "the `let` `unused_rate` is never used",
        "the measure `spare` is never used",
        "no payee can reach this tier of `base`",
        "is below what `base` has earned when its gate opens (10,000 USD)",
        "the window of spif `launch` runs outside the term (2027-01-01 to 2027-12-31)",
    ] {
        assert!(messages.iter().any(|m| m.contains(fragment)), "missing `{fragment}` in {messages:#?}");
    }

    let out = payplan(&dir, &["--deny-warnings", "check", "seeded.plan"]);
    assert_eq!(exit_code(&out), 1);
    assert!(stderr_text(&out).contains("6 warnings were reported, and `--deny-warnings` is set"), "{}", stderr_text(&out));

    let out = payplan(&dir, &["--error-format", "json", "check", "seeded.plan"]);
    assert_eq!(exit_code(&out), 0);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 6);
    assert!(diagnostics.iter().all(|d| d["severity"] == "warning" && d["line"].is_u64() && d["help"].is_string()));
}

#[test]
fn the_example_plans_are_lint_clean() {
    let dir = plans_copy("lint-clean");
    let mut args = vec!["--deny-warnings", "check"];
    let files: Vec<String> = EXAMPLE_PLANS.iter().map(|p| format!("{p}.plan")).collect();
    args.extend(files.iter().map(String::as_str));
    let out = payplan(&dir, &args);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    for plan in EXAMPLE_PLANS {
        let out = payplan(&dir, &["--deny-warnings", "run", &format!("{plan}.plan"), "--data", "data", "--format", "csv"]);
        assert_eq!(exit_code(&out), 0, "{plan}: {}", stderr_text(&out));
    }
}

#[test]
fn run_warns_about_a_table_key_that_is_not_in_the_data() {
    let dir = plans_copy("table-key");
    edit(&dir.join("enterprise-ae.plan"), "\"Storage\"   => 80%", "\"Storage\"   => 80%,\n        \"Stroage\"   => 80%");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let err = stderr_text(&out);
    assert!(err.contains("the key `\"Stroage\"` of table `product_weight` never occurs in the data (`booking.product`)"), "{err}");
    assert!(err.contains("the data has `\"Storage\"`"), "{err}");
    assert_eq!(exit_code(&payplan(&dir, &["--deny-warnings", "run", "enterprise-ae.plan", "--data", "data"])), 1);
    assert_eq!(exit_code(&payplan(&dir, &["check", "enterprise-ae.plan"])), 0, "check has no data to compare with");
}

#[test]
fn run_warns_about_a_compared_text_that_is_not_in_the_data() {
    let dir = plans_copy("value-never-occurs");
    // The data's statuses are lowercase: `Won` never matches, so nothing would be paid.
    edit(&dir.join("enterprise-ae.plan"), "booking.status == \"won\"", "booking.status == \"Won\"");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    let err = stderr_text(&out);
    assert!(err.contains("`\"Won\"` never occurs in `booking.status` in the data"), "{err}");
    assert!(err.contains("the data has `\"won\"`"), "{err}");
    assert_eq!(exit_code(&payplan(&dir, &["--deny-warnings", "run", "enterprise-ae.plan", "--data", "data"])), 1);

    // A value met in the first rows stops the reading of a column; a later comparison
    // of that column with a value it has not met reads it all again.
    let dir = plans_copy("value-read-again");
    edit(&dir.join("enterprise-ae.plan"), "when booking.status == \"won\"", "when booking.status == \"won\" or booking.status == \"Open\"");
    let err = stderr_text(&payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]));
    assert!(err.contains("`\"Open\"` never occurs in `booking.status` in the data"), "{err}");
    assert!(err.contains("the data has `\"open\"`"), "{err}");
    assert!(!err.contains("`\"won\"` never occurs"), "{err}");

    // A role list naming a role nobody has yet is fine while another role occurs.
    let dir = plans_copy("value-in-list");
    edit(&dir.join("enterprise-ae.plan"), "eligible payee.role in [\"AE\", \"Senior AE\"]", "eligible payee.role in [\"AE\", \"Senior AE\", \"Principal AE\"]");
    let out = payplan(&dir, &["run", "enterprise-ae.plan", "--data", "data", "--format", "csv"]);
    assert!(!stderr_text(&out).contains("value-never-occurs"), "{}", stderr_text(&out));
}

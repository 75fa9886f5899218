//! Hostile input (issue 7): the bad-input corpus, the limits, and inputs that are never
//! modified. Everything here runs the real command line (`payplan`), as a user would.
//!
//! - `bad_input_corpus`: every case folder of `tests/bad-input/` (one plan or one data
//!   set with one thing wrong, described by the first line of its `README`) goes
//!   through `payplan run` (or `payplan check` when the case has no data). The exit
//!   status must be 1 (0 for the controls, `exit: 0` in the README), stderr is
//!   snapshot (`tests/snapshots/hostile__bad_input_NN-name.snap`), and every data
//!   error must name the file, the line, the column and the value, except where the
//!   README says why not (`no-line:`, `no-column:`, `no-value:`); evaluation errors
//!   (`eval:`) must point at the plan and name the payee or booking; plan errors
//!   (`plan:`) must name the plan file and line.
//! - The limits of the parser, checker, loader and engine, each with a clear error,
//!   on inputs generated here (large files are never committed).
//! - `inputs_are_never_modified`: `run`, `explain --format html -o`, `test` and
//!   `fmt --check` leave every input byte-identical with the same modification time.
//!
//! The binary is `$PAYPLAN_BIN`, or `payplan` beside this test's target folder (built
//! by `cargo test --workspace`); when it is missing it is built first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{copy_dir_all, example_data_dir, files_below, payplan_binary, run_payplan, scratch_dir, workspace_path, FileState};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// Runs `payplan ARGS` in `dir`, without colours.
fn payplan(dir: &Path, args: &[&str]) -> Output {
    run_payplan(payplan_binary(), dir, args)
}

/// stderr as text, its lines joined (no trailing line end).
fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).lines().collect::<Vec<_>>().join("\n")
}

// ---------------------------------------------------------------- the corpus

/// One case of `tests/bad-input/`.
struct Case {
    name: String,
    what: String,
    exit: i32,
    no_line: bool,
    no_column: bool,
    no_value: bool,
    eval: bool,
    plan_error: bool,
    /// An open bug (`bug:` in the README): the case is checked by its own ignored test.
    bug: Option<String>,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let corpus = workspace_path("tests/bad-input");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let readme = std::fs::read_to_string(dir.join("README")).unwrap_or_else(|_| panic!("{name} has no README"));
            let mut lines = readme.lines();
            let what = lines.next().unwrap_or_default().to_string();
            assert!(!what.is_empty(), "{name}: the README's first line says what is wrong");
            let directives: Vec<&str> = lines.collect();
            let has = |key: &str| directives.iter().any(|l| l.starts_with(key));
            let exit = if has("exit: 0") { 0 } else { 1 };
            let plan = if dir.join("plan.plan").exists() { format!("{name}/plan.plan") } else { "base.plan".to_string() };
            let args: Vec<String> = if dir.join("data").is_dir() {
                vec!["run".into(), plan, "--data".into(), format!("{name}/data"), "--format".into(), "csv".into()]
            } else if dir.join("data.json").exists() {
                vec!["run".into(), plan, "--data".into(), format!("{name}/data.json"), "--format".into(), "csv".into()]
            } else {
                vec!["check".into(), plan]
            };
            Case {
                name,
                what,
                exit,
                no_line: has("no-line:"),
                no_column: has("no-column:"),
                no_value: has("no-value:"),
                eval: has("eval:"),
                plan_error: has("plan:"),
                bug: directives.iter().find_map(|l| l.strip_prefix("bug: ")).map(str::to_string),
                args,
            }
        })
        .collect()
}

/// A data error's message names its column: `: column amount: ` (CSV) or a JSON path
/// `: bookings[3].amount: `.
fn names_column(message: &str) -> bool {
    message.contains(": column ") || message.contains("column `") || (message.contains("[") && message.contains("].")) || message.contains("(column ")
}

/// A data error's message names its line: `file.csv:17:` (or a JSON path, which is a
/// JSON file's line).
fn names_line(file: &str, message: &str) -> bool {
    let after = message.strip_prefix(file).unwrap_or("");
    let line_number = after.strip_prefix(':').is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()));
    line_number || (file.ends_with(".json") && message.contains("]"))
}

/// Runs one case and returns what is wrong with its errors (nothing when it passes).
/// The stderr of a failing run is snapshot, except for a case with an open bug.
fn check_case(case: &Case) -> Vec<String> {
    let corpus = workspace_path("tests/bad-input");
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let human = payplan(&corpus, &args);
    let status = human.status.code().unwrap_or(-1);
    let stderr = stderr_of(&human);
    if status != case.exit {
        return vec![format!("{}: exit {status}, expected {} ({})\n{stderr}", case.name, case.exit, case.what)];
    }
    if case.exit == 0 {
        let mut problems = Vec::new();
        if human.stdout.is_empty() {
            problems.push(format!("{}: a control prints results", case.name));
        }
        if stderr.contains("error") {
            problems.push(format!("{}: a control has no error: {stderr}", case.name));
        }
        return problems;
    }
    if case.bug.is_none() {
        insta::assert_snapshot!(format!("bad_input_{}", case.name), format!("# {}\n# payplan {}\n{stderr}", case.what, args.join(" ")));
    }
    // The same errors as JSON, to check what each names.
    let mut json_args = vec!["--error-format", "json"];
    json_args.extend(&args);
    let json = payplan(&corpus, &json_args);
    let json_text = String::from_utf8_lossy(&json.stdout).into_owned() + &stderr_of(&json);
    let Some(start) = json_text.find('{') else { return vec![format!("{}: no JSON diagnostics in {json_text}", case.name)] };
    let document: serde_json::Value = serde_json::Deserializer::from_str(&json_text[start..]).into_iter().next().unwrap().unwrap();
    let diagnostics = document["diagnostics"].as_array().unwrap();
    let errors: Vec<&serde_json::Value> = diagnostics.iter().filter(|d| d["severity"] == "error").collect();
    let mut problems = Vec::new();
    if errors.is_empty() {
        problems.push(format!("{}: exit 1 but no error diagnostic", case.name));
    }
    for d in errors {
        let message = d["message"].as_str().unwrap_or_default();
        let code = d["code"].as_str().unwrap_or_default();
        let file = d["file"].as_str().unwrap_or_default();
        let mut missing = Vec::new();
        if file.is_empty() {
            missing.push("the file");
        }
        match code {
            "payplan::data" => {
                if !case.no_line && !names_line(file, message) {
                    missing.push("the line");
                }
                if !case.no_column && !names_column(message) {
                    missing.push("the column");
                }
                if !case.no_value && !message.contains('"') {
                    missing.push("the value");
                }
            }
            "payplan::eval" => {
                if !case.eval {
                    missing.push("(an unexpected evaluation error)");
                }
                if d["start"].is_null() {
                    missing.push("the plan expression");
                }
                if !(message.contains("payee `") || message.contains("booking `")) {
                    missing.push("the payee or booking");
                }
            }
            _ => {
                if !case.plan_error {
                    missing.push("(an unexpected plan error)");
                }
                if d["line"].is_null() {
                    missing.push("the plan line");
                }
            }
        }
        if !missing.is_empty() {
            problems.push(format!("{}: an error without {}: {message}", case.name, missing.join(", ")));
        }
    }
    problems
}

#[test]
fn bad_input_corpus() {
    let cases = cases();
    assert!(cases.len() >= 40, "the corpus has {} cases, fewer than 40", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        match &case.bug {
            Some(bug) => eprintln!("{}: skipped, open bug: {bug}", case.name),
            None => problems.extend(check_case(case)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Checks a case whose bug was fixed (its README has no `bug:` line any more): what
/// `bad_input_corpus` checks of it, snapshot included, plus what its test asserts.
fn check_fixed_case(name: &str) -> String {
    let case = cases().into_iter().find(|c| c.name == name).unwrap();
    assert!(case.bug.is_none(), "{name} still has a `bug:` line in its README");
    let problems = check_case(&case);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    stderr_of_case(name)
}

/// Was: `arithmetic overflow for payee alice in Q1`, pointing at nothing.
#[test]
fn bug_decimal_overflow_names_the_expression() {
    let stderr = check_fixed_case("59-decimal-overflow");
    assert!(stderr.contains("arithmetic overflow for payee `alice` in Q1 (booking `b1`"), "{stderr}");
    assert!(stderr.contains("rate 150%"), "the snippet shows the rate: {stderr}");
}

/// Was: the run succeeded and printed `7922816251426433759354395033.5`, one decimal.
#[test]
fn bug_line_too_large_for_cents_is_an_error() {
    let stderr = check_fixed_case("71-line-too-large-for-cents");
    assert!(stderr.contains("the earnings of `base` to date, 7922816251426433759354395033.5 USD, cannot be rounded to 2"), "{stderr}");
    assert!(stderr.contains("for payee `alice` in Q1"), "{stderr}");
    assert!(stderr.contains("rate 10%"), "the snippet shows the commission: {stderr}");
}

/// Was: the run succeeded, and `--format json` listed the unpaid credit as
/// `7922816251426433759354395033.5`, one decimal; now an error, as for a line.
#[test]
fn unpaid_credit_too_large_for_cents_is_an_error() {
    let stderr = check_fixed_case("72-unpaid-credit-too-large-for-cents");
    assert!(stderr.contains("unpaid credit, 7922816251426433759354395033.5 USD, cannot be rounded to 2 decimals"), "{stderr}");
    assert!(stderr.contains("payee") && stderr.contains("`sam`") && stderr.contains("booking `b1`"), "{stderr}");
    assert!(stderr.contains("eligible payee.role"), "the snippet shows `eligible`: {stderr}");
}

/// The stderr of one corpus case.
fn stderr_of_case(name: &str) -> String {
    let case = cases().into_iter().find(|c| c.name == name).unwrap();
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    stderr_of(&payplan(&workspace_path("tests/bad-input"), &args))
}

/// `1.234,56` is 1234.56 written the European way; the hint said `use 1.23456`, a
/// thousand times less, which a user following it would load without complaint (a bug,
/// fixed: the hint is `use 1234.56`).
#[test]
fn european_decimal_hint_gives_the_value_meant() {
    let stderr = stderr_of_case("16-european-decimal");
    assert!(!stderr.contains("use 1.23456"), "{stderr}");
    assert!(stderr.contains("1234.56"), "{stderr}");
}

/// bookings.csv has no `amount` column; the hint proposed renaming `account` (a column
/// the plan reads through `owner_of(booking.account)`) to `amount` (a bug, fixed: only
/// columns the table does not know are rename candidates, so the header is listed).
#[test]
fn missing_column_hint_never_renames_a_known_column() {
    let stderr = stderr_of_case("44-missing-column");
    assert!(!stderr.contains("rename it to `amount`"), "{stderr}");
    assert!(stderr.contains("the header is: id,date,currency,owner,status,cancel_date,account,product"), "{stderr}");
}

/// Runs a data case whose files are generated here (too large to commit): writes the
/// control's files with `change` applied into a temporary folder and runs the plan.
fn run_generated(name: &str, change: impl FnOnce(&Path)) -> (Output, Duration) {
    let dir = temp_dir(name);
    let data = dir.join("data");
    copy_dir_all(&workspace_path("tests/bad-input/00-control/data"), &data);
    change(&data);
    std::fs::copy(workspace_path("tests/bad-input/base.plan"), dir.join("base.plan")).unwrap();
    let started = Instant::now();
    let output = payplan(&dir, &["run", "base.plan", "--data", "data", "--format", "csv"]);
    let elapsed = started.elapsed();
    std::fs::remove_dir_all(&dir).ok();
    (output, elapsed)
}

/// A fresh, empty folder for one test, under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    scratch_dir(std::env::temp_dir(), &format!("payplan-hostile-{name}"))
}

fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path).unwrap();
    content.push_str(text);
    std::fs::write(path, content).unwrap();
}

#[test]
fn a_ten_megabyte_cell_is_one_short_error() {
    let cell = "9".repeat(10 * 1024 * 1024);
    let (output, elapsed) = run_generated("big-cell", |data| append(&data.join("bookings.csv"), &format!("b9,2027-03-01,{cell},USD,alice,won,,,Compute\n")));
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("data/bookings.csv:6: column amount: \"9999"), "{stderr}");
    assert!(stderr.len() < 1000, "the value is shortened in the message: {} bytes", stderr.len());
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn a_ten_megabyte_quoted_text_cell_with_newlines_is_read_or_refused_quickly() {
    // A runaway quoted text cell (a product name of 10 MB, with newlines): text cells
    // accept anything, so this must load; what matters is that it neither hangs nor
    // explodes, and that the rows after it are still read.
    let cell = "ab\ncd,".repeat(10 * 1024 * 1024 / 6);
    let (output, elapsed) = run_generated("big-text-cell", |data| {
        append(&data.join("bookings.csv"), &format!("b9,2027-03-01,10,USD,alice,won,,,\"{cell}\"\nb10,2027-03-02,20,USD,alice,won,,,Compute\n"));
    });
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn a_data_file_past_the_size_limit_is_refused_before_it_is_read() {
    // A sparse bookings.csv one byte past the limit (it takes no disk): refused by its
    // size, in far less time than reading 2 GiB would take.
    let (output, elapsed) = run_generated("too-large-file", |data| {
        let file = std::fs::OpenOptions::new().write(true).open(data.join("bookings.csv")).unwrap();
        file.set_len(payplan_data::MAX_DATA_FILE_BYTES + 1).unwrap();
    });
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, "error: data/bookings.csv: is 2147483649 bytes (2.0 GiB), more than the limit of 2147483648 bytes (2.0 GiB) for one data file");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[test]
fn many_rows_load() {
    // 200,000 bookings (about 10 MB): no row limit is reached, the run succeeds.
    let (output, elapsed) = run_generated("many-rows", |data| {
        let mut rows = String::new();
        for i in 0..200_000 {
            rows.push_str(&format!(
                "x{i},2027-{:02}-{:02},{}.{:02},USD,{},won,,,Compute\n",
                1 + i % 12,
                1 + i % 28,
                1000 + i % 9000,
                i % 100,
                ["alice", "bob"][i % 2]
            ));
        }
        append(&data.join("bookings.csv"), &rows);
    });
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(elapsed < Duration::from_secs(120), "took {elapsed:?}");
}

#[test]
fn errors_stop_at_the_limit_with_a_count_of_the_rest() {
    let (output, _) = run_generated("many-errors", |data| {
        let rows: String = (0..500).map(|i| format!("e{i},2027-02-30,1,USD,alice,won,,,Compute\n")).collect();
        append(&data.join("bookings.csv"), &rows);
    });
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr.lines().filter(|l| l.starts_with("error:")).count();
    assert!(errors <= payplan_data::MAX_ERRORS + 1, "{errors} error lines");
    assert!(errors >= payplan_data::MAX_ERRORS, "{errors} error lines");
    let last = stderr.lines().rfind(|l| l.starts_with("error:")).unwrap();
    assert!(last.contains("more"), "the last line says how many more: {last}");
}

#[test]
fn a_manager_chain_deeper_than_the_engine_follows_is_an_error() {
    // 150 payees, each managing the next; `rollup direct all levels` climbs the chain.
    let dir = temp_dir("manager-chain");
    let data = dir.join("data");
    copy_dir_all(&workspace_path("tests/bad-input/00-control/data"), &data);
    let mut payees = String::from("id,name,role,manager,start_date,end_date,target_incentive\n");
    for i in 0..150 {
        let manager = if i == 0 { String::new() } else { format!("m{:03}", i - 1) };
        payees.push_str(&format!("m{i:03},M {i},AE,{manager},2020-01-01,,100000\n"));
    }
    std::fs::write(data.join("payees.csv"), payees).unwrap();
    std::fs::write(data.join("bookings.csv"), "id,date,amount,currency,owner,status\nb1,2027-02-01,1000,USD,m149,won\n").unwrap();
    std::fs::write(data.join("quotas.csv"), "payee,quota,period,amount\n").unwrap();
    for f in ["splits.csv", "accounts.csv"] {
        std::fs::remove_file(data.join(f)).unwrap();
    }
    std::fs::write(
        dir.join("chain.plan"),
        "plan \"chain\" {\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    credit direct { to splits }\n    credit org { rollup direct all levels }\n    measure org_bookings = credited(org)\n    commission org_override { on org_bookings  rate 1% }\n}\n",
    )
    .unwrap();
    let output = payplan(&dir, &["run", "chain.plan", "--data", "data", "--format", "csv"]);
    let stderr = stderr_of(&output);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the manager chain above `m149` is more than 100 levels deep"), "{stderr}");
}

// ---------------------------------------------------------------- plan limits

/// Checks plan text with the command line; (exit status, stderr).
fn check_text(name: &str, text: &str) -> (i32, String) {
    let dir = temp_dir(name);
    std::fs::write(dir.join("limit.plan"), text).unwrap();
    let output = payplan(&dir, &["check", "limit.plan"]);
    std::fs::remove_dir_all(&dir).ok();
    (output.status.code().unwrap_or(-1), stderr_of(&output))
}

fn plan_with_rate(rate: &str) -> String {
    format!(
        "plan \"limits\" {{\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    credit direct {{ to splits }}\n    measure bookings = credited(direct)\n    commission base {{\n        on bookings\n        rate {rate}\n    }}\n}}\n"
    )
}

#[test]
fn plan_limits_give_clear_errors() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("source-bytes", format!("{}\n{}", plan_with_rate("8%"), "#".repeat(4 * 1024 * 1024)), "more than the limit of 4194304 bytes"),
        ("nesting", plan_with_rate(&format!("{}8%{}", "(".repeat(65), ")".repeat(65))), "brackets nest more than 64 deep"),
        ("prefix-run", plan_with_rate(&format!("{}8%", "- ".repeat(33))), "more than 32 prefix operators in a row"),
        ("ifs", plan_with_rate(&format!("{}2%", "if true then 1% else ".repeat(1001))), "more than 1000 `if` expressions"),
        ("expression-depth", plan_with_rate(&format!("1%{}", " + 1%".repeat(250))), "nests more than 200 levels deep"),
        (
            "definition-depth",
            {
                let lets: String = (0..80).map(|i| format!("    let l{i} = l{} + 1%\n", i + 1)).collect();
                plan_with_rate("l0").replace("    credit direct", &format!("{lets}    let l80 = 1%\n    credit direct"))
            },
            "more than 64 nested lets and measures",
        ),
    ];
    let mut problems = Vec::new();
    for (name, text, expected) in &cases {
        let started = Instant::now();
        let (status, stderr) = check_text(name, text);
        let elapsed = started.elapsed();
        if status != 1 || !stderr.contains(expected) || !stderr.contains("limit.plan") {
            problems.push(format!("{name}: exit {status}, expected 1 and {expected:?}:\n{}", stderr.chars().take(2000).collect::<String>()));
        }
        if elapsed > Duration::from_secs(20) {
            problems.push(format!("{name}: took {elapsed:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn just_under_the_plan_limits_checks_clean() {
    let cases = [
        ("nesting-64", plan_with_rate(&format!("{}8%{}", "(".repeat(60), ")".repeat(60)))),
        ("prefix-32", plan_with_rate(&format!("{}8%", "- ".repeat(32)))),
        ("depth-150", plan_with_rate(&format!("1%{}", " + 0%".repeat(150)))),
    ];
    for (name, text) in &cases {
        let (status, stderr) = check_text(name, text);
        assert_eq!(status, 0, "{name}: {stderr}");
    }
}

// ---------------------------------------------------------------- inputs never change

#[test]
fn inputs_are_never_modified() {
    let dir = temp_dir("read-only");
    let inputs = dir.join("inputs");
    // The example plans (with their test snapshots) and their data set.
    copy_dir_all(&example_data_dir(), &inputs.join("data"));
    for entry in std::fs::read_dir(workspace_path("plans")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && (name.ends_with(".plan") || name.ends_with(".plan.snap")) {
            std::fs::copy(entry.path(), inputs.join(&name)).unwrap();
        }
    }
    let outputs = dir.join("outputs");
    std::fs::create_dir_all(&outputs).unwrap();
    let before = files_below(&inputs);
    assert!(before.len() >= 10, "the example plans, their snapshots and data");
    let mut plans: Vec<String> =
        before.iter().filter(|f| f.path.extension().is_some_and(|x| x == "plan")).map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    plans.sort();
    for plan in &plans {
        let plan_path = format!("inputs/{plan}");
        let stem = plan.trim_end_matches(".plan");
        let runs: Vec<Vec<String>> = vec![
            vec!["run".into(), plan_path.clone(), "--data".into(), "inputs/data".into()],
            vec![
                "run".into(),
                plan_path.clone(),
                "--data".into(),
                "inputs/data".into(),
                "--format".into(),
                "json".into(),
                "-o".into(),
                format!("outputs/{stem}.json"),
            ],
            vec![
                "explain".into(),
                plan_path.clone(),
                "--data".into(),
                "inputs/data".into(),
                "--format".into(),
                "html".into(),
                "-o".into(),
                format!("outputs/{stem}-html"),
            ],
            vec!["test".into(), plan_path.clone()],
            vec!["fmt".into(), "--check".into(), plan_path.clone()],
            vec!["check".into(), plan_path.clone()],
        ];
        for args in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = payplan(&dir, &args);
            assert!(output.status.success(), "payplan {}: {}", args.join(" "), stderr_of(&output));
        }
    }
    // `payplan test` on the folder, and a failing data set (errors must not touch it either).
    assert!(payplan(&dir, &["test", "inputs"]).status.success());
    let after = files_below(&inputs);
    assert_eq!(before.len(), after.len(), "files were added or removed among the inputs");
    for (FileState { path, bytes, modified }, FileState { bytes: bytes_after, modified: modified_after, .. }) in before.iter().zip(&after) {
        assert!(bytes == bytes_after, "{} changed", path.display());
        assert_eq!(modified, modified_after, "{} was written to", path.display());
    }
    assert!(std::fs::read_dir(&outputs).unwrap().count() >= plans.len() * 2, "the outputs went where asked");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failing_run_leaves_its_inputs_alone() {
    let dir = temp_dir("read-only-errors");
    copy_dir_all(&workspace_path("tests/bad-input"), &dir);
    let before = files_below(&dir);
    for case in cases() {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let _ = payplan(&dir, &args);
    }
    let after = files_below(&dir);
    assert_eq!(before, after, "a run changed its inputs");
    std::fs::remove_dir_all(&dir).ok();
}

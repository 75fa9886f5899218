//! Where the commands write, as a user runs them: an output path that is one of the
//! inputs is refused (data.md: "The engine never changes its inputs"), `-o -` is
//! standard output, a failed write to standard output is a diagnostic (status 1, never
//! a panic or status 101) while a closed pipe (`| head`) ends quietly, and
//! `payplan test` fails a plan that does not check even when it has no test blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{exit_code, files_below, payplan_command, run_payplan, scratch_dir, stderr_text, stdout_text, write_file};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_payplan");

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    scratch_dir(env!("CARGO_TARGET_TMPDIR"), &format!("writes-{test}"))
}

/// Runs `payplan ARGS` in `dir`, outside CI.
fn payplan(dir: &Path, args: &[&str]) -> Output {
    let mut command = payplan_command(BIN, dir, args);
    command.env_remove("CI");
    command.output().unwrap()
}

const PLAN: &str = r#"plan "Flat" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
}
"#;

/// The same plan paying 12%: the other side of a diff.
fn plan_12() -> String {
    PLAN.replace("rate 10%", "rate 12%")
}

const TEST_BLOCK: &str = r#"
test "ten percent" {
    payee ann { }
    booking b1 { date: 2027-02-01, amount: 1_000 USD, owner: ann, status: "won" }
    expect ann Q1 base == 100 USD
}
"#;

/// A plan with two type errors and no test blocks.
const TYPE_ERRORS: &str = r#"plan "Bad" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 500 USD }
    bonus big { when bookings + 5 >= 100_000 USD  pay 500 USD }
}
"#;

/// `flat.plan`, `old.plan` (12%), the data folder `data/` and the same data as `data.json`.
fn fixture(test: &str) -> PathBuf {
    let dir = scratch(test);
    write_file(&dir, "flat.plan", PLAN);
    write_file(&dir, "old.plan", plan_12());
    write_file(&dir, "data/payees.csv", "id\nann\nbo\n");
    write_file(&dir, "data/bookings.csv", "id,date,amount,owner,status\nb1,2027-02-01,1000,ann,won\nb2,2027-05-01,2000,bo,won\n");
    write_file(
        &dir,
        "data.json",
        r#"{"payees": [{"id": "ann"}], "bookings": [{"id": "b1", "date": "2027-02-01", "amount": "1000", "owner": "ann", "status": "won"}]}"#,
    );
    dir
}

/// Asserts a refused write: status 1, the diagnostic naming the output and what it is,
/// nothing on stdout, and no file changed, added or removed.
fn assert_refused(dir: &Path, args: &[&str], expected: &str) {
    let before = files_below(dir);
    let out = payplan(dir, args);
    let err = stderr_text(&out);
    assert_eq!(exit_code(&out), 1, "payplan {args:?}: {err}");
    assert!(err.contains(expected), "payplan {args:?}: expected `{expected}` in:\n{err}");
    assert!(err.contains("help: payplan never changes its inputs"), "payplan {args:?}: {err}");
    assert_eq!(stdout_text(&out), "", "payplan {args:?}");
    assert_eq!(files_below(dir), before, "payplan {args:?} changed its inputs");
}

// ---------------------------------------------------------------- outputs that are inputs

#[test]
fn run_refuses_to_write_over_its_plan_or_data() {
    let dir = fixture("run");
    let run =
        |output: &str| -> Vec<String> { ["run", "flat.plan", "--data", "data", "--format", "csv", "-o", output].iter().map(ToString::to_string).collect() };
    for (output, expected) in [
        ("flat.plan", "error: the output `flat.plan` is the plan file `flat.plan`"),
        ("./data/../flat.plan", "error: the output `./data/../flat.plan` is the plan file `flat.plan`"),
        ("data/bookings.csv", "error: the output `data/bookings.csv` is inside the data folder `data`"),
        // A new file named as a table would be read by the next run.
        ("data/splits.csv", "error: the output `data/splits.csv` is inside the data folder `data`"),
        ("data/Quotas.CSV", "error: the output `data/Quotas.CSV` is inside the data folder `data`"),
        ("data", "error: the output `data` is the data folder `data`"),
    ] {
        let args = run(output);
        assert_refused(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>(), expected);
    }
    // The JSON data file.
    assert_refused(&dir, &["run", "flat.plan", "--data", "data.json", "-o", "data.json"], "error: the output `data.json` is the data file `data.json`");
    // Through a link.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("flat.plan", dir.join("link.plan")).unwrap();
        assert_refused(&dir, &["run", "flat.plan", "--data", "data", "-o", "link.plan"], "the output `link.plan` is the plan file `flat.plan`");
        std::fs::hard_link(dir.join("data/payees.csv"), dir.join("hard.csv")).unwrap();
        assert_refused(
            &dir,
            &["run", "flat.plan", "--data", "data", "-o", "hard.csv"],
            "the output `hard.csv` is the data file `data/payees.csv` (a link to it)",
        );
    }
    // JSON diagnostics name the output.
    let out = payplan(&dir, &["--error-format", "json", "run", "flat.plan", "--data", "data", "-o", "flat.plan"]);
    assert_eq!(exit_code(&out), 1);
    let doc: serde_json::Value = serde_json::from_str(&stderr_text(&out)).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "payplan::output-is-input");
    assert_eq!(doc["diagnostics"][0]["file"], "flat.plan");
    // A new file of another name in the data folder is no input (`--data .`).
    let out = payplan(&dir, &["run", "flat.plan", "--data", "data", "--format", "csv", "-o", "data/results.csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    std::fs::remove_file(dir.join("data/results.csv")).unwrap();
    // Anywhere else is fine, and the inputs are left as they were.
    let out = payplan(&dir, &["run", "flat.plan", "--data", "data", "--format", "csv", "-o", "results.csv"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert!(std::fs::read_to_string(dir.join("results.csv")).unwrap().starts_with("payee,period,line,amount,currency\n"));
    assert_eq!(std::fs::read_to_string(dir.join("flat.plan")).unwrap(), PLAN);
}

#[test]
fn explain_diff_and_bundle_refuse_to_write_over_their_inputs() {
    let dir = fixture("others");
    assert_refused(&dir, &["explain", "flat.plan", "--data", "data", "--payee", "ann", "-o", "data/bookings.csv"], "is inside the data folder `data`");
    assert_refused(&dir, &["explain", "flat.plan", "--data", "data", "--payee", "ann", "--format", "json", "-o", "flat.plan"], "is the plan file `flat.plan`");
    // Printable pages: not into the data folder itself.
    assert_refused(&dir, &["explain", "flat.plan", "--data", "data", "--format", "html", "-o", "data"], "error: the output `data` is the data folder `data`");
    // Nor over an input by a page's name: the plan file here is `ann.html`.
    std::fs::copy(dir.join("flat.plan"), dir.join("ann.html")).unwrap();
    assert_refused(&dir, &["explain", "ann.html", "--data", "data", "--format", "html", "-o", "."], "the output `./ann.html` is the plan file `ann.html`");
    std::fs::remove_file(dir.join("ann.html")).unwrap();
    // Either plan of a diff.
    assert_refused(&dir, &["diff", "old.plan", "flat.plan", "--data", "data", "-o", "old.plan"], "error: the output `old.plan` is the old plan `old.plan`");
    assert_refused(&dir, &["diff", "old.plan", "flat.plan", "--data", "data", "-o", "flat.plan"], "error: the output `flat.plan` is the new plan `flat.plan`");
    assert_refused(&dir, &["diff", "old.plan", "flat.plan", "--data", "data.json", "-o", "data.json"], "is the data file `data.json`");
    // Bundles.
    assert_refused(&dir, &["bundle", "flat.plan", "--data", "data", "--payee", "ann", "-o", "flat.plan"], "is the plan file `flat.plan`");
    assert_refused(&dir, &["bundle", "flat.plan", "--data", "data", "--all", "-o", "data"], "is the data folder `data`");
    // Elsewhere, each works.
    for args in [
        &["explain", "flat.plan", "--data", "data", "--payee", "ann", "-o", "ann.txt"][..],
        &["explain", "flat.plan", "--data", "data", "--format", "html", "-o", "pages"][..],
        &["diff", "old.plan", "flat.plan", "--data", "data", "-o", "diff.txt"][..],
        &["bundle", "flat.plan", "--data", "data", "--all", "-o", "bundles"][..],
    ] {
        let out = payplan(&dir, args);
        assert_eq!(exit_code(&out), 0, "payplan {args:?}: {}", stderr_text(&out));
    }
    assert!(dir.join("pages/ann.html").is_file() && dir.join("bundles/ann.bundle.json").is_file() && dir.join("diff.txt").is_file());
}

#[test]
fn the_junit_report_may_not_overwrite_a_plan_or_snapshot() {
    let dir = scratch("junit");
    write_file(&dir, "flat.plan", format!("{PLAN}{TEST_BLOCK}"));
    let out = payplan(&dir, &["test", "flat.plan"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert_refused(&dir, &["test", "flat.plan", "--junit", "flat.plan"], "error: the output `flat.plan` is a plan file `flat.plan`");
    assert_refused(&dir, &["test", ".", "--junit", "flat.plan.snap"], "error: the output `flat.plan.snap` is a snapshot file `./flat.plan.snap`");
    let out = payplan(&dir, &["test", ".", "--junit", "report.xml"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
}

#[test]
fn import_may_not_write_its_tables_over_an_export() {
    let dir = scratch("import");
    // The export is itself named like a table, and the output folder is the one it is in.
    let mapping = "[defaults]\ncurrency = \"USD\"\n\n[files.deals]\npath = \"bookings.csv\"\n\n[[payees]]\nfrom = \"deals\"\none_row_per = \"id\"\n[payees.columns]\nid = \"Rep\"\n\n[[bookings]]\nfrom = \"deals\"\n[bookings.columns]\nid = \"Deal\"\ndate = \"Closed\"\namount = \"Value\"\nowner = \"Rep\"\n";
    write_file(&dir, "import.toml", mapping);
    write_file(&dir, "export/bookings.csv", "Deal,Rep,Closed,Value\nD-1,ann,2027-03-01,1000\n");
    assert_refused(
        &dir,
        &["import", "--map", "import.toml", "export", "--out", "export", "--force"],
        "error: the output `export/bookings.csv` is an input file `export/bookings.csv`",
    );
    let out = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
}

// ---------------------------------------------------------------- `-o -`

#[test]
fn dash_is_standard_output() {
    let dir = fixture("dash");
    let printed = payplan(&dir, &["run", "flat.plan", "--data", "data", "--format", "csv"]);
    for args in [
        (&["run", "flat.plan", "--data", "data", "--format", "csv", "-o", "-"][..], Some(stdout_text(&printed))),
        (&["explain", "flat.plan", "--data", "data", "--payee", "ann", "-o", "-"][..], None),
        (&["diff", "old.plan", "flat.plan", "--data", "data", "--output", "-"][..], None),
        (&["bundle", "flat.plan", "--data", "data", "--payee", "ann", "-o", "-"][..], None),
    ] {
        let (args, expected) = args;
        let out = payplan(&dir, args);
        assert_eq!(exit_code(&out), 0, "payplan {args:?}: {}", stderr_text(&out));
        assert!(!stdout_text(&out).is_empty(), "payplan {args:?}");
        if let Some(expected) = expected {
            assert_eq!(stdout_text(&out), expected);
        }
        assert!(!dir.join("-").exists(), "payplan {args:?} wrote a file named `-`");
    }
    // A folder of pages or bundles cannot go to stdout: a usage error.
    for args in
        [&["explain", "flat.plan", "--data", "data", "--format", "html", "-o", "-"][..], &["bundle", "flat.plan", "--data", "data", "--all", "-o", "-"][..]]
    {
        let out = payplan(&dir, args);
        assert_eq!(exit_code(&out), 2, "payplan {args:?}: {}", stderr_text(&out));
        assert!(!dir.join("-").exists());
    }
    let help = payplan(&dir, &["run", "--help"]);
    assert!(stdout_text(&help).contains("`-o -` is stdout"), "{}", stdout_text(&help));
}

// ---------------------------------------------------------------- standard output

/// Runs `payplan ARGS` in `dir` with stdout going to `stdout`, stderr captured.
fn with_stdout(dir: &Path, args: &[&str], stdout: Stdio) -> Output {
    let mut command = payplan_command(BIN, dir, args);
    command.env_remove("CI").stdout(stdout).stderr(Stdio::piped());
    command.output().unwrap()
}

/// A pipe whose reading end is already closed, as after `| head` has read its lines.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

/// Every command that prints results, with its arguments in a [`fixture`] that also has
/// `tested.plan` (a plan with a passing test).
const PRINTING: [&[&str]; 7] = [
    &["run", "flat.plan", "--data", "data"],
    &["run", "flat.plan", "--data", "data", "--format", "csv"],
    &["explain", "flat.plan", "--data", "data", "--payee", "ann"],
    &["diff", "old.plan", "flat.plan", "--data", "data"],
    &["test", "tested.plan"],
    &["fmt", "flat.plan"],
    &["--help"],
];

#[test]
fn a_full_disk_on_stdout_is_a_diagnostic_with_status_1() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = fixture("full");
    write_file(&dir, "tested.plan", format!("{PLAN}{TEST_BLOCK}"));
    assert_eq!(exit_code(&payplan(&dir, &["test", "tested.plan"])), 0, "the snapshot is written first");
    for args in PRINTING {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = with_stdout(&dir, args, Stdio::from(full));
        let err = stderr_text(&out);
        assert_eq!(exit_code(&out), 1, "payplan {args:?}: {err}");
        assert!(err.contains("cannot write to standard output: No space left on device"), "payplan {args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("internal error"), "payplan {args:?}: {err}");
        assert_eq!(err.matches("cannot write to standard output").count(), 1, "reported once: {err}");
    }
    // `-o` a file still writes there and prints nothing.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = with_stdout(&dir, &["run", "flat.plan", "--data", "data", "-o", "results.txt"], Stdio::from(full));
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = fixture("pipe");
    write_file(&dir, "tested.plan", format!("{PLAN}{TEST_BLOCK}"));
    assert_eq!(exit_code(&payplan(&dir, &["test", "tested.plan"])), 0, "the snapshot is written first");
    for args in PRINTING {
        let out = with_stdout(&dir, args, closed_pipe());
        assert_eq!(exit_code(&out), 0, "payplan {args:?}: the command's own status; {}", stderr_text(&out));
        assert_eq!(stderr_text(&out), "", "payplan {args:?}: no panic, no message");
    }
    // A failing test run keeps its status 1.
    write_file(&dir, "bad.plan", TYPE_ERRORS);
    let out = with_stdout(&dir, &["test", "bad.plan", "tested.plan"], closed_pipe());
    assert_eq!(exit_code(&out), 1, "{}", stderr_text(&out));
    assert!(!stderr_text(&out).contains("panicked"), "{}", stderr_text(&out));
    // `2>&1 | head`: stderr closed too. Never a panic's status 101.
    for _ in 0..5 {
        let mut command = payplan_command(BIN, &dir, &["test", "bad.plan", "tested.plan"]);
        command.stdout(closed_pipe()).stderr(closed_pipe());
        assert_eq!(command.status().unwrap().code(), Some(1));
    }
}

// ---------------------------------------------------------------- `payplan test`

#[test]
fn test_fails_a_plan_that_does_not_check_even_without_test_blocks() {
    let dir = scratch("untested");
    write_file(&dir, "bad.plan", TYPE_ERRORS);
    write_file(&dir, "clean.plan", PLAN);
    write_file(&dir, "tested.plan", format!("{PLAN}{TEST_BLOCK}"));
    // Given by name.
    let out = payplan(&dir, &["test", "bad.plan"]);
    assert_eq!(exit_code(&out), 1, "{}", stderr_text(&out));
    assert_eq!(stdout_text(&out), "bad.plan: does not check (see the diagnostics)\n\n0 passed, 1 failed\n");
    let err = stderr_text(&out);
    assert!(err.contains("`rate` must be a number") && err.contains("cannot add a number to money"), "every diagnostic: {err}");
    // Found in a folder, beside a plan whose tests pass.
    let out = payplan(&dir, &["test", ".", "--junit", "report.xml"]);
    assert_eq!(exit_code(&out), 1, "{}", stderr_text(&out));
    let text = stdout_text(&out);
    assert!(text.contains("./bad.plan: does not check"), "{text}");
    assert!(text.contains("  ok    ten percent"), "{text}");
    assert!(text.ends_with("\n1 passed, 1 failed\n"), "{text}");
    let junit = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    assert!(junit.contains("bad.plan") && junit.contains("the plan does not check"), "{junit}");
    // A clean plan without tests still passes, with a note when named.
    let out = payplan(&dir, &["test", "clean.plan", "tested.plan"]);
    assert_eq!(exit_code(&out), 0, "{}", stderr_text(&out));
    assert!(stdout_text(&out).contains("note: clean.plan has no test blocks"), "{}", stdout_text(&out));
    assert_eq!(stderr_text(&out), "");
    // A file of tests alone with no tests, using a plan that does not check.
    write_file(&dir, "sub/uses.plan", "use \"../bad.plan\"\n");
    let out = payplan(&dir, &["test", "sub/uses.plan"]);
    assert_eq!(exit_code(&out), 1, "{}", stderr_text(&out));
    assert!(stderr_text(&out).contains("`rate` must be a number"), "{}", stderr_text(&out));
}

#[test]
fn a_run_with_a_refused_output_computes_nothing() {
    // Checked before loading: a plan that does not even parse is not reported.
    let dir = scratch("before");
    write_file(&dir, "broken.plan", "plan {");
    let out = run_payplan(BIN, &dir, &["run", "broken.plan", "--data", "nowhere", "-o", "broken.plan"]);
    assert_eq!(exit_code(&out), 1);
    let err = stderr_text(&out);
    assert!(err.contains("is the plan file `broken.plan`"), "{err}");
    assert!(!err.contains("nowhere") && !err.contains("parse"), "{err}");
}

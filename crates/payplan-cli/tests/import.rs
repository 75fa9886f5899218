//! `payplan import` as a user runs it: exit statuses (0 tables written, rejections
//! reported; 1 mapping, file or `--strict` failures; 2 usage), the text summary on
//! stderr and the JSON report on stdout, the output folder rules (`--force`), and the
//! README's commands end to end on the three examples of `plans/examples/` when the
//! public data sets are in `../shared/data`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{exit_code, run_payplan, scratch_dir, stderr_text, stdout_text, workspace_root, write_file};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_payplan");

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    scratch_dir(env!("CARGO_TARGET_TMPDIR"), &format!("import-{test}"))
}

/// Runs `payplan ARGS` in `dir`.
fn payplan(dir: &Path, args: &[&str]) -> Output {
    run_payplan(BIN, dir, args)
}

const MAPPING: &str = r#"
[defaults]
currency = "USD"

[files.deals]
path = "deals.csv"
date_format = "%m/%d/%Y"

[[payees]]
from = "deals"
one_row_per = "id"
[payees.columns]
id = { column = "Rep", slug = true }
name = "Rep"

[[bookings]]
from = "deals"
[bookings.columns]
id = "Deal"
date = "Closed"
amount = "Value"
owner = { column = "Rep", slug = true }
status = { column = "Stage", map = { Won = "won", Lost = "lost" } }
"#;

/// Line 3 has a value that is not a number.
const DEALS: &str = "Deal,Rep,Stage,Closed,Value\nD-1,Ann Lee,Won,3/1/2027,1000\nD-2,Ann Lee,Won,3/2/2027,12k\nD-3,Bo Chan,Lost,3/3/2027,0\n";

const PLAN: &str = r#"plan "Flat" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { when booking.status == "won" }
    measure won = credited(direct)
    commission base { on won  rate 10% }
}
"#;

/// A scratch folder with `import.toml`, `export/deals.csv` and `flat.plan`.
fn fixture(test: &str) -> PathBuf {
    let dir = scratch(test);
    write_file(&dir, "import.toml", MAPPING);
    write_file(&dir, "export/deals.csv", DEALS);
    write_file(&dir, "flat.plan", PLAN);
    dir
}

#[test]
fn import_writes_the_tables_and_reports_every_rejected_row() {
    let dir = fixture("writes");
    let output = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data"]);
    let err = stderr_text(&output);
    assert_eq!(exit_code(&output), 0, "{err}");
    assert_eq!(stdout_text(&output), "", "the summary goes to stderr");
    assert!(err.contains("bookings #1 (from deals.csv): 3 read, 2 mapped, 1 rejected"), "{err}");
    assert!(err.contains("      rejected     1  bookings.amount: not a number\n"), "{err}");
    assert!(err.contains("1 row rejected:\n  deals.csv:3: bookings.amount: `12k` (from `Value`) is not a number written like `1234.56`\n"), "{err}");
    assert!(err.ends_with("wrote 2 files to data\n"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("data/payees.csv")).unwrap(), "id,name\nann-lee,Ann Lee\nbo-chan,Bo Chan\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("data/bookings.csv")).unwrap(),
        "id,date,amount,currency,owner,status\nD-1,2027-03-01,1000,USD,ann-lee,won\nD-3,2027-03-03,0,USD,bo-chan,lost\n"
    );
    // The folder is a data set: the plan runs on it.
    let run = payplan(&dir, &["run", "flat.plan", "--data", "data", "--format", "csv"]);
    assert_eq!(exit_code(&run), 0, "{}", stderr_text(&run));
    assert!(stdout_text(&run).contains("ann-lee,Q1,base,100.00,USD\n"), "{}", stdout_text(&run));
}

#[test]
fn strict_writes_nothing_when_a_row_is_rejected() {
    let dir = fixture("strict");
    let output = payplan(&dir, &["import", "--map", "import.toml", "export/deals.csv", "--out", "data", "--strict"]);
    let err = stderr_text(&output);
    assert_eq!(exit_code(&output), 1, "{err}");
    assert!(err.contains("deals.csv:3: bookings.amount"), "the rejected rows are still listed: {err}");
    assert!(err.contains("error: 1 row was rejected, and `--strict` is set: nothing written"), "{err}");
    assert!(!dir.join("data").exists());
    // Without the bad row, --strict writes.
    std::fs::write(dir.join("export/deals.csv"), DEALS.replace("12k", "1200")).unwrap();
    let output = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data", "--strict"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr_text(&output));
    assert!(stderr_text(&output).contains("no row rejected"));
}

#[test]
fn a_folder_that_is_not_empty_needs_force() {
    let dir = fixture("force");
    assert_eq!(exit_code(&payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data"])), 0);
    std::fs::write(dir.join("data/quotas.csv"), "payee,quota,period,amount\n").unwrap();
    let again = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data"]);
    assert_eq!(exit_code(&again), 2, "a usage error");
    assert!(
        stderr_text(&again).contains("error: the output folder `data` is not empty (it holds bookings.csv, payees.csv, quotas.csv)"),
        "{}",
        stderr_text(&again)
    );
    assert!(stderr_text(&again).contains("add `--force`"));
    let forced = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data", "--force"]);
    assert_eq!(exit_code(&forced), 0, "{}", stderr_text(&forced));
    assert!(stderr_text(&forced).contains("removed `data/quotas.csv`: this import does not write it"), "{}", stderr_text(&forced));
    assert!(!dir.join("data/quotas.csv").exists());
}

#[test]
fn json_report_on_stdout() {
    let dir = fixture("json");
    let output = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data", "--format", "json"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr_text(&output));
    assert_eq!(stderr_text(&output), "");
    let report: serde_json::Value = serde_json::from_str(&stdout_text(&output)).unwrap();
    assert_eq!(report["rejected_rows"], 1);
    assert_eq!(report["written"].as_array().unwrap().len(), 2);
    assert_eq!(report["files"][0]["encoding"], "utf-8");
    let bookings = &report["tables"][1];
    assert_eq!(bookings["table"], "bookings");
    let source = &bookings["sources"][0];
    assert_eq!((source["read"].as_u64(), source["mapped"].as_u64(), source["rejected"].as_u64()), (Some(3), Some(2), Some(1)));
    assert_eq!(source["rejections"][0]["line"], 3);
    assert_eq!(source["rejections"][0]["reason"], "bookings.amount: not a number");
}

#[test]
fn mapping_and_file_problems_exit_1_and_write_nothing() {
    let dir = fixture("errors");
    std::fs::write(dir.join("broken.toml"), MAPPING.replace("amount = \"Value\"", "amount = { colum = \"Value\" }")).unwrap();
    let output = payplan(&dir, &["import", "--map", "broken.toml", "export", "--out", "data"]);
    assert_eq!(exit_code(&output), 1);
    assert!(stderr_text(&output).contains("error: broken.toml:21: unknown field `colum`"), "{}", stderr_text(&output));
    assert!(!dir.join("data").exists());

    std::fs::write(dir.join("misnamed.toml"), MAPPING.replace("amount = \"Value\"", "amount = \"Valeu\"")).unwrap();
    let output = payplan(&dir, &["import", "--map", "misnamed.toml", "export", "--out", "data"]);
    assert_eq!(exit_code(&output), 1);
    assert!(stderr_text(&output).contains("no column `Valeu` in the header\n  help: did you mean `Value`?"), "{}", stderr_text(&output));

    std::fs::write(dir.join("export/deals.csv"), b"Deal,Rep,Stage,Closed,Value\nD-1,J\xF6rg,Won,3/1/2027,1\n").unwrap();
    let output = payplan(&dir, &["import", "--map", "import.toml", "export", "--out", "data"]);
    assert_eq!(exit_code(&output), 1);
    assert!(stderr_text(&output).contains("error: deals.csv:2: byte 0xF6 is not UTF-8, but the mapping says `utf-8`"), "{}", stderr_text(&output));
    assert!(!dir.join("data").exists());

    let output = payplan(&dir, &["import", "--map", "import.toml", "elsewhere", "--out", "data"]);
    assert_eq!(exit_code(&output), 1);
    assert!(stderr_text(&output).contains("elsewhere: no such file or folder"), "{}", stderr_text(&output));
}

#[test]
fn usage_errors_exit_2() {
    let dir = fixture("usage");
    assert_eq!(exit_code(&payplan(&dir, &["import", "--map", "import.toml", "export"])), 2, "no --out");
    assert_eq!(exit_code(&payplan(&dir, &["import", "--map", "import.toml", "--out", "data"])), 2, "no input");
    assert_eq!(exit_code(&payplan(&dir, &["import", "export", "--out", "data"])), 2, "no --map");
}

/// The README's commands for the three examples, from the repository root: import,
/// check, run and explain, each exiting 0.
#[test]
fn readme_commands_on_the_three_examples() {
    let root = workspace_root();
    if !root.join("../shared/data").is_dir() {
        let _ = writeln!(std::io::stderr(), "skipped: ../shared/data is absent (the import examples need the public data sets beside the repository)");
        return;
    }
    let out = scratch("readme");
    for (example, data_set, payee) in
        [("maven-crm", "maven_crm", "darcel-schlecht"), ("superstore", "superstore", "sadie-pawthorne"), ("classicmodels", "classicmodels", "1370")]
    {
        let data = out.join(example);
        let data = data.to_str().unwrap();
        let mapping = format!("plans/examples/{example}/import.toml");
        let plan = format!("plans/examples/{example}/{example}.plan");
        let import = payplan(&root, &["import", "--map", &mapping, &format!("../shared/data/{data_set}"), "--out", data]);
        assert_eq!(exit_code(&import), 0, "{example}: {}", stderr_text(&import));
        assert!(stderr_text(&import).contains("no row rejected"), "{example}: {}", stderr_text(&import));
        let check = payplan(&root, &["--deny-warnings", "check", &plan]);
        assert_eq!(exit_code(&check), 0, "{example}: {}", stderr_text(&check));
        let run = payplan(&root, &["run", &plan, "--data", data]);
        assert_eq!(exit_code(&run), 0, "{example}: {}", stderr_text(&run));
        assert!(stdout_text(&run).contains("all payees"), "{example}: {}", stdout_text(&run));
        let explain = payplan(&root, &["explain", &plan, "--data", data, "--payee", payee, "--period", "Q4"]);
        assert_eq!(exit_code(&explain), 0, "{example}: {}", stderr_text(&explain));
        // Importing again into the same folder needs --force, as the README says.
        let again = payplan(&root, &["import", "--map", &mapping, &format!("../shared/data/{data_set}"), "--out", data, "--force"]);
        assert_eq!(exit_code(&again), 0, "{example}: {}", stderr_text(&again));
    }
}

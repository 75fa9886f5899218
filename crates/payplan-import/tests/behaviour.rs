//! What an import does with the awkward rows of real exports, on small exports written
//! here: local number and date formats in a Windows-1252 file, rows that cannot be
//! mapped (each with its file, physical line and reason), merged rows, duplicate ids,
//! references between tables, lookups with repeated keys, and the problems that stop
//! an import before anything is written. The tables an import writes load with the
//! strict loader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_import::{import, locate_inputs, write_tables, Import, ImportError, InputFile, Mapping, Table};
use std::path::{Path, PathBuf};

/// Imports in-memory files, given by name in any order, with a mapping's text.
fn try_run(mapping: &str, files: &[(&str, &[u8])]) -> Result<Import, Vec<ImportError>> {
    let mapping = Mapping::parse(mapping).unwrap_or_else(|e| panic!("mapping: {e:?}"));
    let inputs: Vec<InputFile> = mapping
        .file_names()
        .iter()
        .map(|name| {
            let (_, bytes) = files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no test file {name}"));
            InputFile { path: format!("in/{name}"), bytes: bytes.to_vec() }
        })
        .collect();
    import(&mapping, &inputs)
}

fn run(mapping: &str, files: &[(&str, &[u8])]) -> Import {
    try_run(mapping, files).unwrap_or_else(|e| panic!("{e:?}"))
}

fn table(imported: &Import, table: Table) -> String {
    imported.tables.iter().find(|t| t.table == table).unwrap().to_csv()
}

/// Every rejected row as `file:line: detail`.
fn rejections(imported: &Import) -> Vec<String> {
    imported.report.rejections().iter().map(|r| format!("{}:{}: {}", r.file, r.line, r.detail)).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const EUROPEAN: &str = r#"
[defaults]
currency = "EUR"

[files.deals]
path = "deals.csv"
encoding = "windows-1252"
delimiter = ";"
date_format = "%d.%m.%Y"
number = { decimal = ",", thousands = ".", currency_symbols = ["€"], negative_parentheses = true }

[[payees]]
from = "deals"
one_row_per = "id"
[payees.columns]
id = { column = "Verkäufer", slug = true }
name = "Verkäufer"

[[bookings]]
from = "deals"
skip = [{ column = "Phase", equals = "Offen", reason = "open deal" }]
[bookings.columns]
id = { template = "DE-{Nr}" }
date = "Abschluss"
amount = "Betrag"
owner = { column = "Verkäufer", slug = true }
status = { column = "Phase", map = { "Gewonnen" = "won" }, else = "lost" }
"#;

#[test]
fn a_european_windows_1252_export() {
    // Windows-1252: ä is 0xE4, ö 0xF6, é 0xE9, € 0x80.
    let deals: &[u8] = b"Nr;Verk\xE4ufer;Phase;Abschluss;Betrag\r\n\
1;J\xF6rg M\xFCller;Gewonnen;03.02.2027;\x80 12.500,50\r\n\
2;Ren\xE9e Fa\xDF;Verloren;15.02.2027;0\r\n\
3;J\xF6rg M\xFCller;Offen;;\r\n\
4;Ren\xE9e Fa\xDF;Gewonnen;01.03.2027;(1.200,00)\r\n";
    let imported = run(EUROPEAN, &[("deals.csv", deals)]);
    assert_eq!(table(&imported, Table::Payees), "id,name\njorg-muller,J\u{f6}rg M\u{fc}ller\nrenee-fass,Ren\u{e9}e Fa\u{df}\n");
    assert_eq!(
        table(&imported, Table::Bookings),
        "id,date,amount,currency,owner,status\n\
DE-1,2027-02-03,12500.50,EUR,jorg-muller,won\n\
DE-2,2027-02-15,0,EUR,renee-fass,lost\n\
DE-4,2027-03-01,-1200.00,EUR,renee-fass,won\n"
    );
    let bookings = &imported.report.tables[1].sources[0];
    assert_eq!((bookings.read, bookings.mapped, bookings.skipped, bookings.rejected), (4, 3, 1, 0));
    assert_eq!(bookings.skipped_by_reason[0].reason, "open deal");
    // The payees source reads the open deal's row too: one per seller.
    let payees = &imported.report.tables[0].sources[0];
    assert_eq!((payees.read, payees.mapped, payees.written), (4, 4, 2));

    // The tables load with the strict loader, for a plan in EUR.
    let out = scratch("european");
    write_tables(&out, &imported.tables, false).unwrap();
    let plan = payplan_check::check_source("plan \"p\" {\n currency EUR\n term 2027-01-01 to 2027-12-31\n period quarter\n credit direct { when booking.status == \"won\" }\n measure b = credited(direct)\n commission c { on b\n rate 1% }\n}\n").plan.unwrap();
    let schema = payplan_facts::Schema {
        currency: plan.currency,
        term_start: plan.term_start,
        term_end: plan.term_end,
        booking_fields: Vec::new(),
        payee_fields: Vec::new(),
        needs_quotas: false,
        needs_metrics: false,
    };
    let facts = payplan_data::load_path(&out, &schema).unwrap_or_else(|e| panic!("{:?}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>()));
    assert_eq!(facts.bookings.len(), 3);
}

const STRICT_BOOKINGS: &str = r#"
[defaults]
currency = "USD"

[files.people]
path = "people.csv"

[files.deals]
path = "deals.csv"
date_format = "%m/%d/%Y"
number = { thousands = ",", currency_symbols = ["$"] }

[[payees]]
from = "people"
[payees.columns]
id = "id"
manager = "boss"

[[bookings]]
from = "deals"
[bookings.columns]
id = "deal"
date = "closed"
amount = "value"
owner = "rep"
status = { column = "stage", map = { "Closed Won" = "won", "Closed Lost" = "lost" } }
note = "note"
"#;

#[test]
fn every_rejected_row_is_named_with_its_file_physical_line_and_reason() {
    let people = b"id,boss\nann,\nbob,ann\ncyd,zed\ndan,cyd\nann,\n";
    // Line 3 holds a quoted cell over two physical lines: the next row is line 5.
    let deals = b"deal,closed,value,rep,stage,note\n\
d1,3/1/2027,\"$1,200.50\",ann,Closed Won,\n\
d2,3/2/2027,900,bob,Closed Won,\"two\nlines\"\n\
d3,2027-03-03,100,ann,Closed Won,\n\
d4,3/4/2027,\"1,20\",ann,Closed Won,\n\
d5,3/5/2027,100,ann,Pending,\n\
d6,3/6/2027,,ann,Closed Won,\n\
d7,3/7/2027,100,dan,Closed Won,\n\
d1,3/8/2027,100,bob,Closed Lost,\n\
d9,3/9/2027,100,bob,Closed Won,,extra\n\
,,,,,\n\
d10,3/10/2027,100,eve,Closed Won,\n";
    let imported = run(STRICT_BOOKINGS, &[("people.csv", people), ("deals.csv", deals)]);
    assert_eq!(
        rejections(&imported),
        vec![
            "deals.csv:11: 7 cells where the header has 6",
            "people.csv:4: payees.manager `zed` is not the id of a row of payees.csv",
            "people.csv:5: payees.manager `cyd` is not the id of a row of payees.csv, whose own row was rejected",
            "people.csv:6: payees: id `ann` is already written from people.csv:2",
            "deals.csv:5: bookings.date: `2027-03-03` (from `closed`) is not a date written `%m/%d/%Y`",
            "deals.csv:6: bookings.amount: `1,20` (from `value`) is not a number written like `1,234.56` (currency symbols `$`)",
            "deals.csv:7: bookings.status: `Pending` (from `stage`) is not in the map (`Closed Won`, `Closed Lost`)",
            "deals.csv:8: bookings.amount: required, but `value` is empty",
            "deals.csv:9: bookings.owner `dan` is not the id of a row of payees.csv, whose own row was rejected",
            "deals.csv:10: bookings: id `d1` is already written from deals.csv:2",
            "deals.csv:13: bookings.owner `eve` is not the id of a row of payees.csv",
        ]
    );
    assert_eq!(
        table(&imported, Table::Bookings),
        "id,date,amount,currency,owner,status,note\nd1,2027-03-01,1200.50,USD,ann,won,\nd2,2027-03-02,900,USD,bob,won,\"two\nlines\"\n"
    );
    let report = &imported.report;
    let deals_file = &report.files[1];
    assert_eq!((deals_file.rows, deals_file.blank_rows, deals_file.malformed.len()), (10, 1, 1));
    let source = &report.tables[1].sources[0];
    assert_eq!((source.read, source.mapped, source.skipped, source.rejected), (9, 2, 0, 7));
    let reasons: Vec<(&str, usize)> = source.rejected_by_reason.iter().map(|c| (c.reason.as_str(), c.rows)).collect();
    assert_eq!(
        reasons,
        vec![
            ("bookings.date: not a date written `%m/%d/%Y`", 1),
            ("bookings.amount: not a number", 1),
            ("bookings.status: a value of `stage` not in the map", 1),
            ("bookings.amount: required, but empty", 1),
            ("bookings.owner: not the id of a row of payees.csv", 2),
            ("bookings: a second row with the same id", 1),
        ]
    );
    let text = report.render_text();
    assert!(text.contains("  deals.csv        10 rows  utf-8 (1 blank row skipped, 1 malformed row rejected)"), "{text}");
    assert!(text.contains("11 rows rejected:\n  deals.csv:11: 7 cells where the header has 6\n"), "{text}");
}

const ORDERS: &str = r#"
[defaults]
currency = "USD"

[files.lines]
path = "lines.csv"

[files.returns]
path = "returns.csv"

[[bookings]]
from = "lines"
one_row_per = "id"
sum = ["amount", "units"]
join.returned = { file = "returns", key = "order", matches = "order", required = false }
[bookings.columns]
id = "order"
date = "day"
amount = "sales"
owner = "rep"
cancel_date = { column = "day", when = { column = "returned.why", not_in = [""] } }
units = { column = "qty", type = "number" }
"#;

#[test]
fn one_booking_per_order_and_a_lookup_with_repeated_keys() {
    let lines = b"order,day,sales,rep,qty\nA,2027-01-05,10.125,ann,1\nA,2027-01-05,5.5,ann,2\nB,2027-01-06,3,bob,1\nB,2027-01-07,4,bob,1\nC,2027-01-08,1,ann,1\nA,2027-01-05,0.375,ann,3\nD,2027-01-09,2,ann,1\n";
    // C is returned twice with the same row (counted once); D twice with different rows.
    let returns = b"order,why\nC,damaged\nC,damaged\nD,late\nD,wrong item\n";
    let imported = run(ORDERS, &[("lines.csv", lines), ("returns.csv", returns)]);
    assert_eq!(
        table(&imported, Table::Bookings),
        "id,date,amount,currency,owner,cancel_date,units\nA,2027-01-05,16.000,USD,ann,,6\nC,2027-01-08,1,USD,ann,2027-01-08,1\n"
    );
    assert_eq!(
        rejections(&imported),
        vec![
            "lines.csv:4: bookings: rows with id `B` disagree on `date`: `2027-01-06` at line 4, `2027-01-07` at line 5",
            "lines.csv:5: bookings: rows with id `B` disagree on `date`: `2027-01-06` at line 4, `2027-01-07` at line 5",
            "lines.csv:8: join `returned`: returns.csv has 2 differing rows with order `D` (lines 4, 5)",
        ]
    );
    let source = &imported.report.tables[0].sources[0];
    assert_eq!((source.read, source.mapped, source.rejected, source.written), (7, 4, 3, 2));
    assert_eq!(source.conditional_columns[0].rows, 1);
    let lookup = &imported.report.files[1].lookups[0];
    assert_eq!((lookup.keys, lookup.repeated_rows, lookup.conflicting_keys, lookup.keys_matched), (2, 1, 1, 1));
}

#[test]
fn problems_with_the_files_stop_the_import() {
    let mapping = STRICT_BOOKINGS.replace("amount = \"value\"", "amount = \"values\"");
    let errors = try_run(&mapping, &[("people.csv", b"id,boss\n"), ("deals.csv", b"deal,closed,value,rep,stage,note\n")]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].to_string(), "deals.csv: [[bookings]] `bookings #1`, column `amount`: no column `values` in the header");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `value`?"));

    let errors = try_run(STRICT_BOOKINGS, &[("people.csv", b"id,boss\nann,\n"), ("deals.csv", b"deal,closed\nd1,\xFF\n")]).unwrap_err();
    assert_eq!(errors[0].to_string(), "deals.csv:2: byte 0xFF is not UTF-8, but the mapping says `utf-8`");

    let errors = try_run(STRICT_BOOKINGS, &[("people.csv", b""), ("deals.csv", b"deal\n")]).unwrap_err();
    assert!(errors.iter().any(|e| e.to_string() == "people.csv: the file is empty: it has no header row"), "{errors:?}");

    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("id,boss\nann,\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let mapping = STRICT_BOOKINGS.replace("path = \"people.csv\"", "path = \"people.csv\"\nencoding = \"utf-16\"");
    let imported = run(&mapping, &[("people.csv", &utf16), ("deals.csv", b"deal,closed,value,rep,stage,note\n")]);
    assert_eq!(table(&imported, Table::Payees), "id,manager\nann,\n");
}

#[test]
fn inputs_are_found_by_file_name_or_in_folders() {
    let dir = scratch("locate");
    std::fs::create_dir_all(dir.join("export")).unwrap();
    std::fs::write(dir.join("export/people.csv"), "id\n").unwrap();
    std::fs::write(dir.join("export/Deals.csv"), "deal\n").unwrap();
    std::fs::write(dir.join("deals.csv"), "deal\n").unwrap();
    std::fs::write(dir.join("other.csv"), "x\n").unwrap();
    let mapping = Mapping::parse(STRICT_BOOKINGS).unwrap();
    let found = locate_inputs(&mapping, &[dir.join("export"), dir.join("deals.csv")]).unwrap();
    assert_eq!(found, vec![dir.join("export").join("people.csv"), dir.join("deals.csv")]);

    let errors = locate_inputs(&mapping, &[dir.join("export"), dir.join("other.csv"), dir.join("missing")]).unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| format!("{} ({})", e.message, e.help.clone().unwrap_or_default())).collect();
    assert!(messages.iter().any(|m| m.starts_with("no such file or folder")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("the mapping reads `deals.csv` (files.deals), which is not among the inputs")
            && m.contains("has `Deals.csv`: file names must match exactly")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.starts_with("the mapping does not read this file")), "{messages:?}");

    let errors = locate_inputs(&mapping, &[dir.join("export"), dir.join("deals.csv"), dir.clone()]).unwrap_err();
    assert!(errors[0].message.contains("found more than once"), "{errors:?}");
}

#[test]
fn writing_refuses_a_folder_that_is_not_empty_unless_forced() {
    let imported = run(STRICT_BOOKINGS, &[("people.csv", b"id,boss\nann,\n"), ("deals.csv", b"deal,closed,value,rep,stage,note\n")]);
    let out = scratch("write");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("fx.csv"), "currency,date,rate\n").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let refused = write_tables(&out, &imported.tables, false).unwrap_err();
    assert!(matches!(refused, payplan_import::WriteError::NotEmpty { .. }), "{refused:?}");
    let written = write_tables(&out, &imported.tables, true).unwrap();
    assert_eq!(written.written, vec![out.join("payees.csv"), out.join("bookings.csv")]);
    assert_eq!(written.removed, vec![out.join("fx.csv")], "a stale table of an earlier import is removed");
    assert!(out.join("notes.txt").is_file(), "other files are left alone");
}

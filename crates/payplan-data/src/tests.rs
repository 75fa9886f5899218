//! Unit tests of the loader: one per rule, each asserting the exact message of a
//! representative case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use chrono::NaiveDate;
use payplan_facts::{Currency, FieldType, FieldValue, Origin, PeriodLabel};
use rust_decimal::Decimal;
use std::str::FromStr;

const PAYEES: &str = "id,name,role,manager\nalice,Alice Archer,AE,\nbob,Bob Baker,AE,alice\n";
const BOOKINGS: &str = "id,date,amount,currency,owner\nb1,2027-02-01,1000,USD,alice\nb2,2027-03-01,2000,USD,bob\n";

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn schema() -> Schema {
    Schema {
        currency: usd(),
        term_start: day("2027-01-01"),
        term_end: day("2027-12-31"),
        booking_fields: Vec::new(),
        payee_fields: Vec::new(),
        needs_quotas: false,
        needs_metrics: false,
    }
}

fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    list.iter().map(|(name, text)| (name.to_string(), text.as_bytes().to_vec())).collect()
}

fn load(list: &[(&str, &str)]) -> Result<Facts, DataErrors> {
    load_csv_files(&files(list), &schema())
}

fn load_ok(list: &[(&str, &str)]) -> Facts {
    match load(list) {
        Ok(facts) => facts,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

/// The error lines of a load that must fail.
fn errors_with(list: &[(&str, &str)], schema: &Schema) -> Vec<String> {
    match load_csv_files(&files(list), schema) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

fn errors(list: &[(&str, &str)]) -> Vec<String> {
    errors_with(list, &schema())
}

/// Loads `list` with the quick paths and without, checks that both give the same, and
/// returns it.
fn same_load_both_ways(list: &[(&str, &str)], schema: &Schema) -> Result<Facts, DataErrors> {
    let quick = load_csv_files(&files(list), schema);
    let general = without_quick_paths(|| load_csv_files(&files(list), schema));
    assert_eq!(quick, general, "{list:?}");
    quick
}

/// The error lines of `same_load_both_ways`, which must fail.
fn errors_both_ways(list: &[(&str, &str)]) -> Vec<String> {
    match same_load_both_ways(list, &schema()) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// Payees and bookings plus one more file.
fn with(name: &'static str, text: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("payees.csv", PAYEES), ("bookings.csv", BOOKINGS), (name, text)]
}

fn json_errors(text: &str, schema: &Schema) -> Vec<String> {
    match load_json_str("data.json", text, schema) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

fn without_origins(mut facts: Facts) -> Facts {
    let blank = Origin::default();
    facts.payees.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.bookings.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.splits.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.quotas.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.metrics.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.fx.iter_mut().for_each(|row| row.origin = blank.clone());
    facts.accounts.iter_mut().for_each(|row| row.origin = blank.clone());
    facts
}

// ---- The happy path ------------------------------------------------------------------

#[test]
fn loads_every_table_with_typed_values_and_origins() {
    let facts = load_ok(&[
        ("data/payees.csv", "id,name,role,manager,start_date,end_date,target_incentive\nbob,Bob,AE,alice,2027-02-10,,50000\nalice,Alice,VP,,,,\n"),
        (
            "data/bookings.csv",
            "id,date,amount,currency,owner,status,cancel_date,account\nb2,2027-03-01,12345.67,EUR,bob,won,,acme\nb1,2027-02-01,-500,,alice,won,2027-04-01,\n",
        ),
        ("data/splits.csv", "booking,payee,share\nb2,bob,60%\nb2,alice,0.4\n"),
        ("data/quotas.csv", "payee,quota,period,amount\nbob,bookings,Q1,100000\nbob,bookings,Y1,400000 USD\n"),
        ("data/fx.csv", "currency,date,rate\nEUR,2027-01-01,1.0837\n"),
        ("data/metrics.csv", "payee,metric,period,value\nbob,mbo_score,Q1,0.9\n"),
        ("data/accounts.csv", "account,payee,from,to\nacme,bob,2027-06-01,\nacme,alice,2027-01-01,2027-05-31\n"),
        ("data/notes.txt", "ignored"),
    ]);
    assert_eq!(facts.payees.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    let bob = facts.payee("bob").unwrap();
    assert_eq!(bob.manager.as_deref(), Some("alice"));
    assert_eq!(bob.start_date, Some(day("2027-02-10")));
    assert_eq!(bob.end_date, None);
    assert_eq!(bob.target_incentive, Some(dec("50000")));
    assert_eq!(bob.origin, Origin { file: "data/payees.csv".into(), line: 2, json_index: None });
    assert_eq!(facts.bookings.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["b1", "b2"]);
    let b1 = &facts.bookings[0];
    assert_eq!((b1.amount, b1.currency, b1.cancel_date), (dec("-500"), usd(), Some(day("2027-04-01"))));
    assert_eq!(b1.account, None);
    let b2 = &facts.bookings[1];
    assert_eq!((b2.amount, b2.currency, b2.status.as_deref()), (dec("12345.67"), eur(), Some("won")));
    assert_eq!(facts.splits_of("b2").iter().map(|s| (s.payee.as_str(), s.share)).collect::<Vec<_>>(), [("alice", dec("0.4")), ("bob", dec("0.6"))]);
    assert_eq!(facts.quotas.iter().map(|q| q.period.to_string()).collect::<Vec<_>>(), ["Q1", "Y1"]);
    assert_eq!(facts.metrics[0].value, dec("0.9"));
    assert_eq!(facts.fx_rate(eur(), day("2027-03-01")).map(|r| r.rate), Some(dec("1.0837")));
    assert_eq!(facts.owner_of("acme", day("2027-05-31")).map(|a| a.payee.as_str()), Some("alice"));
    assert_eq!(facts.owner_of("acme", day("2027-06-01")).map(|a| a.payee.as_str()), Some("bob"));
}

#[test]
fn custom_fields_are_typed_in_declaration_order_and_empty_is_none() {
    let mut schema = schema();
    schema.booking_fields = vec![
        ("seats".into(), FieldType::Number),
        ("product".into(), FieldType::Text),
        ("renewal".into(), FieldType::Bool),
        ("go_live".into(), FieldType::Date),
        ("discount".into(), FieldType::Money),
    ];
    schema.payee_fields = vec![("bonus_target".into(), FieldType::Money)];
    let facts = load_csv_files(
        &files(&[
            ("payees.csv", "id,bonus_target\nalice,1000\nbob,\n"),
            ("bookings.csv", "id,date,amount,currency,owner,product,seats,renewal,go_live,discount,ignored\nb1,2027-02-01,1000,EUR,alice,Security,12,true,2027-03-01,50,x\nb2,2027-02-01,1000,,alice,,,,,20 EUR,y\n"),
            ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.1\n"),
        ]),
        &schema,
    )
    .unwrap();
    assert_eq!(
        facts.bookings[0].fields,
        vec![
            Some(FieldValue::Number(dec("12"))),
            Some(FieldValue::Text("Security".into())),
            Some(FieldValue::Bool(true)),
            Some(FieldValue::Date(day("2027-03-01"))),
            Some(FieldValue::Money(dec("50"), eur())),
        ]
    );
    assert_eq!(facts.bookings[1].fields, vec![None, None, None, None, Some(FieldValue::Money(dec("20"), eur()))]);
    assert_eq!(facts.payees[0].fields, vec![Some(FieldValue::Money(dec("1000"), usd()))]);
    assert_eq!(facts.payees[1].fields, vec![None]);
}

#[test]
fn a_bom_and_crlf_line_ends_are_accepted() {
    let facts =
        load_ok(&[("payees.csv", "\u{feff}id,name\r\nalice,Alice\r\n"), ("bookings.csv", "\u{feff}id,date,amount,owner\r\nb1,2027-02-01,1000,alice\r\n")]);
    assert_eq!(facts.payees[0].name.as_deref(), Some("Alice"));
    assert_eq!(facts.bookings[0].currency, usd());
}

#[test]
fn line_numbers_are_physical_lines_even_after_a_multi_line_cell() {
    let lines = errors(&[
        ("payees.csv", "id,name\nalice,\"Alice\nArcher\"\nbob,Bob\n"),
        ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1000,alice\n\nb2,2027-02-30,1000,bob\n"),
    ]);
    assert_eq!(lines, ["bookings.csv:4: column date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)"]);
    let facts = load_ok(&[("payees.csv", "id,name\nalice,\"Alice\nArcher\"\nbob,Bob\n"), ("bookings.csv", BOOKINGS)]);
    assert_eq!(facts.payee("bob").unwrap().origin.line, 4);
    assert_eq!(facts.payee("alice").unwrap().name.as_deref(), Some("Alice\nArcher"));
}

#[test]
fn rows_of_empty_cells_are_skipped_and_unknown_columns_ignored() {
    let facts =
        load_ok(&[("payees.csv", "id,name,notes,\nalice,Alice,anything,\n,,,\n"), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1000,alice\n,,,\n")]);
    assert_eq!((facts.payees.len(), facts.bookings.len()), (1, 1));
}

// ---- Files and encoding --------------------------------------------------------------

#[test]
fn missing_required_files_are_errors() {
    assert_eq!(errors(&[("data/payees.csv", PAYEES)]), ["data/bookings.csv: is missing; every data set needs payees.csv and bookings.csv"]);
    assert_eq!(
        errors(&[("data/payees.csv", PAYEES), ("data/Bookings.csv", BOOKINGS)]),
        ["data/bookings.csv: is missing; every data set needs payees.csv and bookings.csv (the folder has Bookings.csv; rename it to bookings.csv)"]
    );
    let mut needs = schema();
    needs.needs_quotas = true;
    needs.needs_metrics = true;
    assert_eq!(
        errors_with(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS)], &needs),
        ["quotas.csv: is missing; the plan reads quota(...)", "metrics.csv: is missing; the plan reads metric(...)",]
    );
    // Optional files may be missing.
    load_ok(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS)]);
}

#[test]
fn a_table_given_twice_is_an_error() {
    assert_eq!(
        errors(&[("a/payees.csv", PAYEES), ("a/bookings.csv", BOOKINGS), ("b/payees.csv", PAYEES)]),
        ["b/payees.csv: is a second payees.csv; the first is a/payees.csv"]
    );
}

#[test]
fn files_named_like_a_table_are_errors() {
    // An optional table whose file is there under another case, or in the singular:
    // its rows would be left out without a word.
    for name in ["Splits.csv", "splits.CSV", "split.csv", "SPLITS.CSV", "Split.Csv"] {
        let path = format!("data/{name}");
        assert_eq!(
            errors(&[("data/payees.csv", PAYEES), ("data/bookings.csv", BOOKINGS), (&path, "booking,payee,share\nb1,alice,100%\n")]),
            [format!("data/splits.csv: is missing; table files are read by their exact names (the folder has {name}; rename it to splits.csv)")],
        );
    }
    // A required one, as before (but its look-alike is always the one named).
    assert_eq!(
        errors(&[("data/payee.csv", PAYEES), ("data/bookings.csv", BOOKINGS)]),
        ["data/payees.csv: is missing; every data set needs payees.csv and bookings.csv (the folder has payee.csv; rename it to payees.csv)"]
    );
    // A look-alike of fx does not also make every foreign booking lack a rate.
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", "id,date,amount,currency,owner\nb1,2027-02-01,1000,EUR,alice\n"),
            ("FX.csv", "currency,date,rate\nEUR,2027-01-01,1.1\n"),
            ("quota.csv", "payee,quota,period,amount\nalice,bookings,Y1,1000\n"),
        ]),
        [
            "quotas.csv: is missing; table files are read by their exact names (the folder has quota.csv; rename it to quotas.csv)",
            "fx.csv: is missing; table files are read by their exact names (the folder has FX.csv; rename it to fx.csv)",
        ]
    );
    // Beside the table's own file, and a second look-alike: each is reported.
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", BOOKINGS),
            ("splits.csv", "booking,payee,share\n"),
            ("Splits.csv", "booking,payee,share\n"),
            ("ACCOUNT.CSV", "account,payee,from\n"),
            ("Accounts.csv", "account,payee,from\n"),
        ]),
        [
            "Splits.csv: is not read: table files are read by their exact names, and Splits.csv is not splits.csv (remove it, or move its rows into splits.csv)",
            "accounts.csv: is missing; table files are read by their exact names (the folder has ACCOUNT.CSV; rename it to accounts.csv)",
            "Accounts.csv: is not read: table files are read by their exact names, and Accounts.csv is not accounts.csv (rename it to accounts.csv)",
        ]
    );
    // Files that are no table's stay ignored.
    let unrelated = ["README", "generate.py", "notes.csv", "bookings.txt", "splits.csv.bak", "payees-2026.csv", "fxs.csv", "s.csv"];
    let mut list = vec![("payees.csv", PAYEES), ("bookings.csv", BOOKINGS)];
    list.extend(unrelated.iter().map(|name| (*name, "anything")));
    load_ok(&list);
}

#[test]
fn a_look_alike_on_disk_is_never_opened_for_the_table() {
    // Opened by exact name only when the folder lists that name: on a file system that
    // ignores case, opening `splits.csv` would read `Splits.csv`.
    let folder = temp_folder("look-alike");
    std::fs::write(folder.join("payees.csv"), PAYEES).unwrap();
    std::fs::write(folder.join("bookings.csv"), BOOKINGS).unwrap();
    std::fs::write(folder.join("Splits.csv"), "booking,payee,share\nb1,alice,60%\nb1,bob,40%\n").unwrap();
    std::fs::write(folder.join("notes.csv"), "not,a,table\n").unwrap();
    assert_eq!(
        load_path(&folder, &schema()).unwrap_err().to_string(),
        format!(
            "{}: is missing; table files are read by their exact names (the folder has Splits.csv; rename it to splits.csv)",
            folder.join("splits.csv").display()
        )
    );
    std::fs::rename(folder.join("Splits.csv"), folder.join("splits.csv")).unwrap();
    assert_eq!(load_path(&folder, &schema()).unwrap().splits.len(), 2);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn other_encodings_are_errors_naming_the_line() {
    let payees = PAYEES.as_bytes().to_vec();
    let mut cp437 = b"id,date,amount,owner\nb1,2027-02-01,1000,alice\nb2,2027-02-01,1000,M".to_vec();
    cp437.extend([0x81, b'l', b'l', b'e', b'r', b'\n']);
    let list = vec![("payees.csv".to_string(), payees.clone()), ("bookings.csv".to_string(), cp437)];
    assert_eq!(
        load_csv_files(&list, &schema()).unwrap_err().to_string(),
        "bookings.csv:3: is not UTF-8: invalid byte 0x81 (save the file as UTF-8; in Excel, as CSV UTF-8)"
    );

    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("id\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let list = vec![("payees.csv".to_string(), utf16), ("bookings.csv".to_string(), BOOKINGS.as_bytes().to_vec())];
    // The payees could not be read, so the bookings' owners are not checked against them.
    assert_eq!(
        load_csv_files(&list, &schema()).unwrap_err().to_string(),
        "payees.csv:1: is not UTF-8: it starts with a UTF-16 byte-order mark (save the file as UTF-8; in Excel, as CSV UTF-8)"
    );

    let no_bom: Vec<u8> = "id\nalice\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let list = vec![("payees.csv".to_string(), no_bom), ("bookings.csv".to_string(), BOOKINGS.as_bytes().to_vec())];
    assert_eq!(
        load_csv_files(&list, &schema()).unwrap_err().to_string(),
        "payees.csv:1: is not UTF-8: it contains NUL bytes, as UTF-16 files do (save the file as UTF-8; in Excel, as CSV UTF-8)"
    );
}

#[test]
fn an_empty_file_is_an_error() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "")]),
        ["bookings.csv: is empty (the first line must be the header, e.g. id,date,amount,currency,owner,status,cancel_date,account)"]
    );
}

// ---- Header and row shape ------------------------------------------------------------

#[test]
fn a_missing_required_column_is_an_error_naming_it() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,amount,currency,owner\nb1,1000,USD,alice\n")]),
        ["bookings.csv: missing required column `date` (the header is: id,amount,currency,owner)"]
    );
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,dat,amount,owner\nb1,2027-01-01,1000,alice\n")]),
        ["bookings.csv: missing required column `date` (the header has `dat`; rename it to `date`)"]
    );
    // A column in another case is a near miss: one error, at the header (see below).
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,Date,amount,owner\nb1,2027-01-01,1000,alice\n")]),
        ["bookings.csv:1: \"Date\" is not the column `date`: header names match exactly (rename it to `date`)"]
    );
}

#[test]
fn a_missing_column_hint_never_renames_a_known_column() {
    // `account` is a column of bookings (and `product` a declared field): renaming
    // either to `amount` would break it, so the hint lists the header instead.
    let mut schema = schema();
    schema.booking_fields = vec![("product".into(), FieldType::Text)];
    let header_only = |header: &'static str| errors_with(&[("payees.csv", PAYEES), ("bookings.csv", header)], &schema);
    assert_eq!(
        header_only("id,date,currency,owner,account,product\n"),
        ["bookings.csv: missing required column `amount` (the header is: id,date,currency,owner,account,product)"]
    );
    // A known column with spaces around it is no candidate either.
    assert_eq!(
        header_only("id,date, account,owner,product\n"),
        [
            "bookings.csv: missing required column `amount` (the header is: id,date, account,owner,product)",
            "bookings.csv:1: \" account\" is a header cell with spaces around it (rename it to `account`)",
        ]
    );
    // An unknown column close to the missing one is still proposed.
    assert_eq!(
        header_only("id,date,amont,currency,owner,account,product\n"),
        ["bookings.csv: missing required column `amount` (the header has `amont`; rename it to `amount`)"]
    );
    assert_eq!(
        header_only("id,date,amnt,owner,account,product\n"),
        ["bookings.csv: missing required column `amount` (the header has `amnt`; rename it to `amount`)"]
    );
    // A near miss of another column (`Account` is `account`) is no candidate either.
    assert_eq!(
        header_only("id,date,currency,owner,Account,product\n"),
        [
            "bookings.csv: missing required column `amount` (the header is: id,date,currency,owner,Account,product)",
            "bookings.csv:1: \"Account\" is not the column `account`: header names match exactly (rename it to `account`)",
        ]
    );
}

#[test]
fn a_declared_field_must_be_a_column() {
    let mut schema = schema();
    schema.booking_fields = vec![("seats".into(), FieldType::Number)];
    assert_eq!(
        errors_with(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS)], &schema),
        ["bookings.csv: missing column `seats`, which the plan declares as `field booking.seats: number` (the header is: id,date,amount,currency,owner)"]
    );
}

#[test]
fn header_cells_with_spaces_and_repeated_headers_are_errors() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id, date,amount,owner\nb1,2027-02-30,1000,alice\n")]),
        [
            "bookings.csv:1: \" date\" is a header cell with spaces around it (rename it to `date`)",
            "bookings.csv:2: column date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
        ]
    );
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner,id\nb1,2027-02-01,1000,alice,b1\n")]),
        ["bookings.csv:1: column id: appears twice in the header (cells 1 and 5)"]
    );
}

#[test]
fn near_miss_headers_are_errors_and_their_columns_still_read() {
    // Each would be an undeclared custom column, and its data silently dropped:
    // EUR paid as USD, a cancellation never clawed back, a leaver still paid.
    let bookings = "id,date,amount,Currency,owner,status,Cancel_Date,account\nb1,2027-02-01,1000,EUR,alice,won,2027-02-30,\n";
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]),
        [
            "bookings.csv:1: \"Currency\" is not the column `currency`: header names match exactly (rename it to `currency`)",
            "bookings.csv:1: \"Cancel_Date\" is not the column `cancel_date`: header names match exactly (rename it to `cancel_date`)",
            // Read anyway, so its cells are checked too.
            "bookings.csv:2: column cancel_date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
        ]
    );
    let payees = "id,Start Date,end-date,End_Date, manager ,TARGET_INCENTIVE\nalice,2027-01-01,,,,\n";
    assert_eq!(
        errors(&[("payees.csv", payees), ("bookings.csv", "id,date,amount,owner\n")]),
        [
            "payees.csv:1: \"Start Date\" is not the column `start_date`: header names match exactly (rename it to `start_date`)",
            "payees.csv:1: \"end-date\" is not the column `end_date`: header names match exactly (rename it to `end_date`)",
            "payees.csv:1: \"End_Date\" is not the column `end_date`: header names match exactly (rename it to `end_date`)",
            "payees.csv:1: \" manager \" is a header cell with spaces around it (rename it to `manager`)",
            "payees.csv:1: \"TARGET_INCENTIVE\" is not the column `target_incentive`: header names match exactly (rename it to `target_incentive`)",
        ]
    );
    // Beside the column written exactly, the exact one is read (before or after it).
    let facts = load_csv_files(
        &files(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,Currency,currency,owner\nb1,2027-02-01,1000,EUR,USD,alice\n")]),
        &schema(),
    );
    assert_eq!(
        facts.unwrap_err().to_string(),
        "bookings.csv:1: \"Currency\" is not the column `currency`: header names match exactly (rename it to `currency`)"
    );
    // The row currency of payees and quotas is a column of theirs too.
    assert_eq!(
        errors(&[("payees.csv", "id,Currency\nalice,USD\n"), ("bookings.csv", "id,date,amount,owner\n")]),
        ["payees.csv:1: \"Currency\" is not the column `currency`: header names match exactly (rename it to `currency`)"]
    );
    // Other columns are custom fields, ignored unless declared; a declared field is
    // matched exactly, and a near miss of it is named by the missing column's hint.
    let mut schema = schema();
    schema.booking_fields = vec![("product".into(), FieldType::Text)];
    let list = [("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner,ccy,Notes,Product\nb1,2027-02-01,1000,alice,EUR,x,Security\n")];
    assert_eq!(
        errors_with(&list, &schema),
        ["bookings.csv: missing column `product`, which the plan declares as `field booking.product: text` (the header has `Product`; rename it to `product`)"]
    );
    load_ok(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner,ccy,Notes,Currency Code,cancel date 2\nb1,2027-02-01,1000,alice,EUR,x,EUR,\n")]);
}

#[test]
fn near_miss_json_keys_are_errors_and_their_values_still_read() {
    let json = r#"{
        "payees": [ { "id": "alice" }, { "id": "bob", "End_Date": "2027-03-31", "end_date": "2027-03-31" } ],
        "bookings": [
            { "id": "b1", "date": "2027-02-01", "amount": "1000", "owner": "alice", "notes": "x" },
            { "id": "b2", "Date": "2027-02-01", "amount": "1000", "Currency": "EUR", "owner": "alice", "currency ": "EUR" },
            { "id": "b3", "Date": "2027-02-30", "amount": "1000", "Currency": "eur", "owner": "alice" }
        ],
        "fx": [ { "currency": "EUR", "date": "2027-01-01", "rate": 1.1 } ]
    }"#;
    assert_eq!(
        json_errors(json, &schema()),
        [
            "data.json: payees[1]: \"End_Date\" is not the key `end_date`: keys match exactly (rename it to `end_date`)",
            "data.json: bookings[1]: \"Date\" is not the key `date`: keys match exactly (rename it to `date`)",
            "data.json: bookings[1]: \"Currency\" is not the key `currency`: keys match exactly (rename it to `currency`)",
            "data.json: bookings[1]: \"currency \" is a key with spaces around it (rename it to `currency`)",
            // Read as their columns: no row misses a date, and the cells are checked.
            "data.json: bookings[2].date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
            "data.json: bookings[2].currency: \"eur\" is not an ISO 4217 currency code (use EUR)",
        ]
    );
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_an_error() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,12,000,alice\nb2,2027-02-01\n")]),
        [
            "bookings.csv:2: has 5 cells, but the header has 4 (a cell holding a comma must be quoted, e.g. \"Acme, Inc.\")",
            "bookings.csv:3: has 2 cells, but the header has 4",
        ]
    );
}

#[test]
fn a_quote_never_closed_names_its_line_column_and_cell() {
    let bookings = "id,date,amount,owner,status\n\
        b1,2027-02-01,1000,alice,won\n\
        b2,2027-02-01,2000,bob,\"won\n\
        b3,2027-02-01,3000,bob,won\n";
    assert_eq!(errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]), [
        "bookings.csv:3: column status: cell 5 opens a quote that is never closed: the rest of the file was read as that one cell (close the quote; a quote inside a quoted cell is written twice (\"\"))"
    ]);
    // The line is the opening quote's, after a closed quote spanning lines in the same row.
    let bookings = "id,date,amount,owner,status,account\n\
        b1,2027-02-01,1000,alice,\"wo\nn\",\"acme\n\
        b2,2027-02-01,2000,bob,won,acme\n";
    assert_eq!(errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]), [
        "bookings.csv:3: column account: cell 6 opens a quote that is never closed: the rest of the file was read as that one cell (close the quote; a quote inside a quoted cell is written twice (\"\"))"
    ]);
    // In the header, the cell has no name yet; the columns it swallowed go missing too.
    let bookings = "id,date,\"amount,owner\nb1,2027-02-01,1000,alice\n";
    assert_eq!(errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]), [
        "bookings.csv:1: cell 3 of the header opens a quote that is never closed: the rest of the file was read as that one cell (close the quote; a quote inside a quoted cell is written twice (\"\"))",
        "bookings.csv: missing required column `amount` (the header is: id,date,amount,owner\nb1,2027-02-01,1000,alice\n)",
        "bookings.csv: missing required column `owner` (the header is: id,date,amount,owner\nb1,2027-02-01,1000,alice\n)",
    ]);
    // In a cell past the header's last, the cell is named by its number only.
    let bookings = "id,date,amount,owner\nb1,2027-02-01,1000,alice,\"x\n";
    assert_eq!(errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]), [
        "bookings.csv:2: has 5 cells, but the header has 4 (a cell holding a comma must be quoted, e.g. \"Acme, Inc.\")",
        "bookings.csv:2: cell 5 opens a quote that is never closed: the rest of the file was read as that one cell (close the quote; a quote inside a quoted cell is written twice (\"\"))",
    ]);
}

#[test]
fn quotes_rfc_4180_does_not_allow_are_errors_naming_line_column_and_cell() {
    let bookings = "id,date,amount,owner,status,product\n\
        b1,2027-02-01,1000,alice,won,\"Sec\"urity\n\
        b2,2027-02-01,1000,alice,won,Sec\"urity\n\
        b3,2027-02-01,1000,alice,won, \"Security\"\n\
        b4,2027-02-01,1000,alice,\"won\"  ,Security\n\
        b5,2027-02-01,1000,alice,\"w\"\"o,\nn\",\"Sec\"\"urity\"\n\
        b6,2027-02-01,1000,alice,won,\"\"\n";
    // The rows are still read (as the csv crate reads them), so their ids are known.
    let splits = "booking,payee,share\nb1,alice,100%\nb2,alice,100%\nb3,alice,100%\n";
    assert_eq!(
        errors_both_ways(&[("payees.csv", PAYEES), ("bookings.csv", bookings), ("splits.csv", splits)]),
        [
            "bookings.csv:2: column product: \"\\\"Sec\\\"urity\" has text after its closing quote (a quoted cell ends at its closing quote; a quote inside it is written twice (\"\"))",
            "bookings.csv:3: column product: \"Sec\\\"urity\" has a quote in a cell that is not quoted (quote the cell and write the quote twice: \"Sec\"\"urity\")",
            "bookings.csv:4: column product: \" \\\"Security\\\"\" has spaces before its opening quote (remove them: a quoted cell starts with its quote)",
            "bookings.csv:5: column status: \"\\\"won\\\"  \" has text after its closing quote (remove the spaces after the closing quote)",
        ]
    );
    // In the header, and in a plain file read in one go: the same.
    assert_eq!(
        errors_both_ways(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,ow\"ner\nb1,2027-02-01,1000,alice\n")]),
        [
            "bookings.csv:1: \"ow\\\"ner\" has a quote in a cell that is not quoted (quote the cell and write the quote twice: \"ow\"\"ner\")",
            "bookings.csv: missing required column `owner` (the header has `ow\"ner`; rename it to `owner`)",
        ]
    );
    // Doubled quotes, and quoted commas and line breaks, still read as RFC 4180 says.
    let facts = load_ok(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner,status\nb1,2027-02-01,1000,alice,\"a \"\"b\"\", c\nd\"\n")]);
    assert_eq!(facts.bookings[0].status.as_deref(), Some("a \"b\", c\nd"));
}

// ---- Cells ---------------------------------------------------------------------------

#[test]
fn cells_that_do_not_parse_name_line_column_and_value() {
    let bookings = "id,date,amount,currency,owner,cancel_date\n\
        b1,2027-02-30,1000,USD,alice,\n\
        b2,2027-02-01,\"12,000\",USD,alice,\n\
        b3, 2027-02-01,1000,usd,alice,\n\
        b4,2027-02-01,1000,USD,,02/03/2027\n\
        ,2027-02-01,1000,USD,alice,\n";
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", bookings)]),
        [
            "bookings.csv:2: column date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
            "bookings.csv:3: column amount: \"12,000\" is not a number (use 12000)",
            "bookings.csv:4: column date: \" 2027-02-01\" has spaces around it (remove them: 2027-02-01)",
            "bookings.csv:4: column currency: \"usd\" is not an ISO 4217 currency code (use USD)",
            "bookings.csv:5: column owner: is empty, but every row needs one",
            "bookings.csv:5: column cancel_date: \"02/03/2027\" is not a date (write dates as YYYY-MM-DD, e.g. 2027-01-15)",
            "bookings.csv:6: column id: is empty, but every row needs one",
        ]
    );
}

#[test]
fn text_cells_are_taken_as_written() {
    let facts = load_ok(&[("payees.csv", "id,name\nalice, Alice \n"), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1000,alice\n")]);
    assert_eq!(facts.payees[0].name.as_deref(), Some(" Alice "));
    assert_eq!(
        errors(&[("payees.csv", "id\nalice\n"), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1000,alice \n")]),
        ["bookings.csv:2: column owner: \"alice \" is not a payee id in payees.csv (ids are compared exactly; did you mean \"alice\"?)"]
    );
}

#[test]
fn a_declared_field_must_parse_as_its_type() {
    let mut schema = schema();
    schema.booking_fields = vec![("seats".into(), FieldType::Number), ("renewal".into(), FieldType::Bool)];
    assert_eq!(
        errors_with(
            &[
                ("payees.csv", PAYEES),
                ("bookings.csv", "id,date,amount,owner,seats,renewal\nb1,2027-02-01,1000,alice,12,true\nb2,2027-02-01,1000,alice,ten,Yes\n")
            ],
            &schema
        ),
        ["bookings.csv:3: column seats: \"ten\" is not a number", "bookings.csv:3: column renewal: \"Yes\" is not true or false",]
    );
}

#[test]
fn huge_or_over_precise_numbers_are_errors_not_panics() {
    let bookings = format!("id,date,amount,owner\nb1,2027-02-01,{},alice\nb2,2027-02-01,0.{}1,alice\n", "9".repeat(40), "0".repeat(40));
    let list = vec![("payees.csv".to_string(), PAYEES.as_bytes().to_vec()), ("bookings.csv".to_string(), bookings.into_bytes())];
    let shown = load_csv_files(&list, &schema()).unwrap_err().to_string();
    assert!(shown.contains("bookings.csv:2: column amount: \"9999"), "{shown}");
    assert!(shown.contains("is too large or too precise: payplan computes with 28 significant digits"), "{shown}");
    assert!(shown.contains("bookings.csv:3: column amount:"), "{shown}");
}

#[test]
fn money_cells_carry_or_inherit_a_currency() {
    // Its own code wins over an empty currency cell.
    let facts = load_ok(&[
        ("payees.csv", PAYEES),
        ("bookings.csv", "id,date,amount,currency,owner\nb1,2027-02-01,1000 EUR,,alice\nb2,2027-02-01,1000 EUR,EUR,alice\n"),
        ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.1\n"),
    ]);
    assert_eq!(facts.bookings.iter().map(|b| b.currency).collect::<Vec<_>>(), [eur(), eur()]);
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,currency,owner\nb1,2027-02-01,1000 EUR,GBP,alice\n")]),
        ["bookings.csv:2: column amount: \"1000 EUR\" is in EUR, but the currency column says GBP"]
    );
}

#[test]
fn current_and_fund_iso_codes_are_currencies() {
    for code in ["VED", "ZWG", "XCG", "CLF", "UYW", "BOV", "CHE", "CHW", "COU", "MXV", "USN", "UYI"] {
        let bookings = format!("id,date,amount,currency,owner\nb1,2027-02-01,100 {code},,alice\nb2,2027-02-01,100,{code},alice\n");
        let fx = format!("currency,date,rate\n{code},2027-01-01,0.5\n");
        let facts = same_load_both_ways(&[("payees.csv", PAYEES), ("bookings.csv", &bookings), ("fx.csv", &fx)], &schema()).unwrap();
        assert!(facts.bookings.iter().all(|b| b.currency.code() == code), "{code}");
    }
}

#[test]
fn payee_money_and_quotas_must_be_in_the_plan_currency() {
    assert_eq!(
        errors(&[
            ("payees.csv", "id,target_incentive\nalice,50000 EUR\n"),
            ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1000,alice\n"),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Y1,100000 GBP\nalice,arr,Y1,100000 USD\n"),
        ]),
        [
            "payees.csv:2: column target_incentive: \"50000 EUR\" is in EUR, but this amount must be in the plan currency USD (convert it to USD)",
            "quotas.csv:2: column amount: \"100000 GBP\" is in GBP, but this amount must be in the plan currency USD (convert it to USD)",
        ]
    );
}

#[test]
fn a_currency_column_on_payees_and_quotas_is_the_rows_currency() {
    // data.md: a money cell is in the row's `currency` cell, or the plan currency when
    // that is empty; payee money and quotas must be in the plan currency.
    let payees = "id,target_incentive,currency\n\
        alice,100000,USD\n\
        bob,100000,EUR\n\
        carol,100000 EUR,USD\n\
        dave,,EUR\n\
        erin,100000,\n\
        frank,100000 USD,\n\
        gus,100000,usd\n";
    let quotas = "payee,quota,period,amount,currency\nalice,bookings,Y1,500000,EUR\nalice,arr,Y1,500000 USD,USD\nalice,pipeline,Y1,500000 EUR,\n";
    assert_eq!(
        errors(&[("payees.csv", payees), ("bookings.csv", "id,date,amount,owner\n"), ("quotas.csv", quotas)]),
        [
            "payees.csv:3: column target_incentive: \"100000\" is in EUR (the row's currency), but this amount must be in the plan currency USD (convert it to USD)",
            "payees.csv:4: column target_incentive: \"100000 EUR\" is in EUR, but the currency column says USD",
            "payees.csv:8: column currency: \"usd\" is not an ISO 4217 currency code (use USD)",
            "quotas.csv:2: column amount: \"500000\" is in EUR (the row's currency), but this amount must be in the plan currency USD (convert it to USD)",
            "quotas.csv:4: column amount: \"100000 EUR\" is in EUR, but this amount must be in the plan currency USD (convert it to USD)"
                .replace("100000", "500000")
                .as_str(),
        ]
    );
    let ok = load_ok(&[
        ("payees.csv", "id,target_incentive,currency\nalice,100000,USD\nbob,,EUR\ncarol,5,\n"),
        ("bookings.csv", "id,date,amount,owner\n"),
        ("quotas.csv", "payee,quota,period,amount,currency\nalice,bookings,Y1,500000 USD,USD\n"),
    ]);
    assert_eq!(ok.payees.iter().map(|p| p.target_incentive).collect::<Vec<_>>(), [Some(dec("100000")), None, Some(dec("5"))]);
    // A declared money field of payees follows the row currency too.
    let mut with_field = schema();
    with_field.payee_fields = vec![("bonus_target".into(), FieldType::Money)];
    assert_eq!(
        errors_with(&[("payees.csv", "id,bonus_target,currency\nalice,10,EUR\n"), ("bookings.csv", "id,date,amount,owner\n")], &with_field),
        ["payees.csv:2: column bonus_target: \"10\" is in EUR (the row's currency), but this amount must be in the plan currency USD (convert it to USD)"]
    );
    // And so does the JSON form.
    let json = r#"{ "payees": [ { "id": "alice", "target_incentive": 100000, "currency": "EUR" } ], "bookings": [],
        "quotas": [ { "payee": "alice", "quota": "q", "period": "Y1", "amount": "5 EUR", "currency": "USD" } ] }"#;
    assert_eq!(
        json_errors(json, &schema()),
        [
            "data.json: payees[0].target_incentive: \"100000\" is in EUR (the row's currency), but this amount must be in the plan currency USD (convert it to USD)",
            "data.json: quotas[0].amount: \"5 EUR\" is in EUR, but the currency column says USD",
        ]
    );
}

#[test]
fn negative_quotas_and_target_incentives_are_errors() {
    // A negative quota would turn the tier bands around (attainment -20% paid at the
    // band from 100%); zero loads (dividing by it is an evaluation error).
    assert_eq!(
        errors(&[
            ("payees.csv", "id,target_incentive\nalice,-10000\nbob,0\ncarol,-0.01 USD\n"),
            ("bookings.csv", "id,date,amount,owner\n"),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Y1,-500000\nbob,bookings,Y1,0\nbob,bookings,Q1,-0\n"),
        ]),
        [
            "payees.csv:2: column target_incentive: \"-10000\" is negative: a target incentive is at least 0",
            "payees.csv:4: column target_incentive: \"-0.01 USD\" is negative: a target incentive is at least 0",
            "quotas.csv:2: column amount: \"-500000\" is negative: a quota is at least 0",
        ]
    );
    let json = r#"{ "payees": [ { "id": "alice", "target_incentive": -1 } ], "bookings": [],
        "quotas": [ { "payee": "alice", "quota": "q", "period": "Y1", "amount": -2.5 } ] }"#;
    assert_eq!(
        json_errors(json, &schema()),
        [
            "data.json: payees[0].target_incentive: \"-1\" is negative: a target incentive is at least 0",
            "data.json: quotas[0].amount: \"-2.5\" is negative: a quota is at least 0",
        ]
    );
}

#[test]
fn a_booking_money_field_without_a_code_is_in_the_rows_currency_or_the_plans() {
    let mut schema = schema();
    schema.booking_fields = vec![("discount".into(), FieldType::Money)];
    // data.md: in the row's `currency` cell, or the plan currency when that is empty,
    // even when the amount carries a code of its own (b1).
    let bookings = "id,date,amount,currency,owner,discount\n\
        b1,2027-02-01,1000 EUR,,alice,50\n\
        b2,2027-02-01,1000,EUR,alice,50\n\
        b3,2027-02-01,1000 EUR,,alice,50 EUR\n\
        b4,2027-02-01,1000,,alice,50\n";
    let list = [("payees.csv", PAYEES), ("bookings.csv", bookings), ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.1\n")];
    let facts = load_csv_files(&files(&list), &schema).unwrap();
    let read: Vec<(Currency, Option<FieldValue>)> = facts.bookings.iter().map(|b| (b.currency, b.fields[0].clone())).collect();
    assert_eq!(
        read,
        [
            (eur(), Some(FieldValue::Money(dec("50"), usd()))),
            (eur(), Some(FieldValue::Money(dec("50"), eur()))),
            (eur(), Some(FieldValue::Money(dec("50"), eur()))),
            (usd(), Some(FieldValue::Money(dec("50"), usd()))),
        ]
    );
    assert_eq!(same_load_both_ways(&list, &schema), Ok(facts));
    assert_eq!(
        errors_with(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,currency,owner,discount\nb2,2027-02-01,1000,EUR,alice,50 GBP\n")], &schema),
        ["bookings.csv:2: column discount: \"50 GBP\" is in GBP, but the row's currency is EUR"]
    );
}

#[test]
fn period_labels_must_lie_within_the_term() {
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", BOOKINGS),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q5,1\nalice,bookings,M13,1\nalice,bookings,Y2,1\nalice,bookings,X1,1\nalice,bookings,H2,1\nalice,bookings,M12,1\n"),
        ]),
        [
            "quotas.csv:2: column period: \"Q5\" is outside the term 2027-01-01 to 2027-12-31 (the term has Q1 to Q4)",
            "quotas.csv:3: column period: \"M13\" is outside the term 2027-01-01 to 2027-12-31 (the term has M1 to M12)",
            "quotas.csv:4: column period: \"Y2\" is outside the term 2027-01-01 to 2027-12-31 (the term has Y1 only)",
            "quotas.csv:5: column period: \"X1\" is not a period label (use a label such as Y1, H2, Q3 or M11)",
        ]
    );
    let mut half_year = schema();
    half_year.term_end = day("2027-06-30");
    assert_eq!(
        errors_with(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS), ("metrics.csv", "payee,metric,period,value\nalice,mbo,Y1,1\n")], &half_year),
        ["metrics.csv:2: column period: \"Y1\" is outside the term 2027-01-01 to 2027-06-30 (no year fits in the term)"]
    );
}

#[test]
fn shares_are_checked() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS), ("splits.csv", "booking,payee,share\nb1,alice,sixty\nb1,bob,140%\n")]),
        ["splits.csv:2: column share: \"sixty\" is not a share (write 60% or 0.6)", "splits.csv:3: column share: \"140%\" is not between 0% and 100%",]
    );
}

// ---- Rows and references -------------------------------------------------------------

#[test]
fn duplicate_ids_name_both_lines() {
    assert_eq!(
        errors(&[
            ("payees.csv", "id\nalice\nbob\nalice\n"),
            ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1,alice\nb2,2027-02-01,1,bob\nb2,2027-03-01,1,bob\n"),
        ]),
        ["payees.csv:4: column id: \"alice\" is a duplicate id: line 2 has it too", "bookings.csv:4: column id: \"b2\" is a duplicate id: line 3 has it too",]
    );
}

#[test]
fn references_to_unknown_payees_and_bookings_are_errors() {
    let mut needs = schema();
    needs.needs_quotas = true;
    needs.needs_metrics = true;
    assert_eq!(
        errors_with(
            &[
                ("payees.csv", "id,manager\nalice,\nbob,zed\n"),
                ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1,alice\nb2,2027-02-01,1,zed\n"),
                ("splits.csv", "booking,payee,share\nb1,alice,50%\nb1,ghost,50%\nb9,alice,100%\n"),
                ("quotas.csv", "payee,quota,period,amount\nyuri,bookings,Y1,1\n"),
                ("metrics.csv", "payee,metric,period,value\nyuri,mbo,Q1,1\n"),
                ("accounts.csv", "account,payee,from,to\nacme,zed,2027-01-01,\n"),
            ],
            &needs
        ),
        [
            "payees.csv:3: column manager: \"zed\" is not a payee id in payees.csv",
            "bookings.csv:3: column owner: \"zed\" is not a payee id in payees.csv",
            "splits.csv:3: column payee: \"ghost\" is not a payee id in payees.csv",
            "splits.csv:4: column booking: \"b9\" is not a booking id in bookings.csv",
            "quotas.csv:2: column payee: \"yuri\" is not a payee id in payees.csv",
            "metrics.csv:2: column payee: \"yuri\" is not a payee id in payees.csv",
            "accounts.csv:2: column payee: \"zed\" is not a payee id in payees.csv",
        ]
    );
}

#[test]
fn a_row_with_a_bad_cell_still_counts_as_known() {
    assert_eq!(
        errors(&[("payees.csv", "id,start_date\nalice,yesterday\n"), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1,alice\n")]),
        ["payees.csv:2: column start_date: \"yesterday\" is not a date (write dates as YYYY-MM-DD, e.g. 2027-01-15)"]
    );
}

#[test]
fn split_shares_must_sum_to_exactly_100_percent() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS), ("splits.csv", "booking,payee,share\nb2,bob,100%\nb1,alice,60%\nb1,bob,30%\n")]),
        ["splits.csv:3: column booking: \"b1\" has shares summing to 90% (lines 3 and 4), not 100%"]
    );
    load_ok(&with("splits.csv", "booking,payee,share\nb1,alice,33.5%\nb1,bob,0.665\n"));
}

#[test]
fn a_repeated_split_row_is_an_error() {
    assert_eq!(
        errors(&[("payees.csv", PAYEES), ("bookings.csv", BOOKINGS), ("splits.csv", "booking,payee,share\nb1,alice,50%\nb1,alice,50%\n")]),
        ["splits.csv:3: column payee: \"alice\" already has a split row for booking \"b1\" (line 2)"]
    );
}

#[test]
fn a_manager_cycle_is_reported_once_with_its_chain() {
    assert_eq!(
        errors(&[("payees.csv", "id,manager\ncarol,alice\nbob,carol\nalice,bob\ndave,alice\n"), ("bookings.csv", BOOKINGS)]),
        ["payees.csv:4: column manager: \"bob\" makes a manager cycle: alice -> bob -> carol -> alice (a payee cannot manage their own manager, directly or up the chain)"]
    );
    assert_eq!(
        errors(&[("payees.csv", "id,manager\nalice,alice\nbob,\n"), ("bookings.csv", BOOKINGS)]),
        ["payees.csv:2: column manager: \"alice\" makes a manager cycle: alice -> alice (a payee cannot manage their own manager, directly or up the chain)"]
    );
}

#[test]
fn ends_before_starts_are_errors() {
    assert_eq!(
        errors(&[
            ("payees.csv", "id,start_date,end_date\nalice,2027-03-01,2027-02-28\nbob,,\n"),
            ("bookings.csv", "id,date,amount,owner,cancel_date\nb1,2027-02-01,1,alice,2027-01-31\n"),
            ("accounts.csv", "account,payee,from,to\nacme,bob,2027-02-01,2027-01-01\n"),
        ]),
        [
            "payees.csv:2: column end_date: \"2027-02-28\" is before start_date 2027-03-01",
            "accounts.csv:2: column to: \"2027-01-01\" is before from 2027-02-01",
        ]
    );
}

#[test]
fn overlapping_account_rows_name_the_account_and_both_lines() {
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", BOOKINGS),
            ("accounts.csv", "account,payee,from,to\nacme,alice,2027-01-01,2027-06-30\nacme,bob,2027-06-01,\nglobex,bob,2027-01-01,\n"),
        ]),
        ["accounts.csv:3: column account: \"acme\" has overlapping owner rows: line 2 (alice, 2027-01-01 to 2027-06-30) and line 3 (bob, 2027-06-01 onwards) (an account has one owner a day: end the earlier row on 2027-05-31 at the latest)"]
    );
    // Back to back is fine, and so is a later open-ended row.
    load_ok(&with("accounts.csv", "account,payee,from,to\nacme,bob,2027-07-01,\nacme,alice,2027-01-01,2027-06-30\n"));
    // An open-ended row overlaps every later one, not only the next.
    let lines =
        errors(&with("accounts.csv", "account,payee,from,to\nacme,alice,2027-01-01,\nacme,bob,2027-03-01,2027-03-31\nacme,bob,2027-05-01,2027-05-31\n"));
    assert_eq!(lines.len(), 2, "{lines:?}");
}

#[test]
fn a_foreign_booking_needs_an_fx_rate_on_or_before_its_date() {
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", "id,date,amount,currency,owner\nb1,2027-02-01,10000,USD,alice\nb2,2027-01-15,20000,EUR,bob\nb3,2027-02-01,1,GBP,bob\nb4,2027-02-01,1,EUR,bob\nb5,2027-03-01,1 GBP,,bob\n"),
            ("fx.csv", "currency,date,rate\nEUR,2027-02-01,1.10\n"),
        ]),
        [
            "bookings.csv:3: column currency: \"EUR\" has no fx rate on or before the booking date 2027-01-15 (the first EUR rate in fx.csv is dated 2027-02-01)",
            "bookings.csv:4: column currency: \"GBP\" has no fx rate on or before the booking date 2027-02-01 (add a GBP row to fx.csv dated on or before 2027-02-01)",
            "bookings.csv:6: column amount: is in GBP, which has no fx rate on or before the booking date 2027-03-01 (add a GBP row to fx.csv dated on or before 2027-03-01)",
        ]
    );
}

#[test]
fn fx_rows_are_checked() {
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", BOOKINGS),
            ("fx.csv", "currency,date,rate\nEUR,2027-01-01,0\nGBP,2027-01-01,1.2\nGBP,2027-01-01,1.3\nUSD,2027-01-01,1.1\nUSD,2027-02-01,1\n"),
        ]),
        [
            "fx.csv:2: column rate: \"0\" is not a rate: it must be more than 0",
            "fx.csv:4: column date: \"2027-01-01\" already has a GBP rate (line 3)",
            "fx.csv:5: column currency: \"USD\" is the plan currency, whose rate is always 1 (remove the row: rates convert other currencies into the plan currency)",
        ]
    );
    let facts = load_ok(&with("fx.csv", "currency,date,rate\nUSD,2027-01-01,1\nEUR,2027-01-01,1.1\n"));
    assert_eq!(facts.fx.iter().map(|row| row.currency).collect::<Vec<_>>(), [eur()]);
}

#[test]
fn repeated_quota_and_metric_rows_are_errors() {
    assert_eq!(
        errors(&[
            ("payees.csv", PAYEES),
            ("bookings.csv", BOOKINGS),
            ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Y1,100000\nbob,bookings,Y1,100000\nalice,bookings,Y1,120000\nalice,bookings,Q1,1\n"),
            ("metrics.csv", "payee,metric,period,value\nbob,mbo_score,Q1,0.9\nbob,mbo_score,Q1,1.0\n"),
        ]),
        [
            "quotas.csv:4: column payee: \"alice\" already has a row for quota \"bookings\", period Y1 (line 2)",
            "metrics.csv:3: column payee: \"bob\" already has a row for metric \"mbo_score\", period Q1 (line 2)",
        ]
    );
}

#[test]
fn metric_values_are_numbers() {
    assert_eq!(
        errors(&with("metrics.csv", "payee,metric,period,value\nalice,mbo_score,Q1,0.9\nalice,mbo_score,Q2,TBD\n")),
        ["metrics.csv:3: column value: \"TBD\" is not a number"]
    );
}

// ---- Reporting -----------------------------------------------------------------------

#[test]
fn errors_come_in_file_order_then_line_order() {
    let lines = errors(&[
        ("splits.csv", "booking,payee,share\nb1,ghost,100%\n"),
        ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,1,zed\nb2,2027-02-30,1,alice\n"),
        ("payees.csv", "id,manager\nalice,\nbob,nobody\n"),
    ]);
    assert_eq!(
        lines,
        [
            "payees.csv:3: column manager: \"nobody\" is not a payee id in payees.csv",
            "bookings.csv:2: column owner: \"zed\" is not a payee id in payees.csv",
            "bookings.csv:3: column date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
            "splits.csv:2: column payee: \"ghost\" is not a payee id in payees.csv",
        ]
    );
}

#[test]
fn at_most_100_errors_then_one_line_for_the_rest() {
    let mut bookings = String::from("id,date,amount,owner\n");
    for i in 0..150 {
        bookings.push_str(&format!("b{i},2027-02-01,x,alice\n"));
    }
    let list = vec![("data/payees.csv".to_string(), PAYEES.as_bytes().to_vec()), ("data/bookings.csv".to_string(), bookings.into_bytes())];
    let errors = load_csv_files(&list, &schema()).unwrap_err();
    assert_eq!(errors.0.len(), MAX_ERRORS + 1);
    assert_eq!(errors.0[0].to_string(), "data/bookings.csv:2: column amount: \"x\" is not a number");
    assert_eq!(errors.0[99].to_string(), "data/bookings.csv:101: column amount: \"x\" is not a number");
    assert_eq!(errors.0[100].to_string(), "data: 50 more errors not shown (fix the errors above and load the data again)");
}

#[test]
fn data_error_fields_and_display() {
    let errors = load(&[("payees.csv", PAYEES), ("bookings.csv", "id,date,amount,owner\nb1,2027-02-01,\"12,000\",alice\n")]).unwrap_err();
    assert_eq!(
        errors.0,
        vec![DataError {
            file: "bookings.csv".into(),
            line: Some(2),
            column: Some("amount".into()),
            value: Some("12,000".into()),
            message: "is not a number".into(),
            help: Some("use 12000".into()),
        }]
    );
    let error: &dyn std::error::Error = &errors;
    assert_eq!(error.to_string(), "bookings.csv:2: column amount: \"12,000\" is not a number (use 12000)");
}

// ---- Determinism ---------------------------------------------------------------------

/// A tiny deterministic shuffle (no rand dependency): a linear congruential generator.
fn shuffled_lines(text: &str, seed: u64) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let mut state = seed;
    for i in (1..lines.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = usize::try_from(state >> 33).unwrap() % (i + 1);
        lines.swap(i, j);
    }
    let mut out = String::from(header);
    out.push('\n');
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn shuffling_rows_gives_identical_facts() {
    let tables = [
        ("payees.csv", "id,manager,target_incentive\ncarol,,1\nalice,carol,2\nbob,carol,3\ndave,alice,4\n"),
        (
            "bookings.csv",
            "id,date,amount,currency,owner\nb3,2027-03-01,3,EUR,bob\nb1,2027-01-01,1,USD,alice\nb2,2027-02-01,2,USD,dave\nb4,2027-04-01,4,GBP,carol\n",
        ),
        ("splits.csv", "booking,payee,share\nb1,alice,50%\nb1,bob,25%\nb1,carol,25%\nb2,dave,100%\n"),
        ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q2,1\nalice,bookings,Q1,1\nalice,arr,Q1,1\nbob,bookings,Y1,1\nalice,bookings,M1,1\n"),
        ("fx.csv", "currency,date,rate\nEUR,2027-02-01,1.2\nGBP,2027-01-01,1.3\nEUR,2027-01-01,1.1\n"),
        ("metrics.csv", "payee,metric,period,value\nbob,mbo,Q2,1\nbob,mbo,Q1,1\nalice,mbo,Q1,1\n"),
        ("accounts.csv", "account,payee,from,to\nacme,bob,2027-07-01,\nacme,alice,2027-01-01,2027-06-30\nglobex,carol,2027-01-01,\n"),
    ];
    let reference = without_origins(load_ok(&tables));
    assert!(reference.bookings.windows(2).all(|w| w[0].id < w[1].id));
    for seed in 1..20 {
        let shuffled: Vec<(String, Vec<u8>)> = tables.iter().map(|(name, text)| (name.to_string(), shuffled_lines(text, seed).into_bytes())).collect();
        let facts = load_csv_files(&shuffled, &schema()).unwrap();
        assert_eq!(without_origins(facts), reference, "seed {seed}");
    }
}

// ---- JSON ----------------------------------------------------------------------------

#[test]
fn json_loads_the_same_facts_as_csv() {
    let json = r#"{
        "payees": [ { "id": "alice", "name": "Alice", "target_incentive": 50000.00 }, { "id": "bob", "manager": "alice", "start_date": null } ],
        "bookings": [
            { "id": "b2", "date": "2027-03-01", "amount": "12345.67 EUR", "owner": "bob", "notes": [1, 2] },
            { "id": "b1", "date": "2027-02-01", "amount": 1000.10, "currency": "USD", "owner": "alice", "status": "" }
        ],
        "splits": [ { "booking": "b1", "payee": "alice", "share": "60%" }, { "booking": "b1", "payee": "bob", "share": 0.4 } ],
        "fx": [ { "currency": "EUR", "date": "2027-01-01", "rate": 1.0837 } ],
        "quotas": null
    }"#;
    let facts = load_json_str("data.json", json, &schema()).unwrap();
    let csv = load_ok(&[
        ("payees.csv", "id,name,manager,start_date,target_incentive\nalice,Alice,,,50000.00\nbob,,alice,,\n"),
        ("bookings.csv", "id,date,amount,currency,owner,status\nb2,2027-03-01,12345.67 EUR,,bob,\nb1,2027-02-01,1000.10,USD,alice,\n"),
        ("splits.csv", "booking,payee,share\nb1,alice,60%\nb1,bob,0.4\n"),
        ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.0837\n"),
    ]);
    assert_eq!(facts.bookings[0].amount.to_string(), "1000.10");
    assert_eq!(facts.bookings[1].origin, Origin { file: "data.json".into(), line: 1, json_index: Some(Box::new(("bookings".into(), 0))) });
    assert_eq!(without_origins(facts), without_origins(csv));
}

#[test]
fn json_errors_name_the_path() {
    let mut schema = schema();
    schema.booking_fields = vec![("renewal".into(), FieldType::Bool), ("seats".into(), FieldType::Number)];
    let json = r#"{
        "payees": [ { "id": "alice" }, { "id": 1001 }, "bob" ],
        "bookings": [
            { "id": "b1", "date": "2027-02-01", "amount": "12,000", "owner": "alice", "renewal": "yes" },
            { "id": "b2", "date": 20270201, "amount": 1e3, "owner": "zed", "renewal": true },
            { "id": "b1", "amount": 5, "owner": "alice" }
        ],
        "booking": []
    }"#;
    assert_eq!(
        json_errors(json, &schema),
        [
            "data.json: has an unknown key \"booking\" (did you mean \"bookings\"?)",
            "data.json: payees[1].id: is a JSON number, not text (write it as a string: \"1001\")",
            "data.json: payees[2]: is a string, not an object",
            "data.json: bookings: no row has \"seats\", which the plan declares as `field booking.seats: number`",
            "data.json: bookings[0].amount: \"12,000\" is not a number (use 12000)",
            "data.json: bookings[0].renewal: \"yes\" is not true or false",
            "data.json: bookings[1].date: is a JSON number, not a date (write it as a string, e.g. \"2027-01-15\")",
            "data.json: bookings[1].amount: \"1e+3\" is not a number (write it out: 1000)",
            "data.json: bookings[1].owner: \"zed\" is not a payee id in payees",
            "data.json: bookings[2].date: is missing or empty, but every row needs one",
            "data.json: bookings[2].id: \"b1\" is a duplicate id: bookings[0] has it too",
        ]
    );
}

#[test]
fn json_structure_errors() {
    assert_eq!(
        json_errors("[1]", &schema()),
        ["data.json: is an array, not a JSON object (the file holds one object: { \"payees\": [...], \"bookings\": [...], ... })"]
    );
    assert_eq!(json_errors("{\n  \"payees\": [,]\n}", &schema()), ["data.json:2: is not valid JSON: expected value (column 14)"]);
    assert_eq!(
        json_errors("{\"payees\": [],\n \"bookings\": [{\"id\": \"b1\", \"amount\": 1, \"amount\": 2.50}]}", &schema()),
        ["data.json:2: has the key \"amount\" twice in one object (column 48)"]
    );
    assert_eq!(json_errors(r#"{ "payees": {}, "bookings": [] }"#, &schema()), ["data.json: payees: is an object, not an array of objects"]);
    let mut needs = schema();
    needs.needs_quotas = true;
    assert_eq!(
        json_errors(r#"{ "payees": [] }"#, &needs),
        ["data.json: has no \"bookings\" table; every data set needs payees and bookings", "data.json: has no \"quotas\" table; the plan reads quota(...)",]
    );
    assert_eq!(
        json_errors(
            r#"{ "payees": [{"id": "a"}], "bookings": [], "splits": [{ "booking": "b1", "payee": "a", "share": 0.5 }, { "booking": "b1", "payee": "b", "share": 0.25 }] }"#,
            &schema()
        ),
        [
            "data.json: splits[0].booking: \"b1\" is not a booking id in bookings",
            "data.json: splits[0].booking: \"b1\" has shares summing to 75% (splits[0] and splits[1]), not 100%",
            "data.json: splits[1].booking: \"b1\" is not a booking id in bookings",
            "data.json: splits[1].payee: \"b\" is not a payee id in payees",
        ]
    );
}

// ---- Limits --------------------------------------------------------------------------

/// The standard limits, but for at most `rows` rows per table.
fn row_limit(rows: usize) -> limits::Limits {
    limits::Limits { table_rows: rows, ..limits::Limits::STANDARD }
}

/// The standard limits, but for at most `bytes` bytes per data file.
fn size_limit(bytes: u64) -> limits::Limits {
    limits::Limits { file_bytes: bytes, ..limits::Limits::STANDARD }
}

#[test]
fn the_limits_are_generous_for_real_data() {
    // The benchmark's largest set: 4 million bookings, about 250 MB.
    const { assert!(MAX_TABLE_ROWS >= 5 * 4_000_000) };
    const { assert!(MAX_DATA_FILE_BYTES >= 8 * 250_000_000) };
    assert_eq!(limits::limits(), limits::Limits::STANDARD);
}

#[test]
fn a_table_with_more_rows_than_the_limit_is_an_error() {
    // BOOKINGS has 2 rows; the header and blank lines are no rows.
    let bookings_3 = "id,date,amount,currency,owner\nb1,2027-02-01,1000,USD,alice\n\nb2,2027-03-01,2000,USD,bob\nb3,2027-03-01,5,USD,bob\n\n";
    let list = [("payees.csv", PAYEES), ("bookings.csv", bookings_3)];
    assert_eq!(limits::with_limits(row_limit(3), || load(&list)).unwrap().bookings.len(), 3);
    assert_eq!(limits::with_limits(row_limit(2), || errors(&list)), ["bookings.csv: has 3 rows, more than the limit of 2 rows for one table"]);
    // Both ways: found from the line feeds before any row is typed, and (line ends that
    // are a lone `\r`, no line feeds) while reading.
    let lone_cr = bookings_3.replace('\n', "\r");
    let list = [("payees.csv", PAYEES), ("bookings.csv", lone_cr.as_str())];
    assert_eq!(limits::with_limits(row_limit(2), || errors(&list)), ["bookings.csv: has 3 rows, more than the limit of 2 rows for one table"]);
    assert_eq!(limits::with_limits(row_limit(3), || load(&list)).unwrap().bookings.len(), 3);
    // Line breaks inside quoted cells are no rows.
    let multi_line = "id,name,role\nalice,\"A\nA\nA\",AE\nbob,\"B\nB\",AE\n";
    let list = [("payees.csv", multi_line), ("bookings.csv", BOOKINGS)];
    assert_eq!(limits::with_limits(row_limit(2), || load(&list)).unwrap().payees.len(), 2);
    // The same by the general paths; a table past the limit turns off the checks of
    // references to it (carol is not reported as an unknown owner).
    let payees_3 = "id,name,role\nalice,\"A\nA\nA\",AE\nbob,\"B\nB\",AE\ncarol,C,AE\n";
    let bookings = "id,date,amount,owner\nb1,2027-02-01,1,carol\nb2,2027-02-01,1,dave\n";
    let list = [("payees.csv", payees_3), ("bookings.csv", bookings)];
    without_quick_paths(|| {
        assert_eq!(limits::with_limits(row_limit(2), || errors(&list)), ["payees.csv: has 3 rows, more than the limit of 2 rows for one table"]);
    });
}

#[test]
fn a_json_table_with_more_rows_than_the_limit_is_an_error() {
    let json = r#"{"payees": [{"id": "alice"}, {"id": "bob"}], "bookings": [{"id": "b1", "date": "2027-02-01", "amount": 1, "owner": "alice"}]}"#;
    assert!(limits::with_limits(row_limit(2), || load_json_str("data.json", json, &schema())).is_ok());
    assert_eq!(
        limits::with_limits(row_limit(1), || json_errors(json, &schema())),
        ["data.json: payees: has 2 rows, more than the limit of 1 rows for one table"]
    );
}

#[test]
fn data_in_memory_larger_than_the_limit_is_an_error() {
    let limit = u64::try_from(BOOKINGS.len()).unwrap();
    let list = [("data/payees.csv", PAYEES), ("data/bookings.csv", BOOKINGS)];
    assert!(limits::with_limits(size_limit(limit), || load(&list)).is_ok());
    assert_eq!(
        limits::with_limits(size_limit(limit - 1), || errors(&list)),
        [format!("data/bookings.csv: is {limit} bytes, more than the limit of {} bytes for one data file", limit - 1)]
    );
    let json = r#"{"payees": [{"id": "alice"}], "bookings": []}"#;
    assert_eq!(
        limits::with_limits(size_limit(10), || json_errors(json, &schema())),
        [format!("data.json: is {} bytes, more than the limit of 10 bytes for one data file", json.len())]
    );
}

#[test]
fn a_data_file_larger_than_the_limit_is_refused_before_it_is_read() {
    // A sparse file one byte past the real limit: no disk taken, and never read (it
    // would take seconds and gigabytes of memory).
    let folder = temp_folder("too-large");
    std::fs::write(folder.join("payees.csv"), PAYEES).unwrap();
    let bookings = std::fs::File::create(folder.join("bookings.csv")).unwrap();
    bookings.set_len(MAX_DATA_FILE_BYTES + 1).unwrap();
    drop(bookings);
    let started = std::time::Instant::now();
    let shown = load_path(&folder, &schema()).unwrap_err().to_string();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(
        shown,
        format!(
            "{}: is 2147483649 bytes (2.0 GiB), more than the limit of 2147483648 bytes (2.0 GiB) for one data file",
            folder.join("bookings.csv").display()
        )
    );
    // A JSON data set too.
    let json = folder.join("data.json");
    std::fs::File::create(&json).unwrap().set_len(MAX_DATA_FILE_BYTES + 1).unwrap();
    let shown = load_path(&json, &schema()).unwrap_err().to_string();
    assert!(shown.starts_with(&format!("{}: is 2147483649 bytes", json.display())), "{shown}");
    std::fs::remove_dir_all(&folder).unwrap();

    // Just at a (lowered) limit, a file loads.
    let folder = temp_folder("at-limit");
    std::fs::write(folder.join("payees.csv"), PAYEES).unwrap();
    std::fs::write(folder.join("bookings.csv"), BOOKINGS).unwrap();
    let limit = u64::try_from(BOOKINGS.len()).unwrap();
    assert!(limits::with_limits(size_limit(limit), || load_path(&folder, &schema())).is_ok());
    let shown = limits::with_limits(size_limit(limit - 1), || load_path(&folder, &schema())).unwrap_err().to_string();
    assert_eq!(shown, format!("{}: is {limit} bytes, more than the limit of {} bytes for one data file", folder.join("bookings.csv").display(), limit - 1));
    std::fs::remove_dir_all(&folder).unwrap();
}

#[cfg(unix)]
#[test]
fn a_data_file_of_unknown_size_stops_at_the_limit() {
    // A device reports a size of 0 and never ends: reading stops one byte past the limit.
    let endless = std::path::Path::new("/dev/zero");
    if !endless.exists() {
        return;
    }
    let shown = limits::with_limits(size_limit(4096), || load_path(endless, &schema())).unwrap_err().to_string();
    assert_eq!(shown, "/dev/zero: has more bytes, more than the limit of 4096 bytes (4.0 KiB) for one data file");
}

// ---- From disk -----------------------------------------------------------------------

/// A fresh folder under the system temp folder (tests write there; the loader never writes).
fn temp_folder(name: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("payplan-data-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

#[test]
fn load_path_reads_a_folder_or_a_json_file() {
    let folder = temp_folder("folder");
    std::fs::write(folder.join("payees.csv"), PAYEES).unwrap();
    std::fs::write(folder.join("booking.csv"), BOOKINGS).unwrap();
    let shown = load_path(&folder, &schema()).unwrap_err().to_string();
    assert_eq!(
        shown,
        format!(
            "{}: is missing; every data set needs payees.csv and bookings.csv (the folder has booking.csv; rename it to bookings.csv)",
            folder.join("bookings.csv").display()
        )
    );
    std::fs::write(folder.join("bookings.csv"), BOOKINGS).unwrap();
    // The look-alike is reported even beside the table's own file.
    assert_eq!(
        load_path(&folder, &schema()).unwrap_err().to_string(),
        format!(
            "{}: is not read: table files are read by their exact names, and booking.csv is not bookings.csv (remove it, or move its rows into bookings.csv)",
            folder.join("booking.csv").display()
        )
    );
    std::fs::remove_file(folder.join("booking.csv")).unwrap();
    assert_eq!(load_path(&folder, &schema()).unwrap().bookings.len(), 2);
    assert_eq!(
        load_path(&folder.join("bookings.csv"), &schema()).unwrap_err().to_string(),
        format!(
            "{}: is one CSV file, not a data set (pass the folder that holds payees.csv, bookings.csv and the other files)",
            folder.join("bookings.csv").display()
        )
    );

    let json = folder.join("data.json");
    std::fs::write(&json, r#"{"payees": [{"id": "alice"}], "bookings": []}"#).unwrap();
    assert_eq!(load_path(&json, &schema()).unwrap().payees.len(), 1);
    let missing = folder.join("nothing-here");
    assert_eq!(load_path(&missing, &schema()).unwrap_err().to_string(), format!("{}: does not exist", missing.display()));
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn unused_period_label_kinds_still_parse() {
    let facts = load_ok(&with("quotas.csv", "payee,quota,period,amount\nalice,q,M12,1\nalice,q,H2,1\nalice,q,Y1,1\nalice,q,Q4,1\n"));
    let labels: Vec<PeriodLabel> = facts.quotas.iter().map(|q| q.period).collect();
    assert_eq!(labels.iter().map(ToString::to_string).collect::<Vec<_>>(), ["M12", "Q4", "H2", "Y1"]);
}

// ---- No panics -----------------------------------------------------------------------

/// Mutates `bytes` at a few pseudo-random places with bytes that matter to the parsers.
fn mutate(bytes: &[u8], state: &mut u64) -> Vec<u8> {
    const INTERESTING: &[u8] = b",\"\n\r\0\xff\xef-.9e%  EUR{}[]:0Q1M13Y";
    let mut next = || {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        usize::try_from(*state >> 33).unwrap()
    };
    let mut out = bytes.to_vec();
    for _ in 0..1 + next() % 4 {
        let at = next() % (out.len() + 1);
        let byte = INTERESTING[next() % INTERESTING.len()];
        match next() % 3 {
            0 => out.insert(at, byte),
            1 if at < out.len() => out[at] = byte,
            _ if at < out.len() => {
                out.remove(at);
            }
            _ => out.push(byte),
        }
    }
    out
}

#[test]
fn mutated_inputs_never_panic() {
    let mut schema = schema();
    schema.booking_fields = vec![("seats".into(), FieldType::Number), ("discount".into(), FieldType::Money)];
    schema.payee_fields = vec![("hired".into(), FieldType::Date), ("remote".into(), FieldType::Bool)];
    schema.needs_quotas = true;
    let tables = [
        ("payees.csv", "id,manager,start_date,end_date,target_incentive,hired,remote\nalice,bob,2027-01-01,,50000,2020-01-01,true\nbob,,,,1 USD,,false\n"),
        (
            "bookings.csv",
            "id,date,amount,currency,owner,cancel_date,seats,discount\nb1,2027-02-01,1000 EUR,,alice,,3,5 EUR\nb2,2027-02-01,\"1,000\",USD,bob,2027-03-01,,\n",
        ),
        ("splits.csv", "booking,payee,share\nb1,alice,60%\nb1,bob,0.4\n"),
        ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q1,100\nbob,bookings,M12,1\n"),
        ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.1\n"),
        ("accounts.csv", "account,payee,from,to\nacme,alice,2027-01-01,2027-06-30\nacme,bob,2027-07-01,\n"),
    ];
    let json = r#"{"payees": [{"id": "alice", "hired": "2020-01-01", "remote": true}, {"id": "bob", "manager": "alice"}],
        "bookings": [{"id": "b1", "date": "2027-02-01", "amount": 1000.5, "currency": "EUR", "owner": "alice", "seats": 3, "discount": "5 EUR"}],
        "quotas": [{"payee": "alice", "quota": "q", "period": "Q1", "amount": 1}], "fx": [{"currency": "EUR", "date": "2027-01-01", "rate": 1.1}]}"#;
    let mut state = 7;
    for round in 0..3000 {
        let files = with_one_mutated(&tables, round, &mut state);
        let _ = load_csv_files(&files, &schema);
        let mutated = mutate(json.as_bytes(), &mut state);
        let _ = load_json_str("data.json", &String::from_utf8_lossy(&mutated), &schema);
    }
}

// ---- Quoting, quick paths and the benchmark set ---------------------------------------

#[test]
fn quoted_cells_load_like_plain_ones_with_physical_lines() {
    // Every cell quoted, some holding commas, doubled quotes and line breaks.
    let quoted_payees = "\"id\",\"name\",\"role\",\"manager\"\r\n\
        \"alice\",\"Archer, Alice \"\"Al\"\"\nof Accounts\",\"AE\",\"\"\r\n\
        \"bob\",\"Bob\",\"AE\",\"alice\"\r\n\
        carol,\"Carol\r\nCooper\",SE,\"bob\"\n";
    let plain_payees = "id,name,role,manager\nalice,Alice,AE,\nbob,Bob,AE,alice\ncarol,Carol,SE,bob\n";
    let quoted_bookings = "id,date,amount,currency,owner,status\n\
        \"b1\",\"2027-02-01\",\"1000\",\"USD\",\"alice\",\"won, finally\"\n\
        b2,2027-03-01,2000,USD,\"bob\",\"won\"\n";
    let plain_bookings = "id,date,amount,currency,owner,status\nb1,2027-02-01,1000,USD,alice,won\nb2,2027-03-01,2000,USD,bob,won\n";
    let quoted = load_ok(&[("payees.csv", quoted_payees), ("bookings.csv", quoted_bookings)]);
    let plain = load_ok(&[("payees.csv", plain_payees), ("bookings.csv", plain_bookings)]);

    let names: Vec<Option<&str>> = quoted.payees.iter().map(|p| p.name.as_deref()).collect();
    assert_eq!(names, [Some("Archer, Alice \"Al\"\nof Accounts"), Some("Bob"), Some("Carol\r\nCooper")]);
    assert_eq!(quoted.bookings[0].status.as_deref(), Some("won, finally"));
    // Physical lines: alice's record spans lines 2-3, carol's 5-6.
    let lines: Vec<u32> = quoted.payees.iter().map(|p| p.origin.line).collect();
    assert_eq!(lines, [2, 4, 5]);
    let booking_lines: Vec<u32> = quoted.bookings.iter().map(|b| b.origin.line).collect();
    assert_eq!(booking_lines, [2, 3]);

    // Apart from the cells that need quotes (and the lines they span), the same facts.
    let mut same = quoted.clone();
    for (row, plain_row) in same.payees.iter_mut().zip(&plain.payees) {
        row.name.clone_from(&plain_row.name);
        row.origin = plain_row.origin.clone();
    }
    same.bookings[0].status.clone_from(&plain.bookings[0].status);
    assert_eq!(same, plain);

    // An error after a multi-line cell names its physical line.
    let lines = errors(&[
        ("payees.csv", quoted_payees),
        ("bookings.csv", "id,date,amount,owner\n\"b1\",2027-02-01,1000,\"alice\"\n\"b2\",2027-02-30,\"1\n000\",bob\nb3,2027-01-01,5,\"dave\"\n"),
    ]);
    assert_eq!(
        lines,
        [
            "bookings.csv:3: column date: \"2027-02-30\" is not a calendar date (2027-02 has 28 days)",
            "bookings.csv:3: column amount: \"1\\n000\" is not a number",
            "bookings.csv:5: column owner: \"dave\" is not a payee id in payees.csv",
        ]
    );
}

/// Loads `files` (and the JSON text) twice, with and without the quick paths, and
/// checks that both give the very same result, facts or errors.
fn same_without_quick_paths(files: &[(String, Vec<u8>)], json: &str, schema: &Schema) {
    let quick = load_csv_files(files, schema);
    let general = without_quick_paths(|| load_csv_files(files, schema));
    assert_eq!(quick, general, "{files:?}");
    let quick = load_json_str("data.json", json, schema);
    let general = without_quick_paths(|| load_json_str("data.json", json, schema));
    assert_eq!(quick, general, "{json}");
}

#[test]
fn quick_paths_give_what_the_general_paths_give() {
    let mut schema = schema();
    schema.booking_fields = vec![
        ("product".into(), FieldType::Text),
        ("seats".into(), FieldType::Number),
        ("list_price".into(), FieldType::Money),
        ("signed".into(), FieldType::Date),
        ("renewal".into(), FieldType::Bool),
        ("status".into(), FieldType::Text),
    ];
    schema.payee_fields = vec![("region".into(), FieldType::Text)];
    schema.needs_quotas = true;
    let tables = [
        (
            "payees.csv",
            "id,name,manager,target_incentive,region\nalice,\"Archer, Alice\",,50000,EMEA\nbob,Bob,alice,1 USD,\ncarol,Carol,bob,,a-region-with-a-long-name\n",
        ),
        (
            "bookings.csv",
            "id,date,amount,currency,owner,status,cancel_date,account,product,seats,list_price,signed,renewal\n\
            b1,2027-02-01,1000,EUR,alice,won,,acme,Security,3,5,2027-01-01,true\n\
            b2,2027-02-01,1000 EUR,,bob,pending,2027-03-01,acme,Security,,5 EUR,,false\n\
            b3,2027-03-01,-0,USD,carol,won,,globex,A product with a long name,007,,,\n\
            b4,2027-04-01,123456789012345678,USD,alice,,,,\"Compute, large\",1.5,0.50,2028-02-29,\n\
            b5,2027-05-01,1234567890123456789.25,,bob,won,,acme,,,,,\n",
        ),
        (
            "splits.csv",
            "booking,payee,share\nb1,alice,60%\nb1,bob,0.4\nb2,carol,100%\nb4,alice,33.3333333333333333333333333%\nb4,bob,66.6666666666666666666666667%\n",
        ),
        ("quotas.csv", "payee,quota,period,amount\nalice,bookings,Q1,100\nbob,bookings,M12,1\n"),
        ("fx.csv", "currency,date,rate\nEUR,2027-01-01,1.1\nUSD,2027-01-01,1\n"),
        ("accounts.csv", "account,payee,from,to\nacme,alice,2027-01-01,2027-06-30\nacme,bob,2027-07-01,\n"),
    ];
    let json = r#"{"payees": [{"id": "alice", "region": "EMEA"}, {"id": "bob", "manager": "alice"}, {"id": "carol"}],
        "bookings": [{"id": "b1", "date": "2027-02-01", "amount": 1000.5, "currency": "EUR", "owner": "alice", "seats": 3, "list_price": "5 EUR", "product": "Security"},
                     {"id": "b2", "date": "2027-02-01", "amount": "1000", "owner": "bob", "status": "won", "renewal": true}],
        "splits": [{"booking": "b1", "payee": "alice", "share": "60%"}, {"booking": "b1", "payee": "bob", "share": 0.4}],
        "quotas": [{"payee": "alice", "quota": "q", "period": "Q1", "amount": 1}], "fx": [{"currency": "EUR", "date": "2027-01-01", "rate": 1.1}]}"#;
    let files: Vec<(String, Vec<u8>)> = tables.iter().map(|(name, text)| (name.to_string(), text.as_bytes().to_vec())).collect();
    assert!(load_csv_files(&files, &schema).is_ok());
    same_without_quick_paths(&files, json, &schema);
    let mut state = 11;
    for round in 0..3000 {
        let files = with_one_mutated(&tables, round, &mut state);
        let mutated = String::from_utf8_lossy(&mutate(json.as_bytes(), &mut state)).into_owned();
        same_without_quick_paths(&files, &mutated, &schema);
    }
}

/// The benchmark's generator, beside the repository or at /work/shared.
fn gen_data_script() -> Option<std::path::PathBuf> {
    let beside_repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen_data.py");
    [beside_repo, "/work/shared/bench/gen_data.py".into()].into_iter().find(|path| path.is_file())
}

#[test]
fn the_small_benchmark_set_loads_the_same_by_every_path() {
    let Some(script) = gen_data_script() else {
        eprintln!("note: shared/bench/gen_data.py not found; the benchmark set is not checked");
        return;
    };
    let folder = temp_folder("bench");
    let generated = std::process::Command::new("python3").arg(&script).args(["--payees", "500", "--bookings", "20000", "--out"]).arg(&folder).output();
    if !generated.as_ref().is_ok_and(|output| output.status.success()) {
        eprintln!("note: python3 could not run {}; the benchmark set is not checked", script.display());
        return;
    }
    // The schema of shared/bench/reference.plan.
    let schema = Schema { booking_fields: vec![("product".to_string(), FieldType::Text)], needs_quotas: true, ..schema() };
    let facts = load_path(&folder, &schema).unwrap();
    assert_eq!((facts.payees.len(), facts.bookings.len()), (500, 20000));
    assert!(facts.splits.len() > 1000 && facts.quotas.len() > 100 && facts.accounts.len() > 100);
    // Quoted names (`"Kai Novak, Jr."`) are in there.
    assert!(facts.payees.iter().any(|p| p.name.as_deref().is_some_and(|n| n.contains(','))));

    // The general paths (no quick reading of plain records and rows) give the same facts.
    let general = without_quick_paths(|| load_path(&folder, &schema)).unwrap();
    assert!(facts == general, "the quick and general paths differ");

    // So do the same rows in another order (up to where each row was).
    let names = ["payees.csv", "bookings.csv", "splits.csv", "quotas.csv", "fx.csv", "accounts.csv"];
    let shuffled: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(folder.join(name)).unwrap();
            (name.to_string(), shuffled_lines(&text, 7).into_bytes())
        })
        .collect();
    let reordered = load_csv_files(&shuffled, &schema).unwrap();
    assert!(without_origins(reordered) == without_origins(facts.clone()));

    // And a damaged copy fails the same way by both paths.
    let mut damaged = shuffled.clone();
    let bookings = String::from_utf8(damaged[1].1.clone()).unwrap();
    let mut lines: Vec<&str> = bookings.lines().collect();
    let copy = lines[10];
    lines.insert(500, copy);
    lines[20] = "B9999999,2027-02-30,12,000,P00001,won,,,Security";
    damaged[1].1 = (lines.join("\n") + "\n").into_bytes();
    let quick = load_csv_files(&damaged, &schema).unwrap_err();
    let general = without_quick_paths(|| load_csv_files(&damaged, &schema)).unwrap_err();
    assert_eq!(quick, general);
    assert!(quick.0.len() >= 2, "{quick}");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A bookings file large enough to be read in parts on several threads (when the
/// `parallel` feature is on) gives the very facts and errors, in the same order, as
/// the general paths reading it from the start on one thread: rows, line numbers
/// (across `\r\n` and lone `\r` line ends), errors and out-of-order ids at any seam.
#[test]
fn a_large_file_read_in_parts_gives_what_one_reading_gives() {
    let payees: String = std::iter::once("id,name,role\n".to_string()).chain((0..200).map(|p| format!("p{p:03},Payee {p},AE\n"))).collect();
    let rows = 90_000;
    let mut bookings = String::from("id,date,amount,currency,owner,status,cancel_date,account\r\n");
    for i in 0..rows {
        // Mostly ascending ids, with a descending stretch (sorting needed).
        let id = if (40_000..40_100).contains(&i) { 140_000 - i } else { i };
        let line_end = match i % 7 {
            0 => "\r\n",
            3 if i == 30_003 => "\r",
            _ => "\n",
        };
        let row = match i {
            10_000 => format!("b{id:06},2027-02-30,100.00,USD,p001,won,,acc1{line_end}"),
            30_004 => format!("b{id:06},2027-02-01,12,5,USD,p002,won,,acc1{line_end}"),
            50_000 => format!("b{id:06},2027-03-01,100.00,USD,nobody,won,,acc1{line_end}"),
            89_999 => format!("b{id:06},2027-03-01,1.234,56,USD,p003,won,,acc1{line_end}"),
            _ => format!("b{id:06},2027-{:02}-{:02},{}.{:02},USD,p{:03},won,,acc{}{line_end}", 1 + i % 12, 1 + i % 28, i % 50_000, i % 100, i % 200, i % 37),
        };
        bookings.push_str(&row);
    }
    assert!(bookings.len() > 4 << 20, "large enough to be cut into parts");
    let files = |bookings: &str| vec![("payees.csv".to_string(), payees.as_bytes().to_vec()), ("bookings.csv".to_string(), bookings.as_bytes().to_vec())];
    let with_errors = files(&bookings);
    let parts = load_csv_files(&with_errors, &schema());
    let one_reading = without_quick_paths(|| load_csv_files(&with_errors, &schema()));
    assert_eq!(parts, one_reading);
    let shown: Vec<String> = parts.as_ref().err().map(|e| e.0.iter().map(ToString::to_string).collect()).unwrap_or_default();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(shown.iter().any(|e| e.contains(":10002") && e.contains("2027-02-30")), "{shown:?}");
    assert!(shown.iter().any(|e| e.contains(":30006")), "a lone \\r ends a line: {shown:?}");

    // Without the bad rows: the same facts.
    let clean: String = bookings
        .split_inclusive('\n')
        .filter(|line| !line.contains("2027-02-30") && !line.contains(",12,5,") && !line.contains("nobody") && !line.contains("1.234,56"))
        .collect();
    let clean = files(&clean);
    let facts = load_csv_files(&clean, &schema());
    assert!(facts.is_ok(), "{:?}", facts.as_ref().err());
    assert_eq!(facts, without_quick_paths(|| load_csv_files(&clean, &schema())));

    // A quote RFC 4180 does not allow, deep in a large file that otherwise has none
    // (read in parts when it has no quote at all): found however the file is read.
    let mut lines: Vec<&str> = bookings.split_inclusive('\n').collect();
    // (Before the lone `\r` of row 30,003, so that element 20,001 is line 20,002.)
    lines[20_001] = "b020000,2027-03-01,100.00,USD,p004,w\"on,,acc1\n";
    let with_quote = files(&lines.concat());
    let parts = load_csv_files(&with_quote, &schema());
    assert_eq!(parts, without_quick_paths(|| load_csv_files(&with_quote, &schema())));
    let shown = parts.unwrap_err().to_string();
    assert!(shown.contains(":20002: column status: \"w\\\"on\" has a quote in a cell that is not quoted"), "{shown}");
}

/// The tables as files, the one at `round` (in turn) mutated.
fn with_one_mutated(tables: &[(&str, &str)], round: usize, state: &mut u64) -> Vec<(String, Vec<u8>)> {
    tables
        .iter()
        .enumerate()
        .map(|(i, (name, text))| {
            let bytes = if round % tables.len() == i { mutate(text.as_bytes(), state) } else { text.as_bytes().to_vec() };
            (name.to_string(), bytes)
        })
        .collect()
}

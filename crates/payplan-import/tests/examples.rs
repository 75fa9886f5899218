//! The three runnable examples of `plans/examples/` on the public data sets in
//! `../shared/data` (read in place, never copied): each imports with its mapping,
//! every row read is accounted for (mapped, skipped or rejected), the tables load with
//! the strict loader, the plan checks without a diagnostic, and its run is pinned by an
//! insta snapshot (CSV), as is the import summary.
//!
//! When `../shared/data` (beside the repository) is absent the tests say so on stderr
//! and pass: `skipped: ../shared/data is absent`.
//!
//! Update the snapshots after an intended change with
//! `INSTA_UPDATE=always cargo test -p payplan-import --test examples` and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_import::{import, locate_inputs, read_inputs, write_tables, Import, Mapping};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The repository root (this crate is `crates/payplan-import`).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` beside the repository, when it is there.
fn shared_data() -> Option<PathBuf> {
    let data = repository().join("../shared/data");
    if data.is_dir() {
        Some(data)
    } else {
        // Past the test harness's capture, so the skip shows in every test run.
        let _ = writeln!(std::io::stderr(), "skipped: ../shared/data is absent (the import examples need the public data sets beside the repository)");
        None
    }
}

/// Imports one example: its mapping on its data set's folder.
fn import_example(example: &str, data_set: &Path) -> Import {
    let mapping_path = repository().join(format!("plans/examples/{example}/import.toml"));
    let mapping = Mapping::parse(&std::fs::read_to_string(&mapping_path).unwrap()).unwrap_or_else(|e| panic!("{example}: {e:?}"));
    let paths = locate_inputs(&mapping, &[data_set.to_path_buf()]).unwrap_or_else(|e| panic!("{example}: {e:?}"));
    let files = read_inputs(&paths).unwrap();
    import(&mapping, &files).unwrap_or_else(|e| panic!("{example}: {e:?}"))
}

/// Every data row of every source ends mapped, skipped or rejected, and the counts
/// per reason add up.
fn assert_every_row_accounted_for(example: &str, imported: &Import) {
    for table in &imported.report.tables {
        for source in &table.sources {
            assert_eq!(source.read, source.mapped + source.skipped + source.rejected, "{example}: {} {}", table.file, source.name);
            assert_eq!(source.skipped, source.skipped_by_reason.iter().map(|c| c.rows).sum::<usize>());
            assert_eq!(source.rejected, source.rejected_by_reason.iter().map(|c| c.rows).sum::<usize>());
            assert_eq!(source.rejected, source.rejections.len());
            let file = imported.report.files.iter().find(|f| f.file == source.file).unwrap();
            assert_eq!(source.read + file.malformed.len(), file.rows, "{example}: a source reads every well-formed row of its file");
        }
        let written: usize = table.sources.iter().map(|s| s.written).sum();
        assert_eq!(written, table.rows);
    }
}

/// Writes the tables, checks the plan, loads the tables with the strict loader for
/// it, evaluates and renders the run as CSV.
fn run_example(example: &str, imported: &Import) -> String {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("import-example-{example}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    write_tables(&out, &imported.tables, false).unwrap();
    let plan_path = repository().join(format!("plans/examples/{example}/{example}.plan"));
    let source = std::fs::read_to_string(&plan_path).unwrap();
    let checked = payplan_check::check_source(&source);
    assert!(checked.diagnostics.is_empty(), "{example}.plan has diagnostics: {:?}", checked.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>());
    let plan = checked.plan.unwrap();
    let schema = payplan_facts::Schema {
        currency: plan.currency,
        term_start: plan.term_start,
        term_end: plan.term_end,
        booking_fields: plan.booking_fields.clone(),
        payee_fields: plan.payee_fields.clone(),
        needs_quotas: plan.reads_quotas,
        needs_metrics: plan.reads_metrics,
    };
    let facts = payplan_data::load_path(&out, &schema)
        .unwrap_or_else(|e| panic!("{example}: the imported tables do not load: {:?}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>()));
    let outcome = payplan_eval::evaluate(&plan, &facts).unwrap_or_else(|e| panic!("{example}: {e}"));
    let _ = std::fs::remove_dir_all(&out);
    payplan_output::render(payplan_output::Format::Csv, &plan, &outcome, None)
}

fn example(example: &str, data_set: &str) -> Option<(Import, String)> {
    let data = shared_data()?;
    let imported = import_example(example, &data.join(data_set));
    assert_every_row_accounted_for(example, &imported);
    let csv = run_example(example, &imported);
    assert!(csv.starts_with("payee,period,line,amount,currency\n"));
    Some((imported, csv))
}

#[test]
fn maven_crm() {
    let Some((imported, csv)) = example("maven-crm", "maven_crm") else { return };
    let report = &imported.report;
    // The `GTXPro` spelling is corrected where the file is read, every cell counted.
    let pipeline = &report.files[0];
    assert_eq!((pipeline.replacements[0].from.as_str(), pipeline.replacements[0].cells), ("GTXPro", 1480));
    // 35 agents and their 6 managers; 4,238 won and 2,473 lost deals; 2,089 open ones skipped.
    assert_eq!(report.tables[0].rows, 41);
    let opportunities = &report.tables[1].sources[0];
    assert_eq!((opportunities.read, opportunities.mapped, opportunities.skipped, opportunities.rejected), (8800, 6711, 2089, 0));
    insta::assert_snapshot!("maven_crm_import", report.render_text());
    insta::assert_snapshot!("maven_crm_run", csv);
}

#[test]
fn superstore() {
    let Some((imported, csv)) = example("superstore", "superstore") else { return };
    let report = &imported.report;
    assert_eq!(report.files[0].encoding, payplan_import::Encoding::Cp437);
    let orders = &report.tables[1].sources[0];
    // 9,994 order lines make 5,009 bookings, one per order.
    assert_eq!((orders.read, orders.mapped, orders.written), (9994, 9994, 5009));
    // Returns.csv lists 296 orders in 800 rows, one per line item.
    let returns = &report.files[2].lookups[0];
    assert_eq!((returns.keys, returns.repeated_rows, returns.keys_matched), (296, 504, 296));
    let bookings = &imported.tables[1];
    let cancel = bookings.columns.iter().position(|c| c == "cancel_date").unwrap();
    assert_eq!(bookings.rows.iter().filter(|r| !r[cancel].is_empty()).count(), 296);
    // CP437 decoded: no replacement character anywhere.
    assert!(imported.tables.iter().all(|t| t.rows.iter().flatten().all(|cell| !cell.contains('\u{fffd}'))));
    insta::assert_snapshot!("superstore_import", report.render_text());
    insta::assert_snapshot!("superstore_run", csv);
}

#[test]
fn classicmodels() {
    let Some((imported, csv)) = example("classicmodels", "classicmodels") else { return };
    let report = &imported.report;
    assert_eq!(report.tables[0].rows, 23);
    assert_eq!(report.tables[1].rows, 273);
    // The EMEA manager's misspelt title is normalised like the others.
    let payees = &imported.tables[0];
    let role = payees.columns.iter().position(|c| c == "role").unwrap();
    assert_eq!(payees.rows.iter().filter(|r| r[role] == "Sales Manager").count(), 3);
    // Stray spaces are trimmed (`Norway  `).
    let bookings = &imported.tables[1];
    let country = bookings.columns.iter().position(|c| c == "country").unwrap();
    assert!(bookings.rows.iter().any(|r| r[country] == "Norway"));
    assert!(bookings.rows.iter().all(|r| r[country].trim() == r[country]));
    insta::assert_snapshot!("classicmodels_import", report.render_text());
    insta::assert_snapshot!("classicmodels_run", csv);
}

/// Without its `replace` table, the Maven mapping rejects every `GTXPro` opportunity,
/// each named with its line: the product mismatch is never papered over silently.
#[test]
fn maven_crm_without_the_product_correction_rejects_every_gtxpro_row() {
    let Some(data) = shared_data() else { return };
    let text = std::fs::read_to_string(repository().join("plans/examples/maven-crm/import.toml")).unwrap();
    let without = text.replace("[files.pipeline.replace.product]\n\"GTXPro\" = \"GTX Pro\"\n", "");
    assert_ne!(without, text, "the mapping's replace table moved: update this test");
    let mapping = Mapping::parse(&without).unwrap();
    let paths = locate_inputs(&mapping, &[data.join("maven_crm")]).unwrap();
    let imported = import(&mapping, &read_inputs(&paths).unwrap()).unwrap();
    let opportunities = &imported.report.tables[1].sources[0];
    // Open GTXPro opportunities are skipped before the lookup: only closed ones are rejected.
    assert_eq!(opportunities.rejected, opportunities.rejected_by_reason[0].rows);
    assert_eq!(opportunities.rejected_by_reason[0].reason, "join `catalog`: no row of products.csv matches `product`");
    assert_eq!(opportunities.mapped + opportunities.rejected, 6711);
    let first = &opportunities.rejections[0];
    assert_eq!((first.file.as_str(), first.line), ("sales_pipeline.csv", 3));
    assert_eq!(first.detail, "join `catalog`: no row of products.csv has product `GTXPro`");
}

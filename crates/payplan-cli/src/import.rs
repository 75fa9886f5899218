//! `payplan import`: real CRM exports into data.md's tables by a declarative mapping
//! (docs/import.md). The work is `payplan-import`'s; this shell reads the mapping,
//! finds the inputs, writes the tables and prints the report: text on stderr, or
//! JSON on stdout with `--format json`.

use crate::common::Inputs;
use crate::report::Reporter;
use payplan_import::{import as run_import, locate_inputs, read_inputs, write_tables, ImportError, Mapping, Table, WriteError};
use std::path::{Path, PathBuf};

/// How the import report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A summary for people, on stderr.
    Text,
    /// One JSON document on stdout: every count and every rejected row.
    Json,
}

/// What the command line asked for.
pub struct ImportArgs<'a> {
    /// The mapping file.
    pub map: &'a Path,
    /// Export files, or folders holding them.
    pub inputs: &'a [PathBuf],
    /// The folder to write the tables to.
    pub out: &'a Path,
    /// Replace the tables of a folder that is not empty.
    pub force: bool,
    /// Write nothing, and fail, when any row is rejected.
    pub strict: bool,
    /// How the report is printed.
    pub format: ReportFormat,
}

/// Runs an import; `false` after reporting why it wrote nothing (or, with `--strict`,
/// why it refused to).
pub fn import(reporter: &mut Reporter, args: &ImportArgs<'_>) -> bool {
    let map_shown = args.map.display().to_string();
    if !args.force {
        if let Some(entries) = entries_of(args.out) {
            if !entries.is_empty() {
                reporter.usage_errors += 1;
                let message = format!("the output folder `{}` is not empty (it holds {})", args.out.display(), entries.join(", "));
                reporter.plain(
                    &args.out.display().to_string(),
                    "payplan::usage",
                    &message,
                    Some("give a new or empty folder, or add `--force` to replace the tables in it"),
                    None,
                );
                return false;
            }
        }
    }
    let text = match std::fs::read(args.map) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                reporter.plain(&map_shown, "payplan::import", &format!("{map_shown}: the mapping is not UTF-8"), Some("save the mapping file as UTF-8"), None);
                return false;
            }
        },
        Err(e) => {
            reporter.plain(&map_shown, "payplan::io", &format!("cannot read `{map_shown}`: {e}"), None, None);
            return false;
        }
    };
    let mapping = match Mapping::parse(&text) {
        Ok(mapping) => mapping,
        Err(errors) => {
            for error in errors {
                let location = error.line.map_or_else(|| map_shown.clone(), |line| format!("{map_shown}:{line}"));
                reporter.plain(&map_shown, "payplan::import-mapping", &format!("{location}: {}", error.message), error.help.as_deref(), error.line);
            }
            return false;
        }
    };
    let paths = match locate_inputs(&mapping, args.inputs) {
        Ok(paths) => paths,
        Err(errors) => return report_errors(reporter, &errors),
    };
    // The tables written (or removed with `--force`) may not be the mapping or an export.
    let mut read = vec![("the mapping file", args.map)];
    read.extend(paths.iter().map(|path| ("an input file", path.as_path())));
    let inputs = Inputs { files: read, data: None };
    if Table::ALL.iter().any(|table| !inputs.allow(reporter, &args.out.join(table.file_name()), "--out")) {
        return false;
    }
    let files = match read_inputs(&paths) {
        Ok(files) => files,
        Err(errors) => return report_errors(reporter, &errors),
    };
    let imported = match run_import(&mapping, &files) {
        Ok(imported) => imported,
        Err(errors) => return report_errors(reporter, &errors),
    };
    let rejected = imported.report.rejected_rows();
    if args.strict && rejected > 0 {
        print_report(reporter, args, &imported.report, &[], &[]);
        let message = format!("{rejected} row{} rejected, and `--strict` is set: nothing written", if rejected == 1 { " was" } else { "s were" });
        reporter.plain(
            &map_shown,
            "payplan::import-rejected",
            &message,
            Some("fix the export or the mapping, or run without `--strict` to write the rows that map"),
            None,
        );
        return false;
    }
    match write_tables(args.out, &imported.tables, args.force) {
        Ok(written) => print_report(reporter, args, &imported.report, &written.written, &written.removed),
        Err(WriteError::NotEmpty { dir, entries }) => {
            reporter.usage_errors += 1;
            let message = format!("the output folder `{}` is not empty (it holds {})", dir.display(), entries.join(", "));
            reporter.plain(
                &dir.display().to_string(),
                "payplan::usage",
                &message,
                Some("give a new or empty folder, or add `--force` to replace the tables in it"),
                None,
            );
            false
        }
        Err(error @ WriteError::Io { .. }) => {
            reporter.plain(&args.out.display().to_string(), "payplan::io", &error.to_string(), None, None);
            false
        }
    }
}

/// The names in a folder (some of them), or `None` when it does not exist.
fn entries_of(dir: &Path) -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names.truncate(5);
    Some(names)
}

fn report_errors(reporter: &mut Reporter, errors: &[ImportError]) -> bool {
    for error in errors {
        reporter.plain(&error.file, "payplan::import", &error.to_string(), error.help.as_deref(), error.line.map(|l| l as usize));
    }
    false
}

/// Prints the report; false when standard output fails (the tables are written by then).
fn print_report(reporter: &mut Reporter, args: &ImportArgs<'_>, report: &payplan_import::Report, written: &[PathBuf], removed: &[PathBuf]) -> bool {
    match args.format {
        ReportFormat::Text => {
            let mut text = report.render_text();
            for path in removed {
                text.push_str(&format!("removed `{}`: this import does not write it\n", path.display()));
            }
            if written.is_empty() {
                text.push_str("nothing written\n");
            } else {
                text.push_str(&format!("wrote {} file{} to {}\n", written.len(), if written.len() == 1 { "" } else { "s" }, args.out.display()));
            }
            // A closed stderr is no reason to fail an import that wrote its tables.
            crate::report::to_stderr(&text);
            true
        }
        ReportFormat::Json => {
            let mut document = serde_json::json!({
                "out": args.out.display().to_string(),
                "written": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "removed": removed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "rejected_rows": report.rejected_rows(),
            });
            if let (Some(object), Ok(serde_json::Value::Object(fields))) = (document.as_object_mut(), serde_json::to_value(report)) {
                object.extend(fields);
            }
            reporter.println(&serde_json::to_string_pretty(&document).unwrap_or_default())
        }
    }
}

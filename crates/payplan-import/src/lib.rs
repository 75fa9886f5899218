//! `payplan import`: the first mile from a real CRM or ERP export to payplan's data
//! tables (`spec/data.md`). A small declarative mapping (TOML, `docs/import.md`) says
//! which export feeds which table and how each column is made: renames and constants,
//! value maps, number and date formats, encodings, ids derived from names, lookups in
//! other files (joins), rows to skip, rows to merge (one booking per order), and the
//! default currency. The import writes the tables and reports every row it read:
//! mapped, skipped (why) or rejected (file, line, why).
//!
//! The pipeline: [`Mapping::parse`] checks the mapping; [`locate_inputs`] finds its
//! files among the paths given; [`read_inputs`] reads them; [`import()`] decodes,
//! maps and checks, giving the tables and a [`Report`]; [`write_tables`] writes them.
//!
//! # Choices
//! - Encodings are never guessed: the mapping names one per file (UTF-8 by default).
//!   A byte-order mark that contradicts it is an error, as is any byte that does not
//!   decode; both stop the import with the file and line.
//! - Cells are trimmed of surrounding spaces unless the mapping says `trim = false`.
//! - A row with more or fewer cells than its header is rejected (for every use of the
//!   file); a row whose cells are all empty is skipped and counted.
//! - A lookup file may repeat a key on identical rows (they count once, and are
//!   counted); rows that differ under one key make every row looking it up rejected.
//! - Required columns (data.md) must not be empty; ids and other keys must be unique
//!   within a table; owners, managers and other references must name a row written
//!   by this import when the import writes the table they refer to. The first row
//!   with an id wins; later ones are rejected, naming the first.
//! - With `one_row_per`, rows sharing the value are merged: `sum` columns add up, all
//!   others must agree, or the whole group is rejected.
//! - Output rows keep the order of the input files; files are UTF-8 with `\n` ends.

mod encoding;
mod formats;
mod import;
mod mapping;
mod report;
mod write;

pub use encoding::{decode, DecodeError, Encoding};
pub use formats::{parse_date, slug, NumberFormat};
pub use import::{import, Import, ImportError, InputFile, OutputTable};
pub use mapping::{Mapping, MappingError};
pub use payplan_data::catalog::{CellKind, StandardColumn, Table};
pub use report::{ConditionalColumn, Count, FileReport, LookupReport, Rejection, Replacement, Report, SourceReport, TableReport};
pub use write::{write_tables, WriteError, Written};

use std::path::{Path, PathBuf};

/// Finds each file of the mapping among `inputs`: a file given by name (its file name
/// equals the mapping's `path`'s), or a folder holding `path`. Every file must be found
/// exactly once, and every file given by name must be one the mapping reads.
pub fn locate_inputs(mapping: &Mapping, inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<ImportError>> {
    let mut errors = Vec::new();
    for input in inputs {
        if !input.exists() {
            errors.push(ImportError { file: input.display().to_string(), line: None, message: "no such file or folder".to_string(), help: None });
        }
    }
    let file_name = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut found = Vec::new();
    for spec in &mapping.files {
        let wanted = Path::new(&spec.path);
        let wanted_name = file_name(wanted);
        let mut candidates: Vec<PathBuf> = Vec::new();
        for input in inputs {
            if input.is_dir() {
                let inside = input.join(wanted);
                if inside.is_file() {
                    candidates.push(inside);
                }
            } else if input.is_file() && file_name(input) == wanted_name {
                candidates.push(input.clone());
            }
        }
        match candidates.as_slice() {
            [one] => found.push(one.clone()),
            [] => {
                let mut help = "give the file, or the folder that holds it".to_string();
                let lower = spec.path.to_lowercase();
                for input in inputs.iter().filter(|i| i.is_dir()) {
                    let Ok(entries) = std::fs::read_dir(input) else { continue };
                    for entry in entries.filter_map(Result::ok) {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if name.to_lowercase() == lower {
                            help = format!("`{}` has `{name}`: file names must match exactly", input.display());
                        }
                    }
                }
                errors.push(ImportError {
                    file: spec.path.clone(),
                    line: None,
                    message: format!("the mapping reads `{}` (files.{}), which is not among the inputs", spec.path, spec.key),
                    help: Some(help),
                });
            }
            several => errors.push(ImportError {
                file: spec.path.clone(),
                line: None,
                message: format!(
                    "`{}` is found more than once: {}",
                    spec.path,
                    several.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
                ),
                help: Some("give one folder or one file for it".to_string()),
            }),
        }
    }
    for input in inputs.iter().filter(|i| i.is_file()) {
        let name = file_name(input);
        if !mapping.files.iter().any(|f| file_name(Path::new(&f.path)) == name) {
            errors.push(ImportError {
                file: input.display().to_string(),
                line: None,
                message: "the mapping does not read this file".to_string(),
                help: Some(format!("the mapping reads {}", mapping.file_names().iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))),
            });
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// Reads the located files (`locate_inputs`), in the mapping's order.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<InputFile>, Vec<ImportError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read(path) {
            Ok(bytes) => files.push(InputFile { path: path.display().to_string(), bytes }),
            Err(e) => errors.push(ImportError { file: path.display().to_string(), line: None, message: format!("cannot read it: {e}"), help: None }),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

//! Writing the tables into the output folder. An import never mixes its tables with
//! a folder's older content by accident: a folder that is not empty is refused unless
//! the caller forces it, and then data.md's table files that this import does not
//! write are removed, so no stale table is loaded with the new ones.

use crate::import::OutputTable;
use payplan_data::catalog::Table;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why the tables were not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The folder holds files and overwriting was not asked for.
    NotEmpty {
        /// The folder.
        dir: PathBuf,
        /// Some of what it holds, for the message.
        entries: Vec<String>,
    },
    /// Reading the folder or writing a file failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The system's message.
        message: String,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotEmpty { dir, entries } => write!(f, "`{}` is not empty (it holds {})", dir.display(), entries.join(", ")),
            WriteError::Io { path, message } => write!(f, "cannot write `{}`: {message}", path.display()),
        }
    }
}

/// What writing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The files written.
    pub written: Vec<PathBuf>,
    /// Table files of an earlier import that this one does not write, removed (with `force`).
    pub removed: Vec<PathBuf>,
}

/// Writes each table as `TABLE.csv` in `dir`, creating it. A folder that is not empty
/// is refused unless `force`; then the data.md files this import does not write are
/// removed and the others replaced. Other files are left alone.
pub fn write_tables(dir: &Path, tables: &[OutputTable], force: bool) -> Result<Written, WriteError> {
    let io = |path: &Path, error: std::io::Error| WriteError::Io { path: path.to_path_buf(), message: error.to_string() };
    let mut outcome = Written::default();
    if dir.exists() {
        if !dir.is_dir() {
            return Err(WriteError::Io { path: dir.to_path_buf(), message: "it is a file, not a folder".to_string() });
        }
        let mut entries: Vec<String> =
            std::fs::read_dir(dir).map_err(|e| io(dir, e))?.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        entries.sort();
        if !entries.is_empty() && !force {
            entries.truncate(5);
            return Err(WriteError::NotEmpty { dir: dir.to_path_buf(), entries });
        }
        for table in Table::ALL {
            let path = dir.join(table.file_name());
            if path.is_file() && !tables.iter().any(|t| t.table == table) {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                outcome.removed.push(path);
            }
        }
    } else {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    for table in tables {
        let path = dir.join(table.table.file_name());
        std::fs::write(&path, table.to_csv()).map_err(|e| io(&path, e))?;
        outcome.written.push(path);
    }
    Ok(outcome)
}

//! Folders and files for tests that run on copies: fresh scratch folders, copies of
//! the example plans and of data folders, files written from inline text, and a record
//! of every file below a folder (to show a run left its inputs alone).
//!
//! These helpers panic (with the path) when the file system refuses: a test cannot go
//! on without its folder, and the message says where it failed.
#![allow(clippy::expect_used, clippy::panic)]

use crate::workspace_path;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

/// The four example plans of `plans/` (file stems: `plans/{name}.plan`, with their
/// test snapshots `plans/{name}.plan.snap`), run on `plans/data`.
pub const EXAMPLE_PLANS: [&str; 4] = ["enterprise-ae", "se-overlay", "sales-manager", "sdr-partner"];

/// The data set of the example plans, `plans/data`.
pub fn example_data_dir() -> PathBuf {
    workspace_path("plans/data")
}

/// A fresh, empty folder `{parent}/{name}-{process id}-{counter}`, unique within this
/// test process (a leftover of an earlier run with the same name is removed first).
///
/// Integration tests pass `env!("CARGO_TARGET_TMPDIR")` (or [`std::env::temp_dir`]) as
/// `parent`.
pub fn scratch_dir(parent: impl AsRef<Path>, name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = parent.as_ref().join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Copies the folder `from` into `to` (created if needed), subfolders included.
pub fn copy_dir_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir_all(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", entry.path().display(), target.display()));
        }
    }
}

/// Copies `plans/{name}.{extension}` of every [`EXAMPLE_PLANS`] entry into `to`, for
/// each of `extensions` (`&["plan"]`, or `&["plan", "plan.snap"]` with the snapshots).
pub fn copy_example_plans(to: &Path, extensions: &[&str]) {
    for plan in EXAMPLE_PLANS {
        for extension in extensions {
            let file = format!("{plan}.{extension}");
            let from = workspace_path(&format!("plans/{file}"));
            std::fs::copy(&from, to.join(&file)).unwrap_or_else(|e| panic!("cannot copy {} into {}: {e}", from.display(), to.display()));
        }
    }
}

/// Writes `contents` to `dir/relative` (creating the folders on the way, as in
/// `data/payees.csv`) and returns the file's path.
pub fn write_file(dir: &Path, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// One file as [`files_below`] found it.
#[derive(Clone, PartialEq, Eq)]
pub struct FileState {
    /// Where the file is.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its modification time.
    pub modified: SystemTime,
}

/// The path, the size, a digest of the bytes and the modification time: assertion
/// messages stay short.
impl fmt::Debug for FileState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hasher = DefaultHasher::new();
        self.bytes.hash(&mut hasher);
        write!(f, "{} ({} bytes, digest {:016x}, modified {:?})", self.path.display(), self.bytes.len(), hasher.finish(), self.modified)
    }
}

/// Every file below `dir` (subfolders included) with its bytes and its modification
/// time, sorted by path: take it before and after a run to show the run changed,
/// added and removed nothing.
pub fn files_below(dir: &Path) -> Vec<FileState> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let modified =
                    std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("no modification time for {}: {e}", path.display()));
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                out.push(FileState { path, bytes, modified });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

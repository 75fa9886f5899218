//! `payplan fmt [--check] [-w] PLAN_OR_DIR...`: the canonical layout, every comment
//! kept (`payplan_syntax::format`). Without a flag the formatted text goes to stdout;
//! `-w` rewrites the files that change; `--check` writes nothing, lists the files that
//! would change and fails if there is any. A folder stands for every `*.plan` in it,
//! recursively. The formatter re-parses its output and writes nothing if the plan would
//! mean anything else.

use crate::common::read_source;
use crate::report::Reporter;
use std::path::{Path, PathBuf};

/// Every `*.plan` under `dir`, recursively, sorted.
fn plans_under(reporter: &mut Reporter, dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            reporter.plain(&dir.display().to_string(), "payplan::io", &format!("cannot read `{}`: {e}", dir.display()), None, None);
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            plans_under(reporter, &path, out);
        } else if path.extension().is_some_and(|e| e == "plan") {
            out.push(path);
        }
    }
}

/// The files named, with each folder replaced by the `*.plan` files under it.
pub fn plan_files(reporter: &mut Reporter, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            plans_under(reporter, path, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

/// What `payplan fmt` does with the formatted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Print it.
    Print,
    /// Rewrite files that change.
    Write,
    /// List files that would change.
    Check,
}

/// Formats the files; false on any error, or with `Check` when a file would change.
pub fn fmt(reporter: &mut Reporter, paths: &[PathBuf], mode: Mode) -> bool {
    let mut ok = true;
    let mut changed = Vec::new();
    for path in plan_files(reporter, paths) {
        let Some(source) = read_source(reporter, &path) else {
            ok = false;
            continue;
        };
        let formatted = match payplan_syntax::format::format_source(&source.text) {
            Ok(text) => text,
            Err(diagnostics) => {
                for d in &diagnostics {
                    reporter.diagnostic(&source, d);
                }
                ok = false;
                continue;
            }
        };
        let on_disk = std::fs::read(&path).unwrap_or_default();
        let differs = on_disk != formatted.as_bytes();
        match mode {
            Mode::Print => {
                reporter.print(&formatted);
            }
            Mode::Check => {
                if differs {
                    reporter.println(&path.display().to_string());
                    if reporter.is_json() {
                        let at = first_difference(&source.text, &formatted);
                        let d = payplan_syntax::Diagnostic::error(
                            "payplan::fmt",
                            "the file is not formatted",
                            payplan_syntax::Span::new(at, at),
                            "first difference",
                        )
                        .with_help(format!("run `payplan fmt -w {}`", path.display()));
                        reporter.diagnostic(&source, &d);
                    }
                    changed.push(path);
                }
            }
            Mode::Write => {
                if differs {
                    if let Err(e) = std::fs::write(&path, &formatted) {
                        reporter.plain(&source.path, "payplan::io", &format!("cannot write `{}`: {e}", path.display()), None, None);
                        ok = false;
                        continue;
                    }
                    reporter.println(&format!("formatted {}", path.display()));
                }
            }
        }
    }
    if mode == Mode::Check && !changed.is_empty() {
        if reporter.is_json() {
            return false;
        }
        let files = if changed.len() == 1 { "file is" } else { "files are" };
        crate::report::to_stderr(&format!(
            "{} {files} not formatted: run `payplan fmt -w` on {}\n",
            changed.len(),
            if changed.len() == 1 { "it" } else { "them" }
        ));
        return false;
    }
    ok
}

/// The start of the first line where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> usize {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    a.get(..common).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1)
}

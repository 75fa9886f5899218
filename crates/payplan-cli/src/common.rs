//! What every command shares: reading plan files, checking, loading data, writing
//! results, reporting evaluation errors.

use crate::report::{Reporter, SourceFile};
use payplan_facts::Facts;
use payplan_ir::Plan;
use std::path::{Path, PathBuf};

/// Reports a usage error (exit status 2).
pub fn usage(reporter: &mut Reporter, message: &str) -> bool {
    reporter.usage_errors += 1;
    reporter.plain("", "payplan::usage", message, None, None);
    false
}

/// Reads a plan file as UTF-8.
pub fn read_source(reporter: &mut Reporter, path: &Path) -> Option<SourceFile> {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(SourceFile { path: shown, text: text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text) }),
            Err(e) => {
                let line = e.as_bytes().get(..e.utf8_error().valid_up_to()).map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
                reporter.plain(&shown, "payplan::encoding", &format!("{shown}:{line}: the plan is not UTF-8"), Some("save the plan file as UTF-8"), Some(line));
                None
            }
        },
        Err(e) => {
            reporter.plain(&shown, "payplan::io", &format!("cannot read `{shown}`: {e}"), None, None);
            None
        }
    }
}

/// Parses and checks one plan file, printing its diagnostics.
pub fn check_file(reporter: &mut Reporter, path: &Path) -> Option<(SourceFile, Plan)> {
    let source = read_source(reporter, path)?;
    let checked = payplan_check::check_source(&source.text);
    for diagnostic in &checked.diagnostics {
        reporter.diagnostic(&source, diagnostic);
    }
    let plan = checked.plan?;
    Some((source, plan))
}

/// A checked plan and its facts, or `None` after reporting why not.
pub fn load(reporter: &mut Reporter, plan_path: &Path, data: &Path, period: Option<&str>) -> Option<(SourceFile, Plan, Facts)> {
    let (source, plan) = check_file(reporter, plan_path)?;
    if let Some(label) = period {
        if !plan.periods.iter().any(|p| p.label.to_string() == label) {
            let known: Vec<String> = plan.periods.iter().map(|p| p.label.to_string()).collect();
            reporter.usage_errors += 1;
            reporter.plain(
                &source.path,
                "payplan::usage",
                &format!("the plan has no period `{label}`"),
                Some(&format!("periods are {}", known.join(", "))),
                None,
            );
            return None;
        }
    }
    match payplan_data::load_path(data, &plan.schema()) {
        Ok(facts) => Some((source, plan, facts)),
        Err(errors) => {
            let mut texts = std::collections::BTreeMap::new();
            for e in &errors.0 {
                reporter.data_error(e, &mut texts);
            }
            None
        }
    }
}

/// Writes results to a file, or stdout (through [`Reporter::print`]).
pub fn emit(reporter: &mut Reporter, text: &str, output: Option<&Path>) -> bool {
    match output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                reporter.plain(&path.display().to_string(), "payplan::io", &format!("cannot write `{}`: {e}", path.display()), None, None);
                return false;
            }
            true
        }
        None => reporter.print(text),
    }
}

/// `-o FILE` as given: `-o -` means standard output (`None`), as for most tools.
pub fn output_file(output: Option<PathBuf>) -> Option<PathBuf> {
    output.filter(|path| path.as_os_str() != "-")
}

/// What a command reads, which none of its outputs may be (data.md: "The engine never
/// changes its inputs: a run reads facts and writes results elsewhere").
pub struct Inputs<'a> {
    /// Files read, each with what it is to the command (`the plan file`).
    pub files: Vec<(&'static str, &'a Path)>,
    /// The `--data` folder or JSON file.
    pub data: Option<&'a Path>,
}

impl<'a> Inputs<'a> {
    /// A plan file and its data.
    pub fn plan_and_data(plan: &'a Path, data: &'a Path) -> Inputs<'a> {
        Inputs { files: vec![("the plan file", plan)], data: Some(data) }
    }

    /// Reports and returns false when writing `output` (given with `flag`) would
    /// overwrite an input: a file read, the data file, the data folder, a file in it, or
    /// a new file there named as one of its tables. Checked before anything is
    /// computed or written. Paths are compared resolved (links followed, relative parts
    /// gone; an output that does not exist yet is resolved through the nearest folder
    /// above it that does), and an existing output also by file identity (hard links).
    pub fn allow(&self, reporter: &mut Reporter, output: &Path, flag: &str) -> bool {
        match self.clash(output) {
            None => true,
            Some(what) => {
                let shown = output.display().to_string();
                reporter.plain(
                    &shown,
                    "payplan::output-is-input",
                    &format!("the output `{shown}` {what}"),
                    Some(&format!("payplan never changes its inputs: give `{flag}` a path outside them")),
                    None,
                );
                false
            }
        }
    }

    /// What `output` is among the inputs, as the end of a sentence, if anything.
    fn clash(&self, output: &Path) -> Option<String> {
        let resolved = resolve(output)?;
        for (role, file) in &self.files {
            if resolve(file).is_some_and(|f| f == resolved) || same_file(output, file) {
                return Some(format!("is {role} `{}`", file.display()));
            }
        }
        let data = self.data?;
        let data_resolved = resolve(data)?;
        if data.is_dir() {
            if resolved == data_resolved {
                return Some(format!("is the data folder `{}`", data.display()));
            }
            // A file of the data folder may be read: an existing one, or a new one named
            // as a table (`Payees.csv` or `payee.csv` too: the loader refuses those).
            // Other new files there are no input (`--data . -o results.csv`).
            let a_table = resolved.file_name().is_some_and(|n| payplan_data::catalog::Table::named_like(&n.to_string_lossy()).is_some());
            if resolved.starts_with(&data_resolved) && (output.exists() || (a_table && resolved.parent() == Some(data_resolved.as_path()))) {
                return Some(format!("is inside the data folder `{}`", data.display()));
            }
            let entries = std::fs::read_dir(data).map(|entries| entries.flatten().map(|e| e.path()).collect::<Vec<_>>()).unwrap_or_default();
            if let Some(linked) = entries.iter().find(|entry| same_file(output, entry)) {
                return Some(format!("is the data file `{}` (a link to it)", linked.display()));
            }
        } else if resolved == data_resolved || same_file(output, data) {
            return Some(format!("is the data file `{}`", data.display()));
        }
        None
    }
}

/// `path` made absolute with every link and `.`/`..` resolved; for a path that does not
/// exist yet, the nearest folder above it that does, resolved, with the rest appended.
/// `None` when even that fails (then nothing can be written there either).
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(resolved) = path.canonicalize() {
        return Some(resolved);
    }
    let mut rest = Vec::new();
    let mut current = path;
    loop {
        rest.push(current.file_name()?);
        let parent = current.parent()?;
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        if let Ok(mut resolved) = parent.canonicalize() {
            resolved.extend(rest.iter().rev());
            return Some(resolved);
        }
        current = parent;
    }
}

/// Whether two existing paths are one file (the same device and inode: a hard link
/// too). Always false elsewhere than on Unix, where [`resolve`] alone decides.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.is_file() && x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Reports an evaluation error, pointing at the plan expression when it has one.
pub fn report_eval_error(reporter: &mut Reporter, source: &SourceFile, error: &payplan_eval::EvalError) {
    let message = format!("{}{}", error.message, error.context());
    match error.span {
        Some(span) => {
            let mut d = payplan_syntax::Diagnostic::error("payplan::eval", message, span, "while evaluating this");
            d.help = error.help.clone();
            reporter.diagnostic(source, &d);
        }
        None => reporter.plain(&source.path, "payplan::eval", &message, error.help.as_deref(), None),
    }
}

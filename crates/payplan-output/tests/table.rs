//! The terminal table of `payplan run` (cli.md, "`table`"): columns aligned by display
//! width (wide CJK characters, combining marks), and with `--period` the balance owed
//! at the end of that period and the unpaid credit dated in it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_output::{balance_after, display_width, table};

/// A checked plan and its outcome on CSV files given as text.
fn run(plan: &str, files: &[(&str, &str)]) -> (payplan_ir::Plan, payplan_eval::Outcome, Vec<payplan_eval::trace::PayeeTrace>) {
    let checked = payplan_check::check_source(plan);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let plan = checked.plan.unwrap();
    let files: Vec<(String, Vec<u8>)> = files.iter().map(|(name, text)| ((*name).to_string(), text.as_bytes().to_vec())).collect();
    let facts = payplan_data::load_csv_files(&files, &plan.schema()).unwrap();
    let (outcome, traces) = payplan_eval::explain_all(&plan, &facts).unwrap();
    (plan, outcome, traces)
}

const FLAT: &str = r#"plan "Flat" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    eligible payee.role == "AE"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
}
"#;

/// The lines of the table itself: from the header to the `all payees` row.
fn grid(text: &str) -> Vec<&str> {
    text.lines().skip(2).take_while(|l| !l.is_empty()).collect()
}

#[test]
fn wide_and_combining_characters_keep_the_columns_aligned() {
    let nfd = "e\u{301}lodie";
    let payees = format!("id,role\n田中太郎,AE\n{nfd},AE\nbob,AE\n");
    let bookings = format!("id,date,amount,owner\nb1,2027-01-10,1234567,田中太郎\nb2,2027-01-10,1000,{nfd}\nb3,2027-01-10,1000,bob\n");
    let (plan, outcome, _) = run(FLAT, &[("payees.csv", &payees), ("bookings.csv", &bookings)]);
    for period in [None, Some("Q1")] {
        let text = table(&plan, &outcome, period);
        let lines = grid(&text);
        let rule = display_width(lines[1]);
        // Amounts are right-aligned to the last column: every row ends where the rule does.
        for line in &lines {
            assert_eq!(display_width(line), rule, "{period:?}: `{line}` in\n{text}");
        }
        // The payee column is as wide as `all payees` (10): 田中太郎 takes 8 columns.
        assert!(text.contains("\n田中太郎    base  "), "{text}");
        assert!(text.contains(&format!("\n{nfd}      base  ")), "{text}");
        assert!(text.contains("\nbob         base  "), "{text}");
    }
    assert_eq!((display_width("田中太郎"), display_width(nfd), display_width("élodie")), (8, 6, 6));
}

/// A recoverable draw of 500 a quarter for two quarters, and a clawback in Q3.
const DRAW: &str = r#"plan "Draw" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    credit direct { clawback within 200 days }
    measure bookings = credited(direct)
    commission alpha { on bookings  rate 10% }
    draw KIND 500 USD per period for 2 periods
}
"#;

const DRAW_PAYEES: &str = "id\nalice\nbob\n";
const DRAW_BOOKINGS: &str = "id,date,amount,owner,cancel_date\nb1,2027-01-10,1000,alice,\nb2,2027-04-10,10000,alice,2027-07-10\nb3,2027-02-10,1000,bob,\n";

/// The `balance owed` row of `payee` in `text`, if any.
fn balance_row<'a>(text: &'a str, payee: &str) -> Option<&'a str> {
    text.lines().skip_while(|l| !l.starts_with(payee)).skip(1).take_while(|l| l.starts_with(' ')).find(|l| l.trim_start().starts_with("balance owed"))
}

#[test]
fn with_a_period_the_balance_owed_is_the_one_at_its_end() {
    let plan_source = DRAW.replace("KIND", "recoverable");
    let (plan, outcome, traces) = run(&plan_source, &[("payees.csv", DRAW_PAYEES), ("bookings.csv", DRAW_BOOKINGS)]);
    // The whole term: the term-end balance under `total`.
    let whole = table(&plan, &outcome, None);
    assert!(balance_row(&whole, "alice").is_some_and(|r| r.ends_with("  1,000.00")), "{whole}");
    assert!(balance_row(&whole, "bob").is_some_and(|r| r.ends_with("  900.00")), "{whole}");
    // alice: a draw of 400 (Q1), recovered in Q2, then 1,000 carried in Q3. bob: draws
    // of 400 and 500, never recovered.
    for (period, alice, bob) in [("Q1", Some("400.00"), Some("400.00")), ("Q2", None, Some("900.00")), ("Q3", Some("1,000.00"), Some("900.00"))] {
        let text = table(&plan, &outcome, Some(period));
        let row = |payee: &str| balance_row(&text, payee).map(|r| r.split_whitespace().last().unwrap_or_default().to_string());
        assert_eq!(row("alice").as_deref(), alice, "{period}:\n{text}");
        assert_eq!(row("bob").as_deref(), bob, "{period}:\n{text}");
    }
    // The figure is the engine's own: the ledger's balance after each period.
    for (result, trace) in outcome.payees.iter().zip(&traces) {
        for (index, period) in trace.periods.iter().enumerate() {
            assert_eq!(balance_after(result, index), period.ledger.balance_after, "{} {}", result.id, period.period);
        }
        assert_eq!(balance_after(result, trace.periods.len() - 1), result.balance);
    }
}

#[test]
fn a_guaranteed_draw_owes_nothing() {
    let plan_source = DRAW.replace("KIND", "guaranteed");
    let (plan, outcome, traces) = run(&plan_source, &[("payees.csv", DRAW_PAYEES), ("bookings.csv", DRAW_BOOKINGS)]);
    for (result, trace) in outcome.payees.iter().zip(&traces) {
        for (index, period) in trace.periods.iter().enumerate() {
            assert_eq!(balance_after(result, index), period.ledger.balance_after, "{} {}", result.id, period.period);
        }
    }
    let q1 = table(&plan, &outcome, Some("Q1"));
    assert_eq!(balance_row(&q1, "bob"), None, "{q1}");
    let q3 = table(&plan, &outcome, Some("Q3"));
    assert!(balance_row(&q3, "alice").is_some_and(|r| r.ends_with("  1,000.00")), "the carry still counts: {q3}");
}

#[test]
fn with_a_period_the_unpaid_credit_summary_counts_that_period_only() {
    let payees = "id,role,start_date,end_date\nalice,AE,2020-01-01,\nsam,SE,2020-01-01,\nquit,AE,2020-01-01,2027-05-15\n";
    let bookings = "id,date,amount,owner\nb1,2027-01-10,1000,alice\nb2,2027-02-10,5000,sam\nb3,2027-06-10,7000,quit\nb4,2027-05-01,2000,sam\n";
    let (plan, outcome, _) = run(FLAT, &[("payees.csv", payees), ("bookings.csv", bookings)]);
    let whole = table(&plan, &outcome, None);
    assert!(whole.contains("\nunpaid credit: 3 entries, 14,000.00 USD (not eligible or outside active dates"), "{whole}");
    let q1 = table(&plan, &outcome, Some("Q1"));
    assert!(q1.contains("\nunpaid credit dated in Q1: 1 entry, 5,000.00 USD ("), "{q1}");
    let q2 = table(&plan, &outcome, Some("Q2"));
    assert!(q2.contains("\nunpaid credit dated in Q2: 2 entries, 9,000.00 USD ("), "{q2}");
    let q3 = table(&plan, &outcome, Some("Q3"));
    assert!(!q3.contains("unpaid credit"), "none is dated in Q3: {q3}");
}

//! `payplan_diff::compare` on two versions of a small plan: exact deltas, totals,
//! movers, sign changes, cap crossings and the four formats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_diff::{compare, render, Format, Side};
use rust_decimal::Decimal;
use std::str::FromStr;

const PLAN: &str = r#"plan "Flat" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period half
    eligible payee.role == "AE"
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    commission base {
        on bookings
        rate RATE
    }
    CAP
}
"#;

fn plan(rate: &str, cap: &str) -> payplan_ir::Plan {
    let source = PLAN.replace("RATE", rate).replace("CAP", cap);
    let checked = payplan_check::check_source(&source);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked.plan.unwrap()
}

fn facts(plan: &payplan_ir::Plan) -> payplan_facts::Facts {
    let files = vec![
        ("payees.csv".to_string(), b"id,role\nann,AE\nbob,AE\ncat,AE\n".to_vec()),
        (
            "bookings.csv".to_string(),
            b"id,date,amount,owner,status\nb1,2027-02-01,100000,ann,won\nb2,2027-08-01,50000,bob,won\nb3,2027-03-01,-20000,cat,won\n".to_vec(),
        ),
    ];
    payplan_data::load_csv_files(&files, &plan.schema()).unwrap()
}

fn report(old: &payplan_ir::Plan, new: &payplan_ir::Plan) -> payplan_diff::Report {
    let (old_run, new_run) = (payplan_eval::explain_all(old, &facts(old)).unwrap(), payplan_eval::explain_all(new, &facts(new)).unwrap());
    compare(
        &Side { file: "old.plan".into(), plan: old, outcome: &old_run.0, traces: &old_run.1 },
        &Side { file: "new.plan".into(), plan: new, outcome: &new_run.0, traces: &new_run.1 },
    )
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[test]
fn a_rate_change_moves_every_line_by_the_exact_amount() {
    let r = report(&plan("8%", ""), &plan("10%", ""));
    let row = r.rows.iter().find(|x| x.payee == "ann" && x.period == "H1" && x.line == "base").unwrap();
    assert_eq!((row.old, row.new, row.delta()), (d("8000"), d("10000"), d("2000")));
    let payout = r.payout();
    // ann 100,000, bob 50,000, cat -20,000 (carried, paid 0): 130,000 x 2% more on lines,
    // 150,000 x 2% more paid.
    assert_eq!((payout.old, payout.new), (d("12000"), d("15000")));
    assert_eq!(r.movers.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["ann", "bob"]);
    let base = r.line_totals.iter().find(|t| t.name == "base").unwrap();
    assert_eq!(base.delta(), d("2600"));
    assert!(r.sign_changes.is_empty(), "{:?}", r.sign_changes);

    let csv = render(&r, Format::Csv);
    assert!(csv.starts_with("payee,period,line,old,new,delta,currency\n"));
    assert!(csv.contains("ann,H1,base,8000.00,10000.00,2000.00,USD\n"), "{csv}");
    assert!(csv.contains("cat,H1,carry,1600.00,2000.00,400.00,USD\n"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
    assert_eq!(json["total_payout"]["delta"], "3000.00");
    let md = render(&r, Format::Markdown);
    assert!(md.contains("**Total payout:** 12,000.00 → 15,000.00 USD (**+3,000.00** (+25.00%))"), "{md}");
    assert!(render(&r, Format::Table).contains("payees whose payout changes: 2 of 3"));
}

#[test]
fn a_new_cap_crosses_and_changes_a_sign() {
    let r = report(&plan("10%", ""), &plan("10%", "cap total at 6_000 USD per term"));
    let crossing = &r.cap_crossings[0];
    assert_eq!((crossing.payee.as_str(), crossing.period.as_str(), crossing.cap.as_str()), ("ann", "H1", "cap total"));
    assert_eq!((crossing.old, crossing.new), (d("0"), d("-4000")));
    assert!(r.sign_changes.iter().any(|s| s.payee == "ann" && s.line == "cap"), "{:?}", r.sign_changes);
    let table = render(&r, Format::Table);
    assert!(table.contains("ann H1 cap total: binds under the new plan only (takes -4,000.00)"), "{table}");
}

#[test]
fn the_same_plan_has_no_change() {
    let r = report(&plan("8%", ""), &plan("8%", ""));
    assert!(r.changed_rows().is_empty());
    assert!(render(&r, Format::Table).contains("no payout changes"));
    assert!(render(&r, Format::Markdown).contains("No payout changes"));
}

//! One focused test per mechanic of the plan language (language.md), each on a plan
//! written inline and a few rows of inline JSON data, asserting payout figures worked
//! out by hand in the comments. When a figure and the engine disagree, the comment is
//! the reading of the spec the test stands on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_eval::{EvalError, Outcome};
use payplan_tests::{amount_of, load_json_for, parse_output_csv, run_json_csv, run_json_outcome, CsvLine};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A USD plan on the calendar year 2027 in quarters, with `body` inside.
fn quarterly(body: &str) -> String {
    format!("plan \"Mechanic\" {{\n    currency USD\n    term 2027-01-01 to 2027-12-31\n    period quarter\n{body}\n}}\n")
}

/// Runs a plan on inline JSON data; the CSV rows.
fn run(plan: &str, data: &str) -> Vec<CsvLine> {
    let csv = run_json_csv(plan, data).unwrap_or_else(|e| panic!("{e}"));
    parse_output_csv(&csv).unwrap()
}

/// Runs a plan on inline JSON data; the evaluation error (the run must fail there).
fn eval_error(plan: &str, data: &str) -> EvalError {
    let (plan, facts) = load_json_for(plan, data).unwrap_or_else(|e| panic!("{e}"));
    match payplan_eval::evaluate(&plan, &facts) {
        Ok(_) => panic!("the run succeeded, but an evaluation error was expected"),
        Err(e) => e,
    }
}

/// Asserts `(payee, period, line, amount)` rows; a missing `carry`/`recovery` row reads
/// as `0.00` (they are printed only when not zero).
fn expect(rows: &[CsvLine], expected: &[(&str, &str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (payee, period, line, amount) in expected {
        let got = amount_of(rows, payee, period, line).or(match *line {
            "carry" | "recovery" => Some("0.00"),
            _ => None,
        });
        if got != Some(*amount) {
            wrong.push(format!("{payee} {period} {line}: expected {amount}, got {got:?}"));
        }
    }
    let all: Vec<String> = rows.iter().map(|r| format!("{},{},{},{}", r.payee, r.period, r.line, r.amount)).collect();
    assert!(wrong.is_empty(), "{}\nall rows:\n{}", wrong.join("\n"), all.join("\n"));
}

/// Asserts one line over Q1..Q4.
fn expect_quarters(rows: &[CsvLine], payee: &str, line: &str, amounts: [&str; 4]) {
    let expected: Vec<(&str, &str, &str, &str)> = ["Q1", "Q2", "Q3", "Q4"].iter().zip(amounts.iter()).map(|(q, a)| (payee, *q, line, *a)).collect();
    expect(rows, &expected);
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

const ALICE: &str = r#""payees": [{"id": "alice", "role": "AE", "target_incentive": 20000}]"#;

// ---------------------------------------------------------------- commissions

#[test]
fn flat_rate_with_filter_and_cumulative_rounding() {
    let plan = quarterly(
        r#"
    credit direct { when booking.status == "won" }
    measure bookings = credited(direct)
    commission base { on bookings  rate 8% }"#,
    );
    let data = format!(
        r#"{{ {ALICE}, "bookings": [
        {{"id": "b1", "date": "2027-02-10", "amount": 10000, "owner": "alice", "status": "won"}},
        {{"id": "b2", "date": "2027-03-01", "amount": 99999, "owner": "alice", "status": "lost"}},
        {{"id": "b3", "date": "2027-05-05", "amount": "5000.55", "owner": "alice", "status": "won"}}
    ]}}"#
    );
    let rows = run(&plan, &data);
    // Q1: 10,000 x 8% = 800 (the lost deal is filtered out).
    // Q2: E = 15,000.55 x 8% = 1,200.044 -> 1,200.04; line 1,200.04 - 800 = 400.04.
    expect_quarters(&rows, "alice", "base", ["800.00", "400.04", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["800.00", "400.04", "0.00", "0.00"]);
}

#[test]
fn marginal_tiers_by_amount() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base {
        on bookings
        tiers marginal by bookings {
            0 USD to 100_000 USD: 5%
            100_000 USD to 250_000 USD: 8%
            250_000 USD and above: 12%
        }
    }"#,
    );
    let data = format!(
        r#"{{ {ALICE}, "bookings": [
        {{"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"}},
        {{"id": "b2", "date": "2027-05-10", "amount": 100000, "owner": "alice"}},
        {{"id": "b3", "date": "2027-08-10", "amount": 100000, "owner": "alice"}}
    ]}}"#
    );
    let rows = run(&plan, &data);
    // Q1: 80,000 x 5% = 4,000.
    // Q2: b2 moves 80k -> 180k: 20k x 5% + 80k x 8% = 1,000 + 6,400; E = 11,400, line 7,400.
    // Q3: b3 moves 180k -> 280k: 70k x 8% + 30k x 12% = 5,600 + 3,600; E = 20,600, line 9,200.
    expect_quarters(&rows, "alice", "base", ["4000.00", "7400.00", "9200.00", "0.00"]);
}

/// The worked example of docs/language.md section 9: quota 1,000,000, rate 10%, one
/// 400,000 deal a quarter.
fn tier_plan(mode: &str) -> String {
    quarterly(&format!(
        r#"
    credit direct {{ }}
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {{
        on bookings
        rate 10%
        tiers {mode} by attainment {{
            below 50%: 0.5x
            50% to 100%: 1x
            100% to 150%: 1.5x
            150% and above: 2x
        }}
    }}"#
    ))
}

const TIER_DATA: &str = r#"{ "payees": [{"id": "alice"}],
    "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 1000000}],
    "bookings": [
        {"id": "b1", "date": "2027-02-10", "amount": 400000, "owner": "alice"},
        {"id": "b2", "date": "2027-05-10", "amount": 400000, "owner": "alice"},
        {"id": "b3", "date": "2027-08-10", "amount": 400000, "owner": "alice"}
    ]}"#;

#[test]
fn marginal_tiers_by_attainment() {
    let rows = run(&tier_plan("marginal"), TIER_DATA);
    // Q1: 400k at 0.5x x 10% = 20,000.
    // Q2: 500k x 5% + 300k x 10% = 25,000 + 30,000 = 55,000: line 35,000.
    // Q3: 25,000 + 50,000 + 200k x 15% = 105,000: line 50,000.
    expect_quarters(&rows, "alice", "base", ["20000.00", "35000.00", "50000.00", "0.00"]);
}

#[test]
fn retroactive_tiers_by_attainment() {
    let rows = run(&tier_plan("retroactive"), TIER_DATA);
    // Q1: 40% -> 0.5x: 400k x 5% = 20,000. Q2: 80% -> 1x: 800k x 10% = 80,000 (line
    // 60,000). Q3: 120% -> 1.5x: 1.2M x 15% = 180,000 (line 100,000).
    expect_quarters(&rows, "alice", "base", ["20000.00", "60000.00", "100000.00", "0.00"]);
}

#[test]
fn band_boundary_belongs_to_the_upper_band() {
    let plan = |mode: &str| {
        quarterly(&format!(
            r#"
    credit direct {{ }}
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {{
        on bookings
        rate 10%
        tiers {mode} by attainment {{ below 100%: 1x  100% and above: 2x }}
    }}"#
        ))
    };
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 100000}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 1, "owner": "alice"}
        ]}"#;
    // Retroactive: attainment exactly 100% is in `100% and above`: 100,000 x 10% x 2.
    let rows = run(&plan("retroactive"), data);
    expect_quarters(&rows, "alice", "base", ["20000.00", "0.20", "0.00", "0.00"]);
    // Marginal: b1's slice [0, 100%) lies wholly in the lower band (10,000); b2's slice
    // [100%, 100.001%) in the upper band: 1 x 10% x 2 = 0.20.
    let rows = run(&plan("marginal"), data);
    expect_quarters(&rows, "alice", "base", ["10000.00", "0.20", "0.00", "0.00"]);
}

#[test]
fn accelerator_and_decelerator() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate 10%
        accelerator 1.5x above 100% attainment
        decelerator 0.5x below 50% attainment
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 1000000}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 300000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 900000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 300k below 50% at 0.5x: 15,000.
    // Q2: b2 300k -> 1.2M: 200k more at 0.5x (10,000), 500k at 1x (50,000), 200k at 1.5x
    // (30,000): line 90,000.
    expect_quarters(&rows, "alice", "base", ["15000.00", "90000.00", "0.00", "0.00"]);
}

#[test]
fn let_table_and_else() {
    let plan = quarterly(
        r#"
    field booking.product: text
    table product_rate { "Security" => 10%, "Compute" => 8%, else => 6% }
    let seniority = if payee.role == "Senior AE" then 2% else 0%
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate product_rate[booking.product] + seniority }"#,
    );
    let data = r#"{ "payees": [{"id": "alice", "role": "Senior AE"}, {"id": "bob", "role": "AE"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 10000, "owner": "alice", "product": "Security"},
            {"id": "b2", "date": "2027-02-11", "amount": 10000, "owner": "alice", "product": "Storage"},
            {"id": "b3", "date": "2027-02-12", "amount": 10000, "owner": "bob", "product": "Compute"}
        ]}"#;
    let rows = run(&plan, data);
    // alice: Security 10% + 2% = 1,200; Storage falls to `else` 6% + 2% = 800.
    // bob: Compute 8% + 0% = 800.
    expect(&rows, &[("alice", "Q1", "base", "2000.00"), ("bob", "Q1", "base", "800.00")]);
}

#[test]
fn table_without_else_fails_on_a_missing_key() {
    let plan = quarterly(
        r#"
    field booking.product: text
    table product_rate { "Security" => 10%, "Compute" => 8% }
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate product_rate[booking.product] }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 10000, "owner": "alice", "product": "Security"},
            {"id": "b2", "date": "2027-02-11", "amount": 10000, "owner": "alice", "product": "Storage"}
        ]}"#;
    let e = eval_error(&plan, data);
    let text = e.to_string();
    assert!(text.contains("Storage"), "the error names the key: {text}");
    assert!(e.span.is_some(), "the error points at the lookup: {e:?}");
}

// ---------------------------------------------------------------- crediting

#[test]
fn splits_from_data_and_owner_fallback() {
    let plan = quarterly(
        r#"
    credit direct { to splits }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}, {"id": "carol"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice"},
            {"id": "b2", "date": "2027-02-11", "amount": 50000, "owner": "carol"},
            {"id": "b3", "date": "2027-05-11", "amount": 1000, "owner": "carol"}
        ],
        "splits": [
            {"booking": "b1", "payee": "alice", "share": "60%"},
            {"booking": "b1", "payee": "bob", "share": "0.4"},
            {"booking": "b3", "payee": "alice", "share": "33.33%"},
            {"booking": "b3", "payee": "bob", "share": "33.33%"},
            {"booking": "b3", "payee": "carol", "share": "33.34%"}
        ]}"#;
    let rows = run(&plan, data);
    // b1 60/40: alice 6,000, bob 4,000; b2 has no split rows: its owner carol 5,000.
    // b3 (Q2) 1,000 in thirds: 333.30, 333.30, 333.40 of credit, 10% -> 33.33, 33.33, 33.34.
    expect(
        &rows,
        &[
            ("alice", "Q1", "base", "6000.00"),
            ("bob", "Q1", "base", "4000.00"),
            ("carol", "Q1", "base", "5000.00"),
            ("alice", "Q2", "base", "33.33"),
            ("bob", "Q2", "base", "33.33"),
            ("carol", "Q2", "base", "33.34"),
        ],
    );
}

#[test]
fn plan_defined_split() {
    let plan = quarterly(
        r#"
    field booking.se: text
    credit team { split booking.owner: 70%, booking.se: 30% }
    measure bookings = credited(team)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice", "se": "bob"}]}"#;
    let rows = run(&plan, data);
    expect(&rows, &[("alice", "Q1", "base", "7000.00"), ("bob", "Q1", "base", "3000.00")]);
}

#[test]
fn overlay_to_a_field_guarded_by_is_set_with_short_circuit_and() {
    // `booking.se != "nobody"` would read an absent cell (an error) for b2; `and` must
    // not evaluate it once `is_set` is false.
    let plan = quarterly(
        r#"
    field booking.se: text
    credit direct { }
    credit overlay {
        when is_set(booking.se) and booking.se != "nobody"
        to booking.se
    }
    measure bookings = credited(direct)
    measure overlay_bookings = credited(overlay)
    commission base { on bookings  rate 10% }
    commission se_overlay { on overlay_bookings  rate 2% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice", "se": "bob"},
            {"id": "b2", "date": "2027-02-11", "amount": 50000, "owner": "alice", "se": ""}
        ]}"#;
    let rows = run(&plan, data);
    // alice: 150,000 x 10% = 15,000, no overlay. bob: overlay on b1 only: 2,000.
    expect(
        &rows,
        &[("alice", "Q1", "base", "15000.00"), ("alice", "Q1", "se_overlay", "0.00"), ("bob", "Q1", "base", "0.00"), ("bob", "Q1", "se_overlay", "2000.00")],
    );
}

#[test]
fn absent_recipient_cell_is_an_error_naming_the_booking() {
    let plan = quarterly(
        r#"
    field booking.se: text
    credit overlay { to booking.se }
    measure bookings = credited(overlay)
    commission base { on bookings  rate 2% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice", "se": "bob"},
            {"id": "b2", "date": "2027-02-11", "amount": 50000, "owner": "alice"}
        ]}"#;
    let e = eval_error(&plan, data);
    assert!(e.to_string().contains("b2"), "the error names the booking: {e}");
    assert!(e.span.is_some(), "{e:?}");
}

#[test]
fn rollup_one_level_and_all_levels() {
    let plan = quarterly(
        r#"
    credit direct { }
    credit team { rollup direct }
    credit org { rollup direct all levels }
    measure own = credited(direct)
    measure team_bookings = credited(team)
    measure org_bookings = credited(org)
    commission base { on own  rate 10% }
    commission team_commission { on team_bookings  rate 1% }
    commission override { on org_bookings  rate 0.5% }"#,
    );
    let data = r#"{ "payees": [
            {"id": "vp"}, {"id": "mgr", "manager": "vp"}, {"id": "ae", "manager": "mgr"}],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "ae"}]}"#;
    let rows = run(&plan, data);
    // direct: ae 100,000. team: mgr 100,000 (one level). org: mgr and vp 100,000 each.
    // The original recipient gets nothing from a rollup.
    expect(
        &rows,
        &[
            ("ae", "Q1", "base", "10000.00"),
            ("ae", "Q1", "team_commission", "0.00"),
            ("ae", "Q1", "override", "0.00"),
            ("mgr", "Q1", "base", "0.00"),
            ("mgr", "Q1", "team_commission", "1000.00"),
            ("mgr", "Q1", "override", "500.00"),
            ("vp", "Q1", "team_commission", "0.00"),
            ("vp", "Q1", "override", "500.00"),
        ],
    );
}

#[test]
fn owner_of_follows_an_account_move() {
    let plan = quarterly(
        r#"
    credit territory { to owner_of(booking.account) }
    measure bookings = credited(territory)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "sam"}, {"id": "tia"}],
        "accounts": [
            {"account": "acme", "payee": "sam", "from": "2026-01-01", "to": "2027-05-31"},
            {"account": "acme", "payee": "tia", "from": "2027-06-01"}
        ],
        "bookings": [
            {"id": "b1", "date": "2027-05-31", "amount": 10000, "owner": "tia", "account": "acme"},
            {"id": "b2", "date": "2027-06-01", "amount": 20000, "owner": "sam", "account": "acme"}
        ]}"#;
    let rows = run(&plan, data);
    // b1 on the last day of sam's ownership credits sam; b2 on tia's first day, tia.
    expect(&rows, &[("sam", "Q2", "base", "1000.00"), ("tia", "Q2", "base", "2000.00")]);

    // An account with no owner on the booking date is an error naming the booking.
    let orphan = data.replace(r#""from": "2027-06-01""#, r#""from": "2027-06-02""#);
    let e = eval_error(&plan, &orphan);
    assert!(e.to_string().contains("b2"), "{e}");
}

// ---------------------------------------------------------------- spifs

#[test]
fn spif_per_booking_pays_by_share_and_reverses_after_the_window() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 0% }
    spif launch {
        on direct
        window 2027-01-01 to 2027-03-31
        when booking.amount >= 50_000 USD
        pay 1_000 USD per booking
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "alice"},
            {"id": "b2", "date": "2027-03-31", "amount": 60000, "owner": "alice", "cancel_date": "2027-04-20"},
            {"id": "b3", "date": "2027-03-15", "amount": 49999, "owner": "alice"},
            {"id": "b4", "date": "2027-04-01", "amount": 80000, "owner": "alice"}
        ],
        "splits": [
            {"booking": "b1", "payee": "alice", "share": "60%"},
            {"booking": "b1", "payee": "bob", "share": "40%"}
        ]}"#;
    let rows = run(&plan, data);
    // b1 60/40: alice 600, bob 400. b2 on the window's last day: alice 1,000 (Q1 1,600).
    // b3 is under 50,000: nothing. b4 is after the window. b2's reversal (20 days later,
    // in Q2, outside the window) takes its 1,000 back: Q2 -1,000, carried.
    expect(
        &rows,
        &[
            ("alice", "Q1", "launch", "1600.00"),
            ("bob", "Q1", "launch", "400.00"),
            ("alice", "Q2", "launch", "-1000.00"),
            ("alice", "Q2", "carry", "1000.00"),
            ("alice", "Q2", "payout", "0.00"),
        ],
    );
}

#[test]
fn spif_of_credit_with_inclusive_window_edges() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 0% }
    spif push {
        on direct
        window 2027-03-01 to 2027-05-31
        pay 2% of credit
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-28", "amount": 10000, "owner": "alice"},
            {"id": "b2", "date": "2027-03-01", "amount": 10000, "owner": "alice"},
            {"id": "b3", "date": "2027-05-31", "amount": 20000, "owner": "alice"},
            {"id": "b4", "date": "2027-06-01", "amount": 10000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Only b2 (first day, Q1: 200) and b3 (last day, Q2: 400) are in the window.
    expect_quarters(&rows, "alice", "push", ["200.00", "400.00", "0.00", "0.00"]);
}

// ---------------------------------------------------------------- caps

#[test]
fn cap_per_booking() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap base at 5_000 USD per booking"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "bob"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"},
            {"id": "b2", "date": "2027-02-11", "amount": 30000, "owner": "alice"},
            {"id": "b3", "date": "2027-02-12", "amount": 120000, "owner": "alice"}
        ],
        "splits": [
            {"booking": "b3", "payee": "alice", "share": "50%"},
            {"booking": "b3", "payee": "bob", "share": "50%"}
        ]}"#;
    let rows = run(&plan, data);
    // alice: b1 8,000 -> 5,000; b2 3,000; b3 her half 6,000 -> 5,000: 13,000.
    // bob: his half of b3 6,000 -> 5,000 (each partner has their own limit).
    expect(&rows, &[("alice", "Q1", "base", "13000.00"), ("bob", "Q1", "base", "5000.00")]);
}

#[test]
fn cap_per_period_forfeits_the_excess() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap base at 30_000 USD per period"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 200000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 350000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 50000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // E = 20,000, 55,000, 60,000: increases 20,000, 35,000 -> 30,000, 5,000.
    expect_quarters(&rows, "alice", "base", ["20000.00", "30000.00", "5000.00", "0.00"]);
}

#[test]
fn cap_per_term_on_target_incentive() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap base at 50% of payee.target_incentive per term"#,
    );
    let data = format!(
        r#"{{ {ALICE}, "bookings": [
        {{"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"}},
        {{"id": "b2", "date": "2027-05-10", "amount": 80000, "owner": "alice"}}
    ]}}"#
    );
    let rows = run(&plan, &data);
    // Cap 50% x 20,000 = 10,000: E = 8,000, then min(16,000, 10,000).
    expect_quarters(&rows, "alice", "base", ["8000.00", "2000.00", "0.00", "0.00"]);
}

#[test]
fn cap_total_gives_back_after_a_clawback() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap total at 10_000 USD per term"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-01", "amount": 50000, "owner": "alice", "cancel_date": "2027-07-15"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 8,000, cap 0. Q2: +5,000, lines to date 13,000: cap -3,000, payout 2,000.
    // Q3: b2 reversed (75 days): -5,000; lines to date 8,000, so the cap gives its 3,000
    // back: total -2,000, carried. Q4: nothing; the 2,000 stays owed.
    expect_quarters(&rows, "alice", "base", ["8000.00", "5000.00", "-5000.00", "0.00"]);
    expect_quarters(&rows, "alice", "cap", ["0.00", "-3000.00", "3000.00", "0.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "0.00", "2000.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["8000.00", "2000.00", "0.00", "0.00"]);
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.payees[0].balance, dec("2000"));
}

// ---------------------------------------------------------------- gates, bonuses, curves

#[test]
fn gate_holds_releases_and_closes_again_after_a_clawback() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate 10%
        gate attainment >= 25%
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 1000000}],
        "bookings": [
            {"id": "b1", "date": "2027-02-01", "amount": 200000, "owner": "alice"},
            {"id": "b2", "date": "2027-04-15", "amount": 100000, "owner": "alice", "cancel_date": "2027-07-10"},
            {"id": "b3", "date": "2027-10-05", "amount": 100000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 20% < 25%: held, 0. Q2: 30%: everything released, E = 30,000.
    // Q3: b2 reversed (86 days): 20% again, the gate closes: E = 0, line -30,000, a
    // negative total carried (30,000 owed). Q4: b3 brings 30%: E = 30,000, line 30,000,
    // all of it recovered.
    expect_quarters(&rows, "alice", "base", ["0.00", "30000.00", "-30000.00", "30000.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "0.00", "30000.00", "0.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "0.00", "0.00", "-30000.00"]);
    expect_quarters(&rows, "alice", "payout", ["0.00", "30000.00", "0.00", "0.00"]);
}

#[test]
fn bonus_once_per_term_and_per_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    measure quarter_bookings = credited(direct) in period
    commission base { on bookings  rate 0% }
    bonus club { when attainment >= 100%  pay 5_000 USD }
    bonus quarter_hit { when quarter_bookings >= 50_000 USD  pay 1_000 USD per period }
    bonus always { pay 10 USD per period }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 150000}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 60000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 40000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 70000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Attainment to date 40%, 66.7%, 113.3%, 113.3%: the club pays once, in Q3.
    // Quarter bookings 60k, 40k, 70k, 0: 1,000 in Q1 and Q3. A bonus without `when`
    // always pays.
    expect_quarters(&rows, "alice", "club", ["0.00", "0.00", "5000.00", "0.00"]);
    expect_quarters(&rows, "alice", "quarter_hit", ["1000.00", "0.00", "1000.00", "0.00"]);
    expect_quarters(&rows, "alice", "always", ["10.00", "10.00", "10.00", "10.00"]);
}

#[test]
fn curves_linear_and_step() {
    let plan = quarterly(
        r#"
    curve smooth linear { below 50%: 0%  50%: 25%  100%: 100%  150% and above: 200% }
    curve stairs step { below 50%: 0%  50%: 25%  100%: 100%  150% and above: 200% }
    curve open_ended linear { 50%: 25%  100%: 100% }
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base { on bookings  rate 0% }
    bonus linear_bonus { pay smooth[attainment] of 10_000 USD }
    bonus step_bonus { pay stairs[attainment] of 10_000 USD }
    bonus open_bonus { pay open_ended[attainment] of 10_000 USD }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 100000}],
        "bookings": [
            {"id": "b0", "date": "2027-01-10", "amount": 40000, "owner": "alice"},
            {"id": "b1", "date": "2027-04-10", "amount": 35000, "owner": "alice"},
            {"id": "b2", "date": "2027-07-10", "amount": 45000, "owner": "alice"},
            {"id": "b3", "date": "2027-10-10", "amount": 80000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Attainment 40%, 75%, 120%, 200%.
    // linear: 0% (below), 25% + 25/50 x 75% = 62.5%, 100% + 20/50 x 100% = 140%, 200%
    //   (flat past the last point): E = 0, 6,250, 14,000, 20,000.
    expect_quarters(&rows, "alice", "linear_bonus", ["0.00", "6250.00", "7750.00", "6000.00"]);
    // step: 0%, 25%, 100%, 200%: E = 0, 2,500, 10,000, 20,000.
    expect_quarters(&rows, "alice", "step_bonus", ["0.00", "2500.00", "7500.00", "10000.00"]);
    // open-ended linear: 25% under the first point (no `below`), 62.5%, then the last
    // slope (1.5 per unit) continues: 100% + 20% x 1.5 = 130%, 100% + 100% x 1.5 = 250%.
    // E = 2,500, 6,250, 13,000, 25,000.
    expect_quarters(&rows, "alice", "open_bonus", ["2500.00", "3750.00", "6750.00", "12000.00"]);
}

// ---------------------------------------------------------------- true-up, clawback, balances

#[test]
fn true_up_in_both_directions() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate 10%
        tiers marginal by attainment { below 100%: 1x  100% and above: 1.5x }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [
            {"payee": "alice", "quota": "bookings", "period": "Q1", "amount": 100000},
            {"payee": "alice", "quota": "bookings", "period": "Q2", "amount": 100000},
            {"payee": "alice", "quota": "bookings", "period": "Q3", "amount": 100000},
            {"payee": "alice", "quota": "bookings", "period": "Q4", "amount": 100000}
        ],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 120000, "owner": "alice"},
            {"id": "b2", "date": "2027-08-10", "amount": 200000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: quota 100k, 120%: 10,000 + 20,000 x 15% = 13,000.
    // Q2: quota to date 200k, 60%: all at 1x, E = 12,000: line -1,000 (carried).
    // Q3: 320k of 300k: 30,000 + 20,000 x 15% = 33,000: line 21,000, recovers 1,000.
    // Q4: 320k of 400k, 80%: E = 32,000: line -1,000 (carried, owed at term end).
    expect_quarters(&rows, "alice", "base", ["13000.00", "-1000.00", "21000.00", "-1000.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "1000.00", "0.00", "1000.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "0.00", "-1000.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["13000.00", "0.00", "20000.00", "0.00"]);
}

#[test]
fn clawback_window_is_90_days_inclusive() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-01", "amount": 10000, "owner": "alice", "cancel_date": "2027-05-02"},
            {"id": "b2", "date": "2027-02-01", "amount": 20000, "owner": "alice", "cancel_date": "2027-05-03"}
        ]}"#;
    let rows = run(&plan, data);
    // b1 cancelled 90 days later (28 + 31 + 30 + 1): reversed on 2027-05-02, in Q2.
    // b2 cancelled 91 days later: kept.
    expect_quarters(&rows, "alice", "base", ["3000.00", "-1000.00", "0.00", "0.00"]);

    let (plan, facts) = load_json_for(&plan, data).unwrap();
    let credits = payplan_eval::credit_entries(&plan, &facts).unwrap();
    let reversals: Vec<_> = credits.entries.iter().filter(|e| e.reversal).collect();
    assert_eq!(reversals.len(), 1);
    assert_eq!(facts.bookings[reversals[0].booking].id, "b1");
    assert_eq!(reversals[0].date.to_string(), "2027-05-02");
    assert_eq!(reversals[0].amount, dec("-10000"));
}

#[test]
fn cancel_date_is_ignored_without_clawback() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [{"id": "b1", "date": "2027-02-01", "amount": 10000, "owner": "alice", "cancel_date": "2027-02-02"}]}"#;
    let rows = run(&plan, data);
    expect_quarters(&rows, "alice", "base", ["1000.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn carry_recovery_and_balance_left_at_term_end() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-15", "amount": 100000, "owner": "alice", "cancel_date": "2027-05-01"},
            {"id": "b2", "date": "2027-05-10", "amount": 20000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 50000, "owner": "alice"},
            {"id": "b4", "date": "2027-11-10", "amount": 20000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1 10,000. Q2: -10,000 + 2,000 = -8,000: carry 8,000 (owed 8,000).
    // Q3: 5,000, all recovered (owed 3,000). Q4: 2,000, recovered (owed 1,000 at the end).
    expect_quarters(&rows, "alice", "base", ["10000.00", "-8000.00", "5000.00", "2000.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "8000.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "0.00", "-5000.00", "-2000.00"]);
    expect_quarters(&rows, "alice", "payout", ["10000.00", "0.00", "0.00", "0.00"]);
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.payees[0].balance, dec("1000"));
}

#[test]
fn guaranteed_draw() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    draw guaranteed 5_000 USD per period for 2 periods"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 20000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 60000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 10000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: total 2,000, draw 3,000. Q2: 6,000, no draw needed. Q3: past the 2 draw
    // periods: 1,000. Never recovered.
    expect_quarters(&rows, "alice", "draw", ["3000.00", "0.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "0.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["5000.00", "6000.00", "1000.00", "0.00"]);
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.payees[0].balance, Decimal::ZERO);
}

#[test]
fn recoverable_draw() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    draw recoverable 5_000 USD per period for 3 periods"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 20000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 80000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 40000, "owner": "alice"},
            {"id": "b4", "date": "2027-11-10", "amount": 90000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // The worked example of docs/language.md section 14: totals 2,000, 8,000, 4,000, 9,000.
    // Q1 draw 3,000 (owed 3,000). Q2: recovery -min(3,000, 8,000 - 5,000) = -3,000.
    // Q3 draw 1,000 (owed 1,000). Q4 (no draw period, D = 0): -min(1,000, 9,000).
    expect_quarters(&rows, "alice", "draw", ["3000.00", "0.00", "1000.00", "0.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "-3000.00", "0.00", "-1000.00"]);
    expect_quarters(&rows, "alice", "payout", ["5000.00", "5000.00", "5000.00", "8000.00"]);
}

#[test]
fn proration_of_quotas_and_draws() {
    let plan = quarterly(
        r#"
    prorate by days
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base { on bookings  rate 1% }
    bonus hit { when attainment >= 100%  pay 1_000 USD }
    draw guaranteed 3_000 USD per period"#,
    );
    let quotas: Vec<String> = ["joiner", "leaver"]
        .iter()
        .flat_map(|p| ["Q1", "Q2", "Q3", "Q4"].map(|q| format!(r#"{{"payee": "{p}", "quota": "bookings", "period": "{q}", "amount": 100000}}"#)))
        .collect();
    let data = format!(
        r#"{{ "payees": [
            {{"id": "joiner", "start_date": "2027-02-10"}},
            {{"id": "leaver", "end_date": "2027-08-15"}}],
        "quotas": [{}],
        "bookings": [{{"id": "b1", "date": "2027-03-01", "amount": 56000, "owner": "joiner"}}]}}"#,
        quotas.join(",")
    );
    let rows = run(&plan, &data);
    // joiner, Q1: active 50 of 90 days, quota 55,555.56: 56,000 is 100.8%, the bonus
    // pays 1,000 (unprorated it would be 56%); base 560; the draw 3,000 x 50/90 =
    // 1,666.67 tops the 1,560 up by 106.67.
    expect(
        &rows,
        &[("joiner", "Q1", "base", "560.00"), ("joiner", "Q1", "hit", "1000.00"), ("joiner", "Q1", "draw", "106.67"), ("joiner", "Q1", "payout", "1666.67")],
    );
    // leaver: full draws in Q1 and Q2, Q3 46 of 92 days: 1,500; Q4 wholly after the end
    // date: not evaluated, all zero.
    expect_quarters(&rows, "leaver", "draw", ["3000.00", "3000.00", "1500.00", "0.00"]);
    expect_quarters(&rows, "leaver", "payout", ["3000.00", "3000.00", "1500.00", "0.00"]);
}

// ---------------------------------------------------------------- currency and rounding

#[test]
fn fx_at_the_booking_date_and_reversal_at_the_original_rate() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "fx": [
            {"currency": "EUR", "date": "2027-01-01", "rate": "1.10"},
            {"currency": "EUR", "date": "2027-03-01", "rate": "1.20"}
        ],
        "bookings": [
            {"id": "b1", "date": "2027-02-28", "amount": 10000, "currency": "EUR", "owner": "alice", "cancel_date": "2027-04-10"},
            {"id": "b2", "date": "2027-03-01", "amount": 1000, "currency": "EUR", "owner": "alice"},
            {"id": "b3", "date": "2027-03-02", "amount": "500 EUR", "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // b1 at 1.10 (the 1.20 row starts the next day): 11,000 USD -> 1,100. b2 on the day
    // the new rate starts: 1,200 -> 120. b3 (own-coded): 600 -> 60. Q1 1,280.
    // Q2: b1's reversal at its original 1.10: -1,100 (not -1,200), carried.
    expect_quarters(&rows, "alice", "base", ["1280.00", "-1100.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "1100.00", "0.00", "0.00"]);
}

#[test]
fn in_period_quotas() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure q_bookings = credited(direct) in period
    measure q_attainment = q_bookings / quota("bookings") in period
    commission base {
        on q_bookings
        rate 10%
        tiers retroactive by q_attainment { below 100%: 1x  100% and above: 2x }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [
            {"payee": "alice", "quota": "bookings", "period": "Q1", "amount": 100000},
            {"payee": "alice", "quota": "bookings", "period": "Q2", "amount": 100000},
            {"payee": "alice", "quota": "bookings", "period": "Q3", "amount": 200000},
            {"payee": "alice", "quota": "bookings", "period": "Q4", "amount": 100000}
        ],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 120000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 50000, "owner": "alice"},
            {"id": "b3", "date": "2027-08-10", "amount": 150000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Each quarter alone: Q1 120% -> 2x: 24,000. Q2 50% -> 1x: 5,000. Q3 150k of its
    // own 200k quota, 75% -> 1x: 15,000 (to date it would be 320k of 400k). Q4: 0.
    expect_quarters(&rows, "alice", "base", ["24000.00", "5000.00", "15000.00", "0.00"]);
}

fn rounding_rows(mode: &str, amounts: [&str; 2]) -> Vec<CsvLine> {
    let plan = quarterly(&format!(
        r#"
    rounding {mode}
    credit direct {{ }}
    measure bookings = credited(direct)
    commission base {{ on bookings  rate 2.5% }}"#
    ));
    let data = format!(
        r#"{{ "payees": [{{"id": "alice"}}, {{"id": "bob"}}], "bookings": [
        {{"id": "b1", "date": "2027-02-10", "amount": "{}", "owner": "alice"}},
        {{"id": "b2", "date": "2027-05-10", "amount": "{}", "owner": "alice"}},
        {{"id": "b3", "date": "2027-02-10", "amount": "-4000.20", "owner": "bob"}}
    ]}}"#,
        amounts[0], amounts[1]
    );
    run(&plan, &data)
}

#[test]
fn rounding_modes() {
    // E = 100.005 at the end of Q1 and 200.01 at the end of Q2 (docs section 14); bob's
    // downsell makes E = -100.005, rounded symmetrically around zero.
    for (mode, q1, q2, bob) in [
        ("half_up", "100.01", "100.00", "-100.01"),
        ("half_even", "100.00", "100.01", "-100.00"),
        ("down", "100.00", "100.01", "-100.00"),
        ("up", "100.01", "100.00", "-100.01"),
    ] {
        let rows = rounding_rows(mode, ["4000.20", "4000.20"]);
        let got = (amount_of(&rows, "alice", "Q1", "base"), amount_of(&rows, "alice", "Q2", "base"), amount_of(&rows, "bob", "Q1", "base"));
        assert_eq!(got, (Some(q1), Some(q2), Some(bob)), "rounding {mode}");
    }
    // half_even rounds a half to the even cent both ways: 100.015 -> 100.02.
    let rows = rounding_rows("half_even", ["4000.60", "0"]);
    assert_eq!(amount_of(&rows, "alice", "Q1", "base"), Some("100.02"));
}

#[test]
fn jpy_has_no_minor_digits() {
    let plan = r#"plan "Yen" {
    currency JPY
    term 2027-04-01 to 2028-03-31
    period quarter
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 3.3% }
}"#;
    let data = r#"{ "payees": [{"id": "kenji"}],
        "bookings": [
            {"id": "b1", "date": "2027-04-10", "amount": 12345, "owner": "kenji"},
            {"id": "b2", "date": "2027-07-10", "amount": 100, "owner": "kenji"}
        ]}"#;
    let rows = run(plan, data);
    // Q1 (April-June): 12,345 x 3.3% = 407.385 -> 407. Q2: 12,445 x 3.3% = 410.685 -> 411:
    // line 4. Amounts print without a decimal point.
    expect_quarters(&rows, "kenji", "base", ["407", "4", "0", "0"]);
    assert!(rows.iter().all(|r| r.currency == "JPY"));
}

#[test]
fn negative_booking_unwinds_tiers() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base {
        on bookings
        tiers marginal by bookings { 0 USD to 40_000 USD: 5%  40_000 USD and above: 10% }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 50000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": -20000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 40k x 5% + 10k x 10% = 3,000. Q2: the downsell moves 50k -> 30k, unwinding
    // 10k at 10% and 10k at 5%: -1,500 (E = 30k x 5% = 1,500).
    expect_quarters(&rows, "alice", "base", ["3000.00", "-1500.00", "0.00", "0.00"]);
}

// ---------------------------------------------------------------- who is paid

#[test]
fn ineligible_payee_and_unpaid_credit_reasons() {
    let plan = quarterly(
        r#"
    eligible payee.role == "AE"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [
            {"id": "alice", "role": "AE", "end_date": "2027-06-30"},
            {"id": "bob", "role": "AE", "start_date": "2027-03-01"},
            {"id": "sam", "role": "SDR"}],
        "bookings": [
            {"id": "b1", "date": "2027-07-15", "amount": 1000, "owner": "alice"},
            {"id": "b2", "date": "2027-02-01", "amount": 2000, "owner": "bob"},
            {"id": "b3", "date": "2027-02-02", "amount": 3000, "owner": "sam"},
            {"id": "b4", "date": "2027-06-30", "amount": 4000, "owner": "alice"},
            {"id": "b5", "date": "2027-03-01", "amount": 5000, "owner": "bob"}
        ]}"#;
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    let ids: Vec<&str> = outcome.payees.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["alice", "bob"], "sam is not on the plan");
    let unpaid: Vec<(&str, &str, &str, Decimal)> = outcome.unpaid.iter().map(|u| (u.booking.as_str(), u.payee.as_str(), u.reason.as_str(), u.amount)).collect();
    // In entry order (date): b2 before bob's start, b3 to an ineligible payee, b1 after
    // alice's end date. Active dates are inclusive: b4 and b5 are paid.
    assert_eq!(
        unpaid,
        [("b2", "bob", "before start date", dec("2000")), ("b3", "sam", "not eligible", dec("3000")), ("b1", "alice", "after end date", dec("1000")),]
    );
    let csv = payplan_output::render(payplan_output::Format::Csv, &load_json_for(&plan, data).unwrap().0, &outcome, None);
    let rows = parse_output_csv(&csv).unwrap();
    // Unpaid credit counts in no measure.
    expect(&rows, &[("alice", "Q2", "base", "400.00"), ("alice", "Q3", "base", "0.00"), ("bob", "Q1", "base", "500.00")]);
}

#[test]
fn credit_outside_the_term_is_counted_not_paid() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2026-12-15", "amount": 1000, "owner": "alice"},
            {"id": "b2", "date": "2027-06-15", "amount": 2000, "owner": "alice"},
            {"id": "b3", "date": "2028-01-05", "amount": 3000, "owner": "alice"},
            {"id": "b4", "date": "2027-12-20", "amount": 4000, "owner": "alice", "cancel_date": "2028-01-10"}
        ]}"#;
    let (_, outcome): (_, Outcome) = run_json_outcome(&plan, data).unwrap();
    // b1 and b3 are outside the term, and so is b4's reversal (in 2028): three entries
    // counted. b4 itself is paid in Q4.
    assert_eq!(outcome.entries_outside_term, 3);
    assert!(outcome.unpaid.is_empty());
    let rows = run(&plan, data);
    expect_quarters(&rows, "alice", "base", ["0.00", "200.00", "0.00", "400.00"]);
}

#[test]
fn credit_outside_the_term_cannot_stop_the_run() {
    // Last year's booking on an account whose owner starts with this year, and an overlay
    // cell left empty on it: neither has a recipient, and neither is this plan's
    // business (language.md section 5), so the run goes on and counts them.
    let plan = quarterly(
        r#"
    field booking.specialist: text
    credit direct { to owner_of(booking.account) }
    credit overlay { to booking.specialist }
    measure bookings = credited(direct)
    measure overlaid = credited(overlay)
    commission base { on bookings  rate 10% }
    commission se { on overlaid  rate 1% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "sam"}],
        "accounts": [{"account": "acme", "payee": "alice", "from": "2027-01-01"}],
        "bookings": [
            {"id": "b1", "date": "2026-12-30", "amount": 1000, "owner": "alice", "account": "acme"},
            {"id": "b2", "date": "2027-03-15", "amount": 2000, "owner": "alice", "account": "acme", "specialist": "sam"}
        ]}"#;
    let (_, outcome): (_, Outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.entries_outside_term, 2, "b1 under each rule, its recipient unknown");
    let rows = run(&plan, data);
    expect_quarters(&rows, "alice", "base", ["200.00", "0.00", "0.00", "0.00"]);
    expect_quarters(&rows, "sam", "se", ["20.00", "0.00", "0.00", "0.00"]);

    // In the term, the same missing owner is an error naming the booking.
    let in_term = data.replace("2026-12-30", "2027-01-01").replace(r#""from": "2027-01-01""#, r#""from": "2027-01-02""#);
    let error = run_json_outcome(&plan, &in_term).unwrap_err();
    assert!(error.contains("has no owner on 2027-01-01"), "{error}");
}

#[test]
fn monthly_periods_on_a_july_fiscal_year() {
    let plan = r#"plan "Monthly" {
    currency USD
    term 2027-07-01 to 2028-06-30
    period month
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
}"#;
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-07-15", "amount": 1000, "owner": "alice"},
            {"id": "b2", "date": "2028-01-10", "amount": 2000, "owner": "alice"},
            {"id": "b3", "date": "2028-06-30", "amount": 3000, "owner": "alice"}
        ]}"#;
    let rows = run(plan, data);
    let labels: Vec<&str> = rows.iter().filter(|r| r.line == "payout").map(|r| r.period.as_str()).collect();
    let expected: Vec<String> = (1..=12).map(|m| format!("M{m}")).collect();
    assert_eq!(labels, expected);
    // July is M1, January M7, June M12.
    expect(&rows, &[("alice", "M1", "base", "100.00"), ("alice", "M7", "base", "200.00"), ("alice", "M12", "base", "300.00"), ("alice", "M6", "base", "0.00")]);
}

// ---------------------------------------------------------------- evaluation errors

#[test]
fn division_by_zero_names_payee_and_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base { on bookings  rate 10%  gate attainment >= 50% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "zoe"}],
        "quotas": [
            {"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 1000},
            {"payee": "zoe", "quota": "bookings", "period": "Y1", "amount": 0}
        ],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 1000, "owner": "zoe"}]}"#;
    let e = eval_error(&plan, data);
    let text = e.to_string();
    assert!(text.to_lowercase().contains("division by zero") || text.contains("divid"), "{text}");
    assert_eq!(e.payee.as_deref(), Some("zoe"), "{text}");
    assert_eq!(e.period.as_deref(), Some("Q1"), "{text}");
    assert!(e.span.is_some(), "the error points at the division: {e:?}");
}

#[test]
fn missing_quota_names_payee_quota_and_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings") in period
    commission base { on bookings  rate 10%  gate attainment >= 50% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}, {"id": "yuri"}],
        "quotas": [
            {"payee": "alice", "quota": "bookings", "period": "Q1", "amount": 1000},
            {"payee": "alice", "quota": "bookings", "period": "Q2", "amount": 1000},
            {"payee": "alice", "quota": "bookings", "period": "Q3", "amount": 1000},
            {"payee": "alice", "quota": "bookings", "period": "Q4", "amount": 1000},
            {"payee": "yuri", "quota": "bookings", "period": "Q1", "amount": 1000}
        ],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 1000, "owner": "yuri"}]}"#;
    let e = eval_error(&plan, data);
    let text = e.to_string();
    assert!(text.contains("yuri") && text.contains("bookings") && text.contains("Q2"), "{text}");
}

// ---------------------------------------------------------------- order and reversals

#[test]
fn reversal_unwinds_the_slices_where_it_stands() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate 10%
        tiers marginal by attainment { below 100%: 1x  100% and above: 2x }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 100000}],
        "bookings": [
            {"id": "b1", "date": "2027-01-20", "amount": 60000, "owner": "alice", "cancel_date": "2027-04-10"},
            {"id": "b2", "date": "2027-02-20", "amount": 60000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: b1 [0, 60%) at 1x = 6,000; b2 [60%, 120%): 40k at 1x + 20k at 2x = 8,000.
    // Q2: b1's reversal moves 120% -> 60%, unwinding 20k at 2x and 40k at 1x: -8,000
    // (not the -6,000 b1 earned).
    expect_quarters(&rows, "alice", "base", ["14000.00", "-8000.00", "0.00", "0.00"]);
}

#[test]
fn same_day_entries_follow_booking_id_order_as_strings() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base {
        on bookings
        tiers marginal by bookings { 0 USD to 100 USD: 5%  100 USD and above: 10% }
    }
    cap base at 6 USD per booking"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b9", "date": "2027-02-10", "amount": 50, "owner": "alice"},
            {"id": "b10", "date": "2027-02-10", "amount": 100, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // "b10" < "b9" byte by byte, so b10 comes first: [0, 100) at 5% = 5, then b9
    // [100, 150) at 10% = 5: 10, under both caps. (b9 first would give b10 7.50,
    // capped at 6: 8.50.)
    expect_quarters(&rows, "alice", "base", ["10.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn count_and_filtered_credit() {
    let plan = quarterly(
        r#"
    field booking.product: text
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    measure security = credited(direct, booking.product == "Security")
    measure deals_this_quarter = count(direct) in period
    measure deals = count(direct)
    commission base { on security  rate 10% }
    bonus busy { when deals_this_quarter >= 2  pay 100 USD per period }
    bonus regular { when deals >= 2  pay 1_000 USD }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-01-10", "amount": 1000, "owner": "alice", "product": "Security"},
            {"id": "b2", "date": "2027-02-10", "amount": 2000, "owner": "alice", "product": "Compute", "cancel_date": "2027-04-10"},
            {"id": "b3", "date": "2027-05-10", "amount": 3000, "owner": "alice", "product": "Security"}
        ]}"#;
    let rows = run(&plan, data);
    // base is on Security credit only: 100 in Q1, 300 in Q2.
    // Q1: 2 deals -> busy 100; to date 2 -> regular 1,000.
    // Q2: in the quarter b2's entries sum below zero and b3 above: 1 deal, no busy.
    // To date: b1, b3 (b2 sums to zero): 2, so regular stays.
    expect_quarters(&rows, "alice", "base", ["100.00", "300.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "busy", ["100.00", "0.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "regular", ["1000.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn metric_in_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure mbo = metric("mbo_score") in period
    commission base { on bookings  rate 0% }
    bonus mbo_bonus { when mbo >= 0.5  pay mbo of 1_000 USD per period }"#,
    );
    let rows_for = |q4: &str| {
        format!(
            r#"{{ "payees": [{{"id": "alice"}}], "bookings": [],
            "metrics": [
                {{"payee": "alice", "metric": "mbo_score", "period": "Q1", "value": 0.9}},
                {{"payee": "alice", "metric": "mbo_score", "period": "Q2", "value": 0.4}},
                {{"payee": "alice", "metric": "mbo_score", "period": "Q3", "value": "0.5"}}{q4}
            ]}}"#
        )
    };
    let rows = run(&plan, &rows_for(r#", {"payee": "alice", "metric": "mbo_score", "period": "Q4", "value": 1.25}"#));
    // 0.9 x 1,000; 0.4 is under 0.5: nothing; 0.5 exactly pays 500; 1.25 pays 1,250.
    expect_quarters(&rows, "alice", "mbo_bonus", ["900.00", "0.00", "500.00", "1250.00"]);
    // No Q4 row: an error naming the payee, the metric and the period.
    let e = eval_error(&plan, &rows_for(""));
    let text = e.to_string();
    assert!(text.contains("alice") && text.contains("mbo_score") && text.contains("Q4"), "{text}");
}

#[test]
fn draw_periods_count_from_the_first_active_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    draw guaranteed 1_000 USD per period for 2 periods"#,
    );
    let data = r#"{ "payees": [{"id": "late", "start_date": "2027-05-17"}], "bookings": []}"#;
    let rows = run(&plan, data);
    // Q1 lies wholly before the start: zero. The draw periods are Q2 (partly active,
    // not prorated without `prorate by days`) and Q3.
    expect_quarters(&rows, "late", "draw", ["0.00", "1000.00", "1000.00", "0.00"]);
}

#[test]
fn rollup_sees_an_ineligible_reps_credit_and_the_intermediate_rule_is_not_reported() {
    let plan = quarterly(
        r#"
    eligible payee.role == "Manager"
    credit direct { }
    credit team { rollup direct }
    measure team_bookings = credited(team)
    commission team_commission { on team_bookings  rate 1% }"#,
    );
    let data = r#"{ "payees": [{"id": "mgr", "role": "Manager"}, {"id": "ae", "role": "AE", "manager": "mgr"}],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 100000, "owner": "ae"}]}"#;
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.payees.len(), 1);
    assert!(outcome.unpaid.is_empty(), "`direct` only feeds the rollup: {:?}", outcome.unpaid);
    let rows = run(&plan, data);
    expect(&rows, &[("mgr", "Q1", "team_commission", "1000.00")]);
}

#[test]
fn a_reversal_after_the_end_date_is_unpaid() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice", "end_date": "2027-04-30"}],
        "bookings": [{"id": "b1", "date": "2027-03-01", "amount": 10000, "owner": "alice", "cancel_date": "2027-05-10"}]}"#;
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    let unpaid: Vec<(&str, Decimal, &str)> = outcome.unpaid.iter().map(|u| (u.booking.as_str(), u.amount, u.reason.as_str())).collect();
    assert_eq!(unpaid, [("b1", dec("-10000"), "after end date")]);
    let rows = run(&plan, data);
    expect_quarters(&rows, "alice", "base", ["1000.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn retroactive_tiers_by_amount() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    commission base {
        on bookings
        tiers retroactive by bookings { 0 USD to 100_000 USD: 5%  100_000 USD and above: 8% }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 40000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 80k at 5% = 4,000. Q2: 120k reaches the 8% band, which re-prices all of it:
    // 9,600, line 5,600.
    expect_quarters(&rows, "alice", "base", ["4000.00", "5600.00", "0.00", "0.00"]);
}

#[test]
fn absent_cell_read_in_a_filter_is_an_error_naming_the_booking() {
    let plan = quarterly(
        r#"
    field booking.product: text
    credit direct { when booking.product == "Security" }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 1000, "owner": "alice", "product": "Security"},
            {"id": "b7", "date": "2027-02-11", "amount": 1000, "owner": "alice", "product": ""}
        ]}"#;
    let e = eval_error(&plan, data);
    let text = e.to_string();
    assert!(text.contains("b7"), "{text}");
    assert!(text.contains("product"), "the error names the column: {text}");
    // Once each: the booking and its row are the error's context.
    assert_eq!(text, "the booking has no `product`: the cell is empty (booking `b7`, data.json: bookings[1])");
}

// ---------------------------------------------------------------- interactions

#[test]
fn period_cap_lets_a_decrease_pass_in_full() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap base at 30_000 USD per period"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 200000, "owner": "alice"},
            {"id": "b2", "date": "2027-03-10", "amount": 200000, "owner": "alice", "cancel_date": "2027-04-10"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: E = 40,000, capped to 30,000 (10,000 forfeited). Q2: b2 reversed, E = 20,000:
    // the change -20,000 passes the period cap in full: C = 10,000, line -20,000.
    expect_quarters(&rows, "alice", "base", ["30000.00", "-20000.00", "0.00", "0.00"]);
}

#[test]
fn booking_cap_follows_the_booking_through_a_reversal() {
    let plan = quarterly(
        r#"
    credit direct { clawback within 90 days }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    cap base at 5_000 USD per booking"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice", "cancel_date": "2027-04-10"},
            {"id": "b2", "date": "2027-02-11", "amount": 10000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: b1 8,000 -> 5,000, b2 1,000: 6,000. Q2: b1's reversal is attributed to b1,
    // whose earnings become 0: E = 1,000, line -5,000 (not -8,000).
    expect_quarters(&rows, "alice", "base", ["6000.00", "-5000.00", "0.00", "0.00"]);
}

#[test]
fn booking_cap_then_gate_then_term_cap() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate 10%
        gate attainment >= 50%
    }
    cap base at 6_000 USD per booking
    cap base at 9_000 USD per term"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 200000}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 80000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 40000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Q1: 40% < 50%: held (b1 8,000 -> 6,000 by the booking cap). Q2: 60%: released,
    // 6,000 + 4,000 = 10,000, then the term cap: 9,000.
    expect_quarters(&rows, "alice", "base", ["0.00", "9000.00", "0.00", "0.00"]);
}

#[test]
fn half_and_year_periods() {
    for (kind, labels) in [("half", vec!["H1", "H2"]), ("year", vec!["Y1"])] {
        let plan = format!(
            "plan \"P\" {{\n currency USD\n term 2027-01-01 to 2027-12-31\n period {kind}\n credit direct {{ }}\n measure bookings = credited(direct)\n commission base {{ on bookings  rate 10% }}\n}}"
        );
        let data = r#"{ "payees": [{"id": "alice"}],
            "bookings": [{"id": "b1", "date": "2027-06-30", "amount": 1000, "owner": "alice"}, {"id": "b2", "date": "2027-07-01", "amount": 2000, "owner": "alice"}]}"#;
        let rows = run(&plan, data);
        let got: Vec<(&str, &str)> = rows.iter().filter(|r| r.line == "base").map(|r| (r.period.as_str(), r.amount.as_str())).collect();
        let expected: Vec<(&str, &str)> = if kind == "half" { vec![("H1", "100.00"), ("H2", "200.00")] } else { vec![("Y1", "300.00")] };
        assert_eq!(got, expected, "{kind}");
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), labels);
    }
}

#[test]
fn booking_money_field_is_converted_like_the_amount() {
    let plan = quarterly(
        r#"
    field booking.arr: money
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 0% }
    spif big_arr {
        on direct
        window 2027-01-01 to 2027-12-31
        when booking.arr >= 11_000 USD
        pay 100 USD per booking
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "fx": [{"currency": "EUR", "date": "2027-01-01", "rate": "1.10"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 1, "currency": "EUR", "arr": 10000, "owner": "alice"},
            {"id": "b2", "date": "2027-02-11", "amount": 1, "currency": "EUR", "arr": 9999, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // b1's ARR 10,000 EUR is 11,000 USD: qualifies; b2's 9,999 EUR is 10,998.90 USD.
    expect_quarters(&rows, "alice", "big_arr", ["100.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn credit_amount_and_date_clauses() {
    let plan = quarterly(
        r#"
    credit direct {
        amount booking.amount * 50%
        date booking.date + 30 days
    }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-03-10", "amount": 10000, "owner": "alice"},
            {"id": "b2", "date": "2027-02-10", "amount": 20000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Half of each booking, credited 30 days later: b2 on 2027-03-12 (Q1, 1,000), b1 on
    // 2027-04-09 (Q2, 500).
    expect_quarters(&rows, "alice", "base", ["1000.00", "500.00", "0.00", "0.00"]);
}

#[test]
fn functions_min_max_abs_days_between() {
    let plan = quarterly(
        r#"
    let tenure_days = days_between(payee.start_date, 2027-12-31)
    let floor = max(min(payee.target_incentive, 1_000 USD), 100 USD)
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 0% }
    bonus tenure { when tenure_days >= 365  pay floor }
    bonus magnitude { pay abs(-5 USD) }"#,
    );
    let data = r#"{ "payees": [
            {"id": "old", "start_date": "2026-12-31", "target_incentive": 50000},
            {"id": "new", "start_date": "2027-01-01", "target_incentive": 50}],
        "bookings": []}"#;
    let rows = run(&plan, data);
    // old: 365 days (2026-12-31 to 2027-12-31): pays min(50,000, 1,000) = 1,000.
    // new: 364 days: nothing. abs(-5 USD) = 5 once per term.
    expect(
        &rows,
        &[
            ("old", "Q1", "tenure", "1000.00"),
            ("new", "Q1", "tenure", "0.00"),
            ("old", "Q1", "magnitude", "5.00"),
            ("new", "Q1", "magnitude", "5.00"),
            ("new", "Q2", "magnitude", "0.00"),
        ],
    );
}

#[test]
fn marginal_tiers_in_period() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure q_bookings = credited(direct) in period
    commission base {
        on q_bookings
        tiers marginal by q_bookings { 0 USD to 50_000 USD: 5%  50_000 USD and above: 10% }
    }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 60000, "owner": "alice"},
            {"id": "b2", "date": "2027-05-10", "amount": 60000, "owner": "alice"}
        ]}"#;
    let rows = run(&plan, data);
    // Each quarter starts again from 0: 50k x 5% + 10k x 10% = 3,500 in Q1 and in Q2
    // (to date, Q2 would be all at 10%: 6,000).
    expect_quarters(&rows, "alice", "base", ["3500.00", "3500.00", "0.00", "0.00"]);
}

#[test]
fn draws_against_a_negative_total() {
    let plan = |kind: &str| {
        quarterly(&format!(
            r#"
    credit direct {{ clawback within 90 days }}
    measure bookings = credited(direct)
    commission base {{ on bookings  rate 10% }}
    draw {kind} 5_000 USD per period for 2 periods"#
        ))
    };
    let data = r#"{ "payees": [{"id": "alice"}],
        "bookings": [
            {"id": "b1", "date": "2027-02-10", "amount": 10000, "owner": "alice", "cancel_date": "2027-04-10"},
            {"id": "b2", "date": "2027-08-10", "amount": 100000, "owner": "alice"}
        ]}"#;
    // Q1: total 1,000, draw 4,000. Q2: the clawback makes the total -1,000; the draw
    // tops it up to D: max(0, 5,000 - (-1,000)) = 6,000, payout 5,000, no carry.
    let rows = run(&plan("guaranteed"), data);
    expect_quarters(&rows, "alice", "draw", ["4000.00", "6000.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "carry", ["0.00", "0.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["5000.00", "5000.00", "10000.00", "0.00"]);
    // Recoverable: the 10,000 drawn is owed and Q3's 10,000 (after the draw periods,
    // D = 0) pays it all back.
    let rows = run(&plan("recoverable"), data);
    expect_quarters(&rows, "alice", "draw", ["4000.00", "6000.00", "0.00", "0.00"]);
    expect_quarters(&rows, "alice", "recovery", ["0.00", "0.00", "-10000.00", "0.00"]);
    expect_quarters(&rows, "alice", "payout", ["5000.00", "5000.00", "0.00", "0.00"]);
}

#[test]
fn payee_custom_fields_and_membership() {
    let plan = quarterly(
        r#"
    field payee.segment: text
    field payee.quota_relief: money
    eligible payee.segment in ["Enterprise", "Strategic"]
    credit direct { }
    measure bookings = credited(direct)
    commission base { on bookings  rate 10% }
    bonus relief { when payee.quota_relief > 0 USD  pay payee.quota_relief }"#,
    );
    let data = r#"{ "payees": [
            {"id": "ent", "segment": "Enterprise", "quota_relief": 250},
            {"id": "smb", "segment": "SMB", "quota_relief": 0},
            {"id": "str", "segment": "Strategic", "quota_relief": "0"}],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 1000, "owner": "smb"}]}"#;
    let (_, outcome) = run_json_outcome(&plan, data).unwrap();
    assert_eq!(outcome.payees.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["ent", "str"]);
    assert_eq!(outcome.unpaid.len(), 1);
    let rows = run(&plan, data);
    expect(&rows, &[("ent", "Q1", "relief", "250.00"), ("str", "Q1", "relief", "0.00")]);
}

#[test]
fn a_commission_with_an_empty_tier_table_is_rejected_or_reported() {
    let plan = quarterly(
        r#"
    credit direct { }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base { on bookings  rate 10%  tiers marginal by attainment { } }"#,
    );
    let data = r#"{ "payees": [{"id": "alice"}],
        "quotas": [{"payee": "alice", "quota": "bookings", "period": "Y1", "amount": 100000}],
        "bookings": [{"id": "b1", "date": "2027-02-10", "amount": 150000, "owner": "alice"}]}"#;
    // language.md 7: bands must cover from 0 to `and above`; an empty table covers
    // nothing, so `check` should reject it. Failing that, cli.md requires every
    // component line for every payee and period.
    match run_json_csv(&plan, data) {
        Err(e) => assert!(e.contains("does not check"), "{e}"),
        Ok(csv) => {
            let rows = parse_output_csv(&csv).unwrap();
            assert!(amount_of(&rows, "alice", "Q1", "base").is_some(), "the component `base` has no line:\n{csv}");
        }
    }
}

//! The plan currency and money literals take every current ISO 4217 code, the fund
//! codes among them, as the data loader does (both read `payplan_facts::Currency`).

#[test]
fn recent_and_fund_codes_are_plan_currencies() {
    for code in ["VED", "ZWG", "XCG", "CLF", "UYW", "BOV", "CHE", "CHW", "COU", "MXV", "USN", "UYI"] {
        let source = format!(
            "plan \"p\" {{\n    currency {code}\n    term 2027-01-01 to 2027-12-31\n    period quarter\n    credit direct {{ to splits }}\n    measure bookings = credited(direct)\n    commission base {{ on bookings  rate 10% }}\n    spif s {{ on direct  pay 5 {code} per booking }}\n}}\n"
        );
        let checked = payplan_check::check_source(&source);
        assert!(!checked.has_errors(), "{code}: {:#?}", checked.diagnostics);
        assert_eq!(checked.plan.map(|plan| plan.currency.code().to_string()), Some(code.to_string()));
    }
    let checked = payplan_check::check_source("plan \"p\" {\n    currency ZZZ\n    term 2027-01-01 to 2027-12-31\n    period quarter\n}\n");
    assert!(checked.has_errors());
}

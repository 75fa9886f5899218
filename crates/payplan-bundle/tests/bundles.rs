//! Bundles reproduce every payee's lines exactly, and leak nothing of anyone else.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_facts::Facts;
use payplan_ir::Plan;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(plan_path: &Path, data: &Path) -> (String, Plan, Facts) {
    let text = std::fs::read_to_string(plan_path).unwrap();
    let plan = payplan_check::check_source(&text).plan.unwrap();
    let facts = payplan_data::load_path(data, &plan.schema()).unwrap();
    (text, plan, facts)
}

fn example_plans() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> =
        std::fs::read_dir(root().join("plans")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "plan")).collect();
    plans.sort();
    plans
}

/// Every eligible payee's bundle, written and read back, gives the full run's lines.
fn reproduces(plan_path: &Path, data: &Path) -> usize {
    let (text, plan, facts) = load(plan_path, data);
    let full = payplan_eval::evaluate(&plan, &facts).unwrap();
    for expected in &full.payees {
        let bundle = payplan_bundle::make(&text, &plan, &facts, &expected.id).unwrap();
        let json = payplan_bundle::to_json(&bundle);
        let opened = payplan_bundle::open(&json).unwrap();
        let (lines, _) = opened.evaluate(None).unwrap();
        assert_eq!(&lines, expected, "{}: {}", plan_path.display(), expected.id);
        let (traced, trace) = opened.evaluate(Some(payplan_eval::trace::Detail::Full)).unwrap();
        assert_eq!(&traced, expected);
        assert!(trace.is_some());
    }
    full.payees.len()
}

#[test]
fn bundles_reproduce_every_payee_of_the_example_plans() {
    let mut payees = 0;
    for plan in example_plans() {
        payees += reproduces(&plan, &root().join("plans/data"));
    }
    assert!(payees > 20, "{payees}");
}

#[test]
fn bundles_reproduce_every_payee_of_the_conformance_cases() {
    let Ok(dir) = std::fs::read_dir(root().join("../shared/conformance/cases")) else {
        eprintln!("skipped: ../shared/conformance is absent");
        return;
    };
    let mut cases = 0;
    for case in dir.flatten() {
        reproduces(&case.path().join("plan.plan"), &case.path().join("data"));
        cases += 1;
    }
    assert!(cases >= 39);
}

/// Byte by byte: no other payee's id or name, and none of their amounts that are not
/// also the payee's own, appears in a bundle (a manager's team members excepted).
#[test]
fn bundles_leak_nothing_of_other_payees() {
    for plan_path in example_plans() {
        let (text, plan, facts) = load(&plan_path, &root().join("plans/data"));
        let full = payplan_eval::evaluate(&plan, &facts).unwrap();
        for result in &full.payees {
            let bundle = payplan_bundle::make(&text, &plan, &facts, &result.id).unwrap();
            let json = payplan_bundle::to_json(&bundle);
            let allowed: BTreeSet<&str> = bundle.team.iter().map(String::as_str).chain(bundle.payee.manager.as_deref()).chain([result.id.as_str()]).collect();
            let own_amounts: BTreeSet<String> = bundle
                .quotas
                .iter()
                .map(|r| r.value.normalize().to_string())
                .chain(bundle.payee.target_incentive.map(|t| t.normalize().to_string()))
                .chain(bundle.bookings.iter().map(|b| b.amount.normalize().to_string()))
                .chain(bundle.entries.iter().map(|e| e.amount.normalize().to_string()))
                .collect();
            for other in facts.payees.iter().filter(|p| !allowed.contains(p.id.as_str())) {
                let quoted = format!("\"{}\"", other.id);
                assert!(!json.contains(&quoted), "{}: bundle of {} names {}", plan_path.display(), result.id, other.id);
                if let Some(name) = &other.name {
                    assert!(!json.contains(name.as_str()), "{}: bundle of {} holds the name of {}", plan_path.display(), result.id, other.id);
                }
                let their_amounts = facts
                    .quotas
                    .iter()
                    .filter(|q| q.payee == other.id)
                    .map(|q| q.value)
                    .chain(other.target_incentive)
                    .map(|d| d.normalize().to_string())
                    .filter(|a| !own_amounts.contains(a) && a.len() > 3);
                for amount in their_amounts {
                    let as_value = format!("\"{amount}\"");
                    assert!(!json.contains(&as_value), "{}: bundle of {} holds {amount}, an amount of {}", plan_path.display(), result.id, other.id);
                }
            }
            // Booking fields the plan does not read after crediting are dropped.
            assert!(!json.contains("\"se\""), "{}: an unread field is kept", plan_path.display());
        }
    }
}

#[test]
fn a_bundle_for_another_plan_version_is_a_clear_error() {
    let plan_path = root().join("plans/enterprise-ae.plan");
    let (text, plan, facts) = load(&plan_path, &root().join("plans/data"));
    let payee = payplan_eval::evaluate(&plan, &facts).unwrap().payees[0].id.clone();
    let json = payplan_bundle::to_json(&payplan_bundle::make(&text, &plan, &facts, &payee).unwrap());
    let edited = text.replace("15_000 USD", "16_000 USD");
    assert_ne!(edited, text);
    let error = payplan_bundle::open_for_plan(&json, &edited).unwrap_err();
    assert!(error.to_string().contains("another version of the plan"), "{error}");
    assert!(payplan_bundle::open_for_plan(&json, &text).is_ok());

    let tampered = json.replace("15_000 USD", "99_000 USD");
    assert_eq!(payplan_bundle::open(&tampered).unwrap_err(), payplan_bundle::BundleError::Corrupted);

    let future = json.replace(payplan_bundle::FORMAT, "payplan-bundle/9");
    assert!(payplan_bundle::open(&future).unwrap_err().to_string().contains("payplan-bundle/9"));
    assert!(payplan_bundle::open("{}").unwrap_err().to_string().starts_with("not a payplan bundle"));
}

#[test]
fn an_ineligible_payee_has_no_bundle() {
    let (text, plan, facts) = load(&root().join("plans/sales-manager.plan"), &root().join("plans/data"));
    let full = payplan_eval::evaluate(&plan, &facts).unwrap();
    let ineligible = facts.payees.iter().find(|p| !full.payees.iter().any(|r| r.id == p.id)).unwrap();
    assert!(matches!(payplan_bundle::make(&text, &plan, &facts, &ineligible.id), Err(payplan_bundle::BundleError::NoSuchPayee(_))));
}

/// A hypothetical deal added to a bundle pays what the same booking added to the full
/// data set pays the payee.
#[test]
fn a_deal_added_to_a_bundle_pays_as_in_the_full_run() {
    let plan_path = root().join("plans/enterprise-ae.plan");
    let (text, plan, facts) = load(&plan_path, &root().join("plans/data"));
    let payee = "E-114";
    let opened = payplan_bundle::open(&payplan_bundle::to_json(&payplan_bundle::make(&text, &plan, &facts, payee).unwrap())).unwrap();
    let template = facts.bookings.iter().find(|b| *b.owner == *payee && b.status.as_deref() == Some("won")).unwrap();
    let deal = payplan_facts::Booking {
        id: "WHATIF-1".into(),
        date: chrono::NaiveDate::from_ymd_opt(2027, 11, 15).unwrap(),
        amount: "250000".parse().unwrap(),
        cancel_date: None,
        ..template.clone()
    };
    let split = payplan_facts::Split { booking: "WHATIF-1".into(), payee: payee.into(), share: "0.6".parse().unwrap(), origin: template.origin.clone() };
    let partner = facts.payees.iter().find(|p| p.id != payee).unwrap();
    let other = payplan_facts::Split { booking: "WHATIF-1".into(), payee: partner.id.clone(), share: "0.4".parse().unwrap(), origin: template.origin.clone() };
    let (with_deal, _) = opened.with_deals(std::slice::from_ref(&deal), &[split.clone(), other.clone()]).unwrap().evaluate(None).unwrap();

    let mut tables = facts.to_tables();
    tables.bookings.push(deal);
    tables.splits.extend([split, other]);
    let full = payplan_eval::evaluate_one(&plan, &Facts::from_tables(tables), payee).unwrap().unwrap();
    assert_eq!(&with_deal, &full.payees[0]);
    let (without, _) = opened.evaluate(None).unwrap();
    assert_ne!(with_deal, without, "the deal changes something");
}

/// Whether `member` reports to `manager`, at any level, in the full data.
fn reports_to(facts: &Facts, member: &str, manager: &str) -> bool {
    let mut current = facts.payee(member).and_then(|p| p.manager.clone());
    let mut steps = 0;
    while let Some(id) = current {
        if id == manager {
            return true;
        }
        steps += 1;
        assert!(steps < 100, "a manager cycle at {member}");
        current = facts.payee(&id).and_then(|p| p.manager.clone());
    }
    false
}

/// What the byte search above cannot see: a bundle holds no booking beyond those of the
/// payee's credit entries, no account beyond those bookings', exactly the payee's own
/// quota and metric rows, and names only team members who report to the payee (a
/// manager's rolled-up credit). The plan text is left out of the search: it is the same
/// for every payee.
#[test]
fn bundles_hold_only_the_payees_bookings_accounts_rows_and_team() {
    for plan_path in example_plans() {
        let (text, plan, facts) = load(&plan_path, &root().join("plans/data"));
        let full = payplan_eval::evaluate(&plan, &facts).unwrap();
        let where_ = |payee: &str| format!("{}: bundle of {payee}", plan_path.display());
        for result in &full.payees {
            let me = result.id.as_str();
            let bundle = payplan_bundle::make(&text, &plan, &facts, me).unwrap();
            let json = payplan_bundle::to_json(&payplan_bundle::Bundle { plan: String::new(), ..bundle.clone() });

            let credited: BTreeSet<&str> = bundle.entries.iter().map(|e| e.booking.as_str()).collect();
            let held: BTreeSet<&str> = bundle.bookings.iter().map(|b| b.id.as_str()).collect();
            assert_eq!(held, credited, "{}: bookings beyond the entries", where_(me));
            for booking in facts.bookings.iter().filter(|b| !credited.contains(b.id.as_str())) {
                assert!(!json.contains(&format!("\"{}\"", booking.id)), "{}: holds booking {} that does not credit them", where_(me), booking.id);
            }

            let own_accounts: BTreeSet<&str> =
                facts.bookings.iter().filter(|b| credited.contains(b.id.as_str())).filter_map(|b| b.account.as_deref()).collect();
            let all_accounts: BTreeSet<&str> =
                facts.accounts.iter().map(|a| a.account.as_str()).chain(facts.bookings.iter().filter_map(|b| b.account.as_deref())).collect();
            for account in all_accounts.difference(&own_accounts) {
                assert!(!json.contains(&format!("\"{account}\"")), "{}: holds account {account}", where_(me));
            }

            let rows = |list: &[payplan_facts::PeriodValue]| -> Vec<(String, String, String)> {
                let mut rows: Vec<_> =
                    list.iter().filter(|r| r.payee == me).map(|r| (r.name.clone(), r.period.to_string(), r.value.normalize().to_string())).collect();
                rows.sort();
                rows
            };
            let held_rows = |list: &[payplan_bundle::PeriodRow]| -> Vec<(String, String, String)> {
                let mut rows: Vec<_> = list.iter().map(|r| (r.name.clone(), r.period.clone(), r.value.normalize().to_string())).collect();
                rows.sort();
                rows
            };
            assert_eq!(held_rows(&bundle.quotas), rows(&facts.quotas), "{}: quota rows", where_(me));
            assert_eq!(held_rows(&bundle.metrics), rows(&facts.metrics), "{}: metric rows", where_(me));

            for member in &bundle.team {
                assert!(reports_to(&facts, member, me), "{}: names {member}, who does not report to them", where_(me));
            }
            let team: BTreeSet<&str> = bundle.team.iter().map(String::as_str).collect();
            for entry in &bundle.entries {
                assert!(entry.rolled_up_from.as_deref().is_none_or(|from| team.contains(from)), "{}: an entry rolled up from outside the team", where_(me));
            }
            for booking in &bundle.bookings {
                assert!(
                    booking.owner.as_deref().is_none_or(|owner| owner == me || team.contains(owner)),
                    "{}: booking {} names its owner",
                    where_(me),
                    booking.id
                );
            }
        }
    }
}

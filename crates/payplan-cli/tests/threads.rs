//! The output is the same at any thread count (payees are evaluated in parallel and
//! merged in payee order).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use payplan_tests::{payplan_command, workspace_root};
use std::path::{Path, PathBuf};

fn run_with_threads(threads: &str, plan: &Path, data: &Path, format: &str) -> Vec<u8> {
    let out = payplan_command(
        env!("CARGO_BIN_EXE_payplan"),
        &workspace_root(),
        &["run", &plan.display().to_string(), "--data", &data.display().to_string(), "--format", format],
    )
    .env("RAYON_NUM_THREADS", threads)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn one_thread_and_many_threads_give_the_same_bytes() {
    let root = workspace_root();
    let mut cases: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(root.join("plans"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "plan"))
        .map(|p| (p, root.join("plans/data")))
        .collect();
    let conformance = root.join("../shared/conformance/cases");
    if let Ok(dir) = std::fs::read_dir(&conformance) {
        cases.extend(dir.flatten().map(|e| (e.path().join("plan.plan"), e.path().join("data"))));
    } else {
        eprintln!("conformance cases skipped: ../shared/conformance is absent");
    }
    cases.sort();
    assert!(!cases.is_empty());
    for (plan, data) in &cases {
        for format in ["csv", "json"] {
            let one = run_with_threads("1", plan, data, format);
            let many = run_with_threads("4", plan, data, format);
            assert!(one == many, "{} differs between 1 and 4 threads ({format})", plan.display());
        }
    }
}

/// A data set large enough for the loader to read files in parts and for crediting to
/// run in parts (more than 4 MB of bookings): 1, 2 and 3 threads give the same bytes.
#[test]
fn a_large_data_set_gives_the_same_bytes_at_any_thread_count() {
    let dir = payplan_tests::scratch_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), "threads-large");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let plan = dir.join("large.plan");
    std::fs::write(
        &plan,
        r#"plan "Large" {
    currency USD
    term 2027-01-01 to 2027-12-31
    period quarter
    rounding half_up
    eligible payee.role == "AE"
    field booking.product: text
    table product_rate { "Security" => 10%, "Analytics" => 9%, else => 6% }
    credit direct { when booking.status == "won"  to splits  clawback within 90 days }
    credit team { rollup direct }
    measure bookings = credited(direct)
    measure attainment = bookings / quota("bookings")
    commission base {
        on bookings
        rate product_rate[booking.product]
        tiers marginal by attainment { below 50%: 0.5x  50% to 100%: 1x  100% and above: 2x }
        gate attainment >= 10%
    }
    spif launch { on direct  window 2027-03-01 to 2027-05-31  when booking.product == "Security"  pay 500 USD per booking }
    cap base at 20_000 USD per booking
}
"#,
    )
    .unwrap();
    let payees = 400;
    let mut text = String::from("id,name,role,manager\n");
    for p in 0..payees {
        let role = if p % 10 == 0 { "MGR" } else { "AE" };
        let manager = if p % 10 == 0 { String::new() } else { format!("p{:04}", p / 10 * 10) };
        text.push_str(&format!("p{p:04},Payee {p},{role},{manager}\n"));
    }
    std::fs::write(data.join("payees.csv"), text).unwrap();
    let mut text = String::from("payee,quota,period,amount\n");
    for p in 0..payees {
        text.push_str(&format!("p{p:04},bookings,Y1,{}\n", 400_000 + p * 1_000));
    }
    std::fs::write(data.join("quotas.csv"), text).unwrap();
    std::fs::write(data.join("fx.csv"), "currency,date,rate\nEUR,2026-12-01,1.0850\nEUR,2027-04-01,1.0712\n").unwrap();
    let products = ["Security", "Analytics", "Compute", "Storage"];
    let mut bookings = String::from("id,date,amount,currency,owner,status,cancel_date,product\n");
    let mut splits = String::from("booking,payee,share\n");
    let mut state: u64 = 7;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    for b in 0..90_000u64 {
        let owner = next(payees as u64);
        let (month, day) = (1 + next(12), 1 + next(28));
        let status = if next(10) < 8 { "won" } else { "lost" };
        let cancel = if next(20) == 0 { format!("2027-{:02}-{:02}", (month + 1).min(12), day) } else { String::new() };
        let currency = if next(5) == 0 { "EUR" } else { "USD" };
        let product = products[usize::try_from(next(4)).unwrap()];
        bookings.push_str(&format!(
            "B{b:07},2027-{month:02}-{day:02},{}.{:02},{currency},p{owner:04},{status},{cancel},{product}\n",
            500 + next(80_000),
            next(100)
        ));
        if next(8) == 0 {
            let other = (owner + 1 + next(payees as u64 - 1)) % payees as u64;
            splits.push_str(&format!("B{b:07},p{owner:04},60%\nB{b:07},p{other:04},40%\n"));
        }
    }
    assert!(bookings.len() > 4 << 20, "large enough to be read in parts");
    std::fs::write(data.join("bookings.csv"), bookings).unwrap();
    std::fs::write(data.join("splits.csv"), splits).unwrap();
    let one = run_with_threads("1", &plan, &data, "json");
    for threads in ["2", "3"] {
        assert!(one == run_with_threads(threads, &plan, &data, "json"), "1 and {threads} threads differ");
    }
    assert!(String::from_utf8_lossy(&one).contains("\"payout\""), "the run pays something");
}

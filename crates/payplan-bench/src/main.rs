//! `payplan-bench`: runs the shared benchmark workload (`../shared/bench`: gen_data.py
//! and reference.plan) at several sizes and reports wall time, throughput and peak
//! memory, end to end (`payplan run ... --format csv`) and by phase (load, credit,
//! evaluate, write).
//!
//! ```sh
//! cargo build --release && target/release/payplan-bench            # 100k, 1M, 4M bookings, 10k payees
//! target/release/payplan-bench --sizes 100000,1000000 --payees 10000
//! ```
//! Data sets are generated once into `target/bench-data/` (Python 3 standard library)
//! and reused.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Options {
    sizes: Vec<u64>,
    payees: u64,
    shared: PathBuf,
    payplan: PathBuf,
    data_root: PathBuf,
    phases: bool,
}

fn parse_args() -> Result<Options, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut options = Options {
        sizes: vec![100_000, 1_000_000, 4_000_000],
        payees: 10_000,
        shared: PathBuf::from("../shared"),
        payplan: bin_dir.join("payplan"),
        data_root: PathBuf::from("target/bench-data"),
        phases: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sizes" => options.sizes = value()?.split(',').map(|s| s.trim().replace('_', "").parse::<u64>().map_err(|e| format!("--sizes: {e}"))).collect::<Result<_, _>>()?,
            "--payees" => options.payees = value()?.parse().map_err(|e| format!("--payees: {e}"))?,
            "--shared" => options.shared = PathBuf::from(value()?),
            "--payplan" => options.payplan = PathBuf::from(value()?),
            "--data" => options.data_root = PathBuf::from(value()?),
            "--no-phases" => options.phases = false,
            "-h" | "--help" => return Err("usage: payplan-bench [--sizes 100000,1000000,4000000] [--payees 10000] [--shared ../shared] [--payplan target/release/payplan] [--data target/bench-data] [--no-phases]".into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let plan_path = options.shared.join("bench/reference.plan");
    println!(
        "payplan benchmark: {} with {} payees; {} core(s)",
        plan_path.display(),
        options.payees,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{:>10}  {:>9}  {:>14}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}", "bookings", "wall", "bookings/s", "peak MB", "load", "credit", "evaluate", "write");
    let mut what_ifs = Vec::new();
    for &size in &options.sizes {
        let data = match ensure_data(&options, size) {
            Ok(d) => d,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(1);
            }
        };
        let (wall, peak_kb) = match end_to_end(&options.payplan, &plan_path, &data) {
            Ok(r) => r,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(1);
            }
        };
        let phases = if options.phases { phases(&plan_path, &data) } else { Ok([Duration::ZERO; 4]) };
        let [load, credit, evaluate, write] = match phases {
            Ok(p) => p,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(1);
            }
        };
        if options.phases {
            match what_if(&plan_path, &data) {
                Ok(line) => what_ifs.push(format!("{size:>10}  {line}")),
                Err(message) => {
                    eprintln!("{message}");
                    return ExitCode::from(1);
                }
            }
        }
        let rate = size as f64 / wall.as_secs_f64();
        println!(
            "{size:>10}  {:>8.2}s  {rate:>14.0}  {:>10.0}  {:>7.2}s  {:>7.2}s  {:>7.2}s  {:>7.2}s",
            wall.as_secs_f64(),
            peak_kb as f64 / 1024.0,
            load.as_secs_f64(),
            credit.as_secs_f64(),
            evaluate.as_secs_f64(),
            write.as_secs_f64()
        );
    }
    if !what_ifs.is_empty() {
        println!();
        println!("what-if (the browser preview): one payee's bundle re-evaluated after adding one booking, median of 21");
        for line in &what_ifs {
            println!("{line}");
        }
    }
    ExitCode::SUCCESS
}

/// Times the browser's what-if natively: the bundle of the payee with the most credit
/// entries, one hypothetical deal added, the payee's lines re-evaluated.
fn what_if(plan_path: &Path, data: &Path) -> Result<String, String> {
    let source = std::fs::read_to_string(plan_path).map_err(|e| e.to_string())?;
    let plan = payplan_check::check_source(&source).plan.ok_or("the reference plan does not check")?;
    let facts = payplan_data::load_path(data, &plan.schema()).map_err(|e| e.to_string())?;
    let credits = payplan_eval::credit_entries(&plan, &facts).map_err(|e| e.to_string())?;
    let outcome = payplan_eval::evaluate(&plan, &facts).map_err(|e| e.to_string())?;
    let eligible: std::collections::BTreeSet<&str> = outcome.payees.iter().map(|p| p.id.as_str()).collect();
    let mut counts = vec![0usize; facts.payees.len()];
    for entry in &credits.entries {
        if let Some(c) = counts.get_mut(entry.payee) {
            *c += 1;
        }
    }
    let busiest = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| facts.payees.get(*i).is_some_and(|p| eligible.contains(p.id.as_str())))
        .max_by_key(|(_, c)| **c)
        .and_then(|(i, _)| facts.payees.get(i))
        .ok_or("no eligible payee")?;
    let bundle = payplan_bundle::make(&source, &plan, &facts, &busiest.id).map_err(|e| e.to_string())?;
    let opened = payplan_bundle::open(&payplan_bundle::to_json(&bundle)).map_err(|e| e.to_string())?;
    let template = facts.bookings.iter().find(|b| *b.owner == *busiest.id).ok_or("the payee has no booking")?;
    let deal = payplan_facts::Booking { id: "WHATIF-1".into(), cancel_date: None, ..template.clone() };
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let with_deal = opened.with_deals(std::slice::from_ref(&deal), &[]).map_err(|e| e.to_string())?;
        let result = with_deal.evaluate(None).map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        std::hint::black_box(result);
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    Ok(format!("payee {} with {} entries: {:.2} ms", busiest.id, opened.entries.len(), median.as_secs_f64() * 1000.0))
}

/// Generates the data set of one size (once).
fn ensure_data(options: &Options, bookings: u64) -> Result<PathBuf, String> {
    let dir = options.data_root.join(format!("{}p-{}b", options.payees, bookings));
    if dir.join("bookings.csv").is_file() {
        return Ok(dir);
    }
    let status = Command::new("python3")
        .arg(options.shared.join("bench/gen_data.py"))
        .args(["--payees", &options.payees.to_string(), "--bookings", &bookings.to_string(), "--out"])
        .arg(&dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run gen_data.py: {e}"))?;
    if !status.success() {
        return Err(format!("gen_data.py failed for {bookings} bookings"));
    }
    Ok(dir)
}

/// Runs `payplan run --format csv` and returns the wall time and the peak resident
/// memory (kB) read from `/proc` while it runs.
fn end_to_end(payplan: &Path, plan: &Path, data: &Path) -> Result<(Duration, u64), String> {
    let start = Instant::now();
    let mut child = Command::new(payplan)
        .args(["run", &plan.display().to_string(), "--data", &data.display().to_string(), "--format", "csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", payplan.display()))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = text.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()) {
                peak = peak.max(kb);
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                let wall = start.elapsed();
                if !status.success() {
                    return Err(format!("payplan run failed on {}", data.display()));
                }
                return Ok((wall, peak));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Times the phases in this process: load, credit, evaluate (credit included, so the
/// evaluate figure is the rest), write.
fn phases(plan_path: &Path, data: &Path) -> Result<[Duration; 4], String> {
    let source = std::fs::read_to_string(plan_path).map_err(|e| e.to_string())?;
    let plan = payplan_check::check_source(&source).plan.ok_or("the reference plan does not check")?;
    let schema = plan.schema();
    let t = Instant::now();
    let facts = payplan_data::load_path(data, &schema).map_err(|e| e.to_string())?;
    let load = t.elapsed();
    let t = Instant::now();
    let credits = payplan_eval::credit_entries_in_parts(&plan, &facts).map_err(|e| e.to_string())?;
    let credit = t.elapsed();
    drop(credits);
    let t = Instant::now();
    let outcome = payplan_eval::evaluate(&plan, &facts).map_err(|e| e.to_string())?;
    let evaluate = t.elapsed().saturating_sub(credit);
    let t = Instant::now();
    let csv = payplan_output::render(payplan_output::Format::Csv, &plan, &outcome, None);
    let write = t.elapsed();
    std::hint::black_box(csv);
    Ok([load, credit, evaluate, write])
}

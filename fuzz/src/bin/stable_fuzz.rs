//! A stable-toolchain stand-in for libFuzzer, for machines where `cargo fuzz` cannot
//! run: `stable-fuzz TARGET SECONDS [CORPUS_DIR] [ARTIFACT_DIR]`.
//!
//! It replays the corpus, then mutates corpus entries (bit flips, byte edits, runs
//! of interesting bytes and tokens, splices of two entries, truncation) and random
//! bytes for SECONDS, calling the target on each. Without coverage feedback it is
//! much weaker than libFuzzer, but it runs everywhere. A panic writes the input to
//! ARTIFACT_DIR (default `artifacts/TARGET`) and exits 1; an input that takes more
//! than 10 seconds is reported as a hang the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Tokens worth inserting: the language's keywords and literal shapes, CSV and JSON
/// punctuation, encodings.
const TOKENS: &[&str] = &[
    "plan \"p\" {",
    "}",
    "{",
    "(",
    ")",
    "[",
    "]",
    "currency USD",
    "term 2027-01-01 to 2027-12-31",
    "period quarter",
    "credit direct { to splits }",
    "measure m = credited(direct)",
    "commission c { on m rate 8% }",
    "tiers marginal by a {",
    "below 50%: 0.5x",
    "100% and above: 2x",
    "cap total at 1 USD per term",
    "draw recoverable 1 USD per period for 2 periods",
    "bonus b { when a >= 100% pay 1 USD }",
    "spif s { on direct window 2027-01-01 to 2027-03-31 pay 1 USD per booking }",
    "curve k linear { 50%: 0% 100% and above: 1 }",
    "if true then 1 else 2",
    " not ",
    " and ",
    " or ",
    " in [\"a\"]",
    "2027-02-30",
    "99999999999999999999999999999",
    "0.0000000000000000000000000001",
    "1_000",
    "12.5%",
    "1.5x",
    "90 days",
    "payee.target_incentive",
    "booking.amount",
    "quota(\"bookings\")",
    "# comment\n",
    "\"",
    "\\",
    "\n",
    "\r\n",
    ",",
    ";",
    "\u{feff}",
    "\u{0}",
    "\u{ff}",
    "é",
    "𝔸",
    "-",
    "--",
    "/",
    "*",
    "%",
    "test \"t\" {",
    "expect a Q1 payout == 1 USD",
    "id,date,amount,currency,owner,status,cancel_date\n",
    "b1,2027-01-01,100,USD,a,won,\n",
    "id,name,role,manager\n",
    "booking,payee,share\n",
    "payee,quota,period,amount\n",
    "currency,date,rate\n",
    "EUR,2027-01-01,1.08\n",
    "account,payee,from,to\n",
    "\"a\nb\"",
    "1e5",
    "12,000",
    "$100",
    "1.234,56",
    "XYZ",
    "usd",
    "Q5",
    "M13",
    "H3",
    "Y2",
    "{\"payees\": [",
    "{\"id\": \"a\"}",
    "]}",
    "null",
    "true",
    "1234567890123456789012345678901234567890",
    "\u{1e}",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(target_name) = args.get(1) else {
        eprintln!("usage: stable-fuzz TARGET SECONDS [CORPUS_DIR] [ARTIFACT_DIR]; targets: {}", names());
        std::process::exit(2);
    };
    let Some((_, target)) = payplan_fuzz::TARGETS.iter().find(|(n, _)| n == target_name) else {
        eprintln!("unknown target {target_name}; targets: {}", names());
        std::process::exit(2);
    };
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let corpus_dir = args.get(3).map_or_else(|| PathBuf::from(format!("corpus/{target_name}")), PathBuf::from);
    let artifacts = args.get(4).map_or_else(|| PathBuf::from(format!("artifacts/{target_name}")), PathBuf::from);
    let mut corpus = read_corpus(&corpus_dir);
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let mut runs: u64 = 0;
    // First the corpus itself, then mutations until the time is up.
    for input in corpus.clone() {
        run_one(*target, &input, &artifacts, target_name);
        runs += 1;
    }
    while started.elapsed() < Duration::from_secs(seconds) {
        let input = mutate(&mut rng, &corpus);
        run_one(*target, &input, &artifacts, target_name);
        runs += 1;
        // Keep a few mutants around as further seeds (bounded).
        if rng.below(64) == 0 && corpus.len() < 4096 && input.len() < 64 * 1024 {
            corpus.push(input);
        }
    }
    println!("stable-fuzz {target_name}: {runs} runs in {:.0?}, no finding", started.elapsed());
}

fn names() -> String {
    payplan_fuzz::TARGETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn read_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn run_one(target: fn(&[u8]), input: &[u8], artifacts: &Path, name: &str) {
    let started = Instant::now();
    let result = std::panic::catch_unwind(|| target(input));
    let slow = started.elapsed() > Duration::from_secs(10);
    if result.is_err() || slow {
        std::fs::create_dir_all(artifacts).ok();
        let kind = if slow { "slow" } else { "crash" };
        let path = artifacts.join(format!("{kind}-{:016x}", hash(input)));
        std::fs::write(&path, input).ok();
        let why = match result {
            Err(payload) => payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string())).unwrap_or_default(),
            Ok(()) => format!("took {:.1?}", started.elapsed()),
        };
        eprintln!("stable-fuzz {name}: {kind} on {} ({why})", path.display());
        std::process::exit(1);
    }
}

fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut input = corpus[rng.below(corpus.len())].clone();
    let edits = 1 + rng.below(8);
    for _ in 0..edits {
        let at = rng.below(input.len() + 1);
        match rng.below(9) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] = u8::try_from(rng.below(256)).unwrap_or(0);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                input.splice(at..at, token.iter().copied());
            }
            3 if !input.is_empty() => {
                let end = (at + rng.below(32)).min(input.len());
                input.drain(at.min(end)..end);
            }
            4 => {
                // Repeat a slice: deep nesting, long runs.
                let start = rng.below(input.len() + 1);
                let end = (start + 1 + rng.below(16)).min(input.len());
                let piece: Vec<u8> = input.get(start..end).map(<[u8]>::to_vec).unwrap_or_default();
                for _ in 0..rng.below(200) {
                    input.splice(at..at, piece.iter().copied());
                }
            }
            5 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let len = rng.below(other.len() - from + 1);
                input.splice(at..at, other[from..from + len].iter().copied());
            }
            6 => input.truncate(at),
            7 => {
                let digit = b'0' + u8::try_from(rng.below(10)).unwrap_or(0);
                input.splice(at..at, std::iter::repeat_n(digit, 1 + rng.below(40)));
            }
            _ => {
                let random: Vec<u8> = (0..1 + rng.below(8)).map(|_| u8::try_from(rng.below(256)).unwrap_or(0)).collect();
                input.splice(at..at, random);
            }
        }
        if input.len() > 256 * 1024 {
            input.truncate(256 * 1024);
        }
    }
    input
}

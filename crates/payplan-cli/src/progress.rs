//! A progress bar on stderr for long runs, only when stderr is a terminal (never in
//! the results, never in a pipe or a CI log). It appears after a short delay, so quick
//! runs print nothing, and it erases itself.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a run must take before the bar shows.
const DELAY: Duration = Duration::from_millis(400);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);
/// Width of the bar in characters.
const WIDTH: usize = 30;

/// What the line says now; `None` when nothing should show.
#[derive(Default)]
struct Line {
    text: Option<String>,
    drawn: bool,
    finished: bool,
}

/// A transient status line, redrawn by a ticker thread while a phase runs.
pub struct Bar {
    line: Option<Arc<Mutex<Line>>>,
}

impl Bar {
    /// A bar on stderr, active only when stderr is a terminal.
    pub fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar { line: None };
        }
        let line = Arc::new(Mutex::new(Line::default()));
        let ticker = Arc::clone(&line);
        let started = Instant::now();
        let _ = std::thread::Builder::new().name("progress".into()).spawn(move || loop {
            std::thread::sleep(TICK);
            let Ok(mut state) = ticker.lock() else { return };
            if state.finished {
                return;
            }
            if started.elapsed() >= DELAY {
                if let Some(text) = &state.text {
                    let mut stderr = std::io::stderr().lock();
                    let _ = write!(stderr, "\r\x1b[2K{text}");
                    let _ = stderr.flush();
                    state.drawn = true;
                }
            }
        });
        Bar { line: Some(line) }
    }

    /// Shows a phase with no count.
    pub fn status(&self, phase: &str) {
        self.set(Some(format!("{phase}...")));
    }

    /// Shows a phase with its count.
    pub fn update(&self, phase: &str, done: usize, total: usize) {
        let filled = done.saturating_mul(WIDTH).checked_div(total).unwrap_or(WIDTH);
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
        let bar: String = "#".repeat(filled.min(WIDTH)) + &"-".repeat(WIDTH.saturating_sub(filled));
        self.set(Some(format!("[{bar}] {percent:>3}% {phase} ({done}/{total})")));
    }

    /// Erases the line (if anything was drawn) until the next status.
    pub fn clear(&self) {
        self.set(None);
    }

    fn set(&self, text: Option<String>) {
        let Some(line) = &self.line else { return };
        let Ok(mut state) = line.lock() else { return };
        if text.is_none() && state.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
            state.drawn = false;
        }
        state.text = text;
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.clear();
        if let Some(line) = &self.line {
            if let Ok(mut state) = line.lock() {
                state.finished = true;
            }
        }
    }
}

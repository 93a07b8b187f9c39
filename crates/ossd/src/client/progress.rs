//! A progress line (bytes, rate, ETA) on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Progress of a transfer.
pub struct Progress {
    total: u64,
    done: AtomicU64,
    start: Instant,
    enabled: bool,
    last_draw: Mutex<Option<Instant>>,
}

impl Progress {
    /// A progress line over `total` bytes; silent unless stderr is a terminal and not `json`.
    pub fn new(total: u64, json: bool) -> Progress {
        Progress {
            total,
            done: AtomicU64::new(0),
            start: Instant::now(),
            enabled: !json && std::io::stderr().is_terminal(),
            last_draw: Mutex::new(None),
        }
    }

    /// Adds `n` bytes done and redraws at most 5 times a second.
    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if !self.enabled {
            return;
        }
        let Ok(mut last) = self.last_draw.lock() else { return };
        let now = Instant::now();
        if last.is_some_and(|l| now.duration_since(l) < Duration::from_millis(200))
            && done < self.total
        {
            return;
        }
        *last = Some(now);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 { (self.total.saturating_sub(done)) as f64 / rate } else { 0.0 };
        let pct = if self.total == 0 { 100.0 } else { done as f64 * 100.0 / self.total as f64 };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{:>5.1}%  {} / {}  {}/s  ETA {:.0}s   ",
            pct,
            super::output::size(done),
            super::output::size(self.total),
            super::output::size(rate as u64),
            eta
        );
        let _ = err.flush();
    }

    /// Ends the line.
    pub fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}

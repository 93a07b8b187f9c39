//! `--bandwidth-limit`: an average rate cap over a whole transfer, shared by all parts.

use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Paces sends so that the bytes sent since the start stay at or under `rate` per second.
pub struct Limiter {
    rate: u64,
    state: Mutex<(Instant, u64)>,
}

impl Limiter {
    /// A limiter of `rate` bytes per second; 0 means no limit.
    pub fn new(rate: u64) -> Limiter {
        Limiter { rate, state: Mutex::new((Instant::now(), 0)) }
    }

    /// Waits until `n` more bytes may go out.
    pub async fn take(&self, n: u64) {
        if self.rate == 0 {
            return;
        }
        let due = {
            let mut s = self.state.lock().await;
            s.1 += n;
            s.0 + Duration::from_secs_f64(s.1 as f64 / self.rate as f64)
        };
        tokio::time::sleep_until(due.into()).await;
    }
}

//! Rate-limited logging for conditions that can repeat many times a second (accept errors, a
//! full connection table): at most one line per interval, saying how many were left out.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One kind of repeated message and when it was last written.
pub struct LogLimit {
    interval: Duration,
    /// When the last line was written, and how many occurrences were left out since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogLimit {
    /// At most one line per `interval`.
    pub const fn new(interval: Duration) -> LogLimit {
        LogLimit { interval, state: Mutex::new((None, 0)) }
    }

    /// Records one occurrence. `Some(n)` when a line may be written now, `n` being the number
    /// of occurrences left out since the previous line; `None` to stay quiet.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    /// [`LogLimit::allow`] at a given time.
    pub fn allow_at(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match s.0 {
            Some(last) if now.saturating_duration_since(last) < self.interval => {
                s.1 += 1;
                None
            }
            _ => {
                let left_out = s.1;
                *s = (Some(now), 0);
                Some(left_out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count_left_out() {
        let limit = LogLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(limit.allow_at(t0), Some(0));
        for ms in [50, 100, 5_000, 9_999] {
            assert_eq!(limit.allow_at(t0 + Duration::from_millis(ms)), None);
        }
        assert_eq!(limit.allow_at(t0 + Duration::from_secs(10)), Some(4));
        assert_eq!(limit.allow_at(t0 + Duration::from_secs(11)), None);
        assert_eq!(limit.allow_at(t0 + Duration::from_secs(25)), Some(1));
    }
}

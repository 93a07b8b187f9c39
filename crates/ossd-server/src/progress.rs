//! The progress rule for a peer we wait on (a request body being received, a response being
//! written): in every `window` of time spent waiting on the peer, at least `window × min_rate`
//! bytes (and at least one) must move; otherwise the transfer has stalled.
//!
//! Only the time the transfer actually waits on the peer counts (the inner poll returned
//! `Pending`), not the time ossd spends elsewhere (hashing, disk), so a busy server never blames
//! its clients. A window ends early, and a new one starts, as soon as its bytes have moved.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How much progress a peer owes: at least `min_rate` bytes per second, checked over windows of
/// `window` of waiting. `min_rate = 0` leaves a plain timeout: one byte per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressRule {
    /// The waiting time over which progress is checked.
    pub window: Duration,
    /// Bytes per second the peer must sustain while we wait on it.
    pub min_rate: u64,
}

impl ProgressRule {
    /// Bytes that must move within one window.
    pub fn need(&self) -> u64 {
        let bytes = (self.min_rate as u128 * self.window.as_millis()) / 1000;
        u64::try_from(bytes).unwrap_or(u64::MAX).max(1)
    }
}

/// The window ran out with too few bytes moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the peer moved {moved} of the {need} bytes owed within {window:?} of waiting")]
pub struct Stalled {
    /// Bytes moved in the last window.
    pub moved: u64,
    /// Bytes owed per window.
    pub need: u64,
    /// The window.
    pub window: Duration,
}

/// Tracks one transfer against a [`ProgressRule`]. The timer is created on the first wait only,
/// so a transfer that never waits costs no clock reads and no allocation.
pub struct ProgressClock {
    rule: ProgressRule,
    need: u64,
    /// Waiting time of the current window, up to the start of the current wait.
    waited: Duration,
    /// Bytes moved in the current window.
    moved: u64,
    /// When the current wait began, while the peer is being waited on.
    waiting_since: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl ProgressClock {
    /// A clock at the start of its first window.
    pub fn new(rule: ProgressRule) -> ProgressClock {
        ProgressClock {
            rule,
            need: rule.need(),
            waited: Duration::ZERO,
            moved: 0,
            waiting_since: None,
            sleep: None,
        }
    }

    /// Records that `n` bytes moved (the inner poll was ready); ends the current wait.
    pub fn progress(&mut self, n: u64) {
        if let Some(since) = self.waiting_since.take() {
            self.waited += since.elapsed();
        }
        self.moved = self.moved.saturating_add(n);
        if self.moved >= self.need {
            self.waited = Duration::ZERO;
            self.moved = 0;
        }
    }

    /// To call when the inner poll returned `Pending`: starts or continues the wait and arms the
    /// timer with `cx`. `Pending` means keep waiting; `Ready` means the window ran out.
    pub fn poll_stalled(&mut self, cx: &mut Context<'_>) -> Poll<Stalled> {
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        let deadline = since + self.rule.window.saturating_sub(self.waited);
        loop {
            if Instant::now() >= deadline {
                return Poll::Ready(Stalled {
                    moved: self.moved,
                    need: self.need,
                    window: self.rule.window,
                });
            }
            let sleep = match &mut self.sleep {
                Some(s) => {
                    if s.deadline() != deadline {
                        s.as_mut().reset(deadline);
                    }
                    s
                }
                None => self.sleep.insert(Box::pin(tokio::time::sleep_until(deadline))),
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_is_rate_times_window_and_at_least_one_byte() {
        let rule = |secs, min_rate| ProgressRule { window: Duration::from_secs(secs), min_rate };
        assert_eq!(rule(2, 1024).need(), 2048);
        assert_eq!(rule(30, 0).need(), 1);
        assert_eq!(rule(1, u64::MAX).need(), u64::MAX);
    }

    #[tokio::test]
    async fn a_window_without_enough_bytes_stalls_and_progress_restarts_it() {
        let rule = ProgressRule { window: Duration::from_millis(100), min_rate: 10_000 };
        let mut clock = ProgressClock::new(rule);
        clock.progress(500);
        let stalled = std::future::poll_fn(|cx| clock.poll_stalled(cx)).await;
        assert_eq!(stalled, Stalled { moved: 500, need: 1000, window: rule.window });
        // Owed bytes arriving start a new window: the next wait gets a whole window again.
        let mut clock = ProgressClock::new(rule);
        clock.progress(1000);
        let started = Instant::now();
        let stalled = std::future::poll_fn(|cx| clock.poll_stalled(cx)).await;
        assert_eq!(stalled.moved, 0);
        assert!(started.elapsed() >= rule.window);
    }

    #[tokio::test]
    async fn only_time_spent_waiting_counts() {
        let rule = ProgressRule { window: Duration::from_millis(200), min_rate: 0 };
        let mut clock = ProgressClock::new(rule);
        // Not waiting: the transfer is busy elsewhere; no time is charged.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let woke = std::future::poll_fn(|cx| match clock.poll_stalled(cx) {
            Poll::Ready(_) => Poll::Ready(false),
            Poll::Pending => Poll::Ready(true),
        })
        .await;
        assert!(woke, "a fresh wait stalled at once");
    }
}

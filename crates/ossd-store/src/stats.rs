//! Counters the store keeps for monitoring: how long each group commit took and how many requests
//! it carried, and how many unreferenced blobs wait for readers before they are unlinked. Plain
//! atomics bumped by the committer (no lock); the server turns them into Prometheus metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A histogram of atomics with fixed upper bounds (Prometheus `le`, inclusive); an observation
/// above the last bound counts only in `count` (the `+Inf` bucket). Lock-free; a reader may see
/// an observation in `count` a moment before it shows in its bucket or the sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    /// Observations per bucket (not cumulative; made cumulative when read).
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
    count: AtomicU64,
}

/// What a [`Histogram`] holds at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// The upper bounds, ascending.
    pub bounds: &'static [u64],
    /// Cumulative counts, one per bound: observations `<=` that bound.
    pub cumulative: Vec<u64>,
    /// The sum of all observations.
    pub sum: u64,
    /// Every observation (the `+Inf` bucket).
    pub count: u64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [u64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, v: u64) {
        if let Some(i) = self.bounds.iter().position(|b| v <= *b)
            && let Some(b) = self.buckets.get(i)
        {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(v, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The current counts.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut acc = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                acc += b.load(Ordering::Relaxed);
                acc
            })
            .collect();
        // Never less than the buckets' total (an observation counted there first).
        let count = self.count.load(Ordering::Relaxed).max(acc);
        HistogramSnapshot {
            bounds: self.bounds,
            cumulative,
            sum: self.sum.load(Ordering::Relaxed),
            count,
        }
    }
}

/// Latency bounds in microseconds, 100 µs to 10 s (the Prometheus client defaults, finer below 5 ms).
pub const LATENCY_BOUNDS_US: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// Bounds of the number of requests in one group commit.
pub const GROUP_SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The store's monitoring counters ([`crate::Store::stats`]).
#[derive(Debug)]
pub struct StoreStats {
    /// Duration of each group commit (the durable transaction and the unlinks after it), µs.
    pub commit_us: Histogram,
    /// Requests (callers) carried by each group commit.
    pub group_size: Histogram,
    /// Unreferenced blobs waiting in the graveyard for running readers to end.
    garbage_waiting: AtomicU64,
}

impl Default for StoreStats {
    fn default() -> StoreStats {
        StoreStats {
            commit_us: Histogram::new(LATENCY_BOUNDS_US),
            group_size: Histogram::new(GROUP_SIZE_BOUNDS),
            garbage_waiting: AtomicU64::new(0),
        }
    }
}

impl StoreStats {
    /// Records one group commit of `requests` requests that took `took`.
    pub(crate) fn group(&self, requests: usize, took: Duration) {
        self.commit_us.observe(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        self.group_size.observe(requests as u64);
    }

    /// Records the graveyard's length after it changed.
    pub(crate) fn set_garbage_waiting(&self, n: usize) {
        self.garbage_waiting.store(n as u64, Ordering::Relaxed);
    }

    /// Unreferenced blobs waiting for running readers before they are unlinked.
    pub fn garbage_waiting(&self) -> u64 {
        self.garbage_waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn histogram_buckets_are_inclusive_and_cumulative() {
        static B: &[u64] = &[1, 10, 100];
        let h = Histogram::new(B);
        for v in [0, 1, 2, 10, 11, 100, 1000] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.cumulative, vec![2, 4, 6]);
        assert_eq!(s.count, 7);
        assert_eq!(s.sum, 1124);
    }
}

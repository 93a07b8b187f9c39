//! Prometheus metrics: the counters the request path bumps (atomics only, no lock) and their text
//! exposition (`expose`). Labels are bounded: the operation (a fixed table of OSS operation
//! names), the status class, and for CORS decisions the bucket (at most [`cors::MAX_BUCKETS`]
//! names, the rest counted under one label). No key, object or client ever becomes a label.

pub(crate) mod cors;
mod expose;
mod listen;

pub(crate) use cors::CorsDecision;
pub(crate) use expose::{free_disk_bytes, respond};
pub(crate) use listen::serve;

use ossd_store::stats::{Histogram, LATENCY_BOUNDS_US};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// The operation names a request can be counted under: every OSS operation of
/// `ossd_proto::operation` (a test checks the table against that file), the server's own
/// surfaces (`router::Surface::name`), and `Unknown` (a request refused before it was classified).
/// The most frequent come first, as the lookup is a linear scan.
pub(crate) const OP_NAMES: &[&str] = &[
    "GetObject",
    "PutObject",
    "HeadObject",
    "OptionObject",
    "UploadPart",
    "DeleteObject",
    "ListObjects",
    "ListObjectsV2",
    "ListBuckets",
    "PutBucket",
    "DeleteBucket",
    "HeadBucket",
    "GetBucketInfo",
    "GetBucketLocation",
    "GetBucketStat",
    "GetBucketAcl",
    "PutBucketAcl",
    "PutBucketCors",
    "GetBucketCors",
    "DeleteBucketCors",
    "DeleteMultipleObjects",
    "PostObject",
    "ListMultipartUploads",
    "CopyObject",
    "AppendObject",
    "GetObjectMeta",
    "GetObjectAcl",
    "PutObjectAcl",
    "InitiateMultipartUpload",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "ListParts",
    "ListLiveChannel",
    "GetBucketVersioning",
    "PutBucketVersioning",
    "ListObjectVersions",
    "DescribeRegions",
    "PutBucketReferer",
    "GetBucketReferer",
    "PutBucketWebsite",
    "GetBucketWebsite",
    "DeleteBucketWebsite",
    "PutBucketPublicAccessBlock",
    "GetBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketLifecycle",
    "GetBucketLifecycle",
    "DeleteBucketLifecycle",
    "PutBucketTags",
    "GetBucketTags",
    "DeleteBucketTags",
    "PutBucketEncryption",
    "GetBucketEncryption",
    "DeleteBucketEncryption",
    "PutSymlink",
    "GetSymlink",
    "PutObjectTagging",
    "GetObjectTagging",
    "DeleteObjectTagging",
    "NotImplemented",
    "MethodNotAllowed",
    "AmbiguousSubResource",
    "HealthCheck",
    "ReadinessCheck",
    "Metrics",
    "Admin",
    "Console",
    "UnknownSurface",
    "Unknown",
];

/// The label of an operation name missing from [`OP_NAMES`] (none today).
const OTHER_OP: &str = "Other";

/// Per operation: requests by status class and latency.
struct OpMetrics {
    /// Responses by status class 1xx..5xx.
    by_class: [AtomicU64; 5],
    /// Time from the request head to the response head, µs.
    latency_us: Histogram,
    /// Request body bytes received.
    received: AtomicU64,
    /// Response body bytes sent (the announced length).
    sent: AtomicU64,
}

impl OpMetrics {
    fn new() -> OpMetrics {
        OpMetrics {
            by_class: Default::default(),
            latency_us: Histogram::new(LATENCY_BOUNDS_US),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        }
    }
}

/// One finished request, as the pipeline reports it.
pub(crate) struct Finished {
    /// The operation name (`Trace::op`).
    pub op: &'static str,
    /// The response status.
    pub status: u16,
    /// From the request head to the response head.
    pub took: Duration,
    /// Request body bytes received.
    pub received: u64,
    /// Response body bytes announced.
    pub sent: u64,
}

/// Every metric of one server.
pub struct Metrics {
    /// One per [`OP_NAMES`] entry, then one for [`OTHER_OP`].
    ops: Box<[OpMetrics]>,
    in_flight: AtomicI64,
    open_connections: AtomicI64,
    refused_connections: AtomicU64,
    /// Lifecycle actions done (expirations, transitions, aborted uploads).
    lifecycle_actions: AtomicU64,
    /// CORS decisions per bucket.
    pub(crate) cors: cors::CorsMetrics,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            ops: (0..=OP_NAMES.len()).map(|_| OpMetrics::new()).collect(),
            in_flight: AtomicI64::new(0),
            open_connections: AtomicI64::new(0),
            refused_connections: AtomicU64::new(0),
            lifecycle_actions: AtomicU64::new(0),
            cors: cors::CorsMetrics::default(),
        }
    }
}

/// The index of `op` in [`OP_NAMES`], or the last index ([`OTHER_OP`]).
fn op_index(op: &str) -> usize {
    OP_NAMES.iter().position(|n| *n == op).unwrap_or(OP_NAMES.len())
}

/// Counts a request as in flight until dropped.
pub(crate) struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a connection as open until dropped.
pub(crate) struct OpenConnection(std::sync::Arc<crate::state::AppState>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.metrics.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// A request started; it stays in flight until the guard is dropped.
    pub(crate) fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// A request finished (its response head is ready).
    pub(crate) fn finish(&self, f: &Finished) {
        let Some(m) = self.ops.get(op_index(f.op)) else { return };
        let class = usize::from(f.status / 100).clamp(1, 5) - 1;
        if let Some(c) = m.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        m.latency_us.observe(u64::try_from(f.took.as_micros()).unwrap_or(u64::MAX));
        if f.received > 0 {
            m.received.fetch_add(f.received, Ordering::Relaxed);
        }
        if f.sent > 0 {
            m.sent.fetch_add(f.sent, Ordering::Relaxed);
        }
    }

    /// A connection is served; it stays open until the guard is dropped.
    pub(crate) fn connection(state: &std::sync::Arc<crate::state::AppState>) -> OpenConnection {
        state.metrics.open_connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection(state.clone())
    }

    /// The lifecycle worker expired, transitioned or aborted one thing.
    pub(crate) fn lifecycle_action(&self) {
        self.lifecycle_actions.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was refused by the connection cap.
    pub(crate) fn refused(&self) {
        self.refused_connections.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;

//! CORS decisions per bucket: preflights allowed or refused (by origin, by method, by header, for
//! lack of rules, or for a missing `Origin` / `Access-Control-Request-Method`), and actual
//! requests with an `Origin` on a bucket with rules (allowed, or refused by origin or method).
//!
//! The bucket label is bounded: the first [`MAX_BUCKETS`] bucket names the server sees (since it
//! started) get their own counters, every later one is counted under `bucket="_other"` (no bucket
//! name starts with `_`). A bucket's counter slot is found once, when its cached state is built,
//! so the request path only adds to an atomic.

use ossd_cors::{Explanation, RuleVerdict};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buckets with counters of their own.
pub(crate) const MAX_BUCKETS: usize = 100;
/// The label of the buckets beyond [`MAX_BUCKETS`].
pub(crate) const OTHER_BUCKET: &str = "_other";

/// What CORS decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorsDecision {
    /// A rule matched: the CORS headers were sent.
    Allowed,
    /// No rule allows the origin.
    RefusedOrigin,
    /// A rule allows the origin, none also the method.
    RefusedMethod,
    /// A rule allows origin and method, none also every requested header (preflight only).
    RefusedHeader,
    /// The bucket has no CORS configuration (preflight only; actual requests of such buckets are
    /// not looked at).
    RefusedNoRules,
    /// A preflight without `Origin` or `Access-Control-Request-Method` (400).
    Invalid,
}

/// Every decision, in label order.
const DECISIONS: [CorsDecision; 6] = [
    CorsDecision::Allowed,
    CorsDecision::RefusedOrigin,
    CorsDecision::RefusedMethod,
    CorsDecision::RefusedHeader,
    CorsDecision::RefusedNoRules,
    CorsDecision::Invalid,
];

impl CorsDecision {
    /// The label value (also written in the access log).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CorsDecision::Allowed => "allowed",
            CorsDecision::RefusedOrigin => "refused_origin",
            CorsDecision::RefusedMethod => "refused_method",
            CorsDecision::RefusedHeader => "refused_header",
            CorsDecision::RefusedNoRules => "refused_no_rules",
            CorsDecision::Invalid => "invalid",
        }
    }

    /// Why a configuration refused a request: the verdict of the rule that came closest (a rule
    /// refusing a header matched origin and method, one refusing the method matched the origin).
    pub(crate) fn refusal(e: &Explanation) -> CorsDecision {
        let rank = |v: &RuleVerdict| match v {
            RuleVerdict::OriginMismatch => 0,
            RuleVerdict::MethodMismatch => 1,
            RuleVerdict::HeaderMismatch { .. } | RuleVerdict::Matched => 2,
        };
        match e.rules.iter().map(rank).max() {
            Some(2) => CorsDecision::RefusedHeader,
            Some(1) => CorsDecision::RefusedMethod,
            _ => CorsDecision::RefusedOrigin,
        }
    }
}

/// The kind of request decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorsRequest {
    /// An OPTIONS preflight.
    Preflight,
    /// Any other request with an `Origin`.
    Actual,
}

const KINDS: [(CorsRequest, &str); 2] =
    [(CorsRequest::Preflight, "preflight"), (CorsRequest::Actual, "actual")];

/// Counters of one bucket: kind × decision.
type Slot = [AtomicU64; 12];

/// The per-bucket decision counters.
pub(crate) struct CorsMetrics {
    /// Bucket name → slot, and the names by slot; taken only when a bucket's state is built and
    /// when metrics are read.
    names: Mutex<(HashMap<String, usize>, Vec<String>)>,
    /// [`MAX_BUCKETS`] slots, then the one of [`OTHER_BUCKET`].
    slots: Box<[Slot]>,
}

impl Default for CorsMetrics {
    fn default() -> CorsMetrics {
        CorsMetrics {
            names: Mutex::new((HashMap::new(), Vec::new())),
            slots: (0..=MAX_BUCKETS).map(|_| Slot::default()).collect(),
        }
    }
}

impl CorsMetrics {
    /// The counter slot of bucket `name`, assigned on first use.
    pub(crate) fn slot(&self, name: &str) -> usize {
        let Ok(mut g) = self.names.lock() else { return MAX_BUCKETS };
        let (by_name, names) = &mut *g;
        if let Some(i) = by_name.get(name) {
            return *i;
        }
        if names.len() >= MAX_BUCKETS {
            return MAX_BUCKETS;
        }
        names.push(name.to_owned());
        by_name.insert(name.to_owned(), names.len() - 1);
        names.len() - 1
    }

    /// Counts one decision for the bucket in `slot`.
    pub(crate) fn count(&self, slot: usize, kind: CorsRequest, d: CorsDecision) {
        let k = usize::from(kind == CorsRequest::Actual);
        let i = k * DECISIONS.len() + DECISIONS.iter().position(|x| *x == d).unwrap_or(0);
        if let Some(c) = self.slots.get(slot).and_then(|s| s.get(i)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every non-zero counter as (bucket, request kind, decision, count).
    pub(crate) fn read(&self) -> Vec<(String, &'static str, &'static str, u64)> {
        let names = self.names.lock().map(|g| g.1.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for (s, slot) in self.slots.iter().enumerate() {
            let bucket =
                if s == MAX_BUCKETS { OTHER_BUCKET } else { names.get(s).map_or("", |n| n) };
            for (k, (_, kind)) in KINDS.iter().enumerate() {
                for (d, decision) in DECISIONS.iter().enumerate() {
                    let n =
                        slot.get(k * DECISIONS.len() + d).map_or(0, |c| c.load(Ordering::Relaxed));
                    if n > 0 {
                        out.push((bucket.to_owned(), *kind, decision.as_str(), n));
                    }
                }
            }
        }
        out
    }
}

/// The decision behind a preflight answered with `status` for `bucket`.
pub(crate) fn preflight_decision(
    bucket: &crate::state::BucketState,
    headers: &http::HeaderMap,
    status: http::StatusCode,
) -> CorsDecision {
    use http::header::{ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};
    if status.is_success() {
        return CorsDecision::Allowed;
    }
    let Some(cfg) = &bucket.cors else { return CorsDecision::RefusedNoRules };
    let text = |v: &http::HeaderValue| v.to_str().ok().map(str::to_owned);
    let origin = headers.get(ORIGIN).and_then(text).filter(|o| !o.is_empty());
    let method =
        headers.get(ACCESS_CONTROL_REQUEST_METHOD).and_then(text).filter(|m| !m.is_empty());
    let (Some(origin), Some(method)) = (origin, method) else { return CorsDecision::Invalid };
    let asked: Vec<String> =
        headers.get_all(ACCESS_CONTROL_REQUEST_HEADERS).iter().filter_map(text).collect();
    let asked = (!asked.is_empty()).then(|| asked.join(","));
    CorsDecision::refusal(&cfg.config().explain(&origin, &method, asked.as_deref()))
}

/// The decision behind an actual request with `origin` on a bucket with rules, from whether
/// `cors::decorate` gave `response` an `Access-Control-Allow-Origin`.
pub(crate) fn actual_decision(
    bucket: &crate::state::BucketState,
    origin: &http::HeaderValue,
    method: &http::Method,
    response: &http::HeaderMap,
) -> CorsDecision {
    if response.contains_key(http::header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        return CorsDecision::Allowed;
    }
    match (&bucket.cors, origin.to_str()) {
        (Some(cfg), Ok(o)) => {
            CorsDecision::refusal(&cfg.config().explain(o, method.as_str(), None))
        }
        _ => CorsDecision::RefusedOrigin,
    }
}

//! The metric tables against the code they describe.

use super::cors::{CorsDecision, CorsMetrics, CorsRequest, MAX_BUCKETS, OTHER_BUCKET};
use super::{Finished, Metrics, OP_NAMES, op_index};
use std::time::Duration;

/// Every operation name of the operation table (`info("Name", ...)` in ossd-proto) has a label,
/// so no operation is counted as `Other`.
#[test]
fn every_operation_of_the_table_has_a_label() {
    let table = include_str!("../../../ossd-proto/src/operation.rs");
    let mut found = 0;
    for part in table.split("info(\"").skip(1) {
        let name = part.split('"').next().unwrap_or("");
        assert!(OP_NAMES.contains(&name), "{name} has no metrics label");
        found += 1;
    }
    assert!(found >= 40, "only {found} operations found in operation.rs");
    for s in [
        crate::router::Surface::Healthz,
        crate::router::Surface::Readyz,
        crate::router::Surface::Metrics,
        crate::router::Surface::Admin,
        crate::router::Surface::Unknown,
    ] {
        assert!(OP_NAMES.contains(&s.name()), "{}", s.name());
    }
    let mut sorted = OP_NAMES.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), OP_NAMES.len(), "duplicate names");
}

#[test]
fn a_finished_request_counts_once_in_its_class_and_histogram() {
    let m = Metrics::default();
    let f = |op, status, us| Finished {
        op,
        status,
        took: Duration::from_micros(us),
        received: 10,
        sent: 20,
    };
    m.finish(&f("GetObject", 200, 50));
    m.finish(&f("GetObject", 404, 3_000));
    m.finish(&f("NoSuchOperation", 503, 1));
    let get = &m.ops[op_index("GetObject")];
    let classes: Vec<u64> =
        get.by_class.iter().map(|c| c.load(std::sync::atomic::Ordering::Relaxed)).collect();
    assert_eq!(classes, vec![0, 1, 0, 1, 0]);
    let h = get.latency_us.snapshot();
    assert_eq!((h.count, h.sum), (2, 3_050));
    assert_eq!(h.cumulative[0], 1, "50 µs is in the 100 µs bucket");
    let other = &m.ops[OP_NAMES.len()];
    assert_eq!(other.by_class[4].load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn cors_buckets_beyond_the_bound_share_one_label() {
    let c = CorsMetrics::default();
    for i in 0..MAX_BUCKETS + 5 {
        let slot = c.slot(&format!("bucket-{i}"));
        assert_eq!(slot, i.min(MAX_BUCKETS));
        c.count(slot, CorsRequest::Preflight, CorsDecision::RefusedMethod);
    }
    assert_eq!(c.slot("bucket-3"), 3, "a slot is kept");
    let read = c.read();
    assert_eq!(read.len(), MAX_BUCKETS + 1);
    let other: Vec<_> = read.iter().filter(|r| r.0 == OTHER_BUCKET).collect();
    assert_eq!(other, vec![&(OTHER_BUCKET.to_owned(), "preflight", "refused_method", 5)]);
}

#[test]
fn refusal_reason_is_the_rule_that_came_closest() {
    use ossd_cors::{CorsConfig, CorsRule};
    let rule = |o: &str, m: &str, h: &str| CorsRule {
        allowed_origins: vec![o.to_owned()],
        allowed_methods: vec![m.to_owned()],
        allowed_headers: vec![h.to_owned()],
        expose_headers: vec![],
        max_age_seconds: None,
    };
    let cfg = CorsConfig::new(
        vec![rule("https://a.com", "GET", "x-a"), rule("https://b.com", "PUT", "x-b")],
        false,
    )
    .expect("valid");
    let why = |o, m, h| CorsDecision::refusal(&cfg.explain(o, m, h));
    assert_eq!(why("https://c.com", "GET", None), CorsDecision::RefusedOrigin);
    assert_eq!(why("https://b.com", "GET", None), CorsDecision::RefusedMethod);
    assert_eq!(why("https://b.com", "PUT", Some("x-a")), CorsDecision::RefusedHeader);
}

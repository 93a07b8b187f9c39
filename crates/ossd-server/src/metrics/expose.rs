//! `GET /-/metrics`: the Prometheus text exposition format (version 0.0.4), written by hand.
//!
//! Who may read it: on the metrics listener (`--metrics-listen`) anyone who reaches it, as
//! Prometheus scrapes without credentials (bind it to loopback or a private interface); on the
//! server's own host of the main listener only a request signed with the root key, as for the
//! admin API (the main port faces browsers, and the CORS metric names buckets).

use super::{Metrics, OP_NAMES, OTHER_OP};
use crate::body::Body;
use crate::state::AppState;
use http::{HeaderValue, Response, StatusCode, header};
use ossd_proto::{ApiError, ErrorCode, Query};
use ossd_store::stats::HistogramSnapshot;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// The exposition's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Answers a metrics request. `open`: the metrics listener (no signature needed).
pub(crate) fn respond(
    state: &AppState,
    parts: &http::request::Parts,
    open: bool,
) -> Result<Response<Body>, ApiError> {
    if parts.method != http::Method::GET && parts.method != http::Method::HEAD {
        return Err(ApiError::new(ErrorCode::MethodNotAllowed));
    }
    if !open {
        let query = Query::parse(parts.uri.query().unwrap_or(""))?;
        crate::admin::authenticate(state, parts, "metrics", &query)?;
    }
    let text = render(state);
    let mut r = Response::new(Body::full(text));
    *r.status_mut() = StatusCode::OK;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(r)
}

/// One metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A metric family of one unlabelled sample.
fn single(out: &mut String, name: &str, kind: &str, help: &str, value: &str) {
    family(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// A label value escaped as the format requires (`\`, `"`, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Microseconds as seconds.
fn seconds(us: u64) -> String {
    format!("{}", us as f64 / 1e6)
}

/// The series of one histogram: `labels` is empty or `a="b",` (with the trailing comma).
fn histogram(out: &mut String, name: &str, labels: &str, h: &HistogramSnapshot, micros: bool) {
    let fmt = |v: u64| if micros { seconds(v) } else { v.to_string() };
    for (b, n) in h.bounds.iter().zip(&h.cumulative) {
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{}\"}} {n}", fmt(*b));
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", h.count);
    let plain = labels.trim_end_matches(',');
    let braces = if plain.is_empty() { String::new() } else { format!("{{{plain}}}") };
    let _ = writeln!(out, "{name}_sum{braces} {}", fmt(h.sum));
    let _ = writeln!(out, "{name}_count{braces} {}", h.count);
}

/// Free bytes an unprivileged user may still write where the data directory is, if known.
pub(crate) fn free_disk_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// The whole exposition.
pub(crate) fn render(state: &AppState) -> String {
    let m: &Metrics = &state.metrics;
    let mut out = String::with_capacity(16 * 1024);
    let names = OP_NAMES.iter().chain(std::iter::once(&OTHER_OP));
    let ops: Vec<(&str, &super::OpMetrics)> = names.copied().zip(m.ops.iter()).collect();

    family(
        &mut out,
        "ossd_requests_total",
        "counter",
        "Requests answered, by OSS operation and status class.",
    );
    for (op, om) in &ops {
        for (i, c) in om.by_class.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "ossd_requests_total{{op=\"{}\",status_class=\"{}xx\"}} {n}",
                    escape(op),
                    i + 1
                );
            }
        }
    }
    family(
        &mut out,
        "ossd_request_duration_seconds",
        "histogram",
        "Time from the request head to the response head, by OSS operation.",
    );
    for (op, om) in &ops {
        let h = om.latency_us.snapshot();
        if h.count > 0 {
            histogram(
                &mut out,
                "ossd_request_duration_seconds",
                &format!("op=\"{}\",", escape(op)),
                &h,
                true,
            );
        }
    }
    for (name, help, pick) in [
        ("ossd_request_body_bytes_total", "Request body bytes received, by OSS operation.", 0),
        (
            "ossd_response_body_bytes_total",
            "Response body bytes sent (as announced in the response head), by OSS operation.",
            1,
        ),
    ] {
        family(&mut out, name, "counter", help);
        for (op, om) in &ops {
            let n = if pick == 0 { &om.received } else { &om.sent }.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(out, "{name}{{op=\"{}\"}} {n}", escape(op));
            }
        }
    }
    let load = |a: &std::sync::atomic::AtomicI64| a.load(Ordering::Relaxed).max(0).to_string();
    let stats = state.store.stats();
    family(
        &mut out,
        "ossd_store_commit_duration_seconds",
        "histogram",
        "Duration of each group commit (one durable transaction).",
    );
    histogram(
        &mut out,
        "ossd_store_commit_duration_seconds",
        "",
        &stats.commit_us.snapshot(),
        true,
    );
    family(
        &mut out,
        "ossd_store_commit_group_requests",
        "histogram",
        "Requests carried by each group commit.",
    );
    histogram(
        &mut out,
        "ossd_store_commit_group_requests",
        "",
        &stats.group_size.snapshot(),
        false,
    );
    // Unlabelled gauges and counters.
    let mut scalars = vec![
        (
            "ossd_requests_in_flight",
            "gauge",
            "Requests being handled (until their response head is ready).",
            load(&m.in_flight),
        ),
        (
            "ossd_open_connections",
            "gauge",
            "Client connections being served (plain and TLS).",
            load(&m.open_connections),
        ),
        (
            "ossd_max_connections",
            "gauge",
            "The connection cap.",
            state.config.limits.max_connections.to_string(),
        ),
        (
            "ossd_refused_connections_total",
            "counter",
            "Connections refused by the connection cap.",
            m.refused_connections.load(Ordering::Relaxed).to_string(),
        ),
        (
            "ossd_store_garbage_blobs",
            "gauge",
            "Unreferenced blobs waiting for running reads to end before they are deleted.",
            stats.garbage_waiting().to_string(),
        ),
    ];
    if let Some(free) = free_disk_bytes(&state.config.data_dir) {
        scalars.push((
            "ossd_disk_free_bytes",
            "gauge",
            "Bytes still writable on the file system of the data directory.",
            free.to_string(),
        ));
    }
    scalars.push((
        "ossd_lifecycle_actions_total",
        "counter",
        "Objects expired or transitioned and multipart uploads aborted by lifecycle rules.",
        m.lifecycle_actions.load(Ordering::Relaxed).to_string(),
    ));
    for (name, kind, help, value) in scalars {
        single(&mut out, name, kind, help, &value);
    }

    family(
        &mut out,
        "ossd_cors_decisions_total",
        "counter",
        "CORS decisions by bucket (the first 100 buckets seen; later ones as _other), request kind and outcome.",
    );
    for (bucket, kind, decision, n) in m.cors.read() {
        let _ = writeln!(
            out,
            "ossd_cors_decisions_total{{bucket=\"{}\",request=\"{kind}\",decision=\"{decision}\"}} {n}",
            escape(&bucket)
        );
    }
    out
}

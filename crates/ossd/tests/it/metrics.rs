//! `/-/metrics`: exact counter deltas after a known sequence of requests, every line of the
//! exposition checked by a strict parser, and who may read it (anyone on the metrics listener,
//! only root on the main listener).

use crate::harness::{Ossd, Req, StartOpts, free_port, make_bucket};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The samples of one exposition: series (`name{labels}` as written) → value.
pub type Samples = BTreeMap<String, f64>;

/// Parses the Prometheus text format (0.0.4) strictly: every line is a `# HELP`, a `# TYPE` or a
/// sample; names and labels are well formed, label values use only the allowed escapes, every
/// sample belongs to a family declared before it, counters end in `_total`, each series appears
/// once, and histograms are cumulative with `+Inf` equal to `_count`.
pub fn parse_exposition(text: &str) -> Result<Samples, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helps: BTreeMap<String, ()> = BTreeMap::new();
    let mut out = Samples::new();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let body = text.strip_suffix('\n').ok_or("the exposition must end with a newline")?;
    for (no, line) in body.split('\n').enumerate() {
        let err = |m: &str| format!("line {}: {m}: {line:?}", no + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let (kw, rest) = rest.split_once(' ').ok_or_else(|| err("bare comment"))?;
            let (name, arg) = rest.split_once(' ').ok_or_else(|| err("no text"))?;
            if !name_ok(name) {
                return Err(err("bad metric name"));
            }
            match kw {
                "HELP" if helps.insert(name.to_owned(), ()).is_none() && !arg.is_empty() => {}
                "TYPE" => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg) {
                        return Err(err("unknown type"));
                    }
                    if types.insert(name.to_owned(), arg.to_owned()).is_some() {
                        return Err(err("TYPE given twice"));
                    }
                    if arg == "counter" && !name.ends_with("_total") {
                        return Err(err("a counter's name must end in _total"));
                    }
                    if !name.starts_with("ossd_") {
                        return Err(err("names start with ossd_"));
                    }
                }
                _ => return Err(err("bad HELP/TYPE line")),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| err("no value"))?;
        let name = &line[..name_end];
        if !name_ok(name) {
            return Err(err("bad metric name"));
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            let mut r = r;
            loop {
                if let Some(after) = r.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (lname, after) = r.split_once("=\"").ok_or_else(|| err("bad label"))?;
                if !name_ok(lname) || lname.contains(':') {
                    return Err(err("bad label name"));
                }
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('\\' | '"'))) => value.push(c),
                            Some((_, 'n')) => value.push('\n'),
                            _ => return Err(err("bad escape in a label value")),
                        },
                        Some((_, '\n')) | None => return Err(err("unterminated label value")),
                        Some((_, c)) => value.push(c),
                    }
                };
                labels.push((lname.to_owned(), value));
                r = &after[end + 1..];
                r = r.strip_prefix(',').unwrap_or(r);
            }
        }
        let value = rest.strip_prefix(' ').ok_or_else(|| err("no space before the value"))?;
        let value = value.split(' ').next().unwrap_or("");
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| err("value is not a number"))?,
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s).filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        if !types.contains_key(family) {
            return Err(err("sample of an undeclared family"));
        }
        let series = &line[..line.len() - rest.len() + 1 + value.len()]
            .rsplit_once(' ')
            .map_or(line, |(s, _)| s);
        if out.insert((*series).to_owned(), v).is_some() {
            return Err(err("series given twice"));
        }
        if v < 0.0 {
            return Err(err("negative value"));
        }
    }
    check_histograms(&types, &out)?;
    Ok(out)
}

/// Buckets are cumulative (non-decreasing in `le` order) and `+Inf` equals `_count`.
fn check_histograms(types: &BTreeMap<String, String>, s: &Samples) -> Result<(), String> {
    for (family, _) in types.iter().filter(|(_, t)| *t == "histogram") {
        let mut by_series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for (series, v) in s.range(format!("{family}_bucket{{")..format!("{family}_bucket|")) {
            let (labels, le) = series.rsplit_once("le=\"").ok_or("bucket without le")?;
            let le = le.trim_end_matches("\"}");
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().map_err(|_| "bad le")? };
            by_series.entry(labels.to_owned()).or_default().push((le, *v));
        }
        for (labels, mut buckets) in by_series {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
                return Err(format!("{family} {labels}: buckets not cumulative"));
            }
            let inf = buckets.last().filter(|b| b.0.is_infinite()).ok_or("no +Inf bucket")?.1;
            let plain = labels.trim_end_matches(',').trim_end_matches('{');
            let plain = plain.strip_prefix(&format!("{family}_bucket")).unwrap_or(plain);
            let count_series = if plain.is_empty() {
                format!("{family}_count")
            } else {
                format!("{family}_count{plain}}}")
            };
            if s.get(&count_series) != Some(&inf) {
                return Err(format!("{count_series}: +Inf bucket {inf} is not the count"));
            }
        }
    }
    Ok(())
}

/// A value of the exposition (absent: 0).
fn get(s: &Samples, series: &str) -> f64 {
    s.get(series).copied().unwrap_or(0.0)
}

/// Scrapes the metrics listener at `addr` and parses the answer strictly.
fn scrape(addr: SocketAddr) -> Samples {
    let r = Ossd::client_for(addr).send(&Req::new("GET", "/-/metrics"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    parse_exposition(&r.text()).unwrap_or_else(|e| panic!("{e}\n{}", r.text()))
}

const RULES: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.com</AllowedOrigin>\
<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-ok</AllowedHeader></CORSRule></CORSConfiguration>";

fn preflight(s: &Ossd, path: &str, origin: &str, method: &str, headers: Option<&str>) -> u16 {
    let mut r = Req::new("OPTIONS", path)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if let Some(h) = headers {
        r = r.header("Access-Control-Request-Headers", h);
    }
    s.send(&r).status
}

#[test]
fn counters_move_by_exactly_the_requests_made() {
    let maddr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let s = Ossd::start_with(&StartOpts {
        args: vec!["--metrics-listen".into(), maddr.to_string()],
        ..StartOpts::default()
    });
    make_bucket(&s, "met");
    make_bucket(&s, "met-plain");
    assert_eq!(s.signed(Req::new("PUT", "/met/?cors").body(RULES)).status, 200);
    let before = scrape(maddr);

    assert_eq!(s.signed(Req::new("PUT", "/met/obj").body("hello")).status, 200);
    assert_eq!(s.signed(Req::new("PUT", "/met/obj2").body("1234567")).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/met/obj")).status, 200);
    assert_eq!(s.signed(Req::new("GET", "/met/missing")).status, 404);
    assert_eq!(preflight(&s, "/met/obj", "https://a.com", "GET", Some("x-ok")), 200);
    assert_eq!(preflight(&s, "/met/obj", "https://b.com", "GET", None), 403);
    assert_eq!(preflight(&s, "/met/obj", "https://a.com", "PUT", None), 403);
    assert_eq!(preflight(&s, "/met/obj", "https://a.com", "GET", Some("x-no")), 403);
    assert_eq!(preflight(&s, "/met-plain/obj", "https://a.com", "GET", None), 403);
    let with_origin = Req::new("GET", "/met/obj").header("Origin", "https://a.com");
    assert_eq!(s.signed(with_origin).status, 200);
    let with_origin = Req::new("GET", "/met/obj").header("Origin", "https://c.com");
    assert_eq!(s.signed(with_origin).status, 200);

    let after = scrape(maddr);
    let delta = |series: &str| get(&after, series) - get(&before, series);
    let req = |op: &str, class: &str| {
        format!("ossd_requests_total{{op=\"{op}\",status_class=\"{class}\"}}")
    };
    assert_eq!(delta(&req("PutObject", "2xx")), 2.0);
    assert_eq!(delta(&req("GetObject", "2xx")), 3.0);
    assert_eq!(delta(&req("GetObject", "4xx")), 1.0);
    assert_eq!(delta(&req("OptionObject", "2xx")), 1.0);
    assert_eq!(delta(&req("OptionObject", "4xx")), 4.0);
    assert_eq!(delta("ossd_request_duration_seconds_count{op=\"GetObject\"}"), 4.0);
    assert_eq!(delta("ossd_request_duration_seconds_bucket{op=\"PutObject\",le=\"+Inf\"}"), 2.0);
    assert_eq!(delta("ossd_request_body_bytes_total{op=\"PutObject\"}"), 12.0);
    // Three GETs of the 5-byte object; the 404's body is its error document.
    let not_found = s.signed(Req::new("GET", "/met/missing")).body.len() as f64;
    assert_eq!(delta("ossd_response_body_bytes_total{op=\"GetObject\"}"), 15.0 + not_found);
    let cors = |kind: &str, d: &str, b: &str| {
        delta(&format!(
            "ossd_cors_decisions_total{{bucket=\"{b}\",request=\"{kind}\",decision=\"{d}\"}}"
        ))
    };
    assert_eq!(cors("preflight", "allowed", "met"), 1.0);
    assert_eq!(cors("preflight", "refused_origin", "met"), 1.0);
    assert_eq!(cors("preflight", "refused_method", "met"), 1.0);
    assert_eq!(cors("preflight", "refused_header", "met"), 1.0);
    assert_eq!(cors("preflight", "refused_no_rules", "met-plain"), 1.0);
    assert_eq!(cors("actual", "allowed", "met"), 1.0);
    assert_eq!(cors("actual", "refused_origin", "met"), 1.0);
    // Two PUTs committed (each in a group of its own or together).
    let groups = delta("ossd_store_commit_group_requests_sum");
    assert_eq!(groups, 2.0, "requests carried by group commits");
    assert!(delta("ossd_store_commit_duration_seconds_count") >= 1.0);
    assert_eq!(get(&after, "ossd_requests_in_flight"), 0.0);
    assert_eq!(get(&after, "ossd_lifecycle_actions_total"), 0.0);
    assert!(get(&after, "ossd_disk_free_bytes") > 0.0);
    assert_eq!(get(&after, "ossd_store_garbage_blobs"), 0.0);
}

#[test]
fn the_main_listener_serves_metrics_to_root_only() {
    let s = Ossd::start();
    let r = s.send(&Req::new("GET", "/-/metrics"));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "AccessDenied");
    let r = s.signed(Req::new("GET", "/-/metrics"));
    assert_eq!(r.status, 200, "{}", r.text());
    let m = parse_exposition(&r.text()).unwrap_or_else(|e| panic!("{e}"));
    // The unsigned scrape above was counted, under its own name.
    assert_eq!(get(&m, "ossd_requests_total{op=\"Metrics\",status_class=\"4xx\"}"), 1.0);
    // On a bucket host `/-/metrics` is an object key, not the surface.
    let mut on_bucket = Req::new("GET", "/-/metrics");
    on_bucket.host = Some("b.localhost".into());
    let r = s.send(&on_bucket);
    assert_eq!(r.code(), "NoSuchBucket");
}

#[test]
fn the_strict_parser_refuses_malformed_lines() {
    let ok = "# HELP ossd_x_total X.\n# TYPE ossd_x_total counter\nossd_x_total{a=\"q\\\"\"} 1\n";
    assert!(parse_exposition(ok).is_ok());
    for bad in [
        "ossd_x_total 1\n",
        "# TYPE ossd_x counter\nossd_x 1\n",
        "# TYPE ossd_x_total counter\nossd_x_total{a=\"\\q\"} 1\n",
        "# TYPE ossd_x_total counter\nossd_x_total one\n",
        "# TYPE ossd_x_total counter\nossd_x_total 1\nossd_x_total 2\n",
        "# TYPE ossd_x_total counter\n\nossd_x_total 1\n",
        "# TYPE ossd_h histogram\nossd_h_bucket{le=\"1\"} 2\nossd_h_bucket{le=\"+Inf\"} 1\nossd_h_count 1\n",
        "# TYPE ossd_g gauge\nossd_g 1",
    ] {
        assert!(parse_exposition(bad).is_err(), "accepted {bad:?}");
    }
}

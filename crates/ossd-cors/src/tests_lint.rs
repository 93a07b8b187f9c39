//! Tests of `lint` and `headers`.

use crate::headers::{actual_answer, preflight_answer};
use crate::lint::{lint, pattern_covers};
use crate::{CorsConfig, CorsRule};

fn rule(
    origins: &[&str],
    methods: &[&str],
    headers: &[&str],
    expose: &[&str],
    age: Option<i64>,
) -> CorsRule {
    let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect();
    CorsRule {
        allowed_origins: v(origins),
        allowed_methods: v(methods),
        allowed_headers: v(headers),
        expose_headers: v(expose),
        max_age_seconds: age,
    }
}

fn ids(rules: Vec<CorsRule>) -> Vec<(Option<usize>, &'static str)> {
    let cfg = CorsConfig::new(rules, false).expect("valid");
    lint(&cfg).into_iter().map(|w| (w.rule, w.id)).collect()
}

#[test]
fn clean_configuration_has_no_warnings() {
    let r = rule(&["https://a.example"], &["GET", "PUT"], &["*"], &["ETag"], Some(600));
    assert_eq!(ids(vec![r]), vec![]);
}

#[test]
fn each_check_fires_with_its_id() {
    let good = |o: &str| rule(&[o], &["GET"], &[], &[], Some(60));
    assert_eq!(ids(vec![good("https://a.example/")]), vec![(Some(0), "origin-with-path")]);
    assert_eq!(ids(vec![good("https://a.example/app")]), vec![(Some(0), "origin-with-path")]);
    assert_eq!(ids(vec![good("a.example")]), vec![(Some(0), "origin-without-scheme")]);
    assert_eq!(ids(vec![good("http://a.example")]), vec![(Some(0), "http-only-origin")]);
    assert_eq!(ids(vec![good("http://localhost:3000")]), vec![]);
    assert_eq!(ids(vec![good("https://a.example:443")]), vec![(Some(0), "origin-default-port")]);
    assert_eq!(ids(vec![good("https://a.example:80")]), vec![(Some(0), "scheme-port-mismatch")]);
    assert_eq!(ids(vec![rule(&["*"], &["GET"], &[], &[], None)]), vec![(Some(0), "no-max-age")]);
    assert_eq!(
        ids(vec![rule(&["*"], &["PUT"], &["content-type"], &["ETag"], Some(1))]),
        vec![(Some(0), "upload-headers-not-allowed")]
    );
    assert_eq!(
        ids(vec![rule(&["*"], &["PUT"], &["*"], &[], Some(1))]),
        vec![(Some(0), "etag-not-exposed")]
    );
    assert_eq!(ids(vec![good("*"), good("*")]), vec![(Some(1), "duplicate-rule")]);
    assert_eq!(
        ids(vec![good("https://*.example"), good("https://a.example")]),
        vec![(Some(1), "shadowed-rule")]
    );
    // An earlier rule with fewer methods does not shadow.
    let later = rule(&["https://a.example"], &["GET", "HEAD"], &[], &[], Some(1));
    assert_eq!(ids(vec![good("*"), later]), vec![]);
    assert_eq!(
        ids(vec![rule(&["https://a.example", "https://a.example"], &["GET"], &[], &[], Some(1))]),
        vec![(Some(0), "duplicate-value")]
    );
    assert_eq!(
        ids(vec![rule(&["*"], &["GET"], &["X-A", "x-a"], &[], Some(1))]),
        vec![(Some(0), "duplicate-value")]
    );
    let many: Vec<CorsRule> = (0..9).map(|i| good(&format!("https://{i}.example"))).collect();
    assert_eq!(ids(many), vec![(None, "near-rule-limit")]);
}

#[test]
fn covers_is_pattern_inclusion() {
    assert!(pattern_covers("*", "https://x", false));
    assert!(pattern_covers("https://*.a.com", "https://b.a.com", false));
    assert!(pattern_covers("https://*", "https://*.a.com", false));
    assert!(!pattern_covers("https://*.a.com", "https://*", false));
    assert!(!pattern_covers("https://a.com", "https://A.com", false));
    assert!(pattern_covers("X-OSS-*", "x-oss-date", true));
}

#[test]
fn answers_carry_vary() {
    let cfg = CorsConfig::new(
        vec![
            rule(&["https://a.example"], &["GET"], &["*"], &["ETag"], Some(5)),
            rule(&["*"], &["PUT"], &[], &[], None),
        ],
        false,
    )
    .expect("valid");
    let a = preflight_answer(&cfg, "https://a.example", "GET", Some("X-A, b"));
    assert!(a.allowed);
    assert_eq!(
        a.headers,
        vec![
            ("Access-Control-Allow-Origin", "https://a.example".to_owned()),
            ("Access-Control-Allow-Methods", "GET".to_owned()),
            ("Access-Control-Expose-Headers", "ETag".to_owned()),
            ("Access-Control-Max-Age", "5".to_owned()),
            ("Access-Control-Allow-Headers", "x-a, b".to_owned()),
            ("Vary", crate::headers::VARY_PREFLIGHT.to_owned()),
        ]
    );
    let b = preflight_answer(&cfg, "https://b.example", "PUT", None);
    assert_eq!(b.rule, Some(1));
    assert!(!b.headers.iter().any(|(n, _)| *n == "Vary"));
    let c = actual_answer(&cfg, "https://a.example", "GET");
    assert_eq!(c.headers.last(), Some(&("Vary", "Origin".to_owned())));
    assert!(!preflight_answer(&cfg, "https://b.example", "GET", None).allowed);
}

//! Unit tests: table-driven cases from the spec (§1, §7), validation errors, and a property test
//! against a naive reference matcher.
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::*;
use proptest::prelude::*;

/// Builds a rule from string slices; `max_age` as given.
fn rule(
    origins: &[&str],
    methods: &[&str],
    headers: &[&str],
    expose: &[&str],
    max_age: Option<i64>,
) -> CorsRule {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    CorsRule {
        allowed_origins: v(origins),
        allowed_methods: v(methods),
        allowed_headers: v(headers),
        expose_headers: v(expose),
        max_age_seconds: max_age,
    }
}

fn config(rules: Vec<CorsRule>) -> CorsConfig {
    CorsConfig::new(rules, false).unwrap()
}

/// Expected outcome of one evaluation: `None` = denied, else (rule, origin mode).
type Want = Option<(usize, AllowOrigin)>;

/// One table row: rules, origin, method, request headers, expected outcome.
type Case<'a> = (Vec<CorsRule>, &'a str, &'a str, Option<&'a str>, Want);

fn outcome(d: Decision<'_>) -> Want {
    d.allowed().map(|a| (a.rule, a.allow_origin))
}

/// The python-v2 `test_bucket_cors` configuration (spec §1.5).
fn python_v2_rules() -> Vec<CorsRule> {
    vec![
        rule(&["*"], &["GET", "HEAD"], &["GET"], &["x-oss-test", "x-oss-test1"], Some(33012)),
        rule(
            &["http://www.example.com"],
            &["PUT", "POST"],
            &["*"],
            &["x-oss-test2", "x-oss-test3"],
            Some(33012),
        ),
    ]
}

#[test]
fn python_v2_first_match_gives_second_rule_methods() {
    let cfg = config(python_v2_rules());
    let d = cfg.preflight("http://www.example.com", "PUT", Some("x-oss-test2"));
    let a = d.allowed().copied().unwrap();
    assert_eq!(a.rule, 1);
    assert_eq!(a.allow_origin, AllowOrigin::Echo);
    assert_eq!(a.allow_origin_value("http://www.example.com"), "http://www.example.com");
    assert_eq!(a.allow_methods, "PUT, POST");
    assert_eq!(a.expose_headers, Some("x-oss-test2, x-oss-test3"));
    assert_eq!(a.max_age, Some(33012));
    assert_eq!(allow_headers_value(Some("x-oss-test2")).as_deref(), Some("x-oss-test2"));

    // R1 matches a GET from anywhere, with the header it allows ("GET", stored lower-case).
    let a = cfg.preflight("http://other.example", "GET", Some("Get")).allowed().copied().unwrap();
    assert_eq!((a.rule, a.allow_origin), (0, AllowOrigin::Any));
    assert_eq!(a.allow_origin_value("http://other.example"), "*");
    assert_eq!(a.allow_methods, "GET, HEAD");
    assert_eq!(a.expose_headers, Some("x-oss-test, x-oss-test1"));
    assert_eq!(cfg.rules()[0].allowed_headers, vec!["get".to_string()]);

    let e = cfg.explain("http://www.example.com", "PUT", Some("x-oss-test2"));
    assert_eq!(e.matched, Some(1));
    assert_eq!(e.rules, vec![RuleVerdict::MethodMismatch, RuleVerdict::Matched]);
}

#[test]
fn go_v1_options_method_case() {
    // Go v1 TestOptionsMethod: origin without scheme, exact header, superstring header refused.
    let cfg = config(vec![rule(
        &["www.aliyun.com"],
        &["PUT", "GET", "POST"],
        &["x-oss-meta-author"],
        &["x-oss-meta-name"],
        Some(100),
    )]);
    let a = cfg.preflight("www.aliyun.com", "PUT", Some("x-oss-meta-author")).allowed().copied();
    let a = a.unwrap();
    assert_eq!(a.allow_origin, AllowOrigin::Echo);
    assert_eq!(a.allow_methods, "PUT, GET, POST");
    assert_eq!(a.expose_headers, Some("x-oss-meta-name"));
    assert_eq!(a.max_age, Some(100));
    assert_eq!(
        cfg.preflight("www.aliyun.com", "PUT", Some("x-oss-meta-author-1")),
        Decision::Denied
    );
    let e = cfg.explain("www.aliyun.com", "PUT", Some("x-oss-meta-author-1"));
    assert_eq!(e.matched, None);
    assert_eq!(e.rules, vec![RuleVerdict::HeaderMismatch { header: "x-oss-meta-author-1".into() }]);
}

#[test]
fn go_v2_no_request_headers() {
    let cfg = config(vec![rule(&["*"], &["PUT", "GET"], &[], &[], None)]);
    let a = cfg.preflight("http://www.example.com", "PUT", None).allowed().copied().unwrap();
    assert_eq!(a.allow_origin, AllowOrigin::Any);
    assert_eq!(a.expose_headers, None);
    assert_eq!(a.max_age, None);
    assert_eq!(allow_headers_value(None), None);
    // A rule with no AllowedHeader refuses any requested header.
    assert_eq!(cfg.preflight("http://www.example.com", "PUT", Some("x-a")), Decision::Denied);
    // Empty / blank ACRH lists request nothing.
    assert!(cfg.preflight("http://www.example.com", "PUT", Some("")).is_allowed());
    assert!(cfg.preflight("http://www.example.com", "PUT", Some(" , ,")).is_allowed());
}

#[test]
fn table() {
    // (rules, origin, method, request headers, expected)
    let cases: Vec<Case<'_>> = vec![
        // `*` inside a pattern matches any run, including the empty one.
        (
            vec![rule(&["http://*.a.com"], &["GET"], &[], &[], None)],
            "http://x.a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://*.a.com"], &["GET"], &[], &[], None)],
            "http://x.y.a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://*.a.com"], &["GET"], &[], &[], None)],
            "http://.a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://*.a.com"], &["GET"], &[], &[], None)],
            "http://a.com",
            "GET",
            None,
            None,
        ),
        (
            vec![rule(&["http://*a.com"], &["GET"], &[], &[], None)],
            "http://a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://*a.com"], &["GET"], &[], &[], None)],
            "http://evila.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["*.com"], &["GET"], &[], &[], None)],
            ".com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://a*"], &["GET"], &[], &[], None)],
            "http://a",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        // Prefix and suffix must not overlap: "ab*ba" needs at least four chars.
        (vec![rule(&["ab*ba"], &["GET"], &[], &[], None)], "aba", "GET", None, None),
        (
            vec![rule(&["ab*ba"], &["GET"], &[], &[], None)],
            "abba",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        // Bare `*` matches everything, even an empty origin, and gives Any.
        (
            vec![rule(&["*"], &["GET"], &[], &[], None)],
            "",
            "GET",
            None,
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &[], None)],
            "null",
            "GET",
            None,
            Some((0, AllowOrigin::Any)),
        ),
        // Origins are case-sensitive and not parsed (scheme, port, trailing slash matter).
        (
            vec![rule(&["http://www.a.com"], &["GET"], &[], &[], None)],
            "http://www.a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://www.a.com"], &["GET"], &[], &[], None)],
            "HTTP://WWW.A.COM",
            "GET",
            None,
            None,
        ),
        (
            vec![rule(&["http://www.a.com"], &["GET"], &[], &[], None)],
            "https://www.a.com",
            "GET",
            None,
            None,
        ),
        (
            vec![rule(&["http://www.a.com"], &["GET"], &[], &[], None)],
            "http://www.a.com:80",
            "GET",
            None,
            None,
        ),
        (
            vec![rule(&["http://www.a.com/"], &["GET"], &[], &[], None)],
            "http://www.a.com",
            "GET",
            None,
            None,
        ),
        (
            vec![rule(&["http://10.100.100.100:8001"], &["PUT"], &[], &[], None)],
            "http://10.100.100.100:8001",
            "PUT",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        // The first origin pattern that matches decides Any vs Echo.
        (
            vec![rule(&["http://a.com", "*"], &["GET"], &[], &[], None)],
            "http://a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![rule(&["http://a.com", "*"], &["GET"], &[], &[], None)],
            "http://b.com",
            "GET",
            None,
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*", "http://a.com"], &["GET"], &[], &[], None)],
            "http://a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Any)),
        ),
        // Methods compare exactly as sent.
        (vec![rule(&["*"], &["PUT"], &[], &[], None)], "o", "put", None, None),
        (vec![rule(&["*"], &["PUT"], &[], &[], None)], "o", "OPTIONS", None, None),
        (vec![rule(&["*"], &["PUT"], &[], &[], None)], "o", "", None, None),
        (vec![rule(&["*"], &["PUT"], &[], &[], None)], "o", " PUT", None, None),
        (
            vec![rule(&["*"], &["GET", "PUT", "DELETE", "POST", "HEAD"], &[], &[], None)],
            "o",
            "DELETE",
            None,
            Some((0, AllowOrigin::Any)),
        ),
        // Headers: case-insensitive, trimmed, each must match, same one-`*` glob.
        (
            vec![rule(&["*"], &["PUT"], &["Authorization", "x-oss-*"], &[], None)],
            "o",
            "PUT",
            Some("authorization, X-OSS-DATE ,x-oss-meta-a"),
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*"], &["PUT"], &["Authorization", "x-oss-*"], &[], None)],
            "o",
            "PUT",
            Some("authorization,content-type"),
            None,
        ),
        (
            vec![rule(&["*"], &["PUT"], &["x-oss-*"], &[], None)],
            "o",
            "PUT",
            Some("x-oss-"),
            Some((0, AllowOrigin::Any)),
        ),
        (vec![rule(&["*"], &["PUT"], &["x-oss-*"], &[], None)], "o", "PUT", Some("x-os"), None),
        (
            vec![rule(&["*"], &["PUT"], &["*-date"], &[], None)],
            "o",
            "PUT",
            Some("X-OSS-Date"),
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*"], &["PUT"], &["CONTENT-TYPE"], &[], None)],
            "o",
            "PUT",
            Some("Content-Type"),
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*"], &["PUT"], &["a", "b"], &[], None)],
            "o",
            "PUT",
            Some("a,,b,"),
            Some((0, AllowOrigin::Any)),
        ),
        (
            vec![rule(&["*"], &["PUT"], &["x-oss-meta-author"], &[], None)],
            "o",
            "PUT",
            Some("x-oss-meta-author-1"),
            None,
        ),
        (
            vec![rule(&["*"], &["PUT"], &["x-oss-meta-author"], &[], None)],
            "o",
            "PUT",
            Some("x-oss-meta-autho"),
            None,
        ),
        // Headers of one rule cannot be combined with headers of another.
        (
            vec![
                rule(&["*"], &["PUT"], &["a"], &[], None),
                rule(&["*"], &["PUT"], &["b"], &[], None),
            ],
            "o",
            "PUT",
            Some("a, b"),
            None,
        ),
        (
            vec![
                rule(&["*"], &["PUT"], &["a"], &[], None),
                rule(&["*"], &["PUT"], &["b", "a"], &[], None),
            ],
            "o",
            "PUT",
            Some("a, b"),
            Some((1, AllowOrigin::Any)),
        ),
        // First match wins, later rules are shadowed; a mismatch moves on to the next rule.
        (
            vec![
                rule(&["http://a.com"], &["GET"], &[], &[], None),
                rule(&["*"], &["GET"], &[], &[], None),
            ],
            "http://a.com",
            "GET",
            None,
            Some((0, AllowOrigin::Echo)),
        ),
        (
            vec![
                rule(&["http://a.com"], &["GET"], &[], &[], None),
                rule(&["*"], &["GET"], &[], &[], None),
            ],
            "http://b.com",
            "GET",
            None,
            Some((1, AllowOrigin::Any)),
        ),
    ];
    for (i, (rules, origin, method, headers, want)) in cases.into_iter().enumerate() {
        let cfg = config(rules);
        let got = outcome(cfg.preflight(origin, method, headers));
        assert_eq!(got, want, "case {i}: preflight({origin:?}, {method:?}, {headers:?})");
        let e = cfg.explain(origin, method, headers);
        assert_eq!(e.matched, want.map(|w| w.0), "case {i}: explain");
        if headers.is_none() {
            assert_eq!(outcome(cfg.actual(origin, method)), want, "case {i}: actual");
        }
    }
}

#[test]
fn actual_ignores_headers() {
    let cfg = config(vec![rule(&["http://a.com"], &["PUT"], &["x-a"], &["ETag"], Some(0))]);
    let a = cfg.actual("http://a.com", "PUT").allowed().copied().unwrap();
    assert_eq!(a.expose_headers, Some("ETag"));
    assert_eq!(a.max_age, Some(0));
    assert_eq!(cfg.actual("http://a.com", "GET"), Decision::Denied);
    assert_eq!(cfg.actual("http://b.com", "PUT"), Decision::Denied);
}

#[test]
fn explain_orders_origin_method_headers_and_covers_all_rules() {
    let cfg = config(vec![
        rule(&["http://x.com"], &["PUT"], &[], &[], None),
        rule(&["*"], &["GET"], &[], &[], None),
        rule(&["*"], &["PUT"], &["a"], &[], None),
        rule(&["*"], &["PUT"], &["*"], &[], None),
        rule(&["*"], &["PUT"], &[], &[], None),
    ]);
    let e = cfg.explain("http://a.com", "PUT", Some("a, B "));
    assert_eq!(
        e.rules,
        vec![
            RuleVerdict::OriginMismatch,
            RuleVerdict::MethodMismatch,
            RuleVerdict::HeaderMismatch { header: "B".into() },
            RuleVerdict::Matched,
            RuleVerdict::HeaderMismatch { header: "a".into() },
        ]
    );
    assert_eq!(e.matched, Some(3));
    assert_eq!(
        outcome(cfg.preflight("http://a.com", "PUT", Some("a, B "))),
        Some((3, AllowOrigin::Any))
    );
    // An unknown method mismatches every rule whose origin matches.
    let e = cfg.explain("http://a.com", "OPTIONS", None);
    assert_eq!(e.matched, None);
    assert_eq!(e.rules[0], RuleVerdict::OriginMismatch);
    assert!(e.rules[1..].iter().all(|v| *v == RuleVerdict::MethodMismatch));
}

#[test]
fn stored_rules_keep_order_and_case_except_allowed_headers() {
    let r = rule(
        &["http://B.com", "http://a.com"],
        &["PUT", "GET", "PUT"],
        &["X-Oss-Meta-*", "Authorization"],
        &["ETag", "x-oss-request-id"],
        Some(30),
    );
    let cfg = CorsConfig::new(vec![r.clone()], true).unwrap();
    assert!(cfg.response_vary());
    let stored = &cfg.rules()[0];
    assert_eq!(stored.allowed_origins, r.allowed_origins);
    assert_eq!(stored.allowed_methods, r.allowed_methods);
    assert_eq!(
        stored.allowed_headers,
        vec!["x-oss-meta-*".to_string(), "authorization".to_string()]
    );
    assert_eq!(stored.expose_headers, r.expose_headers);
    assert_eq!(stored.max_age_seconds, Some(30));
    let a = cfg.actual("http://a.com", "GET").allowed().copied().unwrap();
    assert_eq!(a.allow_methods, "PUT, GET, PUT");
    assert_eq!(a.expose_headers, Some("ETag, x-oss-request-id"));
    // Re-validating the stored rules gives the same configuration.
    assert_eq!(CorsConfig::new(cfg.rules().to_vec(), true).unwrap(), cfg);
}

#[test]
fn validation_errors_name_argument_and_value() {
    let ok = || rule(&["*"], &["GET"], &[], &[], None);
    // (rules, expected error, ArgumentName, ArgumentValue, schema violation)
    let cases: Vec<(Vec<CorsRule>, CorsError, &str, &str, bool)> = vec![
        (vec![], CorsError::NoRules, "CORSRule", "0", true),
        (vec![ok(); 11], CorsError::TooManyRules { count: 11 }, "CORSRule", "11", false),
        (
            vec![rule(&[], &["GET"], &[], &[], None)],
            CorsError::MissingAllowedOrigin { rule: 0 },
            "AllowedOrigin",
            "",
            true,
        ),
        (
            vec![ok(), rule(&["*"], &[], &[], &[], None)],
            CorsError::MissingAllowedMethod { rule: 1 },
            "AllowedMethod",
            "",
            true,
        ),
        (
            vec![rule(&["*"], &["OPTIONS"], &[], &[], None)],
            CorsError::InvalidMethod { rule: 0, value: "OPTIONS".into() },
            "AllowedMethod",
            "OPTIONS",
            false,
        ),
        (
            vec![rule(&["*"], &["GET", "get"], &[], &[], None)],
            CorsError::InvalidMethod { rule: 0, value: "get".into() },
            "AllowedMethod",
            "get",
            false,
        ),
        (
            vec![rule(&["*"], &[""], &[], &[], None)],
            CorsError::InvalidMethod { rule: 0, value: "".into() },
            "AllowedMethod",
            "",
            false,
        ),
        (
            vec![rule(&["*"], &["PATCH"], &[], &[], None)],
            CorsError::InvalidMethod { rule: 0, value: "PATCH".into() },
            "AllowedMethod",
            "PATCH",
            false,
        ),
        (
            vec![rule(&["http://*.*.a.com"], &["GET"], &[], &[], None)],
            CorsError::TooManyWildcards {
                rule: 0,
                field: Field::AllowedOrigin,
                value: "http://*.*.a.com".into(),
            },
            "AllowedOrigin",
            "http://*.*.a.com",
            false,
        ),
        (
            vec![rule(&["**"], &["GET"], &[], &[], None)],
            CorsError::TooManyWildcards {
                rule: 0,
                field: Field::AllowedOrigin,
                value: "**".into(),
            },
            "AllowedOrigin",
            "**",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &["x-*-*"], &[], None)],
            CorsError::TooManyWildcards {
                rule: 0,
                field: Field::AllowedHeader,
                value: "x-*-*".into(),
            },
            "AllowedHeader",
            "x-*-*",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &["x-oss-*"], None)],
            CorsError::WildcardInExposeHeader { rule: 0, value: "x-oss-*".into() },
            "ExposeHeader",
            "x-oss-*",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &["*"], None)],
            CorsError::WildcardInExposeHeader { rule: 0, value: "*".into() },
            "ExposeHeader",
            "*",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &[], Some(-1))],
            CorsError::NegativeMaxAge { rule: 0, value: -1 },
            "MaxAgeSeconds",
            "-1",
            false,
        ),
        (
            vec![rule(&[""], &["GET"], &[], &[], None)],
            CorsError::InvalidCharacters { rule: 0, field: Field::AllowedOrigin, value: "".into() },
            "AllowedOrigin",
            "",
            false,
        ),
        (
            vec![rule(&["http://a.com\r\nSet-Cookie: x"], &["GET"], &[], &[], None)],
            CorsError::InvalidCharacters {
                rule: 0,
                field: Field::AllowedOrigin,
                value: "http://a.com\r\nSet-Cookie: x".into(),
            },
            "AllowedOrigin",
            "http://a.com\r\nSet-Cookie: x",
            false,
        ),
        (
            vec![rule(&["http://ä.com"], &["GET"], &[], &[], None)],
            CorsError::InvalidCharacters {
                rule: 0,
                field: Field::AllowedOrigin,
                value: "http://ä.com".into(),
            },
            "AllowedOrigin",
            "http://ä.com",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &["x a"], &[], None)],
            CorsError::InvalidCharacters {
                rule: 0,
                field: Field::AllowedHeader,
                value: "x a".into(),
            },
            "AllowedHeader",
            "x a",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &[""], None)],
            CorsError::InvalidCharacters { rule: 0, field: Field::ExposeHeader, value: "".into() },
            "ExposeHeader",
            "",
            false,
        ),
        (
            vec![rule(&["*"], &["GET"], &[], &["ETag\u{0}"], None)],
            CorsError::InvalidCharacters {
                rule: 0,
                field: Field::ExposeHeader,
                value: "ETag\u{0}".into(),
            },
            "ExposeHeader",
            "ETag\u{0}",
            false,
        ),
    ];
    for (i, (rules, want, name, value, schema)) in cases.into_iter().enumerate() {
        let err = CorsConfig::new(rules, false).unwrap_err();
        assert_eq!(err, want, "case {i}");
        assert_eq!(err.argument_name(), name, "case {i}");
        assert_eq!(err.argument_value(), value, "case {i}");
        assert_eq!(err.is_schema_violation(), schema, "case {i}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn ten_rules_ok_eleven_refused() {
    let ok = rule(&["*"], &["GET"], &[], &[], None);
    assert_eq!(CorsConfig::new(vec![ok.clone(); 10], false).unwrap().rules().len(), 10);
    assert_eq!(
        CorsConfig::new(vec![ok; 11], false).unwrap_err(),
        CorsError::TooManyRules { count: 11 }
    );
}

#[test]
fn accepted_edge_values() {
    // Max age 0, one `*` anywhere, `*` as a whole header, a bare-`*` origin next to others.
    let cfg = CorsConfig::new(
        vec![rule(
            &["*", "https://*.example.com", "*x"],
            &["HEAD"],
            &["*", "x-*"],
            &["ETag"],
            Some(0),
        )],
        false,
    );
    assert!(cfg.is_ok());
}

#[test]
fn error_messages_are_readable() {
    let e = CorsError::InvalidMethod { rule: 1, value: "OPTIONS".into() };
    assert_eq!(
        e.to_string(),
        "CORSRule #2: AllowedMethod \"OPTIONS\" is not supported; use GET, PUT, DELETE, POST or HEAD (upper-case)"
    );
    assert_eq!(
        CorsError::TooManyRules { count: 11 }.to_string(),
        "too many CORSRule elements: 11 given, at most 10 allowed"
    );
    assert_eq!(CorsError::NegativeMaxAge { rule: 0, value: -1 }.rule(), Some(0));
}

#[test]
fn method_parse_and_as_str() {
    for m in Method::ALL {
        assert_eq!(Method::parse(m.as_str()), Some(m));
    }
    for bad in ["get", "Get", "OPTIONS", "PATCH", "", " GET", "GET "] {
        assert_eq!(Method::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn allow_headers_value_normalises() {
    assert_eq!(allow_headers_value(None), None);
    assert_eq!(allow_headers_value(Some("")), None);
    assert_eq!(allow_headers_value(Some(" ,\t, ")), None);
    assert_eq!(
        allow_headers_value(Some(" Authorization,X-OSS-Date ,, content-type\t")).as_deref(),
        Some("authorization, x-oss-date, content-type")
    );
}

/// The normalisation written out naively: what [`allow_headers`] must equal, borrowed or not.
fn allow_headers_reference(v: &str) -> Option<String> {
    let items: Vec<String> = v
        .split(',')
        .map(|h| h.trim_matches(|c: char| c.is_ascii_whitespace()))
        .filter(|h| !h.is_empty())
        .map(|h| h.chars().map(|c| c.to_ascii_lowercase()).collect())
        .collect();
    (!items.is_empty()).then(|| items.join(", "))
}

/// Checks [`allow_headers`] and [`allow_headers_value`] against the reference for one input.
fn check_allow_headers(v: &str) {
    let want = allow_headers_reference(v);
    let got = allow_headers(Some(v));
    assert_eq!(got.as_deref(), want.as_deref(), "{v:?}");
    if let Some(std::borrow::Cow::Borrowed(b)) = &got {
        assert!(std::ptr::eq(*b, v), "borrowed output must be the whole input: {v:?}");
    }
    assert_eq!(allow_headers_value(Some(v)), want, "{v:?}");
}

#[test]
fn allow_headers_borrows_normalised_values() {
    assert_eq!(allow_headers(None), None);
    for v in ["content-type, x-oss-meta-bench", "a", "x-a, x-b, x-c"] {
        assert!(matches!(allow_headers(Some(v)), Some(std::borrow::Cow::Borrowed(_))), "{v:?}");
    }
    for v in ["Content-Type", "a,b", "a,  b", " a", "a ", "a, ", "a,, b", "a\t", "a\x0c", "a b"] {
        assert!(matches!(allow_headers(Some(v)), Some(std::borrow::Cow::Owned(_)) | None), "{v:?}");
        check_allow_headers(v);
    }
}

#[test]
fn allow_headers_equals_reference_on_every_short_string() {
    // Every string of up to 6 bytes over the characters that matter to the normalisation.
    const ALPHABET: &[u8] = b"aZ -,\t\x0c";
    let mut buf = Vec::new();
    for len in 0..=6u32 {
        for mut n in 0..ALPHABET.len().pow(len) {
            buf.clear();
            for _ in 0..len {
                buf.push(ALPHABET[n % ALPHABET.len()]);
                n /= ALPHABET.len();
            }
            check_allow_headers(std::str::from_utf8(&buf).unwrap());
        }
    }
}

proptest! {
    #[test]
    fn allow_headers_equals_reference(v in "[a-zA-Z0-9 ,\t\r\n\x0c\x0bé-]{0,24}") {
        check_allow_headers(&v);
    }
}

#[test]
fn safe_header_values() {
    assert!(is_safe_header_value("http://www.a.com:8080"));
    assert!(is_safe_header_value("a b\tc ~!"));
    assert!(is_safe_header_value(""));
    for bad in ["a\r\nb", "a\nb", "a\0", "\u{7f}", "ä", "a\u{1b}"] {
        assert!(!is_safe_header_value(bad), "{bad:?}");
    }
}

#[test]
fn purity_only_thiserror_dependency() {
    let manifest = include_str!("../Cargo.toml");
    let mut section = String::new();
    let mut deps = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            // A `[dependencies.foo]` or `[target.'..'.dependencies]` table is a dependency too.
            if let Some(name) = section.strip_prefix("dependencies.") {
                deps.push(name.to_string());
            }
            assert!(
                !(section.starts_with("target.") && section.ends_with(".dependencies")),
                "target-specific dependencies are not allowed: [{section}]"
            );
            continue;
        }
        if section == "dependencies" && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.']).next().unwrap().trim();
            deps.push(name.to_string());
        }
    }
    assert_eq!(deps, vec!["thiserror".to_string()], "ossd-cors must depend on thiserror only");
}

// ---------------------------------------------------------------------------------------------
// Property test against a naive reference implementation.

/// Naive recursive glob: `*` matches any run of characters (at most one `*` is ever generated, but
/// this handles any number).
fn naive_glob(p: &[char], s: &[char], fold: bool) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => {
            naive_glob(rest, s, fold) || (!s.is_empty() && naive_glob(p, &s[1..], fold))
        }
        Some((c, rest)) => match s.split_first() {
            Some((d, srest)) => {
                let same = if fold { c.eq_ignore_ascii_case(d) } else { c == d };
                same && naive_glob(rest, srest, fold)
            }
            None => false,
        },
    }
}

fn naive_match(pattern: &str, s: &str, fold: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    naive_glob(&p, &s, fold)
}

/// Reference evaluation straight from the spec wording.
fn reference(rules: &[CorsRule], origin: &str, method: &str, headers: Option<&str>) -> Want {
    for (i, r) in rules.iter().enumerate() {
        let Some(o) = r.allowed_origins.iter().find(|p| naive_match(p, origin, false)) else {
            continue;
        };
        if !r.allowed_methods.iter().any(|m| m == method) {
            continue;
        }
        let requested: Vec<&str> = headers
            .map(|h| h.split(',').map(|x| x.trim()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default();
        if requested.iter().all(|h| r.allowed_headers.iter().any(|p| naive_match(p, h, true))) {
            return Some((i, if o == "*" { AllowOrigin::Any } else { AllowOrigin::Echo }));
        }
    }
    None
}

/// Reference validity of one rule list.
fn reference_valid(rules: &[CorsRule]) -> bool {
    let visible = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic());
    let stars = |s: &str| s.matches('*').count();
    (1..=10).contains(&rules.len())
        && rules.iter().all(|r| {
            !r.allowed_origins.is_empty()
                && r.allowed_origins.iter().all(|o| visible(o) && stars(o) <= 1)
                && !r.allowed_methods.is_empty()
                && r.allowed_methods
                    .iter()
                    .all(|m| ["GET", "PUT", "DELETE", "POST", "HEAD"].contains(&m.as_str()))
                && r.allowed_headers.iter().all(|h| visible(h) && stars(h) <= 1)
                && r.expose_headers.iter().all(|e| visible(e) && stars(e) == 0)
                && r.max_age_seconds.is_none_or(|m| m >= 0)
        })
}

/// Short strings over a small alphabet, so that matches and near misses are both frequent.
fn small_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[abAB.]{0,3}(\\*)?[abAB.]{0,3}",
        1 => Just("*".to_string()),
        1 => "[ab*]{0,4}",
    ]
}

fn small_value() -> impl Strategy<Value = String> {
    "[abAB.]{0,6}"
}

/// A non-empty pattern with at most one `*`.
fn valid_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[abAB.]{0,3}(\\*)?[abAB.]{0,3}",
        1 => Just("*".to_string()),
    ]
    .prop_filter("non-empty", |s| !s.is_empty())
}

/// Rules that are valid by construction, so that multi-rule configurations are common.
fn arb_valid_rule() -> impl Strategy<Value = CorsRule> {
    (
        prop::collection::vec(valid_pattern(), 1..3),
        prop::collection::vec(prop_oneof!["GET", "PUT", "HEAD", "DELETE", "POST"], 1..3),
        prop::collection::vec(valid_pattern(), 0..3),
        prop::collection::vec("[a-zA-Z\\-]{1,3}", 0..2),
        prop::option::of(0i64..100),
    )
        .prop_map(|(o, m, h, e, age)| CorsRule {
            allowed_origins: o,
            allowed_methods: m,
            allowed_headers: h,
            expose_headers: e,
            max_age_seconds: age,
        })
}

/// Rules with frequent defects, to check validation against the reference.
fn arb_noisy_rule() -> impl Strategy<Value = CorsRule> {
    (
        prop::collection::vec(small_pattern(), 0..3),
        prop::collection::vec(prop_oneof!["GET", "PUT", "HEAD", "get", "OPTIONS", ""], 0..3),
        prop::collection::vec(small_pattern(), 0..3),
        prop::collection::vec("[a-z* ]{0,3}", 0..2),
        prop::option::of(-2i64..100),
    )
        .prop_map(|(o, m, h, e, age)| CorsRule {
            allowed_origins: o,
            allowed_methods: m,
            allowed_headers: h,
            expose_headers: e,
            max_age_seconds: age,
        })
}

fn arb_headers() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::collection::vec("[ \t]?[abAB.]{0,4}[ \t]?", 0..4).prop_map(|v| v.join(",")),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validation_agrees_with_reference(
        rules in prop::collection::vec(prop_oneof![arb_valid_rule(), arb_noisy_rule()], 0..12),
    ) {
        let result = CorsConfig::new(rules.clone(), false);
        prop_assert_eq!(result.is_ok(), reference_valid(&rules), "{:?}", result);
    }

    #[test]
    fn engine_agrees_with_reference(
        rules in prop::collection::vec(arb_valid_rule(), 1..=10),
        origin in small_value(),
        method in prop_oneof!["GET", "PUT", "HEAD", "DELETE", "get"],
        headers in arb_headers(),
    ) {
        let cfg = CorsConfig::new(rules.clone(), false).unwrap();
        let want = reference(&rules, &origin, &method, headers.as_deref());
        prop_assert_eq!(outcome(cfg.preflight(&origin, &method, headers.as_deref())), want);
        prop_assert_eq!(cfg.explain(&origin, &method, headers.as_deref()).matched, want.map(|w| w.0));
        let want_actual = reference(&rules, &origin, &method, None);
        prop_assert_eq!(outcome(cfg.actual(&origin, &method)), want_actual);
        if let Some((i, _)) = want {
            let a = cfg.preflight(&origin, &method, headers.as_deref()).allowed().copied().unwrap();
            prop_assert_eq!(a.allow_methods, rules[i].allowed_methods.join(", "));
            prop_assert_eq!(a.max_age, rules[i].max_age_seconds.map(|m| m as u64));
        }
    }

    #[test]
    fn byte_split_equals_str_split(value in "[a-zA-Z ,\t\n\u{a0}\u{3000}é-]{0,24}") {
        let as_str: Vec<&[u8]> = requested_headers(&value).map(str::as_bytes).collect();
        let as_bytes: Vec<&[u8]> = requested_header_bytes(&value).collect();
        prop_assert_eq!(as_str, as_bytes);
    }

    #[test]
    fn header_glob_agrees_with_reference(
        pattern in small_pattern(),
        value in "[abAB.\\-]{0,6}",
    ) {
        prop_assume!(pattern.matches('*').count() <= 1);
        let p = pattern::Pattern::compile(&pattern.to_ascii_lowercase());
        prop_assert_eq!(p.matches_ignore_case(value.as_bytes()), naive_match(&pattern, &value, true));
        let p = pattern::Pattern::compile(&pattern);
        prop_assert_eq!(p.matches(&value), naive_match(&pattern, &value, false));
    }
}

#[test]
fn flat_origin_walk_keeps_rule_order_and_first_origin_of_a_rule() {
    let r = |origins: &[&str], methods: &[&str], headers: &[&str]| CorsRule {
        allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
        allowed_methods: methods.iter().map(|s| (*s).to_owned()).collect(),
        allowed_headers: headers.iter().map(|s| (*s).to_owned()).collect(),
        ..CorsRule::default()
    };
    let cfg = config(vec![
        // Matches the origin but refuses the header `x-b`: must not stop the walk.
        r(&["http://a.com", "*"], &["GET"], &["x-a"]),
        // Exact origin first, then `*`: the first matching pattern decides Echo or Any.
        r(&["http://a.com", "*"], &["GET"], &["x-*"]),
        // Only PUT: skipped for GET although every origin matches.
        r(&["*"], &["PUT"], &[]),
        // Glob with an empty suffix (no last byte to check) and an exact origin ending alike.
        r(&["https://*", "http://x.org"], &["HEAD"], &[]),
    ]);
    let pf = |o: &str, m: &str, h: Option<&str>| outcome(cfg.preflight(o, m, h));
    assert_eq!(pf("http://a.com", "GET", Some("x-a")), Some((0, AllowOrigin::Echo)));
    assert_eq!(pf("http://b.com", "GET", Some("x-a")), Some((0, AllowOrigin::Any)));
    assert_eq!(pf("http://a.com", "GET", Some("x-b")), Some((1, AllowOrigin::Echo)));
    assert_eq!(pf("http://b.com", "GET", Some("x-b")), Some((1, AllowOrigin::Any)));
    assert_eq!(pf("http://a.com", "GET", Some("y")), None);
    assert_eq!(pf("http://a.com", "PUT", None), Some((2, AllowOrigin::Any)));
    assert_eq!(pf("https://", "HEAD", None), Some((3, AllowOrigin::Echo)));
    assert_eq!(pf("https://q", "HEAD", None), Some((3, AllowOrigin::Echo)));
    assert_eq!(pf("http://x.org", "HEAD", None), Some((3, AllowOrigin::Echo)));
    // Same length and last byte as `http://x.org`, different text; shorter than `https://`.
    assert_eq!(pf("http://y.org", "HEAD", None), None);
    assert_eq!(pf("https:/", "HEAD", None), None);
    assert_eq!(pf("", "HEAD", None), None);
}

//! Tests of the CORS XML layer: SDK and doc bodies, malformed inputs, rendering, round trips.
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::*;
use ossd_cors::Field;
use proptest::prelude::*;

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn parse_ok(body: &str) -> (Vec<CorsRule>, bool) {
    parse_cors_configuration(body.as_bytes()).unwrap()
}

fn is_malformed(body: &str) -> bool {
    matches!(
        parse_and_validate(body.as_bytes()),
        Err(CorsXmlError::Malformed(_) | CorsXmlError::Schema(_))
    )
}

/// The body oss2 sends (captured from oss2 2.19.1), byte for byte.
const OSS2_BODY: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>http://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>100</MaxAgeSeconds></CORSRule><ResponseVary>false</ResponseVary></CORSConfiguration>";

/// The PutBucketCors doc example (spec §1.2), with its comments and the leading space.
const DOC_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
    <CORSRule>
      <AllowedOrigin>*</AllowedOrigin>          <!-- 1..n, required -->
      <AllowedMethod>PUT</AllowedMethod>        <!-- 1..n, required -->
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>Authorization</AllowedHeader>  <!-- 0..n -->
    </CORSRule>
    <CORSRule>
      <AllowedOrigin>http://www.a.com</AllowedOrigin>
      <AllowedOrigin>http://www.b.com</AllowedOrigin>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader> Authorization</AllowedHeader>
      <ExposeHeader>x-oss-test</ExposeHeader>   <!-- 0..n -->
      <ExposeHeader>x-oss-test1</ExposeHeader>
      <MaxAgeSeconds>100</MaxAgeSeconds>        <!-- 0..1 -->
    </CORSRule>
    <ResponseVary>false</ResponseVary>          <!-- 0..1, child of CORSConfiguration -->
</CORSConfiguration>
"#;

#[test]
fn oss2_body() {
    assert_eq!(OSS2_BODY.len(), 308, "Content-Length in the capture");
    let (rules, vary) = parse_ok(OSS2_BODY);
    assert!(!vary);
    assert_eq!(
        rules,
        vec![CorsRule {
            allowed_origins: strings(&["http://a.example"]),
            allowed_methods: strings(&["GET", "PUT"]),
            allowed_headers: strings(&["*"]),
            expose_headers: strings(&["ETag"]),
            max_age_seconds: Some(100),
        }]
    );
    let cfg = parse_and_validate(OSS2_BODY.as_bytes()).unwrap();
    let rendered = render_cors_configuration(&cfg);
    assert_eq!(
        rendered,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{OSS2_BODY}"),
        "GET gives back what oss2 put, with the declaration"
    );
}

#[test]
fn doc_body_trims_and_lowercases() {
    let cfg = parse_and_validate(DOC_BODY.as_bytes()).unwrap();
    assert!(!cfg.response_vary());
    let rules = cfg.rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].allowed_origins, strings(&["*"]));
    assert_eq!(rules[0].allowed_methods, strings(&["PUT", "GET"]));
    assert_eq!(rules[0].allowed_headers, strings(&["authorization"]));
    assert!(rules[0].expose_headers.is_empty());
    assert_eq!(rules[0].max_age_seconds, None);
    assert_eq!(rules[1].allowed_origins, strings(&["http://www.a.com", "http://www.b.com"]));
    assert_eq!(rules[1].allowed_headers, strings(&["authorization"]), "leading space trimmed");
    assert_eq!(rules[1].expose_headers, strings(&["x-oss-test", "x-oss-test1"]));
    assert_eq!(rules[1].max_age_seconds, Some(100));
    assert_eq!(
        render_cors_configuration(&cfg),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration>\
         <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>\
         <AllowedMethod>GET</AllowedMethod><AllowedHeader>authorization</AllowedHeader></CORSRule>\
         <CORSRule><AllowedOrigin>http://www.a.com</AllowedOrigin><AllowedOrigin>http://www.b.com</AllowedOrigin>\
         <AllowedMethod>GET</AllowedMethod><AllowedHeader>authorization</AllowedHeader>\
         <ExposeHeader>x-oss-test</ExposeHeader><ExposeHeader>x-oss-test1</ExposeHeader>\
         <MaxAgeSeconds>100</MaxAgeSeconds></CORSRule>\
         <ResponseVary>false</ResponseVary></CORSConfiguration>"
    );
}

#[test]
fn minimal_rule_renders_only_given_elements_and_response_vary() {
    let body = "<CORSConfiguration><CORSRule><AllowedOrigin>localhost</AllowedOrigin>\
                <AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let cfg = parse_and_validate(body.as_bytes()).unwrap();
    assert!(!cfg.response_vary(), "ResponseVary defaults to false");
    assert_eq!(
        render_cors_configuration(&cfg),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration><CORSRule>\
         <AllowedOrigin>localhost</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
         <ResponseVary>false</ResponseVary></CORSConfiguration>"
    );
}

#[test]
fn response_vary_values() {
    let body = |v: &str| {
        format!(
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
             </CORSRule><ResponseVary>{v}</ResponseVary></CORSConfiguration>"
        )
    };
    for (v, want) in
        [("true", true), ("TRUE", true), (" True ", true), ("false", false), ("False", false)]
    {
        assert_eq!(parse_ok(&body(v)).1, want, "{v:?}");
    }
    for v in ["", "yes", "1", "0", "truee"] {
        assert!(is_malformed(&body(v)), "{v:?}");
    }
    let cfg = parse_and_validate(body("true").as_bytes()).unwrap();
    assert!(
        render_cors_configuration(&cfg)
            .ends_with("<ResponseVary>true</ResponseVary></CORSConfiguration>")
    );
    // ResponseVary may come before the rules too.
    let (rules, vary) = parse_ok(
        "<CORSConfiguration><ResponseVary>true</ResponseVary><CORSRule><AllowedOrigin>*</AllowedOrigin>\
         <AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    assert!(vary);
    assert_eq!(rules.len(), 1);
}

#[test]
fn accepted_variants() {
    // Namespace on the root, comments, CDATA, entities, a BOM, empty-element syntax for an optional list.
    let body = "\u{feff}<?xml version=\"1.0\"?>\n<!-- hi -->\n<CORSConfiguration xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\">\
                <CORSRule><!-- c --><AllowedOrigin>http://a.com/?a=1&amp;b=&#50;</AllowedOrigin>\
                <AllowedOrigin><![CDATA[ http://<x>.com ]]></AllowedOrigin>\
                <AllowedMethod>\n  PUT\n</AllowedMethod><MaxAgeSeconds> 0 </MaxAgeSeconds></CORSRule>\
                </CORSConfiguration>\n<!-- trailing -->\n";
    let (rules, vary) = parse_ok(body);
    assert!(!vary);
    assert_eq!(rules[0].allowed_origins, strings(&["http://a.com/?a=1&b=2", "http://<x>.com"]));
    assert_eq!(rules[0].allowed_methods, strings(&["PUT"]));
    assert_eq!(rules[0].max_age_seconds, Some(0));
    let cfg = parse_and_validate(body.as_bytes()).unwrap();
    let rendered = render_cors_configuration(&cfg);
    assert!(
        rendered.contains("<AllowedOrigin>http://a.com/?a=1&amp;b=2</AllowedOrigin>"),
        "{rendered}"
    );
    assert!(rendered.contains("<AllowedOrigin>http://&lt;x&gt;.com</AllowedOrigin>"), "{rendered}");
    let back = parse_and_validate(rendered.as_bytes()).unwrap();
    assert_eq!(back, cfg);
}

#[test]
fn malformed_bodies() {
    let rule =
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    let cases: Vec<(&str, String)> = vec![
        ("empty body", String::new()),
        ("whitespace only", "  \n".into()),
        ("not xml", "hello".into()),
        ("wrong root", format!("<CORS>{rule}</CORS>")),
        ("prefixed root", format!("<a:CORSConfiguration xmlns:a=\"x\">{rule}</a:CORSConfiguration>")),
        ("no rules", "<CORSConfiguration></CORSConfiguration>".into()),
        ("no rules, empty root", "<CORSConfiguration/>".into()),
        ("only ResponseVary", "<CORSConfiguration><ResponseVary>true</ResponseVary></CORSConfiguration>".into()),
        ("unclosed root", format!("<CORSConfiguration>{rule}")),
        ("mismatched end", format!("<CORSConfiguration>{rule}</CORSRule>")),
        ("two roots", format!("<CORSConfiguration>{rule}</CORSConfiguration><CORSConfiguration>{rule}</CORSConfiguration>")),
        ("trailing text", format!("<CORSConfiguration>{rule}</CORSConfiguration>x")),
        ("text in root", format!("<CORSConfiguration>x{rule}</CORSConfiguration>")),
        ("text in rule", "<CORSConfiguration><CORSRule>x<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("unknown root child", format!("<CORSConfiguration>{rule}<Foo>1</Foo></CORSConfiguration>")),
        ("unknown rule child", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedOrigins>x</AllowedOrigins></CORSRule></CORSConfiguration>".into()),
        ("lower-case element", "<CORSConfiguration><CORSRule><allowedorigin>*</allowedorigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("nested element in value", "<CORSConfiguration><CORSRule><AllowedOrigin><b>*</b></AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("rule without origin", "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("rule without method", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>".into()),
        ("empty rule", "<CORSConfiguration><CORSRule/></CORSConfiguration>".into()),
        ("two MaxAgeSeconds", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule></CORSConfiguration>".into()),
        ("non-integer MaxAgeSeconds", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1.5</MaxAgeSeconds></CORSRule></CORSConfiguration>".into()),
        ("empty MaxAgeSeconds", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds/></CORSRule></CORSConfiguration>".into()),
        ("huge MaxAgeSeconds", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>99999999999999999999</MaxAgeSeconds></CORSRule></CORSConfiguration>".into()),
        ("two ResponseVary", format!("<CORSConfiguration>{rule}<ResponseVary>true</ResponseVary><ResponseVary>true</ResponseVary></CORSConfiguration>")),
        ("doctype", format!("<!DOCTYPE CORSConfiguration>\n<CORSConfiguration>{rule}</CORSConfiguration>")),
        (
            "entity expansion",
            "<!DOCTYPE x [<!ENTITY e \"http://a.com\">]><CORSConfiguration><CORSRule><AllowedOrigin>&e;</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into(),
        ),
        ("undefined entity", "<CORSConfiguration><CORSRule><AllowedOrigin>&e;</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("processing instruction", format!("<?foo bar?><CORSConfiguration>{rule}</CORSConfiguration>")),
        ("late declaration", format!("<!-- x --><?xml version=\"1.0\"?><CORSConfiguration>{rule}</CORSConfiguration>")),
        ("attribute on root", format!("<CORSConfiguration id=\"1\">{rule}</CORSConfiguration>")),
        ("attribute on child", "<CORSConfiguration><CORSRule a=\"1\"><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".into()),
        ("CDATA in root", format!("<CORSConfiguration><![CDATA[x]]>{rule}</CORSConfiguration>")),
    ];
    for (what, body) in cases {
        assert!(is_malformed(&body), "{what}: {:?}", parse_and_validate(body.as_bytes()));
    }
    assert!(matches!(parse_and_validate(&[0xff, 0xfe, b'<']), Err(CorsXmlError::Malformed(_))));
}

#[test]
fn invalid_arguments_carry_name_and_value() {
    let one = |inner: &str| {
        format!("<CORSConfiguration><CORSRule>{inner}</CORSRule></CORSConfiguration>")
    };
    let cases = [
        (
            one(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>",
            ),
            "MaxAgeSeconds",
            "-1",
        ),
        (
            one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>"),
            "AllowedMethod",
            "OPTIONS",
        ),
        (
            one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>"),
            "AllowedMethod",
            "",
        ),
        (one("<AllowedOrigin>*</AllowedOrigin><AllowedMethod/>"), "AllowedMethod", ""),
        (
            one(
                "<AllowedOrigin>http://*.*.a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            ),
            "AllowedOrigin",
            "http://*.*.a.com",
        ),
        (
            one(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader>",
            ),
            "AllowedHeader",
            "**",
        ),
        (
            one(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-oss-*</ExposeHeader>",
            ),
            "ExposeHeader",
            "x-oss-*",
        ),
        (
            one(
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader/>",
            ),
            "AllowedHeader",
            "",
        ),
        (
            one("<AllowedOrigin>a b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            "AllowedOrigin",
            "a b",
        ),
        (
            one("<AllowedOrigin>a&#10;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
            "AllowedOrigin",
            "a\nb",
        ),
    ];
    for (body, name, value) in cases {
        match parse_and_validate(body.as_bytes()) {
            Err(CorsXmlError::Invalid(e)) => {
                assert_eq!(
                    (e.argument_name(), e.argument_value().as_str()),
                    (name, value),
                    "{body}"
                );
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    let rule =
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    let body = |n: usize| format!("<CORSConfiguration>{}</CORSConfiguration>", rule.repeat(n));
    assert_eq!(parse_and_validate(body(10).as_bytes()).unwrap().rules().len(), 10);
    let err = parse_and_validate(body(11).as_bytes()).unwrap_err();
    assert_eq!(err, CorsXmlError::Invalid(CorsError::TooManyRules { count: 11 }));
    assert_eq!(err.code(), "InvalidArgument");
    assert_eq!(CorsXmlError::Malformed(String::new()).code(), "MalformedXML");
    let err = parse_and_validate(b"<CORSConfiguration></CORSConfiguration>").unwrap_err();
    assert_eq!(err.code(), "MalformedXML");
    let e =
        CorsError::InvalidCharacters { rule: 0, field: Field::AllowedOrigin, value: "a b".into() };
    assert_eq!(
        parse_and_validate(
            one("<AllowedOrigin>a b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>").as_bytes()
        ),
        Err(CorsXmlError::Invalid(e))
    );
}

#[test]
fn parse_keeps_values_before_validation() {
    // The structural parser hands over what was given; only validation lower-cases headers.
    let (rules, _) = parse_ok(
        "<CORSConfiguration><CORSRule><AllowedHeader>X-A</AllowedHeader><ExposeHeader>ETag</ExposeHeader>\
         <AllowedMethod>get</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    assert_eq!(rules[0].allowed_headers, strings(&["X-A"]));
    assert_eq!(rules[0].allowed_methods, strings(&["get"]));
    assert!(rules[0].allowed_origins.is_empty());
}

/// A visible-ASCII value with at most one `*` (and characters that need escaping).
fn value(star: bool) -> impl Strategy<Value = String> {
    let base = "[a-zA-Z0-9:/.&<>'\"=?%-]{1,8}";
    if star {
        prop_oneof![
            3 => base.prop_map(|s| s),
            1 => (base, "[a-z<&]{0,3}").prop_map(|(a, b)| format!("{a}*{b}")),
            1 => Just("*".to_string()),
        ]
        .boxed()
    } else {
        base.prop_map(|s| s).boxed()
    }
}

fn arb_rule() -> impl Strategy<Value = CorsRule> {
    (
        prop::collection::vec(value(true), 1..4),
        prop::collection::vec(prop_oneof!["GET", "PUT", "DELETE", "POST", "HEAD"], 1..4),
        prop::collection::vec(value(true), 0..4),
        prop::collection::vec(value(false), 0..4),
        prop::option::of(0i64..=i64::MAX),
    )
        .prop_map(|(o, m, h, e, age)| CorsRule {
            allowed_origins: o,
            allowed_methods: m,
            allowed_headers: h,
            expose_headers: e,
            max_age_seconds: age,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn render_parse_round_trip(rules in prop::collection::vec(arb_rule(), 1..=10), vary in any::<bool>()) {
        let cfg = CorsConfig::new(rules, vary).unwrap();
        let xml = render_cors_configuration(&cfg);
        let back = parse_and_validate(xml.as_bytes()).unwrap();
        prop_assert_eq!(back.rules(), cfg.rules());
        prop_assert_eq!(back.response_vary(), vary);
        prop_assert_eq!(render_cors_configuration(&back), xml);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_and_validate(&body);
    }

    #[test]
    fn mutated_valid_body_never_panics(pos in 0usize..OSS2_BODY.len(), byte in any::<u8>()) {
        let mut body = OSS2_BODY.as_bytes().to_vec();
        body[pos] = byte;
        if let Ok(cfg) = parse_and_validate(&body) {
            let again = parse_and_validate(render_cors_configuration(&cfg).as_bytes()).unwrap();
            prop_assert_eq!(again, cfg);
        }
    }
}

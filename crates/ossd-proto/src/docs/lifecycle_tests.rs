#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
use super::*;

fn doc(rules: &str) -> Vec<u8> {
    format!("<LifecycleConfiguration>{rules}</LifecycleConfiguration>").into_bytes()
}

fn err(rules: &str) -> (ErrorCode, Option<&'static str>) {
    let e = parse(&doc(rules), false).unwrap_err();
    (e.code, e.effective_ec())
}

#[test]
fn dates_are_utc_midnights() {
    assert_eq!(parse_date("1970-01-01T00:00:00.000Z").unwrap(), 0);
    assert_eq!(parse_date("2015-11-11T00:00:00.000Z").unwrap(), days_from_civil(2015, 11, 11));
    assert_eq!(parse_date("2024-02-29T00:00:00Z").unwrap(), days_from_civil(2024, 2, 29));
    for d in
        ["2022-12-08", "2023-02-29T00:00:00.000Z", "2022-12-08T01:00:00.000Z", "22-1-1T00:00:00Z"]
    {
        assert_eq!(parse_date(d).unwrap_err().effective_ec(), Some("0014-00000087"), "{d}");
    }
    for days in [-1000, 0, 16750, 20000] {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
    }
}

#[test]
fn renders_the_exact_bytes_and_round_trips() {
    let body = doc(
        "<Rule><Tag><Key>k</Key><Value>v</Value></Tag><Status>Enabled</Status><ID>r1</ID>\
        <Prefix>logs/</Prefix><Expiration><Days>30</Days></Expiration>\
        <Transition><StorageClass>IA</StorageClass><Days>10</Days></Transition></Rule>\
        <Rule><Prefix>tmp/</Prefix><Status>Disabled</Status>\
        <AbortMultipartUpload><CreatedBeforeDate>2015-11-11T00:00:00Z</CreatedBeforeDate></AbortMultipartUpload>\
        <NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>",
    );
    let cfg = parse(&body, false).unwrap();
    assert_eq!(cfg.rules[1].id, "rule-1");
    let xml = render(&cfg);
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LifecycleConfiguration>\
         <Rule><ID>r1</ID><Prefix>logs/</Prefix><Status>Enabled</Status>\
         <Tag><Key>k</Key><Value>v</Value></Tag><Expiration><Days>30</Days></Expiration>\
         <Transition><Days>10</Days><StorageClass>IA</StorageClass></Transition></Rule>\
         <Rule><ID>rule-1</ID><Prefix>tmp/</Prefix><Status>Disabled</Status>\
         <AbortMultipartUpload><CreatedBeforeDate>2015-11-11T00:00:00.000Z</CreatedBeforeDate></AbortMultipartUpload>\
         <NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>\
         </LifecycleConfiguration>"
    );
    assert_eq!(parse_stored(xml.as_bytes()).unwrap(), cfg);
}

#[test]
fn refuses_what_oss_refuses() {
    let exp = "<Expiration><Days>3</Days></Expiration>";
    let ia = ErrorCode::InvalidArgument;
    assert_eq!(err(&format!("<Rule><Status>On</Status>{exp}</Rule>")), (ia, Some("0014-00000024")));
    assert_eq!(
        err(&format!("<Rule>{exp}</Rule>")),
        (ErrorCode::MalformedXML, Some("0014-00000025"))
    );
    assert_eq!(err("<Rule><Status>Enabled</Status></Rule>"), (ia, Some("0014-00000026")));
    assert_eq!(
        err("<Rule><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>"),
        (ia, Some("0014-00000086"))
    );
    assert_eq!(
        err("<Rule><Status>Enabled</Status><Expiration></Expiration></Rule>"),
        (ia, Some("0014-00000060"))
    );
    assert_eq!(
        err(
            "<Rule><Status>Enabled</Status><Expiration><Days>1</Days><CreatedBeforeDate>2015-11-11T00:00:00.000Z</CreatedBeforeDate></Expiration></Rule>"
        ),
        (ia, Some("0014-00000050"))
    );
    assert_eq!(
        err(
            "<Rule><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>"
        ),
        (ia, Some("0014-00000059"))
    );
    assert_eq!(
        err(&format!("<Rule><ID>{}</ID><Status>Enabled</Status>{exp}</Rule>", "i".repeat(256))),
        (ia, Some("0014-00000019"))
    );
    assert_eq!(
        err(&format!(
            "<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status>{exp}</Rule><Rule><ID>a</ID><Prefix>y</Prefix><Status>Enabled</Status>{exp}</Rule>"
        )),
        (ia, Some("0014-00000020"))
    );
    assert_eq!(
        err(&format!(
            "<Rule><Prefix>x</Prefix><Status>Enabled</Status>{exp}</Rule><Rule><Prefix>x</Prefix><Status>Enabled</Status>{exp}</Rule>"
        )),
        (ia, Some("0014-00000085"))
    );
    let overlap = format!(
        "<Rule><Prefix>a</Prefix><Status>Enabled</Status>{exp}</Rule><Rule><Prefix>ab</Prefix><Status>Enabled</Status>{exp}</Rule>"
    );
    let e = parse(&doc(&overlap), false).unwrap_err();
    assert_eq!(
        (e.effective_ec(), e.message.as_str()),
        (Some("0014-00000084"), "Overlap for same action type Expiration")
    );
    assert_eq!(parse(&doc(&overlap), true).unwrap().rules.len(), 2);
    assert_eq!(
        err(
            "<Rule><Status>Enabled</Status><Tag><Key>k</Key><Value>v</Value></Tag><AbortMultipartUpload><Days>1</Days></AbortMultipartUpload></Rule>"
        ),
        (ia, Some("0014-00000027"))
    );
    assert_eq!(
        err(&format!("<Rule><Status>Enabled</Status><Tag><Key>k</Key></Tag>{exp}</Rule>")),
        (ia, Some("0014-00000028"))
    );
    assert_eq!(
        err(&format!(
            "<Rule><Status>Enabled</Status><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag>{exp}</Rule>"
        )),
        (ia, Some("0014-00000029"))
    );
    assert_eq!(
        err(&format!(
            "<Rule><Status>Enabled</Status><Tag><Key>%k</Key><Value>v</Value></Tag>{exp}</Rule>"
        )),
        (ia, Some("0014-00000031"))
    );
    assert_eq!(
        err(&format!(
            "<Rule><Prefix>a/</Prefix><Status>Enabled</Status><Filter><Not><Prefix>b/</Prefix></Not></Filter>{exp}</Rule>"
        )),
        (ia, Some("0014-00000035"))
    );
    assert_eq!(
        err(
            "<Rule><Status>Enabled</Status><Transition><Days>3</Days><StorageClass>Standard</StorageClass></Transition></Rule>"
        ),
        (ia, Some("0014-00000044"))
    );
    assert_eq!(
        err(
            "<Rule><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>3</NoncurrentDays><StorageClass>DeepColdArchive</StorageClass></NoncurrentVersionTransition></Rule>"
        ),
        (ia, Some("0014-00000062"))
    );
    // Order: expiration after transitions, colder classes later (InvalidArgument); a date-based
    // expiration with a day-based transition is InvalidRequest.
    let t = |class: &str, days: u32| {
        format!("<Transition><Days>{days}</Days><StorageClass>{class}</StorageClass></Transition>")
    };
    assert_eq!(err(&format!("<Rule><Status>Enabled</Status>{exp}{}</Rule>", t("IA", 4))).0, ia);
    assert_eq!(
        err(&format!("<Rule><Status>Enabled</Status>{}{}</Rule>", t("IA", 5), t("Archive", 2))).0,
        ia
    );
    parse(
        &doc(&format!(
            "<Rule><Status>Enabled</Status>{}{}<Expiration><Days>357</Days></Expiration></Rule>",
            t("Archive", 356),
            t("IA", 355)
        )),
        false,
    )
    .unwrap();
    assert_eq!(
        err(&format!("<Rule><Status>Enabled</Status><Expiration><CreatedBeforeDate>2016-12-20T00:00:00.000Z</CreatedBeforeDate></Expiration>{}</Rule>", t("IA", 1))).0,
        ErrorCode::InvalidRequest
    );
    assert_eq!(err("<Rule><Status>Enabled</Status><Transition><Days>3</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime></Transition></Rule>").0, ErrorCode::MalformedXML);
    assert_eq!(
        parse(b"<LifecycleConfiguration/>", false).unwrap_err().code,
        ErrorCode::MalformedXML
    );
    assert_eq!(parse(b"<Lifecycle/>", false).unwrap_err().code, ErrorCode::MalformedXML);
}

#[test]
fn rules_match_by_prefix_tags_size_and_not() {
    let body = doc(
        "<Rule><Prefix>a/</Prefix><Status>Enabled</Status><Tag><Key>k</Key><Value>v</Value></Tag>\
        <Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan>\
        <Not><Prefix>a/keep</Prefix></Not></Filter><Expiration><Days>1</Days></Expiration></Rule>",
    );
    let rule = &parse(&body, false).unwrap().rules[0];
    let kv = [("k".to_owned(), "v".to_owned())];
    assert!(rule.matches_object("a/x", &kv, 5));
    assert!(!rule.matches_object("b/x", &kv, 5));
    assert!(!rule.matches_object("a/x", &[], 5));
    assert!(!rule.matches_object("a/x", &kv, 1));
    assert!(!rule.matches_object("a/x", &kv, 10));
    assert!(!rule.matches_object("a/keep/x", &kv, 5));
}

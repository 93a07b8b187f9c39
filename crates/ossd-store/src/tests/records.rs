//! Blob ids and record versioning.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

#[test]
fn blob_id_parse_rejects_anything_path_like() {
    let good = "12-0123456789abcdef0123456789abcdef";
    assert_eq!(BlobId::parse(good).unwrap().generation(), 12);
    for bad in [
        "",
        "12",
        "-0123456789abcdef0123456789abcdef",
        "x-0123456789abcdef0123456789abcdef",
        "12-0123456789ABCDEF0123456789abcdef",
        "12-0123456789abcdef0123456789abcde",
        "12-../../../../etc/passwd/aaaaaaaaa",
        "12-0123456789abcdef0123456789abcdef/",
        "99999999999999999999999-0123456789abcdef0123456789abcdef",
    ] {
        assert!(BlobId::parse(bad).is_none(), "{bad:?}");
    }
    // A record holding a malformed blob id does not decode.
    let mut bytes = codec_encode_segment("7-0123456789abcdef0123456789abcdef");
    assert!(crate::codec::decode::<Segment>("segment", &bytes).is_ok());
    bytes = codec_encode_segment("7-../0123456789abcdef0123456789ab");
    assert!(matches!(
        crate::codec::decode::<Segment>("segment", &bytes),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn blob_id_validation_equals_the_split_and_parse_rules() {
    // The rules as first written: split at the first `-`, then check each part.
    fn reference(s: &str) -> bool {
        let Some((generation, random)) = s.strip_prefix('i').unwrap_or(s).split_once('-') else {
            return false;
        };
        !generation.is_empty()
            && generation.len() <= 20
            && generation.bytes().all(|b| b.is_ascii_digit())
            && generation.parse::<u64>().is_ok()
            && random.len() == 32
            && random.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
    let hex = "0123456789abcdef0123456789abcdef";
    let mut ids: Vec<String> = Vec::new();
    for generation in [
        "",
        "0",
        "7",
        "12",
        "007",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "000000000000000000001",
        "1a",
        "-1",
        "1-2",
        "+1",
        " 1",
        "١",
    ] {
        for prefix in ["", "i", "ii", "I"] {
            for random in [
                hex,
                &hex[1..],
                "0123456789abcdef0123456789abcdeF",
                "0123456789abcdef0123456789abcde-",
                "0123456789abcdef0123456789abcdefa",
                "-0123456789abcdef0123456789abcde",
                "0123456789abcdef01234567é9abcd",
            ] {
                for dash in ["-", "--", "", "_"] {
                    ids.push(format!("{prefix}{generation}{dash}{random}"));
                }
            }
        }
    }
    for id in &ids {
        assert_eq!(BlobId::is_valid(id), reference(id), "{id:?}");
        assert_eq!(BlobId::parse(id).is_some(), reference(id), "{id:?}");
    }
    assert!(ids.iter().filter(|id| reference(id)).count() > 10);
}

/// Encodes a segment whose blob id is an arbitrary string (bypassing `BlobId` validation).
fn codec_encode_segment(id: &str) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct RawSegment<'a> {
        blob: &'a str,
        len: u64,
    }
    crate::codec::encode(&RawSegment { blob: id, len: 3 }).unwrap()
}

#[test]
fn records_round_trip_and_unknown_versions_are_refused() {
    let rec = ObjectRecord {
        key: "k".into(),
        user_meta: vec![("x-oss-meta-a".into(), "b".into())],
        ..Default::default()
    };
    let mut bytes = crate::codec::encode(&rec).unwrap();
    assert_eq!(crate::codec::decode::<ObjectRecord>("object", &bytes).unwrap(), rec);
    bytes[0] = 99;
    let err = crate::codec::decode::<ObjectRecord>("object", &bytes).unwrap_err();
    assert!(matches!(&err, StoreError::Corrupt(m) if m.contains("version 99")), "{err}");
    let mut trailing = crate::codec::encode(&rec).unwrap();
    trailing.push(0);
    assert!(matches!(
        crate::codec::decode::<ObjectRecord>("object", &trailing),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn store_refuses_object_record_of_unknown_version() {
    let store = Store::open_in_memory().unwrap();
    store.create_bucket(&bucket("b")).unwrap();
    let mut value = crate::codec::encode(&ObjectRecord::default()).unwrap();
    value[0] = 4;
    let txn = store.db().begin_write().unwrap();
    txn.open_table(OBJECTS).unwrap().insert(("b", b"k".as_slice()), value.as_slice()).unwrap();
    txn.commit().unwrap();
    assert!(matches!(store.get_object("b", "k"), Err(StoreError::Corrupt(_))));
    let q = ListQuery { max_keys: 10, ..Default::default() };
    assert!(matches!(store.list_objects("b", &q), Err(StoreError::Corrupt(_))));
}

#[test]
fn store_of_unknown_layout_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let txn = store.db().begin_write().unwrap();
        txn.open_table(META).unwrap().insert("format", 99).unwrap();
        txn.commit().unwrap();
    }
    assert!(matches!(Store::open(dir.path()), Err(StoreError::Corrupt(_))));
}

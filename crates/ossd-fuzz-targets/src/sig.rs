//! Target `sig`: what a request claims about its signature. `parse_claim` over arbitrary
//! `Authorization` values and query parameters, and `verify` of whatever it accepts, never panic;
//! a header or presigned query written from values parses back to those values; a request signed
//! by our own signers (V1, V4; header and query) verifies, whatever its key, query and headers;
//! the date, credential and PostObject policy parsers never panic.

use arbitrary::Arbitrary;
use ossd_sig::{AuthClaim, SignedRequest, parse_claim, post_policy, timefmt, v1, v4, verify};

/// 2026-11-28T04:08:26Z: the `now` of the signing round trips.
const NOW: i64 = 1_795_838_906;

#[derive(Arbitrary, Debug)]
enum Name {
    Authorization,
    Date,
    XOssDate,
    ContentSha256,
    ContentType,
    ContentMd5,
    Meta(String),
    Raw(String),
}

impl Name {
    fn header(&self) -> String {
        match self {
            Name::Authorization => "authorization".into(),
            Name::Date => "date".into(),
            Name::XOssDate => "x-oss-date".into(),
            Name::ContentSha256 => "x-oss-content-sha256".into(),
            Name::ContentType => "content-type".into(),
            Name::ContentMd5 => "content-md5".into(),
            Name::Meta(s) => format!("x-oss-meta-{}", s.to_ascii_lowercase()),
            Name::Raw(s) => s.to_ascii_lowercase(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum QName {
    OssAccessKeyId,
    Expires,
    Signature,
    Version,
    Credential,
    XOssDate,
    XOssExpires,
    XOssSignature,
    Additional,
    SubResource(u8),
    Raw(String),
}

impl QName {
    fn name(&self) -> String {
        match self {
            QName::OssAccessKeyId => "OSSAccessKeyId".into(),
            QName::Expires => "Expires".into(),
            QName::Signature => "Signature".into(),
            QName::Version => "x-oss-signature-version".into(),
            QName::Credential => "x-oss-credential".into(),
            QName::XOssDate => "x-oss-date".into(),
            QName::XOssExpires => "x-oss-expires".into(),
            QName::XOssSignature => "x-oss-signature".into(),
            QName::Additional => "x-oss-additional-headers".into(),
            QName::SubResource(i) => {
                v1::SUB_RESOURCES[usize::from(*i) % v1::SUB_RESOURCES.len()].to_owned()
            }
            QName::Raw(s) => s.clone(),
        }
    }
}

/// An `Authorization` value written from parts.
#[derive(Arbitrary, Debug)]
enum AuthIn {
    Raw(String),
    V1 { ak: String, signature: String, spaces: u8 },
    V4 { fields: Vec<(u8, String)>, spaces: bool },
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: String,
    bucket: Option<String>,
    key: Option<String>,
    query: Vec<(QName, Option<String>)>,
    headers: Vec<(Name, String)>,
    auth: Option<AuthIn>,
    secret: String,
    now_offset: i32,
    region: String,
    /// A V4 credential's parts: access key, date, region.
    credential: (String, u32, String),
    additional: Vec<String>,
    presign_expires: u32,
    policy: String,
    v4: bool,
}

/// The target: `data` as a request and its claim, then the checks.
pub fn run(data: &[u8]) {
    if let Some(input) = crate::input::<Input>(data) {
        check(&input);
    }
}

fn check(input: &Input) {
    let headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.header(), v.clone()))
        .chain(input.auth.as_ref().map(|a| ("authorization".to_owned(), auth_value(a))))
        .collect();
    let query: Vec<(String, Option<String>)> =
        input.query.iter().map(|(n, v)| (n.name(), v.clone())).collect();
    let req = SignedRequest {
        method: &input.method,
        bucket: input.bucket.as_deref(),
        key: input.key.as_deref(),
        query: &query,
        headers: &headers,
    };
    let now = NOW + i64::from(input.now_offset);
    if let Ok(Some(claim)) = parse_claim(&req) {
        assert!(!claim.access_key_id().is_empty());
        let _ = verify(&req, &claim, &input.secret, now, &input.region);
    }
    if let Some(AuthIn::V1 { ak, signature, spaces }) = &input.auth {
        check_v1_header(ak, signature, *spaces);
    }
    check_v4_header(input);
    check_signed(input);
    check_parsers(input, now);
}

fn auth_value(a: &AuthIn) -> String {
    match a {
        AuthIn::Raw(s) => s.clone(),
        AuthIn::V1 { ak, signature, spaces } => {
            format!("OSS{}{ak}:{signature}", " ".repeat(usize::from(spaces % 3)))
        }
        AuthIn::V4 { fields, spaces } => {
            let names = ["Credential", "AdditionalHeaders", "Signature", "Other"];
            let sep = if *spaces { ", " } else { "," };
            let list: Vec<String> =
                fields.iter().map(|(n, v)| format!("{}={v}", names[usize::from(n % 4)])).collect();
            format!("{} {}", v4::ALGORITHM, list.join(sep))
        }
    }
}

fn header_request<'a>(headers: &'a [(String, String)]) -> SignedRequest<'a> {
    SignedRequest { method: "GET", bucket: Some("b"), key: Some("k"), query: &[], headers }
}

/// `OSS ak:signature` gives back the access key and signature, trimmed; anything without a
/// non-empty access key (no `:` in it) and signature is refused.
fn check_v1_header(ak: &str, signature: &str, spaces: u8) {
    let headers = vec![(
        "authorization".to_owned(),
        auth_value(&AuthIn::V1 { ak: ak.into(), signature: signature.into(), spaces }),
    )];
    let got = parse_claim(&header_request(&headers));
    let scheme_ok = !spaces.is_multiple_of(3) || ak.starts_with(char::is_whitespace);
    if !scheme_ok || ak.contains(':') {
        return;
    }
    let (ak, signature) = (ak.trim(), signature.trim());
    if ak.is_empty() || signature.is_empty() {
        assert!(got.is_err(), "{headers:?} gave {got:?}");
    } else {
        let want = AuthClaim::V1Header { access_key_id: ak.into(), signature: signature.into() };
        assert_eq!(got.ok().flatten(), Some(want), "{headers:?}");
    }
}

/// Plain parts of a credential: no `/`, `,`, `=`, `;`, `:` or whitespace.
fn plain(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', ',', '=', ';', ':']) && !s.contains(char::is_whitespace)
}

/// The credential's parts: the input's strings where they are plain, else fixed ones.
fn credential(input: &Input) -> (String, String, String) {
    let (ak, day, region) = &input.credential;
    let pick = |s: &String, default: &str| if plain(s) { s.clone() } else { default.to_owned() };
    (pick(ak, "LTAIfuzz"), format!("{:08}", day % 100_000_000), pick(region, "cn-hangzhou"))
}

/// `OSS4-HMAC-SHA256 Credential=…,AdditionalHeaders=…,Signature=…` gives back its parts.
fn check_v4_header(input: &Input) {
    let (ak, date, region) = credential(input);
    let additional: Vec<String> = input
        .additional
        .iter()
        .filter(|h| plain(h))
        .map(|h| h.to_ascii_lowercase())
        .take(4)
        .collect();
    let signature = format!("{:064x}", input.presign_expires);
    let mut v = format!("{} Credential={ak}/{date}/{region}/oss/aliyun_v4_request", v4::ALGORITHM);
    if !additional.is_empty() {
        v.push_str(&format!(", AdditionalHeaders={}", additional.join(";")));
    }
    v.push_str(&format!(",Signature={signature}"));
    let headers = vec![("authorization".to_owned(), v)];
    let want = AuthClaim::V4Header {
        access_key_id: ak,
        date,
        region,
        additional_headers: additional,
        signature,
    };
    assert_eq!(parse_claim(&header_request(&headers)).ok().flatten(), Some(want), "{headers:?}");
}

/// A request signed by our signers verifies, whatever its method, key, query and headers.
fn check_signed(input: &Input) {
    let (ak, _, region) = credential(input);
    // Header names as hyper would give them (no duplicates of what the signer adds).
    let reserved = ["authorization", "date", "x-oss-date", "x-oss-content-sha256"];
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.header(), v.trim().to_owned()))
        .filter(|(n, v)| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b':')
                && !reserved.contains(&n.as_str())
                && v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        })
        .collect();
    // The query names a presigned URL uses are the signer's own.
    let query: Vec<(String, Option<String>)> = input
        .query
        .iter()
        .map(|(n, v)| (n.name(), v.clone()))
        .filter(|(n, _)| {
            !["OSSAccessKeyId", "Expires", "Signature"].contains(&n.as_str())
                && !n.starts_with("x-oss-")
        })
        .collect();
    let method = if input.method.is_empty() { "GET" } else { &input.method };
    let date = timefmt::format_rfc1123(NOW).unwrap_or_default();
    let x_oss_date = timefmt::format_iso8601_basic(NOW).unwrap_or_default();
    headers.push(("date".into(), date));
    headers.push(("x-oss-date".into(), x_oss_date.clone()));
    headers.push(("x-oss-content-sha256".into(), v4::UNSIGNED_PAYLOAD.into()));
    let base = SignedRequest {
        method,
        bucket: input.bucket.as_deref(),
        key: input.key.as_deref(),
        query: &query,
        headers: &headers,
    };
    let secret = &input.secret;
    let additional: Vec<String> = input.additional.iter().filter(|h| plain(h)).cloned().collect();
    // Header signing.
    let auth = if input.v4 {
        v4::authorization(&ak, secret, &region, &base, &additional)
    } else {
        v1::authorization(&ak, secret, &base)
    };
    let mut signed = headers.clone();
    signed.push(("authorization".into(), auth));
    let req = SignedRequest { headers: &signed, ..base };
    let claim = parse_claim(&req).expect("our header parses").expect("a claim");
    assert_eq!(claim.access_key_id(), ak);
    verify(&req, &claim, secret, NOW, &region).expect("our header signature verifies");
    // Presigned.
    let expires = i64::from(input.presign_expires % 604_800) + 1;
    let added = if input.v4 {
        v4::presign_query(&ak, secret, &region, &base, &x_oss_date, expires, &additional)
    } else {
        v1::presign_query(&ak, secret, &base, NOW + expires)
    };
    let mut q = query.clone();
    q.extend(added.into_iter().map(|(k, v)| (k, Some(v))));
    let req = SignedRequest { query: &q, headers: &headers, ..base };
    let claim = parse_claim(&req).expect("our query parses").expect("a claim");
    assert_eq!(claim.is_v4(), input.v4);
    verify(&req, &claim, secret, NOW, &region).expect("our presigned URL verifies");
}

fn check_parsers(input: &Input, now: i64) {
    let s = &input.method;
    let _ = v4::parse_credential(s);
    let _ = timefmt::parse_iso8601_basic(s);
    let _ = timefmt::parse_rfc1123(s);
    let _ = timefmt::parse_request_date(s);
    let _ = timefmt::parse_rfc3339(s);
    let _ = post_policy::decode(&input.policy);
    let _ = post_policy::check_v4_form(&input.policy, s, &input.region, now);
    // Formatting then parsing a time gives it back.
    let t = now + i64::from(input.presign_expires);
    let iso = timefmt::format_iso8601_basic(t).expect("formats");
    assert_eq!(timefmt::parse_iso8601_basic(&iso), Some(t));
    let rfc = timefmt::format_rfc1123(t).expect("formats");
    assert_eq!(timefmt::parse_rfc1123(&rfc), Some(t));
    assert_eq!(timefmt::parse_request_date(&rfc), Some(t));
}

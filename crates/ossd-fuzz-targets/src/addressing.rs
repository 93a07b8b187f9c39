//! Target `addressing`: the request line and range headers. `Query::parse` against a reference
//! decoder and an encode → parse round trip; `resolve` and `resolve_ref` against each other and a
//! reference (whole-path decoding, Host forms); `parse_range` and `parse_copy_range` never panic,
//! stay inside the object and, for ranges written from numbers, give what the numbers say.

use arbitrary::Arbitrary;
use ossd_proto::range::{RangeSpec, parse_copy_range, parse_range};
use ossd_proto::request::{Query, resolve, resolve_ref};
use ossd_proto::{ErrorCode, Target};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::borrow::Cow;

#[derive(Arbitrary, Debug)]
enum HostChoice {
    Absent,
    Raw(String),
    /// `<bucket>.<domain>[:port]`, the domain picked from the configured ones (or `localhost`).
    Virtual {
        bucket: String,
        domain: u8,
        port: Option<u16>,
        upper: bool,
    },
    /// `<bucket>.oss-<region>[-internal].aliyuncs.com[:port]`.
    AliOss {
        bucket: String,
        region: String,
        port: Option<u16>,
    },
    Ip {
        v6: bool,
        addr: [u8; 4],
        port: Option<u16>,
    },
}

#[derive(Arbitrary, Debug)]
enum PathChoice {
    Raw(String),
    /// `/<bucket>/<key>` with the key percent-encoded (wholly, or not at all).
    Parts {
        bucket: String,
        key: String,
        encode: bool,
        slash: bool,
    },
}

#[derive(Arbitrary, Debug)]
enum RangeChoice {
    Absent,
    Raw(String),
    Closed { a: u64, b: u64, pad: bool },
    From(u64),
    Suffix(u64),
}

#[derive(Arbitrary, Debug)]
struct Input {
    raw_query: String,
    pairs: Vec<(String, Option<String>)>,
    plus_for_space: bool,
    host: HostChoice,
    path: PathChoice,
    domains: Vec<String>,
    range: RangeChoice,
    size: u64,
    small_size: Option<u8>,
    standard: bool,
}

/// The target: `data` as query, Host, path and ranges, then the checks.
pub fn run(data: &[u8]) {
    if let Some(input) = crate::input::<Input>(data) {
        check(input);
    }
}

fn check(input: Input) {
    check_query(&input);
    check_addressing(&input);
    check_ranges(&input);
}

// ---- query ------------------------------------------------------------------------------------

/// `%XX` and `+` decoding by hand; `None` when the bytes are not UTF-8.
fn reference_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push((hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0)) as u8);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn reference_query(raw: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut pairs = Vec::new();
    for part in raw.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.find('=') {
            Some(i) => (&part[..i], Some(&part[i + 1..])),
            None => (part, None),
        };
        let v = match v {
            Some(v) => Some(reference_decode(v)?),
            None => None,
        };
        pairs.push((reference_decode(k)?, v));
    }
    Some(pairs)
}

fn check_query(input: &Input) {
    let got = Query::parse(&input.raw_query);
    match (&got, reference_query(&input.raw_query)) {
        (Ok(q), Some(want)) => assert_eq!(q.pairs, want, "query {:?}", input.raw_query),
        (Err(e), None) => assert_eq!(e.code, ErrorCode::InvalidArgument),
        (got, want) => panic!("query {:?}: got {got:?}, reference {want:?}", input.raw_query),
    }
    // Encode → parse gives the pairs back (a bare empty name is no parameter at all).
    let enc = |s: &str| {
        let e = utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        if input.plus_for_space { e.replace("%20", "+") } else { e }
    };
    let raw: Vec<String> = input
        .pairs
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{}={}", enc(k), enc(v)),
            None => enc(k),
        })
        .collect();
    let want: Vec<(String, Option<String>)> =
        input.pairs.iter().filter(|(k, v)| !(k.is_empty() && v.is_none())).cloned().collect();
    let q = Query::parse(&raw.join("&")).expect("an encoded query parses");
    assert_eq!(q.pairs, want);
    for (k, _) in &want {
        assert!(q.has(k));
        let first = want.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_deref().unwrap_or(""));
        assert_eq!(q.get(k), first, "first value of {k:?}");
    }
}

// ---- Host and path ----------------------------------------------------------------------------

fn domains(input: &Input) -> Vec<String> {
    input.domains.iter().take(4).cloned().collect()
}

fn host_string(input: &Input, domains: &[String]) -> Option<String> {
    let port = |p: &Option<u16>| p.map(|p| format!(":{p}")).unwrap_or_default();
    Some(match &input.host {
        HostChoice::Absent => return None,
        HostChoice::Raw(s) => s.clone(),
        HostChoice::Virtual { bucket, domain, port: p, upper } => {
            let all: Vec<&str> =
                domains.iter().map(String::as_str).chain(std::iter::once("localhost")).collect();
            let d = all[usize::from(*domain) % all.len()];
            let h = format!("{bucket}.{d}{}", port(p));
            if *upper { h.to_ascii_uppercase() } else { h }
        }
        HostChoice::AliOss { bucket, region, port: p } => {
            format!("{bucket}.oss-{region}.aliyuncs.com{}", port(p))
        }
        HostChoice::Ip { v6: false, addr, port: p } => {
            format!("{}{}", std::net::Ipv4Addr::from(*addr), port(p))
        }
        HostChoice::Ip { v6: true, addr, port: p } => {
            let v6 = std::net::Ipv4Addr::from(*addr).to_ipv6_mapped();
            format!("[{v6}]{}", port(p))
        }
    })
}

fn path_string(input: &Input) -> String {
    match &input.path {
        PathChoice::Raw(s) => s.clone(),
        PathChoice::Parts { bucket, key, encode, slash } => {
            let key = if *encode {
                utf8_percent_encode(key, NON_ALPHANUMERIC).to_string()
            } else {
                key.clone()
            };
            let sep = if *slash || !key.is_empty() { "/" } else { "" };
            format!("/{bucket}{sep}{key}")
        }
    }
}

/// Host without its port: `[v6]:p` → `[v6]`, `h:digits` → `h`.
fn reference_strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.find(']').map_or(host, |end| &host[..end + 2]);
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

fn reference_host_bucket(host: &str, domains: &[String]) -> Option<String> {
    let host = reference_strip_port(host);
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let lower = host.to_ascii_lowercase();
    for d in domains.iter().map(String::as_str).chain(std::iter::once("localhost")) {
        let suffix = format!(".{}", d.to_ascii_lowercase());
        if let Some(prefix) = lower.strip_suffix(suffix.as_str())
            && !prefix.is_empty()
            && !prefix.contains('.')
        {
            return Some(prefix.to_owned());
        }
    }
    let (bucket, rest) = lower.split_once('.')?;
    (!bucket.is_empty() && rest.starts_with("oss-") && rest.ends_with(".aliyuncs.com"))
        .then(|| bucket.to_owned())
}

fn reference_resolve(
    host: Option<&str>,
    path: &str,
    domains: &[String],
) -> Result<Target, ErrorCode> {
    let Some(rest) = path.strip_prefix('/') else { return Err(ErrorCode::InvalidRequest) };
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| ErrorCode::InvalidObjectName)?
        .into_owned();
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    if let Some(bucket) = host.and_then(|h| reference_host_bucket(h, domains)) {
        return Ok(Target { bucket: Some(bucket), key: nonempty(&decoded), virtual_hosted: true });
    }
    Ok(match decoded.split_once('/') {
        None => Target { bucket: nonempty(&decoded), key: None, virtual_hosted: false },
        Some((b, k)) => {
            Target { bucket: Some(b.to_owned()), key: nonempty(k), virtual_hosted: false }
        }
    })
}

fn check_addressing(input: &Input) {
    let domains = domains(input);
    let host = host_string(input, &domains);
    let path = path_string(input);
    let owned = resolve(host.as_deref(), &path, &domains);
    let borrowed = resolve_ref(host.as_deref(), &path, &domains);
    let want = reference_resolve(host.as_deref(), &path, &domains);
    match (&owned, &borrowed, &want) {
        (Ok(o), Ok(b), Ok(w)) => {
            assert_eq!(o, w, "host {host:?} path {path:?}");
            assert_eq!(&b.clone().into_owned(), o);
            // Without `%` and a Host bucket, nothing is copied.
            if !path.contains('%') && !b.virtual_hosted {
                assert!(b.bucket.as_ref().is_none_or(|c| matches!(c, Cow::Borrowed(_))));
                assert!(b.key.as_ref().is_none_or(|c| matches!(c, Cow::Borrowed(_))));
            }
            assert!(o.key.as_deref().is_none_or(|k| !k.is_empty()));
        }
        (Err(o), Err(b), Err(w)) => {
            assert_eq!(o.code, *w, "host {host:?} path {path:?}");
            assert_eq!(b.code, *w);
        }
        _ => panic!(
            "host {host:?} path {path:?}: resolve {owned:?}, resolve_ref {borrowed:?}, reference {want:?}"
        ),
    }
    // A generated virtual-hosted Host names the bucket it was made from.
    if let (HostChoice::Virtual { bucket, .. } | HostChoice::AliOss { bucket, .. }, Ok(t)) =
        (&input.host, &owned)
        && !bucket.is_empty()
        && !bucket.contains(['.', ':', '[', ']'])
        && t.virtual_hosted
    {
        assert_eq!(t.bucket.as_deref(), Some(bucket.to_ascii_lowercase().as_str()));
    }
}

// ---- ranges -----------------------------------------------------------------------------------

/// What a well-formed `bytes=a-b` means for an object of `size` bytes (the rules in
/// `parse_range`'s documentation, from the numbers rather than the text).
fn closed_meaning(a: u64, b: u64, size: u64, standard: bool) -> RangeSpec {
    let unfit = if standard { RangeSpec::Unsatisfiable } else { RangeSpec::Full };
    if a > b {
        RangeSpec::Full
    } else if a >= size {
        unfit
    } else if b < size {
        RangeSpec::Part(a, b + 1)
    } else if standard {
        RangeSpec::Part(a, size)
    } else {
        RangeSpec::Full
    }
}

fn check_ranges(input: &Input) {
    let size = input.small_size.map_or(input.size, u64::from);
    let standard = input.standard;
    let (header, want) = match &input.range {
        RangeChoice::Absent => (None, Some(RangeSpec::Full)),
        RangeChoice::Raw(s) => (Some(s.clone()), None),
        RangeChoice::Closed { a, b, pad } => {
            let h = if *pad { format!(" bytes= {a} - {b} ") } else { format!("bytes={a}-{b}") };
            (Some(h), Some(closed_meaning(*a, *b, size, standard)))
        }
        RangeChoice::From(a) => {
            let want = if *a >= size {
                if standard { RangeSpec::Unsatisfiable } else { RangeSpec::Full }
            } else {
                RangeSpec::Part(*a, size)
            };
            (Some(format!("bytes={a}-")), Some(want))
        }
        RangeChoice::Suffix(n) => {
            let want = if *n == 0 || size == 0 {
                if standard { RangeSpec::Unsatisfiable } else { RangeSpec::Full }
            } else {
                RangeSpec::Part(size - (*n).min(size), size)
            };
            (Some(format!("bytes=-{n}")), Some(want))
        }
    };
    let got = parse_range(header.as_deref(), size, standard);
    if let RangeSpec::Part(s, e) = got {
        assert!(s < e && e <= size, "{header:?} on {size} bytes gave {s}..{e}");
    }
    if let Some(want) = want {
        assert_eq!(got, want, "{header:?} on {size} bytes, standard {standard}");
    }
    // The same text as `x-oss-copy-source-range`: inside the source or an error.
    if let Some(h) = &header {
        match parse_copy_range(h, size) {
            Ok((a, b)) => assert!(a < b && b <= size, "copy range {h:?} on {size}: {a}..{b}"),
            Err(e) => {
                assert!(matches!(e.code, ErrorCode::InvalidArgument | ErrorCode::InvalidRange))
            }
        }
        if let RangeChoice::Closed { a, b, pad: false } = &input.range {
            let want = if a <= b && *b < size { Some((*a, b + 1)) } else { None };
            assert_eq!(parse_copy_range(h, size).ok(), want, "copy range {h:?} on {size}");
        }
    }
}

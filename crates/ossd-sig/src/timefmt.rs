//! Date parsing and formatting for signatures: RFC 1123 (`Date`), ISO 8601 basic (`x-oss-date`)
//! and RFC 3339 (policy `expiration`), all as Unix seconds.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// `yyyymmddTHHMMSSZ`, the V4 `x-oss-date` format, to Unix seconds.
pub fn parse_iso8601_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if !shape_ok {
        return None;
    }
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(s, &fmt).ok().map(|t| t.assume_utc().unix_timestamp())
}

/// RFC 1123 `Sun, 06 Nov 1994 08:49:37 GMT` to Unix seconds. A one-digit day (`Wed, 2 Dec
/// 2026 …`, what the Java V2 SDK's V1 signer writes on days 1-9) is read too, as RFC 1123 allows.
pub fn parse_rfc1123(s: &str) -> Option<i64> {
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let s = s.trim();
    let b = s.as_bytes();
    let padded;
    let s = if b.len() > 6 && &b[3..5] == b", " && b[5].is_ascii_digit() && b[6] == b' ' {
        padded = format!("{}0{}", &s[..5], &s[5..]);
        padded.as_str()
    } else {
        s
    };
    PrimitiveDateTime::parse(s, &fmt).ok().map(|t| t.assume_utc().unix_timestamp())
}

/// A V1 date line value: RFC 1123 (what `Date` and ali-oss's `x-oss-date` carry) or the ISO 8601
/// basic form the OSS docs also show for `x-oss-date`.
pub fn parse_request_date(s: &str) -> Option<i64> {
    parse_rfc1123(s).or_else(|| parse_iso8601_basic(s.trim()))
}

/// RFC 3339 (`2014-12-01T12:00:00.000Z`), the policy `expiration` format, to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// Unix seconds to `yyyymmddTHHMMSSZ`; used by the signing helpers in tests and benches.
pub fn format_iso8601_basic(unix: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(&fmt).ok()
}

/// Unix seconds to RFC 1123 `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format_rfc1123(unix: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&fmt).ok()
}

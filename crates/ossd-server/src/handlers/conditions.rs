//! Conditional requests: `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`
//! (and their `x-oss-copy-source-` forms), evaluated in RFC 7232 order.

use crate::headers;
use crate::pipeline::Ctx;
use http::{HeaderName, StatusCode, header};
use ossd_proto::{ApiError, ErrorCode};
use ossd_store::ObjectRecord;

fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t.eq_ignore_ascii_case(bare))
}

/// An HTTP date as Unix seconds, dates before 1970 included (negative): an `If-Unmodified-Since`
/// of 1900 is a date every object was modified after, not a header to ignore. The IMF-fixdate
/// form (`Sun, 06 Nov 1994 08:49:37 GMT`) is read here for any year 0000-9999; the two obsolete
/// forms through `httpdate` (1970 on).
pub fn parse_http_date_secs(v: &str) -> Option<i64> {
    let v = v.trim();
    if let Some(secs) = parse_imf_fixdate(v) {
        return Some(secs);
    }
    httpdate::parse_http_date(v)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as Unix seconds (the weekday is not checked, as `httpdate`
/// does not check it either for this purpose).
fn parse_imf_fixdate(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = v.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| v.get(8..11) == Some(*m))? as i64 + 1;
    let (day, year) = (num(5..7)?, num(12..16)?);
    let (h, m, s) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days_in_month).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The four condition headers of a request, and how a failed one is named in the error.
pub struct Conditions {
    /// If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, in that order.
    names: [HeaderName; 4],
    /// The `Condition` of a failed If-Match and If-Unmodified-Since when it is not the header's
    /// name as sent.
    titles: Option<[&'static str; 2]>,
}

impl Conditions {
    /// The `Condition` a failed If-Match (0) or If-Unmodified-Since (1) is reported as.
    fn failed(&self, i: usize) -> &str {
        match self.titles {
            Some(titles) => titles[i],
            None => self.names[i].as_str(),
        }
    }
}

/// The conditions of a GET or HEAD.
pub const OBJECT: Conditions = Conditions {
    names: [
        header::IF_MATCH,
        header::IF_UNMODIFIED_SINCE,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
    ],
    titles: Some(["If-Match", "If-Unmodified-Since"]),
};

/// The conditions on a copy's source (`x-oss-copy-source-if-*`), named as sent.
pub const COPY_SOURCE: Conditions = Conditions {
    names: [
        headers::X_OSS_COPY_SOURCE_IF_MATCH,
        headers::X_OSS_COPY_SOURCE_IF_UNMODIFIED_SINCE,
        headers::X_OSS_COPY_SOURCE_IF_NONE_MATCH,
        headers::X_OSS_COPY_SOURCE_IF_MODIFIED_SINCE,
    ],
    titles: None,
};

/// Evaluates If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), in
/// RFC 7232 order, read from the headers `which` names.
pub fn check_conditions(
    ctx: &Ctx,
    rec: &ObjectRecord,
    which: &Conditions,
) -> Result<Option<StatusCode>, ApiError> {
    let [if_match, if_unmodified_since, if_none_match, if_modified_since] = &which.names;
    // One pass over the request's few header names instead of four hashed lookups.
    if !ctx.headers.keys().any(|n| which.names.contains(n)) {
        return Ok(None);
    }
    let h = |n: &HeaderName| ctx.header(n).map(str::to_owned);
    let modified = rec.last_modified_ms / 1000;
    if let Some(m) = h(if_match) {
        if !etag_matches(&m, &rec.etag) {
            return Err(
                ApiError::new(ErrorCode::PreconditionFailed).field("Condition", which.failed(0))
            );
        }
    } else if let Some(d) = h(if_unmodified_since).and_then(|d| parse_http_date_secs(&d))
        && modified > d
    {
        return Err(
            ApiError::new(ErrorCode::PreconditionFailed).field("Condition", which.failed(1))
        );
    }
    if let Some(m) = h(if_none_match) {
        if etag_matches(&m, &rec.etag) {
            return Ok(Some(StatusCode::NOT_MODIFIED));
        }
    } else if let Some(d) = h(if_modified_since).and_then(|d| parse_http_date_secs(&d))
        && modified <= d
    {
        return Ok(Some(StatusCode::NOT_MODIFIED));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::parse_http_date_secs;

    #[test]
    fn http_dates_before_and_after_1970() {
        let cases = [
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
            ("Mon, 01 Jan 1900 00:00:00 GMT", -2_208_988_800),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),
            ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ];
        for (text, secs) in cases {
            assert_eq!(parse_http_date_secs(text), Some(secs), "{text}");
        }
        // The reference for every date httpdate can represent: the same answer.
        for secs in (0..4_000_000_000i64).step_by(7_919_993) {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
            assert_eq!(parse_http_date_secs(&httpdate::fmt_http_date(t)), Some(secs));
        }
        for bad in
            ["Mon, 30 Feb 1900 00:00:00 GMT", "Mon, 01 Jan 1900 24:00:00 GMT", "yesterday", ""]
        {
            assert_eq!(parse_http_date_secs(bad), None, "{bad}");
        }
        // The obsolete forms still parse.
        assert_eq!(parse_http_date_secs("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date_secs("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
    }
}

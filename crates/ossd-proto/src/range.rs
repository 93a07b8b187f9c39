//! Byte ranges: the `Range` header of GetObject and `x-oss-copy-source-range` of UploadPartCopy.

use crate::error::{ApiError, ErrorCode};

/// A parsed `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// No range, or one OSS ignores (malformed, several ranges): the whole object with 200.
    Full,
    /// `[start, end)` with 206.
    Part(u64, u64),
    /// A well-formed range outside the object: 416.
    Unsatisfiable,
}

/// Parses `Range` the way OSS does by default: a range that does not fit the object (start or end past
/// the last byte) is ignored and the whole object is returned. With `x-oss-range-behavior: standard`
/// (`standard == true`) the end is clamped and a start past the end is 416, as HTTP says.
pub fn parse_range(h: Option<&str>, size: u64, standard: bool) -> RangeSpec {
    // What a well-formed range that does not fit becomes: 416 under HTTP rules, ignored under OSS's.
    let unfit = if standard { RangeSpec::Unsatisfiable } else { RangeSpec::Full };
    let Some(spec) = h.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full;
    }
    let Some((a, b)) = spec.split_once('-') else { return RangeSpec::Full };
    let (a, b) = (a.trim(), b.trim());
    let num =
        |s: &str| if s.bytes().all(|c| c.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    match (a.is_empty(), b.is_empty()) {
        (true, true) => RangeSpec::Full,
        // A suffix longer than the object means the whole object, in both modes.
        (true, false) => match num(b) {
            Some(0) => unfit,
            Some(_) if size == 0 => unfit,
            Some(n) => RangeSpec::Part(size.saturating_sub(n), size),
            None => RangeSpec::Full,
        },
        (false, true) => match num(a) {
            Some(s) if s >= size => unfit,
            Some(s) => RangeSpec::Part(s, size),
            None => RangeSpec::Full,
        },
        (false, false) => match (num(a), num(b)) {
            (Some(s), Some(e)) if s > e => RangeSpec::Full,
            (Some(s), Some(_)) if s >= size => unfit,
            (Some(s), Some(e)) if e < size => RangeSpec::Part(s, e + 1),
            // The end is past the object: clamped under HTTP rules, ignored under OSS's.
            (Some(s), Some(_)) if standard => RangeSpec::Part(s, size),
            (Some(_), Some(_)) => RangeSpec::Full,
            _ => RangeSpec::Full,
        },
    }
}

/// `bytes=a-b` (inclusive) within the source; anything else is `InvalidArgument`.
pub fn parse_copy_range(v: &str, size: u64) -> Result<(u64, u64), ApiError> {
    let bad = || {
        ApiError::invalid_argument(
            "The x-oss-copy-source-range is not valid.",
            "x-oss-copy-source-range",
            v,
        )
    };
    let spec = v.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    // Digits only: `u64::from_str` would also take a leading `+`.
    let num = |s: &str| {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let a: u64 = num(a).ok_or_else(bad)?;
    let b: u64 =
        if b.trim().is_empty() { size.saturating_sub(1) } else { num(b).ok_or_else(bad)? };
    if a > b || b >= size {
        return Err(ApiError::new(ErrorCode::InvalidRange));
    }
    Ok((a, b + 1))
}

#[cfg(test)]
mod tests {
    use super::{RangeSpec, parse_copy_range, parse_range};

    #[test]
    fn ranges_oss_default_ignores_what_does_not_fit() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100, false), RangeSpec::Part(0, 10));
        assert_eq!(parse_range(Some("bytes=90-99"), 100, false), RangeSpec::Part(90, 100));
        assert_eq!(parse_range(Some("bytes=90-200"), 100, false), RangeSpec::Full);
        assert_eq!(parse_range(Some("bytes=100-"), 100, false), RangeSpec::Full);
        assert_eq!(parse_range(Some("bytes=10-"), 100, false), RangeSpec::Part(10, 100));
        assert_eq!(parse_range(Some("bytes=-10"), 100, false), RangeSpec::Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-1000"), 100, false), RangeSpec::Part(0, 100));
        assert_eq!(parse_range(Some("bytes=9-1"), 100, false), RangeSpec::Full);
    }

    #[test]
    fn ranges() {
        let parse_range = |h, size| parse_range(h, size, true);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), RangeSpec::Part(0, 10));
        assert_eq!(parse_range(Some("bytes=90-200"), 100), RangeSpec::Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), RangeSpec::Part(90, 100));
        assert_eq!(parse_range(Some("bytes=-1000"), 100), RangeSpec::Part(0, 100));
        assert_eq!(parse_range(Some("bytes=10-"), 100), RangeSpec::Part(10, 100));
        assert_eq!(parse_range(Some("bytes=100-"), 100), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=100-200"), 100), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=9-1"), 100), RangeSpec::Full);
        assert_eq!(parse_range(Some("bytes=a-b"), 100), RangeSpec::Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeSpec::Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeSpec::Full);
        assert_eq!(parse_range(None, 100), RangeSpec::Full);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), RangeSpec::Unsatisfiable);
    }

    #[test]
    fn copy_ranges_take_digits_only() {
        assert_eq!(parse_copy_range("bytes=5-9", 100).ok(), Some((5, 10)));
        assert_eq!(parse_copy_range("bytes=5-", 100).ok(), Some((5, 100)));
        for bad in ["bytes=+5-9", "bytes=5-+9", "bytes=-5", "bytes=a-9", "5-9"] {
            assert!(parse_copy_range(bad, 100).is_err(), "{bad}");
        }
    }
}

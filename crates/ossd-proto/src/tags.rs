//! Tag rules as OSS documents them: object tags (PutObjectTagging, the `x-oss-tagging` header)
//! and bucket tags (PutBucketTags), each checked with the EC of OSS's troubleshooting pages
//! (0010-…). The code string is `InvalidArgument` (400): OSS documents the ECs, not the code.
//!
//! Object tags: at most 10, unique keys of 1–128 characters and values of 0–256 characters,
//! made of letters (any script), digits, space and `+ - = . _ : /`.
//! Bucket tags: at most 20, unique non-empty keys of at most 64 bytes not starting with
//! `http://`, `https://` or `Aliyun` (any case), values of at most 128 bytes; any characters.

use crate::error::{ApiError, ErrorCode};
use percent_encoding::percent_decode_str;

/// One tag: key and value.
pub type Tag = (String, String);

/// The most tags an object may carry.
pub const MAX_OBJECT_TAGS: usize = 10;
/// The longest object tag key, in characters.
pub const MAX_OBJECT_TAG_KEY: usize = 128;
/// The longest object tag value, in characters.
pub const MAX_OBJECT_TAG_VALUE: usize = 256;
/// The most tags a bucket may carry.
pub const MAX_BUCKET_TAGS: usize = 20;
/// The longest bucket tag key, in bytes.
pub const MAX_BUCKET_TAG_KEY: usize = 64;
/// The longest bucket tag value, in bytes.
pub const MAX_BUCKET_TAG_VALUE: usize = 128;

fn invalid(message: String, ec: &'static str) -> ApiError {
    ApiError::msg(ErrorCode::InvalidArgument, message).with_ec(Some(ec))
}

/// A character object tags may hold: a letter or digit of any script, space, `+-=._:/`.
fn object_tag_char(c: char) -> bool {
    c.is_alphanumeric() || " +-=._:/".contains(c)
}

/// Refuses a tag set that breaks OSS's object tag rules.
pub fn check_object_tags(tags: &[Tag]) -> Result<(), ApiError> {
    if tags.len() > MAX_OBJECT_TAGS {
        return Err(invalid(
            format!(
                "An object can have at most {MAX_OBJECT_TAGS} tags; {} were given.",
                tags.len()
            ),
            "0010-00000218",
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() {
            return Err(invalid("A tag key must not be empty.".into(), "0010-00000208"));
        }
        check_object_text("key", k, MAX_OBJECT_TAG_KEY, ("0010-00000209", "0010-00000212"))?;
        check_object_text("value", v, MAX_OBJECT_TAG_VALUE, ("0010-00000214", "0010-00000217"))?;
        check_unique(&tags[..i], k)?;
    }
    Ok(())
}

/// Checks an object tag key or value (`what`): at most `max` characters, each one tags may hold;
/// `ecs` are the ECs of a too long text and of a bad character.
fn check_object_text(
    what: &str,
    text: &str,
    max: usize,
    ecs: (&'static str, &'static str),
) -> Result<(), ApiError> {
    if text.chars().count() > max {
        return Err(invalid(format!("A tag {what} must be at most {max} characters long."), ecs.0));
    }
    if !text.chars().all(object_tag_char) {
        return Err(invalid(
            format!(
                "The tag {what} '{text}' holds a character tags cannot hold (allowed: letters, digits, space and + - = . _ : /)."
            ),
            ecs.1,
        ));
    }
    Ok(())
}

fn check_unique(before: &[Tag], key: &str) -> Result<(), ApiError> {
    if before.iter().any(|(k, _)| k == key) {
        return Err(invalid(format!("The tag key '{key}' is given twice."), "0010-00000210"));
    }
    Ok(())
}

/// Refuses a tag set that breaks OSS's bucket tag rules.
pub fn check_bucket_tags(tags: &[Tag]) -> Result<(), ApiError> {
    if tags.len() > MAX_BUCKET_TAGS {
        return Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            format!("A bucket can have at most {MAX_BUCKET_TAGS} tags; {} were given.", tags.len()),
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() {
            return Err(invalid("A tag key must not be empty.".into(), "0010-00000208"));
        }
        let lower = k.to_ascii_lowercase();
        if ["http://", "https://", "aliyun"].iter().any(|p| lower.starts_with(p)) {
            return Err(invalid(
                format!(
                    "The bucket tag key '{k}' starts with a reserved prefix (http://, https://, Aliyun)."
                ),
                "0010-00000213",
            ));
        }
        if k.len() > MAX_BUCKET_TAG_KEY {
            return Err(invalid(
                format!("A bucket tag key must be at most {MAX_BUCKET_TAG_KEY} bytes long."),
                "0010-00000219",
            ));
        }
        if v.len() > MAX_BUCKET_TAG_VALUE {
            return Err(invalid(
                format!("A bucket tag value must be at most {MAX_BUCKET_TAG_VALUE} bytes long."),
                "0010-00000219",
            ));
        }
        check_unique(&tags[..i], k)?;
    }
    Ok(())
}

/// Parses and checks an `x-oss-tagging` header: `k1=v1&k2=v2`, each part URL-encoded with form
/// semantics (`+` is a space); a pair without `=` has an empty value; an empty header is no tags.
/// A pair with two `=` or that does not decode to UTF-8 is refused (EC 0010-00000219).
pub fn parse_tagging_header(header: &str) -> Result<Vec<Tag>, ApiError> {
    let malformed = || {
        ApiError::invalid_argument(
            "The x-oss-tagging header must be URL-encoded key=value pairs joined by '&'.",
            "x-oss-tagging",
            header,
        )
        .with_ec(Some("0010-00000219"))
    };
    if header.is_empty() {
        return Ok(Vec::new());
    }
    let decode = |s: &str| -> Result<String, ApiError> {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced).decode_utf8().map(|c| c.into_owned()).map_err(|_| malformed())
    };
    let mut tags = Vec::new();
    for pair in header.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if v.contains('=') {
            return Err(malformed());
        }
        tags.push((decode(k)?, decode(v)?));
    }
    check_object_tags(&tags)?;
    Ok(tags)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    fn t(k: &str, v: &str) -> Tag {
        (k.to_owned(), v.to_owned())
    }

    fn ec(r: Result<impl std::fmt::Debug, ApiError>) -> &'static str {
        let e = r.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        e.effective_ec().unwrap()
    }

    #[test]
    fn object_tags_follow_the_documented_rules() {
        check_object_tags(&[t("+-.:", "_/"), t("中文", "中文"), t("a b", ""), t("k=", "v")])
            .unwrap();
        let ten: Vec<Tag> = (0..10).map(|i| t(&format!("k{i}"), "v")).collect();
        check_object_tags(&ten).unwrap();
        let eleven: Vec<Tag> = (0..11).map(|i| t(&format!("k{i}"), "v")).collect();
        assert_eq!(ec(check_object_tags(&eleven)), "0010-00000218");
        assert_eq!(ec(check_object_tags(&[t("", "v")])), "0010-00000208");
        check_object_tags(&[t(&"k".repeat(128), &"v".repeat(256))]).unwrap();
        check_object_tags(&[t(&"键".repeat(128), &"值".repeat(256))]).unwrap();
        assert_eq!(ec(check_object_tags(&[t(&"k".repeat(129), "v")])), "0010-00000209");
        assert_eq!(ec(check_object_tags(&[t("k", &"v".repeat(257))])), "0010-00000214");
        assert_eq!(ec(check_object_tags(&[t("%@abc", "v")])), "0010-00000212");
        assert_eq!(ec(check_object_tags(&[t("a&b", "v")])), "0010-00000212");
        assert_eq!(ec(check_object_tags(&[t("k", "%abc")])), "0010-00000217");
        assert_eq!(ec(check_object_tags(&[t("k", "a&b")])), "0010-00000217");
        assert_eq!(ec(check_object_tags(&[t("k", "1"), t("k", "2")])), "0010-00000210");
        // Case-sensitive: K and k are two keys.
        check_object_tags(&[t("k", "1"), t("K", "2")]).unwrap();
    }

    #[test]
    fn bucket_tags_follow_their_own_rules() {
        check_bucket_tags(&[t("%@abc", "abc"), t("123++", "++123%"), t("e", "")]).unwrap();
        let twenty: Vec<Tag> = (0..20).map(|i| t(&format!("k{i}"), "v")).collect();
        check_bucket_tags(&twenty).unwrap();
        let more: Vec<Tag> = (0..21).map(|i| t(&format!("k{i}"), "v")).collect();
        assert_eq!(check_bucket_tags(&more).unwrap_err().code, ErrorCode::InvalidArgument);
        for reserved in ["http://x", "HTTPS://x", "aliyun-k", "AliyunK"] {
            assert_eq!(ec(check_bucket_tags(&[t(reserved, "v")])), "0010-00000213", "{reserved}");
        }
        assert_eq!(ec(check_bucket_tags(&[t("", "v")])), "0010-00000208");
        check_bucket_tags(&[t(&"k".repeat(64), &"v".repeat(128))]).unwrap();
        // Bytes, not characters: 22 three-byte characters are 66 bytes.
        assert_eq!(ec(check_bucket_tags(&[t(&"键".repeat(22), "v")])), "0010-00000219");
        assert_eq!(ec(check_bucket_tags(&[t("k", &"v".repeat(129))])), "0010-00000219");
        assert_eq!(ec(check_bucket_tags(&[t("k", "1"), t("k", "2")])), "0010-00000210");
    }

    #[test]
    fn the_tagging_header_decodes_as_a_form() {
        assert_eq!(parse_tagging_header("").unwrap(), Vec::<Tag>::new());
        assert_eq!(
            parse_tagging_header("a=1&b+c=d%20e&empty&f=").unwrap(),
            vec![t("a", "1"), t("b c", "d e"), t("empty", ""), t("f", "")]
        );
        // oss2 leaves '/' unescaped; v1-go escapes everything.
        assert_eq!(parse_tagging_header("%2B-/=%3A%2B%3A").unwrap(), vec![t("+-/", ":+:")]);
        assert_eq!(
            parse_tagging_header("%E4%B8%AD%E6%96%87=%E4%B8%AD%E6%96%87").unwrap(),
            vec![t("中文", "中文")]
        );
        assert_eq!(ec(parse_tagging_header("aa=bb=cc")), "0010-00000219");
        assert_eq!(ec(parse_tagging_header("k=%FF")), "0010-00000219");
        assert_eq!(ec(parse_tagging_header("a=1&a=2")), "0010-00000210");
        assert_eq!(ec(parse_tagging_header("a=1&&b=2")), "0010-00000208");
        assert_eq!(ec(parse_tagging_header("k=%25abc")), "0010-00000217");
        let eleven = (0..11).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join("&");
        assert_eq!(ec(parse_tagging_header(&eleven)), "0010-00000218");
    }
}

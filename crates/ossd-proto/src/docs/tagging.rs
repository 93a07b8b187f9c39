//! The `<Tagging>` document of Put/GetObjectTagging and Put/GetBucketTags:
//! `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>…</TagSet></Tagging>`. Reading it
//! checks only its shape; the tag rules (object or bucket) are `crate::tags`.

use super::malformed;
use crate::error::{ApiError, ErrorCode};
use crate::tags::Tag;
use crate::xml::{self, XmlWriter};

/// The largest tagging body accepted: 20 tags of the longest keys and values fit many times.
pub const MAX_TAGGING_BODY: usize = 64 * 1024;

/// Parses a tagging body into its tags, in document order. The root must be `Tagging` (EC
/// 0010-00000102); `TagSet` may be absent (an empty set, as v1-go sends it); every `Tag` needs a
/// `Key`, and a missing `Value` is the empty value. Keys and values are kept exactly as written
/// (not trimmed: a space is a valid tag character).
pub fn parse(raw: &[u8]) -> Result<Vec<Tag>, ApiError> {
    let doc = xml::parse(raw).map_err(|_| malformed())?;
    if doc.name != "Tagging" {
        return Err(ApiError::msg(ErrorCode::MalformedXML, "The root element must be Tagging.")
            .with_ec(Some("0010-00000102")));
    }
    let Some(set) = doc.child("TagSet") else { return Ok(Vec::new()) };
    set.children_named("Tag")
        .map(|tag| {
            let key = tag.child("Key").ok_or_else(|| {
                ApiError::msg(ErrorCode::MalformedXML, "Every Tag must have a Key.")
            })?;
            let value = tag.child("Value").map(|v| v.text.clone()).unwrap_or_default();
            Ok((key.text.clone(), value))
        })
        .collect()
}

/// The GetObjectTagging / GetBucketTags document; an empty set is `<TagSet></TagSet>`.
pub fn render(tags: &[Tag]) -> String {
    let mut w = XmlWriter::new();
    w.open("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag");
        w.elem("Key", k);
        w.elem("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;
    use crate::docs::error_code;

    fn t(k: &str, v: &str) -> Tag {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn renders_the_exact_bytes() {
        assert_eq!(
            render(&[t("a b", "x&y"), t("e", "")]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging><TagSet>\
             <Tag><Key>a b</Key><Value>x&amp;y</Value></Tag>\
             <Tag><Key>e</Key><Value></Value></Tag></TagSet></Tagging>"
        );
        assert_eq!(
            render(&[]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging><TagSet></TagSet></Tagging>"
        );
    }

    #[test]
    fn parses_what_the_sdks_send() {
        let tags = vec![t(" k ", "v 1"), t("中文", ""), t("n", "")];
        let body = "<Tagging><TagSet><Tag><Key> k </Key><Value>v 1</Value></Tag>\
                    <Tag><Value></Value><Key>中文</Key></Tag><Tag><Key>n</Key></Tag></TagSet></Tagging>";
        assert_eq!(parse(body.as_bytes()).unwrap(), tags);
        assert_eq!(parse(render(&tags).as_bytes()).unwrap(), tags);
        assert_eq!(parse(b"<Tagging></Tagging>").unwrap(), Vec::<Tag>::new());
        assert_eq!(parse(b"<Tagging><TagSet/></Tagging>").unwrap(), Vec::<Tag>::new());
    }

    #[test]
    fn refuses_other_shapes() {
        let e = parse(b"<Tags><TagSet/></Tags>").unwrap_err();
        assert_eq!((e.code, e.effective_ec()), (ErrorCode::MalformedXML, Some("0010-00000102")));
        assert_eq!(error_code(parse(b"<Tagging>")), ErrorCode::MalformedXML);
        assert_eq!(
            error_code(parse(b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>")),
            ErrorCode::MalformedXML
        );
    }
}

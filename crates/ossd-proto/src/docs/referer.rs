//! The hotlink-protection document of PutBucketReferer and GetBucketReferer
//! (`<RefererConfiguration>`), as the OSS API reference defines it:
//! <https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketreferer>.
//!
//! Children may come in any order (oss2 writes `RefererList` before `AllowTruncateQueryString`);
//! values are trimmed; element names are matched exactly. The ECs are the ones of OSS's error
//! pages 0033-00000001 … 0033-00000005.

use crate::error::{ApiError, ErrorCode};
use crate::xml::{self, Element, XmlWriter};

/// The largest PutBucketReferer body accepted (OSS documents no limit; this holds well over a
/// thousand entries).
pub const MAX_REFERER_BODY: usize = 64 * 1024;

/// The longest single `Referer` entry accepted: a URL prefix pattern, not a document.
pub const MAX_REFERER_ENTRY: usize = 1024;

/// A bucket's hotlink-protection configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefererConfiguration {
    /// `AllowEmptyReferer`: a request without a `Referer` (or with an empty one) passes.
    pub allow_empty: bool,
    /// `AllowTruncateQueryString`: the referer's query string is cut off before matching
    /// (default `true`).
    pub truncate_query: bool,
    /// `TruncatePath`: only `scheme://host[:port]` of the referer is matched; takes effect only
    /// with `truncate_query` (default `false`).
    pub truncate_path: bool,
    /// `RefererList`: the whitelist; empty admits every referer not on the blacklist.
    pub allow: Vec<String>,
    /// `RefererBlacklist`: referers refused even when the whitelist admits them.
    pub deny: Vec<String>,
}

impl Default for RefererConfiguration {
    /// What GetBucketReferer answers for a bucket that was never configured.
    fn default() -> RefererConfiguration {
        RefererConfiguration {
            allow_empty: true,
            truncate_query: true,
            truncate_path: false,
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }
}

fn malformed(ec: &'static str) -> ApiError {
    ApiError::new(ErrorCode::MalformedXML).with_ec(Some(ec))
}

fn invalid(message: &str, name: &str, value: &str, ec: Option<&'static str>) -> ApiError {
    ApiError::invalid_argument(message, name, value).with_ec(ec)
}

/// A `true`/`false` child (either case), `None` when absent.
fn flag(doc: &Element, name: &str, ec: Option<&'static str>) -> Result<Option<bool>, ApiError> {
    match doc.child_text(name) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(invalid(&format!("{name} must be true or false."), name, v, ec)),
    }
}

/// The `Referer` entries of a list element, trimmed, each non-empty and at most
/// [`MAX_REFERER_ENTRY`] bytes.
fn entries(list: &Element, name: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for r in list.children_named("Referer") {
        let v = r.text.trim();
        if v.is_empty() {
            return Err(invalid("A Referer entry must not be empty.", name, "", None));
        }
        if v.len() > MAX_REFERER_ENTRY {
            return Err(invalid(
                "A Referer entry must not be longer than 1024 bytes.",
                name,
                &v.chars().take(64).collect::<String>(),
                None,
            ));
        }
        out.push(v.to_owned());
    }
    Ok(out)
}

/// Parses and checks a PutBucketReferer body.
pub fn parse(raw: &[u8]) -> Result<RefererConfiguration, ApiError> {
    let doc = xml::parse(raw).map_err(|_| malformed("0033-00000001"))?;
    if doc.name != "RefererConfiguration" {
        return Err(malformed("0033-00000001"));
    }
    let allow_empty = match doc.child("AllowEmptyReferer") {
        None => {
            return Err(invalid(
                "AllowEmptyReferer is required.",
                "AllowEmptyReferer",
                "",
                Some("0033-00000002"),
            ));
        }
        Some(_) => flag(&doc, "AllowEmptyReferer", Some("0033-00000003"))?.unwrap_or(true),
    };
    let Some(list) = doc.child("RefererList") else {
        return Err(invalid(
            "RefererList is required (it may be empty).",
            "RefererList",
            "",
            Some("0033-00000005"),
        ));
    };
    let allow = entries(list, "RefererList")?;
    let deny = match doc.child("RefererBlacklist") {
        Some(b) => entries(b, "RefererBlacklist")?,
        None => Vec::new(),
    };
    Ok(RefererConfiguration {
        allow_empty,
        truncate_query: flag(&doc, "AllowTruncateQueryString", None)?.unwrap_or(true),
        truncate_path: flag(&doc, "TruncatePath", None)?.unwrap_or(false),
        allow,
        deny,
    })
}

/// The GetBucketReferer document (also the form the configuration is stored in): every element,
/// in the order of the OSS API reference, so that it is valid PutBucketReferer input.
pub fn render(cfg: &RefererConfiguration) -> String {
    let bool_text = |b: bool| if b { "true" } else { "false" };
    let mut w = XmlWriter::new();
    w.open("RefererConfiguration");
    w.elem("AllowEmptyReferer", bool_text(cfg.allow_empty));
    w.elem("AllowTruncateQueryString", bool_text(cfg.truncate_query));
    w.elem("TruncatePath", bool_text(cfg.truncate_path));
    w.open("RefererList");
    for r in &cfg.allow {
        w.elem("Referer", r);
    }
    w.close("RefererList");
    if !cfg.deny.is_empty() {
        w.open("RefererBlacklist");
        for r in &cfg.deny {
            w.elem("Referer", r);
        }
        w.close("RefererBlacklist");
    }
    w.close("RefererConfiguration");
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    fn ec(e: &ApiError) -> Option<&'static str> {
        e.effective_ec()
    }

    #[test]
    fn parses_children_in_any_order_with_trimmed_values() {
        // oss2 `to_put_bucket_referer` writes RefererList before AllowTruncateQueryString.
        let cfg = parse(
            b"<RefererConfiguration><AllowEmptyReferer>False</AllowEmptyReferer>\
              <RefererList><Referer> http://www.aliyun.com </Referer><Referer>https://*.example.com</Referer></RefererList>\
              <AllowTruncateQueryString>false</AllowTruncateQueryString>\
              <RefererBlacklist><Referer>http://www.refuse.com</Referer></RefererBlacklist>\
              <TruncatePath>true</TruncatePath></RefererConfiguration>",
        )
        .unwrap();
        assert_eq!(
            cfg,
            RefererConfiguration {
                allow_empty: false,
                truncate_query: false,
                truncate_path: true,
                allow: vec!["http://www.aliyun.com".into(), "https://*.example.com".into()],
                deny: vec!["http://www.refuse.com".into()],
            }
        );
        // What GET answers is valid PUT input and reads back the same.
        assert_eq!(parse(render(&cfg).as_bytes()).unwrap(), cfg);
    }

    #[test]
    fn renders_every_element_in_reference_order() {
        let cfg = RefererConfiguration {
            allow: vec!["http://a.com/?x=<&>".into()],
            ..RefererConfiguration::default()
        };
        assert_eq!(
            render(&cfg),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RefererConfiguration>\
             <AllowEmptyReferer>true</AllowEmptyReferer>\
             <AllowTruncateQueryString>true</AllowTruncateQueryString>\
             <TruncatePath>false</TruncatePath>\
             <RefererList><Referer>http://a.com/?x=&lt;&amp;&gt;</Referer></RefererList>\
             </RefererConfiguration>"
        );
        let empty = render(&RefererConfiguration::default());
        assert!(empty.contains("<RefererList></RefererList>"), "{empty}");
        assert!(!empty.contains("RefererBlacklist"), "{empty}");
    }

    #[test]
    fn documented_errors_carry_their_ecs() {
        let cases: &[(&[u8], ErrorCode, Option<&str>)] = &[
            (b"<RefererConfiguration>", ErrorCode::MalformedXML, Some("0033-00000001")),
            (
                b"<Referer><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></Referer>",
                ErrorCode::MalformedXML,
                Some("0033-00000001"),
            ),
            (
                b"<RefererConfiguration><RefererList/></RefererConfiguration>",
                ErrorCode::InvalidArgument,
                Some("0033-00000002"),
            ),
            (
                b"<RefererConfiguration><AllowEmptyReferer>yes</AllowEmptyReferer><RefererList/></RefererConfiguration>",
                ErrorCode::InvalidArgument,
                Some("0033-00000003"),
            ),
            (
                b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer></RefererConfiguration>",
                ErrorCode::InvalidArgument,
                Some("0033-00000005"),
            ),
            (
                b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer> </Referer></RefererList></RefererConfiguration>",
                ErrorCode::InvalidArgument,
                None,
            ),
            (
                b"<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/><TruncatePath>1</TruncatePath></RefererConfiguration>",
                ErrorCode::InvalidArgument,
                None,
            ),
        ];
        for (body, code, want) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!((e.code, ec(&e)), (*code, *want), "{}", String::from_utf8_lossy(body));
        }
        let long = format!(
            "<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>{}</Referer></RefererList></RefererConfiguration>",
            "a".repeat(MAX_REFERER_ENTRY + 1)
        );
        assert_eq!(parse(long.as_bytes()).unwrap_err().code, ErrorCode::InvalidArgument);
    }
}

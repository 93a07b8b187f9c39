//! The static-website document of Put/Get/DeleteBucketWebsite (`<WebsiteConfiguration>`), as
//! the OSS API reference defines it:
//! <https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketwebsite>.
//!
//! `IndexDocument` (`Suffix`, `SupportSubDir` default false, `Type` 0|1|2 default 0) and
//! `ErrorDocument` (`Key`, `HttpStatus` 200|404 default 404); at least one of them. `RoutingRules`
//! (mirroring back to origin and redirects) are not implemented: a document naming them is 501,
//! rather than stored and silently not applied.

use crate::error::{ApiError, ErrorCode};
use crate::request::check_new_key;
use crate::xml::{self, Element, XmlWriter};

/// The largest PutBucketWebsite body accepted.
pub const MAX_WEBSITE_BODY: usize = 16 * 1024;

/// What a request for a missing object without a trailing `/` does when sub-directory indexes
/// are on (`IndexDocument/Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubDirType {
    /// `0`: redirect (302) to `key/` when `key/<Suffix>` exists.
    Redirect,
    /// `1`: no probing; the error document.
    NotFound,
    /// `2`: serve `key/<Suffix>` directly when it exists.
    Serve,
}

impl SubDirType {
    fn code(self) -> &'static str {
        match self {
            SubDirType::Redirect => "0",
            SubDirType::NotFound => "1",
            SubDirType::Serve => "2",
        }
    }
}

/// `IndexDocument`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDocument {
    /// `Suffix`: the index object's name (`index.html`).
    pub suffix: String,
    /// `SupportSubDir`: `dir/` serves `dir/<Suffix>` rather than the root index.
    pub sub_dir: bool,
    /// `Type`.
    pub sub_dir_type: SubDirType,
}

/// `ErrorDocument`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorDocument {
    /// `Key`: the object served for a missing one.
    pub key: String,
    /// `HttpStatus`: 404 (default) or 200.
    pub status: u16,
}

/// A bucket's static-website configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebsiteConfiguration {
    /// The index document, if configured.
    pub index: Option<IndexDocument>,
    /// The error document, if configured.
    pub error: Option<ErrorDocument>,
}

fn malformed(message: &str) -> ApiError {
    ApiError::msg(ErrorCode::MalformedXML, message)
}

fn document_key(el: &Element, name: &str, what: &str) -> Result<String, ApiError> {
    let v = el
        .child_text(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed(&format!("{what} needs a non-empty {name}.")))?;
    check_new_key(v).map_err(|_| {
        ApiError::invalid_argument(format!("{name} is not a valid object name."), name, v)
    })?;
    Ok(v.to_owned())
}

fn bool_child(el: &Element, name: &str) -> Result<bool, ApiError> {
    match el.child_text(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => {
            Err(ApiError::invalid_argument(format!("{name} must be true or false."), name, v))
        }
    }
}

/// Parses and checks a PutBucketWebsite body.
pub fn parse(raw: &[u8]) -> Result<WebsiteConfiguration, ApiError> {
    let doc = xml::parse(raw).map_err(|_| ApiError::new(ErrorCode::MalformedXML))?;
    if doc.name != "WebsiteConfiguration" {
        return Err(ApiError::new(ErrorCode::MalformedXML));
    }
    if doc.child("RoutingRules").is_some() {
        return Err(ApiError::msg(
            ErrorCode::NotImplemented,
            "Website RoutingRules are not implemented by this server.",
        ));
    }
    let index = match doc.child("IndexDocument") {
        None => None,
        Some(el) => {
            let suffix = document_key(el, "Suffix", "IndexDocument")?;
            if suffix.contains('/') {
                return Err(ApiError::invalid_argument(
                    "The index document suffix must not contain '/'.",
                    "Suffix",
                    &suffix,
                ));
            }
            let sub_dir_type = match el.child_text("Type") {
                None | Some("0") => SubDirType::Redirect,
                Some("1") => SubDirType::NotFound,
                Some("2") => SubDirType::Serve,
                Some(v) => {
                    return Err(ApiError::invalid_argument("Type must be 0, 1 or 2.", "Type", v));
                }
            };
            Some(IndexDocument { suffix, sub_dir: bool_child(el, "SupportSubDir")?, sub_dir_type })
        }
    };
    let error = match doc.child("ErrorDocument") {
        None => None,
        Some(el) => {
            let key = document_key(el, "Key", "ErrorDocument")?;
            let status = match el.child_text("HttpStatus") {
                None | Some("404") => 404,
                Some("200") => 200,
                Some(v) => {
                    return Err(ApiError::invalid_argument(
                        "HttpStatus must be 200 or 404.",
                        "HttpStatus",
                        v,
                    ));
                }
            };
            Some(ErrorDocument { key, status })
        }
    };
    if index.is_none() && error.is_none() {
        return Err(malformed(
            "A website configuration needs an IndexDocument or an ErrorDocument.",
        ));
    }
    Ok(WebsiteConfiguration { index, error })
}

/// The GetBucketWebsite document (also the stored form), every optional value spelled out.
pub fn render(cfg: &WebsiteConfiguration) -> String {
    let mut w = XmlWriter::new();
    w.open("WebsiteConfiguration");
    if let Some(i) = &cfg.index {
        w.open("IndexDocument");
        w.elem("Suffix", &i.suffix);
        w.elem("SupportSubDir", if i.sub_dir { "true" } else { "false" });
        w.elem("Type", i.sub_dir_type.code());
        w.close("IndexDocument");
    }
    if let Some(e) = &cfg.error {
        w.open("ErrorDocument");
        w.elem("Key", &e.key);
        w.elem("HttpStatus", &e.status.to_string());
        w.close("ErrorDocument");
    }
    w.close("WebsiteConfiguration");
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;

    #[test]
    fn round_trip_with_defaults_spelled_out() {
        let cfg = parse(
            b"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>\
              <ErrorDocument><Key>err/404.html</Key></ErrorDocument></WebsiteConfiguration>",
        )
        .unwrap();
        assert_eq!(
            cfg,
            WebsiteConfiguration {
                index: Some(IndexDocument {
                    suffix: "index.html".into(),
                    sub_dir: false,
                    sub_dir_type: SubDirType::Redirect
                }),
                error: Some(ErrorDocument { key: "err/404.html".into(), status: 404 }),
            }
        );
        assert_eq!(
            render(&cfg),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WebsiteConfiguration><IndexDocument>\
             <Suffix>index.html</Suffix><SupportSubDir>false</SupportSubDir><Type>0</Type>\
             </IndexDocument><ErrorDocument><Key>err/404.html</Key><HttpStatus>404</HttpStatus>\
             </ErrorDocument></WebsiteConfiguration>"
        );
        assert_eq!(parse(render(&cfg).as_bytes()).unwrap(), cfg);
        let sub = parse(
            b"<WebsiteConfiguration><IndexDocument><Suffix>i.htm</Suffix><SupportSubDir>true</SupportSubDir>\
              <Type>2</Type></IndexDocument></WebsiteConfiguration>",
        )
        .unwrap();
        assert_eq!(sub.index.as_ref().unwrap().sub_dir_type, SubDirType::Serve);
        assert!(sub.error.is_none());
        assert_eq!(parse(render(&sub).as_bytes()).unwrap(), sub);
    }

    #[test]
    fn errors() {
        let cases: &[(&[u8], ErrorCode)] = &[
            (b"<WebsiteConfiguration>", ErrorCode::MalformedXML),
            (b"<Website/>", ErrorCode::MalformedXML),
            (b"<WebsiteConfiguration/>", ErrorCode::MalformedXML),
            (b"<WebsiteConfiguration><IndexDocument/></WebsiteConfiguration>", ErrorCode::MalformedXML),
            (
                b"<WebsiteConfiguration><IndexDocument><Suffix>a/b.html</Suffix></IndexDocument></WebsiteConfiguration>",
                ErrorCode::InvalidArgument,
            ),
            (
                b"<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix><Type>3</Type></IndexDocument></WebsiteConfiguration>",
                ErrorCode::InvalidArgument,
            ),
            (
                b"<WebsiteConfiguration><ErrorDocument><Key>e</Key><HttpStatus>500</HttpStatus></ErrorDocument></WebsiteConfiguration>",
                ErrorCode::InvalidArgument,
            ),
            (
                b"<WebsiteConfiguration><ErrorDocument><Key>/e</Key></ErrorDocument></WebsiteConfiguration>",
                ErrorCode::InvalidArgument,
            ),
            (
                b"<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules/></WebsiteConfiguration>",
                ErrorCode::NotImplemented,
            ),
        ];
        for (body, code) in cases {
            assert_eq!(parse(body).unwrap_err().code, *code, "{}", String::from_utf8_lossy(body));
        }
    }
}

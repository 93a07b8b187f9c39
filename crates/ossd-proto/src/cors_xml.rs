//! CORS configuration XML: PutBucketCors body parsing and GetBucketCors rendering.
//!
//! Parsing walks quick-xml events by hand (no serde) so that the order of rules and values and the
//! presence of optional elements are kept exactly. Structure errors are [`CorsXmlError::Malformed`]
//! (OSS `MalformedXML`); value errors found by [`CorsConfig::new`] are [`CorsXmlError::Invalid`]
//! (OSS `InvalidArgument`), except the schema violations (no rule, a rule without origin or method),
//! which are `Malformed` too.
//!
//! Decisions: values are trimmed of XML whitespace after entity unescaping; a `MaxAgeSeconds` that is
//! not a decimal `i64` is `Malformed` (a negative one parses and is refused by validation as
//! `InvalidArgument MaxAgeSeconds -1`); `ResponseVary` accepts `true`/`false` in any case; a DOCTYPE,
//! a processing instruction, an unknown element, an attribute other than `xmlns`/`xmlns:*` on the
//! root, or any attribute on a child is `Malformed`. The 16 KB body limit ([`MAX_BODY_BYTES`]) is the
//! caller's to enforce before parsing, so that a rendered configuration always parses back.

use std::borrow::Cow;

use ossd_cors::{CorsConfig, CorsError, CorsRule};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

#[cfg(test)]
mod tests;

/// The largest PutBucketCors body OSS accepts (16 KB); enforced by the server when reading the body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a PutBucketCors body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorsXmlError {
    /// Not well-formed, or not the `CORSConfiguration` schema: OSS `MalformedXML`.
    #[error("malformed CORS configuration XML: {0}")]
    Malformed(String),
    /// Well-formed but a value is not allowed: OSS `InvalidArgument` with the error's argument name/value.
    #[error("invalid CORS configuration: {0}")]
    Invalid(CorsError),
    /// Well-formed, but a schema rule checked by validation is broken (no rule, a rule without
    /// origin or method): OSS `MalformedXML`, with the EC OSS documents for the case.
    #[error("CORS configuration against the schema: {0}")]
    Schema(CorsError),
}

impl CorsXmlError {
    /// The OSS error code for this error: `MalformedXML` or `InvalidArgument`.
    pub fn code(&self) -> &'static str {
        match self {
            CorsXmlError::Malformed(_) | CorsXmlError::Schema(_) => "MalformedXML",
            CorsXmlError::Invalid(_) => "InvalidArgument",
        }
    }

    /// The EC OSS documents for this error, where it documents one: 0034-00000002 for a
    /// configuration without a rule, 0034-00000011 for a method outside GET PUT DELETE POST HEAD.
    pub fn ec(&self) -> Option<&'static str> {
        match self {
            CorsXmlError::Schema(CorsError::NoRules) => Some("0034-00000002"),
            CorsXmlError::Invalid(CorsError::InvalidMethod { .. }) => Some("0034-00000011"),
            _ => None,
        }
    }
}

/// Shorthand for a `Malformed` error.
fn malformed(msg: impl Into<String>) -> CorsXmlError {
    CorsXmlError::Malformed(msg.into())
}

/// XML whitespace (space, tab, CR, LF).
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims XML whitespace from both ends.
fn trim_xml(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// An element name for messages (lossy, it only goes into an error text).
fn name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

/// Refuses any attribute on a child element.
fn no_attributes(e: &BytesStart<'_>) -> Result<(), CorsXmlError> {
    if e.attributes().next().is_some() {
        return Err(malformed(format!("unexpected attribute on <{}>", name_of(e))));
    }
    Ok(())
}

/// Text between elements must be whitespace only.
fn only_whitespace(raw: &[u8], context: &str) -> Result<(), CorsXmlError> {
    if raw.iter().copied().all(is_xml_space) {
        Ok(())
    } else {
        Err(malformed(format!("unexpected text in {context}")))
    }
}

/// Reads the text content of a leaf element whose start tag was just read, up to its end tag;
/// entities unescaped, CDATA kept, comments skipped, result trimmed.
fn read_leaf(reader: &mut Reader<&[u8]>, name: &str) -> Result<String, CorsXmlError> {
    let mut out = String::new();
    loop {
        match reader.read_event().map_err(|e| malformed(e.to_string()))? {
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| malformed(e.to_string()))?;
                out.push_str(&s);
            }
            Event::CData(c) => {
                let bytes = c.into_inner();
                let s = std::str::from_utf8(&bytes).map_err(|e| malformed(e.to_string()))?;
                out.push_str(s);
            }
            Event::Comment(_) => {}
            Event::End(_) => return Ok(trim_xml(&out).to_owned()),
            Event::Start(e) | Event::Empty(e) => {
                return Err(malformed(format!("unexpected <{}> inside <{name}>", name_of(&e))));
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(malformed(format!("unexpected markup inside <{name}>")));
            }
            Event::Eof => return Err(malformed(format!("unexpected end of document in <{name}>"))),
        }
    }
}

/// Reads one `CORSRule` whose start tag was just read, up to its end tag.
fn read_rule(reader: &mut Reader<&[u8]>) -> Result<CorsRule, CorsXmlError> {
    let mut rule = CorsRule::default();
    loop {
        match reader.read_event().map_err(|e| malformed(e.to_string()))? {
            Event::Start(e) => {
                no_attributes(&e)?;
                match e.name().as_ref() {
                    b"AllowedOrigin" => {
                        rule.allowed_origins.push(read_leaf(reader, "AllowedOrigin")?);
                    }
                    b"AllowedMethod" => {
                        rule.allowed_methods.push(read_leaf(reader, "AllowedMethod")?);
                    }
                    b"AllowedHeader" => {
                        rule.allowed_headers.push(read_leaf(reader, "AllowedHeader")?);
                    }
                    b"ExposeHeader" => {
                        rule.expose_headers.push(read_leaf(reader, "ExposeHeader")?);
                    }
                    b"MaxAgeSeconds" => {
                        if rule.max_age_seconds.is_some() {
                            return Err(malformed("more than one MaxAgeSeconds in a CORSRule"));
                        }
                        let text = read_leaf(reader, "MaxAgeSeconds")?;
                        let v = text.parse::<i64>().map_err(|_| {
                            malformed(format!("MaxAgeSeconds {text:?} is not an integer"))
                        })?;
                        rule.max_age_seconds = Some(v);
                    }
                    _ => {
                        return Err(malformed(format!(
                            "unknown element <{}> in CORSRule",
                            name_of(&e)
                        )));
                    }
                }
            }
            Event::End(_) => return Ok(rule),
            Event::Text(t) => only_whitespace(&t, "CORSRule")?,
            Event::Comment(_) => {}
            Event::Empty(e) => {
                return Err(malformed(format!("unexpected empty <{}>", name_of(&e))));
            }
            Event::CData(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(malformed("unexpected markup in CORSRule"));
            }
            Event::Eof => return Err(malformed("unexpected end of document in CORSRule")),
        }
    }
}

/// Checks the root element's attributes: only namespace declarations are tolerated.
fn check_root_attributes(e: &BytesStart<'_>) -> Result<(), CorsXmlError> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| malformed(err.to_string()))?;
        let key = attr.key.as_ref();
        if key != b"xmlns" && !key.starts_with(b"xmlns:") {
            return Err(malformed(format!(
                "unexpected attribute {} on CORSConfiguration",
                String::from_utf8_lossy(key)
            )));
        }
    }
    Ok(())
}

/// Reads the children of `CORSConfiguration` whose start tag was just read, up to its end tag.
fn read_configuration(reader: &mut Reader<&[u8]>) -> Result<(Vec<CorsRule>, bool), CorsXmlError> {
    let mut rules = Vec::new();
    let mut vary: Option<bool> = None;
    loop {
        match reader.read_event().map_err(|e| malformed(e.to_string()))? {
            Event::Start(e) => {
                no_attributes(&e)?;
                match e.name().as_ref() {
                    b"CORSRule" => rules.push(read_rule(reader)?),
                    b"ResponseVary" => {
                        if vary.is_some() {
                            return Err(malformed("more than one ResponseVary"));
                        }
                        let text = read_leaf(reader, "ResponseVary")?;
                        vary = Some(if text.eq_ignore_ascii_case("true") {
                            true
                        } else if text.eq_ignore_ascii_case("false") {
                            false
                        } else {
                            return Err(malformed(format!(
                                "ResponseVary {text:?} is not true or false"
                            )));
                        });
                    }
                    _ => {
                        return Err(malformed(format!(
                            "unknown element <{}> in CORSConfiguration",
                            name_of(&e)
                        )));
                    }
                }
            }
            Event::End(_) => return Ok((rules, vary.unwrap_or(false))),
            Event::Text(t) => only_whitespace(&t, "CORSConfiguration")?,
            Event::Comment(_) => {}
            Event::Empty(e) => {
                return Err(malformed(format!("unexpected empty <{}>", name_of(&e))));
            }
            Event::CData(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(malformed("unexpected markup in CORSConfiguration"));
            }
            Event::Eof => return Err(malformed("unexpected end of document in CORSConfiguration")),
        }
    }
}

/// Parses a PutBucketCors body into the rules as given (trimmed, order kept) and `ResponseVary`
/// (`false` when absent). Checks structure only; [`parse_and_validate`] also validates the values.
pub fn parse_cors_configuration(body: &[u8]) -> Result<(Vec<CorsRule>, bool), CorsXmlError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    // `<X/>` arrives as Start + End, so an empty leaf reads as the empty string.
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.check_comments = true;

    let mut result = None;
    let mut seen_anything = false;
    loop {
        let event = reader.read_event().map_err(|e| malformed(e.to_string()))?;
        match event {
            Event::Decl(_) if !seen_anything => {}
            Event::Text(t) => only_whitespace(&t, "the document")?,
            Event::Comment(_) => {}
            Event::Start(e) if result.is_none() => {
                if e.name().as_ref() != b"CORSConfiguration" {
                    return Err(malformed(format!(
                        "the root element is <{}>, expected <CORSConfiguration>",
                        name_of(&e)
                    )));
                }
                check_root_attributes(&e)?;
                result = Some(read_configuration(&mut reader)?);
            }
            Event::Eof => {
                return result.ok_or_else(|| malformed("no CORSConfiguration element"));
            }
            Event::DocType(_) => return Err(malformed("DOCTYPE is not allowed")),
            Event::Decl(_)
            | Event::Start(_)
            | Event::Empty(_)
            | Event::End(_)
            | Event::CData(_)
            | Event::PI(_) => {
                return Err(malformed("unexpected markup outside CORSConfiguration"));
            }
        }
        seen_anything = true;
    }
}

/// Parses and validates a PutBucketCors body into a compiled configuration. Schema violations found
/// by validation (no rule, a rule without origin or method) are `Malformed`, other value errors `Invalid`.
pub fn parse_and_validate(body: &[u8]) -> Result<CorsConfig, CorsXmlError> {
    let (rules, vary) = parse_cors_configuration(body)?;
    CorsConfig::new(rules, vary).map_err(|e| {
        if e.is_schema_violation() { CorsXmlError::Schema(e) } else { CorsXmlError::Invalid(e) }
    })
}

/// Appends `<name>escaped value</name>`.
fn push_element(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    let escaped: Cow<'_, str> = quick_xml::escape::escape(value);
    out.push_str(&escaped);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Renders a GetBucketCors body: declaration, the rules in order with only the elements given
/// (`AllowedHeader` lower-cased as stored), then always `<ResponseVary>`. The output parses back to
/// an equal configuration.
pub fn render_cors_configuration(cfg: &CorsConfig) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration>");
    for rule in cfg.rules() {
        out.push_str("<CORSRule>");
        for v in &rule.allowed_origins {
            push_element(&mut out, "AllowedOrigin", v);
        }
        for v in &rule.allowed_methods {
            push_element(&mut out, "AllowedMethod", v);
        }
        for v in &rule.allowed_headers {
            push_element(&mut out, "AllowedHeader", v);
        }
        for v in &rule.expose_headers {
            push_element(&mut out, "ExposeHeader", v);
        }
        if let Some(age) = rule.max_age_seconds {
            push_element(&mut out, "MaxAgeSeconds", &age.to_string());
        }
        out.push_str("</CORSRule>");
    }
    push_element(&mut out, "ResponseVary", if cfg.response_vary() { "true" } else { "false" });
    out.push_str("</CORSConfiguration>");
    out
}

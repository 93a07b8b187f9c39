//! The XML documents of the OSS API besides CORS (`cors_xml`) and errors (`error`), one module
//! per document: a plain struct with the document's fields, `to_xml` for a document ossd writes
//! and `parse` for one it reads. Each renderer writes exactly the bytes OSS clients are served
//! (element order, the declaration, `<A></A>` for an empty element); the tests beside each pin
//! them. Values the store keeps as enums (ACL, storage class, object type) are plain strings here,
//! in their OSS spelling: the handlers map records to these structs, this crate knows no store.
//!
//! Documents ossd reads check only their shape; what needs the store (do the parts exist?) stays
//! with the handler.

pub mod acl;
pub mod bucket_info;
pub mod bucket_stat;
pub mod complete_multipart;
pub mod copy_result;
pub mod create_bucket;
pub mod delete;
pub mod encoding;
pub mod encryption;
pub mod initiate_multipart;
pub mod lifecycle;
pub mod list_buckets;
pub mod list_live_channels;
pub mod list_objects;
pub mod list_parts;
pub mod list_uploads;
pub mod list_versions;
pub mod location;
pub mod post_response;
pub mod public_access_block;
pub mod referer;
pub mod regions;
pub mod tagging;
pub mod versioning;
pub mod website;

mod parts;

use crate::error::{ApiError, ErrorCode};
use crate::xml::{self, Element};

/// `MalformedXML`, the error of every body that is not the document it should be.
fn malformed() -> ApiError {
    ApiError::new(ErrorCode::MalformedXML)
}

/// Parses a body whose root element must be `name`.
fn root(raw: &[u8], name: &str) -> Result<Element, ApiError> {
    let doc = xml::parse(raw).map_err(|_| malformed())?;
    if doc.name != name {
        return Err(malformed());
    }
    Ok(doc)
}

/// The code of an expected error, for the readers' tests.
#[cfg(test)]
fn error_code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> ErrorCode {
    r.expect_err("an error").code
}

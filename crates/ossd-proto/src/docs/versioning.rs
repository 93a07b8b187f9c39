//! Put/GetBucketVersioning: the `<VersioningConfiguration>` document. A bucket whose versioning
//! was never enabled answers the empty document, without `<Status>`; a request must set
//! `Enabled` or `Suspended` (anything else, or no status, is `MalformedXML`, EC 0012-00000004,
//! as oss2's tests against OSS expect).

use super::root;
use crate::error::{ApiError, ErrorCode};
use crate::xml::XmlWriter;

/// EC of a versioning document without a valid status.
const BAD_STATUS_EC: &str = "0012-00000004";

/// The `<VersioningConfiguration>` document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VersioningConfiguration {
    /// `Enabled` or `Suspended`; `None` for a bucket that was never versioned.
    pub status: Option<&'static str>,
}

impl VersioningConfiguration {
    /// The document (`<VersioningConfiguration></VersioningConfiguration>` without status).
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("VersioningConfiguration");
        if let Some(s) = self.status {
            w.elem("Status", s);
        }
        w.close("VersioningConfiguration");
        w.finish()
    }

    /// Parses a PutBucketVersioning body; the status must be `Enabled` or `Suspended`.
    pub fn parse(raw: &[u8]) -> Result<VersioningConfiguration, ApiError> {
        let bad = || {
            ApiError::msg(
                ErrorCode::MalformedXML,
                "The versioning status must be Enabled or Suspended.",
            )
            .with_ec(Some(BAD_STATUS_EC))
        };
        let doc = root(raw, "VersioningConfiguration").map_err(|_| bad())?;
        let status = match doc.child_text("Status").map(str::trim) {
            Some("Enabled") => "Enabled",
            Some("Suspended") => "Suspended",
            _ => return Err(bad()),
        };
        Ok(VersioningConfiguration { status: Some(status) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::error_code as code;

    #[test]
    fn versioning_xml() {
        assert_eq!(
            VersioningConfiguration::default().to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration></VersioningConfiguration>"
        );
        assert_eq!(
            VersioningConfiguration { status: Some("Enabled") }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
        );
    }

    #[test]
    fn versioning_bodies() {
        let ok = VersioningConfiguration::parse(
            b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>",
        );
        assert_eq!(ok.expect("parses").status, Some("Suspended"));
        for bad in [
            &b"<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>"[..],
            b"<VersioningConfiguration><Status>None</Status></VersioningConfiguration>",
            b"<VersioningConfiguration></VersioningConfiguration>",
            b"<Versioning><Status>Enabled</Status></Versioning>",
            b"not xml",
        ] {
            let e = VersioningConfiguration::parse(bad).expect_err("refused");
            assert_eq!((e.code, e.effective_ec()), (ErrorCode::MalformedXML, Some(BAD_STATUS_EC)));
        }
        assert_eq!(code(VersioningConfiguration::parse(b"")), ErrorCode::MalformedXML);
    }
}

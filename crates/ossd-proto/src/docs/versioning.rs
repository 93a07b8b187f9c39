//! GetBucketVersioning: the `<VersioningConfiguration>` answer of a bucket that has never been
//! versioned (ossd has no versioning): the empty document, without `<Status>`.

use crate::xml::XmlWriter;

/// The `<VersioningConfiguration>` answer of a never-versioned bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VersioningConfiguration;

impl VersioningConfiguration {
    /// The document: `<VersioningConfiguration></VersioningConfiguration>`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("VersioningConfiguration");
        w.close("VersioningConfiguration");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioning_xml() {
        assert_eq!(
            VersioningConfiguration.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration></VersioningConfiguration>"
        );
    }
}

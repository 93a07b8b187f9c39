//! GetBucketLocation: the `<LocationConstraint>` answer.

use crate::xml::XmlWriter;

/// The `<LocationConstraint>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationConstraint<'a> {
    /// `oss-<region>`.
    pub location: &'a str,
}

impl LocationConstraint<'_> {
    /// The document: the one element.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.elem("LocationConstraint", self.location);
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_xml() {
        assert_eq!(
            LocationConstraint { location: "oss-cn-hangzhou" }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint>oss-cn-hangzhou</LocationConstraint>"
        );
        assert_eq!(
            LocationConstraint { location: "oss-a&b" }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint>oss-a&amp;b</LocationConstraint>"
        );
    }
}

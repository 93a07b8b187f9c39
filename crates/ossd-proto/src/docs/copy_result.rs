//! The answers of the copies: `<CopyObjectResult>` (CopyObject) and `<CopyPartResult>`
//! (UploadPartCopy). Same fields, in the opposite order.

use crate::xml::XmlWriter;

/// What a copy answers: the new object's or part's ETag and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyResult<'a> {
    /// The ETag, quoted.
    pub etag: &'a str,
    /// ISO 8601, as listings write it.
    pub last_modified: &'a str,
}

impl CopyResult<'_> {
    /// CopyObject's `<CopyObjectResult>`: `ETag`, then `LastModified`.
    pub fn object_xml(&self) -> String {
        render("CopyObjectResult", [("ETag", self.etag), ("LastModified", self.last_modified)])
    }

    /// UploadPartCopy's `<CopyPartResult>`: `LastModified`, then `ETag`.
    pub fn part_xml(&self) -> String {
        render("CopyPartResult", [("LastModified", self.last_modified), ("ETag", self.etag)])
    }
}

/// `<root>` holding the two elements in this order.
fn render(root: &str, elements: [(&str, &str); 2]) -> String {
    let mut w = XmlWriter::new();
    w.open(root);
    for (name, text) in elements {
        w.elem(name, text);
    }
    w.close(root);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_results_xml() {
        let doc = CopyResult { etag: "\"5D41&\"", last_modified: "2026-12-02T16:15:21.000Z" };
        assert_eq!(
            doc.object_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>\"5D41&amp;\"</ETag>\
             <LastModified>2026-12-02T16:15:21.000Z</LastModified></CopyObjectResult>"
        );
        assert_eq!(
            doc.part_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult>\
             <LastModified>2026-12-02T16:15:21.000Z</LastModified><ETag>\"5D41&amp;\"</ETag>\
             </CopyPartResult>"
        );
    }
}

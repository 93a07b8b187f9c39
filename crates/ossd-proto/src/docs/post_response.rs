//! PostObject with `success_action_status=201`: the `<PostResponse>` body.

use crate::xml::XmlWriter;

/// The `<PostResponse>` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostResponse<'a> {
    /// The bucket.
    pub bucket: &'a str,
    /// The object's URL, as the handler builds it.
    pub location: &'a str,
    /// The key, raw (PostObject has no `encoding-type`).
    pub key: &'a str,
    /// The object's ETag, quoted.
    pub etag: &'a str,
}

impl PostResponse<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("PostResponse");
        w.elem("Bucket", self.bucket);
        w.elem("Location", self.location);
        w.elem("Key", self.key);
        w.elem("ETag", self.etag);
        w.close("PostResponse");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_response_xml() {
        let doc = PostResponse {
            bucket: "b",
            location: "http://h:1/b/post%26%3Ck%3E%20%C3%A9",
            key: "post&<k> é\r",
            etag: "\"5D41\"",
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Bucket>b</Bucket>\
             <Location>http://h:1/b/post%26%3Ck%3E%20%C3%A9</Location>\
             <Key>post&amp;&lt;k&gt; é&#xD;</Key><ETag>\"5D41\"</ETag></PostResponse>"
        );
    }
}

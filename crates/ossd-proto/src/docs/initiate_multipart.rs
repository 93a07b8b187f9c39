//! InitiateMultipartUpload: the `<InitiateMultipartUploadResult>` answer.

use super::encoding::url_encode;
use crate::xml::XmlWriter;

/// The `<InitiateMultipartUploadResult>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitiateMultipartUploadResult<'a> {
    /// The bucket.
    pub bucket: &'a str,
    /// The key, raw.
    pub key: &'a str,
    /// The new upload's id.
    pub upload_id: &'a str,
    /// `encoding-type=url`: the key encoded and `<EncodingType>url</EncodingType>` last.
    pub url: bool,
}

impl InitiateMultipartUploadResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("InitiateMultipartUploadResult");
        w.elem("Bucket", self.bucket);
        w.elem("Key", &url_encode(self.key, self.url));
        w.elem("UploadId", self.upload_id);
        if self.url {
            w.elem("EncodingType", "url");
        }
        w.close("InitiateMultipartUploadResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiate_result_xml() {
        let mut doc = InitiateMultipartUploadResult {
            bucket: "b",
            key: "mp/a&b c<\r>.bin",
            upload_id: "0123456789ABCDEF0123456789ABCDEF",
            url: false,
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult>\
             <Bucket>b</Bucket><Key>mp/a&amp;b c&lt;&#xD;&gt;.bin</Key>\
             <UploadId>0123456789ABCDEF0123456789ABCDEF</UploadId></InitiateMultipartUploadResult>"
        );
        doc.url = true;
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult>\
             <Bucket>b</Bucket><Key>mp%2Fa%26b%20c%3C%0D%3E.bin</Key>\
             <UploadId>0123456789ABCDEF0123456789ABCDEF</UploadId>\
             <EncodingType>url</EncodingType></InitiateMultipartUploadResult>"
        );
    }
}

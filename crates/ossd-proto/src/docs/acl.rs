//! GetBucketAcl and GetObjectAcl: the `<AccessControlPolicy>` answer, one shape for both.
//! PutBucketAcl and PutObjectAcl carry the ACL in a header (`x-oss-acl`, `x-oss-object-acl`),
//! not in a body, so ossd reads no ACL document.

use super::parts::owner;
use crate::xml::XmlWriter;

/// The `<AccessControlPolicy>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessControlPolicy<'a> {
    /// The bucket owner's id (also its display name).
    pub owner: &'a str,
    /// The ACL in its OSS spelling (`private`, `public-read`, …; `default` for an object).
    pub grant: &'a str,
}

impl AccessControlPolicy<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("AccessControlPolicy");
        owner(&mut w, self.owner);
        w.open("AccessControlList");
        w.elem("Grant", self.grant);
        w.close("AccessControlList");
        w.close("AccessControlPolicy");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_xml() {
        assert_eq!(
            AccessControlPolicy { owner: "ak", grant: "default" }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy>\
             <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner>\
             <AccessControlList><Grant>default</Grant></AccessControlList></AccessControlPolicy>"
        );
        assert_eq!(
            AccessControlPolicy { owner: "a<&>", grant: "public-read-write" }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy>\
             <Owner><ID>a&lt;&amp;&gt;</ID><DisplayName>a&lt;&amp;&gt;</DisplayName></Owner>\
             <AccessControlList><Grant>public-read-write</Grant></AccessControlList></AccessControlPolicy>"
        );
    }
}

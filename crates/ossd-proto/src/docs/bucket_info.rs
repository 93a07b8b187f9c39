//! GetBucketInfo: the `<BucketInfo>` answer. Every field of the OSS document; what ossd does not
//! have (access monitor, acceleration, replication, encryption, logging) is written as OSS
//! writes it for a bucket without it.

use crate::xml::XmlWriter;

/// The `<BucketInfo>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo<'a> {
    /// ISO 8601.
    pub creation_date: String,
    /// The public endpoint.
    pub extranet_endpoint: &'a str,
    /// The internal endpoint.
    pub intranet_endpoint: &'a str,
    /// `oss-<region>`.
    pub location: String,
    /// The bucket's storage class.
    pub storage_class: &'a str,
    /// The bucket's name.
    pub name: &'a str,
    /// The owner's id (also its display name).
    pub owner: &'a str,
    /// The bucket's ACL.
    pub acl: &'a str,
    /// Block Public Access is on.
    pub block_public_access: bool,
    /// The default server-side encryption algorithm (`None` when there is none).
    pub sse_algorithm: &'a str,
    /// `<Versioning>`: `Enabled` or `Suspended`; absent when versioning was never enabled.
    pub versioning: Option<&'a str>,
}

impl BucketInfo<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("BucketInfo");
        w.open("Bucket");
        w.elem("AccessMonitor", "Disabled");
        w.elem("CreationDate", &self.creation_date);
        w.elem("ExtranetEndpoint", self.extranet_endpoint);
        w.elem("IntranetEndpoint", self.intranet_endpoint);
        w.elem("Location", &self.location);
        w.elem("StorageClass", self.storage_class);
        w.elem("TransferAcceleration", "Disabled");
        w.elem("CrossRegionReplication", "Disabled");
        w.elem("Name", self.name);
        // DisplayName before ID here, unlike listings and ACLs (OSS's order in this document).
        w.open("Owner");
        w.elem("DisplayName", self.owner);
        w.elem("ID", self.owner);
        w.close("Owner");
        w.open("AccessControlList");
        w.elem("Grant", self.acl);
        w.close("AccessControlList");
        w.elem("Comment", "");
        w.elem("DataRedundancyType", "LRS");
        w.elem("ResourceGroupId", "rg-default-id");
        w.open("ServerSideEncryptionRule");
        w.elem("SSEAlgorithm", self.sse_algorithm);
        w.close("ServerSideEncryptionRule");
        w.open("BucketPolicy");
        w.elem("LogBucket", "");
        w.elem("LogPrefix", "");
        w.close("BucketPolicy");
        w.elem("BlockPublicAccess", if self.block_public_access { "true" } else { "false" });
        if let Some(v) = self.versioning {
            w.elem("Versioning", v);
        }
        w.close("Bucket");
        w.close("BucketInfo");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_info_xml() {
        let doc = BucketInfo {
            creation_date: "2026-12-02T16:15:21.000Z".into(),
            extranet_endpoint: "h:80",
            intranet_endpoint: "i<&>:80",
            location: "oss-cn-hangzhou".into(),
            storage_class: "IA",
            name: "b",
            owner: "o&",
            acl: "public-read",
            block_public_access: false,
            sse_algorithm: "None",
            versioning: None,
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketInfo><Bucket>\
             <AccessMonitor>Disabled</AccessMonitor><CreationDate>2026-12-02T16:15:21.000Z</CreationDate>\
             <ExtranetEndpoint>h:80</ExtranetEndpoint><IntranetEndpoint>i&lt;&amp;&gt;:80</IntranetEndpoint>\
             <Location>oss-cn-hangzhou</Location><StorageClass>IA</StorageClass>\
             <TransferAcceleration>Disabled</TransferAcceleration>\
             <CrossRegionReplication>Disabled</CrossRegionReplication><Name>b</Name>\
             <Owner><DisplayName>o&amp;</DisplayName><ID>o&amp;</ID></Owner>\
             <AccessControlList><Grant>public-read</Grant></AccessControlList><Comment></Comment>\
             <DataRedundancyType>LRS</DataRedundancyType><ResourceGroupId>rg-default-id</ResourceGroupId>\
             <ServerSideEncryptionRule><SSEAlgorithm>None</SSEAlgorithm></ServerSideEncryptionRule>\
             <BucketPolicy><LogBucket></LogBucket><LogPrefix></LogPrefix></BucketPolicy>\
             <BlockPublicAccess>false</BlockPublicAccess></Bucket></BucketInfo>"
        );
        let versioned = BucketInfo { versioning: Some("Enabled"), ..doc };
        assert!(
            versioned.to_xml().contains("<Versioning>Enabled</Versioning></Bucket></BucketInfo>")
        );
    }
}

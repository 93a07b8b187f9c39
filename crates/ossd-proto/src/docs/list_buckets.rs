//! ListBuckets: the `<ListAllMyBucketsResult>` answer.

use super::parts::{bool_text, owner};
use crate::xml::XmlWriter;

/// The paging elements, written only when the request named `prefix`, `marker` or `max-keys`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketsPage<'a> {
    /// `prefix` as given.
    pub prefix: &'a str,
    /// `marker` as given.
    pub marker: &'a str,
    /// `max-keys` as understood.
    pub max_keys: usize,
    /// Whether more buckets follow.
    pub is_truncated: bool,
    /// The last bucket of the page, written when the listing is truncated.
    pub next_marker: Option<&'a str>,
}

/// One `<Bucket>` of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketEntry<'a> {
    /// ISO 8601.
    pub creation_date: String,
    /// The public endpoint.
    pub extranet_endpoint: &'a str,
    /// The internal endpoint.
    pub intranet_endpoint: &'a str,
    /// `oss-<region>`.
    pub location: String,
    /// The bucket's name.
    pub name: &'a str,
    /// The region, without `oss-`.
    pub region: &'a str,
    /// The bucket's storage class.
    pub storage_class: &'a str,
}

/// The `<ListAllMyBucketsResult>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListAllMyBucketsResult<'a> {
    /// The paging elements, when the request asked for a page.
    pub page: Option<BucketsPage<'a>>,
    /// The owner's id (also its display name).
    pub owner: &'a str,
    /// The buckets of this page.
    pub buckets: Vec<BucketEntry<'a>>,
}

impl ListAllMyBucketsResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("ListAllMyBucketsResult");
        if let Some(p) = &self.page {
            w.elem("Prefix", p.prefix);
            w.elem("Marker", p.marker);
            w.elem("MaxKeys", &p.max_keys.to_string());
            w.elem("IsTruncated", bool_text(p.is_truncated));
            if p.is_truncated {
                w.opt("NextMarker", p.next_marker);
            }
        }
        owner(&mut w, self.owner);
        w.open("Buckets");
        for b in &self.buckets {
            w.open("Bucket");
            w.elem("CreationDate", &b.creation_date);
            w.elem("ExtranetEndpoint", b.extranet_endpoint);
            w.elem("IntranetEndpoint", b.intranet_endpoint);
            w.elem("Location", &b.location);
            w.elem("Name", b.name);
            w.elem("Region", b.region);
            w.elem("StorageClass", b.storage_class);
            w.close("Bucket");
        }
        w.close("Buckets");
        w.close("ListAllMyBucketsResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str) -> BucketEntry<'_> {
        BucketEntry {
            creation_date: "2026-12-02T16:15:21.000Z".into(),
            extranet_endpoint: "h&1:80",
            intranet_endpoint: "in:80",
            location: "oss-cn-hangzhou".into(),
            name,
            region: "cn-hangzhou",
            storage_class: "IA",
        }
    }

    /// The `<Bucket>` element of `bucket("b1")`.
    const B1: &str = "<Bucket><CreationDate>2026-12-02T16:15:21.000Z</CreationDate>\
        <ExtranetEndpoint>h&amp;1:80</ExtranetEndpoint><IntranetEndpoint>in:80</IntranetEndpoint>\
        <Location>oss-cn-hangzhou</Location><Name>b1</Name><Region>cn-hangzhou</Region>\
        <StorageClass>IA</StorageClass></Bucket>";

    #[test]
    fn list_buckets_xml() {
        let doc = ListAllMyBucketsResult { page: None, owner: "ak", buckets: vec![bucket("b1")] };
        assert_eq!(
            doc.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult>\
                 <Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner><Buckets>{B1}</Buckets>\
                 </ListAllMyBucketsResult>"
            )
        );
        let page = BucketsPage {
            prefix: "b",
            marker: "",
            max_keys: 1,
            is_truncated: true,
            next_marker: Some("b1"),
        };
        let doc = ListAllMyBucketsResult { page: Some(page), ..doc };
        assert_eq!(
            doc.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult>\
                 <Prefix>b</Prefix><Marker></Marker><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated>\
                 <NextMarker>b1</NextMarker><Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner>\
                 <Buckets>{B1}</Buckets></ListAllMyBucketsResult>"
            )
        );
        let page = BucketsPage {
            prefix: "",
            marker: "z<",
            max_keys: 100,
            is_truncated: false,
            next_marker: None,
        };
        let empty = ListAllMyBucketsResult { page: Some(page), owner: "ak", buckets: vec![] };
        assert_eq!(
            empty.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult>\
             <Prefix></Prefix><Marker>z&lt;</Marker><MaxKeys>100</MaxKeys>\
             <IsTruncated>false</IsTruncated><Owner><ID>ak</ID><DisplayName>ak</DisplayName></Owner>\
             <Buckets></Buckets></ListAllMyBucketsResult>"
        );
    }
}

//! GetBucketStat: the `<BucketStat>` answer.

use crate::xml::XmlWriter;

/// The `<BucketStat>` answer: the totals ossd keeps. Every other field of the current OSS
/// document is written too, zero for what ossd does not have (live channels, delete markers);
/// the per-storage-class fields come from the one total: objects and their bytes are counted
/// under Standard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketStat {
    /// `<Storage>`: bytes of all objects (also `<StandardStorage>`).
    pub storage: u64,
    /// `<ObjectCount>` (also `<StandardObjectCount>`).
    pub object_count: u64,
    /// `<MultipartUploadCount>`.
    pub multipart_upload_count: u64,
    /// `<LastModifiedTime>`, Unix seconds.
    pub last_modified_time: i64,
    /// `<DeleteMarkerCount>`.
    pub delete_marker_count: u64,
}

impl BucketStat {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("BucketStat");
        let (bytes, objects) = (self.storage.to_string(), self.object_count.to_string());
        for (name, value) in [
            ("Storage", bytes.as_str()),
            ("ObjectCount", objects.as_str()),
            ("MultipartUploadCount", &self.multipart_upload_count.to_string()),
            ("LiveChannelCount", "0"),
            ("LastModifiedTime", &self.last_modified_time.to_string()),
            ("StandardStorage", bytes.as_str()),
            ("StandardObjectCount", objects.as_str()),
            ("InfrequentAccessStorage", "0"),
            ("InfrequentAccessRealStorage", "0"),
            ("InfrequentAccessObjectCount", "0"),
            ("ArchiveStorage", "0"),
            ("ArchiveRealStorage", "0"),
            ("ArchiveObjectCount", "0"),
            ("ColdArchiveStorage", "0"),
            ("ColdArchiveRealStorage", "0"),
            ("ColdArchiveObjectCount", "0"),
            ("DeepColdArchiveStorage", "0"),
            ("DeepColdArchiveRealStorage", "0"),
            ("DeepColdArchiveObjectCount", "0"),
            ("DeleteMarkerCount", &self.delete_marker_count.to_string()),
        ] {
            w.elem(name, value);
        }
        w.close("BucketStat");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document with the four values in place.
    fn want(storage: u64, objects: u64, uploads: u64, time: i64) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BucketStat><Storage>{storage}</Storage>\
             <ObjectCount>{objects}</ObjectCount><MultipartUploadCount>{uploads}</MultipartUploadCount>\
             <LiveChannelCount>0</LiveChannelCount><LastModifiedTime>{time}</LastModifiedTime>\
             <StandardStorage>{storage}</StandardStorage><StandardObjectCount>{objects}</StandardObjectCount>\
             <InfrequentAccessStorage>0</InfrequentAccessStorage>\
             <InfrequentAccessRealStorage>0</InfrequentAccessRealStorage>\
             <InfrequentAccessObjectCount>0</InfrequentAccessObjectCount><ArchiveStorage>0</ArchiveStorage>\
             <ArchiveRealStorage>0</ArchiveRealStorage><ArchiveObjectCount>0</ArchiveObjectCount>\
             <ColdArchiveStorage>0</ColdArchiveStorage><ColdArchiveRealStorage>0</ColdArchiveRealStorage>\
             <ColdArchiveObjectCount>0</ColdArchiveObjectCount><DeepColdArchiveStorage>0</DeepColdArchiveStorage>\
             <DeepColdArchiveRealStorage>0</DeepColdArchiveRealStorage>\
             <DeepColdArchiveObjectCount>0</DeepColdArchiveObjectCount><DeleteMarkerCount>0</DeleteMarkerCount>\
             </BucketStat>"
        )
    }

    #[test]
    fn bucket_stat_xml() {
        assert_eq!(BucketStat::default().to_xml(), want(0, 0, 0, 0));
        let doc = BucketStat {
            storage: 102_411,
            object_count: 12,
            multipart_upload_count: 3,
            last_modified_time: 1_796_228_121,
            delete_marker_count: 0,
        };
        assert_eq!(doc.to_xml(), want(102_411, 12, 3, 1_796_228_121));
        let markers = BucketStat { delete_marker_count: 4, ..doc };
        assert!(markers.to_xml().contains("<DeleteMarkerCount>4</DeleteMarkerCount>"));
    }
}

//! ListLiveChannel: the `<ListLiveChannelResult>` answer. ossd has no live channels, so the
//! list is always empty and never truncated.

use crate::xml::XmlWriter;

/// The `<ListLiveChannelResult>` answer (no channels).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListLiveChannelResult<'a> {
    /// `prefix` as given.
    pub prefix: &'a str,
    /// `marker` as given.
    pub marker: &'a str,
    /// `max-keys` as understood.
    pub max_keys: usize,
}

impl ListLiveChannelResult<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("ListLiveChannelResult");
        w.elem("Prefix", self.prefix);
        w.elem("Marker", self.marker);
        w.elem("MaxKeys", &self.max_keys.to_string());
        w.elem("IsTruncated", "false");
        w.elem("NextMarker", "");
        w.close("ListLiveChannelResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_channels_xml() {
        assert_eq!(
            ListLiveChannelResult { prefix: "", marker: "", max_keys: 100 }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListLiveChannelResult><Prefix></Prefix>\
             <Marker></Marker><MaxKeys>100</MaxKeys><IsTruncated>false</IsTruncated>\
             <NextMarker></NextMarker></ListLiveChannelResult>"
        );
        assert_eq!(
            ListLiveChannelResult { prefix: "a&b", marker: "m<", max_keys: 5 }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListLiveChannelResult><Prefix>a&amp;b</Prefix>\
             <Marker>m&lt;</Marker><MaxKeys>5</MaxKeys><IsTruncated>false</IsTruncated>\
             <NextMarker></NextMarker></ListLiveChannelResult>"
        );
    }
}

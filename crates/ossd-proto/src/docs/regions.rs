//! DescribeRegions: the `<RegionInfoList>` answer.

use crate::xml::XmlWriter;

/// One `<RegionInfo>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionInfo<'a> {
    /// `oss-<region>`.
    pub region: &'a str,
    /// The public endpoint.
    pub internet_endpoint: &'a str,
    /// The internal endpoint.
    pub internal_endpoint: &'a str,
    /// The transfer-acceleration endpoint.
    pub accelerate_endpoint: &'a str,
}

/// The `<RegionInfoList>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionInfoList<'a> {
    /// The regions, in order.
    pub regions: Vec<RegionInfo<'a>>,
}

impl RegionInfoList<'_> {
    /// The document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open("RegionInfoList");
        for r in &self.regions {
            w.open("RegionInfo");
            w.elem("Region", r.region);
            w.elem("InternetEndpoint", r.internet_endpoint);
            w.elem("InternalEndpoint", r.internal_endpoint);
            w.elem("AccelerateEndpoint", r.accelerate_endpoint);
            w.close("RegionInfo");
        }
        w.close("RegionInfoList");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_xml() {
        let one = RegionInfo {
            region: "oss-cn-hangzhou",
            internet_endpoint: "h&1:80",
            internal_endpoint: "in:80",
            accelerate_endpoint: "h&1:80",
        };
        assert_eq!(
            RegionInfoList { regions: vec![one] }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RegionInfoList><RegionInfo>\
             <Region>oss-cn-hangzhou</Region><InternetEndpoint>h&amp;1:80</InternetEndpoint>\
             <InternalEndpoint>in:80</InternalEndpoint><AccelerateEndpoint>h&amp;1:80</AccelerateEndpoint>\
             </RegionInfo></RegionInfoList>"
        );
        assert_eq!(
            RegionInfoList { regions: vec![] }.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RegionInfoList></RegionInfoList>"
        );
    }
}

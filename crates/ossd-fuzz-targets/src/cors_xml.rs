//! Target `cors_xml`: arbitrary bytes through `parse_and_validate`; nothing may panic, and an
//! accepted configuration must render to XML that parses back to an equal configuration.

use ossd_proto::cors_xml::{
    parse_and_validate, parse_cors_configuration, render_cors_configuration,
};

/// The target: `body` is a PutBucketCors body.
pub fn run(body: &[u8]) {
    let _ = parse_cors_configuration(body);
    if let Ok(cfg) = parse_and_validate(body) {
        let xml = render_cors_configuration(&cfg);
        let back = parse_and_validate(xml.as_bytes()).expect("rendered configuration must parse");
        assert_eq!(back, cfg);
        assert_eq!(render_cors_configuration(&back), xml);
    }
}

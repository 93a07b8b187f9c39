//! Random inputs through the bodies of the fuzz targets (proptest, bounded: a few seconds per
//! target in release). The bytes become each target's typed input as under cargo-fuzz, so these
//! reach the same properties: no panic, reader = reference, render → parse round trips.

use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(config(20_000))]

    #[test]
    fn addressing(data in bytes(512)) {
        ossd_fuzz_targets::addressing::run(&data);
    }

    #[test]
    fn cors_eval(data in bytes(512)) {
        ossd_fuzz_targets::cors_eval::run(&data);
    }

    #[test]
    fn cors_xml(data in bytes(512)) {
        ossd_fuzz_targets::cors_xml::run(&data);
    }

    #[test]
    fn form(data in bytes(2048)) {
        ossd_fuzz_targets::form::run(&data);
    }

    #[test]
    fn sig(data in bytes(512)) {
        ossd_fuzz_targets::sig::run(&data);
    }

    #[test]
    fn xml_bodies(data in bytes(1024)) {
        ossd_fuzz_targets::xml_bodies::run(&data);
    }
}

//! Fuzz target `cors_xml`: the body is `ossd_fuzz_targets::cors_xml::run` (crates/ossd-fuzz-targets), which
//! the workspace tests also run on `seeds/cors_xml/` and on random inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ossd_fuzz_targets::cors_xml::run(data);
});

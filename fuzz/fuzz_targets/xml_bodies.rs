//! Fuzz target `xml_bodies`: the body is `ossd_fuzz_targets::xml_bodies::run` (crates/ossd-fuzz-targets), which
//! the workspace tests also run on `seeds/xml_bodies/` and on random inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ossd_fuzz_targets::xml_bodies::run(data);
});

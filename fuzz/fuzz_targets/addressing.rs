//! Fuzz target `addressing`: the body is `ossd_fuzz_targets::addressing::run` (crates/ossd-fuzz-targets), which
//! the workspace tests also run on `seeds/addressing/` and on random inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ossd_fuzz_targets::addressing::run(data);
});

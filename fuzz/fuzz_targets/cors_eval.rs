//! Fuzz target `cors_eval`: the body is `ossd_fuzz_targets::cors_eval::run` (crates/ossd-fuzz-targets), which
//! the workspace tests also run on `seeds/cors_eval/` and on random inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ossd_fuzz_targets::cors_eval::run(data);
});

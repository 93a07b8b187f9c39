//! The bodies of the cargo-fuzz targets in `fuzz/`, as plain functions of the input bytes.
//!
//! Each module is one target: `run(data)` turns the bytes into the target's input (with
//! [`arbitrary`], exactly as `libfuzzer-sys` does for a typed target) and checks its properties,
//! panicking when one fails. The fuzz binaries in `fuzz/fuzz_targets/` only call `run`; the
//! workspace tests of this crate call it on every file of the committed seed corpora
//! (`fuzz/seeds/<target>/`, `tests/corpus.rs`) and on random inputs (`tests/prop.rs`), so the
//! same checks run on stable in `cargo test`.

pub mod addressing;
pub mod cors_eval;
pub mod cors_xml;
pub mod form;
pub mod sig;
pub mod xml_bodies;

use arbitrary::{Arbitrary, Unstructured};

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target: its name (the fuzz binary and the seed directory) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("addressing", addressing::run),
    ("cors_eval", cors_eval::run),
    ("cors_xml", cors_xml::run),
    ("form", form::run),
    ("sig", sig::run),
    ("xml_bodies", xml_bodies::run),
];

/// The typed input of a target, built from `data` the way `libfuzzer-sys` builds it; `None` when
/// the bytes do not make one (the fuzzer then skips the input too).
pub fn input<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

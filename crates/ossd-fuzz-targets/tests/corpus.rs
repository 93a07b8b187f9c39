//! The committed seed corpora (`fuzz/seeds/<target>/`, crash inputs included) through the bodies
//! of the fuzz targets: what `cargo fuzz run <target> seeds/<target>` checks first, on stable.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs `target` on every file of its seed directory; reports every file that panics.
fn run_seeds(target: &str) {
    let (_, run) = ossd_fuzz_targets::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let dir = fuzz_dir().join("seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{}: only {} seeds", dir.display(), files.len());
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data = std::fs::read(f).expect("seed file");
            std::panic::catch_unwind(|| run(&data)).is_err()
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: {} seeds fail: {failed:?}", failed.len());
}

#[test]
fn addressing_seeds() {
    run_seeds("addressing");
}

#[test]
fn cors_eval_seeds() {
    run_seeds("cors_eval");
}

#[test]
fn cors_xml_seeds() {
    run_seeds("cors_xml");
}

#[test]
fn form_seeds() {
    run_seeds("form");
}

#[test]
fn sig_seeds() {
    run_seeds("sig");
}

#[test]
fn xml_bodies_seeds() {
    run_seeds("xml_bodies");
}

/// Every fuzz binary has a body here and a seed directory, and every body has a binary that
/// calls it, so a new target cannot miss its corpus test.
#[test]
fn fuzz_binaries_match_the_targets() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut bins: Vec<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|b| b.lines().find_map(|l| l.trim().strip_prefix("name = ")))
        .map(|n| n.trim_matches('"').to_owned())
        .collect();
    bins.sort();
    let mut targets: Vec<String> =
        ossd_fuzz_targets::TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    targets.sort();
    assert_eq!(bins, targets);
    for t in &targets {
        let src = std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{t}.rs")))
            .expect("fuzz target source");
        assert!(
            src.contains(&format!("ossd_fuzz_targets::{t}::run(")),
            "fuzz/fuzz_targets/{t}.rs must call ossd_fuzz_targets::{t}::run"
        );
        assert!(fuzz_dir().join("seeds").join(t).is_dir(), "no fuzz/seeds/{t}");
    }
}

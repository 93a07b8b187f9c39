//! Output helpers: human text by default, one JSON document with `--output json`.

use super::error::{CliError, Result};

/// Parses `--output`: `human` or `json` (`xml` only where a command accepts it).
pub fn is_json(v: &str) -> Result<bool> {
    match v {
        "human" | "raw" | "xml" => Ok(false),
        "json" => Ok(true),
        other => Err(CliError::Usage(format!("--output must be human or json, not {other:?}"))),
    }
}

/// Prints a JSON value on one line.
pub fn json(v: &serde_json::Value) {
    println!("{v}");
}

/// Formats a byte count for humans (1024-based).
pub fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

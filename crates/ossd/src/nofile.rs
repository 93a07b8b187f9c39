//! The open-files limit: raised from the soft to the hard limit at start, where allowed, and the
//! default connection cap derived from it.

/// Descriptors kept back from the connection cap for the store, the listener, logs and the like.
const RESERVED: u64 = 64;
/// The default connection cap when the open-files limit allows more.
const MAX_DEFAULT_CONNECTIONS: u64 = 4096;
/// Where the soft limit is raised to when the hard limit is unlimited (Linux's default `nr_open`).
const UNLIMITED_TARGET: u64 = 1 << 20;

/// What [`raise`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit at start (`None`: unlimited or unknown).
    pub before: Option<u64>,
    /// The soft limit now.
    pub now: Option<u64>,
    /// The hard limit.
    pub hard: Option<u64>,
    /// Why raising failed, if it did.
    pub error: Option<String>,
}

/// Raises the soft open-files limit to the hard limit.
#[cfg(unix)]
pub fn raise() -> OpenFiles {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let start = getrlimit(Resource::Nofile);
    let target = start.maximum.unwrap_or(UNLIMITED_TARGET);
    let mut error = None;
    if start.current.is_some_and(|c| c < target) {
        let new = Rlimit { current: Some(target), maximum: start.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, new) {
            error = Some(e.to_string());
        }
    }
    let now = getrlimit(Resource::Nofile);
    OpenFiles { before: start.current, now: now.current, hard: now.maximum, error }
}

/// Raises the soft open-files limit to the hard limit (nothing to do here).
#[cfg(not(unix))]
pub fn raise() -> OpenFiles {
    OpenFiles { before: None, now: None, hard: None, error: None }
}

/// The connection cap when none is configured: each connection may hold two descriptors (its
/// socket and an object's file), after [`RESERVED`] for the rest; at most 4096, at least 1.
pub fn default_max_connections(limit: Option<u64>) -> usize {
    let cap = match limit {
        Some(n) => (n.saturating_sub(RESERVED) / 2).clamp(1, MAX_DEFAULT_CONNECTIONS),
        None => MAX_DEFAULT_CONNECTIONS,
    };
    usize::try_from(cap).unwrap_or(1)
}

/// Whether `max_connections` may run out of descriptors under `limit`.
pub fn cap_exceeds_limit(max_connections: usize, limit: Option<u64>) -> bool {
    limit.is_some_and(|n| (max_connections as u64).saturating_mul(2) + RESERVED > n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cap_follows_the_limit() {
        assert_eq!(default_max_connections(Some(1024)), 480);
        assert_eq!(default_max_connections(Some(128)), 32);
        assert_eq!(default_max_connections(Some(10)), 1);
        assert_eq!(default_max_connections(Some(1 << 20)), 4096);
        assert_eq!(default_max_connections(None), 4096);
        assert!(cap_exceeds_limit(1000, Some(1024)));
        assert!(!cap_exceeds_limit(480, Some(1024)));
        assert!(!cap_exceeds_limit(1000, None));
    }

    #[test]
    fn raise_reaches_the_hard_limit() {
        let r = raise();
        // Raising the soft limit up to a finite hard limit is always allowed; an unlimited hard
        // limit is capped by the kernel's `nr_open`, which may refuse the target.
        if let Some(hard) = r.hard {
            assert!(r.error.is_none(), "{r:?}");
            assert_eq!(r.now, Some(hard), "{r:?}");
        }
    }
}

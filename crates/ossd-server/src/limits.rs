//! Connection limits and timeouts: how long a connection may sit idle, how slowly a client may
//! send a body or take a response, and how many connections are served at once.

use crate::progress::ProgressRule;
use std::time::Duration;

/// The connection limits of a server (README, "Running it").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// A connection waiting for a request head (idle keep-alive, a fresh connection, a head sent
    /// slowly) is closed after this long.
    pub idle_timeout: Duration,
    /// Window of the request-body rule: at least `min_rate` bytes per second over each window of
    /// waiting for the client, else `RequestTimeout`.
    pub read_timeout: Duration,
    /// Window of the response rule: a client that takes less than `min_rate` bytes per second
    /// over a window of waiting for it to read has its connection closed.
    pub write_timeout: Duration,
    /// Bytes per second a client must sustain while ossd waits on it (0: only the timeouts).
    pub min_rate: u64,
    /// Connections served at once; beyond it a new connection gets `503 ActiveRequestLimitExceeded`.
    pub max_connections: usize,
}

impl Default for ConnLimits {
    fn default() -> ConnLimits {
        ConnLimits {
            idle_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            min_rate: 1024,
            max_connections: 1024,
        }
    }
}

impl ConnLimits {
    /// The rule a request body is held to.
    pub(crate) fn body_rule(&self) -> ProgressRule {
        ProgressRule { window: self.read_timeout, min_rate: self.min_rate }
    }

    /// The rule a response write is held to.
    pub(crate) fn write_rule(&self) -> ProgressRule {
        ProgressRule { window: self.write_timeout, min_rate: self.min_rate }
    }
}

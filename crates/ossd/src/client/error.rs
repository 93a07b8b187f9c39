//! The client's errors: what went wrong, printed for a human or as JSON, and the exit status.

/// An OSS error answer, as the server sent it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OssError {
    /// HTTP status.
    pub status: u16,
    /// `Code`.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// `RequestId` (or the `x-oss-request-id` header).
    pub request_id: String,
    /// `EC` (or the `x-oss-ec` header).
    pub ec: String,
}

/// Everything a client command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The server answered with an OSS error.
    #[error(
        "{} ({}): {} [RequestId: {}, EC: {}]",
        .0.code, .0.status, .0.message, .0.request_id, .0.ec
    )]
    Oss(OssError),
    /// The endpoint could not be reached or the connection broke.
    #[error("network error talking to {endpoint}: {detail}")]
    Network {
        /// The endpoint (host:port).
        endpoint: String,
        /// What happened.
        detail: String,
    },
    /// A local file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// The file or operation.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Bad arguments or configuration.
    #[error("{0}")]
    Usage(String),
    /// The server's answer is not what the protocol promises (e.g. a CRC-64 mismatch).
    #[error("{0}")]
    Integrity(String),
}

impl CliError {
    /// An I/O error on `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }

    /// The error as a JSON value for `--output json`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CliError::Oss(e) => serde_json::json!({
                "error": "oss", "status": e.status, "code": e.code, "message": e.message,
                "request_id": e.request_id, "ec": e.ec,
            }),
            CliError::Network { endpoint, detail } => {
                serde_json::json!({"error": "network", "endpoint": endpoint, "message": detail})
            }
            CliError::Io { .. } => serde_json::json!({"error": "io", "message": self.to_string()}),
            CliError::Usage(m) => serde_json::json!({"error": "usage", "message": m}),
            CliError::Integrity(m) => serde_json::json!({"error": "integrity", "message": m}),
        }
    }
}

/// Shorthand.
pub type Result<T> = std::result::Result<T, CliError>;

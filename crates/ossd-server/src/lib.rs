//! ossd-server: the HTTP pipeline: address, classify, preflight, authenticate, authorize, handle, render, decorate with CORS.

mod admin;
mod auth;
mod blob_gc;
mod body;
mod clock;
mod cluster;
mod conn_io;
mod connection;
pub mod console;
mod cors;
pub mod cors_report;
pub mod form;
mod handlers;
mod headers;
mod health;
mod keys;
mod lifecycle;
mod limits;
mod log_limit;
mod metrics;
mod pipeline;
mod progress;
mod referer;
mod render;
mod request_body;
mod router;
mod server;
mod state;
pub mod testing;
#[cfg(test)]
mod tests;
mod tls;

pub use body::Body;
pub use console::session::ConsoleConfig;
pub use limits::ConnLimits;
pub use server::{AccessKey, BlobsConfig, Server, ServerConfig, StartError, open_store};
pub use state::AppState;
pub use tls::{TlsError, TlsFiles};

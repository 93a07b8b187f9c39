//! ossd-server: the HTTP pipeline: address, classify, preflight, authenticate, authorize, handle, render, decorate with CORS.

mod admin;
mod auth;
mod body;
mod clock;
mod conn_io;
mod connection;
mod cors;
pub mod form;
mod handlers;
mod health;
mod keys;
mod limits;
mod log_limit;
mod metrics;
mod pipeline;
mod progress;
mod render;
mod request_body;
mod router;
mod server;
mod state;
#[cfg(test)]
mod tests;
mod tls;

pub use body::Body;
pub use limits::ConnLimits;
pub use server::{AccessKey, Server, ServerConfig, StartError};
pub use state::AppState;
pub use tls::{TlsError, TlsFiles};

//! ossd-server: the HTTP pipeline: address, classify, preflight, authenticate, authorize, handle, render, decorate with CORS.

mod admin;
mod auth;
mod body;
mod clock;
mod conn_io;
pub mod console;
mod cors;
pub mod cors_report;
pub mod form;
mod handlers;
mod health;
mod keys;
mod limits;
mod log_limit;
mod pipeline;
mod progress;
mod referer;
mod render;
mod request_body;
mod router;
mod server;
mod state;
#[cfg(test)]
mod tests;

pub use body::Body;
pub use console::session::ConsoleConfig;
pub use limits::ConnLimits;
pub use server::{AccessKey, Server, ServerConfig, StartError};
pub use state::AppState;

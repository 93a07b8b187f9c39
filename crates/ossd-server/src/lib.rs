//! ossd-server: the HTTP pipeline: address, classify, preflight, authenticate, authorize, handle, render, decorate with CORS.

mod admin;
mod auth;
mod body;
mod cors;
pub mod form;
mod handlers;
mod keys;
mod pipeline;
mod render;
mod server;
mod state;
#[cfg(test)]
mod tests;

pub use body::Body;
pub use server::{AccessKey, Server, ServerConfig, StartError};
pub use state::AppState;

//! Integration tests: the real `ossd` binary on a free loopback port, spoken to over raw HTTP/1.1.

mod access_log;
mod cli;
mod connections;
mod console;
mod cors;
mod disk_full;
mod harness;
mod keys;
mod lifecycle;
mod metrics;
mod objects;
mod permissions;
mod races;
mod readiness;
mod safety;
mod server;
mod tls;

//! Integration tests: the real `ossd` binary on a free loopback port, spoken to over raw HTTP/1.1.

mod cli;
mod connections;
mod cors;
mod disk_full;
mod harness;
mod keys;
mod lifecycle;
mod objects;
mod permissions;
mod races;
mod safety;
mod server;

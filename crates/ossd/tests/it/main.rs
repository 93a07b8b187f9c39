//! Integration tests: the real `ossd` binary on a free loopback port, spoken to over raw HTTP/1.1.

mod cli;
mod connections;
mod console;
mod cors;
mod disk_full;
mod harness;
mod keys;
mod objects;
mod permissions;
mod races;
mod safety;
mod server;

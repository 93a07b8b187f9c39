//! Integration tests: the real `ossd` binary on a free loopback port, spoken to over raw HTTP/1.1.

mod cli;
mod cors;
mod harness;
mod keys;
mod objects;
mod safety;
mod server;

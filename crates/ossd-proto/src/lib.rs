//! ossd-proto: the OSS wire format: addressing, operation classification, XML bodies and the error table. No I/O.

pub mod bodies;
pub mod cors_xml;
pub mod error;
pub mod operation;
pub mod public_access_block_xml;
pub mod range;
pub mod referer_xml;
pub mod request;
pub mod website_xml;
pub mod xml;

pub use error::{ApiError, ErrorCode};
pub use operation::{Access, OpInfo, Operation};
pub use request::{Query, Target};

#[cfg(test)]
mod tests;

//! ossd-proto: the OSS wire format: addressing, operation classification, XML bodies and the error table. No I/O.

pub mod cors_xml;
pub mod docs;
pub mod error;
pub mod operation;
pub mod range;
pub mod request;
pub mod xml;

pub use error::{ApiError, ErrorCode};
pub use operation::{Access, OpInfo, Operation};
pub use request::{Query, Target};

#[cfg(test)]
mod tests;

//! This workspace's test infrastructure, not an API for apps (it is not published): throwaway
//! servers for the tests, one module per server. Each starts on a free loopback port with its
//! data in a temporary folder, and is stopped and removed on drop.

pub mod postgres;
pub mod s3;

pub use s3::{S3TestServer, S3TestServerBuilder, S3TestServerError};

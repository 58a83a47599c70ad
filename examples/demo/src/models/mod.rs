//! The demo's tables.

pub mod iddocuments;
pub mod users;

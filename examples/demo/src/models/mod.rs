//! The demo's tables.

pub mod iddocuments;
pub mod user_permissions;
pub mod users;

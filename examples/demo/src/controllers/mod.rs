//! The demo's pages.

pub mod admin;
pub mod html;
pub mod session;

//! The naming rules of [privates](https://docs.rs/privates), in one place for both of its sides:
//! `#[derive(PrivateMedia)]` runs them at compile time on the attributes of a model, and the
//! runtime runs them on stored names, uploads and `upload_to` patterns. A pattern the derive
//! accepts is therefore one the storage accepts, and the other way round.
//!
//! No dependencies (the derive's proc-macro crate uses it), no I/O, no allocation beyond the
//! strings returned.
//!
//! ```
//! use privates_rules::{name, upload_to};
//!
//! assert!(name::check("invoices/2024/march.pdf").is_ok());
//! assert_eq!(name::check("../etc/passwd"), Err(name::NameRule::DotSegment));
//! assert!(upload_to::check("scans/%Y/%m/").is_ok());
//! assert!(upload_to::check("C:/scans/").is_err());
//! ```

pub mod filename;
pub mod label;
pub mod name;
pub mod strftime;
pub mod upload_to;
mod word_table;

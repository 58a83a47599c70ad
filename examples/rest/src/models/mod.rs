//! The app's tables. `_entities` is what `cargo loco db entities` writes (and rewrites); the
//! files next to it are the app's own.

// Generated code: no docs, and never edited.
#[allow(missing_docs)]
pub mod _entities;
pub mod contracts;
pub mod invoices;
pub mod users;

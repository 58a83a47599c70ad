//! The audit's SeaORM entities, one per table (created by
//! [`Migration`](crate::migration::Migration)). Times are unix milliseconds (UTC), the same
//! column type on SQLite and PostgreSQL, compared as numbers by the time-range queries.

pub mod drops;
pub mod events;

//! The store's SeaORM entities, one per table (created by
//! [`Migration`](crate::migration::Migration)). `user_id` is loco's `users.id`; every row
//! referring to a user or a group goes when that user or group is deleted.
//!
//! Change them through [`store`](crate::store), which keeps each grant held once; read them
//! freely.

pub mod group_members;
pub mod group_permissions;
pub mod groups;
pub mod session_epochs;
pub mod superusers;
pub mod user_permissions;

//! # privates-auth
//!
//! Who the user of a loco app is and what they hold, in the app's own database: Django's
//! `django.contrib.auth` permissions for [privates]. loco has users and JWT
//! sessions but no permissions; this crate adds them without altering loco's `users` table.
//!
//! - [`migration::Migration`] creates the tables (`privates_groups`, `privates_group_members`,
//!   `privates_user_permissions`, `privates_group_permissions`, `privates_superusers`,
//!   `privates_session_epochs`), keyed by loco's `users.id`; deleting a user deletes
//!   everything they held. [`entities`] are their SeaORM entities.
//! - [`StoreAuthorizer`] is the [`privates::Authorizer`] over loco's JWT ([`jwt`]): one query
//!   per request reads the user, whether they are a superuser and every permission they hold,
//!   directly or through a group. Nothing is cached, so a revoke takes effect on the next
//!   request. [`StoreUser`] is also an axum extractor for the app's own handlers.
//! - [`directory`] lists the users with what each holds at a glance, and the groups, for an
//!   admin page (privates-admin's users page, guarded by [`CHANGE_USER`]).
//! - [`session`] mints tokens that end when the user logs out everywhere.
//! - [`store`] changes what users hold (grants, groups, members, superusers) and reports it;
//!   [`tasks`] are the same operations as `cargo loco task` commands, refusing permissions
//!   that no registered model uses ([`KnownPermissions`]).

pub mod authorizer;
pub mod directory;
pub mod entities;
pub mod error;
pub mod jwt;
pub mod known;
pub mod migration;
pub mod session;
pub mod store;
pub mod tasks;

mod held;
mod users;

pub use authorizer::{StoreAuthorizer, StoreUser};
pub use error::Error;
pub use known::{CHANGE_USER, KnownPermissions};
pub use store::{UserHoldings, UserRef};

//! Users who log in to the admin.

use sea_orm::entity::prelude::*;

/// A user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Public id, carried in the session token.
    #[sea_orm(unique)]
    pub pid: Uuid,
    /// Login name.
    #[sea_orm(unique)]
    pub email: String,
    /// Argon2 hash of the password.
    pub password: String,
}

/// Relations of users (the permission store's tables point at them, see `privates_auth`).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

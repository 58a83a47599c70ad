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
    /// Holds every permission.
    pub is_superuser: bool,
    /// Bumped when the user logs out: session tokens carrying an older version are refused
    /// (see `controllers::session`).
    pub session_version: i32,
}

/// Relations of users.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The permissions the user holds.
    #[sea_orm(has_many = "super::user_permissions::Entity")]
    Permissions,
}

impl Related<super::user_permissions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Permissions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

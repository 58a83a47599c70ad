//! `privates_user_permissions`: permissions granted to a user directly (Django's
//! `auth_user_user_permissions`).

use sea_orm::entity::prelude::*;

/// One permission held by one user, at most once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_user_permissions")]
pub struct Model {
    /// The user (loco's `users.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The permission, `app_label.codename`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub permission: String,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

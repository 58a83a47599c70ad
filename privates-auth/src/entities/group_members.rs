//! `privates_group_members`: who is in which group (Django's `auth_user_groups`).

use sea_orm::entity::prelude::*;

/// One user in one group; a user is in a group at most once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_group_members")]
pub struct Model {
    /// The user (loco's `users.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i32,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

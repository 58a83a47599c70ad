//! `privates_group_permissions`: permissions granted to a group, held by its members (Django's
//! `auth_group_permissions`).

use sea_orm::entity::prelude::*;

/// One permission held by one group, at most once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_group_permissions")]
pub struct Model {
    /// The group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i32,
    /// The permission, `app_label.codename`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub permission: String,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

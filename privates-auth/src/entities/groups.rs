//! `privates_groups`: named sets of users (Django's `auth_group`).

use sea_orm::entity::prelude::*;

/// A group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_groups")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The group's name, unique.
    #[sea_orm(unique)]
    pub name: String,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `privates_superusers`: users who hold every permission (Django's `is_superuser`), kept
//! apart so loco's `users` table stays as loco made it.

use sea_orm::entity::prelude::*;

/// A superuser.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_superusers")]
pub struct Model {
    /// The user (loco's `users.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

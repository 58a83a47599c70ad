//! `privates_session_epochs`: each user's session epoch. A session token carries the epoch it
//! was minted in; logging out everywhere moves the epoch on, which ends every earlier token
//! (see [`session`](crate::session)). No row means epoch 0.

use sea_orm::entity::prelude::*;

/// A user's current session epoch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privates_session_epochs")]
pub struct Model {
    /// The user (loco's `users.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The epoch current tokens must carry.
    pub epoch: i32,
}

/// No relations are declared; the store joins explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Users (loco's `users` table): who logs in. What they may do lives in privates-auth's store.

pub use super::_entities::users::{ActiveModel, Column, Entity, Model};

impl sea_orm::ActiveModelBehavior for ActiveModel {}

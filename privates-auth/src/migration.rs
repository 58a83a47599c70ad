//! The store's tables, as one migration the app adds to its own `Migrator`:
//!
//! ```ignore
//! impl MigratorTrait for Migrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         vec![
//!             Box::new(m20220101_000001_users::Migration),
//!             Box::new(privates_auth::migration::Migration), // after loco's `users`
//!         ]
//!     }
//! }
//! ```
//!
//! It needs loco's `users` table (integer `id`) and never alters it: every table refers to
//! `users.id` with `ON DELETE CASCADE`, so deleting a user deletes what they held, and each
//! grant and membership is unique (a primary key), so it is held once.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    entities::{
        group_members, group_permissions, groups, session_epochs, superusers, user_permissions,
    },
    users::Users,
};

/// Creates the `privates_*` tables (and drops them on `down`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &'static str {
        "m20261206_000001_privates_auth"
    }
}

/// `column` refers to loco's `users.id`; the row goes with the user.
fn user_key(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// `column` refers to a group; the row goes with the group.
fn group_key(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(column)
        .to(groups::Entity, groups::Column::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

// The trait's own signature elides `SchemaManager<'_>`; spelling it out does not match.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(groups::Entity)
                    .col(pk_auto(groups::Column::Id))
                    .col(string_uniq(groups::Column::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(group_members::Entity)
                    .col(integer(group_members::Column::UserId))
                    .col(integer(group_members::Column::GroupId))
                    .primary_key(
                        Index::create()
                            .col(group_members::Column::UserId)
                            .col(group_members::Column::GroupId),
                    )
                    .foreign_key(&mut user_key(
                        group_members::Entity,
                        group_members::Column::UserId,
                    ))
                    .foreign_key(&mut group_key(
                        group_members::Entity,
                        group_members::Column::GroupId,
                    ))
                    .to_owned(),
            )
            .await?;
        // A group's members (listing them, and the cascade when the group goes).
        manager
            .create_index(
                Index::create()
                    .name("privates_group_members_group_id")
                    .table(group_members::Entity)
                    .col(group_members::Column::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(user_permissions::Entity)
                    .col(integer(user_permissions::Column::UserId))
                    .col(string(user_permissions::Column::Permission))
                    .primary_key(
                        Index::create()
                            .col(user_permissions::Column::UserId)
                            .col(user_permissions::Column::Permission),
                    )
                    .foreign_key(&mut user_key(
                        user_permissions::Entity,
                        user_permissions::Column::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(group_permissions::Entity)
                    .col(integer(group_permissions::Column::GroupId))
                    .col(string(group_permissions::Column::Permission))
                    .primary_key(
                        Index::create()
                            .col(group_permissions::Column::GroupId)
                            .col(group_permissions::Column::Permission),
                    )
                    .foreign_key(&mut group_key(
                        group_permissions::Entity,
                        group_permissions::Column::GroupId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(superusers::Entity)
                    .col(integer(superusers::Column::UserId).primary_key())
                    .foreign_key(&mut user_key(
                        superusers::Entity,
                        superusers::Column::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(session_epochs::Entity)
                    .col(integer(session_epochs::Column::UserId).primary_key())
                    .col(integer(session_epochs::Column::Epoch).default(0))
                    .foreign_key(&mut user_key(
                        session_epochs::Entity,
                        session_epochs::Column::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Referring tables first.
        for table in [
            session_epochs::Entity.into_iden(),
            superusers::Entity.into_iden(),
            group_permissions::Entity.into_iden(),
            user_permissions::Entity.into_iden(),
            group_members::Entity.into_iden(),
            groups::Entity.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

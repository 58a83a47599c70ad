//! The audit's tables, as one migration the app adds to its own `Migrator`:
//!
//! ```ignore
//! impl MigratorTrait for Migrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         vec![
//!             Box::new(m20220101_000001_users::Migration),
//!             Box::new(privates_audit::migration::Migration),
//!         ]
//!     }
//! }
//! ```
//!
//! It refers to no other table: an event outlives the user and the object it names, as an
//! audit record must.

use sea_orm_migration::{prelude::*, schema::*};

use crate::entities::{drops, events};

/// Creates `privates_audit_events` and `privates_audit_drops` (and drops them on `down`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &'static str {
        "m20261206_000002_privates_audit"
    }
}

// The trait's own signature elides `SchemaManager<'_>`; spelling it out does not match.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use events::Column as E;
        manager
            .create_table(
                Table::create()
                    .table(events::Entity)
                    .col(big_pk_auto(E::Id))
                    .col(big_integer(E::AtMs))
                    .col(string(E::Who))
                    .col(string_null(E::UserId))
                    .col(big_integer_null(E::LinkExpires))
                    .col(string(E::App))
                    .col(string(E::Model))
                    .col(string(E::Pk))
                    .col(string(E::Field))
                    .col(string_null(E::Name))
                    .col(integer(E::Status))
                    .col(string_null(E::RefusedBy))
                    .col(string_null(E::Backend))
                    .col(string_null(E::Client))
                    .col(string_null(E::RequestId))
                    .to_owned(),
            )
            .await?;
        // The three ways the events are read: by object (the admin page), by user, by time
        // (and the retention cleanup).
        for (name, columns) in [
            (
                "privates_audit_events_object",
                &[E::App, E::Model, E::Pk][..],
            ),
            ("privates_audit_events_user", &[E::UserId][..]),
            ("privates_audit_events_at", &[E::AtMs][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table(events::Entity);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(drops::Entity)
                    .col(big_pk_auto(drops::Column::Id))
                    .col(big_integer(drops::Column::AtMs))
                    .col(big_integer(drops::Column::Count))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [drops::Entity.into_iden(), events::Entity.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

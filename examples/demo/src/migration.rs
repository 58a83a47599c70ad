//! The demo's schema.

use sea_orm_migration::{prelude::*, schema::*};

/// All migrations of the demo.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        // The permission store's tables point at `users`, so they come after it.
        vec![
            Box::new(CreateTables),
            Box::new(privates_auth::migration::Migration),
            Box::new(privates_audit::migration::Migration),
        ]
    }
}

#[derive(DeriveMigrationName)]
struct CreateTables;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Pid,
    Email,
    Password,
}

#[derive(DeriveIden)]
enum IdDocuments {
    Table,
    Id,
    Title,
    Pdf,
    Mugshot,
}

// The trait's own signature elides `SchemaManager<'_>`; spelling it out does not match.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_auto(Users::Id))
                    .col(uuid_uniq(Users::Pid))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Password))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdDocuments::Table)
                    .if_not_exists()
                    .col(pk_auto(IdDocuments::Id))
                    .col(string(IdDocuments::Title))
                    .col(string_null(IdDocuments::Pdf))
                    .col(string(IdDocuments::Mugshot))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [IdDocuments::Table.into_iden(), Users::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

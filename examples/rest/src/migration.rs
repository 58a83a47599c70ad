//! The schema: loco's `users`, the two models, and privates-auth's tables (which point at
//! `users`, so they come after it).

use sea_orm_migration::{prelude::*, schema::*};

/// All migrations of the app.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateTables),
            Box::new(privates_auth::migration::Migration),
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
enum Invoices {
    Table,
    Id,
    Title,
    Scan,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    Title,
    Document,
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
                    .table(Invoices::Table)
                    .if_not_exists()
                    .col(pk_auto(Invoices::Id))
                    .col(string(Invoices::Title))
                    .col(string_null(Invoices::Scan))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .if_not_exists()
                    .col(uuid(Contracts::Id).primary_key())
                    .col(string(Contracts::Title))
                    .col(string_null(Contracts::Document))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Contracts::Table.into_iden(),
            Invoices::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

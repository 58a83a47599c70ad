//! The demo's schema.

use sea_orm_migration::{prelude::*, schema::*};

/// All migrations of the demo.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateTables), Box::new(AddSessionVersion)]
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
    IsSuperuser,
    SessionVersion,
}

/// `users.session_version`: logging out bumps it, which ends the user's session tokens on
/// the server.
struct AddSessionVersion;

// `DeriveMigrationName` names a migration after its file: this one needs its own name.
impl MigrationName for AddSessionVersion {
    fn name(&self) -> &'static str {
        "m20261206_000001_add_users_session_version"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for AddSessionVersion {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::SessionVersion).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::SessionVersion)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum UserPermissions {
    Table,
    Id,
    UserId,
    Permission,
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
                    .col(boolean(Users::IsSuperuser).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserPermissions::Table)
                    .if_not_exists()
                    .col(pk_auto(UserPermissions::Id))
                    .col(integer(UserPermissions::UserId))
                    .col(string(UserPermissions::Permission))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserPermissions::Table, UserPermissions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_permissions_user_permission")
                    .table(UserPermissions::Table)
                    .col(UserPermissions::UserId)
                    .col(UserPermissions::Permission)
                    .unique()
                    .if_not_exists()
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
        for table in [
            IdDocuments::Table.into_iden(),
            UserPermissions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

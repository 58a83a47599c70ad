//! Contracts: UUID keys, the derive on the model itself (a model the app writes by hand).

use privates::PrivateMedia;
use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A contract and its signed document.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia, Serialize)]
#[sea_orm(table_name = "contracts")]
#[private_media(app = "legal", model = "contract", url_prefix = "/api/files")]
pub struct Model {
    /// The key, minted by the app at creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What the contract is about.
    pub title: String,
    /// The signed document: a PDF of at most 1 MiB.
    #[private_media(
        file,
        upload_to = "contracts/",
        content_types = ["application/pdf"],
        max_size = "1 MiB"
    )]
    pub document: Option<String>,
}

/// Relations (none).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

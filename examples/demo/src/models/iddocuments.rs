//! ID documents: a PDF and a mugshot, both private.

use privates::PrivateMedia;
use sea_orm::entity::prelude::*;

/// An ID document. The two private fields hold stored names inside the private storage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
#[sea_orm(table_name = "id_documents")]
#[private_media(app = "docs", model = "iddocument")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What the document is.
    pub title: String,
    /// The scanned document.
    #[private_media(file, content_types = ["application/pdf"], max_size = "20 MiB")]
    pub pdf: Option<String>,
    /// The holder's photo. Its downloads need a permission of their own,
    /// `docs.view_mugshot`, instead of the model's (a per-field `permission`).
    #[private_media(
        image,
        upload_to = "mugshots/%Y/",
        max_size = "5 MiB",
        permission = "docs.view_mugshot"
    )]
    pub mugshot: String,
}

/// Relations (none).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Invoices: integer keys, the entity as `cargo loco db entities` generates it
//! (`_entities/invoices.rs`, untouched), the private field declared on a mirror here.

use privates::PrivateMedia;

pub use super::_entities::invoices::{ActiveModel, Column, Entity, Model};

impl sea_orm::ActiveModelBehavior for ActiveModel {}

/// The private fields of [`Model`]: the key and the scanned invoice. Never built; the derive
/// implements everything for `Model` (`Model::SCAN`, `invoice.scan_url()`, its download
/// route) and the compiler checks these fields against the entity's.
#[derive(PrivateMedia)]
#[private_media(
    remote = super::_entities::invoices::Model,
    app = "billing",
    url_prefix = "/api/files"
)]
pub struct InvoiceMedia {
    /// The entity's key.
    pub id: i32,
    /// The scanned invoice: a PDF of at most 1 MiB.
    #[private_media(
        file,
        upload_to = "invoices/%Y/",
        content_types = ["application/pdf"],
        max_size = "1 MiB"
    )]
    pub scan: Option<String>,
}

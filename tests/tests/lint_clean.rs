//! The derive's expansion is lint-clean: this file denies every warning and clippy's pedantic
//! group, and derives on a plain struct with every key, a `SeaORM` entity, `SeaORM` 2.0's
//! `#[sea_orm::model]`, and crate-private and raw-identifier names. `cargo clippy
//! --all-targets` (CI) compiles it under clippy.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]

use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

/// Uploads of `scan` go into a folder named after the file's first letter.
fn by_initial(name: &str) -> String {
    format!("{}/{name}", name.chars().next().unwrap_or('_'))
}

/// Every struct key and every field key.
#[derive(Debug, PrivateMedia)]
#[private_media(
    app = "billing",
    model = "invoice",
    permission = "billing.view_invoice",
    pk = number,
    url_prefix = "/staff",
    find = none,
    crate = "::privates"
)]
pub struct Invoice {
    /// The key.
    pub number: u64,
    /// The PDF.
    #[private_media(file, upload_to = "invoices/%Y/", attachment, filename = "invoice.pdf")]
    #[private_media(mimetype = "application/pdf", max_size = "1.5 MiB")]
    #[private_media(content_types = ["application/pdf"])]
    pub pdf: String,
    /// A scan.
    #[private_media(image, upload_to = by_initial, permission = "billing.view_scan")]
    pub scan: Option<String>,
    /// Kept, never served.
    #[private_media(file, no_download)]
    pub r#type: Option<String>,
}

#[async_trait::async_trait]
impl FindByPk for Invoice {
    async fn find_by_pk(_: &AppContext, _: &u64) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

/// `SeaORM` entities.
pub mod entities {
    /// The classic form.
    pub mod document {
        use privates::PrivateMedia;
        use sea_orm::entity::prelude::*;

        /// A document row.
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
        #[sea_orm(table_name = "document")]
        pub struct Model {
            /// The key.
            #[sea_orm(primary_key)]
            pub id: i32,
            /// The owner.
            pub user_id: i32,
            /// The file.
            #[private_media(file)]
            pub file: Option<String>,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `SeaORM` 2.0's form.
    pub mod user {
        use privates::PrivateMedia;
        use sea_orm::entity::prelude::*;

        /// A user row, in `SeaORM` 2.0's form (`Model` and `ModelEx`).
        #[sea_orm::model]
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
        #[sea_orm(table_name = "user")]
        #[private_media(app = "accounts")]
        pub struct Model {
            /// The key.
            #[sea_orm(primary_key)]
            pub id: i32,
            /// The avatar.
            #[private_media(image, upload_to = "avatars/%Y/")]
            pub avatar: String,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// A crate-private plain struct: the generated items follow its visibility.
#[derive(PrivateMedia)]
pub(crate) struct Note {
    pub(crate) id: i32,
    #[private_media(file)]
    pub(crate) attachment: String,
}

#[test]
fn expansions_are_used() {
    let invoice = Invoice {
        number: 1,
        pdf: "a.pdf".to_owned(),
        scan: None,
        r#type: None,
    };
    assert_eq!(
        invoice.pdf_url().as_deref(),
        Some("/staff/billing/invoice/1/pdf/")
    );
    assert!(invoice.scan_url().is_none());
    assert!(invoice.type_url().is_none());
    assert_eq!(Invoice::SCAN.name(), "scan");
    assert_eq!(Invoice::TYPE.name(), "type");
    let _ = privates::routing::model_routes::<Invoice>();
    let _ = privates::routing::model_routes::<entities::document::Model>();
    let _ = privates::routing::model_routes::<entities::user::Model>();
    let _ = privates::routing::model_routes::<entities::user::ModelEx>();
    assert_eq!(entities::user::ModelEx::AVATAR.name(), "avatar");
    let note = Note {
        id: 1,
        attachment: String::new(),
    };
    assert!(note.attachment_url().is_none());
    assert_eq!(Note::ATTACHMENT.name(), "attachment");
    assert_eq!(note.pk(), note.id);
}

//! A SeaORM entity in the classic `DeriveEntityModel` form: `FindByPk` is derived, the model
//! label comes from `model` here, and `pk` from `#[sea_orm(primary_key)]`.
#![deny(warnings)]

mod id_document {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "id_documents")]
    #[private_media(app = "docs", model = "iddocument")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub document_id: i32,
        pub owner: String,
        #[private_media(file, attachment, content_types = ["application/pdf"], max_size = "10 MiB")]
        pub pdf: Option<String>,
        #[private_media(image, upload_to = "mugshots/%Y/", permission = "docs.view_mugshots")]
        pub mugshot: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A second entity in the same crate: the derive generates no free-standing item, so two
/// models named `Model` coexist.
mod scan {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "scan")]
    #[private_media(app = "docs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[private_media(image)]
        pub image: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use privates::{FindByPk, PrivateMedia};

fn assert_find_by_pk<M: FindByPk>() {}

fn main() {
    assert_find_by_pk::<id_document::Model>();
    assert_find_by_pk::<scan::Model>();
    assert_eq!(id_document::Model::PERMISSION, "docs.can_change_iddocument");
    assert_eq!(scan::Model::MODEL, "scan");
    assert_eq!(scan::Model::PERMISSION, "docs.can_change_scan");
    let pdf = id_document::Model::PDF.spec;
    assert!(pdf.view.attachment);
    assert_eq!(pdf.limits.max_size, Some(10 * 1024 * 1024));
    assert_eq!(pdf.limits.content_types, ["application/pdf"]);
    assert_eq!(
        id_document::Model::permission_for(&id_document::Model::MUGSHOT),
        "docs.view_mugshots"
    );
    let doc = id_document::Model {
        document_id: 3,
        owner: "ann".to_owned(),
        pdf: Some(String::new()),
        mugshot: "mugshots/2024/ann.png".to_owned(),
    };
    assert_eq!(doc.pk(), 3);
    // An empty string counts as empty, as in Django.
    assert_eq!(doc.pdf_url(), None);
    assert_eq!(
        doc.mugshot_url().as_deref(),
        Some("/admin/docs/iddocument/3/mugshot/")
    );
    let _routes = privates::routing::model_routes::<id_document::Model>();
}

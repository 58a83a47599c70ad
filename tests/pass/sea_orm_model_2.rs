//! SeaORM 2.0's `#[sea_orm::model]` form, with relations: the attribute macro emits `Model` and
//! `ModelEx` and applies the derives to both; both expansions compile, and both find by key.
#![deny(warnings)]

mod user {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "user")]
    #[private_media(app = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        #[private_media(image, upload_to = "avatars/%Y/%m/")]
        pub avatar: Option<String>,
        #[sea_orm(has_many)]
        pub documents: HasMany<super::document::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod document {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "document")]
    #[private_media(app = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        #[private_media(file, no_download)]
        pub original: String,
        #[private_media(file, filename = "document.pdf", mimetype = "application/pdf")]
        pub pdf: String,
        #[sea_orm(belongs_to, from = "user_id", to = "id")]
        pub user: BelongsTo<super::user::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

use privates::{FindByPk, PrivateMedia};

fn assert_find_by_pk<M: FindByPk>() {}

fn main() {
    assert_find_by_pk::<user::Model>();
    assert_find_by_pk::<user::ModelEx>();
    assert_find_by_pk::<document::Model>();
    assert_find_by_pk::<document::ModelEx>();
    // Both structs describe the same table.
    assert_eq!(user::Model::MODEL, "user");
    assert_eq!(user::ModelEx::MODEL, "user");
    assert_eq!(document::ModelEx::PERMISSION, "accounts.can_change_document");
    assert_eq!(user::ModelEx::AVATAR.name(), "avatar");

    let doc = document::Model {
        id: 5,
        user_id: 1,
        original: "originals/5.docx".to_owned(),
        pdf: "pdfs/5.pdf".to_owned(),
    };
    assert_eq!(doc.original_url(), None);
    assert_eq!(doc.pdf_url().as_deref(), Some("/admin/accounts/document/5/pdf/"));
    assert_eq!(document::Model::PDF.spec.view.filename, Some("document.pdf"));
    let ex = doc.into_ex();
    assert_eq!(ex.pdf_url().as_deref(), Some("/admin/accounts/document/5/pdf/"));
    let _routes = privates::routing::model_routes::<document::Model>();
}

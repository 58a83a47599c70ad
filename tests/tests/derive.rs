//! What `#[derive(PrivateMedia)]` generates, checked at run time: labels, the field table, keys,
//! URLs, and the derived `FindByPk` against a real SQLite database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use loco_rs::{app::AppContext, environment::Environment};
use privates::{FieldKind, FindByPk, PrivateMedia, UploadTo};
use sea_orm::{ConnectionTrait, Database};

mod id_document {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "id_documents")]
    #[private_media(app = "docs", model = "iddocument")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[private_media(file, upload_to = "scans/%Y/%m/", max_size = "10 MiB")]
        #[private_media(content_types = ["application/pdf"])]
        pub pdf: Option<String>,
        #[private_media(image, permission = "docs.view_mugshot", attachment)]
        pub mugshot: String,
        pub owner: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

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
        #[private_media(image)]
        pub avatar: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A plain struct: no SeaORM, the app label defaults to the crate name.
#[derive(Debug, PrivateMedia)]
pub struct Contract {
    pub id: u64,
    #[private_media(file, no_download)]
    pub signed: String,
}

async fn context() -> AppContext {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    for sql in [
        "CREATE TABLE id_documents (id INTEGER PRIMARY KEY, pdf TEXT NULL, mugshot TEXT NOT NULL, \
         owner TEXT NOT NULL)",
        "INSERT INTO id_documents VALUES (7, 'scans/2024/01/7.pdf', 'm/7.png', 'ann')",
        "CREATE TABLE user (id INTEGER PRIMARY KEY, avatar TEXT NULL)",
        "INSERT INTO user VALUES (3, 'avatars/3.png')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    let base = loco_rs::tests_cfg::app::get_app_context().await;
    AppContext::builder(Environment::Test, db, base.config.clone()).build()
}

#[test]
fn labels_and_permissions() {
    use id_document::Model as Doc;
    assert_eq!(Doc::APP, "docs");
    assert_eq!(Doc::MODEL, "iddocument");
    assert_eq!(Doc::PERMISSION, "docs.can_change_iddocument");
    assert_eq!(Doc::URL_PREFIX, "/admin");
    assert_eq!(Doc::permission_for(&Doc::PDF), "docs.can_change_iddocument");
    assert_eq!(Doc::permission_for(&Doc::MUGSHOT), "docs.view_mugshot");

    assert_eq!(Contract::APP, env!("CARGO_CRATE_NAME"));
    assert_eq!(Contract::MODEL, "contract");
    assert_eq!(
        Contract::PERMISSION,
        concat!(env!("CARGO_CRATE_NAME"), ".can_change_contract")
    );
}

#[test]
fn field_table() {
    use id_document::Model as Doc;
    let names: Vec<_> = Doc::fields().iter().map(|field| field.name()).collect();
    assert_eq!(names, ["pdf", "mugshot"], "only annotated fields, in order");
    let pdf = Doc::PDF.spec;
    assert_eq!(pdf.kind, FieldKind::File);
    assert!(pdf.optional);
    assert!(matches!(pdf.upload_to, UploadTo::Pattern("scans/%Y/%m/")));
    assert_eq!(pdf.limits.max_size, Some(10 << 20));
    assert_eq!(pdf.limits.content_types, ["application/pdf"]);
    let mugshot = Doc::MUGSHOT.spec;
    assert_eq!(mugshot.kind, FieldKind::Image);
    assert!(!mugshot.optional);
    assert!(mugshot.view.attachment);
    assert!(matches!(mugshot.upload_to, UploadTo::Root));
    assert_eq!(Doc::field("mugshot").map(|f| f.name()), Some("mugshot"));
    assert!(Doc::field("owner").is_none());
    assert!(Contract::SIGNED.spec.no_download);
}

#[test]
fn keys_stored_names_and_urls() {
    let doc = id_document::Model {
        id: 7,
        pdf: Some("scans/2024/01/7.pdf".to_owned()),
        mugshot: String::new(),
        owner: "ann".to_owned(),
    };
    assert_eq!(doc.pk(), 7);
    assert_eq!(
        id_document::Model::PDF.stored_name(&doc),
        Some("scans/2024/01/7.pdf")
    );
    assert_eq!(id_document::Model::MUGSHOT.stored_name(&doc), None);
    assert_eq!(
        doc.pdf_url().as_deref(),
        Some("/admin/docs/iddocument/7/pdf/")
    );
    assert_eq!(doc.mugshot_url(), None);

    let contract = Contract {
        id: 1,
        signed: "c.pdf".to_owned(),
    };
    assert_eq!(contract.pk(), 1);
    assert_eq!(contract.signed_url(), None, "no_download has no URL");
    assert_eq!(Contract::SIGNED.stored_name(&contract), Some("c.pdf"));
}

#[tokio::test]
async fn derived_find_by_pk_reads_the_database() {
    let ctx = context().await;
    let doc = id_document::Model::find_by_pk(&ctx, &7)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc.owner, "ann");
    assert_eq!(doc.pdf.as_deref(), Some("scans/2024/01/7.pdf"));
    assert!(
        id_document::Model::find_by_pk(&ctx, &8)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn both_expansions_of_sea_orm_model_find_by_pk() {
    let ctx = context().await;
    let model = user::Model::find_by_pk(&ctx, &3).await.unwrap().unwrap();
    assert_eq!(model.avatar.as_deref(), Some("avatars/3.png"));
    let ex = user::ModelEx::find_by_pk(&ctx, &3).await.unwrap().unwrap();
    assert_eq!(ex.avatar.as_deref(), Some("avatars/3.png"));
    assert_eq!(
        ex.avatar_url().as_deref(),
        Some("/admin/accounts/user/3/avatar/")
    );
    assert!(user::ModelEx::find_by_pk(&ctx, &4).await.unwrap().is_none());
}

#[tokio::test]
async fn database_errors_are_errors_not_none() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let base = loco_rs::tests_cfg::app::get_app_context().await;
    let ctx = AppContext::builder(Environment::Test, db, base.config.clone()).build();
    // No table: the store fails, which the view answers with 500, never a silent 404.
    assert!(id_document::Model::find_by_pk(&ctx, &7).await.is_err());
}

//! Defaults: the app label is the crate's name, the model label the lower-case struct name (or
//! the SeaORM table name as written), the permission `{app}.can_change_{model}`.
#![deny(warnings)]

use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

#[derive(PrivateMedia)]
pub struct IdDocument {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

#[async_trait::async_trait]
impl FindByPk for IdDocument {
    async fn find_by_pk(_: &AppContext, _: &i32) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

mod scan {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "id_scans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[private_media(image)]
        pub image: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn main() {
    let app = env!("CARGO_CRATE_NAME");
    assert_eq!(IdDocument::APP, app);
    assert_eq!(IdDocument::MODEL, "iddocument");
    assert_eq!(IdDocument::PERMISSION, format!("{app}.can_change_iddocument"));
    assert_eq!(scan::Model::MODEL, "id_scans");
    assert_eq!(scan::Model::PERMISSION, format!("{app}.can_change_id_scans"));
    let doc = IdDocument { id: 1, pdf: "a.pdf".to_owned() };
    assert_eq!(doc.pdf_url(), Some(format!("/admin/{app}/iddocument/1/pdf/")));
}

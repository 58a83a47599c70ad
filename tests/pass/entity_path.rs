//! `entity = ...`: the SeaORM entity lives under another name (the classic `DeriveEntity`
//! split), and `FindByPk` is derived through it on a struct without `#[sea_orm]` attributes.
#![deny(warnings)]

mod scan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scan")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub image: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use privates::{FindByPk, PrivateMedia};

/// A view of the `scan` rows, converted from the SeaORM model.
#[derive(Debug, PrivateMedia)]
#[private_media(app = "docs", entity = scan::Entity)]
pub struct ScanView {
    pub id: i32,
    #[private_media(image)]
    pub image: String,
}

impl From<scan::Model> for ScanView {
    fn from(model: scan::Model) -> Self {
        Self {
            id: model.id,
            image: model.image,
        }
    }
}

fn assert_find_by_pk<M: FindByPk>() {}

fn main() {
    assert_find_by_pk::<ScanView>();
    assert_eq!(ScanView::MODEL, "scanview");
}

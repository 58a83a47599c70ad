//! A model loco generates (`src/models/_entities/invoices.rs`, rewritten by `cargo loco db
//! entities`) declared private in the user-owned file through a mirror: the entity carries no
//! privates attribute, the mirror names the key and the private fields.
#![deny(warnings)]

mod models {
    pub mod _entities {
        /// As `cargo loco db entities` writes it: no privates attribute.
        pub mod invoices {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = "invoices")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub title: String,
                pub scan: String,
                pub receipt: Option<String>,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}
        }

        pub mod passports {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = "passports")]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub uuid: Uuid,
                pub photo: std::string::String,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}
        }
    }

    /// The user-owned file: regeneration never touches it.
    pub mod invoices {
        use privates::PrivateMedia;
        use sea_orm::entity::prelude::*;

        pub use super::_entities::invoices::{ActiveModel, Model};

        impl ActiveModelBehavior for ActiveModel {}

        #[derive(PrivateMedia)]
        #[private_media(remote = super::_entities::invoices::Model, app = "billing", admin)]
        pub struct InvoiceMedia {
            pub id: i32,
            #[private_media(file, upload_to = "invoices/%Y/", content_types = ["application/pdf"])]
            pub scan: String,
            #[private_media(image, permission = "billing.view_receipts")]
            pub receipt: Option<String>,
        }
    }

    pub mod passports {
        use privates::PrivateMedia;
        use sea_orm::entity::prelude::*;

        pub use super::_entities::passports::{ActiveModel, Model};

        impl ActiveModelBehavior for ActiveModel {}

        /// A key not called `id`, a type spelled by its path, labels given.
        #[derive(PrivateMedia)]
        #[private_media(
            remote = "super::_entities::passports::Model",
            app = "travel",
            model = "passport",
            pk = uuid
        )]
        pub struct PassportMedia {
            pub uuid: Uuid,
            #[private_media(image)]
            pub photo: String,
        }
    }
}

use models::{invoices, passports};
use privates::{FindByPk, PrivateMedia};

fn assert_find_by_pk<M: FindByPk>() {}

fn main() {
    assert_find_by_pk::<invoices::Model>();
    assert_find_by_pk::<passports::Model>();
    // The labels a derive on the entity would have had: the model label is the entity's module.
    assert_eq!(invoices::Model::APP, "billing");
    assert_eq!(invoices::Model::MODEL, "invoices");
    assert_eq!(invoices::Model::PERMISSION, "billing.can_change_invoices");
    let names: Vec<&str> = invoices::Model::fields()
        .iter()
        .map(privates::Field::name)
        .collect();
    assert_eq!(names, ["scan", "receipt"]);
    assert!(invoices::Model::RECEIPT.spec.optional);
    assert_eq!(
        invoices::Model::permission_for(&invoices::Model::RECEIPT),
        "billing.view_receipts"
    );
    let invoice = invoices::Model {
        id: 7,
        title: "March".to_owned(),
        scan: "invoices/2024/march.pdf".to_owned(),
        receipt: None,
    };
    assert_eq!(invoice.pk(), 7);
    assert_eq!(
        invoice.scan_url().as_deref(),
        Some("/admin/billing/invoices/7/scan/")
    );
    assert_eq!(invoice.receipt_url(), None);
    let _widget = invoice.scan_widget();
    let _routes = privates::routing::model_routes::<invoices::Model>();

    let passport = passports::Model {
        uuid: "01234567-89ab-cdef-0123-456789abcdef".parse().unwrap_or_default(),
        photo: "p.png".to_owned(),
    };
    assert_eq!(
        passport.photo_url().as_deref(),
        Some("/admin/travel/passport/01234567-89ab-cdef-0123-456789abcdef/photo/")
    );
}

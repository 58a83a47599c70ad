//! String primary keys: a SeaORM entity keyed by a slug, and a plain struct whose key is not
//! called `id` (named with `pk`), served under its own `url_prefix`.
#![deny(warnings)]

mod report {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "report")]
    #[private_media(app = "finance", permission = "finance.view_report", url_prefix = "/files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        #[private_media(file)]
        pub file: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

#[derive(PrivateMedia)]
#[private_media(app = "hr", model = "contract", pk = code, url_prefix = "")]
pub struct Contract {
    pub code: String,
    #[private_media(file)]
    pub signed: Option<String>,
}

#[async_trait::async_trait]
impl FindByPk for Contract {
    async fn find_by_pk(_: &AppContext, _: &String) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

fn main() {
    assert_eq!(report::Model::URL_PREFIX, "/files");
    assert_eq!(report::Model::PERMISSION, "finance.view_report");
    let report = report::Model {
        slug: "q3-2024".to_owned(),
        file: "reports/q3.pdf".to_owned(),
    };
    assert_eq!(report.pk(), "q3-2024");
    assert_eq!(report.file_url().as_deref(), Some("/files/finance/report/q3-2024/file/"));

    let contract = Contract {
        code: "c-1".to_owned(),
        signed: Some("contracts/c-1.pdf".to_owned()),
    };
    assert_eq!(contract.pk(), "c-1");
    assert_eq!(contract.signed_url().as_deref(), Some("/hr/contract/c-1/signed/"));
}

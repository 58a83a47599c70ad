//! A plain struct (no SeaORM): `FindByPk` is written by hand.
#![deny(warnings)]

use loco_rs::app::AppContext;
use privates::{FieldKind, FindByPk, PrivateMedia};

#[derive(Debug, PrivateMedia)]
#[private_media(app = "docs", model = "iddocument")]
pub struct IdDocument {
    pub id: i64,
    #[private_media(file)]
    pub pdf: Option<String>,
    #[private_media(image, upload_to = "mugshots/%Y/")]
    pub mugshot: String,
}

#[async_trait::async_trait]
impl FindByPk for IdDocument {
    async fn find_by_pk(_ctx: &AppContext, pk: &i64) -> loco_rs::Result<Option<Self>> {
        Ok((*pk == 7).then(|| IdDocument {
            id: 7,
            pdf: None,
            mugshot: "mugshots/2024/a.png".to_owned(),
        }))
    }
}

fn main() {
    assert_eq!(IdDocument::APP, "docs");
    assert_eq!(IdDocument::MODEL, "iddocument");
    assert_eq!(IdDocument::PERMISSION, "docs.can_change_iddocument");
    assert_eq!(IdDocument::URL_PREFIX, "/admin");
    let names: Vec<&str> = IdDocument::fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["pdf", "mugshot"]);
    assert!(IdDocument::PDF.spec.optional);
    assert_eq!(IdDocument::MUGSHOT.spec.kind, FieldKind::Image);

    let doc = IdDocument {
        id: 7,
        pdf: None,
        mugshot: "mugshots/2024/a.png".to_owned(),
    };
    assert_eq!(doc.pk(), 7);
    assert_eq!(doc.pdf_url(), None);
    assert_eq!(
        doc.mugshot_url().as_deref(),
        Some("/admin/docs/iddocument/7/mugshot/")
    );
    assert_eq!(IdDocument::MUGSHOT.stored_name(&doc), Some("mugshots/2024/a.png"));
    let _routes = privates::routing::model_routes::<IdDocument>();
}

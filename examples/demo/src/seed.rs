//! First start: three users and one sample document with its files.

use async_trait::async_trait;
use loco_rs::{
    app::{AppContext, Initializer},
    hash::hash_password,
};
use privates::{PrivateMedia, Privates, storage::StorageError};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};

use privates_auth::store;

use crate::models::{iddocuments, users};

/// The demo users: (email, password, superuser, permissions).
pub const USERS: [(&str, &str, bool, &[&str]); 3] = [
    ("admin@example.com", "admin", true, &[]),
    (
        "clerk@example.com",
        "clerk",
        false,
        // The model's permission, and the mugshot's own (a per-field `permission`).
        &[iddocuments::Model::PERMISSION, "docs.view_mugshot"],
    ),
    ("viewer@example.com", "viewer", false, &[]),
];

/// A one-page PDF that says "privates demo".
pub const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 80]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 44>>stream\nBT /F1 18 Tf 20 35 Td (privates demo) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A 1x1 red PNG.
pub const SAMPLE_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Seeds an empty database. Runs after the privates initializer, whose storage it uses.
pub struct SeedOnFirstStart;

#[async_trait]
impl Initializer for SeedOnFirstStart {
    fn name(&self) -> String {
        "demo-seed".to_string()
    }

    async fn before_run(&self, ctx: &AppContext) -> loco_rs::Result<()> {
        if users::Entity::find().count(&ctx.db).await? > 0 {
            return Ok(());
        }
        for (email, password, is_superuser, permissions) in USERS {
            let user = users::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                email: Set(email.to_string()),
                password: Set(hash_password(password)?),
                ..Default::default()
            }
            .insert(&ctx.db)
            .await?;
            store::set_superuser(&ctx.db, user.id, is_superuser).await?;
            for permission in permissions {
                store::grant_to_user(&ctx.db, user.id, permission).await?;
            }
        }
        let storage = Privates::from_ctx(ctx)?.files().clone();
        let once = |bytes: &'static [u8]| {
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))])
        };
        let pdf = storage
            .save("docs/sample passport.pdf", once(SAMPLE_PDF))
            .await
            .map_err(privates::Error::from)?;
        let mugshot_name = iddocuments::Model::MUGSHOT
            .spec
            .upload_to
            .name_for("sample.png")
            .map_err(|err| privates::Error::from(StorageError::from(err)))?;
        let mugshot = storage
            .save(&mugshot_name, once(SAMPLE_PNG))
            .await
            .map_err(privates::Error::from)?;
        iddocuments::ActiveModel {
            title: Set("Sample passport".to_string()),
            pdf: Set(Some(pdf)),
            mugshot: Set(mugshot),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await?;
        tracing::info!(
            "seeded the demo: admin@example.com/admin, clerk@example.com/clerk, viewer@example.com/viewer"
        );
        Ok(())
    }
}

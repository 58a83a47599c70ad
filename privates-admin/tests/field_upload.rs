//! Uploads from an app's own controller (`upload::FieldUpload`) over real HTTP, into a SeaORM
//! model in a real SQLite database: the permission first, the field's limits, the JSON (or
//! plain-text) error shape, the compare-and-set save, and no file left behind on any failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod common;

use axum::{
    Json,
    extract::{DefaultBodyLimit, Path, Request, State},
    routing::post,
};
use common::{CSRF_SECRET, HeaderUsers, noise_image, part, pdf_bytes, png_bytes};
use loco_rs::{app::AppContext, controller::Routes, environment::Environment};
use privates::{Privates, PrivatesConfig};
use privates_admin::{
    AdminSettings, AdminState,
    settings::CsrfSettings,
    upload::{FieldUpload, FieldUploadError},
};
use privates_testing::TempPrivateRoot;
use reqwest::{StatusCode, multipart::Form};
use sea_orm::{ConnectionTrait, Database, EntityTrait};
use serde_json::{Value, json};

mod invoice {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    /// The labels the shared `HeaderUsers` grants: `clerk` may change it, `viewer` may not.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "invoices")]
    #[private_media(app = "docs", model = "iddocument")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub title: String,
        #[private_media(file, upload_to = "scans/", content_types = ["application/pdf"], max_size = "64 KiB")]
        pub scan: Option<String>,
        #[private_media(image, upload_to = "photos/", max_size = "8 MiB")]
        pub photo: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use invoice::Model as Invoice;

/// loco's default `server.middlewares.limit`.
const LOCO_DEFAULT_LIMIT: usize = 2_000_000;

async fn upload_scan(
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, FieldUploadError> {
    let uploaded = FieldUpload::new(Invoice::SCAN)
        .receive(&ctx, &id, request)
        .await?;
    Ok(Json(json!({
        "scan": uploaded.file.name,
        "size": uploaded.file.size,
        "type": uploaded.file.content_type,
        "replaced": uploaded.replaced,
        "url": uploaded.object.scan_url(),
    })))
}

async fn upload_photo(
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, FieldUploadError> {
    let uploaded = FieldUpload::new(Invoice::PHOTO)
        .receive(&ctx, &id, request)
        .await?;
    Ok(Json(json!({ "photo": uploaded.object.photo })))
}

struct World {
    ctx: AppContext,
    root: TempPrivateRoot,
    base: String,
    client: reqwest::Client,
}

impl World {
    /// Invoice 1 holds `scans/old.pdf`; invoice 2 refuses every update (a trigger), as a
    /// database failing at the save would.
    async fn start() -> Self {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        for sql in [
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, title TEXT NOT NULL, scan TEXT NULL, \
             photo TEXT NOT NULL)",
            "INSERT INTO invoices VALUES (1, 'March', 'scans/old.pdf', 'photos/old.png')",
            "INSERT INTO invoices VALUES (2, 'April', 'scans/old.pdf', 'photos/old.png')",
            "CREATE TRIGGER no_update BEFORE UPDATE ON invoices WHEN old.id = 2 \
             BEGIN SELECT RAISE(ABORT, 'the row is locked'); END",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        let base = loco_rs::tests_cfg::app::get_app_context().await;
        let ctx = AppContext::builder(Environment::Test, db, base.config.clone()).build();
        let root = TempPrivateRoot::new().unwrap();
        let mut config = PrivatesConfig::default();
        root.apply(&mut config);
        Privates::new(config, HeaderUsers).unwrap().install(&ctx);
        let settings = AdminSettings {
            csrf: CsrfSettings {
                key: Some("a CSRF key for the privates-admin tests".to_owned()),
                session_cookie: Some("no-session".to_owned()),
                ..CsrfSettings::default()
            },
            ..AdminSettings::default()
        };
        AdminState::from_settings(&settings, &ctx.config)
            .unwrap()
            .install(&ctx);

        let routes = Routes::new()
            .add(
                "/api/invoices/{id}/scan",
                FieldUpload::new(Invoice::SCAN).route(post(upload_scan)),
            )
            .add(
                "/api/invoices/{id}/photo",
                FieldUpload::new(Invoice::PHOTO).route(post(upload_photo)),
            )
            // The same handler without the field's body limit: loco's 2 MB applies.
            .add(
                "/api/invoices/{id}/photo-at-loco-s-limit",
                post(upload_photo),
            );
        // loco's payload limit middleware wraps the whole router, as in an app.
        let router =
            privates_testing::router(routes, &ctx).layer(DefaultBodyLimit::max(LOCO_DEFAULT_LIMIT));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let world = Self {
            ctx,
            root,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        };
        world.write("scans/old.pdf", &pdf_bytes(100));
        world.write("photos/old.png", &png_bytes(2, 2));
        world
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.root.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Every file below the root, hidden (temporary) ones included.
    fn files(&self) -> Vec<String> {
        let mut files = Vec::new();
        let mut folders = vec![self.root.path().to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    let name = path.strip_prefix(self.root.path()).unwrap();
                    files.push(name.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files
    }

    async fn row(&self, id: i32) -> Invoice {
        invoice::Entity::find_by_id(id)
            .one(&self.ctx.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// POSTs `form` to `path` as `user` with a bearer-style `Authorization` header (no CSRF
    /// check applies), asking for JSON or not.
    async fn post(
        &self,
        path: &str,
        user: Option<&str>,
        json: bool,
        form: Form,
    ) -> (StatusCode, String) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("authorization", "Bearer a-token");
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        if json {
            request = request.header("accept", "application/json");
        }
        let response = request.multipart(form).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }
}

fn scan_form(bytes: Vec<u8>, name: &str) -> Form {
    Form::new().part("scan", part(bytes, name, "application/pdf"))
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {body}"))
}

#[tokio::test]
async fn an_upload_replaces_the_file_and_saves_the_row() {
    let world = World::start().await;
    let pdf = pdf_bytes(20_000);
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("clerk"),
            true,
            scan_form(pdf.clone(), "march invoice.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json_of(&body),
        json!({
            "scan": "scans/march_invoice.pdf",
            "size": 20_000,
            "type": "application/pdf",
            "replaced": "scans/old.pdf",
            "url": "/admin/docs/iddocument/1/scan/",
        })
    );
    assert_eq!(
        world.row(1).await.scan.as_deref(),
        Some("scans/march_invoice.pdf")
    );
    assert_eq!(
        std::fs::read(world.root.path().join("scans/march_invoice.pdf")).unwrap(),
        pdf
    );
    // The replaced file is gone once the row names the new one; nothing else is left.
    assert_eq!(world.files(), ["photos/old.png", "scans/march_invoice.pdf"]);
}

#[tokio::test]
async fn a_file_over_loco_s_payload_limit_passes_under_the_field_s_own() {
    let world = World::start().await;
    let photo = noise_image(1000, 1000, image::ImageFormat::Png);
    assert!(photo.len() > LOCO_DEFAULT_LIMIT, "{}", photo.len());
    let form = || Form::new().part("photo", part(photo.clone(), "big.png", "image/png"));
    let (status, _) = world
        .post(
            "/api/invoices/1/photo-at-loco-s-limit",
            Some("clerk"),
            true,
            form(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(world.row(1).await.photo, "photos/old.png");
    let (status, body) = world
        .post("/api/invoices/1/photo", Some("clerk"), true, form())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.row(1).await.photo, "photos/big.png");
    assert_eq!(
        std::fs::read(world.root.path().join("photos/big.png")).unwrap(),
        photo
    );
}

#[tokio::test]
async fn too_large_is_413_in_loco_s_json_shape_and_stores_nothing() {
    let world = World::start().await;
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("clerk"),
            true,
            scan_form(pdf_bytes(64 * 1024 + 1), "big.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        json_of(&body),
        json!({
            "error": "payload_too_large",
            "description": "The file for scan is too large; the limit is 65.5 KB.",
        })
    );
    assert_eq!(world.row(1).await.scan.as_deref(), Some("scans/old.pdf"));
    assert_eq!(world.files(), ["photos/old.png", "scans/old.pdf"]);
}

#[tokio::test]
async fn a_wrong_type_is_415_with_the_field_s_message_json_or_plain() {
    let world = World::start().await;
    // PNG bytes named and sent as a PDF: the sniffed type decides.
    let form = || scan_form(png_bytes(2, 2), "scan.pdf");
    let (status, body) = world
        .post("/api/invoices/1/scan", Some("clerk"), true, form())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let message = "Files of type image/png are not accepted here; accepted: application/pdf.";
    assert_eq!(
        json_of(&body),
        json!({
            "error": "unsupported_media_type",
            "description": message,
            "errors": { "scan": [message] },
        })
    );
    // A client that does not ask for JSON gets the message as text.
    let (status, body) = world
        .post("/api/invoices/1/scan", Some("clerk"), false, form())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body, message);
    // A file that is empty is refused as invalid (422), a form without the part is a 400.
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("clerk"),
            true,
            scan_form(Vec::new(), "empty.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(json_of(&body)["error"], "unprocessable_entity");
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("clerk"),
            true,
            Form::new().text("title", "no file"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        json_of(&body),
        json!({
            "error": "bad_request",
            "description": "the request has no file in the multipart part `scan`",
        })
    );
    assert_eq!(world.files(), ["photos/old.png", "scans/old.pdf"]);
    assert_eq!(world.row(1).await.scan.as_deref(), Some("scans/old.pdf"));
}

#[tokio::test]
async fn anonymous_is_401_and_without_permission_403_before_the_body_is_read() {
    let world = World::start().await;
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            None,
            true,
            scan_form(pdf_bytes(100), "a.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_of(&body),
        json!({ "error": "unauthorized", "description": "authentication required" })
    );
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("viewer"),
            true,
            scan_form(pdf_bytes(100), "a.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(&body),
        json!({ "error": "forbidden", "description": "permission denied" })
    );
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("viewer"),
            false,
            scan_form(pdf_bytes(100), "a.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, "permission denied");
    // The model's permission, but not this row (the authorizer's object-level check).
    let (status, body) = world
        .post(
            "/api/invoices/1/scan",
            Some("clerk-1"),
            true,
            scan_form(pdf_bytes(100), "a.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(&body),
        json!({ "error": "forbidden", "description": "permission denied" })
    );
    // An unknown row is a 404 once the permission is held.
    let (status, _) = world
        .post(
            "/api/invoices/99/scan",
            Some("clerk"),
            true,
            scan_form(pdf_bytes(100), "a.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(world.files(), ["photos/old.png", "scans/old.pdf"]);
}

#[tokio::test]
async fn a_failed_save_rolls_back_the_stored_file() {
    let world = World::start().await;
    let (status, body) = world
        .post(
            "/api/invoices/2/scan",
            Some("clerk"),
            true,
            scan_form(pdf_bytes(100), "april.pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(
        json_of(&body),
        json!({
            "error": "internal_server_error",
            "description": "The file could not be saved; please try again later.",
        })
    );
    // The row still names the old file, which is still there; the new one is gone.
    assert_eq!(world.row(2).await.scan.as_deref(), Some("scans/old.pdf"));
    assert_eq!(world.files(), ["photos/old.png", "scans/old.pdf"]);
}

#[tokio::test]
async fn a_cookie_authenticated_upload_needs_the_csrf_token() {
    let world = World::start().await;
    let url = format!("{}/api/invoices/1/scan", world.base);
    let send = |token: Option<String>| {
        let mut request = world
            .client
            .post(&url)
            .header("x-user", "clerk")
            .header("accept", "application/json")
            .header("cookie", format!("privates_csrf={CSRF_SECRET}"));
        if let Some(token) = token {
            request = request.header("x-csrftoken", token);
        }
        request.multipart(scan_form(pdf_bytes(100), "a.pdf")).send()
    };
    let response = send(None).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(world.files(), ["photos/old.png", "scans/old.pdf"]);
    let token = AdminState::from_ctx(&world.ctx)
        .unwrap()
        .csrf
        .mint(CSRF_SECRET, None);
    let response = send(Some(token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(world.row(1).await.scan.as_deref(), Some("scans/a.pdf"));
}

#[tokio::test]
async fn a_save_that_lost_the_race_is_409_and_keeps_the_winner_s_file() {
    let world = World::start().await;
    // The body arrives in two halves; between them another request changes the field.
    let (send, receive) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = futures_util::stream::unfold(receive, |mut receive| async move {
        receive.recv().await.map(|chunk| (chunk, receive))
    });
    let pdf = pdf_bytes(30_000);
    send.send(Ok(pdf[..20_000].to_vec())).await.unwrap();
    let file = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(body))
        .file_name("late.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let request = world
        .client
        .post(format!("{}/api/invoices/1/scan", world.base))
        .header("authorization", "Bearer a-token")
        .header("x-user", "clerk")
        .header("accept", "application/json")
        .multipart(Form::new().part("scan", file))
        .send();
    let upload = tokio::spawn(request);
    // The upload's temporary file exists once the row was read and the bytes stream in.
    let started = std::time::Instant::now();
    while !world.files().iter().any(|name| name.contains(".part")) {
        assert!(started.elapsed().as_secs() < 10, "{:?}", world.files());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    world.write("scans/winner.pdf", &pdf_bytes(200));
    world
        .ctx
        .db
        .execute_unprepared("UPDATE invoices SET scan = 'scans/winner.pdf' WHERE id = 1")
        .await
        .unwrap();
    send.send(Ok(pdf[20_000..].to_vec())).await.unwrap();
    drop(send);

    let response = upload.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        json_of(&response.text().await.unwrap()),
        json!({
            "error": "conflict",
            "description": "`scan` was changed by another request meanwhile; nothing was saved",
        })
    );
    // The winner's row and file stand; the loser's file is gone, and the file the loser read
    // as "previous" was not deleted by it.
    assert_eq!(world.row(1).await.scan.as_deref(), Some("scans/winner.pdf"));
    assert_eq!(
        world.files(),
        ["photos/old.png", "scans/old.pdf", "scans/winner.pdf"]
    );
}

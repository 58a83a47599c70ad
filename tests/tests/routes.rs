//! The routes the derive generates, served for real: SeaORM models in SQLite, looked up through
//! the derived `FindByPk`, behind the permission of each field (the status matrix of the view,
//! exercised through the derive rather than hand-written impls).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use axum::body::Body;
use http::{Request, StatusCode, header};
use loco_rs::{app::AppContext, environment::Environment};
use privates::{Authorizer, Privates, PrivatesConfig};
use privates_testing::TempPrivateRoot;
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database};
use tower::ServiceExt;

mod id_document {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "id_documents")]
    #[private_media(app = "docs", model = "iddocument")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[private_media(file)]
        pub pdf: Option<String>,
        #[private_media(
            image,
            permission = "docs.view_scan",
            attachment,
            filename = "scan.png"
        )]
        pub scan: String,
        #[private_media(file, no_download)]
        pub secret: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// SeaORM 2.0's `#[sea_orm::model]` form with a string key: `ModelEx` routes too.
mod report {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "report")]
    #[private_media(
        app = "finance",
        permission = "finance.view_report",
        url_prefix = "/files"
    )]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        #[private_media(file)]
        pub file: String,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod passport {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "passport")]
    #[private_media(app = "travel")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[private_media(image)]
        pub photo: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// loco's layout: `_entities` is rewritten by `cargo loco db entities`, so its model carries no
/// privates attribute; the user-owned module declares the private fields through a mirror.
mod models {
    pub mod _entities {
        pub mod invoices {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = "invoices")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub title: String,
                pub scan: Option<String>,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}
        }
    }

    pub mod invoices {
        use privates::PrivateMedia;
        use sea_orm::entity::prelude::*;

        pub use super::_entities::invoices::{ActiveModel, Model};

        impl ActiveModelBehavior for ActiveModel {}

        #[derive(PrivateMedia)]
        #[private_media(remote = super::_entities::invoices::Model, app = "docs")]
        pub struct InvoiceMedia {
            pub id: i32,
            #[private_media(file, attachment)]
            pub scan: Option<String>,
        }
    }
}

const PDF: &[u8] = b"%PDF-1.7 doc 1";
const SCAN: &[u8] = b"\x89PNG\r\n\x1a\n scan 1";
const UUID: &str = "01234567-89ab-cdef-0123-456789abcdef";

/// Users by the `x-user` header: `root` holds everything, `clerk` the model permissions,
/// `scanner` only `docs.view_scan`, `viewer` nothing.
struct HeaderUsers;

#[async_trait::async_trait]
impl Authorizer for HeaderUsers {
    type User = String;

    async fn authenticate(
        &self,
        parts: &http::request::Parts,
        _: &AppContext,
    ) -> loco_rs::Result<Option<String>> {
        Ok(parts
            .headers
            .get("x-user")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned))
    }

    async fn has_permission(
        &self,
        user: &String,
        permission: &str,
        _: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(match user.as_str() {
            "root" => true,
            "clerk" => matches!(
                permission,
                "docs.can_change_iddocument"
                    | "docs.can_change_invoices"
                    | "finance.view_report"
                    | "travel.can_change_passport"
            ),
            "scanner" => permission == "docs.view_scan",
            _ => false,
        })
    }
}

struct World {
    router: axum::Router,
    _root: TempPrivateRoot,
}

impl World {
    async fn start() -> Self {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        for sql in [
            "CREATE TABLE id_documents (id INTEGER PRIMARY KEY, pdf TEXT NULL, scan TEXT NOT NULL, \
             secret TEXT NOT NULL)",
            "INSERT INTO id_documents VALUES (1, 'docs/1.pdf', 'scans/1.png', 'secret.txt')",
            "INSERT INTO id_documents VALUES (2, NULL, 'scans/1.png', 'secret.txt')",
            "INSERT INTO id_documents VALUES (3, '', 'scans/1.png', 'secret.txt')",
            "INSERT INTO id_documents VALUES (4, 'docs/gone.pdf', 'scans/1.png', 'secret.txt')",
            "CREATE TABLE report (slug TEXT PRIMARY KEY, file TEXT NOT NULL)",
            "INSERT INTO report VALUES ('q3 2024/é', 'reports/q3.pdf')",
            "CREATE TABLE passport (id TEXT PRIMARY KEY, photo TEXT NOT NULL)",
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, title TEXT NOT NULL, scan TEXT NULL)",
            "INSERT INTO invoices VALUES (5, 'March', 'docs/1.pdf')",
            "INSERT INTO invoices VALUES (6, 'April', NULL)",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        // Through the entity: SeaORM decides how a UUID is stored.
        sea_orm::ActiveModelTrait::insert(
            passport::ActiveModel {
                id: Set(UUID.parse().unwrap()),
                photo: Set("photos/p.png".to_owned()),
            },
            &db,
        )
        .await
        .unwrap();
        let base = loco_rs::tests_cfg::app::get_app_context().await;
        let ctx = AppContext::builder(Environment::Test, db, base.config.clone()).build();

        let root = TempPrivateRoot::new().unwrap();
        for (name, bytes) in [
            ("docs/1.pdf", PDF),
            ("scans/1.png", SCAN),
            ("secret.txt", b"secret".as_slice()),
            ("reports/q3.pdf", PDF),
            ("photos/p.png", SCAN),
        ] {
            let path = root.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let mut config = PrivatesConfig::default();
        root.apply(&mut config);
        Privates::new(config, HeaderUsers).unwrap().install(&ctx);

        let mut routes = privates::routing::model_routes::<id_document::Model>();
        for handler in privates::routing::model_routes::<report::Model>()
            .handlers
            .into_iter()
            .chain(privates::routing::model_routes::<passport::Model>().handlers)
            .chain(privates::routing::model_routes::<models::invoices::Model>().handlers)
        {
            routes = routes.add(&handler.uri, handler.method);
        }
        let router = privates_testing::router(routes, &ctx);
        Self {
            router,
            _root: root,
        }
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        user: Option<&str>,
    ) -> (StatusCode, http::HeaderMap, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (parts.status, parts.headers, body)
    }

    async fn get(&self, path: &str, user: Option<&str>) -> (StatusCode, http::HeaderMap, Vec<u8>) {
        self.request("GET", path, user).await
    }
}

fn doc(id: i32, pdf: Option<&str>) -> id_document::Model {
    id_document::Model {
        id,
        pdf: pdf.map(str::to_owned),
        scan: "scans/1.png".to_owned(),
        secret: "secret.txt".to_owned(),
    }
}

#[tokio::test]
async fn permitted_user_downloads_through_the_generated_url() {
    let world = World::start().await;
    let url = doc(1, Some("docs/1.pdf")).pdf_url().unwrap();
    assert_eq!(url, "/admin/docs/iddocument/1/pdf/");
    for user in ["clerk", "root"] {
        let (status, headers, body) = world.get(&url, Some(user)).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(body, PDF);
    }
    let (status, headers, body) = world.request("HEAD", &url, Some("clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_LENGTH],
        PDF.len().to_string().as_str()
    );
    assert!(body.is_empty());
}

#[tokio::test]
async fn anonymous_is_401_and_without_permission_403_before_any_lookup() {
    let world = World::start().await;
    for pk in ["1", "999", "abc"] {
        let path = format!("/admin/docs/iddocument/{pk}/pdf/");
        assert_eq!(
            world.get(&path, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{pk}"
        );
        for user in ["viewer", "scanner"] {
            assert_eq!(
                world.get(&path, Some(user)).await.0,
                StatusCode::FORBIDDEN,
                "{pk}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_malformed_empty_and_missing_are_404() {
    let world = World::start().await;
    // 999: no row; abc: not an i32; 2: NULL; 3: empty string; 4: file missing from storage.
    for pk in ["999", "abc", "2", "3", "4"] {
        let path = format!("/admin/docs/iddocument/{pk}/pdf/");
        assert_eq!(
            world.get(&path, Some("clerk")).await.0,
            StatusCode::NOT_FOUND,
            "{pk}"
        );
    }
    assert_eq!(doc(2, None).pdf_url(), None);
    assert_eq!(doc(3, Some("")).pdf_url(), None);
}

#[tokio::test]
async fn per_field_permission_and_view_options() {
    let world = World::start().await;
    let url = doc(1, None).scan_url().unwrap();
    assert_eq!(
        world.get(&url, Some("clerk")).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, headers, body) = world.get(&url, Some("scanner")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"scan.png\""
    );
    assert_eq!(body, SCAN);
    // The model permission does not open a field with its own permission.
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/pdf/", Some("scanner"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn no_download_fields_have_no_route() {
    let world = World::start().await;
    assert_eq!(doc(1, None).secret_url(), None);
    let (status, _, body) = world
        .get("/admin/docs/iddocument/1/secret/", Some("root"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(body, b"secret");
}

#[tokio::test]
async fn string_keys_are_percent_encoded_and_found_through_sea_orm_model_2() {
    let world = World::start().await;
    let report = report::Model {
        slug: "q3 2024/é".to_owned(),
        file: "reports/q3.pdf".to_owned(),
    };
    let url = report.file_url().unwrap();
    assert_eq!(url, "/files/finance/report/q3%202024%2F%C3%A9/file/");
    let (status, _, body) = world.get(&url, Some("clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, PDF);
    assert_eq!(
        world.get(&url, Some("viewer")).await.0,
        StatusCode::FORBIDDEN
    );
    // `ModelEx` builds the same URL.
    assert_eq!(report.into_ex().file_url().unwrap(), url);
}

#[tokio::test]
async fn uuid_keys() {
    let world = World::start().await;
    let passport = passport::Model {
        id: UUID.parse().unwrap(),
        photo: "photos/p.png".to_owned(),
    };
    let url = passport.photo_url().unwrap();
    assert_eq!(url, format!("/admin/travel/passport/{UUID}/photo/"));
    let (status, _, body) = world.get(&url, Some("clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, SCAN);
    for pk in ["not-a-uuid", "01234567-89ab-cdef-0123-456789abcdee"] {
        let path = format!("/admin/travel/passport/{pk}/photo/");
        assert_eq!(
            world.get(&path, Some("clerk")).await.0,
            StatusCode::NOT_FOUND,
            "{pk}"
        );
    }
}

#[tokio::test]
async fn a_model_declared_through_a_mirror_downloads_as_a_derived_one() {
    let world = World::start().await;
    let invoice = models::invoices::Model {
        id: 5,
        title: "March".to_owned(),
        scan: Some("docs/1.pdf".to_owned()),
    };
    // The model label is the entity's module, as the table name would be on the entity.
    let url = invoice.scan_url().unwrap();
    assert_eq!(url, "/admin/docs/invoices/5/scan/");
    let (status, headers, body) = world.get(&url, Some("clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"1.pdf\""
    );
    assert_eq!(body, PDF);
    // Found through the entity SeaORM generated: no row, or an empty column, is a 404.
    for pk in ["6", "999"] {
        let path = format!("/admin/docs/invoices/{pk}/scan/");
        assert_eq!(
            world.get(&path, Some("clerk")).await.0,
            StatusCode::NOT_FOUND,
            "{pk}"
        );
    }
    assert_eq!(
        world.get(&url, Some("viewer")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(world.get(&url, None).await.0, StatusCode::UNAUTHORIZED);
}

/// The log lines written while a test runs on this thread.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn without_the_initializer_a_download_url_is_a_500_whose_log_names_the_fix() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // As loco builds the router without `PrivatesInitializer`: no handle in the context, each
    // route registered without its trailing slash, no trailing-slash normalisation.
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let base = loco_rs::tests_cfg::app::get_app_context().await;
    let ctx = AppContext::builder(Environment::Test, db, base.config.clone()).build();
    let router = privates::routing::model_routes::<id_document::Model>()
        .handlers
        .into_iter()
        .fold(axum::Router::new(), |router, handler| {
            router.route(handler.uri.trim_end_matches('/'), handler.method)
        })
        .with_state(ctx);

    let fix = "privates: the initializer is not registered (add PrivatesInitializer to \
               Hooks::initializers";
    for path in [
        "/admin/docs/iddocument/1/pdf/",
        "/admin/docs/iddocument/1/pdf",
    ] {
        log.0.lock().unwrap().clear();
        let response = router
            .clone()
            .oneshot(
                Request::get(path)
                    .header("x-user", "root")
                    .header(header::ACCEPT, "application/json")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            body, r#"{"error":"internal_server_error","description":"internal server error"}"#,
            "{path}"
        );
        let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("ERROR"), "{path}: {logged}");
        assert!(logged.contains(fix), "{path}: {logged}");
    }
}

#[tokio::test]
async fn with_the_initializer_other_paths_below_an_object_are_404() {
    let world = World::start().await;
    for path in [
        "/admin/docs/iddocument/1/nothing/",
        "/admin/docs/iddocument/1/pdf/extra/",
    ] {
        assert_eq!(
            world.get(path, Some("root")).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

//! What the audit's tests share: a migrated database (SQLite in a temporary folder, or a
//! throwaway PostgreSQL cluster), a model written by hand, an authorizer reading an `x-user`
//! header, and a loco app context whose downloads are served over real HTTP by
//! `privates::server::serve_listener` (graceful shutdown, the socket's address), with the
//! audit table installed as a loco app installs it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::{net::SocketAddr, sync::Arc};

use http::request::Parts;
use loco_rs::{
    app::{AppContext, Initializer},
    environment::Environment,
};
use privates::{
    Field, FieldSpec, FindByPk, PrivateMedia, PrivatesInitializer, permissions::Authorizer,
};
use privates_audit::{AuditTable, entities::events, query};
use privates_test_support::postgres::PostgresServer;
use privates_testing::TempPrivateRoot;
use sea_orm::{Database, DatabaseConnection, EntityTrait, PaginatorTrait};
use sea_orm_migration::prelude::*;
use serde_json::{Value, json};

pub const KEY: &str = "k7Hn3yq0m1ZbQeX9vR2tLw8sJc4uA6dPfG5hB0nM1oI=";

/// A document with one private file.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: i32,
    pub pdf: String,
}

static PDF: FieldSpec = FieldSpec::file("pdf");
static FIELDS: [Field<Doc>; 1] = [Field {
    spec: &PDF,
    get: |doc| Some(doc.pdf.as_str()),
}];

impl Doc {
    pub const PDF: Field<Self> = FIELDS[0];
}

impl PrivateMedia for Doc {
    type Pk = i32;
    const APP: &'static str = "docs";
    const MODEL: &'static str = "doc";
    const PERMISSION: &'static str = "docs.view_doc";

    fn fields() -> &'static [Field<Self>] {
        &FIELDS
    }

    fn pk(&self) -> i32 {
        self.id
    }
}

/// Doc 1 holds `docs/1.pdf`; no other exists.
#[async_trait::async_trait]
impl FindByPk for Doc {
    async fn find_by_pk(_ctx: &AppContext, pk: &i32) -> loco_rs::Result<Option<Self>> {
        Ok((*pk == 1).then(|| Doc {
            id: 1,
            pdf: "docs/1.pdf".to_owned(),
        }))
    }
}

/// `x-user: clerk` holds the permission, anyone else is logged in without it.
pub struct HeaderUsers;

#[async_trait::async_trait]
impl Authorizer for HeaderUsers {
    type User = String;

    async fn authenticate(&self, parts: &Parts, _: &AppContext) -> loco_rs::Result<Option<String>> {
        Ok(parts
            .headers
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned))
    }

    async fn has_permission(
        &self,
        user: &String,
        _: &str,
        _: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(user == "clerk")
    }

    fn user_id(&self, user: &String) -> Option<String> {
        Some(user.clone())
    }
}

struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(privates_audit::migration::Migration)]
    }
}

/// Keeps the database's server or folder alive.
enum Server {
    Sqlite(tempfile::TempDir),
    Postgres(PostgresServer),
}

/// A migrated database.
pub struct Db {
    pub conn: DatabaseConnection,
    url: String,
    _server: Server,
}

impl Db {
    pub async fn sqlite() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            folder.path().join("app.db").display()
        );
        Self::migrated(&url, Server::Sqlite(folder)).await
    }

    pub async fn postgres() -> Self {
        let server = tokio::task::spawn_blocking(PostgresServer::start)
            .await
            .unwrap()
            .expect("start PostgreSQL (scripts/test installs it)");
        let url = server.create_database("app").unwrap();
        Self::migrated(&url, Server::Postgres(server)).await
    }

    /// A new connection to the same database (as after `self.conn`'s pool is closed).
    pub async fn connect_again(&self) -> DatabaseConnection {
        Database::connect(&self.url).await.unwrap()
    }

    async fn migrated(url: &str, server: Server) -> Self {
        let conn = Database::connect(url).await.unwrap();
        Migrator::up(&conn, None).await.unwrap();
        Self {
            conn,
            url: url.to_owned(),
            _server: server,
        }
    }
}

/// A loco app context with privates, share links and the audit table, serving `Doc`'s routes
/// until [`World::stop`].
pub struct World {
    pub db: Db,
    pub ctx: AppContext,
    pub audit: AuditTable,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _root: TempPrivateRoot,
}

impl World {
    /// `audit` is the `initializers.privates.audit` block.
    pub async fn start(db: Db, audit: Value) -> Self {
        let root = TempPrivateRoot::new().unwrap();
        std::fs::create_dir_all(root.path().join("docs")).unwrap();
        std::fs::write(root.path().join("docs/1.pdf"), b"%PDF audited").unwrap();
        let mut config = loco_rs::tests_cfg::config::test_config();
        config.initializers = Some(
            serde_json::from_value(json!({
                "privates": {
                    "storage": { "location": root.path() },
                    "share": { "key": KEY },
                    "audit": audit,
                }
            }))
            .unwrap(),
        );
        let ctx = AppContext::builder(Environment::Test, db.conn.clone(), config).build();
        // As an app's `Hooks::initializers` does.
        let table = AuditTable::start(&ctx).unwrap();
        PrivatesInitializer::new(HeaderUsers)
            .audit(Arc::new(table.clone()))
            .before_run(&ctx)
            .await
            .unwrap();
        let router = privates_testing::router(privates::routing::model_routes::<Doc>(), &ctx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let options = privates::server::ServeOptions::default();
            let shutdown = async move {
                let _ = stopped.await;
            };
            privates::server::serve_listener(listener, router, &options, shutdown).await;
        });
        Self {
            db,
            ctx,
            audit: table,
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop: Some(stop),
            server: Some(server),
            _root: root,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET `path` as `user` (`None`: anonymous); the status.
    pub async fn get(&self, path: &str, user: Option<&str>) -> reqwest::StatusCode {
        let mut request = self.client.get(self.url(path));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let _ = response.bytes().await;
        status
    }

    /// Shuts down as loco does: the server stops accepting and finishes its requests, then
    /// `Hooks::on_shutdown` closes the audit.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        privates_audit::shutdown(&self.ctx).await;
    }

    /// The rows of `privates_audit_events`.
    pub async fn rows(&self) -> u64 {
        events::Entity::find().count(&self.db.conn).await.unwrap()
    }

    /// Every event, newest first.
    pub async fn events(&self) -> Vec<events::Model> {
        query::events(&self.db.conn, &query::Filter::default())
            .await
            .unwrap()
    }
}

pub const PDF_PATH: &str = "/admin/docs/doc/1/pdf/";

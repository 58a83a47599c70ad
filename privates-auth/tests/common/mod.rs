//! What the store's tests share: a database (SQLite in a temporary folder, or a throwaway
//! PostgreSQL cluster) migrated like a loco app's (loco's `users`, the store's migration, two
//! models with private files, one keyed by integer and one by UUID), users, and a real HTTP
//! server with privates' download view behind [`StoreAuthorizer`].
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use loco_rs::{
    app::{AppContext, Initializer},
    config::{Auth, JWT, JWTLocation, JWTLocationConfig},
    environment::Environment,
};
use privates::PrivatesInitializer;
use privates_auth::StoreAuthorizer;
use privates_test_support::postgres::PostgresServer;
use privates_testing::TempPrivateRoot;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::{prelude::*, schema::*};
use serde_json::json;

pub const SECRET: &str = "c3RvcmUtdGVzdHMtc2VjcmV0LW5vdC1mb3ItdXNl";
pub const COOKIE: &str = "session";
pub const UUID: &str = "01234567-89ab-cdef-0123-456789abcdef";
pub const PDF: &[u8] = b"%PDF-1.7 doc 1";
pub const SCAN: &[u8] = b"scan of doc 1";
pub const PHOTO: &[u8] = b"photo of passport";

pub mod docs {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    /// Integer keys; the scan needs a permission of its own.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "docs")]
    #[private_media(app = "docs", model = "doc")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[private_media(file)]
        pub pdf: String,
        #[private_media(file, permission = "docs.view_scan")]
        pub scan: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod passports {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    /// UUID keys.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "passports")]
    #[private_media(app = "travel", model = "passport")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[private_media(file)]
        pub photo: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The app's schema: loco's `users` (as loco's starter creates it), the store, the models.
struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(AppTables),
            Box::new(privates_auth::migration::Migration),
        ]
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Pid,
    Email,
    Password,
    Name,
}

#[derive(DeriveIden)]
enum Docs {
    Table,
    Id,
    Pdf,
    Scan,
}

#[derive(DeriveIden)]
enum Passports {
    Table,
    Id,
    Photo,
}

struct AppTables;

impl MigrationName for AppTables {
    fn name(&self) -> &'static str {
        "m20220101_000001_app_tables"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for AppTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(uuid_uniq(Users::Pid))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Password))
                    .col(string(Users::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Docs::Table)
                    .col(pk_auto(Docs::Id))
                    .col(string(Docs::Pdf))
                    .col(string(Docs::Scan))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Passports::Table)
                    .col(uuid(Passports::Id).primary_key())
                    .col(string(Passports::Photo))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// Keeps the database's server or folder alive.
enum Server {
    Sqlite(tempfile::TempDir),
    Postgres(PostgresServer),
}

/// A migrated database, with a count of the statements run on it.
pub struct Db {
    pub conn: DatabaseConnection,
    pub statements: Arc<AtomicUsize>,
    _server: Server,
}

impl Db {
    /// SQLite in a file of a temporary folder, in WAL mode as loco sets it.
    pub async fn sqlite() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            folder.path().join("app.db").display()
        );
        let db = Self::migrated(&url, Server::Sqlite(folder)).await;
        db.conn
            .execute_unprepared("PRAGMA journal_mode = WAL")
            .await
            .unwrap();
        db
    }

    /// A database of a throwaway PostgreSQL cluster.
    pub async fn postgres() -> Self {
        let server = tokio::task::spawn_blocking(PostgresServer::start)
            .await
            .unwrap()
            .expect("start PostgreSQL (scripts/test installs it)");
        let url = server.create_database("app").unwrap();
        Self::migrated(&url, Server::Postgres(server)).await
    }

    async fn migrated(url: &str, server: Server) -> Self {
        let mut conn = Database::connect(url).await.unwrap();
        Migrator::up(&conn, None).await.unwrap();
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&statements);
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        Self {
            conn,
            statements,
            _server: server,
        }
    }

    /// Whether `privates::reads` reads on the request's thread here (an SQLite file in WAL
    /// mode), where no statement is counted.
    pub fn reads_inline(&self) -> bool {
        matches!(self._server, Server::Sqlite(_))
    }

    /// The statements run so far: on PostgreSQL all that reached the server (through
    /// `ctx.db` or `privates::reads`' own connections), on SQLite those through sqlx.
    pub fn statements(&self) -> usize {
        match &self._server {
            Server::Postgres(server) => server.statements().unwrap(),
            Server::Sqlite(_) => self.statements.load(Ordering::SeqCst),
        }
    }

    /// A new user of loco's `users` table.
    pub async fn user(&self, email: &str) -> User {
        let pid = uuid::Uuid::new_v4();
        let insert = Query::insert()
            .into_table(Users::Table)
            .columns([Users::Pid, Users::Email, Users::Password, Users::Name])
            .values([pid.into(), email.into(), "not a hash".into(), email.into()])
            .unwrap()
            .to_owned();
        self.conn.execute(&insert).await.unwrap();
        let id = privates_auth::store::user_id(&self.conn, &privates_auth::UserRef::Pid(pid))
            .await
            .unwrap();
        User {
            id,
            pid,
            email: email.to_owned(),
        }
    }

    /// Deletes a user from loco's `users` table.
    pub async fn delete_user(&self, user: &User) {
        let delete = Query::delete()
            .from_table(Users::Table)
            .and_where(Expr::col(Users::Id).eq(user.id))
            .to_owned();
        self.conn.execute(&delete).await.unwrap();
    }

    /// The rows of the store's tables that name `user`.
    pub async fn rows_of(&self, user: &User) -> i64 {
        let mut total = 0;
        for table in [
            "privates_group_members",
            "privates_user_permissions",
            "privates_superusers",
            "privates_session_epochs",
        ] {
            let row = self
                .conn
                .query_one_raw(sea_orm::Statement::from_string(
                    self.conn.get_database_backend(),
                    format!(
                        "SELECT COUNT(*) AS n FROM {table} WHERE user_id = {}",
                        user.id
                    ),
                ))
                .await
                .unwrap()
                .unwrap();
            total += row.try_get::<i64>("", "n").unwrap();
        }
        total
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i32,
    pub pid: uuid::Uuid,
    pub email: String,
}

/// How a request carries its session token.
#[derive(Clone, Copy, Debug)]
pub enum Carrier {
    Cookie,
    Bearer,
}

/// A loco app context on `db` with JWT sessions in a cookie or a bearer header, privates
/// installed through its initializer (with both models registered) and a real HTTP server
/// for the download routes of both models.
pub struct World {
    pub db: Db,
    pub ctx: AppContext,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    _root: TempPrivateRoot,
}

impl World {
    pub async fn start(db: Db) -> Self {
        let root = TempPrivateRoot::new().unwrap();
        for (name, bytes) in [
            ("docs/1.pdf", PDF),
            ("scans/1.txt", SCAN),
            ("photos/p.png", PHOTO),
        ] {
            let path = root.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let mut config = loco_rs::tests_cfg::config::test_config();
        config.auth = Some(Auth {
            jwt: Some(JWT {
                location: Some(JWTLocationConfig::Multiple(vec![
                    JWTLocation::Bearer,
                    JWTLocation::Cookie {
                        name: COOKIE.into(),
                    },
                ])),
                secret: SECRET.into(),
                expiration: 3600,
            }),
        });
        config.initializers = Some(
            serde_json::from_value(json!({
                "privates": { "storage": { "location": root.path() } }
            }))
            .unwrap(),
        );
        let ctx = AppContext::builder(Environment::Test, db.conn.clone(), config).build();
        PrivatesInitializer::new(StoreAuthorizer)
            .model::<docs::Model>()
            .model::<passports::Model>()
            .before_run(&ctx)
            .await
            .unwrap();

        db.conn
            .execute_unprepared("INSERT INTO docs (pdf, scan) VALUES ('docs/1.pdf', 'scans/1.txt')")
            .await
            .unwrap();
        sea_orm::ActiveModelTrait::insert(
            passports::ActiveModel {
                id: sea_orm::ActiveValue::Set(UUID.parse().unwrap()),
                photo: sea_orm::ActiveValue::Set("photos/p.png".to_owned()),
            },
            &db.conn,
        )
        .await
        .unwrap();

        let mut routes = privates::routing::model_routes::<docs::Model>();
        for handler in privates::routing::model_routes::<passports::Model>().handlers {
            routes = routes.add(&handler.uri, handler.method);
        }
        let router = privates_testing::router(routes, &ctx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            db,
            ctx,
            addr,
            client,
            _root: root,
        }
    }

    /// A session token of `user`, minted as an app's login does.
    pub async fn token(&self, user: &User) -> String {
        privates_auth::session::token_for(&self.ctx, user.id, &user.pid)
            .await
            .unwrap()
    }

    /// GET `path` with `token` (if any) in `carrier`; the status, and the body when 200.
    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        carrier: Carrier,
    ) -> (reqwest::StatusCode, Vec<u8>) {
        let mut request = self.client.get(format!("http://{}{path}", self.addr));
        if let Some(token) = token {
            request = match carrier {
                Carrier::Cookie => request.header("cookie", format!("{COOKIE}={token}")),
                Carrier::Bearer => request.bearer_auth(token),
            };
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap().to_vec();
        (status, body)
    }

    /// GET `path` with `token` in the cookie: just the status.
    pub async fn status(&self, path: &str, token: Option<&str>) -> reqwest::StatusCode {
        self.get_with(path, token, Carrier::Cookie).await.0
    }
}

/// Runs an async test body on SQLite, and (ignored unless asked for) on PostgreSQL.
#[macro_export]
macro_rules! on_sqlite_and_postgres {
    ($test:ident) => {
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test($crate::common::Db::sqlite().await).await;
            }

            #[tokio::test]
            #[ignore = "needs postgres"]
            async fn postgres() {
                super::$test($crate::common::Db::postgres().await).await;
            }
        }
    };
}

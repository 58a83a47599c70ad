//! Fixtures shared by the integration tests: a model written by hand (as the derive would
//! generate it), an authorizer reading an `x-user` header, and a real HTTP server.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use http::request::Parts;
use loco_rs::app::AppContext;
use privates::{
    Field, FieldKind, FieldSpec, FindByPk, PrivateMedia, Privates, PrivatesConfig, ViewOptions,
    permissions::{Authorizer, ObjectRef},
    sendfile::Backend,
};
use privates_testing::TempPrivateRoot;

/// An ID document: `pdf` (optional, the model permission), `scan` (its own permission, sent
/// as an attachment named `scan.png`), `secret` (no download route).
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: i32,
    pub pdf: Option<String>,
    pub scan: String,
    pub secret: String,
}

static PDF: FieldSpec = FieldSpec {
    optional: true,
    ..FieldSpec::file("pdf")
};
static SCAN: FieldSpec = FieldSpec {
    kind: FieldKind::Image,
    permission: Some("docs.view_scan"),
    view: ViewOptions {
        attachment: true,
        filename: Some("scan.png"),
        mimetype: None,
    },
    ..FieldSpec::file("scan")
};
static SECRET: FieldSpec = FieldSpec {
    no_download: true,
    ..FieldSpec::file("secret")
};
static DOC_FIELDS: [Field<Doc>; 3] = [
    Field {
        spec: &PDF,
        get: |doc| doc.pdf.as_deref(),
    },
    Field {
        spec: &SCAN,
        get: |doc| Some(doc.scan.as_str()),
    },
    Field {
        spec: &SECRET,
        get: |doc| Some(doc.secret.as_str()),
    },
];

impl Doc {
    pub const PDF: Field<Self> = Field {
        spec: &PDF,
        get: |doc| doc.pdf.as_deref(),
    };
    pub const SCAN: Field<Self> = Field {
        spec: &SCAN,
        get: |doc| Some(doc.scan.as_str()),
    };
}

impl PrivateMedia for Doc {
    type Pk = i32;
    const APP: &'static str = "docs";
    const MODEL: &'static str = "iddocument";
    const PERMISSION: &'static str = "docs.can_change_iddocument";

    fn fields() -> &'static [Field<Self>] {
        &DOC_FIELDS
    }

    fn pk(&self) -> i32 {
        self.id
    }
}

/// The "database" of a test: lives in that test's own app context.
#[derive(Clone, Default)]
pub struct Table<T>(pub Arc<HashMap<String, T>>);

#[async_trait::async_trait]
impl FindByPk for Doc {
    async fn find_by_pk(ctx: &AppContext, pk: &i32) -> loco_rs::Result<Option<Self>> {
        Ok(ctx
            .shared_store
            .get::<Table<Self>>()
            .and_then(|table| table.0.get(&pk.to_string()).cloned()))
    }
}

/// A model keyed by a string slug, served from the site root.
#[derive(Clone, Debug)]
pub struct Report {
    pub slug: String,
    pub file: String,
}

static REPORT_FILE: FieldSpec = FieldSpec::file("file");
static REPORT_FIELDS: [Field<Report>; 1] = [Field {
    spec: &REPORT_FILE,
    get: |report| Some(report.file.as_str()),
}];

impl PrivateMedia for Report {
    type Pk = String;
    const APP: &'static str = "finance";
    const MODEL: &'static str = "report";
    const PERMISSION: &'static str = "finance.view_report";
    const URL_PREFIX: &'static str = "/files";

    fn fields() -> &'static [Field<Self>] {
        &REPORT_FIELDS
    }

    fn pk(&self) -> String {
        self.slug.clone()
    }
}

#[async_trait::async_trait]
impl FindByPk for Report {
    async fn find_by_pk(ctx: &AppContext, pk: &String) -> loco_rs::Result<Option<Self>> {
        Ok(ctx
            .shared_store
            .get::<Table<Self>>()
            .and_then(|table| table.0.get(pk).cloned()))
    }
}

/// Users by the `x-user` header:
/// - `root` holds every permission;
/// - `clerk` holds `docs.can_change_iddocument` and `finance.view_report`;
/// - `scanner` holds only `docs.view_scan` (the per-field permission);
/// - `picky` holds the model permission but may not reach object 2;
/// - `viewer` holds nothing;
/// - `broken` makes the user store fail.
pub struct HeaderUsers;

#[async_trait::async_trait]
impl Authorizer for HeaderUsers {
    type User = String;

    async fn authenticate(
        &self,
        parts: &Parts,
        _ctx: &AppContext,
    ) -> loco_rs::Result<Option<String>> {
        let user = parts
            .headers
            .get("x-user")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        if user.as_deref() == Some("broken") {
            return Err(loco_rs::Error::string("user store is down"));
        }
        Ok(user)
    }

    async fn has_permission(
        &self,
        user: &String,
        permission: &str,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(match user.as_str() {
            "root" => true,
            "clerk" => matches!(
                permission,
                "docs.can_change_iddocument" | "finance.view_report"
            ),
            "picky" => permission == "docs.can_change_iddocument",
            "scanner" => permission == "docs.view_scan",
            _ => false,
        })
    }

    async fn has_object_permission(
        &self,
        user: &String,
        _permission: &str,
        object: ObjectRef<'_>,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        let doc = object.object.downcast_ref::<Doc>();
        Ok(!(user == "picky" && doc.is_some_and(|doc| doc.id == 2)))
    }

    fn user_id(&self, user: &String) -> Option<String> {
        Some(user.clone())
    }
}

/// One test's world: its own app context, temporary private root and HTTP server.
pub struct World {
    pub ctx: AppContext,
    pub root: TempPrivateRoot,
    pub privates: Privates,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl World {
    /// A world with the given backend, serving `routes`.
    pub async fn start(backend: Backend, routes: loco_rs::controller::Routes) -> Self {
        Self::start_with(backend, routes, |_| {}).await
    }

    /// A world whose config `configure` adjusts (after the temporary root is applied).
    pub async fn start_with(
        backend: Backend,
        routes: loco_rs::controller::Routes,
        configure: impl FnOnce(&mut PrivatesConfig),
    ) -> Self {
        let ctx = loco_rs::tests_cfg::app::get_app_context().await;
        let root = TempPrivateRoot::new().unwrap();
        let mut config = PrivatesConfig::default();
        config.sendfile.backend = backend;
        root.apply(&mut config);
        configure(&mut config);
        let privates = Privates::new(config, HeaderUsers).unwrap();
        privates.install(&ctx);
        let router = privates_testing::router(routes, &ctx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            ctx,
            root,
            privates,
            addr,
            client,
        }
    }

    /// Writes a file into the private root (creating folders).
    pub fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.root.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Puts `rows` in this world's table of `T`.
    pub fn table<T: Clone + Send + Sync + 'static>(&self, rows: Vec<(String, T)>) {
        self.ctx
            .shared_store
            .insert(Table(Arc::new(rows.into_iter().collect())));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET `path` as `user` (`None`: anonymous), with extra headers.
    pub async fn get(
        &self,
        path: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }
}

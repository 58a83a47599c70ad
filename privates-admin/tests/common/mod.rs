//! Fixtures shared by the integration tests: models written by hand (as the derive would
//! generate them), an authorizer reading an `x-user` header, a real HTTP server with the
//! admin's download routes and a change-form route, and image/PDF bytes.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path as FsPath, PathBuf},
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, Request, State},
    response::{IntoResponse, Response},
    routing::post,
};
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use privates::{
    Field, FieldKind, FieldSpec, FindByPk, PrivateMedia, Privates, PrivatesConfig, UploadTo,
    model::UploadLimits,
    permissions::{Authorizer, ObjectRef},
};
use privates_admin::{
    AdminSettings, AdminState, ModelAdmin,
    settings::{CsrfSettings, UploadSettings},
    upload::FileChange,
};
use privates_testing::TempPrivateRoot;

/// The CSRF secret of the tests' browser (its `privates_csrf` cookie).
pub const CSRF_SECRET: &str = "k5ZyMd9ieuzTuxvTMUbPi1ULsgfpnpSvIvnAi3mrIxA";

// ---------------------------------------------------------------------------------------------
// Models

/// An ID document:
/// - `pdf`: optional file, PDFs only, at most 64 KiB;
/// - `mugshot`: required image under `mugshots/%Y/`, at most 256 KiB;
/// - `secret`: optional file without a download route;
/// - `notes`: optional file, anything, at most 16 KiB.
#[derive(Clone, Debug, Default)]
pub struct Doc {
    pub id: i32,
    pub pdf: Option<String>,
    pub mugshot: String,
    pub secret: Option<String>,
    pub notes: Option<String>,
}

pub const PDF_MAX: u64 = 64 * 1024;
pub const MUGSHOT_MAX: u64 = 256 * 1024;
pub const NOTES_MAX: u64 = 16 * 1024;

static PDF: FieldSpec = FieldSpec {
    optional: true,
    limits: UploadLimits {
        max_size: Some(PDF_MAX),
        content_types: &["application/pdf"],
    },
    ..FieldSpec::file("pdf")
};
static MUGSHOT: FieldSpec = FieldSpec {
    kind: FieldKind::Image,
    upload_to: UploadTo::Pattern("mugshots/%Y/"),
    limits: UploadLimits {
        max_size: Some(MUGSHOT_MAX),
        content_types: &[],
    },
    ..FieldSpec::file("mugshot")
};
static SECRET: FieldSpec = FieldSpec {
    optional: true,
    no_download: true,
    ..FieldSpec::file("secret")
};
static NOTES: FieldSpec = FieldSpec {
    optional: true,
    limits: UploadLimits {
        max_size: Some(NOTES_MAX),
        content_types: &[],
    },
    ..FieldSpec::file("notes")
};

static DOC_FIELDS: [Field<Doc>; 4] = [Doc::PDF, Doc::MUGSHOT, Doc::SECRET, Doc::NOTES];

impl Doc {
    pub const PDF: Field<Self> = Field {
        spec: &PDF,
        get: |doc| doc.pdf.as_deref(),
    };
    pub const MUGSHOT: Field<Self> = Field {
        spec: &MUGSHOT,
        get: |doc| Some(doc.mugshot.as_str()),
    };
    pub const SECRET: Field<Self> = Field {
        spec: &SECRET,
        get: |doc| doc.secret.as_deref(),
    };
    pub const NOTES: Field<Self> = Field {
        spec: &NOTES,
        get: |doc| doc.notes.as_deref(),
    };

    /// Sets the value of one field by name (what the app's row update does).
    pub fn set(&mut self, field: &str, value: Option<String>) {
        match field {
            "pdf" => self.pdf = value,
            "mugshot" => self.mugshot = value.unwrap_or_default(),
            "secret" => self.secret = value,
            "notes" => self.notes = value,
            _ => panic!("no field {field}"),
        }
    }
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

#[async_trait::async_trait]
impl FindByPk for Doc {
    async fn find_by_pk(ctx: &AppContext, pk: &i32) -> loco_rs::Result<Option<Self>> {
        Ok(ctx
            .shared_store
            .get::<Table<Self>>()
            .and_then(|table| table.get(&pk.to_string())))
    }
}

/// A page of a document (a child model, keyed by a string), shown inline in the document's
/// page.
#[derive(Clone, Debug)]
pub struct Page {
    pub slug: String,
    pub doc_id: i32,
    pub scan: Option<String>,
}

static PAGE_SCAN: FieldSpec = FieldSpec {
    optional: true,
    ..FieldSpec::file("scan")
};
static PAGE_FIELDS: [Field<Page>; 1] = [Page::SCAN];

impl Page {
    pub const SCAN: Field<Self> = Field {
        spec: &PAGE_SCAN,
        get: |page| page.scan.as_deref(),
    };
}

impl PrivateMedia for Page {
    type Pk = String;
    const APP: &'static str = "docs";
    const MODEL: &'static str = "page";
    const PERMISSION: &'static str = "docs.can_change_iddocument";

    fn fields() -> &'static [Field<Self>] {
        &PAGE_FIELDS
    }

    fn pk(&self) -> String {
        self.slug.clone()
    }
}

#[async_trait::async_trait]
impl FindByPk for Page {
    async fn find_by_pk(ctx: &AppContext, pk: &String) -> loco_rs::Result<Option<Self>> {
        Ok(ctx
            .shared_store
            .get::<Table<Self>>()
            .and_then(|table| table.get(pk)))
    }
}

/// The "database" of a test: lives in that test's own app context.
pub struct Table<T>(Arc<Mutex<HashMap<String, T>>>);

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Clone> Table<T> {
    pub fn new(rows: impl IntoIterator<Item = (String, T)>) -> Self {
        Self(Arc::new(Mutex::new(rows.into_iter().collect())))
    }
    pub fn get(&self, key: &str) -> Option<T> {
        self.0.lock().unwrap().get(key).cloned()
    }
    pub fn put(&self, key: String, value: T) {
        self.0.lock().unwrap().insert(key, value);
    }
}

// ---------------------------------------------------------------------------------------------
// Users

/// Users by the `x-user` header: `root` holds everything, `clerk` holds
/// `docs.can_change_iddocument`, `auditor` holds `docs.audit`, `viewer` holds nothing;
/// `clerk-1` holds `docs.can_change_iddocument` but reaches document 1 only (the object-level
/// check).
pub struct HeaderUsers;

#[async_trait::async_trait]
impl Authorizer for HeaderUsers {
    type User = String;

    async fn authenticate(
        &self,
        parts: &Parts,
        _ctx: &AppContext,
    ) -> loco_rs::Result<Option<String>> {
        Ok(parts
            .headers
            .get("x-user")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string))
    }

    async fn has_permission(
        &self,
        user: &String,
        permission: &str,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(match user.as_str() {
            "root" => true,
            "clerk" | "clerk-1" => permission == "docs.can_change_iddocument",
            "auditor" => permission == "docs.audit",
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
        Ok(user != "clerk-1"
            || object
                .object
                .downcast_ref::<Doc>()
                .is_some_and(|doc| doc.id == 1))
    }

    fn user_id(&self, user: &String) -> Option<String> {
        Some(user.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// The world of one test

/// One test's world: its own app context, temporary private root, table and HTTP server.
pub struct World {
    pub ctx: AppContext,
    pub root: TempPrivateRoot,
    pub privates: Privates,
    pub docs: Table<Doc>,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl World {
    /// A world serving `admin`'s download routes, its change form at
    /// `POST /admin/docs/iddocument/{pk}/change/` (pk `0`: an add form), and `extra` routes.
    pub async fn start(admin: ModelAdmin<Doc>, extra: Routes) -> Self {
        Self::start_with(admin, extra, |_| {}).await
    }

    /// [`World::start`] with `configure` applied to the privates config (after the root).
    pub async fn start_with(
        admin: ModelAdmin<Doc>,
        extra: Routes,
        configure: impl FnOnce(&mut PrivatesConfig),
    ) -> Self {
        let ctx = loco_rs::tests_cfg::app::get_app_context().await;
        let root = TempPrivateRoot::new().unwrap();
        let mut config = PrivatesConfig::default();
        root.apply(&mut config);
        configure(&mut config);
        let privates = Privates::new(config, HeaderUsers).unwrap();
        privates.install(&ctx);
        let settings = AdminSettings {
            csrf: CsrfSettings {
                key: Some("a CSRF key for the privates-admin tests".to_owned()),
                // Tokens bound to no session: the tests' users come from a header.
                session_cookie: Some("no-session".to_owned()),
                ..CsrfSettings::default()
            },
            upload: UploadSettings {
                idle_timeout: Some(2.0),
            },
            ..AdminSettings::default()
        };
        AdminState::from_settings(&settings, &ctx.config)
            .unwrap()
            .install(&ctx);
        let docs = Table::<Doc>::new([]);
        ctx.shared_store.insert(docs.clone());
        let admin = Arc::new(admin);
        let change = {
            let handler_admin = Arc::clone(&admin);
            admin.upload_route(post(
                move |State(ctx): State<AppContext>, Path(pk): Path<i32>, form: Request| {
                    let admin = Arc::clone(&handler_admin);
                    async move { change_form(&admin, &ctx, pk, form).await }
                },
            ))
        };
        let routes = admin
            .routes()
            .add("/admin/docs/iddocument/{pk}/change/", change)
            .merge(extra);
        let router = privates_testing::router(routes, &ctx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            ctx,
            root,
            privates,
            docs,
            addr,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Writes a file into the private root (creating folders).
    pub fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.root.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn exists(&self, name: &str) -> bool {
        self.root.path().join(name).exists()
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.root.path().join(name)).unwrap()
    }

    /// Every file below the root, hidden ones (temporary uploads) included, as relative names.
    pub fn files(&self) -> Vec<String> {
        let mut files = Vec::new();
        walk(self.root.path(), self.root.path(), &mut files);
        files.sort();
        files
    }

    /// A CSRF token for the tests' browser.
    pub fn csrf_token(&self) -> String {
        AdminState::from_ctx(&self.ctx)
            .unwrap()
            .csrf
            .mint(CSRF_SECRET, None)
    }

    /// `request` with the browser's CSRF cookie and a token in the `X-CSRFToken` header.
    pub fn with_csrf(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header("cookie", format!("privates_csrf={CSRF_SECRET}"))
            .header("x-csrftoken", self.csrf_token())
    }

    /// POSTs `form` to the change form of `pk` as `root`, CSRF token included.
    pub async fn post(&self, pk: i32, form: reqwest::multipart::Form) -> (StatusCode, String) {
        let request = self
            .client
            .post(self.url(&format!("/admin/docs/iddocument/{pk}/change/")))
            .header("x-user", "root");
        let response = self
            .with_csrf(request)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// GETs `path` as `user`.
    pub async fn get(&self, path: &str, user: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        request.send().await.unwrap()
    }
}

fn walk(root: &FsPath, dir: &FsPath, files: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, files);
        } else {
            files.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

/// The change-form handler of the tests: what an app's handler does. Answers 200 with the
/// row's new values (`field=value` lines), 422 with the validation messages (`field: message`
/// lines), or the upload error's status.
async fn change_form(
    admin: &ModelAdmin<Doc>,
    ctx: &AppContext,
    pk: i32,
    form: Request,
) -> Response {
    let docs = ctx.shared_store.get::<Table<Doc>>().unwrap();
    let current = docs.get(&pk.to_string());
    let submission = match admin.receive(ctx, form, current.as_ref()).await {
        Ok(submission) => submission,
        Err(err) => return err.into_response(),
    };
    if !submission.is_valid() {
        let body: String = submission
            .errors()
            .iter()
            .map(|error| format!("{}: {}\n", error.field, error.message))
            .collect();
        return (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
    }
    let mut doc = current.clone().unwrap_or(Doc {
        id: pk,
        ..Doc::default()
    });
    let mut body = String::new();
    for field in admin.fields() {
        let value = submission.value(field, current.as_ref());
        if let Some(FileChange::Stored(file)) = submission.change(field.name()) {
            body.push_str(&format!(
                "{}.type={}\n{}.size={}\n",
                field.name(),
                file.content_type,
                field.name(),
                file.size
            ));
            if let Some((width, height)) = file.dimensions {
                body.push_str(&format!("{}.dimensions={width}x{height}\n", field.name()));
            }
        }
        body.push_str(&format!(
            "{}={}\n",
            field.name(),
            value.as_deref().unwrap_or("<none>")
        ));
        doc.set(field.name(), value);
    }
    if let Some(title) = submission.text("title") {
        body.push_str(&format!("title={title}\n"));
    }
    let storage = Privates::from_ctx(ctx).unwrap();
    // The title "fail" plays a database that refuses the row.
    if submission.text("title") == Some("fail") {
        submission.rollback(storage.files()).await.unwrap();
        return (StatusCode::INTERNAL_SERVER_ERROR, "the row was not saved").into_response();
    }
    docs.put(pk.to_string(), doc);
    submission.commit(storage.files()).await.unwrap();
    (StatusCode::OK, body).into_response()
}

/// The value of `key` in a `key=value` answer.
pub fn value_of<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    body.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
}

// ---------------------------------------------------------------------------------------------
// Bytes

/// A small real PDF header and body (enough for content sniffing).
pub fn pdf_bytes(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    while bytes.len() < len {
        bytes.extend_from_slice(b"1 0 obj << /Type /Catalog >> endobj\n");
    }
    bytes.truncate(len.max(16));
    bytes
}

/// A real PNG of `width`×`height` pixels.
pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A `width`×`height` image of noise (so that it compresses badly) encoded as `format`.
pub fn noise_image(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A tiny PNG that declares `width`×`height` pixels (a decompression bomb: a few dozen bytes
/// that would decode to gigabytes).
pub fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes (the decoder would keep asking for more).
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// A file part with a name and a (lying, for some tests) content type.
pub fn part(bytes: Vec<u8>, file_name: &str, content_type: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(content_type)
        .unwrap()
}

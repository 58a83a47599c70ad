//! The demo binary as a process of its own, on a free loopback port, in a temporary folder that
//! holds its SQLite database, its private root and its logs. It can be killed (SIGKILL) and
//! started again on the same data, and measured from outside ([`measure`]). The process is
//! killed when the guard drops (also when a test fails, whose log is then printed), and the
//! folder removed. Plus what the tests send it: the HTTP client, forms, sample files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod measure;

use std::{
    collections::BTreeMap,
    fs,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    time::{Duration, Instant},
};

use demo::models::{iddocuments, users};
use privates_auth::store;
use reqwest::{
    StatusCode, header,
    multipart::{Form, Part},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectOptions, Database, DatabaseConnection,
    EntityTrait, QueryFilter,
};

/// How long the demo may take to migrate, seed and listen.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How many lines of the demo's log a failing test prints.
const LOG_TAIL: usize = 80;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "demo_session";

/// A free loopback port (the kernel's pick, released for the process that binds it next).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Why a process is not listening.
#[derive(Debug)]
pub(crate) enum NotListening {
    /// It exited first.
    Exited(ExitStatus),
    /// It neither listened nor exited in time (it is still running).
    TimedOut,
}

/// Waits until `port` on loopback accepts connections, for up to `timeout`, watching `child`.
pub(crate) fn wait_for_port(
    child: &mut Child,
    port: u16,
    timeout: Duration,
) -> Result<(), NotListening> {
    let started = Instant::now();
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait().unwrap() {
            return Err(NotListening::Exited(status));
        }
        if started.elapsed() > timeout {
            return Err(NotListening::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running demo (`demo start`, `LOCO_ENV=test`, the development backend unless the
/// environment given says otherwise).
pub(crate) struct Demo {
    dir: tempfile::TempDir,
    /// The private storage's root (`DEMO_PRIVATE_ROOT`).
    pub(crate) private: PathBuf,
    /// Environment variables set on top of the defaults, for every start.
    env: Vec<(String, String)>,
    child: Child,
    /// The process id of the current run.
    pub(crate) pid: u32,
    /// The port the current run listens on.
    pub(crate) port: u16,
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    /// The log of the current run.
    log: PathBuf,
    /// How many times it was started.
    starts: usize,
    running: bool,
}

impl Demo {
    /// Starts the demo in a fresh folder and waits until it accepts connections.
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`start`](Self::start) with `env` set too (it wins over the defaults).
    pub(crate) fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempdir("privates-demo-");
        let private = dir.path().join("private");
        fs::create_dir(&private).unwrap();
        Self::launch(dir, private, env)
    }

    /// [`start_with`](Self::start_with) on the private root `private` (a mount point, a web
    /// server's folder), which must exist.
    pub(crate) fn start_in(private: PathBuf, env: &[(&str, &str)]) -> Self {
        Self::launch(tempdir("privates-demo-"), private, env)
    }

    fn launch(dir: tempfile::TempDir, private: PathBuf, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let (child, port, log) = spawn(dir.path(), &private, &env, 0);
        let mut demo = Self {
            dir,
            private,
            env,
            pid: child.id(),
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
            starts: 1,
            running: true,
        };
        demo.wait_until_listening();
        demo
    }

    fn wait_until_listening(&mut self) {
        match wait_for_port(&mut self.child, self.port, START_TIMEOUT) {
            Ok(()) => {}
            Err(NotListening::Exited(status)) => {
                self.running = false;
                panic!("the demo exited ({status}):\n{}", self.log_text());
            }
            Err(NotListening::TimedOut) => panic!(
                "the demo did not listen on {} in time:\n{}",
                self.port,
                self.log_text()
            ),
        }
    }

    /// SIGKILL, and waits for the process to be gone. The folder stays.
    pub(crate) fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.running = false;
    }

    /// SIGTERM (loco's graceful shutdown: open requests finish, then `Hooks::on_shutdown`),
    /// and waits for the process to exit. The folder stays.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.pid.to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        self.running = false;
        self.child.wait().unwrap()
    }

    /// Starts the demo again on the same folder (database, private root) with the same
    /// environment, killing the running one first; on another port.
    pub(crate) fn restart(&mut self) {
        self.restart_with(&[]);
    }

    /// [`restart`](Self::restart) with `env` changed or added.
    pub(crate) fn restart_with(&mut self, env: &[(&str, &str)]) {
        if self.running {
            self.kill9();
        }
        for (name, value) in env {
            self.env.retain(|(set, _)| set != name);
            self.env.push(((*name).to_owned(), (*value).to_owned()));
        }
        let (child, port, log) = spawn(self.dir.path(), &self.private, &self.env, self.starts);
        self.starts += 1;
        self.pid = child.id();
        self.child = child;
        self.port = port;
        self.base = format!("http://127.0.0.1:{port}");
        self.log = log;
        self.running = true;
        self.wait_until_listening();
    }

    /// Runs `demo <args>` to completion (a task, say) on the same folder and environment.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let mut command = command(self.dir.path(), &self.private, &self.env);
        command.args(args).stdin(Stdio::null());
        command.output().unwrap()
    }

    /// The output of the current run so far.
    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The temporary folder (for files the test writes itself).
    pub(crate) fn temp(&self) -> &Path {
        self.dir.path()
    }

    /// What each open descriptor of the process points at (`socket:[…]`, a path, …).
    pub(crate) fn fds(&self) -> Vec<String> {
        measure::fds_of(self.pid)
    }

    /// The process's resident set size and its peak so far.
    pub(crate) fn memory(&self) -> measure::Memory {
        measure::Memory::of(self.pid)
    }

    // --- HTTP ------------------------------------------------------------------------------

    /// Logs in through the login form (its CSRF token included, as a browser sends it); the
    /// `Cookie` header of the session: `demo_session=<jwt>; privates_csrf=<secret>`.
    pub(crate) async fn login(&self, email: &str, password: &str) -> String {
        let (csrf_cookie, token) = csrf_for(&self.base, None).await;
        let response = client()
            .post(self.url("/login"))
            .header(header::COOKIE, &csrf_cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        let session = session_cookie(&response).expect("a session cookie");
        format!("{session}; {csrf_cookie}")
    }

    /// A CSRF token for the browser and session of `cookie` (from a page's form).
    pub(crate) async fn csrf_token(&self, cookie: &str) -> String {
        csrf_for(&self.base, Some(cookie)).await.1
    }

    /// GETs `path` as a browser would (`Accept: text/html`), with `cookie` if any.
    pub(crate) async fn get(&self, cookie: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = client()
            .get(self.url(path))
            .header(header::ACCEPT, "text/html,*/*;q=0.8");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// POSTs the multipart `form` to `path` as `cookie` (see [`submit`]).
    pub(crate) async fn submit(&self, cookie: &str, path: &str, form: Form) -> reqwest::Response {
        submit(&self.url(path), cookie, form).await
    }

    /// POSTs a change form that must be saved; the id of the saved document. Fails with the
    /// answer and the demo's log otherwise.
    pub(crate) async fn save(&self, cookie: &str, path: &str, form: Form) -> i32 {
        let response = self.submit(cookie, path, form).await;
        let status = response.status();
        if let Some(id) = saved_id(&response).filter(|_| status == StatusCode::SEE_OTHER) {
            return id;
        }
        let location = response.headers().get(header::LOCATION).cloned();
        panic!(
            "{path}: not saved ({status}, location {location:?}):\n{}\n{}",
            response.text().await.unwrap(),
            self.log_text()
        );
    }

    // --- The database ----------------------------------------------------------------------

    /// The path of the demo's SQLite database.
    pub(crate) fn database_path(&self) -> PathBuf {
        database_path(self.dir.path())
    }

    /// The SQLite URL of the demo's database.
    pub(crate) fn database_url(&self) -> String {
        database_url(self.dir.path())
    }

    /// A connection pool to the demo's database without idle or lifetime reaping: sqlx 0.9's
    /// reaper can race `close()` (its idle count wraps below zero) and then spins forever,
    /// which hangs the test's runtime at shutdown.
    pub(crate) async fn connect(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.database_url());
        options
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .sqlx_logging(false);
        Database::connect(options).await.unwrap()
    }

    /// The document row `id`.
    pub(crate) async fn doc(&self, id: i32) -> iddocuments::Model {
        let db = self.connect().await;
        let doc = iddocuments::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .expect("the document");
        db.close().await.unwrap();
        doc
    }

    /// How many document rows there are.
    pub(crate) async fn doc_count(&self) -> usize {
        let db = self.connect().await;
        let count = iddocuments::Entity::find().all(&db).await.unwrap().len();
        db.close().await.unwrap();
        count
    }

    /// Adds an `id_documents` row straight to the database; its id.
    pub(crate) async fn insert_doc(&self, title: &str, pdf: Option<&str>, mugshot: &str) -> i32 {
        let db = self.connect().await;
        let doc = iddocuments::ActiveModel {
            title: Set(title.to_owned()),
            pdf: Set(pdf.map(str::to_owned)),
            mugshot: Set(mugshot.to_owned()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        db.close().await.unwrap();
        doc.id
    }

    /// The user `email`.
    pub(crate) async fn user(&self, email: &str) -> users::Model {
        let db = self.connect().await;
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {email}"));
        db.close().await.unwrap();
        user
    }

    /// The permissions the user `email` holds.
    pub(crate) async fn permissions_of(&self, email: &str) -> Vec<String> {
        let user = self.user(email).await;
        let db = self.connect().await;
        let held = store::holdings(&db, user.id).await.unwrap();
        db.close().await.unwrap();
        held.permissions().into_iter().map(str::to_owned).collect()
    }

    /// Adds a user with the password `password` holding exactly `permissions`.
    pub(crate) async fn add_user(&self, email: &str, password: &str, permissions: &[&str]) {
        let db = self.connect().await;
        let user = users::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            email: Set(email.to_owned()),
            password: Set(loco_rs::hash::hash_password(password).unwrap()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        for permission in permissions {
            store::grant_to_user(&db, user.id, permission)
                .await
                .unwrap();
        }
        db.close().await.unwrap();
    }

    // --- The private root ------------------------------------------------------------------

    /// Writes `bytes` to the private root under `name` (folders created).
    pub(crate) fn put_file(&self, name: &str, bytes: &[u8]) {
        let path = self.private.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    /// Whether the stored name `name` is a file in the private root.
    pub(crate) fn stored(&self, name: &str) -> bool {
        self.private.join(name).is_file()
    }

    /// The bytes of the stored name `name`.
    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.private.join(name)).unwrap()
    }

    /// The version of the stored file `name` as a share link signs it, read as the demo's
    /// storage reads it.
    pub(crate) async fn version(&self, name: &str) -> String {
        privates::storage::LocalStorage::new(&self.private, "/private-media/")
            .unwrap()
            .open(name)
            .await
            .unwrap()
            .version()
    }

    /// Every entry under the private root, hidden ones included, relative and sorted, with
    /// the bytes of the files (`None` for symlinks and other non-files).
    pub(crate) fn snapshot(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut out = BTreeMap::new();
        snapshot(&self.private, &self.private, &mut out);
        out
    }

    /// The names of every entry under the private root, relative and sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        self.snapshot().into_keys().collect()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.running {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let text = self.log_text();
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(LOG_TAIL);
            eprintln!(
                "--- demo log (last lines) ---\n{}",
                lines[start..].join("\n")
            );
        }
    }
}

fn tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().unwrap()
}

fn database_path(dir: &Path) -> PathBuf {
    dir.join("db.sqlite")
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", database_path(dir).display())
}

/// `demo` with the environment of a demo in `dir` on `private`, `env` last.
fn command(dir: &Path, private: &Path, env: &[(String, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .env("LOCO_ENV", "test")
        .env("DATABASE_URL", database_url(dir))
        .env("DEMO_PRIVATE_ROOT", private)
        .env("DEMO_SENDFILE_BACKEND", "development")
        .env("DEMO_BINDING", "127.0.0.1")
        .env_remove("DEMO_JWT_SECRET")
        .env_remove("LOCO_CONFIG_FOLDER")
        .env_remove("AWS_SESSION_TOKEN");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Spawns `demo start` on a free port, its output to `demo-<number>.log`.
fn spawn(
    dir: &Path,
    private: &Path,
    env: &[(String, String)],
    number: usize,
) -> (Child, u16, PathBuf) {
    let port = free_port();
    let log = dir.join(format!("demo-{number}.log"));
    let out = fs::File::create(&log).unwrap();
    let child = command(dir, private, env)
        .arg("start")
        .env("DEMO_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap();
    (child, port, log)
}

fn snapshot(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let file_type = entry.file_type().unwrap();
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if file_type.is_dir() {
            snapshot(root, &path, out);
        } else if file_type.is_file() {
            out.insert(name, Some(fs::read(&path).unwrap()));
        } else {
            out.insert(name, None);
        }
    }
}

// --- What the tests send -----------------------------------------------------------------

/// A client that does not follow redirects (the tests look at each hop).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `demo_session=<value>` pair a response sets, if it sets one.
pub(crate) fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{COOKIE}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// POSTs the multipart `form` to `url` as `cookie`, as the admin's HTML form does, with a
/// CSRF token for `cookie` (in the `X-CSRFToken` header: the test's form has no token field).
pub(crate) async fn submit(url: &str, cookie: &str, form: Form) -> reqwest::Response {
    let token = csrf_for(origin(url), Some(cookie)).await.1;
    client()
        .post(url)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .header("x-csrftoken", token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The name of the CSRF secret's cookie.
pub(crate) const CSRF_COOKIE: &str = "privates_csrf";

/// `scheme://host:port` of `url`.
pub(crate) fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    &url[..end]
}

/// The value of the first `csrf_token` field of a page.
pub(crate) fn csrf_in(html: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

/// The `privates_csrf=<secret>` pair a response sets, if it sets one.
pub(crate) fn csrf_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{CSRF_COOKIE}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// Opens the login page of the site at `base` as `cookie` (a browser with that cookie): the
/// cookie with the CSRF secret (`cookie` itself when it had one; only the secret's pair
/// without `cookie`) and a token of the page's form.
pub(crate) async fn csrf_for(base: &str, cookie: Option<&str>) -> (String, String) {
    let mut request = client().get(format!("{base}/login"));
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the login page");
    let issued = csrf_cookie(&response);
    let html = response.text().await.unwrap();
    let token = csrf_in(&html).expect("a csrf_token field");
    let cookie = match (cookie, issued) {
        (Some(cookie), Some(issued)) => format!("{cookie}; {issued}"),
        (Some(cookie), None) => cookie.to_owned(),
        (None, Some(issued)) => issued,
        (None, None) => panic!("no CSRF cookie for a new browser"),
    };
    (cookie, token)
}

/// The id in the `Location` of a saved form (`/admin/docs/iddocument/{id}/change/?saved=1`).
pub(crate) fn saved_id(response: &reqwest::Response) -> Option<i32> {
    response
        .headers()
        .get(header::LOCATION)?
        .to_str()
        .ok()?
        .strip_prefix("/admin/docs/iddocument/")?
        .strip_suffix("/change/?saved=1")?
        .parse()
        .ok()
}

/// The share link shown in the `shared_{field}_url` input of a page, unescaped.
pub(crate) fn shared_link(html: &str, field: &str) -> Option<String> {
    let marker = format!(r#"id="shared_{field}_url" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&"))
}

/// A file part of a multipart form.
pub(crate) fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

// --- Sample files ------------------------------------------------------------------------

/// A one-page PDF.
pub(crate) fn pdf() -> Vec<u8> {
    demo::seed::SAMPLE_PDF.to_vec()
}

/// A valid PDF (by its header) of exactly `size` bytes.
pub(crate) fn pdf_of_size(size: usize) -> Vec<u8> {
    let mut bytes = pdf();
    bytes.resize(size, b'\n');
    bytes
}

/// A `width` x `height` RGB PNG: a diagonal gradient, so a screenshot shows it.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            let r = u8::try_from(x * 255 / width.max(1)).unwrap();
            let g = u8::try_from(y * 255 / height.max(1)).unwrap();
            raw.extend_from_slice(&[r, g, 160]);
        }
    }
    // zlib with stored (uncompressed) deflate blocks.
    let mut zlib = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in chunks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(block.len()).unwrap();
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    png
}

/// The CRC-32 of a PNG chunk.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1_u32, 0_u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

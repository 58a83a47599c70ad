//! The demo binary on a free loopback port, with a temporary database and private root; the
//! process is stopped when the guard is dropped (also when a test fails, whose log is printed).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    fs,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use demo::models::iddocuments;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database, EntityTrait};

/// How long the demo may take to migrate, seed and listen.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The session cookie's name.
pub(crate) const COOKIE: &str = "demo_session";

/// A running demo.
pub(crate) struct Demo {
    dir: tempfile::TempDir,
    /// The private storage's root.
    pub(crate) private: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    child: Child,
    log: PathBuf,
}

/// A free loopback port (the kernel's pick, released for the demo to bind).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Demo {
    /// Starts `demo start` (`LOCO_ENV=test`) and waits until it accepts connections.
    pub(crate) fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("privates-demo-")
            .tempdir()
            .unwrap();
        let private = dir.path().join("private");
        fs::create_dir(&private).unwrap();
        let log = dir.path().join("demo.log");
        let port = free_port();
        let out = fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_demo"))
            .arg("start")
            .env("LOCO_ENV", "test")
            .env("DEMO_PORT", port.to_string())
            .env("DEMO_BINDING", "127.0.0.1")
            .env("DATABASE_URL", database_url(dir.path()))
            .env("DEMO_PRIVATE_ROOT", &private)
            .env("DEMO_SENDFILE_BACKEND", "development")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let mut demo = Self {
            dir,
            private,
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        demo.wait_for(port);
        demo
    }

    fn wait_for(&mut self, port: u16) {
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the demo exited ({status}):\n{}", self.log_text());
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the demo did not listen on {port} in time:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The demo's output so far.
    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The SQLite URL of the demo's database.
    pub(crate) fn database_url(&self) -> String {
        database_url(self.dir.path())
    }

    /// The absolute URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The temporary folder (for files the test writes itself).
    pub(crate) fn temp(&self) -> &Path {
        self.dir.path()
    }

    /// Logs in through the login form; the `demo_session=<jwt>` cookie pair.
    pub(crate) async fn login(&self, email: &str, password: &str) -> String {
        let response = client()
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SEE_OTHER,
            "login of {email}"
        );
        session_cookie(&response).expect("a session cookie")
    }

    /// Every file in the private storage, relative and sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.private, &self.private, &mut out);
        out.sort();
        out
    }

    /// Whether the stored name `name` exists in the private storage.
    pub(crate) fn stored(&self, name: &str) -> bool {
        self.private.join(name).is_file()
    }

    /// The bytes of the stored name `name`.
    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.private.join(name)).unwrap()
    }

    /// The document row `id`, read straight from the database.
    pub(crate) async fn doc(&self, id: i32) -> iddocuments::Model {
        let db = Database::connect(self.database_url()).await.unwrap();
        let doc = iddocuments::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .expect("the document");
        db.close().await.unwrap();
        doc
    }

    /// Inserts a document row straight into the database; its id.
    pub(crate) async fn insert_doc(&self, title: &str, pdf: Option<&str>, mugshot: &str) -> i32 {
        let db = Database::connect(self.database_url()).await.unwrap();
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
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- demo log ---\n{}", self.log_text());
        }
    }
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

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
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{COOKIE}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

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

fn crc32(bytes: &[u8]) -> u32 {
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

//! Two demo instances, the deployment apps grow into: one PostgreSQL database (a throwaway
//! cluster on loopback, `privates_test_support::postgres`), the files in one bucket (s3s-fs)
//! or one shared folder, two app processes. Each request goes to the instance the test names,
//! so every property below is about crossing from one instance to the other:
//!
//! - a session from one downloads through the other;
//! - a share link minted by one is served by the other;
//! - a grant revoked through one (its `privates_revoke` task) takes effect on the other's next
//!   request;
//! - simultaneous uploads of one file name through both never take one stored name twice:
//!   every row names its own file, holding the bytes uploaded for it;
//! - the cleanup task run by one never removes the other's upload in flight.
//!
//! The uploads race on a shared folder, where the kernel publishes a name exclusively. In a
//! bucket the same guarantee rests on the service's conditional write (`If-None-Match: *`,
//! atomic on AWS S3, MinIO, R2); s3s-fs checks the condition before it reads the body, not
//! atomically, so two simultaneous writes of one key can both pass there.
//!
//! Run with `cargo test -p demo --test instances -- --include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::BTreeSet,
    path::Path,
    time::{Duration, Instant},
};

use common::{Demo, client, file, pdf, png, shared_link};
use demo::models::iddocuments;
use privates_test_support::S3TestServer;
use privates_test_support::postgres::PostgresServer;
use reqwest::{StatusCode, header, multipart::Form};
use sea_orm::{Database, DatabaseConnection, EntityTrait};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const BUCKET: &str = "privates-instances";
const PREFIX: &str = "private/";
const ACCESS_KEY: &str = "privates-instances-key";
const SECRET_KEY: &str = "privates-instances-secret";

/// What every instance of the deployment shares: the database and the keys.
fn shared_env(database: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database.to_owned()),
        // An environment's own keys, the same in every instance (the built-in ones are for
        // development only).
        (
            "DEMO_JWT_SECRET",
            "TheInstancesOwnJwtSecret0123456789abcdefghij".to_owned(),
        ),
        (
            "DEMO_SHARE_KEY",
            "5a1c2a7e9b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3c".to_owned(),
        ),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// An instance on the shared database with its files in `s3`'s bucket.
fn start_on_bucket(database: &str, s3: &S3TestServer) -> Demo {
    let mut env = shared_env(database);
    env.extend([
        ("LOCO_ENV", "s3".to_owned()),
        ("DEMO_S3_ENDPOINT", s3.endpoint()),
        ("DEMO_S3_BUCKET", BUCKET.to_owned()),
        ("DEMO_S3_REGION", "us-east-1".to_owned()),
        ("DEMO_S3_PREFIX", PREFIX.to_owned()),
        ("DEMO_SENDFILE_BACKEND", "stream".to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
    ]);
    Demo::start_with(&borrowed(&env))
}

/// An instance on the shared database with its files in the shared folder `private`.
fn start_on_folder(database: &str, private: &Path) -> Demo {
    Demo::start_in(private.to_path_buf(), &borrowed(&shared_env(database)))
}

async fn download(instance: &Demo, cookie: &str, id: i32) -> (StatusCode, Vec<u8>) {
    let response = instance
        .get(Some(cookie), &format!("/admin/docs/iddocument/{id}/pdf/"))
        .await;
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

async fn doc(db: &DatabaseConnection, id: i32) -> iddocuments::Model {
    iddocuments::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// A PDF whose bytes tell which upload it was.
fn marked_pdf(mark: &str) -> Vec<u8> {
    let mut bytes = pdf();
    bytes.extend_from_slice(format!("% {mark}\n").as_bytes());
    bytes
}

fn task(instance: &Demo, args: &[&str]) -> String {
    let output = instance.run(&[&["task"], args].concat());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "task {args:?} failed:\n{text}");
    text
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs postgres and an S3 server"]
async fn sessions_share_links_and_revocations_cross_instances() {
    let postgres = PostgresServer::start().unwrap_or_else(|err| panic!("{err}"));
    let database = postgres.create_database("demo").unwrap();
    let s3 = S3TestServer::builder()
        .bucket(BUCKET)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .start()
        .unwrap_or_else(|err| panic!("{err}"));
    // One after the other: the first migrates and seeds, the second finds both done.
    let one = start_on_bucket(&database, &s3);
    let two = start_on_bucket(&database, &s3);

    // A session from one downloads through the other.
    let clerk = one.login("clerk@example.com", "clerk").await;
    assert_eq!(
        download(&two, &clerk, 1).await,
        (StatusCode::OK, demo::seed::SAMPLE_PDF.to_vec())
    );

    // A share link minted by one is served by the other.
    let minted = client()
        .post(one.url("/admin/docs/iddocument/1/share/pdf/"))
        .header(header::COOKIE, &clerk)
        .header("x-csrftoken", one.csrf_token(&clerk).await)
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), StatusCode::OK);
    let link = shared_link(&minted.text().await.unwrap(), "pdf").expect("the minted link");
    let path = &link[link.find("/admin/").expect("a link into the admin")..];
    let shared = client().get(two.url(path)).send().await.unwrap();
    assert_eq!(shared.status(), StatusCode::OK, "{link}");
    assert_eq!(shared.bytes().await.unwrap(), demo::seed::SAMPLE_PDF);

    // A grant revoked through one takes effect on the other's next request.
    task(
        &one,
        &[
            "privates_revoke",
            "perm:docs.can_change_iddocument",
            "user:clerk@example.com",
        ],
    );
    assert_eq!(download(&two, &clerk, 1).await.0, StatusCode::FORBIDDEN);
    // And a log-out through the other ends the session on the first.
    let admin = one.login("admin@example.com", "admin").await;
    assert_eq!(download(&one, &admin, 1).await.0, StatusCode::OK);
    let logout = client()
        .post(two.url("/logout"))
        .header(header::COOKIE, &admin)
        .header("x-csrftoken", two.csrf_token(&admin).await)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let after = one.get(Some(&admin), "/admin/docs/iddocument/1/pdf/").await;
    assert_eq!(after.status(), StatusCode::FOUND, "to the login page");
    assert!(
        after.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs postgres"]
async fn simultaneous_uploads_and_the_cleanup_across_instances() {
    let postgres = PostgresServer::start().unwrap_or_else(|err| panic!("{err}"));
    let database = postgres.create_database("demo").unwrap();
    let shared = tempfile::tempdir().unwrap();
    let one = start_on_folder(&database, shared.path());
    let two = start_on_folder(&database, shared.path());
    let db = Database::connect(&database).await.unwrap();
    let admin = one.login("admin@example.com", "admin").await;

    // Simultaneous uploads of one file name through both: every row its own file.
    let uploads = (0..8).map(|n| {
        let (instance, name) = if n % 2 == 0 {
            (&one, "one")
        } else {
            (&two, "two")
        };
        let admin = admin.clone();
        async move {
            let bytes = marked_pdf(&format!("upload {n} through {name}"));
            let form = Form::new()
                .text("title", format!("upload {n}"))
                .part(
                    "pdf",
                    file(bytes.clone(), "same name.pdf", "application/pdf"),
                )
                .part("mugshot", file(png(8, 8), "same face.png", "image/png"));
            let id = instance
                .save(&admin, "/admin/docs/iddocument/add/", form)
                .await;
            (id, bytes)
        }
    });
    let mut names = BTreeSet::new();
    for (id, bytes) in futures_util::future::join_all(uploads).await {
        let row = doc(&db, id).await;
        let name = row.pdf.clone().unwrap();
        assert!(names.insert(name.clone()), "{name} stored twice");
        assert!(
            names.insert(row.mugshot.clone()),
            "{} stored twice",
            row.mugshot
        );
        assert_eq!(one.read(&name), bytes, "row {id} names {name}");
    }

    // An upload in flight on one, its body trickling in; the cleanup runs on two meanwhile.
    let bytes = marked_pdf(&"slow upload ".repeat(2000));
    let mut slow = SlowUpload::start(&one, &admin, &bytes).await;
    let in_flight = Instant::now();
    slow.send_part(Duration::from_millis(1500)).await;
    let temp_files = || -> Vec<String> {
        one.files()
            .into_iter()
            .filter(|name| name.ends_with(".part"))
            .collect()
    };
    assert_eq!(
        temp_files().len(),
        1,
        "the upload's temporary file: {:?}",
        one.files()
    );
    // A control: the temporary file of a save that died an hour ago, which the same run
    // must remove (so the run did look at the shared folder).
    let stale = shared.path().join("docs/.dead.pdf~Ab3dE5gH.part");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::File::create(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let cleaned = task(&two, &["privates_clean_temp", "age:1s"]);
    assert!(in_flight.elapsed() > Duration::from_secs(1));
    assert!(cleaned.contains("removed 1 temporary file(s)"), "{cleaned}");
    assert!(cleaned.contains("kept 1 younger"), "{cleaned}");
    assert!(!stale.exists(), "{cleaned}");
    assert_eq!(
        temp_files().len(),
        1,
        "the cleanup removed an upload in flight: {cleaned}"
    );
    let id = slow.finish().await;
    assert_eq!(one.read(&doc(&db, id).await.pdf.unwrap()), bytes);
    assert!(temp_files().is_empty());
    db.close().await.unwrap();
}

/// An add form posted over a raw connection, its file part sent in small pieces.
struct SlowUpload {
    tcp: TcpStream,
    body: Vec<u8>,
    sent: usize,
}

impl SlowUpload {
    const BOUNDARY: &'static str = "XinstancesBoundaryX";

    async fn start(instance: &Demo, cookie: &str, pdf: &[u8]) -> Self {
        let token = instance.csrf_token(cookie).await;
        let boundary = Self::BOUNDARY;
        let mut body = Vec::new();
        for (name, file_name, mime, bytes) in [
            ("mugshot", "face.png", "image/png", png(8, 8)),
            ("pdf", "slow.pdf", "application/pdf", pdf.to_vec()),
        ] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                     filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(&bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nslow\r\n\
                 --{boundary}--\r\n"
            )
            .as_bytes(),
        );
        let mut tcp = TcpStream::connect(("127.0.0.1", instance.port))
            .await
            .unwrap();
        let head = format!(
            "POST /admin/docs/iddocument/add/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Cookie: {cookie}\r\nAccept: text/html\r\nX-CSRFToken: {token}\r\n\
             Origin: http://127.0.0.1:{port}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {length}\r\nConnection: close\r\n\r\n",
            port = instance.port,
            length = body.len()
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        Self { tcp, body, sent: 0 }
    }

    /// Sends half of what is left in pieces, one every 100 ms, for about `duration`.
    async fn send_part(&mut self, duration: Duration) {
        let pieces = (duration.as_millis() / 100).max(1) as usize;
        let left = (self.body.len() - self.sent) / 2;
        let piece = (left / pieces).max(1);
        for _ in 0..pieces {
            let end = (self.sent + piece).min(self.body.len());
            if let Err(err) = self.tcp.write_all(&self.body[self.sent..end]).await {
                let mut answer = String::new();
                let _ = self.tcp.read_to_string(&mut answer).await;
                panic!("the upload was cut off ({err}): {answer}");
            }
            self.sent = end;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends the rest; the id of the saved document.
    async fn finish(mut self) -> i32 {
        self.tcp.write_all(&self.body[self.sent..]).await.unwrap();
        let mut answer = String::new();
        self.tcp.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let location = answer
            .lines()
            .find_map(|line| line.strip_prefix("location: "))
            .expect("a redirect");
        location
            .trim_start_matches("/admin/docs/iddocument/")
            .split('/')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("not a change page: {location}"))
    }
}

//! Direct uploads to the bucket, through real HTTP against a real S3-protocol server that
//! checks presigned signatures and their expiry (s3s-fs, run by
//! `privates_test_support::S3TestServer`): the issuing route, the browser's `PUT`, the form
//! that carries only the ticket, the checks of the object, and the cleanup task.
//!
//! Run with `cargo test -p privates-admin --test direct -- --include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    CSRF_SECRET, Doc, MUGSHOT_MAX, PDF_MAX, World, bomb_png, pdf_bytes, png_bytes, value_of,
};
use http::StatusCode;
use loco_rs::{
    controller::Routes,
    task::{Task, Vars},
};
use privates::{
    PrivatesConfig,
    config::{Backend, StorageConfig},
    storage::DIRECT_UPLOAD_PREFIX,
    task::PrivatesCleanTemp,
};
use privates_admin::{ModelAdmin, direct::DEFAULT_TTL};
use privates_test_support::S3TestServer;
use reqwest::multipart::Form;

const ISSUE: &str = "/admin/docs/iddocument/direct-upload/";

fn s3() -> S3TestServer {
    S3TestServer::start().unwrap_or_else(|err| panic!("{err}"))
}

/// A world whose storage is `server`'s bucket, with direct uploads living `ttl`.
async fn world(server: &S3TestServer, ttl: Duration) -> World {
    let config = server.storage_config();
    World::start_with(
        ModelAdmin::new().direct_uploads(ttl),
        Routes::new(),
        move |privates: &mut PrivatesConfig| {
            privates.storage = Some(StorageConfig::S3(config));
            privates.sendfile.backend = Backend::Stream;
            privates.sendfile.root = None;
            privates.sendfile.url = None;
        },
    )
    .await
}

/// What the issuing route answered.
struct Issued {
    url: String,
    headers: Vec<(String, String)>,
    key: String,
    ticket: String,
}

/// Asks for a direct upload of `name` (`size` bytes) into `field` as `root`, in the browser
/// session `session`.
async fn issue(world: &World, field: &str, name: &str, size: u64, session: &str) -> Issued {
    let (status, body) = ask(world, field, name, size, Some("root"), session).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["method"], "PUT");
    Issued {
        url: json["url"].as_str().unwrap().to_owned(),
        headers: json["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
        key: json["key"].as_str().unwrap().to_owned(),
        ticket: json["ticket"].as_str().unwrap().to_owned(),
    }
}

async fn ask(
    world: &World,
    field: &str,
    name: &str,
    size: u64,
    user: Option<&str>,
    session: &str,
) -> (StatusCode, String) {
    let mut request = world
        .client
        .post(world.url(ISSUE))
        .header("content-type", "application/json")
        .body(serde_json::json!({"field": field, "name": name, "size": size}).to_string());
    if let Some(user) = user {
        request = request.header("x-user", user);
    }
    let response = with_session(world, request, session).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// `request` in the browser session `session` (the `no-session` cookie the tests' CSRF
/// settings bind tokens to), with its CSRF cookie and token.
fn with_session(
    world: &World,
    request: reqwest::RequestBuilder,
    session: &str,
) -> reqwest::RequestBuilder {
    let csrf = privates_admin::AdminState::from_ctx(&world.ctx)
        .unwrap()
        .csrf;
    request
        .header(
            "cookie",
            format!("privates_csrf={CSRF_SECRET}; no-session={session}"),
        )
        .header("x-csrftoken", csrf.mint(CSRF_SECRET, Some(session)))
}

/// The browser's `PUT` of `bytes` to the presigned URL.
async fn put(issued: &Issued, bytes: Vec<u8>) -> StatusCode {
    let mut request = reqwest::Client::new().put(&issued.url).body(bytes);
    for (name, value) in &issued.headers {
        request = request.header(name, value);
    }
    request.send().await.unwrap().status()
}

/// Posts the change form of `pk` carrying `ticket` in `{field}-direct`, as `root` in
/// `session`.
async fn submit(
    world: &World,
    pk: i32,
    field: &str,
    ticket: &str,
    session: &str,
) -> (StatusCode, String) {
    submit_all(world, pk, &[(field, ticket)], session).await
}

/// Posts the change form of `pk` with a ticket per field.
async fn submit_all(
    world: &World,
    pk: i32,
    tickets: &[(&str, &str)],
    session: &str,
) -> (StatusCode, String) {
    let mut form = Form::new().text("title", "direct");
    for (field, ticket) in tickets {
        form = form.text(format!("{field}-direct"), (*ticket).to_owned());
    }
    let request = world
        .client
        .post(world.url(&format!("/admin/docs/iddocument/{pk}/change/")))
        .header("x-user", "root");
    let response = with_session(world, request, session)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn direct_keys(server: &S3TestServer) -> Vec<String> {
    server
        .keys()
        .unwrap()
        .into_iter()
        .filter(|key| key.contains(DIRECT_UPLOAD_PREFIX))
        .collect()
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn a_direct_upload_is_checked_then_saved_under_the_field() {
    let server = s3();
    let world = world(&server, DEFAULT_TTL).await;
    let pdf = pdf_bytes(20_000);
    let issued = issue(&world, "pdf", "C:\\fakepath\\scan.pdf", 20_000, "alice").await;
    assert!(
        issued.key.starts_with(DIRECT_UPLOAD_PREFIX),
        "{}",
        issued.key
    );
    assert!(issued.key.ends_with("/scan.pdf"), "{}", issued.key);
    assert_eq!(put(&issued, pdf.clone()).await, StatusCode::OK);
    // An image: decoded in full, its dimensions in the answer.
    let png = png_bytes(40, 30);
    let image = issue(&world, "mugshot", "me.png", png.len() as u64, "alice").await;
    assert_eq!(put(&image, png).await, StatusCode::OK);
    assert_eq!(direct_keys(&server).len(), 2);

    let tickets = [("pdf", issued.ticket.as_str()), ("mugshot", &image.ticket)];
    let (status, body) = submit_all(&world, 1, &tickets, "alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        value_of(&body, "mugshot.dimensions"),
        Some("40x30"),
        "{body}"
    );
    assert_eq!(value_of(&body, "pdf"), Some("scan.pdf"), "{body}");
    assert_eq!(value_of(&body, "pdf.type"), Some("application/pdf"));
    assert_eq!(value_of(&body, "pdf.size"), Some("20000"));
    // Saved under its name, the temporary object gone.
    assert!(direct_keys(&server).is_empty(), "{:?}", server.keys());
    let download = world
        .get("/admin/docs/iddocument/1/pdf/", Some("root"))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf.as_slice());

    // A second upload of the same name is saved beside the first, never over it.
    let again = issue(&world, "pdf", "scan.pdf", 20_000, "alice").await;
    assert_eq!(put(&again, pdf_bytes(20_000)).await, StatusCode::OK);
    let (status, body) = submit(&world, 1, "pdf", &again.ticket, "alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = value_of(&body, "pdf").unwrap();
    assert!(
        second.starts_with("scan_") && second.ends_with(".pdf"),
        "{body}"
    );
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn a_failing_object_is_deleted_and_the_form_says_why() {
    let server = s3();
    let world = world(&server, DEFAULT_TTL).await;
    world.docs.put("1".to_owned(), with_mugshot(1));
    let cases: [(&str, &str, Vec<u8>, &str); 4] = [
        // Announced small, sent large: the object's own size decides.
        (
            "pdf",
            "big.pdf",
            pdf_bytes(usize::try_from(PDF_MAX).unwrap() + 1),
            "too large",
        ),
        ("pdf", "fake.pdf", png_bytes(10, 10), "type"),
        ("mugshot", "broken.png", broken_png(), "image"),
        ("mugshot", "bomb.png", bomb_png(30_000, 30_000), "pixels"),
    ];
    for (field, name, bytes, says) in cases {
        let issued = issue(&world, field, name, 10, "alice").await;
        assert_eq!(put(&issued, bytes).await, StatusCode::OK);
        let (status, body) = submit(&world, 1, field, &issued.ticket, "alice").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_eq!(body.lines().count(), 1, "{name}: {body}");
        assert!(body.starts_with(&format!("{field}: ")), "{name}: {body}");
        assert!(body.to_lowercase().contains(says), "{name}: {body}");
        assert!(
            direct_keys(&server).is_empty(),
            "{name}: {:?}",
            server.keys()
        );
    }
    // Nothing was saved: the bucket holds no object at all.
    assert_eq!(server.keys().unwrap(), Vec::<String>::new());
}

/// Document `id` with a mugshot stored already (its required field is filled).
fn with_mugshot(id: i32) -> Doc {
    Doc {
        id,
        mugshot: "mugshots/me.png".to_owned(),
        ..Doc::default()
    }
}

/// A PNG whose header is valid and whose pixel data is not.
fn broken_png() -> Vec<u8> {
    let mut png = png_bytes(64, 64);
    let cut = png.len() - 30;
    png.truncate(cut);
    png.extend_from_slice(&[0xAB; 40]);
    png
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn a_ticket_of_another_session_field_or_key_is_refused() {
    let server = s3();
    let world = world(&server, DEFAULT_TTL).await;
    world.docs.put("1".to_owned(), with_mugshot(1));
    let issued = issue(&world, "notes", "notes.txt", 5, "alice").await;
    assert_eq!(put(&issued, b"hello".to_vec()).await, StatusCode::OK);
    let forged = "This upload was not issued to you for this field";
    // Another user's session.
    let (status, body) = submit(&world, 1, "notes", &issued.ticket, "mallory").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains(&format!("notes: {forged}")), "{body}");
    // Another field of the same form.
    let (status, body) = submit(&world, 1, "pdf", &issued.ticket, "alice").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains(&format!("pdf: {forged}")), "{body}");
    // Another key (someone else's upload) under the same signature, and a bad signature.
    let (expires, rest) = issued.ticket.split_once('.').unwrap();
    let (sig, _) = rest.split_once('.').unwrap();
    let other_key = format!("{expires}.{sig}.{DIRECT_UPLOAD_PREFIX}other/notes.txt");
    let bad_sig = format!("{expires}.AAAA{}", &rest[4..]);
    for ticket in [other_key.as_str(), bad_sig.as_str(), "garbage", "1.2.3"] {
        let (status, body) = submit(&world, 1, "notes", ticket, "alice").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{ticket}: {body}");
        assert!(
            body.contains(&format!("notes: {forged}")),
            "{ticket}: {body}"
        );
    }
    // Refused tickets touch no object: the upload is still there for its owner.
    assert_eq!(direct_keys(&server), std::slice::from_ref(&issued.key));
    let (status, body) = submit(&world, 1, "notes", &issued.ticket, "alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(value_of(&body, "notes"), Some("notes.txt"));
    // A ticket is good once: its object is gone.
    let (status, body) = submit(&world, 1, "notes", &issued.ticket, "alice").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("did not reach the storage"), "{body}");
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn an_expired_url_and_an_expired_ticket_are_refused() {
    let server = s3();
    let world = world(&server, Duration::from_secs(1)).await;
    world.docs.put("1".to_owned(), with_mugshot(1));
    let early = issue(&world, "notes", "early.txt", 5, "alice").await;
    assert_eq!(put(&early, b"early".to_vec()).await, StatusCode::OK);
    let late = issue(&world, "notes", "late.txt", 5, "alice").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // s3s-fs checks the presigned URL's expiry.
    assert_eq!(put(&late, b"late".to_vec()).await, StatusCode::FORBIDDEN);
    let (status, body) = submit(&world, 1, "notes", &early.ticket, "alice").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("notes: The upload expired before the form was saved"),
        "{body}"
    );
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn the_issuing_route_runs_the_forms_checks() {
    let server = s3();
    let world = world(&server, DEFAULT_TTL).await;
    let status_of = |(status, _): (StatusCode, String)| status;
    assert_eq!(
        status_of(ask(&world, "pdf", "a.pdf", 10, None, "s").await),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(ask(&world, "pdf", "a.pdf", 10, Some("viewer"), "s").await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status_of(ask(&world, "title", "a.pdf", 10, Some("root"), "s").await),
        StatusCode::NOT_FOUND
    );
    let (status, body) = ask(
        &world,
        "mugshot",
        "a.png",
        MUGSHOT_MAX + 1,
        Some("root"),
        "s",
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("too large"), "{body}");
    let (status, body) = ask(&world, "pdf", "..", 10, Some("root"), "s").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // No CSRF token: refused before anything else.
    let response = world
        .client
        .post(world.url(ISSUE))
        .header("x-user", "root")
        .header("cookie", format!("privates_csrf={CSRF_SECRET}"))
        .body(r#"{"field":"pdf","name":"a.pdf","size":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(direct_keys(&server).is_empty());
}

#[tokio::test]
async fn with_the_local_storage_the_form_carries_the_file() {
    let world = World::start(ModelAdmin::new().direct_uploads(DEFAULT_TTL), Routes::new()).await;
    let (status, body) = ask(&world, "pdf", "a.pdf", 10, Some("root"), "s").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("storage.backend: s3"), "{body}");
    // The widget names the issuing route for the script.
    let admin = ModelAdmin::<Doc>::new().direct_uploads(DEFAULT_TTL);
    let html = admin.widget(Doc::PDF, None).to_string();
    assert!(
        html.contains(&format!(r#"data-direct-upload="{ISSUE}""#)),
        "{html}"
    );
    let off = ModelAdmin::<Doc>::new().widget(Doc::PDF, None).to_string();
    assert!(!off.contains("data-direct-upload"), "{off}");
}

#[tokio::test]
#[ignore = "needs s3s-fs"]
async fn the_cleanup_task_removes_abandoned_uploads_and_keeps_fresh_ones() {
    let server = s3();
    let world = world(&server, DEFAULT_TTL).await;
    let abandoned = issue(&world, "notes", "old.txt", 3, "alice").await;
    assert_eq!(put(&abandoned, b"old".to_vec()).await, StatusCode::OK);
    let saved = world
        .privates
        .files()
        .save_bytes("kept/old.txt", "a saved file")
        .await;
    let saved = saved.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fresh = issue(&world, "notes", "new.txt", 3, "alice").await;
    assert_eq!(put(&fresh, b"new".to_vec()).await, StatusCode::OK);
    let vars = |args: &[(&str, &str)]| {
        Vars::from_cli_args(
            args.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    let task = PrivatesCleanTemp::default();
    task.run(&world.ctx, &vars(&[("age", "2"), ("dry_run", "true")]))
        .await
        .unwrap();
    assert_eq!(direct_keys(&server).len(), 2, "a dry run removes nothing");
    task.run(&world.ctx, &vars(&[("age", "2")])).await.unwrap();
    let left = direct_keys(&server);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].ends_with(&fresh.key), "{left:?}");
    assert!(world.privates.files().exists(&saved).await.unwrap());
}

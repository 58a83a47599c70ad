//! The S3 storage and the `redirect` / `stream` backends against a real S3-protocol server on
//! loopback that verifies SigV4 signatures and the expiry of presigned URLs: s3s-fs (crates.io,
//! `cargo install s3s-fs@0.14.1 --locked --features binary --root .tools`, which
//! `scripts/test` runs). Each test starts its own server in a temporary folder with
//! authentication on, through `privates_test_support::S3TestServer` (the binary is `$S3S_FS`, else
//! `.tools/bin/s3s-fs` of the workspace, else `s3s-fs` on the PATH).
//!
//! Run with `cargo test -p privates --test s3 -- --include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use common::{Doc, World};
use privates::{
    config::{S3Credentials, S3StorageConfig, StorageConfig},
    routing::model_routes,
    sendfile::Backend,
    storage::{Checked, S3Storage, Storage, StorageError, Variant},
};
use privates_test_support::S3TestServer;
use reqwest::{StatusCode, header::HeaderMap};

const BUCKET: &str = "privates-test";
const ACCESS_KEY: &str = "privates-test-key";
const SECRET_KEY: &str = "privates-test-secret";

/// The prefix of every key the storages of these tests write.
const PREFIX: &str = "media/";

/// A server of the test's own, with `BUCKET` and authentication on: every request must carry
/// a valid SigV4 signature for `ACCESS_KEY` / `SECRET_KEY`. Killed on drop.
async fn s3s_fs() -> S3TestServer {
    S3TestServer::builder()
        .bucket(BUCKET)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .start_async()
        .await
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Where `server` keeps the object of the stored `name` (under `PREFIX`).
fn object_path(server: &S3TestServer, name: &str) -> PathBuf {
    server.object_path(&format!("{PREFIX}{name}"))
}

fn credentials(secret: &str) -> S3Credentials {
    S3Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: secret.into(),
        session_token: None,
    }
}

fn s3_config(server: &S3TestServer, timeout: u64) -> S3StorageConfig {
    S3StorageConfig {
        prefix: Some(PREFIX.into()),
        timeout,
        ..server.storage_config()
    }
}

async fn world(server: &S3TestServer, backend: Backend, expires: u64) -> World {
    let storage = s3_config(server, 3);
    World::start_with(backend, model_routes::<Doc>(), move |config| {
        config.storage = Some(StorageConfig::S3(storage));
        config.sendfile.expires = expires;
    })
    .await
}

fn once(bytes: Vec<u8>) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures_util::stream::iter([Ok(bytes::Bytes::from(bytes))])
}

/// `len` bytes of a recognisable pattern.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// `bytes` as a stream of 64 KiB chunks.
fn chunked(
    bytes: &[u8],
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + use<> {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = bytes
        .chunks(64 * 1024)
        .map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk)))
        .collect();
    futures_util::stream::iter(chunks)
}

fn doc(id: i32, pdf: &str) -> (String, Doc) {
    (
        id.to_string(),
        Doc {
            id,
            pdf: Some(pdf.to_string()),
            scan: "scans/none.png".to_string(),
            secret: "secret.txt".to_string(),
        },
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .to_str()
        .unwrap()
}

/// The `Location` of a redirect answer.
fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "{response:?}");
    header(response.headers(), "location").to_string()
}

/// Asserts that `ours` has the same value as `theirs` for each header of `names`.
fn assert_same_headers(ours: &HeaderMap, theirs: &HeaderMap, names: &[&str]) {
    for name in names {
        assert_eq!(header(ours, name), header(theirs, name), "{name}");
    }
}

/// `url` with the first occurrence of `from` replaced by `to` (which must be there).
fn tamper(url: &str, from: &str, to: &str) -> String {
    assert!(url.contains(from), "{from} not in {url}");
    url.replacen(from, to, 1)
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn saves_stream_in_parts_and_never_overwrite() {
    let server = s3s_fs().await;
    let world = world(&server, Backend::Stream, 60).await;
    let files = world.privates.files();
    assert!(matches!(files, Storage::S3(_)));

    // 12 MiB in 64 KiB chunks: two parts of a multipart upload.
    let big = pattern(12 * 1024 * 1024);
    let name = files
        .save("docs/big file.bin", chunked(&big))
        .await
        .unwrap();
    assert_eq!(name, "docs/big_file.bin");
    assert_eq!(files.size(&name).await.unwrap(), big.len() as u64);
    assert!(files.exists(&name).await.unwrap());
    assert!(files.modified(&name).await.is_ok());
    // The key lives under the prefix, with the very bytes sent.
    assert!(std::fs::read(object_path(&server, &name)).unwrap() == big);
    // The bucket is private: an unsigned GET of the object is refused.
    let raw = reqwest::get(format!("{}/{BUCKET}/{PREFIX}{name}", server.endpoint()))
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::FORBIDDEN);

    // A taken name gets a random suffix; the first file is intact.
    let second = files
        .save("docs/big file.bin", once(b"small".to_vec()))
        .await
        .unwrap();
    assert_ne!(second, name);
    assert!(
        second.starts_with("docs/big_file_") && second.ends_with(".bin"),
        "{second}"
    );
    assert_eq!(files.size(&name).await.unwrap(), big.len() as u64);
    assert_eq!(
        std::fs::read(object_path(&server, &second)).unwrap(),
        b"small"
    );

    // save_checked: a refused file is never stored.
    let refused = files
        .save_checked("docs/refused.bin", once(b"bad".to_vec()), |_| Err("nope"))
        .await
        .unwrap();
    assert_eq!(refused, Checked::Refused("nope"));
    assert!(!files.exists("docs/refused.bin").await.unwrap());
    let Checked::Stored(checked) = files
        .save_checked("docs/big_file.bin", once(b"checked".to_vec()), |_| {
            Ok::<(), &str>(())
        })
        .await
        .unwrap()
    else {
        unreachable!("the check passes")
    };
    assert_ne!(checked, name);
    assert_eq!(
        std::fs::read(object_path(&server, &checked)).unwrap(),
        b"checked"
    );

    // The file of a field, seen from its object, reads the object back chunk by chunk.
    let doc = Doc {
        id: 1,
        pdf: Some(name.clone()),
        scan: "scans/1.png".to_owned(),
        secret: "secret.txt".to_owned(),
    };
    let file = world.privates.file(&doc, Doc::PDF);
    assert_eq!(file.size().await.unwrap(), Some(big.len() as u64));
    let mut read = Vec::new();
    let mut stream = file.open().await.unwrap().unwrap();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        read.extend_from_slice(&chunk.unwrap());
    }
    assert!(read == big, "the object's bytes");

    files.delete(&second).await.unwrap();
    assert!(!files.exists(&second).await.unwrap());
    assert!(!object_path(&server, &second).exists());
    files.delete(&second).await.unwrap();
    // Names are checked as on the local storage.
    assert!(files.exists("../etc/passwd").await.is_err());
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn calls_signed_with_a_wrong_secret_are_refused() {
    let server = s3s_fs().await;
    let good = S3Storage::from_config(&s3_config(&server, 3)).unwrap();
    let name = good.save("docs/a.pdf", once(pattern(100))).await.unwrap();
    let bad = S3Storage::from_config(&S3StorageConfig {
        credentials: Some(credentials("not-the-secret")),
        ..s3_config(&server, 3)
    })
    .unwrap();

    // A refused HEAD is an error, not "absent" (which would let a save pick a taken name).
    let err = bad.exists(&name).await.unwrap_err();
    assert!(matches!(err, StorageError::ObjectStore { .. }), "{err:?}");
    assert!(
        err.to_string().contains("S3 HEAD") && err.to_string().contains(BUCKET),
        "{err}"
    );
    let err = bad
        .save("docs/b.pdf", once(b"x".to_vec()))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::ObjectStore { .. }), "{err:?}");
    assert!(!object_path(&server, "docs/b.pdf").exists());
    bad.delete(&name).await.unwrap_err();
    assert!(good.exists(&name).await.unwrap());
    // A URL presigned with the wrong secret is refused too.
    let url = bad
        .presign_get(
            &name,
            Duration::from_secs(60),
            "application/pdf",
            "inline",
            "private",
        )
        .await
        .unwrap();
    let status = reqwest::get(url.to_string()).await.unwrap().status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn stream_backend_serves_ranges_and_validators() {
    let server = s3s_fs().await;
    let world = world(&server, Backend::Stream, 60).await;
    let body = pattern(300_000);
    let name = world
        .privates
        .files()
        .save("docs/passport.pdf", once(body.clone()))
        .await
        .unwrap();
    world.table(vec![doc(1, &name), doc(2, "docs/missing.pdf")]);
    let path = "/admin/docs/iddocument/1/pdf/";

    let response = world.get(path, Some("clerk"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "content-type"), "application/pdf");
    assert_eq!(
        header(&headers, "content-disposition"),
        "inline; filename=\"passport.pdf\""
    );
    assert_eq!(header(&headers, "cache-control"), "private");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "accept-ranges"), "bytes");
    assert_eq!(
        header(&headers, "content-length"),
        body.len().to_string().as_str()
    );
    let etag = header(&headers, "etag").to_string();
    let last_modified = header(&headers, "last-modified").to_string();
    assert!(response.bytes().await.unwrap() == body);

    // HEAD: the same headers, no body.
    let response = world
        .client
        .head(world.url(path))
        .header("x-user", "clerk")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "etag"), etag);
    assert_eq!(
        header(response.headers(), "content-length"),
        body.len().to_string().as_str()
    );
    assert!(response.bytes().await.unwrap().is_empty());

    // Ranges: 206 with the right slice, suffix ranges, 416 past the end.
    let response = world
        .get(path, Some("clerk"), &[("range", "bytes=1000-1999")])
        .await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(response.headers(), "content-range"),
        format!("bytes 1000-1999/{}", body.len())
    );
    assert_eq!(header(response.headers(), "content-length"), "1000");
    assert_eq!(response.bytes().await.unwrap().as_ref(), &body[1000..2000]);

    let response = world
        .get(path, Some("clerk"), &[("range", "bytes=-10")])
        .await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        &body[body.len() - 10..]
    );
    let response = world
        .get(path, Some("clerk"), &[("range", "bytes=299990-")])
        .await;
    assert_eq!(response.bytes().await.unwrap().as_ref(), &body[299_990..]);

    let response = world
        .get(path, Some("clerk"), &[("range", "bytes=999999-")])
        .await;
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(response.headers(), "content-range"),
        format!("bytes */{}", body.len())
    );

    // If-Range: a matching ETag keeps the range, another one gets the whole file.
    let response = world
        .get(
            path,
            Some("clerk"),
            &[("range", "bytes=0-9"), ("if-range", &etag)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap().as_ref(), &body[..10]);
    let response = world
        .get(
            path,
            Some("clerk"),
            &[("range", "bytes=0-9"), ("if-range", "\"other\"")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().len(), body.len());

    // Conditional requests, by ETag and by date.
    let response = world
        .get(path, Some("clerk"), &[("if-none-match", &etag)])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = world
        .get(path, Some("clerk"), &[("if-none-match", "\"other\"")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = world
        .get(
            path,
            Some("clerk"),
            &[("if-modified-since", &last_modified)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let response = world
        .get(path, Some("clerk"), &[("if-match", "\"other\"")])
        .await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let response = world.get(path, Some("clerk"), &[("if-match", &etag)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = world
        .get(
            path,
            Some("clerk"),
            &[("if-unmodified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);

    // Permission first, then a missing object is a 404.
    assert_eq!(
        world
            .get("/admin/docs/iddocument/2/pdf/", None, &[])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/2/pdf/", Some("viewer"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/2/pdf/", Some("clerk"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn redirect_sends_the_same_bytes_and_headers_as_the_local_backends() {
    let server = s3s_fs().await;
    let world = world(&server, Backend::Redirect, 60).await;
    let local = World::start(Backend::Development, model_routes::<Doc>()).await;
    let nginx = World::start(Backend::Nginx, model_routes::<Doc>()).await;

    let body = pattern(70_000);
    let files = world.privates.files();
    let name = files
        .save("docs/résumé 1.pdf", once(body.clone()))
        .await
        .unwrap();
    let scan = files
        .save("scans/front.png", once(pattern(5000)))
        .await
        .unwrap();
    let page = files
        .save(
            "docs/page.html",
            once(b"<script>alert(1)</script>".to_vec()),
        )
        .await
        .unwrap();
    let rows = |pdf: &str| {
        let (id, mut row) = doc(1, pdf);
        row.scan.clone_from(&scan);
        vec![(id, row), doc(2, "docs/missing.pdf"), doc(3, &page)]
    };
    world.table(rows(&name));
    // The local worlds hold the same files under the same names.
    for other in [&local, &nginx] {
        other.write(&name, &body);
        other.write(&scan, &pattern(5000));
        other.write(&page, b"<script>alert(1)</script>");
        other.table(rows(&name));
    }

    // The redirect: short-lived, never cached, to the object store.
    let response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(
        header(response.headers(), "cache-control"),
        "private, no-store"
    );
    assert_eq!(header(response.headers(), "referrer-policy"), "no-referrer");
    let url = location(&response);
    assert!(url.starts_with(&server.endpoint()), "{url}");
    assert!(url.contains("X-Amz-Expires=60"), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");

    // Following it gives the very bytes, with the headers the development backend sends.
    let object = reqwest::get(&url).await.unwrap();
    assert_eq!(object.status(), StatusCode::OK);
    let from_s3 = object.headers().clone();
    assert!(object.bytes().await.unwrap() == body);
    let from_local = local
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(from_local.status(), StatusCode::OK);
    assert_same_headers(
        &from_s3,
        from_local.headers(),
        &["content-type", "content-disposition", "cache-control"],
    );
    assert_eq!(
        header(&from_s3, "content-disposition"),
        "inline; filename=\"r_sum__1.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9_1.pdf"
    );

    // A field sent as an attachment under a name of its own (`scan.png`).
    let url_scan = location(
        &world
            .get("/admin/docs/iddocument/1/scan/", Some("root"), &[])
            .await,
    );
    let object = reqwest::get(&url_scan).await.unwrap();
    let from_s3 = object.headers().clone();
    assert!(object.bytes().await.unwrap() == pattern(5000));
    let from_local = local
        .get("/admin/docs/iddocument/1/scan/", Some("root"), &[])
        .await;
    assert_same_headers(
        &from_s3,
        from_local.headers(),
        &["content-type", "content-disposition"],
    );
    assert_eq!(
        header(&from_s3, "content-disposition"),
        "attachment; filename=\"scan.png\""
    );

    // Active content goes out as an attachment (S3 cannot add a CSP), as behind nginx.
    let url_html = location(
        &world
            .get("/admin/docs/iddocument/3/pdf/", Some("clerk"), &[])
            .await,
    );
    let object = reqwest::get(&url_html).await.unwrap();
    let from_nginx = nginx
        .get("/admin/docs/iddocument/3/pdf/", Some("clerk"), &[])
        .await;
    assert!(from_nginx.headers().contains_key("x-accel-redirect"));
    assert_same_headers(
        object.headers(),
        from_nginx.headers(),
        &["content-type", "content-disposition"],
    );
    assert_eq!(header(object.headers(), "content-type"), "text/html");
    assert!(
        header(object.headers(), "content-disposition").starts_with("attachment;"),
        "{:?}",
        object.headers()
    );

    // Permission first, no redirect for the others; a missing object is a 404 from the app.
    for (user, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("viewer"), StatusCode::FORBIDDEN),
    ] {
        let response = world.get("/admin/docs/iddocument/1/pdf/", user, &[]).await;
        assert_eq!(response.status(), status);
        assert!(!response.headers().contains_key("location"));
    }
    let response = world
        .get("/admin/docs/iddocument/2/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.headers().contains_key("location"));
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn a_presigned_url_stops_working_after_it_expires() {
    let server = s3s_fs().await;
    let world = world(&server, Backend::Redirect, 2).await;
    let body = pattern(10_000);
    let name = world
        .privates
        .files()
        .save("docs/a.pdf", once(body.clone()))
        .await
        .unwrap();
    world.table(vec![doc(1, &name)]);

    let issued = Instant::now();
    let url = location(
        &world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await,
    );
    assert!(url.contains("X-Amz-Expires=2"), "{url}");
    let object = reqwest::get(&url).await.unwrap();
    assert_eq!(object.status(), StatusCode::OK);
    assert!(object.bytes().await.unwrap() == body);

    // SigV4 dates have a one-second resolution: 2 s + 1.1 s is past the expiry for sure.
    tokio::time::sleep(Duration::from_millis(3100).saturating_sub(issued.elapsed())).await;
    let expired = reqwest::get(&url).await.unwrap();
    assert_eq!(expired.status(), StatusCode::FORBIDDEN);
    let text = expired.text().await.unwrap();
    assert!(text.contains("expired"), "{text}");

    // The app checks the permission again and hands out a fresh URL, which works.
    let fresh = location(
        &world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await,
    );
    assert_ne!(fresh, url);
    let object = reqwest::get(&fresh).await.unwrap();
    assert_eq!(object.status(), StatusCode::OK);
    assert!(object.bytes().await.unwrap() == body);
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn a_tampered_presigned_url_is_refused() {
    let server = s3s_fs().await;
    let world = world(&server, Backend::Redirect, 60).await;
    let files = world.privates.files();
    let name = files.save("docs/a.pdf", once(pattern(1000))).await.unwrap();
    // Another object the tampered URL could aim at.
    let other = files
        .save("docs/b.pdf", once(b"other".to_vec()))
        .await
        .unwrap();
    world.table(vec![doc(1, &name)]);
    let url = location(
        &world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await,
    );
    // The untouched URL works (so a refusal below is the tampering's doing).
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);

    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut signature = url.clone();
    let flipped = if &url[at..=at] == "0" { "1" } else { "0" };
    signature.replace_range(at..=at, flipped);
    let tampered = [
        ("one char of the signature", signature),
        ("the key", tamper(&url, &name, &other)),
        (
            "the lifetime",
            tamper(&url, "X-Amz-Expires=60", "X-Amz-Expires=3600"),
        ),
        (
            "the disposition",
            tamper(
                &url,
                "response-content-disposition=inline",
                "response-content-disposition=attachment",
            ),
        ),
        (
            "the content type",
            tamper(
                &url,
                "response-content-type=application/pdf",
                "response-content-type=text/html",
            ),
        ),
    ];
    for (what, tampered) in tampered {
        assert_ne!(tampered, url);
        let response = reqwest::get(&tampered).await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "changing {what} was accepted: {tampered}"
        );
        assert!(text.contains("SignatureDoesNotMatch"), "{what}: {text}");
    }
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn a_dead_server_is_a_clear_error_not_a_hang() {
    let mut server = s3s_fs().await;
    let stream = world(&server, Backend::Stream, 60).await;
    let redirect = world(&server, Backend::Redirect, 60).await;
    let name = stream
        .privates
        .files()
        .save("docs/a.pdf", once(pattern(1000)))
        .await
        .unwrap();
    stream.table(vec![doc(1, &name)]);
    redirect.table(vec![doc(1, &name)]);
    server.stop();

    let started = Instant::now();
    let err = stream.privates.files().size(&name).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let message = err.to_string();
    assert!(
        message.contains("S3 HEAD") && message.contains(BUCKET) && message.contains(&name),
        "{message}"
    );
    assert!(matches!(err, StorageError::ObjectStore { .. }));

    // Through the views: a 500 within the timeout, and no redirect to a dead store.
    for world in [&stream, &redirect] {
        let started = Instant::now();
        let response = world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.headers().contains_key("location"));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn a_server_dying_mid_stream_aborts_the_download() {
    let mut server = s3s_fs().await;
    let world = world(&server, Backend::Stream, 60).await;
    // Four parts of 8 MiB: the app reads them one ranged GET at a time.
    let body = pattern(32 * 1024 * 1024);
    let name = world
        .privates
        .files()
        .save("docs/big.pdf", chunked(&body))
        .await
        .unwrap();
    world.table(vec![doc(1, &name)]);

    let mut response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut received = response.chunk().await.unwrap().unwrap().len();
    server.stop();

    // The rest fails (the connection is cut short of Content-Length), quickly.
    let started = Instant::now();
    let outcome = loop {
        match tokio::time::timeout(Duration::from_secs(15), response.chunk()).await {
            Ok(Ok(Some(chunk))) => received += chunk.len(),
            Ok(Ok(None)) => break Ok(received),
            Ok(Err(err)) => break Err(err),
            Err(_) => panic!("the download hung after the server died"),
        }
    };
    assert!(
        outcome.is_err(),
        "the download ended cleanly with {received} of {} bytes",
        body.len()
    );
    assert!(received < body.len(), "{received}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out() {
    // A listener that accepts and never answers: the call must give up after `timeout`.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let config = S3StorageConfig {
        endpoint: Some(format!("http://{addr}")),
        timeout: 2,
        credentials: Some(credentials(SECRET_KEY)),
        ..S3StorageConfig::new(BUCKET, "us-east-1")
    };
    let storage = S3Storage::from_config(&config).unwrap();
    let started = Instant::now();
    let err = storage.size("a.pdf").await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    assert!(err.to_string().contains("storage.timeout"), "{err}");
}

#[tokio::test]
async fn a_blank_endpoint_is_aws_and_an_endpoint_is_trimmed() {
    // As the checks read them (E209 skips a blank endpoint): presigning makes no request.
    let presign = |endpoint: &str| {
        let config = S3StorageConfig {
            endpoint: Some(endpoint.to_string()),
            credentials: Some(credentials(SECRET_KEY)),
            ..S3StorageConfig::new(BUCKET, "eu-west-1")
        };
        async move {
            S3Storage::from_config(&config)
                .unwrap()
                .presign_get(
                    "a.pdf",
                    Duration::from_secs(60),
                    "application/pdf",
                    "inline",
                    "private",
                )
                .await
                .unwrap()
                .to_string()
        }
    };
    for blank in ["", "  "] {
        let url = presign(blank).await;
        assert!(
            url.starts_with("https://s3.eu-west-1.amazonaws.com/privates-test/a.pdf?"),
            "{url}"
        );
    }
    let url = presign(" http://127.0.0.1:9000/ ").await;
    assert!(
        url.starts_with("http://127.0.0.1:9000/privates-test/a.pdf?"),
        "{url}"
    );
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn a_variant_is_replaced_in_place_and_deleted_with_its_original() {
    let server = s3s_fs().await;
    let files = Storage::S3(S3Storage::from_config(&s3_config(&server, 5)).unwrap());
    let name = files
        .save("mugshots/me.png", once(pattern(1000)))
        .await
        .unwrap();
    let variant = files
        .save_variant(&name, Variant::Thumbnail, pattern(10).into())
        .await
        .unwrap();
    assert_eq!(variant, "mugshots/~thumbnail/me.png");
    // Made again, it replaces the old one under the same key.
    let again = files
        .save_variant(&name, Variant::Thumbnail, pattern(20).into())
        .await
        .unwrap();
    assert_eq!(again, variant);
    assert!(std::fs::read(object_path(&server, &variant)).unwrap() == pattern(20));
    // Deleting the original takes the variant with it.
    files.delete(&name).await.unwrap();
    assert!(!files.exists(&name).await.unwrap());
    assert!(!files.exists(&variant).await.unwrap());
}

//! The demo on S3, end to end: the real binary with `config/s3.yaml` (`LOCO_ENV=s3`) against a
//! real S3-protocol server on loopback that checks SigV4 signatures, s3s-fs (`cargo install
//! s3s-fs@0.14.1 --locked --features binary --root .tools`, which `scripts/test` runs), run by
//! `privates_test_support::S3TestServer`: the binary is `$S3S_FS`, else the workspace's
//! `.tools/bin/s3s-fs`, else `s3s-fs` on the PATH.
//!
//! An admin uploads through the change form (the PDF and an image decoded in full before it
//! reaches the bucket); the objects are checked through the S3 API; the clerk downloads them
//! through a presigned redirect (`redirect`) and through the app with ranges (`stream`); the
//! viewer is refused; the admin pages show each object's size and type (an object deleted
//! behind the app's back shows "missing"); replacing and clearing remove the old objects.
//!
//! Run with `cargo test -p demo --test s3 -- --include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, client, file, pdf, pdf_of_size, png, shared_link};
use privates::{config::S3StorageConfig, storage::S3Storage};
use privates_test_support::S3TestServer;
use reqwest::{StatusCode, header, multipart::Form};

const BUCKET: &str = "privates-demo-test";
const PREFIX: &str = "private/";
const ACCESS_KEY: &str = "privates-demo-key";
const SECRET_KEY: &str = "privates-demo-secret";

/// An s3s-fs server with `BUCKET`, accepting only `ACCESS_KEY` / `SECRET_KEY`.
fn s3_server() -> S3TestServer {
    S3TestServer::builder()
        .bucket(BUCKET)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .start()
        .unwrap_or_else(|err| panic!("{err}"))
}

/// The bucket through the S3 API, as the demo sees it (same prefix).
fn bucket(server: &S3TestServer) -> S3Storage {
    S3Storage::from_config(&S3StorageConfig {
        prefix: Some(PREFIX.into()),
        timeout: 5,
        ..server.storage_config()
    })
    .unwrap()
}

/// The demo with `LOCO_ENV=s3` against `server`, with `backend` (`redirect` or `stream`).
fn start_demo(server: &S3TestServer, backend: &str) -> Demo {
    Demo::start_with(&[
        ("LOCO_ENV", "s3"),
        ("DEMO_S3_ENDPOINT", &server.endpoint()),
        ("DEMO_S3_BUCKET", BUCKET),
        ("DEMO_S3_REGION", "us-east-1"),
        ("DEMO_S3_PREFIX", PREFIX),
        ("DEMO_SENDFILE_BACKEND", backend),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        // An environment other than development and test: the built-in keys are refused.
        (
            "DEMO_JWT_SECRET",
            "TheS3TestsOwnJwtSecret0123456789abcdefgh",
        ),
        (
            "DEMO_SHARE_KEY",
            "8f1c2a7e9b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
        ),
    ])
}

/// Asserts `response` is a presigned redirect into the bucket and returns its target.
fn presigned(response: &reqwest::Response, server: &S3TestServer) -> String {
    assert!(
        matches!(
            response.status(),
            StatusCode::FOUND | StatusCode::TEMPORARY_REDIRECT
        ),
        "{}",
        response.status()
    );
    let target = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let bucket = format!("{}/{BUCKET}/{PREFIX}", server.endpoint());
    assert!(target.starts_with(&bucket), "{target}");
    assert!(target.contains("X-Amz-Signature="), "{target}");
    target
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs an S3 server"]
async fn the_demo_keeps_its_files_in_s3() {
    let server = s3_server();
    let bucket = bucket(&server);
    let mut demo = start_demo(&server, "redirect");

    // The first start seeded the sample document into the bucket.
    let sample = demo.doc(1).await;
    let sample_pdf = sample.pdf.clone().unwrap();
    assert!(bucket.exists(&sample_pdf).await.unwrap(), "{sample_pdf}");
    assert!(bucket.exists(&sample.mugshot).await.unwrap());

    let admin = demo.login("admin@example.com", "admin").await;
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;

    // The admin replaces the sample's PDF through the change form: the new object is in the
    // bucket with its exact size, the replaced one is gone.
    let scan = pdf_of_size(300_000);
    let form = Form::new()
        .text("title", "Sample passport")
        .part("pdf", file(scan.clone(), "scan.pdf", "application/pdf"));
    assert_eq!(
        demo.save(&admin, "/admin/docs/iddocument/1/change/", form)
            .await,
        1
    );
    let stored = demo.doc(1).await.pdf.unwrap();
    assert_eq!(stored, "scan.pdf");
    assert!(bucket.exists(&stored).await.unwrap());
    assert_eq!(bucket.size(&stored).await.unwrap(), 300_000);
    assert!(
        !bucket.exists(&sample_pdf).await.unwrap(),
        "the replaced object is deleted"
    );

    // A new document with a PDF and an image; a truncated image is refused before anything
    // reaches the bucket (decoded in full first).
    let face = png(40, 30);
    let form = Form::new()
        .text("title", "Passport of Ada")
        .part("pdf", file(pdf(), "ada.pdf", "application/pdf"))
        .part("mugshot", file(face.clone(), "ada.png", "image/png"));
    let ada = demo.save(&admin, "/admin/docs/iddocument/add/", form).await;
    let ada_doc = demo.doc(ada).await;
    assert!(
        bucket
            .exists(ada_doc.pdf.as_deref().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(
        bucket.size(&ada_doc.mugshot).await.unwrap(),
        u64::try_from(face.len()).unwrap()
    );
    // Showing the document makes its image's thumbnail, kept in the bucket beside it.
    let page = demo
        .get(
            Some(&admin),
            &format!("/admin/docs/iddocument/{ada}/change/"),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let before = server.keys().unwrap();
    let ada_key = format!("{PREFIX}{}", ada_doc.mugshot);
    assert!(before.contains(&ada_key), "{ada_key} not in {before:?}");
    let thumbnail_key = format!(
        "{PREFIX}{}",
        privates::storage::Variant::Thumbnail
            .name_of(&ada_doc.mugshot)
            .unwrap()
    );
    assert!(
        before.contains(&thumbnail_key),
        "{thumbnail_key} not in {before:?}"
    );
    let mut truncated = png(64, 64);
    truncated.truncate(truncated.len() / 2);
    let form = Form::new()
        .text("title", "Passport of Ada")
        .part("mugshot", file(truncated, "cut.png", "image/png"));
    let refused = demo
        .submit(
            &admin,
            &format!("/admin/docs/iddocument/{ada}/change/"),
            form,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("mugshot_errors"));
    assert_eq!(
        server.keys().unwrap(),
        before,
        "nothing of the refused image is stored"
    );

    // redirect: the clerk gets a presigned URL; its body is the exact bytes, without a
    // session. The viewer gets 403.
    let response = demo
        .get(Some(&clerk), "/admin/docs/iddocument/1/pdf/")
        .await;
    let target = presigned(&response, &server);
    let object = client().get(&target).send().await.unwrap();
    assert_eq!(object.status(), StatusCode::OK);
    assert_eq!(object.bytes().await.unwrap().to_vec(), scan);
    let response = demo
        .get(
            Some(&clerk),
            &format!("/admin/docs/iddocument/{ada}/mugshot/"),
        )
        .await;
    let target = presigned(&response, &server);
    let object = client().get(&target).send().await.unwrap();
    assert_eq!(object.bytes().await.unwrap().to_vec(), face);
    // Its thumbnail, presigned the same way, is the PNG kept in the bucket (40×30 fits).
    let response = demo
        .get(
            Some(&clerk),
            &format!("/admin/docs/iddocument/{ada}/mugshot/thumbnail/"),
        )
        .await;
    let target = presigned(&response, &server);
    let object = client().get(&target).send().await.unwrap();
    assert_eq!(object.headers()[header::CONTENT_TYPE], "image/png");
    let thumbnail = object.bytes().await.unwrap();
    assert!(thumbnail.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(&thumbnail[16..24], [0, 0, 0, 40, 0, 0, 0, 30]);
    let refused = demo
        .get(Some(&viewer), "/admin/docs/iddocument/1/pdf/")
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!refused.headers().contains_key(header::LOCATION));

    // The share button over S3: the link needs no session and redirects into the bucket.
    let shared = client()
        .post(demo.url("/admin/docs/iddocument/1/share/pdf/"))
        .header(header::COOKIE, &clerk)
        .header("x-csrftoken", demo.csrf_token(&clerk).await)
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::OK);
    let link = shared_link(&shared.text().await.unwrap(), "pdf").expect("the minted link");
    let response = client().get(&link).send().await.unwrap();
    let target = presigned(&response, &server);
    assert_eq!(
        client()
            .get(&target)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        scan
    );

    // stream: the same rows and bucket, the bytes through the app, ranges answered.
    demo.restart_with(&[("DEMO_SENDFILE_BACKEND", "stream")]);
    let response = demo
        .get(Some(&clerk), "/admin/docs/iddocument/1/pdf/")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(response.bytes().await.unwrap().to_vec(), scan);
    let ranged = client()
        .get(demo.url("/admin/docs/iddocument/1/pdf/"))
        .header(header::COOKIE, &clerk)
        .header(header::RANGE, "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()[header::CONTENT_RANGE],
        "bytes 1000-1999/300000"
    );
    assert_eq!(ranged.bytes().await.unwrap().to_vec(), scan[1000..2000]);
    assert_eq!(
        demo.get(Some(&viewer), "/admin/docs/iddocument/1/pdf/")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // The change page and the list show each object's size (read from the bucket) and type.
    let facts = r#"scan.pdf</a> <span class="file-facts">(<span class="file-size">300 KB</span>, <span class="file-type">application/pdf</span>)</span>"#;
    for path in [
        "/admin/docs/iddocument/1/change/",
        "/admin/docs/iddocument/",
    ] {
        let page = demo.get(Some(&clerk), path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains(facts), "{path}: {html}");
    }
    // An object deleted behind the app's back: the pages still answer, and say so.
    let ada_pdf = ada_doc.pdf.clone().unwrap();
    bucket.delete(&ada_pdf).await.unwrap();
    let missing =
        format!(r#"{ada_pdf}</a> <span class="file-facts file-missing">(missing)</span>"#);
    for path in [
        format!("/admin/docs/iddocument/{ada}/change/"),
        "/admin/docs/iddocument/".to_owned(),
    ] {
        let page = demo.get(Some(&clerk), &path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&missing), "{path}: {html}");
    }

    // Clearing the PDF removes its object from the bucket.
    let form = Form::new()
        .text("title", "Sample passport")
        .text("pdf-clear", "on");
    assert_eq!(
        demo.save(&clerk, "/admin/docs/iddocument/1/change/", form)
            .await,
        1
    );
    assert_eq!(demo.doc(1).await.pdf, None);
    assert!(
        !bucket.exists(&stored).await.unwrap(),
        "the cleared object is deleted"
    );
    assert_eq!(
        demo.get(Some(&clerk), "/admin/docs/iddocument/1/pdf/")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

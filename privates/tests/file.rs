//! A stored file seen from its model (`Privates::file`, Django's `FieldFile`) and purging an
//! object's files, on real files in a temporary root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Doc, World};
use futures_util::StreamExt;
use privates::{PrivateMedia, routing::model_routes, sendfile::Backend, storage::StorageError};

fn doc(pdf: Option<&str>) -> Doc {
    Doc {
        id: 7,
        pdf: pdf.map(str::to_owned),
        scan: "scans/7.png".to_owned(),
        secret: "secret.txt".to_owned(),
    }
}

#[tokio::test]
async fn a_field_file_answers_from_the_storage() {
    let world = World::start(Backend::Development, model_routes::<Doc>()).await;
    let stored = world
        .privates
        .files()
        .save_bytes("docs/my scan.pdf", &b"%PDF-1.7 twenty bytes"[..])
        .await
        .unwrap();
    assert_eq!(stored, "docs/my_scan.pdf");
    let doc = doc(Some(&stored));
    let pdf = world.privates.file(&doc, Doc::PDF);
    assert_eq!(pdf.name(), Some("docs/my_scan.pdf"));
    assert_eq!(pdf.url().as_deref(), Some("/admin/docs/iddocument/7/pdf/"));
    assert!(pdf.exists().await.unwrap());
    assert_eq!(pdf.size().await.unwrap(), Some(21));
    let mut bytes = Vec::new();
    let mut stream = pdf.open().await.unwrap().unwrap();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(bytes, b"%PDF-1.7 twenty bytes");

    // A field without a download route has no URL, but its file is still there.
    world.write("secret.txt", b"s");
    let secret = world.privates.file(&doc, Doc::fields()[2]);
    assert_eq!(secret.url(), None);
    assert!(secret.exists().await.unwrap());

    // An empty field: nothing, and no error.
    let empty = doc_without_pdf();
    let none = world.privates.file(&empty, Doc::PDF);
    assert_eq!(none.name(), None);
    assert_eq!(none.url(), None);
    assert!(!none.exists().await.unwrap());
    assert_eq!(none.size().await.unwrap(), None);
    assert!(none.open().await.unwrap().is_none());
    none.delete().await.unwrap();

    // Deleting the file: gone from disk; asking its size is then NotFound.
    pdf.delete().await.unwrap();
    assert!(!world.root.path().join("docs/my_scan.pdf").exists());
    assert!(!pdf.exists().await.unwrap());
    assert!(matches!(
        pdf.size().await,
        Err(StorageError::NotFound { .. })
    ));
    // Deleting again is not an error.
    pdf.delete().await.unwrap();
}

fn doc_without_pdf() -> Doc {
    doc(None)
}

#[tokio::test]
async fn purging_an_object_deletes_its_files_but_those_kept() {
    let world = World::start(Backend::Development, model_routes::<Doc>()).await;
    world.write("docs/a.pdf", b"pdf");
    world.write("scans/7.png", b"png");
    world.write("secret.txt", b"secret");
    world.write("docs/other.pdf", b"another object's file");
    let doc = doc(Some("docs/a.pdf"));
    world
        .privates
        .delete_files(&doc, &[Doc::SCAN])
        .await
        .unwrap();
    assert!(!world.root.path().join("docs/a.pdf").exists());
    assert!(!world.root.path().join("secret.txt").exists());
    assert!(world.root.path().join("scans/7.png").exists(), "kept");
    assert!(
        world.root.path().join("docs/other.pdf").exists(),
        "not this object's"
    );
    // Purging twice (or an object whose files are gone) is not an error.
    world.privates.delete_files(&doc, &[]).await.unwrap();
    assert!(!world.root.path().join("scans/7.png").exists());
}

//! Signed share links through real HTTP: anonymous access with a valid link, 403 for every
//! tampering, 410 once expired, 403 once the file is replaced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use common::{Doc, World};
use privates::{
    Error, PrivatesConfig,
    config::ShareConfig,
    routing::model_routes,
    sendfile::Backend,
    share::{ShareError, ShareKey, ShareKeyError},
};
use reqwest::StatusCode;

const KEY: &str = "k7Hn3yq0m1ZbQeX9vR2tLw8sJc4uA6dPfG5hB0nM1oI=";
const PDF_BYTES: &[u8] = b"%PDF-1.7 shared passport";

fn share_config(config: &mut PrivatesConfig) {
    config.share = Some(ShareConfig {
        key: KEY.to_string(),
        max_ttl: 3600,
    });
}

fn doc(id: i32, pdf: &str) -> (String, Doc) {
    (
        id.to_string(),
        Doc {
            id,
            pdf: Some(pdf.to_string()),
            scan: "scans/1.png".to_string(),
            secret: "secret.txt".to_string(),
        },
    )
}

async fn world() -> World {
    let world = World::start_with(Backend::Development, model_routes::<Doc>(), share_config).await;
    world.write("docs/passport.pdf", PDF_BYTES);
    world.write("docs/other.pdf", b"%PDF other");
    world.write("scans/1.png", b"\x89PNG scan");
    world.table(vec![doc(1, "docs/passport.pdf"), doc(2, "docs/other.pdf")]);
    world
}

fn the_doc(world: &World, id: i32) -> Doc {
    let _ = world;
    doc(
        id,
        if id == 1 {
            "docs/passport.pdf"
        } else {
            "docs/other.pdf"
        },
    )
    .1
}

/// Replaces one query parameter's value.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            if k == name {
                format!("{k}={value}")
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Drops one query parameter.
fn without_param(url: &str, name: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let prefix = format!("{name}=");
    let query: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with(&prefix))
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The version of the stored file `name`, as a link signs it.
async fn version(world: &World, name: &str) -> String {
    world.privates.files().open(name).await.unwrap().version()
}

#[tokio::test]
async fn a_link_never_serves_a_later_file_under_the_same_name() {
    let world = world().await;
    let doc = the_doc(&world, 1);
    let url = world
        .privates
        .share_url(&doc, &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(world.get(&url, None, &[]).await.status(), StatusCode::OK);
    // The file is cleared, and a later upload takes the freed name again (same bytes, even):
    // the row names `docs/passport.pdf` as before, but it is another file.
    world
        .privates
        .files()
        .delete("docs/passport.pdf")
        .await
        .unwrap();
    assert_eq!(
        world.get(&url, None, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    world.write("docs/passport.pdf", PDF_BYTES);
    let response = world.get(&url, None, &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!response.bytes().await.unwrap().starts_with(b"%PDF"));
    // A link minted for the new file works.
    let fresh = world
        .privates
        .share_url(&doc, &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(world.get(&fresh, None, &[]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_link_living_longer_than_max_ttl_is_refused() {
    let world = world().await;
    // Signed with the configured key, but for longer than `share.max_ttl` (3600 s) allows,
    // as a link minted before the limit was lowered would be.
    let key = ShareKey::from_config(&ShareConfig {
        key: KEY.to_string(),
        max_ttl: 7 * 24 * 3600,
    })
    .unwrap();
    let version = version(&world, "docs/passport.pdf").await;
    let doc = the_doc(&world, 1);
    let soon = SystemTime::now() + Duration::from_secs(3000);
    let late = SystemTime::now() + Duration::from_secs(2 * 3600);
    let ok = key.url(&doc, &Doc::PDF, &version, soon).unwrap();
    assert_eq!(world.get(&ok, None, &[]).await.status(), StatusCode::OK);
    let too_long = key.url(&doc, &Doc::PDF, &version, late).unwrap();
    assert_eq!(
        world.get(&too_long, None, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_valid_link_works_anonymously_with_the_same_headers() {
    let world = world().await;
    let url = world
        .privates
        .share_url(&the_doc(&world, 1), &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(
        url.starts_with("/admin/docs/iddocument/1/pdf/shared/?expires="),
        "{url}"
    );
    let response = world.get(&url, None, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        "inline; filename=\"passport.pdf\""
    );
    assert_eq!(response.headers()["cache-control"], "private");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF_BYTES);
    // Ranges work as on the view.
    let response = world.get(&url, None, &[("range", "bytes=0-3")]).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF");
    // The link does not open the permission-checked view.
    let plain = url.split("shared/").next().unwrap();
    assert_eq!(
        world.get(plain, None, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tampering_gives_403() {
    let world = world().await;
    let url = world
        .privates
        .share_url(&the_doc(&world, 1), &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    let sig = url.split("sig=").nth(1).unwrap().to_string();
    let expires: u64 = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut flipped = sig.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let tampered = [
        with_param(&url, "sig", &flipped),
        with_param(&url, "sig", ""),
        with_param(&url, "sig", "%%%"),
        with_param(&url, "expires", &(expires + 3600).to_string()),
        with_param(&url, "expires", &(expires - 1).to_string()),
        with_param(&url, "expires", "0"),
        url.replace("/1/pdf/", "/2/pdf/"),
        url.replace("/1/pdf/", "/999/pdf/"),
        url.replace("/1/pdf/", "/x/pdf/"),
        url.replace("/pdf/shared/", "/scan/shared/"),
        url.split('?').next().unwrap().to_string(),
        format!("{url}&sig={sig}"),
        format!("{url}&v=x"),
        with_param(&url, "expires", "-5"),
        with_param(&url, "expires", "99999999999999999999999"),
        without_param(&url, "v"),
        without_param(&url, "sig"),
        without_param(&url, "expires"),
    ];
    // The order of the parameters and unknown ones do not matter.
    let (path, query) = url.split_once('?').unwrap();
    let reordered = query.split('&').rev().collect::<Vec<_>>().join("&");
    for url in [format!("{path}?{reordered}&x=1"), format!("{url}&x=1")] {
        assert_eq!(
            world.get(&url, None, &[]).await.status(),
            StatusCode::OK,
            "{url}"
        );
    }
    for url in tampered {
        let response = world.get(&url, None, &[]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{url}");
        let body = response.bytes().await.unwrap();
        assert!(!body.windows(4).any(|w| w == b"%PDF"), "{url} leaked bytes");
    }
}

#[tokio::test]
async fn an_expired_link_gives_410() {
    let world = world().await;
    let key = ShareKey::from_config(&ShareConfig {
        key: KEY.to_string(),
        max_ttl: 3600,
    })
    .unwrap();
    let past = SystemTime::now() - Duration::from_secs(5);
    let url = key
        .url(
            &the_doc(&world, 1),
            &Doc::PDF,
            &version(&world, "docs/passport.pdf").await,
            past,
        )
        .unwrap();
    let response = world.get(&url, None, &[]).await;
    assert_eq!(response.status(), StatusCode::GONE);
    // Expired and tampered is still 403: the signature is checked first.
    let response = world
        .get(&url.replace("/1/pdf/", "/2/pdf/"), None, &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A link minted for one second stops working once it has passed.
    let url = world
        .privates
        .share_url(&the_doc(&world, 1), &Doc::PDF, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(world.get(&url, None, &[]).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(world.get(&url, None, &[]).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn replacing_the_file_invalidates_old_links() {
    let world = world().await;
    let url = world
        .privates
        .share_url(&the_doc(&world, 1), &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(world.get(&url, None, &[]).await.status(), StatusCode::OK);
    world.write("docs/passport_v2.pdf", b"%PDF v2");
    world.table(vec![
        doc(1, "docs/passport_v2.pdf"),
        doc(2, "docs/other.pdf"),
    ]);
    assert_eq!(
        world.get(&url, None, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    // A new link to the new file works.
    let new = world
        .privates
        .share_url(
            &doc(1, "docs/passport_v2.pdf").1,
            &Doc::PDF,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    let response = world.get(&new, None, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"%PDF v2");
}

#[tokio::test]
async fn minting_errors_are_clear() {
    let world = world().await;
    let doc1 = the_doc(&world, 1);
    let err = world
        .privates
        .share_url(&doc1, &Doc::PDF, Duration::from_secs(7200))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Share(ShareError::Lifetime {
            asked: 7200,
            max: 3600
        })
    ));
    let empty = Doc {
        pdf: None,
        ..doc1.clone()
    };
    assert!(matches!(
        world
            .privates
            .share_url(&empty, &Doc::PDF, Duration::from_secs(60))
            .await,
        Err(Error::Share(ShareError::EmptyField { field: "pdf" }))
    ));

    // Without a key: minting fails naming the key, the route answers 404.
    let plain = World::start(Backend::Development, model_routes::<Doc>()).await;
    plain.write("docs/passport.pdf", PDF_BYTES);
    plain.table(vec![doc(1, "docs/passport.pdf")]);
    let err = plain
        .privates
        .share_url(&doc1, &Doc::PDF, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("initializers.privates.share.key"),
        "{err}"
    );
    let url = world
        .privates
        .share_url(&doc1, &Doc::PDF, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        plain.get(&url, None, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_short_key_stops_the_boot() {
    let root = privates_testing::TempPrivateRoot::new().unwrap();
    let mut config = PrivatesConfig::default();
    root.apply(&mut config);
    config.share = Some(ShareConfig {
        key: "c2hvcnQ=".to_string(),
        max_ttl: 60,
    });
    let err = privates::Privates::new(config, common::HeaderUsers).unwrap_err();
    assert!(err.to_string().contains("privates.E207"), "{err}");
}

#[test]
fn share_keys_decode_from_hex_and_every_base64() {
    use base64::{
        Engine,
        engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    };
    let doc = doc(1, "docs/passport.pdf").1;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
    let key = |key: String| ShareKey::from_config(&ShareConfig { key, max_ttl: 60 });
    let url = |text: String| key(text).unwrap().url(&doc, &Doc::PDF, "v", at).unwrap();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    // Equal links mean equal key bytes; `abab…` reads as hex although it is base64 too.
    assert_eq!(url("ab".repeat(32)), url(STANDARD.encode([0xab_u8; 32])));
    assert_eq!(url(STANDARD.encode([7_u8; 40])), url(hex(&[7; 40])));
    assert_eq!(
        url(URL_SAFE_NO_PAD.encode([0xfb_u8; 33])),
        url(hex(&[0xfb; 33]))
    );
    assert_ne!(url(hex(&[7; 40])), url(hex(&[8; 40])));
    assert_eq!(
        key("ab".repeat(31)).unwrap_err(),
        ShareKeyError::TooShort { len: 31 }
    );
    assert_eq!(
        key("not a key!".into()).unwrap_err(),
        ShareKeyError::NotEncoded
    );
    assert!(key(String::new()).is_err());
}

/// A model whose labels run together as `Doc`'s do (`docs` + `iddocument` and `docsid` +
/// `document`), to show the signature keeps the parts apart.
#[derive(privates::PrivateMedia)]
#[private_media(app = "docsid", model = "document", find = none)]
struct Shifted {
    id: i32,
    #[private_media(file)]
    pdf: Option<String>,
}

/// The signature binds every part of a link: the object, the field, the stored name, the
/// file's version, the expiry and the model (each part length-prefixed, so labels that run
/// together differently sign differently).
#[test]
fn the_signature_binds_every_part_of_a_link() {
    let key = ShareKey::from_config(&ShareConfig {
        key: KEY.to_string(),
        max_ttl: 3600,
    })
    .unwrap();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let sig = |url: String| url.split("sig=").nth(1).unwrap().to_owned();
    let (_, one) = doc(1, "docs/passport.pdf");
    let base = sig(key.url(&one, &Doc::PDF, "7-3-1", at).unwrap());
    let (_, two) = doc(2, "docs/passport.pdf");
    let (_, renamed) = doc(1, "docs/passport_2.pdf");
    let shifted = Shifted {
        id: 1,
        pdf: Some("docs/passport.pdf".into()),
    };
    let variants = [
        ("pk", key.url(&two, &Doc::PDF, "7-3-1", at)),
        ("field", key.url(&one, &Doc::SCAN, "7-3-1", at)),
        ("name", key.url(&renamed, &Doc::PDF, "7-3-1", at)),
        ("version", key.url(&one, &Doc::PDF, "7-4-1", at)),
        (
            "expiry",
            key.url(&one, &Doc::PDF, "7-3-1", at + Duration::from_secs(1)),
        ),
        ("model", key.url(&shifted, &Shifted::PDF, "7-3-1", at)),
    ];
    for (part, url) in variants {
        assert_ne!(sig(url.unwrap()), base, "the {part} is not signed");
    }
    // The same parts sign the same.
    assert_eq!(sig(key.url(&one, &Doc::PDF, "7-3-1", at).unwrap()), base);
}

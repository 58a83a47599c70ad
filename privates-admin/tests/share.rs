//! Share links from a `ModelAdmin`: which fields get a share route, who may share, and the
//! minted links served without a session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use axum::routing::get;
use common::{Doc, World, pdf_bytes};
use http::{StatusCode, request::Parts};
use loco_rs::controller::Routes;
use privates::{PrivatesConfig, config::ShareConfig, share::ShareError};
use privates_admin::ModelAdmin;

fn enable_share(config: &mut PrivatesConfig) {
    config.share = Some(ShareConfig {
        key: "ab".repeat(32),
        max_ttl: 3600,
    });
}

/// `notes` is served by a custom view, `secret` has no download route.
fn admin() -> ModelAdmin<Doc> {
    ModelAdmin::new().view(Doc::NOTES, get(|| async { "custom" }))
}

fn doc(id: i32, pdf: Option<&str>) -> Doc {
    Doc {
        id,
        pdf: pdf.map(str::to_owned),
        mugshot: format!("mugshots/{id}.png"),
        secret: Some("secret.txt".to_owned()),
        notes: Some("notes.txt".to_owned()),
    }
}

/// The request head of `user` (`None`: anonymous).
fn parts(user: Option<&str>) -> Parts {
    let mut request = http::Request::builder().uri("/admin/docs/iddocument/1/change/");
    if let Some(user) = user {
        request = request.header("x-user", user);
    }
    request.body(()).unwrap().into_parts().0
}

fn uris(routes: &Routes) -> Vec<String> {
    routes
        .handlers
        .iter()
        .map(|handler| handler.uri.clone())
        .collect()
}

/// The share routes among `routes`.
fn shared(routes: &Routes) -> Vec<String> {
    uris(routes)
        .into_iter()
        .filter(|uri| uri.ends_with("/shared/"))
        .collect()
}

#[test]
fn only_downloadable_fields_of_the_generic_view_are_shareable() {
    let admin = admin().prefix("/backoffice");
    assert!(admin.is_shareable(Doc::PDF));
    assert!(admin.is_shareable(Doc::MUGSHOT));
    assert!(!admin.is_shareable(Doc::SECRET), "no_download");
    assert!(!admin.is_shareable(Doc::NOTES), "custom view");
    let admin = admin.no_download(Doc::MUGSHOT);
    assert!(!admin.is_shareable(Doc::MUGSHOT));
    // Share routes live where links are minted: the model's URL prefix, not the admin's.
    assert_eq!(
        shared(&admin.routes()),
        vec!["/admin/docs/iddocument/{pk}/pdf/shared/".to_owned()]
    );
    assert_eq!(
        shared(&ModelAdmin::<Doc>::new().routes()),
        vec![
            "/admin/docs/iddocument/{pk}/pdf/shared/".to_owned(),
            "/admin/docs/iddocument/{pk}/mugshot/shared/".to_owned(),
            "/admin/docs/iddocument/{pk}/notes/shared/".to_owned(),
        ]
    );
}

#[tokio::test]
async fn minted_links_download_without_a_session() {
    let admin = admin();
    let world = World::start_with(admin.clone(), Routes::new(), enable_share).await;
    let bytes = pdf_bytes(3000);
    world.write("a.pdf", &bytes);
    let doc = doc(1, Some("a.pdf"));
    world.docs.put("1".to_owned(), doc.clone());

    let url = admin
        .share_url(&world.privates, &doc, Doc::PDF, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("pdf is shareable");
    assert!(
        url.starts_with("/admin/docs/iddocument/1/pdf/shared/?expires="),
        "{url}"
    );
    let response = world.get(&url, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.bytes().await.unwrap().to_vec(), bytes);

    // One changed character of the signature: 403.
    assert_eq!(
        world.get(&tampered(&url), None).await.status(),
        StatusCode::FORBIDDEN
    );

    // Not shareable here: no link; no route either.
    for field in [Doc::SECRET, Doc::NOTES] {
        assert_eq!(
            admin
                .share_url(&world.privates, &doc, field, Duration::from_secs(60))
                .await
                .unwrap(),
            None,
            "{}",
            field.name()
        );
    }
    // Minted by the runtime, which knows nothing of the admin's custom view.
    world.write(doc.notes.as_deref().unwrap(), b"notes");
    let minted_elsewhere = world
        .privates
        .share_url(&doc, &Doc::NOTES, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        world.get(&minted_elsewhere, None).await.status(),
        StatusCode::NOT_FOUND,
        "a field served by a custom view has no share route"
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/notes/", None)
            .await
            .text()
            .await
            .unwrap(),
        "custom"
    );

    // Over `share.max_ttl`: refused by privates.
    let too_long = admin
        .share_url(&world.privates, &doc, Doc::PDF, Duration::from_secs(7200))
        .await;
    assert!(
        matches!(
            too_long,
            Err(privates::Error::Share(ShareError::Lifetime { .. }))
        ),
        "{too_long:?}"
    );
}

#[tokio::test]
async fn may_share_follows_the_download_checks() {
    let world = World::start_with(admin(), Routes::new(), enable_share).await;
    let ctx = &world.ctx;
    let first = doc(1, Some("a.pdf"));
    let second = doc(2, Some("b.pdf"));
    let empty = doc(3, None);
    let admin = admin();
    for (user, expected) in [
        (Some("root"), true),
        (Some("clerk"), true),
        (Some("auditor"), false),
        (Some("viewer"), false),
        (None, false),
    ] {
        assert_eq!(
            admin
                .may_share(ctx, &parts(user), &first, Doc::PDF)
                .await
                .unwrap(),
            expected,
            "{user:?}"
        );
    }
    // The object-level check: clerk-1 reaches document 1 only.
    assert!(
        admin
            .may_share(ctx, &parts(Some("clerk-1")), &first, Doc::PDF)
            .await
            .unwrap()
    );
    assert!(
        !admin
            .may_share(ctx, &parts(Some("clerk-1")), &second, Doc::PDF)
            .await
            .unwrap()
    );
    // Nothing to share, or no share route for the field.
    let root = parts(Some("root"));
    assert!(!admin.may_share(ctx, &root, &empty, Doc::PDF).await.unwrap());
    assert!(
        !admin
            .may_share(ctx, &root, &first, Doc::SECRET)
            .await
            .unwrap()
    );
    assert!(
        !admin
            .may_share(ctx, &root, &first, Doc::NOTES)
            .await
            .unwrap()
    );
    // The admin's permission override decides.
    let audited = ModelAdmin::<Doc>::new().permission_required("docs.audit");
    assert!(
        audited
            .may_share(ctx, &parts(Some("auditor")), &first, Doc::PDF)
            .await
            .unwrap()
    );
    assert!(
        !audited
            .may_share(ctx, &parts(Some("clerk")), &first, Doc::PDF)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn nobody_may_share_while_links_are_disabled() {
    let world = World::start(admin(), Routes::new()).await;
    let doc = doc(1, Some("a.pdf"));
    assert!(
        !admin()
            .may_share(&world.ctx, &parts(Some("root")), &doc, Doc::PDF)
            .await
            .unwrap()
    );
    let minted = admin()
        .share_url(&world.privates, &doc, Doc::PDF, Duration::from_secs(60))
        .await;
    assert!(
        matches!(minted, Err(privates::Error::Share(ShareError::Disabled))),
        "{minted:?}"
    );
}

/// The URL with the first character of its signature changed.
fn tampered(url: &str) -> String {
    let (head, sig) = url.split_once("sig=").unwrap();
    let mut chars = sig.chars();
    let first = chars.next().unwrap();
    let other = if first == 'A' { 'B' } else { 'A' };
    format!("{head}sig={other}{}", chars.as_str())
}

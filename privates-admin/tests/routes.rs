//! The admin's download routes over real HTTP: the generic permission-checked view under the
//! configured prefix, and every knob of the registration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::routing::get;
use common::{Doc, World, pdf_bytes, png_bytes};
use loco_rs::controller::Routes;
use privates::ViewOptions;
use privates_admin::ModelAdmin;
use reqwest::{StatusCode, header};

async fn world(admin: ModelAdmin<Doc>) -> World {
    let world = World::start(admin, Routes::new()).await;
    world.write("docs/1.pdf", &pdf_bytes(300));
    world.write("mugshots/1.png", &png_bytes(2, 2));
    world.write("secret.txt", b"never served");
    world.docs.put(
        "1".into(),
        Doc {
            id: 1,
            pdf: Some("docs/1.pdf".into()),
            mugshot: "mugshots/1.png".into(),
            secret: Some("secret.txt".into()),
            notes: None,
        },
    );
    world
}

#[tokio::test]
async fn default_routes_are_behind_the_permission_check() {
    let world = world(ModelAdmin::new()).await;
    let path = "/admin/docs/iddocument/1/pdf/";

    let response = world.get(path, Some("clerk")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), pdf_bytes(300));

    assert_eq!(
        world.get(path, Some("viewer")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        world.get(path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let browser = world
        .client
        .get(world.url(path))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    // reqwest follows the redirect to the (unrouted) login page; the first hop is what counts.
    assert_eq!(browser.url().path(), "/login");
    assert_eq!(
        browser.url().query(),
        Some("next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fpdf%2F")
    );

    assert_eq!(
        world
            .get("/admin/docs/iddocument/2/pdf/", Some("clerk"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/x/pdf/", Some("clerk"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/notes/", Some("clerk"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "an empty field"
    );
    let mugshot = world
        .get("/admin/docs/iddocument/1/mugshot/", Some("clerk"))
        .await;
    assert_eq!(mugshot.status(), StatusCode::OK);
    assert_eq!(mugshot.bytes().await.unwrap().to_vec(), png_bytes(2, 2));
}

#[tokio::test]
async fn no_download_fields_have_no_route() {
    let world = world(ModelAdmin::new().no_download(Doc::MUGSHOT)).await;
    for field in ["secret", "mugshot"] {
        let response = world
            .get(&format!("/admin/docs/iddocument/1/{field}/"), Some("root"))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{field}");
        assert!(!response.text().await.unwrap().contains("never served"));
    }
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/pdf/", Some("root"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn prefix_and_private_fields() {
    let admin = ModelAdmin::new()
        .prefix("backoffice/files/")
        .private_fields([Doc::PDF]);
    let world = world(admin).await;
    assert_eq!(
        world
            .get("/backoffice/files/docs/iddocument/1/pdf/", Some("clerk"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        world
            .get(
                "/backoffice/files/docs/iddocument/1/mugshot/",
                Some("clerk")
            )
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "not a private field of this admin"
    );
}

#[tokio::test]
async fn permission_required_overrides_the_fields_permission() {
    let world = world(ModelAdmin::new().permission_required("docs.audit")).await;
    let path = "/admin/docs/iddocument/1/pdf/";
    assert_eq!(
        world.get(path, Some("clerk")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        world.get(path, Some("auditor")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn view_options_per_field() {
    let options = ViewOptions {
        attachment: true,
        filename: Some("passport.pdf"),
        mimetype: None,
    };
    let world = world(ModelAdmin::new().view_options(Doc::PDF, options)).await;
    let response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("passport.pdf"), "{disposition}");
    // The other field keeps its own options.
    let response = world
        .get("/admin/docs/iddocument/1/mugshot/", Some("clerk"))
        .await;
    let disposition = response.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("inline"), "{disposition}");
}

#[tokio::test]
async fn a_custom_view_replaces_the_generic_one() {
    let admin = ModelAdmin::new().view(
        Doc::PDF,
        get(
            |axum::extract::Path(pk): axum::extract::Path<String>| async move {
                format!("custom view of {pk}")
            },
        ),
    );
    let world = world(admin).await;
    let response = world.get("/admin/docs/iddocument/1/pdf/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "custom view of 1");
    // The other fields keep the generic view.
    assert_eq!(
        world
            .get("/admin/docs/iddocument/1/mugshot/", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn download_urls_and_views() {
    let admin = ModelAdmin::<Doc>::new()
        .prefix("/b")
        .no_download(Doc::NOTES);
    let doc = Doc {
        id: 42,
        ..Doc::default()
    };
    assert_eq!(
        admin.download_url(&doc, Doc::PDF).as_deref(),
        Some("/b/docs/iddocument/42/pdf/")
    );
    assert_eq!(admin.download_url(&doc, Doc::SECRET), None);
    assert_eq!(admin.download_url(&doc, Doc::NOTES), None);
    assert_eq!(admin.route_path(Doc::PDF), "/b/docs/iddocument/{pk}/pdf/");
    assert!(admin.download_view(Doc::SECRET).is_none());
    let uris: Vec<_> = admin.routes().handlers.into_iter().map(|h| h.uri).collect();
    assert_eq!(
        uris,
        [
            "/b/docs/iddocument/{pk}/pdf/",
            // Share links live under the model's URL prefix, where they are minted.
            "/admin/docs/iddocument/{pk}/pdf/shared/",
            // Any other path below an object: a 404, or a 500 naming the missing initializer.
            "/b/docs/iddocument/{pk}/{*rest}",
            "/b/docs/iddocument/{pk}/mugshot/",
            "/admin/docs/iddocument/{pk}/mugshot/shared/",
            // The image's thumbnail, beside its download.
            "/b/docs/iddocument/{pk}/mugshot/thumbnail/",
        ]
    );
}

#[tokio::test]
async fn admin_pages_are_guarded_by_the_page_permission() {
    use axum::{extract::State, response::IntoResponse};
    use http::request::Parts;
    use loco_rs::app::AppContext;
    use std::sync::Arc;

    for (admin, allowed, refused) in [
        (ModelAdmin::<Doc>::new(), "clerk", "auditor"),
        (
            ModelAdmin::<Doc>::new().permission_required("docs.audit"),
            "auditor",
            "clerk",
        ),
    ] {
        let admin = Arc::new(admin);
        let page = {
            let admin = Arc::clone(&admin);
            get(move |State(ctx): State<AppContext>, parts: Parts| {
                let admin = Arc::clone(&admin);
                async move {
                    match admin.require(&ctx, &parts).await.unwrap() {
                        Some(refusal) => refusal,
                        None => "the list".into_response(),
                    }
                }
            })
        };
        let routes = Routes::new().add("/admin/docs/iddocument/", page);
        let world = World::start(ModelAdmin::new(), routes).await;
        let path = "/admin/docs/iddocument/";
        let response = world.get(path, Some(allowed)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "the list");
        assert_eq!(
            world.get(path, Some(refused)).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            world.get(path, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

//! Thumbnails of image fields over real HTTP: the route's refusals in the download's order, the
//! download's cache headers, a small PNG kept beside the original, removed with it by every
//! deletion path, and a link alone (never a 500) for an image that cannot be made smaller.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Doc, World, bomb_png, noise_image, part, pdf_bytes, png_bytes, value_of};
use loco_rs::controller::Routes;
use privates_admin::{Markup, ModelAdmin, thumbnail::THUMBNAIL_SIZE};
use reqwest::{StatusCode, header, multipart::Form};

const THUMBNAIL: &str = "/admin/docs/iddocument/1/mugshot/thumbnail/";

async fn world() -> World {
    let world = World::start(ModelAdmin::new(), Routes::new()).await;
    world.write("mugshots/me.png", &png_bytes(800, 400));
    world.write("mugshots/other.png", &png_bytes(30, 20));
    for (id, mugshot) in [(1, "mugshots/me.png"), (2, "mugshots/other.png"), (3, "")] {
        world.docs.put(
            id.to_string(),
            Doc {
                id,
                mugshot: mugshot.into(),
                ..Doc::default()
            },
        );
    }
    world
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap();
    (image.width(), image.height())
}

#[tokio::test]
async fn the_route_refuses_in_the_downloads_order_and_serves_with_its_headers() {
    let world = world().await;
    let thumbnail = |pk: &str| format!("/admin/docs/iddocument/{pk}/mugshot/thumbnail/");

    // Anonymous: 401, a browser goes to the login page.
    assert_eq!(
        world.get(THUMBNAIL, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let browser = world
        .client
        .get(world.url(THUMBNAIL))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    // reqwest follows the redirect to the (unrouted) login page; the first hop is what counts.
    assert_eq!(browser.url().path(), "/login");
    assert_eq!(
        browser.url().query(),
        Some("next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fmugshot%2Fthumbnail%2F")
    );
    // No permission: 403, before the object is looked up (an unknown key too).
    for pk in ["1", "999", "abc"] {
        assert_eq!(
            world.get(&thumbnail(pk), Some("viewer")).await.status(),
            StatusCode::FORBIDDEN,
            "{pk}"
        );
    }
    // Unknown or malformed key: 404; the object-level check: 403; an empty field: 404.
    for pk in ["999", "abc"] {
        assert_eq!(
            world.get(&thumbnail(pk), Some("clerk")).await.status(),
            StatusCode::NOT_FOUND,
            "{pk}"
        );
    }
    assert_eq!(
        world.get(&thumbnail("2"), Some("clerk-1")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        world.get(&thumbnail("3"), Some("clerk")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !world.exists("mugshots/~thumbnail/me.png"),
        "no refusal made a thumbnail"
    );

    // Allowed: a small PNG, with the download's headers.
    let download = world
        .get("/admin/docs/iddocument/1/mugshot/", Some("clerk"))
        .await;
    let response = world.get(THUMBNAIL, Some("clerk")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    for name in [header::CACHE_CONTROL, header::X_CONTENT_TYPE_OPTIONS] {
        assert_eq!(headers.get(&name), download.headers().get(&name), "{name}");
    }
    assert_eq!(headers[header::CACHE_CONTROL], "private");
    let etag = headers[header::ETAG].clone();
    let png = response.bytes().await.unwrap();
    assert_eq!(dimensions(&png), (THUMBNAIL_SIZE, THUMBNAIL_SIZE / 2));
    assert!(png.len() < world.read("mugshots/me.png").len() / 4);
    // Kept beside the original, and served from there the next time (same validator).
    assert_eq!(world.read("mugshots/~thumbnail/me.png"), png.to_vec());
    let again = world
        .client
        .get(world.url(THUMBNAIL))
        .header("x-user", "clerk")
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // A small image stays as it is.
    let small = world.get(&thumbnail("2"), Some("root")).await;
    assert_eq!(dimensions(&small.bytes().await.unwrap()), (30, 20));
}

#[tokio::test]
async fn the_thumbnail_goes_with_its_original_by_every_deletion_path() {
    let world = World::start(ModelAdmin::new(), Routes::new()).await;
    let upload = |name: &str, width| {
        Form::new()
            .text("title", "t")
            .part("mugshot", part(png_bytes(width, 200), name, "image/png"))
    };
    let (status, body) = world.post(1, upload("first.png", 200)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = value_of(&body, "mugshot").unwrap().to_owned();
    let first_thumbnail = first.replace("/first.png", "/~thumbnail/first.png");
    assert_eq!(world.get(THUMBNAIL, Some("root")).await.status(), 200);
    assert!(world.exists(&first_thumbnail));

    // Replaced through the change form: the old thumbnail goes with the old file.
    let (status, body) = world.post(1, upload("second.png", 400)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = value_of(&body, "mugshot").unwrap().to_owned();
    assert!(!world.exists(&first) && !world.exists(&first_thumbnail));
    let response = world.get(THUMBNAIL, Some("root")).await;
    assert_eq!(
        dimensions(&response.bytes().await.unwrap()),
        (THUMBNAIL_SIZE, THUMBNAIL_SIZE / 2)
    );
    let second_thumbnail = second.replace("/second.png", "/~thumbnail/second.png");
    assert!(world.exists(&second_thumbnail));

    // A deleted row's files (Privates::delete_files), and a single FieldFile::delete.
    let doc = world.docs.get("1").unwrap();
    world.privates.delete_files(&doc, &[]).await.unwrap();
    assert!(!world.exists(&second) && !world.exists(&second_thumbnail));
    world.write("mugshots/x.png", &png_bytes(300, 300));
    world.write("mugshots/~thumbnail/x.png", &png_bytes(160, 160));
    let doc = Doc {
        id: 1,
        mugshot: "mugshots/x.png".into(),
        ..Doc::default()
    };
    world
        .privates
        .file(&doc, Doc::MUGSHOT)
        .delete()
        .await
        .unwrap();
    assert_eq!(
        world
            .files()
            .iter()
            .filter(|name| name.contains("x.png"))
            .count(),
        0,
        "{:?}",
        world.files()
    );
}

#[tokio::test]
async fn an_image_that_cannot_be_made_smaller_keeps_its_link_and_never_fails_the_page() {
    let world = world().await;
    let admin = ModelAdmin::<Doc>::new();
    let mut corrupt = png_bytes(400, 400);
    corrupt.truncate(corrupt.len() / 2);
    let cases = [
        ("mugshots/corrupt.png", corrupt),
        ("mugshots/text.png", pdf_bytes(2000)),
        ("mugshots/bomb.png", bomb_png(50_000, 50_000)),
        // A fine image, but larger than its field accepts (mugshots are at most 256 KiB).
        (
            "mugshots/large.jpg",
            noise_image(600, 600, image::ImageFormat::Jpeg),
        ),
    ];
    assert!(cases[3].1.len() as u64 > common::MUGSHOT_MAX);
    for (name, bytes) in cases {
        world.write(name, &bytes);
        let doc = Doc {
            id: 1,
            mugshot: name.into(),
            ..Doc::default()
        };
        world.docs.put("1".into(), doc.clone());
        let facts = admin.facts(world.privates.files(), &doc).await;
        assert_eq!(facts.thumbnail("mugshot"), Some(false), "{name}");
        for widget in [
            admin.widget_with_facts(Doc::MUGSHOT, Some(&doc), &facts),
            admin.readonly_widget_with_facts(Doc::MUGSHOT, &doc, &facts),
        ] {
            let html = Markup::render(&widget).unwrap().into_string();
            assert!(!html.contains("<img"), "{name}: {html}");
            assert!(
                html.contains(&format!(
                    r#"<a href="/admin/docs/iddocument/1/mugshot/">{name}</a>"#
                )),
                "{name}: {html}"
            );
        }
        assert_eq!(
            world.get(THUMBNAIL, Some("clerk")).await.status(),
            StatusCode::NOT_FOUND,
            "{name}"
        );
    }
    assert!(
        !world.files().iter().any(|name| name.contains("~thumbnail")),
        "{:?}",
        world.files()
    );

    // A good image: the widget shows its thumbnail, which was made while reading the facts.
    let doc = world.docs.get("2").unwrap();
    let facts = admin.facts(world.privates.files(), &doc).await;
    assert_eq!(facts.thumbnail("mugshot"), Some(true));
    assert!(world.exists("mugshots/~thumbnail/other.png"));
    let html = Markup::render(&admin.readonly_widget_with_facts(Doc::MUGSHOT, &doc, &facts))
        .unwrap()
        .into_string();
    assert!(
        html.contains(r#"<img src="/admin/docs/iddocument/2/mugshot/thumbnail/""#),
        "{html}"
    );
}

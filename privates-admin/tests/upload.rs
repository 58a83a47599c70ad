//! Change forms through a real router over real HTTP: uploads stored as they came, every limit
//! enforced with no file left behind, clearing and replacing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Doc, MUGSHOT_MAX, PDF_MAX, World, bomb_png, noise_image, part, pdf_bytes, png_bytes, value_of,
};
use loco_rs::controller::Routes;
use privates_admin::{ModelAdmin, UploadOptions, upload::ImageRules};
use reqwest::{StatusCode, multipart::Form};

async fn world() -> World {
    World::start(ModelAdmin::new(), Routes::new()).await
}

/// A world with doc 1 holding `docs/old.pdf` and `mugshots/old.png`.
async fn world_with_doc(admin: ModelAdmin<Doc>) -> World {
    let world = World::start(admin, Routes::new()).await;
    world.write("docs/old.pdf", &pdf_bytes(100));
    world.write("mugshots/old.png", &png_bytes(2, 2));
    world.docs.put(
        "1".into(),
        Doc {
            id: 1,
            pdf: Some("docs/old.pdf".into()),
            mugshot: "mugshots/old.png".into(),
            secret: None,
            notes: None,
        },
    );
    world
}

/// The year as `upload_to = "mugshots/%Y/"` expands it (local time).
fn year() -> String {
    let expanded = privates::UploadTo::Pattern("%Y/").expand("x").unwrap();
    expanded.trim_end_matches("/x").to_owned()
}

#[tokio::test]
async fn happy_path_stores_the_exact_bytes_under_upload_to() {
    let world = world().await;
    let pdf = pdf_bytes(20_000);
    let png = png_bytes(40, 30);
    let form = Form::new()
        .text("title", "My passport")
        .part(
            "pdf",
            part(pdf.clone(), "my passport.pdf", "application/pdf"),
        )
        .part("mugshot", part(png.clone(), "me.png", "image/png"));
    let (status, body) = world.post(7, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let pdf_name = value_of(&body, "pdf").unwrap();
    assert_eq!(pdf_name, "my_passport.pdf");
    assert_eq!(world.read(pdf_name), pdf);
    assert_eq!(value_of(&body, "pdf.type"), Some("application/pdf"));
    assert_eq!(value_of(&body, "pdf.size"), Some("20000"));

    let mugshot = value_of(&body, "mugshot").unwrap();
    assert_eq!(mugshot, format!("mugshots/{}/me.png", year()));
    assert_eq!(world.read(mugshot), png);
    assert_eq!(value_of(&body, "mugshot.type"), Some("image/png"));

    assert_eq!(value_of(&body, "title"), Some("My passport"));
    assert_eq!(value_of(&body, "notes"), Some("<none>"));
    // Exactly the two files, no temporary file left.
    assert_eq!(world.files(), vec![mugshot.to_owned(), pdf_name.to_owned()]);

    // The row was updated and the file downloads through the admin route.
    let response = world
        .get("/admin/docs/iddocument/7/pdf/", Some("clerk"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), pdf);
}

#[tokio::test]
async fn a_taken_name_gets_a_free_variant() {
    let world = world().await;
    world.write("my.pdf", b"%PDF-1.4 someone else's");
    let form = Form::new()
        .part("pdf", part(pdf_bytes(100), "my.pdf", "application/pdf"))
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"));
    let (status, body) = world.post(2, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = value_of(&body, "pdf").unwrap();
    assert!(name.starts_with("my_") && name.ends_with(".pdf"), "{name}");
    assert_eq!(world.read("my.pdf"), b"%PDF-1.4 someone else's");
}

#[tokio::test]
async fn over_size_is_413_and_leaves_no_file() {
    let world = world().await;
    let form = Form::new()
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"))
        .part(
            "pdf",
            part(
                pdf_bytes(usize::try_from(PDF_MAX).unwrap() + 1),
                "big.pdf",
                "application/pdf",
            ),
        );
    let (status, body) = world.post(3, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("pdf"), "{body}");
    // The mugshot stored before the over-size part is gone too, and no temporary file is left.
    assert_eq!(world.files(), Vec::<String>::new());
    assert!(world.docs.get("3").is_none());

    // Far over the limit (but within the route's body limit): the rest of the body is read,
    // so the client gets the 413 rather than a reset connection.
    let form = Form::new()
        .part(
            "pdf",
            part(pdf_bytes(3_000_000), "huge.pdf", "application/pdf"),
        )
        .text("title", "after the file");
    let (status, body) = world.post(3, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body, "The file for pdf is too large; the limit is 65.5 KB.");
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn over_size_found_in_the_first_bytes_is_413_too() {
    // Smaller than the sniffing window: refused while reading the head.
    let world = world().await;
    let notes = vec![b'a'; usize::try_from(common::NOTES_MAX).unwrap() + 10];
    let form = Form::new().part("notes", part(notes, "notes.txt", "text/plain"));
    let (status, _) = world.post(3, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn a_body_over_the_route_limit_is_413() {
    let world = world().await;
    let limit = ModelAdmin::<Doc>::new().body_limit();
    assert!(limit as u64 > PDF_MAX + MUGSHOT_MAX);
    // A part of no private field, larger than the whole route's limit.
    let form = Form::new().part(
        "other",
        part(vec![0; limit + 1], "x.bin", "application/octet-stream"),
    );
    let (status, _) = world.post(3, form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn the_sniffed_type_decides_not_the_client() {
    let world = world().await;
    // PNG bytes sent as a PDF, with a .pdf name: refused.
    let form = Form::new()
        .part("pdf", part(png_bytes(2, 2), "scan.pdf", "application/pdf"))
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"));
    let (status, body) = world.post(4, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("pdf: Files of type image/png are not accepted"),
        "{body}"
    );
    // The valid mugshot of the invalid form is not kept either.
    assert_eq!(world.files(), Vec::<String>::new());

    // HTML sent as a PDF: refused.
    let form = Form::new()
        .part(
            "pdf",
            part(
                b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
                "x.pdf",
                "application/pdf",
            ),
        )
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"));
    let (status, body) = world.post(4, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("pdf: Files of type text/html"), "{body}");

    // A real PDF named .html: refused (the extension must fit the content).
    let form = Form::new()
        .part("pdf", part(pdf_bytes(100), "x.html", "text/html"))
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"));
    let (status, body) = world.post(4, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("pdf: The file name's extension does not match"),
        "{body}"
    );
    assert_eq!(world.files(), Vec::<String>::new());

    // A real PDF sent with a lying content type: accepted, stored as a PDF.
    let form = Form::new()
        .part("pdf", part(pdf_bytes(100), "x.pdf", "image/gif"))
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"));
    let (status, body) = world.post(4, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(value_of(&body, "pdf.type"), Some("application/pdf"));
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_before_it_is_stored() {
    let world = world().await;
    let bomb = bomb_png(50_000, 50_000);
    assert!(bomb.len() < 100);
    let form = Form::new().part("mugshot", part(bomb, "bomb.png", "image/png"));
    let (status, body) = world.post(5, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("mugshot: The image is too large to process"),
        "{body}"
    );
    assert_eq!(world.files(), Vec::<String>::new());

    // A GIF declaring a 65535×65535 screen.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0]);
    gif.extend_from_slice(&[
        0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 2, 2, 0x4c, 0x01, 0, 0x3b,
    ]);
    let form = Form::new().part("mugshot", part(gif, "bomb.gif", "image/gif"));
    let (status, body) = world.post(5, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("mugshot: The image is too large to process"),
        "{body}"
    );
    assert_eq!(world.files(), Vec::<String>::new());

    // Within the pixel limits but over the decoding memory limit: refused too.
    let admin =
        ModelAdmin::new().upload_options(UploadOptions::default().image_rules(ImageRules {
            max_alloc: 1024,
            ..ImageRules::default()
        }));
    let world = World::start(admin, Routes::new()).await;
    let form = Form::new().part("mugshot", part(png_bytes(40, 40), "me.png", "image/png"));
    let (status, body) = world.post(5, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("mugshot: The image is 40×40 pixels, too large"),
        "{body}"
    );
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn a_non_image_or_corrupt_image_is_refused() {
    let world = world().await;
    for (bytes, name) in [
        (b"just some text".to_vec(), "me.png"),
        (pdf_bytes(200), "me.pdf"),
        (b"GIF89a\x01".to_vec(), "me.gif"),
    ] {
        let form = Form::new().part("mugshot", part(bytes, name, "image/png"));
        let (status, body) = world.post(6, form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            body.contains("mugshot: Upload a valid image"),
            "{name}: {body}"
        );
    }
    // A valid header and cut pixel data: decoded in full before publishing, refused, never stored.
    let mut truncated = png_bytes(64, 64);
    truncated.truncate(truncated.len() / 2);
    let form = Form::new().part("mugshot", part(truncated, "cut.png", "image/png"));
    let (status, body) = world.post(6, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("mugshot: Upload a valid image"), "{body}");
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn every_decodable_format_is_accepted_with_its_dimensions() {
    use image::ImageFormat;
    let world = world().await;
    // Larger than the sniffing window, so the header is decoded from a prefix.
    for (format, name, mime) in [
        (ImageFormat::Png, "me.png", "image/png"),
        (ImageFormat::Jpeg, "me.jpg", "image/jpeg"),
        (ImageFormat::Gif, "me.gif", "image/gif"),
        (ImageFormat::WebP, "me.webp", "image/webp"),
    ] {
        let bytes = noise_image(160, 120, format);
        assert!(
            bytes.len() > 8192 && (bytes.len() as u64) < MUGSHOT_MAX,
            "{name}: {}",
            bytes.len()
        );
        let form = Form::new().part(
            "mugshot",
            part(bytes.clone(), name, "application/octet-stream"),
        );
        let (status, body) = world.post(8, form).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert_eq!(value_of(&body, "mugshot.type"), Some(mime));
        assert_eq!(value_of(&body, "mugshot.dimensions"), Some("160x120"));
        assert_eq!(world.read(value_of(&body, "mugshot").unwrap()), bytes);
    }
}

#[tokio::test]
async fn rollback_keeps_the_old_files_and_removes_the_new_ones() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let form = Form::new()
        .text("title", "fail")
        .text("pdf-clear", "on")
        .part("mugshot", part(png_bytes(3, 3), "new.png", "image/png"));
    let (status, _) = world.post(1, form).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        world.files(),
        vec!["docs/old.pdf".to_owned(), "mugshots/old.png".to_owned()]
    );
}

#[tokio::test]
async fn clear_removes_the_file() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let form = Form::new().text("pdf-clear", "on");
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(value_of(&body, "pdf"), Some("<none>"));
    assert_eq!(world.docs.get("1").unwrap().pdf, None);
    assert!(!world.exists("docs/old.pdf"));
    assert!(world.exists("mugshots/old.png"));
}

#[tokio::test]
async fn clear_is_ignored_for_a_required_field_and_unticked_values() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let form = Form::new()
        .text("mugshot-clear", "on")
        .text("pdf-clear", "false");
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(value_of(&body, "mugshot"), Some("mugshots/old.png"));
    assert_eq!(value_of(&body, "pdf"), Some("docs/old.pdf"));
    assert!(world.exists("mugshots/old.png"));
    assert!(world.exists("docs/old.pdf"));
}

#[tokio::test]
async fn replace_removes_the_old_file() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let png = png_bytes(3, 3);
    let form = Form::new().part("mugshot", part(png.clone(), "new.png", "image/png"));
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = value_of(&body, "mugshot").unwrap();
    assert_eq!(world.read(new), png);
    assert!(!world.exists("mugshots/old.png"));
    assert!(
        world.exists("docs/old.pdf"),
        "untouched fields keep their file"
    );
}

#[tokio::test]
async fn keep_option_keeps_the_old_file() {
    let world = world_with_doc(ModelAdmin::new().keep_replaced_files(true)).await;
    let form = Form::new()
        .part("mugshot", part(png_bytes(3, 3), "new.png", "image/png"))
        .text("pdf-clear", "on");
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(value_of(&body, "mugshot"), Some("mugshots/old.png"));
    assert_eq!(value_of(&body, "pdf"), Some("<none>"));
    assert!(world.exists("mugshots/old.png"));
    assert!(world.exists("docs/old.pdf"));
}

#[tokio::test]
async fn a_file_and_a_ticked_clear_box_contradict() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let form = Form::new()
        .text("pdf-clear", "on")
        .part("pdf", part(pdf_bytes(100), "new.pdf", "application/pdf"));
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("pdf: Please either submit a file or check the clear checkbox"),
        "{body}"
    );
    assert_eq!(
        world.files(),
        vec!["docs/old.pdf".to_owned(), "mugshots/old.png".to_owned()]
    );
}

#[tokio::test]
async fn required_empty_and_unnamed_files() {
    let world = world().await;
    // An add form without the required mugshot; a file input left empty (empty file name).
    let form = Form::new()
        .text("title", "x")
        .part("pdf", part(Vec::new(), "", "application/octet-stream"));
    let (status, body) = world.post(9, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, "mugshot: This field is required.\n");

    // An empty file with a name.
    let form = Form::new()
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"))
        .part("pdf", part(Vec::new(), "empty.pdf", "application/pdf"));
    let (status, body) = world.post(9, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, "pdf: The submitted file is empty.\n");

    // A name that nothing valid is left of.
    let form = Form::new()
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"))
        .part("notes", part(b"hello".to_vec(), "???", "text/plain"));
    let (status, body) = world.post(9, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.starts_with("notes: The file name is not valid"),
        "{body}"
    );
    assert_eq!(world.files(), Vec::<String>::new());
}

#[tokio::test]
async fn hostile_file_names_are_made_valid() {
    let world = world().await;
    let form = Form::new()
        .part(
            "mugshot",
            part(png_bytes(2, 2), "../../etc/me.png", "image/png"),
        )
        .part(
            "notes",
            part(b"hello".to_vec(), r"C:\fakepath\my notes.txt", "text/plain"),
        );
    let (status, body) = world.post(9, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        value_of(&body, "mugshot"),
        Some(format!("mugshots/{}/me.png", year()).as_str())
    );
    assert_eq!(value_of(&body, "notes"), Some("my_notes.txt"));
}

#[tokio::test]
async fn inline_forms_use_the_prefix() {
    let admin = ModelAdmin::new().upload_options(UploadOptions::default().prefix("docs-0-"));
    let world = World::start(admin, Routes::new()).await;
    let form = Form::new()
        .text("title", "parent title")
        .part("mugshot", part(png_bytes(2, 2), "parent.png", "image/png"))
        .part(
            "docs-0-mugshot",
            part(png_bytes(2, 2), "child.png", "image/png"),
        );
    let (status, body) = world.post(9, form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        value_of(&body, "mugshot"),
        Some(format!("mugshots/{}/child.png", year()).as_str())
    );
    assert_eq!(world.files().len(), 1);
}

#[tokio::test]
async fn an_abandoned_upload_leaves_no_file() {
    let world = world().await;
    // The mugshot arrives whole; the PDF part's stream fails midway, so the client gives up.
    let failing = futures_util::stream::iter([
        Ok::<_, std::io::Error>(bytes::Bytes::from(pdf_bytes(20_000))),
        Err(std::io::Error::other("the client went away")),
    ]);
    let form = Form::new()
        .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"))
        .part(
            "pdf",
            reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(failing))
                .file_name("cut.pdf"),
        );
    let request = world
        .client
        .post(world.url("/admin/docs/iddocument/1/change/"))
        .header("x-user", "root");
    let result = world.with_csrf(request).multipart(form).send().await;
    assert!(result.is_err(), "the request cannot complete");
    // The server notices the cut body (or drops the handler) and deletes what it stored.
    for _ in 0..100 {
        if world.files().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(world.files(), Vec::<String>::new());
    assert!(world.docs.get("1").is_none());
}

#[tokio::test]
async fn a_forged_form_is_refused_before_anything_is_stored() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let before = world.files();
    let url = world.url("/admin/docs/iddocument/1/change/");
    let form = || {
        Form::new()
            .text("title", "forged")
            .text("pdf-clear", "on")
            .part("mugshot", part(png_bytes(2, 2), "me.png", "image/png"))
    };
    let cookie = format!("privates_csrf={}", common::CSRF_SECRET);
    let token = world.csrf_token();
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "CSRF token missing",
            world
                .client
                .post(&url)
                .header("cookie", &cookie)
                .multipart(form()),
        ),
        (
            "CSRF token incorrect",
            world
                .client
                .post(&url)
                .header("cookie", &cookie)
                .header("x-csrftoken", "bad")
                .multipart(form()),
        ),
        (
            "does not match any trusted origins",
            world
                .with_csrf(world.client.post(&url))
                .header("origin", "https://evil.example")
                .multipart(form()),
        ),
        (
            "CSRF cookie not set",
            world
                .client
                .post(&url)
                .header("x-csrftoken", &token)
                .multipart(form()),
        ),
        (
            // The token as a field, but after a file.
            "before any file",
            world
                .client
                .post(&url)
                .header("cookie", &cookie)
                .multipart(form().text("csrf_token", token.clone())),
        ),
    ];
    for (reason, request) in cases {
        let response = request.header("x-user", "root").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{reason}");
        let page = response.text().await.unwrap();
        assert!(page.contains(reason), "{reason}: {page}");
        assert_eq!(world.files(), before, "{reason}");
        assert_eq!(
            world.docs.get("1").unwrap().pdf.as_deref(),
            Some("docs/old.pdf")
        );
    }

    // The token as the form's first field, as the admin templates send it.
    let response = world
        .client
        .post(&url)
        .header("x-user", "root")
        .header("cookie", &cookie)
        .multipart(
            Form::new()
                .text("csrf_token", token)
                .text("pdf-clear", "on"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(world.docs.get("1").unwrap().pdf, None);
    assert!(!world.exists("docs/old.pdf"));
}

#[tokio::test]
async fn an_upload_that_goes_silent_ends_with_408_and_no_file() {
    let world = world_with_doc(ModelAdmin::new()).await;
    let before = world.files();
    let (_keep_open, gate) = tokio::sync::oneshot::channel::<()>();
    let first = bytes::Bytes::from(pdf_bytes(20_000));
    let stalled =
        futures_util::stream::unfold((Some(first), Some(gate)), |(first, gate)| async move {
            if let Some(first) = first {
                return Some((Ok::<_, std::io::Error>(first), (None, gate)));
            }
            let _ = gate?.await;
            None
        });
    let form = Form::new().part(
        "pdf",
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(stalled)).file_name("x.pdf"),
    );
    let started = std::time::Instant::now();
    let (status, body) = world.post(1, form).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert!(body.contains("The upload stalled"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(world.files(), before, "the temporary file is removed");
}

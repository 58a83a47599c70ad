//! Every admin route of the demo over real HTTP, against the real binary: login and logout,
//! the list, the add and change forms (uploads, replacing, clearing, validation, size limits),
//! the downloads, the share button and its links, the 403 page, and the escaping of hostile
//! stored names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, client, csrf_for, file, pdf, pdf_of_size, png, session_cookie, shared_link};
use privates::storage::Variant;
use reqwest::{StatusCode, header, multipart::Form};

const LIST: &str = "/admin/docs/iddocument/";
const ADD: &str = "/admin/docs/iddocument/add/";

/// A form with a title, a PDF and a PNG.
fn full_form(title: &str, pdf_bytes: Vec<u8>, png_bytes: Vec<u8>) -> Form {
    Form::new()
        .text("title", title.to_owned())
        .part("pdf", file(pdf_bytes, "scan.pdf", "application/pdf"))
        .part("mugshot", file(png_bytes, "face.png", "image/png"))
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn is_html(response: &reqwest::Response) -> bool {
    response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html")
}

#[tokio::test]
async fn login_next_and_logout() {
    let demo = Demo::start();

    let page = demo
        .get(None, "/login/?next=/admin/docs/iddocument/add/")
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<form method="post" action="/login" id="login-form">"#));
    assert!(html.contains(r#"name="next" value="/admin/docs/iddocument/add/""#));

    // A wrong password: the form again, with the email kept and a message; no session.
    let (browser, token) = csrf_for(&demo.base, None).await;
    let wrong = client()
        .post(demo.url("/login"))
        .header(header::COOKIE, &browser)
        .form(&[
            ("email", "clerk@example.com"),
            ("password", "nope"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Please enter the correct email and password."));
    assert!(html.contains(r#"value="clerk@example.com""#));

    // `next` is honoured for local paths only.
    for (next, expected) in [
        ("/admin/docs/iddocument/add/", "/admin/docs/iddocument/add/"),
        ("//evil.example/", LIST),
        ("https://evil.example/", LIST),
    ] {
        let (browser, token) = csrf_for(&demo.base, None).await;
        let response = client()
            .post(demo.url("/login"))
            .header(header::COOKIE, &browser)
            .form(&[
                ("email", "clerk@example.com"),
                ("password", "clerk"),
                ("next", next),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "next={next}");
        let cookie = session_cookie(&response).unwrap();
        let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        assert_eq!(demo.get(Some(&cookie), LIST).await.status(), StatusCode::OK);
    }

    // The anonymous browser is sent to the login page with `next`; an API client gets 401.
    let anonymous = demo.get(None, "/admin/docs/iddocument/1/change/").await;
    assert_eq!(anonymous.status(), StatusCode::FOUND);
    assert_eq!(
        location(&anonymous),
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fchange%2F"
    );
    let api = client().get(demo.url(LIST)).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // Logging out clears the cookie and goes to the login page.
    let cookie = demo.login("clerk@example.com", "clerk").await;
    let other_browser = demo.login("clerk@example.com", "clerk").await;
    let token = demo.csrf_token(&cookie).await;
    let out = client()
        .post(demo.url("/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/login");
    let cleared = out.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("demo_session=;") && cleared.contains("Max-Age=0"));

    // It ends on the server too: a kept copy of the cookie (and the user's other sessions)
    // no longer opens a page or a file.
    for kept in [&cookie, &other_browser] {
        let page = demo.get(Some(kept), LIST).await;
        assert_eq!(page.status(), StatusCode::FOUND, "a page after logout");
        let download = client()
            .get(demo.url("/admin/docs/iddocument/1/pdf/"))
            .header(header::COOKIE, kept.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(
            download.status(),
            StatusCode::UNAUTHORIZED,
            "a file after logout"
        );
    }
    // Logging in again works, and the new session does.
    let again = demo.login("clerk@example.com", "clerk").await;
    assert_eq!(demo.get(Some(&again), LIST).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_require_the_permission() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let pages = [
        LIST,
        ADD,
        "/admin/docs/iddocument/1/change/",
        "/admin/docs/iddocument/1/pdf/",
        "/admin/docs/iddocument/1/mugshot/",
    ];
    for path in pages {
        for cookie in [&clerk, &admin] {
            let response = demo.get(Some(cookie), path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
        // Without a trailing slash too (loco strips them; privates answers both).
        let bare = demo.get(Some(&clerk), path.trim_end_matches('/')).await;
        assert_eq!(bare.status(), StatusCode::OK, "{path} without the slash");

        let forbidden = demo.get(Some(&viewer), path).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "{path}");
        let anonymous = demo.get(None, path).await;
        assert_eq!(anonymous.status(), StatusCode::FOUND, "{path}");
        assert!(location(&anonymous).starts_with("/login?next=%2Fadmin%2F"));
    }

    // The pages' 403 is an HTML page in the layout, naming the user.
    let forbidden = demo.get(Some(&viewer), LIST).await;
    assert!(is_html(&forbidden));
    let html = forbidden.text().await.unwrap();
    assert!(html.contains("<h1>Permission denied</h1>"), "{html}");
    assert!(html.contains("You do not have permission to manage ID documents."));
    assert!(html.contains("viewer@example.com"));
    assert!(html.contains(r#"action="/logout""#));

    // A viewer's upload is refused before anything is read or stored.
    let before = demo.files();
    let refused = demo
        .submit(&viewer, ADD, full_form("x", pdf(), png(4, 4)))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = demo
        .submit(
            &viewer,
            "/admin/docs/iddocument/1/change/",
            full_form("x", pdf(), png(4, 4)),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(demo.files(), before);
    assert_eq!(demo.doc(1).await.title, "Sample passport");
}

#[tokio::test]
async fn list_shows_the_documents_with_their_protected_links() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let response = demo.get(Some(&clerk), LIST).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(is_html(&response));
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Select ID document to change</h1>"));
    assert!(html.contains(r#"<a href="/admin/docs/iddocument/add/" class="addlink">"#));
    assert!(html.contains(r#"<a href="/admin/docs/iddocument/1/change/">Sample passport</a>"#));
    assert!(
        html.contains(r#"<a href="/admin/docs/iddocument/1/pdf/">docs/sample_passport.pdf</a>"#)
    );
    assert!(html.contains(r#"<img src="/admin/docs/iddocument/1/mugshot/thumbnail/""#));
    assert!(html.contains("clerk@example.com"));
    assert!(!html.contains("/protected/"), "no storage URL leaks");
}

/// What a widget shows after a file's name: its size and type.
fn facts(size: &str, content_type: &str) -> String {
    format!(
        r#" <span class="file-facts">(<span class="file-size">{size}</span>, <span class="file-type">{content_type}</span>)</span>"#
    )
}

/// What a widget shows after the name of a file missing from the storage.
const MISSING: &str = r#" <span class="file-facts file-missing">(missing)</span>"#;

#[tokio::test]
async fn front_page_leads_to_the_admin() {
    let demo = Demo::start();
    // Anonymous: `/` goes to the list, which goes on to the login page with `next`.
    let front = demo.get(None, "/").await;
    assert_eq!(front.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&front), LIST);
    let list = demo.get(None, &location(&front)).await;
    assert_eq!(list.status(), StatusCode::FOUND);
    assert_eq!(
        location(&list),
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F"
    );
    let login = demo.get(None, &location(&list)).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(
        login
            .text()
            .await
            .unwrap()
            .contains(r#"name="next" value="/admin/docs/iddocument/""#)
    );
    // Logged in: `/` is the list.
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let front = demo.get(Some(&clerk), "/").await;
    assert_eq!(front.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&front), LIST);
    let list = demo.get(Some(&clerk), LIST).await;
    assert_eq!(list.status(), StatusCode::OK);
    assert!(
        list.text()
            .await
            .unwrap()
            .contains("<h1>Select ID document to change</h1>")
    );
}

#[tokio::test]
async fn file_facts_on_the_change_and_list_pages() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let face = png(48, 32);
    assert_eq!(face.len(), 4_708);
    let form = Form::new()
        .text("title", "Report")
        .part(
            "pdf",
            file(pdf_of_size(2_450_000), "report.pdf", "application/pdf"),
        )
        .part("mugshot", file(face, "face.png", "image/png"));
    let id = demo.save(&clerk, ADD, form).await;
    let change = format!("/admin/docs/iddocument/{id}/change/");
    let doc = demo.doc(id).await;
    assert_eq!(doc.pdf.as_deref(), Some("report.pdf"));

    let pdf_facts = format!(
        r#"Currently: <a href="/admin/docs/iddocument/{id}/pdf/">report.pdf</a>{}"#,
        facts("2.4 MB", "application/pdf")
    );
    let mugshot_facts = format!(
        r#"Currently: <a href="/admin/docs/iddocument/{id}/mugshot/">{}</a>{}"#,
        doc.mugshot,
        facts("4.7 KB", "image/png")
    );
    let page = demo.get(Some(&clerk), &change).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&pdf_facts), "{html}");
    assert!(html.contains(&mugshot_facts), "{html}");
    // The type shown is the one the download is sent with.
    for (field, shown) in [("pdf", "application/pdf"), ("mugshot", "image/png")] {
        let download = demo
            .get(
                Some(&clerk),
                &format!("/admin/docs/iddocument/{id}/{field}/"),
            )
            .await;
        assert_eq!(download.headers()[header::CONTENT_TYPE], shown, "{field}");
    }

    // The list shows them in each row, the seeded document's too.
    let seeded = demo.doc(1).await;
    let list = demo.get(Some(&clerk), LIST).await;
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.unwrap();
    for cell in [
        format!(
            r#"<td><a href="/admin/docs/iddocument/{id}/pdf/">report.pdf</a>{}</td>"#,
            facts("2.4 MB", "application/pdf")
        ),
        format!(
            r#"<br><a href="/admin/docs/iddocument/{id}/mugshot/">{}</a>{}</td>"#,
            doc.mugshot,
            facts("4.7 KB", "image/png")
        ),
        format!(
            r#"<td><a href="/admin/docs/iddocument/1/pdf/">docs/sample_passport.pdf</a>{}</td>"#,
            facts(&format!("{} bytes", pdf().len()), "application/pdf")
        ),
        format!(
            r#"<br><a href="/admin/docs/iddocument/1/mugshot/">{}</a>{}</td>"#,
            seeded.mugshot,
            facts(
                &format!("{} bytes", demo.read(&seeded.mugshot).len()),
                "image/png"
            )
        ),
    ] {
        assert!(html.contains(&cell), "{cell}\n{html}");
    }

    // A file deleted from the disk behind the app's back: both pages still answer, and say so.
    std::fs::remove_file(demo.private.join("report.pdf")).unwrap();
    let page = demo.get(Some(&clerk), &change).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"Currently: <a href="/admin/docs/iddocument/{id}/pdf/">report.pdf</a>{MISSING}"#
        )),
        "{html}"
    );
    assert!(html.contains(&mugshot_facts), "{html}");
    let list = demo.get(Some(&clerk), LIST).await;
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<td><a href="/admin/docs/iddocument/{id}/pdf/">report.pdf</a>{MISSING}</td>"#
        )),
        "{html}"
    );
    // Its download is a 404, as the page said.
    let download = demo
        .get(Some(&clerk), &format!("/admin/docs/iddocument/{id}/pdf/"))
        .await;
    assert_eq!(download.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn add_change_replace_clear_and_download() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;

    let form = demo.get(Some(&clerk), ADD).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"enctype="multipart/form-data""#));
    // Direct uploads are on: the input names the issuing route for the script.
    assert!(html.contains(
        r#"<input type="file" name="pdf" id="id_pdf" accept="application/pdf" data-direct-upload="/admin/docs/iddocument/direct-upload/">"#
    ));
    assert!(html.contains(r#"name="mugshot""#));

    // Add: a PDF and a PNG.
    let face = png(48, 32);
    let id = demo
        .save(
            &clerk,
            ADD,
            full_form("Passport of Ada", pdf(), face.clone()),
        )
        .await;
    let change = format!("/admin/docs/iddocument/{id}/change/");
    let download = format!("/admin/docs/iddocument/{id}/pdf/");
    let doc = demo.doc(id).await;
    assert_eq!(doc.title, "Passport of Ada");
    let pdf_name = doc.pdf.clone().unwrap();
    assert_eq!(pdf_name, "scan.pdf");
    let year = chrono_year();
    assert_eq!(doc.mugshot, format!("mugshots/{year}/face.png"));
    assert_eq!(demo.read(&pdf_name), pdf());
    assert_eq!(demo.read(&doc.mugshot), face);

    // The change page shows the widgets: links and the thumbnail through the protected URLs.
    let page = demo
        .get(
            Some(&clerk),
            &format!("/admin/docs/iddocument/{id}/change/?saved=1"),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("The ID document “Passport of Ada” was saved."));
    assert!(html.contains(&format!(
        r#"Currently: <a href="/admin/docs/iddocument/{id}/pdf/">scan.pdf</a>"#
    )));
    assert!(html.contains(&format!(
        r#"<img src="/admin/docs/iddocument/{id}/mugshot/thumbnail/""#
    )));
    assert!(html.contains(r#"<input type="checkbox" name="pdf-clear" id="pdf-clear_id">"#));
    assert!(
        !html.contains("mugshot-clear"),
        "a required field has no clear box"
    );

    // Downloads: the same bytes, inline, private.
    for (field, bytes, mime) in [
        ("pdf", pdf(), "application/pdf"),
        ("mugshot", face.clone(), "image/png"),
    ] {
        let response = demo
            .get(
                Some(&clerk),
                &format!("/admin/docs/iddocument/{id}/{field}/"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{field}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], mime);
        assert!(
            response.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("private")
        );
        assert_eq!(response.bytes().await.unwrap().to_vec(), bytes, "{field}");
    }

    // Replace the PDF: the old file is removed, the new one is served.
    let second = pdf_of_size(4096);
    let form = Form::new()
        .text("title", "Passport of Ada Lovelace")
        .part("pdf", file(second.clone(), "scan.pdf", "application/pdf"));
    assert_eq!(demo.save(&clerk, &change, form).await, id);
    let doc = demo.doc(id).await;
    assert_eq!(doc.title, "Passport of Ada Lovelace");
    let new_pdf = doc.pdf.clone().unwrap();
    assert_ne!(new_pdf, pdf_name, "a taken name gets a suffix");
    assert!(!demo.stored(&pdf_name), "the replaced file is gone");
    assert_eq!(demo.read(&new_pdf), second);
    let downloaded = demo.get(Some(&clerk), &download).await;
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), second);

    // Replace the mugshot.
    let face2 = png(20, 20);
    let form = Form::new()
        .text("title", "Passport of Ada Lovelace")
        .part("mugshot", file(face2.clone(), "face.png", "image/png"));
    assert_eq!(demo.save(&clerk, &change, form).await, id);
    let after = demo.doc(id).await;
    assert_ne!(after.mugshot, doc.mugshot);
    assert!(!demo.stored(&doc.mugshot));
    assert_eq!(demo.read(&after.mugshot), face2);

    // Clear the PDF: the file is removed, the field empty, its link gone.
    let form = Form::new()
        .text("title", "Passport of Ada Lovelace")
        .text("pdf-clear", "on");
    assert_eq!(demo.save(&clerk, &change, form).await, id);
    let doc = demo.doc(id).await;
    assert_eq!(doc.pdf, None);
    assert!(!demo.stored(&new_pdf), "the cleared file is gone");
    assert_eq!(
        demo.get(Some(&clerk), &download).await.status(),
        StatusCode::NOT_FOUND
    );
    let html = demo.get(Some(&clerk), &change).await.text().await.unwrap();
    assert!(!html.contains(&download));
    let list = demo.get(Some(&clerk), LIST).await.text().await.unwrap();
    assert!(list.contains("<td>-</td>"), "an empty field shows -");

    // Only the files the rows name are left, with the thumbnails of their images (the
    // replaced image's went with it).
    let thumbnail = |name: &str| Variant::Thumbnail.name_of(name).unwrap();
    let mut expected = vec![
        "docs/sample_passport.pdf".to_owned(),
        thumbnail(&demo.doc(1).await.mugshot),
        demo.doc(1).await.mugshot,
        thumbnail(&after.mugshot),
        after.mugshot,
    ];
    expected.sort();
    assert_eq!(demo.files(), expected);
}

#[tokio::test]
async fn validation_errors_show_the_form_again() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    // Showing the seeded document makes its image's thumbnail; from here on nothing is added.
    demo.get(Some(&clerk), "/admin/docs/iddocument/1/change/")
        .await;
    let before = demo.files();

    // No title, a PNG as the PDF, a PDF as the mugshot: 400, every message, nothing stored.
    let form = Form::new()
        .text("title", "  ")
        .part("pdf", file(png(4, 4), "scan.pdf", "application/pdf"))
        .part("mugshot", file(pdf(), "face.png", "image/png"));
    let response = demo.submit(&clerk, ADD, form).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(is_html(&response));
    let html = response.text().await.unwrap();
    assert!(html.contains("Please correct the errors below."));
    assert!(html.contains(
        "<ul class=\"errorlist\" id=\"title_errors\">\n<li>This field is required.</li>"
    ));
    assert!(html.contains("id=\"pdf_errors\""), "{html}");
    assert!(html.contains("id=\"mugshot_errors\""));
    assert!(html.contains("Upload a valid image"));
    assert_eq!(demo.files(), before);

    // A valid PDF but a required mugshot left out, and a good title: the title is kept.
    let form = Form::new()
        .text("title", "Half <done>")
        .part("pdf", file(pdf(), "scan.pdf", "application/pdf"));
    let response = demo.submit(&clerk, ADD, form).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"value="Half &#60;done&#62;""#));
    assert!(html.contains(
        "<ul class=\"errorlist\" id=\"mugshot_errors\">\n<li>This field is required.</li>"
    ));
    assert_eq!(demo.files(), before, "the valid PDF was removed again");

    // Change: a file and the clear box together; the row and its files are untouched.
    let form = Form::new()
        .text("title", "Sample passport")
        .text("pdf-clear", "on")
        .part("pdf", file(pdf(), "other.pdf", "application/pdf"));
    let response = demo
        .submit(&clerk, "/admin/docs/iddocument/1/change/", form)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Please either submit a file or check the clear checkbox, not both."));
    assert!(
        html.contains(r#"<a href="/admin/docs/iddocument/1/pdf/">docs/sample_passport.pdf</a>"#)
    );
    assert_eq!(
        demo.doc(1).await.pdf.as_deref(),
        Some("docs/sample_passport.pdf")
    );
    assert_eq!(demo.files(), before);

    // A wrong type by its bytes, whatever the browser says: an HTML page sent as a PDF.
    let form = Form::new().text("title", "Sample passport").part(
        "pdf",
        file(
            b"<html><script>alert(1)</script></html>".to_vec(),
            "x.pdf",
            "application/pdf",
        ),
    );
    let response = demo
        .submit(&clerk, "/admin/docs/iddocument/1/change/", form)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("are not accepted here")
    );
    assert_eq!(demo.files(), before);

    // Not a multipart body at all: the form again with the reason, not a 500.
    let response = client()
        .post(demo.url(ADD))
        .header(header::COOKIE, &clerk)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(is_html(&response));

    // Unknown and malformed keys: the HTML 404 page.
    for path in [
        "/admin/docs/iddocument/999/change/",
        "/admin/docs/iddocument/abc/change/",
    ] {
        let response = demo.get(Some(&clerk), path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(is_html(&response));
    }
}

#[tokio::test]
async fn upload_size_limits() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    // Showing the seeded document makes its image's thumbnail; from here on nothing is added.
    demo.get(Some(&clerk), "/admin/docs/iddocument/1/change/")
        .await;
    let before = demo.files();

    // Over the PDF field's 20 MiB: 413, the form with the message, no file left behind.
    let big = pdf_of_size(20 * 1024 * 1024 + 1);
    let response = demo
        .submit(&clerk, ADD, full_form("Too big", big, png(4, 4)))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_html(&response));
    assert!(response.text().await.unwrap().contains("too large"));
    assert_eq!(demo.files(), before);

    // Over the mugshot's 5 MiB, on a change form.
    let mut huge_png = png(8, 8);
    huge_png.resize(5 * 1024 * 1024 + 10, 0);
    let form = Form::new()
        .text("title", "Sample passport")
        .part("mugshot", file(huge_png, "face.png", "image/png"));
    let response = demo
        .submit(&clerk, "/admin/docs/iddocument/1/change/", form)
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(demo.files(), before);

    // Above loco's default 2 MB payload limit but within the field's: accepted.
    let three_mb = pdf_of_size(3_000_000);
    let id = demo
        .save(
            &clerk,
            ADD,
            full_form("Large scan", three_mb.clone(), png(4, 4)),
        )
        .await;
    let doc = demo.doc(id).await;
    assert_eq!(demo.read(doc.pdf.as_deref().unwrap()), three_mb);
}

#[tokio::test]
async fn hostile_stored_names_are_escaped() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let pdf_name = r#""><script>alert('pdf')</script>.pdf"#;
    let mugshot_name =
        r#"javascript:alert(1)//" onerror="alert(2)"><img src=x onerror=alert(3)>.png"#;
    let id = demo
        .insert_doc("<b>bold</b> & \"quoted\"", Some(pdf_name), mugshot_name)
        .await;

    for path in [
        LIST.to_owned(),
        format!("/admin/docs/iddocument/{id}/change/"),
    ] {
        let response = demo.get(Some(&clerk), &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}");
        assert!(!html.contains("<b>bold"), "{path}");
        assert!(!html.contains("onerror=\"alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("href=\"javascript:"), "{path}");
        assert!(!html.contains("src=\"javascript:"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(&#39;pdf&#39;)&#60;/script&#62;.pdf"),
            "{path}: {html}"
        );
        // The links are the protected routes, built from the key, never from the name.
        assert!(html.contains(&format!(r#"<a href="/admin/docs/iddocument/{id}/pdf/">"#)));
        // No file is stored under the hostile name: no thumbnail, the link alone.
        assert!(html.contains(&format!(
            r#"<a href="/admin/docs/iddocument/{id}/mugshot/">"#
        )));
        assert!(
            !html.contains(&format!("/{id}/mugshot/thumbnail/")),
            "{path}"
        );
    }
    // The hostile names are no paths into the storage either.
    for field in ["pdf", "mugshot"] {
        let response = demo
            .get(
                Some(&clerk),
                &format!("/admin/docs/iddocument/{id}/{field}/"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{field}");
    }
}

#[tokio::test]
async fn storage_url_is_not_served_by_the_app() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    for path in [
        "/protected/docs/sample_passport.pdf",
        "/protected/",
        "/storage/private/docs/sample_passport.pdf",
    ] {
        assert_eq!(
            demo.get(None, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            demo.get(Some(&clerk), path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Downloads refuse the viewer (403) and the anonymous API client (401).
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let path = "/admin/docs/iddocument/1/pdf/";
    assert_eq!(
        demo.get(Some(&viewer), path).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client().get(demo.url(path)).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

/// `url` with one signed part changed: `what` is `sig` or `expires`.
fn tamper(url: &str, what: &str) -> String {
    let marker = format!("{what}=");
    let start = url.find(&marker).unwrap() + marker.len();
    let mut out = url.to_owned();
    let first = out[start..].chars().next().unwrap();
    let other = match first {
        '1' => "2",
        _ if what == "expires" => "1",
        'A' => "B",
        _ => "A",
    };
    out.replace_range(start..start + first.len_utf8(), other);
    out
}

/// The demo's share key, as the test config gives it to the demo (the same environment).
fn share_key() -> privates::share::ShareKey {
    let config = loco_rs::environment::Environment::Test
        .load_from_folder(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config"))
        .unwrap();
    let privates = privates::PrivatesConfig::from_loco(&config).unwrap();
    privates::share::ShareKey::from_config(&privates.share.expect("a share section")).unwrap()
}

#[tokio::test]
async fn share_button_mints_links_that_work_without_a_session() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let change = "/admin/docs/iddocument/1/change/";
    let share_pdf = "/admin/docs/iddocument/1/share/pdf/";
    let button = format!(
        r#"<form method="post" action="{share_pdf}" class="share-form" id="share_pdf_form">"#
    );

    // Users who may download the files see a button per file; the viewer sees none.
    for cookie in [&clerk, &admin] {
        let html = demo.get(Some(cookie), change).await.text().await.unwrap();
        assert!(html.contains(&button), "{html}");
        assert!(html.contains(r#"id="share_mugshot_form""#));
        assert!(html.contains(r#"<button type="submit">Share for 10 minutes</button>"#));
        assert!(
            !html.contains("shared_pdf_url"),
            "no link before the button is pressed"
        );
    }
    let forbidden = demo.get(Some(&viewer), change).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let html = forbidden.text().await.unwrap();
    assert!(
        !html.contains("/share/") && !html.contains("Share for"),
        "{html}"
    );

    // Pressing it is refused to the viewer and to anonymous clients, too.
    let press = async |cookie: Option<&str>| {
        let mut request = client()
            .post(demo.url(share_pdf))
            .header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            // The form's CSRF token, as the page gives it to this browser.
            let token = demo.csrf_token(cookie).await;
            request = request
                .header(header::COOKIE, cookie.to_owned())
                .form(&[("csrf_token", token)]);
        }
        request.send().await
    };
    let refused = press(Some(&viewer)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(shared_link(&refused.text().await.unwrap(), "pdf").is_none());
    let anonymous = press(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::FOUND);
    assert!(location(&anonymous).starts_with("/login?next="));

    // The clerk presses it: the page shows an absolute link, ready to copy.
    let pressed = press(Some(&clerk)).await.unwrap();
    assert_eq!(pressed.status(), StatusCode::OK);
    let html = pressed.text().await.unwrap();
    assert!(html.contains("A share link for the PDF of “Sample passport” was created."));
    assert!(html.contains(r#"<label for="shared_pdf_url">Share link for PDF</label>"#));
    assert!(html.contains("readonly"));
    let link = shared_link(&html, "pdf").expect("the minted link");
    let prefix = demo.url("/admin/docs/iddocument/1/pdf/shared/?expires=");
    assert!(link.starts_with(&prefix), "{link}");
    let expires: u64 = link[prefix.len()..]
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        (now + 590..=now + 610).contains(&expires),
        "10 minutes: {expires} vs {now}"
    );

    // The link downloads the exact bytes without a session, and nothing else does.
    let stored = demo.doc(1).await.pdf.unwrap();
    let response = client().get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(response.bytes().await.unwrap().to_vec(), demo.read(&stored));
    for bad in [tamper(&link, "sig"), tamper(&link, "expires")] {
        let response = client().get(&bad).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{bad}");
    }
    let other_field = link.replace("/pdf/shared/", "/mugshot/shared/");
    assert_eq!(
        client().get(&other_field).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // A genuine link past its expiry: 410.
    let doc = demo.doc(1).await;
    let version = demo.version(&stored).await;
    let key = share_key();
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(5);
    let expired = key
        .url(&doc, &demo::models::iddocuments::Model::PDF, &version, past)
        .unwrap();
    let response = client().get(demo.url(&expired)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    let fresh = key
        .url(
            &doc,
            &demo::models::iddocuments::Model::PDF,
            &version,
            future,
        )
        .unwrap();
    assert_eq!(
        client()
            .get(demo.url(&fresh))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the test's key is the demo's"
    );

    // Replacing the file ends the old link; a new one serves the new bytes.
    let second = pdf_of_size(5000);
    let form = Form::new()
        .text("title", "Sample passport")
        .part("pdf", file(second.clone(), "new.pdf", "application/pdf"));
    assert_eq!(demo.save(&clerk, change, form).await, 1);
    assert_eq!(
        client().get(&link).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let html = press(Some(&clerk)).await.unwrap().text().await.unwrap();
    let renewed = shared_link(&html, "pdf").unwrap();
    assert_ne!(renewed, link);
    let response = client().get(&renewed).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), second);

    // Clearing it: no button for the empty field, pressing it anyway is a 404, the link dies.
    let form = Form::new()
        .text("title", "Sample passport")
        .text("pdf-clear", "on");
    assert_eq!(demo.save(&clerk, change, form).await, 1);
    let html = demo.get(Some(&clerk), change).await.text().await.unwrap();
    assert!(!html.contains(&button));
    assert!(html.contains(r#"id="share_mugshot_form""#));
    assert_eq!(
        press(Some(&clerk)).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client().get(&renewed).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

/// The current year, as the `mugshots/%Y/` pattern gives it.
fn chrono_year() -> i32 {
    // Days since the epoch to a civil year (Howard Hinnant's algorithm), UTC.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = i64::try_from(secs / 86_400).unwrap() + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    i32::try_from(yoe + era * 400 + i64::from(month <= 2)).unwrap()
}

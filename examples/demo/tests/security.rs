//! Issue 12 ("Security, round 2") over real HTTP against the real demo binary: CSRF on every
//! form (forged requests refused with a page that says why, nothing changed), the admin
//! pages' headers, saves that lose nothing when two editors save at once, the header-read and
//! upload idle timeouts, a declared body above the limit, long non-ASCII upload names,
//! server-side logout (in `admin.rs`), constant-time failed logins, built-in keys refused
//! outside development, and the shared image-decoding memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::BTreeSet,
    io::Write as _,
    time::{Duration, Instant},
};

use bytes::Bytes;
use common::{Demo, client, csrf_cookie, csrf_for, csrf_in, file, pdf, session_cookie};
use reqwest::{
    StatusCode, header,
    multipart::{Form, Part},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const CHANGE_1: &str = "/admin/docs/iddocument/1/change/";
const PDF_1: &str = "/admin/docs/iddocument/1/pdf/";
const SHARE_1: &str = "/admin/docs/iddocument/1/share/pdf/";

/// How a forged request differs from a good one.
#[derive(Clone, Copy, Debug)]
enum Forgery {
    ForeignOrigin,
    NullOrigin,
    CrossSiteFetch,
    NoToken,
    WrongToken,
    /// A token minted for another session of the site.
    OtherSessionsToken,
    /// No CSRF cookie at all (the token is a real one).
    NoCookie,
}

const FORGERIES: [Forgery; 7] = [
    Forgery::ForeignOrigin,
    Forgery::NullOrigin,
    Forgery::CrossSiteFetch,
    Forgery::NoToken,
    Forgery::WrongToken,
    Forgery::OtherSessionsToken,
    Forgery::NoCookie,
];

impl Forgery {
    /// What the 403 page says.
    fn reason(self) -> &'static str {
        match self {
            Self::ForeignOrigin => "http://evil.example does not match any trusted origins",
            Self::NullOrigin => "null does not match any trusted origins",
            Self::CrossSiteFetch => "Sec-Fetch-Site: cross-site",
            Self::NoToken => "CSRF token missing",
            Self::WrongToken | Self::OtherSessionsToken => "CSRF token incorrect",
            Self::NoCookie => "CSRF cookie not set",
        }
    }

    /// `request` (from `cookie`, whose page gave `token`) forged this way.
    fn apply(
        self,
        request: reqwest::RequestBuilder,
        cookie: &str,
        token: &str,
        other_token: &str,
    ) -> (reqwest::RequestBuilder, Option<String>) {
        let session_only: String = cookie
            .split("; ")
            .filter(|pair| !pair.starts_with("privates_csrf="))
            .collect::<Vec<_>>()
            .join("; ");
        let (request, cookie, token) = match self {
            Self::ForeignOrigin => (
                request.header(header::ORIGIN, "http://evil.example"),
                cookie,
                Some(token),
            ),
            Self::NullOrigin => (request.header(header::ORIGIN, "null"), cookie, Some(token)),
            Self::CrossSiteFetch => (
                request.header("sec-fetch-site", "cross-site"),
                cookie,
                Some(token),
            ),
            Self::NoToken => (request, cookie, None),
            Self::WrongToken => (
                request,
                cookie,
                Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ),
            Self::OtherSessionsToken => (request, cookie, Some(other_token)),
            Self::NoCookie => (request, session_only.as_str(), Some(token)),
        };
        (
            request.header(header::COOKIE, cookie.to_owned()),
            token.map(str::to_owned),
        )
    }
}

/// Asserts `response` is the CSRF refusal page saying `reason`, with the admin headers.
async fn assert_refused(response: reqwest::Response, reason: &str, what: &str) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    assert_eq!(response.headers()["x-frame-options"], "DENY", "{what}");
    let html = response.text().await.unwrap();
    assert!(html.contains("CSRF verification failed"), "{what}: {html}");
    assert!(
        html.contains(reason),
        "{what}: expected {reason:?} in {html}"
    );
}

#[tokio::test]
async fn forged_requests_are_refused_and_change_nothing() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let token = demo.csrf_token(&clerk).await;
    let admins_token = demo.csrf_token(&admin).await;
    // Showing the document makes its image's thumbnail; from here on nothing may change.
    demo.get(Some(&clerk), CHANGE_1).await;
    let files = demo.snapshot();
    let doc = demo.doc(1).await;
    let pdf_name = doc.pdf.clone().unwrap();

    // The pages give every form a token: the change form (its first field, before any file),
    // the share buttons, the logout form.
    let html = demo.get(Some(&clerk), CHANGE_1).await.text().await.unwrap();
    assert!(
        html.contains(
            r#"id="iddocument_form" novalidate><input type="hidden" name="csrf_token" value=""#
        ),
        "{html}"
    );
    assert!(html.contains(r#"id="share_pdf_form"><input type="hidden" name="csrf_token""#));
    assert!(html.contains(r#"id="logout-form"><input type="hidden" name="csrf_token""#));

    for forgery in FORGERIES {
        // The change form, clearing the PDF (the attack of the issue) and renaming it.
        let request = client().post(demo.url(CHANGE_1));
        let (request, form_token) = forgery.apply(request, &clerk, &token, &admins_token);
        let mut form = Form::new();
        if let Some(form_token) = form_token {
            form = form.text("csrf_token", form_token);
        }
        let form = form
            .text("title", "forged")
            .text("pdf-clear", "on")
            .part("mugshot", file(common::png(2, 2), "x.png", "image/png"));
        let response = request.multipart(form).send().await.unwrap();
        assert_refused(response, forgery.reason(), &format!("change, {forgery:?}")).await;

        // The share button (no link minted) and the logout form (the session goes on).
        for path in [SHARE_1, "/logout"] {
            let request = client().post(demo.url(path));
            let (request, form_token) = forgery.apply(request, &clerk, &token, &admins_token);
            let request = match form_token {
                Some(form_token) => request.form(&[("csrf_token", form_token)]),
                None => request.form(&[("note", "no token")]),
            };
            let response = request.send().await.unwrap();
            assert!(session_cookie(&response).is_none(), "{path}, {forgery:?}");
            assert_refused(response, forgery.reason(), &format!("{path}, {forgery:?}")).await;
        }
    }

    // A file sent before the token: refused before it is stored.
    let form = Form::new()
        .part("pdf", file(pdf(), "first.pdf", "application/pdf"))
        .text("csrf_token", token.clone())
        .text("title", "late token");
    let response = client()
        .post(demo.url(CHANGE_1))
        .header(header::COOKIE, &clerk)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_refused(response, "before any file", "token after the file").await;

    // Nothing changed: the row, the files; the PDF is still served.
    assert_eq!(demo.doc(1).await, doc);
    assert_eq!(demo.snapshot(), files);
    let download = demo.get(Some(&clerk), PDF_1).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap(), demo.read(&pdf_name));
    assert_eq!(
        demo.get(Some(&clerk), "/admin/docs/iddocument/")
            .await
            .status(),
        StatusCode::OK
    );

    // The good token, as the browser sends the form (token first): the clear goes through.
    let form = Form::new()
        .text("csrf_token", token.clone())
        .text("title", "Sample passport")
        .text("pdf-clear", "on");
    let response = client()
        .post(demo.url(CHANGE_1))
        .header(header::COOKIE, &clerk)
        .header(header::ORIGIN, demo.base.clone())
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(demo.doc(1).await.pdf, None);
    assert!(!demo.stored(&pdf_name));

    // The share button and logout with their good tokens.
    let shared = client()
        .post(demo.url("/admin/docs/iddocument/1/share/mugshot/"))
        .header(header::COOKIE, &clerk)
        .header(header::ORIGIN, demo.base.clone())
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::OK);
    assert!(shared.text().await.unwrap().contains("shared_mugshot_url"));
    let out = client()
        .post(demo.url("/logout"))
        .header(header::COOKIE, &clerk)
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn login_csrf_is_refused() {
    let demo = Demo::start();
    let (browser, token) = csrf_for(&demo.base, None).await;
    let attempt = |origin: Option<&'static str>, token: Option<&str>, cookie: &str| {
        let mut form = vec![("email", "clerk@example.com"), ("password", "clerk")];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        let mut request = client()
            .post(demo.url("/login"))
            .header(header::COOKIE, cookie.to_owned())
            .form(&form);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.send()
    };
    for (origin, token, cookie, reason) in [
        (
            Some("http://evil.example"),
            Some(token.as_str()),
            browser.as_str(),
            "evil.example",
        ),
        (
            Some("null"),
            Some(token.as_str()),
            browser.as_str(),
            "null does not match",
        ),
        (None, None, browser.as_str(), "CSRF token missing"),
        (
            None,
            Some("forged"),
            browser.as_str(),
            "CSRF token incorrect",
        ),
        (None, Some(token.as_str()), "", "CSRF cookie not set"),
    ] {
        let response = attempt(origin, token, cookie).await.unwrap();
        assert!(session_cookie(&response).is_none(), "{reason}");
        assert_refused(response, reason, "login").await;
    }
    let response = attempt(Some("http://127.0.0.1"), Some(&token), &browser)
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "another port is another origin"
    );
    let response = attempt(None, Some(&token), &browser).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&response).is_some());

    // A new browser gets its secret in an HttpOnly, SameSite cookie with the login page.
    let page = client().get(demo.url("/login")).send().await.unwrap();
    let set = page
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("privates_csrf="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(csrf_cookie(&page).is_some());
    // Each rendering has another token (BREACH), all valid.
    let html = page.text().await.unwrap();
    let (_, again) = csrf_for(&demo.base, Some(&browser)).await;
    assert_ne!(csrf_in(&html), Some(again));
}

#[tokio::test]
async fn trusted_origins_may_post() {
    let demo = Demo::start_with(&[(
        "DEMO_CSRF_TRUSTED_ORIGINS",
        r#"["https://admin.example.com", "https://*.staff.example.org"]"#,
    )]);
    let (browser, token) = csrf_for(&demo.base, None).await;
    for (origin, allowed) in [
        ("https://admin.example.com", true),
        ("https://eu.staff.example.org", true),
        ("http://admin.example.com", false),
        ("https://example.com", false),
        ("https://staff.example.org.evil.example", false),
    ] {
        let response = client()
            .post(demo.url("/login"))
            .header(header::COOKIE, &browser)
            .header(header::ORIGIN, origin)
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("email", "clerk@example.com"),
                ("password", "clerk"),
                ("csrf_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let expected = if allowed {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(response.status(), expected, "{origin}");
    }
}

#[tokio::test]
async fn admin_pages_are_not_frameable_nor_cached() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let mut checked = Vec::new();
    for (cookie, path, status) in [
        (Some(&clerk), "/admin/docs/iddocument/", StatusCode::OK),
        (Some(&clerk), "/admin/docs/iddocument/add/", StatusCode::OK),
        (Some(&clerk), CHANGE_1, StatusCode::OK),
        (
            Some(&clerk),
            "/admin/docs/iddocument/99/change/",
            StatusCode::NOT_FOUND,
        ),
        (Some(&viewer), CHANGE_1, StatusCode::FORBIDDEN),
        (None, "/login", StatusCode::OK),
    ] {
        let response = demo.get(cookie.map(String::as_str), path).await;
        assert_eq!(response.status(), status, "{path}");
        checked.push((path, response));
    }
    let share = client()
        .post(demo.url(SHARE_1))
        .header(header::COOKIE, &clerk)
        .form(&[("csrf_token", demo.csrf_token(&clerk).await)])
        .send()
        .await
        .unwrap();
    assert_eq!(share.status(), StatusCode::OK);
    checked.push((SHARE_1, share));
    for (path, response) in checked {
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["content-security-policy"], "frame-ancestors 'none'; script-src 'self'",
            "{path}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
}

// --- Concurrent saves ----------------------------------------------------------------------

/// A PDF whose bytes say `mark`, `size` bytes long.
fn marked_pdf(mark: &str, size: usize) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.4\n% {mark}\n").into_bytes();
    bytes.resize(size, b'\n');
    bytes
}

/// A save of document 1's PDF whose file part stalls after its first 64 KiB until `release`
/// is sent; the response arrives through the returned task.
struct SlowSave {
    release: tokio::sync::oneshot::Sender<()>,
    response: tokio::task::JoinHandle<reqwest::Response>,
    bytes: Vec<u8>,
}

async fn slow_save(demo: &Demo, cookie: &str, mark: &str) -> SlowSave {
    let bytes = marked_pdf(mark, 128 * 1024);
    let (first, rest) = bytes.split_at(64 * 1024);
    let (first, rest) = (Bytes::copy_from_slice(first), Bytes::copy_from_slice(rest));
    let (release, gate) = tokio::sync::oneshot::channel::<()>();
    let chunks = futures_util::stream::unfold(
        (Some(first), Some((gate, rest))),
        |(first, gate)| async move {
            if let Some(first) = first {
                return Some((Ok::<_, std::io::Error>(first), (None, gate)));
            }
            let (gate, rest) = gate?;
            let _ = gate.await;
            Some((Ok(rest), (None, None)))
        },
    );
    let part = Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name(format!("{mark}.pdf"))
        .mime_str("application/pdf")
        .unwrap();
    let token = demo.csrf_token(cookie).await;
    let form = Form::new()
        .text("csrf_token", token)
        .text("title", format!("saved by {mark}"))
        .part("pdf", part);
    let request = client()
        .post(demo.url(CHANGE_1))
        .header(header::COOKIE, cookie)
        .multipart(form);
    let response = tokio::spawn(async move { request.send().await.unwrap() });
    SlowSave {
        release,
        response,
        bytes,
    }
}

/// The hidden temporary files of uploads in flight.
fn temp_files(demo: &Demo) -> Vec<String> {
    demo.files()
        .into_iter()
        .filter(|name| name.ends_with(".part"))
        .collect()
}

/// Waits until `count` uploads are being written (their handlers read the row before).
async fn wait_for_temp_files(demo: &Demo, count: usize) {
    let started = Instant::now();
    while temp_files(demo).len() < count {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{count} uploads never started: {:?}",
            demo.files()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every row names a file that exists, and every file is named by a row (no orphan, no
/// temporary file left).
async fn assert_rows_and_files_agree(demo: &Demo) {
    let db = demo.connect().await;
    let rows = <demo::models::iddocuments::Entity as sea_orm::EntityTrait>::find()
        .all(&db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let named: BTreeSet<String> = rows
        .iter()
        .flat_map(|doc| doc.pdf.iter().chain([&doc.mugshot]).cloned())
        .filter(|name| !name.is_empty())
        .collect();
    // A thumbnail (`folder/~thumbnail/file`) may stay beside a named image, never beside a
    // file no row names.
    let (thumbnails, on_disk): (BTreeSet<String>, BTreeSet<String>) = demo
        .files()
        .into_iter()
        .partition(|name| name.contains("/~thumbnail/"));
    assert_eq!(named, on_disk, "rows name exactly the files on disk");
    for thumbnail in thumbnails {
        let original = thumbnail.replace("/~thumbnail/", "/");
        assert!(
            named.contains(&original),
            "an orphan thumbnail: {thumbnail}"
        );
    }
}

#[tokio::test]
async fn concurrent_saves_never_lose_a_file() {
    let demo = Demo::start();
    let first_editor = demo.login("clerk@example.com", "clerk").await;
    let second_editor = demo.login("admin@example.com", "admin").await;

    // Order 1: the save that started first finishes last. It read the row before the other
    // save replaced the PDF, so it must not write back (nor delete) what it read.
    let original = demo.doc(1).await.pdf.unwrap();
    let late = slow_save(&demo, &first_editor, "late").await;
    wait_for_temp_files(&demo, 1).await;
    let quick = common::submit(
        &demo.url(CHANGE_1),
        &second_editor,
        Form::new().text("title", "saved by quick").part(
            "pdf",
            file(marked_pdf("quick", 4096), "quick.pdf", "application/pdf"),
        ),
    )
    .await;
    assert_eq!(quick.status(), StatusCode::SEE_OTHER);
    let after_quick = demo.doc(1).await;
    let quick_name = after_quick.pdf.clone().unwrap();
    assert!(
        !demo.stored(&original),
        "the replaced file is deleted once no row names it"
    );
    late.release.send(()).unwrap();
    let response = late.response.await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("Another editor changed the files"), "{html}");
    assert_eq!(
        demo.doc(1).await,
        after_quick,
        "the late save changed nothing"
    );
    assert_eq!(demo.read(&quick_name), marked_pdf("quick", 4096));
    assert!(
        !demo.files().iter().any(|name| name.contains("late")),
        "the late upload was removed: {:?}",
        demo.files()
    );
    assert_rows_and_files_agree(&demo).await;

    // Order 2: both are in flight; the one that started first finishes first and wins.
    let previous = demo.doc(1).await.pdf.unwrap();
    let first = slow_save(&demo, &first_editor, "first").await;
    wait_for_temp_files(&demo, 1).await;
    let second = slow_save(&demo, &second_editor, "second").await;
    wait_for_temp_files(&demo, 2).await;
    first.release.send(()).unwrap();
    let response = first.response.await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after_first = demo.doc(1).await;
    assert_eq!(after_first.title, "saved by first");
    let first_name = after_first.pdf.clone().unwrap();
    assert_eq!(demo.read(&first_name), first.bytes);
    assert!(!demo.stored(&previous));
    second.release.send(()).unwrap();
    let response = second.response.await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        demo.doc(1).await,
        after_first,
        "the second save changed nothing"
    );
    assert!(!demo.files().iter().any(|name| name.contains("second")));
    assert_rows_and_files_agree(&demo).await;

    // And the form works again once reloaded.
    let saved = common::submit(
        &demo.url(CHANGE_1),
        &second_editor,
        Form::new().text("title", "after the conflict").part(
            "pdf",
            file(marked_pdf("again", 4096), "again.pdf", "application/pdf"),
        ),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(!demo.stored(&first_name));
    assert_rows_and_files_agree(&demo).await;
}

// --- Timeouts ------------------------------------------------------------------------------

/// Reads what the server sends until it closes the connection, an HTML page is complete, or
/// `limit` passes; the bytes, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return (received, true),
            Ok(Ok(n)) => {
                received.extend_from_slice(&buffer[..n]);
                if received.windows(7).any(|w| w == b"</html>") {
                    return (received, false);
                }
            }
            Err(_) => return (received, false),
        }
    }
}

#[tokio::test]
async fn unfinished_headers_and_silent_uploads_time_out() {
    let demo = Demo::start_with(&[("DEMO_UPLOAD_IDLE_TIMEOUT", "1")]);
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let address = format!("127.0.0.1:{}", demo.port);

    // Request headers that never end: the connection is closed after privates::server's
    // default header-read timeout (10 s; loco's own serve would wait for ever).
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(20)).await;
    assert!(closed, "a connection without complete headers is closed");
    assert!(
        started.elapsed() >= Duration::from_secs(9) && started.elapsed() < Duration::from_secs(15),
        "closed after {:?}",
        started.elapsed()
    );
    // A complete request on a fresh connection is answered.
    assert_eq!(demo.get(None, "/login").await.status(), StatusCode::OK);

    let token = demo.csrf_token(&clerk).await;
    let doc = demo.doc(1).await;
    // Showing the document makes its image's thumbnail; from here on nothing may change.
    demo.get(Some(&clerk), CHANGE_1).await;
    let files = demo.snapshot();
    let boundary = "XsecurityBoundaryX";
    let head = |length: u64| {
        format!(
            "POST {CHANGE_1} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {clerk}\r\n\
             Accept: text/html\r\nX-CSRFToken: {token}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {length}\r\n\r\n"
        )
    };

    // A declared length far above the route's limit, and 5 bytes: 413 at once.
    let mut huge = TcpStream::connect(&address).await.unwrap();
    huge.write_all(head(10_000_000_000).as_bytes())
        .await
        .unwrap();
    huge.write_all(b"--Xse").await.unwrap();
    let started = Instant::now();
    let (answer, _) = read_until_closed(&mut huge, Duration::from_secs(5)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("The form is too large"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // An upload that stops sending in the middle of its file: 408 after the idle timeout,
    // its temporary file removed.
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nstalled\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"stall.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&marked_pdf("stall", 64 * 1024));
    let mut stalled = TcpStream::connect(&address).await.unwrap();
    stalled
        .write_all(head(u64::try_from(body.len()).unwrap() + 1_000_000).as_bytes())
        .await
        .unwrap();
    stalled.write_all(&body).await.unwrap();
    let started = Instant::now();
    let (answer, _) = read_until_closed(&mut stalled, Duration::from_secs(10)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("The upload stalled"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(demo.doc(1).await, doc);
    assert_eq!(demo.snapshot(), files, "no temporary file is left");
}

// --- Names -----------------------------------------------------------------------------------

#[tokio::test]
async fn long_non_ascii_upload_names_are_shortened_not_refused() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    for letter in ["é", "文"] {
        let name = format!("{}.pdf", letter.repeat(200));
        assert!(name.len() >= 256);
        let id = demo
            .save(
                &clerk,
                "/admin/docs/iddocument/add/",
                Form::new()
                    .text("title", format!("long {letter}"))
                    .part("pdf", file(pdf(), &name, "application/pdf"))
                    .part("mugshot", file(common::png(2, 2), "m.png", "image/png")),
            )
            .await;
        let stored = demo.doc(id).await.pdf.unwrap();
        let base = stored.rsplit('/').next().unwrap();
        assert!(
            base.starts_with(letter) && base.ends_with(".pdf"),
            "{stored}"
        );
        assert!(base.len() <= 255, "{} bytes", base.len());
        assert_eq!(demo.read(&stored), pdf());
        let download = demo
            .get(Some(&clerk), &format!("/admin/docs/iddocument/{id}/pdf/"))
            .await;
        assert_eq!(download.status(), StatusCode::OK);
    }
}

// --- Sessions --------------------------------------------------------------------------------

/// The time of one failed login as `email`.
async fn failed_login_time(demo: &Demo, browser: &str, token: &str, email: &str) -> Duration {
    let started = Instant::now();
    let response = client()
        .post(demo.url("/login"))
        .header(header::COOKIE, browser)
        .form(&[
            ("email", email),
            ("password", "not the password"),
            ("csrf_token", token),
        ])
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{email}");
    elapsed
}

#[tokio::test]
async fn failed_logins_take_as_long_for_unknown_emails() {
    let demo = Demo::start();
    let (browser, token) = csrf_for(&demo.base, None).await;
    // Interleaved, so that the machine's load drifts over both alike; medians.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        known.push(failed_login_time(&demo, &browser, &token, "clerk@example.com").await);
        unknown.push(failed_login_time(&demo, &browser, &token, "nobody@example.com").await);
    }
    known.sort();
    unknown.sort();
    let (known, unknown) = (known[4], unknown[4]);
    // A password verification (Argon2) dominates both; without the dummy verification an
    // unknown email is answered in a small fraction of the time (about 1/20 here).
    assert!(
        unknown * 3 >= known && known * 3 >= unknown,
        "known email {known:?}, unknown email {unknown:?}"
    );
}

/// A config folder whose `production.yaml` is the test config (as a deployment copies it).
fn production_config(demo: &Demo) -> std::path::PathBuf {
    let folder = demo.temp().join("config");
    std::fs::create_dir_all(&folder).unwrap();
    let test = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.yaml"),
    )
    .unwrap();
    let mut out = std::fs::File::create(folder.join("production.yaml")).unwrap();
    out.write_all(test.as_bytes()).unwrap();
    folder
}

#[tokio::test]
async fn built_in_keys_are_refused_outside_development() {
    let demo = Demo::start();
    let folder = production_config(&demo);
    let folder = folder.to_str().unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut all = vec![("LOCO_ENV", "production"), ("LOCO_CONFIG_FOLDER", folder)];
        all.extend_from_slice(env);
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_demo"));
        command
            .arg("start")
            .env("DATABASE_URL", demo.database_url())
            .env("DEMO_PRIVATE_ROOT", &demo.private)
            .env("DEMO_PORT", common::free_port().to_string())
            .env_remove("DEMO_JWT_SECRET")
            .env_remove("DEMO_SHARE_KEY")
            .stdin(std::process::Stdio::null());
        for (name, value) in all {
            command.env(name, value);
        }
        command
    };
    let refused = |env: &[(&str, &str)]| {
        let log = demo.temp().join("refused.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = run(env)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            status.is_some_and(|status| !status.success()),
            "it must not start: {text}"
        );
        text
    };
    let text = refused(&[]);
    assert!(text.contains("set DEMO_JWT_SECRET"), "{text}");
    let text = refused(&[(
        "DEMO_JWT_SECRET",
        "ARealSecretForThisDeploymentOnly0123456789ab",
    )]);
    assert!(text.contains("set DEMO_SHARE_KEY"), "{text}");

    // With both set it starts (and is stopped by the test).
    let port = common::free_port();
    let mut child = run(&[
        (
            "DEMO_JWT_SECRET",
            "ARealSecretForThisDeploymentOnly0123456789ab",
        ),
        (
            "DEMO_SHARE_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ),
        ("DEMO_PORT", &port.to_string()),
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let listening = common::wait_for_port(&mut child, port, Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening.is_ok(), "{listening:?}");
}

// --- Image decoding memory -------------------------------------------------------------------

/// A `side` x `side` RGB PNG of one colour, deflate-compressed: a few KiB that decode to
/// `3 * side * side` bytes.
fn big_png(side: u32) -> Vec<u8> {
    let row = 1 + 3 * side as usize;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let line = vec![0_u8; row];
    for _ in 0..side {
        zlib.write_all(&line).unwrap();
    }
    let idat = zlib.finish().unwrap();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", Vec::new())] {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&common::crc32(&chunk).to_be_bytes());
    }
    png
}

/// A mugshot upload of `png` to the change form at `path` whose last bytes wait for
/// `release`.
async fn gated_mugshot(
    demo: &Demo,
    cookie: &str,
    path: &str,
    png: Vec<u8>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<reqwest::Response>,
) {
    let split = png.len() - 16;
    let (first, rest) = (
        Bytes::copy_from_slice(&png[..split]),
        Bytes::copy_from_slice(&png[split..]),
    );
    let (release, gate) = tokio::sync::oneshot::channel::<()>();
    let chunks = futures_util::stream::unfold(
        (Some(first), Some((gate, rest))),
        |(first, gate)| async move {
            if let Some(first) = first {
                return Some((Ok::<_, std::io::Error>(first), (None, gate)));
            }
            let (gate, rest) = gate?;
            let _ = gate.await;
            Some((Ok(rest), (None, None)))
        },
    );
    let part = Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name("big.png")
        .mime_str("image/png")
        .unwrap();
    let form = Form::new()
        .text("csrf_token", demo.csrf_token(cookie).await)
        .text("title", "Sample passport")
        .part("mugshot", part);
    let request = client()
        .post(demo.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .multipart(form);
    (
        release,
        tokio::spawn(async move { request.send().await.unwrap() }),
    )
}

#[tokio::test]
async fn image_decoding_memory_is_bounded_across_uploads() {
    // Room for one 2400x2400 RGB image (16.5 MiB decoded), not for two; no waiting.
    let mut demo = Demo::start_with(&[
        ("DEMO_DECODE_MEMORY", &(24 * 1024 * 1024).to_string()),
        ("DEMO_DECODE_WAIT", "0"),
    ]);
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let png = big_png(2400);
    assert!(png.len() < 100 * 1024, "{} bytes", png.len());
    let second = demo.insert_doc("Second", None, "").await;
    let change_2 = format!("/admin/docs/iddocument/{second}/change/");

    let (release_a, a) = gated_mugshot(&demo, &clerk, CHANGE_1, png.clone()).await;
    let (release_b, b) = gated_mugshot(&demo, &admin, &change_2, png.clone()).await;
    wait_for_temp_files(&demo, 2).await;
    release_a.send(()).unwrap();
    release_b.send(()).unwrap();
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    // One decoded, the other found the memory taken and was told to come back.
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::SERVICE_UNAVAILABLE],
        "{statuses:?}"
    );
    let busy = if a.status() == StatusCode::SERVICE_UNAVAILABLE {
        a
    } else {
        b
    };
    let html = busy.text().await.unwrap();
    assert!(
        html.contains("The server is busy checking other images"),
        "{html}"
    );
    assert_rows_and_files_agree(&demo).await;
    // The memory was released: the next upload decodes.
    let again = common::submit(
        &demo.url(CHANGE_1),
        &clerk,
        Form::new()
            .text("title", "Sample passport")
            .part("mugshot", file(png.clone(), "again.png", "image/png")),
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);

    // With time to wait, the second upload waits for the first and both go through.
    demo.restart_with(&[("DEMO_DECODE_WAIT", "30")]);
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let (release_a, a) = gated_mugshot(&demo, &clerk, CHANGE_1, png.clone()).await;
    let (release_b, b) = gated_mugshot(&demo, &admin, &change_2, png).await;
    wait_for_temp_files(&demo, 2).await;
    release_a.send(()).unwrap();
    release_b.send(()).unwrap();
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_rows_and_files_agree(&demo).await;
}

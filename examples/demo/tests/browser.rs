//! The demo in a real browser: headless Chromium driven over WebDriver (chromedriver) with
//! fantoccini. Needs the Debian packages `chromium` and `chromium-driver`; run with
//! `cargo test -p demo --test browser -- --include-ignored`.
//!
//! A clerk logs in, creates a document with a PDF and a PNG, sees the widget's link, the
//! files' size and type, and the thumbnail, follows the links and gets the stored bytes,
//! shares the PDF (the link works without cookies), clears the PDF (gone from disk, the share
//! link dead); a viewer opens the site's front page, logs in and gets the 403 page; after
//! logging out the admin sends the browser to the login page with `next`.
//! On S3, a direct upload goes from the browser to the bucket (s3s-fs behind an nginx that
//! answers the bucket's CORS rule) with its progress, and without a CORS rule the file goes
//! with the form. Screenshots of the change form and the shared link go to
//! `target/browser-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Demo, NotListening, free_port, pdf, pdf_of_size, png, wait_for_port};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};

/// The submit button of the change form.
const SUBMIT: &str = "#iddocument_form button[type=submit]";

/// chromedriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver)");
        let mut driver = Self { child, port };
        match wait_for_port(&mut driver.child, port, Duration::from_secs(30)) {
            Ok(()) => driver,
            Err(NotListening::Exited(status)) => panic!("chromedriver exited: {status}"),
            Err(NotListening::TimedOut) => panic!("chromedriver did not start"),
        }
    }

    /// A new headless Chromium session, with its own profile folder under `profile`.
    async fn browser(&self, profile: &std::path::Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1100,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the browser's location satisfies `done` (path and query); returns it.
async fn wait_for_location(browser: &Client, done: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let url = browser.current_url().await.unwrap();
        let location = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        if done(&location) {
            return location;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the browser stayed at {location}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Evaluates `expression` until it is truthy (e.g. an image finished loading).
async fn wait_for_js(browser: &Client, expression: &str) -> Value {
    let started = Instant::now();
    loop {
        let value = browser
            .execute(&format!("return ({expression});"), vec![])
            .await
            .unwrap();
        if value.as_bool() != Some(false) && !value.is_null() && value != json!(0) {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never true: {expression}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status and bytes at `url`, fetched by the page itself with `credentials` (`fetch`'s
/// option: `same-origin` sends the browser's session cookie, `omit` none).
async fn fetch(browser: &Client, url: &str, credentials: &str) -> (u64, Vec<u8>) {
    let value = browser
        .execute_async(
            "const [url, credentials, done] = arguments;
             fetch(url, {credentials})
               .then(r => r.arrayBuffer().then(b => done([r.status, Array.from(new Uint8Array(b))])))
               .catch(e => done([0, String(e)]));",
            vec![json!(url), json!(credentials)],
        )
        .await
        .unwrap();
    let status = value[0].as_u64().unwrap();
    let bytes = value[1]
        .as_array()
        .unwrap_or_else(|| panic!("fetch failed: {value}"))
        .iter()
        .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
        .collect();
    (status, bytes)
}

/// The status and bytes at `url`, fetched by the page with the browser's session cookie.
async fn fetch_bytes(browser: &Client, url: &str) -> (u64, Vec<u8>) {
    fetch(browser, url, "same-origin").await
}

/// The status and bytes at `url`, fetched by the page without cookies (as a stranger would).
async fn fetch_anonymously(browser: &Client, url: &str) -> (u64, Vec<u8>) {
    fetch(browser, url, "omit").await
}

/// The element `css` of the current page.
async fn element(browser: &Client, css: &str) -> Element {
    browser.find(Locator::Css(css)).await.unwrap()
}

/// Clicks the element `css`.
async fn click(browser: &Client, css: &str) {
    element(browser, css).await.click().await.unwrap();
}

/// Types `text` into the element `css`.
async fn type_into(browser: &Client, css: &str, text: &str) {
    element(browser, css).await.send_keys(text).await.unwrap();
}

/// The text of the element `css`.
async fn text_of(browser: &Client, css: &str) -> String {
    element(browser, css).await.text().await.unwrap()
}

/// The demo on the bucket behind `endpoint` (the direct-upload tests' credentials), and the
/// clerk on its ID document add page.
async fn clerk_on_the_add_page_with_bucket(endpoint: &str) -> (Demo, Driver, Client) {
    let demo = Demo::start_with(&[
        ("LOCO_ENV", "s3"),
        ("DEMO_S3_ENDPOINT", endpoint),
        ("DEMO_S3_BUCKET", BUCKET),
        ("DEMO_S3_REGION", "us-east-1"),
        ("DEMO_S3_PREFIX", "private/"),
        ("DEMO_SENDFILE_BACKEND", "stream"),
        ("AWS_ACCESS_KEY_ID", "direct-key"),
        ("AWS_SECRET_ACCESS_KEY", "direct-secret"),
        (
            "DEMO_JWT_SECRET",
            "TheDirectUploadTestJwtSecret0123456789ab",
        ),
        (
            "DEMO_SHARE_KEY",
            "0f1c2a7e9b3d4c5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
        ),
    ]);
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;
    browser
        .goto(&demo.url("/admin/docs/iddocument/add/"))
        .await
        .unwrap();
    log_in(&browser, "clerk@example.com", "clerk").await;
    wait_for_location(&browser, |l| l.ends_with("/add/")).await;
    (demo, driver, browser)
}

/// Logs in through the login page the browser is on.
async fn log_in(browser: &Client, email: &str, password: &str) {
    browser
        .wait()
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
    type_into(browser, "#id_email", email).await;
    type_into(browser, "#id_password", password).await;
    click(browser, "#login-form button[type=submit]").await;
    wait_for_location(browser, |location| !location.starts_with("/login")).await;
}

async fn heading(browser: &Client) -> String {
    text_of(browser, "#content h1").await
}

/// Where the screenshots go: `target/browser-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser-screenshots");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a screenshot of the browser as `target/browser-screenshots/<name>`.
async fn screenshot(browser: &Client, name: &str) {
    fs::write(
        screenshot_dir().join(name),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn clerk_uploads_sees_downloads_and_clears() {
    let demo = Demo::start();
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;

    // The add page sends the anonymous browser to the login page, which comes back after.
    browser
        .goto(&demo.url("/admin/docs/iddocument/add/"))
        .await
        .unwrap();
    let location = wait_for_location(&browser, |l| l.starts_with("/login")).await;
    assert_eq!(
        location,
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2Fadd%2F"
    );
    log_in(&browser, "clerk@example.com", "clerk").await;
    let location = wait_for_location(&browser, |l| l.ends_with("/add/")).await;
    assert_eq!(location, "/admin/docs/iddocument/add/");
    assert_eq!(heading(&browser).await, "Add ID document");

    // Create a document: a title, a PDF and a PNG chosen in the file inputs.
    let pdf_path = demo.temp().join("passport-scan.pdf");
    let png_path = demo.temp().join("ada.png");
    let face = png(480, 360);
    fs::write(&pdf_path, pdf()).unwrap();
    fs::write(&png_path, &face).unwrap();
    type_into(&browser, "#id_title", "Passport of Ada").await;
    type_into(&browser, "#id_pdf", pdf_path.to_str().unwrap()).await;
    type_into(&browser, "#id_mugshot", png_path.to_str().unwrap()).await;
    click(&browser, SUBMIT).await;
    let location = wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    let id: i32 = location
        .trim_start_matches("/admin/docs/iddocument/")
        .trim_end_matches("/change/?saved=1")
        .parse()
        .unwrap();
    assert_eq!(heading(&browser).await, "Change ID document");
    let doc = demo.doc(id).await;
    let stored_pdf = doc.pdf.clone().unwrap();
    assert_eq!(stored_pdf, "passport-scan.pdf");
    assert!(demo.stored(&stored_pdf));
    assert_eq!(demo.read(&doc.mugshot), face);

    // The widget: "Currently: <link>" and the thumbnail, loaded through the protected URL.
    let pdf_url = format!("/admin/docs/iddocument/{id}/pdf/");
    let mugshot_url = format!("/admin/docs/iddocument/{id}/mugshot/");
    let link = text_of(&browser, &format!(".field-pdf a[href=\"{pdf_url}\"]")).await;
    assert_eq!(link, "passport-scan.pdf");
    // Next to each link, the file's size and type, as the person reads them.
    let pdf_size = format!("{} bytes", pdf().len());
    assert_eq!(
        text_of(&browser, ".field-pdf .file-facts").await,
        format!("({pdf_size}, application/pdf)")
    );
    assert_eq!(text_of(&browser, ".field-pdf .file-size").await, pdf_size);
    assert_eq!(
        text_of(&browser, ".field-pdf .file-type").await,
        "application/pdf"
    );
    assert_eq!(face.len(), 518_863);
    assert_eq!(
        text_of(&browser, ".field-mugshot .file-facts").await,
        "(518.8 KB, image/png)"
    );
    for facts in [".field-pdf .file-facts", ".field-mugshot .file-facts"] {
        assert!(
            element(&browser, facts).await.is_displayed().await.unwrap(),
            "{facts} is shown"
        );
    }
    // The thumbnail is a thumbnail: at most 160 pixels wide, from its own route, and the
    // page did not download the full image to draw it.
    let thumbnail_url = format!("{mugshot_url}thumbnail/");
    let width = wait_for_js(
        &browser,
        "(() => { const img = document.querySelector('.field-mugshot img.privates-thumbnail');
                  return img && img.complete ? img.naturalWidth : 0; })()",
    )
    .await;
    assert_eq!(width, json!(160));
    let src = element(&browser, ".field-mugshot img.privates-thumbnail")
        .await
        .attr("src")
        .await
        .unwrap();
    assert_eq!(src.as_deref(), Some(thumbnail_url.as_str()));
    let fetched = browser
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);",
            vec![],
        )
        .await
        .unwrap();
    let fetched: Vec<&str> = fetched
        .as_array()
        .unwrap()
        .iter()
        .map(|path| path.as_str().unwrap())
        .collect();
    assert!(fetched.contains(&thumbnail_url.as_str()), "{fetched:?}");
    assert!(!fetched.contains(&mugshot_url.as_str()), "{fetched:?}");
    let (status, thumbnail) = fetch_bytes(&browser, &thumbnail_url).await;
    assert_eq!(status, 200);
    assert!(thumbnail.len() < face.len() / 10, "{}", thumbnail.len());

    screenshot(&browser, "change_form.png").await;

    // The links give the stored bytes (fetched by the page, with the browser's session).
    let (status, bytes) = fetch_bytes(&browser, &pdf_url).await;
    assert_eq!((status, bytes), (200, pdf()));
    let (status, bytes) = fetch_bytes(&browser, &mugshot_url).await;
    assert_eq!((status, bytes), (200, face.clone()));
    // Following the mugshot's link shows the image itself.
    click(
        &browser,
        &format!(".field-mugshot a[href=\"{mugshot_url}\"]:not(.privates-thumbnail-link)"),
    )
    .await;
    wait_for_location(&browser, |l| l == mugshot_url).await;
    let width = wait_for_js(
        &browser,
        "document.images.length === 1 && document.images[0].complete ? document.images[0].naturalWidth : 0",
    )
    .await;
    assert_eq!(width, json!(480));
    browser.back().await.unwrap();
    wait_for_location(&browser, |l| l.contains("/change/")).await;

    // Share the PDF: the page shows a link in a read-only input, which works without cookies.
    let (status, _) = fetch_anonymously(&browser, &pdf_url).await;
    assert_eq!(status, 401, "the protected URL needs the session");
    click(&browser, "#share_pdf_form button[type=submit]").await;
    wait_for_location(&browser, |l| l.ends_with("/share/pdf/")).await;
    let input = browser
        .wait()
        .for_element(Locator::Css("#shared_pdf_url"))
        .await
        .unwrap();
    assert_eq!(
        input.prop("readOnly").await.unwrap().as_deref(),
        Some("true")
    );
    let shared = input.prop("value").await.unwrap().unwrap();
    assert!(
        shared.starts_with(&demo.url(&format!("{pdf_url}shared/?expires="))),
        "{shared}"
    );
    let (status, bytes) = fetch_anonymously(&browser, &shared).await;
    assert_eq!((status, bytes), (200, pdf()));
    screenshot(&browser, "share_link.png").await;

    // Clear the PDF: the file is gone from disk, the link from the page.
    click(&browser, "#pdf-clear_id").await;
    click(&browser, SUBMIT).await;
    wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    let message = text_of(&browser, ".messagelist li").await;
    assert_eq!(message, "The ID document “Passport of Ada” was saved.");
    assert_eq!(demo.doc(id).await.pdf, None);
    assert!(
        !demo.stored(&stored_pdf),
        "the cleared PDF is gone from disk"
    );
    let links = browser
        .find_all(Locator::Css(&format!("a[href=\"{pdf_url}\"]")))
        .await
        .unwrap();
    assert!(links.is_empty());
    let (status, _) = fetch_bytes(&browser, &pdf_url).await;
    assert_eq!(status, 404);
    let (status, _) = fetch_anonymously(&browser, &shared).await;
    assert_eq!(status, 403, "clearing the file ends its share link");

    // The list shows the same thumbnail.
    browser
        .goto(&demo.url("/admin/docs/iddocument/"))
        .await
        .unwrap();
    let width = wait_for_js(
        &browser,
        &format!(
            "(() => {{ const img = document.querySelector('#result_list img[src=\"{thumbnail_url}\"]');
                      return img && img.complete ? img.naturalWidth : 0; }})()"
        ),
    )
    .await;
    assert_eq!(width, json!(160));

    browser.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn viewer_gets_403_and_logout_leads_to_login_with_next() {
    let demo = Demo::start();
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;

    // The front page leads to the admin, which asks for a login first.
    browser.goto(&demo.url("/")).await.unwrap();
    let location = wait_for_location(&browser, |l| l.starts_with("/login")).await;
    assert_eq!(location, "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F");
    log_in(&browser, "viewer@example.com", "viewer").await;
    let location = wait_for_location(&browser, |l| l.starts_with("/admin/")).await;
    assert_eq!(location, "/admin/docs/iddocument/");
    assert_eq!(heading(&browser).await, "Permission denied");
    let message = text_of(&browser, ".error-message").await;
    assert_eq!(
        message,
        "You do not have permission to manage ID documents."
    );
    assert_eq!(
        wait_for_js(
            &browser,
            "document.querySelector('.error-status').textContent"
        )
        .await,
        json!("403")
    );
    screenshot(&browser, "forbidden.png").await;
    // The image and its thumbnail refuse the viewer too.
    for url in [
        "/admin/docs/iddocument/1/mugshot/",
        "/admin/docs/iddocument/1/mugshot/thumbnail/",
    ] {
        let (status, _) = fetch_bytes(&browser, url).await;
        assert_eq!(status, 403, "{url}");
    }

    // Log out from the header; the admin then sends the browser to the login page with next.
    click(&browser, "#logout-form button").await;
    let location = wait_for_location(&browser, |l| l.starts_with("/login")).await;
    assert_eq!(location, "/login");
    browser
        .goto(&demo.url("/admin/docs/iddocument/1/change/"))
        .await
        .unwrap();
    let location = wait_for_location(&browser, |l| l.starts_with("/login")).await;
    assert_eq!(
        location,
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fchange%2F"
    );
    let next = element(&browser, "#login-form input[name=next]")
        .await
        .attr("value")
        .await
        .unwrap();
    assert_eq!(next.as_deref(), Some("/admin/docs/iddocument/1/change/"));

    // Logging in as the clerk from there lands on the page asked for.
    log_in(&browser, "clerk@example.com", "clerk").await;
    let location = wait_for_location(&browser, |l| l.starts_with("/admin/")).await;
    assert_eq!(location, "/admin/docs/iddocument/1/change/");
    assert_eq!(heading(&browser).await, "Change ID document");

    browser.close().await.unwrap();
}

/// A TCP proxy in front of the demo that passes what the browser sends on at about
/// `bytes_per_second` (and the answers at full speed): a slow uplink, so an upload lasts long
/// enough for its progress to be watched. When the browser drops a connection, the proxy drops
/// its side to the demo too, so the demo sees the body cut off, as it would from the browser.
async fn slow_uplink(demo: &Demo, bytes_per_second: usize) -> String {
    slow_uplink_to(demo.port, bytes_per_second).await
}

/// [`slow_uplink`] in front of whatever listens on `port`.
async fn slow_uplink_to(port: u16, bytes_per_second: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let upstream = format!("127.0.0.1:{port}");
    // A small receive window, so the bytes wait in the browser, not in a large loopback
    // buffer (the browser counts an upload's progress by what the connection took).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(32 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(64).unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((browser, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                continue;
            };
            let (mut from_browser, mut to_browser) = browser.into_split();
            let (mut from_server, mut to_server) = server.into_split();
            tokio::spawn(async move {
                let chunk = (bytes_per_second / 20).max(1);
                let mut buffer = vec![0; chunk];
                loop {
                    match from_browser.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => {
                            if to_server.write_all(&buffer[..read]).await.is_err() {
                                break;
                            }
                            let pause = read as f64 / bytes_per_second as f64;
                            tokio::time::sleep(Duration::from_secs_f64(pause)).await;
                        }
                    }
                }
                let _ = to_server.shutdown().await;
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut from_server, &mut to_browser).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Records every value of every `<progress>` bar of the page, in order, in `sessionStorage`
/// (which outlives the page the upload leaves): `{bar id: value}` per change.
async fn record_progress(browser: &Client) {
    browser
        .execute(
            "sessionStorage.setItem('progress', '[]');
             const record = () => {
               const bars = {};
               document.querySelectorAll('progress').forEach(p => { bars[p.id] = p.value; });
               const log = JSON.parse(sessionStorage.getItem('progress'));
               log.push(bars);
               sessionStorage.setItem('progress', JSON.stringify(log));
             };
             new MutationObserver(record).observe(document.body,
               {subtree: true, childList: true, attributes: true, attributeFilter: ['value']});",
            vec![],
        )
        .await
        .unwrap();
}

/// The values the bar `id` showed, in order, from [`record_progress`]'s log.
async fn progress_of(browser: &Client, id: &str) -> Vec<f64> {
    let log = browser
        .execute(
            "return JSON.parse(sessionStorage.getItem('progress'));",
            vec![],
        )
        .await
        .unwrap();
    let mut values: Vec<f64> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|bars| bars[id].as_f64())
        .collect();
    values.dedup();
    values
}

/// The bar `values` started at 0, moved through values in between and reached 100, never
/// going back.
fn assert_moved_to_100(values: &[f64], what: &str) {
    assert_eq!(values.first(), Some(&0.0), "{what}: {values:?}");
    assert_eq!(values.last(), Some(&100.0), "{what}: {values:?}");
    assert!(
        values.windows(2).all(|pair| pair[0] <= pair[1]),
        "{what} never goes back: {values:?}"
    );
    let between = values.iter().filter(|&&v| v > 0.0 && v < 100.0).count();
    assert!(between >= 3, "{what} moved in steps: {values:?}");
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_long_upload_shows_its_progress_and_lands_on_the_saved_page() {
    let demo = Demo::start();
    let site = slow_uplink(&demo, 2 * 1024 * 1024).await;
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;

    browser
        .goto(&format!("{site}/admin/docs/iddocument/add/"))
        .await
        .unwrap();
    log_in(&browser, "clerk@example.com", "clerk").await;
    wait_for_location(&browser, |l| l.ends_with("/add/")).await;
    // The script is the admin's own file, allowed by the page's policy.
    let (status, script) = fetch_bytes(&browser, "/admin/static/privates/upload-progress.js").await;
    assert_eq!(status, 200);
    assert_eq!(
        script,
        privates_admin::assets::UPLOAD_PROGRESS_JS.as_bytes()
    );

    // A 12 MiB PDF over a 2 MiB/s uplink: a few seconds of progress (the first 4 MiB or so
    // go at once, into the connection's send buffer).
    let big = pdf_of_size(12 * 1024 * 1024);
    let pdf_path = demo.temp().join("long-report.pdf");
    fs::write(&pdf_path, &big).unwrap();
    type_into(&browser, "#id_title", "A long report").await;
    type_into(&browser, "#id_pdf", pdf_path.to_str().unwrap()).await;
    let face_path = demo.temp().join("face.png");
    fs::write(&face_path, png(64, 48)).unwrap();
    type_into(&browser, "#id_mugshot", face_path.to_str().unwrap()).await;
    record_progress(&browser).await;
    click(&browser, SUBMIT).await;
    // While it uploads: the bars, and the Cancel button.
    let shown = wait_for_js(
        &browser,
        "(() => { const p = document.getElementById('iddocument_form_progress');
                  return p && p.value > 0 && p.value < 100
                    && !!document.querySelector('#id_pdf_progress')
                    && !!document.querySelector('.privates-upload-cancel'); })()",
    )
    .await;
    assert_eq!(shown, json!(true));
    screenshot(&browser, "upload_progress.png").await;

    let location = wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    assert_moved_to_100(
        &progress_of(&browser, "iddocument_form_progress").await,
        "the form's bar",
    );
    assert_moved_to_100(
        &progress_of(&browser, "id_pdf_progress").await,
        "the PDF's bar",
    );
    // The page after the upload shows the file, as stored.
    let id: i32 = location
        .trim_start_matches("/admin/docs/iddocument/")
        .trim_end_matches("/change/?saved=1")
        .parse()
        .unwrap();
    assert_eq!(
        text_of(&browser, ".messagelist li").await,
        "The ID document “A long report” was saved."
    );
    let pdf_url = format!("/admin/docs/iddocument/{id}/pdf/");
    assert_eq!(
        text_of(&browser, &format!(".field-pdf a[href=\"{pdf_url}\"]")).await,
        "long-report.pdf"
    );
    let doc = demo.doc(id).await;
    assert_eq!(demo.read(doc.pdf.as_deref().unwrap()), big);

    browser.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn a_cancelled_upload_stores_nothing_and_changes_nothing() {
    let demo = Demo::start();
    let site = slow_uplink(&demo, 512 * 1024).await;
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;

    browser
        .goto(&format!("{site}/admin/docs/iddocument/1/change/"))
        .await
        .unwrap();
    log_in(&browser, "clerk@example.com", "clerk").await;
    wait_for_location(&browser, |l| l.ends_with("/1/change/")).await;
    let before = demo.doc(1).await;
    let stored_before = demo.snapshot();

    let pdf_path = demo.temp().join("never-stored.pdf");
    fs::write(&pdf_path, pdf_of_size(8 * 1024 * 1024)).unwrap();
    element(&browser, "#id_title").await.clear().await.unwrap();
    type_into(&browser, "#id_title", "Changed title").await;
    type_into(&browser, "#id_pdf", pdf_path.to_str().unwrap()).await;
    click(&browser, SUBMIT).await;
    wait_for_js(
        &browser,
        "(() => { const p = document.getElementById('iddocument_form_progress');
                  return p && p.value >= 10; })()",
    )
    .await;
    // The server is receiving it: part of the file is in a hidden temporary file.
    let started = Instant::now();
    while !demo.files().iter().any(|name| name.ends_with(".part")) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no temporary file: {:?}",
            demo.files()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click(&browser, ".privates-upload-cancel").await;
    let message = wait_for_js(
        &browser,
        "(() => { const m = document.querySelector('.privates-upload-message');
                  return m && m.textContent; })()",
    )
    .await;
    assert_eq!(message, json!("Upload cancelled. Nothing was saved."));
    assert!(
        browser
            .find_all(Locator::Css("progress"))
            .await
            .unwrap()
            .is_empty(),
        "the bars are gone"
    );
    screenshot(&browser, "upload_cancelled.png").await;

    // The server saw the body cut off: the temporary file goes, nothing is stored, the row is
    // as it was.
    let started = Instant::now();
    while demo.snapshot() != stored_before {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the storage kept something: {:?}",
            demo.files()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(demo.doc(1).await, before);
    let location = wait_for_location(&browser, |_| true).await;
    assert_eq!(location, "/admin/docs/iddocument/1/change/");

    // Sent again with a PNG as the PDF: the form comes back with its errors in place of the
    // page, as a plain post would show it.
    let wrong = demo.temp().join("not-a.pdf");
    fs::write(&wrong, png(8, 8)).unwrap();
    type_into(&browser, "#id_pdf", wrong.to_str().unwrap()).await;
    click(&browser, SUBMIT).await;
    let errors = wait_for_js(
        &browser,
        "(() => { const e = document.getElementById('pdf_errors'); return e && e.textContent; })()",
    )
    .await;
    assert!(
        errors.as_str().unwrap().contains("not accepted"),
        "{errors}"
    );
    assert_eq!(wait_for_location(&browser, |_| true).await, location);
    assert_eq!(demo.doc(1).await, before);

    browser.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn admin_ticks_a_permission_on_the_users_page() {
    let demo = Demo::start();
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;
    let viewer = demo.user("viewer@example.com").await;

    browser.goto(&demo.url("/admin/auth/user/")).await.unwrap();
    wait_for_location(&browser, |l| l.starts_with("/login")).await;
    log_in(&browser, "admin@example.com", "admin").await;
    wait_for_location(&browser, |l| l == "/admin/auth/user/").await;
    assert_eq!(heading(&browser).await, "Select user to change");
    click(&browser, &format!("#user-{} a", viewer.id)).await;
    let change = format!("/admin/auth/user/{}/change/", viewer.id);
    wait_for_location(&browser, |l| l == change).await;

    let checkbox = "input[name=permissions][value='docs.can_change_iddocument']";
    assert_eq!(
        element(&browser, checkbox)
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
    click(&browser, checkbox).await;
    click(&browser, "#user_form button[type=submit]").await;
    wait_for_location(&browser, |l| l.ends_with("?saved=1")).await;
    assert_eq!(
        text_of(&browser, ".messagelist li").await,
        "The permissions of “viewer@example.com” were saved."
    );
    assert_eq!(
        element(&browser, checkbox)
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        text_of(&browser, "#effective tbody tr").await,
        "docs.can_change_iddocument directly"
    );
    screenshot(&browser, "user_change.png").await;
    assert_eq!(
        demo.permissions_of("viewer@example.com").await,
        ["docs.can_change_iddocument"]
    );

    browser.close().await.unwrap();
}

/// The bucket of the direct-upload test.
const BUCKET: &str = "privates-direct-test";

/// nginx in front of the S3 server on `s3_port`, listening on `port`: it passes every request
/// on with its `Host` (the presigned signatures name it) and answers for the bucket the CORS
/// rule the README asks of a real bucket (any `http://127.0.0.1:<port>` origin may `PUT`),
/// which s3s-fs does not. Stopped on drop.
struct BucketFront {
    child: Child,
    _run: tempfile::TempDir,
}

impl BucketFront {
    fn start(port: u16, s3_port: u16) -> Self {
        let run = tempfile::Builder::new()
            .prefix("privates-bucket-front-")
            .tempdir()
            .unwrap();
        // nginx's workers may run as `nobody`: they write their temporary files here.
        let everyone = <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o777);
        fs::set_permissions(run.path(), everyone).unwrap();
        let dir = run.path().display();
        let config = format!(
            r#"worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format direct '$request_method $uri $status $request_length';
    access_log {dir}/access.log direct;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 0;
    map $http_origin $cors_origin {{
        default "";
        "~^http://127\.0\.0\.1:[0-9]+$" $http_origin;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            if ($request_method = OPTIONS) {{
                add_header Access-Control-Allow-Origin $cors_origin always;
                add_header Access-Control-Allow-Methods "PUT" always;
                add_header Access-Control-Allow-Headers $http_access_control_request_headers always;
                add_header Access-Control-Max-Age 3000 always;
                return 204;
            }}
            add_header Access-Control-Allow-Origin $cors_origin always;
            add_header Access-Control-Expose-Headers ETag always;
            proxy_pass http://127.0.0.1:{s3_port};
            proxy_set_header Host $http_host;
            proxy_http_version 1.1;
            proxy_request_buffering off;
            proxy_buffering off;
        }}
    }}
}}
"#
        );
        let config_path = run.path().join("nginx.conf");
        fs::write(&config_path, config).unwrap();
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| std::path::Path::new(path).is_file())
            .unwrap_or("nginx");
        let mut child = Command::new(nginx)
            .arg("-p")
            .arg(run.path())
            .arg("-e")
            .arg(run.path().join("error.log"))
            .arg("-c")
            .arg(&config_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (Debian package nginx-light)");
        let started = wait_for_port(&mut child, port, Duration::from_secs(30));
        assert!(
            matches!(started, Ok(())),
            "nginx did not start: {}",
            fs::read_to_string(run.path().join("error.log")).unwrap_or_default()
        );
        Self { child, _run: run }
    }

    /// The access log: `METHOD path status request-length` per request.
    fn access_log(&self) -> String {
        fs::read_to_string(self._run.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for BucketFront {
    fn drop(&mut self) {
        // SIGTERM lets nginx stop its workers too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

// Multi-threaded: the slow uplink must serve the demo's own S3 calls while the test waits
// for the demo to start.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium, nginx and s3s-fs"]
async fn a_direct_upload_goes_to_the_bucket_with_its_progress() {
    let server = privates_test_support::S3TestServer::builder()
        .bucket(BUCKET)
        .credentials("direct-key", "direct-secret")
        .start()
        .unwrap_or_else(|err| panic!("{err}"));
    let front_port = free_port();
    let front = BucketFront::start(front_port, server.addr().port());
    // The bucket's endpoint, for the demo and the browser alike, is a slow uplink in front of
    // nginx: the browser's PUT lasts long enough for its progress to be watched.
    let endpoint = slow_uplink_to(front_port, 2 * 1024 * 1024).await;
    let (demo, _driver, browser) = clerk_on_the_add_page_with_bucket(&endpoint).await;
    let route = element(&browser, "#id_pdf")
        .await
        .attr("data-direct-upload")
        .await
        .unwrap();
    assert_eq!(
        route.as_deref(),
        Some("/admin/docs/iddocument/direct-upload/")
    );

    let big = pdf_of_size(12 * 1024 * 1024);
    let pdf_path = demo.temp().join("direct-report.pdf");
    fs::write(&pdf_path, &big).unwrap();
    let face = png(64, 48);
    let face_path = demo.temp().join("direct-face.png");
    fs::write(&face_path, &face).unwrap();
    type_into(&browser, "#id_title", "Sent to the bucket").await;
    type_into(&browser, "#id_pdf", pdf_path.to_str().unwrap()).await;
    type_into(&browser, "#id_mugshot", face_path.to_str().unwrap()).await;
    record_progress(&browser).await;
    click(&browser, SUBMIT).await;
    let shown = wait_for_js(
        &browser,
        "(() => { const p = document.getElementById('id_pdf_progress');
                  return p && p.value > 0 && p.value < 100
                    && !!document.querySelector('.privates-upload-cancel'); })()",
    )
    .await;
    assert_eq!(shown, json!(true));
    screenshot(&browser, "direct_upload_progress.png").await;

    let location = wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    assert_moved_to_100(
        &progress_of(&browser, "id_pdf_progress").await,
        "the PDF's bar",
    );
    let whole = progress_of(&browser, "iddocument_form_progress").await;
    assert_eq!(whole.last(), Some(&100.0), "the form's bar: {whole:?}");
    let id: i32 = location
        .trim_start_matches("/admin/docs/iddocument/")
        .trim_end_matches("/change/?saved=1")
        .parse()
        .unwrap();
    assert_eq!(
        text_of(&browser, ".messagelist li").await,
        "The ID document “Sent to the bucket” was saved."
    );
    let pdf_url = format!("/admin/docs/iddocument/{id}/pdf/");
    assert_eq!(
        text_of(&browser, &format!(".field-pdf a[href=\"{pdf_url}\"]")).await,
        "direct-report.pdf"
    );
    assert!(
        text_of(&browser, ".field-pdf")
            .await
            .contains("application/pdf"),
        "the saved file's facts"
    );
    screenshot(&browser, "direct_upload_saved.png").await;

    // The bytes went to the bucket: one PUT of the whole PDF to a temporary key (a form that
    // carried the file too would have been refused: one file per field); the PDF is saved
    // under its name, the temporary objects are gone.
    let log = front.access_log();
    let put = log
        .lines()
        .find(|line| {
            line.starts_with(&format!("PUT /{BUCKET}/private/~direct/"))
                && line.contains("/direct-report.pdf 200 ")
        })
        .unwrap_or_else(|| panic!("no direct PUT of the PDF:\n{log}"));
    let put_length: usize = put.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(put_length >= big.len(), "{put}");
    let doc = demo.doc(id).await;
    assert_eq!(doc.pdf.as_deref(), Some("direct-report.pdf"));
    assert_eq!(
        fs::read(server.object_path("private/direct-report.pdf")).unwrap(),
        big
    );
    let keys = server.keys().unwrap();
    assert!(!keys.iter().any(|key| key.contains("~direct")), "{keys:?}");
    // The page's own download of the file is the stored PDF.
    let (status, bytes) = fetch_bytes(&browser, &pdf_url).await;
    assert_eq!(status, 200);
    assert_eq!(bytes.len(), big.len());

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and s3s-fs"]
async fn without_a_cors_rule_the_file_goes_with_the_form() {
    // s3s-fs answers no CORS preflight: the browser's PUT to the bucket fails, and the script
    // sends the file with the form instead.
    let server = privates_test_support::S3TestServer::builder()
        .bucket(BUCKET)
        .credentials("direct-key", "direct-secret")
        .start()
        .unwrap_or_else(|err| panic!("{err}"));
    let (demo, _driver, browser) = clerk_on_the_add_page_with_bucket(&server.endpoint()).await;

    let report = pdf_of_size(300_000);
    let pdf_path = demo.temp().join("no-cors.pdf");
    fs::write(&pdf_path, &report).unwrap();
    let face_path = demo.temp().join("no-cors.png");
    fs::write(&face_path, png(32, 32)).unwrap();
    type_into(&browser, "#id_title", "Sent with the form").await;
    type_into(&browser, "#id_pdf", pdf_path.to_str().unwrap()).await;
    type_into(&browser, "#id_mugshot", face_path.to_str().unwrap()).await;
    click(&browser, SUBMIT).await;

    let location = wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    let id: i32 = location
        .trim_start_matches("/admin/docs/iddocument/")
        .trim_end_matches("/change/?saved=1")
        .parse()
        .unwrap();
    assert_eq!(
        text_of(
            &browser,
            &format!(".field-pdf a[href=\"/admin/docs/iddocument/{id}/pdf/\"]")
        )
        .await,
        "no-cors.pdf"
    );
    assert_eq!(
        fs::read(server.object_path("private/no-cors.pdf")).unwrap(),
        report
    );
    // No upload reached a temporary key (each PUT was stopped at its preflight).
    let keys = server.keys().unwrap();
    assert!(!keys.iter().any(|key| key.contains("~direct")), "{keys:?}");

    browser.close().await.unwrap();
}

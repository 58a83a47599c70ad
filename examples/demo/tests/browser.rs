//! The demo in a real browser: headless Chromium driven over WebDriver (chromedriver) with
//! fantoccini. Needs the Debian packages `chromium` and `chromium-driver`; run with
//! `cargo test -p demo --test browser -- --include-ignored`.
//!
//! A clerk logs in, creates a document with a PDF and a PNG, sees the widget's link, the
//! files' size and type, and the thumbnail, follows the links and gets the stored bytes,
//! shares the PDF (the link works without cookies), clears the PDF (gone from disk, the share
//! link dead); a viewer opens the site's front page, logs in and gets the 403 page; after
//! logging out the admin sends the browser to the login page with `next`.
//! Screenshots of the change form and the shared link go to `target/browser-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Demo, NotListening, free_port, pdf, png, wait_for_port};
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
    let face = png(120, 90);
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
    assert_eq!(face.len(), 32_558);
    assert_eq!(
        text_of(&browser, ".field-mugshot .file-facts").await,
        "(32.5 KB, image/png)"
    );
    for facts in [".field-pdf .file-facts", ".field-mugshot .file-facts"] {
        assert!(
            element(&browser, facts).await.is_displayed().await.unwrap(),
            "{facts} is shown"
        );
    }
    let width = wait_for_js(
        &browser,
        "(() => { const img = document.querySelector('.field-mugshot img.privates-thumbnail');
                  return img && img.complete ? img.naturalWidth : 0; })()",
    )
    .await;
    assert_eq!(width, json!(120));
    let src = element(&browser, ".field-mugshot img.privates-thumbnail")
        .await
        .attr("src")
        .await
        .unwrap();
    assert_eq!(src.as_deref(), Some(mugshot_url.as_str()));

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
    assert_eq!(width, json!(120));
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
    // The thumbnail URL refuses the viewer too.
    let (status, _) = fetch_bytes(&browser, "/admin/docs/iddocument/1/mugshot/").await;
    assert_eq!(status, 403);

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

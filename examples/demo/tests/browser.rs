//! The demo in a real browser: headless Chromium driven over WebDriver (chromedriver) with
//! fantoccini. Needs the Debian packages `chromium` and `chromium-driver`; run with
//! `cargo test -p demo --test browser -- --include-ignored`.
//!
//! A clerk logs in, creates a document with a PDF and a PNG, sees the widget's link and
//! thumbnail, follows the links and gets the stored bytes, clears the PDF (gone from disk); a
//! viewer gets the 403 page; after logging out the admin sends the browser to the login page
//! with `next`. A screenshot of the change form goes to `target/browser-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    fs,
    net::{Ipv4Addr, SocketAddr, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Demo, free_port, pdf, png};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

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
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!("chromedriver exited: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
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

/// The bytes at `url`, fetched by the page itself (with the browser's session cookie).
async fn fetch_bytes(browser: &Client, url: &str) -> (u64, Vec<u8>) {
    let value = browser
        .execute_async(
            "const [url, done] = arguments;
             fetch(url, {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(b => done([r.status, Array.from(new Uint8Array(b))])))
               .catch(e => done([0, String(e)]));",
            vec![json!(url)],
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

/// Logs in through the login page the browser is on.
async fn log_in(browser: &Client, email: &str, password: &str) {
    browser
        .wait()
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("#id_email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#id_password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#login-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_location(browser, |location| !location.starts_with("/login")).await;
}

async fn heading(browser: &Client) -> String {
    browser
        .find(Locator::Css("#content h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
    browser
        .find(Locator::Css("#id_title"))
        .await
        .unwrap()
        .send_keys("Passport of Ada")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#id_pdf"))
        .await
        .unwrap()
        .send_keys(pdf_path.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find(Locator::Css("#id_mugshot"))
        .await
        .unwrap()
        .send_keys(png_path.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find(Locator::Css("#iddocument_form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
    let link = browser
        .find(Locator::Css(&format!(".field-pdf a[href=\"{pdf_url}\"]")))
        .await
        .unwrap();
    assert_eq!(link.text().await.unwrap(), "passport-scan.pdf");
    let width = wait_for_js(
        &browser,
        "(() => { const img = document.querySelector('.field-mugshot img.privates-thumbnail');
                  return img && img.complete ? img.naturalWidth : 0; })()",
    )
    .await;
    assert_eq!(width, json!(120));
    let src = browser
        .find(Locator::Css(".field-mugshot img.privates-thumbnail"))
        .await
        .unwrap()
        .attr("src")
        .await
        .unwrap();
    assert_eq!(src.as_deref(), Some(mugshot_url.as_str()));

    let screenshot = screenshot_dir().join("change_form.png");
    fs::write(&screenshot, browser.screenshot().await.unwrap()).unwrap();

    // The links give the stored bytes (fetched by the page, with the browser's session).
    let (status, bytes) = fetch_bytes(&browser, &pdf_url).await;
    assert_eq!((status, bytes), (200, pdf()));
    let (status, bytes) = fetch_bytes(&browser, &mugshot_url).await;
    assert_eq!((status, bytes), (200, face.clone()));
    // Following the mugshot's link shows the image itself.
    browser
        .find(Locator::Css(&format!(
            ".field-mugshot a[href=\"{mugshot_url}\"]:not(.privates-thumbnail-link)"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_location(&browser, |l| l == mugshot_url).await;
    let width = wait_for_js(
        &browser,
        "document.images.length === 1 && document.images[0].complete ? document.images[0].naturalWidth : 0",
    )
    .await;
    assert_eq!(width, json!(120));
    browser.back().await.unwrap();
    wait_for_location(&browser, |l| l.contains("/change/")).await;

    // Clear the PDF: the file is gone from disk, the link from the page.
    browser
        .find(Locator::Css("#pdf-clear_id"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("#iddocument_form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_location(&browser, |l| l.ends_with("/change/?saved=1")).await;
    let message = browser
        .find(Locator::Css(".messagelist li"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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

    browser.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium"]
async fn viewer_gets_403_and_logout_leads_to_login_with_next() {
    let demo = Demo::start();
    let driver = Driver::start();
    let browser = driver.browser(&demo.temp().join("profile")).await;

    browser.goto(&demo.url("/login")).await.unwrap();
    log_in(&browser, "viewer@example.com", "viewer").await;
    let location = wait_for_location(&browser, |l| l.starts_with("/admin/")).await;
    assert_eq!(location, "/admin/docs/iddocument/");
    assert_eq!(heading(&browser).await, "Permission denied");
    let message = browser
        .find(Locator::Css(".error-message"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    fs::write(
        screenshot_dir().join("forbidden.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    // The thumbnail URL refuses the viewer too.
    let (status, _) = fetch_bytes(&browser, "/admin/docs/iddocument/1/mugshot/").await;
    assert_eq!(status, 403);

    // Log out from the header; the admin then sends the browser to the login page with next.
    browser
        .find(Locator::Css("#logout-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
    let next = browser
        .find(Locator::Css("#login-form input[name=next]"))
        .await
        .unwrap()
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

//! The demo app behind each real web server, configured with the very files users copy from
//! `docs/deploy/`: the app checks, the server sends the bytes.
//!
//! Each test starts the demo (own SQLite database, own private root, free loopback ports) with
//! the matching sendfile backend, renders the server's template for it, starts the server, and
//! checks through the server: exact bytes for ASCII, space, non-ASCII and `%` names; 403 without
//! the permission; the login redirect for an anonymous browser; 404 for the private URL asked
//! directly and for a missing file; byte ranges; HEAD; validators that tell files apart; the
//! protective headers.
//!
//! They need the servers installed (Debian: `apt-get install nginx-light apache2
//! libapache2-mod-xsendfile lighttpd`), hence `#[ignore]`; run them with
//! `cargo test -p demo --test webservers -- --include-ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod support;

use std::time::Duration;

use http::{HeaderMap, StatusCode, header};
use reqwest::{Client, Method, redirect::Policy};
use sha2::{Digest, Sha256};

use common::{Demo, free_port};
use support::{PREFIX, Process, Server, Site, start_server};

/// Records a failed expectation and goes on, so one run shows every problem of a server.
macro_rules! check {
    ($deployment:expr, $condition:expr, $($message:tt)+) => {
        if !$condition {
            $deployment.fail(format!($($message)+));
        }
    };
}

/// [`check!`] that two values are equal.
macro_rules! check_eq {
    ($deployment:expr, $left:expr, $right:expr, $($message:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            $deployment.fail(format!("{}: {left:?}, expected {right:?}", format!($($message)+)));
        }
    }};
}

/// [`check!`] that two values differ.
macro_rules! check_ne {
    ($deployment:expr, $left:expr, $right:expr, $($message:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left == right {
            $deployment.fail(format!("{}: both are {left:?}", format!($($message)+)));
        }
    }};
}

/// A private file the test seeds: its stored name, its bytes and its document.
struct Seeded {
    what: &'static str,
    name: &'static str,
    bytes: Vec<u8>,
    id: i32,
}

/// Deterministic bytes that do not compress and differ per seed.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[3]
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |hex, b| hex + &format!("{b:02x}"))
}

fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> &str {
    headers
        .get(name)
        .map(|v| std::str::from_utf8(v.as_bytes()).unwrap())
        .unwrap_or_default()
}

/// The demo behind one server, with seeded documents and logged-in users.
struct Deployment {
    server: Server,
    base: String,
    client: Client,
    /// Holds `docs.can_change_iddocument`.
    clerk: String,
    /// Holds no permission.
    viewer: String,
    files: Vec<Seeded>,
    /// An active-content file (SVG).
    svg: i32,
    /// A document whose file is not in the storage.
    missing: i32,
    /// What went wrong so far.
    failures: std::sync::Mutex<Vec<String>>,
    // Dropped in reverse order: the server, then the demo, then the folder.
    _front: Process,
    _demo: Demo,
    _site: Site,
}

impl Deployment {
    async fn start(server: Server) -> Self {
        let site = Site::new();
        let demo = Demo::start_in(
            site.private.clone(),
            &[("DEMO_SENDFILE_BACKEND", server.backend())],
        );

        let specs: [(&str, &str, usize); 4] = [
            ("ASCII name", "docs/scan-2024_01.pdf", 300 * 1024 + 17),
            ("name with spaces", "docs/my passport scan.pdf", 64 * 1024),
            ("non-ASCII name", "docs/Zoë Ünal – 北京 café.pdf", 70_001),
            ("name with %", "docs/100% sure (v2).pdf", 4096),
        ];
        let mut files = Vec::new();
        for (seed, (what, name, len)) in (1u64..).zip(specs) {
            let bytes = pseudo_random(len, seed);
            site.put_file(name, &bytes);
            let id = demo.insert_doc(what, Some(name), "").await;
            files.push(Seeded {
                what,
                name,
                bytes,
                id,
            });
        }
        site.put_file(
            "docs/drawing.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        );
        let svg = demo.insert_doc("SVG", Some("docs/drawing.svg"), "").await;
        let missing = demo
            .insert_doc("missing file", Some("docs/gone.pdf"), "")
            .await;

        let port = free_port();
        let front = start_server(server, &site, port, demo.port);
        let client = Client::builder()
            .redirect(Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let clerk = login(&client, &base, "clerk@example.com", "clerk").await;
        let viewer = login(&client, &base, "viewer@example.com", "viewer").await;
        Self {
            server,
            base,
            client,
            clerk,
            viewer,
            files,
            svg,
            missing,
            failures: std::sync::Mutex::default(),
            _front: front,
            _demo: demo,
            _site: site,
        }
    }

    fn fail(&self, message: String) {
        self.failures.lock().unwrap().push(message);
    }

    /// Records a wrong status; `false` tells the caller to skip the checks that depend on it.
    fn expect_status(
        &self,
        status: StatusCode,
        expected: StatusCode,
        context: &str,
        headers: &HeaderMap,
    ) -> bool {
        if status == expected {
            return true;
        }
        self.fail(format!(
            "{context}: status {status}, expected {expected} (headers: {headers:?})"
        ));
        false
    }

    fn pdf_url(&self, id: i32) -> String {
        format!("{}/admin/docs/iddocument/{id}/pdf/", self.base)
    }

    async fn request(
        &self,
        method: Method,
        url: &str,
        cookie: Option<&str>,
        extra: &[(header::HeaderName, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = self.client.request(method, url);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        for (name, value) in extra {
            request = request.header(name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        (status, headers, body)
    }

    async fn get(&self, url: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.request(Method::GET, url, cookie, &[]).await
    }

    /// Everything the issue asks of a server in front of the app.
    async fn check_all(&self) {
        self.check_exact_bytes().await;
        self.check_without_permission().await;
        self.check_anonymous().await;
        self.check_private_url_is_not_public().await;
        self.check_missing_file().await;
        self.check_ranges().await;
        self.check_head().await;
        self.check_validators().await;
        self.check_active_content().await;
        let failures = self.failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "{:?} in front of the demo: {} failed expectation(s):\n- {}",
            self.server,
            failures.len(),
            failures.join("\n- ")
        );
    }

    async fn check_exact_bytes(&self) {
        for file in &self.files {
            let (status, headers, body) = self.get(&self.pdf_url(file.id), Some(&self.clerk)).await;
            let context = format!("{:?}, {} {:?}", self.server, file.what, file.name);
            if !self.expect_status(status, StatusCode::OK, &context, &headers) {
                continue;
            }
            if body.is_empty() {
                self.fail(format!(
                    "{context}: an empty 200: the server did not act on the app's sendfile \
                     header ({headers:?})"
                ));
                continue;
            }
            check_eq!(
                self,
                sha256(&body),
                sha256(&file.bytes),
                "{context}: wrong bytes"
            );
            check_eq!(
                self,
                header_text(&headers, header::CONTENT_LENGTH),
                file.bytes.len().to_string(),
                "{context}: Content-Length"
            );
            check_eq!(
                self,
                header_text(&headers, header::CONTENT_TYPE),
                "application/pdf",
                "{context}: Content-Type"
            );
            check_eq!(
                self,
                header_text(&headers, "x-content-type-options"),
                "nosniff",
                "{context}: X-Content-Type-Options"
            );
            check!(
                self,
                header_text(&headers, header::CACHE_CONTROL).contains("private"),
                "{context}: Cache-Control: {headers:?}"
            );
            let disposition = header_text(&headers, header::CONTENT_DISPOSITION);
            check!(
                self,
                disposition.starts_with("inline;") || disposition.starts_with("attachment;"),
                "{context}: {disposition:?}"
            );
            // The server's own path headers never reach the browser.
            for leak in ["x-accel-redirect", "x-sendfile", "x-lighttpd-send-file"] {
                check!(
                    self,
                    !headers.contains_key(leak),
                    "{context}: {leak} leaked"
                );
            }
        }
        // The demo's own seeded document (saved through the storage) works too.
        let (status, _, body) = self.get(&self.pdf_url(1), Some(&self.clerk)).await;
        check_eq!(
            self,
            status,
            StatusCode::OK,
            "{:?}: seeded document",
            self.server
        );
        check!(
            self,
            body.starts_with(b"%PDF-"),
            "{:?}: seeded document",
            self.server
        );
    }

    async fn check_without_permission(&self) {
        let file = &self.files[0];
        let (status, headers, body) = self.get(&self.pdf_url(file.id), Some(&self.viewer)).await;
        check_eq!(
            self,
            status,
            StatusCode::FORBIDDEN,
            "{:?}: {headers:?}",
            self.server
        );
        check_ne!(
            self,
            sha256(&body),
            sha256(&file.bytes),
            "{:?}: the viewer got the file",
            self.server
        );
        // Also for a document that does not exist: no existence leak.
        let (status, _, _) = self.get(&self.pdf_url(999_999), Some(&self.viewer)).await;
        check_eq!(
            self,
            status,
            StatusCode::FORBIDDEN,
            "{:?}: unknown pk",
            self.server
        );
    }

    async fn check_anonymous(&self) {
        let url = self.pdf_url(self.files[0].id);
        let (status, headers, body) = self
            .request(
                Method::GET,
                &url,
                None,
                &[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")],
            )
            .await;
        check!(
            self,
            status.is_redirection(),
            "{:?}: anonymous browser got {status}",
            self.server
        );
        let location = header_text(&headers, header::LOCATION);
        let path = format!("/admin/docs/iddocument/{}/pdf/", self.files[0].id);
        let expected = format!(
            "/login?next={}",
            percent_encoding::utf8_percent_encode(&path, percent_encoding::NON_ALPHANUMERIC)
        );
        check!(
            self,
            location == expected || location.ends_with(&expected),
            "{:?}: Location {location:?}, expected {expected:?}",
            self.server
        );
        check_ne!(
            self,
            sha256(&body),
            sha256(&self.files[0].bytes),
            "{:?}: anonymous got the file",
            self.server
        );
        // An API client (no text/html) gets 401.
        let (status, _, _) = self.get(&url, None).await;
        check_eq!(
            self,
            status,
            StatusCode::UNAUTHORIZED,
            "{:?}: API client",
            self.server
        );
        // A forged session is anonymous.
        let (status, _, _) = self
            .get(&url, Some("demo_session=eyJhbGciOiJub25lIn0.e30."))
            .await;
        check_eq!(
            self,
            status,
            StatusCode::UNAUTHORIZED,
            "{:?}: forged JWT",
            self.server
        );
    }

    async fn check_private_url_is_not_public(&self) {
        for file in &self.files {
            let encoded: Vec<String> = file
                .name
                .split('/')
                .map(|segment| {
                    percent_encoding::utf8_percent_encode(
                        segment,
                        percent_encoding::NON_ALPHANUMERIC,
                    )
                    .to_string()
                })
                .collect();
            let url = format!("{}{PREFIX}{}", self.base, encoded.join("/"));
            for cookie in [None, Some(self.clerk.as_str())] {
                let (status, _, body) = self.get(&url, cookie).await;
                check_eq!(
                    self,
                    status,
                    StatusCode::NOT_FOUND,
                    "{:?}: {url} asked directly",
                    self.server
                );
                check_ne!(
                    self,
                    sha256(&body),
                    sha256(&file.bytes),
                    "{:?}: {url} served the file",
                    self.server
                );
            }
        }
        let (status, _, _) = self.get(&format!("{}{PREFIX}", self.base), None).await;
        check_eq!(
            self,
            status,
            StatusCode::NOT_FOUND,
            "{:?}: {PREFIX}",
            self.server
        );
    }

    async fn check_missing_file(&self) {
        let (status, headers, _) = self
            .get(&self.pdf_url(self.missing), Some(&self.clerk))
            .await;
        check_eq!(
            self,
            status,
            StatusCode::NOT_FOUND,
            "{:?}: missing file: {headers:?}",
            self.server
        );
    }

    async fn check_ranges(&self) {
        for file in &self.files {
            let len = file.bytes.len();
            let url = self.pdf_url(file.id);
            let cases = [
                ("bytes=100-1099".to_string(), 100, 1099),
                (format!("bytes={}-", len - 10), len - 10, len - 1),
                ("bytes=-500".to_string(), len - 500, len - 1),
            ];
            for (range, first, last) in cases {
                let (status, headers, body) = self
                    .request(
                        Method::GET,
                        &url,
                        Some(&self.clerk),
                        &[(header::RANGE, &range)],
                    )
                    .await;
                let context = format!("{:?}, {}, {range}", self.server, file.what);
                if !self.expect_status(status, StatusCode::PARTIAL_CONTENT, &context, &headers) {
                    // One failing range per file says enough.
                    break;
                }
                check_eq!(
                    self,
                    header_text(&headers, header::CONTENT_RANGE),
                    format!("bytes {first}-{last}/{len}"),
                    "{context}: Content-Range"
                );
                check_eq!(
                    self,
                    sha256(&body),
                    sha256(&file.bytes[first..=last]),
                    "{context}: wrong slice"
                );
            }
        }
        let file = &self.files[0];
        let (status, headers, _) = self
            .request(
                Method::GET,
                &self.pdf_url(file.id),
                Some(&self.clerk),
                &[(header::RANGE, &format!("bytes={}-", file.bytes.len() + 5))],
            )
            .await;
        check_eq!(
            self,
            status,
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{:?}: a range beyond the end of the file: {headers:?}",
            self.server
        );
        // Without the permission a range gets nothing either.
        let (status, _, _) = self
            .request(
                Method::GET,
                &self.pdf_url(file.id),
                Some(&self.viewer),
                &[(header::RANGE, "bytes=0-99")],
            )
            .await;
        check_eq!(
            self,
            status,
            StatusCode::FORBIDDEN,
            "{:?}: range, viewer",
            self.server
        );
    }

    async fn check_head(&self) {
        for file in &self.files {
            let (status, headers, body) = self
                .request(Method::HEAD, &self.pdf_url(file.id), Some(&self.clerk), &[])
                .await;
            let context = format!("{:?}, HEAD, {}", self.server, file.what);
            if !self.expect_status(status, StatusCode::OK, &context, &headers) {
                continue;
            }
            check!(self, body.is_empty(), "{context}: a body");
            check_eq!(
                self,
                header_text(&headers, header::CONTENT_LENGTH),
                file.bytes.len().to_string(),
                "{context}"
            );
            check_eq!(
                self,
                header_text(&headers, header::CONTENT_TYPE),
                "application/pdf",
                "{context}"
            );
        }
        let (status, _, _) = self
            .request(
                Method::HEAD,
                &self.pdf_url(self.files[0].id),
                Some(&self.viewer),
                &[],
            )
            .await;
        check_eq!(
            self,
            status,
            StatusCode::FORBIDDEN,
            "{:?}: HEAD, viewer",
            self.server
        );
    }

    /// Conditional requests work through the server, are answered only after the app said
    /// yes, and never mix files up: the URL of a field stays the same when its file is
    /// replaced, so two different files must not share an ETag (the browser would keep
    /// showing the old file).
    async fn check_validators(&self) {
        let (first, second) = (&self.files[0], &self.files[1]);
        let context = format!("{:?}, validators", self.server);
        let (status, headers, _) = self.get(&self.pdf_url(first.id), Some(&self.clerk)).await;
        if !self.expect_status(status, StatusCode::OK, &context, &headers) {
            return;
        }
        let etag = header_text(&headers, header::ETAG).to_string();
        let last_modified = header_text(&headers, header::LAST_MODIFIED).to_string();
        check!(
            self,
            !last_modified.is_empty(),
            "{context}: no Last-Modified"
        );
        let mut conditions = vec![(header::IF_MODIFIED_SINCE, last_modified)];
        if !etag.is_empty() {
            conditions.push((header::IF_NONE_MATCH, etag.clone()));
        }
        for (name, value) in &conditions {
            let extra = [(name.clone(), value.as_str())];
            let (status, _, body) = self
                .request(
                    Method::GET,
                    &self.pdf_url(first.id),
                    Some(&self.clerk),
                    &extra,
                )
                .await;
            check_eq!(
                self,
                status,
                StatusCode::NOT_MODIFIED,
                "{context}: {name}: {value}"
            );
            check!(self, body.is_empty(), "{context}: a body with 304");
            let (status, _, _) = self
                .request(
                    Method::GET,
                    &self.pdf_url(first.id),
                    Some(&self.viewer),
                    &extra,
                )
                .await;
            check_eq!(
                self,
                status,
                StatusCode::FORBIDDEN,
                "{context}: viewer with {name}: the app must be asked before any 304"
            );
        }
        if !etag.is_empty() {
            let (status, _, body) = self
                .request(
                    Method::GET,
                    &self.pdf_url(second.id),
                    Some(&self.clerk),
                    &[(header::IF_NONE_MATCH, &etag)],
                )
                .await;
            check_eq!(
                self,
                status,
                StatusCode::OK,
                "{context}: the ETag {etag} of one file also validates another one"
            );
            check_eq!(
                self,
                sha256(&body),
                sha256(&second.bytes),
                "{context}: another file with the first one's ETag"
            );
        }
    }

    /// An SVG (it can run scripts) is either an attachment or sandboxed, and never sniffed.
    async fn check_active_content(&self) {
        let (status, headers, _) = self.get(&self.pdf_url(self.svg), Some(&self.clerk)).await;
        check_eq!(self, status, StatusCode::OK, "{:?}: SVG", self.server);
        let disposition = header_text(&headers, header::CONTENT_DISPOSITION);
        let csp = header_text(&headers, header::CONTENT_SECURITY_POLICY);
        check!(
            self,
            disposition.starts_with("attachment") || csp.contains("sandbox"),
            "{:?}: SVG shown inline without a sandbox: {headers:?}",
            self.server
        );
        check_eq!(
            self,
            header_text(&headers, "x-content-type-options"),
            "nosniff",
            "{:?}: SVG",
            self.server
        );
        if self.server == Server::Nginx {
            // The internal location adds the policy from the Content-Type (docs/deploy).
            check!(
                self,
                csp.starts_with("sandbox"),
                "nginx: SVG without CSP: {headers:?}"
            );
            let (_, headers, _) = self
                .get(&self.pdf_url(self.files[0].id), Some(&self.clerk))
                .await;
            check!(
                self,
                !headers.contains_key(header::CONTENT_SECURITY_POLICY),
                "nginx: a PDF must not be sandboxed (viewers refuse to render): {headers:?}"
            );
        }
    }
}

/// Logs in through the server; returns the `Cookie` header value of the session.
async fn login(client: &Client, base: &str, email: &str, password: &str) -> String {
    // The login form's CSRF token and cookie, through the web server as a browser gets them.
    let (csrf_cookie, token) = common::csrf_for(base, None).await;
    let body = format!(
        "email={}&password={password}&next=%2Fadmin%2Fdocs%2Fiddocument%2F&csrf_token={token}",
        email.replace('@', "%40")
    );
    let response = client
        .post(format!("{base}/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &csrf_cookie)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "login {email}");
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("demo_session="))
        .expect("session cookie");
    format!("{}; {csrf_cookie}", cookie.split(';').next().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx"]
async fn nginx_x_accel_redirect() {
    Deployment::start(Server::Nginx).await.check_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs apache2"]
async fn apache_mod_xsendfile() {
    Deployment::start(Server::Apache).await.check_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs lighttpd"]
async fn lighttpd_x_sendfile() {
    Deployment::start(Server::Lighttpd).await.check_all().await;
}

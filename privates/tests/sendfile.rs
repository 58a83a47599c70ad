//! `privates::sendfile` through real HTTP: an axum server on 127.0.0.1 whose handler calls
//! `Sendfile::serve_path` / `Sendfile::serve`, real files in temporary folders, reqwest as the
//! client. Every assertion is on an exact value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::HashMap,
    ffi::OsString,
    os::unix::ffi::{OsStrExt, OsStringExt},
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, Method, Uri};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use privates::sendfile::{
    Backend, SANDBOX_CSP, Sendfile, SendfileError, SendfileOptions, content_disposition,
    is_active_content,
};
use reqwest::{StatusCode, header};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------------

struct Backends {
    development: Sendfile,
    nginx: Sendfile,
    apache: Sendfile,
    lighttpd: Sendfile,
}

/// `/<backend>?path=<percent-encoded path>&attachment&filename=..&mimetype=..&encoding=..`:
/// the handler calls `serve_path`. (A stored file reaches the delivery only as the storage
/// opened it, beneath its root: `tests/storage.rs` and `tests/view.rs` cover that way in.)
async fn handle(
    State(backends): State<Arc<Backends>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let sendfile = match uri.path().trim_start_matches('/') {
        "development" => &backends.development,
        "nginx" => &backends.nginx,
        "apache" => &backends.apache,
        "lighttpd" => &backends.lighttpd,
        _ => return (StatusCode::BAD_REQUEST, "unknown backend").into_response(),
    };
    let query = parse_query(uri.query().unwrap_or_default());
    let text = |key: &str| {
        query
            .get(key)
            .map(|bytes| String::from_utf8(bytes.clone()).unwrap())
    };
    let options = SendfileOptions {
        attachment: query.contains_key("attachment"),
        attachment_filename: text("filename"),
        mimetype: text("mimetype"),
        encoding: text("encoding"),
    };
    let relative = PathBuf::from(OsString::from_vec(
        query.get("path").cloned().unwrap_or_default(),
    ));
    let result = sendfile
        .serve_path(&method, &headers, &relative, &options)
        .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn parse_query(query: &str) -> HashMap<String, Vec<u8>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_string(), percent_decode_str(value).collect())
        })
        .collect()
}

/// A temporary root with its own server.
struct Server {
    tmp: TempDir,
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("privates-sendfile-")
            .tempdir()
            .unwrap();
        std::fs::create_dir(tmp.path().join("root")).unwrap();
        std::fs::create_dir(tmp.path().join("outside")).unwrap();
        let root = tmp.path().join("root");
        let backends = Backends {
            development: Sendfile::new(Backend::Development, &root, None).unwrap(),
            nginx: Sendfile::new(Backend::Nginx, &root, Some("/private-media/".into())).unwrap(),
            apache: Sendfile::new(Backend::Apache, &root, None).unwrap(),
            lighttpd: Sendfile::new(Backend::Lighttpd, &root, None).unwrap(),
        };
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::new(backends));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            tmp,
            base,
            client: reqwest::Client::new(),
        }
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("root")
    }

    fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    /// Writes `bytes` under the root at `relative`, creating folders.
    fn put(&self, relative: impl AsRef<Path>, bytes: &[u8]) -> PathBuf {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The URL of `relative` on `backend`, with more raw query parameters. The path travels
    /// in the query: a client would normalise `..` (even `%2E%2E`) out of a URL path.
    fn url(&self, backend: &str, relative: &[u8], query: &str) -> String {
        let mut url = format!(
            "{}/{backend}?path={}",
            self.base,
            percent_encoding::percent_encode(relative, NON_ALPHANUMERIC)
        );
        if !query.is_empty() {
            url.push('&');
            url.push_str(query);
        }
        url
    }

    async fn get(&self, backend: &str, relative: &str, headers: &[(&str, &str)]) -> Reply {
        self.request(
            Method::GET,
            &self.url(backend, relative.as_bytes(), ""),
            headers,
        )
        .await
    }

    async fn request(&self, method: Method, url: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }
}

fn q(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    /// The header's value as bytes (it may hold UTF-8), or `None`.
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|value| value.as_bytes())
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// Content-Disposition
// ---------------------------------------------------------------------------------------------

/// (name, attachment, exact header value)
fn disposition_cases() -> Vec<(String, bool, String)> {
    let long_ascii = format!("{}.pdf", "a".repeat(300));
    let long_unicode = "é".repeat(300);
    vec![
        ("report.pdf".into(), false, r#"inline; filename="report.pdf""#.into()),
        ("report.pdf".into(), true, r#"attachment; filename="report.pdf""#.into()),
        (
            "my report 2024.pdf".into(),
            true,
            r#"attachment; filename="my report 2024.pdf""#.into(),
        ),
        (
            r#"say "hi".txt"#.into(),
            true,
            r#"attachment; filename="say \"hi\".txt"; filename*=UTF-8''say%20%22hi%22.txt"#.into(),
        ),
        (
            r"back\slash.txt".into(),
            true,
            r#"attachment; filename="back\\slash.txt"; filename*=UTF-8''back%5Cslash.txt"#.into(),
        ),
        (
            "a\r\nSet-Cookie: x=1".into(),
            true,
            r#"attachment; filename="aSet-Cookie: x=1""#.into(),
        ),
        (
            r#"x.pdf"; filename="evil.exe"#.into(),
            true,
            r#"attachment; filename="x.pdf\"; filename=\"evil.exe"; filename*=UTF-8''x.pdf%22%3B%20filename%3D%22evil.exe"#.into(),
        ),
        (
            "café.pdf".into(),
            false,
            r#"inline; filename="caf_.pdf"; filename*=UTF-8''caf%C3%A9.pdf"#.into(),
        ),
        (
            "日本語.pdf".into(),
            true,
            r#"attachment; filename="___.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"#.into(),
        ),
        (
            "📄 invoice.pdf".into(),
            true,
            r#"attachment; filename="_ invoice.pdf"; filename*=UTF-8''%F0%9F%93%84%20invoice.pdf"#.into(),
        ),
        (
            "invoice\u{202E}fdp.exe".into(),
            true,
            r#"attachment; filename="invoicefdp.exe""#.into(),
        ),
        ("a\0b.txt".into(), true, r#"attachment; filename="ab.txt""#.into()),
        ("a\tb.txt".into(), true, r#"attachment; filename="ab.txt""#.into()),
        (
            "файл".into(),
            true,
            r#"attachment; filename="____"; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB"#.into(),
        ),
        (
            long_ascii,
            true,
            format!(r#"attachment; filename="{}.pdf""#, "a".repeat(251)),
        ),
        (
            long_unicode,
            true,
            format!(
                r#"attachment; filename="{}"; filename*=UTF-8''{}"#,
                "_".repeat(255),
                "%C3%A9".repeat(255)
            ),
        ),
        (
            "%41.txt".into(),
            true,
            r#"attachment; filename="%41.txt"; filename*=UTF-8''%2541.txt"#.into(),
        ),
        (
            "100% sure.txt".into(),
            true,
            r#"attachment; filename="100% sure.txt"; filename*=UTF-8''100%25%20sure.txt"#.into(),
        ),
        ("\r\n".into(), true, r#"attachment; filename="download""#.into()),
        (
            "\u{202E}\r\n".into(),
            true,
            r#"attachment; filename="download""#.into(),
        ),
        (
            "b".repeat(400),
            false,
            format!(r#"inline; filename="{}""#, "b".repeat(255)),
        ),
        (
            "abc\u{2067}def\u{2069}.txt".into(),
            true,
            r#"attachment; filename="abcdef.txt""#.into(),
        ),
        (
            "a\u{200E}b\u{200F}c\u{061C}d\u{202A}e\u{202D}.txt".into(),
            true,
            r#"attachment; filename="abcde.txt""#.into(),
        ),
        (
            "a\u{7F}b\u{85}c.txt".into(),
            true,
            r#"attachment; filename="abc.txt""#.into(),
        ),
        (
            r#"naïve "x".txt"#.into(),
            true,
            r#"attachment; filename="na_ve \"x\".txt"; filename*=UTF-8''na%C3%AFve%20%22x%22.txt"#.into(),
        ),
        (
            "a!#$&+-.^_`|~b.txt".into(),
            true,
            r#"attachment; filename="a!#$&+-.^_`|~b.txt""#.into(),
        ),
        ("a;b,c=d.txt".into(), true, r#"attachment; filename="a;b,c=d.txt""#.into()),
        (
            "e\u{301}.txt".into(),
            true,
            r#"attachment; filename="e_.txt"; filename*=UTF-8''e%CC%81.txt"#.into(),
        ),
        (
            "\u{feff}bom.txt".into(),
            true,
            r#"attachment; filename="_bom.txt"; filename*=UTF-8''%EF%BB%BFbom.txt"#.into(),
        ),
    ]
}

/// Undoes `filename*=UTF-8''…` or, without it, the quoted `filename`.
fn decoded_filename(value: &str) -> String {
    if let Some((_, encoded)) = value.split_once("; filename*=UTF-8''") {
        return percent_decode_str(encoded)
            .decode_utf8()
            .unwrap()
            .into_owned();
    }
    let quoted = value.split_once("; filename=\"").unwrap().1;
    let quoted = quoted.strip_suffix('"').unwrap();
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap() } else { c });
    }
    out
}

fn strip_controls(name: &str) -> String {
    name.chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                )
        })
        .collect()
}

#[tokio::test]
async fn content_disposition_cases_over_http() {
    let server = Server::start().await;
    server.put("file.bin", b"x");
    let cases = disposition_cases();
    assert!(cases.len() >= 20);
    for (name, attachment, expected) in &cases {
        // The pure function ...
        assert_eq!(
            content_disposition(*attachment, name),
            expected.as_str(),
            "{name:?}"
        );
        // ... and what a client receives, on the streaming and an offload backend.
        let mut query = format!("filename={}", q(name));
        if *attachment {
            query.push_str("&attachment");
        }
        for backend in ["development", "apache"] {
            let reply = server
                .request(Method::GET, &server.url(backend, b"file.bin", &query), &[])
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{name:?}");
            assert_eq!(
                reply.text("content-disposition"),
                Some(expected.as_str()),
                "{backend} {name:?}"
            );
        }
    }
}

#[test]
fn content_disposition_round_trips() {
    for (name, attachment, _) in disposition_cases() {
        let value = content_disposition(attachment, &name);
        let decoded = decoded_filename(value.to_str().unwrap());
        let expected = strip_controls(&name);
        if expected.is_empty() {
            assert_eq!(decoded, "download");
        } else if expected.chars().count() > 255 {
            assert!(
                expected.starts_with(decoded.trim_end_matches(".pdf")),
                "{name:?}"
            );
            assert_eq!(decoded.chars().count(), 255);
        } else {
            assert_eq!(decoded, expected, "{name:?}");
        }
    }
}

/// Whatever the name, the value is printable ASCII with exactly one quoted `filename` whose
/// quote closes at the end or right before the `filename*` parameter.
#[test]
fn content_disposition_never_injects() {
    let specials = [
        '"', '\\', ';', '=', '%', '\'', ',', ' ', '\r', '\n', '\0', '\t', '\u{202E}',
    ];
    let mut names: Vec<String> = (0u32..0x3100)
        .chain(0x1F300..0x1F320)
        .filter_map(char::from_u32)
        .map(|c| format!("a{c}b\"; filename=\"x{c}.exe"))
        .collect();
    names.extend(specials.iter().map(|c| c.to_string().repeat(5)));
    for name in names {
        for attachment in [false, true] {
            let value = content_disposition(attachment, &name);
            let text = value.to_str().expect("ASCII");
            assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{name:?}");
            let rest = text
                .strip_prefix(if attachment {
                    "attachment; filename=\""
                } else {
                    "inline; filename=\""
                })
                .unwrap();
            // Walk the quoted string honouring backslash escapes.
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices() {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let after = &rest[end.unwrap() + 1..];
            assert!(
                after.is_empty()
                    || after
                        .strip_prefix("; filename*=UTF-8''")
                        .is_some_and(|encoded| encoded
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~%".contains(&b))),
                "{name:?} -> {text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Headers common to every backend
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn common_headers_on_every_backend() {
    let server = Server::start().await;
    server.put("docs/scan.pdf", b"%PDF-1.7");
    for backend in ["development", "nginx", "apache", "lighttpd"] {
        let reply = server.get(backend, "docs/scan.pdf", &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}");
        assert_eq!(
            reply.text("content-type"),
            Some("application/pdf"),
            "{backend}"
        );
        assert_eq!(
            reply.text("content-disposition"),
            Some(r#"inline; filename="scan.pdf""#),
            "{backend}"
        );
        assert_eq!(reply.text("cache-control"), Some("private"), "{backend}");
        assert_eq!(
            reply.text("x-content-type-options"),
            Some("nosniff"),
            "{backend}"
        );
        assert_eq!(reply.text("content-security-policy"), None, "{backend}");
        assert_eq!(reply.text("content-encoding"), None, "{backend}");
    }
}

#[tokio::test]
async fn gz_is_not_content_encoding() {
    let server = Server::start().await;
    server.put("backup.tar.gz", b"\x1f\x8b\x08\x00");
    server.put("notes.txt.gz", b"\x1f\x8b\x08\x00");
    for backend in ["development", "nginx"] {
        let reply = server.get(backend, "backup.tar.gz", &[]).await;
        assert_eq!(reply.text("content-type"), Some("application/gzip"));
        assert_eq!(reply.text("content-encoding"), None);
        let reply = server.get(backend, "notes.txt.gz", &[]).await;
        assert_eq!(reply.text("content-type"), Some("application/gzip"));
        assert_eq!(reply.text("content-encoding"), None);
    }
    // The raw gzip bytes arrive untouched.
    let reply = server.get("development", "backup.tar.gz", &[]).await;
    assert_eq!(reply.body, b"\x1f\x8b\x08\x00");
}

#[tokio::test]
async fn mimetype_and_encoding_options() {
    let server = Server::start().await;
    server.put("notes.txt.gz", b"\x1f\x8b\x08\x00");
    server.put("data", b"{}");
    for backend in ["development", "nginx", "apache", "lighttpd"] {
        let url = server.url(
            backend,
            b"notes.txt.gz",
            &format!("mimetype={}&encoding=gzip", q("text/plain; charset=utf-8")),
        );
        let reply = server.request(Method::GET, &url, &[]).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.text("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.text("content-encoding"), Some("gzip"));
    }
    // No extension: octet-stream.
    let reply = server.get("development", "data", &[]).await;
    assert_eq!(reply.text("content-type"), Some("application/octet-stream"));
    // A mimetype that cannot be a header value is the app's bug: 500, not sent.
    let url = server.url(
        "development",
        b"data",
        &format!("mimetype={}", q("text/plain\r\nx: y")),
    );
    let reply = server.request(Method::GET, &url, &[]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.text("x"), None);
}

#[tokio::test]
async fn active_content_is_sandboxed_when_inline() {
    let server = Server::start().await;
    server.put("page.html", b"<script>alert(1)</script>");
    server.put("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>");
    server.put("feed.xml", b"<x/>");
    server.put("app.js", b"alert(1)");
    server.put("photo.png", b"\x89PNG");
    for (name, content_type) in [
        ("page.html", "text/html"),
        ("logo.svg", "image/svg+xml"),
        ("feed.xml", "text/xml"),
        ("app.js", "text/javascript"),
    ] {
        for backend in ["development", "apache", "lighttpd"] {
            let reply = server.get(backend, name, &[]).await;
            assert_eq!(reply.text("content-type"), Some(content_type));
            assert_eq!(
                reply.text("content-security-policy"),
                Some(SANDBOX_CSP),
                "{name}"
            );
            assert_eq!(
                reply.text("content-disposition"),
                Some(format!(r#"inline; filename="{name}""#).as_str())
            );
        }
        // As an attachment nothing renders: no CSP needed.
        let url = server.url("development", name.as_bytes(), "attachment");
        let reply = server.request(Method::GET, &url, &[]).await;
        assert_eq!(reply.text("content-security-policy"), None);
        // nginx drops CSP on X-Accel-Redirect, so active content becomes an attachment there.
        let reply = server.get("nginx", name, &[]).await;
        assert_eq!(
            reply.text("content-disposition"),
            Some(format!(r#"attachment; filename="{name}""#).as_str())
        );
    }
    // A mimetype option is judged too.
    let url = server.url(
        "development",
        b"photo.png",
        &format!("mimetype={}", q("text/html; charset=utf-8")),
    );
    let reply = server.request(Method::GET, &url, &[]).await;
    assert_eq!(reply.text("content-security-policy"), Some(SANDBOX_CSP));
    let reply = server.get("development", "photo.png", &[]).await;
    assert_eq!(reply.text("content-security-policy"), None);
    assert_eq!(
        SANDBOX_CSP,
        "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    );
}

// ---------------------------------------------------------------------------------------------
// Offload backends
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn nginx_x_accel_redirect() {
    let server = Server::start().await;
    for (name, expected) in [
        ("scan.pdf", "/private-media/scan.pdf"),
        ("docs/2024/scan.pdf", "/private-media/docs/2024/scan.pdf"),
        ("my file.pdf", "/private-media/my%20file.pdf"),
        (
            "naïve 日本.pdf",
            "/private-media/na%C3%AFve%20%E6%97%A5%E6%9C%AC.pdf",
        ),
        ("100%.txt", "/private-media/100%25.txt"),
        ("a#b?c=d&e.txt", "/private-media/a%23b%3Fc%3Dd%26e.txt"),
        (
            "semi;colon+plus.txt",
            "/private-media/semi%3Bcolon%2Bplus.txt",
        ),
        (
            "dir with space/a~b_c-d.e",
            "/private-media/dir%20with%20space/a~b_c-d.e",
        ),
        ("quote\"back\\slash", "/private-media/quote%22back%5Cslash"),
        ("new\nline", "/private-media/new%0Aline"),
    ] {
        server.put(name, b"0123456789");
        let reply = server.get("nginx", name, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}");
        assert_eq!(reply.text("x-accel-redirect"), Some(expected), "{name}");
        assert!(reply.body.is_empty());
        // No Content-Length from us; axum frames the empty body with `0`.
        assert_eq!(reply.text("content-length"), Some("0"));
        assert_eq!(reply.text("x-sendfile"), None);
        assert_eq!(reply.text("etag"), None);
        assert_eq!(reply.text("accept-ranges"), None);
    }
    // Non-UTF-8 names are bytes to nginx: each one percent-encoded.
    let raw = server
        .root()
        .join(OsString::from_vec(b"bin\xff\xfe.dat".to_vec()));
    std::fs::write(&raw, b"x").unwrap();
    let reply = server
        .request(
            Method::GET,
            &server.url("nginx", b"bin\xff\xfe.dat", ""),
            &[],
        )
        .await;
    assert_eq!(
        reply.text("x-accel-redirect"),
        Some("/private-media/bin%FF%FE.dat")
    );
}

#[tokio::test]
async fn apache_and_lighttpd_send_the_absolute_path() {
    let server = Server::start().await;
    let root = server.root();
    let root = root.to_str().unwrap();
    // Apache's mod_xsendfile 0.12 takes the path byte for byte; lighttpd percent-decodes it,
    // so only `%` is written as `%25` for it. Both read `X-Sendfile` from a proxied app.
    for (name, apache_suffix, lighttpd_suffix) in [
        ("scan.pdf", "/scan.pdf", "/scan.pdf"),
        (
            "docs/2024/my scan.pdf",
            "/docs/2024/my scan.pdf",
            "/docs/2024/my scan.pdf",
        ),
        ("café 日本.pdf", "/café 日本.pdf", "/café 日本.pdf"),
        ("100%.txt", "/100%.txt", "/100%25.txt"),
        ("a#b?c.txt", "/a#b?c.txt", "/a#b?c.txt"),
    ] {
        server.put(name, b"0123456789");
        for (backend, suffix) in [("apache", apache_suffix), ("lighttpd", lighttpd_suffix)] {
            let reply = server.get(backend, name, &[]).await;
            assert_eq!(reply.status, StatusCode::OK, "{backend} {name}");
            let expected = format!("{root}{suffix}");
            assert_eq!(
                reply.header("x-sendfile"),
                Some(expected.as_bytes()),
                "{backend} {name}"
            );
            assert_eq!(reply.header("x-lighttpd-send-file"), None);
            assert_eq!(reply.text("x-accel-redirect"), None);
            assert!(reply.body.is_empty());
            assert_eq!(reply.text("content-length"), Some("0"));
        }
    }
}

#[tokio::test]
async fn offload_refuses_unrepresentable_paths() {
    let server = Server::start().await;
    server.put("new\nline.txt", b"x");
    server.put("carriage\rreturn.txt", b"x");
    server.put("tab\there.txt", b"x");
    std::fs::write(
        server
            .root()
            .join(OsString::from_vec(b"bin\xff.dat".to_vec())),
        b"x",
    )
    .unwrap();
    for backend in ["apache", "lighttpd"] {
        for name in [
            &b"new\nline.txt"[..],
            b"carriage\rreturn.txt",
            b"tab\there.txt",
            b"bin\xff.dat",
        ] {
            let reply = server
                .request(Method::GET, &server.url(backend, name, ""), &[])
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend} {name:?}");
            assert_eq!(reply.header("x-sendfile"), None);
        }
    }
}

/// The response `serve` builds, before axum frames it: no Content-Length at all.
#[tokio::test]
async fn offload_responses_have_no_content_length() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(tmp.path().join("a.pdf"), b"0123456789").unwrap();
    for sendfile in [
        Sendfile::new(Backend::Nginx, tmp.path(), Some("/p/".into())).unwrap(),
        Sendfile::new(Backend::Apache, tmp.path(), None).unwrap(),
        Sendfile::new(Backend::Lighttpd, tmp.path(), None).unwrap(),
    ] {
        let response = sendfile
            .serve_path(
                &Method::GET,
                &HeaderMap::new(),
                Path::new("a.pdf"),
                &SendfileOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(response.headers().get(header::CONTENT_LENGTH), None);
        assert_eq!(response.headers().len(), 5, "{:?}", response.headers());
    }
}

// ---------------------------------------------------------------------------------------------
// 404s
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn missing_and_outside_files_are_404_on_every_backend() {
    let server = Server::start().await;
    server.put("inside.txt", b"inside");
    std::fs::write(server.outside().join("secret.txt"), b"secret").unwrap();
    std::os::unix::fs::symlink(
        server.outside().join("secret.txt"),
        server.root().join("link.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(server.outside(), server.root().join("linkdir")).unwrap();
    std::fs::create_dir(server.root().join("folder")).unwrap();
    std::os::unix::fs::symlink("inside.txt", server.root().join("alias.txt")).unwrap();
    // A sibling folder whose name starts with the root's: a string-prefix check would pass it.
    let sibling = server.tmp.path().join("root2");
    std::fs::create_dir(&sibling).unwrap();
    std::fs::write(sibling.join("x.txt"), b"x").unwrap();

    let secret = server.outside().join("secret.txt");
    let sibling_file = sibling.join("x.txt");
    for backend in ["development", "nginx", "apache", "lighttpd"] {
        for relative in [
            &b"missing.txt"[..],
            b"folder",
            b"../outside/secret.txt",
            b"folder/../../outside/secret.txt",
            b"link.txt",
            b"linkdir/secret.txt",
            secret.as_os_str().as_bytes(),
            sibling_file.as_os_str().as_bytes(),
        ] {
            let reply = server
                .request(Method::GET, &server.url(backend, relative, ""), &[])
                .await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{backend} {}",
                String::from_utf8_lossy(relative)
            );
            assert_ne!(reply.body, b"secret");
            assert_eq!(reply.text("x-accel-redirect"), None);
            assert_eq!(reply.text("x-sendfile"), None);
        }
        // A relative symlink that stays inside the root is followed.
        let reply = server.get(backend, "alias.txt", &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend} alias");
        // The same path inside the root works.
        let reply = server.get(backend, "inside.txt", &[]).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_root_is_normalised_and_confines_every_path() {
    let lexical = Sendfile::new(Backend::Development, "/srv/./app/../root", None).unwrap();
    assert_eq!(lexical.root(), Some(Path::new("/srv/root")));

    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::write(root.join("a/b.pdf"), b"%PDF").unwrap();
    std::fs::create_dir_all(tmp.path().join("root2")).unwrap();
    std::fs::write(tmp.path().join("root2/a.pdf"), b"%PDF").unwrap();
    let sendfile = Sendfile::new(Backend::Development, &root, None).unwrap();
    let at = |rest: &str| format!("{}{rest}", root.display());
    let serve = |path: String| {
        let sendfile = sendfile.clone();
        async move {
            let options = SendfileOptions::default();
            let served = sendfile
                .serve_path(&Method::GET, &HeaderMap::new(), Path::new(&path), &options)
                .await;
            (path, served)
        }
    };
    for path in [at("/a/b.pdf"), at("/./a//b.pdf")] {
        let (path, served) = serve(path).await;
        assert_eq!(served.unwrap().status(), StatusCode::OK, "{path}");
    }
    for path in [
        at(""),
        at("/"),
        at("2/a.pdf"),
        at("/../root/a/b.pdf"),
        at("/a/../../etc/passwd"),
        "/etc/passwd".to_owned(),
    ] {
        let (path, served) = serve(path).await;
        let err = served.unwrap_err();
        assert!(
            matches!(err, SendfileError::OutsideRoot { .. }),
            "{path}: {err:?}"
        );
    }
}

#[tokio::test]
async fn errors_are_typed() {
    let tmp = TempDir::new().unwrap();
    let sendfile = Sendfile::new(Backend::Development, tmp.path(), None).unwrap();
    let serve = |path: &'static str| {
        let sendfile = sendfile.clone();
        async move {
            sendfile
                .serve_path(
                    &Method::GET,
                    &HeaderMap::new(),
                    Path::new(path),
                    &SendfileOptions::default(),
                )
                .await
                .unwrap_err()
        }
    };
    let err = serve("missing.txt").await;
    assert!(matches!(err, SendfileError::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    assert!(!err.is_io_fault());
    let err = serve("../x.txt").await;
    assert!(matches!(err, SendfileError::OutsideRoot { .. }), "{err:?}");
    let err = serve("/etc/hostname").await;
    assert!(matches!(err, SendfileError::OutsideRoot { .. }), "{err:?}");

    assert!(matches!(
        Sendfile::new(Backend::Nginx, tmp.path(), None),
        Err(SendfileError::InvalidConfig {
            key: "initializers.privates.sendfile.url",
            ..
        })
    ));
    assert!(matches!(
        Sendfile::new(Backend::Nginx, tmp.path(), Some("private/".into())),
        Err(SendfileError::InvalidConfig {
            key: "initializers.privates.sendfile.url",
            ..
        })
    ));
    assert!(matches!(
        Sendfile::new(Backend::Apache, "", None),
        Err(SendfileError::InvalidConfig {
            key: "initializers.privates.sendfile.root",
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// Development: full, HEAD, validators, conditionals
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn development_streams_the_whole_file() {
    let server = Server::start().await;
    let bytes = content(1_000_003);
    server.put("big.bin", &bytes);
    let reply = server.get("development", "big.bin", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.len(), bytes.len());
    assert!(reply.body == bytes);
    assert_eq!(reply.text("content-length"), Some("1000003"));
    assert_eq!(reply.text("accept-ranges"), Some("bytes"));

    // An empty file.
    server.put("empty.txt", b"");
    let reply = server.get("development", "empty.txt", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text("content-length"), Some("0"));
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let server = Server::start().await;
    server.put("a.pdf", &content(12345));
    let url = server.url("development", b"a.pdf", "");
    let head = server.request(Method::HEAD, &url, &[]).await;
    let get = server.request(Method::GET, &url, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.text("content-length"), Some("12345"));
    for name in [
        "content-type",
        "content-disposition",
        "etag",
        "last-modified",
        "accept-ranges",
        "cache-control",
    ] {
        assert_eq!(head.text(name), get.text(name), "{name}");
        assert!(head.text(name).is_some(), "{name}");
    }
    // Range is defined for GET only: HEAD describes the whole file.
    let head = server
        .request(Method::HEAD, &url, &[("range", "bytes=0-9")])
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.text("content-length"), Some("12345"));
}

#[tokio::test]
async fn etag_and_last_modified() {
    let server = Server::start().await;
    let path = server.put("a.txt", &content(300));
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let nanos = modified
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let reply = server.get("development", "a.txt", &[]).await;
    assert_eq!(
        reply.text("etag"),
        Some(format!("\"12c-{nanos:x}\"").as_str())
    );
    assert_eq!(
        reply.text("last-modified"),
        Some(httpdate_of(modified).as_str())
    );

    // Rewriting the file changes the tag.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, content(301)).unwrap();
    let again = server.get("development", "a.txt", &[]).await;
    assert_ne!(again.text("etag"), reply.text("etag"));
}

fn httpdate_of(time: std::time::SystemTime) -> String {
    let mut map = http::HeaderMap::new();
    headers::HeaderMapExt::typed_insert(&mut map, headers::LastModified::from(time));
    map[header::LAST_MODIFIED].to_str().unwrap().to_string()
}

#[tokio::test]
async fn conditional_requests() {
    let server = Server::start().await;
    let bytes = content(500);
    server.put("a.txt", &bytes);
    let first = server.get("development", "a.txt", &[]).await;
    let etag = first.text("etag").unwrap().to_string();
    let weak = format!("W/{etag}");
    let last_modified = first.text("last-modified").unwrap().to_string();
    let past = "Sat, 01 Jan 2000 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let both = format!("\"nope\", {etag}");

    let cases: Vec<(Vec<(&str, &str)>, StatusCode)> = vec![
        (vec![("if-none-match", &etag)], StatusCode::NOT_MODIFIED),
        (vec![("if-none-match", "*")], StatusCode::NOT_MODIFIED),
        (vec![("if-none-match", &both)], StatusCode::NOT_MODIFIED),
        // If-None-Match compares weakly.
        (vec![("if-none-match", &weak)], StatusCode::NOT_MODIFIED),
        (vec![("if-none-match", "\"other\"")], StatusCode::OK),
        (
            vec![("if-modified-since", &last_modified)],
            StatusCode::NOT_MODIFIED,
        ),
        (
            vec![("if-modified-since", future)],
            StatusCode::NOT_MODIFIED,
        ),
        (vec![("if-modified-since", past)], StatusCode::OK),
        (vec![("if-modified-since", "not a date")], StatusCode::OK),
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        (
            vec![
                ("if-none-match", "\"other\""),
                ("if-modified-since", &last_modified),
            ],
            StatusCode::OK,
        ),
        (
            vec![("if-none-match", &etag), ("if-modified-since", past)],
            StatusCode::NOT_MODIFIED,
        ),
        (vec![("if-match", &etag)], StatusCode::OK),
        (vec![("if-match", "*")], StatusCode::OK),
        (
            vec![("if-match", "\"other\"")],
            StatusCode::PRECONDITION_FAILED,
        ),
        // If-Match compares strongly: a weak tag never matches.
        (vec![("if-match", &weak)], StatusCode::PRECONDITION_FAILED),
        (
            vec![("if-unmodified-since", past)],
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            vec![("if-unmodified-since", &last_modified)],
            StatusCode::OK,
        ),
        (vec![("if-unmodified-since", future)], StatusCode::OK),
        // If-Match decides, If-Unmodified-Since is then ignored.
        (
            vec![("if-match", &etag), ("if-unmodified-since", past)],
            StatusCode::OK,
        ),
        // 412 comes before 304.
        (
            vec![("if-match", "\"other\""), ("if-none-match", &etag)],
            StatusCode::PRECONDITION_FAILED,
        ),
    ];
    for (headers, status) in cases {
        let reply = server.get("development", "a.txt", &headers).await;
        assert_eq!(reply.status, status, "{headers:?}");
        match status {
            StatusCode::OK => assert!(reply.body == bytes),
            StatusCode::NOT_MODIFIED => {
                assert!(reply.body.is_empty());
                assert_eq!(reply.text("etag"), Some(etag.as_str()));
                assert_eq!(reply.text("last-modified"), Some(last_modified.as_str()));
                assert_eq!(reply.text("cache-control"), Some("private"));
            }
            _ => {
                assert!(reply.body.is_empty());
                assert_eq!(reply.text("cache-control"), Some("private"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Development: ranges
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn byte_ranges() {
    let server = Server::start().await;
    let bytes = content(1000);
    server.put("a.bin", &bytes);
    for (range, content_range, slice) in [
        ("bytes=0-9", "bytes 0-9/1000", 0..10),
        ("bytes=-5", "bytes 995-999/1000", 995..1000),
        ("bytes=10-", "bytes 10-999/1000", 10..1000),
        ("bytes=990-5000", "bytes 990-999/1000", 990..1000),
        ("bytes=-5000", "bytes 0-999/1000", 0..1000),
        ("bytes=999-999", "bytes 999-999/1000", 999..1000),
        ("bytes=0-9,", "bytes 0-9/1000", 0..10),
        ("BYTES = 1-1", "bytes 1-1/1000", 1..2),
        ("bytes= 0-9 , ,", "bytes 0-9/1000", 0..10),
    ] {
        let reply = server
            .get("development", "a.bin", &[("range", range)])
            .await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(reply.text("content-range"), Some(content_range), "{range}");
        assert_eq!(
            reply.text("content-length"),
            Some(slice.len().to_string().as_str()),
            "{range}"
        );
        assert_eq!(reply.body, &bytes[slice], "{range}");
        assert_eq!(reply.text("content-type"), Some("application/octet-stream"));
        assert_eq!(reply.text("cache-control"), Some("private"));
    }
}

#[tokio::test]
async fn unsatisfiable_ranges() {
    let server = Server::start().await;
    server.put("a.bin", &content(1000));
    server.put("empty.bin", b"");
    for (name, range, len) in [
        ("a.bin", "bytes=999999-", 1000),
        ("a.bin", "bytes=1000-", 1000),
        ("a.bin", "bytes=-0", 1000),
        ("empty.bin", "bytes=0-", 0),
        ("empty.bin", "bytes=0-0", 0),
        ("empty.bin", "bytes=-5", 0),
    ] {
        let reply = server.get("development", name, &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(
            reply.text("content-range"),
            Some(format!("bytes */{len}").as_str())
        );
        assert!(reply.body.is_empty());
    }
}

#[tokio::test]
async fn ignored_ranges_get_the_full_file() {
    let server = Server::start().await;
    let bytes = content(1000);
    server.put("a.bin", &bytes);
    let many = vec!["0-0"; 20].join(",");
    let many = format!("bytes={many}");
    let long = format!("bytes=0-{}", "0".repeat(1100));
    let very_many = format!("bytes={}", vec!["0-1"; 300].join(","));
    let nines = format!("bytes=0-{}", "9".repeat(2000));
    for range in [
        very_many.as_str(),
        nines.as_str(),
        "",
        "bytes",
        "bytes=,",
        "bytes=-",
        "bytes=+1-2",
        "bytes=1 - 2",
        "bytes=0-9,junk",
        "bytes=0-1,2-3",
        "bytes=99999999999999999999999-",
        "bytes=0x10-",
        "bytes=0-9,20-29",
        "bytes=0-0,-1",
        many.as_str(),
        long.as_str(),
        "bytes=abc",
        "bytes=9-0",
        "bytes=",
        "items=0-9",
        "0-9",
        "bytes=--5",
    ] {
        let reply = server
            .get("development", "a.bin", &[("range", range)])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{range}");
        assert_eq!(reply.text("content-range"), None);
        assert_eq!(reply.text("content-length"), Some("1000"));
        assert!(reply.body == bytes, "{range}");
    }
}

#[tokio::test]
async fn if_range() {
    let server = Server::start().await;
    let bytes = content(1000);
    server.put("a.bin", &bytes);
    let first = server.get("development", "a.bin", &[]).await;
    let etag = first.text("etag").unwrap().to_string();
    let weak = format!("W/{etag}");
    let last_modified = first.text("last-modified").unwrap().to_string();
    for (if_range, partial) in [
        (etag.as_str(), true),
        (last_modified.as_str(), true),
        ("\"stale\"", false),
        // If-Range compares strongly.
        (weak.as_str(), false),
        ("Sat, 01 Jan 2000 00:00:00 GMT", false),
        ("garbage", false),
    ] {
        let reply = server
            .get(
                "development",
                "a.bin",
                &[("range", "bytes=0-9"), ("if-range", if_range)],
            )
            .await;
        if partial {
            assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{if_range}");
            assert_eq!(reply.body, &bytes[..10]);
            assert_eq!(reply.text("content-range"), Some("bytes 0-9/1000"));
        } else {
            assert_eq!(reply.status, StatusCode::OK, "{if_range}");
            assert!(reply.body == bytes);
            assert_eq!(reply.text("content-range"), None);
        }
    }
}

/// The handler can be any method (405 is the router's business): they are treated like GET.
#[tokio::test]
async fn other_methods_are_treated_like_get() {
    let server = Server::start().await;
    server.put("a.bin", &content(100));
    let url = server.url("development", b"a.bin", "");
    let reply = server
        .request(Method::POST, &url, &[("range", "bytes=0-1")])
        .await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(reply.body, &content(100)[..2]);
}

#[tokio::test]
async fn stored_name_and_attachment_filename() {
    let server = Server::start().await;
    server.put("mugshots/2024/photo_x7Yq.jpg", b"\xff\xd8\xff");
    let reply = server
        .get("development", "mugshots/2024/photo_x7Yq.jpg", &[])
        .await;
    assert_eq!(reply.text("content-type"), Some("image/jpeg"));
    assert_eq!(
        reply.text("content-disposition"),
        Some(r#"inline; filename="photo_x7Yq.jpg""#)
    );
    // The download name changes the disposition, never the type (guessed from the stored name).
    let url = server.url(
        "nginx",
        b"mugshots/2024/photo_x7Yq.jpg",
        &format!("attachment&filename={}", q("Passport Müller.html")),
    );
    let reply = server.request(Method::GET, &url, &[]).await;
    assert_eq!(reply.text("content-type"), Some("image/jpeg"));
    assert_eq!(
        reply.text("content-disposition"),
        Some(
            r#"attachment; filename="Passport M_ller.html"; filename*=UTF-8''Passport%20M%C3%BCller.html"#
        )
    );
    assert_eq!(
        reply.text("x-accel-redirect"),
        Some("/private-media/mugshots/2024/photo_x7Yq.jpg")
    );
}

#[test]
fn active_content_types() {
    for t in [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "application/rss+xml",
        "text/javascript",
        "application/javascript",
    ] {
        assert!(is_active_content(t), "{t}");
    }
    for t in [
        "application/pdf",
        "image/png",
        "text/plain",
        "application/json",
        "application/gzip",
        "text/css",
        "nonsense",
    ] {
        assert!(!is_active_content(t), "{t}");
    }
}

// ---------------------------------------------------------------------------------------------
// Development: the constant-memory body
// ---------------------------------------------------------------------------------------------

/// The body's chunk size (`sendfile::stream`), to cross chunk boundaries on purpose.
const CHUNK: usize = 256 * 1024;

/// Drops the file's pages from the page cache, so the next read must wait for the disk (the
/// body then reads through tokio's blocking pool instead of `RWF_NOWAIT`).
fn evict(path: &Path) {
    let file = std::fs::File::open(path).unwrap();
    file.sync_all().unwrap();
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
}

#[tokio::test]
async fn a_range_across_chunks_streams_alike_from_the_page_cache_and_the_disk() {
    let server = Server::start().await;
    let bytes = content(3 * CHUNK + 1234);
    let path = server.put("big.bin", &bytes);
    let (start, end) = (1000, 1000 + 2 * CHUNK + 9);
    for cached in [true, false] {
        if !cached {
            evict(&path);
        }
        let range = format!("bytes={start}-{end}");
        let reply = server
            .get("development", "big.bin", &[("range", &range)])
            .await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{cached}");
        assert!(reply.body == bytes[start..=end], "cached: {cached}");
    }
}

/// A file bigger than the socket buffers can hold, so the server is still reading it when the
/// test changes it after the response headers.
const UNBUFFERED: usize = 64 * 1024 * 1024;

#[tokio::test]
async fn a_file_that_shrinks_mid_download_aborts_the_body_instead_of_completing_it() {
    let server = Server::start().await;
    let bytes = content(UNBUFFERED);
    let path = server.put("shrinks.bin", &bytes);
    let url = server.url("development", b"shrinks.bin", "");
    let mut response = server.client.get(url).send().await.unwrap();
    assert_eq!(response.content_length(), Some(UNBUFFERED as u64));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(CHUNK as u64 / 2)
        .unwrap();
    let mut received = Vec::new();
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };
    assert!(ended.is_err(), "a truncated body must not end as complete");
    assert!(received.len() < UNBUFFERED, "{}", received.len());
    assert!(
        bytes.starts_with(&received),
        "only bytes of the file were sent"
    );
}

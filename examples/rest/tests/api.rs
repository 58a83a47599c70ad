//! The REST example through real HTTP: the app booted as `cargo run -p rest -- start` boots it
//! (its config, initializers, routes and migrations; the database and the private storage in
//! a temporary folder), served on a loopback port, driven with reqwest as an API client or a
//! browser would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{net::SocketAddr, path::PathBuf};

use loco_rs::{
    app::{AppContext, Hooks},
    boot::StartMode,
    environment::Environment,
};
use reqwest::{
    StatusCode, header,
    multipart::{Form, Part},
};
use rest::{app::App, models::users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const CHANGE_INVOICES: &str = "billing.can_change_invoices";
const CHANGE_CONTRACTS: &str = "legal.can_change_contract";
const PASSWORD: &str = "correct horse battery";

/// A small PDF (the upload sniffs `%PDF-` from the bytes).
fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(len, b'x');
    bytes
}

/// How a request carries the session.
#[derive(Clone, Copy)]
enum Session<'a> {
    Anonymous,
    Bearer(&'a str),
    /// The whole `Cookie` header.
    Cookie(&'a str),
}

struct Running {
    ctx: AppContext,
    base: String,
    client: reqwest::Client,
    private: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Boots the app on its `config/test.yaml`, with the database and storage moved into a
    /// fresh temporary folder.
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir(&private).unwrap();
        let mut config = App::load_config(&Environment::Test).await.unwrap();
        config.database.uri = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("rest.sqlite").display()
        );
        let privates = config
            .initializers
            .as_mut()
            .and_then(|all| all.get_mut("privates"))
            .expect("config/test.yaml has initializers.privates");
        privates["storage"]["location"] = json!(private);
        let boot = App::boot(StartMode::ServerOnly, &Environment::Test, config)
            .await
            .unwrap();
        let router = boot.router.expect("a server boot has a router");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Self {
            ctx: boot.app_context,
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            private,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        session: Session<'_>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .client
            .request(method, self.url(path))
            .header(header::ACCEPT, "application/json");
        match session {
            Session::Anonymous => request,
            Session::Bearer(token) => request.bearer_auth(token),
            Session::Cookie(cookie) => request.header(header::COOKIE, cookie),
        }
    }

    /// Registers `email` through the API and grants it `permissions` in the store.
    async fn user(&self, email: &str, permissions: &[&str]) {
        let response = self
            .request(
                reqwest::Method::POST,
                "/api/auth/register",
                Session::Anonymous,
            )
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "register {email}");
        let user = users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&self.ctx.db)
            .await
            .unwrap()
            .unwrap();
        for permission in permissions {
            privates_auth::store::grant_to_user(&self.ctx.db, user.id, permission)
                .await
                .unwrap();
        }
    }

    /// Logs in: the JSON body's token, and the `Cookie` header of the session cookie login set.
    async fn login(&self, email: &str) -> (String, String) {
        let response = self
            .request(reqwest::Method::POST, "/api/auth/login", Session::Anonymous)
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "login {email}");
        let cookie = cookies(&response);
        let body: Value = response.json().await.unwrap();
        assert!(body["pid"].is_string(), "{body}");
        let token = body["token"].as_str().unwrap().to_owned();
        assert_eq!(cookie, format!("token={token}"));
        (token, cookie)
    }

    async fn get(&self, path: &str, session: Session<'_>) -> (StatusCode, Vec<u8>) {
        let response = self
            .request(reqwest::Method::GET, path, session)
            .send()
            .await
            .unwrap();
        (response.status(), response.bytes().await.unwrap().to_vec())
    }

    async fn get_json(&self, path: &str, session: Session<'_>) -> (StatusCode, Value) {
        let (status, body) = self.get(path, session).await;
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn create(&self, collection: &str, title: &str, token: &str) -> Value {
        let response = self
            .request(reqwest::Method::POST, collection, Session::Bearer(token))
            .json(&json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// POSTs `bytes` as the multipart part `field` (`march.pdf`).
    async fn upload(
        &self,
        path: &str,
        field: &str,
        bytes: Vec<u8>,
        session: Session<'_>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let part = Part::bytes(bytes)
            .file_name("march.pdf")
            .mime_str("application/pdf")
            .unwrap();
        let mut request = self
            .request(reqwest::Method::POST, path, session)
            .multipart(Form::new().part(field.to_owned(), part));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&body)));
        (status, json)
    }

    /// Every file below the private root, hidden (temporary) ones included.
    fn stored_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut folders = vec![self.private.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }
}

/// The `name=value` pairs of a response's `Set-Cookie` headers, as a `Cookie` header.
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| {
            value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn a_bearer_token_uploads_a_scan_and_downloads_it_from_the_rows_url() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[CHANGE_INVOICES]).await;
    let (token, _) = app.login("clerk@example.com").await;

    let invoice = app.create("/api/invoices", "March", &token).await;
    let id = invoice["id"].as_i64().unwrap();
    assert_eq!(invoice["scan_url"], Value::Null);

    let scan = pdf(4000);
    let (status, uploaded) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            scan.clone(),
            Session::Bearer(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{uploaded}");
    assert_eq!(uploaded["type"], "application/pdf");
    assert_eq!(uploaded["size"], 4000);
    let url = uploaded["invoice"]["scan_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("/api/files/billing/invoices/{id}/scan/"));

    let (status, shown) = app
        .get_json(&format!("/api/invoices/{id}"), Session::Bearer(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["scan_url"], url.as_str());
    assert!(shown["scan"].as_str().unwrap().starts_with("invoices/"));
    let (status, listed) = app.get_json("/api/invoices", Session::Bearer(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([shown]));

    let (status, body) = app.get(&url, Session::Bearer(&token)).await;
    assert_eq!((status, body), (StatusCode::OK, scan));
    // The same URL without the trailing slash (loco's routes have none).
    let (status, _) = app
        .get(url.trim_end_matches('/'), Session::Bearer(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_session_cookie_downloads_and_uploads_only_with_a_csrf_token() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[CHANGE_INVOICES]).await;
    let (token, session) = app.login("clerk@example.com").await;
    let id = app.create("/api/invoices", "March", &token).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/invoices/{id}/scan");
    let origin = app.base.clone();

    // The cookie alone, as another site's form would send it: refused, nothing stored.
    let (status, refused) = app
        .upload(
            &path,
            "scan",
            pdf(100),
            Session::Cookie(&session),
            &[("origin", &origin)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "forbidden");
    assert!(app.stored_files().is_empty());

    // A script of the site asks for the token first.
    let response = app
        .request(
            reqwest::Method::GET,
            "/api/auth/csrf",
            Session::Cookie(&session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let browser = format!("{session}; {}", cookies(&response));
    let csrf: Value = response.json().await.unwrap();
    let csrf = csrf["csrf_token"].as_str().unwrap();

    let scan = pdf(2000);
    let (status, uploaded) = app
        .upload(
            &path,
            "scan",
            scan.clone(),
            Session::Cookie(&browser),
            &[("origin", &origin), ("x-csrftoken", csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{uploaded}");
    let url = uploaded["invoice"]["scan_url"].as_str().unwrap();

    // A browser's plain link sends the cookie and no Authorization header.
    let (status, body) = app.get(url, Session::Cookie(&session)).await;
    assert_eq!((status, body), (StatusCode::OK, scan));
}

#[tokio::test]
async fn a_user_without_the_permission_gets_403_json() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[CHANGE_INVOICES]).await;
    app.user("viewer@example.com", &[]).await;
    let (clerk, _) = app.login("clerk@example.com").await;
    let (viewer, _) = app.login("viewer@example.com").await;
    let id = app.create("/api/invoices", "March", &clerk).await["id"]
        .as_i64()
        .unwrap();
    let (status, uploaded) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            pdf(100),
            Session::Bearer(&clerk),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = uploaded["invoice"]["scan_url"].as_str().unwrap();
    let stored = app.stored_files();

    let (status, body) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            pdf(100),
            Session::Bearer(&viewer),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "forbidden", "{body}");
    assert_eq!(app.stored_files(), stored);

    for path in [url.to_owned(), format!("/api/invoices/{id}")] {
        let (status, body) = app.get_json(&path, Session::Bearer(&viewer)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["error"], "forbidden", "{path}: {body}");
    }
}

#[tokio::test]
async fn anonymous_requests_get_401_json_and_never_a_redirect() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[CHANGE_INVOICES]).await;
    let (clerk, _) = app.login("clerk@example.com").await;
    let id = app.create("/api/invoices", "March", &clerk).await["id"]
        .as_i64()
        .unwrap();
    let (status, uploaded) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            pdf(100),
            Session::Bearer(&clerk),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = uploaded["invoice"]["scan_url"].as_str().unwrap();

    let (status, body) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            pdf(100),
            Session::Anonymous,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized", "{body}");
    for path in [url.to_owned(), format!("/api/invoices/{id}")] {
        let (status, body) = app.get_json(&path, Session::Anonymous).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"], "unauthorized", "{path}: {body}");
    }
    // A browser too: `login_url: null`, so no redirect to a login page.
    let response = app
        .client
        .get(app.url(url))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(header::LOCATION).is_none());
    // A forged or expired token is no session either.
    let (status, _) = app.get(url, Session::Bearer("not.a.token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_upload_over_the_fields_max_size_gets_413_json_and_leaves_nothing() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[CHANGE_INVOICES]).await;
    let (token, _) = app.login("clerk@example.com").await;
    let id = app.create("/api/invoices", "March", &token).await["id"]
        .as_i64()
        .unwrap();

    // 1 MiB is the scan's max_size; 1.5 MiB is below the route's body limit, so the field's
    // limit answers while streaming.
    let (status, body) = app
        .upload(
            &format!("/api/invoices/{id}/scan"),
            "scan",
            pdf(1_572_864),
            Session::Bearer(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "payload_too_large", "{body}");
    assert!(
        body["description"].as_str().unwrap().contains("scan"),
        "{body}"
    );
    assert!(app.stored_files().is_empty());
    let (_, shown) = app
        .get_json(&format!("/api/invoices/{id}"), Session::Bearer(&token))
        .await;
    assert_eq!(shown["scan"], Value::Null);
}

#[tokio::test]
async fn a_uuid_keyed_contract_downloads_and_a_malformed_uuid_is_404() {
    let app = Running::start().await;
    app.user("lawyer@example.com", &[CHANGE_CONTRACTS]).await;
    let (token, _) = app.login("lawyer@example.com").await;
    let contract = app.create("/api/contracts", "Lease", &token).await;
    let id = contract["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{contract}");

    let document = pdf(3000);
    let (status, uploaded) = app
        .upload(
            &format!("/api/contracts/{id}/document"),
            "document",
            document.clone(),
            Session::Bearer(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{uploaded}");
    let url = uploaded["contract"]["document_url"].as_str().unwrap();
    assert_eq!(url, format!("/api/files/legal/contract/{id}/document/"));
    let (status, body) = app.get(url, Session::Bearer(&token)).await;
    assert_eq!((status, body), (StatusCode::OK, document));
    let (status, shown) = app
        .get_json(&format!("/api/contracts/{id}"), Session::Bearer(&token))
        .await;
    assert_eq!(
        (status, &shown["document_url"]),
        (StatusCode::OK, &json!(url))
    );

    for path in [
        "/api/files/legal/contract/not-a-uuid/document/".to_owned(),
        format!(
            "/api/files/legal/contract/{}/document/",
            uuid::Uuid::new_v4()
        ),
        "/api/contracts/not-a-uuid".to_owned(),
    ] {
        let (status, body) = app.get_json(&path, Session::Bearer(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "not_found", "{path}: {body}");
    }
    let (status, body) = app
        .upload(
            "/api/contracts/not-a-uuid/document",
            "document",
            pdf(100),
            Session::Bearer(&token),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn login_refuses_a_wrong_password_and_register_a_taken_email() {
    let app = Running::start().await;
    app.user("clerk@example.com", &[]).await;
    for (path, body, expected, error) in [
        (
            "/api/auth/login",
            json!({ "email": "clerk@example.com", "password": "wrong password" }),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "/api/auth/login",
            json!({ "email": "nobody@example.com", "password": PASSWORD }),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "/api/auth/register",
            json!({ "email": "clerk@example.com", "password": PASSWORD }),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            "/api/auth/register",
            json!({ "email": "new@example.com", "password": "short" }),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let response = app
            .request(reqwest::Method::POST, path, Session::Anonymous)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{path} {body}");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"], error, "{path} {body}: {answer}");
    }
}

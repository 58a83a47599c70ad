//! The generic download view through real HTTP: the full status matrix of the contract.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::{extract::State, response::Response};
use common::{Doc, HeaderUsers, Report, World};
use http::request::Parts;
use loco_rs::app::AppContext;
use privates::{
    PrivateMedia, Privates, PrivatesConfig,
    permissions::Authorizer,
    routing::{model_routes, routes},
    sendfile::Backend,
    urls::download_url,
    view::PrivateMediaView,
};
use privates_testing::TempPrivateRoot;
use reqwest::StatusCode;

const PDF_BYTES: &[u8] = b"%PDF-1.7 the passport of doc 1";
const SCAN_BYTES: &[u8] = b"\x89PNG\r\n\x1a\n scan of doc 1";

fn doc(id: i32, pdf: Option<&str>, scan: &str) -> (String, Doc) {
    (
        id.to_string(),
        Doc {
            id,
            pdf: pdf.map(str::to_string),
            scan: scan.to_string(),
            secret: "secret.txt".to_string(),
        },
    )
}

/// Docs: 1 has both files; 2 is like 1 (object-level checks); 3 has an empty pdf; 4 has an
/// empty-string pdf; 5 points at a missing file; 6..=9 hold hostile stored names.
async fn world(backend: Backend) -> World {
    let world = World::start(backend, model_routes::<Doc>()).await;
    world.write("docs/passport 1.pdf", PDF_BYTES);
    world.write("scans/1.png", SCAN_BYTES);
    world.write("secret.txt", b"never served");
    let outside = world
        .root
        .path()
        .parent()
        .unwrap()
        .join(format!("privates-outside-{}", std::process::id()));
    std::fs::write(&outside, b"outside bytes").unwrap();
    std::os::unix::fs::symlink(&outside, world.root.path().join("link.pdf")).unwrap();
    world.table(vec![
        doc(1, Some("docs/passport 1.pdf"), "scans/1.png"),
        doc(2, Some("docs/passport 1.pdf"), "scans/1.png"),
        doc(3, None, "scans/1.png"),
        doc(4, Some(""), "scans/1.png"),
        doc(5, Some("docs/gone.pdf"), "scans/1.png"),
        doc(6, Some("../../etc/passwd"), "scans/1.png"),
        doc(7, Some("/etc/passwd"), "scans/1.png"),
        doc(8, Some("link.pdf"), "scans/1.png"),
        doc(9, Some("docs%2f..%2f..%2fetc%2fpasswd"), "scans/1.png"),
    ]);
    world
}

fn pdf(pk: &str) -> String {
    format!("/admin/docs/iddocument/{pk}/pdf/")
}

/// Asserts the status, and that a refused answer carries none of the private bytes.
async fn expect(response: reqwest::Response, status: StatusCode) -> Vec<u8> {
    assert_eq!(response.status(), status, "{}", response.url());
    let body = response.bytes().await.unwrap().to_vec();
    if status != StatusCode::OK {
        for secret in [PDF_BYTES, SCAN_BYTES, b"outside bytes".as_slice()] {
            assert!(
                !body.windows(secret.len()).any(|w| w == secret),
                "a refused answer leaked file bytes"
            );
        }
    }
    body
}

#[tokio::test]
async fn permitted_user_gets_the_exact_bytes() {
    let world = world(Backend::Development).await;
    for user in ["clerk", "root", "picky"] {
        let response = world.get(&pdf("1"), Some(user), &[]).await;
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert_eq!(
            response.headers()["content-disposition"],
            "inline; filename=\"passport 1.pdf\""
        );
        assert_eq!(response.headers()["cache-control"], "private");
        assert_eq!(expect(response, StatusCode::OK).await, PDF_BYTES);
    }
}

#[tokio::test]
async fn anonymous_api_client_gets_401() {
    let world = world(Backend::Development).await;
    let response = world
        .get(&pdf("1"), None, &[("accept", "application/json")])
        .await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect(response, StatusCode::UNAUTHORIZED).await;
    // Unknown objects look the same to anonymous users.
    expect(
        world.get(&pdf("999"), None, &[]).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn anonymous_browser_is_sent_to_login_with_next() {
    let world = world(Backend::Development).await;
    let accept = ("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
    let response = world
        .get(&format!("{}?x=1", pdf("1")), None, &[accept])
        .await;
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fpdf%2F%3Fx%3D1"
    );
    expect(response, StatusCode::FOUND).await;
}

/// An API client (`Accept: application/json`) gets every refusal in loco's JSON error shape;
/// anyone else plain text.
#[tokio::test]
async fn api_clients_get_refusals_in_locos_json_shape() {
    let world = world(Backend::Development).await;
    let json = ("accept", "application/json");
    for (path, user, status, error) in [
        (pdf("1"), None, StatusCode::UNAUTHORIZED, "unauthorized"),
        (pdf("1"), Some("viewer"), StatusCode::FORBIDDEN, "forbidden"),
        (
            pdf("999"),
            Some("clerk"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (pdf("x"), Some("clerk"), StatusCode::NOT_FOUND, "not_found"),
    ] {
        let response = world.get(&path, user, &[json]).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: serde_json::Value =
            serde_json::from_slice(&expect(response, status).await).unwrap();
        assert_eq!(body["error"], error, "{path}: {body}");
        assert!(body["description"].is_string(), "{body}");
        // The same refusal without asking for JSON is plain text.
        let response = world.get(&path, user, &[]).await;
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
            "{path}"
        );
        expect(response, status).await;
    }
}

/// With `login_url: null` (an API without a login page) a browser gets 401, never a redirect.
#[tokio::test]
async fn a_switched_off_login_url_never_redirects() {
    let world = World::start_with(Backend::Development, model_routes::<Doc>(), |config| {
        config.login_url = None;
    })
    .await;
    let response = world
        .get(&pdf("1"), None, &[("accept", "text/html,*/*;q=0.8")])
        .await;
    assert_eq!(response.headers().get("location"), None);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn login_url_with_a_query_gets_next_appended() {
    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let root = TempPrivateRoot::new().unwrap();
    let mut config = PrivatesConfig {
        login_url: Some("/auth/login?lang=nl".to_string()),
        ..PrivatesConfig::default()
    };
    root.apply(&mut config);
    Privates::new(config, HeaderUsers).unwrap().install(&ctx);
    let router = privates_testing::router(model_routes::<Doc>(), &ctx);
    let request = http::Request::get(pdf("1"))
        .header("accept", "text/html")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "/auth/login?lang=nl&next=%2Fadmin%2Fdocs%2Fiddocument%2F1%2Fpdf%2F"
    );
}

#[tokio::test]
async fn user_without_permission_gets_403_and_learns_nothing_about_objects() {
    let world = world(Backend::Development).await;
    for pk in ["1", "999", "not-a-number", "3", "6"] {
        expect(
            world.get(&pdf(pk), Some("viewer"), &[]).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_or_malformed_key_is_404() {
    let world = world(Backend::Development).await;
    for pk in ["999", "abc", "1.5", "-", "%20", "99999999999999999999"] {
        expect(
            world.get(&pdf(pk), Some("clerk"), &[]).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn empty_field_and_missing_file_are_404() {
    let world = world(Backend::Development).await;
    for pk in ["3", "4", "5"] {
        expect(
            world.get(&pdf(pk), Some("clerk"), &[]).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn hostile_stored_names_are_404_without_a_byte() {
    let world = world(Backend::Development).await;
    for pk in ["6", "7", "8", "9"] {
        expect(
            world.get(&pdf(pk), Some("root"), &[]).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    // The same through the offloading backends: nothing is handed to the web server.
    for backend in [Backend::Nginx, Backend::Apache, Backend::Lighttpd] {
        let world = self::world(backend).await;
        for pk in ["6", "7", "8", "9"] {
            let response = world.get(&pdf(pk), Some("root"), &[]).await;
            for header in ["x-accel-redirect", "x-sendfile", "x-lighttpd-send-file"] {
                assert!(response.headers().get(header).is_none(), "{backend:?} {pk}");
            }
            expect(response, StatusCode::NOT_FOUND).await;
        }
    }
}

#[tokio::test]
async fn object_level_check_runs_after_the_lookup() {
    let world = world(Backend::Development).await;
    expect(
        world.get(&pdf("1"), Some("picky"), &[]).await,
        StatusCode::OK,
    )
    .await;
    expect(
        world.get(&pdf("2"), Some("picky"), &[]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Unknown objects are 404 for a user with the model permission.
    expect(
        world.get(&pdf("999"), Some("picky"), &[]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn per_field_permission_and_view_options() {
    let world = world(Backend::Development).await;
    let scan = "/admin/docs/iddocument/1/scan/";
    expect(
        world.get(&pdf("1"), Some("scanner"), &[]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect(
        world.get(scan, Some("clerk"), &[]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = world.get(scan, Some("scanner"), &[]).await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"scan.png\""
    );
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(expect(response, StatusCode::OK).await, SCAN_BYTES);
}

#[tokio::test]
async fn no_download_field_has_no_route() {
    let world = world(Backend::Development).await;
    let response = world
        .get("/admin/docs/iddocument/1/secret/", Some("root"), &[])
        .await;
    expect(response, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn failing_user_store_is_500_not_a_pass() {
    let world = world(Backend::Development).await;
    expect(
        world.get(&pdf("1"), Some("broken"), &[]).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
}

#[tokio::test]
async fn head_answers_headers_without_body() {
    let world = world(Backend::Development).await;
    let response = world
        .client
        .head(world.url(&pdf("1")))
        .header("x-user", "clerk")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-length"],
        PDF_BYTES.len().to_string().as_str()
    );
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn offloading_backends_answer_with_their_header() {
    let cases = [
        (
            Backend::Nginx,
            "x-accel-redirect",
            "/private-media/docs/passport%201.pdf".to_string(),
        ),
        (Backend::Apache, "x-sendfile", String::new()),
        (Backend::Lighttpd, "x-sendfile", String::new()),
    ];
    for (backend, header, expected) in cases {
        let world = world(backend).await;
        let response = world.get(&pdf("1"), Some("clerk"), &[]).await;
        let value = response.headers()[header].to_str().unwrap().to_string();
        let expected = if expected.is_empty() {
            world
                .root
                .path()
                .join("docs/passport 1.pdf")
                .display()
                .to_string()
        } else {
            expected
        };
        assert_eq!(value, expected, "{backend:?}");
        assert!(expect(response, StatusCode::OK).await.is_empty());
    }
}

#[tokio::test]
async fn string_keys_and_custom_prefix() {
    let world = World::start(Backend::Development, model_routes::<Report>()).await;
    world.write("reports/q1.csv", b"a,b\n1,2\n");
    world.table(vec![(
        "2024 q1/é".to_string(),
        Report {
            slug: "2024 q1/é".to_string(),
            file: "reports/q1.csv".to_string(),
        },
    )]);
    let report = Report {
        slug: "2024 q1/é".to_string(),
        file: String::new(),
    };
    let url = download_url(&report, &Report::fields()[0]);
    assert_eq!(url, "/files/finance/report/2024%20q1%2F%C3%A9/file/");
    let body = expect(world.get(&url, Some("clerk"), &[]).await, StatusCode::OK).await;
    assert_eq!(body, b"a,b\n1,2\n");
    expect(
        world
            .get("/files/finance/report/2024 q2/file/", Some("clerk"), &[])
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn view_permission_and_options_can_be_overridden() {
    let view = PrivateMediaView::new(Doc::PDF)
        .permission("docs.view_scan")
        .options(privates::ViewOptions {
            attachment: true,
            filename: Some("passport.pdf"),
            mimetype: Some("application/octet-stream"),
        });
    assert_eq!(view.path(), "/admin/docs/iddocument/{pk}/pdf/");
    let world = world_with(routes([view])).await;
    expect(
        world.get(&pdf("1"), Some("clerk"), &[]).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = world.get(&pdf("1"), Some("scanner"), &[]).await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"passport.pdf\""
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(expect(response, StatusCode::OK).await, PDF_BYTES);
}

/// `sendfile.root` above the storage location: the offload path names the location's folder
/// beneath the root; a root beside it (`privates.W002`) offloads nothing (404).
#[tokio::test]
async fn the_sendfile_root_may_lie_above_the_storage_location() {
    let root_of = |config: &PrivatesConfig, sibling: bool| {
        let location = &config
            .storage
            .as_ref()
            .unwrap()
            .as_local()
            .unwrap()
            .location;
        let parent = location.parent().unwrap().to_path_buf();
        let root = if sibling {
            parent.join("elsewhere")
        } else {
            parent
        };
        (
            location.file_name().unwrap().to_str().unwrap().to_owned(),
            root,
        )
    };
    let above = World::start_with(Backend::Nginx, model_routes::<Doc>(), |config| {
        config.sendfile.root = Some(root_of(config, false).1);
    })
    .await;
    above.write("docs/passport 1.pdf", PDF_BYTES);
    above.table(vec![doc(1, Some("docs/passport 1.pdf"), "scans/1.png")]);
    let folder = above.root.path().file_name().unwrap().to_str().unwrap();
    let response = above.get(&pdf("1"), Some("clerk"), &[]).await;
    assert_eq!(
        response.headers()["x-accel-redirect"],
        format!("/private-media/{folder}/docs/passport%201.pdf").as_str()
    );
    let beside = World::start_with(Backend::Nginx, model_routes::<Doc>(), |config| {
        let (_, root) = root_of(config, true);
        std::fs::create_dir_all(&root).unwrap();
        config.sendfile.root = Some(root);
    })
    .await;
    beside.write("docs/passport 1.pdf", PDF_BYTES);
    beside.table(vec![doc(1, Some("docs/passport 1.pdf"), "scans/1.png")]);
    let response = beside.get(&pdf("1"), Some("clerk"), &[]).await;
    assert!(response.headers().get("x-accel-redirect").is_none());
    expect(response, StatusCode::NOT_FOUND).await;
}

async fn world_with(routes: loco_rs::controller::Routes) -> World {
    let world = World::start(Backend::Development, routes).await;
    world.write("docs/passport 1.pdf", PDF_BYTES);
    world.table(vec![doc(1, Some("docs/passport 1.pdf"), "scans/1.png")]);
    world
}

#[tokio::test]
async fn a_context_without_privates_is_500() {
    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let router = privates_testing::router(model_routes::<Doc>(), &ctx);
    let request = http::Request::get(pdf("1"))
        .header("x-user", "root")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn decide_and_require_answer_like_the_view() {
    let world = world(Backend::Development).await;
    let parts = |user: Option<&str>, accept: &str| {
        let mut request = http::Request::get("/admin/docs/iddocument/").header("accept", accept);
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        request.body(()).unwrap().into_parts().0
    };
    let permission = "docs.can_change_iddocument";
    let decide = |user, accept| {
        let parts = parts(user, accept);
        let privates = world.privates.clone();
        let ctx = world.ctx.clone();
        async move { privates.decide(&parts, &ctx, permission).await.unwrap() }
    };
    assert_eq!(decide(None, "*/*").await, privates::Decision::Anonymous);
    assert_eq!(
        decide(Some("viewer"), "*/*").await,
        privates::Decision::Forbidden
    );
    assert_eq!(
        decide(Some("clerk"), "*/*").await,
        privates::Decision::Allowed
    );

    let require = |user, accept| {
        let parts = parts(user, accept);
        let privates = world.privates.clone();
        let ctx = world.ctx.clone();
        async move { privates.require(&parts, &ctx, permission).await.unwrap() }
    };
    assert!(require(Some("clerk"), "*/*").await.is_none());
    assert_eq!(
        require(Some("viewer"), "*/*").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        require(None, "*/*").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let redirect = require(None, "text/html").await.unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    assert_eq!(
        redirect.headers()["location"],
        "/login?next=%2Fadmin%2Fdocs%2Fiddocument%2F"
    );
    assert!(
        world
            .privates
            .decide(&parts(Some("broken"), "*/*"), &world.ctx, permission)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn urls_with_and_without_the_trailing_slash_reach_the_view() {
    let world = world(Backend::Development).await;
    for path in [
        "/admin/docs/iddocument/1/pdf/",
        "/admin/docs/iddocument/1/pdf",
    ] {
        let body = expect(world.get(path, Some("clerk"), &[]).await, StatusCode::OK).await;
        assert_eq!(body, PDF_BYTES, "{path}");
    }
}

/// Lets everyone in, and notes how many copies of the app context exist while a request is
/// answered: each `AppContext` copy holds its `shared_store` `Arc`, which counts them.
struct CountingCopies(Arc<Mutex<Vec<usize>>>);

#[async_trait::async_trait]
impl Authorizer for CountingCopies {
    type User = ();

    async fn authenticate(&self, _: &Parts, ctx: &AppContext) -> loco_rs::Result<Option<()>> {
        self.0
            .lock()
            .unwrap()
            .push(Arc::strong_count(&ctx.shared_store));
        Ok(Some(()))
    }

    async fn has_permission(&self, _: &(), _: &str, _: &AppContext) -> loco_rs::Result<bool> {
        Ok(true)
    }
}

/// axum copies a route's whole service stack on every request, once per layer, and a
/// handler's state with it: loco's `AppContext` (its config, deep) once per middleware. The
/// view takes the context from the request instead, so a download behind any number of
/// layers copies none. A plain handler on the same router shows the copies being counted.
#[tokio::test]
async fn a_download_copies_no_app_context_whatever_the_layers() {
    const LAYERS: usize = 6;
    async fn pass(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
        next.run(request).await
    }

    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let root = TempPrivateRoot::new().unwrap();
    let mut config = PrivatesConfig::default();
    config.sendfile.backend = Backend::Development;
    root.apply(&mut config);
    let seen = Arc::new(Mutex::new(Vec::new()));
    Privates::new(config, CountingCopies(Arc::clone(&seen)))
        .unwrap()
        .install(&ctx);
    std::fs::create_dir_all(root.path().join("docs")).unwrap();
    std::fs::write(root.path().join("docs/1.pdf"), PDF_BYTES).unwrap();
    let (key, row) = doc(1, Some("docs/1.pdf"), "scans/1.png");
    ctx.shared_store
        .insert(common::Table(Arc::new([(key, row)].into_iter().collect())));

    // As loco's `AppRoutes::to_router` builds it: routes, then layers, then the state; then
    // the initializer's `after_routes`.
    let plain_seen = Arc::clone(&seen);
    let plain = axum::routing::get(move |State(ctx): State<AppContext>| async move {
        plain_seen
            .lock()
            .unwrap()
            .push(Arc::strong_count(&ctx.shared_store));
        "plain"
    });
    let mut router = model_routes::<Doc>()
        .add("/plain", plain)
        .handlers
        .into_iter()
        .fold(axum::Router::new(), |router, handler| {
            router.route(handler.uri.trim_end_matches('/'), handler.method)
        });
    for _ in 0..LAYERS {
        router = router.layer(axum::middleware::from_fn(pass));
    }
    let router = privates::routing::after_routes(router.with_state(ctx.clone()), &ctx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let at_rest = Arc::strong_count(&ctx.shared_store);

    let body = reqwest::get(format!("http://{addr}{}", pdf("1")))
        .await
        .unwrap();
    assert_eq!(expect(body, StatusCode::OK).await, PDF_BYTES);
    let body = reqwest::get(format!("http://{addr}/plain")).await.unwrap();
    assert_eq!(expect(body, StatusCode::OK).await, b"plain");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one count per request: {seen:?}");
    let (download, plain) = (seen[0], seen[1]);
    assert_eq!(download, at_rest, "copies during the download");
    assert!(
        plain > at_rest + LAYERS,
        "a plain handler behind {LAYERS} layers: {plain} copies, {at_rest} at rest"
    );
}

//! The access audit through real HTTP: every answer of the download and share routes is one
//! event, with who asked, the outcome and the check that refused, handed to the installed sink
//! and emitted as a `tracing` event under `privates::audit`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use common::{Doc, World};
use futures_util::future::BoxFuture;
use privates::{
    PrivatesConfig,
    audit::{AuditEvent, AuditSink, Check, Outcome, Overloaded, Who},
    config::ShareConfig,
    routing::model_routes,
    sendfile::Backend,
    share::ShareKey,
};
use reqwest::StatusCode;

const KEY: &str = "k7Hn3yq0m1ZbQeX9vR2tLw8sJc4uA6dPfG5hB0nM1oI=";

/// What a test sees of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    who: Who,
    pk: String,
    field: &'static str,
    name: Option<String>,
    outcome: Outcome,
    client: Option<IpAddr>,
    request_id: Option<String>,
}

/// A sink keeping every event; `full` refuses them all, as a full queue under `refuse`.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    full: bool,
}

impl AuditSink for Recorder {
    fn record<'a>(&'a self, event: &'a AuditEvent<'a>) -> BoxFuture<'a, Result<(), Overloaded>> {
        self.seen.lock().unwrap().push(Seen {
            who: event.who.clone(),
            pk: event.pk.to_string(),
            field: event.field,
            name: event.name.clone(),
            outcome: event.outcome,
            client: event.client,
            request_id: event.request_id.map(str::to_owned),
        });
        let full = self.full;
        Box::pin(async move { if full { Err(Overloaded) } else { Ok(()) } })
    }
}

impl Recorder {
    /// The one event recorded since the last call.
    fn take(&self) -> Seen {
        let mut seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "one event per request: {seen:?}");
        seen.pop().unwrap()
    }
}

fn doc(id: i32, pdf: Option<&str>) -> (String, Doc) {
    let pdf = pdf.map(str::to_owned);
    let (scan, secret) = ("scans/1.png".to_owned(), "secret.txt".to_owned());
    (
        id.to_string(),
        Doc {
            id,
            pdf,
            scan,
            secret,
        },
    )
}

/// A world on `backend` whose handle records into a new [`Recorder`]: doc 1 and 2 hold
/// `docs/1.pdf`, 3 holds nothing, 5 a missing file.
async fn audited_world(
    backend: Backend,
    configure: impl FnOnce(&mut PrivatesConfig),
) -> (World, Recorder) {
    let world = World::start_with(backend, model_routes::<Doc>(), configure).await;
    world.write("docs/1.pdf", b"%PDF-1.7 audited");
    world.table(vec![
        doc(1, Some("docs/1.pdf")),
        doc(2, Some("docs/1.pdf")),
        doc(3, None),
        doc(5, Some("docs/gone.pdf")),
    ]);
    let recorder = Recorder::default();
    let audited = world
        .privates
        .clone()
        .with_audit(Arc::new(recorder.clone()));
    audited.install(&world.ctx);
    (world, recorder)
}

fn user(name: &str) -> Who {
    Who::User(Some(name.to_owned()))
}

/// A request (the key, the user, headers), its status, and the event it must give.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    &'a [(&'a str, &'a str)],
    StatusCode,
    Who,
    Outcome,
);

#[tokio::test]
async fn every_answer_of_the_download_route_is_one_event_with_the_refusing_check() {
    let (world, recorder) = audited_world(Backend::Development, |_| {}).await;
    let pdf = |pk: &str| format!("/admin/docs/iddocument/{pk}/pdf/");
    let html = [("accept", "text/html")];
    let range = [("range", "bytes=0-3")];
    let cases: [Case<'_>; 10] = [
        (
            "1",
            Some("clerk"),
            &[],
            StatusCode::OK,
            user("clerk"),
            Outcome::Served(200, Backend::Development),
        ),
        // The answer's own status: a range is served as 206.
        (
            "1",
            Some("clerk"),
            &range,
            StatusCode::PARTIAL_CONTENT,
            user("clerk"),
            Outcome::Served(206, Backend::Development),
        ),
        (
            "1",
            None,
            &[],
            StatusCode::UNAUTHORIZED,
            Who::Anonymous,
            Outcome::Refused(401, Check::Authentication),
        ),
        (
            "1",
            None,
            &html,
            StatusCode::FOUND,
            Who::Anonymous,
            Outcome::Refused(302, Check::Authentication),
        ),
        (
            "1",
            Some("viewer"),
            &[],
            StatusCode::FORBIDDEN,
            user("viewer"),
            Outcome::Refused(403, Check::Permission),
        ),
        (
            "99",
            Some("clerk"),
            &[],
            StatusCode::NOT_FOUND,
            user("clerk"),
            Outcome::Refused(404, Check::Object),
        ),
        (
            "2",
            Some("picky"),
            &[],
            StatusCode::FORBIDDEN,
            user("picky"),
            Outcome::Refused(403, Check::ObjectPermission),
        ),
        (
            "3",
            Some("clerk"),
            &[],
            StatusCode::NOT_FOUND,
            user("clerk"),
            Outcome::Refused(404, Check::Field),
        ),
        (
            "5",
            Some("clerk"),
            &[],
            StatusCode::NOT_FOUND,
            user("clerk"),
            Outcome::Refused(404, Check::File),
        ),
        (
            "1",
            Some("broken"),
            &[],
            StatusCode::INTERNAL_SERVER_ERROR,
            Who::Anonymous,
            Outcome::Refused(500, Check::Authentication),
        ),
    ];
    for (pk, who, headers, status, expected_who, outcome) in cases {
        let response = world.get(&pdf(pk), who, headers).await;
        assert_eq!(response.status(), status, "{pk} as {who:?}");
        let seen = recorder.take();
        assert_eq!(
            (&seen.who, seen.outcome),
            (&expected_who, outcome),
            "{pk} as {who:?}"
        );
        assert_eq!((seen.pk.as_str(), seen.field), (pk, "pdf"));
        // The stored name once the object was found and the field held one.
        let named = matches!(
            outcome,
            Outcome::Served(..) | Outcome::Refused(_, Check::File)
        );
        assert_eq!(seen.name.is_some(), named, "{pk} as {who:?}: {seen:?}");
    }
}

#[tokio::test]
async fn offloading_backends_record_the_backend_that_served() {
    for (backend, header) in [
        (Backend::Nginx, "x-accel-redirect"),
        (Backend::Apache, "x-sendfile"),
        (Backend::Lighttpd, "x-sendfile"),
    ] {
        let (world, recorder) = audited_world(backend, |_| {}).await;
        let response = world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().contains_key(header), "{backend:?}");
        let seen = recorder.take();
        assert_eq!(seen.outcome, Outcome::Served(200, backend));
        assert_eq!(seen.name.as_deref(), Some("docs/1.pdf"));
    }
}

fn share(config: &mut PrivatesConfig) {
    config.share = Some(ShareConfig {
        key: KEY.to_owned(),
        max_ttl: 3600,
    });
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn share_links_are_recorded_with_their_expiry() {
    let (world, recorder) = audited_world(Backend::Development, share).await;
    let the_doc = doc(1, Some("docs/1.pdf")).1;
    let url = world
        .privates
        .share_url(&the_doc, &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    let expires = url
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let expires: u64 = expires.parse().unwrap();
    assert!(expires >= unix(SystemTime::now()) + 590);

    assert_eq!(world.get(&url, None, &[]).await.status(), StatusCode::OK);
    let seen = recorder.take();
    assert_eq!(seen.who, Who::Link(Some(expires)));
    assert_eq!(seen.outcome, Outcome::Served(200, Backend::Development));
    assert_eq!(seen.name.as_deref(), Some("docs/1.pdf"));

    let forged = url.replace("sig=", "sig=AAAA");
    assert_eq!(
        world.get(&forged, None, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(recorder.take().outcome, Outcome::Refused(403, Check::Link));

    let key = ShareKey::from_config(&ShareConfig {
        key: KEY.to_owned(),
        max_ttl: 3600,
    })
    .unwrap();
    let version = world
        .privates
        .files()
        .open("docs/1.pdf")
        .await
        .unwrap()
        .version();
    let past = SystemTime::now() - Duration::from_secs(5);
    let expired = key.url(&the_doc, &Doc::PDF, &version, past).unwrap();
    assert_eq!(
        world.get(&expired, None, &[]).await.status(),
        StatusCode::GONE
    );
    let seen = recorder.take();
    assert_eq!(seen.who, Who::Link(Some(unix(past))));
    assert_eq!(seen.outcome, Outcome::Refused(410, Check::Expired));

    // Without `share.key` the route answers 404, recorded as sharing switched off.
    let (world, recorder) = world_without_sharing().await;
    assert_eq!(
        world.get(&url, None, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        recorder.take().outcome,
        Outcome::Refused(404, Check::Sharing)
    );
}

async fn world_without_sharing() -> (World, Recorder) {
    audited_world(Backend::Development, |_| {}).await
}

#[tokio::test]
async fn a_sink_that_refuses_the_event_turns_the_download_into_503() {
    let (world, _) = audited_world(Backend::Development, |_| {}).await;
    let full = Recorder {
        full: true,
        ..Recorder::default()
    };
    world
        .privates
        .clone()
        .with_audit(Arc::new(full))
        .install(&world.ctx);
    let response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!response.text().await.unwrap().contains("%PDF"));
}

/// Serves `world`'s routes as loco does (its request-id middleware) through
/// [`privates::server::serve_listener`], which gives handlers the socket's address.
async fn serve_with_socket(world: &World) -> SocketAddr {
    use loco_rs::controller::middleware::request_id::request_id_middleware;
    let router = privates_testing::router(model_routes::<Doc>(), &world.ctx)
        .layer(axum::middleware::from_fn(request_id_middleware));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = privates::server::ServeOptions::default();
    tokio::spawn(async move {
        privates::server::serve_listener(listener, router, &options, std::future::pending()).await;
    });
    addr
}

#[tokio::test]
async fn the_client_is_the_sockets_address_unless_a_trusted_header_is_configured() {
    let (world, recorder) = audited_world(Backend::Development, |_| {}).await;
    let addr = serve_with_socket(&world).await;
    let url = format!("http://{addr}/admin/docs/iddocument/1/pdf/");
    let response = world
        .client
        .get(&url)
        .header("x-user", "clerk")
        .header("x-real-ip", "203.0.113.9")
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = recorder.take();
    // A header anyone can set is not believed.
    assert_eq!(seen.client, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(seen.request_id.as_deref(), Some("req-42"));

    let trusting = |config: &mut PrivatesConfig| {
        config.audit.client_ip_header = Some(http::HeaderName::from_static("x-forwarded-for"));
    };
    let (trusted, recorder) = audited_world(Backend::Development, trusting).await;
    let addr = serve_with_socket(&trusted).await;
    let url = format!("http://{addr}/admin/docs/iddocument/1/pdf/");
    let forwarded = [
        ("1.2.3.4, 203.0.113.9", Some("203.0.113.9")),
        ("nonsense", None),
    ];
    for (header, client) in forwarded {
        let response = trusted
            .client
            .get(&url)
            .header("x-user", "clerk")
            .header("x-forwarded-for", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // The last entry, the one the trusted proxy appended.
        assert_eq!(recorder.take().client, client.map(|ip| ip.parse().unwrap()));
    }
    // A proxy that appends a line of its own (HAProxy's `option forwardfor`): the client's
    // line comes first and is not believed.
    let response = trusted
        .client
        .get(&url)
        .header("x-user", "clerk")
        .header("x-forwarded-for", "198.51.100.66")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(recorder.take().client, Some("203.0.113.9".parse().unwrap()));
}

/// The key is recorded as the object spells it, so another spelling of it (`01`, `+1`) cannot
/// keep a download out of that object's access log; a key that does not parse stays as sent.
#[tokio::test]
async fn the_key_is_recorded_as_the_object_spells_it() {
    let (world, recorder) = audited_world(Backend::Development, |_| {}).await;
    for (asked, recorded) in [("01", "1"), ("+1", "1"), ("x1", "x1")] {
        let path = format!("/admin/docs/iddocument/{asked}/pdf/");
        world.get(&path, Some("clerk"), &[]).await;
        assert_eq!(recorder.take().pk, recorded, "{asked}");
    }
}

#[test]
fn a_malformed_client_header_is_named_and_the_sinks_keys_are_kept_for_it() {
    let block = serde_json::json!({ "audit": { "client_ip_header": "not a header" } });
    let err = PrivatesConfig::from_value(&block).unwrap_err().to_string();
    assert!(
        err.contains("`initializers.privates.audit.client_ip_header`"),
        "{err}"
    );
    let block = serde_json::json!({ "audit": { "client_ip_header": "X-Real-IP", "queue": 8 } });
    let audit = PrivatesConfig::from_value(&block).unwrap().audit;
    assert_eq!(audit.client_ip_header.unwrap(), "x-real-ip");
    assert_eq!(audit.sink["queue"], 8);
}

#[tokio::test]
#[ignore = "needs s3s-fs (scripts/test installs it)"]
async fn object_store_backends_record_the_redirect_and_the_stream() {
    let server = privates_test_support::S3TestServer::builder()
        .bucket("privates-audit")
        .credentials("audit-key", "audit-secret")
        .start_async()
        .await
        .unwrap();
    for backend in [Backend::Redirect, Backend::Stream] {
        let storage = server.storage_config();
        let (world, recorder) = audited_world(backend, move |config| {
            config.storage = Some(privates::config::StorageConfig::S3(storage));
        })
        .await;
        let bytes = futures_util::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::from_static(b"%PDF in the bucket"),
        )]);
        let name = world
            .privates
            .files()
            .save("docs/1.pdf", bytes)
            .await
            .unwrap();
        world.table(vec![doc(1, Some(&name))]);
        let response = world
            .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
            .await;
        let expected = match backend {
            Backend::Redirect => StatusCode::FOUND,
            _ => StatusCode::OK,
        };
        assert_eq!(response.status(), expected, "{backend:?}");
        let seen = recorder.take();
        assert_eq!(seen.outcome, Outcome::Served(expected.as_u16(), backend));
        assert_eq!(seen.name, Some(name));
        let response = world
            .get("/admin/docs/iddocument/1/pdf/", Some("viewer"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            recorder.take().outcome,
            Outcome::Refused(403, Check::Permission)
        );
    }
}

//! The access audit's `tracing` sink: each decision is one event under `privates::audit`,
//! whether or not a sink is installed.
//!
//! This test is a binary of its own. `tracing` caches each callsite's interest for the whole
//! process: a test on another thread that reaches an audit callsite while this test's
//! subscriber is being set can cache "never" over it, and the events vanish.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{Doc, World};
use privates::{routing::model_routes, sendfile::Backend};
use reqwest::StatusCode;

/// A `tracing` writer into memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

// The subscriber is this thread's: the test's runtime and its server run on it.
#[tokio::test(flavor = "current_thread")]
async fn each_decision_is_a_tracing_event_under_its_own_target() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    // No sink installed: the `tracing` event is there anyway.
    let world = World::start(Backend::Nginx, model_routes::<Doc>()).await;
    world.write("docs/1.pdf", b"%PDF");
    let doc = Doc {
        id: 1,
        pdf: Some("docs/1.pdf".to_owned()),
        scan: "scans/1.png".to_owned(),
        secret: "secret.txt".to_owned(),
    };
    world.table(vec![("1".to_owned(), doc)]);
    let served = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    assert_eq!(served.status(), StatusCode::OK);
    let refused = world
        .get("/admin/docs/iddocument/1/pdf/", Some("viewer"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("privates::audit"))
        .collect();
    assert_eq!(lines.len(), 2, "{logged}");
    for needle in [
        r#"who=User(Some("clerk"))"#,
        "pk=\"1\"",
        "field=\"pdf\"",
        "name=\"docs/1.pdf\"",
        "status=200",
        "backend=\"nginx\"",
        "private file served",
    ] {
        assert!(lines[0].contains(needle), "{needle} in {}", lines[0]);
    }
    for needle in [
        r#"who=User(Some("viewer"))"#,
        "status=403",
        "check=Some(Permission)",
        "private file refused",
    ] {
        assert!(lines[1].contains(needle), "{needle} in {}", lines[1]);
    }
}

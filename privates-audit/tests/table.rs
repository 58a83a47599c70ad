//! The audit table through real HTTP: each outcome lands in `privates_audit_events` (SQLite
//! and PostgreSQL), the three overflow policies with the writer held, and a graceful
//! shutdown under load that loses no accepted event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Db, Doc, PDF_PATH, World};
use privates::Privates;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

/// Served, refused at each check, and a share link: one row each, with who, what and why.
async fn every_outcome_is_a_row(db: Db) {
    let mut world = World::start(db, json!({ "batch": 2 })).await;
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    assert_eq!(world.get(PDF_PATH, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        world.get(PDF_PATH, Some("viewer")).await,
        StatusCode::FORBIDDEN
    );
    let unknown = PDF_PATH.replace("/1/", "/2/");
    assert_eq!(
        world.get(&unknown, Some("clerk")).await,
        StatusCode::NOT_FOUND
    );
    let privates = Privates::from_ctx(&world.ctx).unwrap();
    let doc = Doc {
        id: 1,
        pdf: "docs/1.pdf".to_owned(),
    };
    let link = privates
        .share_url(&doc, &Doc::PDF, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(world.get(&link, None).await, StatusCode::OK);
    world.stop().await;

    let events = world.events().await;
    let summary: Vec<_> = events
        .iter()
        .rev()
        .map(|e| {
            (
                e.who.as_str(),
                e.user_id.as_deref(),
                e.pk.as_str(),
                e.status,
                e.refused_by.as_deref(),
                e.backend.as_deref(),
                e.name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "user",
                Some("clerk"),
                "1",
                200,
                None,
                Some("development"),
                Some("docs/1.pdf")
            ),
            (
                "anonymous",
                None,
                "1",
                401,
                Some("authentication"),
                None,
                None
            ),
            (
                "user",
                Some("viewer"),
                "1",
                403,
                Some("permission"),
                None,
                None
            ),
            ("user", Some("clerk"), "2", 404, Some("object"), None, None),
            (
                "link",
                None,
                "1",
                200,
                None,
                Some("development"),
                Some("docs/1.pdf")
            ),
        ]
    );
    let expires: i64 = link
        .split("expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(events[0].link_expires, Some(expires));
    for event in &events {
        assert_eq!(
            (
                event.app.as_str(),
                event.model.as_str(),
                event.field.as_str()
            ),
            ("docs", "doc", "pdf")
        );
        // privates::server::serve gives the socket's address.
        assert_eq!(event.client.as_deref(), Some("127.0.0.1"));
    }
}

#[tokio::test]
async fn every_outcome_is_a_row_on_sqlite() {
    every_outcome_is_a_row(Db::sqlite().await).await;
}

#[tokio::test]
#[ignore = "needs postgres (scripts/test installs it)"]
async fn every_outcome_is_a_row_on_postgres() {
    every_outcome_is_a_row(Db::postgres().await).await;
}

/// Keys a client can send that PostgreSQL would refuse as they are (a NUL byte; a key past
/// the index's limit) ride in one batch with good events: every event is written, the hostile
/// keys cleaned.
#[tokio::test]
#[ignore = "needs postgres (scripts/test installs it)"]
async fn a_hostile_key_cannot_make_others_events_fail_on_postgres() {
    let mut world = World::start(Db::postgres().await, json!({ "batch": 64 })).await;
    let long = "9".repeat(3000);
    let hostile = [
        PDF_PATH.replace("/1/", "/1%00x/"),
        PDF_PATH.replace("/1/", &format!("/{long}/")),
    ];
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    for path in &hostile {
        assert_eq!(world.get(path, None).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    world.stop().await;
    let events = world.events().await;
    let keys: Vec<&str> = events.iter().rev().map(|e| e.pk.as_str()).collect();
    assert_eq!(keys, ["1", "1x", &long[..255], "1"]);
}

/// On SQLite the writer inserts through its own connection: a row the database refuses (here
/// a trigger refuses object 2's) costs that event alone, counted as dropped and on record,
/// never the batch it rides in.
#[tokio::test]
async fn a_refused_row_does_not_take_its_batch_on_sqlite() {
    let mut world = World::start(Db::sqlite().await, json!({ "batch": 64 })).await;
    world
        .db
        .conn
        .execute_unprepared(
            "CREATE TRIGGER refuse_two BEFORE INSERT ON privates_audit_events \
             WHEN NEW.pk = '2' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .await
        .unwrap();
    let hold = world.audit.hold().await;
    // The events queue up behind the held writer, the refused one among good ones.
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    let two = PDF_PATH.replace("/1/", "/2/");
    assert_eq!(world.get(&two, Some("clerk")).await, StatusCode::NOT_FOUND);
    assert_eq!(world.get(PDF_PATH, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    drop(hold);
    world.stop().await;
    let events = world.events().await;
    let written: Vec<(&str, i32)> = events
        .iter()
        .rev()
        .map(|e| (e.pk.as_str(), e.status))
        .collect();
    assert_eq!(written, [("1", 200), ("1", 401), ("1", 200)]);
    assert_eq!(world.audit.dropped(), 1);
    let recorded = privates_audit::query::dropped(&world.db.conn, None, None)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
}

/// On SQLite the writer inserts through a connection of its own, past sqlx: with sqlx's pool
/// closed after the start, every event is still written.
#[tokio::test]
async fn on_sqlite_the_writer_needs_no_sqlx_pool() {
    let mut world = World::start(Db::sqlite().await, json!({})).await;
    world.db.conn.close_by_ref().await.unwrap();
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    assert_eq!(world.get(PDF_PATH, None).await, StatusCode::UNAUTHORIZED);
    world.stop().await;
    let events = privates_audit::query::events(
        &world.db.connect_again().await,
        &privates_audit::query::Filter::default(),
    )
    .await
    .unwrap();
    let written: Vec<i32> = events.iter().rev().map(|event| event.status).collect();
    assert_eq!(written, [200, 401]);
    assert_eq!(world.audit.dropped(), 0);
}

/// A queue of 2 and batches of 1: with the writer held, at most 3 events are accepted (the
/// queue, and the batch the writer may have taken before it stopped).
const HELD_CAPACITY: usize = 3;
const REQUESTS: usize = 8;

#[tokio::test]
async fn drop_policy_counts_what_a_full_queue_drops() {
    let mut world = World::start(
        Db::sqlite().await,
        json!({ "queue": 2, "batch": 1, "overflow": "drop" }),
    )
    .await;
    let hold = world.audit.hold().await;
    for _ in 0..REQUESTS {
        // Downloads go on; their events are dropped once the queue is full.
        assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    }
    let dropped = world.audit.dropped();
    assert!(dropped >= (REQUESTS - HELD_CAPACITY) as u64, "{dropped}");
    drop(hold);
    world.stop().await;
    assert_eq!(world.rows().await + dropped, REQUESTS as u64);
    // The count is on record, for the task.
    let recorded = privates_audit::query::dropped(&world.db.conn, None, None)
        .await
        .unwrap();
    assert_eq!(recorded, dropped as i64);
}

#[tokio::test]
async fn refuse_policy_answers_503_when_the_queue_is_full() {
    let mut world = World::start(
        Db::sqlite().await,
        json!({ "queue": 2, "batch": 1, "overflow": "refuse" }),
    )
    .await;
    let hold = world.audit.hold().await;
    let mut statuses = Vec::new();
    for _ in 0..REQUESTS {
        statuses.push(world.get(PDF_PATH, Some("clerk")).await);
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let served = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(served + refused, REQUESTS, "{statuses:?}");
    assert!(refused >= REQUESTS - HELD_CAPACITY, "{statuses:?}");
    drop(hold);
    world.stop().await;
    // Every download served is on record; none of the refused ones was served.
    assert_eq!(world.rows().await, served as u64);
    assert_eq!(world.audit.dropped(), 0);
}

/// [`REQUESTS`] downloads by the clerk, each on a task of its own; each status arrives on the
/// returned channel as its request finishes.
fn spawn_downloads(world: &World) -> tokio::sync::mpsc::UnboundedReceiver<StatusCode> {
    let (done, finished) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..REQUESTS {
        let (client, url, done) = (world.client.clone(), world.url(PDF_PATH), done.clone());
        tokio::spawn(async move {
            let response = client
                .get(url)
                .header("x-user", "clerk")
                .send()
                .await
                .unwrap();
            done.send(response.status()).unwrap();
        });
    }
    finished
}

/// A world whose audit waits for room (a queue of 2, batches of 1), its writer held, and
/// [`REQUESTS`] downloads spawned.
async fn waiting_downloads_behind_a_held_writer() -> (
    World,
    privates_audit::AuditHold,
    tokio::sync::mpsc::UnboundedReceiver<StatusCode>,
) {
    let world = World::start(
        Db::sqlite().await,
        json!({ "queue": 2, "batch": 1, "overflow": "wait" }),
    )
    .await;
    let hold = world.audit.hold().await;
    let finished = spawn_downloads(&world);
    (world, hold, finished)
}

#[tokio::test]
async fn wait_policy_holds_the_requests_until_there_is_room() {
    let (mut world, hold, mut finished) = waiting_downloads_behind_a_held_writer().await;
    // With the writer held, no more than the queue's room can finish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut early = 0;
    while finished.try_recv().is_ok() {
        early += 1;
    }
    assert!(
        early <= HELD_CAPACITY,
        "{early} requests finished with the writer held"
    );
    drop(hold);
    for _ in early..REQUESTS {
        assert_eq!(finished.recv().await.unwrap(), StatusCode::OK);
    }
    world.stop().await;
    assert_eq!(world.rows().await, REQUESTS as u64);
    assert_eq!(world.audit.dropped(), 0);
}

#[tokio::test]
async fn a_graceful_shutdown_under_load_loses_no_accepted_event() {
    let mut world = World::start(Db::sqlite().await, json!({ "queue": 16, "batch": 8 })).await;
    // The writer held: the queue fills and requests wait while the shutdown begins.
    let hold = world.audit.hold().await;
    let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..16 {
        let (client, url, done) = (world.client.clone(), world.url(PDF_PATH), done.clone());
        tokio::spawn(async move {
            for _ in 0..10 {
                let Ok(response) = client.get(&url).header("x-user", "clerk").send().await else {
                    break;
                };
                let status = response.status();
                if response.bytes().await.is_err() {
                    break;
                }
                done.send(status).unwrap();
            }
        });
    }
    drop(done);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(hold);
    });
    world.stop().await;
    releaser.await.unwrap();
    let mut served = 0;
    while let Some(status) = finished.recv().await {
        assert_eq!(status, StatusCode::OK);
        served += 1;
    }
    assert!(served > 16, "the load ran: {served}");
    assert_eq!(
        world.rows().await,
        served,
        "every answered download is on record"
    );
    assert_eq!(world.audit.dropped(), 0);
}

/// loco's own serve runs `on_shutdown` (the close) before its open requests are done: those
/// requests' events are written on their own, none is lost.
#[tokio::test]
async fn requests_finishing_after_the_close_are_still_recorded() {
    let (mut world, hold, mut finished) = waiting_downloads_behind_a_held_writer().await;
    // The queue is full and requests wait for room when the close begins.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audit = world.audit.clone();
    let closing = tokio::spawn(async move { audit.close().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The writer ends its batch, sees the close and stops taking events: the requests still
    // waiting for room write their own.
    drop(hold);
    for _ in 0..REQUESTS {
        assert_eq!(finished.recv().await.unwrap(), StatusCode::OK);
    }
    closing.await.unwrap();
    // A request after the close is recorded too.
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    world.stop().await;
    assert_eq!(world.rows().await, REQUESTS as u64 + 1);
    assert_eq!(world.audit.dropped(), 0);
}

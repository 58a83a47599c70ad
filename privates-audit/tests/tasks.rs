//! The tasks on a real database: `privates_audit` lists by user, by object and by time, as
//! text and JSON, with the drop count; `privates_audit_clean` removes what `audit.retention`
//! no longer keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, PDF_PATH, World};
use loco_rs::task::Vars;
use privates_audit::{
    entities::{drops, events},
    tasks::{AuditClean, AuditList},
};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;

fn vars(args: &[(&str, &str)]) -> Vars {
    Vars::from_cli_args(
        args.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// An event of another object, ten days old, written as the writer would.
async fn old_event(world: &World) {
    let ten_days_ago = chrono::Utc::now().timestamp_millis() - 10 * 86_400_000;
    let row = events::ActiveModel {
        at_ms: Set(ten_days_ago),
        who: Set("user".to_owned()),
        user_id: Set(Some("archivist".to_owned())),
        app: Set("docs".to_owned()),
        model: Set("doc".to_owned()),
        pk: Set("7".to_owned()),
        field: Set("pdf".to_owned()),
        name: Set(Some("docs/7.pdf".to_owned())),
        status: Set(200),
        backend: Set(Some("nginx".to_owned())),
        ..Default::default()
    };
    events::Entity::insert(row)
        .exec(&world.db.conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_list_task_filters_by_user_object_and_time_in_text_and_json() {
    let mut world = World::start(Db::sqlite().await, json!({})).await;
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    assert_eq!(
        world.get(PDF_PATH, Some("viewer")).await,
        StatusCode::FORBIDDEN
    );
    world.stop().await;
    old_event(&world).await;
    let row = drops::ActiveModel {
        at_ms: Set(chrono::Utc::now().timestamp_millis()),
        count: Set(4),
        ..Default::default()
    };
    drops::Entity::insert(row)
        .exec(&world.db.conn)
        .await
        .unwrap();
    let list = |args: &[(&str, &str)]| {
        let vars = vars(args);
        let ctx = world.ctx.clone();
        async move { AuditList.output(&ctx, &vars).await.unwrap() }
    };

    let all = list(&[]).await;
    assert!(
        all.ends_with("3 event(s)\n4 event(s) dropped in this time (the queue was full or the table refused them)\n"),
        "{all}"
    );
    let by_clerk = list(&[("user", "clerk")]).await;
    let lines: Vec<&str> = by_clerk.lines().collect();
    assert_eq!(lines.len(), 3, "{by_clerk}");
    assert!(
        lines[0]
            .contains(" user clerk docs.doc 1 pdf docs/1.pdf served development client 127.0.0.1"),
        "{by_clerk}"
    );
    let by_viewer = list(&[("user", "viewer")]).await;
    assert!(
        by_viewer.contains(" user viewer docs.doc 1 pdf - refused 403 by permission"),
        "{by_viewer}"
    );
    let object = list(&[("app", "docs"), ("model", "doc"), ("pk", "7")]).await;
    assert!(
        object.contains("user archivist docs.doc 7 pdf docs/7.pdf served nginx")
            && object.contains("1 event(s)"),
        "{object}"
    );
    // The time range: the old event alone, then today's alone (and today's drop count).
    let nine_days_ago = (chrono::Utc::now() - chrono::Duration::days(9)).to_rfc3339();
    let old = list(&[("to", &nine_days_ago)]).await;
    assert!(
        old.contains("archivist") && old.ends_with("1 event(s)\n"),
        "{old}"
    );
    let recent = list(&[("from", &nine_days_ago)]).await;
    assert!(
        !recent.contains("archivist") && recent.contains("2 event(s)\n4 event(s) dropped"),
        "{recent}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&list(&[("format", "json"), ("user", "clerk")]).await).unwrap();
    assert_eq!(json["dropped"], 4);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["user_id"], "clerk");
    assert_eq!(events[0]["status"], 200);
    assert_eq!(events[0]["backend"], "development");
    assert_eq!(events[0]["client"], "127.0.0.1");

    for (args, key) in [
        (&[("from", "yesterday")][..], "from:yesterday"),
        (&[("format", "xml")][..], "format:xml"),
        (&[("pk", "1")][..], "app:"),
        (&[("limit", "many")][..], "limit:many"),
    ] {
        let err = AuditList
            .output(&world.ctx, &vars(args))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("`{key}")), "{err}");
    }
}

#[tokio::test]
async fn the_clean_task_removes_events_older_than_the_retention() {
    let mut world = World::start(Db::sqlite().await, json!({ "retention": 7 })).await;
    assert_eq!(world.get(PDF_PATH, Some("clerk")).await, StatusCode::OK);
    world.stop().await;
    old_event(&world).await;
    assert_eq!(world.rows().await, 2);
    let output = AuditClean.output(&world.ctx).await.unwrap();
    assert_eq!(
        output,
        "privates: removed 1 audit event(s) older than 7 day(s)\n"
    );
    let left = world.events().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_id.as_deref(), Some("clerk"));

    // Without `audit.retention` every event is kept.
    let mut world = World::start(Db::sqlite().await, json!({})).await;
    world.stop().await;
    old_event(&world).await;
    let output = AuditClean.output(&world.ctx).await.unwrap();
    assert!(output.contains("no `audit.retention`"), "{output}");
    assert_eq!(world.rows().await, 1);
}

#[tokio::test]
async fn a_malformed_table_key_stops_the_start_naming_it() {
    let db = Db::sqlite().await;
    for (audit, key) in [
        (
            json!({ "overflow": "sometimes" }),
            "initializers.privates.audit.overflow",
        ),
        (json!({ "queue": 0 }), "initializers.privates.audit.queue"),
        (
            json!({ "retension": 30 }),
            "initializers.privates.audit.retension",
        ),
    ] {
        let mut config = loco_rs::tests_cfg::config::test_config();
        config.initializers =
            Some(serde_json::from_value(json!({ "privates": { "audit": audit } })).unwrap());
        let ctx = loco_rs::app::AppContext::builder(
            loco_rs::environment::Environment::Test,
            db.conn.clone(),
            config,
        )
        .build();
        let err = privates_audit::AuditTable::start(&ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("`{key}`")), "{err}");
    }
}

//! "Who opened this file" through real HTTP: the admin's download routes record each
//! decision in privates-audit's table (SQLite), and only holders of `privates.view_audit`
//! see them, on the change page and on the access page (403 for anyone else).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use common::{Doc, HeaderUsers, Table};
use http::request::Parts;
use loco_rs::{app::AppContext, environment::Environment};
use privates::{Privates, PrivatesConfig};
use privates_admin::{Markup, ModelAdmin};
use privates_audit::{AuditTable, entities::events};
use privates_testing::TempPrivateRoot;
use reqwest::StatusCode;
use sea_orm::{Database, EntityTrait, PaginatorTrait};
use sea_orm_migration::{MigrationTrait, SchemaManager};

/// A stand-in for an app's change page: the access log when the user may see it.
async fn change_page(
    State(ctx): State<AppContext>,
    Path(pk): Path<String>,
    parts: Parts,
) -> Response {
    let doc = ctx
        .shared_store
        .get::<Table<Doc>>()
        .unwrap()
        .get(&pk)
        .unwrap();
    let admin = ModelAdmin::<Doc>::new();
    match admin.access_log(&ctx, &parts, &doc, 10).await.unwrap() {
        Some(log) => Html(Markup::render(&log).unwrap().as_str().to_owned()).into_response(),
        None => Html("<form>no log</form>".to_owned()).into_response(),
    }
}

#[tokio::test]
async fn admin_downloads_are_recorded_and_shown_to_holders_of_view_audit() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("app.db").display()
    );
    let db = Database::connect(&url).await.unwrap();
    privates_audit::migration::Migration
        .up(&SchemaManager::new(&db))
        .await
        .unwrap();
    let ctx = AppContext::builder(
        Environment::Test,
        db.clone(),
        loco_rs::tests_cfg::config::test_config(),
    )
    .build();
    let root = TempPrivateRoot::new().unwrap();
    std::fs::create_dir_all(root.path().join("docs")).unwrap();
    std::fs::write(root.path().join("docs/1.pdf"), b"%PDF-1.7 audited").unwrap();
    let mut config = PrivatesConfig::default();
    root.apply(&mut config);
    let audit = AuditTable::spawn(
        db.clone(),
        &privates_audit::settings::TableSettings::default(),
    );
    Privates::new(config, HeaderUsers)
        .unwrap()
        .with_audit(Arc::new(audit))
        .install(&ctx);
    let doc = Doc {
        id: 1,
        pdf: Some("docs/1.pdf".to_owned()),
        mugshot: "mugshots/1.png".to_owned(),
        ..Doc::default()
    };
    ctx.shared_store.insert(Table::new([("1".to_owned(), doc)]));
    let admin = ModelAdmin::<Doc>::new();
    let routes = admin
        .routes()
        .merge(admin.access_routes())
        .add("/admin/docs/iddocument/{pk}/change/", get(change_page));
    let router = privates_testing::router(routes, &ctx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, user: Option<&str>| {
        let mut request = client.get(format!("http://{addr}{path}"));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        async move { request.send().await.unwrap() }
    };

    let pdf = "/admin/docs/iddocument/1/pdf/";
    assert_eq!(get(pdf, Some("clerk")).await.status(), StatusCode::OK);
    assert_eq!(
        get(pdf, Some("viewer")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(pdf, None).await.status(), StatusCode::UNAUTHORIZED);
    // The writer works off the request path: wait for its three rows.
    for _ in 0..500 {
        if events::Entity::find().count(&db).await.unwrap() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(events::Entity::find().count(&db).await.unwrap(), 3);

    // The access page: a permission of its own, checked before the object is looked up.
    let page = "/admin/docs/iddocument/1/access/";
    assert_eq!(get(page, None).await.status(), StatusCode::UNAUTHORIZED);
    for user in ["clerk", "viewer"] {
        let response = get(page, Some(user)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{user}");
        assert!(!response.text().await.unwrap().contains("clerk"));
    }
    let unknown = get("/admin/docs/iddocument/9/access/", Some("root")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let response = get(page, Some("root")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let html = response.text().await.unwrap();
    let rows: Vec<&str> = html.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), 3, "{html}");
    // Newest first.
    assert!(
        rows[0].contains("<td>anonymous</td><td>pdf</td><td>refused 401 (authentication)</td>"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("<td>user viewer</td><td>pdf</td><td>refused 403 (permission)</td>"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2]
            .contains("<td>user clerk</td><td>pdf: docs/1.pdf</td><td>served (development)</td>"),
        "{}",
        rows[2]
    );

    // The change page shows the log to holders only.
    let change = "/admin/docs/iddocument/1/change/";
    let for_clerk = get(change, Some("clerk")).await.text().await.unwrap();
    assert_eq!(for_clerk, "<form>no log</form>");
    let for_root = get(change, Some("root")).await.text().await.unwrap();
    assert!(
        for_root.contains(r#"<div class="access-log" id="access_log">"#),
        "{for_root}"
    );
    assert_eq!(for_root.matches("<tr><td>").count(), 3);
}

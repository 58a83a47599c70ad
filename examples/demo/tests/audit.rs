//! The access audit in the demo as users run it: downloads land in `privates_audit_events`,
//! superusers (who hold `privates.view_audit`) see them on the change page and the access
//! page, the `privates_audit` task lists them, and a graceful shutdown under load keeps every
//! answered download on record.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Demo, client};
use reqwest::{StatusCode, header};

const PDF: &str = "/admin/docs/iddocument/1/pdf/";

/// Runs `demo task <args>`; its standard output.
fn task(demo: &Demo, args: &[&str]) -> String {
    let output = demo.run(&[&["task"], args].concat());
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "task {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The download's status for `cookie`, the body read to the end.
async fn download(demo: &Demo, cookie: &str) -> StatusCode {
    let response = client()
        .get(demo.url(PDF))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let status = response.status();
    response.bytes().await.unwrap();
    status
}

#[tokio::test]
async fn downloads_are_recorded_and_shown_to_those_allowed_to_see_them() {
    let demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let admin = demo.login("admin@example.com", "admin").await;
    assert_eq!(download(&demo, &clerk).await, StatusCode::OK);
    assert_eq!(download(&demo, &viewer).await, StatusCode::FORBIDDEN);
    let clerk_id = demo.user("clerk@example.com").await.id.to_string();

    // The change page: the clerk may change the document but not see who opened it.
    let change = "/admin/docs/iddocument/1/change/";
    let page = demo.get(Some(&clerk), change).await.text().await.unwrap();
    assert!(page.contains("iddocument_form") && !page.contains("access_log"));
    // The writer works off the request path: the superuser's page shows both once written.
    let mut page = String::new();
    for _ in 0..200 {
        page = demo.get(Some(&admin), change).await.text().await.unwrap();
        if page.matches("<tr><td>").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        page.contains(r#"<div class="access-log" id="access_log">"#),
        "{page}"
    );
    assert!(page.contains(&format!("<td>user {clerk_id}</td><td>pdf: docs/sample_passport.pdf</td><td>served (development)</td><td>127.0.0.1</td>")), "{page}");
    assert!(page.contains("refused 403 (permission)"), "{page}");

    // The access page: 403 for the clerk, the log for the superuser.
    let access = "/admin/docs/iddocument/1/access/";
    assert_eq!(
        demo.get(Some(&clerk), access).await.status(),
        StatusCode::FORBIDDEN
    );
    let response = demo.get(Some(&admin), access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("served (development)")
    );

    // The task, as an operator runs it.
    let text = task(&demo, &["privates_audit", &format!("user:{clerk_id}")]);
    assert!(text.contains(&format!(" user {clerk_id} docs.iddocument 1 pdf docs/sample_passport.pdf served development client 127.0.0.1")), "{text}");
    let json: serde_json::Value = serde_json::from_str(&task(
        &demo,
        &[
            "privates_audit",
            "app:docs",
            "model:iddocument",
            "pk:1",
            "format:json",
        ],
    ))
    .unwrap();
    let statuses: Vec<i64> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_i64().unwrap())
        .collect();
    assert!(statuses.contains(&200) && statuses.contains(&403), "{json}");
    let cleaned = task(&demo, &["privates_audit_clean"]);
    assert!(
        cleaned.contains("removed 0 audit event(s) older than 365 day(s)"),
        "{cleaned}"
    );
}

#[tokio::test]
async fn a_graceful_shutdown_under_load_keeps_every_answered_download_on_record() {
    let mut demo = Demo::start();
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let (done, mut answered) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..16 {
        let (url, cookie, done) = (demo.url(PDF), clerk.clone(), done.clone());
        tokio::spawn(async move {
            let client = client();
            loop {
                let Ok(response) = client
                    .get(&url)
                    .header(header::COOKIE, &cookie)
                    .send()
                    .await
                else {
                    break;
                };
                let status = response.status();
                if response.bytes().await.is_err() {
                    break;
                }
                if done.send(status).is_err() {
                    break;
                }
            }
        });
    }
    drop(done);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let exit = demo.terminate();
    assert!(exit.success(), "{exit}: {}", demo.log_text());
    let mut served = 0;
    while let Some(status) = answered.recv().await {
        assert_eq!(status, StatusCode::OK);
        served += 1;
    }
    assert!(served > 16, "the load ran: {served}");
    let output = demo.run(&["task", "privates_audit", "limit:100000", "format:json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let recorded = json["events"].as_array().unwrap().len();
    assert_eq!(recorded, served, "every answered download is on record");
}

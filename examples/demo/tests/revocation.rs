//! The demo keeps nothing between requests: a revoked permission, a removed group membership,
//! a deleted user and a replaced file take effect on the very next download, while the session
//! cookie stays the same. Permissions change the way an operator changes them: through the
//! demo's own `privates_*` tasks (privates-auth's store).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, client, pdf};
use demo::models::{iddocuments, users};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

const PERMISSION: &str = "perm:docs.can_change_iddocument";

async fn download(demo: &Demo, id: i32, cookie: &str) -> (StatusCode, Vec<u8>) {
    let response = client()
        .get(demo.url(&format!("/admin/docs/iddocument/{id}/pdf/")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Runs `demo task <args>` and returns its output; fails the test when the task fails.
fn task(demo: &Demo, args: &[&str]) -> String {
    let output = demo.run(&[&["task"], args].concat());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "task {args:?} failed:\n{text}");
    text
}

#[tokio::test]
async fn changes_take_effect_on_the_next_request() {
    let demo = Demo::start();
    let first = pdf();
    let mut second = pdf();
    second.extend_from_slice(b"% the replacement\n");
    demo.put_file("first.pdf", &first);
    demo.put_file("second.pdf", &second);
    let id = demo.insert_doc("revocation", Some("first.pdf"), "").await;
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let user = "user:clerk@example.com";

    assert_eq!(download(&demo, id, &clerk).await, (StatusCode::OK, first));

    // The file replaced in the database: the next download serves the new one.
    let db = demo.connect().await;
    iddocuments::ActiveModel {
        id: Set(id),
        pdf: Set(Some("second.pdf".into())),
        ..Default::default()
    }
    .update(&db)
    .await
    .unwrap();
    assert_eq!(
        download(&demo, id, &clerk).await,
        (StatusCode::OK, second.clone())
    );

    // The permission revoked: the same cookie now gets 403 and no byte.
    let shown = task(&demo, &["privates_user_show", user]);
    assert!(shown.contains("docs.can_change_iddocument"), "{shown}");
    task(&demo, &["privates_revoke", PERMISSION, user]);
    let (status, body) = download(&demo, id, &clerk).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.windows(second.len()).any(|w| w == second.as_slice()));

    // Held through a group: allowed; out of the group: refused again.
    task(&demo, &["privates_group_create", "group:clerks"]);
    task(&demo, &["privates_grant", PERMISSION, "group:clerks"]);
    task(&demo, &["privates_group_add", "group:clerks", user]);
    assert_eq!(download(&demo, id, &clerk).await.0, StatusCode::OK);
    task(&demo, &["privates_group_remove", "group:clerks", user]);
    assert_eq!(download(&demo, id, &clerk).await.0, StatusCode::FORBIDDEN);

    // Granted again directly: allowed again.
    task(&demo, &["privates_grant", PERMISSION, user]);
    assert_eq!(download(&demo, id, &clerk).await.0, StatusCode::OK);

    // The user deleted: the still-valid token no longer authenticates anyone.
    let clerk_user = demo.user("clerk@example.com").await;
    users::Entity::delete_by_id(clerk_user.id)
        .exec(&db)
        .await
        .unwrap();
    let (status, body) = download(&demo, id, &clerk).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.windows(second.len()).any(|w| w == second.as_slice()));
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_grant_of_a_permission_no_model_uses_is_refused() {
    let demo = Demo::start();
    let output = demo.run(&[
        "task",
        "privates_grant",
        "perm:docs.can_chnage_iddocument",
        "user:viewer@example.com",
    ]);
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("docs.can_chnage_iddocument"), "{text}");
    assert!(demo.permissions_of("viewer@example.com").await.is_empty());
    let listed = task(&demo, &["privates_permissions"]);
    assert!(listed.contains("docs.can_change_iddocument"), "{listed}");
    assert!(listed.contains("docs.view_mugshot"), "{listed}");
}

//! The demo keeps nothing between requests: a revoked permission, a deleted user and a
//! replaced file take effect on the very next download, while the session cookie stays the
//! same (the reads of `src/reads.rs` go to the database every time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, client, pdf};
use demo::models::{iddocuments, user_permissions, users};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

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
    let clerk_user = demo.user("clerk@example.com").await;
    let removed = user_permissions::Entity::delete_many()
        .filter(user_permissions::Column::UserId.eq(clerk_user.id))
        .exec(&db)
        .await
        .unwrap();
    assert!(removed.rows_affected > 0, "the clerk held a permission");
    let (status, body) = download(&demo, id, &clerk).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.windows(second.len()).any(|w| w == second.as_slice()));

    // Granted again: allowed again.
    user_permissions::ActiveModel {
        user_id: Set(clerk_user.id),
        permission: Set("docs.can_change_iddocument".into()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    assert_eq!(download(&demo, id, &clerk).await.0, StatusCode::OK);

    // The user deleted: the still-valid token no longer authenticates anyone.
    users::Entity::delete_by_id(clerk_user.id)
        .exec(&db)
        .await
        .unwrap();
    let (status, body) = download(&demo, id, &clerk).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.windows(second.len()).any(|w| w == second.as_slice()));
    db.close().await.unwrap();
}

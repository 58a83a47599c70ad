//! The authorization matrix, through real HTTP on the real demo: every kind of requester
//! against every kind of object, each cell with its exact status, and no byte of a private
//! file in any answer that is not a 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{COOKIE, Demo, client};
use demo::models::users;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};

/// The demo's JWT secret in `config/test.yaml` (base64, as loco's JWT wants).
const SECRET: &str = "PqRwLF2rhHe8J22oBeHyDemoOnlyChangeMe";
const OUTSIDE_SECRET: &[u8] = b"OUTSIDE-THE-ROOT-SECRET-BYTES";

#[derive(Clone, Copy, Debug)]
enum Who {
    AnonymousApi,
    AnonymousBrowser,
    Viewer,
    Clerk,
    Superuser,
    ExpiredSession,
    ForgedCookie,
}

#[derive(Clone, Copy, Debug)]
enum Object {
    Existing,
    UnknownPk,
    MalformedPk,
    EmptyField,
    MissingFile,
    Traversal,
    Absolute,
    SymlinkOutside,
}

const WHO: [Who; 7] = [
    Who::AnonymousApi,
    Who::AnonymousBrowser,
    Who::Viewer,
    Who::Clerk,
    Who::Superuser,
    Who::ExpiredSession,
    Who::ForgedCookie,
];

const OBJECTS: [Object; 8] = [
    Object::Existing,
    Object::UnknownPk,
    Object::MalformedPk,
    Object::EmptyField,
    Object::MissingFile,
    Object::Traversal,
    Object::Absolute,
    Object::SymlinkOutside,
];

/// The one rule of the matrix: who is asked first, then what they may do, then the object.
fn expected(who: Who, object: Object) -> StatusCode {
    match who {
        Who::AnonymousApi | Who::ExpiredSession | Who::ForgedCookie => StatusCode::UNAUTHORIZED,
        Who::AnonymousBrowser => StatusCode::FOUND,
        Who::Viewer => StatusCode::FORBIDDEN,
        Who::Clerk | Who::Superuser => match object {
            Object::Existing => StatusCode::OK,
            _ => StatusCode::NOT_FOUND,
        },
    }
}

struct Fixture {
    demo: Demo,
    pks: Vec<(Object, String)>,
    pdf: Vec<u8>,
    cookies: Vec<(Who, Option<String>)>,
}

async fn pid_of(demo: &Demo, email: &str) -> String {
    let db = Database::connect(demo.database_url()).await.unwrap();
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    db.close().await.unwrap();
    user.pid.to_string()
}

async fn fixture() -> Fixture {
    let demo = Demo::start();
    let seeded = demo.doc(1).await;
    let pdf = demo.read(seeded.pdf.as_deref().unwrap());

    let outside = demo.temp().join("outside.pdf");
    std::fs::write(&outside, OUTSIDE_SECRET).unwrap();
    std::os::unix::fs::symlink(&outside, demo.private.join("escape.pdf")).unwrap();
    let mugshot = seeded.mugshot.clone();
    let mut pks = vec![
        (Object::Existing, "1".to_string()),
        (Object::UnknownPk, "9999".to_string()),
        (Object::MalformedPk, "not-a-key".to_string()),
    ];
    for (object, pdf_name) in [
        (Object::EmptyField, None),
        (Object::MissingFile, Some("docs/never-saved.pdf")),
        (Object::Traversal, Some("../../etc/passwd")),
        (Object::Absolute, Some("/etc/passwd")),
        (Object::SymlinkOutside, Some("escape.pdf")),
    ] {
        let id = demo.insert_doc("matrix", pdf_name, &mugshot).await;
        pks.push((object, id.to_string()));
    }

    let mut cookies = vec![(Who::AnonymousApi, None), (Who::AnonymousBrowser, None)];
    for (who, email, password) in [
        (Who::Viewer, "viewer@example.com", "viewer"),
        (Who::Clerk, "clerk@example.com", "clerk"),
        (Who::Superuser, "admin@example.com", "admin"),
    ] {
        cookies.push((who, Some(demo.login(email, password).await)));
    }
    let clerk = pid_of(&demo, "clerk@example.com").await;
    // Valid signature, expiring now: stale by the time it is used (loco allows no leeway).
    let expired = loco_rs::auth::jwt::JWT::new(SECRET)
        .generate_token(0, clerk.clone(), serde_json::Map::new())
        .unwrap();
    let forged = loco_rs::auth::jwt::JWT::new("Rm9yZ2VkU2VjcmV0Rm9yZ2VkU2VjcmV0")
        .generate_token(3600, clerk, serde_json::Map::new())
        .unwrap();
    cookies.push((Who::ExpiredSession, Some(format!("{COOKIE}={expired}"))));
    cookies.push((Who::ForgedCookie, Some(format!("{COOKIE}={forged}"))));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    Fixture {
        demo,
        pks,
        pdf,
        cookies,
    }
}

fn leaks(body: &[u8], secret: &[u8]) -> bool {
    !secret.is_empty() && body.windows(secret.len()).any(|window| window == secret)
}

#[tokio::test]
async fn every_requester_against_every_object() {
    let fx = fixture().await;
    let passwd = std::fs::read("/etc/passwd").unwrap_or_default();
    let passwd_line = passwd
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default()
        .to_vec();
    let mut failures = Vec::new();
    let mut cells = 0;
    for (who, cookie) in &fx.cookies {
        for (object, pk) in &fx.pks {
            let path = format!("/admin/docs/iddocument/{pk}/pdf/");
            let accept = match who {
                Who::AnonymousBrowser => "text/html,application/xhtml+xml",
                _ => "application/json",
            };
            let mut request = client().get(fx.demo.url(&path)).header("accept", accept);
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let body = response.bytes().await.unwrap();
            cells += 1;
            let want = expected(*who, *object);
            if status != want {
                failures.push(format!("{who:?} × {object:?}: {status}, expected {want}"));
            }
            if status == StatusCode::OK {
                if body.as_ref() != fx.pdf.as_slice() {
                    failures.push(format!("{who:?} × {object:?}: 200 with other bytes"));
                }
            } else if leaks(&body, &fx.pdf)
                || leaks(&body, OUTSIDE_SECRET)
                || leaks(&body, &passwd_line)
            {
                failures.push(format!("{who:?} × {object:?}: {status} leaked file bytes"));
            }
            if status == StatusCode::FOUND {
                let expected_location = format!("/login?next={}", path.replace('/', "%2F"));
                if location.as_deref() != Some(expected_location.as_str()) {
                    failures.push(format!("{who:?} × {object:?}: redirect to {location:?}"));
                }
            }
        }
    }
    assert_eq!(cells, WHO.len() * OBJECTS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

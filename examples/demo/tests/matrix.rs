//! The authorization matrix, through real HTTP on the real demo: every kind of requester
//! against every kind of object and both private fields (the PDF needs the model's permission,
//! the mugshot its own per-field `docs.view_mugshot`), each cell with its exact status, and no
//! byte of a private file in any answer that is not a 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{COOKIE, Demo, client};
use demo::models::iddocuments;
use privates::{Field, PrivateMedia};
use reqwest::StatusCode;

type Doc = iddocuments::Model;

/// The demo's JWT secret in `config/test.yaml` (base64, as loco's JWT wants).
const SECRET: &str = "PqRwLF2rhHe8J22oBeHyDemoOnlyChangeMe";
const OUTSIDE_SECRET: &[u8] = b"OUTSIDE-THE-ROOT-SECRET-BYTES";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    AnonymousApi,
    AnonymousBrowser,
    Viewer,
    Clerk,
    /// A user holding only the mugshot's per-field permission.
    FieldOnly,
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

const WHO: [Who; 8] = [
    Who::AnonymousApi,
    Who::AnonymousBrowser,
    Who::Viewer,
    Who::Clerk,
    Who::FieldOnly,
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

/// The private fields, each with the permission its downloads need.
const FIELDS: [Field<Doc>; 2] = [Doc::PDF, Doc::MUGSHOT];

/// The per-field permission the demo declares on the mugshot.
const MUGSHOT_PERMISSION: &str = "docs.view_mugshot";

/// The one rule of the matrix: who is asked first, then whether they hold the field's
/// permission (`held`: theirs, read from the database), then the object.
fn expected(who: Who, held: &[String], object: Object, field: Field<Doc>) -> StatusCode {
    let permission = Doc::permission_for(&field);
    match who {
        Who::AnonymousApi | Who::ExpiredSession | Who::ForgedCookie => StatusCode::UNAUTHORIZED,
        Who::AnonymousBrowser => StatusCode::FOUND,
        _ if who != Who::Superuser && !held.iter().any(|p| p == permission) => {
            StatusCode::FORBIDDEN
        }
        _ => match object {
            Object::Existing => StatusCode::OK,
            _ => StatusCode::NOT_FOUND,
        },
    }
}

struct Fixture {
    demo: Demo,
    pks: Vec<(Object, String)>,
    /// The bytes of document 1's file of each field.
    files: Vec<(Field<Doc>, Vec<u8>)>,
    /// Each requester's cookie and the permissions they hold.
    cookies: Vec<(Who, Option<String>, Vec<String>)>,
}

async fn fixture() -> Fixture {
    let demo = Demo::start();
    let seeded = demo.doc(1).await;
    let files = vec![
        (Doc::PDF, demo.read(seeded.pdf.as_deref().unwrap())),
        (Doc::MUGSHOT, demo.read(&seeded.mugshot)),
    ];

    let outside = demo.temp().join("outside.pdf");
    std::fs::write(&outside, OUTSIDE_SECRET).unwrap();
    std::os::unix::fs::symlink(&outside, demo.private.join("escape.pdf")).unwrap();
    let mut pks = vec![
        (Object::Existing, "1".to_string()),
        (Object::UnknownPk, "9999".to_string()),
        (Object::MalformedPk, "not-a-key".to_string()),
    ];
    // Each object's row carries the same kind of name in both fields.
    for (object, name) in [
        (Object::EmptyField, None),
        (Object::MissingFile, Some("docs/never-saved.pdf")),
        (Object::Traversal, Some("../../etc/passwd")),
        (Object::Absolute, Some("/etc/passwd")),
        (Object::SymlinkOutside, Some("escape.pdf")),
    ] {
        let id = demo
            .insert_doc("matrix", name, name.unwrap_or_default())
            .await;
        pks.push((object, id.to_string()));
    }

    demo.add_user("mugshots@example.com", "mugshots", &[MUGSHOT_PERMISSION])
        .await;
    let mut cookies = vec![
        (Who::AnonymousApi, None, Vec::new()),
        (Who::AnonymousBrowser, None, Vec::new()),
    ];
    for (who, email, password) in [
        (Who::Viewer, "viewer@example.com", "viewer"),
        (Who::Clerk, "clerk@example.com", "clerk"),
        (Who::FieldOnly, "mugshots@example.com", "mugshots"),
        (Who::Superuser, "admin@example.com", "admin"),
    ] {
        let held = demo.permissions_of(email).await;
        cookies.push((who, Some(demo.login(email, password).await), held));
    }
    let clerk = demo.user("clerk@example.com").await.pid.to_string();
    let clerk_held = demo.permissions_of("clerk@example.com").await;
    // Valid signature, expiring now: stale by the time it is used (loco allows no leeway).
    let expired = loco_rs::auth::jwt::JWT::new(SECRET)
        .generate_token(0, clerk.clone(), serde_json::Map::new())
        .unwrap();
    let forged = loco_rs::auth::jwt::JWT::new("Rm9yZ2VkU2VjcmV0Rm9yZ2VkU2VjcmV0")
        .generate_token(3600, clerk, serde_json::Map::new())
        .unwrap();
    cookies.push((
        Who::ExpiredSession,
        Some(format!("{COOKIE}={expired}")),
        clerk_held.clone(),
    ));
    cookies.push((
        Who::ForgedCookie,
        Some(format!("{COOKIE}={forged}")),
        clerk_held,
    ));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    Fixture {
        demo,
        pks,
        files,
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
    for (who, cookie, held) in &fx.cookies {
        for (object, pk) in &fx.pks {
            for (field, bytes) in &fx.files {
                let field = *field;
                let path = format!("/admin/docs/iddocument/{pk}/{}/", field.name());
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
                let cell = format!("{who:?} × {object:?} × {}", field.name());
                let want = expected(*who, held, *object, field);
                if status != want {
                    failures.push(format!("{cell}: {status}, expected {want}"));
                }
                if status == StatusCode::OK {
                    if body.as_ref() != bytes.as_slice() {
                        failures.push(format!("{cell}: 200 with other bytes"));
                    }
                } else if fx.files.iter().any(|(_, file)| leaks(&body, file))
                    || leaks(&body, OUTSIDE_SECRET)
                    || leaks(&body, &passwd_line)
                {
                    failures.push(format!("{cell}: {status} leaked file bytes"));
                }
                if status == StatusCode::FOUND {
                    let expected_location = format!("/login?next={}", path.replace('/', "%2F"));
                    if location.as_deref() != Some(expected_location.as_str()) {
                        failures.push(format!("{cell}: redirect to {location:?}"));
                    }
                }
            }
        }
    }
    assert_eq!(cells, WHO.len() * OBJECTS.len() * FIELDS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The row the matrix exists for: a user with only the mugshot's per-field permission gets
/// the mugshot (200, its bytes) and nothing else (403 on the PDF, whatever the object).
#[tokio::test]
async fn a_per_field_permission_opens_that_field_only() {
    assert_eq!(Doc::permission_for(&Doc::MUGSHOT), MUGSHOT_PERMISSION);
    assert_ne!(Doc::permission_for(&Doc::PDF), MUGSHOT_PERMISSION);
    let fx = fixture().await;
    let (_, cookie, held) = fx
        .cookies
        .iter()
        .find(|(who, _, _)| *who == Who::FieldOnly)
        .unwrap();
    assert_eq!(held, &[MUGSHOT_PERMISSION.to_owned()]);
    let cookie = cookie.as_deref().unwrap();
    for (field, status) in [
        (Doc::MUGSHOT, StatusCode::OK),
        (Doc::PDF, StatusCode::FORBIDDEN),
    ] {
        for pk in ["1", "9999", "not-a-key"] {
            let path = format!("/admin/docs/iddocument/{pk}/{}/", field.name());
            let response = client()
                .get(fx.demo.url(&path))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            let want = match (status, pk) {
                (StatusCode::OK, "1") => StatusCode::OK,
                (StatusCode::OK, _) => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(response.status(), want, "{path}");
            let body = response.bytes().await.unwrap();
            if want == StatusCode::OK {
                assert_eq!(body.as_ref(), fx.files[1].1.as_slice(), "{path}");
            } else {
                assert!(!fx.files.iter().any(|(_, f)| leaks(&body, f)), "{path}");
            }
        }
    }
}

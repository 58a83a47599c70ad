//! `jwt_claims`: loco's session token, verified with loco's rules the first time and
//! remembered after that, must answer exactly as full verification would on every request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::{Request, request::Parts};
use loco_rs::{
    app::AppContext,
    auth::jwt::JWT,
    config::{Auth, JWTLocation, JWTLocationConfig},
};
use privates_auth::jwt::jwt_claims;
use serde_json::{Map, json};

const SECRET: &str = "c2VjcmV0LWZvci10aGUtand0LXRlc3Rz";

async fn context(secret: &str) -> AppContext {
    let mut ctx = loco_rs::tests_cfg::app::get_app_context().await;
    ctx.config.auth = Some(Auth {
        jwt: Some(loco_rs::config::JWT {
            location: Some(JWTLocationConfig::Single(JWTLocation::Cookie {
                name: "session".into(),
            })),
            secret: secret.into(),
            expiration: 3600,
        }),
    });
    ctx
}

fn token(secret: &str, pid: &str, lifetime: u64) -> String {
    let mut claims = Map::new();
    claims.insert("role".into(), json!("clerk"));
    JWT::new(secret)
        .generate_token(lifetime, pid.into(), claims)
        .unwrap()
}

fn request(token: &str) -> Parts {
    Request::get("/")
        .header("cookie", format!("theme=dark; session={token}"))
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// Changes one character of the signature (the last segment) to another valid base64url one.
fn tampered(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_valid_token_gives_its_claims_every_time() {
    let ctx = context(SECRET).await;
    let token = token(SECRET, "user-1", 60);
    for _ in 0..3 {
        let claims = jwt_claims(&request(&token), &ctx).expect("valid token");
        assert_eq!(claims.pid, "user-1");
        assert_eq!(claims.claims.get("role"), Some(&json!("clerk")));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        assert!(claims.exp > now.as_secs());
    }
}

#[tokio::test]
async fn no_token_or_a_malformed_one_is_nobody() {
    let ctx = context(SECRET).await;
    let bare = Request::get("/").body(()).unwrap().into_parts().0;
    assert!(jwt_claims(&bare, &ctx).is_none());
    assert!(jwt_claims(&request("not.a.token"), &ctx).is_none());
    assert!(jwt_claims(&request(""), &ctx).is_none());
}

#[tokio::test]
async fn an_altered_token_is_refused_after_the_genuine_one_was_accepted() {
    let ctx = context(SECRET).await;
    let genuine = token(SECRET, "user-1", 60);
    assert!(jwt_claims(&request(&genuine), &ctx).is_some());
    let altered = tampered(&genuine);
    assert_ne!(altered, genuine);
    assert!(jwt_claims(&request(&altered), &ctx).is_none());
    // Another payload under the genuine signature.
    let other = token(SECRET, "user-2", 60);
    let (_, other_payload_and_sig) = other.split_once('.').unwrap();
    let (other_payload, _) = other_payload_and_sig.split_once('.').unwrap();
    let (header, rest) = genuine.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let spliced = format!("{header}.{other_payload}.{signature}");
    assert!(jwt_claims(&request(&spliced), &ctx).is_none());
    // The genuine token still works.
    assert_eq!(jwt_claims(&request(&genuine), &ctx).unwrap().pid, "user-1");
}

#[tokio::test]
async fn a_token_of_another_secret_is_refused_even_once_accepted_under_its_own() {
    let ours = context(SECRET).await;
    let theirs_secret = "YW5vdGhlci1zZWNyZXQtYWx0b2dldGhlcg==";
    let theirs = token(theirs_secret, "user-1", 60);
    assert!(jwt_claims(&request(&theirs), &ours).is_none());
    // Same shared store (a clone of the context), another secret in the config.
    let mut other = ours.clone();
    other.config.auth = context(theirs_secret).await.config.auth;
    assert!(jwt_claims(&request(&theirs), &other).is_some());
    assert!(jwt_claims(&request(&theirs), &ours).is_none());
}

#[tokio::test]
async fn a_remembered_token_stops_working_when_it_expires() {
    let ctx = context(SECRET).await;
    let short = token(SECRET, "user-1", 1);
    assert!(jwt_claims(&request(&short), &ctx).is_some());
    // Loco accepts a token up to and including its `exp` second.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert!(jwt_claims(&request(&short), &ctx).is_none());
    assert!(JWT::new(SECRET).validate(&short).is_err());
}

/// Where a request carries its token: a name, its headers, its URI.
type Sent<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn parts_of(headers: &[(&str, &str)], uri: &str) -> Parts {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap().into_parts().0
}

/// The token is read where `auth.jwt.location` says, as loco's own extractor reads it: a
/// bearer header, a query parameter, a cookie, or the first of a list that holds one; a token
/// elsewhere is nobody's.
#[tokio::test]
async fn the_token_is_read_from_the_configured_location_only() {
    let token = token(SECRET, "user-1", 60);
    let bearer = format!("Bearer {token}");
    let cookie = format!("session={token}");
    let query = format!("/doc?x=1&token={token}");
    let requests: [Sent<'_>; 3] = [
        ("bearer", &[("authorization", &bearer)], "/"),
        ("cookie", &[("cookie", &cookie)], "/"),
        ("query", &[], &query),
    ];
    let locations = [
        ("bearer", JWTLocationConfig::Single(JWTLocation::Bearer)),
        (
            "query",
            JWTLocationConfig::Single(JWTLocation::Query {
                name: "token".into(),
            }),
        ),
        (
            "cookie",
            JWTLocationConfig::Single(JWTLocation::Cookie {
                name: "session".into(),
            }),
        ),
    ];
    for (configured, location) in locations {
        let mut ctx = context(SECRET).await;
        let jwt = ctx.config.auth.as_mut().and_then(|auth| auth.jwt.as_mut());
        jwt.expect("the context has auth.jwt").location = Some(location);
        for (sent, headers, uri) in requests {
            let found = jwt_claims(&parts_of(headers, uri), &ctx).map(|claims| claims.pid);
            let expected = (sent == configured).then(|| "user-1".to_string());
            assert_eq!(found, expected, "configured {configured}, sent in {sent}");
        }
    }
    // A list: the first location that holds a token.
    let mut ctx = context(SECRET).await;
    let jwt = ctx.config.auth.as_mut().and_then(|auth| auth.jwt.as_mut());
    jwt.expect("the context has auth.jwt").location = Some(JWTLocationConfig::Multiple(vec![
        JWTLocation::Bearer,
        JWTLocation::Query {
            name: "token".into(),
        },
    ]));
    for (sent, headers, uri) in requests {
        let found = jwt_claims(&parts_of(headers, uri), &ctx).map(|claims| claims.pid);
        let expected = (sent != "cookie").then(|| "user-1".to_string());
        assert_eq!(
            found, expected,
            "a list of bearer and query, sent in {sent}"
        );
    }
    // Both present: the bearer token, listed first, is the one read.
    let other = format!("/doc?token={}", self::token(SECRET, "user-2", 60));
    let both = parts_of(&[("authorization", &bearer)], &other);
    assert_eq!(
        jwt_claims(&both, &ctx).map(|claims| claims.pid).as_deref(),
        Some("user-1")
    );
}

//! Loco's JWT session as an identity source, each token verified once per process.
//!
//! A session token is checked with loco's own rules ([`JWT::validate`]: HS512 under
//! `auth.jwt.secret`, expiry with no leeway) the first time it is seen. After that its claims
//! come from the app context's set of verified tokens, and only the expiry is checked again.
//! This is not a cache of any answer about the user: a token is valid or not for its whole
//! life, whatever happens to the user, so remembering that it verified is exactly as strict as
//! verifying it again. Who the user is and what they may do is still read by the authorizer on
//! every request. A token altered in any way is a different string, so it always goes through
//! full verification (and fails it). Verifying was the largest cost of an authorized download
//! after the database reads (HMAC-SHA512, two base64 decodes and two JSON parses per request).

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

use http::request::Parts;
use loco_rs::{
    app::AppContext,
    auth::jwt::JWT,
    controller::extractor::auth::{extract_token, get_jwt_from_config},
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Verified tokens kept per app context; when full, expired ones are dropped, and if that
/// frees nothing the whole set is (every later request verifies its token once more).
const CAPACITY: usize = 10_000;

/// The claims of a valid loco session token.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SessionClaims {
    /// The user's public id (loco's `pid`).
    pub pid: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Any other claims the app put in the token.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

/// Loco's JWT (bearer header, cookie or query, as `auth.jwt.location` says) as the identity
/// source: the claims of the request's valid token, `None` when there is none (missing,
/// malformed, forged, or expired).
///
/// Use it inside [`Authorizer::authenticate`](privates::Authorizer::authenticate) and look the
/// user up by `claims.pid`. See the [module docs](self) for how a token is verified once.
#[must_use]
pub fn jwt_claims(parts: &Parts, ctx: &AppContext) -> Option<SessionClaims> {
    // Loco's own extractor (`extract_jwt_from_request_parts`) clones the whole `AppContext`,
    // config included, on every call, and logs a bad token as an error; the same steps on a
    // borrowed config cost a fraction and keep a forged cookie out of the error log.
    let config = get_jwt_from_config(ctx).ok()?;
    let token = extract_token(config, parts).ok()?;
    let now = jsonwebtoken::get_current_timestamp();
    let verified = VerifiedTokens::of(ctx);
    if let Some(claims) = verified.get(&config.secret, &token, now) {
        return Some(claims);
    }
    let claims = verify(&config.secret, &token)?;
    verified.insert(&config.secret, token, claims.clone(), now);
    Some(claims)
}

/// Full verification with loco's rules, then the payload as [`SessionClaims`].
fn verify(secret: &str, token: &str) -> Option<SessionClaims> {
    if let Err(err) = JWT::new(secret).validate(token) {
        tracing::debug!(error = %err, "privates: the session token is not valid");
        return None;
    }
    // The signature has just been checked; this only reads the payload into our own type
    // (loco's `UserClaims` keeps `exp` private and cannot be cloned).
    match jsonwebtoken::dangerous::insecure_decode::<SessionClaims>(token) {
        Ok(data) => Some(data.claims),
        Err(err) => {
            tracing::debug!(error = %err, "privates: the session token's claims are malformed");
            None
        }
    }
}

/// The tokens of one app context that passed full verification, with their claims.
#[derive(Clone, Debug, Default)]
struct VerifiedTokens {
    inner: Arc<RwLock<Verified>>,
}

#[derive(Debug, Default)]
struct Verified {
    /// The secret every token here was verified under; another secret starts afresh.
    secret: String,
    tokens: HashMap<Box<str>, SessionClaims>,
}

impl VerifiedTokens {
    /// The set kept in `ctx`'s shared store (made on first use).
    fn of(ctx: &AppContext) -> Self {
        if let Some(verified) = ctx.shared_store.get::<Self>() {
            return verified;
        }
        let verified = Self::default();
        ctx.shared_store.insert(verified.clone());
        verified
    }

    /// The claims of `token` if it verified under `secret` and has not expired at `now`.
    fn get(&self, secret: &str, token: &str, now: u64) -> Option<SessionClaims> {
        let verified = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        if verified.secret != secret {
            return None;
        }
        // Loco validates with no leeway: a token is good up to and including its `exp`.
        verified
            .tokens
            .get(token)
            .filter(|claims| claims.exp >= now)
            .cloned()
    }

    fn insert(&self, secret: &str, token: String, claims: SessionClaims, now: u64) {
        let mut verified = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if verified.secret != secret {
            verified.secret = secret.to_owned();
            verified.tokens.clear();
        }
        if verified.tokens.len() >= CAPACITY {
            verified.tokens.retain(|_, claims| claims.exp >= now);
            if verified.tokens.len() >= CAPACITY {
                verified.tokens.clear();
            }
        }
        verified.tokens.insert(token.into_boxed_str(), claims);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .tokens
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn claims(pid: &str, exp: u64) -> SessionClaims {
        SessionClaims {
            pid: pid.into(),
            exp,
            claims: Map::new(),
        }
    }

    #[test]
    fn a_verified_token_is_remembered_until_it_expires() {
        let verified = VerifiedTokens::default();
        verified.insert("s", "t".into(), claims("p", 100), 50);
        assert_eq!(verified.get("s", "t", 100), Some(claims("p", 100)));
        assert_eq!(verified.get("s", "t", 101), None);
        assert_eq!(verified.get("s", "u", 50), None);
    }

    #[test]
    fn another_secret_finds_nothing_and_starts_afresh() {
        let verified = VerifiedTokens::default();
        verified.insert("s", "t".into(), claims("p", 100), 50);
        assert_eq!(verified.get("other", "t", 50), None);
        verified.insert("other", "u".into(), claims("q", 100), 50);
        assert_eq!(verified.get("s", "t", 50), None);
        assert_eq!(verified.len(), 1);
    }

    #[test]
    fn the_set_never_outgrows_its_capacity() {
        let verified = VerifiedTokens::default();
        for n in 0..CAPACITY {
            // Half of them expire at 10.
            let exp = if n % 2 == 0 { 10 } else { 1_000 };
            verified.insert("s", format!("t{n}"), claims("p", exp), 5);
        }
        assert_eq!(verified.len(), CAPACITY);
        // Full at time 20: the expired half goes, the new token stays.
        verified.insert("s", "new".into(), claims("p", 1_000), 20);
        assert_eq!(verified.len(), CAPACITY / 2 + 1);
        assert!(verified.get("s", "new", 20).is_some());
        assert!(verified.get("s", "t1", 20).is_some());
        // Full of live tokens: everything goes but the newest.
        for n in 0..CAPACITY {
            verified.insert("s", format!("u{n}"), claims("p", 1_000), 20);
        }
        assert!(verified.len() <= CAPACITY);
        assert!(
            verified
                .get("s", &format!("u{}", CAPACITY - 1), 20)
                .is_some()
        );
    }
}

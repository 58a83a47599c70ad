//! [`StoreAuthorizer`]: privates' [`Authorizer`] over loco's JWT and the store's tables.
//!
//! Register it: `PrivatesInitializer::new(privates_auth::StoreAuthorizer)`. Each request
//! reads the token (wherever `auth.jwt.location` says: bearer header, cookie or query, see
//! [`jwt`](crate::jwt)), then, in **one query**, the user by the token's `pid`, whether they
//! are a superuser, their session epoch and every permission they hold directly or through
//! a group. Nothing is kept between requests: a revoked grant, a removed membership, a
//! deleted user or a log-out-everywhere takes effect on the next request.

use std::collections::BTreeSet;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use loco_rs::app::AppContext;
use privates::Authorizer;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::Error,
    held::{self, UserKey},
    jwt::jwt_claims,
    session::EPOCH_CLAIM,
};

/// The store's [`Authorizer`]: see the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreAuthorizer;

/// A logged-in user and what they hold, as read for one request.
///
/// Also an axum extractor (with `AppContext` as the router state) for the app's own
/// handlers: `StoreUser` answers 401 without a valid session, `Option<StoreUser>` is `None`.
///
/// ```
/// use axum::response::{IntoResponse, Response};
/// use http::StatusCode;
/// use loco_rs::controller::Routes;
/// use privates_auth::StoreUser;
///
/// async fn report(user: StoreUser) -> Response {
///     if !user.holds("finance.view_report") {
///         return StatusCode::FORBIDDEN.into_response();
///     }
///     format!("the report, for user {}", user.id).into_response()
/// }
///
/// let routes = Routes::new().add("/report", axum::routing::get(report));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreUser {
    /// loco's `users.id`.
    pub id: i32,
    /// loco's `users.pid` (the session token's subject).
    pub pid: Uuid,
    /// Holds every permission.
    pub superuser: bool,
    permissions: BTreeSet<String>,
}

impl StoreUser {
    /// Whether the user holds `permission`: a superuser holds every one.
    #[must_use]
    pub fn holds(&self, permission: &str) -> bool {
        self.superuser || self.permissions.contains(permission)
    }

    /// The permissions granted to the user or their groups, sorted (a superuser's "every
    /// permission" is not listed).
    pub fn permissions(&self) -> impl Iterator<Item = &str> {
        self.permissions.iter().map(String::as_str)
    }
}

/// The logged-in user of a request, `None` without a valid session: no token, a forged or
/// expired one, one of a user that no longer exists, or one from before the user's last
/// log-out-everywhere (its [`EPOCH_CLAIM`] is not their current epoch).
///
/// # Errors
/// When the database fails.
pub async fn current_user(parts: &Parts, ctx: &AppContext) -> Result<Option<StoreUser>, Error> {
    let Some(claims) = jwt_claims(parts, ctx) else {
        return Ok(None);
    };
    // loco's pids are UUIDs; anything else names nobody.
    let Ok(pid) = Uuid::parse_str(&claims.pid) else {
        return Ok(None);
    };
    // No claim is epoch 0; a claim that is not an integer matches no epoch.
    let epoch = claims
        .claims
        .get(EPOCH_CLAIM)
        .map_or(Some(0), Value::as_i64);
    let Some(held) = held::read_for_request(ctx, UserKey::Pid(pid)).await? else {
        return Ok(None);
    };
    if epoch != Some(i64::from(held.epoch)) {
        return Ok(None);
    }
    Ok(Some(StoreUser {
        id: held.id,
        pid,
        superuser: held.superuser,
        permissions: held
            .grants
            .into_iter()
            .map(|(permission, _)| permission)
            .collect(),
    }))
}

#[async_trait::async_trait]
impl Authorizer for StoreAuthorizer {
    type User = StoreUser;

    async fn authenticate(
        &self,
        parts: &Parts,
        ctx: &AppContext,
    ) -> loco_rs::Result<Option<StoreUser>> {
        Ok(current_user(parts, ctx).await?)
    }

    async fn has_permission(
        &self,
        user: &StoreUser,
        permission: &str,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(user.holds(permission))
    }

    /// loco's `users.id`, as the audit records it.
    fn user_id(&self, user: &StoreUser) -> Option<String> {
        Some(user.id.to_string())
    }
}

impl FromRequestParts<AppContext> for StoreUser {
    type Rejection = loco_rs::Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        current_user(parts, ctx)
            .await?
            .ok_or_else(|| loco_rs::Error::Unauthorized("no valid session".to_owned()))
    }
}

impl OptionalFromRequestParts<AppContext> for StoreUser {
    type Rejection = loco_rs::Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(current_user(parts, ctx).await?)
    }
}

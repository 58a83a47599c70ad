//! Who the user is (loco's JWT in the `demo_session` cookie) and what they may do (the
//! `user_permissions` table), answered for privates.
//!
//! Nothing is kept between requests: each request reads the user and their permissions in one
//! query (through [`Reads`] on a database file), so a revoked permission, a deleted user or a
//! logout (the user's session version, compared with the token's) takes effect on the very
//! next request, downloads included.

use http::request::Parts;
use loco_rs::app::AppContext;
use privates::permissions::Authorizer;
use privates_auth::jwt::jwt_claims;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    controllers::session::SESSION_VERSION_CLAIM,
    models::{user_permissions, users},
    reads::Reads,
};

/// The demo's permission store.
#[derive(Clone, Copy, Debug, Default)]
pub struct DemoAuthorizer;

/// A logged-in user and the permissions they hold, as read for one request.
#[derive(Clone, Debug)]
pub struct SessionUser {
    /// The user.
    pub user: users::Model,
    /// Their permissions (`app_label.codename`).
    pub permissions: Vec<String>,
}

impl SessionUser {
    /// Whether the user holds `permission` (superusers hold all).
    #[must_use]
    pub fn holds(&self, permission: &str) -> bool {
        self.user.is_superuser || self.permissions.iter().any(|held| held == permission)
    }
}

#[async_trait::async_trait]
impl Authorizer for DemoAuthorizer {
    type User = SessionUser;

    async fn authenticate(
        &self,
        parts: &Parts,
        ctx: &AppContext,
    ) -> loco_rs::Result<Option<SessionUser>> {
        session_user(parts, ctx).await
    }

    async fn has_permission(
        &self,
        user: &SessionUser,
        permission: &str,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(user.holds(permission))
    }
}

/// The logged-in user of a request with their permissions (one query), `None` without a
/// valid session: no token, a forged or expired one, or one from before the user's last
/// logout (its session version is not the user's).
///
/// # Errors
/// When the database fails.
pub async fn session_user(parts: &Parts, ctx: &AppContext) -> loco_rs::Result<Option<SessionUser>> {
    let Some(claims) = jwt_claims(parts, ctx) else {
        return Ok(None);
    };
    let Ok(pid) = claims.pid.parse::<uuid::Uuid>() else {
        return Ok(None);
    };
    let version = claims
        .claims
        .get(SESSION_VERSION_CLAIM)
        .and_then(serde_json::Value::as_i64);
    let current = |session: &SessionUser| Some(i64::from(session.user.session_version)) == version;
    if let Some(reads) = Reads::from_ctx(ctx) {
        return reads
            .session_user(pid)
            .map(|session| session.filter(current))
            .map_err(loco_rs::Error::wrap);
    }
    let found = users::Entity::find()
        .filter(users::Column::Pid.eq(pid))
        .find_with_related(user_permissions::Entity)
        .all(&ctx.db)
        .await?;
    Ok(found
        .into_iter()
        .next()
        .map(|(user, permissions)| SessionUser {
            user,
            permissions: permissions.into_iter().map(|row| row.permission).collect(),
        })
        .filter(current))
}

/// The logged-in user of a request, `None` without a valid session.
///
/// # Errors
/// When the database fails.
pub async fn current_user(
    parts: &Parts,
    ctx: &AppContext,
) -> loco_rs::Result<Option<users::Model>> {
    Ok(session_user(parts, ctx).await?.map(|session| session.user))
}

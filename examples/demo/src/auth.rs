//! Who the user is (loco's JWT in the `demo_session` cookie) and what they may do (the
//! `user_permissions` table), answered for privates.

use http::request::Parts;
use loco_rs::app::AppContext;
use privates::permissions::{Authorizer, jwt_claims};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::models::{user_permissions, users};

/// The demo's permission store.
#[derive(Clone, Copy, Debug, Default)]
pub struct DemoAuthorizer;

#[async_trait::async_trait]
impl Authorizer for DemoAuthorizer {
    type User = users::Model;

    async fn authenticate(
        &self,
        parts: &Parts,
        ctx: &AppContext,
    ) -> loco_rs::Result<Option<users::Model>> {
        current_user(parts, ctx).await
    }

    async fn has_permission(
        &self,
        user: &users::Model,
        permission: &str,
        ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        has_permission(user, permission, ctx).await
    }
}

/// The logged-in user of a request, `None` without a valid session.
///
/// # Errors
/// When the database fails.
pub async fn current_user(
    parts: &Parts,
    ctx: &AppContext,
) -> loco_rs::Result<Option<users::Model>> {
    let Some(claims) = jwt_claims(parts, ctx) else {
        return Ok(None);
    };
    let Ok(pid) = claims.pid.parse::<uuid::Uuid>() else {
        return Ok(None);
    };
    Ok(users::Entity::find()
        .filter(users::Column::Pid.eq(pid))
        .one(&ctx.db)
        .await?)
}

/// Whether `user` holds `permission` (superusers hold all).
///
/// # Errors
/// When the database fails.
pub async fn has_permission(
    user: &users::Model,
    permission: &str,
    ctx: &AppContext,
) -> loco_rs::Result<bool> {
    if user.is_superuser {
        return Ok(true);
    }
    let held = user_permissions::Entity::find()
        .filter(user_permissions::Column::UserId.eq(user.id))
        .filter(user_permissions::Column::Permission.eq(permission))
        .count(&ctx.db)
        .await?;
    Ok(held > 0)
}

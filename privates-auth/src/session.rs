//! Session tokens that end everywhere at once: each user has a session epoch
//! ([`session_epochs`]); a token minted here carries the epoch
//! current at login ([`EPOCH_CLAIM`]), and [`StoreAuthorizer`](crate::StoreAuthorizer) refuses
//! a token whose epoch is not the user's current one, in the same query that reads the user.
//! [`log_out_everywhere`] moves the epoch on, so every token issued before (a copied cookie
//! included) stops working on the next request.
//!
//! A token without the claim (minted by loco's own login, say) counts as epoch 0: it works
//! until the user's first log-out-everywhere.
//!
//! ```no_run
//! # async fn handlers(ctx: &loco_rs::app::AppContext, user_id: i32, pid: uuid::Uuid)
//! #     -> Result<(), privates_auth::Error> {
//! // In the login handler, once the password matched (`user_id`, `pid`: loco's `users` row):
//! let token = privates_auth::session::token_for(ctx, user_id, &pid).await?;
//! // In the logout handler:
//! privates_auth::session::log_out_everywhere(&ctx.db, user_id).await?;
//! # Ok(())
//! # }
//! ```

use loco_rs::{app::AppContext, auth::jwt::JWT};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, EntityTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{entities::session_epochs, error::Error};

/// The claim of a session token that holds the epoch it was minted in.
pub const EPOCH_CLAIM: &str = "privates_epoch";

/// The user's current session epoch (0 before their first log-out-everywhere).
///
/// # Errors
/// When the database fails.
pub async fn current_epoch(db: &impl ConnectionTrait, user_id: i32) -> Result<i32, Error> {
    Ok(session_epochs::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map_or(0, |row| row.epoch))
}

/// The claims to put in a new session token of the user: their current epoch.
///
/// # Errors
/// When the database fails.
pub async fn claims_for(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Map<String, Value>, Error> {
    let mut claims = Map::new();
    claims.insert(
        EPOCH_CLAIM.to_owned(),
        Value::from(current_epoch(db, user_id).await?),
    );
    Ok(claims)
}

/// A new session token of the user (`user_id` is loco's `users.id`, `pid` its `users.pid`),
/// signed with loco's `auth.jwt.secret`, valid for `auth.jwt.expiration` seconds, and
/// carrying the current epoch. Send it where `auth.jwt.location` says.
///
/// # Errors
/// [`Error::Token`] without `auth.jwt` in the config or when signing fails;
/// [`Error::Database`].
pub async fn token_for(ctx: &AppContext, user_id: i32, pid: &Uuid) -> Result<String, Error> {
    let jwt = ctx
        .config
        .get_jwt_config()
        .map_err(|err| Error::Token(err.to_string()))?;
    let claims = claims_for(&ctx.db, user_id).await?;
    JWT::new(&jwt.secret)
        .generate_token(jwt.expiration, pid.to_string(), claims)
        .map_err(|err| Error::Token(err.to_string()))
}

/// Ends every session token of the user issued so far: their epoch moves on by one.
///
/// # Errors
/// When the database fails (a user that does not exist fails the foreign key).
pub async fn log_out_everywhere(db: &impl ConnectionTrait, user_id: i32) -> Result<(), Error> {
    // One statement, so two simultaneous logouts both count: insert epoch 1, or add one.
    session_epochs::Entity::insert(session_epochs::ActiveModel {
        user_id: Set(user_id),
        epoch: Set(1),
    })
    .on_conflict(
        OnConflict::column(session_epochs::Column::UserId)
            .value(
                session_epochs::Column::Epoch,
                Expr::col((session_epochs::Entity, session_epochs::Column::Epoch)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

//! loco's auth controller, shaped for privates: `POST /api/auth/register`,
//! `POST /api/auth/login` (`{"token": ..., "pid": ...}`) and `GET /api/auth/csrf`.
//!
//! The login token is minted by privates-auth ([`privates_auth::session::token_for`]): it
//! carries the user's session epoch, so `privates_auth::session::log_out_everywhere` ends it.
//! API clients send it as `Authorization: Bearer <token>`; login also sets it as the `token`
//! cookie (`HttpOnly`, `SameSite=Lax`) for a browser's plain `<a href>` to a download. An
//! upload authenticated by that cookie alone must carry a CSRF token (`X-CSRFToken`, from
//! `GET /api/auth/csrf`); a bearer token cannot be forged cross-site and needs none.

use http::{HeaderValue, StatusCode, header};
use loco_rs::{controller::ErrorDetail, hash, prelude::*};
use privates_admin::csrf::CsrfToken;
use sea_orm::SqlErr;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::models::users;

/// The session cookie's name (also in `auth.jwt.location` of the config).
pub const COOKIE: &str = "token";

/// The body of register and login.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    /// The login name.
    pub email: String,
    /// The password, in clear (over TLS).
    pub password: String,
}

fn bad_request(description: &str) -> Error {
    Error::CustomError(
        StatusCode::BAD_REQUEST,
        ErrorDetail::new("bad_request", description),
    )
}

async fn register(
    State(ctx): State<AppContext>,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    let email = credentials.email.trim();
    if !email.contains('@') {
        return Err(bad_request("email: not an email address"));
    }
    if credentials.password.len() < 8 {
        return Err(bad_request("password: at least 8 characters"));
    }
    let user = users::ActiveModel {
        pid: Set(Uuid::new_v4()),
        email: Set(email.to_owned()),
        password: Set(hash::hash_password(&credentials.password)?),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::CustomError(
            StatusCode::CONFLICT,
            ErrorDetail::new("conflict", "email: already registered"),
        ),
        _ => err.into(),
    })?;
    format::render()
        .status(StatusCode::CREATED)
        .json(json!({ "pid": user.pid, "email": user.email }))
}

async fn login(
    State(ctx): State<AppContext>,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(credentials.email.trim()))
        .one(&ctx.db)
        .await?;
    let verified = match &user {
        Some(user) => hash::verify_password(&credentials.password, &user.password),
        // Hash anyway, so that an unknown email costs what a wrong password costs.
        None => hash::hash_password(&credentials.password).is_err(),
    };
    let Some(user) = user.filter(|_| verified) else {
        return Err(Error::Unauthorized("unauthorized!".to_owned()));
    };
    let token = privates_auth::session::token_for(&ctx, user.id, &user.pid).await?;
    let expiration = ctx.config.get_jwt_config()?.expiration;
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={expiration}");
    let mut response = format::json(json!({ "token": token, "pid": user.pid }))?;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie)?);
    Ok(response)
}

/// The CSRF token of this browser (its `privates_csrf` cookie, set on this response when it
/// has none) and session (the `token` cookie).
async fn csrf(token: CsrfToken) -> Result<Response> {
    format::json(json!({ "csrf_token": token.as_str() }))
}

/// The auth routes.
#[must_use]
pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/auth")
        .add("/register", post(register))
        .add("/login", post(login))
        .add("/csrf", get(csrf))
}

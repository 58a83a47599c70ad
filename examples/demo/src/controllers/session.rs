//! `GET/POST /login` and `POST /logout`: a cookie session carrying loco's JWT.
//!
//! - The cookie is `HttpOnly; SameSite=Lax`, and both forms are CSRF-checked
//!   ([`CsrfForm`]: origin, and a token bound to the browser and its session), so another
//!   site can neither log a user out nor log them in as someone else (login CSRF).
//! - The token is minted by privates-auth ([`privates_auth::session::token_for`]) and carries
//!   the user's session epoch; logging out moves the epoch on
//!   ([`privates_auth::session::log_out_everywhere`]), so every token of the user ends on the
//!   server too, even if a copy of the cookie survives.
//! - A failed login costs the same for an unknown email as for a wrong password: the password
//!   is verified against a dummy hash ([`DUMMY_HASH`]), so response times do not tell which
//!   emails have accounts.

use std::sync::LazyLock;

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use loco_rs::{app::AppContext, controller::Routes, prelude::*};
use privates_admin::{CsrfForm, CsrfToken, pages::LoginPage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::pages::{HOME, layout, render};
use crate::models::users;

/// The session cookie's name (also in `auth.jwt.location` of the config).
pub const COOKIE: &str = "demo_session";
/// The login page.
pub const LOGIN: &str = "/login";

/// An Argon2 hash no password matches in practice, verified when the email is unknown so that
/// such a login costs what a wrong password costs. Computed once ([`warm_up`] at boot).
pub static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    loco_rs::hash::hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_else(|err| {
        tracing::warn!("demo: could not compute the dummy password hash: {err}");
        String::new()
    })
});

/// Computes [`DUMMY_HASH`] now, so that the first failed login is not slower than the others.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// The login page's query.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// The logout form: only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {}

/// `next` only ever leads to a path of this site: `//evil.example` or `https://...` would make
/// the login page an open redirect.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.contains('\\')
                && !next.chars().any(char::is_control) =>
        {
            next
        }
        _ => HOME,
    }
}

fn login_page(
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
    csrf: &CsrfToken,
) -> Result<Response> {
    render(
        status,
        &LoginPage {
            page: layout("Log in", None, csrf),
            action: LOGIN,
            email,
            next: Some(next),
            error,
        },
    )
}

async fn show(csrf: CsrfToken, Query(query): Query<NextQuery>) -> Result<Response> {
    login_page(
        StatusCode::OK,
        safe_next(query.next.as_deref()),
        "",
        None,
        &csrf,
    )
}

/// Whether `password` is `user`'s; for an unknown user the dummy hash is verified all the
/// same, and the answer is no.
fn password_matches(user: Option<&users::Model>, password: &str) -> bool {
    match user {
        Some(user) => loco_rs::hash::verify_password(password, &user.password),
        None => {
            let _ = loco_rs::hash::verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

async fn login(
    State(ctx): State<AppContext>,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim();
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&ctx.db)
        .await?;
    // One password verification either way: an unknown email is as slow as a wrong password.
    let matches = password_matches(user.as_ref(), &form.password);
    let Some(user) = user.filter(|_| matches) else {
        return login_page(
            StatusCode::UNAUTHORIZED,
            next,
            email,
            Some("Please enter the correct email and password."),
            &csrf,
        );
    };
    let token = privates_auth::session::token_for(&ctx, user.id, &user.pid).await?;
    let jwt = ctx.config.get_jwt_config()?;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        jwt.expiration
    );
    let mut response = Redirect::to(next).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie)?);
    Ok(response)
}

async fn logout(
    State(ctx): State<AppContext>,
    parts: Parts,
    CsrfForm(_): CsrfForm<LogoutForm>,
) -> Result<Response> {
    // Every token of this user issued so far stops working (also a copied cookie).
    if let Some(user) = privates_auth::authorizer::current_user(&parts, &ctx).await? {
        privates_auth::session::log_out_everywhere(&ctx.db, user.id).await?;
    }
    let mut response = Redirect::to(LOGIN).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("demo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

/// The logged-in user of a request (privates-auth reads the session), with the row the pages
/// show; `None` without a valid session.
///
/// # Errors
/// When the database fails.
pub async fn current_user(parts: &Parts, ctx: &AppContext) -> Result<Option<users::Model>> {
    let Some(user) = privates_auth::authorizer::current_user(parts, ctx).await? else {
        return Ok(None);
    };
    Ok(users::Entity::find_by_id(user.id).one(&ctx.db).await?)
}

/// The session routes, with privates-admin's security headers.
#[must_use]
pub fn routes() -> Routes {
    Routes::new()
        .add(LOGIN, get(show).post(login))
        .add("/logout", post(logout))
        .layer(axum::middleware::map_response(
            privates_admin::pages::admin_headers,
        ))
}

#[cfg(test)]
mod tests {
    use super::{HOME, safe_next};

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/admin/x/?a=1")), "/admin/x/?a=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad}");
        }
        assert_eq!(safe_next(None), HOME);
    }
}

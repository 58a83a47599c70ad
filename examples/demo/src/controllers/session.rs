//! `GET/POST /login` and `POST /logout`: a cookie session carrying loco's JWT.
//!
//! The cookie is `HttpOnly; SameSite=Lax` (see the [module docs](super) on CSRF).

use axum::{
    Form,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, StatusCode, header};
use loco_rs::{app::AppContext, controller::Routes, prelude::*};
use privates_admin::pages::LoginPage;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::pages::{HOME, layout, render};
use crate::models::users;

/// The session cookie's name (also in `auth.jwt.location` of the config).
pub const COOKIE: &str = "demo_session";
/// The login page.
pub const LOGIN: &str = "/login";

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
) -> Result<Response> {
    render(
        status,
        &LoginPage {
            page: layout("Log in", None),
            action: LOGIN,
            email,
            next: Some(next),
            error,
        },
    )
}

async fn show(Query(query): Query<NextQuery>) -> Result<Response> {
    login_page(StatusCode::OK, safe_next(query.next.as_deref()), "", None)
}

async fn login(State(ctx): State<AppContext>, Form(form): Form<LoginForm>) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim();
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&ctx.db)
        .await?;
    let Some(user) = user.filter(|u| loco_rs::hash::verify_password(&form.password, &u.password))
    else {
        return login_page(
            StatusCode::UNAUTHORIZED,
            next,
            email,
            Some("Please enter the correct email and password."),
        );
    };
    let jwt = ctx.config.get_jwt_config()?;
    let token = loco_rs::auth::jwt::JWT::new(&jwt.secret)
        .generate_token(jwt.expiration, user.pid.to_string(), serde_json::Map::new())
        .map_err(|err| Error::Message(err.to_string()))?;
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

async fn logout() -> Response {
    let mut response = Redirect::to(LOGIN).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("demo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

/// The session routes.
#[must_use]
pub fn routes() -> Routes {
    Routes::new()
        .add(LOGIN, get(show).post(login))
        .add("/logout", post(logout))
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

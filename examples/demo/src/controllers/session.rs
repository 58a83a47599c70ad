//! `GET/POST /login` and `POST /logout`: a cookie session carrying loco's JWT.

use axum::{
    Form,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, header};
use loco_rs::{app::AppContext, controller::Routes, prelude::*};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::html::{escape, page};
use crate::models::users;

/// The session cookie's name (also in `auth.jwt.location` of the config).
pub const COOKIE: &str = "demo_session";
/// Where a login goes when there is no (valid) `next`.
pub const HOME: &str = "/admin/docs/iddocument/";

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

fn login_page(next: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Log in",
        &format!(
            "<h1>Log in</h1>{error}<form method=\"post\" action=\"/login\">\
             <input type=\"hidden\" name=\"next\" value=\"{}\">\
             <p><label>Email <input type=\"email\" name=\"email\" required></label></p>\
             <p><label>Password <input type=\"password\" name=\"password\" required></label></p>\
             <p><button type=\"submit\">Log in</button></p></form>",
            escape(next)
        ),
    )
    .into_response()
}

async fn show(Query(query): Query<NextQuery>) -> Response {
    login_page(safe_next(query.next.as_deref()), None)
}

async fn login(State(ctx): State<AppContext>, Form(form): Form<LoginForm>) -> Result<Response> {
    let next = safe_next(form.next.as_deref());
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(form.email.trim()))
        .one(&ctx.db)
        .await?;
    let Some(user) = user.filter(|u| loco_rs::hash::verify_password(&form.password, &u.password))
    else {
        let mut response = login_page(next, Some("Wrong email or password."));
        *response.status_mut() = http::StatusCode::UNAUTHORIZED;
        return Ok(response);
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
    let mut response = Redirect::to("/login").into_response();
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
        .add("/login", get(show).post(login))
        .add("/logout", post(logout))
}

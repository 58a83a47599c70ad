//! Rendering: the layout every page shares and the HTML error pages. Every page carries a
//! CSRF token (its logout form and any other form post it), and the page routes carry
//! privates-admin's security headers ([`privates_admin::pages::admin_headers`]).

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use loco_rs::{Error, Result};
use privates_admin::{
    CsrfToken,
    pages::{ErrorPage, Page},
};

use crate::models::users;

/// The site's name in the header and the window title.
pub const SITE_TITLE: &str = "privates demo";
/// Where the site's name links, and where a login goes without a (valid) `next`.
pub const HOME: &str = "/admin/docs/iddocument/";
/// The logout form's action.
pub const LOGOUT: &str = "/logout";

/// The layout of a page titled `title`, for `user` (`None`: anonymous), its forms carrying
/// `csrf`.
#[must_use]
pub fn layout<'a>(title: &'a str, user: Option<&'a users::Model>, csrf: &'a CsrfToken) -> Page<'a> {
    let mut page = Page::new(title).csrf_token(csrf.as_str());
    page.site_title = SITE_TITLE;
    page.home_url = HOME;
    match user {
        Some(user) => page.user(&user.email).logout_url(LOGOUT),
        None => page,
    }
}

/// Renders `template` as an HTML response with `status`.
///
/// # Errors
/// When the template fails to render.
pub fn render(status: StatusCode, template: &impl Template) -> Result<Response> {
    let html = template
        .render()
        .map_err(|err| Error::Message(format!("rendering a page failed: {err}")))?;
    Ok((status, Html(html)).into_response())
}

/// The HTML error page for `status` (403, 404, 413...) saying `message`.
///
/// # Errors
/// When the template fails to render.
pub fn error_page(
    status: StatusCode,
    message: &str,
    user: Option<&users::Model>,
    csrf: &CsrfToken,
) -> Result<Response> {
    let title = match status {
        StatusCode::FORBIDDEN => "Permission denied",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::PAYLOAD_TOO_LARGE => "Upload too large",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    render(
        status,
        &ErrorPage {
            page: layout(title, user, csrf),
            status: status.as_u16(),
            message,
        },
    )
}

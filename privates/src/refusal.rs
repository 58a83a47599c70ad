//! The answers to a refused request, shared by the download view and admin pages: in loco's
//! JSON error shape (`{"error": "...", "description": "..."}`) for a client that asks for
//! JSON, plain text otherwise, and the login redirect for a browser when a `login_url` is set.

use axum::{
    Json,
    extract::OriginalUri,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use loco_rs::controller::ErrorDetail;

use crate::urls;

/// The outcome of authenticating a request and checking one permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nobody is logged in.
    Anonymous,
    /// Logged in, without the permission.
    Forbidden,
    /// Logged in, with the permission.
    Allowed,
}

impl Decision {
    /// The response refusing the request: `None` when it is allowed. Anonymous: 401, or for a
    /// browser (`Accept: text/html`) a 302 to `login_url?next=<the requested path>` when a
    /// `login_url` is set; forbidden: 403. A client that asks for JSON gets loco's JSON error
    /// shape, anyone else plain text.
    #[must_use]
    pub fn refusal(self, parts: &Parts, login_url: Option<&str>) -> Option<Response> {
        match self {
            Self::Allowed => None,
            Self::Forbidden => Some(refuse(parts, StatusCode::FORBIDDEN)),
            Self::Anonymous => Some(anonymous(parts, login_url)),
        }
    }
}

fn anonymous(parts: &Parts, login_url: Option<&str>) -> Response {
    if let Some(login_url) = login_url.filter(|_| wants(parts, is_html)) {
        // The path as the browser asked for it: routers that rewrite the path (trailing
        // slashes) keep the original in `OriginalUri`.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let next = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |pq| pq.as_str());
        let location = urls::login_redirect(login_url, next);
        // 302, as Django's `redirect_to_login`; a name that cannot be a header value cannot
        // happen (everything is percent-encoded), but would still get a plain 401 below.
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
    }
    let mut response = refuse(parts, StatusCode::UNAUTHORIZED);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// The refusal with `status` (401, 403, 404, 410 or 500), as the client asked for it.
pub fn refuse(parts: &Parts, status: StatusCode) -> Response {
    let (error, description) = match status {
        StatusCode::UNAUTHORIZED => ("unauthorized", "authentication required"),
        StatusCode::FORBIDDEN => ("forbidden", "permission denied"),
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::GONE => ("gone", "this link has expired"),
        _ => ("internal_server_error", "internal server error"),
    };
    if wants(parts, is_json) {
        (status, Json(ErrorDetail::new(error, description))).into_response()
    } else {
        (status, description).into_response()
    }
}

/// Whether the `Accept` header names a media type that `matches`.
fn wants(parts: &Parts, matches: fn(&str) -> bool) -> bool {
    parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| matches(item.split(';').next().unwrap_or_default().trim()))
}

/// A browser that should see the login page rather than a bare 401.
fn is_html(media: &str) -> bool {
    media.eq_ignore_ascii_case("text/html") || media.eq_ignore_ascii_case("application/xhtml+xml")
}

/// An API client: `application/json` or any `+json` type.
fn is_json(media: &str) -> bool {
    let media = media.to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

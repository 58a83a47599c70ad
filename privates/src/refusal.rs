//! The answers to a refused request, shared by the download view and admin pages.

use axum::{
    extract::OriginalUri,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};

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
    /// browser (`Accept: text/html`) a 302 to `login_url?next=<the requested path>`;
    /// forbidden: 403.
    #[must_use]
    pub fn refusal(self, parts: &Parts, login_url: &str) -> Option<Response> {
        match self {
            Self::Allowed => None,
            Self::Forbidden => Some(forbidden()),
            Self::Anonymous => Some(anonymous(parts, login_url)),
        }
    }
}

pub(crate) fn anonymous(parts: &Parts, login_url: &str) -> Response {
    if wants_html(parts) {
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
    let mut response = (StatusCode::UNAUTHORIZED, "authentication required").into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Whether the client is a browser that should see the login page rather than a bare 401.
fn wants_html(parts: &Parts) -> bool {
    parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let media = item.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("text/html")
                || media.eq_ignore_ascii_case("application/xhtml+xml")
        })
}

pub(crate) fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "permission denied").into_response()
}

pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

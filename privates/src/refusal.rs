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
    let accepts = Accepts::of(parts);
    if let Some(login_url) = login_url.filter(|_| accepts.html) {
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
    let mut response = answer(accepts.json, StatusCode::UNAUTHORIZED);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// The refusal with `status` (401, 403, 404, 410, 500 or 503), as the client asked for it.
pub fn refuse(parts: &Parts, status: StatusCode) -> Response {
    answer(Accepts::of(parts).json, status)
}

/// The refusal with `status`, in loco's JSON error shape when `json`, else plain text.
fn answer(json: bool, status: StatusCode) -> Response {
    let (error, description) = match status {
        StatusCode::UNAUTHORIZED => ("unauthorized", "authentication required"),
        StatusCode::FORBIDDEN => ("forbidden", "permission denied"),
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::GONE => ("gone", "this link has expired"),
        StatusCode::SERVICE_UNAVAILABLE => ("service_unavailable", "try again later"),
        _ => ("internal_server_error", "internal server error"),
    };
    if json {
        (status, Json(ErrorDetail::new(error, description))).into_response()
    } else {
        (status, description).into_response()
    }
}

/// Whether the client asks for JSON (`Accept: application/json` or any `+json` type): it then
/// gets loco's JSON error shape, as the view's refusals do.
#[must_use]
pub fn wants_json(parts: &Parts) -> bool {
    Accepts::of(parts).json
}

/// What the `Accept` header asks for, read in one pass without allocating.
#[derive(Clone, Copy, Default)]
struct Accepts {
    /// A browser, which should see the login page rather than a bare 401.
    html: bool,
    /// An API client: `application/json` or any `+json` type.
    json: bool,
}

impl Accepts {
    fn of(parts: &Parts) -> Self {
        let mut accepts = Self::default();
        let values = parts.headers.get_all(header::ACCEPT).iter();
        for item in values
            .filter_map(|value| value.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let media = item.split(';').next().unwrap_or_default().trim();
            let is = |name: &str| media.eq_ignore_ascii_case(name);
            accepts.html |= is("text/html") || is("application/xhtml+xml");
            accepts.json |= is("application/json")
                || media
                    .get(media.len().saturating_sub(5)..)
                    .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
        }
        accepts
    }
}

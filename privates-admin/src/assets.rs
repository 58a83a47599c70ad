//! The admin's static files, served by its own route: the upload-progress script of the
//! change forms (`assets/upload-progress.js`, compiled into the crate).
//!
//! The change form ([`ChangeFormPage`](crate::pages::ChangeFormPage)) loads it from
//! [`Page::assets_url`](crate::pages::Page::assets_url) (by default [`DEFAULT_URL`]); mount
//! [`routes`] at the same URL. It is an external file, never inline script, so an admin under
//! a `Content-Security-Policy` with `script-src 'self'` keeps it. Without it (or without
//! JavaScript) the forms are plain form posts.
//!
//! What the script does: a form with a chosen file is sent by `XMLHttpRequest` (fetch reports
//! no upload progress) as the very same request, the form's own multipart body (CSRF token
//! included) to its own action; a progress bar follows each chosen file and the whole form,
//! with a Cancel button that aborts the request. When the answer comes, a redirect is followed
//! and any other page (the form again, with its errors) replaces the document. A cancelled
//! upload stores nothing: the server removes what it received of an unfinished body.
//! A file input with `data-direct-upload` ([direct uploads](crate::direct)) is first sent to
//! the bucket through a presigned URL, its bar following, and the form carries its ticket.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let routes = privates_admin::assets::routes(privates_admin::assets::DEFAULT_URL);
//! let uris: Vec<_> = routes.handlers.iter().map(|h| h.uri.as_str()).collect();
//! assert_eq!(uris, ["/admin/static/privates/upload-progress.js"]);
//! # });
//! ```

use axum::{
    response::{IntoResponse, Response},
    routing::get,
};
use http::{HeaderValue, header};
use loco_rs::controller::Routes;

/// Where the admin's pages load its static files from by default.
pub const DEFAULT_URL: &str = "/admin/static/privates/";

/// The file name of the upload-progress script.
pub const UPLOAD_PROGRESS: &str = "upload-progress.js";

/// The upload-progress script.
pub const UPLOAD_PROGRESS_JS: &str = include_str!("../assets/upload-progress.js");

/// The routes of the admin's static files under `url` (a path ending in `/`, as
/// [`Page::assets_url`](crate::pages::Page::assets_url)).
#[must_use]
pub fn routes(url: &str) -> Routes {
    let base = url.trim_end_matches('/');
    Routes::new().add(&format!("{base}/{UPLOAD_PROGRESS}"), get(upload_progress))
}

/// The script, with the headers of a static file: its type, `nosniff`, and a day of caching
/// (the file changes only with the crate's version).
async fn upload_progress() -> Response {
    let mut response = UPLOAD_PROGRESS_JS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

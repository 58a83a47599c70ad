//! Every URL privates accepts or builds, in one place:
//!
//! - the shape of a configured URL (`storage.base_url`, `sendfile.url`, `login_url`), judged by
//!   [`check_url_path`] for the checks (`privates.E103`) and for every constructor that takes
//!   one;
//! - the routes and links of a model's fields: [`download_route`] / [`download_url`]
//!   (`{URL_PREFIX}/{app}/{model}/{pk}/{field}/`) and [`share_route`] / [`share_url`] (the
//!   same followed by `shared/`), all built by [`field_path`];
//! - a stored file under a folder URL ([`file_url`]: the storage's `url()` and nginx's
//!   `X-Accel-Redirect`);
//! - the login redirect with its `next` parameter ([`login_redirect`]).
//!
//! Every segment that comes from data (a key, a stored name, the requested path) is
//! percent-encoded, so no value can change what a link points to.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::model::{Field, PrivateMedia};

/// RFC 3986 unreserved characters stay as they are in a segment or query value we build;
/// everything else is percent-encoded.
pub const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What stays unencoded in a stored name's segments: Python's `quote(safe="/~!*()'")`, as
/// Django's `filepath_to_uri` (behind `FileSystemStorage.url`) does; `/` separates segments.
const FILE_SEGMENT: &AsciiSet = &SEGMENT
    .remove(b'!')
    .remove(b'*')
    .remove(b'(')
    .remove(b')')
    .remove(b'\'');

/// The segment after a field's download path that marks its share route.
pub const SHARED_SEGMENT: &str = "shared";

/// Which kind of configured URL is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlShape {
    /// A folder a path is appended to (`storage.base_url`, `sendfile.url`): `/private-media/`.
    Folder,
    /// A page, which may carry a query (`login_url`): `/login`.
    Page,
}

impl UrlShape {
    /// A well-formed example, for messages.
    #[must_use]
    pub fn example(self) -> &'static str {
        match self {
            Self::Folder => "`/private-media/`",
            Self::Page => "`/login`",
        }
    }
}

/// Whether `value` is an absolute URL path of `shape`: one leading `/` (never `//`, which a
/// browser reads as another host), visible ASCII only (it is written into headers as is), a
/// folder also ends with `/` and has no `?` or `#`.
///
/// ```
/// use privates::urls::{UrlShape, check_url_path};
///
/// assert!(check_url_path("/private-media/", UrlShape::Folder).is_ok());
/// assert!(check_url_path("/login?from=files", UrlShape::Page).is_ok());
/// assert!(check_url_path("//evil.example/", UrlShape::Folder).is_err());
/// assert!(check_url_path("/private", UrlShape::Folder).is_err());
/// ```
///
/// # Errors
/// What is wrong, in a few words.
pub fn check_url_path(value: &str, shape: UrlShape) -> Result<(), &'static str> {
    if !value.starts_with('/') {
        return Err("it must start with `/`");
    }
    if value.starts_with("//") {
        return Err("`//` at the start names another host");
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it holds a space, a control or a non-ASCII character");
    }
    if value.contains('\\') {
        // Browsers read `/\host/` as `//host/`.
        return Err("a backslash can name another host");
    }
    if shape == UrlShape::Folder {
        if !value.ends_with('/') {
            return Err("a folder URL must end with `/`");
        }
        if value.contains(['?', '#']) {
            return Err("a folder URL cannot hold `?` or `#`");
        }
    }
    Ok(())
}

/// One path segment, percent-encoded with [`SEGMENT`].
#[must_use]
pub fn encode_segment(segment: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(segment, SEGMENT)
}

/// `{prefix}/{app}/{model}/{pk}/{field}/`: the path of one field of one object. `prefix` is
/// used as given without its trailing `/` (`""` or `/admin`); `pk` is written as given, so
/// pass it encoded (or `{pk}`, axum's path parameter, for a route).
#[must_use]
pub fn field_path(prefix: &str, app: &str, model: &str, pk: &str, field: &str) -> String {
    format!(
        "{}/{}/{}/{pk}/{}/",
        prefix.trim_end_matches('/'),
        encode_segment(app),
        encode_segment(model),
        encode_segment(field)
    )
}

/// The route of `field`'s download view under `prefix` (the model's
/// [`URL_PREFIX`](PrivateMedia::URL_PREFIX) unless the view is moved):
/// `{prefix}/{app}/{model}/{pk}/{field}/`, `{pk}` being axum's path parameter.
#[must_use]
pub fn download_route<M: PrivateMedia>(prefix: &str, field: &Field<M>) -> String {
    field_path(prefix, M::APP, M::MODEL, "{pk}", field.name())
}

/// The download URL of `field` on `object`, its key percent-encoded.
///
/// ```ignore
/// assert_eq!(download_url(&doc, &IdDocument::PDF), "/admin/docs/iddocument/7/pdf/");
/// ```
#[must_use]
pub fn download_url<M: PrivateMedia>(object: &M, field: &Field<M>) -> String {
    let pk = object.pk().to_string();
    field_path(
        M::URL_PREFIX,
        M::APP,
        M::MODEL,
        &encode_segment(&pk).to_string(),
        field.name(),
    )
}

/// The route of `field`'s share links: the download route followed by `shared/`.
#[must_use]
pub fn share_route<M: PrivateMedia>(field: &Field<M>) -> String {
    format!("{}{SHARED_SEGMENT}/", download_route(M::URL_PREFIX, field))
}

/// A share link: the download URL followed by `shared/?expires=..&v=..&sig=..` (`v` names the
/// file, see [`share`](crate::share)).
#[must_use]
pub fn share_url<M: PrivateMedia>(
    object: &M,
    field: &Field<M>,
    expires: u64,
    version: &str,
    sig: &str,
) -> String {
    format!(
        "{}{SHARED_SEGMENT}/?expires={expires}&v={}&sig={}",
        download_url(object, field),
        encode_segment(version),
        encode_segment(sig)
    )
}

/// A stored name under a folder URL (which ends with `/`), each segment percent-encoded as
/// Django's `filepath_to_uri` does: the storage's file URLs and nginx's `X-Accel-Redirect`.
///
/// ```
/// assert_eq!(
///     privates::urls::file_url("/private/", "scans/my ID (1).pdf"),
///     "/private/scans/my%20ID%20(1).pdf"
/// );
/// ```
#[must_use]
pub fn file_url(folder: &str, name: &str) -> String {
    let mut url = String::with_capacity(folder.len() + name.len() * 3);
    url.push_str(folder);
    for (index, segment) in name.split('/').enumerate() {
        if index > 0 {
            url.push('/');
        }
        url.extend(utf8_percent_encode(segment, FILE_SEGMENT));
    }
    url
}

/// `login_url` with `next=<the path asked for>` appended (Django's `redirect_to_login`).
#[must_use]
pub fn login_redirect(login_url: &str, next: &str) -> String {
    let separator = if login_url.contains('?') { '&' } else { '?' };
    format!("{login_url}{separator}next={}", encode_segment(next))
}

#![doc = include_str!("../../docs/offload.md")]

use std::{
    os::unix::ffi::OsStrExt,
    path::{Component, Path},
};

use axum::{body::Body, response::Response};
use http::{HeaderName, HeaderValue};
use percent_encoding::percent_encode;

use super::{SendfileError, headers::EntityHeaders};
use crate::urls::SEGMENT;

/// nginx's header.
pub const X_ACCEL_REDIRECT: HeaderName = HeaderName::from_static("x-accel-redirect");
/// The header of Apache's mod_xsendfile, also honoured by lighttpd from proxied apps.
pub const X_SENDFILE: HeaderName = HeaderName::from_static("x-sendfile");

/// The `X-Accel-Redirect` value for `relative` (a path beneath the sendfile root): `url` (which
/// starts and ends with `/`) followed by the percent-encoded segments joined with `/`.
///
/// ```
/// use std::path::Path;
/// use privates::sendfile::accel_redirect_value;
///
/// let value = accel_redirect_value("/private-media/", Path::new("docs/my file #1?.pdf")).unwrap();
/// assert_eq!(value, "/private-media/docs/my%20file%20%231%3F.pdf");
/// ```
///
/// # Errors
/// [`SendfileError::OutsideRoot`] when `relative` is empty or holds anything but plain names
/// (`..`, `/`).
pub fn accel_redirect_value(url: &str, relative: &Path) -> Result<HeaderValue, SendfileError> {
    let mut value = String::with_capacity(url.len() + relative.as_os_str().len() * 3);
    value.push_str(url);
    let outside = || SendfileError::OutsideRoot {
        path: relative.to_path_buf(),
        root: url.into(),
    };
    let mut first = true;
    for component in relative.components() {
        let Component::Normal(segment) = component else {
            return Err(outside());
        };
        if !first {
            value.push('/');
        }
        first = false;
        // The raw bytes of the name (nginx decodes `%XX` back to the byte).
        value.extend(percent_encode(segment.as_bytes(), SEGMENT));
    }
    if first {
        return Err(outside());
    }
    HeaderValue::from_str(&value).map_err(|_| SendfileError::Unrepresentable {
        header: "X-Accel-Redirect",
        path: relative.to_path_buf(),
    })
}

/// Apache's `X-Sendfile` value for an absolute path: the raw UTF-8 path (mod_xsendfile 0.12
/// does not decode it; see the module docs).
///
/// ```
/// use std::path::Path;
/// use privates::sendfile::xsendfile_value;
///
/// let value = xsendfile_value(Path::new("/srv/private/100% café.pdf")).unwrap();
/// assert_eq!(value.as_bytes(), "/srv/private/100% café.pdf".as_bytes());
/// assert!(xsendfile_value(Path::new("/srv/private/a\r\nb")).is_err());
/// ```
///
/// # Errors
/// [`SendfileError::Unrepresentable`] when the path is not UTF-8 or contains a control
/// character.
pub fn xsendfile_value(path: &Path) -> Result<HeaderValue, SendfileError> {
    path_value(path, |text| text.to_owned())
}

/// lighttpd's `X-Sendfile` value for an absolute path: the UTF-8 path with `%` written as
/// `%25` (lighttpd percent-decodes it; see the module docs).
///
/// ```
/// use std::path::Path;
/// use privates::sendfile::lighttpd_sendfile_value;
///
/// let value = lighttpd_sendfile_value(Path::new("/srv/private/100% café.pdf")).unwrap();
/// assert_eq!(value.as_bytes(), "/srv/private/100%25 café.pdf".as_bytes());
/// ```
///
/// # Errors
/// As [`xsendfile_value`].
pub fn lighttpd_sendfile_value(path: &Path) -> Result<HeaderValue, SendfileError> {
    path_value(path, |text| text.replace('%', "%25"))
}

/// The header value of `path` written by `write`, refusing what no header can carry.
fn path_value(
    path: &Path,
    write: impl FnOnce(&str) -> String,
) -> Result<HeaderValue, SendfileError> {
    let refuse = || SendfileError::Unrepresentable {
        header: "X-Sendfile",
        path: path.to_path_buf(),
    };
    let text = path.to_str().ok_or_else(refuse)?;
    if text.chars().any(char::is_control) {
        return Err(refuse());
    }
    HeaderValue::from_bytes(write(text).as_bytes()).map_err(|_| refuse())
}

/// The empty response carrying `header: value` and the entity headers (no `Content-Length`).
pub(crate) fn respond(header: HeaderName, value: HeaderValue, entity: &EntityHeaders) -> Response {
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    entity.apply(headers);
    headers.insert(header, value);
    response
}

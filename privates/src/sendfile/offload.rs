//! The web-server backends: the app answers with an empty body and one header that tells
//! nginx, Apache (mod_xsendfile) or lighttpd which file to send. The server then streams the
//! file itself and sets `Content-Length`, `ETag`, `Last-Modified` and ranges from it.
//!
//! What each server does with the value (read in their sources):
//!
//! - **nginx** (`X-Accel-Redirect`) treats it as a URI: it splits off `?args`, percent-decodes
//!   the path and refuses `..`. So every byte of the relative path outside the RFC 3986
//!   unreserved set is percent-encoded, segment by segment: spaces, `%`, `?`, `#` and UTF-8
//!   name bytes all reach nginx intact, and the value is always plain ASCII. On a redirect
//!   nginx keeps only `Content-Type`, `Content-Disposition`, `Cache-Control`, `Expires`,
//!   `Set-Cookie` and `Accept-Ranges` from the app's response: `X-Content-Type-Options` and
//!   `Content-Security-Policy` must be added in the internal location (`add_header ... always`),
//!   which is why active content goes out as an attachment on this backend (see
//!   [`EntityHeaders`](super::headers::EntityHeaders)).
//! - **Apache mod_xsendfile** (`X-Sendfile`): Debian's and most distributions' package is
//!   version 0.12, which takes the absolute path byte for byte (1.0's `XSendFileUnescape On`
//!   would percent-decode it: set `XSendFileUnescape Off` there). So the value is the raw UTF-8
//!   path. It keeps the other response headers, but drops `Content-Encoding`.
//! - **lighttpd** acts on `X-LIGHTTPD-send-file` only for FastCGI backends; from an app behind
//!   `mod_proxy` — every loco app — it honours `X-Sendfile` (with `proxy.header =
//!   ("x-sendfile" => "enable")` or `"allow-x-send-file"`). It percent-decodes the path and
//!   answers 502 when the result is not UTF-8, so its value is the UTF-8 path with only `%`
//!   written as `%25`.
//!
//! Non-ASCII names are sent as their UTF-8 bytes, which HTTP allows in a field value
//! (`obs-text`, RFC 9110 §5.5) and both servers pass through to `open()` unchanged. A path that
//! is not UTF-8 or that contains a control character (CR, LF, TAB, NUL, ...) cannot be written
//! into the header safely and is refused with [`SendfileError::Unrepresentable`].
//!
//! `Content-Length` is not set: the server computes it from the file (django-sendfile2 sets it to
//! the file size on these empty responses, which would make a client that reaches the app
//! directly, without the server in front, wait for bytes that never come). axum frames the
//! empty body with `content-length: 0` on the wire, which all three servers ignore.

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

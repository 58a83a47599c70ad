//! The admin's URL shapes: `{prefix}/{app}/{model}/{pk}/{field}/`, built by
//! [`privates::urls`] (every segment percent-encoded, so that no stored value can change what a
//! link points to), under an admin prefix normalised here.

use std::fmt::Write as _;

use percent_encoding::utf8_percent_encode;
use privates::urls::{SEGMENT, encode_segment as encode, field_path};

/// A URL path prefix such as `/admin` or `/backoffice/files`: always one leading `/`, no
/// trailing `/`, each segment percent-encoded. `""`, `"/"` and `"//"` all give the site root.
///
/// Normalising here means a prefix can never turn a link into a scheme-relative (`//host`) or
/// scheme (`javascript:`) URL.
///
/// ```
/// use privates_admin::url::UrlPrefix;
///
/// assert_eq!(UrlPrefix::new("admin/").as_str(), "/admin");
/// assert_eq!(UrlPrefix::new("//evil.example/x").as_str(), "/evil.example/x");
/// assert_eq!(UrlPrefix::new("/").as_str(), "");
/// assert_eq!(UrlPrefix::new("/back office").as_str(), "/back%20office");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlPrefix(String);

impl UrlPrefix {
    /// Normalises `prefix`.
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        let mut normalised = String::new();
        for segment in prefix.split('/').filter(|segment| !segment.is_empty()) {
            normalised.push('/');
            // Segments the developer already encoded stay as they are; anything else is
            // encoded (a `%` not followed by two hex digits becomes `%25`).
            let _ = write!(normalised, "{}", encode_segment(segment));
        }
        Self(normalised)
    }

    /// The prefix: `""` for the root, otherwise `/a/b`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters kept), except that an
/// already valid `%XX` escape is kept.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(index) = rest.find('%') {
        let (before, after) = rest.split_at(index);
        out.extend(utf8_percent_encode(before, SEGMENT));
        let bytes = after.as_bytes();
        if bytes.len() >= 3 && bytes[1].is_ascii_hexdigit() && bytes[2].is_ascii_hexdigit() {
            out.push_str(&after[..3]);
            rest = &after[3..];
        } else {
            out.push_str("%25");
            rest = &after[1..];
        }
    }
    out.extend(utf8_percent_encode(rest, SEGMENT));
    out
}

/// The download path of one field: `{prefix}/{app}/{model}/{pk}/{field}/`, each segment
/// percent-encoded (the key is user data and is encoded completely).
///
/// ```
/// use privates_admin::url::{UrlPrefix, download_path};
///
/// let prefix = UrlPrefix::new("/admin");
/// assert_eq!(download_path(&prefix, "docs", "iddocument", "7", "pdf"), "/admin/docs/iddocument/7/pdf/");
/// assert_eq!(
///     download_path(&prefix, "docs", "iddocument", "a/b?c", "pdf"),
///     "/admin/docs/iddocument/a%2Fb%3Fc/pdf/"
/// );
/// ```
#[must_use]
pub fn download_path(prefix: &UrlPrefix, app: &str, model: &str, pk: &str, field: &str) -> String {
    field_path(prefix.as_str(), app, model, &encode(pk).to_string(), field)
}

/// The route pattern of one field's download view, with `{pk}` as the axum path parameter.
#[must_use]
pub fn route_path(prefix: &UrlPrefix, app: &str, model: &str, field: &str) -> String {
    field_path(prefix.as_str(), app, model, "{pk}", field)
}

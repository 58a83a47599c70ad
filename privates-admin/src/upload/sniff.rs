//! What an upload really is, judged by its first bytes (the browser's `Content-Type` is never
//! trusted), and whether a field accepts it.

use privates::{FieldKind, FieldSpec};

/// How many leading bytes are read before the content type is decided.
pub const SNIFF_BYTES: usize = 8192;

/// The image types an `image` field can hold: the formats whose decoders are compiled in.
pub const IMAGE_CONTENT_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Types a browser may run or render as a document: never inferred from an extension.
const ACTIVE_TEXT_TYPES: &[&str] = &[
    "text/html",
    "text/xml",
    "text/javascript",
    "text/ecmascript",
    "text/xsl",
    "text/vtt",
];

/// The sniffed type of an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// The MIME type, e.g. `application/pdf`.
    pub mime: String,
    /// Whether the type comes from a magic number (`false`: plain text or unknown bytes).
    pub by_magic: bool,
}

/// Sniffs the type of an upload from its first bytes: a magic number when one matches
/// (`infer`), otherwise `text/plain` for UTF-8 text without NUL bytes (refined to the file
/// name's `text/*` type such as `text/csv`, never to an active type such as HTML), otherwise
/// `application/octet-stream`.
#[must_use]
pub fn sniff(prefix: &[u8], file_name: &str) -> Sniffed {
    if let Some(kind) = infer::get(prefix) {
        return Sniffed {
            mime: kind.mime_type().to_owned(),
            by_magic: true,
        };
    }
    let mime = if is_text(prefix) {
        mime_guess::from_path(file_name)
            .iter()
            .map(|mime| mime.essence_str().to_owned())
            .find(|mime| mime.starts_with("text/") && !ACTIVE_TEXT_TYPES.contains(&mime.as_str()))
            .unwrap_or_else(|| "text/plain".to_owned())
    } else {
        "application/octet-stream".to_owned()
    };
    Sniffed {
        mime,
        by_magic: false,
    }
}

/// UTF-8 without NUL bytes; a character cut by the end of the prefix is allowed.
fn is_text(prefix: &[u8]) -> bool {
    if prefix.contains(&0) {
        return false;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(err) => err.error_len().is_none(),
    }
}

/// Whether `mime` matches one accepted type: exact (case-insensitive), `type/*`, or `*/*`.
#[must_use]
pub fn matches(accepted: &str, mime: &str) -> bool {
    let accepted = accepted.trim();
    if accepted == "*/*" || accepted.eq_ignore_ascii_case(mime) {
        return true;
    }
    match accepted.strip_suffix("/*") {
        Some(top) => mime
            .split_once('/')
            .is_some_and(|(mime_top, _)| mime_top.eq_ignore_ascii_case(top)),
        None => false,
    }
}

/// Whether the field's content rules restrict what is accepted (an `image` field always does).
#[must_use]
pub fn is_restricted(spec: &FieldSpec) -> bool {
    spec.kind == FieldKind::Image || !spec.limits.content_types.is_empty()
}

/// Checks a sniffed type against the field: its `content_types` (any when empty), and for an
/// `image` field one of [`IMAGE_CONTENT_TYPES`]. Then, when the field is restricted, checks
/// that the file name's extension fits the content, so that `page.html` holding PNG bytes is
/// not stored (Django's `validate_image_file_extension`, extended to every restricted field).
///
/// # Errors
/// The message to show next to the field.
pub fn check(spec: &FieldSpec, sniffed: &Sniffed, file_name: &str) -> Result<(), String> {
    let mime = sniffed.mime.as_str();
    if spec.kind == FieldKind::Image && !IMAGE_CONTENT_TYPES.contains(&mime) {
        return Err(format!(
            "Upload a valid image (PNG, JPEG, GIF or WebP). The file you uploaded was either \
             not an image or a corrupted image (its content is {mime})."
        ));
    }
    let accepted = spec.limits.content_types;
    if !accepted.is_empty() && !accepted.iter().any(|accepted| matches(accepted, mime)) {
        return Err(format!(
            "Files of type {mime} are not accepted here; accepted: {}.",
            accepted.join(", ")
        ));
    }
    if is_restricted(spec) && !extension_fits(file_name, mime) {
        return Err(format!(
            "The file name's extension does not match its content ({mime}); rename the file \
             with the right extension."
        ));
    }
    Ok(())
}

/// Whether the name's extension is one of `mime`'s (`.jpg`, `.jpeg`, `.jfif` for JPEG...).
/// A name without an extension fits only content without a magic number.
fn extension_fits(file_name: &str, mime: &str) -> bool {
    let has_extension = std::path::Path::new(file_name).extension().is_some();
    if !has_extension {
        return matches!(mime, "text/plain" | "application/octet-stream");
    }
    mime_guess::from_path(file_name)
        .iter()
        .any(|guess| guess.essence_str().eq_ignore_ascii_case(mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_wins_over_the_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(sniff(png, "x.pdf").mime, "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n", "x.png").mime, "application/pdf");
    }

    #[test]
    fn text_is_refined_by_extension_but_never_to_active_types() {
        assert_eq!(sniff(b"a,b\n1,2\n", "x.csv").mime, "text/csv");
        assert_eq!(sniff(b"hello", "x.txt").mime, "text/plain");
        assert_eq!(sniff(b"hello", "x.js").mime, "text/plain");
        assert_eq!(
            sniff(b"\0\x01\x02", "x.txt").mime,
            "application/octet-stream"
        );
        // A character cut by the end of the prefix is still text.
        assert_eq!(
            sniff("é".as_bytes().get(..1).unwrap_or_default(), "x").mime,
            "text/plain"
        );
    }

    #[test]
    fn wildcards() {
        assert!(matches("image/*", "image/png"));
        assert!(matches("*/*", "application/pdf"));
        assert!(matches("Application/PDF", "application/pdf"));
        assert!(!matches("image/*", "application/pdf"));
        assert!(!matches("image/png", "image/pngx"));
    }

    #[test]
    fn extensions() {
        assert!(extension_fits("a.jpg", "image/jpeg"));
        assert!(extension_fits("a.JPEG", "image/jpeg"));
        assert!(!extension_fits("a.html", "image/png"));
        assert!(!extension_fits("a", "image/png"));
        assert!(extension_fits("a", "text/plain"));
    }
}

//! The headers every sendfile response carries, whatever the backend: `Content-Type`,
//! `Content-Disposition`, `Content-Encoding` (only when asked for), `Cache-Control: private`,
//! `X-Content-Type-Options: nosniff` and, for active content shown inline, a sandboxing
//! `Content-Security-Policy`.

use http::{HeaderMap, HeaderValue, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{SendfileError, SendfileOptions};

/// The policy sent with user content that a browser would run when shown inline (HTML, SVG,
/// XML, scripts).
///
/// - `sandbox` (with no `allow-*` token) puts the document in a unique opaque origin with
///   scripts, forms, plugins, pop-ups and top-level navigation disabled: an uploaded page can
///   neither read the app's cookies or storage nor act on the user's session.
/// - `default-src 'none'` stops it from loading anything (scripts, frames, images, fonts,
///   `fetch`), so it cannot pull in remote content or beacon out what the user does.
/// - `style-src 'unsafe-inline'` keeps the file's own inline styles, which SVG drawings and
///   saved HTML pages need to look right and which run no code.
///
/// This is the policy GitHub serves raw user content and SVGs with. It is only sent with the
/// types in [`is_active_content`]: a PDF viewer refuses to render under `sandbox`, and plain
/// images or documents do not need it.
pub const SANDBOX_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'";

/// The longest file name (in characters) put in `Content-Disposition`. File systems stop at 255
/// bytes and a long header can exceed the proxy's header buffer (nginx refuses upstream headers
/// over `proxy_buffer_size`, 4 KiB by default): longer names are shortened, keeping the
/// extension.
pub const MAX_FILENAME_CHARS: usize = 255;

/// The longest extension kept intact when a name is shortened.
const MAX_EXTENSION_CHARS: usize = 16;

/// The name sent when nothing is left of the given one (it was only control characters).
const FALLBACK_NAME: &str = "download";

/// RFC 8187 `attr-char`: everything else in `filename*` is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Builds `Content-Disposition: inline|attachment; filename="…"[; filename*=UTF-8''…]`.
///
/// The name is first cleaned: control characters (C0 including CR, LF, TAB and NUL, DEL, C1)
/// and the Unicode bidirectional controls (U+200E, U+200F, U+061C, U+202A–U+202E,
/// U+2066–U+2069, which can make `invoice\u{202E}fdp.exe` display as `invoiceexe.pdf`) are dropped,
/// and names over [`MAX_FILENAME_CHARS`] are shortened keeping their extension. Then:
///
/// - `filename="…"` carries an ASCII fallback for old clients: every non-ASCII character
///   becomes `_`, and `"` and `\` are escaped with a backslash (RFC 9110 quoted-string).
/// - `filename*=UTF-8''…` (RFC 8187, RFC 6266 §4.3) carries the exact cleaned name,
///   percent-encoded outside `attr-char`, whenever the name is not plain safe ASCII (any
///   character outside printable ASCII, or `"`, `\` or `%`, which old clients mangle).
///   Browsers prefer it over `filename`.
///
/// The result is always a valid header value made of printable ASCII, and no name can close
/// the quoted string or add a parameter.
///
/// ```
/// use privates::sendfile::content_disposition;
///
/// assert_eq!(content_disposition(false, "scan.pdf"), r#"inline; filename="scan.pdf""#);
/// assert_eq!(
///     content_disposition(true, "résumé.pdf"),
///     r#"attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"#,
/// );
/// assert_eq!(
///     content_disposition(true, "a\r\nSet-Cookie: x=1"),
///     r#"attachment; filename="aSet-Cookie: x=1""#,
/// );
/// ```
#[must_use]
pub fn content_disposition(attachment: bool, filename: &str) -> HeaderValue {
    let disposition = if attachment { "attachment" } else { "inline" };
    let name = clean_filename(filename);
    let mut value = String::with_capacity(disposition.len() + name.len() * 4 + 32);
    value.push_str(disposition);
    value.push_str("; filename=\"");
    let mut plain = true;
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                plain = false;
                value.push('\\');
                value.push(c);
            }
            '%' => {
                plain = false;
                value.push(c);
            }
            ' '..='~' => value.push(c),
            _ => {
                plain = false;
                value.push('_');
            }
        }
    }
    value.push('"');
    if !plain {
        value.push_str("; filename*=UTF-8''");
        value.extend(utf8_percent_encode(&name, ATTR_CHAR));
    }
    // Only printable ASCII was written, so this cannot fail; should it ever, the bare
    // disposition is still a correct, safe header.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(disposition))
}

/// The name as it goes into `Content-Disposition`: controls and bidi marks dropped, shortened
/// to [`MAX_FILENAME_CHARS`], never empty.
fn clean_filename(filename: &str) -> String {
    let cleaned: String = filename.chars().filter(|c| !is_stripped(*c)).collect();
    if cleaned.is_empty() {
        return FALLBACK_NAME.to_string();
    }
    let count = cleaned.chars().count();
    if count <= MAX_FILENAME_CHARS {
        return cleaned;
    }
    // Keep a short extension so the saved file still opens with the right program.
    let extension = cleaned
        .rsplit_once('.')
        .filter(|(stem, ext)| {
            !stem.is_empty() && !ext.is_empty() && ext.chars().count() <= MAX_EXTENSION_CHARS
        })
        .map(|(_, ext)| ext);
    match extension {
        Some(ext) => {
            let keep = MAX_FILENAME_CHARS - ext.chars().count() - 1;
            let mut short: String = cleaned.chars().take(keep).collect();
            short.push('.');
            short.push_str(ext);
            short
        }
        None => cleaned.chars().take(MAX_FILENAME_CHARS).collect(),
    }
}

/// Characters that never reach a file name: controls (they can split or forge headers and
/// mean nothing in a name) and bidirectional formatting marks (they disguise extensions).
fn is_stripped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether a browser would run content of this type when shown inline, so that it needs
/// [`SANDBOX_CSP`] (or must be sent as an attachment): HTML, XHTML, SVG, any XML (browsers
/// apply XSLT and render the XHTML namespace, with scripts), and scripts themselves.
/// Parameters (`; charset=…`) and case are ignored.
#[must_use]
pub fn is_active_content(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    // Types are nearly always lowercase already: no copy for those (this runs per download).
    if essence.bytes().any(|byte| byte.is_ascii_uppercase()) {
        is_active_essence(&essence.to_ascii_lowercase())
    } else {
        is_active_essence(essence)
    }
}

/// [`is_active_content`] for a lowercase type without parameters.
fn is_active_essence(essence: &str) -> bool {
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    matches!(
        essence,
        "text/html"
            | "application/xhtml+xml"
            | "image/svg+xml"
            | "text/xml"
            | "application/xml"
            | "text/xsl"
            | "text/xslt"
            | "text/javascript"
            | "text/ecmascript"
            | "application/javascript"
            | "application/x-javascript"
            | "application/ecmascript"
            | "text/jscript"
            | "application/x-shockwave-flash"
            | "multipart/x-mixed-replace"
    ) || subtype.ends_with("+xml")
        || (kind == "text" && subtype.ends_with("script"))
}

/// The `Content-Type` of a stored name: the caller's `mimetype`, else the guess from the
/// extension, else `application/octet-stream`. Unlike Python's `mimetypes` (which
/// django-sendfile2 uses), the guess never implies a `Content-Encoding`: `x.tar.gz` is
/// `application/gzip`, to be saved as is, not decompressed by the browser.
///
/// ```
/// use privates::sendfile::{SendfileOptions, headers::content_type};
///
/// let guessed = content_type("scans/x.tar.gz", &SendfileOptions::default()).unwrap();
/// assert_eq!(guessed, "application/gzip");
/// ```
///
/// # Errors
/// [`SendfileError::InvalidOption`] for a `mimetype` that is not a valid header value.
pub fn content_type(name: &str, options: &SendfileOptions) -> Result<HeaderValue, SendfileError> {
    match &options.mimetype {
        Some(mimetype) => {
            HeaderValue::from_str(mimetype).map_err(|_| SendfileError::InvalidOption {
                option: "mimetype",
                value: mimetype.clone(),
            })
        }
        None => {
            let guess = mime_guess::from_path(name).first_or_octet_stream();
            HeaderValue::from_str(guess.essence_str()).map_err(|_| SendfileError::InvalidOption {
                option: "mimetype",
                value: guess.to_string(),
            })
        }
    }
}

/// The headers shared by every backend's successful response.
#[derive(Clone, Debug)]
pub(crate) struct EntityHeaders {
    content_type: HeaderValue,
    disposition: HeaderValue,
    encoding: Option<HeaderValue>,
    sandbox: bool,
}

impl EntityHeaders {
    /// Works the headers out for the stored `name`. `force_attachment_if_active` is set by
    /// backends whose server drops the CSP header (nginx keeps only a fixed list of upstream
    /// headers on `X-Accel-Redirect`): active content then goes out as an attachment instead.
    pub(crate) fn new(
        name: &str,
        options: &SendfileOptions,
        force_attachment_if_active: bool,
    ) -> Result<Self, SendfileError> {
        let content_type = content_type(name, options)?;
        let active = content_type.to_str().is_ok_and(is_active_content);
        let attachment = options.attachment || (active && force_attachment_if_active);
        let filename = options
            .attachment_filename
            .as_deref()
            .unwrap_or_else(|| name.rsplit('/').next().unwrap_or(name));
        let encoding = options
            .encoding
            .as_ref()
            .map(|encoding| {
                HeaderValue::from_str(encoding).map_err(|_| SendfileError::InvalidOption {
                    option: "encoding",
                    value: encoding.clone(),
                })
            })
            .transpose()?;
        Ok(Self {
            content_type,
            disposition: content_disposition(attachment, filename),
            encoding,
            sandbox: active && !attachment,
        })
    }

    /// The `Content-Type` value.
    pub(crate) fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }

    /// The `Content-Disposition` value.
    pub(crate) fn disposition(&self) -> &HeaderValue {
        &self.disposition
    }

    /// Writes the representation headers (type, disposition, encoding, CSP) and the privacy
    /// headers.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::CONTENT_DISPOSITION, self.disposition.clone());
        if let Some(encoding) = &self.encoding {
            headers.insert(header::CONTENT_ENCODING, encoding.clone());
        }
        if self.sandbox {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(SANDBOX_CSP),
            );
        }
        apply_privacy(headers);
    }
}

/// `Cache-Control: private` (a shared cache must never keep a permission-checked file) and
/// `X-Content-Type-Options: nosniff` (the browser must trust our `Content-Type`, never guess
/// HTML from the bytes). Also sent on 304, 412 and 416 answers.
pub(crate) fn apply_privacy(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

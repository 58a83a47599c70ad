//! Naming rules: the gate every untrusted stored name passes, and Django's way of turning a
//! user's file name into a valid one.
//!
//! These are string checks, the first line of defence; the second is the kernel, which
//! resolves every name beneath the storage root (see [`LocalStorage`](super::LocalStorage)).

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::error::{NameError, StorageError};

/// The longest stored name accepted, in bytes (well under Linux's `PATH_MAX` of 4096 once the
/// location is prepended).
pub const MAX_NAME_BYTES: usize = 1024;

/// The longest `/`-separated segment accepted, in bytes: Linux's `NAME_MAX`.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Checks a stored name that comes from an untrusted place (a database column, a URL) and
/// returns it unchanged when it follows every rule:
///
/// - not empty, at most [`MAX_NAME_BYTES`] bytes, each segment at most [`MAX_SEGMENT_BYTES`];
/// - no NUL, no control character, no bidirectional formatting character;
/// - relative: no leading `/` or `\`, no drive letter (`C:`);
/// - no backslash, no percent-encoded separator, dot, percent or control byte (`%2f`, `%5C`,
///   `%2e`, `%25`, `%00`);
/// - no empty segment (`a//b`, trailing `/`) and no `.` or `..` segment.
///
/// A valid name can still lead outside the root through a symlink; the storage's operations
/// catch that at the kernel level and answer [`StorageError::Escapes`].
///
/// ```
/// use privates::storage::{validate_name, NameError, StorageError};
///
/// assert_eq!(validate_name("invoices/2024/march.pdf").unwrap(), "invoices/2024/march.pdf");
/// assert!(matches!(
///     validate_name("../etc/passwd"),
///     Err(StorageError::InvalidName { reason: NameError::DotSegment, .. })
/// ));
/// ```
///
/// # Errors
/// [`StorageError::InvalidName`] with the [`NameError`] rule that was broken.
pub fn validate_name(name: &str) -> Result<&str, StorageError> {
    check_name(name).map_err(|reason| StorageError::invalid(name, reason))?;
    Ok(name)
}

fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong {
            len: name.len(),
            max: MAX_NAME_BYTES,
        });
    }
    if name.contains('\0') {
        return Err(NameError::Nul);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlChar);
    }
    if name.chars().any(is_bidi_control) {
        return Err(NameError::BidiControl);
    }
    if name.starts_with(['/', '\\']) || has_drive_prefix(name) {
        return Err(NameError::Absolute);
    }
    if name.contains('\\') {
        return Err(NameError::Backslash);
    }
    if has_dangerous_escape(name) {
        return Err(NameError::PercentEncoded);
    }
    for segment in name.split('/') {
        match segment {
            "" => return Err(NameError::EmptySegment),
            "." | ".." => return Err(NameError::DotSegment),
            _ if segment.len() > MAX_SEGMENT_BYTES => {
                return Err(NameError::SegmentTooLong {
                    len: segment.len(),
                    max: MAX_SEGMENT_BYTES,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// `C:`, `c:x`: a Windows drive, absolute or drive-relative. Refused everywhere so that a name
/// stored on Linux means the same on any platform.
fn has_drive_prefix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Bidirectional formatting characters (ALM, LRM, RLM, the embeddings and overrides, the
/// isolates): harmless to the file system, but they make `gpj.exe` read as `exe.jpg`.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// A `%XX` escape whose byte is a separator, a dot, a percent sign (double encoding) or a
/// control byte: any layer that decodes the name once more would see a different path.
fn has_dangerous_escape(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.windows(3).any(|w| {
        w[0] == b'%'
            && match (hex_value(w[1]), hex_value(w[2])) {
                (Some(hi), Some(lo)) => {
                    let byte = (hi << 4) | lo;
                    matches!(byte, b'/' | b'\\' | b'.' | b'%') || byte < 0x20 || byte == 0x7f
                }
                _ => false,
            }
    })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Django's `django.utils.text.get_valid_filename`: strip surrounding whitespace, turn spaces
/// into `_`, drop every character that is not `-`, `.`, `_`, a letter or a digit (any script,
/// as Python's `\w`), and refuse a result that is empty, `.` or `..`.
///
/// ```
/// use privates::storage::get_valid_filename;
///
/// assert_eq!(
///     get_valid_filename("john's portrait in 2004.jpg").unwrap(),
///     "johns_portrait_in_2004.jpg"
/// );
/// assert_eq!(get_valid_filename("Straße café.pdf").unwrap(), "Straße_café.pdf");
/// assert!(get_valid_filename("$.$.$").is_err());
/// ```
///
/// # Errors
/// [`StorageError::InvalidName`] with [`NameError::NoValidFilename`] when nothing valid is
/// left.
pub fn get_valid_filename(name: &str) -> Result<String, StorageError> {
    let valid: String = name
        .trim_matches(is_python_space)
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('_'),
            '-' | '.' | '_' => Some(c),
            _ if is_python_word(c) => Some(c),
            _ => None,
        })
        .collect();
    if valid.is_empty() || valid == "." || valid == ".." {
        return Err(StorageError::invalid(name, NameError::NoValidFilename));
    }
    Ok(valid)
}

/// Python's `str.isspace`: Unicode `White_Space` plus the information separators
/// U+001C..U+001F, which Python strips too and Rust's `char::is_whitespace` does not.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `\w` on `str`: letters (`L*`) and numbers (`N*`) by General_Category (combining
/// marks are not word characters, unlike Rust's `char::is_alphanumeric`), and `_`.
fn is_python_word(c: char) -> bool {
    c == '_'
        || matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number
        )
}

/// The name a browser-supplied upload file name is stored under, before `upload_to`: the
/// basename only (a browser may send `C:\fakepath\x.pdf`, a client `../../x`), non-printable
/// characters dropped and the name cut to 255 characters keeping its extension (Django's
/// multipart parser and `UploadedFile`), then made valid with [`get_valid_filename`].
///
/// ```
/// use privates::storage::valid_upload_filename;
///
/// assert_eq!(valid_upload_filename(r"C:\fakepath\my scan.pdf").unwrap(), "my_scan.pdf");
/// assert_eq!(valid_upload_filename("../../etc/passwd").unwrap(), "passwd");
/// ```
///
/// # Errors
/// [`StorageError::InvalidName`] when nothing valid is left.
pub fn valid_upload_filename(original: &str) -> Result<String, StorageError> {
    let base = original.rsplit(['/', '\\']).next().unwrap_or(original);
    let printable: String = base.chars().filter(|c| !c.is_control()).collect();
    let cut = truncate_keeping_extension(&printable, 255);
    get_valid_filename(&cut)
        .map_err(|_| StorageError::invalid(original, NameError::NoValidFilename))
}

/// Django's `UploadedFile._set_name`: cut a long name to `max` characters, keeping the last
/// extension (itself cut to `max`).
fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        // `os.path.splitext` leaves a leading dot in the stem (".bashrc" has no extension).
        Some(dot) if name[..dot].chars().any(|c| c != '.') => name.split_at(dot),
        _ => (name, ""),
    };
    let ext: String = ext.chars().take(max).collect();
    let keep = max - ext.chars().count();
    let mut cut: String = stem.chars().take(keep).collect();
    cut.push_str(&ext);
    cut
}

/// Makes a name given to `save` valid: refuse what [`validate_name`] refuses (a traversal is an
/// attack, not a typo), then pass each segment through [`get_valid_filename`].
pub(crate) fn make_valid_name(name: &str) -> Result<String, StorageError> {
    validate_name(name)?;
    let mut valid = String::with_capacity(name.len());
    for (index, segment) in name.split('/').enumerate() {
        if index > 0 {
            valid.push('/');
        }
        let segment = get_valid_filename(segment)
            .map_err(|_| StorageError::invalid(name, NameError::NoValidFilename))?;
        valid.push_str(&segment);
    }
    // Only `[-\w.]` and `/` are left; this re-checks the structure, nothing else can change.
    validate_name(&valid)?;
    Ok(valid)
}

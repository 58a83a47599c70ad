//! Naming rules: the gate every untrusted stored name passes, and Django's way of turning a
//! user's file name into a valid one.
//!
//! These are string checks, the first line of defence; the second is the kernel, which
//! resolves every name beneath the storage root (see [`LocalStorage`](super::LocalStorage)).

use privates_rules::name::NameRule;

use super::error::{NameError, StorageError};

/// The longest stored name accepted, in bytes (well under Linux's `PATH_MAX` of 4096 once the
/// location is prepended).
pub const MAX_NAME_BYTES: usize = privates_rules::name::MAX_NAME_BYTES;

/// The longest `/`-separated segment accepted, in bytes: Linux's `NAME_MAX`.
pub const MAX_SEGMENT_BYTES: usize = privates_rules::name::MAX_SEGMENT_BYTES;

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

/// The shared rules (`privates_rules::name`, which the derive runs on `upload_to` at compile
/// time), reported as this crate's [`NameError`].
fn check_name(name: &str) -> Result<(), NameError> {
    privates_rules::name::check(name).map_err(name_error)
}

/// A rule of `privates_rules` as this crate's [`NameError`].
pub(crate) fn name_error(rule: NameRule) -> NameError {
    match rule {
        NameRule::Empty => NameError::Empty,
        NameRule::TooLong { len } => NameError::TooLong {
            len,
            max: MAX_NAME_BYTES,
        },
        NameRule::SegmentTooLong { len } => NameError::SegmentTooLong {
            len,
            max: MAX_SEGMENT_BYTES,
        },
        NameRule::Nul => NameError::Nul,
        NameRule::ControlChar => NameError::ControlChar,
        NameRule::BidiControl => NameError::BidiControl,
        NameRule::Absolute => NameError::Absolute,
        NameRule::Backslash => NameError::Backslash,
        NameRule::PercentEncoded => NameError::PercentEncoded,
        NameRule::EmptySegment => NameError::EmptySegment,
        NameRule::DotSegment => NameError::DotSegment,
        // `NoValidFilename` and any rule added later.
        _ => NameError::NoValidFilename,
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
    privates_rules::filename::valid(name)
        .ok_or_else(|| StorageError::invalid(name, NameError::NoValidFilename))
}

/// The name a browser-supplied upload file name is stored under, before `upload_to`: the
/// basename only (a browser may send `C:\fakepath\x.pdf`, a client `../../x`), non-printable
/// characters dropped and the name cut to 255 characters and [`MAX_SEGMENT_BYTES`] bytes on a
/// character boundary, keeping its extension (Django's multipart parser and `UploadedFile` cut
/// to 255 characters; a file system counts bytes), then made valid with [`get_valid_filename`].
///
/// ```
/// use privates::storage::valid_upload_filename;
///
/// assert_eq!(valid_upload_filename(r"C:\fakepath\my scan.pdf").unwrap(), "my_scan.pdf");
/// assert_eq!(valid_upload_filename("../../etc/passwd").unwrap(), "passwd");
/// // 200 two-byte characters are 400 bytes: cut to 255 bytes, the extension kept.
/// let long = valid_upload_filename(&format!("{}.pdf", "é".repeat(200))).unwrap();
/// assert_eq!(long, format!("{}.pdf", "é".repeat(125)));
/// ```
///
/// # Errors
/// [`StorageError::InvalidName`] when nothing valid is left.
pub fn valid_upload_filename(original: &str) -> Result<String, StorageError> {
    let base = original.rsplit(['/', '\\']).next().unwrap_or(original);
    let printable: String = base.chars().filter(|c| !c.is_control()).collect();
    let cut = truncate_keeping_extension(&printable, 255, MAX_SEGMENT_BYTES);
    get_valid_filename(&cut)
        .map_err(|_| StorageError::invalid(original, NameError::NoValidFilename))
}

/// Django's `UploadedFile._set_name`: cut a long name to `max_chars` characters and
/// `max_bytes` bytes (on a character boundary), keeping the last extension (itself cut to
/// the same limits).
fn truncate_keeping_extension(name: &str, max_chars: usize, max_bytes: usize) -> String {
    if name.chars().count() <= max_chars && name.len() <= max_bytes {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        // `os.path.splitext` leaves a leading dot in the stem (".bashrc" has no extension).
        Some(dot) if name[..dot].chars().any(|c| c != '.') => name.split_at(dot),
        _ => (name, ""),
    };
    let ext = prefix_within(ext, max_chars, max_bytes);
    let mut cut =
        prefix_within(stem, max_chars - ext.chars().count(), max_bytes - ext.len()).to_owned();
    cut.push_str(ext);
    cut
}

/// The longest prefix of `text` of at most `max_chars` characters and `max_bytes` bytes.
fn prefix_within(text: &str, max_chars: usize, max_bytes: usize) -> &str {
    let end = text
        .char_indices()
        .map(|(start, c)| start + c.len_utf8())
        .take(max_chars)
        .take_while(|&end| end <= max_bytes)
        .last()
        .unwrap_or(0);
    &text[..end]
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
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{MAX_SEGMENT_BYTES, truncate_keeping_extension, valid_upload_filename};

    #[test]
    fn long_ascii_names_are_cut_to_255_keeping_the_extension() {
        let name = valid_upload_filename(&format!("{}.pdf", "a".repeat(300))).unwrap();
        assert_eq!(name, format!("{}.pdf", "a".repeat(251)));
    }

    #[test]
    fn long_non_ascii_names_are_cut_by_bytes_on_a_character_boundary() {
        // 2-, 3- and 4-byte characters; the limit falls inside a character for the first two.
        for (c, fits) in [("é", 125), ("文", 83), ("𐐀", 62)] {
            let name = valid_upload_filename(&format!("{}.pdf", c.repeat(300))).unwrap();
            assert!(name.len() <= MAX_SEGMENT_BYTES, "{c}: {} bytes", name.len());
            assert_eq!(name, format!("{}.pdf", c.repeat(fits)), "{c}");
        }
        // Exactly 256 bytes: one character goes.
        let name = valid_upload_filename(&format!("{}ab.pdf", "é".repeat(125))).unwrap();
        assert_eq!(name, format!("{}a.pdf", "é".repeat(125)));
        // A name within both limits is kept whole.
        let short = format!("{}.pdf", "é".repeat(120));
        assert_eq!(valid_upload_filename(&short).unwrap(), short);
    }

    #[test]
    fn an_overlong_extension_is_cut_too() {
        let cut = truncate_keeping_extension(&format!("a.{}", "é".repeat(200)), 255, 255);
        assert!(cut.len() <= 255 && cut.starts_with(".é"), "{cut}");
        assert_eq!(truncate_keeping_extension(".bashrc", 3, 255), ".ba");
    }
}

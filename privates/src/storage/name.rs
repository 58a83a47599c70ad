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

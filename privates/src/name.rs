//! Naming rules: the gate every untrusted stored name passes, and Django's way of turning a
//! user's file name into a valid one. Both the [`storage`](crate::storage) and upload naming
//! ([`upload_to`](crate::upload_to)) use them; they depend on neither.
//!
//! These are string checks, the first line of defence; the second is the kernel, which
//! resolves every name beneath the storage root (see
//! [`LocalStorage`](crate::storage::LocalStorage)).

use std::fmt;

/// A name that breaks one of the naming rules; nothing was touched on disk.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid stored name {}: {reason}", Shown(.name))]
pub struct InvalidName {
    /// The refused name, as given.
    pub name: String,
    /// The rule it broke.
    pub reason: NameError,
}

impl InvalidName {
    pub(crate) fn new(name: &str, reason: NameError) -> Self {
        Self {
            name: name.to_owned(),
            reason,
        }
    }
}

/// The naming rule a stored name broke: `privates-rules`'
/// [`NameRule`](privates_rules::name::NameRule), which the derive applies to `upload_to` at
/// compile time.
pub use privates_rules::name::NameRule as NameError;

/// Displays an untrusted name escaped (as a Rust string literal) and shortened, so that a
/// hostile name can neither inject lines into a log nor flood it.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX_CHARS: usize = 120;
        match self.0.char_indices().nth(MAX_CHARS) {
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

pub use privates_rules::name::{MAX_NAME_BYTES, MAX_SEGMENT_BYTES};

/// Checks a stored name that comes from an untrusted place (a database column, a URL) and
/// returns it unchanged when it follows every rule of [`privates_rules::name::check`]
/// (relative, no `.`/`..` or empty segment, no control, bidi or percent-encoded separator
/// character, within [`MAX_NAME_BYTES`] and [`MAX_SEGMENT_BYTES`]).
///
/// A valid name can still lead outside the root through a symlink; the storage's operations
/// catch that at the kernel level and answer
/// [`StorageError::Escapes`](crate::storage::StorageError::Escapes).
///
/// ```
/// use privates::name::{validate_name, InvalidName, NameError};
///
/// assert_eq!(validate_name("invoices/2024/march.pdf").unwrap(), "invoices/2024/march.pdf");
/// assert!(matches!(
///     validate_name("../etc/passwd"),
///     Err(InvalidName { reason: NameError::DotSegment, .. })
/// ));
/// ```
///
/// # Errors
/// [`InvalidName`] with the [`NameError`] rule that was broken.
pub fn validate_name(name: &str) -> Result<&str, InvalidName> {
    // The shared rules, which the derive runs on `upload_to` at compile time.
    privates_rules::name::check(name).map_err(|rule| InvalidName::new(name, rule))?;
    Ok(name)
}

/// Django's `django.utils.text.get_valid_filename`: strip surrounding whitespace, turn spaces
/// into `_`, drop every character that is not `-`, `.`, `_`, a letter or a digit (any script,
/// as Python's `\w`), and refuse a result that is empty, `.` or `..`.
///
/// ```
/// use privates::name::get_valid_filename;
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
/// [`InvalidName`] with [`NameError::NoValidFilename`] when nothing valid is left.
pub fn get_valid_filename(name: &str) -> Result<String, InvalidName> {
    privates_rules::filename::valid(name)
        .ok_or_else(|| InvalidName::new(name, NameError::NoValidFilename))
}

/// The name a browser-supplied upload file name is stored under, before `upload_to`: the
/// rule of [`privates_rules::filename::upload`] (the basename, printable, cut to 255
/// characters and [`MAX_SEGMENT_BYTES`] keeping the extension, then [`get_valid_filename`]).
///
/// ```
/// use privates::name::valid_upload_filename;
///
/// assert_eq!(valid_upload_filename(r"C:\fakepath\my scan.pdf").unwrap(), "my_scan.pdf");
/// assert_eq!(valid_upload_filename("../../etc/passwd").unwrap(), "passwd");
/// // 200 two-byte characters are 400 bytes: cut to 255 bytes, the extension kept.
/// let long = valid_upload_filename(&format!("{}.pdf", "é".repeat(200))).unwrap();
/// assert_eq!(long, format!("{}.pdf", "é".repeat(125)));
/// ```
///
/// # Errors
/// [`InvalidName`] when nothing valid is left.
pub fn valid_upload_filename(original: &str) -> Result<String, InvalidName> {
    privates_rules::filename::upload(original)
        .ok_or_else(|| InvalidName::new(original, NameError::NoValidFilename))
}

/// Makes a name given to `save` valid: refuse what [`validate_name`] refuses (a traversal is an
/// attack, not a typo), then pass each segment through [`get_valid_filename`].
pub(crate) fn make_valid_name(name: &str) -> Result<String, InvalidName> {
    validate_name(name)?;
    let segments: Result<Vec<String>, _> = name.split('/').map(get_valid_filename).collect();
    let valid = segments
        .map_err(|_| InvalidName::new(name, NameError::NoValidFilename))?
        .join("/");
    // Only `[-\w.]` and `/` are left; this re-checks the structure, nothing else can change.
    validate_name(&valid)?;
    Ok(valid)
}

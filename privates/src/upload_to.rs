//! Where new uploads of a field go: Django's `upload_to`, as a strftime pattern or a function.

use std::fmt::{Display, Write as _};

use chrono::{DateTime, Local, TimeZone, format::StrftimeItems};
use privates_rules::upload_to::PatternError;

use crate::name::{InvalidName, NameError, valid_upload_filename, validate_name};

/// The folder (or full name) a new upload of a field is stored under.
#[derive(Clone, Copy, Debug, Default)]
pub enum UploadTo {
    /// Directly in the storage root.
    #[default]
    Root,
    /// A strftime pattern such as `"mugshots/%Y/"`, expanded with the current local date
    /// (chrono's specifiers, which include Python's). The expansion is a folder and the file
    /// keeps its (made valid) name, as in Django, which joins the two with `posixpath.join`:
    /// `"mugshots/%Y"` and `"mugshots/%Y/"` both give `mugshots/2024/photo.jpg`. Spaces and
    /// other characters a file name cannot keep are cleaned from the expansion on save.
    Pattern(&'static str),
    /// A function from the original file name (already made valid) to the stored name.
    Function(fn(&str) -> String),
}

impl UploadTo {
    /// The stored name (before a free variant is chosen) of an upload, the way Django's
    /// `FileField` names one: the browser's `original_filename` reduced to a valid basename
    /// ([`valid_upload_filename`]: `C:\fakepath\x.pdf` and `../../x` give `x.pdf` and `x`),
    /// placed with this `upload_to` at the current local time.
    ///
    /// ```
    /// use privates::UploadTo;
    ///
    /// assert_eq!(UploadTo::Root.name_for(r"C:\fakepath\my scan.pdf").unwrap(), "my_scan.pdf");
    /// ```
    ///
    /// # Errors
    /// [`UploadToError::FileName`] when nothing of the name is usable, the other variants for
    /// a pattern that cannot be expanded.
    pub fn name_for(&self, original_filename: &str) -> Result<String, UploadToError> {
        self.expand(&valid_upload_filename(original_filename)?)
    }

    /// The stored name (before a free variant is chosen) of an upload whose valid file name is
    /// `file_name`, at the current local time.
    ///
    /// ```
    /// use privates::UploadTo;
    ///
    /// let year = chrono::Local::now().format("%Y").to_string();
    /// let name = UploadTo::Pattern("mugshots/%Y/").expand("me.jpg").unwrap();
    /// assert_eq!(name, format!("mugshots/{year}/me.jpg"));
    /// assert_eq!(UploadTo::Root.expand("me.jpg").unwrap(), "me.jpg");
    /// ```
    ///
    /// # Errors
    /// [`UploadToError`] for a pattern with an unknown specifier, or one that does not expand
    /// to a relative folder.
    pub fn expand(&self, file_name: &str) -> Result<String, UploadToError> {
        self.expand_at(file_name, &Local::now())
    }

    /// As [`expand`](Self::expand), at the time `now` (for tests and replays).
    ///
    /// # Errors
    /// As [`expand`](Self::expand).
    pub fn expand_at<Tz>(
        &self,
        file_name: &str,
        now: &DateTime<Tz>,
    ) -> Result<String, UploadToError>
    where
        Tz: TimeZone,
        Tz::Offset: Display,
    {
        match self {
            Self::Root => Ok(file_name.to_owned()),
            Self::Function(function) => Ok(function(file_name)),
            Self::Pattern(pattern) => Ok(format!("{}{file_name}", folder_of(pattern, now)?)),
        }
    }

    /// Checks a pattern once, for instance at boot, so that a mistake is not first met by a
    /// user's upload. Other variants are always valid.
    ///
    /// # Errors
    /// As [`validate_pattern`].
    pub fn validate(&self) -> Result<(), UploadToError> {
        match self {
            Self::Pattern(pattern) => validate_pattern(pattern),
            Self::Root | Self::Function(_) => Ok(()),
        }
    }
}

/// Checks an `upload_to` pattern given at run time: every `%` specifier must be one chrono
/// formats (`%%` is a literal `%`), and the expansion must be a relative folder that
/// [`LocalStorage::save`](crate::storage::LocalStorage::save) accepts (no `/` or drive letter
/// at the start, no `..`, no `//`, no backslash, no control or bidirectional formatting
/// character, no percent-encoded separator, each segment keeping at least one valid
/// character). These are the `privates-rules` rules that `#[derive(PrivateMedia)]` applies at
/// compile time, so a derived pattern always passes.
///
/// ```
/// use privates::upload_to::validate_pattern;
///
/// assert!(validate_pattern("scans/%Y/%m/").is_ok());
/// assert!(validate_pattern("scans/%Q/").is_err());
/// assert!(validate_pattern("../%Y/").is_err());
/// ```
///
/// # Errors
/// [`UploadToError::InvalidSpecifier`] or [`UploadToError::UnsafeFolder`].
pub fn validate_pattern(pattern: &str) -> Result<(), UploadToError> {
    // The very rules `#[derive(PrivateMedia)]` runs at compile time: the two cannot disagree.
    privates_rules::upload_to::check(pattern).map_err(|err| match err {
        PatternError::Folder { expanded, rule } => UploadToError::UnsafeFolder {
            pattern: pattern.to_owned(),
            expanded,
            reason: rule,
        },
        _ => UploadToError::InvalidSpecifier {
            pattern: pattern.to_owned(),
        },
    })
}

/// Expands `pattern` at `now` into `""` or a folder ending with `/`.
fn folder_of<Tz>(pattern: &str, now: &DateTime<Tz>) -> Result<String, UploadToError>
where
    Tz: TimeZone,
    Tz::Offset: Display,
{
    let invalid = || UploadToError::InvalidSpecifier {
        pattern: pattern.to_owned(),
    };
    // Parse first: formatting an invalid item would make `to_string` panic.
    let items = StrftimeItems::new(pattern).parse().map_err(|_| invalid())?;
    let mut expanded = String::new();
    write!(expanded, "{}", now.format_with_items(items.iter())).map_err(|_| invalid())?;
    if !expanded.is_empty() && !expanded.ends_with('/') {
        expanded.push('/');
    }
    // Structure only (absolute, `..`, `//`, backslash, NUL...): characters that a file name
    // cannot keep are cleaned by `save`, as Django's storage does.
    if !expanded.is_empty() {
        let probe = format!("{expanded}x");
        if let Err(InvalidName { reason, .. }) = validate_name(&probe) {
            return Err(UploadToError::UnsafeFolder {
                pattern: pattern.to_owned(),
                expanded,
                reason,
            });
        }
    }
    Ok(expanded)
}

/// Why an upload cannot be named: an `upload_to` pattern that cannot be used, or a file name
/// with nothing valid left.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadToError {
    /// The pattern has an unknown or incomplete `%` specifier.
    #[error(
        "upload_to pattern {pattern:?} has an unknown or incomplete `%` specifier; use strftime \
         specifiers such as `%Y`, `%m`, `%d`, and `%%` for a literal `%`"
    )]
    InvalidSpecifier {
        /// The pattern.
        pattern: String,
    },
    /// The pattern does not expand to a relative folder inside the storage.
    #[error(
        "upload_to pattern {pattern:?} expands to {expanded:?}, which is not a relative folder \
         inside the storage: {reason}; write it like \"documents/%Y/%m/\""
    )]
    UnsafeFolder {
        /// The pattern.
        pattern: String,
        /// What it expanded to.
        expanded: String,
        /// The naming rule the expansion broke.
        reason: NameError,
    },
    /// Nothing valid is left of the uploaded file's name (`"???"`).
    #[error(transparent)]
    FileName(#[from] InvalidName),
}

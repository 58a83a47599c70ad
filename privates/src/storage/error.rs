//! What can go wrong in the private storage, and which naming rule a refused name broke.

use std::{fmt, io, path::PathBuf};

/// An error of the private storage.
///
/// Messages name the offending stored name (escaped and shortened, so a hostile name cannot
/// forge log lines) and say how to fix the problem. They never contain file contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The name breaks one of the naming rules (see [`NameError`]); nothing was touched on disk.
    #[error("invalid stored name {}: {reason}", Shown(.name))]
    InvalidName {
        /// The refused name, as given.
        name: String,
        /// The rule it broke.
        reason: NameError,
    },
    /// No regular file is stored under this name.
    #[error("no file named {} in the private storage", Shown(.name))]
    NotFound {
        /// The stored name that was asked for.
        name: String,
    },
    /// Something that is not a regular file (a folder, a device, a socket) has this name.
    ///
    /// For serving, treat it like [`StorageError::NotFound`]: see [`StorageError::is_not_found`].
    #[error(
        "{} in the private storage is not a regular file (a folder or a special file)",
        Shown(.name)
    )]
    NotAFile {
        /// The stored name that was asked for.
        name: String,
    },
    /// The kernel refused to resolve the name beneath the storage root: a symlink (or a
    /// symlinked folder) on the way points outside `location`, or is absolute.
    #[error(
        "{} leads outside the private storage (a symlink points outside `location`); \
         remove the symlink or store the file inside `location`",
        Shown(.name)
    )]
    Escapes {
        /// The stored name that was asked for.
        name: String,
    },
    /// Every candidate name was taken or too long: Django's "Storage can not find an available
    /// filename".
    #[error(
        "cannot find an available name for {} within {max_length} characters; use a shorter \
         `upload_to` folder or file name, or allow longer names",
        Shown(.name)
    )]
    NoAvailableName {
        /// The name that was asked for (made valid).
        name: String,
        /// The limit on the whole stored name, in characters.
        max_length: usize,
    },
    /// The storage `base_url` is malformed (see [`check_url_path`](crate::urls::check_url_path)).
    #[error("storage base_url {base_url:?} is invalid: {reason}; write it like `/private-media/`")]
    BaseUrl {
        /// The refused value.
        base_url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The storage folder cannot be created or opened.
    #[error(
        "cannot create or open the storage location {}: {source}; create the folder or fix \
         its permissions",
        .location.display()
    )]
    Location {
        /// The configured location.
        location: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The `upload_to` of a field cannot be expanded.
    #[error(transparent)]
    UploadTo(#[from] UploadToError),
    /// The stream being saved yielded an error; nothing was stored.
    #[error("the upload stream failed, nothing was stored: {0}")]
    Stream(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// Any other input/output error, on the stored name `name` (empty for the storage as a
    /// whole: listing its temporary files, a worker task that failed).
    #[error("private storage I/O error{}: {source}", OnName(.name))]
    Io {
        /// The stored name being worked on.
        name: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A call to the object store failed (unreachable, timed out, refused, ...).
    #[error(
        "S3 {operation} of {} in bucket `{bucket}` failed: {source}; check `storage.endpoint`, the bucket and the credentials (each call times out after {timeout} s, `storage.timeout`)",
        Shown(.name)
    )]
    ObjectStore {
        /// `HEAD`, `GET`, `upload`, `DELETE` or `presign`.
        operation: &'static str,
        /// The stored name.
        name: String,
        /// The bucket.
        bucket: String,
        /// The configured timeout, in seconds.
        timeout: u64,
        /// opendal's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another upload took the key between the check and the end of this upload; nothing was
    /// overwritten and nothing stored (see [`S3Storage::save`](super::S3Storage::save)).
    #[error("another upload took the name {} meanwhile; nothing was stored, try again", Shown(.name))]
    NameTaken {
        /// The key that was taken.
        name: String,
    },
    /// The operation needs the other storage backend (a file path of an S3 object).
    #[error("{operation} is not available with the `{backend}` storage backend")]
    Unsupported {
        /// What was asked for.
        operation: &'static str,
        /// The configured backend.
        backend: &'static str,
    },
}

impl StorageError {
    /// Whether a download of this name should answer 404: the name is invalid, missing, not a
    /// regular file, or leads outside the storage. Serving code maps all of these to "not
    /// found" so a probe learns nothing about the disk.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::InvalidName { .. }
                | Self::NotFound { .. }
                | Self::NotAFile { .. }
                | Self::Escapes { .. }
        )
    }

    pub(crate) fn io(name: &str, source: io::Error) -> Self {
        Self::Io {
            name: name.to_owned(),
            source,
        }
    }

    pub(crate) fn invalid(name: &str, reason: NameError) -> Self {
        Self::InvalidName {
            name: name.to_owned(),
            reason,
        }
    }
}

/// What a checked save ([`Storage::save_checked`](super::Storage::save_checked)) did: stored
/// the file under a name, or nothing because the check refused it, with the check's own,
/// typed reason (no boxed error to downcast).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Checked<R> {
    /// Stored under this name.
    Stored(String),
    /// Refused by the check; nothing was stored.
    Refused(R),
}

impl Checked<std::convert::Infallible> {
    /// The stored name of a save whose check cannot refuse.
    pub fn into_stored(self) -> String {
        match self {
            Self::Stored(name) => name,
            Self::Refused(never) => match never {},
        }
    }
}

/// The naming rule a stored name broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than the limit, in bytes.
    #[error("the name is {len} bytes long, the limit is {max}")]
    TooLong {
        /// The name's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// One `/`-separated segment is longer than the file system allows, in bytes.
    #[error("a segment of the name is {len} bytes long, the limit is {max}")]
    SegmentTooLong {
        /// The segment's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name contains a NUL byte.
    #[error("the name contains a NUL byte")]
    Nul,
    /// The name contains a control character (newline, tab, escape, DEL, C1 controls).
    #[error("the name contains a control character")]
    ControlChar,
    /// The name contains a bidirectional formatting character (such as RIGHT-TO-LEFT
    /// OVERRIDE), which can disguise an extension.
    #[error("the name contains a bidirectional formatting character")]
    BidiControl,
    /// The name is absolute (`/x`, `\\server\x`, `C:x`); stored names are relative to the
    /// storage root.
    #[error("the name is absolute; stored names are relative to the storage root")]
    Absolute,
    /// The name contains a backslash; the separator of stored names is `/`.
    #[error("the name contains a backslash; use `/` between folders")]
    Backslash,
    /// The name contains a percent-encoded separator, dot, percent sign, NUL or control
    /// character (`%2f`, `%5c`, `%2e`, `%25`, `%00`): a later decoding step could turn it into
    /// a traversal.
    #[error("the name contains a percent-encoded separator, dot, percent sign or control byte")]
    PercentEncoded,
    /// The name has an empty segment (`a//b`, a trailing `/`).
    #[error("the name has an empty segment (`//` or a trailing `/`)")]
    EmptySegment,
    /// The name has a `.` or `..` segment.
    #[error("the name has a `.` or `..` segment")]
    DotSegment,
    /// Nothing valid is left once the characters Django's `get_valid_filename` removes are
    /// gone (`"???"`, `"$.$.$"`).
    #[error(
        "no valid file name can be derived from it (only `-`, `_`, `.`, letters and digits are kept)"
    )]
    NoValidFilename,
}

/// ` on <name>`, or nothing for the storage as a whole.
struct OnName<'a>(&'a str);

impl fmt::Display for OnName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " on {}", Shown(self.0))
        }
    }
}

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

/// An `upload_to` pattern that cannot be used.
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
}

//! What can go wrong in the private storage.

use std::{fmt, io, path::PathBuf};

use crate::{
    name::{InvalidName, NameError, Shown},
    upload_to::UploadToError,
};

/// An error of the private storage.
///
/// Messages name the offending stored name (escaped and shortened, so a hostile name cannot
/// forge log lines) and say how to fix the problem. They never contain file contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The name breaks one of the naming rules ([`InvalidName`]); nothing was touched on disk.
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
    UploadTo(UploadToError),
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
}

impl From<InvalidName> for StorageError {
    fn from(InvalidName { name, reason }: InvalidName) -> Self {
        Self::InvalidName { name, reason }
    }
}

impl From<UploadToError> for StorageError {
    fn from(err: UploadToError) -> Self {
        match err {
            UploadToError::FileName(invalid) => invalid.into(),
            other => Self::UploadTo(other),
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

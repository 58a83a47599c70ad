//! What can go wrong while receiving a change form: request-level errors ([`UploadError`],
//! each with its HTTP status) and per-field validation messages ([`FieldError`]).

use std::time::Duration;

use axum::{
    extract::multipart::{MultipartError, MultipartRejection},
    response::{IntoResponse, Response},
};
use http::StatusCode;
use privates::storage::StorageError;

use crate::{csrf::CsrfError, settings::AdminError};

/// A validation message for one field, shown next to it when the form is rendered again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name (without the form prefix).
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
    /// Which rule refused the field (an API answers 415 for a type, 422 for the rest).
    pub kind: FieldErrorKind,
}

/// Which rule a [`FieldError`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldErrorKind {
    /// The file's type, sniffed from its bytes, is not accepted (or not an image for an
    /// `image` field).
    UnsupportedType,
    /// A required field got no file.
    Required,
    /// Anything else: an empty or corrupt file, a name that cannot be stored, a contradiction,
    /// the application's own check.
    Invalid,
}

/// A change form that cannot be received at all. No file of the request is left in the
/// storage when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// A file is larger than its field's `max_size` (413). Only the bytes up to the limit
    /// were read; nothing was stored.
    #[error("the file for `{field}` is larger than {max_size} bytes")]
    TooLarge {
        /// The field's name.
        field: String,
        /// The field's limit, in bytes.
        max_size: u64,
    },
    /// The text fields of the form are larger than
    /// [`UploadOptions::max_text_bytes`](super::UploadOptions::max_text_bytes) (413).
    #[error("the form's text fields are larger than {max} bytes")]
    TextTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The form has more parts than
    /// [`UploadOptions::max_parts`](super::UploadOptions::max_parts) (400, Django's
    /// `TooManyFieldsSent`).
    #[error("the form has more than {max} fields")]
    TooManyParts {
        /// The limit.
        max: usize,
    },
    /// The body is not valid `multipart/form-data`, was cut short, or exceeded the route's
    /// body limit (400, or 413 for the limit).
    #[error("malformed multipart body: {0}")]
    Multipart(#[from] MultipartError),
    /// The private storage failed: 507 when its disk (or the user's quota) is full, see
    /// [`is_storage_full`](Self::is_storage_full); 500 otherwise.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// privates is not initialised in the app context (500).
    #[error(transparent)]
    Privates(#[from] privates::Error),
    /// A blocking task (image decoding) failed (500).
    #[error("an upload task failed: {0}")]
    Task(String),
    /// The request failed the CSRF check (403, or 500 when the protection is not set up);
    /// nothing was stored.
    #[error(transparent)]
    Csrf(#[from] CsrfError),
    /// The body stayed silent between two chunks for longer than
    /// [`UploadOptions::idle_timeout`](super::UploadOptions::idle_timeout) (408); the
    /// temporary file was removed.
    #[error("the upload was silent for more than {after:?}")]
    Idle {
        /// The idle timeout.
        after: Duration,
    },
    /// The request declares a `Content-Length` above the route's body limit (413), refused
    /// before a byte of the body is read.
    #[error("the request declares {declared} bytes; the limit is {limit}")]
    DeclaredTooLarge {
        /// The declared length.
        declared: u64,
        /// The route's body limit.
        limit: u64,
    },
    /// No image-decoding memory became free in time (503): the server is busy with other
    /// images; nothing was stored.
    #[error("no image decoding memory became free within {waited:?}")]
    Busy {
        /// How long the upload waited.
        waited: Duration,
    },
    /// The request is not a `multipart/form-data` form (400 or 415).
    #[error(transparent)]
    NotMultipart(#[from] MultipartRejection),
    /// privates-admin is not initialised (500).
    #[error(transparent)]
    Settings(#[from] AdminError),
}

impl UploadError {
    /// The HTTP status to answer with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        if self.is_storage_full() {
            return StatusCode::INSUFFICIENT_STORAGE;
        }
        match self {
            Self::TooLarge { .. } | Self::TextTooLarge { .. } | Self::DeclaredTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::TooManyParts { .. } => StatusCode::BAD_REQUEST,
            Self::Multipart(err) => err.status(),
            Self::NotMultipart(rejection) => rejection.status(),
            Self::Csrf(err) => err.status(),
            Self::Idle { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(_) | Self::Privates(_) | Self::Task(_) | Self::Settings(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Whether the storage ran out of space (`ENOSPC`) or quota (`EDQUOT`) while writing the
    /// file: answered with 507 Insufficient Storage and a message saying so. Nothing of the
    /// upload is left behind (its temporary file is removed), and the field's previous file
    /// is untouched.
    #[must_use]
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Storage(StorageError::Io { source, .. })
            | Self::Privates(privates::Error::Storage(StorageError::Io { source, .. })) => {
                is_full(source)
            }
            _ => false,
        }
    }

    /// The message for a person (no internals for server errors).
    #[must_use]
    pub fn public_message(&self) -> String {
        match self {
            Self::TooLarge { field, max_size } => format!(
                "The file for {field} is too large; the limit is {}.",
                human_size(*max_size)
            ),
            Self::TextTooLarge { .. }
            | Self::TooManyParts { .. }
            | Self::Multipart(_)
            | Self::NotMultipart(_) => {
                format!("The form could not be read: {self}.")
            }
            Self::DeclaredTooLarge { limit, .. } => format!(
                "The form is too large; the limit is {}. Nothing was changed.",
                human_size(*limit)
            ),
            Self::Csrf(err) => err.to_string(),
            Self::Idle { after } => format!(
                "The upload stalled: nothing arrived for {} seconds. Nothing was changed; \
                 please send the form again.",
                after.as_secs()
            ),
            Self::Busy { .. } => "The server is busy checking other images. Nothing was \
                                  changed; please send the form again in a moment."
                .to_owned(),
            _ if self.is_storage_full() => "The file could not be stored: the server's storage \
                                            is full. Nothing was changed; please try again \
                                            later or tell the site's administrators."
                .to_owned(),
            Self::Storage(_) | Self::Privates(_) | Self::Task(_) | Self::Settings(_) => {
                "The file could not be stored; please try again later.".to_owned()
            }
        }
    }
}

/// `ENOSPC` or `EDQUOT`, also when wrapped in another I/O error with the same kind.
fn is_full(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// The status with [`UploadError::public_message`] as plain text (a CSRF refusal: its 403
/// page); server errors are logged.
impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        if let Self::Csrf(err) = self {
            return err.into_response();
        }
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("privates-admin: upload failed: {self}");
        }
        (status, self.public_message()).into_response()
    }
}

/// `2 MB`, `512 KB`, `17 bytes`, `1 byte` (decimal units, as browsers show file sizes).
#[must_use]
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenth = (bytes % unit) * 10 / unit;
            return if tenth == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole}.{tenth} {name}")
            };
        }
    }
    if bytes == 1 {
        return "1 byte".to_owned();
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use privates::storage::StorageError;

    use super::{UploadError, human_size};

    #[test]
    fn full_disk_is_507_with_a_message() {
        const ENOSPC: i32 = 28;
        const EDQUOT: i32 = 122;
        for code in [ENOSPC, EDQUOT] {
            let err = UploadError::from(StorageError::Io {
                name: "a.pdf".into(),
                source: std::io::Error::from_raw_os_error(code),
            });
            assert!(err.is_storage_full());
            assert_eq!(err.status(), StatusCode::INSUFFICIENT_STORAGE);
            let message = err.public_message();
            assert!(message.contains("storage is full"), "{message}");
            assert!(!message.contains("os error"), "{message}");
        }
        // Wrapped with context, as the storage does for folders it cannot create.
        let wrapped = std::io::Error::new(std::io::ErrorKind::StorageFull, "cannot create docs");
        let err = UploadError::from(privates::Error::from(StorageError::Io {
            name: "docs/a.pdf".into(),
            source: wrapped,
        }));
        assert_eq!(err.status(), StatusCode::INSUFFICIENT_STORAGE);

        let other = UploadError::from(StorageError::Io {
            name: "a.pdf".into(),
            source: std::io::Error::from_raw_os_error(5),
        });
        assert!(!other.is_storage_full());
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!other.public_message().contains("full"));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(17), "17 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(2_000_000), "2 MB");
        assert_eq!(human_size(2_500_000), "2.5 MB");
        assert_eq!(human_size(1_024), "1 KB");
    }
}

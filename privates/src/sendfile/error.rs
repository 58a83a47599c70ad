//! Why a file could not be handed over, and the answer the client gets for it.

use std::{io, path::PathBuf};

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::storage::StorageError;

/// Why [`Sendfile`](super::Sendfile) refused or failed.
///
/// As a response ([`IntoResponse`]) every case the client could provoke is a logged 404 (never
/// revealing whether a file exists outside the root); only faults of the server itself (I/O
/// errors on an open file, a misconfiguration, a bad option passed by the app) are a 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendfileError {
    /// The `Sendfile` settings are unusable (checked once, at construction).
    #[error("config key `{key}`: {message}")]
    InvalidConfig {
        /// The full key to fix, e.g. `initializers.privates.sendfile.url`.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The path does not lie beneath the sendfile root (or contains `..`).
    #[error("{path:?} is outside the sendfile root {root:?}")]
    OutsideRoot {
        /// The refused path.
        path: PathBuf,
        /// The root it had to be in.
        root: PathBuf,
    },
    /// No regular file at that path.
    #[error("{path:?} does not exist or is not a file")]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// The file could not be opened beneath the root: a symlink that leads outside, a
    /// component that is not a directory, missing permissions.
    #[error("{path:?} cannot be opened beneath the sendfile root: {source}")]
    Open {
        /// The path asked for.
        path: PathBuf,
        /// What the OS (or cap-std's confinement) said.
        #[source]
        source: io::Error,
    },
    /// The path cannot be written into the offload header safely (not UTF-8, or containing
    /// control characters such as CR/LF), so it is refused rather than sent.
    #[error("{path:?} cannot be expressed in the {header} header")]
    Unrepresentable {
        /// The header it was meant for (`X-Accel-Redirect`, `X-Sendfile`, ...).
        header: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// A [`SendfileOptions`](super::SendfileOptions) value is not a valid header value.
    #[error("sendfile option `{option}` is not a valid header value: {value:?}")]
    InvalidOption {
        /// `mimetype` or `encoding`.
        option: &'static str,
        /// The value given.
        value: String,
    },
    /// The storage refused the name, found nothing under it, or failed (a missing or refused
    /// name is a 404, a failing store a 500: [`StorageError::is_not_found`]).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading the file or its metadata failed after it was opened.
    #[error("I/O error on {path:?}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl SendfileError {
    /// The status this error answers with: 404 for everything a request can cause, 500 for
    /// faults of the server or the app.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::OutsideRoot { .. }
            | Self::NotFound { .. }
            | Self::Open { .. }
            | Self::Unrepresentable { .. } => StatusCode::NOT_FOUND,
            Self::Storage(err) if err.is_not_found() => StatusCode::NOT_FOUND,
            Self::InvalidConfig { .. }
            | Self::InvalidOption { .. }
            | Self::Io { .. }
            | Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether this is a fault of the server (answered with 500) rather than a file the
    /// request cannot have (404).
    #[must_use]
    pub fn is_io_fault(&self) -> bool {
        self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// Maps an error from opening `path` beneath the root: a missing file is
    /// [`NotFound`](Self::NotFound), anything else that stops the open
    /// ([`Open`](Self::Open)) is the request's problem, not the server's.
    pub(crate) fn from_open(path: PathBuf, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::NotFound => Self::NotFound { path },
            _ => Self::Open { path, source },
        }
    }
}

impl IntoResponse for SendfileError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            // Someone asked for a path outside the root: worth a look in the logs.
            Self::OutsideRoot { .. } | Self::Open { .. } => {
                tracing::warn!(error = %self, "sendfile refused");
            }
            Self::NotFound { .. } => tracing::info!(error = %self, "sendfile: no such file"),
            Self::Storage(err) if err.is_not_found() => {
                tracing::info!(error = %self, "sendfile: refused or missing stored name");
            }
            Self::Unrepresentable { .. }
            | Self::InvalidConfig { .. }
            | Self::InvalidOption { .. }
            | Self::Io { .. }
            | Self::Storage(_) => tracing::error!(error = %self, "sendfile failed"),
        }
        if status == StatusCode::NOT_FOUND {
            (status, "not found").into_response()
        } else {
            status.into_response()
        }
    }
}

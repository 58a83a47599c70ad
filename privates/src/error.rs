//! The crate's error types. Each module has its own enum; [`Error`] gathers them for callers
//! that do not care which part failed.

use crate::{
    checks::CheckReport, sendfile::SendfileError, share::ShareError, storage::StorageError,
};

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `initializers.privates` block does not fit the schema.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration failed its checks (at least one `privates.E…`).
    #[error("{0}")]
    Checks(CheckReport),
    /// The private storage failed or refused a name.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A file could not be handed over.
    #[error(transparent)]
    Sendfile(#[from] SendfileError),
    /// A share link cannot be minted.
    #[error(transparent)]
    Share(#[from] ShareError),
    /// No [`Privates`](crate::Privates) handle is installed in the app context.
    #[error(
        "privates is not initialized: return `Box::new(privates::PrivatesInitializer::new(..))` \
         from `Hooks::initializers`, or call `Privates::install(&ctx)` in a test"
    )]
    NotInitialized,
}

/// A malformed `initializers.privates` block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key has the wrong type or value, or is unknown.
    #[error("config key `{key}`: {message}")]
    Invalid {
        /// The full key to fix, e.g. `initializers.privates.storage.location`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl From<Error> for loco_rs::Error {
    fn from(err: Error) -> Self {
        Self::Message(err.to_string())
    }
}

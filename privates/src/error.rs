//! The crate's error type. Each part has its own enum (the config's, the checks' report, the
//! storage's, the delivery's, the share links'); [`Error`] gathers them, each with its context,
//! for callers that do not care which part failed.

use crate::{
    checks::CheckReport, config::ConfigError, sendfile::SendfileError, share::ShareError,
    storage::StorageError,
};

/// Any error of this crate. Its `Debug` is its message and its causes, one per line (what
/// a `main` returning this error prints), not the nested structure.
#[derive(thiserror::Error)]
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
        "privates: the initializer is not registered (add PrivatesInitializer to \
         Hooks::initializers: `Box::new(privates::PrivatesInitializer::new(..))`); in a test, \
         call `Privates::install(&ctx)` and build the router with \
         `privates::routing::after_routes` (privates_testing::router does)"
    )]
    NotInitialized,
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Keeps the error whole (loco's `Error::Any`), so its source chain and type survive.
impl From<Error> for loco_rs::Error {
    fn from(err: Error) -> Self {
        Self::Any(Box::new(err))
    }
}

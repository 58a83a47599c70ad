//! The audit's one error type.

/// What can go wrong reading or writing the audit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `initializers.privates` block is malformed (the message names the key).
    #[error(transparent)]
    Config(#[from] privates::config::ConfigError),
    /// The database failed.
    #[error("the audit tables: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A task argument is malformed.
    #[error("task argument `{key}:{value}`: {expected}")]
    BadArgument {
        /// The argument's key.
        key: &'static str,
        /// The value given.
        value: String,
        /// How to write it.
        expected: &'static str,
    },
}

impl From<Error> for loco_rs::Error {
    fn from(err: Error) -> Self {
        Self::Message(err.to_string())
    }
}

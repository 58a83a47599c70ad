//! The errors of the store, its tasks and its sessions.

/// What went wrong; each message names the argument or row to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed.
    #[error("the permission store's database failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// No user has this email or pid.
    #[error("no user {0} in loco's `users` table")]
    UnknownUser(crate::UserRef),
    /// No group has this name.
    #[error("no group named `{0}`")]
    UnknownGroup(String),
    /// A group of this name exists already.
    #[error("a group named `{0}` exists already")]
    GroupExists(String),
    /// A group name must not be empty.
    #[error("a group needs a name that is not empty")]
    EmptyGroupName,
    /// The permission is none of the registered models' (see
    /// [`KnownPermissions`](crate::KnownPermissions)).
    #[error(
        "`{permission}` is not a permission of any registered model (known: {known}); check \
         the spelling, register the model, or add `force:true` to use it anyway"
    )]
    UnknownPermission {
        /// The permission given.
        permission: String,
        /// The known ones, comma-separated.
        known: String,
    },
    /// A permission must look like Django's `app_label.codename`.
    #[error("`{0}` is not a permission: write `app_label.codename`, e.g. `docs.view_report`")]
    MalformedPermission(String),
    /// A task was given no value for a required argument.
    #[error("the task needs `{0}:<value>`")]
    MissingArgument(&'static str),
    /// A task argument has a value the task does not take.
    #[error("task argument `{key}:{value}`: {expected}")]
    BadArgument {
        /// The argument.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is expected instead.
        expected: &'static str,
    },
    /// The change would take the superuser status from the last superuser, and nobody would
    /// hold every permission any more (the `privates_superuser_add` task can still make one).
    #[error(
        "user {0} is the last superuser: make another user a superuser first, or nobody will \
         hold every permission"
    )]
    LastSuperuser(i32),
    /// A group id that names no group.
    #[error("no group with id `{0}`")]
    UnknownGroupId(i32),
    /// loco's JWT is not configured (`auth.jwt`), or signing a token failed.
    #[error("cannot mint a session token: {0}")]
    Token(String),
}

impl From<Error> for loco_rs::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::Database(err) => Self::DB(err),
            other => Self::Message(other.to_string()),
        }
    }
}

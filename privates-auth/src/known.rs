//! The permissions an app knows about: those of its registered models, as the tasks check a
//! permission before granting it (a misspelt grant would otherwise be accepted and never
//! match anything).

use std::collections::BTreeSet;

use privates::{PrivateMedia, Privates};

/// The permission strings of a set of models, sorted and each once.
///
/// ```
/// # use privates_auth::KnownPermissions;
/// let known = KnownPermissions::new().with(["docs.view_report"]);
/// assert!(known.contains("docs.view_report"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownPermissions {
    permissions: BTreeSet<&'static str>,
}

impl KnownPermissions {
    /// No permissions.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the permissions of `M` ([`PrivateMedia::permissions`]): the model's and those of
    /// its fields.
    #[must_use]
    pub fn model<M: PrivateMedia>(self) -> Self {
        self.with(M::permissions())
    }

    /// Adds `permissions` (an app's own, used outside any model).
    #[must_use]
    pub fn with(mut self, permissions: impl IntoIterator<Item = &'static str>) -> Self {
        self.permissions.extend(permissions);
        self
    }

    /// Whether `permission` is one of them.
    #[must_use]
    pub fn contains(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// All of them, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.permissions.iter().copied()
    }
}

/// The permissions of the models registered with
/// [`PrivatesInitializer::model`](privates::PrivatesInitializer::model).
impl From<&Privates> for KnownPermissions {
    fn from(privates: &Privates) -> Self {
        Self::new().with(privates.permissions())
    }
}

//! The permissions an app knows about: those of its registered models, as the tasks check a
//! permission before granting it (a misspelt grant would otherwise be accepted and never
//! match anything).

use std::collections::BTreeSet;

use privates::{PrivateMedia, Privates};

/// The store's own permission: who may see and change what users hold (their groups, grants
/// and superuser status), Django's `auth.change_user`. privates-admin's users page requires
/// it; every [`KnownPermissions`] lists it, so the grant task accepts it.
pub const CHANGE_USER: &str = "auth.change_user";

/// The permission strings of a set of models, sorted and each once, with the store's own
/// [`CHANGE_USER`].
///
/// ```
/// # use privates_auth::{CHANGE_USER, KnownPermissions};
/// let known = KnownPermissions::new().with(["docs.view_report"]);
/// assert!(known.contains("docs.view_report"));
/// assert_eq!(known.iter().collect::<Vec<_>>(), [CHANGE_USER, "docs.view_report"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPermissions {
    permissions: BTreeSet<&'static str>,
}

impl Default for KnownPermissions {
    fn default() -> Self {
        Self {
            permissions: BTreeSet::from([CHANGE_USER]),
        }
    }
}

impl KnownPermissions {
    /// The store's own permission, [`CHANGE_USER`], and no model's.
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

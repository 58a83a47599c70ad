//! The users page (privates-admin's [`UserAdmin`]): `GET /admin/auth/user/`, and
//! `GET/POST /admin/auth/user/{id}/change/` to see and change a user's superuser status,
//! groups and direct grants. It requires `auth.change_user` ([`privates_auth::CHANGE_USER`]):
//! the seeded admin, a superuser, holds it; the clerk gets 403.

use loco_rs::controller::Routes;
use privates_admin::users::UserAdmin;

use super::pages::{HOME, LOGOUT, SITE_TITLE};
use crate::app::known_permissions;

/// The users page in the demo's layout.
#[must_use]
pub fn admin() -> UserAdmin {
    UserAdmin::new(known_permissions())
        .site_title(SITE_TITLE)
        .home_url(HOME)
        .logout_url(LOGOUT)
}

/// The list and the change page, with privates-admin's security headers.
#[must_use]
pub fn routes() -> Routes {
    admin().routes()
}

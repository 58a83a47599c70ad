//! The demo's pages, rendered with the privates-admin page set.
//!
//! CSRF: every form (login, logout, add, change and clear, share) carries privates-admin's
//! token, bound to the browser's `privates_csrf` secret and to the session cookie, and every
//! POST is checked (its `Origin` / `Sec-Fetch-Site`, then the token) before anything changes:
//! [`privates_admin::CsrfForm`] for the urlencoded forms, `ModelAdmin::receive` for the
//! multipart ones. The session cookie is also `SameSite=Lax`, and no GET route changes
//! anything.

pub mod admin;
pub mod pages;
pub mod session;
pub mod users;

//! The demo's pages, rendered with the privates-admin page set.
//!
//! CSRF: there is no token. The session cookie is `SameSite=Lax`, so browsers do not send it
//! with a POST that another site starts (a cross-site form or `fetch`), and every form of the
//! demo posts to its own origin. Lax cookies do go along with top-level cross-site GET
//! navigations, which is why no GET route changes anything. (Lax does not separate sibling
//! subdomains of one site: an app sharing its site with untrusted subdomains needs tokens; the
//! templates have an optional `csrf_token` field for that.)

pub mod admin;
pub mod pages;
pub mod session;

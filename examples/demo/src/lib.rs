//! The privates demo: a loco app on SQLite with private ID documents, managed through the
//! privates-admin page set.
//!
//! - `GET/POST /login` (`?next=` honoured for local paths), `POST /logout`;
//! - `GET /admin/docs/iddocument/` (the list, with the widgets' protected links),
//!   `GET/POST /admin/docs/iddocument/add/`, `GET/POST /admin/docs/iddocument/{pk}/change/`
//!   (multipart: `title`, `pdf`, `mugshot`, `pdf-clear`);
//! - `GET /admin/auth/user/`, `GET/POST /admin/auth/user/{id}/change/`: each user's
//!   superuser status, groups and direct grants (requires `auth.change_user`);
//! - downloads at `/admin/docs/iddocument/{pk}/pdf/` and `/{pk}/mugshot/`.
//!
//! Every document page and download requires `docs.can_change_iddocument`, held in privates-auth's
//! permission store (grants, groups, superusers; `cargo loco task privates_grant ...`). The storage's own URL
//! (`/protected/...`) is not served by the app: only a web server in front of it (nginx,
//! Apache, lighttpd) maps it, after the app said yes.

/// With `--features mimalloc`, every binary of the demo allocates through mimalloc, as an app
/// swaps its allocator (this item and the dependency): measured in the README's Benchmarks,
/// where it did not pay.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod controllers;
pub mod migration;
pub mod models;
pub mod seed;

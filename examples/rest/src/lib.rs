//! The privates REST example: a JSON API as a fresh `loco new` app grows one, with private
//! files and no admin pages.
//!
//! - `POST /api/auth/register`, `POST /api/auth/login` (`{"token", "pid"}`, and the `token`
//!   cookie), `GET /api/auth/csrf` (the token a cookie-authenticated upload sends);
//! - `GET/POST /api/invoices`, `GET /api/invoices/{id}`, `POST /api/invoices/{id}/scan`
//!   (integer keys; the entity as loco generates it, the private field on a mirror);
//! - `GET/POST /api/contracts`, `GET /api/contracts/{id}`, `POST /api/contracts/{id}/document`
//!   (UUID keys);
//! - the downloads, at the URLs the rows' `*_url` fields name.
//!
//! Every route but registration and login needs the model's permission
//! (`billing.can_change_invoices`, `legal.can_change_contracts`), held in privates-auth's
//! store (`cargo run -p rest -- task privates_grant perm:... user:...`).

pub mod app;
pub mod controllers;
pub mod migration;
pub mod models;

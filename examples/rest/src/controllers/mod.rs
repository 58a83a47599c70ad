//! The JSON API. Every answer, refusals included, is JSON in loco's error shape
//! (`{"error": "forbidden", "description": ...}`).

pub mod auth;
pub mod contracts;
pub mod invoices;

use loco_rs::{Error, controller::ErrorDetail};
use privates_auth::StoreUser;

/// 403 unless `user` holds `permission` (a superuser holds every one).
fn require(user: &StoreUser, permission: &str) -> Result<(), Error> {
    if user.holds(permission) {
        Ok(())
    } else {
        Err(Error::CustomError(
            http::StatusCode::FORBIDDEN,
            ErrorDetail::new("forbidden", format!("requires the permission {permission}")),
        ))
    }
}

//! # privates-audit
//!
//! Who opened which private file, in the app's own database. [privates] emits every decision
//! of its download and share routes as an [`AuditEvent`](privates::audit::AuditEvent) (and
//! as a `tracing` event under `privates::audit`); this crate keeps them:
//!
//! - [`migration::Migration`] creates `privates_audit_events` and `privates_audit_drops`
//!   (SQLite and PostgreSQL); [`entities`] are their SeaORM entities.
//! - [`AuditTable`] is the [`AuditSink`](privates::audit::AuditSink): a bounded queue on the
//!   request path and a background writer inserting in batches, with the overflow policy of
//!   `audit.overflow` (`wait`, `drop` and count, or `refuse` with 503), flushed by
//!   [`shutdown`] on a graceful shutdown.
//! - [`settings`] are its keys under `initializers.privates.audit`.
//! - [`query`] reads them (by user, by object, by time) and deletes old ones; [`tasks`] are
//!   `privates_audit` (list, text or JSON) and `privates_audit_clean` (`audit.retention`).
//! - privates-admin's change page shows "who opened this file" from [`query::events`]
//!   (its `audit` feature), to holders of [`VIEW_AUDIT`].
//!
//! Wiring it into a loco app:
//!
//! ```ignore
//! async fn initializers(ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
//!     let audit = privates_audit::AuditTable::start(ctx)?;
//!     Ok(vec![Box::new(PrivatesInitializer::new(StoreAuthorizer).audit(Arc::new(audit)))])
//! }
//! async fn on_shutdown(ctx: &AppContext) {
//!     privates_audit::shutdown(ctx).await;
//! }
//! fn register_tasks(tasks: &mut Tasks) {
//!     privates_audit::tasks::register(tasks);
//! }
//! ```

pub mod entities;
pub mod error;
pub mod migration;
pub mod query;
pub mod settings;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod table;
pub mod tasks;

use std::time::{SystemTime, UNIX_EPOCH};

use privates::audit::Check;

pub use error::Error;
pub use table::{AuditHold, AuditTable, shutdown};

/// The permission to see who opened a file (privates-admin's change pages).
pub const VIEW_AUDIT: &str = "privates.view_audit";

/// The name a refusing check is stored under (`refused_by`).
#[must_use]
pub const fn check_name(check: Check) -> &'static str {
    match check {
        Check::Authentication => "authentication",
        Check::Permission => "permission",
        Check::Object => "object",
        Check::ObjectPermission => "object_permission",
        Check::Field => "field",
        Check::File => "file",
        Check::Link => "link",
        Check::Expired => "expired",
        Check::Sharing => "sharing",
        Check::Audit => "audit",
    }
}

/// `at` in unix milliseconds (0 before 1970).
pub(crate) fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

/// `at_ms` (unix milliseconds) as RFC 3339 in UTC: `2026-12-06T09:18:28.123Z`.
#[must_use]
pub fn show_time(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms).map_or_else(
        || at_ms.to_string(),
        |at| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

/// An event as one line: when, who, what, the outcome, from where.
///
/// `2026-12-06T09:18:28.123Z user 3 docs.iddocument 7 pdf docs/a.pdf served nginx client 10.0.0.1 request 4f1c…`
#[must_use]
pub fn show_event(event: &entities::events::Model) -> String {
    let at = show_time(event.at_ms);
    let who = match (event.who.as_str(), &event.user_id, event.link_expires) {
        ("user", Some(id), _) => format!("user {id}"),
        ("link", _, Some(expires)) => {
            let expires = chrono::DateTime::from_timestamp(expires, 0).map_or_else(
                || expires.to_string(),
                |at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            );
            format!("share link (expires {expires})")
        }
        (who, _, _) => who.to_owned(),
    };
    let outcome = match (&event.backend, &event.refused_by) {
        (Some(backend), _) => format!("served {backend}"),
        (None, refused_by) => format!(
            "refused {} by {}",
            event.status,
            refused_by.as_deref().unwrap_or("?")
        ),
    };
    let mut line = format!(
        "{at} {who} {}.{} {} {} {} {outcome}",
        event.app,
        event.model,
        event.pk,
        event.field,
        event.name.as_deref().unwrap_or("-"),
    );
    if let Some(client) = &event.client {
        line.push_str(&format!(" client {client}"));
    }
    if let Some(id) = &event.request_id {
        line.push_str(&format!(" request {id}"));
    }
    line
}

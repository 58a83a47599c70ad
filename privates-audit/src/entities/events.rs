//! `privates_audit_events`: one row per decision of a download or share route.

use sea_orm::entity::prelude::*;

/// One recorded decision ([`privates::audit::AuditEvent`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "privates_audit_events")]
pub struct Model {
    /// Row id, in the order the writer inserted the rows.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the route decided, unix milliseconds.
    pub at_ms: i64,
    /// `user`, `anonymous` or `link` (a share link).
    pub who: String,
    /// The user's id ([`Authorizer::user_id`](privates::Authorizer::user_id)), for `user`.
    pub user_id: Option<String>,
    /// The expiry the share link claims (unix seconds), for `link`.
    pub link_expires: Option<i64>,
    /// The model's app label.
    pub app: String,
    /// The model label.
    pub model: String,
    /// The primary key as requested.
    pub pk: String,
    /// The field.
    pub field: String,
    /// The stored name, once the object was found.
    pub name: Option<String>,
    /// The status answered (200 when served; 302 is the login redirect of an anonymous browser).
    pub status: i32,
    /// The check that refused ([`crate::check_name`]), `None` when served.
    pub refused_by: Option<String>,
    /// The backend that served it, `None` when refused.
    pub backend: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// loco's request id.
    pub request_id: Option<String>,
}

/// No relations: `user_id` is whatever the app's authorizer calls a user.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

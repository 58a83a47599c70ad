//! `privates_audit_drops`: how many events a full queue dropped (`audit.overflow: drop`), so
//! that a gap in the events is on record too.

use sea_orm::entity::prelude::*;

/// Events dropped since the previous row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "privates_audit_drops")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the writer noticed them, unix milliseconds.
    pub at_ms: i64,
    /// How many.
    pub count: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

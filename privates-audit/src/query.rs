//! Reading the events (the task, the admin's "who opened this file") and removing old ones.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::{drops, events};

/// Which events to list; every set part must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// The user's id.
    pub user: Option<String>,
    /// The model (`app`, `model` labels) and, optionally, the object's key.
    pub object: Option<(String, String, Option<String>)>,
    /// At or after this time (unix milliseconds).
    pub from_ms: Option<i64>,
    /// Before this time (unix milliseconds).
    pub to_ms: Option<i64>,
    /// At most this many events, the newest (no limit when `None`).
    pub limit: Option<u64>,
}

/// The events `filter` selects, newest first.
///
/// # Errors
/// When the database fails.
pub async fn events(
    db: &impl ConnectionTrait,
    filter: &Filter,
) -> Result<Vec<events::Model>, sea_orm::DbErr> {
    use events::Column as E;
    let mut query = events::Entity::find();
    if let Some(user) = &filter.user {
        query = query.filter(E::UserId.eq(user.as_str()));
    }
    if let Some((app, model, pk)) = &filter.object {
        query = query
            .filter(E::App.eq(app.as_str()))
            .filter(E::Model.eq(model.as_str()));
        if let Some(pk) = pk {
            query = query.filter(E::Pk.eq(pk.as_str()));
        }
    }
    if let Some(from) = filter.from_ms {
        query = query.filter(E::AtMs.gte(from));
    }
    if let Some(to) = filter.to_ms {
        query = query.filter(E::AtMs.lt(to));
    }
    query
        .order_by_desc(E::AtMs)
        .order_by_desc(E::Id)
        .limit(filter.limit)
        .all(db)
        .await
}

/// How many events a full queue dropped in `[from_ms, to_ms)` (either end open when `None`).
///
/// # Errors
/// When the database fails.
pub async fn dropped(
    db: &impl ConnectionTrait,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
) -> Result<i64, sea_orm::DbErr> {
    let mut query = drops::Entity::find();
    if let Some(from) = from_ms {
        query = query.filter(drops::Column::AtMs.gte(from));
    }
    if let Some(to) = to_ms {
        query = query.filter(drops::Column::AtMs.lt(to));
    }
    Ok(query.all(db).await?.iter().map(|row| row.count).sum())
}

/// Deletes the events (and drop counts) older than `cutoff_ms`; returns how many events.
///
/// # Errors
/// When the database fails.
pub async fn delete_before(
    db: &impl ConnectionTrait,
    cutoff_ms: i64,
) -> Result<u64, sea_orm::DbErr> {
    drops::Entity::delete_many()
        .filter(drops::Column::AtMs.lt(cutoff_ms))
        .exec(db)
        .await?;
    Ok(events::Entity::delete_many()
        .filter(events::Column::AtMs.lt(cutoff_ms))
        .exec(db)
        .await?
        .rows_affected)
}

//! The reads on the download path: the object by its key ([`find_by_id`], what the derived
//! [`FindByPk`](crate::FindByPk) calls) and an app's own point reads ([`query_all`], what
//! privates-auth reads a session's user with). Both answer as `SeaORM` would on `ctx.db`.
//!
//! Why not `ctx.db` alone: sqlx's SQLite driver runs each connection on a thread of its own and
//! hands it every query through channels, so a query costs thread switches each way, and the
//! pool pings each connection it lends out. On the 2-core benchmark machine that was most of
//! a download's CPU. When `ctx.db` is an SQLite file in WAL mode (loco's default), these reads
//! run on the request's own thread through read-only connections of their own (`rusqlite`, on
//! the same SQLite library sqlx links). In WAL mode a reader never waits for a writer, and a
//! read by key takes microseconds (one that misses the page cache holds the thread for a disk
//! read, as opening the file does); a busy database, a value this module does not decode, or
//! any error sends the read to `ctx.db` instead, so the answer never differs. Nothing is
//! cached but connections and prepared statements: every read sees the rows as committed.
//!
//! How a model's columns decode is learnt from the model itself: the first instance read
//! through `ctx.db` gives each column's `SeaORM` value type, and the same row read inline must
//! then equal it column by column, or the model stays on `ctx.db`.
//!
//! On PostgreSQL the reads go through connections of their own to the same server, because
//! sqlx's pool pings a connection when it lends it and again when it takes it back: three
//! round trips for each query through `ctx.db`, one here. Rows are decoded by `SeaORM` as on
//! `ctx.db`. These connections are used only if their session is `ctx.db`'s (a schema search
//! path or other settings made after connecting keep the reads on `ctx.db`); at most
//! `max_connections` of them are open, and one idle longer than `ctx.db`'s idle timeout or
//! older than its lifetime is closed rather than lent. A failed read goes to `ctx.db`.
//!
//! Any other database, an in-memory SQLite or the crate without its `sqlite` feature reads
//! through `ctx.db`.

mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::collections::BTreeMap;

use loco_rs::app::AppContext;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PrimaryKeyTrait, QueryResult,
    QueryTrait,
    prelude::{Date, DateTime, DateTimeUtc, DateTimeWithTimeZone, Json, Uuid},
    sea_query::{ArrayType, SelectStatement, Value, ValueType},
};

/// The instance of `E` whose primary key is `pk`, `None` when there is none.
///
/// # Errors
/// When the database fails (not when the object is missing).
pub async fn find_by_id<E>(
    ctx: &AppContext,
    pk: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Result<Option<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let select = E::find_by_id(pk);
    #[cfg(feature = "sqlite")]
    if let Some(inline) = sqlite::Inline::of(ctx) {
        match inline.find::<E>(&select) {
            sqlite::Found::Read(model) => return Ok(model),
            sqlite::Found::Unlearnt => {
                let model = select.clone().one(&ctx.db).await?;
                if let Some(model) = &model {
                    inline.learn::<E>(&select, model);
                }
                return Ok(model);
            }
            sqlite::Found::Elsewhere => {}
        }
    }
    if let Some(direct) = postgres::Direct::of(ctx).await
        && let Some(rows) = direct.query_all(&select.build(DbBackend::Postgres)).await
    {
        return rows
            .first()
            .map(|row| E::Model::from_query_result(row, ""))
            .transpose();
    }
    select.one(&ctx.db).await
}

/// Every row `statement` selects, each column read as the [`ArrayType`] that `columns` names
/// for it (`ArrayType::Int` for an `i32`, `ArrayType::String` for a `String`), as `SeaORM`
/// would read it on `ctx.db`. Columns not named are not read.
///
/// ```
/// use privates::reads;
/// use sea_orm::sea_query::{Alias, ArrayType, Expr, ExprTrait, Query};
///
/// async fn titles(ctx: &loco_rs::app::AppContext) -> Result<Vec<String>, sea_orm::DbErr> {
///     let mut select = Query::select();
///     select.column(Alias::new("title")).from(Alias::new("documents"))
///         .and_where(Expr::col(Alias::new("owner_id")).eq(7));
///     reads::query_all(ctx, &select, &[("title", ArrayType::String)])
///         .await?
///         .iter()
///         .map(|row| row.get("title"))
///         .collect()
/// }
/// ```
///
/// # Errors
/// When the database fails, or a column is missing or does not read as its type.
pub async fn query_all(
    ctx: &AppContext,
    statement: &SelectStatement,
    columns: &[(&str, ArrayType)],
) -> Result<Vec<Row>, DbErr> {
    #[cfg(feature = "sqlite")]
    if let Some(inline) = sqlite::Inline::of(ctx)
        && let Some(rows) =
            inline.query_all(&ctx.db.get_database_backend().build(statement), columns)
    {
        return Ok(rows);
    }
    let direct = match postgres::Direct::of(ctx).await {
        Some(direct) => {
            direct
                .query_all(&DbBackend::Postgres.build(statement))
                .await
        }
        None => None,
    };
    let rows = match direct {
        Some(rows) => rows,
        None => ctx.db.query_all(statement).await?,
    };
    rows.iter()
        .map(|row| Row::from_result(row, columns))
        .collect()
}

/// A row [`query_all`] read: each named column's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(BTreeMap<String, Value>);

impl Row {
    /// The column's value as `T` (`Option<T>` for a column that may be NULL).
    ///
    /// # Errors
    /// When the row has no such column, or it was read as another type.
    pub fn get<T: ValueType>(&self, column: &str) -> Result<T, DbErr> {
        let value = self
            .0
            .get(column)
            .ok_or_else(|| DbErr::Type(format!("no column `{column}` was read")))?;
        T::try_from(value.clone())
            .map_err(|error| DbErr::Type(format!("column `{column}`: {error}")))
    }

    /// The named columns of a row read through `SeaORM` (as on another connection or in a
    /// transaction), so that one piece of code reads rows of both kinds.
    ///
    /// # Errors
    /// When a column is missing or does not read as its type.
    pub fn from_result(row: &QueryResult, columns: &[(&str, ArrayType)]) -> Result<Self, DbErr> {
        let mut values = BTreeMap::new();
        for (name, kind) in columns {
            let value = match kind {
                ArrayType::Bool => Value::Bool(row.try_get("", name)?),
                ArrayType::TinyInt => Value::TinyInt(row.try_get("", name)?),
                ArrayType::SmallInt => Value::SmallInt(row.try_get("", name)?),
                ArrayType::Int => Value::Int(row.try_get("", name)?),
                ArrayType::BigInt => Value::BigInt(row.try_get("", name)?),
                ArrayType::TinyUnsigned => Value::TinyUnsigned(row.try_get("", name)?),
                ArrayType::SmallUnsigned => Value::SmallUnsigned(row.try_get("", name)?),
                ArrayType::Unsigned => Value::Unsigned(row.try_get("", name)?),
                ArrayType::Double => Value::Double(row.try_get("", name)?),
                ArrayType::String => Value::String(row.try_get("", name)?),
                ArrayType::Bytes => Value::Bytes(row.try_get("", name)?),
                ArrayType::Uuid => Value::Uuid(row.try_get::<Option<Uuid>>("", name)?),
                ArrayType::Json => {
                    Value::Json(row.try_get::<Option<Json>>("", name)?.map(Box::new))
                }
                ArrayType::ChronoDate => Value::ChronoDate(row.try_get::<Option<Date>>("", name)?),
                ArrayType::ChronoDateTime => {
                    Value::ChronoDateTime(row.try_get::<Option<DateTime>>("", name)?)
                }
                ArrayType::ChronoDateTimeUtc => {
                    Value::ChronoDateTimeUtc(row.try_get::<Option<DateTimeUtc>>("", name)?)
                }
                ArrayType::ChronoDateTimeWithTimeZone => Value::ChronoDateTimeWithTimeZone(
                    row.try_get::<Option<DateTimeWithTimeZone>>("", name)?,
                ),
                other => {
                    return Err(DbErr::Type(format!(
                        "`privates::reads` does not read a column as {other:?}"
                    )));
                }
            };
            values.insert((*name).to_owned(), value);
        }
        Ok(Self(values))
    }
}

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
//! On PostgreSQL the reads go through read-only connections of their own to the same server,
//! because sqlx's pool pings a connection when it lends it and again when it takes it back:
//! three round trips for each query through `ctx.db`, one here. Rows are decoded by `SeaORM`
//! as on `ctx.db`. These connections are used only if their session is `ctx.db`'s (a schema
//! search path or other settings made after connecting keep the reads on `ctx.db`); at most
//! `max_connections` of them are open besides `ctx.db`'s, and one idle longer than `ctx.db`'s
//! idle timeout or older than its lifetime is closed rather than lent. A failed read goes to
//! `ctx.db`. The direct reads skip `SeaORM`'s metric callback and statement log.
//!
//! Any other database, an in-memory SQLite or the crate without its `sqlite` feature reads
//! through `ctx.db`.

mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::{file as sqlite_file, param as sqlite_param};

use std::{
    any::TypeId,
    collections::HashMap,
    sync::{Arc, LazyLock, PoisonError, RwLock},
};

use loco_rs::app::AppContext;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, PrimaryKeyTrait, QueryResult,
    QueryTrait, Select, Statement,
    prelude::{Date, DateTime, DateTimeUtc, DateTimeWithTimeZone, Json, Uuid},
    sea_query::{ArrayType, Value, ValueType},
    sea_query::{FromValueTuple, IntoValueTuple, ValueTuple},
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
    let key = pk.into().into_value_tuple();
    let select = || select_by_id::<E>(&key);
    #[cfg(feature = "sqlite")]
    if let Some(inline) = sqlite::Inline::of(ctx) {
        let statement = by_id::<E>(DbBackend::Sqlite, &key);
        match inline.find::<E>(&statement) {
            sqlite::Found::Read(model) => return Ok(model),
            sqlite::Found::Unlearnt => {
                let model = select().one(&ctx.db).await?;
                if let Some(model) = &model {
                    inline.learn::<E>(&statement, model);
                }
                return Ok(model);
            }
            sqlite::Found::Elsewhere => {}
        }
    }
    if ctx.db.get_database_backend() == DbBackend::Postgres {
        let rows = rows(ctx, &by_id::<E>(DbBackend::Postgres, &key)).await?;
        return rows
            .first()
            .map(|row| E::Model::from_query_result(row, ""))
            .transpose();
    }
    select().one(&ctx.db).await
}

/// `statement`'s rows through privates' own PostgreSQL connections when it is for
/// PostgreSQL and they serve `ctx`, else through `ctx.db`.
async fn rows(ctx: &AppContext, statement: &Statement) -> Result<Vec<QueryResult>, DbErr> {
    if statement.db_backend == DbBackend::Postgres
        && let Some(direct) = postgres::Direct::of(ctx).await
        && let Some(rows) = direct.query_all(statement).await
    {
        return Ok(rows);
    }
    ctx.db.query_all_raw(statement.clone()).await
}

fn select_by_id<E: EntityTrait>(key: &ValueTuple) -> Select<E> {
    type Key<E> = <<E as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType;
    E::find_by_id(Key::<E>::from_value_tuple(key.clone()))
}

/// `E::find_by_id(key)` built for `backend`, its SQL built once per entity (see
/// [`built_once`]).
fn by_id<E: EntityTrait>(backend: DbBackend, key: &ValueTuple) -> Statement {
    /// The site of `E`'s lookup by key: private, so no other caller of [`built_once`] (which
    /// is public) can name it and be handed this SQL.
    struct ById<E>(std::marker::PhantomData<E>);
    let values = key.clone().into_iter().collect();
    built_once(TypeId::of::<ById<E>>(), backend, values, || {
        select_by_id::<E>(key).build(backend)
    })
}

/// The statement `build` makes for `backend` with `values` bound, its SQL built once per
/// `site` and backend, for a hot path: later calls bind their `values` to the SQL kept.
///
/// `site` names the statement's shape: a type private to the caller (`TypeId::of::<Site>()`
/// of a type declared in the function), used for that one statement, whose SQL must not
/// depend on the values bound. The SQL is kept only if the first statement built binds
/// exactly `values`; otherwise every call builds anew. That check catches a value written
/// into the SQL, not SQL chosen by value: a shape that varies by value needs a site per
/// variant.
pub fn built_once(
    site: TypeId,
    backend: DbBackend,
    values: Vec<Value>,
    build: impl FnOnce() -> Statement,
) -> Statement {
    type Built = HashMap<(TypeId, &'static str), Option<String>>;
    static BUILT: LazyLock<RwLock<Built>> = LazyLock::new(RwLock::default);
    let key = (site, backend.as_str());
    let known = BUILT
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    match known {
        Some(Some(sql)) => Statement::from_sql_and_values(backend, sql, values),
        Some(None) => build(),
        None => {
            let built = build();
            let reusable = built.values.as_ref().is_some_and(|bound| bound.0 == values);
            BUILT
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, reusable.then(|| built.sql.clone()));
            built
        }
    }
}

/// Every row `statement` selects, each column read as the [`ArrayType`] that `columns` names
/// for it (`ArrayType::Int` for an `i32`, `ArrayType::String` for a `String`), as `SeaORM`
/// would read it on `ctx.db`. Columns not named are not read.
///
/// The statement comes built for `ctx.db`'s backend, so that a caller on a hot path can build
/// its SQL once and bind new values each time (privates-auth does).
///
/// ```
/// use privates::reads;
/// use sea_orm::sea_query::{Alias, ArrayType, Expr, ExprTrait, Query};
///
/// async fn titles(ctx: &loco_rs::app::AppContext) -> Result<Vec<String>, sea_orm::DbErr> {
///     let mut select = Query::select();
///     select.column(Alias::new("title")).from(Alias::new("documents"))
///         .and_where(Expr::col(Alias::new("owner_id")).eq(7));
///     let statement = ctx.db.get_database_backend().build(&select);
///     reads::query_all(ctx, &statement, &[("title", ArrayType::String)])
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
    statement: &Statement,
    columns: &[(&str, ArrayType)],
) -> Result<Vec<Row>, DbErr> {
    #[cfg(feature = "sqlite")]
    if statement.db_backend == DbBackend::Sqlite
        && let Some(inline) = sqlite::Inline::of(ctx)
        && let Some(rows) = inline.query_all(statement, columns)
    {
        return Ok(rows);
    }
    let names = Row::names(columns);
    rows(ctx, statement)
        .await?
        .iter()
        .map(|row| Row::read(row, columns, &names))
        .collect()
}

/// A row [`query_all`] read: each named column's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The columns read, shared by the rows of one read.
    columns: Arc<[String]>,
    /// Their values, in the same order.
    values: Vec<Value>,
}

impl Row {
    /// Where `column`'s value is.
    fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|name| name == column)
    }

    /// The value read for `column`.
    fn value(&self, column: &str) -> Option<&Value> {
        self.values.get(self.index(column)?)
    }

    /// The value read for `column`, moved out of the row (a NULL left in its place).
    #[cfg(feature = "sqlite")]
    fn take(&mut self, column: &str) -> Option<Value> {
        let index = self.index(column)?;
        self.values
            .get_mut(index)
            .map(|value| std::mem::replace(value, Value::Bool(None)))
    }

    /// The column's value as `T` (`Option<T>` for a column that may be NULL).
    ///
    /// # Errors
    /// When the row has no such column, or it was read as another type.
    pub fn get<T: ValueType>(&self, column: &str) -> Result<T, DbErr> {
        let value = self
            .value(column)
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
        Self::read(row, columns, &Self::names(columns))
    }

    /// The names of `columns`, for the rows of one read to share.
    fn names(columns: &[(&str, ArrayType)]) -> Arc<[String]> {
        columns.iter().map(|(name, _)| (*name).to_owned()).collect()
    }

    /// [`Row::from_result`] with the read's shared column `names` (`columns`' own).
    fn read(
        row: &QueryResult,
        columns: &[(&str, ArrayType)],
        names: &Arc<[String]>,
    ) -> Result<Self, DbErr> {
        let mut values = Vec::with_capacity(columns.len());
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
            values.push(value);
        }
        Ok(Self {
            columns: Arc::clone(names),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, value: i32) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, [Value::from(value)])
    }

    /// The SQL of the first build is kept when it binds the values given, and later calls
    /// bind theirs to it without building; otherwise each call builds anew.
    #[test]
    fn built_once_keeps_only_sql_that_binds_the_values_given() {
        enum Kept {}
        enum NotKept {}
        let kept = |value: i32| {
            built_once(
                TypeId::of::<Kept>(),
                DbBackend::Sqlite,
                vec![value.into()],
                || statement(&format!("SELECT {value} WHERE ? > 0"), value),
            )
        };
        assert_eq!(kept(1), statement("SELECT 1 WHERE ? > 0", 1));
        assert_eq!(kept(2), statement("SELECT 1 WHERE ? > 0", 2));

        let not_kept = |value: i32| {
            built_once(
                TypeId::of::<NotKept>(),
                DbBackend::Sqlite,
                vec![value.into()],
                || statement(&format!("SELECT {value} WHERE ? > 0"), value + 1),
            )
        };
        assert_eq!(not_kept(1), statement("SELECT 1 WHERE ? > 0", 2));
        assert_eq!(not_kept(5), statement("SELECT 5 WHERE ? > 0", 6));
    }
}

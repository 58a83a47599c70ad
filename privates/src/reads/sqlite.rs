//! The inline SQLite reads (see the [parent module](super) for why): read-only connections to
//! `ctx.db`'s file, the statements `SeaORM` builds, and each value decoded as sqlx would.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use loco_rs::app::AppContext;
use rusqlite::{
    Connection, OpenFlags,
    types::{Value as Param, ValueRef},
};
use sea_orm::{
    DatabaseConnection, DatabaseConnectionType, EntityTrait, IdenStatic, Iterable, ModelTrait,
    Statement,
    prelude::Uuid,
    sea_query::{ArrayType, Value},
};
use sqlx::sqlite::SqliteConnectOptions;

use super::Row;

/// Idle connections kept for reuse; more are opened under load and closed when returned.
const MAX_IDLE: usize = 16;

/// What [`Inline::of`] keeps in the app context: the pool it was set up for (its connect
/// options, by identity), and the inline reads, or `None` when `ctx.db` is not an SQLite file
/// in WAL mode (decided once per context).
#[derive(Clone)]
struct Installed {
    pool: Arc<SqliteConnectOptions>,
    inline: Option<Arc<Inline>>,
}

/// Read-only connections to the database file, and what is learnt of each model.
pub(super) struct Inline {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// What is learnt of each entity (a [`Learnt`] of its model); `None`: the entity reads
    /// through `ctx.db`.
    models: Mutex<HashMap<TypeId, Option<Arc<dyn Any + Send + Sync>>>>,
}

/// An entity's columns with their value types, and an instance to fill with a row's values
/// (`ModelTrait::try_set`, column by column: every column is set).
struct Learnt<M> {
    columns: Vec<(&'static str, ArrayType)>,
    template: M,
}

/// The answer of [`Inline::find`].
pub(super) enum Found<M> {
    /// Read inline.
    Read(Option<M>),
    /// The model's value types are not known yet: read through `ctx.db`, then [`Inline::learn`].
    Unlearnt,
    /// Read through `ctx.db`.
    Elsewhere,
}

impl Inline {
    /// The context's inline reads, opened on first use.
    ///
    /// A context clone with another pool than the one they were set up for reads through
    /// its own `ctx.db`.
    pub(super) fn of(ctx: &AppContext) -> Option<Arc<Self>> {
        let DatabaseConnectionType::SqlxSqlitePoolConnection(_) = &ctx.db.inner else {
            return None;
        };
        let pool = ctx.db.get_sqlite_connection_pool().connect_options();
        if let Some(installed) = ctx.shared_store.get::<Installed>() {
            return installed
                .inline
                .filter(|_| Arc::ptr_eq(&installed.pool, &pool));
        }
        let inline = file(&ctx.db).and_then(Self::open).map(Arc::new);
        ctx.shared_store.insert(Installed {
            pool,
            inline: inline.clone(),
        });
        inline
    }

    fn open(path: PathBuf) -> Option<Self> {
        let inline = Self {
            path,
            idle: Mutex::new(Vec::new()),
            models: Mutex::new(HashMap::new()),
        };
        // Outside WAL mode a reader waits for writers: keep those reads on sqlx's threads.
        let wal = inline
            .with(|conn| conn.query_row("PRAGMA journal_mode", [], |row| row.get::<_, String>(0)));
        match wal {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => Some(inline),
            Ok(mode) => {
                tracing::debug!(
                    mode,
                    "privates: SQLite not in WAL mode, reads go through ctx.db"
                );
                None
            }
            Err(error) => {
                tracing::debug!(%error, "privates: SQLite reads go through ctx.db");
                None
            }
        }
    }

    /// `statement`'s instance (`E::find_by_id` built for SQLite), if `E`'s value types are
    /// known.
    pub(super) fn find<E>(&self, statement: &Statement) -> Found<E::Model>
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        let known = self.lock_models().get(&TypeId::of::<E>()).cloned();
        let Some(learnt) = known else {
            return Found::Unlearnt;
        };
        let model = learnt.and_then(|learnt| {
            let learnt = learnt.downcast_ref::<Learnt<E::Model>>()?;
            self.find_with::<E>(statement, learnt)
        });
        match model {
            Some(model) => Found::Read(model),
            None => Found::Elsewhere,
        }
    }

    /// Learns `E`'s value types from `model` (read through `ctx.db` by `statement`): kept only if
    /// the same row read inline equals it in every column. A row that changed or went in
    /// between teaches nothing (the next read tries again); a row the inline reads cannot
    /// read keeps the model on `ctx.db`.
    pub(super) fn learn<E>(&self, statement: &Statement, model: &E::Model)
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        let learnt = Learnt {
            columns: E::Column::iter()
                .map(|column| (column.as_str(), model.get(column).array_type()))
                .collect(),
            template: model.clone(),
        };
        let learnt: Option<Arc<dyn Any + Send + Sync>> =
            match self.find_with::<E>(statement, &learnt) {
                Some(Some(inline)) if E::Column::iter().all(|c| inline.get(c) == model.get(c)) => {
                    Some(Arc::new(learnt))
                }
                Some(_) => return,
                None => {
                    tracing::debug!(
                        table = E::default().table_name(),
                        "privates: a column does not read inline; the model reads through ctx.db"
                    );
                    None
                }
            };
        self.lock_models().insert(TypeId::of::<E>(), learnt);
    }

    /// `None`: read it through `ctx.db`.
    fn find_with<E: EntityTrait>(
        &self,
        statement: &Statement,
        learnt: &Learnt<E::Model>,
    ) -> Option<Option<E::Model>> {
        let rows = self.query_all(statement, &learnt.columns)?;
        let Some(mut row) = rows.into_iter().next() else {
            return Some(None);
        };
        let mut model = learnt.template.clone();
        for column in E::Column::iter() {
            model.try_set(column, row.take(column.as_str())?).ok()?;
        }
        Some(Some(model))
    }

    /// `statement`'s rows, or `None` to read it through `ctx.db`.
    pub(super) fn query_all(
        &self,
        statement: &Statement,
        columns: &[(&str, ArrayType)],
    ) -> Option<Vec<Row>> {
        let params: Vec<Param> = match &statement.values {
            Some(values) => values.0.iter().map(param).collect::<Option<_>>()?,
            None => Vec::new(),
        };
        let read = self.with(|conn| {
            let mut prepared = conn.prepare_cached(&statement.sql)?;
            // The columns `columns` names, by index; the others are not read.
            let named: Vec<(usize, &str, &ArrayType)> = prepared
                .column_names()
                .into_iter()
                .enumerate()
                .filter_map(|(index, name)| {
                    let (name, kind) = columns.iter().find(|(n, _)| *n == name)?;
                    Some((index, *name, kind))
                })
                .collect();
            let names: Arc<[String]> = named
                .iter()
                .map(|(_, name, _)| (*name).to_owned())
                .collect();
            let mut rows = prepared.query(rusqlite::params_from_iter(params))?;
            let mut read = Vec::new();
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(named.len());
                for (index, _, kind) in &named {
                    let Some(value) = decode(kind, row.get_ref(*index)?) else {
                        return Ok(None);
                    };
                    values.push(value);
                }
                read.push(Row {
                    columns: Arc::clone(&names),
                    values,
                });
            }
            Ok(Some(read))
        });
        read.unwrap_or_else(|error| {
            tracing::debug!(%error, "privates: an inline SQLite read failed, reading through ctx.db");
            None
        })
    }

    /// Runs `read` on an idle connection (or a new one), keeping the connection for reuse.
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
        };
        // No busy timeout: a read that would wait (a WAL recovery) goes to ctx.db, whose
        // threads may wait.
        let result = read(&conn);
        if result.is_ok() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    fn lock_models(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<TypeId, Option<Arc<dyn Any + Send + Sync>>>> {
        self.models.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The SQLite file `db` reads, for connections of one's own beside its pool (privates-audit's
/// writer opens one); `None` for another database or an in-memory one.
#[must_use]
pub fn file(db: &DatabaseConnection) -> Option<PathBuf> {
    let DatabaseConnectionType::SqlxSqlitePoolConnection(_) = &db.inner else {
        return None;
    };
    let path = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    // An in-memory database has no file to open a second connection to.
    path.is_file().then_some(path)
}

/// A statement's value as sqlx binds it on SQLite (integers, text, bytes, UUIDs as bytes),
/// `None` for a type left to sqlx.
#[must_use]
pub fn param(value: &Value) -> Option<Param> {
    fn int(value: Option<impl Into<i64>>) -> Param {
        value.map_or(Param::Null, |value| Param::Integer(value.into()))
    }
    Some(match value {
        Value::Bool(value) => int(*value),
        Value::TinyInt(value) => int(*value),
        Value::SmallInt(value) => int(*value),
        Value::Int(value) => int(*value),
        Value::BigInt(value) => int(*value),
        Value::TinyUnsigned(value) => int(*value),
        Value::SmallUnsigned(value) => int(*value),
        Value::Unsigned(value) => int(*value),
        Value::String(value) => value.clone().map_or(Param::Null, Param::Text),
        Value::Bytes(value) => value.clone().map_or(Param::Null, Param::Blob),
        Value::Uuid(value) => {
            value.map_or(Param::Null, |uuid| Param::Blob(uuid.as_bytes().to_vec()))
        }
        _ => return None,
    })
}

/// A column's value as sqlx decodes it into `kind`'s Rust type, `None` for one this module
/// leaves to sqlx (a type it does not decode, or a stored value sqlx would convert).
fn decode(kind: &ArrayType, raw: ValueRef<'_>) -> Option<Value> {
    let null = matches!(raw, ValueRef::Null);
    // `Value::$variant(None)` for NULL, else the decoded value (or `None` from `decode`).
    macro_rules! typed {
        ($variant:ident, $decoded:expr) => {
            Value::$variant(if null { None } else { Some($decoded?) })
        };
    }
    let int = || raw.as_i64().ok();
    let text = || raw.as_str().ok();
    Some(match kind {
        ArrayType::Bool => typed!(Bool, int().map(|int| int != 0)),
        ArrayType::TinyInt => typed!(TinyInt, int().and_then(|int| int.try_into().ok())),
        ArrayType::SmallInt => typed!(SmallInt, int().and_then(|int| int.try_into().ok())),
        ArrayType::Int => typed!(Int, int().and_then(|int| int.try_into().ok())),
        ArrayType::BigInt => typed!(BigInt, int()),
        ArrayType::TinyUnsigned => typed!(TinyUnsigned, int().and_then(|int| int.try_into().ok())),
        ArrayType::SmallUnsigned => {
            typed!(SmallUnsigned, int().and_then(|int| int.try_into().ok()))
        }
        ArrayType::Unsigned => typed!(Unsigned, int().and_then(|int| int.try_into().ok())),
        ArrayType::Double => typed!(Double, raw.as_f64().ok()),
        ArrayType::String => typed!(String, text().map(str::to_owned)),
        ArrayType::Bytes => typed!(Bytes, raw.as_blob().ok().map(<[u8]>::to_vec)),
        ArrayType::Uuid => typed!(
            Uuid,
            raw.as_blob()
                .ok()
                .and_then(|blob| Uuid::from_slice(blob).ok())
        ),
        ArrayType::Json => typed!(
            Json,
            text()
                .and_then(|text| serde_json::from_str(text).ok())
                .map(Box::new)
        ),
        ArrayType::ChronoDate => typed!(
            ChronoDate,
            text().and_then(|text| NaiveDate::parse_from_str(text, "%F").ok())
        ),
        ArrayType::ChronoDateTime => typed!(
            ChronoDateTime,
            text().and_then(datetime).map(|at| at.naive_local())
        ),
        ArrayType::ChronoDateTimeUtc => typed!(
            ChronoDateTimeUtc,
            text().and_then(datetime).map(|at| at.with_timezone(&Utc))
        ),
        ArrayType::ChronoDateTimeWithTimeZone => {
            typed!(ChronoDateTimeWithTimeZone, text().and_then(datetime))
        }
        _ => return None,
    })
}

/// A date-time stored as text, read as sqlx-sqlite reads it: RFC 3339, else the formats SQLite
/// documents (without an offset: UTC).
fn datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        FORMATS.iter().find_map(|format| {
            DateTime::parse_from_str(text, format).ok().or_else(|| {
                NaiveDateTime::parse_from_str(text, format)
                    .ok()
                    .map(|at| Utc.fix().from_utc_datetime(&at))
            })
        })
    })
}

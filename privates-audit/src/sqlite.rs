//! The writer's inserts on SQLite: a connection of its own to the app's database file
//! (`rusqlite`, on the same SQLite library sqlx links) and one prepared insert, each batch one
//! transaction on tokio's blocking threads.
//!
//! Why not `SeaORM` here: every batch through sqlx is built as one statement of
//! `batch × 14` values, bound, and handed to sqlx's connection thread, at a cost that rivalled
//! the download's own on the benchmark machine. The connection is set as loco means its SQLite
//! connections to be (its `run_on_start` reaches one connection of the pool only; sqlx opens
//! the others with SQLite's default, `FULL`): `synchronous = NORMAL` in WAL mode, so a batch's
//! commit does not wait for the disk. The log is synced at checkpoints: an app that crashes
//! loses no event, a power cut at most the last batches.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use rusqlite::{
    Connection, OpenFlags, TransactionBehavior, params_from_iter, types::Value as Param,
};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, Iterable,
    sea_query::{Expr, Query, SqliteQueryBuilder},
};

use crate::entities::events;

/// The connection and the insert.
pub(crate) struct SqliteInserts {
    conn: Arc<Mutex<Connection>>,
    sql: Arc<str>,
}

impl SqliteInserts {
    /// Inserts into `db`'s file; `None` for anything but an SQLite file.
    pub(crate) fn open(db: &DatabaseConnection) -> Option<Self> {
        let path = privates::reads::sqlite_file(db)?;
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            // As long as sqlx's connections wait for one another.
            conn.busy_timeout(Duration::from_secs(5))?;
            // NORMAL loses nothing on a crash only in WAL mode; in any other mode SQLite's
            // default (FULL) stays.
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
            if mode.eq_ignore_ascii_case("wal") {
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            Ok(conn)
        };
        match open() {
            Ok(conn) => Some(Self {
                conn: Arc::new(Mutex::new(conn)),
                sql: insert_sql().into(),
            }),
            Err(error) => {
                tracing::debug!(target: privates::audit::TARGET, %error, "the audit writes through ctx.db");
                None
            }
        }
    }

    /// Inserts `rows` in one transaction, or, when that fails, each on its own; returns the
    /// error of each row that could not be written.
    pub(crate) async fn insert(&self, rows: Vec<events::ActiveModel>) -> Vec<String> {
        let (conn, sql) = (Arc::clone(&self.conn), Arc::clone(&self.sql));
        let count = rows.len();
        let inserted = tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            let mut errors = Vec::new();
            let params: Vec<Vec<Param>> = rows
                .iter()
                .filter_map(|row| params(row).map_err(|error| errors.push(error)).ok())
                .collect();
            let batch = (|| {
                let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                {
                    let mut insert = transaction.prepare_cached(&sql)?;
                    for row in &params {
                        insert.execute(params_from_iter(row))?;
                    }
                }
                transaction.commit()
            })();
            if batch.is_err() {
                // One bad row must not take the others with it: each on its own.
                errors.extend(params.iter().filter_map(|row| {
                    conn.prepare_cached(&sql)
                        .and_then(|mut insert| insert.execute(params_from_iter(row)))
                        .err()
                        .map(|error| error.to_string())
                }));
            }
            errors
        })
        .await;
        inserted.unwrap_or_else(|error| vec![error.to_string(); count])
    }
}

/// Every column but the id, in the entity's order.
fn columns() -> impl Iterator<Item = events::Column> {
    events::Column::iter().filter(|column| !matches!(column, events::Column::Id))
}

/// `INSERT INTO privates_audit_events (…) VALUES (?, …)`.
fn insert_sql() -> String {
    let mut insert = Query::insert();
    insert
        .into_table(events::Entity)
        .columns(columns())
        .values_panic(columns().map(|_| Expr::val(0)));
    insert.build(SqliteQueryBuilder).0
}

/// A row's values in [`columns`]' order, as sqlx binds them (a value of a type it does not
/// bind is the row's error, never a NULL in its place).
fn params(row: &events::ActiveModel) -> Result<Vec<Param>, String> {
    columns()
        .map(|column| match row.get(column).into_value() {
            None => Ok(Param::Null),
            Some(value) => privates::reads::sqlite_param(&value)
                .ok_or_else(|| format!("the audit writer does not bind {value:?}")),
        })
        .collect()
}

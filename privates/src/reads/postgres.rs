//! The PostgreSQL reads (see the [parent module](super) for why): connections of their own to
//! `ctx.db`'s server, lent without sqlx's pool, and each row decoded by `SeaORM` as on `ctx.db`.
//!
//! sqlx's pool pings a connection when it lends it out and again when it takes it back (a
//! `Sync` message and its answer each time), so every query through `ctx.db` costs three round
//! trips to the server. These connections are lent as they are: a query is one round trip.
//! They are read-only (`default_transaction_read_only`), at most `max_connections` of them are
//! open (besides `ctx.db`'s own), and waiting for one or opening one is bounded by `ctx.db`'s
//! acquire timeout. One whose exchange broke off (an I/O error, a fatal error, or a request
//! dropped mid-read) is closed rather than lent again; after any error the read goes to
//! `ctx.db`.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use loco_rs::app::AppContext;
use sea_orm::{
    ConnectionTrait, DatabaseConnectionType, DbBackend, QueryResult, Statement, sea_query::Values,
};
use sea_query_sqlx::SqlxValues;
use sqlx::{
    Connection, PgConnection,
    postgres::{PgConnectOptions, PgDatabaseError, PgPool, PgSeverity},
};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// What [`Direct::of`] keeps in the app context: the pool it was set up for (its connect
/// options, by identity), and the direct reads, or `None` when they would not read as
/// `ctx.db` does (decided by the first read that gets an answer).
#[derive(Clone)]
struct Installed {
    pool: Arc<PgConnectOptions>,
    direct: Arc<OnceCell<Option<Arc<Direct>>>>,
}

/// The session a connection reads in: its user and every setting made after connecting (a
/// `SeaORM` schema search path, an app's own `SET`s). The direct reads are used only if theirs
/// is `ctx.db`'s.
const SESSION: &str = "SELECT current_user::text || ';' || coalesce((SELECT string_agg(name || \
                       '=' || setting, ';' ORDER BY name) FROM pg_settings WHERE source = \
                       'session'), '')";

/// Connections to `ctx.db`'s server, opened on demand and kept for reuse.
pub(super) struct Direct {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    /// One permit per lent connection (an idle one is lent before another is opened):
    /// `ctx.db`'s `max_connections`.
    lendable: Semaphore,
    acquire_timeout: Duration,
    idle_timeout: Option<Duration>,
    max_lifetime: Option<Duration>,
}

/// An idle connection, with when it was opened and last used (`ctx.db`'s `idle_timeout` and
/// `max_lifetime` apply to it as to the pool's).
struct Idle {
    conn: PgConnection,
    opened: Instant,
    used: Instant,
}

/// A connection lent to one read, and its permit. Dropped without [`Lent::give_back`] (a
/// broken exchange, or a request dropped mid-read), the connection is closed: it may be in
/// the middle of an exchange.
struct Lent<'a> {
    direct: &'a Direct,
    idle: Idle,
    _permit: SemaphorePermit<'a>,
}

impl Direct {
    /// The context's direct reads, set up by the first read; `None` when `ctx.db` is not
    /// PostgreSQL, is another pool than the one they were set up for (a context clone with
    /// its own `db`), or its sessions differ from a fresh connection's.
    pub(super) async fn of(ctx: &AppContext) -> Option<Arc<Self>> {
        let DatabaseConnectionType::SqlxPostgresPoolConnection(_) = &ctx.db.inner else {
            return None;
        };
        let pool = ctx.db.get_postgres_connection_pool().connect_options();
        let installed = ctx.shared_store.get::<Installed>().unwrap_or_else(|| {
            let installed = Installed {
                pool: Arc::clone(&pool),
                direct: Arc::default(),
            };
            ctx.shared_store.insert(installed.clone());
            installed
        });
        if !Arc::ptr_eq(&installed.pool, &pool) {
            return None;
        }
        // A failure to get an answer is not kept: the next read tries again.
        let direct = installed.direct.get_or_try_init(|| Self::open(ctx)).await;
        direct.ok().cloned().flatten()
    }

    /// The direct reads, `Ok(None)` when their sessions differ from `ctx.db`'s, `Err` when
    /// either could not be asked.
    async fn open(ctx: &AppContext) -> Result<Option<Arc<Self>>, ()> {
        let pool: &PgPool = ctx.db.get_postgres_connection_pool();
        let direct = Self {
            // A startup parameter, not a session setting: the comparison below ignores it.
            options: (*pool.connect_options())
                .clone()
                .options([("default_transaction_read_only", "on")]),
            idle: Mutex::new(Vec::new()),
            lendable: Semaphore::new(
                pool.options()
                    .get_max_connections()
                    .try_into()
                    .map_err(|_| ())?,
            ),
            acquire_timeout: pool.options().get_acquire_timeout(),
            idle_timeout: pool.options().get_idle_timeout(),
            max_lifetime: pool.options().get_max_lifetime(),
        };
        let theirs = ctx
            .db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, SESSION))
            .await
            .map_err(|error| {
                tracing::debug!(%error, "privates: PostgreSQL reads go through ctx.db for now");
            })?
            .and_then(|row| row.try_get_by_index::<String>(0).ok())
            .ok_or(())?;
        let mut lent = direct.lend().await.ok_or(())?;
        let ours: String = sqlx::query_scalar(SESSION)
            .fetch_one(lent.conn())
            .await
            .map_err(|error| {
                tracing::debug!(%error, "privates: PostgreSQL reads go through ctx.db for now");
            })?;
        lent.give_back();
        if ours != theirs {
            tracing::debug!(
                ctx_db = theirs,
                fresh = ours,
                "privates: ctx.db's PostgreSQL sessions are set up after connecting; reads go \
                 through ctx.db"
            );
            return Ok(None);
        }
        Ok(Some(Arc::new(direct)))
    }

    /// `statement`'s rows, or `None` to read it through `ctx.db`.
    pub(super) async fn query_all(&self, statement: &Statement) -> Option<Vec<QueryResult>> {
        let mut lent = self.lend().await?;
        let values = statement.values.clone().unwrap_or(Values(Vec::new()));
        let rows = sqlx::query_with(
            sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        )
        .fetch_all(lent.conn())
        .await;
        match rows {
            Ok(rows) => {
                lent.give_back();
                Some(rows.into_iter().map(QueryResult::from).collect())
            }
            Err(error) => {
                // The server refused the statement (an error, not a fatal one that ends the
                // session, such as a write on these read-only connections): the exchange is
                // whole and the connection reusable.
                let refused = error
                    .as_database_error()
                    .and_then(|error| error.try_downcast_ref::<PgDatabaseError>())
                    .is_some_and(|error| error.severity() == PgSeverity::Error);
                if refused {
                    lent.give_back();
                }
                tracing::debug!(%error, "privates: a PostgreSQL read failed, reading through ctx.db");
                None
            }
        }
    }

    /// An idle connection still within its timeouts, or a new one; `None` when none is free
    /// or opens within the acquire timeout.
    async fn lend(&self) -> Option<Lent<'_>> {
        let lent = tokio::time::timeout(self.acquire_timeout, async {
            let permit = self.lendable.acquire().await.ok()?;
            let kept = {
                let mut idle = self.lock_idle();
                idle.retain(|idle| self.reusable(idle));
                idle.pop()
            };
            let idle = match kept {
                Some(idle) => idle,
                None => match PgConnection::connect_with(&self.options).await {
                    Ok(conn) => Idle {
                        conn,
                        opened: Instant::now(),
                        used: Instant::now(),
                    },
                    Err(error) => {
                        tracing::debug!(%error, "privates: no PostgreSQL connection, reading through ctx.db");
                        return None;
                    }
                },
            };
            Some(Lent {
                direct: self,
                idle,
                _permit: permit,
            })
        });
        lent.await.ok().flatten()
    }

    /// Whether `idle` is within `ctx.db`'s idle timeout and lifetime.
    fn reusable(&self, idle: &Idle) -> bool {
        self.idle_timeout
            .is_none_or(|limit| idle.used.elapsed() < limit)
            && self
                .max_lifetime
                .is_none_or(|limit| idle.opened.elapsed() < limit)
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Lent<'_> {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.idle.conn
    }

    /// Returns the connection for reuse: its exchange is complete. The idle connections past
    /// `ctx.db`'s idle timeout or lifetime are closed on the way.
    fn give_back(self) {
        let Self {
            direct,
            mut idle,
            _permit,
        } = self;
        idle.used = Instant::now();
        let mut idle_list = direct.lock_idle();
        idle_list.retain(|idle| direct.reusable(idle));
        if direct.reusable(&idle) {
            idle_list.push(idle);
        }
    }
}

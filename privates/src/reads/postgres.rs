//! The PostgreSQL reads (see the [parent module](super) for why): connections of their own to
//! `ctx.db`'s server, lent without sqlx's pool, and each row decoded by `SeaORM` as on `ctx.db`.
//!
//! sqlx's pool pings a connection when it lends it out and again when it takes it back (a
//! `Sync` message and its answer each time), so every query through `ctx.db` costs three round
//! trips to the server. These connections are lent as they are: a query is one round trip.
//! Their count is bounded by `ctx.db`'s `max_connections`; one whose query fails, or whose
//! request is dropped mid-read, is closed rather than lent again, and the read goes to
//! `ctx.db`, whose pool checks its connections.

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
    postgres::{PgConnectOptions, PgPool},
};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

/// What [`Direct::of`] keeps in the app context: the direct reads, or `None` when they would
/// not read as `ctx.db` does (decided once per context, by the first read).
#[derive(Clone, Default)]
struct Installed(Arc<OnceCell<Option<Arc<Direct>>>>);

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
    /// One permit per connection open (idle or lent): `ctx.db`'s `max_connections`.
    open: Semaphore,
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
/// failed read, or a request dropped mid-read), the connection is closed: it may be in the
/// middle of an exchange.
struct Lent<'a> {
    direct: &'a Direct,
    idle: Idle,
    _permit: SemaphorePermit<'a>,
}

impl Direct {
    /// The context's direct reads, set up by the first read; `None` when `ctx.db` is not
    /// PostgreSQL or its sessions differ from a fresh connection's.
    pub(super) async fn of(ctx: &AppContext) -> Option<Arc<Self>> {
        let DatabaseConnectionType::SqlxPostgresPoolConnection(_) = &ctx.db.inner else {
            return None;
        };
        let installed = ctx.shared_store.get::<Installed>().unwrap_or_else(|| {
            let installed = Installed::default();
            ctx.shared_store.insert(installed.clone());
            installed
        });
        installed.0.get_or_init(|| Self::open(ctx)).await.clone()
    }

    async fn open(ctx: &AppContext) -> Option<Arc<Self>> {
        let pool: &PgPool = ctx.db.get_postgres_connection_pool();
        let direct = Self {
            options: (*pool.connect_options()).clone(),
            idle: Mutex::new(Vec::new()),
            open: Semaphore::new(pool.options().get_max_connections().try_into().ok()?),
            idle_timeout: pool.options().get_idle_timeout(),
            max_lifetime: pool.options().get_max_lifetime(),
        };
        let theirs = ctx
            .db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, SESSION))
            .await;
        let theirs = match theirs {
            Ok(Some(row)) => row.try_get_by_index::<String>(0).ok(),
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(%error, "privates: PostgreSQL reads go through ctx.db");
                None
            }
        }?;
        let mut lent = direct.lend().await?;
        let ours: String = sqlx::query_scalar(SESSION)
            .fetch_one(lent.conn())
            .await
            .ok()?;
        lent.give_back();
        if ours != theirs {
            tracing::debug!(
                ctx_db = theirs,
                fresh = ours,
                "privates: ctx.db's PostgreSQL sessions are set up after connecting; reads go \
                 through ctx.db"
            );
            return None;
        }
        Some(Arc::new(direct))
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
                tracing::debug!(%error, "privates: a PostgreSQL read failed, reading through ctx.db");
                None
            }
        }
    }

    /// An idle connection still within its timeouts, or a new one; `None` when none opens.
    async fn lend(&self) -> Option<Lent<'_>> {
        let permit = self.open.acquire().await.ok()?;
        let reusable = |idle: &Idle| {
            self.idle_timeout
                .is_none_or(|limit| idle.used.elapsed() < limit)
                && self
                    .max_lifetime
                    .is_none_or(|limit| idle.opened.elapsed() < limit)
        };
        let kept = loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(idle) if reusable(&idle) => break Some(idle),
                // Dropping it closes its socket; the server ends its session.
                Some(_) => {}
                None => break None,
            }
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
    }
}

impl Lent<'_> {
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.idle.conn
    }

    /// Returns the connection for reuse: its exchange is complete.
    fn give_back(self) {
        let Self {
            direct,
            mut idle,
            _permit,
        } = self;
        idle.used = Instant::now();
        direct
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(idle);
    }
}

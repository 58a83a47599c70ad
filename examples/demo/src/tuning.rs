//! Settings for speed only, never an answer: two that loco 1.2 does not expose, set the way a
//! production app on SQLite behind a reverse proxy wants them, and the allocator.
//!
//! - [`database`]: the pool without sqlx's ping on every checkout. The ping guards against
//!   connections a network peer dropped; an SQLite connection is a file handle in this
//!   process, so the ping only adds a round trip to the connection's worker thread before
//!   every query (measured: 17–22 % of the authorized download's throughput). Loco's SQLite
//!   pragmas run on every connection, not just on the first one as `db::connect` does.
//! - (`TCP_NODELAY` on accepted sockets is set by [`crate::server`], with the header-read
//!   timeout.)
//! - [`ALLOCATOR`]: mimalloc instead of glibc's malloc, which took about 13 % of the CPU time
//!   of an authorized download (a request allocates and frees many small buffers across
//!   threads: headers, the JWT, loco's per-request context clone).

use std::{str::FromStr, time::Duration};

use loco_rs::{Result, app::AppContext};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

/// The process's allocator (for every binary that links the demo).
#[global_allocator]
pub static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The pragmas loco's `db::connect` runs (its defaults), applied to every connection.
fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("mmap_size", "134217728")
        .pragma("journal_size_limit", "67108864")
        .pragma("cache_size", "2000")
}

/// The app's database pool from loco's `database` settings, tuned as described above. Other
/// databases keep loco's pool.
///
/// # Errors
/// When the database cannot be opened.
pub async fn database(ctx: &AppContext) -> Result<Option<DatabaseConnection>> {
    let settings = &ctx.config.database;
    if SqliteConnectOptions::from_str(&settings.uri).is_err() {
        return Ok(None);
    }
    let mut options = ConnectOptions::new(settings.uri.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .connect_timeout(Duration::from_millis(settings.connect_timeout))
        .idle_timeout(Duration::from_millis(settings.idle_timeout))
        .sqlx_logging(settings.enable_logging)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(sqlite_options);
    if let Some(timeout) = settings.acquire_timeout {
        options.acquire_timeout(Duration::from_millis(timeout));
    }
    Ok(Some(Database::connect(options).await?))
}

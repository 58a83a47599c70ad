//! Settings for speed only, never an answer: two that loco 1.2 does not expose, set the way a
//! production app on SQLite behind a reverse proxy wants them, and the allocator.
//!
//! - [`database`]: the pool without sqlx's ping on every checkout. The ping guards against
//!   connections a network peer dropped; an SQLite connection is a file handle in this
//!   process, so the ping only adds a round trip to the connection's worker thread before
//!   every query (measured: 17–22 % of the authorized download's throughput). Loco's SQLite
//!   pragmas run on every connection, not just on the first one as `db::connect` does.
//! - [`serve`]: `TCP_NODELAY` on accepted sockets. A body written after its headers otherwise
//!   waits for the proxy's delayed ACK (Nagle's algorithm): the development backend streamed
//!   4 KiB files at a quarter of the rate it reaches with the option on.
//! - [`ALLOCATOR`]: mimalloc instead of glibc's malloc, which took about 13 % of the CPU time
//!   of an authorized download (a request allocates and frees many small buffers across
//!   threads: headers, the JWT, loco's per-request context clone).

use std::{net::SocketAddr, str::FromStr, time::Duration};

use axum::serve::ListenerExt;
use loco_rs::{
    Result,
    app::{AppContext, Hooks},
    boot::{ServeParams, shutdown_signal},
};
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

/// Loco's `Hooks::serve` with `TCP_NODELAY` on every accepted connection.
///
/// # Errors
/// When the address cannot be bound or the server fails.
pub async fn serve<H: Hooks>(
    app: axum::Router,
    ctx: &AppContext,
    params: &ServeParams,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(format!("{}:{}", params.binding, params.port))
        .await?
        .tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "could not set TCP_NODELAY");
            }
        });
    let ctx = ctx.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down...");
        H::on_shutdown(&ctx).await;
    })
    .await?;
    Ok(())
}

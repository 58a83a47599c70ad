//! The demo's `Hooks::serve`: loco's (`axum::serve`) plus what a server facing the internet
//! needs and `axum::serve` cannot set.
//!
//! - **A header-read timeout.** `axum::serve` gives hyper no timer, so a client that opens a
//!   connection and never finishes its request headers (slowloris) holds it for ever. Here
//!   hyper gets tokio's timer and `header_read_timeout` ([`header_read_timeout`]: the
//!   `settings.header_read_timeout` of the config, in seconds, 10 by default): a connection
//!   whose headers are not complete in time is closed. Bodies are not covered by it;
//!   privates-admin ends uploads that go silent (`initializers.privates_admin.upload
//!   .idle_timeout`).
//! - `TCP_NODELAY` on accepted sockets. A body written after its headers otherwise waits for
//!   the proxy's delayed ACK (Nagle's algorithm): the development backend streamed 4 KiB files
//!   at a quarter of the rate it reaches with the option on.
//!
//! Graceful shutdown as loco's: on the shutdown signal no new connection is accepted, the
//! open ones finish their requests (up to [`SHUTDOWN_GRACE`]), then `Hooks::on_shutdown`.

use std::{convert::Infallible, time::Duration};

use axum::extract::ConnectInfo;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use loco_rs::{
    Result,
    app::{AppContext, Hooks},
    boot::{ServeParams, shutdown_signal},
};
use tower::ServiceExt;

/// The default of `settings.header_read_timeout`.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open connections may take to finish once shutdown began.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// `settings.header_read_timeout` (seconds) of the config, or
/// [`DEFAULT_HEADER_READ_TIMEOUT`].
///
/// # Errors
/// A value that is not a positive number of seconds.
pub fn header_read_timeout(ctx: &AppContext) -> Result<Duration> {
    let Some(value) = ctx
        .config
        .settings
        .as_ref()
        .and_then(|settings| settings.get("header_read_timeout"))
    else {
        return Ok(DEFAULT_HEADER_READ_TIMEOUT);
    };
    value
        .as_f64()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| {
            loco_rs::Error::Message(format!(
                "config key settings.header_read_timeout: {value} is not a positive number of \
                 seconds"
            ))
        })
}

/// Serves `app` as described in the [module docs](self).
///
/// # Errors
/// When the address cannot be bound or the settings are invalid.
pub async fn serve<H: Hooks>(
    app: axum::Router,
    ctx: &AppContext,
    params: &ServeParams,
) -> Result<()> {
    let header_timeout = header_read_timeout(ctx)?;
    let listener =
        tokio::net::TcpListener::bind(format!("{}:{}", params.binding, params.port)).await?;
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors, a connection reset before accept: keep serving.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(error = %err, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: http::Request<_>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(request).await.unwrap_or_else(|e| match e {})) }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down...");
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within {SHUTDOWN_GRACE:?}");
    }
    H::on_shutdown(ctx).await;
    Ok(())
}

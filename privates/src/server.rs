#![doc = include_str!("../docs/server.md")]

use std::{future::Future, time::Duration};

use axum::extract::ConnectInfo;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use loco_rs::{
    app::{AppContext, Hooks},
    boot::{ServeParams, shutdown_signal},
};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How the server treats connections.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// A connection whose request headers are not complete within this time is closed
    /// (10 seconds by default).
    pub header_read_timeout: Duration,
    /// How long open connections may take to finish their requests once shutdown began
    /// (30 seconds by default).
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on the address of `params` as described in the [module docs](self), until
/// loco's shutdown signal (Ctrl-C, SIGTERM); then runs `H::on_shutdown`, as loco's own serve
/// does.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve<H: Hooks>(
    app: axum::Router,
    ctx: &AppContext,
    params: &ServeParams,
    options: ServeOptions,
) -> loco_rs::Result<()> {
    let listener = TcpListener::bind(format!("{}:{}", params.binding, params.port)).await?;
    serve_listener(listener, app, &options, shutdown_signal()).await;
    H::on_shutdown(ctx).await;
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` completes: no new connection is accepted then,
/// and the open ones get [`ServeOptions::shutdown_grace`] to finish their requests. Handlers
/// can extract `ConnectInfo<SocketAddr>`, as with loco's serve.
pub async fn serve_listener(
    listener: TcpListener,
    app: axum::Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
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
            app.clone().oneshot(request)
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
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "open connections did not finish within {:?}",
            options.shutdown_grace
        );
    }
}

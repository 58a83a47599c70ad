//! The demo app with two extra routes for `scripts/bench` only. Never deploy this binary: both
//! routes skip every check on purpose.
//!
//! - `GET /bench/noop-gate/{*name}`: answers like the nginx backend for the stored `name` (an
//!   empty body, `X-Accel-Redirect`, the usual entity headers) with no authentication, no
//!   permission, no database and no file-system work. It is the ceiling of any app-gated
//!   download on the machine: the benchmark divides the real, checked route by it.
//! - `PUT /bench/upload/{*name}`: streams the request body into the private storage with
//!   [`LocalStorage::save`](privates::storage::LocalStorage::save), the path every upload takes
//!   once its form is parsed; the benchmark samples the app's peak memory during a 256 MiB
//!   upload with it when the demo has no admin change form.
//!
//! Everything else (config, initializers, routes, middlewares, serving) is the demo's [`App`].

use std::path::Path as FsPath;

use async_trait::async_trait;
use axum::{
    body::Body,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use loco_rs::{
    Result,
    app::{AppContext, Hooks, Initializer},
    bgworker::Queue,
    boot::{BootResult, ServeParams, StartMode, create_app},
    config::Config,
    controller::{AppRoutes, Routes, middleware::MiddlewareLayer},
    environment::Environment,
    prelude::{get, put},
    task::Tasks,
};
use privates::{
    Privates,
    sendfile::{X_ACCEL_REDIRECT, accel_redirect_value, content_disposition},
};

use demo::{app::App, migration::Migrator};

/// The demo's `sendfile.url`.
const SENDFILE_URL: &str = "/protected/";

/// The demo plus the benchmark routes.
struct BenchApp;

#[async_trait]
impl Hooks for BenchApp {
    fn app_name() -> &'static str {
        App::app_name()
    }

    fn app_version() -> String {
        App::app_version()
    }

    async fn boot(
        mode: StartMode,
        environment: &Environment,
        config: Config,
    ) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    async fn serve(app: axum::Router, ctx: &AppContext, params: &ServeParams) -> Result<()> {
        App::serve(app, ctx, params).await
    }

    async fn load_config(env: &Environment) -> Result<Config> {
        App::load_config(env).await
    }

    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        App::after_context(ctx).await
    }

    async fn initializers(ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        App::initializers(ctx).await
    }

    fn middlewares(ctx: &AppContext) -> Vec<Box<dyn MiddlewareLayer>> {
        App::middlewares(ctx)
    }

    async fn before_run(ctx: &AppContext) -> Result<()> {
        App::before_run(ctx).await
    }

    async fn after_routes(router: axum::Router, ctx: &AppContext) -> Result<axum::Router> {
        App::after_routes(router, ctx).await
    }

    fn routes(ctx: &AppContext) -> AppRoutes {
        App::routes(ctx).add_route(
            Routes::new()
                .add("/bench/noop-gate/{*name}", get(noop_gate))
                .add("/bench/upload/{*name}", put(upload)),
        )
    }

    async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
        App::connect_workers(ctx, queue).await
    }

    fn register_tasks(tasks: &mut Tasks) {
        App::register_tasks(tasks);
    }

    async fn truncate(ctx: &AppContext) -> Result<()> {
        App::truncate(ctx).await
    }

    async fn seed(ctx: &AppContext, base: &FsPath) -> Result<()> {
        App::seed(ctx, base).await
    }
}

/// The answer of the nginx backend for `name`, without any check.
async fn noop_gate(Path(name): Path<String>) -> Response {
    let Ok(target) = accel_redirect_value(SENDFILE_URL, FsPath::new(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let file_name = name.rsplit('/').next().unwrap_or_default();
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(false, file_name),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(X_ACCEL_REDIRECT, target);
    response
}

/// Streams the body into the private storage under `name` (or a free variant); answers 201
/// with the stored name.
async fn upload(
    State(ctx): State<AppContext>,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response> {
    let storage = Privates::from_ctx(&ctx)?.files().clone();
    let stored = storage
        .save(&name, body.into_data_stream())
        .await
        .map_err(privates::Error::from)?;
    Ok((StatusCode::CREATED, stored).into_response())
}

#[tokio::main]
async fn main() -> Result<()> {
    // As the demo: config, database and storage are relative to the demo's folder.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"))?;
    loco_rs::cli::main::<BenchApp, Migrator>().await
}

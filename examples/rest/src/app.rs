//! The loco app: hooks, routes, initializers, tasks.

use std::path::Path;

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::{AppContext, Hooks, Initializer},
    bgworker::Queue,
    boot::{BootResult, ServeParams, StartMode, create_app},
    config::Config,
    controller::AppRoutes,
    environment::Environment,
    task::Tasks,
};
use privates::server::ServeOptions;

use crate::{
    controllers,
    migration::Migrator,
    models::{contracts, invoices},
};

/// The permissions a grant may name: the two models' and privates-auth's `auth.change_user`.
#[must_use]
pub fn known_permissions() -> privates_auth::KnownPermissions {
    privates_auth::KnownPermissions::new()
        .model::<invoices::Model>()
        .model::<contracts::Model>()
}

/// The REST example app.
pub struct App;

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        env!("CARGO_CRATE_NAME")
    }

    fn app_version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    async fn boot(
        mode: StartMode,
        environment: &Environment,
        config: Config,
    ) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    // loco's serve plus a header-read timeout and TCP_NODELAY.
    async fn serve(app: axum::Router, ctx: &AppContext, params: &ServeParams) -> Result<()> {
        privates::server::serve::<Self>(app, ctx, params, ServeOptions::default()).await
    }

    async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        Ok(vec![
            Box::new(
                privates::PrivatesInitializer::new(privates_auth::StoreAuthorizer)
                    .model::<invoices::Model>()
                    .model::<contracts::Model>(),
            ),
            // Only for the CSRF check of cookie-authenticated uploads (no admin pages).
            Box::new(privates_admin::AdminInitializer),
        ])
    }

    fn routes(_ctx: &AppContext) -> AppRoutes {
        AppRoutes::with_default_routes()
            .add_route(controllers::auth::routes())
            .add_route(controllers::invoices::routes())
            .add_route(controllers::contracts::routes())
            .add_route(privates::routing::model_routes::<invoices::Model>())
            .add_route(privates::routing::model_routes::<contracts::Model>())
    }

    async fn connect_workers(_ctx: &AppContext, _queue: &Queue) -> Result<()> {
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(privates::task::PrivatesCheck);
        tasks.register(privates::task::PrivatesCleanTemp::default());
        privates_auth::tasks::register(tasks, &known_permissions());
    }

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}

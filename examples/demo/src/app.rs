//! The loco app: hooks, routes, initializers.

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

use crate::{auth::DemoAuthorizer, controllers, migration::Migrator, reads::Reads, seed, tuning};

/// The demo app.
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

    async fn after_context(mut ctx: AppContext) -> Result<AppContext> {
        if let Some(db) = tuning::database(&ctx).await? {
            ctx.db = db;
        }
        if let Some(reads) = Reads::for_uri(&ctx.config.database.uri) {
            reads.install(&ctx);
        }
        Ok(ctx)
    }

    async fn serve(app: axum::Router, ctx: &AppContext, params: &ServeParams) -> Result<()> {
        tuning::serve::<Self>(app, ctx, params).await
    }

    async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        Ok(vec![
            Box::new(privates::PrivatesInitializer::new(DemoAuthorizer)),
            Box::new(seed::SeedOnFirstStart),
        ])
    }

    fn routes(ctx: &AppContext) -> AppRoutes {
        AppRoutes::empty()
            .add_route(controllers::session::routes())
            .add_route(controllers::admin::routes())
            .add_route(controllers::admin::download_routes(ctx))
    }

    async fn connect_workers(_ctx: &AppContext, _queue: &Queue) -> Result<()> {
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(privates::task::PrivatesCheck);
        tasks.register(privates::task::PrivatesCleanTemp::default());
    }

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}

//! The loco app: hooks, routes, initializers.

use std::{path::Path, sync::Arc};

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

use crate::{controllers, migration::Migrator, models::iddocuments, seed};

/// The JWT secret `config/*.yaml` fall back to without `DEMO_JWT_SECRET`: for trying the demo
/// on a laptop only.
pub const DEFAULT_JWT_SECRET: &str = "PqRwLF2rhHe8J22oBeHyDemoOnlyChangeMe";
/// The share key `config/*.yaml` fall back to without `DEMO_SHARE_KEY`.
pub const DEFAULT_SHARE_KEY: &str = "DemoOnlyShareKeyDoNotUseInProductionChangeMe";

/// Refuses to run with a built-in key anywhere but on a developer's machine: the
/// `development` environment, and `test` (loco's environment for `cargo test`, whose runs
/// are throw-away). Everyone can read these keys in the repository: with the JWT secret
/// anyone can mint a session for any user, with the share key any share link.
///
/// # Errors
/// A message naming the environment variable to set.
pub fn refuse_default_keys(config: &Config, environment: &Environment) -> Result<()> {
    if matches!(environment, Environment::Development | Environment::Test) {
        return Ok(());
    }
    let jwt_secret = config
        .auth
        .as_ref()
        .and_then(|auth| auth.jwt.as_ref())
        .map(|jwt| jwt.secret.as_str());
    let share_key = config
        .initializers
        .as_ref()
        .and_then(|all| all.get("privates"))
        .and_then(|privates| privates.pointer("/share/key"))
        .and_then(serde_json::Value::as_str);
    for (used, default, variable) in [
        (jwt_secret, DEFAULT_JWT_SECRET, "DEMO_JWT_SECRET"),
        (share_key, DEFAULT_SHARE_KEY, "DEMO_SHARE_KEY"),
    ] {
        if used == Some(default) {
            return Err(loco_rs::Error::Message(format!(
                "the {environment} environment uses the demo's built-in {what}, which anyone \
                 can read in its repository: set {variable} (for example to the output of \
                 `openssl rand -base64 32`)",
                what = if variable == "DEMO_JWT_SECRET" {
                    "JWT secret"
                } else {
                    "share key"
                },
            )));
        }
    }
    Ok(())
}

/// The permissions a grant may name (the tasks, the users page): the ID documents',
/// privates-auth's own `auth.change_user` and privates-audit's `privates.view_audit`.
#[must_use]
pub fn known_permissions() -> privates_auth::KnownPermissions {
    privates_auth::KnownPermissions::new()
        .model::<iddocuments::Model>()
        .with([privates_audit::VIEW_AUDIT])
}

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

    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        refuse_default_keys(&ctx.config, &ctx.environment)?;
        controllers::session::warm_up();
        Ok(ctx)
    }

    async fn serve(app: axum::Router, ctx: &AppContext, params: &ServeParams) -> Result<()> {
        privates::server::serve::<Self>(app, ctx, params, ServeOptions::default()).await
    }

    async fn initializers(ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        let privates = privates::PrivatesInitializer::new(privates_auth::StoreAuthorizer)
            .model::<iddocuments::Model>();
        // Every download's decision goes to the `privates_audit_events` table, written off
        // the request path (`initializers.privates.audit` in config/*.yaml); `DEMO_AUDIT=off`
        // leaves only the `tracing` event (`scripts/bench` measures the table's cost).
        let privates = if std::env::var("DEMO_AUDIT").is_ok_and(|audit| audit == "off") {
            privates
        } else {
            privates.audit(Arc::new(privates_audit::AuditTable::start(ctx)?))
        };
        Ok(vec![
            Box::new(privates),
            Box::new(privates_admin::AdminInitializer),
            Box::new(seed::SeedOnFirstStart),
        ])
    }

    fn routes(_ctx: &AppContext) -> AppRoutes {
        AppRoutes::empty()
            .add_route(controllers::session::routes())
            .add_route(controllers::admin::routes())
            .add_route(controllers::admin::download_routes())
            .add_route(privates_admin::assets::routes(
                privates_admin::assets::DEFAULT_URL,
            ))
            .add_route(controllers::users::routes())
    }

    /// After the server finished its requests: the audit events still queued are written.
    async fn on_shutdown(ctx: &AppContext) {
        privates_audit::shutdown(ctx).await;
    }

    async fn connect_workers(_ctx: &AppContext, _queue: &Queue) -> Result<()> {
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(privates::task::PrivatesCheck);
        tasks.register(privates::task::PrivatesCleanTemp::default());
        // privates_permissions, privates_grant, privates_group_create, privates_user_show...
        privates_auth::tasks::register(tasks, &known_permissions());
        // privates_audit (who opened what), privates_audit_clean (audit.retention).
        privates_audit::tasks::register(tasks);
    }

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}

//! The loco initializer: reads `initializers.privates` at boot, runs the checks and installs the
//! [`Privates`] handle in the app context.

use std::sync::Arc;

use async_trait::async_trait;
use loco_rs::{
    app::{AppContext, Initializer},
    doctor::{Check, CheckStatus},
};

use crate::{
    checks::{self, StaticAssets},
    config::{INITIALIZER_KEY, PrivatesConfig},
    permissions::{Authorizer, DynAuthorizer},
    state::Privates,
};

/// Plugs privates into a loco app. Return it from `Hooks::initializers`:
///
/// ```ignore
/// async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
///     Ok(vec![Box::new(privates::PrivatesInitializer::new(MyAuthorizer))])
/// }
/// ```
///
/// At boot a malformed block or a failed check stops the app with a message naming the key to
/// fix; warnings are logged. `cargo loco doctor` runs the same checks.
pub struct PrivatesInitializer {
    authorizer: Arc<dyn DynAuthorizer>,
}

impl PrivatesInitializer {
    /// The initializer, with the app's [`Authorizer`].
    #[must_use]
    pub fn new(authorizer: impl Authorizer) -> Self {
        Self {
            authorizer: Arc::new(authorizer),
        }
    }
}

#[async_trait]
impl Initializer for PrivatesInitializer {
    fn name(&self) -> String {
        INITIALIZER_KEY.to_string()
    }

    async fn before_run(&self, ctx: &AppContext) -> loco_rs::Result<()> {
        let config = PrivatesConfig::from_loco(&ctx.config).map_err(crate::Error::from)?;
        let privates = Privates::with_checks(
            config,
            Arc::clone(&self.authorizer),
            StaticAssets::from_loco(&ctx.config).as_ref(),
        )?;
        tracing::info!(
            backend = ?privates.config().sendfile.backend,
            storage = ?privates.config().storage.as_ref().map(|storage| storage.backend),
            "privates initialized"
        );
        privates.install(ctx);
        Ok(())
    }

    /// loco registers every route without its trailing slash, while download URLs keep the
    /// Django admin's shape (`/admin/docs/iddocument/7/pdf/`); so that both forms reach the
    /// same handler, the app's router answers paths with a trailing slash as without.
    async fn after_routes(
        &self,
        router: axum::Router,
        _ctx: &AppContext,
    ) -> loco_rs::Result<axum::Router> {
        Ok(crate::routing::accept_trailing_slashes(router))
    }

    async fn check(&self, ctx: &AppContext) -> loco_rs::Result<Option<Check>> {
        Ok(Some(doctor_check(&ctx.config)))
    }
}

/// The doctor's view of the checks: not ok when a check errs or the block is malformed.
pub(crate) fn doctor_check(loco: &loco_rs::config::Config) -> Check {
    match PrivatesConfig::from_loco(loco) {
        Err(err) => Check {
            status: CheckStatus::NotOk,
            message: "the privates configuration is malformed".to_string(),
            description: Some(err.to_string()),
        },
        Ok(config) => {
            let report = checks::run_loco(&config, loco);
            Check {
                status: if report.has_errors() {
                    CheckStatus::NotOk
                } else {
                    CheckStatus::Ok
                },
                message: if report.messages.is_empty() {
                    "configuration checks passed".to_string()
                } else {
                    format!("{} finding(s)", report.messages.len())
                },
                description: (!report.messages.is_empty()).then(|| report.to_string()),
            }
        }
    }
}

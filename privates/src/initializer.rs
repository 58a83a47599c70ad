//! The loco initializer: reads `initializers.privates` at boot, runs the checks and installs the
//! [`Privates`] handle in the app context.

use std::sync::Arc;

use async_trait::async_trait;
use loco_rs::{
    app::{AppContext, Initializer},
    doctor::{Check, CheckStatus},
};

use crate::{
    checks::{self, Environment, ModelFields, Validated},
    config::{INITIALIZER_KEY, PrivatesConfig},
    error::Error,
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
    models: Vec<ModelFields>,
    audit: Option<Arc<dyn crate::audit::AuditSink>>,
}

impl PrivatesInitializer {
    /// The initializer, with the app's [`Authorizer`].
    #[must_use]
    pub fn new(authorizer: impl Authorizer) -> Self {
        Self {
            authorizer: Arc::new(authorizer),
            models: Vec::new(),
            audit: None,
        }
    }

    /// Registers `M`: its `upload_to` patterns are checked at boot and in `cargo loco doctor`
    /// (`privates.E301`; derived models are checked at compile time already), and its
    /// permissions are listed by [`Privates::permissions`].
    #[must_use]
    pub fn model<M: crate::PrivateMedia>(mut self) -> Self {
        self.models.push(ModelFields::of::<M>());
        self
    }

    /// Hands every download's [`AuditEvent`](crate::audit::AuditEvent) to `sink` too.
    #[must_use]
    pub fn audit(mut self, sink: Arc<dyn crate::audit::AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }
}

#[async_trait]
impl Initializer for PrivatesInitializer {
    fn name(&self) -> String {
        INITIALIZER_KEY.to_string()
    }

    async fn before_run(&self, ctx: &AppContext) -> loco_rs::Result<()> {
        let authorizer = Arc::clone(&self.authorizer);
        let privates = Privates::boot(&ctx.config, authorizer, self.audit.clone(), &self.models)?;
        tracing::info!(
            backend = privates.delivery().backend().name(),
            storage = match privates.files() {
                crate::storage::Storage::Local(_) => "local",
                crate::storage::Storage::S3(_) => "s3",
            },
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
        ctx: &AppContext,
    ) -> loco_rs::Result<axum::Router> {
        Ok(crate::routing::after_routes(router, ctx))
    }

    async fn check(&self, ctx: &AppContext) -> loco_rs::Result<Option<Check>> {
        Ok(Some(doctor_check(&ctx.config, &self.models)))
    }
}

/// The checks of a loco app and its registered `models`: reads `initializers.privates`,
/// gathers the [`Environment`] and [`validate`](checks::validate)s, as boot does. The doctor
/// and the `privates_check` task call this.
pub(crate) fn check_loco(
    loco: &loco_rs::config::Config,
    models: &[ModelFields],
) -> Result<Validated, Error> {
    let config = PrivatesConfig::from_loco(loco)?;
    checks::validate(&config, &Environment::from_loco(loco, models)).map_err(Error::Checks)
}

/// The doctor's view of the checks: not ok when a check errs or the block is malformed.
pub(crate) fn doctor_check(loco: &loco_rs::config::Config, models: &[ModelFields]) -> Check {
    let (status, message, report) = match check_loco(loco, models) {
        Err(Error::Checks(report)) => (
            CheckStatus::NotOk,
            format!("{} finding(s)", report.messages.len()),
            Some(report.to_string()),
        ),
        Err(err) => (
            CheckStatus::NotOk,
            "the privates configuration is malformed".to_string(),
            Some(err.to_string()),
        ),
        Ok(validated) if validated.warnings.messages.is_empty() => (
            CheckStatus::Ok,
            "configuration checks passed".to_string(),
            None,
        ),
        Ok(validated) => (
            CheckStatus::Ok,
            format!("{} finding(s)", validated.warnings.messages.len()),
            Some(validated.warnings.to_string()),
        ),
    };
    Check {
        status,
        message,
        description: report,
    }
}

//! The runtime handle: parsed config, storage, sendfile backend and authorizer, built once at
//! boot and reached from handlers through the app context.

use std::sync::Arc;

use axum::response::Response;
use http::request::Parts;
use loco_rs::app::AppContext;

use crate::{
    checks::{self, CheckReport, StaticAssets},
    config::PrivatesConfig,
    error::Error,
    permissions::{Authorizer, DynAuthorizer},
    refusal::Decision,
    sendfile::{Sendfile, SendfileOptions},
    storage::LocalStorage,
};

/// Everything a request needs, behind one `Arc`: cloning is a reference-count bump.
#[derive(Clone)]
pub struct Privates {
    inner: Arc<Inner>,
}

struct Inner {
    config: PrivatesConfig,
    storage: LocalStorage,
    sendfile: Sendfile,
    authorizer: Arc<dyn DynAuthorizer>,
}

impl std::fmt::Debug for Privates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privates")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Privates {
    /// Builds the handle after running the checks: errors refuse to build (naming the key to
    /// fix), warnings are logged.
    ///
    /// # Errors
    /// [`Error::Checks`] when a check fails, [`Error::Storage`] / [`Error::Sendfile`] when the
    /// storage folder cannot be created or opened.
    pub fn new(config: PrivatesConfig, authorizer: impl Authorizer) -> Result<Self, Error> {
        Self::with_checks(config, Arc::new(authorizer), None)
    }

    /// Builds the handle from a loco config: reads `initializers.privates` and also checks it
    /// against loco's static-assets settings.
    ///
    /// # Errors
    /// As [`Privates::new`], plus [`Error::Config`] for a malformed block.
    pub fn from_loco(
        config: &loco_rs::config::Config,
        authorizer: impl Authorizer,
    ) -> Result<Self, Error> {
        let privates = PrivatesConfig::from_loco(config)?;
        Self::with_checks(
            privates,
            Arc::new(authorizer),
            StaticAssets::from_loco(config).as_ref(),
        )
    }

    pub(crate) fn with_checks(
        config: PrivatesConfig,
        authorizer: Arc<dyn DynAuthorizer>,
        static_assets: Option<&StaticAssets>,
    ) -> Result<Self, Error> {
        let report = checks::run(&config, static_assets);
        log_warnings(&report);
        if report.has_errors() {
            return Err(Error::Checks(report));
        }
        Self::build(config, authorizer)
    }

    fn build(config: PrivatesConfig, authorizer: Arc<dyn DynAuthorizer>) -> Result<Self, Error> {
        // The checks guarantee both are present; answer with their ids rather than panicking
        // if a caller skipped them.
        let (Some(storage_config), Some(root)) = (&config.storage, &config.sendfile.root) else {
            return Err(Error::Checks(checks::run(&config, None)));
        };
        let storage = LocalStorage::new(&storage_config.location, &storage_config.base_url)?;
        let sendfile = Sendfile::new(
            config.sendfile.backend,
            root.clone(),
            config.sendfile.url.clone(),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                storage,
                sendfile,
                authorizer,
            }),
        })
    }

    /// The same handle on another configuration (used by the test tools to move the storage
    /// into a temporary root). The checks run again.
    ///
    /// # Errors
    /// As [`Privates::new`].
    pub fn reconfigure(&self, config: PrivatesConfig) -> Result<Self, Error> {
        Self::with_checks(config, Arc::clone(&self.inner.authorizer), None)
    }

    /// The handle installed in the app context by [`PrivatesInitializer`](crate::PrivatesInitializer)
    /// or [`Privates::install`].
    ///
    /// # Errors
    /// [`Error::NotInitialized`] when none is installed.
    pub fn from_ctx(ctx: &AppContext) -> Result<Self, Error> {
        ctx.shared_store.get::<Self>().ok_or(Error::NotInitialized)
    }

    /// Installs this handle in the app context (replacing any other), where handlers find it.
    pub fn install(&self, ctx: &AppContext) {
        ctx.shared_store.insert(self.clone());
    }

    /// The parsed configuration.
    #[must_use]
    pub fn config(&self) -> &PrivatesConfig {
        &self.inner.config
    }

    /// The private storage.
    #[must_use]
    pub fn storage(&self) -> &LocalStorage {
        &self.inner.storage
    }

    /// The configured sendfile backend.
    #[must_use]
    pub fn sendfile_backend(&self) -> &Sendfile {
        &self.inner.sendfile
    }

    pub(crate) fn authorizer(&self) -> &dyn DynAuthorizer {
        self.inner.authorizer.as_ref()
    }

    /// Authenticates the request and checks one permission, as the download view's first two
    /// steps do; for an app's own pages (an admin list, a change form). Turn a refusal into
    /// the same 401 / login redirect / 403 as the view with [`Decision::refusal`].
    ///
    /// # Errors
    /// When the app's user or permission store fails.
    pub async fn decide(
        &self,
        parts: &Parts,
        ctx: &AppContext,
        permission: &str,
    ) -> loco_rs::Result<Decision> {
        let authorizer = self.authorizer();
        let Some(user) = authorizer.authenticate(parts, ctx).await? else {
            return Ok(Decision::Anonymous);
        };
        Ok(
            if authorizer.has_permission(&user, permission, ctx).await? {
                Decision::Allowed
            } else {
                Decision::Forbidden
            },
        )
    }

    /// [`Privates::decide`], answered: `Ok(None)` when allowed, else the refusal response.
    ///
    /// # Errors
    /// When the app's user or permission store fails.
    pub async fn require(
        &self,
        parts: &Parts,
        ctx: &AppContext,
        permission: &str,
    ) -> loco_rs::Result<Option<Response>> {
        let decision = self.decide(parts, ctx, permission).await?;
        Ok(decision.refusal(parts, &self.inner.config.login_url))
    }

    /// Hands the stored file `name` to the browser through the configured backend, the way
    /// django-sendfile2's `sendfile(request, ...)` does. No permission is checked here: this is
    /// what a handler calls after its own checks (the [`view`](crate::view) does them all).
    ///
    /// # Errors
    /// [`Error::Storage`] when the name is refused or the file is missing, [`Error::Sendfile`]
    /// when it cannot be handed over. Both turn into 404 responses with
    /// [`IntoResponse`](axum::response::IntoResponse) on the inner error.
    pub async fn sendfile(
        &self,
        parts: &Parts,
        name: &str,
        options: &SendfileOptions,
    ) -> Result<Response, Error> {
        let file = self.inner.storage.open(name).await?;
        Ok(self
            .inner
            .sendfile
            .serve(&parts.method, &parts.headers, file, options)
            .await?)
    }
}

fn log_warnings(report: &CheckReport) {
    for warning in report.warnings() {
        tracing::warn!(id = warning.id, key = warning.key, "{warning}");
    }
}

//! The runtime handle: parsed config, storage, sendfile backend and authorizer, built once at
//! boot and reached from handlers through the app context.

use std::{sync::Arc, time::Duration};

use axum::response::Response;
use http::request::Parts;
use loco_rs::app::AppContext;

use crate::{
    checks::{self, CheckReport, StaticAssets},
    config::{PrivatesConfig, StorageBackend},
    error::{ConfigError, Error},
    permissions::{AnyUser, Authorizer, DynAuthorizer},
    refusal::Decision,
    sendfile::{Sendfile, SendfileOptions},
    share::ShareKey,
    storage::{LocalStorage, S3Storage, Storage, StorageError},
};

/// Everything a request needs, behind one `Arc`: cloning is a reference-count bump.
#[derive(Clone)]
pub struct Privates {
    inner: Arc<Inner>,
}

struct Inner {
    config: PrivatesConfig,
    files: Storage,
    sendfile: Sendfile,
    authorizer: Arc<dyn DynAuthorizer>,
    share: Option<ShareKey>,
    /// The S3 backend's empty stand-in for a sendfile root, removed with the handle.
    _staging: Option<tempfile::TempDir>,
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
        // The checks guarantee what each backend needs; answer with their ids rather than
        // panicking if a caller skipped them.
        let Some(storage_config) = &config.storage else {
            return Err(Error::Checks(checks::run(&config, None)));
        };
        let share = config
            .share
            .as_ref()
            .map(ShareKey::from_config)
            .transpose()?;
        let (files, sendfile, staging) = match storage_config.backend {
            StorageBackend::S3 => {
                let s3 = S3Storage::new(storage_config)?;
                let staging = tempfile::Builder::new()
                    .prefix("privates-s3-")
                    .tempdir()
                    .map_err(|source| crate::storage::StorageError::Location {
                        location: std::env::temp_dir(),
                        source,
                    })?;
                // The object backends never read local files; the sendfile root only has to
                // exist, and nothing is ever written to it.
                let sendfile = Sendfile::new(config.sendfile.backend, staging.path(), None)?;
                tracing::info!(bucket = s3.bucket(), "privates: files are stored in S3");
                (Storage::S3(s3), sendfile, Some(staging))
            }
            _ => {
                let Some(root) = &config.sendfile.root else {
                    return Err(Error::Checks(checks::run(&config, None)));
                };
                let storage = LocalStorage::new(&storage_config.location, &storage_config.base_url)
                    .map_err(|err| match err {
                        // Boot errors name the key to fix, as every other config error does.
                        StorageError::Location { .. } => Error::Config(ConfigError::Invalid {
                            key: "initializers.privates.storage.location".into(),
                            message: err.to_string(),
                        }),
                        other => Error::Storage(other),
                    })?;
                let sendfile = Sendfile::new(
                    config.sendfile.backend,
                    root.clone(),
                    config.sendfile.url.clone(),
                )?;
                (Storage::Local(storage), sendfile, None)
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                files,
                sendfile,
                authorizer,
                share,
                _staging: staging,
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

    /// The configured private storage, local or S3: save, delete and inspect files here
    /// (`storage.backend` decides; both behave alike, see [`Storage`]).
    #[must_use]
    pub fn files(&self) -> &Storage {
        &self.inner.files
    }

    /// The share-link key, `None` when `share` is not configured.
    pub(crate) fn share_key(&self) -> Option<&ShareKey> {
        self.inner.share.as_ref()
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
        Ok(match self.authorize(parts, ctx, permission).await? {
            Ok(_) => Decision::Allowed,
            Err(refused) => refused,
        })
    }

    /// Whether the request may download `field` of `object` under `permission`: the checks
    /// of the download view before the file is looked at (authenticate, the permission, then
    /// the authorizer's [object-level check](crate::permissions::Authorizer::has_object_permission)).
    /// What an app asks before it offers a share link ([`share_url`](Self::share_url)).
    ///
    /// # Errors
    /// When the app's user or permission store fails.
    pub async fn decide_download<M: crate::PrivateMedia>(
        &self,
        parts: &Parts,
        ctx: &AppContext,
        permission: &str,
        object: &M,
        field: &crate::Field<M>,
    ) -> loco_rs::Result<Decision> {
        let user = match self.authorize(parts, ctx, permission).await? {
            Ok(user) => user,
            Err(refused) => return Ok(refused),
        };
        let object = crate::permissions::ObjectRef {
            app: M::APP,
            model: M::MODEL,
            field: field.name(),
            object,
        };
        Ok(
            if self
                .authorizer()
                .has_object_permission(&user, permission, object, ctx)
                .await?
            {
                Decision::Allowed
            } else {
                Decision::Forbidden
            },
        )
    }

    /// The first two steps of every check: who asks, and do they hold `permission`. The user
    /// when they do (the view goes on to the object-level check with it), else why not.
    pub(crate) async fn authorize(
        &self,
        parts: &Parts,
        ctx: &AppContext,
        permission: &str,
    ) -> loco_rs::Result<Result<AnyUser, Decision>> {
        let authorizer = self.authorizer();
        let Some(user) = authorizer.authenticate(parts, ctx).await? else {
            return Ok(Err(Decision::Anonymous));
        };
        Ok(
            if authorizer.has_permission(&user, permission, ctx).await? {
                Ok(user)
            } else {
                Err(Decision::Forbidden)
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

    /// A share link to `field` of `object` that works without logging in for `ttl` (at most
    /// `share.max_ttl`): `{URL_PREFIX}/{app}/{model}/{pk}/{field}/shared/?expires=..&sig=..`,
    /// served by the routes of [`model_routes`](crate::view::model_routes) /
    /// [`PrivateMediaView::share_routes`](crate::PrivateMediaView::share_routes).
    ///
    /// **No permission is checked here**: call it after the app's own check that the current
    /// user may share this file, typically that they may download it
    /// ([`decide_download`](Self::decide_download); see [`share`](crate::share)).
    ///
    /// ```ignore
    /// let permission = IdDocument::permission_for(&IdDocument::PDF);
    /// let decision = privates.decide_download(&parts, &ctx, permission, &doc, &IdDocument::PDF).await?;
    /// if decision == Decision::Allowed {
    ///     let url = privates.share_url(&doc, &IdDocument::PDF, Duration::from_secs(600))?;
    /// }
    /// ```
    ///
    /// # Errors
    /// [`ShareError::Disabled`](crate::share::ShareError::Disabled) without `share.key`;
    /// [`ShareError::EmptyField`](crate::share::ShareError::EmptyField),
    /// [`ShareError::NoDownload`](crate::share::ShareError::NoDownload),
    /// [`ShareError::Lifetime`](crate::share::ShareError::Lifetime).
    pub fn share_url<M: crate::PrivateMedia>(
        &self,
        object: &M,
        field: &crate::Field<M>,
        ttl: Duration,
    ) -> Result<String, Error> {
        let key = self.share_key().ok_or(crate::share::ShareError::Disabled)?;
        Ok(key.url_for(object, field, ttl)?)
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
        match &self.inner.files {
            Storage::S3(storage) => {
                let object = storage.open(name).await?;
                let expires = Duration::from_secs(self.inner.config.sendfile.expires);
                self.inner
                    .sendfile
                    .serve_object(
                        &parts.method,
                        &parts.headers,
                        storage,
                        &object,
                        expires,
                        options,
                    )
                    .await
            }
            Storage::Local(storage) => {
                let file = storage.open(name).await?;
                Ok(self
                    .inner
                    .sendfile
                    .serve(&parts.method, &parts.headers, file, options)
                    .await?)
            }
        }
    }
}

fn log_warnings(report: &CheckReport) {
    for warning in report.warnings() {
        tracing::warn!(id = warning.id, key = warning.key, "{warning}");
    }
}

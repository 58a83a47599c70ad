//! The runtime handle: parsed config, storage, sendfile backend and authorizer, built once at
//! boot and reached from handlers through the app context.

use std::{sync::Arc, time::Duration};

use axum::response::Response;
use http::request::Parts;
use loco_rs::app::AppContext;

use crate::{
    audit::{AuditEvent, AuditSink, Check},
    checks::{self, CheckReport, Environment},
    config::{ConfigError, PrivatesConfig},
    error::Error,
    permissions::{AnyUser, Authorizer, DynAuthorizer},
    refusal::Decision,
    sendfile::{Sendfile, SendfileError, SendfileOptions},
    settings::{Settings, StorageSettings},
    share::ShareKey,
    storage::{LocalStorage, Opened, S3Storage, Storage, StorageError},
};

/// Everything a request needs, behind one `Arc`: cloning is a reference-count bump.
#[derive(Clone)]
pub struct Privates {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    /// The block as read, and what it was checked against (for [`Privates::reconfigure`]).
    config: PrivatesConfig,
    env: Environment,
    settings: Settings,
    files: Storage,
    sendfile: Sendfile,
    authorizer: Arc<dyn DynAuthorizer>,
    audit: Option<Arc<dyn AuditSink>>,
}

impl std::fmt::Debug for Privates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privates")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Privates {
    /// Builds the handle after running the checks against the process environment (its S3
    /// credentials): errors refuse to build (naming the key to fix), warnings are logged.
    ///
    /// # Errors
    /// [`Error::Checks`] when a check fails, [`Error::Storage`] when the storage folder cannot
    /// be created or opened.
    pub fn new(config: PrivatesConfig, authorizer: impl Authorizer) -> Result<Self, Error> {
        Self::build(config, Environment::process(), Arc::new(authorizer), None)
    }

    /// Builds the handle from a loco config, as the initializer does at boot: reads
    /// `initializers.privates` and checks it against loco's own settings (static assets, the
    /// JWT secret) too.
    ///
    /// # Errors
    /// As [`Privates::new`], plus [`Error::Config`] for a malformed block.
    pub fn from_loco(
        config: &loco_rs::config::Config,
        authorizer: impl Authorizer,
    ) -> Result<Self, Error> {
        Self::boot(config, Arc::new(authorizer), None, &[])
    }

    /// The initializer's and [`from_loco`](Self::from_loco)'s one way in.
    pub(crate) fn boot(
        config: &loco_rs::config::Config,
        authorizer: Arc<dyn DynAuthorizer>,
        audit: Option<Arc<dyn AuditSink>>,
        models: &[crate::checks::ModelFields],
    ) -> Result<Self, Error> {
        Self::build(
            PrivatesConfig::from_loco(config)?,
            Environment::from_loco(config, models),
            authorizer,
            audit,
        )
    }

    fn build(
        config: PrivatesConfig,
        env: Environment,
        authorizer: Arc<dyn DynAuthorizer>,
        audit: Option<Arc<dyn AuditSink>>,
    ) -> Result<Self, Error> {
        let validated = checks::validate(&config, &env).map_err(Error::Checks)?;
        log_warnings(&validated.warnings);
        let settings = validated.settings;
        let files = match &settings.storage {
            StorageSettings::Local(local) => Storage::Local(
                LocalStorage::new(&local.location, &local.base_url).map_err(|err| match err {
                    // Boot errors name the key to fix, as every other config error does.
                    StorageError::Location { .. } => Error::Config(ConfigError::Invalid {
                        key: "initializers.privates.storage.location".into(),
                        message: err.to_string(),
                    }),
                    other => Error::Storage(other),
                })?,
            ),
            StorageSettings::S3(s3) => {
                tracing::info!(bucket = %s3.bucket, "privates: files are stored in S3");
                Storage::S3(S3Storage::new(s3)?)
            }
        };
        let sendfile = Sendfile::from_settings(&settings.storage);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                env,
                settings,
                files,
                sendfile,
                authorizer,
                audit,
            }),
        })
    }

    /// The same handle on another configuration, checked against the same environment (used
    /// by the test tools to move the storage into a temporary root).
    ///
    /// # Errors
    /// As [`Privates::new`].
    pub fn reconfigure(&self, config: PrivatesConfig) -> Result<Self, Error> {
        Self::build(
            config,
            self.inner.env.clone(),
            Arc::clone(&self.inner.authorizer),
            self.inner.audit.clone(),
        )
    }

    /// The same handle, handing every [`AuditEvent`] to `sink` too (see [`audit`](crate::audit)).
    #[must_use]
    pub fn with_audit(self, sink: Arc<dyn AuditSink>) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.audit = Some(sink);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Records the route's answer (`Err`: refused by that check) and returns it; 503 when
    /// the audit sink refuses the event.
    pub(crate) async fn audit(
        &self,
        parts: &Parts,
        event: &mut AuditEvent<'_>,
        answer: Result<Response, (Check, Response)>,
    ) -> Response {
        let (sink, backend) = (self.inner.audit.as_deref(), self.inner.sendfile.backend());
        (event.record(sink, backend, answer).await)
            .unwrap_or_else(|_| crate::refuse(parts, http::StatusCode::SERVICE_UNAVAILABLE))
    }

    /// The authorizer's id of `user`, for the audit.
    pub(crate) fn user_id(&self, user: &AnyUser) -> Option<String> {
        self.inner.authorizer.user_id(user)
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

    /// The permissions of the models registered with
    /// [`PrivatesInitializer::model`](crate::PrivatesInitializer::model), sorted, each once:
    /// what a permission store offers to grant.
    #[must_use]
    pub fn permissions(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = self
            .inner
            .env
            .models
            .iter()
            .flat_map(|model| model.permissions().iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The configuration as read (the checks turned it into what this handle runs on).
    #[must_use]
    pub fn config(&self) -> &PrivatesConfig {
        &self.inner.config
    }

    /// The file of `field` on `object` (Django's `FieldFile`): its URL, size, bytes, whether it
    /// is there, and deleting it.
    #[must_use]
    pub fn file<'a, M: crate::PrivateMedia>(
        &'a self,
        object: &'a M,
        field: crate::Field<M>,
    ) -> crate::file::FieldFile<'a, M> {
        crate::file::FieldFile::new(&self.inner.files, object, field)
    }

    /// Deletes the files of every private field of `object` except those in `keep`
    /// (ActiveStorage's `purge`): call it once the row is deleted and committed.
    ///
    /// # Errors
    /// The first storage error; the files before it are deleted.
    pub async fn delete_files<M: crate::PrivateMedia>(
        &self,
        object: &M,
        keep: &[crate::Field<M>],
    ) -> Result<(), StorageError> {
        crate::file::delete_files(&self.inner.files, object, keep).await
    }

    /// Where an anonymous browser is sent (`login_url`); `None` when switched off (an API).
    #[must_use]
    pub fn login_url(&self) -> Option<&str> {
        self.inner.settings.login_url()
    }

    /// The configured private storage, local or S3: save, delete and inspect files here
    /// (`storage.backend` decides; both behave alike, see [`Storage`]).
    #[must_use]
    pub fn files(&self) -> &Storage {
        &self.inner.files
    }

    /// The share-link key, `None` when `share` is not configured.
    pub(crate) fn share_key(&self) -> Option<&ShareKey> {
        self.inner.settings.share.as_ref()
    }

    /// The configured delivery (`sendfile.*`).
    #[must_use]
    pub fn delivery(&self) -> &Sendfile {
        &self.inner.sendfile
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
        Ok(self.authorize(parts, ctx, permission).await?.1)
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
        Ok(match self.authorize(parts, ctx, permission).await? {
            (Some(user), Decision::Allowed)
                if self
                    .may_access(&user, permission, object, field, ctx)
                    .await? =>
            {
                Decision::Allowed
            }
            (_, Decision::Allowed) => Decision::Forbidden,
            (_, refused) => refused,
        })
    }

    /// The authorizer's [object-level check](crate::permissions::Authorizer::has_object_permission)
    /// of `field` on `object`, after [`authorize`](Self::authorize) let `user` in.
    pub(crate) async fn may_access<M: crate::PrivateMedia>(
        &self,
        user: &AnyUser,
        permission: &str,
        object: &M,
        field: &crate::Field<M>,
        ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        let object = crate::permissions::ObjectRef {
            app: M::APP,
            model: M::MODEL,
            field: field.name(),
            object,
        };
        self.inner
            .authorizer
            .permits(user, permission, Some(object), ctx)
            .await
    }

    /// The first two steps of every check: who asks (the view goes on to the object-level
    /// check with them), and do they hold `permission`.
    pub(crate) async fn authorize(
        &self,
        parts: &Parts,
        ctx: &AppContext,
        permission: &str,
    ) -> loco_rs::Result<(Option<AnyUser>, Decision)> {
        let authorizer = &self.inner.authorizer;
        let Some(user) = authorizer.authenticate(parts, ctx).await? else {
            return Ok((None, Decision::Anonymous));
        };
        let decision = if authorizer.permits(&user, permission, None, ctx).await? {
            Decision::Allowed
        } else {
            Decision::Forbidden
        };
        Ok((Some(user), decision))
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
        Ok(decision.refusal(parts, self.login_url()))
    }

    /// A share link to `field` of `object` that works without logging in for `ttl` (at most
    /// `share.max_ttl`): `{URL_PREFIX}/{app}/{model}/{pk}/{field}/shared/?expires=..&sig=..`,
    /// served by the share routes that [`routing::routes`](crate::routing::routes) registers.
    ///
    /// **No permission is checked here**: call it after the app's own check that the current
    /// user may share this file, typically that they may download it
    /// ([`decide_download`](Self::decide_download); see [`share`](crate::share)).
    ///
    /// ```ignore
    /// let permission = IdDocument::permission_for(&IdDocument::PDF);
    /// let decision = privates.decide_download(&parts, &ctx, permission, &doc, &IdDocument::PDF).await?;
    /// if decision == Decision::Allowed {
    ///     let url = privates.share_url(&doc, &IdDocument::PDF, Duration::from_secs(600)).await?;
    /// }
    /// ```
    ///
    /// # Errors
    /// [`ShareError::Disabled`](crate::share::ShareError::Disabled) without `share.key`;
    /// [`ShareError::EmptyField`](crate::share::ShareError::EmptyField),
    /// [`ShareError::Missing`](crate::share::ShareError::Missing) (nothing stored under the
    /// name), [`Error::Storage`] when the store fails,
    /// [`ShareError::NoDownload`](crate::share::ShareError::NoDownload),
    /// [`ShareError::Lifetime`](crate::share::ShareError::Lifetime).
    pub async fn share_url<M: crate::PrivateMedia>(
        &self,
        object: &M,
        field: &crate::Field<M>,
        ttl: Duration,
    ) -> Result<String, Error> {
        let key = self.share_key().ok_or(crate::share::ShareError::Disabled)?;
        let name = crate::share::shareable_name(object, field)?;
        // The link names this very file: a later one under the same name never satisfies it.
        let version = match self.inner.files.open(name).await {
            Ok(opened) => opened.version(),
            Err(err) if err.is_not_found() => {
                return Err(crate::share::ShareError::Missing {
                    field: field.name(),
                }
                .into());
            }
            Err(err) => return Err(err.into()),
        };
        Ok(key.url_for(object, field, &version, ttl)?)
    }

    /// Hands the stored file `name` to the browser through the configured backend, the way
    /// django-sendfile2's `sendfile(request, ...)` does: the storage opens it, the delivery
    /// answers. No permission is checked here: this is what a handler calls after its own
    /// checks (the [`view`](crate::view) does them all).
    ///
    /// # Errors
    /// [`SendfileError`]: its [`status`](SendfileError::status) is 404 for a refused name or a
    /// missing file, 500 for a failing store; it is also the response
    /// ([`IntoResponse`](axum::response::IntoResponse)).
    pub async fn sendfile(
        &self,
        parts: &Parts,
        name: &str,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        let opened = self.inner.files.open(name).await?;
        self.deliver(parts, opened, options).await
    }

    /// The delivery's answer for what the storage opened.
    pub(crate) async fn deliver(
        &self,
        parts: &Parts,
        opened: Opened,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        self.inner
            .sendfile
            .serve(&parts.method, &parts.headers, opened, options)
            .await
    }
}

fn log_warnings(report: &CheckReport) {
    for warning in report.warnings() {
        tracing::warn!(id = warning.id, key = warning.key, "{warning}");
    }
}

//! [`ModelAdmin`]: the per-model registration, django-privates' `PrivateMediaMixin`.
//!
//! One value says, for a model, which fields are private, which of them may not be downloaded,
//! which permission guards the downloads, how each field is sent, and which view or widget
//! replaces the generic one. From it come the download routes, the widgets and the upload
//! handling of the model's admin pages.

use std::{borrow::Cow, fmt, sync::Arc, time::Duration};

use askama::filters::HtmlSafe;
use axum::{
    extract::{FromRequest, Multipart, Request},
    response::Response,
    routing::MethodRouter,
};
use futures_util::{StreamExt as _, future::join_all, stream};
use http::request::Parts;
use loco_rs::{app::AppContext, controller::Routes};
use privates::{
    Decision, Field, FieldKind, FindByPk, PrivateMedia, PrivateMediaView, Privates, ViewOptions,
    storage::Storage,
};

use crate::{
    facts::{Facts, FileFacts},
    markup::Markup,
    settings::AdminState,
    thumbnail::{self, ThumbnailLimits, ThumbnailView},
    upload::{self, DecodeBudget, Submission, UploadError, UploadOptions},
    url::{UrlPrefix, download_path, route_path},
    widget::{FileWidget, WidgetMode},
};

/// How many objects of a change list [`ModelAdmin::facts_of_each`] reads at a time.
pub const LIST_FACTS_CONCURRENCY: usize = 8;

/// A custom widget: receives the standard widget, configured for the field and object, and
/// returns the HTML to show instead.
pub type WidgetHook = Arc<dyn Fn(FileWidget<'_>) -> Markup + Send + Sync>;

/// The admin registration of model `M` (django-privates' `PrivateMediaMixin`).
///
/// ```
/// # use privates::{Field, FieldSpec, FindByPk, PrivateMedia, ViewOptions};
/// # #[derive(Debug)] struct Doc { id: i32, pdf: Option<String>, scan: String }
/// # static PDF: FieldSpec = FieldSpec { optional: true, ..FieldSpec::file("pdf") };
/// # static SCAN: FieldSpec = FieldSpec::file("scan");
/// # static FIELDS: [Field<Doc>; 2] = [
/// #     Field { spec: &PDF, get: |d| d.pdf.as_deref() },
/// #     Field { spec: &SCAN, get: |d| Some(d.scan.as_str()) },
/// # ];
/// # impl Doc {
/// #     const PDF: Field<Self> = FIELDS[0];
/// #     const SCAN: Field<Self> = FIELDS[1];
/// # }
/// # impl PrivateMedia for Doc {
/// #     type Pk = i32;
/// #     const APP: &'static str = "docs";
/// #     const MODEL: &'static str = "iddocument";
/// #     const PERMISSION: &'static str = "docs.can_change_iddocument";
/// #     fn fields() -> &'static [Field<Self>] { &FIELDS }
/// #     fn pk(&self) -> i32 { self.id }
/// # }
/// # #[async_trait::async_trait]
/// # impl FindByPk for Doc {
/// #     async fn find_by_pk(_: &loco_rs::app::AppContext, _: &i32) -> loco_rs::Result<Option<Self>> { Ok(None) }
/// # }
/// use privates_admin::ModelAdmin;
///
/// let admin = ModelAdmin::<Doc>::new()
///     .prefix("/backoffice")
///     .no_download(Doc::SCAN)
///     .permission_required("docs.view_scans")
///     .view_options(Doc::PDF, ViewOptions { attachment: true, ..ViewOptions::INLINE });
///
/// let doc = Doc { id: 3, pdf: Some("a.pdf".into()), scan: "s.png".into() };
/// assert_eq!(admin.download_url(&doc, Doc::PDF).as_deref(), Some("/backoffice/docs/iddocument/3/pdf/"));
/// assert_eq!(admin.download_url(&doc, Doc::SCAN), None);
/// let routes = admin.routes();
/// let uris: Vec<_> = routes.handlers.iter().map(|h| h.uri.as_str()).collect();
/// assert_eq!(uris, [
///     "/backoffice/docs/iddocument/{pk}/pdf/",
///     "/admin/docs/iddocument/{pk}/pdf/shared/",
///     // Any other path below an object: 404, or a 500 naming a missing initializer.
///     "/backoffice/docs/iddocument/{pk}/{*rest}",
/// ]);
/// ```
pub struct ModelAdmin<M: PrivateMedia> {
    prefix: UrlPrefix,
    fields: Vec<Field<M>>,
    no_download: Vec<&'static str>,
    permission: Option<Cow<'static, str>>,
    view_options: Vec<(&'static str, ViewOptions)>,
    views: Vec<(&'static str, MethodRouter<AppContext>)>,
    widgets: Vec<(&'static str, WidgetHook)>,
    upload: UploadOptions,
    /// The lifetime of direct uploads' URLs and tickets; `None`: off.
    direct: Option<Duration>,
}

impl<M: PrivateMedia> Clone for ModelAdmin<M> {
    fn clone(&self) -> Self {
        Self {
            prefix: self.prefix.clone(),
            fields: self.fields.clone(),
            no_download: self.no_download.clone(),
            permission: self.permission.clone(),
            view_options: self.view_options.clone(),
            views: self.views.clone(),
            widgets: self.widgets.clone(),
            upload: self.upload.clone(),
            direct: self.direct,
        }
    }
}

impl<M: PrivateMedia> fmt::Debug for ModelAdmin<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |fields: &[&'static str]| fields.to_vec();
        f.debug_struct("ModelAdmin")
            .field("model", &format_args!("{}.{}", M::APP, M::MODEL))
            .field("prefix", &self.prefix.as_str())
            .field(
                "fields",
                &self.fields.iter().map(Field::name).collect::<Vec<_>>(),
            )
            .field("no_download", &names(&self.no_download))
            .field("permission", &self.permission)
            .field("view_options", &self.view_options)
            .field(
                "custom_views",
                &self.views.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field(
                "custom_widgets",
                &self.widgets.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("upload", &self.upload)
            .field("direct_uploads", &self.direct)
            .finish()
    }
}

impl<M: PrivateMedia> Default for ModelAdmin<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: PrivateMedia> ModelAdmin<M> {
    /// Every field the derive found is private, each with its own options; downloads live
    /// under the model's [`URL_PREFIX`](PrivateMedia::URL_PREFIX).
    #[must_use]
    pub fn new() -> Self {
        Self {
            prefix: UrlPrefix::new(M::URL_PREFIX),
            fields: M::fields().to_vec(),
            no_download: Vec::new(),
            permission: None,
            view_options: Vec::new(),
            views: Vec::new(),
            widgets: Vec::new(),
            upload: UploadOptions::default(),
            direct: None,
        }
    }

    /// Serves the downloads under `prefix` (`/admin` gives `/admin/{app}/{model}/{pk}/{field}/`).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = UrlPrefix::new(prefix);
        self
    }

    /// Only these fields are private (django-privates' `private_media_fields`); the others get
    /// no route, no widget and no upload handling from this admin.
    #[must_use]
    pub fn private_fields(mut self, fields: impl IntoIterator<Item = Field<M>>) -> Self {
        self.fields = fields.into_iter().collect();
        self
    }

    /// No download route and no link for `field` (django-privates'
    /// `private_media_no_download_fields`), in addition to the fields marked `no_download`.
    #[must_use]
    pub fn no_download(mut self, field: Field<M>) -> Self {
        self.no_download.push(field.name());
        self
    }

    /// Every download of this admin requires `permission` (django-privates'
    /// `private_media_permission_required`) instead of each field's own.
    #[must_use]
    pub fn permission_required(mut self, permission: impl Into<Cow<'static, str>>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    /// Sends `field` with these options (django-privates' `private_media_view_options`).
    #[must_use]
    pub fn view_options(mut self, field: Field<M>, options: ViewOptions) -> Self {
        self.view_options.retain(|(name, _)| *name != field.name());
        self.view_options.push((field.name(), options));
        self
    }

    /// Serves `field`'s downloads with `view` instead of the generic permission-checked view
    /// (django-privates' `get_private_media_view`). The route path stays the same (with its
    /// `{pk}` parameter); the custom view does its own checks.
    #[must_use]
    pub fn view(mut self, field: Field<M>, view: MethodRouter<AppContext>) -> Self {
        self.views.retain(|(name, _)| *name != field.name());
        self.views.push((field.name(), view));
        self
    }

    /// Shows `field` with a custom widget: `hook` receives the standard widget (configured
    /// for the field, the object and this admin's routes) and returns the HTML to show.
    #[must_use]
    pub fn widget_hook(
        mut self,
        field: Field<M>,
        hook: impl Fn(FileWidget<'_>) -> Markup + Send + Sync + 'static,
    ) -> Self {
        self.widgets.retain(|(name, _)| *name != field.name());
        self.widgets.push((field.name(), Arc::new(hook)));
        self
    }

    /// Receives change forms with these options.
    #[must_use]
    pub fn upload_options(mut self, options: UploadOptions) -> Self {
        self.upload = options;
        self
    }

    /// Shares `budget` (the app's, [`AdminState::decode`]) among the image decodes of this
    /// admin's [`facts`](Self::facts), which make the thumbnails of image fields; without it
    /// each decode is still held to [`ImageRules`](crate::upload::ImageRules)' limits.
    /// [`receive`](Self::receive) and the thumbnail routes use the app's budget by themselves.
    #[must_use]
    pub fn decode_budget(mut self, budget: DecodeBudget) -> Self {
        self.upload.decode_budget = Some(budget);
        self
    }

    /// Keeps the previous file of a replaced or cleared field (see
    /// [`UploadOptions::keep_replaced`]).
    #[must_use]
    pub fn keep_replaced_files(mut self, keep: bool) -> Self {
        self.upload.keep_replaced = keep;
        self
    }

    /// Switches on [direct uploads](crate::direct) to the bucket: the edit widgets carry the
    /// issuing route ([`direct_upload_url`](Self::direct_upload_url)), which
    /// [`routes`](Self::routes) serves; each presigned URL and ticket lives for `ttl`
    /// ([`DEFAULT_TTL`](crate::direct::DEFAULT_TTL) is a good choice). With the local storage
    /// the route answers 409 and the form carries the file itself.
    #[must_use]
    pub fn direct_uploads(mut self, ttl: Duration) -> Self {
        self.direct = Some(ttl);
        self
    }

    /// The lifetime of direct uploads, `None` when they are off.
    #[must_use]
    pub fn direct_upload_ttl(&self) -> Option<Duration> {
        self.direct
    }

    /// The issuing route of [direct uploads](crate::direct)
    /// (`{prefix}/{app}/{model}/direct-upload/`), `None` when they are off.
    #[must_use]
    pub fn direct_upload_url(&self) -> Option<String> {
        self.direct.map(|_| {
            let prefix = self.prefix.as_str().trim_end_matches('/');
            format!(
                "{prefix}/{}/{}/{}",
                M::APP,
                M::MODEL,
                crate::direct::ROUTE_SEGMENT
            )
        })
    }

    /// The private fields.
    #[must_use]
    pub fn fields(&self) -> &[Field<M>] {
        &self.fields
    }

    /// The URL prefix of the download routes.
    #[must_use]
    pub fn url_prefix(&self) -> &UrlPrefix {
        &self.prefix
    }

    /// The upload options.
    #[must_use]
    pub fn upload(&self) -> &UploadOptions {
        &self.upload
    }

    /// Whether `field` is private in this admin.
    #[must_use]
    pub fn is_private(&self, field: Field<M>) -> bool {
        self.fields.iter().any(|f| f.name() == field.name())
    }

    /// Whether `field` is private and may be downloaded.
    #[must_use]
    pub fn is_downloadable(&self, field: Field<M>) -> bool {
        self.is_private(field)
            && !field.spec.no_download
            && !self.no_download.contains(&field.name())
    }

    /// Whether `field` can be shared with a signed link from this admin: it is downloadable
    /// here and served by the generic view. A field with a custom [`view`](Self::view) has no
    /// share route: the custom view decides what its download is, and a share link would
    /// bypass it.
    #[must_use]
    pub fn is_shareable(&self, field: Field<M>) -> bool {
        self.is_downloadable(field) && !self.views.iter().any(|(name, _)| *name == field.name())
    }

    /// Whether `field` has a [thumbnail] route here: an image field
    /// [shareable](Self::is_shareable) here (downloadable, served by the generic view: a
    /// custom view decides what its download is, and a thumbnail would bypass it).
    #[must_use]
    pub fn has_thumbnail(&self, field: Field<M>) -> bool {
        field.spec.kind == FieldKind::Image && self.is_shareable(field)
    }

    /// What the thumbnail of `field` is made under: the upload validation's image rules, the
    /// field's `max_size`, `budget`.
    fn thumbnail_limits(&self, field: Field<M>, budget: Option<DecodeBudget>) -> ThumbnailLimits {
        ThumbnailLimits {
            image: self.upload.image,
            max_bytes: upload::max_size(field.spec, &self.upload),
            budget,
        }
    }

    /// The permission guarding `field`'s downloads.
    #[must_use]
    pub fn permission_for(&self, field: Field<M>) -> Cow<'static, str> {
        self.permission
            .clone()
            .unwrap_or_else(|| Cow::Borrowed(M::permission_for(&field)))
    }

    /// How `field` is sent.
    #[must_use]
    pub fn view_options_for(&self, field: Field<M>) -> ViewOptions {
        self.view_options
            .iter()
            .find(|(name, _)| *name == field.name())
            .map_or(field.spec.view, |(_, options)| *options)
    }

    /// The permission this model's admin pages (list, add, change) require: the
    /// [`permission_required`](Self::permission_required) override, or the model's
    /// [`PERMISSION`](PrivateMedia::PERMISSION).
    #[must_use]
    pub fn page_permission(&self) -> &str {
        self.permission.as_deref().unwrap_or(M::PERMISSION)
    }

    /// Guards one of this model's admin pages: authenticates the request and checks
    /// [`page_permission`](Self::page_permission) through the app's authorizer. `Ok(None)`
    /// when allowed; otherwise the refusal the download view gives (401, a redirect to the
    /// login page with `?next=` for a browser, or 403).
    ///
    /// # Errors
    /// When privates is not initialised, or the app's user or permission store fails.
    pub async fn require(
        &self,
        ctx: &AppContext,
        parts: &Parts,
    ) -> loco_rs::Result<Option<Response>> {
        let privates = Privates::from_ctx(ctx)?;
        privates.require(parts, ctx, self.page_permission()).await
    }

    /// Whether the user of `parts` may share `field` of `object` with a signed link: share
    /// links are enabled (`share.key`), the field [is shareable](Self::is_shareable) and holds
    /// a file, and the user may download it (authenticated, holding
    /// [`permission_for`](Self::permission_for) the field, and passing the authorizer's
    /// object-level check; see [`Privates::decide_download`]). Ask it before showing a share
    /// button and again before minting with [`share_url`](Self::share_url).
    ///
    /// # Errors
    /// When privates is not initialised, or the app's user or permission store fails.
    pub async fn may_share(
        &self,
        ctx: &AppContext,
        parts: &Parts,
        object: &M,
        field: Field<M>,
    ) -> loco_rs::Result<bool> {
        let privates = Privates::from_ctx(ctx)?;
        if privates.config().share.is_none()
            || !self.is_shareable(field)
            || field.stored_name(object).is_none()
        {
            return Ok(false);
        }
        let decision = privates
            .decide_download(parts, ctx, &self.permission_for(field), object, &field)
            .await?;
        Ok(decision == Decision::Allowed)
    }

    /// A share link to `field` of `object`, valid for `ttl` (see [`Privates::share_url`]),
    /// served by the share routes of [`routes`](Self::routes); `Ok(None)` when the field [is not
    /// shareable](Self::is_shareable) here. No permission is checked: call
    /// [`may_share`](Self::may_share) first.
    ///
    /// # Errors
    /// Those of [`Privates::share_url`]: share links disabled, an empty field, a lifetime
    /// over `share.max_ttl`.
    pub async fn share_url(
        &self,
        privates: &Privates,
        object: &M,
        field: Field<M>,
        ttl: Duration,
    ) -> Result<Option<String>, privates::Error> {
        if !self.is_shareable(field) {
            return Ok(None);
        }
        privates.share_url(object, &field, ttl).await.map(Some)
    }

    /// The route path of `field`'s downloads, with the `{pk}` parameter.
    #[must_use]
    pub fn route_path(&self, field: Field<M>) -> String {
        route_path(&self.prefix, M::APP, M::MODEL, field.name())
    }

    /// The download URL of `field` on `object`, `None` when it has no download route here.
    #[must_use]
    pub fn download_url(&self, object: &M, field: Field<M>) -> Option<String> {
        self.is_downloadable(field).then(|| {
            download_path(
                &self.prefix,
                M::APP,
                M::MODEL,
                &object.pk().to_string(),
                field.name(),
            )
        })
    }

    /// The edit widget of `field` on `object` (`None` on an add form), or its custom widget.
    #[must_use]
    pub fn widget<'a>(&self, field: Field<M>, object: Option<&'a M>) -> AdminWidget<'a> {
        self.render_widget(field, object, WidgetMode::Edit, "")
    }

    /// The read-only widget of `field` on `object` (Django's `readonly_fields`): still a link
    /// to the protected URL.
    #[must_use]
    pub fn readonly_widget<'a>(&self, field: Field<M>, object: &'a M) -> AdminWidget<'a> {
        self.render_widget(field, Some(object), WidgetMode::ReadOnly, "")
    }

    /// The edit widget of `field` on `object` (`None` on an add form) showing the file's size
    /// and type from `facts` (see [`facts`](Self::facts)); a custom widget's hook receives
    /// the standard widget with them ([`FileWidget::file_facts`]).
    #[must_use]
    pub fn widget_with_facts<'a>(
        &self,
        field: Field<M>,
        object: Option<&'a M>,
        facts: &Facts,
    ) -> AdminWidget<'a> {
        self.render_widget_with(field, object, WidgetMode::Edit, "", Some(facts))
    }

    /// The read-only widget of `field` on `object` showing the file's size and type from
    /// `facts`: what a change list shows in a file's column.
    #[must_use]
    pub fn readonly_widget_with_facts<'a>(
        &self,
        field: Field<M>,
        object: &'a M,
        facts: &Facts,
    ) -> AdminWidget<'a> {
        self.render_widget_with(field, Some(object), WidgetMode::ReadOnly, "", Some(facts))
    }

    /// The facts (size and type, see [`crate::facts`]) of the file of every private field of
    /// `object` that holds one, read from `storage` (usually
    /// [`Privates::files`]) concurrently. Never fails: a file missing from the storage is
    /// [`FileSize::Missing`](crate::FileSize::Missing), a storage error
    /// [`FileSize::Unknown`](crate::FileSize::Unknown) (logged). The type is the one the
    /// download is sent with ([`view_options_for`](Self::view_options_for)).
    ///
    /// For an image field with a [thumbnail] route, its thumbnail is made
    /// too unless stored already ([`thumbnail::ensure`], under the
    /// [`decode_budget`](Self::decode_budget)); one that cannot be made is noted in the facts,
    /// and the widget then shows the file's link alone.
    pub async fn facts(&self, storage: &Storage, object: &M) -> Facts {
        let reads = self.fields.iter().filter_map(|&field| {
            let name = field.stored_name(object)?;
            let options = self.view_options_for(field);
            Some(async move {
                let facts = FileFacts::read(storage, name, &options).await;
                let thumbnail = if self.has_thumbnail(field) {
                    let limits = self.thumbnail_limits(field, self.upload.decode_budget.clone());
                    match thumbnail::ensure(storage, name, &limits).await {
                        Ok(_) => Some(true),
                        Err(err) => {
                            thumbnail::log_failure(M::APP, M::MODEL, field.name(), &err);
                            Some(false)
                        }
                    }
                } else {
                    None
                };
                (field.name(), facts, thumbnail)
            })
        });
        let read = join_all(reads).await;
        let thumbnails = read
            .iter()
            .filter_map(|(name, _, made)| made.map(|made| (*name, made)))
            .collect();
        let facts = read
            .into_iter()
            .map(|(name, facts, _)| (name, facts))
            .collect();
        Facts::new(facts).with_thumbnails(thumbnails)
    }

    /// The [`facts`](Self::facts) of each of `objects`, in order, for a change list: at most
    /// [`LIST_FACTS_CONCURRENCY`] objects are read at a time.
    pub async fn facts_of_each<'a>(
        &self,
        storage: &Storage,
        objects: impl IntoIterator<Item = &'a M>,
    ) -> Vec<Facts>
    where
        M: 'a,
    {
        // The futures are made first: a `map` closure kept inside the stream would make the
        // handler's future not `Send` for every lifetime (a known limit of async closures).
        let reads: Vec<_> = objects
            .into_iter()
            .map(|object| self.facts(storage, object))
            .collect();
        stream::iter(reads)
            .buffered(LIST_FACTS_CONCURRENCY)
            .collect()
            .await
    }

    /// The widget of a child object's field shown inside a parent's page (an inline): the
    /// link goes to the child's own download route; the inputs are named `{prefix}{field}`.
    #[must_use]
    pub fn inline_widget<'a>(
        &self,
        field: Field<M>,
        object: Option<&'a M>,
        prefix: &str,
    ) -> AdminWidget<'a> {
        self.render_widget(field, object, WidgetMode::Edit, prefix)
    }

    fn render_widget<'a>(
        &self,
        field: Field<M>,
        object: Option<&'a M>,
        mode: WidgetMode,
        input_prefix: &str,
    ) -> AdminWidget<'a> {
        self.render_widget_with(field, object, mode, input_prefix, None)
    }

    fn render_widget_with<'a>(
        &self,
        field: Field<M>,
        object: Option<&'a M>,
        mode: WidgetMode,
        input_prefix: &str,
        facts: Option<&Facts>,
    ) -> AdminWidget<'a> {
        let mut widget = FileWidget::build(field, object, &self.prefix)
            .downloadable(self.is_downloadable(field))
            .thumbnail(self.has_thumbnail(field))
            .direct_upload(self.direct_upload_url())
            .mode(mode);
        if !input_prefix.is_empty() {
            widget = widget.prefix(input_prefix);
        }
        if let Some(current) = facts.and_then(|facts| facts.get(field.name())) {
            widget = widget.facts(current.clone());
        }
        if facts.and_then(|facts| facts.thumbnail(field.name())) == Some(false) {
            widget = widget.thumbnail(false);
        }
        match self.widgets.iter().find(|(name, _)| *name == field.name()) {
            Some((_, hook)) => AdminWidget::Custom(hook(widget)),
            None => AdminWidget::Standard(widget),
        }
    }

    /// Receives a change form of this model (see [`upload::receive`]) into the private
    /// storage installed in `ctx` ([`Privates::files`]: local disk or S3). `current` is the
    /// object being changed, `None` on an add form. Finish it with
    /// [`Submission::commit`] or [`Submission::rollback`] on the same `files()`.
    ///
    /// Before a byte of the body is read, the request must pass the CSRF origin check
    /// ([`Csrf::begin`](crate::csrf::Csrf::begin)) and declare no `Content-Length` above
    /// [`body_limit`](Self::body_limit); then its token (the `csrf_token` field before any
    /// file, or the `X-CSRFToken` header) is verified before anything is stored
    /// ([`upload::receive_checked`]). The app's settings ([`AdminState`]) give the idle
    /// timeout and the shared image-decoding memory.
    ///
    /// # Errors
    /// As [`upload::receive_checked`]; [`UploadError::DeclaredTooLarge`] (413),
    /// [`UploadError::NotMultipart`], [`UploadError::Privates`] or
    /// [`UploadError::Settings`] when privates or privates-admin is not initialised.
    pub async fn receive(
        &self,
        ctx: &AppContext,
        request: Request,
        current: Option<&M>,
    ) -> Result<Submission, UploadError> {
        let privates = Privates::from_ctx(ctx)?;
        let state = AdminState::from_ctx(ctx)?;
        let (parts, body) = request.into_parts();
        let check = state.csrf.begin(&parts)?;
        let limit = u64::try_from(self.body_limit()).unwrap_or(u64::MAX);
        if let Some(declared) = upload::declared_length(&parts.headers).filter(|&d| d > limit) {
            return Err(UploadError::DeclaredTooLarge { declared, limit });
        }
        let multipart = Multipart::from_request(Request::from_parts(parts, body), &()).await?;
        let mut options = self.upload.clone();
        if let Some(idle) = state.idle_timeout {
            options.idle_timeout = idle;
        }
        options.decode_budget = Some(state.decode);
        upload::receive_checked(
            privates.files(),
            multipart,
            &self.fields,
            current,
            &options,
            check,
        )
        .await
    }

    /// The body limit of this model's change-form routes: every private field's `max_size`
    /// plus room for the text fields (see [`upload::body_limit`]).
    #[must_use]
    pub fn body_limit(&self) -> usize {
        upload::body_limit(&self.fields, &self.upload)
    }

    /// Puts [`body_limit`](Self::body_limit) on a change-form route (loco's default payload
    /// limit is 2 MB): `admin.upload_route(post(change))`.
    pub fn upload_route(&self, route: MethodRouter<AppContext>) -> MethodRouter<AppContext> {
        route.layer(upload::body_limit_layer(&self.fields, &self.upload))
    }
}

impl<M: PrivateMedia + FindByPk> ModelAdmin<M> {
    /// The download view of `field` as configured here, `None` for a field without a download
    /// route (not private, or no download).
    #[must_use]
    pub fn download_view(&self, field: Field<M>) -> Option<PrivateMediaView<M>> {
        self.is_downloadable(field).then(|| {
            PrivateMediaView::new(field)
                .permission(self.permission_for(field))
                .options(self.view_options_for(field))
        })
    }

    /// The routes of every downloadable private field: its download route
    /// `{prefix}/{app}/{model}/{pk}/{field}/` (the generic view — authenticate, permission,
    /// object, object permission, field, sendfile — unless a custom [`view`](Self::view) is
    /// set) and, for a [shareable](Self::is_shareable) field, its share route
    /// `{URL_PREFIX}/{app}/{model}/{pk}/{field}/shared/`, where the links of
    /// [`share_url`](Self::share_url) lead (no login, the signed link decides; under the
    /// model's [`URL_PREFIX`](PrivateMedia::URL_PREFIX), whatever this admin's
    /// [`prefix`](Self::prefix), because that is where links are minted). Built by
    /// [`privates::routing::routes`]; register them instead of the model's
    /// [`model_routes`](privates::routing::model_routes), not beside them.
    ///
    /// Each image field with a thumbnail ([`has_thumbnail`](Self::has_thumbnail)) also gets
    /// its [thumbnail] route `{prefix}/{app}/{model}/{pk}/{field}/thumbnail/`,
    /// behind the same checks as its download, in the same order. With
    /// [direct uploads](Self::direct_uploads) on, the model gets their issuing route
    /// [`direct_upload_url`](Self::direct_upload_url) (`POST`, JSON).
    #[must_use]
    pub fn routes(&self) -> Routes {
        let mut routes = self.download_routes();
        if let Some(url) = self.direct_upload_url() {
            routes = routes.add(&url, crate::direct::route(self.clone()));
        }
        for &field in &self.fields {
            if self.has_thumbnail(field) {
                let limits = self.thumbnail_limits(field, None);
                let view = ThumbnailView {
                    field,
                    permission: self.permission_for(field),
                    image: limits.image,
                    max_bytes: limits.max_bytes,
                };
                routes = routes.add(
                    &format!("{}thumbnail/", self.route_path(field)),
                    axum::routing::get(view),
                );
            }
        }
        routes
    }

    /// The download and share routes (see [`routes`](Self::routes)).
    fn download_routes(&self) -> Routes {
        privates::routing::routes(self.fields.iter().filter_map(|field| {
            let view = self
                .download_view(*field)?
                .at(self.prefix.as_str().to_owned());
            Some(
                match self.views.iter().find(|(name, _)| *name == field.name()) {
                    Some((_, custom)) => view.custom(custom.clone()),
                    None => view,
                },
            )
        }))
    }
}

/// The widget a [`ModelAdmin`] shows for a field: the standard one or a custom hook's HTML.
/// Renders unescaped in askama templates, like [`FileWidget`].
#[derive(Clone, Debug)]
pub enum AdminWidget<'a> {
    /// The standard widget.
    Standard(FileWidget<'a>),
    /// A custom widget's HTML.
    Custom(Markup),
}

impl fmt::Display for AdminWidget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standard(widget) => widget.fmt(f),
            Self::Custom(markup) => markup.fmt(f),
        }
    }
}

/// Both variants write safe HTML.
impl HtmlSafe for AdminWidget<'_> {}

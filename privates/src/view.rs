//! The permission-checked download view (django-privates' `PrivateMediaView`).
//!
//! The order of the checks is part of the contract:
//! 1. authenticate — anonymous: 401, or for a browser (`Accept: text/html`) a redirect to the
//!    login URL with `?next=`;
//! 2. the permission — 403;
//! 3. the object, by a primary key parsed from the path — malformed or unknown: 404 (only now,
//!    so nobody without the permission learns which objects exist);
//! 4. the object-level permission — 403;
//! 5. the field — empty: 404;
//! 6. sendfile — a refused name or a missing file: 404.
//!
//! Each view also has a share route, `{URL_PREFIX}/{app}/{model}/{pk}/{field}/shared/`, that
//! serves the same file to anyone holding a valid signed link (see [`share`](crate::share)):
//! no login; a malformed or tampered link, an unknown object or a replaced file: 403; an
//! expired link: 410; share links disabled (no `share.key`): 404.

use std::{
    borrow::Cow,
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    extract::{FromRequestParts, Path, Request},
    response::{IntoResponse, Response},
    routing::{MethodRouter, get_service},
};
use futures_util::future::BoxFuture;
use http::{StatusCode, request::Parts};
use loco_rs::app::AppContext;
use tower::Service;

use crate::{
    audit::{AuditEvent, Check, Who},
    model::{Field, FindByPk, PrivateMedia, ViewOptions},
    refusal::{self, Decision},
    sendfile::{SendfileError, SendfileOptions},
    share::Verdict,
    state::Privates,
    urls,
};

/// The download view of one field of `M`, and its share route. Register views with
/// [`routing::routes`](crate::routing::routes) (or all of a model's with
/// [`routing::model_routes`](crate::routing::model_routes)).
///
/// ```ignore
/// // IdDocument.pdf under another permission, as a download, under /backoffice:
/// let view = PrivateMediaView::new(IdDocument::PDF)
///     .permission("docs.view_scans")
///     .options(ViewOptions { attachment: true, ..ViewOptions::INLINE })
///     .at("/backoffice");
/// let routes = privates::routing::routes([view]);
/// ```
pub struct PrivateMediaView<M: PrivateMedia> {
    field: Field<M>,
    permission: Cow<'static, str>,
    options: ViewOptions,
    prefix: Cow<'static, str>,
    custom: Option<MethodRouter<AppContext>>,
}

impl<M: PrivateMedia> Clone for PrivateMediaView<M> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            permission: self.permission.clone(),
            options: self.options,
            prefix: self.prefix.clone(),
            custom: self.custom.clone(),
        }
    }
}

impl<M: PrivateMedia> std::fmt::Debug for PrivateMediaView<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateMediaView")
            .field("field", &self.field.name())
            .field("permission", &self.permission)
            .field("options", &self.options)
            .field("prefix", &self.prefix)
            .field("custom", &self.custom.is_some())
            .finish()
    }
}

impl<M: PrivateMedia + FindByPk> PrivateMediaView<M> {
    /// The view of `field`, guarded by the field's permission (or the model's), answering with
    /// the field's view options, under the model's [`URL_PREFIX`](PrivateMedia::URL_PREFIX).
    #[must_use]
    pub fn new(field: Field<M>) -> Self {
        Self {
            field,
            permission: Cow::Borrowed(M::permission_for(&field)),
            options: field.spec.view,
            prefix: Cow::Borrowed(M::URL_PREFIX),
            custom: None,
        }
    }

    /// The field.
    #[must_use]
    pub fn field(&self) -> Field<M> {
        self.field
    }

    /// Requires another permission (Django's `permission_required`).
    #[must_use]
    pub fn permission(mut self, permission: impl Into<Cow<'static, str>>) -> Self {
        self.permission = permission.into();
        self
    }

    /// Answers with other view options (attachment, file name, content type).
    #[must_use]
    pub fn options(mut self, options: ViewOptions) -> Self {
        self.options = options;
        self
    }

    /// Puts the download route under another prefix (`/admin`, `/backoffice/files`). Share
    /// links stay under the model's [`URL_PREFIX`](PrivateMedia::URL_PREFIX), where
    /// [`Privates::share_url`] mints them.
    #[must_use]
    pub fn at(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Answers downloads with the app's own handler instead (Django's custom
    /// `PrivateMediaView` subclass). Such a view has no share route: the custom handler
    /// decides what its download is, and a share link would bypass it.
    #[must_use]
    pub fn custom(mut self, router: MethodRouter<AppContext>) -> Self {
        self.custom = Some(router);
        self
    }

    /// The route path ([`urls::download_route`] under this view's prefix).
    #[must_use]
    pub fn path(&self) -> String {
        urls::download_route(&self.prefix, &self.field)
    }

    /// The share route path ([`urls::share_route`]).
    #[must_use]
    pub fn share_path(&self) -> String {
        urls::share_route(&self.field)
    }

    /// The download handler and, unless the view is [custom](Self::custom), the share
    /// handler (GET and HEAD; axum answers HEAD through the GET route, without a body), for
    /// [`routing::routes`](crate::routing::routes).
    pub(crate) fn method_routers(
        self,
    ) -> (MethodRouter<AppContext>, Option<MethodRouter<AppContext>>) {
        match self.custom {
            Some(custom) => (custom, None),
            None => {
                let view = Arc::new(self);
                let service = |route| {
                    get_service(ViewService {
                        view: Arc::clone(&view),
                        route,
                    })
                };
                (service(Route::Download), Some(service(Route::Shared)))
            }
        }
    }

    /// Answers one request for the object whose key is `pk` (as it appeared in the path):
    /// authenticate, the permission, the object, the object-level check, the field, sendfile.
    pub async fn respond(&self, ctx: &AppContext, parts: &Parts, pk: &str) -> Response {
        let privates = match Privates::from_ctx(ctx) {
            Ok(privates) => privates,
            Err(err) => return internal(parts, err),
        };
        let header = privates.config().audit.client_ip_header.as_ref();
        let mut event = AuditEvent::new(parts, header, [M::APP, M::MODEL, self.field.name()], pk);
        let answer = self.download(ctx, &privates, parts, &mut event).await;
        privates.audit(parts, &mut event, answer).await
    }

    async fn download(
        &self,
        ctx: &AppContext,
        privates: &Privates,
        parts: &Parts,
        event: &mut AuditEvent<'_>,
    ) -> Result<Response, (Check, Response)> {
        let refuse = |check, status| (check, refusal::refuse(parts, status));
        let fail = |check| move |err: loco_rs::Error| (check, internal(parts, err));
        let (user, decision) = privates
            .authorize(parts, ctx, &self.permission)
            .await
            .map_err(fail(Check::Authentication))?;
        if let Some(user) = &user {
            event.who = Who::User(privates.user_id(user));
        }
        let refused = |decision: Decision| {
            let answer = decision.refusal(parts, privates.login_url());
            answer.unwrap_or_else(|| refusal::refuse(parts, StatusCode::FORBIDDEN))
        };
        let user = match (user, decision) {
            (Some(user), Decision::Allowed) => user,
            (None, decision) => return Err((Check::Authentication, refused(decision))),
            (Some(_), decision) => return Err((Check::Permission, refused(decision))),
        };
        let Some(pk) = event.parse_pk::<M::Pk>() else {
            return Err(refuse(Check::Object, StatusCode::NOT_FOUND));
        };
        let Some(object) = M::find_by_pk(ctx, &pk).await.map_err(fail(Check::Object))? else {
            return Err(refuse(Check::Object, StatusCode::NOT_FOUND));
        };
        if !privates
            .may_access(&user, &self.permission, &object, &self.field, ctx)
            .await
            .map_err(fail(Check::ObjectPermission))?
        {
            return Err(refuse(Check::ObjectPermission, StatusCode::FORBIDDEN));
        }
        let Some(name) = self.field.stored_name(&object) else {
            return Err(refuse(Check::Field, StatusCode::NOT_FOUND));
        };
        event.name = Some(name.to_owned());
        let delivered = privates
            .sendfile(parts, name, &self.sendfile_options())
            .await;
        self.answer(parts, delivered, "download")
    }

    /// Answers one request on the share route: the signed link decides, nobody logs in. A
    /// malformed or tampered link, an unknown object or a replaced file: 403; an expired link:
    /// 410; share links disabled: 404.
    pub async fn respond_shared(&self, ctx: &AppContext, parts: &Parts, pk: &str) -> Response {
        let privates = match Privates::from_ctx(ctx) {
            Ok(privates) => privates,
            Err(err) => return internal(parts, err),
        };
        let header = privates.config().audit.client_ip_header.as_ref();
        let mut event = AuditEvent::new(parts, header, [M::APP, M::MODEL, self.field.name()], pk);
        event.who = Who::Link(crate::share::claimed_expiry(parts.uri.query()));
        let answer = self.shared(ctx, &privates, parts, &mut event).await;
        let mut response = privates.audit(parts, &mut event, answer).await;
        // The signed URL must not travel on in a Referer from an inline document.
        response.headers_mut().insert(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
        response
    }

    async fn shared(
        &self,
        ctx: &AppContext,
        privates: &Privates,
        parts: &Parts,
        event: &mut AuditEvent<'_>,
    ) -> Result<Response, (Check, Response)> {
        let refuse = |check, status| (check, refusal::refuse(parts, status));
        let Some(key) = privates.share_key() else {
            return Err(refuse(Check::Sharing, StatusCode::NOT_FOUND));
        };
        // Every way a link can fail to match answers alike (403): a forged link learns
        // nothing about which objects exist or hold files.
        let Some(pk) = event.parse_pk::<M::Pk>() else {
            return Err(refuse(Check::Link, StatusCode::FORBIDDEN));
        };
        let object = match M::find_by_pk(ctx, &pk).await {
            Ok(Some(object)) => object,
            Ok(None) => return Err(refuse(Check::Link, StatusCode::FORBIDDEN)),
            Err(err) => return Err((Check::Object, internal(parts, err))),
        };
        // The signature and the expiry first: a forged link costs no file open or S3 call.
        let linked = match key.check(
            &object,
            &self.field,
            parts.uri.query(),
            std::time::SystemTime::now(),
        ) {
            Ok(linked) => linked,
            Err(Verdict::Expired) => return Err(refuse(Check::Expired, StatusCode::GONE)),
            Err(_) => return Err(refuse(Check::Link, StatusCode::FORBIDDEN)),
        };
        let Some(name) = self.field.stored_name(&object) else {
            return Err(refuse(Check::Link, StatusCode::FORBIDDEN));
        };
        event.name = Some(name.to_owned());
        // Then the link must name this very file, not just its name.
        let opened = match privates.files().open(name).await {
            Ok(opened) if linked.is(&opened.version()) => opened,
            Ok(_) => return Err(refuse(Check::Link, StatusCode::FORBIDDEN)),
            Err(err) if err.is_not_found() => {
                return Err(refuse(Check::Link, StatusCode::FORBIDDEN));
            }
            Err(err) => return Err((Check::File, internal(parts, err))),
        };
        let delivered = privates
            .deliver(parts, opened, &self.sendfile_options())
            .await;
        self.answer(parts, delivered, "shared download")
    }

    fn sendfile_options(&self) -> SendfileOptions {
        SendfileOptions {
            attachment: self.options.attachment,
            attachment_filename: self.options.filename.map(str::to_string),
            mimetype: self.options.mimetype.map(str::to_string),
            encoding: None,
        }
    }

    /// The last step of both routes: the delivery's answer, or the refusal it became.
    #[allow(clippy::result_large_err)] // Moved once per request to the audit, never boxed.
    fn answer(
        &self,
        parts: &Parts,
        delivered: Result<Response, SendfileError>,
        what: &str,
    ) -> Result<Response, (Check, Response)> {
        match delivered {
            Ok(response) => Ok(response),
            Err(err) => {
                tracing::warn!(
                    app = M::APP,
                    model = M::MODEL,
                    field = self.field.name(),
                    "{what} refused: {err}"
                );
                Err((Check::File, refusal::refuse(parts, err.status())))
            }
        }
    }
}

fn internal(parts: &Parts, err: impl std::fmt::Display) -> Response {
    tracing::error!("download failed: {err}");
    refusal::refuse(parts, StatusCode::INTERNAL_SERVER_ERROR)
}

/// Which answer a [`ViewService`] gives.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// [`PrivateMediaView::respond`].
    Download,
    /// [`PrivateMediaView::respond_shared`].
    Shared,
}

/// The view as a tower service that finds the app context in the request (where
/// [`routing::after_routes`](crate::routing::after_routes) puts it, behind an `Arc`) instead
/// of taking it as axum state. axum clones a route's whole service stack on every request,
/// once per layer, and a handler's state is part of that stack: loco's `AppContext` (its whole
/// config, deep) would be copied and dropped once per middleware on every download. Cloning
/// this service copies two pointers.
struct ViewService<M: PrivateMedia> {
    view: Arc<PrivateMediaView<M>>,
    route: Route,
}

impl<M: PrivateMedia> Clone for ViewService<M> {
    fn clone(&self) -> Self {
        Self {
            view: Arc::clone(&self.view),
            route: self.route,
        }
    }
}

impl<M: PrivateMedia + FindByPk> Service<Request> for ViewService<M> {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let ViewService { view, route } = self.clone();
        Box::pin(async move {
            let (mut parts, _body) = request.into_parts();
            let Some(ctx) = RequestContext::of(&parts) else {
                return Ok(internal(&parts, crate::Error::NotInitialized));
            };
            let pk = match Path::<String>::from_request_parts(&mut parts, &()).await {
                Ok(Path(pk)) => pk,
                Err(rejection) => return Ok(rejection.into_response()),
            };
            Ok(match route {
                Route::Download => view.respond(&ctx, &parts, &pk).await,
                Route::Shared => view.respond_shared(&ctx, &parts, &pk).await,
            })
        })
    }
}

/// The app context as a request carries it to privates' views: put in every request's
/// extensions by [`routing::after_routes`](crate::routing::after_routes), shared, not copied.
#[derive(Clone)]
pub(crate) struct RequestContext(pub(crate) Arc<AppContext>);

impl RequestContext {
    /// The context `parts` carries, `None` when [`routing::after_routes`](crate::routing::after_routes)
    /// was not applied.
    pub(crate) fn of(parts: &Parts) -> Option<Arc<AppContext>> {
        parts
            .extensions
            .get::<Self>()
            .map(|context| Arc::clone(&context.0))
    }
}

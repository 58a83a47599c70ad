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

use std::{borrow::Cow, str::FromStr};

use axum::{
    extract::{FromRequestParts, Path, Request},
    handler::Handler,
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};
use futures_util::future::BoxFuture;
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use percent_encoding::utf8_percent_encode;

use crate::{
    model::{Field, FindByPk, PrivateMedia, ViewOptions},
    permissions::ObjectRef,
    refusal::{self, COMPONENT},
    sendfile::SendfileOptions,
    share::Verdict,
    state::Privates,
};

/// The download view of one field of `M`.
///
/// ```ignore
/// // Routes for IdDocument.pdf under the model's permission:
/// let routes = PrivateMediaView::new(IdDocument::PDF).routes();
/// // The same file under another permission, as a download:
/// let view = PrivateMediaView::new(IdDocument::PDF)
///     .permission("docs.view_scans")
///     .options(ViewOptions { attachment: true, ..ViewOptions::INLINE });
/// ```
pub struct PrivateMediaView<M: PrivateMedia> {
    field: Field<M>,
    permission: Cow<'static, str>,
    options: ViewOptions,
}

impl<M: PrivateMedia> Clone for PrivateMediaView<M> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            permission: self.permission.clone(),
            options: self.options,
        }
    }
}

impl<M: PrivateMedia> std::fmt::Debug for PrivateMediaView<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateMediaView")
            .field("field", &self.field.name())
            .field("permission", &self.permission)
            .field("options", &self.options)
            .finish()
    }
}

impl<M: PrivateMedia + FindByPk> PrivateMediaView<M> {
    /// The view of `field`, guarded by the field's permission (or the model's), answering with
    /// the field's view options.
    #[must_use]
    pub fn new(field: Field<M>) -> Self {
        Self {
            field,
            permission: Cow::Borrowed(M::permission_for(&field)),
            options: field.spec.view,
        }
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

    /// The route path, `{URL_PREFIX}/{app}/{model}/{pk}/{field}/`, with `{pk}` as the axum
    /// path parameter.
    #[must_use]
    pub fn path(&self) -> String {
        format!(
            "{}/{}/{}/{{pk}}/{}/",
            M::URL_PREFIX.trim_end_matches('/'),
            M::APP,
            M::MODEL,
            self.field.name()
        )
    }

    /// The axum handler for GET and HEAD (axum answers HEAD through the GET route, without a
    /// body).
    pub fn method_router(self) -> MethodRouter<AppContext> {
        get(Handle {
            view: self,
            route: Route::Download,
        })
    }

    /// A loco [`Routes`] with this view at [`PrivateMediaView::path`].
    #[must_use]
    pub fn routes(self) -> Routes {
        let path = self.path();
        Routes::new().add(&path, self.method_router())
    }

    /// The share route path, `{URL_PREFIX}/{app}/{model}/{pk}/{field}/shared/`.
    #[must_use]
    pub fn share_path(&self) -> String {
        format!("{}{}/", self.path(), crate::share::SHARED_SEGMENT)
    }

    /// The axum handler of the share route (GET and HEAD).
    pub fn share_method_router(self) -> MethodRouter<AppContext> {
        get(Handle {
            view: self,
            route: Route::Shared,
        })
    }

    /// A loco [`Routes`] with the share route at [`PrivateMediaView::share_path`].
    #[must_use]
    pub fn share_routes(self) -> Routes {
        let path = self.share_path();
        Routes::new().add(&path, self.share_method_router())
    }

    /// Answers one request on the share route: the signed link decides, nobody logs in.
    pub async fn respond_shared(&self, ctx: &AppContext, parts: &Parts, pk: &str) -> Response {
        let privates = match Privates::from_ctx(ctx) {
            Ok(privates) => privates,
            Err(err) => {
                tracing::error!("{err}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let Some(key) = privates.share_key() else {
            return not_found();
        };
        // Every way a link can fail to match answers alike (403): a forged link learns
        // nothing about which objects exist or hold files.
        let Ok(pk) = M::Pk::from_str(pk) else {
            return refusal::forbidden();
        };
        let object = match M::find_by_pk(ctx, &pk).await {
            Ok(Some(object)) => object,
            Ok(None) => return refusal::forbidden(),
            Err(err) => return internal(err),
        };
        match key.check(
            &object,
            &self.field,
            parts.uri.query(),
            std::time::SystemTime::now(),
        ) {
            Verdict::Valid => {}
            Verdict::Forbidden => return refusal::forbidden(),
            Verdict::Expired => return (StatusCode::GONE, "this link has expired").into_response(),
        }
        let Some(name) = self.field.stored_name(&object) else {
            return refusal::forbidden();
        };
        let mut response = match privates
            .sendfile(parts, name, &self.sendfile_options())
            .await
        {
            Ok(response) => response,
            Err(err) => {
                tracing::warn!(
                    app = M::APP,
                    model = M::MODEL,
                    field = self.field.name(),
                    "shared download refused: {err}"
                );
                not_found_or_internal(&err)
            }
        };
        // The signed URL must not travel on in a Referer from an inline document.
        response.headers_mut().insert(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
        response
    }

    fn sendfile_options(&self) -> SendfileOptions {
        SendfileOptions {
            attachment: self.options.attachment,
            attachment_filename: self.options.filename.map(str::to_string),
            mimetype: self.options.mimetype.map(str::to_string),
            encoding: None,
        }
    }

    /// Answers one request for the object whose key is `pk` (as it appeared in the path).
    pub async fn respond(&self, ctx: &AppContext, parts: &Parts, pk: &str) -> Response {
        let privates = match Privates::from_ctx(ctx) {
            Ok(privates) => privates,
            Err(err) => {
                tracing::error!("{err}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        match self.decide(ctx, &privates, parts, pk).await {
            Ok(response) | Err(response) => response,
        }
    }

    async fn decide(
        &self,
        ctx: &AppContext,
        privates: &Privates,
        parts: &Parts,
        pk: &str,
    ) -> Result<Response, Response> {
        let user = match privates
            .authorize(parts, ctx, &self.permission)
            .await
            .map_err(internal)?
        {
            Ok(user) => user,
            Err(refused) => {
                return Err(refused
                    .refusal(parts, &privates.config().login_url)
                    .unwrap_or_else(refusal::forbidden));
            }
        };
        let Ok(pk) = M::Pk::from_str(pk) else {
            return Err(not_found());
        };
        let Some(object) = M::find_by_pk(ctx, &pk).await.map_err(internal)? else {
            return Err(not_found());
        };
        let object_ref = ObjectRef {
            app: M::APP,
            model: M::MODEL,
            field: self.field.name(),
            object: &object,
        };
        if !privates
            .authorizer()
            .has_object_permission(&user, &self.permission, object_ref, ctx)
            .await
            .map_err(internal)?
        {
            return Err(refusal::forbidden());
        }
        let Some(name) = self.field.stored_name(&object) else {
            return Err(not_found());
        };
        match privates
            .sendfile(parts, name, &self.sendfile_options())
            .await
        {
            Ok(response) => Ok(response),
            Err(err) => {
                tracing::warn!(
                    app = M::APP,
                    model = M::MODEL,
                    field = self.field.name(),
                    "download refused: {err}"
                );
                Err(not_found_or_internal(&err))
            }
        }
    }
}

/// The download routes of every field of `M` that has one (fields marked `no_download` have
/// none), each guarded by the field's permission, and each field's share route (answering 404
/// while share links are disabled).
#[must_use]
pub fn model_routes<M: PrivateMedia + FindByPk>() -> Routes {
    M::fields()
        .iter()
        .filter(|field| !field.spec.no_download)
        .fold(Routes::new(), |routes, field| {
            let view = PrivateMediaView::new(*field);
            let path = view.path();
            let share_path = view.share_path();
            routes
                .add(&path, view.clone().method_router())
                .add(&share_path, view.share_method_router())
        })
}

/// The download URL of `field` on `object`: `{URL_PREFIX}/{app}/{model}/{pk}/{field}/`, the key
/// percent-encoded.
#[must_use]
pub fn download_url<M: PrivateMedia>(object: &M, field: &Field<M>) -> String {
    format!(
        "{}/{}/{}/{}/{}/",
        M::URL_PREFIX.trim_end_matches('/'),
        M::APP,
        M::MODEL,
        utf8_percent_encode(&object.pk().to_string(), COMPONENT),
        field.name()
    )
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn internal(err: loco_rs::Error) -> Response {
    tracing::error!("download failed: {err}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn not_found_or_internal(err: &crate::Error) -> Response {
    match err {
        crate::Error::Storage(err) if !err.is_not_found() => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        crate::Error::Sendfile(err) if err.is_io_fault() => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        _ => not_found(),
    }
}

/// Which answer a [`Handle`] gives.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// [`PrivateMediaView::respond`].
    Download,
    /// [`PrivateMediaView::respond_shared`].
    Shared,
}

/// The view as an axum handler that takes the app context by value. A closure with axum's
/// `State` extractor would clone the `AppContext` (loco's whole config) once more on every
/// request, on top of the clone axum's router makes for each handler call.
struct Handle<M: PrivateMedia> {
    view: PrivateMediaView<M>,
    route: Route,
}

impl<M: PrivateMedia> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Self {
            view: self.view.clone(),
            route: self.route,
        }
    }
}

impl<M: PrivateMedia + FindByPk> Handler<(), AppContext> for Handle<M> {
    type Future = BoxFuture<'static, Response>;

    fn call(self, request: Request, ctx: AppContext) -> Self::Future {
        Box::pin(async move {
            let (mut parts, _body) = request.into_parts();
            let pk = match Path::<String>::from_request_parts(&mut parts, &ctx).await {
                Ok(Path(pk)) => pk,
                Err(rejection) => return rejection.into_response(),
            };
            match self.route {
                Route::Download => self.view.respond(&ctx, &parts, &pk).await,
                Route::Shared => self.view.respond_shared(&ctx, &parts, &pk).await,
            }
        })
    }
}

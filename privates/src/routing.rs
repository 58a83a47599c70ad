//! Registering privates' routes in a loco app: one way, [`routes`], for the views of a model
//! (the admin's included), and the router fit for the Django-shaped URLs.

use std::sync::Arc;

use axum::{response::Response, routing::get};
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::{
    model::{FindByPk, PrivateMedia},
    refusal,
    view::{PrivateMediaView, RequestContext},
};

/// The routes of `views`: each view's download route (at its [`path`](PrivateMediaView::path))
/// and, unless the view is [custom](PrivateMediaView::custom), its share route (at its
/// [`share_path`](PrivateMediaView::share_path), answering 404 while share links are
/// disabled; several views of one field share the first one's). Register a model's routes
/// once, by one call: `model_routes::<M>()` and an admin's `routes()` side by side claim the
/// same share paths, which axum refuses at start-up.
///
/// ```ignore
/// AppRoutes::with_default_routes().add_route(privates::routing::routes([
///     PrivateMediaView::new(IdDocument::PDF).permission("docs.view_scans"),
/// ]))
/// ```
#[must_use]
pub fn routes<M: PrivateMedia + FindByPk>(
    views: impl IntoIterator<Item = PrivateMediaView<M>>,
) -> Routes {
    let mut shared = std::collections::HashSet::new();
    let mut objects = std::collections::HashSet::new();
    views.into_iter().fold(Routes::new(), |routes, view| {
        let (path, share_path) = (view.path(), view.share_path());
        let (download, share) = view.method_routers();
        let mut routes = routes.add(&path, download);
        // Views of one field under several prefixes share one share route: the first serves.
        if let Some(share) = share
            && shared.insert(share_path.clone())
        {
            routes = routes.add(&share_path, share);
        }
        match object_rest(&path) {
            Some(rest) if objects.insert(rest.clone()) => routes.add(&rest, get(unmatched)),
            _ => routes,
        }
    })
}

/// `{prefix}/{app}/{model}/{pk}/{*rest}` for a download route `{prefix}/{app}/{model}/{pk}/{field}/`.
fn object_rest(path: &str) -> Option<String> {
    let (object, _field) = path.trim_end_matches('/').rsplit_once('/')?;
    Some(format!("{object}/{{*rest}}"))
}

/// Any other path below an object's routes: the download URL with its trailing slash when
/// [`after_routes`] is not applied, i.e. the initializer is not registered (loco registers
/// routes without their trailing slash). That misconfiguration answers a 500 whose log line
/// names the fix, instead of loco's "Welcome" 404; with the initializer, any such path is a
/// 404. The views tell the same misconfiguration the same way: no [`RequestContext`].
async fn unmatched(parts: Parts) -> Response {
    match RequestContext::of(&parts) {
        Some(_) => refusal::refuse(&parts, StatusCode::NOT_FOUND),
        None => {
            tracing::error!("{}", crate::Error::NotInitialized);
            refusal::refuse(&parts, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The [`routes`] of every field of `M` that has a download route (fields marked
/// `no_download` have none), each with its default view: the field's permission (or the
/// model's) and view options, under the model's [`URL_PREFIX`](PrivateMedia::URL_PREFIX).
#[must_use]
pub fn model_routes<M: PrivateMedia + FindByPk>() -> Routes {
    routes(
        M::fields()
            .iter()
            .filter(|field| !field.spec.no_download)
            .map(|field| PrivateMediaView::new(*field)),
    )
}

/// What [`PrivatesInitializer`](crate::PrivatesInitializer) does to the app's router in
/// `after_routes`; call it yourself only when you build a router without the initializer.
///
/// - A path with a trailing slash is routed as the same path without it: loco strips the
///   trailing slash of every route it registers, while privates' download URLs keep the
///   Django admin's shape (`/admin/docs/iddocument/7/pdf/`).
/// - Every request carries `ctx` to privates' views, behind an `Arc`. The views do not take
///   it as axum state, which axum copies once per middleware on every request (see
///   `view::ViewService`); without this, they answer 500 and log that the initializer is
///   missing.
pub fn after_routes(router: axum::Router, ctx: &AppContext) -> axum::Router {
    // Outside the router, so that the app's own routes gain no layer: each layer costs a
    // plain loco handler one more copy of its state per request.
    let normalized = NormalizePathLayer::trim_trailing_slash().layer(router);
    let carried = axum::Extension(RequestContext(Arc::new(ctx.clone()))).layer(normalized);
    axum::Router::new().fallback_service(carried)
}

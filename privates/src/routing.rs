//! Fitting privates' URLs to loco's router.

use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

/// Wraps `router` so that a path with a trailing slash is routed as the same path without it.
///
/// loco strips the trailing slash of every route it registers, while privates' download URLs
/// keep the Django admin's shape (`/admin/docs/iddocument/7/pdf/`).
/// [`PrivatesInitializer`](crate::PrivatesInitializer) applies this in `after_routes`; call it
/// yourself only when you build a router without the initializer.
pub fn accept_trailing_slashes(router: axum::Router) -> axum::Router {
    let normalized = NormalizePathLayer::trim_trailing_slash().layer(router);
    axum::Router::new().fallback_service(normalized)
}

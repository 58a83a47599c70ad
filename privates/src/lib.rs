//! # privates
//!
//! Private media for [loco](https://loco.rs) applications, the Rust counterpart of Django's
//! django-privates with django-sendfile2. Files that belong to a model live outside every public
//! folder; a browser gets them only through a route that first checks who asks and what they may
//! do, then lets nginx, Apache or lighttpd send the bytes (`X-Accel-Redirect`, `X-Sendfile`), or
//! streams them itself in development.
//!
//! The module tree follows a request, one way:
//! - at boot, [`initializer`] reads [`config`] (the YAML block as written), the [`checks`] turn
//!   it into [`settings`] (types that only hold valid combinations), and a [`Privates`] handle
//!   is built from them and installed in the app context;
//! - [`routing`] registers the [`view`]s; [`urls`] owns every URL shape;
//! - a download goes [`view`] → [`permissions`] (who asks, may they) → the object ([`model`],
//!   read by key through [`reads`]), its field → [`storage`] opens the stored name (a local
//!   file or an object in a bucket) → [`sendfile`] answers by the configured backend;
//! - [`file`](mod@file) is a stored file seen from its model (Django's `FieldFile`);
//! - every answer of a download or share route is an [`audit`] event (`tracing`, and the
//!   app's sink if it installs one);
//! - [`share`] signs and checks expiring share links; [`upload_to`] names new uploads by the
//!   [`name`] rules, which the storage enforces too;
//! - [`server`] serves the app with what loco's serve lacks (a header-read timeout);
//! - [`task`] runs the checks and the cleanup on demand (the test tools are the
//!   `privates-testing` crate's);
//! - [`error`] gathers each part's own typed error. No module depends on one that depends on
//!   it: the module graph has no cycle.

pub mod audit;
pub mod checks;
pub mod config;
pub mod error;
pub mod file;
pub mod initializer;
pub mod model;
pub mod name;
pub mod permissions;
#[cfg(feature = "with-db")]
pub mod reads;
mod refusal;
pub mod routing;
pub mod sendfile;
pub mod server;
pub mod settings;
pub mod share;
pub mod storage;
pub mod task;
pub mod upload_to;
pub mod urls;
pub mod view;

mod state;

/// The attribute for implementing [`Authorizer`] and [`FindByPk`] by hand (re-exported so an
/// app needs no direct dependency on `async-trait`).
pub use async_trait::async_trait;
pub use config::PrivatesConfig;
pub use error::Error;
pub use initializer::PrivatesInitializer;
pub use model::{Field, FieldKind, FieldSpec, FindByPk, PrivateMedia, UploadLimits, ViewOptions};
pub use permissions::Authorizer;
/// Derives [`PrivateMedia`] (and, for SeaORM models, [`FindByPk`]): see the derive's docs.
pub use privates_macros::PrivateMedia;
pub use refusal::{Decision, refuse, wants_json};
pub use sendfile::{Backend, Sendfile, SendfileOptions};
pub use state::Privates;
pub use upload_to::UploadTo;
pub use view::PrivateMediaView;

/// Paths the derive's generated code names. Not public API: it may change in any release.
///
/// Versioned as serde's and thiserror's are: `privates` pins `privates-macros` exactly, and a
/// derive of another version names `__private_<its version>`, which does not exist here, so a
/// mismatch fails at once at the derive. Rename it with every version bump (the derive's tests
/// fail until it is).
#[doc(hidden)]
pub mod __private_0_1_0 {
    pub use crate::model::{
        Field, FieldKind, FieldSpec, FindByPk, PrivateMedia, UploadLimits, ViewOptions,
    };
    #[cfg(feature = "with-db")]
    pub use crate::reads::find_by_id;
    pub use crate::upload_to::UploadTo;
    pub use async_trait::async_trait;
    pub use loco_rs;
    #[cfg(feature = "with-db")]
    pub use sea_orm;

    pub use crate::urls::download_url;
}

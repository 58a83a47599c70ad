//! Test tools: isolate a test's files, and assert what a download response is.
//!
//! [`TempPrivateRoot`] is django-privates' `temp_private_root`: every test gets its own
//! temporary storage root, removed when the guard drops — also when the test panics — and
//! never shared between tests running in parallel (each guard has its own folder and its own
//! [`Privates`] handle, installed in that test's own app context).

use std::path::Path;

use loco_rs::app::AppContext;

use crate::{
    config::{PrivatesConfig, StorageConfig},
    error::Error,
    state::Privates,
};

/// A temporary private storage root for one test (the context-manager form of
/// `temp_private_root`).
///
/// ```
/// use privates::{testing::TempPrivateRoot, PrivatesConfig};
///
/// let root = TempPrivateRoot::new().unwrap();
/// let mut config = PrivatesConfig::default();
/// root.apply(&mut config);
/// assert_eq!(config.storage.unwrap().location, root.path());
/// // The folder is removed when `root` drops.
/// ```
#[derive(Debug)]
pub struct TempPrivateRoot {
    dir: tempfile::TempDir,
}

impl TempPrivateRoot {
    /// Creates the temporary folder.
    ///
    /// # Errors
    /// When the system's temporary folder is not writable.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new().prefix("privates-test-").tempdir()?,
        })
    }

    /// The folder.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Points `config`'s storage location and sendfile root at this folder, keeping every other
    /// setting (backend, URLs).
    pub fn apply(&self, config: &mut PrivatesConfig) {
        match &mut config.storage {
            Some(storage) => storage.location = self.path().to_path_buf(),
            None => {
                config.storage = Some(StorageConfig {
                    location: self.path().to_path_buf(),
                    base_url: "/private-media/".to_string(),
                });
            }
        }
        config.sendfile.root = Some(self.path().to_path_buf());
        if config.sendfile.url.is_none() {
            config.sendfile.url = config.storage.as_ref().map(|s| s.base_url.clone());
        }
    }

    /// Moves the [`Privates`] handle installed in `ctx` onto this folder and returns it.
    ///
    /// # Errors
    /// [`Error::NotInitialized`] when `ctx` has no handle; the checks' errors otherwise.
    pub fn install(&self, ctx: &AppContext) -> Result<Privates, Error> {
        let current = Privates::from_ctx(ctx)?;
        let mut config = current.config().clone();
        self.apply(&mut config);
        let moved = current.reconfigure(config)?;
        moved.install(ctx);
        Ok(moved)
    }
}

/// An axum router serving loco [`Routes`] on `ctx`, the way loco's `AppRoutes` mounts them, for
/// tests that need no `Hooks` type.
#[must_use]
pub fn router(routes: loco_rs::controller::Routes, ctx: &AppContext) -> axum::Router {
    let prefix = routes.prefix.clone().unwrap_or_default();
    let prefix = prefix.trim_end_matches('/');
    routes
        .handlers
        .into_iter()
        .fold(axum::Router::new(), |router, handler| {
            router.route(&format!("{prefix}{}", handler.uri), handler.method)
        })
        .with_state(ctx.clone())
}

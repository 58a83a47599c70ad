//! Test tools: isolate a test's files and assert what a download response is.
//!
//! [`TempPrivateRoot`] is django-privates' `temp_private_root`: every test gets its own
//! temporary storage root, removed when the guard drops — also when the test panics — and
//! never shared between tests running in parallel (each guard has its own folder and its own
//! [`Privates`] handle, installed in that test's own app context).

use std::path::Path;

pub use privates_macros::temp_private_root;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use loco_rs::app::AppContext;

use privates::{
    Error, Privates,
    config::{PrivatesConfig, StorageConfig},
    sendfile::Backend,
    storage::StorageError,
};

/// A temporary private storage root for one test (the context-manager form of
/// `temp_private_root`).
///
/// ```
/// use privates::PrivatesConfig;
/// use privates_testing::TempPrivateRoot;
///
/// let root = TempPrivateRoot::new().unwrap();
/// let mut config = PrivatesConfig::default();
/// root.apply(&mut config);
/// assert_eq!(config.storage.unwrap().as_local().unwrap().location, root.path());
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
            dir: tempfile::Builder::new()
                .prefix("privates-test-")
                .tempdir()?,
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
        let storage = config
            .storage
            .get_or_insert_with(|| StorageConfig::local(self.path()));
        let base_url = match storage {
            StorageConfig::Local(storage) => {
                storage.location = self.path().to_path_buf();
                storage.base_url.clone()
            }
            // An S3 storage keeps its bucket; the root serves nothing then.
            _ => return,
        };
        config.sendfile.root = Some(self.path().to_path_buf());
        if config.sendfile.url.is_none() {
            config.sendfile.url = Some(base_url);
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

/// An axum router serving loco [`Routes`](loco_rs::controller::Routes) on `ctx` the way a loco
/// app does — each route registered without its trailing slash, as loco's `AppRoutes` does,
/// and wrapped as the [`PrivatesInitializer`](privates::PrivatesInitializer) wraps it
/// ([`privates::routing::after_routes`]) — for tests that need no `Hooks` type.
pub fn router(routes: loco_rs::controller::Routes, ctx: &AppContext) -> axum::Router {
    let prefix = routes.prefix.clone().unwrap_or_default();
    let prefix = prefix.trim_end_matches('/');
    let router = routes
        .handlers
        .into_iter()
        .fold(axum::Router::new(), |router, handler| {
            let uri = format!("{prefix}{}", handler.uri);
            let uri = match uri.trim_end_matches('/') {
                "" => "/",
                trimmed => trimmed,
            };
            router.route(uri, handler.method)
        })
        .with_state(ctx.clone());
    privates::routing::after_routes(router, ctx)
}

/// What the assertion helpers read from a response: implemented for `http::Response`, its
/// `Parts`, and loco's `TestResponse`.
pub trait ResponseParts {
    /// The status code.
    fn status_code(&self) -> StatusCode;
    /// The headers.
    fn header_map(&self) -> &HeaderMap;
}

impl<B> ResponseParts for http::Response<B> {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
    fn header_map(&self) -> &HeaderMap {
        self.headers()
    }
}

impl ResponseParts for http::response::Parts {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn header_map(&self) -> &HeaderMap {
        &self.headers
    }
}

impl ResponseParts for axum_test::TestResponse {
    fn status_code(&self) -> StatusCode {
        axum_test::TestResponse::status_code(self)
    }
    fn header_map(&self) -> &HeaderMap {
        self.headers()
    }
}

/// The offload header `privates`' backend would send for the stored name `name`, or `None` for
/// the development backend.
///
/// # Errors
/// When the name is refused or cannot be expressed as a header value.
pub async fn expected_offload_header(
    privates: &Privates,
    name: &str,
) -> Result<Option<(HeaderName, HeaderValue)>, Error> {
    // The file must be there: an assertion about a missing file is a failing one.
    if !privates.files().exists(name).await? {
        return Err(StorageError::NotFound {
            name: name.to_owned(),
        }
        .into());
    }
    Ok(privates.delivery().offload_header_for(name)?)
}

/// Asserts that `response` hands the stored file `name` to the web server through the
/// configured offloading backend: status 200 and exactly the `X-Accel-Redirect` (nginx),
/// `X-Sendfile` (Apache, lighttpd) header for that file.
///
/// # Panics
/// When it does not — it is an assertion.
pub async fn assert_offloaded(response: &impl ResponseParts, privates: &Privates, name: &str) {
    assert_eq!(
        response.status_code(),
        StatusCode::OK,
        "expected a 200 handing `{name}` to the web server"
    );
    let expected = expected_offload_header(privates, name).await;
    let Ok(Some((header, value))) = expected else {
        fail(&format!(
            "`{name}` cannot be offloaded with the {:?} backend: {expected:?}",
            privates.delivery().backend()
        ));
    };
    assert_eq!(
        response.header_map().get(&header),
        Some(&value),
        "expected `{header}: {value:?}` for `{name}`"
    );
}

/// Asserts that `response` is an nginx `X-Accel-Redirect` for the stored file `name`.
///
/// # Panics
/// When it is not, or the configured backend is not nginx.
pub async fn assert_x_accel_redirect(
    response: &impl ResponseParts,
    privates: &Privates,
    name: &str,
) {
    assert_eq!(privates.delivery().backend(), Backend::Nginx);
    assert_offloaded(response, privates, name).await;
}

/// Asserts that `response` is an Apache `X-Sendfile` for the stored file `name`.
///
/// # Panics
/// When it is not, or the configured backend is not apache.
pub async fn assert_x_sendfile(response: &impl ResponseParts, privates: &Privates, name: &str) {
    assert_eq!(privates.delivery().backend(), Backend::Apache);
    assert_offloaded(response, privates, name).await;
}

/// Asserts that `response` (its status and headers, with `body` its collected body) streams
/// exactly the bytes of the stored file `name`.
///
/// # Panics
/// When it does not, or the file cannot be read.
pub async fn assert_streams(
    response: &impl ResponseParts,
    body: &[u8],
    privates: &Privates,
    name: &str,
) {
    assert_eq!(
        response.status_code(),
        StatusCode::OK,
        "expected a 200 streaming `{name}`"
    );
    match stored_bytes(privates, name).await {
        Ok(expected) => {
            assert_eq!(
                body.len(),
                expected.len(),
                "the body is not the size of `{name}`"
            );
            assert!(
                body == expected,
                "the body differs from the bytes of `{name}`"
            );
        }
        Err(err) => fail(&format!("cannot read `{name}`: {err}")),
    }
}

/// The bytes of the stored file `name`, from the configured storage (local or S3).
async fn stored_bytes(privates: &Privates, name: &str) -> Result<Vec<u8>, Error> {
    let mut chunks = privates.files().open(name).await?.into_stream().await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
        bytes.extend_from_slice(&chunk.map_err(|err| StorageError::Io {
            name: name.to_owned(),
            source: err,
        })?);
    }
    Ok(bytes)
}

/// Fails the assertion with `message`.
#[allow(clippy::panic)] // failing loudly is what an assertion is for
fn fail(message: &str) -> ! {
    panic!("{message}")
}

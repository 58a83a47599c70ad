//! Handing a permitted file to the browser: django-sendfile2's `sendfile()`.
//!
//! A [`Sendfile`] is built once from the `sendfile.*` settings; its [`serve`](Sendfile::serve)
//! turns an [`OpenedFile`] into the response of the configured [`Backend`]:
//!
//! | backend | response |
//! |---|---|
//! | [`Development`](Backend::Development) | the bytes, streamed by the app, with HEAD, `ETag`/`Last-Modified`, 304/412 and single byte ranges (206/416) |
//! | [`Nginx`](Backend::Nginx) | empty, `X-Accel-Redirect: <sendfile.url><percent-encoded path under the root>` |
//! | [`Apache`](Backend::Apache) | empty, `X-Sendfile: <absolute path>` (mod_xsendfile) |
//! | [`Lighttpd`](Backend::Lighttpd) | empty, `X-Sendfile: <absolute path, `%` as `%25`>` (what lighttpd honours from a proxied app) |
//! | [`Redirect`](Backend::Redirect) (S3) | `302` to a presigned URL expiring after `sendfile.expires` |
//! | [`Stream`](Backend::Stream) (S3) | the object, streamed by the app, as `development` does |
//!
//! Every answer carries `Content-Type` (from [`SendfileOptions::mimetype`] or the name's
//! extension; never a `Content-Encoding` guessed from `.gz`), `Content-Disposition` (see
//! [`content_disposition`]), `Cache-Control: private` and `X-Content-Type-Options: nosniff`;
//! HTML, SVG, XML and scripts shown inline also get [`SANDBOX_CSP`].
//!
//! The modules follow tower-http's fs service: [`headers`] (the entity and security headers),
//! `conditional` (validators, 304/412), `range` (206/416), `stream` (the constant-memory
//! body), `development` and `offload` (the backends).

mod conditional;
mod development;
mod error;
pub mod headers;
mod object;
mod offload;
mod range;
mod stream;

use std::{
    borrow::Cow,
    io,
    path::{Component, Path, PathBuf},
};

use axum::response::Response;
use http::{HeaderMap, Method};
use serde::Deserialize;

use self::headers::EntityHeaders;
pub use self::{
    error::SendfileError,
    headers::{SANDBOX_CSP, content_disposition, is_active_content},
    offload::{
        X_ACCEL_REDIRECT, X_SENDFILE, accel_redirect_value, lighttpd_sendfile_value,
        xsendfile_value,
    },
};
use crate::storage::OpenedFile;

/// How files are handed over (`sendfile.backend`, django-sendfile2's `SENDFILE_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    /// The app streams the file itself (`django_sendfile.backends.development` /
    /// `simple`). Fine for development and small deployments.
    #[default]
    Development,
    /// nginx sends it after an `X-Accel-Redirect` to an `internal` location
    /// (`django_sendfile.backends.nginx`); needs `sendfile.url`.
    Nginx,
    /// Apache with mod_xsendfile sends it after `X-Sendfile`
    /// (`django_sendfile.backends.xsendfile`).
    Apache,
    /// lighttpd sends it after `X-Sendfile` (what it honours from an app behind `mod_proxy`;
    /// `X-LIGHTTPD-send-file` works for FastCGI backends only).
    Lighttpd,
    /// S3 storage: a `302` to a presigned `GET` URL that expires after `sendfile.expires`
    /// seconds, carrying the same `Content-Type` and `Content-Disposition`.
    Redirect,
    /// S3 storage: the app streams the object with ranges and validators (the object's ETag),
    /// as [`Development`](Self::Development) does for local files.
    Stream,
}

impl Backend {
    /// Whether this backend serves from an object store (`redirect`, `stream`) rather than
    /// from local files.
    #[must_use]
    pub fn is_object_store(self) -> bool {
        matches!(self, Self::Redirect | Self::Stream)
    }

    /// The name in the config.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Nginx => "nginx",
            Self::Apache => "apache",
            Self::Lighttpd => "lighttpd",
            Self::Redirect => "redirect",
            Self::Stream => "stream",
        }
    }
}

/// The per-call options of django-sendfile2's `sendfile(request, filename, attachment,
/// attachment_filename, mimetype, encoding)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendfileOptions {
    /// `Content-Disposition: attachment` (save) instead of `inline` (show).
    pub attachment: bool,
    /// The name the browser saves the file as; defaults to the last segment of the stored
    /// name.
    pub attachment_filename: Option<String>,
    /// `Content-Type`; defaults to the guess from the stored name's extension.
    pub mimetype: Option<String>,
    /// `Content-Encoding` (for example `gzip` for a stored `.gz` the browser should unpack).
    /// Never guessed: without it a `.gz` is sent as the compressed file it is.
    pub encoding: Option<String>,
}

/// The configured backend, its root and URL: builds every download response.
///
/// ```
/// use privates::sendfile::{Backend, Sendfile};
///
/// let sendfile = Sendfile::new(Backend::Nginx, "/srv/app/private", Some("/private-media/".into()))?;
/// assert_eq!(sendfile.url(), Some("/private-media/"));
/// assert!(Sendfile::new(Backend::Nginx, "/srv/app/private", None).is_err());
/// # Ok::<(), privates::sendfile::SendfileError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sendfile {
    backend: Backend,
    /// Absolute and lexically normalised (no `.` or `..`).
    root: PathBuf,
    /// The root with symlinks resolved, when it existed at construction: a file path reached
    /// through the real folder is recognised as beneath the root too.
    canonical_root: Option<PathBuf>,
    url: Option<String>,
}

impl Sendfile {
    /// Checks the settings: `root` is made absolute (relative to the working directory);
    /// `url`, required by [`Backend::Nginx`], must start and end with `/` and consist of
    /// visible ASCII without `?` or `#` (it is written into a header as is).
    ///
    /// # Errors
    /// [`SendfileError::InvalidConfig`] naming `sendfile.root` or `sendfile.url`.
    pub fn new(
        backend: Backend,
        root: impl AsRef<Path>,
        url: Option<String>,
    ) -> Result<Self, SendfileError> {
        let root = root.as_ref();
        if root.as_os_str().is_empty() {
            return Err(SendfileError::InvalidConfig {
                key: "initializers.privates.sendfile.root",
                message: "must not be empty".into(),
            });
        }
        let root = std::path::absolute(root)
            .map(|root| normalize(&root))
            .map_err(|err| SendfileError::InvalidConfig {
                key: "initializers.privates.sendfile.root",
                message: format!("cannot be made absolute: {err}"),
            })?;
        if let Some(url) = &url {
            validate_url(url)?;
        } else if backend == Backend::Nginx {
            return Err(SendfileError::InvalidConfig {
                key: "initializers.privates.sendfile.url",
                message: "the nginx backend needs the internal location's URL prefix, e.g. \
                          `/private-media/`"
                    .into(),
            });
        }
        let canonical_root = std::fs::canonicalize(&root)
            .ok()
            .filter(|canonical| *canonical != root);
        Ok(Self {
            backend,
            root,
            canonical_root,
            url,
        })
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The absolute root every served file must lie beneath.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The internal URL prefix (`sendfile.url`).
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The response handing `file` to the client through the backend.
    ///
    /// `file.path` must lie beneath the root: compared component by component after making it
    /// absolute, and any `..` refuses it. `method` and `headers` are the request's; only the
    /// development backend reads them (HEAD, conditional and range requests), the web servers
    /// evaluate them themselves.
    ///
    /// # Errors
    /// [`SendfileError::OutsideRoot`], [`SendfileError::NotFound`] (not a regular file),
    /// [`SendfileError::Unrepresentable`] (an offload header cannot hold the path),
    /// [`SendfileError::InvalidOption`], [`SendfileError::Io`]. Each is also a response
    /// (404, or 500 for server faults).
    pub async fn serve(
        &self,
        method: &Method,
        headers: &HeaderMap,
        file: OpenedFile,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        let relative = self.relative_to_root(&file.path)?;
        if !file.metadata.is_file() {
            return Err(SendfileError::NotFound { path: file.path });
        }
        // nginx drops CSP on X-Accel-Redirect: there, active content must be an attachment.
        let entity = EntityHeaders::new(&file.name, options, self.backend == Backend::Nginx)?;
        match self.backend {
            // A local file under an object-store backend (a misconfiguration the checks
            // refuse): stream it, as the development backend does.
            Backend::Development | Backend::Stream | Backend::Redirect => {
                development::respond(method, headers, file, &entity)
            }
            Backend::Nginx => {
                let url = self.url.as_deref().unwrap_or("/");
                let value = accel_redirect_value(url, &relative)?;
                Ok(offload::respond(X_ACCEL_REDIRECT, value, &entity))
            }
            Backend::Apache => {
                let value = xsendfile_value(&self.root.join(&relative))?;
                Ok(offload::respond(X_SENDFILE, value, &entity))
            }
            Backend::Lighttpd => {
                let value = lighttpd_sendfile_value(&self.root.join(&relative))?;
                Ok(offload::respond(X_SENDFILE, value, &entity))
            }
        }
    }

    /// The response handing the S3 `object` to the client: a redirect to a presigned URL valid
    /// for `expires` ([`Backend::Redirect`]), or the object streamed through the app (every
    /// other backend; the checks only allow [`Backend::Stream`] over S3).
    ///
    /// # Errors
    /// [`Error::Sendfile`](crate::Error::Sendfile) for a bad option, [`Error::Storage`](crate::Error::Storage) when the object store fails
    /// (or the object vanished: then [`StorageError::is_not_found`](crate::storage::StorageError::is_not_found)).
    pub async fn serve_object(
        &self,
        method: &Method,
        headers: &HeaderMap,
        storage: &crate::storage::S3Storage,
        object: &crate::storage::S3Object,
        expires: std::time::Duration,
        options: &SendfileOptions,
    ) -> Result<Response, crate::Error> {
        match self.backend {
            Backend::Redirect => {
                // S3 cannot send a CSP: active content must be an attachment there.
                let entity = EntityHeaders::new(&object.name, options, true)?;
                object::redirect(storage, object, expires, &entity).await
            }
            _ => {
                let entity = EntityHeaders::new(&object.name, options, false)?;
                object::stream(method, headers, storage, object, &entity).await
            }
        }
    }

    /// Opens `path` beneath the root and serves it: django-sendfile2's
    /// `sendfile(request, path, ...)`. `path` is absolute (it must then lie beneath the root) or
    /// relative to the root. The open goes through `cap-std` (`openat2(RESOLVE_BENEATH)` on
    /// Linux), so no `..` or symlink can lead outside the root, even one swapped in between
    /// the check and the open. The content type is guessed from the path relative to the root.
    ///
    /// # Errors
    /// As [`serve`](Self::serve), plus [`SendfileError::NotFound`] for a missing file and
    /// [`SendfileError::Open`] when the file cannot be opened beneath the root.
    pub async fn serve_path(
        &self,
        method: &Method,
        headers: &HeaderMap,
        path: &Path,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        let target = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        };
        let relative = self.relative_to_root(&target)?;
        let root = self.root.clone();
        let file = tokio::task::spawn_blocking(move || open_beneath(&root, &relative))
            .await
            .map_err(|err| SendfileError::Io {
                path: target.clone(),
                source: io::Error::other(err),
            })??;
        self.serve(method, headers, file, options).await
    }

    /// `path` relative to the root, if it lies beneath it.
    fn relative_to_root(&self, path: &Path) -> Result<PathBuf, SendfileError> {
        let outside = || SendfileError::OutsideRoot {
            path: path.to_path_buf(),
            root: self.root.clone(),
        };
        // A stored file's path is absolute already (the storage location is made absolute
        // when configured); only a relative one needs the working directory.
        let absolute = if path.is_absolute() {
            Cow::Borrowed(path)
        } else {
            Cow::Owned(std::path::absolute(path).map_err(|_| outside())?)
        };
        // `absolute` keeps `..` (resolving it lexically would be wrong across symlinks):
        // refuse it outright, as the storage never produces one.
        if absolute
            .components()
            .any(|component| component == Component::ParentDir)
        {
            return Err(outside());
        }
        std::iter::once(&self.root)
            .chain(&self.canonical_root)
            .find_map(|root| absolute.strip_prefix(root).ok())
            .filter(|relative| !relative.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .ok_or_else(outside)
    }
}

/// Opens `relative` beneath `root` with the kernel's help (blocking).
fn open_beneath(root: &Path, relative: &Path) -> Result<OpenedFile, SendfileError> {
    let path = root.join(relative);
    let dir = cap_std::fs::Dir::open_ambient_dir(root, cap_std::ambient_authority())
        .map_err(|source| SendfileError::from_open(path.clone(), source))?;
    let file = dir
        .open(relative)
        .map_err(|source| SendfileError::from_open(path.clone(), source))?
        .into_std();
    let metadata = file.metadata().map_err(|source| SendfileError::Io {
        path: path.clone(),
        source,
    })?;
    let name = relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(OpenedFile {
        name,
        path,
        file,
        metadata,
    })
}

/// Resolves `.` and `..` lexically in an absolute path (used for the configured root only,
/// which is trusted; request paths with `..` are refused instead).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn validate_url(url: &str) -> Result<(), SendfileError> {
    let invalid = |message: &str| SendfileError::InvalidConfig {
        key: "initializers.privates.sendfile.url",
        message: format!("{url:?} {message}"),
    };
    if !url.starts_with('/') || !url.ends_with('/') {
        return Err(invalid(
            "must start and end with `/`, e.g. `/private-media/`",
        ));
    }
    if !url
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
    {
        return Err(invalid(
            "must be visible ASCII without `?` or `#` (percent-encode anything else)",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn backend_names() {
        for (name, backend) in [
            ("development", Backend::Development),
            ("nginx", Backend::Nginx),
            ("apache", Backend::Apache),
            ("lighttpd", Backend::Lighttpd),
            ("redirect", Backend::Redirect),
            ("stream", Backend::Stream),
        ] {
            let parsed: Backend = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(parsed, backend);
        }
        assert!(serde_json::from_value::<Backend>(serde_json::json!("Nginx")).is_err());
        assert_eq!(Backend::default(), Backend::Development);
    }

    #[test]
    fn urls() {
        for url in ["/", "/private-media/", "/a%20b/"] {
            assert!(validate_url(url).is_ok(), "{url}");
        }
        for url in [
            "private/", "/private", "", "/a b/", "/a?b/", "/é/", "/a\r\n/",
        ] {
            assert!(validate_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn root_containment() {
        let sendfile = Sendfile::new(Backend::Development, "/srv/./app/../root", None).unwrap();
        assert_eq!(sendfile.root(), Path::new("/srv/root"));
        let ok = |p: &str| sendfile.relative_to_root(Path::new(p)).map_err(|_| ());
        assert_eq!(ok("/srv/root/a/b.pdf"), Ok(PathBuf::from("a/b.pdf")));
        assert_eq!(ok("/srv/root/./a//b.pdf"), Ok(PathBuf::from("a/b.pdf")));
        assert!(ok("/srv/root").is_err());
        assert!(ok("/srv/root/").is_err());
        assert!(ok("/srv/root2/a.pdf").is_err());
        assert!(ok("/srv/root/../root/a.pdf").is_err());
        assert!(ok("/srv/root/a/../../etc/passwd").is_err());
        assert!(ok("/etc/passwd").is_err());
    }
}

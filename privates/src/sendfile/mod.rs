#![doc = include_str!("../../docs/sendfile.md")]

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
    path::{Component, Path, PathBuf},
};

use axum::response::Response;
use cap_std::fs::OpenOptionsExt;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use self::headers::EntityHeaders;
pub use self::{
    error::SendfileError,
    headers::{SANDBOX_CSP, content_disposition, is_active_content},
    offload::{
        X_ACCEL_REDIRECT, X_SENDFILE, accel_redirect_value, lighttpd_sendfile_value,
        xsendfile_value,
    },
};
pub use crate::config::Backend;
use crate::{
    checks::{self, Environment},
    config::{PrivatesConfig, SendfileConfig, StorageConfig},
    settings::{LocalDelivery, ObjectDelivery, SendfileRoot, StorageSettings},
    storage::{Opened, OpenedFile},
};

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

/// The configured delivery: builds every download response.
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
    delivery: Delivery,
}

/// The backend with what it needs, as the checks validated it.
#[derive(Debug, Clone)]
enum Delivery {
    /// Local files beneath `root`.
    Local {
        root: SendfileRoot,
        how: LocalDelivery,
    },
    /// Objects of a bucket.
    Object(ObjectDelivery),
}

impl Sendfile {
    /// The delivery of local files beneath `root` (for [`serve_path`](Self::serve_path), when
    /// no storage is involved): `root` is made absolute (relative to the working directory);
    /// `url`, required by [`Backend::Nginx`], is a folder URL such as `/private-media/`. Judged
    /// by the same [`checks`] as a whole configuration, with `root` as the storage.
    ///
    /// # Errors
    /// [`SendfileError::InvalidConfig`] naming the first key to fix: `sendfile.root`,
    /// `sendfile.url` or `sendfile.backend` (the object-store backends need a bucket: configure
    /// them through [`Privates`](crate::Privates)).
    pub fn new(
        backend: Backend,
        root: impl AsRef<Path>,
        url: Option<String>,
    ) -> Result<Self, SendfileError> {
        let root = root.as_ref();
        let config = PrivatesConfig {
            storage: Some(StorageConfig::local(root)),
            sendfile: SendfileConfig {
                backend,
                root: Some(root.to_path_buf()),
                // Unset means "none" here, not the storage's `base_url`.
                url: Some(url.unwrap_or_default()),
                ..SendfileConfig::default()
            },
            ..PrivatesConfig::default()
        };
        match checks::validate(&config, &Environment::default()) {
            Ok(validated) => Ok(Self::from_settings(&validated.settings.storage)),
            Err(report) => {
                // The storage here is the root itself: its findings are the root's.
                let finding = report
                    .errors()
                    .find(|error| error.key.contains(".sendfile."));
                let finding = finding.or_else(|| report.errors().next());
                Err(SendfileError::InvalidConfig {
                    key: finding.map_or("initializers.privates.sendfile.root", |f| f.key),
                    message: finding.map(ToString::to_string).unwrap_or_default(),
                })
            }
        }
    }

    /// The delivery of a storage that passed the checks.
    pub(crate) fn from_settings(storage: &StorageSettings) -> Self {
        Self {
            delivery: match storage {
                StorageSettings::Local(local) => Delivery::Local {
                    root: local.root.clone(),
                    how: local.delivery.clone(),
                },
                StorageSettings::S3(s3) => Delivery::Object(s3.delivery),
            },
        }
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match &self.delivery {
            Delivery::Local { how, .. } => match how {
                LocalDelivery::Development => Backend::Development,
                LocalDelivery::Nginx { .. } => Backend::Nginx,
                LocalDelivery::Apache => Backend::Apache,
                LocalDelivery::Lighttpd => Backend::Lighttpd,
            },
            Delivery::Object(ObjectDelivery::Redirect { .. }) => Backend::Redirect,
            Delivery::Object(ObjectDelivery::Stream) => Backend::Stream,
        }
    }

    /// The absolute root every local file is served from; `None` for an object store.
    #[must_use]
    pub fn root(&self) -> Option<&Path> {
        match &self.delivery {
            Delivery::Local { root, .. } => Some(&root.path),
            Delivery::Object(_) => None,
        }
    }

    /// The internal URL prefix (`sendfile.url`) of the nginx backend.
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        match &self.delivery {
            Delivery::Local {
                how: LocalDelivery::Nginx { url },
                ..
            } => Some(url),
            _ => None,
        }
    }

    /// The response handing what the storage `opened` to the client. `method` and `headers`
    /// are the request's; only the streaming backends read them (HEAD, conditional and range
    /// requests), the web servers and S3 evaluate them themselves.
    pub(crate) async fn serve(
        &self,
        method: &Method,
        headers: &HeaderMap,
        opened: Opened,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        match (&self.delivery, opened) {
            (Delivery::Local { root, how }, Opened::File(file)) => {
                let relative = stored_beneath_root(root, &file.name, &file.path)?;
                Self::serve_file(method, headers, how, root, file, &relative, options).await
            }
            (Delivery::Object(how), Opened::Object(object)) => {
                object::respond(method, headers, *how, &object, options).await
            }
            // One validated config builds both the storage and the delivery of a handle.
            _ => Err(SendfileError::InvalidConfig {
                key: "initializers.privates.sendfile.backend",
                message: "the delivery does not serve this storage's kind of file".into(),
            }),
        }
    }

    /// Opens `path` beneath the root and serves it: django-sendfile2's
    /// `sendfile(request, path, ...)`. `path` is absolute (it must then lie beneath the root) or
    /// relative to the root. The open goes through `cap-std` (`openat2(RESOLVE_BENEATH)` on
    /// Linux), so no `..` or symlink can lead outside the root, even one swapped in between
    /// the check and the open. The content type is guessed from the path relative to the root.
    ///
    /// # Errors
    /// [`SendfileError::OutsideRoot`] (also for an object-store delivery, which has no root),
    /// [`SendfileError::NotFound`] for a missing file or one that is not a regular file,
    /// [`SendfileError::Open`] when the file cannot be opened beneath the root,
    /// [`SendfileError::Unrepresentable`] (an offload header cannot hold the path),
    /// [`SendfileError::InvalidOption`], [`SendfileError::Io`]. Each is also a response (404,
    /// or 500 for server faults).
    pub async fn serve_path(
        &self,
        method: &Method,
        headers: &HeaderMap,
        path: &Path,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        let Delivery::Local { root, how } = &self.delivery else {
            return Err(SendfileError::OutsideRoot {
                path: path.to_path_buf(),
                root: PathBuf::new(),
            });
        };
        let target = if path.is_absolute() {
            path.to_path_buf()
        } else {
            root.path.join(path)
        };
        let relative = relative_to_root(root, &target)?;
        let file = open_beneath(&root.path, &relative)?;
        Self::serve_file(method, headers, how, root, file, &relative, options).await
    }

    /// The answer of a local backend for `file`, which lies at `relative` beneath the root.
    #[allow(clippy::too_many_arguments)]
    async fn serve_file(
        method: &Method,
        headers: &HeaderMap,
        how: &LocalDelivery,
        root: &SendfileRoot,
        file: OpenedFile,
        relative: &Path,
        options: &SendfileOptions,
    ) -> Result<Response, SendfileError> {
        if !file.metadata.is_file() {
            return Err(SendfileError::NotFound { path: file.path });
        }
        // nginx drops CSP on X-Accel-Redirect: there, active content must be an attachment.
        let nginx = matches!(how, LocalDelivery::Nginx { .. });
        let entity = EntityHeaders::new(&file.name, options, nginx)?;
        match offload_header(how, root, relative)? {
            Some((header, value)) => Ok(offload::respond(header, value, &entity)),
            None => development::respond(method, headers, file, &entity).await,
        }
    }

    /// The offload header this delivery sends for the stored name `name` (`None` when the app
    /// streams it): what a test asserts (`privates-testing`'s `assert_offloaded`).
    ///
    /// # Errors
    /// [`SendfileError`] for a name that cannot be offloaded (outside the root, a control
    /// character in the path).
    pub fn offload_header_for(
        &self,
        name: &str,
    ) -> Result<Option<(HeaderName, HeaderValue)>, SendfileError> {
        let Delivery::Local { root, how } = &self.delivery else {
            return Ok(None);
        };
        offload_header(
            how,
            root,
            &stored_beneath_root(root, name, Path::new(name))?,
        )
    }
}

/// Where the stored name `name` (at `path`) lies beneath the sendfile root: the storage opens
/// names beneath its location, and where that lies beneath the root was worked out at boot.
fn stored_beneath_root(
    root: &SendfileRoot,
    name: &str,
    path: &Path,
) -> Result<PathBuf, SendfileError> {
    match &root.location_within {
        Some(within) => Ok(within.join(name)),
        None => Err(SendfileError::OutsideRoot {
            path: path.to_path_buf(),
            root: root.path.clone(),
        }),
    }
}

/// The header handing the file at `relative` beneath the root to the web server; `None` for
/// the development backend.
fn offload_header(
    how: &LocalDelivery,
    root: &SendfileRoot,
    relative: &Path,
) -> Result<Option<(HeaderName, HeaderValue)>, SendfileError> {
    Ok(Some(match how {
        LocalDelivery::Development => return Ok(None),
        LocalDelivery::Nginx { url } => (X_ACCEL_REDIRECT, accel_redirect_value(url, relative)?),
        LocalDelivery::Apache => (X_SENDFILE, xsendfile_value(&root.path.join(relative))?),
        LocalDelivery::Lighttpd => (
            X_SENDFILE,
            lighttpd_sendfile_value(&root.path.join(relative))?,
        ),
    }))
}

/// `path` relative to the root, if it lies beneath it.
fn relative_to_root(root: &SendfileRoot, path: &Path) -> Result<PathBuf, SendfileError> {
    let outside = || SendfileError::OutsideRoot {
        path: path.to_path_buf(),
        root: root.path.clone(),
    };
    // A relative path is taken against the working directory (the root is absolute).
    let absolute = if path.is_absolute() {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(std::path::absolute(path).map_err(|_| outside())?)
    };
    // `absolute` keeps `..` (resolving it lexically would be wrong across symlinks): refuse
    // it outright.
    if absolute
        .components()
        .any(|component| component == Component::ParentDir)
    {
        return Err(outside());
    }
    std::iter::once(&root.path)
        .chain(&root.canonical)
        .find_map(|root| absolute.strip_prefix(root).ok())
        .filter(|relative| !relative.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(outside)
}

/// Opens `relative` beneath `root` with the kernel's help. Blocking, as the storage's open is
/// (`O_NONBLOCK`, so a planted FIFO cannot hang it).
fn open_beneath(root: &Path, relative: &Path) -> Result<OpenedFile, SendfileError> {
    let path = root.join(relative);
    let dir = cap_std::fs::Dir::open_ambient_dir(root, cap_std::ambient_authority())
        .map_err(|source| SendfileError::from_open(path.clone(), source))?;
    let file = dir
        .open_with(
            relative,
            cap_std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32),
        )
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

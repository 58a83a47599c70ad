//! The validated configuration: what [`checks::validate`](crate::checks::validate) returns when
//! no check failed, and the only input the storage and delivery constructors take. Its types
//! can only hold valid combinations: a local storage pairs with a local-file delivery, an
//! object store with an object delivery; every URL prefix is well-formed, every key decoded,
//! the credentials present.

use std::{
    path::{Component, Path, PathBuf},
    time::Duration,
};

use crate::{config::S3Credentials, share::ShareKey};

/// A configuration that passed every check.
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) storage: StorageSettings,
    pub(crate) login_url: Option<String>,
    pub(crate) share: Option<ShareKey>,
}

impl Settings {
    /// Where an anonymous browser is sent (`login_url`); `None` when switched off.
    #[must_use]
    pub fn login_url(&self) -> Option<&str> {
        self.login_url.as_deref()
    }
}

/// The storage and how its files are delivered.
#[derive(Clone, Debug)]
pub(crate) enum StorageSettings {
    /// Files on the local disk.
    Local(LocalSettings),
    /// Objects in an S3 bucket.
    S3(S3Settings),
}

/// A local storage that passed the checks.
#[derive(Clone, Debug)]
pub(crate) struct LocalSettings {
    /// The storage folder, absolute.
    pub(crate) location: PathBuf,
    /// A valid folder URL (`/private-media/`).
    pub(crate) base_url: String,
    /// The folder the web server may send from, and where the location lies beneath it.
    pub(crate) root: SendfileRoot,
    /// How a permitted file is handed over.
    pub(crate) delivery: LocalDelivery,
}

/// How a local file is handed over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LocalDelivery {
    /// The app streams it.
    Development,
    /// `X-Accel-Redirect` to `url` followed by the file's path beneath the sendfile root.
    Nginx {
        /// A valid folder URL (`sendfile.url`).
        url: String,
    },
    /// `X-Sendfile` with the absolute path (mod_xsendfile).
    Apache,
    /// `X-Sendfile` with the absolute path, `%` escaped (lighttpd).
    Lighttpd,
}

/// `sendfile.root` and where the storage location lies beneath it, worked out once at boot.
#[derive(Clone, Debug)]
pub(crate) struct SendfileRoot {
    /// The root, absolute and lexically normalised.
    pub(crate) path: PathBuf,
    /// The root with symlinks resolved, when that differs: a path reached through the real
    /// folder is recognised as beneath the root too.
    pub(crate) canonical: Option<PathBuf>,
    /// The storage location relative to the root (empty when they are the same folder);
    /// `None` when the location does not lie beneath the root (`privates.W002`): then no
    /// stored file can be offloaded, and every download answers 404.
    pub(crate) location_within: Option<PathBuf>,
}

impl SendfileRoot {
    /// `root` (made absolute) and where `location` (absolute) lies beneath it.
    pub(crate) fn new(root: &Path, location: &Path) -> Self {
        let path = absolute(root);
        let canonical = std::fs::canonicalize(&path)
            .ok()
            .filter(|canonical| *canonical != path);
        let within = |location: &Path| {
            std::iter::once(&path)
                .chain(&canonical)
                .find_map(|root| location.strip_prefix(root).ok().map(Path::to_path_buf))
        };
        let location_within = within(location).or_else(|| within(&location.canonicalize().ok()?));
        Self {
            path,
            canonical,
            location_within,
        }
    }
}

/// `path` made absolute against the working directory, `.` and `..` folded lexically (for
/// configured folders, which are trusted; stored names with `..` are refused instead).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// An S3 storage that passed the checks.
#[derive(Clone, Debug)]
pub(crate) struct S3Settings {
    pub(crate) bucket: String,
    pub(crate) region: String,
    /// The service URL without a trailing `/`; AWS when `None`.
    pub(crate) endpoint: Option<String>,
    /// The key prefix (`""` for none).
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    pub(crate) credentials: S3Credentials,
    pub(crate) delivery: ObjectDelivery,
}

/// How an object is handed over.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ObjectDelivery {
    /// A redirect to a presigned URL valid for `expires`.
    Redirect {
        /// The lifetime of the presigned URL.
        expires: Duration,
    },
    /// The app streams the object.
    Stream,
}

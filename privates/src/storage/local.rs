//! The storage handle and its read/delete operations. Saving lives in `save.rs`.

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use cap_std::{
    ambient_authority,
    fs::{Dir, OpenOptions, OpenOptionsExt},
};

use super::{available::DEFAULT_MAX_NAME_LENGTH, error::StorageError, opened::OpenedFile};
use crate::name::validate_name;

/// Private files on the local disk, confined beneath one folder (Django's
/// `FileSystemStorage` as configured by django-privates).
///
/// Every name is checked by [`validate_name`], then resolved by the kernel beneath the root
/// folder (`openat2` with `RESOLVE_BENEATH` on Linux, through cap-std): a symlink that leads
/// outside `location`, or is absolute, makes the operation fail with
/// [`StorageError::Escapes`]. A relative symlink that stays inside the root is followed.
///
/// Cloning is cheap (the open root folder is shared). Operations that touch the disk are
/// `async` and run on tokio's blocking pool, so a tokio runtime must be running.
///
/// ```no_run
/// # async fn demo() -> Result<(), privates::storage::StorageError> {
/// use privates::storage::LocalStorage;
///
/// let storage = LocalStorage::new("/var/lib/myapp/private", "/private-media/")?;
/// let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("%PDF"))]);
/// let name = storage.save("invoices/march.pdf", stream).await?;
/// let opened = storage.open(&name).await?;
/// assert_eq!(opened.metadata.len(), 4);
/// assert_eq!(storage.url(&name)?, format!("/private-media/{name}"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LocalStorage {
    pub(super) inner: Arc<Inner>,
    pub(super) max_name_length: usize,
}

#[derive(Debug)]
pub(super) struct Inner {
    /// The root, opened once; every path is resolved beneath this descriptor.
    pub(super) root: Dir,
    location: PathBuf,
    base_url: String,
}

impl LocalStorage {
    /// Opens (creating it if missing) the storage folder `location`; files get URLs under
    /// `base_url`, which must start and end with `/`.
    ///
    /// A relative `location` is made absolute against the current folder, as Django does, so
    /// [`path`](Self::path) always gives absolute paths. This runs blocking calls once, at boot.
    ///
    /// # Errors
    /// [`StorageError::BaseUrl`] for a malformed `base_url`; [`StorageError::Location`] when the
    /// folder cannot be created or opened.
    pub fn new(
        location: impl Into<PathBuf>,
        base_url: impl Into<String>,
    ) -> Result<Self, StorageError> {
        let base_url = base_url.into();
        crate::urls::check_url_path(&base_url, crate::urls::UrlShape::Folder).map_err(
            |reason| StorageError::BaseUrl {
                base_url: base_url.clone(),
                reason,
            },
        )?;
        let location = location.into();
        let location_error = |source| StorageError::Location {
            location: location.clone(),
            source,
        };
        let absolute = std::path::absolute(&location).map_err(location_error)?;
        std::fs::create_dir_all(&absolute).map_err(location_error)?;
        let root = Dir::open_ambient_dir(&absolute, ambient_authority()).map_err(location_error)?;
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                location: absolute,
                base_url,
            }),
            max_name_length: DEFAULT_MAX_NAME_LENGTH,
        })
    }

    /// Sets the limit on whole stored names saved from now on, in characters (default
    /// [`DEFAULT_MAX_NAME_LENGTH`](super::DEFAULT_MAX_NAME_LENGTH), Django's `FileField`
    /// `max_length`). Match it to the database column that stores the names.
    #[must_use]
    pub fn with_max_name_length(mut self, max_name_length: usize) -> Self {
        self.max_name_length = max_name_length;
        self
    }

    /// The limit on whole stored names, in characters.
    #[must_use]
    pub fn max_name_length(&self) -> usize {
        self.max_name_length
    }

    /// The absolute path of the storage folder.
    #[must_use]
    pub fn location(&self) -> &Path {
        &self.inner.location
    }

    /// The URL prefix of stored files, starting and ending with `/`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Opens the regular file stored under `name` for reading, beneath the root; its metadata
    /// comes from the open descriptor, so it describes the very file that will be read.
    ///
    /// Only regular files are opened: a folder, named pipe or device gives
    /// [`StorageError::NotAFile`] without waiting on it.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::Escapes`], [`StorageError::NotFound`],
    /// [`StorageError::NotAFile`] for a folder or special file, or [`StorageError::Io`].
    pub async fn open(&self, name: &str) -> Result<OpenedFile, StorageError> {
        let name = validate_name(name)?.to_owned();
        // On the caller's thread, not tokio's blocking pool: an open reads no file data, only
        // the path's folders (which nginx, too, resolves in its event loop), and the round
        // trip to the pool cost more than the open itself (two thread switches per download).
        // `O_NONBLOCK` keeps a FIFO planted in the storage from blocking the thread; it has no
        // effect on a regular file.
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
        let file = self
            .inner
            .root
            .open_with(&name, &options)
            .map_err(|err| map_io(&name, err))?
            .into_std();
        let metadata = file
            .metadata()
            .map_err(|err| StorageError::io(&name, err))?;
        if !metadata.is_file() {
            return Err(StorageError::NotAFile { name });
        }
        Ok(OpenedFile {
            path: self.inner.location.join(&name),
            name,
            file,
            metadata,
        })
    }

    /// Deletes the file stored under `name`. A missing file is not an error (Django's
    /// `delete` is idempotent too).
    ///
    /// A symlink inside the root is removed itself (never its target), and only when it
    /// resolves beneath the root: one that points outside is refused with
    /// [`StorageError::Escapes`] and left for an administrator to look at.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::Escapes`], [`StorageError::NotAFile`]
    /// for a folder, or [`StorageError::Io`].
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let name = validate_name(name)?.to_owned();
        self.blocking(move |root| {
            // Resolving the name (following symlinks) first is what lets the kernel refuse a
            // symlink pointing outside; unlinking itself never follows the last component.
            match root.metadata(&name) {
                Ok(metadata) if !metadata.is_file() => {
                    return Err(StorageError::NotAFile { name });
                }
                Ok(_) => {}
                Err(err) => match map_io(&name, err) {
                    // Missing, or a dangling symlink inside the root: fall through to unlink.
                    StorageError::NotFound { .. } => {}
                    other => return Err(other),
                },
            }
            match root.remove_file(&name) {
                Ok(()) => Ok(()),
                Err(err) => match map_io(&name, err) {
                    StorageError::NotFound { .. } => Ok(()),
                    other => Err(other),
                },
            }
        })
        .await
    }

    /// Whether something (a file, a folder, a dangling symlink inside the root) is stored
    /// under `name`.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::Escapes`] for a name that resolves
    /// outside the root (rather than a `false` that would hide the problem), or
    /// [`StorageError::Io`].
    pub async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        let name = validate_name(name)?.to_owned();
        self.blocking(move |root| match root.metadata(&name) {
            Ok(_) => Ok(true),
            Err(err) => match map_io(&name, err) {
                StorageError::NotFound { .. } => match root.symlink_metadata(&name) {
                    Ok(_) => Ok(true),
                    Err(err) => match map_io(&name, err) {
                        StorageError::NotFound { .. } => Ok(false),
                        other => Err(other),
                    },
                },
                other => Err(other),
            },
        })
        .await
    }

    /// The size in bytes of the regular file stored under `name`.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub async fn size(&self, name: &str) -> Result<u64, StorageError> {
        let name = validate_name(name)?.to_owned();
        self.blocking(move |root| Ok(file_metadata(root, &name)?.len()))
            .await
    }

    /// The last modification time of the regular file stored under `name`.
    ///
    /// # Errors
    /// As [`open`](Self::open), or [`StorageError::Io`] where the platform has no
    /// modification time.
    pub async fn modified(&self, name: &str) -> Result<SystemTime, StorageError> {
        let name = validate_name(name)?.to_owned();
        self.blocking(move |root| {
            let metadata = file_metadata(root, &name)?;
            Ok(metadata
                .modified()
                .map_err(|err| StorageError::io(&name, err))?
                .into_std())
        })
        .await
    }

    /// The absolute on-disk path of `name`, for servers that send the file themselves
    /// (`X-Sendfile`). The file need not exist, but the name must be valid and must not
    /// resolve outside the root.
    ///
    /// The path is only a string: a symlink swapped in after this check is the web server's
    /// to refuse. Read through [`open`](Self::open) where possible.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::Escapes`].
    pub async fn path(&self, name: &str) -> Result<PathBuf, StorageError> {
        let name = validate_name(name)?.to_owned();
        let path = self.inner.location.join(&name);
        self.blocking(move |root| match root.metadata(&name) {
            Err(err) if is_escape(&err) => Err(StorageError::Escapes { name }),
            // Missing files, folders and the rest are the caller's business, as in Django.
            _ => Ok(()),
        })
        .await?;
        Ok(path)
    }

    /// The URL of `name`: [`base_url`](Self::base_url) followed by the name, each segment
    /// percent-encoded as Django's `filepath_to_uri` does (`/` kept). Does not touch the disk.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let storage = privates::storage::LocalStorage::new(dir.path(), "/private/")?;
    /// assert_eq!(storage.url("scans/my ID (1).pdf")?, "/private/scans/my%20ID%20(1).pdf");
    /// assert_eq!(storage.url("é.txt")?, "/private/%C3%A9.txt");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`StorageError::InvalidName`].
    pub fn url(&self, name: &str) -> Result<String, StorageError> {
        let name = validate_name(name)?;
        Ok(crate::urls::file_url(&self.inner.base_url, name))
    }

    /// Runs `f` with the root folder on tokio's blocking pool.
    pub(super) async fn blocking<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Dir) -> Result<T, StorageError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner.root))
            .await
            .map_err(join_error)?
    }
}

/// The metadata of a regular file beneath the root (following symlinks that stay inside).
fn file_metadata(root: &Dir, name: &str) -> Result<cap_std::fs::Metadata, StorageError> {
    let metadata = root.metadata(name).map_err(|err| map_io(name, err))?;
    if metadata.is_file() {
        Ok(metadata)
    } else {
        Err(StorageError::NotAFile {
            name: name.to_owned(),
        })
    }
}

/// A blocking task that panicked or was cancelled at shutdown.
pub(super) fn join_error(err: tokio::task::JoinError) -> StorageError {
    StorageError::io("", io::Error::other(format!("storage task failed: {err}")))
}

/// Gives an I/O error of an operation on `name` its storage meaning.
pub(super) fn map_io(name: &str, err: io::Error) -> StorageError {
    if is_escape(&err) {
        return StorageError::Escapes {
            name: name.to_owned(),
        };
    }
    match err.kind() {
        // ENOTDIR: a segment other than the last is a file, so nothing is stored under `name`.
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => StorageError::NotFound {
            name: name.to_owned(),
        },
        _ => StorageError::io(name, err),
    }
}

/// Whether cap-std refused to leave the root. It reports the kernel's `EXDEV` from `openat2`
/// with `RESOLVE_BENEATH` (and the same verdict of its fallback resolver on old kernels) as a
/// `PermissionDenied` error of its own, without an OS error code; a genuine `EACCES` from the
/// kernel always carries one.
pub(super) fn is_escape(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::PermissionDenied && err.raw_os_error().is_none()
}

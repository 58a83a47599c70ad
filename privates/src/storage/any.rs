//! The configured storage, local or S3, behind one type.

use std::{error::Error, io, pin::Pin, time::SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::{Checked, LocalStorage, Opened, S3Storage, StorageError};

/// The bytes of a save with the stream's own error type erased, as the backends read them.
pub(super) type Chunks<'a> =
    Pin<&'a mut (dyn Stream<Item = Result<Bytes, Box<dyn Error + Send + Sync>>> + Send + 'a)>;

/// The check of [`Storage::save_checked`], boxed once for both backends.
pub(super) type FileCheck<R> = Box<dyn FnOnce(std::fs::File) -> Result<(), R> + Send>;

/// Runs `check` on a handle of its own on the complete `file`, from the start: the outer error
/// is I/O's, the inner one the check's verdict.
pub(super) fn run_check<R>(file: &std::fs::File, check: FileCheck<R>) -> io::Result<Result<(), R>> {
    let mut handle = file.try_clone()?;
    io::Seek::rewind(&mut handle)?;
    Ok(check(handle))
}

/// The private storage the config chose (`storage.backend`). Its save, delete and metadata
/// operations behave alike on both backends: the same name rules, no overwrite.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Storage {
    /// Files on the local disk.
    Local(LocalStorage),
    /// Objects in an S3 bucket.
    S3(S3Storage),
}

impl Storage {
    /// Opens the file or object stored under `name` for reading: what the
    /// [delivery](crate::sendfile) answers for.
    ///
    /// # Errors
    /// See [`LocalStorage::open`] and [`S3Storage::open`].
    pub async fn open(&self, name: &str) -> Result<Opened, StorageError> {
        Ok(match self {
            Self::Local(storage) => Opened::File(storage.open(name).await?),
            Self::S3(storage) => Opened::Object(storage.open(name).await?),
        })
    }

    /// The local storage, if that is the backend.
    #[must_use]
    pub fn as_local(&self) -> Option<&LocalStorage> {
        match self {
            Self::Local(storage) => Some(storage),
            Self::S3(_) => None,
        }
    }

    /// See [`LocalStorage::save`] and [`S3Storage::save`].
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn save<S, E>(&self, name: &str, stream: S) -> Result<String, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        match self {
            Self::Local(storage) => storage.save(name, stream).await,
            Self::S3(storage) => storage.save(name, stream).await,
        }
    }

    /// [`save`](Self::save), with `check` run on the complete file before it is published: an
    /// upload that must be judged on all of its bytes (an image decoded in full) is never
    /// visible under a real name unless it passes. `check` gets its own handle on the file,
    /// positioned at the start, and runs on the blocking pool; its refusal comes back as
    /// [`Checked::Refused`], typed (nothing is stored).
    ///
    /// The local storage checks the temporary file in the destination folder, then links it;
    /// the S3 storage spools the stream to an anonymous temporary file (constant memory),
    /// checks it, then uploads it, retrying under the next free name when the key is taken
    /// meanwhile.
    ///
    /// # Errors
    /// Those of [`save`](Self::save).
    pub async fn save_checked<S, E, C, R>(
        &self,
        name: &str,
        stream: S,
        check: C,
    ) -> Result<Checked<R>, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
        C: FnOnce(std::fs::File) -> Result<(), R> + Send + 'static,
        R: Send + 'static,
    {
        let chunks = std::pin::pin!(stream.map(|chunk| chunk.map_err(Into::into)));
        match self {
            Self::Local(storage) => storage.save_checked(name, chunks, Box::new(check)).await,
            Self::S3(storage) => storage.save_checked(name, chunks, Box::new(check)).await,
        }
    }

    /// Saves `bytes` under `name` (or a free variant of it) and returns the stored name: for
    /// seeds and tests, where the bytes are at hand.
    ///
    /// # Errors
    /// As [`save`](Self::save).
    pub async fn save_bytes(
        &self,
        name: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String, StorageError> {
        let chunk = Ok::<_, std::convert::Infallible>(bytes.into());
        self.save(name, futures_util::stream::iter([chunk])).await
    }

    /// Deletes `name` and then its [variants](super::Variant) (its thumbnail); a missing file
    /// is not an error.
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        match self {
            Self::Local(storage) => storage.delete(name).await?,
            Self::S3(storage) => storage.delete(name).await?,
        }
        self.delete_variants(name).await
    }

    /// Whether something is stored under `name`.
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        match self {
            Self::Local(storage) => storage.exists(name).await,
            Self::S3(storage) => storage.exists(name).await,
        }
    }

    /// The size in bytes of the file `name`.
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn size(&self, name: &str) -> Result<u64, StorageError> {
        match self {
            Self::Local(storage) => storage.size(name).await,
            Self::S3(storage) => storage.size(name).await,
        }
    }

    /// The last modification of the file `name`.
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn modified(&self, name: &str) -> Result<SystemTime, StorageError> {
        match self {
            Self::Local(storage) => storage.modified(name).await,
            Self::S3(storage) => storage.modified(name).await,
        }
    }
}

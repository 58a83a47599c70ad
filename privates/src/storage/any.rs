//! The configured storage, local or S3, behind one type.

use std::{error::Error, time::SystemTime};

use bytes::Bytes;
use futures_util::Stream;

use super::{Checked, LocalStorage, Opened, S3Storage, StorageError};

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

    /// The S3 storage, if that is the backend.
    #[must_use]
    pub fn as_s3(&self) -> Option<&S3Storage> {
        match self {
            Self::S3(storage) => Some(storage),
            Self::Local(_) => None,
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

    /// See [`LocalStorage::save_checked`] and [`S3Storage::save_checked`].
    ///
    /// # Errors
    /// Those of the backend.
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
        match self {
            Self::Local(storage) => storage.save_checked(name, stream, check).await,
            Self::S3(storage) => storage.save_checked(name, stream, check).await,
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

//! The configured storage, local or S3, behind one type.

use std::{error::Error, time::SystemTime};

use bytes::Bytes;
use futures_util::Stream;

use super::{LocalStorage, S3Storage, StorageError};
use crate::upload_to::UploadTo;

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
    pub async fn save_checked<S, E, C>(
        &self,
        name: &str,
        stream: S,
        check: C,
    ) -> Result<String, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
        C: FnOnce(std::fs::File) -> Result<(), Box<dyn Error + Send + Sync>> + Send + 'static,
    {
        match self {
            Self::Local(storage) => storage.save_checked(name, stream, check).await,
            Self::S3(storage) => storage.save_checked(name, stream, check).await,
        }
    }

    /// Saves an upload under the name Django's `FileField` would give it
    /// ([`UploadTo::name_for`]) and returns the stored name, as [`save`](Self::save).
    ///
    /// # Errors
    /// Those of [`UploadTo::name_for`] and [`save`](Self::save).
    pub async fn save_upload<S, E>(
        &self,
        upload_to: &UploadTo,
        original_filename: &str,
        stream: S,
    ) -> Result<String, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        self.save(&upload_to.name_for(original_filename)?, stream)
            .await
    }

    /// [`save_upload`](Self::save_upload) with a `check` of the complete file before it is
    /// published, as [`save_checked`](Self::save_checked).
    ///
    /// # Errors
    /// Those of [`UploadTo::name_for`] and [`save_checked`](Self::save_checked).
    pub async fn save_upload_checked<S, E, C>(
        &self,
        upload_to: &UploadTo,
        original_filename: &str,
        stream: S,
        check: C,
    ) -> Result<String, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
        C: FnOnce(std::fs::File) -> Result<(), Box<dyn Error + Send + Sync>> + Send + 'static,
    {
        self.save_checked(&upload_to.name_for(original_filename)?, stream, check)
            .await
    }

    /// Deletes `name`; a missing file is not an error.
    ///
    /// # Errors
    /// Those of the backend.
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        match self {
            Self::Local(storage) => storage.delete(name).await,
            Self::S3(storage) => storage.delete(name).await,
        }
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

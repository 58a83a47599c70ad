//! A stored file seen from its model, as Django's `FieldFile` is: from an object and one of its
//! fields, the download URL, whether the file is there, its size, its bytes, and deleting it;
//! and removing every file of an object whose row is deleted (ActiveStorage's `purge`).
//!
//! ```ignore
//! let privates = Privates::from_ctx(&ctx)?;
//! let pdf = privates.file(&doc, IdDocument::PDF);
//! if pdf.exists().await? {
//!     println!("{} ({} bytes) at {:?}", pdf.name().unwrap_or_default(), pdf.size().await?.unwrap_or(0), pdf.url());
//! }
//! // After the row is deleted (and committed):
//! privates.delete_files(&doc, &[]).await?;
//! ```

use std::io;

use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::{
    model::{Field, PrivateMedia},
    storage::{Storage, StorageError},
    urls,
};

/// One field's file on one object (Django's `FieldFile`). Made by
/// [`Privates::file`](crate::Privates::file); every method answers from the configured storage,
/// local or S3.
pub struct FieldFile<'a, M: 'static> {
    files: &'a Storage,
    object: &'a M,
    field: Field<M>,
}

impl<M: PrivateMedia> std::fmt::Debug for FieldFile<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldFile")
            .field("field", &self.field.name())
            .field("name", &self.name())
            .finish()
    }
}

impl<'a, M: PrivateMedia> FieldFile<'a, M> {
    pub(crate) fn new(files: &'a Storage, object: &'a M, field: Field<M>) -> Self {
        Self {
            files,
            object,
            field,
        }
    }

    /// The stored name, `None` when the field is empty.
    #[must_use]
    pub fn name(&self) -> Option<&'a str> {
        self.field.stored_name(self.object)
    }

    /// The permission-checked download URL ([`urls::download_url`]), `None` when the field is
    /// empty or has no download route (`no_download`).
    #[must_use]
    pub fn url(&self) -> Option<String> {
        self.name()
            .filter(|_| !self.field.spec.no_download)
            .map(|_| urls::download_url(self.object, &self.field))
    }

    /// Whether a file is stored under the field's name (`false` for an empty field).
    ///
    /// # Errors
    /// When the storage fails or the name is refused.
    pub async fn exists(&self) -> Result<bool, StorageError> {
        match self.name() {
            Some(name) => self.files.exists(name).await,
            None => Ok(false),
        }
    }

    /// The size in bytes, `None` for an empty field.
    ///
    /// # Errors
    /// [`StorageError::NotFound`] when the field names a file that is not there; when the
    /// storage fails.
    pub async fn size(&self) -> Result<Option<u64>, StorageError> {
        match self.name() {
            Some(name) => self.files.size(name).await.map(Some),
            None => Ok(None),
        }
    }

    /// The bytes, chunk by chunk (constant memory), `None` for an empty field.
    ///
    /// # Errors
    /// As [`size`](Self::size).
    pub async fn open(
        &self,
    ) -> Result<Option<BoxStream<'static, io::Result<Bytes>>>, StorageError> {
        match self.name() {
            Some(name) => Ok(Some(self.files.open(name).await?.into_stream().await?)),
            None => Ok(None),
        }
    }

    /// Deletes the stored file (a missing one is not an error). The column still names it:
    /// clear the column in the same save, and delete the file only once the row no longer
    /// names it, so no row ever names a deleted file.
    ///
    /// # Errors
    /// When the storage fails or the name is refused.
    pub async fn delete(&self) -> Result<(), StorageError> {
        match self.name() {
            Some(name) => self.files.delete(name).await,
            None => Ok(()),
        }
    }
}

/// Deletes the files of every private field of `object` except those in `keep` (ActiveStorage's
/// `purge`; Django keeps them). Call it once the row is deleted and committed, from the delete
/// handler or an `ActiveModelBehavior::after_delete`: a failed delete of the row then leaves
/// its files in place.
pub(crate) async fn delete_files<M: PrivateMedia>(
    files: &Storage,
    object: &M,
    keep: &[Field<M>],
) -> Result<(), StorageError> {
    for field in M::fields() {
        if keep.iter().any(|kept| kept.name() == field.name()) {
            continue;
        }
        FieldFile::new(files, object, *field).delete().await?;
    }
    Ok(())
}

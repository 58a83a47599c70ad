//! Variants of a stored file (its thumbnail): derived files kept beside the original under a
//! name no upload can take ([`privates_rules::name::variant`]: `folder/~thumbnail/file`), and
//! removed with it by [`Storage::delete`], whichever path deletes the original (a replaced or
//! cleared field, [`FieldFile::delete`](crate::file::FieldFile::delete),
//! [`Privates::delete_files`](crate::Privates::delete_files)).

use std::io;

use bytes::Bytes;

use super::{
    LocalStorage, S3Storage, Storage, StorageError,
    local::join_error,
    save::{TempFile, open_folder, sync_folder},
};
use crate::name::{InvalidName, validate_name};

/// A kind of derived file. Every kind is removed with its original; adding one here is all
/// it takes for [`Storage::delete`] to remove it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Variant {
    /// A small image of an image (the admin's thumbnails).
    Thumbnail,
}

impl Variant {
    /// Every kind, the ones [`Storage::delete`] removes with an original.
    pub const ALL: [Self; 1] = [Self::Thumbnail];

    /// The kind's name, in the variant's folder (`~thumbnail`).
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Thumbnail => "thumbnail",
        }
    }

    /// The name of this variant of the stored file `name`
    /// ([`privates_rules::name::variant`]).
    ///
    /// ```
    /// use privates::storage::Variant;
    ///
    /// assert_eq!(Variant::Thumbnail.name_of("mugshots/me.jpg").unwrap(), "mugshots/~thumbnail/me.jpg");
    /// ```
    ///
    /// # Errors
    /// [`StorageError::InvalidName`] for an invalid `name`, or one whose variant's name is too
    /// long.
    pub fn name_of(self, name: &str) -> Result<String, StorageError> {
        privates_rules::name::variant(name, self.kind())
            .map_err(|rule| InvalidName::new(name, rule).into())
    }
}

impl Storage {
    /// Stores `bytes` as the `variant` of the stored file `name`, under
    /// [`Variant::name_of`], replacing an older one in one step (a reader sees the old bytes
    /// or the new, never a part), and returns the variant's name. Unlike
    /// [`save`](Self::save), the name is exact: a variant is derived data, and regenerating
    /// it replaces it.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::Escapes`], [`StorageError::Io`],
    /// [`StorageError::ObjectStore`].
    pub async fn save_variant(
        &self,
        name: &str,
        variant: Variant,
        bytes: Bytes,
    ) -> Result<String, StorageError> {
        let variant_name = variant.name_of(name)?;
        match self {
            Self::Local(storage) => storage.replace(&variant_name, bytes).await?,
            Self::S3(storage) => storage.replace(&variant_name, bytes).await?,
        }
        Ok(variant_name)
    }

    /// Deletes the variants of `name` (a missing one is not an error); a name too long to
    /// have variants has none.
    pub(super) async fn delete_variants(&self, name: &str) -> Result<(), StorageError> {
        for variant in Variant::ALL {
            let Ok(variant_name) = variant.name_of(name) else {
                continue;
            };
            match self {
                Self::Local(storage) => storage.delete(&variant_name).await?,
                Self::S3(storage) => storage.delete(&variant_name).await?,
            }
        }
        Ok(())
    }
}

impl LocalStorage {
    /// Writes `bytes` to a temporary file beside `name` and renames it over `name`.
    async fn replace(&self, name: &str, bytes: Bytes) -> Result<(), StorageError> {
        let name = validate_name(name)?.to_owned();
        let (folder, file_name) = match name.rsplit_once('/') {
            Some((folder, file_name)) => (folder.to_owned(), file_name.to_owned()),
            None => (String::new(), name.clone()),
        };
        let dir = {
            let name = name.clone();
            self.blocking(move |root| open_folder(root, &folder, &name))
                .await?
        };
        tokio::task::spawn_blocking(move || {
            let io_error = |err| StorageError::io(&name, err);
            let (temp, mut file) = TempFile::create(dir, &file_name)?;
            io::Write::write_all(&mut file, &bytes).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
            temp.dir
                .rename(&temp.name, &temp.dir, &file_name)
                .map_err(io_error)?;
            sync_folder(&temp.dir);
            Ok(())
        })
        .await
        .map_err(join_error)?
    }
}

impl S3Storage {
    /// Puts `bytes` under `name` (a `PUT` replaces the object in one step).
    async fn replace(&self, name: &str, bytes: Bytes) -> Result<(), StorageError> {
        let name = validate_name(name)?;
        let content_type = mime_guess::from_path(name).first_or_octet_stream();
        self.op
            .write_with(name, bytes)
            .content_type(content_type.essence_str())
            .await
            .map(|_| ())
            .map_err(|err| self.map_err("upload", name, err))
    }
}

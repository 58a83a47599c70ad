//! What the storage opened for reading: a local file or an object in a bucket.

use std::{fs::Metadata, io, path::PathBuf, sync::Arc, time::Duration, time::SystemTime};

use bytes::Bytes;
use futures_util::stream::BoxStream;

use super::StorageError;

/// A stored file or object, opened by [`Storage::open`](super::Storage::open): what the
/// delivery answers for.
#[derive(Debug)]
#[non_exhaustive]
pub enum Opened {
    /// A file of the local storage.
    File(OpenedFile),
    /// An object of the S3 storage.
    Object(OpenedObject),
}

impl Opened {
    /// Its size in bytes.
    #[must_use]
    pub fn size(&self) -> u64 {
        match self {
            Self::File(file) => file.metadata.len(),
            Self::Object(object) => object.len,
        }
    }

    /// Its bytes from the start, chunk by chunk (constant memory, whatever the size).
    ///
    /// # Errors
    /// When the object store refuses the read ([`StorageError::ObjectStore`]).
    pub async fn into_stream(self) -> Result<BoxStream<'static, io::Result<Bytes>>, StorageError> {
        use futures_util::StreamExt;
        match self {
            Self::File(file) => Ok(tokio_util::io::ReaderStream::with_capacity(
                tokio::fs::File::from_std(file.file),
                64 * 1024,
            )
            .boxed()),
            Self::Object(object) => object.source.read(&object, 0, object.len).await,
        }
    }

    /// A stamp of this very file: a later file under the same name has another one (a local
    /// file's inode, size and modification time to the nanosecond; an object's ETag and
    /// modification time). Share links sign it.
    #[must_use]
    pub fn version(&self) -> String {
        match self {
            Self::File(file) => file.version(),
            Self::Object(object) => format!(
                "{}-{}-{}",
                object.etag.as_deref().unwrap_or_default(),
                object.len,
                nanos(object.last_modified)
            ),
        }
    }
}

impl OpenedFile {
    /// See [`Opened::version`].
    #[must_use]
    pub fn version(&self) -> String {
        let inode = std::os::unix::fs::MetadataExt::ino(&self.metadata);
        format!(
            "{inode}-{}-{}",
            self.metadata.len(),
            nanos(self.metadata.modified().ok())
        )
    }
}

fn nanos(time: Option<SystemTime>) -> u128 {
    time.and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos())
}

/// A stored file, opened beneath the storage root, with what serving it needs.
#[derive(Debug)]
pub struct OpenedFile {
    /// The stored name (validated; relative to the storage root, `/`-separated).
    pub name: String,
    /// The absolute on-disk path (the storage location joined with the name).
    pub path: PathBuf,
    /// The open file. Opening happened beneath the root, so this is the file the name refers to
    /// even if a symlink is swapped in afterwards.
    pub file: std::fs::File,
    /// The file's metadata, read from the open descriptor.
    pub metadata: Metadata,
}

/// A stored object (a `HEAD` answered), with the means to read or presign it.
#[derive(Clone)]
pub struct OpenedObject {
    /// The stored name.
    pub name: String,
    /// Its size in bytes.
    pub len: u64,
    /// The object's ETag, as the store sends it (quoted).
    pub etag: Option<String>,
    /// Its last modification.
    pub last_modified: Option<SystemTime>,
    pub(crate) source: Arc<dyn ObjectSource>,
}

impl std::fmt::Debug for OpenedObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedObject")
            .field("name", &self.name)
            .field("len", &self.len)
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .finish_non_exhaustive()
    }
}

/// What the object-store deliveries need of a bucket: a presigned URL and ranged reads.
#[async_trait::async_trait]
pub(crate) trait ObjectSource: Send + Sync + 'static {
    /// A presigned `GET` URL of `object`, valid for `expires`, whose answer carries these
    /// response headers.
    async fn presign_get(
        &self,
        object: &OpenedObject,
        expires: Duration,
        overrides: &ResponseOverrides<'_>,
    ) -> Result<http::Uri, StorageError>;

    /// Bytes `start..start + len` of `object`, chunk by chunk.
    async fn read(
        &self,
        object: &OpenedObject,
        start: u64,
        len: u64,
    ) -> Result<BoxStream<'static, io::Result<Bytes>>, StorageError>;
}

/// The response headers a presigned URL makes the store send.
pub(crate) struct ResponseOverrides<'a> {
    pub(crate) content_type: &'a str,
    pub(crate) content_disposition: &'a str,
    pub(crate) cache_control: &'a str,
}

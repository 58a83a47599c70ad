//! Private files in an S3 bucket (AWS or any S3-compatible service), through opendal — the
//! object-store client loco already ships.
//!
//! Why opendal directly rather than loco's `loco_rs::storage` drivers: those wrap the same
//! opendal operator but offer neither conditional writes (`If-None-Match`, so a save never
//! overwrites), ranged reads, nor presigned URLs with response overrides (the
//! `Content-Disposition` and `Content-Type` the browser must get), and no per-call timeouts.

use std::{
    convert::Infallible,
    error::Error,
    io,
    sync::Arc,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use opendal::{ErrorKind, Operator, layers::TimeoutLayer};

use super::{
    any::{Chunks, FileCheck, run_check},
    available::{Candidates, DEFAULT_MAX_NAME_LENGTH},
    error::{Checked, StorageError},
    opened::{ObjectSource, OpenedObject, ResponseOverrides},
};
use crate::{
    config::S3StorageConfig,
    name::{make_valid_name, validate_name},
    settings::S3Settings,
};

/// The part size of multipart uploads: S3 wants at least 5 MiB per part (but the last). A save
/// holds at most one part in memory, whatever the file size.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// How many names a save tries before giving up (each taken name costs a `HEAD`).
const MAX_ATTEMPTS: usize = 100;

/// Where browsers put direct uploads (privates-admin) until they are checked and saved under a
/// real name. `~` never survives the name rules, so no saved file is ever under it.
pub const DIRECT_UPLOAD_PREFIX: &str = "~direct/";

/// An S3 bucket (and key prefix) holding the private files.
///
/// Names follow the local storage's rules ([`validate_name`], Django's `get_valid_filename`,
/// a random suffix for a taken name, at most [`DEFAULT_MAX_NAME_LENGTH`] characters). Every
/// call is bounded by `storage.timeout`, reads and writes chunk by chunk, so an unreachable
/// server gives [`StorageError::ObjectStore`] with a timeout rather than a hang. Cloning is
/// cheap.
#[derive(Clone, Debug)]
pub struct S3Storage {
    pub(super) op: Operator,
    bucket: String,
    timeout: Duration,
}

impl S3Storage {
    /// Connects (lazily: no request is made here) to the bucket of `config`, after the
    /// [checks](crate::checks) of an S3 storage (`privates.E201`–`E203`, `E209`, `E210`) with
    /// `config`'s credentials or those of the process environment.
    ///
    /// # Errors
    /// [`Error::Checks`](crate::Error::Checks) naming the key to fix.
    pub fn from_config(config: &S3StorageConfig) -> Result<Self, crate::Error> {
        let settings = crate::checks::validate_s3(config, &crate::checks::Environment::process())
            .map_err(crate::Error::Checks)?;
        Self::new(&settings)
    }

    /// Connects to the bucket of settings that passed the checks.
    pub(crate) fn new(settings: &S3Settings) -> Result<Self, crate::Error> {
        install_crypto_provider();
        let credentials = &settings.credentials;
        let mut builder = opendal::services::S3::default()
            .bucket(&settings.bucket)
            .region(&settings.region)
            .root(&format!("/{}", settings.prefix))
            .access_key_id(&credentials.access_key_id)
            .secret_access_key(&credentials.secret_access_key)
            // Only what was configured: no ~/.aws files, no instance metadata lookups.
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(token) = &credentials.session_token {
            builder = builder.session_token(token);
        }
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint(endpoint);
        }
        let timeout = settings.timeout;
        let op = Operator::new(builder)
            .map_err(|source| StorageError::ObjectStore {
                operation: "connect",
                name: String::new(),
                bucket: settings.bucket.clone(),
                timeout: timeout.as_secs(),
                source: Box::new(source),
            })?
            .layer(
                TimeoutLayer::new()
                    .with_timeout(timeout)
                    .with_io_timeout(timeout),
            );
        Ok(Self {
            op,
            bucket: settings.bucket.clone(),
            timeout,
        })
    }

    /// The bucket.
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Saves `stream` under `name` or, when that key is taken, a free variant of it
    /// (`name_XXXXXXX.ext`), and returns the stored name. The stream is spooled to an
    /// anonymous temporary file, then uploaded in [`PART_SIZE`] parts: memory stays constant.
    ///
    /// No overwrite: each candidate is checked with `HEAD`, then written with
    /// `If-None-Match: *`, which S3 (and most compatible servers) refuse when the key appeared
    /// in between; the upload is then retried under the next free name. On a server that
    /// ignores `If-None-Match` the window between the `HEAD` and the end of the upload is
    /// unprotected.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::NoAvailableName`],
    /// [`StorageError::Stream`], [`StorageError::Io`], [`StorageError::ObjectStore`].
    pub async fn save<S, E>(&self, name: &str, stream: S) -> Result<String, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Into<Box<dyn Error + Send + Sync>>,
    {
        let chunks = std::pin::pin!(stream.map(|chunk| chunk.map_err(Into::into)));
        self.save_checked(name, chunks, Box::new(|_| Ok::<(), Infallible>(())))
            .await
            .map(Checked::into_stored)
    }

    /// [`Storage::save_checked`](super::Storage::save_checked) on S3: the stream is spooled to
    /// an anonymous temporary file, checked, then uploaded from it.
    pub(super) async fn save_checked<R: Send + 'static>(
        &self,
        name: &str,
        mut chunks: Chunks<'_>,
        check: FileCheck<R>,
    ) -> Result<Checked<R>, StorageError> {
        let valid = make_valid_name(name)?;
        let (folder, file_name) = valid.rsplit_once('/').unwrap_or(("", &valid));
        let mut candidates = Candidates::new(folder, file_name, DEFAULT_MAX_NAME_LENGTH);
        let first = candidates.next_file_name()?;
        let io_error = |err| StorageError::io(name, err);
        let spool = tokio::task::spawn_blocking(tempfile::tempfile)
            .await
            .map_err(|err| io_error(io::Error::other(err)))?
            .map_err(io_error)?;
        let mut file = tokio::fs::File::from_std(spool);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(StorageError::Stream)?;
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
                .await
                .map_err(io_error)?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file)
            .await
            .map_err(io_error)?;
        let spool = file.into_std().await;
        let (spool, verdict) = tokio::task::spawn_blocking(move || {
            let verdict = run_check(&spool, check);
            (spool, verdict)
        })
        .await
        .map_err(|err| io_error(io::Error::other(err)))?;
        if let Err(refusal) = verdict.map_err(io_error)? {
            return Ok(Checked::Refused(refusal));
        }
        let mut spool = tokio::fs::File::from_std(spool);
        let mut file_name = first;
        for _ in 0..MAX_ATTEMPTS {
            let key = candidates.full_name(&file_name);
            // A `HEAD` first: a taken name costs no upload.
            let free = match self.op.stat(&key).await {
                Err(err) if err.kind() == ErrorKind::NotFound => true,
                Err(err) => return Err(self.map_err("HEAD", &key, err)),
                Ok(_) => false,
            };
            if free && self.upload_file(&key, &mut spool).await? {
                return Ok(Checked::Stored(key));
            }
            file_name = candidates.next_file_name()?;
        }
        Err(StorageError::NoAvailableName {
            name: candidates.full_name(&file_name),
            max_length: DEFAULT_MAX_NAME_LENGTH,
        })
    }

    /// The object stored under `name` (a `HEAD`): size, ETag, last modification.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::NotFound`], [`StorageError::ObjectStore`].
    pub async fn open(&self, name: &str) -> Result<OpenedObject, StorageError> {
        let name = validate_name(name)?;
        let meta = self
            .op
            .stat(name)
            .await
            .map_err(|err| self.map_err("HEAD", name, err))?;
        if meta.is_dir() {
            return Err(StorageError::NotAFile {
                name: name.to_owned(),
            });
        }
        Ok(OpenedObject {
            name: name.to_owned(),
            len: meta.content_length(),
            etag: meta.etag().map(str::to_owned),
            last_modified: meta.last_modified().map(SystemTime::from),
            source: Arc::new(self.clone()),
        })
    }

    /// Deletes `name`; a missing object is not an error.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::ObjectStore`].
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let name = validate_name(name)?;
        self.op
            .delete(name)
            .await
            .map_err(|err| self.map_err("DELETE", name, err))
    }

    /// Whether an object is stored under `name`.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::ObjectStore`].
    pub async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        match self.open(name).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The size in bytes of the object `name`.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub async fn size(&self, name: &str) -> Result<u64, StorageError> {
        Ok(self.open(name).await?.len)
    }

    /// The last modification of the object `name`.
    ///
    /// # Errors
    /// As [`open`](Self::open), or [`StorageError::Io`] when the server sent none.
    pub async fn modified(&self, name: &str) -> Result<SystemTime, StorageError> {
        self.open(name).await?.last_modified.ok_or_else(|| {
            StorageError::io(
                name,
                io::Error::other("the object store sent no Last-Modified"),
            )
        })
    }

    /// A presigned `GET` URL of `name`, valid for `expires`, whose response carries the given
    /// `Content-Type`, `Content-Disposition` and `Cache-Control` (S3's `response-*` query
    /// overrides, covered by the signature). Makes no request.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::ObjectStore`].
    pub async fn presign_get(
        &self,
        name: &str,
        expires: Duration,
        content_type: &str,
        content_disposition: &str,
        cache_control: &str,
    ) -> Result<http::Uri, StorageError> {
        let name = validate_name(name)?;
        let request = self
            .op
            .presign_read_with(name, expires)
            .override_content_type(content_type)
            .override_content_disposition(content_disposition)
            .override_cache_control(cache_control)
            .await
            .map_err(|err| self.map_err("presign", name, err))?;
        Ok(request.uri().clone())
    }

    /// A presigned `PUT` of `name`, valid for `expires`: its URL and the headers to send.
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::ObjectStore`].
    pub async fn presign_put(
        &self,
        name: &str,
        expires: Duration,
    ) -> Result<(http::Uri, http::HeaderMap), StorageError> {
        let name = validate_name(name)?;
        let request = (self.op.presign_write(name, expires).await)
            .map_err(|err| self.map_err("presign", name, err))?;
        Ok((request.uri().clone(), request.header().clone()))
    }

    /// Deletes (with `dry_run`, only lists) the objects under [`DIRECT_UPLOAD_PREFIX`] not
    /// modified for `older_than`, and returns their names.
    ///
    /// # Errors
    /// [`StorageError::ObjectStore`].
    pub async fn remove_stale_direct_uploads(
        &self,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<Vec<String>, StorageError> {
        let list_err = |err| self.map_err("LIST", DIRECT_UPLOAD_PREFIX, err);
        let lister = self.op.lister_with(DIRECT_UPLOAD_PREFIX).recursive(true);
        let mut entries = lister.await.map_err(list_err)?;
        let mut stale = Vec::new();
        while let Some(entry) = entries.next().await.transpose().map_err(list_err)? {
            let modified = entry.metadata().last_modified().map(SystemTime::from);
            if modified.is_some_and(|at| at.elapsed().unwrap_or_default() >= older_than) {
                if !dry_run {
                    self.delete(entry.path()).await?;
                }
                stale.push(entry.path().to_owned());
            }
        }
        Ok(stale)
    }

    async fn writer(&self, key: &str) -> Result<opendal::Writer, StorageError> {
        let content_type = mime_guess::from_path(key).first_or_octet_stream();
        let mut writer = self
            .op
            .writer_with(key)
            .chunk(PART_SIZE)
            .content_type(content_type.essence_str());
        if self.op.info().capability().write_with_if_not_exists {
            writer = writer.if_not_exists(true);
        }
        writer.await.map_err(|err| self.map_err("upload", key, err))
    }

    /// Uploads the whole spooled `file` (from its start) under `key`; `false` when another
    /// upload took `key` meanwhile (nothing was overwritten).
    async fn upload_file(
        &self,
        key: &str,
        file: &mut tokio::fs::File,
    ) -> Result<bool, StorageError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        file.rewind()
            .await
            .map_err(|err| StorageError::io(key, err))?;
        let mut writer = self.writer(key).await?;
        loop {
            let mut buffer = bytes::BytesMut::with_capacity(PART_SIZE);
            while buffer.len() < PART_SIZE {
                match file.read_buf(&mut buffer).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(err) => {
                        let _ = writer.abort().await;
                        return Err(StorageError::io(key, err));
                    }
                }
            }
            if buffer.is_empty() {
                break;
            }
            if let Err(err) = writer.write(buffer.freeze()).await {
                let _ = writer.abort().await;
                return Err(self.map_err("upload", key, err));
            }
        }
        match writer.close().await {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == ErrorKind::ConditionNotMatch => Ok(false),
            Err(err) => Err(self.map_err("upload", key, err)),
        }
    }

    /// Gives an opendal error its storage meaning; the message names the operation, the key,
    /// the bucket and, for timeouts, the configured limit.
    pub(super) fn map_err(
        &self,
        operation: &'static str,
        name: &str,
        err: opendal::Error,
    ) -> StorageError {
        match err.kind() {
            ErrorKind::NotFound => StorageError::NotFound {
                name: name.to_owned(),
            },
            ErrorKind::ConditionNotMatch if operation == "GET" => StorageError::NotFound {
                name: name.to_owned(),
            },
            _ => StorageError::ObjectStore {
                operation,
                name: name.to_owned(),
                bucket: self.bucket.clone(),
                timeout: self.timeout.as_secs(),
                source: Box::new(err),
            },
        }
    }
}

/// opendal's HTTP client (reqwest with rustls, no provider compiled in) uses the process-wide
/// rustls provider: install ring's, which the rest of the dependency tree already uses, unless
/// the app installed one. Then install opendal's reqwest transport as its default (first
/// installer wins: an app that installed its own keeps it). Its client is built lazily.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race against another installer is fine: one provider is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    opendal_http_transport_reqwest::install_default();
}

#[async_trait::async_trait]
impl ObjectSource for S3Storage {
    async fn presign_get(
        &self,
        object: &OpenedObject,
        expires: Duration,
        overrides: &ResponseOverrides<'_>,
    ) -> Result<http::Uri, StorageError> {
        S3Storage::presign_get(
            self,
            &object.name,
            expires,
            overrides.content_type,
            overrides.content_disposition,
            overrides.cache_control,
        )
        .await
    }

    async fn read(
        &self,
        object: &OpenedObject,
        start: u64,
        len: u64,
    ) -> Result<futures_util::stream::BoxStream<'static, io::Result<Bytes>>, StorageError> {
        // A ranged `GET`, conditional on the ETag: a file replaced meanwhile fails rather than
        // mixing two versions.
        let mut reader = self.op.reader_with(&object.name).chunk(PART_SIZE);
        if let Some(etag) = &object.etag {
            reader = reader.if_match(etag);
        }
        let reader = reader
            .await
            .map_err(|err| self.map_err("GET", &object.name, err))?;
        let stream = reader
            .into_bytes_stream(start..start + len)
            .await
            .map_err(|err| self.map_err("GET", &object.name, err))?;
        Ok(stream.boxed())
    }
}

//! Saving a stream without ever exposing a partial file or overwriting one: the bytes go to a
//! hidden temporary file in the destination folder, are flushed to disk, and the file is then
//! hard-linked under a free name (`linkat` fails instead of replacing an existing name), after
//! which the temporary name is removed.

use std::{convert::Infallible, error::Error, io, sync::Arc};

use bytes::Bytes;
use cap_std::fs::{Dir, OpenOptions};
use futures_util::{Stream, StreamExt};

use super::{
    any::{Chunks, FileCheck, run_check},
    available::{Candidates, random_alphanumeric},
    error::{Checked, StorageError},
    local::{LocalStorage, is_escape, join_error, map_io},
};
use crate::name::{Shown, make_valid_name};

/// How many linking attempts under fresh random names before giving up. With 62^7 suffixes a
/// second attempt is already rare; this only bounds a pathological folder.
const MAX_PUBLISH_ATTEMPTS: usize = 100;

/// Bytes of the original file name kept in the temporary name, to recognise it in a listing.
const TEMP_PREFIX_BYTES: usize = 64;

impl LocalStorage {
    /// Saves the bytes of `stream` under `name` (or a free variant of it) and returns the
    /// stored name, which is what a model's field keeps.
    ///
    /// - `name` must pass [`validate_name`](super::validate_name) (a traversal is refused, not
    ///   repaired); each segment is then made valid with
    ///   [`get_valid_filename`](super::get_valid_filename); missing folders are created
    ///   beneath the root.
    /// - The stream is written chunk by chunk (memory use does not grow with the file) to a
    ///   hidden `.name~XXXXXXXX.part` file in the destination folder, then flushed to disk.
    /// - The file never replaces an existing one: a taken name, or one longer than
    ///   [`max_name_length`](Self::max_name_length), becomes `stem_XXXXXXX.ext` (7 random
    ///   letters and digits, the stem cut to fit), as Django's `get_available_name` does.
    ///   Concurrent saves of one name all succeed under distinct names.
    /// - If the stream fails, or the future is dropped before the end, the temporary file is
    ///   removed and nothing appears under a real name. (Dropped during the final link, which
    ///   runs to completion on the blocking pool, the complete file may stay stored.)
    ///
    /// # Errors
    /// [`StorageError::InvalidName`], [`StorageError::NoAvailableName`],
    /// [`StorageError::Escapes`] (a folder of the name is a symlink leading outside),
    /// [`StorageError::Stream`] when the stream yields an error, [`StorageError::Io`].
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

    /// [`Storage::save_checked`](super::Storage::save_checked) on the local disk: `check` runs
    /// on the complete temporary file, which is linked under a real name only if it passes.
    pub(super) async fn save_checked<R: Send + 'static>(
        &self,
        name: &str,
        mut chunks: Chunks<'_>,
        check: FileCheck<R>,
    ) -> Result<Checked<R>, StorageError> {
        let name = make_valid_name(name)?;
        let (folder, file_name) = match name.rsplit_once('/') {
            Some((folder, file_name)) => (folder.to_owned(), file_name.to_owned()),
            None => (String::new(), name.clone()),
        };
        let mut candidates = Candidates::new(&folder, &file_name, self.max_name_length);
        // An impossible name fails here, before a byte of the stream is read.
        let first = candidates.next_file_name()?;

        let dir = {
            let name = name.clone();
            self.blocking(move |root| open_folder(root, &folder, &name))
                .await?
        };
        let (temp, file) = tokio::task::spawn_blocking(move || TempFile::create(dir, &file_name))
            .await
            .map_err(join_error)??;

        // From here on, returning early or being dropped drops `temp`, which removes the file.
        // The chunks are written as they came (no copy into a buffer of tokio's), a batch of
        // them per trip to the blocking pool.
        let mut file = file;
        let mut batch = Vec::new();
        let mut batched = 0;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(StorageError::Stream)?;
            batched += chunk.len();
            batch.push(chunk);
            if batched >= WRITE_BATCH {
                let chunks = std::mem::take(&mut batch);
                batched = 0;
                let written = name.clone();
                file = tokio::task::spawn_blocking(move || write_chunks(file, &chunks))
                    .await
                    .map_err(join_error)?
                    .map_err(|err| StorageError::io(&written, err))?;
            }
        }

        tokio::task::spawn_blocking(move || {
            let io_error = |err| StorageError::io(&name, err);
            let file = write_chunks(file, &batch).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
            // A refused file is removed with `temp`.
            if let Err(refusal) = run_check(&file, check).map_err(io_error)? {
                return Ok(Checked::Refused(refusal));
            }
            publish(temp, first, candidates).map(Checked::Stored)
        })
        .await
        .map_err(join_error)?
    }
}

/// Bytes gathered from the stream before they are written in one trip to the blocking pool:
/// the stream's chunks are often small (a network read's worth), and each trip costs two
/// thread switches.
const WRITE_BATCH: usize = 256 * 1024;

/// Writes `chunks` at the end of `file` and hands the file back.
fn write_chunks(mut file: std::fs::File, chunks: &[Bytes]) -> io::Result<std::fs::File> {
    for chunk in chunks {
        io::Write::write_all(&mut file, chunk)?;
    }
    Ok(file)
}

/// Creates `folder` beneath the root if needed and opens it (the root itself for `""`).
pub(super) fn open_folder(root: &Dir, folder: &str, name: &str) -> Result<Arc<Dir>, StorageError> {
    if folder.is_empty() {
        return Ok(Arc::new(
            root.try_clone()
                .map_err(|err| StorageError::io(name, err))?,
        ));
    }
    let folder_error = |err: io::Error| {
        if is_escape(&err) {
            StorageError::Escapes {
                name: name.to_owned(),
            }
        } else {
            StorageError::io(
                name,
                io::Error::new(
                    err.kind(),
                    format!(
                        "cannot create the folder {} in the private storage: {err}",
                        Shown(folder)
                    ),
                ),
            )
        }
    };
    // Opening decides: creating fails with "exists" for a symlink leading outside, and the
    // kernel's verdict on it comes from resolving the folder.
    let created = root.create_dir_all(folder);
    match root.open_dir(folder) {
        Ok(dir) => Ok(Arc::new(dir)),
        Err(err) if is_escape(&err) => Err(folder_error(err)),
        Err(err) => Err(folder_error(created.err().unwrap_or(err))),
    }
}

/// A temporary file being written; dropping it removes its name (the data survives only if it
/// was linked under a real name before).
pub(super) struct TempFile {
    pub(super) dir: Arc<Dir>,
    pub(super) name: String,
}

impl TempFile {
    /// Creates a new hidden file in `dir`, never opening an existing one (`O_CREAT|O_EXCL`).
    pub(super) fn create(
        dir: Arc<Dir>,
        file_name: &str,
    ) -> Result<(Self, std::fs::File), StorageError> {
        let mut prefix_end = file_name.len().min(TEMP_PREFIX_BYTES);
        while !file_name.is_char_boundary(prefix_end) {
            prefix_end -= 1;
        }
        let prefix = &file_name[..prefix_end];
        let mut options = OpenOptions::new();
        // Readable too: a `save_checked` check reads the file back before it is published.
        options.read(true).write(true).create_new(true);
        let mut last_error = None;
        for _ in 0..MAX_PUBLISH_ATTEMPTS {
            // `~` never survives `get_valid_filename`, which every saved name passes: no
            // stored file can look like a temporary one (the cleanup task relies on it).
            let name = format!(".{prefix}~{}.part", random_alphanumeric(8));
            match dir.open_with(&name, &options) {
                Ok(file) => return Ok((Self { dir, name }, file.into_std())),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last_error = Some(err),
                Err(err) => return Err(map_io(&name, err)),
            }
        }
        Err(StorageError::io(
            file_name,
            last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")),
        ))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        match self.dir.remove_file(&self.name) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!(
                temp_file = %Shown(&self.name),
                error = %err,
                "privates: could not remove a temporary upload file; delete it by hand"
            ),
        }
    }
}

/// Links the written temporary file under the first free candidate name, then lets the
/// temporary name go. Returns the whole stored name.
fn publish(
    temp: TempFile,
    first: String,
    mut candidates: Candidates,
) -> Result<String, StorageError> {
    let mut candidate = first;
    for _ in 0..MAX_PUBLISH_ATTEMPTS {
        match temp.dir.hard_link(&temp.name, &temp.dir, &candidate) {
            Ok(()) => {
                let dir = Arc::clone(&temp.dir);
                drop(temp);
                sync_folder(&dir);
                return Ok(candidates.full_name(&candidate));
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                candidate = candidates.next_file_name()?;
            }
            Err(err) => {
                return Err(StorageError::io(
                    &candidates.full_name(&candidate),
                    io::Error::new(
                        err.kind(),
                        format!(
                            "cannot link the uploaded file under its name (the storage needs a \
                             file system with hard links): {err}"
                        ),
                    ),
                ));
            }
        }
    }
    Err(StorageError::NoAvailableName {
        name: candidates.full_name(&candidate),
        max_length: candidates.max_length(),
    })
}

/// Flushes the folder entry of the new name to disk, so a crash right after `save` returns
/// does not lose a name the caller already recorded. The file is stored either way; a failure
/// here is only logged.
pub(super) fn sync_folder(dir: &Dir) {
    // cap-std holds folders as `O_PATH` descriptors, which `fsync` refuses (EBADF): open the
    // folder itself for reading.
    if let Err(err) = dir.open(".").and_then(|folder| folder.sync_all()) {
        tracing::warn!(error = %err, "privates: could not flush a storage folder to disk");
    }
}

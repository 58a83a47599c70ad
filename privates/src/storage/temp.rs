//! Finding and removing the hidden temporary files that interrupted saves leave behind.
//!
//! [`save`](LocalStorage::save) writes each upload to `.<name>~<8 letters or digits>.part` in
//! the destination folder and removes that name once the file is published or the save fails.
//! Only a process that dies in between (SIGKILL, power loss, an OOM kill) leaves one behind:
//! never under a real name, but taking space. [`LocalStorage::remove_stale_temp_files`] (the
//! `privates_clean_temp` task) removes those older than a given age, so uploads still in flight
//! (whose file is written to all the time) are left alone.

use std::{
    io,
    time::{Duration, SystemTime},
};

use cap_std::fs::{Dir, MetadataExt};

use super::{error::StorageError, local::LocalStorage};
use crate::name::Shown;

/// How a temporary file's name ends.
const TEMP_SUFFIX: &str = ".part";

/// How many random letters and digits a temporary file's name carries before the suffix.
const TEMP_RANDOM_CHARS: usize = 8;

/// One temporary file of an unfinished save, found beneath the storage root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TempFileEntry {
    /// Its path relative to the root, `/`-separated (`docs/.scan.pdf~Ab3dE5gH.part`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written to.
    pub modified: SystemTime,
}

impl TempFileEntry {
    /// How long ago it was last written to (zero for a time in the future).
    #[must_use]
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.modified).unwrap_or_default()
    }
}

/// What [`LocalStorage::remove_stale_temp_files`] found and did.
#[derive(Debug, Default)]
pub struct TempCleanup {
    /// The stale temporary files that were removed.
    pub removed: Vec<TempFileEntry>,
    /// Temporary files written to more recently than the age: possibly uploads in flight, left
    /// alone.
    pub kept: Vec<TempFileEntry>,
    /// Stale temporary files that could not be removed, with the reason (also logged).
    pub failed: Vec<(TempFileEntry, io::Error)>,
}

impl TempCleanup {
    /// The bytes given back by the removed files.
    #[must_use]
    pub fn removed_bytes(&self) -> u64 {
        self.removed.iter().map(|entry| entry.size).sum()
    }
}

/// Whether `file_name` (one path segment) has the shape of a temporary file of
/// [`save`](LocalStorage::save): `.<a prefix of the stored name>~<8 letters or digits>.part`.
fn is_temp_file_name(file_name: &str) -> bool {
    let Some(middle) = file_name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let Some((prefix, random)) = middle.rsplit_once('~') else {
        return false;
    };
    !prefix.is_empty()
        && random.len() == TEMP_RANDOM_CHARS
        && random.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl LocalStorage {
    /// Every temporary file of an unfinished save beneath the root, in no particular order:
    /// regular files named like [`save`](Self::save)'s temporary files. Symlinks are never
    /// followed, neither to files nor to folders, so only the storage's own tree is looked at.
    ///
    /// A save in progress has one too; see
    /// [`remove_stale_temp_files`](Self::remove_stale_temp_files) to tell them apart by age.
    ///
    /// # Errors
    /// [`StorageError::Io`](super::StorageError::Io) when the root cannot be read. A subfolder
    /// that cannot be read is skipped with a logged warning.
    pub async fn temp_files(&self) -> Result<Vec<TempFileEntry>, super::StorageError> {
        self.blocking(|root| find_temp_files(root).map_err(|err| StorageError::io("", err)))
            .await
    }

    /// Removes the temporary files that interrupted saves left behind (a process killed while
    /// receiving an upload): those not written to for `older_than` or longer. Younger ones may
    /// belong to uploads still in flight and are kept; a stored file is never touched, and
    /// symlinks are never followed.
    ///
    /// Each file's age is checked again right before it is removed. An upload that stalls for
    /// longer than `older_than` and then resumes fails when it is published (its temporary
    /// file is gone); choose an age well above the slowest upload (the task's default is one
    /// hour). With the app stopped, any age is safe, zero included.
    ///
    /// ```no_run
    /// # async fn demo(storage: privates::storage::LocalStorage) -> Result<(), privates::storage::StorageError> {
    /// use std::time::Duration;
    ///
    /// let cleanup = storage.remove_stale_temp_files(Duration::from_secs(3600)).await?;
    /// println!("removed {} files ({} bytes)", cleanup.removed.len(), cleanup.removed_bytes());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`temp_files`](Self::temp_files). A file that cannot be removed is reported in
    /// [`TempCleanup::failed`], not as an error.
    pub async fn remove_stale_temp_files(
        &self,
        older_than: Duration,
    ) -> Result<TempCleanup, super::StorageError> {
        self.blocking(move |root| {
            let mut cleanup = TempCleanup::default();
            for entry in find_temp_files(root).map_err(|err| StorageError::io("", err))? {
                let now = SystemTime::now();
                if entry.age(now) < older_than {
                    cleanup.kept.push(entry);
                    continue;
                }
                match remove_if_stale(root, &entry.name, older_than) {
                    Ok(Removal::Removed) => cleanup.removed.push(entry),
                    Ok(Removal::Gone) => {}
                    Ok(Removal::Fresh(entry)) => cleanup.kept.push(entry),
                    Err(err) => {
                        tracing::warn!(
                            temp_file = %Shown(&entry.name),
                            error = %err,
                            "privates: could not remove a stale temporary upload file"
                        );
                        cleanup.failed.push((entry, err));
                    }
                }
            }
            Ok(cleanup)
        })
        .await
    }
}

/// What happened to one stale candidate.
enum Removal {
    Removed,
    /// It disappeared meanwhile (its save finished or failed).
    Gone,
    /// It was written to meanwhile: kept, with its new metadata.
    Fresh(TempFileEntry),
}

/// Removes the temporary file `name` unless it changed into something else or was written to
/// since it was found. The final unlink never follows a symlink.
fn remove_if_stale(root: &Dir, name: &str, older_than: Duration) -> io::Result<Removal> {
    let metadata = match root.symlink_metadata(name) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Removal::Gone),
        Err(err) => return Err(err),
    };
    if !metadata.is_file() {
        return Ok(Removal::Gone);
    }
    let entry = TempFileEntry {
        name: name.to_owned(),
        size: metadata.len(),
        modified: metadata.modified()?.into_std(),
    };
    if entry.age(SystemTime::now()) < older_than {
        return Ok(Removal::Fresh(entry));
    }
    match root.remove_file(name) {
        Ok(()) => Ok(Removal::Removed),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Removal::Gone),
        Err(err) => Err(err),
    }
}

/// Walks the tree beneath `root` (never through a symlink) and lists the temporary files.
fn find_temp_files(root: &Dir) -> io::Result<Vec<TempFileEntry>> {
    let mut found = Vec::new();
    // An explicit stack rather than recursion: a deep tree cannot exhaust the thread's stack.
    let mut pending: Vec<(Dir, String)> = vec![(root.try_clone()?, String::new())];
    let mut first = true;
    while let Some((dir, prefix)) = pending.pop() {
        let entries = match dir.entries() {
            Ok(entries) => entries,
            // The root itself must be readable; a subfolder that is not is reported and skipped.
            Err(err) if first => return Err(err),
            Err(err) => {
                skip_folder(&prefix, &err);
                continue;
            }
        };
        first = false;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    skip_folder(&prefix, &err);
                    continue;
                }
            };
            let Ok(file_name) = entry.file_name().into_string() else {
                // Not UTF-8: no name `save` writes, so no temporary file of ours.
                continue;
            };
            let path = if prefix.is_empty() {
                file_name.clone()
            } else {
                format!("{prefix}/{file_name}")
            };
            // `DirEntry::metadata` does not follow symlinks (lstat).
            let metadata = match entry.metadata() {
                Ok(metadata) => metadata,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => {
                    skip_folder(&path, &err);
                    continue;
                }
            };
            if metadata.is_dir() {
                match open_same_folder(&entry, &metadata) {
                    Ok(Some(sub)) => pending.push((sub, path)),
                    Ok(None) => {}
                    Err(err) => skip_folder(&path, &err),
                }
            } else if metadata.is_file() && is_temp_file_name(&file_name) {
                found.push(TempFileEntry {
                    name: path,
                    size: metadata.len(),
                    modified: metadata.modified()?.into_std(),
                });
            }
        }
    }
    Ok(found)
}

/// Opens the folder of `entry`, `None` if it was replaced (by a symlink, say) since it was
/// listed: the opened folder must be the very one whose metadata was read without following.
fn open_same_folder(
    entry: &cap_std::fs::DirEntry,
    listed: &cap_std::fs::Metadata,
) -> io::Result<Option<Dir>> {
    let dir = entry.open_dir()?;
    let opened = dir.dir_metadata()?;
    Ok((opened.dev() == listed.dev() && opened.ino() == listed.ino()).then_some(dir))
}

fn skip_folder(path: &str, err: &io::Error) {
    tracing::warn!(
        folder = %Shown(path),
        error = %err,
        "privates: skipped a folder while looking for temporary upload files"
    );
}

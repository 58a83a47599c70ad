//! A stored file opened for reading.

use std::{fs::Metadata, path::PathBuf};

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

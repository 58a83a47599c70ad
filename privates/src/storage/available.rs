//! Choosing a free name for a new file: Django's `Storage.get_available_name`.
//!
//! The choice is only a proposal: the name is really taken when the file is linked under it,
//! which fails if another file got there first (see `save.rs`); then the next candidate is
//! tried. So the check and the use cannot race.

use rand::{Rng, distr::Alphanumeric};

use super::error::StorageError;
use crate::name::MAX_SEGMENT_BYTES;

/// The default limit on a whole stored name (folders included), in characters: the
/// `max_length` of Django's `FileField`, so names fit the same database columns.
pub const DEFAULT_MAX_NAME_LENGTH: usize = 100;

/// Length of the random part of an alternative name (`photo_AbC12xY.jpg`), as in Django.
const SUFFIX_LEN: usize = 7;

/// Candidate names for one file in one folder: first the name itself (when it fits), then
/// `stem_XXXXXXX.ext` with a fresh random suffix each time, the stem cut so the name fits.
#[derive(Debug)]
pub(crate) struct Candidates {
    /// The folder part, `""` or ending with `/`.
    folder: String,
    /// The whole file name asked for.
    file_name: String,
    /// The file name without its extensions, cut when needed (the cut sticks, as in Django).
    stem: String,
    /// All extensions (`.tar.gz`), as Django's `"".join(PurePath(name).suffixes)`.
    ext: String,
    max_length: usize,
    first: bool,
}

impl Candidates {
    /// Candidates for `file_name` in `folder` (`""` for the root, else without trailing `/`).
    pub(crate) fn new(folder: &str, file_name: &str, max_length: usize) -> Self {
        let (stem, ext) = split_extensions(file_name);
        Self {
            folder: if folder.is_empty() {
                String::new()
            } else {
                format!("{folder}/")
            },
            file_name: file_name.to_owned(),
            stem: stem.to_owned(),
            ext: ext.to_owned(),
            max_length,
            first: true,
        }
    }

    /// The whole stored name of a candidate file name.
    pub(crate) fn full_name(&self, file_name: &str) -> String {
        format!("{}{file_name}", self.folder)
    }

    /// The next candidate file name (the last segment only).
    ///
    /// # Errors
    /// [`StorageError::NoAvailableName`] when the stem would have to be cut to nothing.
    pub(crate) fn next_file_name(&mut self) -> Result<String, StorageError> {
        if std::mem::take(&mut self.first) && self.fits(&self.file_name) {
            return Ok(self.file_name.clone());
        }
        let mut candidate = self.alternative();
        let over = self.chars_over(&candidate);
        if over > 0 || candidate.len() > MAX_SEGMENT_BYTES {
            // Django cuts exactly the overflow off the stem; the byte limit of the file system
            // is ours (a name of 4-byte characters can fit 100 characters, not 255 bytes).
            let keep = self.stem.chars().count().saturating_sub(over);
            self.stem = self.stem.chars().take(keep).collect();
            while self.alternative_len() > MAX_SEGMENT_BYTES && self.stem.pop().is_some() {}
            if self.stem.is_empty() {
                return Err(StorageError::NoAvailableName {
                    name: self.full_name(&self.file_name),
                    max_length: self.max_length,
                });
            }
            candidate = self.alternative();
        }
        Ok(candidate)
    }

    /// The limit on the whole stored name, in characters.
    pub(crate) fn max_length(&self) -> usize {
        self.max_length
    }

    fn fits(&self, file_name: &str) -> bool {
        self.chars_over(file_name) == 0 && file_name.len() <= MAX_SEGMENT_BYTES
    }

    fn chars_over(&self, file_name: &str) -> usize {
        (self.folder.chars().count() + file_name.chars().count()).saturating_sub(self.max_length)
    }

    fn alternative(&self) -> String {
        format!(
            "{}_{}{}",
            self.stem,
            random_alphanumeric(SUFFIX_LEN),
            self.ext
        )
    }

    fn alternative_len(&self) -> usize {
        self.stem.len() + 1 + SUFFIX_LEN + self.ext.len()
    }
}

/// `len` random ASCII letters and digits, as Django's `get_random_string`.
pub(crate) fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Splits `name` into stem and all extensions the way Python's `PurePath.suffixes` sees them:
/// leading dots belong to the stem (`.bashrc` has none), a trailing dot means none.
fn split_extensions(name: &str) -> (&str, &str) {
    if name.ends_with('.') {
        return (name, "");
    }
    let leading = name.len() - name.trim_start_matches('.').len();
    match name[leading..].find('.') {
        Some(dot) => name.split_at(leading + dot),
        None => (name, ""),
    }
}

//! Private files on the local disk (Django's `FileSystemStorage` as django-privates configures
//! it, confined beneath one folder) or in an S3 bucket ([`S3Storage`]); [`Storage`] is
//! whichever the config chose.
//!
//! - [`LocalStorage`] saves streams (temporary file, then a link that never overwrites), opens,
//!   deletes, measures and locates stored files, and builds their URLs; it also finds and
//!   removes the temporary files a killed process left behind
//!   ([`LocalStorage::remove_stale_temp_files`]).
//! - [`validate_name`] is the gate for stored names read from untrusted places (the database,
//!   a URL); [`get_valid_filename`] and [`valid_upload_filename`] make user-supplied file names
//!   valid as Django does.
//! - Every operation resolves names beneath the root with the kernel's help (`openat2` with
//!   `RESOLVE_BENEATH` on Linux, through cap-std), so a symlink leading outside is refused with
//!   [`StorageError::Escapes`] even when the name itself looks harmless.

mod any;
mod available;
mod error;
mod local;
mod opened;
mod s3;
mod save;
mod temp;
mod variant;

pub use crate::name::{
    InvalidName, MAX_NAME_BYTES, MAX_SEGMENT_BYTES, NameError, get_valid_filename,
    valid_upload_filename, validate_name,
};
pub use any::Storage;
pub use available::DEFAULT_MAX_NAME_LENGTH;
pub use error::{Checked, StorageError};
pub use local::LocalStorage;
pub use opened::{Opened, OpenedFile, OpenedObject};
pub use s3::{DIRECT_UPLOAD_PREFIX, PART_SIZE, S3Storage};

pub(crate) use opened::ResponseOverrides;
pub use temp::{TempCleanup, TempFileEntry};
pub use variant::Variant;

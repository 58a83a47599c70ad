//! File facts: the size and the type of a stored file, shown next to its link ("Currently:
//! report.pdf (2.4 MB, application/pdf)") on change forms and change lists.
//!
//! The size comes from the configured storage ([`Storage::size`]: local disk or S3), so it is
//! read asynchronously before a page is rendered: [`ModelAdmin::facts`](crate::ModelAdmin::facts)
//! reads the facts of an object's files, and the widgets built with them
//! ([`ModelAdmin::widget_with_facts`](crate::ModelAdmin::widget_with_facts),
//! [`FileWidget::facts`](crate::FileWidget::facts)) show them. Reading facts never fails: a
//! file missing from the storage is [`FileSize::Missing`] (the widget says "missing", as the
//! download answers 404), and a storage that cannot answer (an I/O error, an unreachable
//! bucket, no answer within [`FACTS_TIMEOUT`]) is [`FileSize::Unknown`], logged. A page is
//! never refused because of a file.
//!
//! The type is the `Content-Type` the download sends: the field's
//! [`ViewOptions::mimetype`], else the guess from the stored name's extension (the same
//! `mime_guess` table the download uses), else `application/octet-stream`.
//!
//! ```
//! use privates::ViewOptions;
//! use privates_admin::facts::FileFacts;
//!
//! assert_eq!(FileFacts::content_type("docs/report.pdf", &ViewOptions::INLINE), "application/pdf");
//! assert_eq!(FileFacts::content_type("backup.tar.gz", &ViewOptions::INLINE), "application/gzip");
//! assert_eq!(FileFacts::content_type("README", &ViewOptions::INLINE), "application/octet-stream");
//! let forced = ViewOptions { mimetype: Some("text/plain"), ..ViewOptions::INLINE };
//! assert_eq!(FileFacts::content_type("notes.md", &forced), "text/plain");
//! ```

use std::{fmt, time::Duration};

use privates::{ViewOptions, sendfile::SendfileOptions, storage::Storage};

use crate::upload::human_size;

/// How long reading the facts of one file may take before the page shows its size as
/// [`FileSize::Unknown`] (an unreachable bucket must not hold the page).
pub const FACTS_TIMEOUT: Duration = Duration::from_secs(5);

/// What the storage says about the size of a stored file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSize {
    /// The file's size, in bytes.
    Bytes(u64),
    /// No file is stored under the name (or the name is one the storage refuses): its
    /// download answers 404.
    Missing,
    /// The storage could not say (an I/O error, an unreachable bucket, a timeout); the cause
    /// was logged.
    Unknown,
}

impl fmt::Display for FileSize {
    /// `2.4 MB` (decimal units, as [`human_size`] writes them), `missing`, `size unknown`.
    /// Widgets show their own [labels](crate::WidgetLabels) for the last two.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bytes(bytes) => f.write_str(&human_size(*bytes)),
            Self::Missing => f.write_str("missing"),
            Self::Unknown => f.write_str("size unknown"),
        }
    }
}

/// The facts of one stored file: its size and the type its download is sent with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFacts {
    /// The size, or why there is none.
    pub size: FileSize,
    /// The `Content-Type` of its download (`application/pdf`).
    pub content_type: String,
}

impl FileFacts {
    /// Reads the facts of the file stored under `name`, sent with `options`. Never fails:
    /// see [`FileSize`]. Storage errors other than "not found" are logged as warnings.
    pub async fn read(storage: &Storage, name: &str, options: &ViewOptions) -> Self {
        let size = match tokio::time::timeout(FACTS_TIMEOUT, storage.size(name)).await {
            Ok(Ok(bytes)) => FileSize::Bytes(bytes),
            Ok(Err(err)) if err.is_not_found() => FileSize::Missing,
            Ok(Err(err)) => {
                tracing::warn!("privates-admin: reading the size of a stored file failed: {err}");
                FileSize::Unknown
            }
            Err(_) => {
                tracing::warn!(
                    "privates-admin: the storage did not tell the size of a stored file \
                     within {FACTS_TIMEOUT:?}"
                );
                FileSize::Unknown
            }
        };
        Self {
            size,
            content_type: Self::content_type(name, options),
        }
    }

    /// The `Content-Type` the download of `name` is sent with: `options.mimetype`, else the
    /// guess from the name's extension (never a `Content-Encoding`: `x.tar.gz` is
    /// `application/gzip`), else `application/octet-stream`.
    #[must_use]
    pub fn content_type(name: &str, options: &ViewOptions) -> String {
        // The download's own rule, so the page never says another type than the file gets.
        let options = SendfileOptions {
            mimetype: options.mimetype.map(str::to_owned),
            ..SendfileOptions::default()
        };
        privates::sendfile::headers::content_type(name, &options)
            .ok()
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .unwrap_or_else(|| "application/octet-stream".to_owned())
    }

    /// Whether the file is missing from the storage.
    #[must_use]
    pub fn is_missing(&self) -> bool {
        self.size == FileSize::Missing
    }
}

/// The facts of an object's files, by field name: what
/// [`ModelAdmin::facts`](crate::ModelAdmin::facts) reads for one object. Empty for an "add"
/// form ([`Facts::default`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    fields: Vec<(&'static str, FileFacts)>,
    thumbnails: Vec<(&'static str, bool)>,
}

impl Facts {
    /// Facts from `(field name, facts)` pairs.
    #[must_use]
    pub fn new(fields: Vec<(&'static str, FileFacts)>) -> Self {
        Self {
            fields,
            thumbnails: Vec::new(),
        }
    }

    /// Notes, by field name, whether each image's [thumbnail](crate::thumbnail) could be made.
    #[must_use]
    pub fn with_thumbnails(mut self, thumbnails: Vec<(&'static str, bool)>) -> Self {
        self.thumbnails = thumbnails;
        self
    }

    /// Whether the thumbnail of the field `name` could be made; `None` when not tried (not an
    /// image field, no thumbnail route, or no file).
    #[must_use]
    pub fn thumbnail(&self, name: &str) -> Option<bool> {
        self.thumbnails
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, made)| *made)
    }

    /// The facts of the field `name`, `None` when it holds no file (or was not read).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&FileFacts> {
        self.fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, facts)| facts)
    }

    /// Every field's facts, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &FileFacts)> {
        self.fields.iter().map(|(name, facts)| (*name, facts))
    }

    /// Whether no field's facts were read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use privates::{
        ViewOptions,
        storage::{LocalStorage, Storage},
    };
    use privates_testing::TempPrivateRoot;

    use super::{FileFacts, FileSize};

    #[tokio::test]
    async fn sizes_missing_files_and_refused_names() {
        let root = TempPrivateRoot::new().unwrap();
        std::fs::create_dir(root.path().join("docs")).unwrap();
        std::fs::write(root.path().join("docs/report.pdf"), vec![b'x'; 2_400_000]).unwrap();
        std::fs::write(root.path().join("tiny.txt"), b"17 bytes of text.").unwrap();
        let storage = Storage::Local(LocalStorage::new(root.path(), "/private-media/").unwrap());
        let inline = ViewOptions::INLINE;

        let report = FileFacts::read(&storage, "docs/report.pdf", &inline).await;
        assert_eq!(report.size, FileSize::Bytes(2_400_000));
        assert_eq!(report.size.to_string(), "2.4 MB");
        assert_eq!(report.content_type, "application/pdf");
        let tiny = FileFacts::read(&storage, "tiny.txt", &inline).await;
        assert_eq!(
            (tiny.size.to_string(), tiny.content_type.as_str()),
            ("17 bytes".to_owned(), "text/plain")
        );

        for absent in [
            "docs/gone.pdf",
            "docs",
            "../outside.pdf",
            "/etc/passwd",
            "a\0b",
        ] {
            let facts = FileFacts::read(&storage, absent, &inline).await;
            assert_eq!(facts.size, FileSize::Missing, "{absent:?}");
            assert!(facts.is_missing());
        }
    }
}

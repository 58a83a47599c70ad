//! The outcome of a received change form, and the two ways to finish it: [`Submission::commit`]
//! once the row is saved, [`Submission::rollback`] when it could not be.

use privates::{
    Field, PrivateMedia,
    storage::{Storage, StorageError},
};

use super::error::{FieldError, FieldErrorKind};

/// A file stored by this submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// The stored name: what the field's column keeps.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its content type, sniffed from its bytes.
    pub content_type: String,
    /// Width and height in pixels, for an `image` field.
    pub dimensions: Option<(u32, u32)>,
}

/// What the form did to one private field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    /// A new file was uploaded and stored.
    Stored(StoredFile),
    /// The clear checkbox was ticked: the field becomes empty.
    Cleared,
}

/// One changed private field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The field's name.
    pub field: &'static str,
    /// What happened to it.
    pub change: FileChange,
    /// The stored name the field held before, which [`Submission::commit`] deletes (unless
    /// replaced files are kept).
    pub previous: Option<String>,
}

/// A received change form: the changes to the private fields, the other (text) fields, and the
/// validation messages.
///
/// When [`is_valid`](Self::is_valid) is false nothing was stored (the files of this request
/// were deleted again): render the form again with [`errors`](Self::errors). Otherwise save
/// the row with [`value`](Self::value) of each private field, then call
/// [`commit`](Self::commit) (which deletes the files the row no longer refers to), or
/// [`rollback`](Self::rollback) if saving the row failed.
#[derive(Debug, Default)]
#[must_use = "commit or roll back the submission, or its files are orphaned"]
pub struct Submission {
    pub(crate) text: Vec<(String, String)>,
    pub(crate) changes: Vec<Change>,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) keep_replaced: bool,
}

impl Submission {
    /// Whether every field is valid.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every validation message, in form order.
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The validation messages of one field.
    pub fn field_errors<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.errors
            .iter()
            .filter(move |error| error.field == field)
            .map(|error| error.message.as_str())
    }

    /// Adds a validation message (for the application's own checks of the text fields); the
    /// submission is then invalid, so roll it back.
    pub fn add_error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.add_error_of(FieldErrorKind::Invalid, field, message);
    }

    /// Adds a validation message of a given kind.
    pub(crate) fn add_error_of(
        &mut self,
        kind: FieldErrorKind,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
            kind,
        });
    }

    /// The text fields, in form order, with their full names.
    #[must_use]
    pub fn text_fields(&self) -> &[(String, String)] {
        &self.text
    }

    /// The first value of the text field `name`.
    #[must_use]
    pub fn text(&self, name: &str) -> Option<&str> {
        self.text
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The changed private fields.
    #[must_use]
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The change of one field, `None` when it is unchanged.
    #[must_use]
    pub fn change(&self, field: &str) -> Option<&FileChange> {
        self.changes
            .iter()
            .find(|change| change.field == field)
            .map(|change| &change.change)
    }

    /// The value `field` takes: the new stored name, `None` when cleared, otherwise what
    /// `current` (the object being changed; `None` on an add form) holds.
    #[must_use]
    pub fn value<M: PrivateMedia>(&self, field: &Field<M>, current: Option<&M>) -> Option<String> {
        match self.change(field.name()) {
            Some(FileChange::Stored(file)) => Some(file.name.clone()),
            Some(FileChange::Cleared) => None,
            None => current
                .and_then(|object| field.stored_name(object))
                .map(str::to_owned),
        }
    }

    /// Finishes a saved form: deletes the files the row no longer refers to (the previous
    /// files of replaced and cleared fields), unless replaced files are kept. Call it after the
    /// row was written, and write the row as a compare-and-set on its file columns
    /// ([`compare_and_set`](super::compare_and_set): `UPDATE ... WHERE pk = ? AND <each file
    /// column> = <the value the form was read with>`, or a row lock held from reading the
    /// object to the update): if another save changed a file in between, write nothing and
    /// [`rollback`](Self::rollback) instead. Otherwise the "previous" file deleted here may be
    /// the one the other save just stored, and a row would name a deleted file. `storage` is
    /// where the form was received: the configured
    /// [`Privates::files`](privates::Privates::files). Every deletion is attempted.
    ///
    /// # Errors
    /// The first failed deletion (the others are logged); the row is saved either way.
    pub async fn commit(self, storage: &Storage) -> Result<(), StorageError> {
        if self.keep_replaced {
            return Ok(());
        }
        let previous = self
            .changes
            .into_iter()
            .filter_map(|change| change.previous);
        delete_all(storage, previous).await
    }

    /// Abandons the form: deletes the files it stored, keeping the previous ones. Call it when
    /// the row could not be written. `storage` is where the form was received (see
    /// [`commit`](Self::commit)).
    ///
    /// # Errors
    /// The first failed deletion (the others are logged).
    pub async fn rollback(self, storage: &Storage) -> Result<(), StorageError> {
        delete_all(storage, stored_names(self.changes)).await
    }
}

/// The names stored by `changes`.
pub(crate) fn stored_names(changes: Vec<Change>) -> impl Iterator<Item = String> {
    changes
        .into_iter()
        .filter_map(|change| match change.change {
            FileChange::Stored(file) => Some(file.name),
            FileChange::Cleared => None,
        })
}

/// Deletes every name, logging failures; returns the first.
pub(crate) async fn delete_all(
    storage: &Storage,
    names: impl Iterator<Item = String>,
) -> Result<(), StorageError> {
    let mut first = None;
    for name in names {
        if let Err(err) = storage.delete(&name).await {
            tracing::warn!(error = %err, "privates-admin: could not delete a stored file");
            first.get_or_insert(err);
        }
    }
    first.map_or(Ok(()), Err)
}

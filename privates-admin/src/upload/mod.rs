//! Receiving `multipart/form-data` change forms: each file part streams into the private
//! storage (constant memory) under its field's `upload_to`, checked on the way in.
//!
//! From an app's own controller (REST, SPA), [`FieldUpload`] does it all for one field of one
//! row: permission, receiving, a [`compare_and_set`] save, commit or roll back, errors in
//! loco's JSON shape. What follows is the machinery under it and under the admin's forms.
//!
//! For every file part of a private field, in this order:
//! 1. the browser's file name is made valid (`C:\fakepath\x.pdf` gives `x.pdf`);
//! 2. the first [`SNIFF_BYTES`] bytes are read and the content type is sniffed
//!    from them ([`mod@sniff`]); the browser's `Content-Type` is ignored. The field's
//!    `content_types` (and, for `image` fields, the decodable image types) must match, and so
//!    must the file name's extension;
//! 3. for `image` fields the header is decoded with [`::image::Limits`] ([`ImageRules`]):
//!    decompression bombs are refused here, before anything is stored;
//! 4. the bytes stream into the configured storage ([`Privates::files`](privates::Privates::files):
//!    on local disk a hidden temporary file linked under a free name at the end; with S3 a
//!    temporary file uploaded once checked); more than the field's `max_size` stops the stream,
//!    removes the temporary file and answers [`UploadError::TooLarge`] (413);
//! 5. for `image` fields the whole image is decoded ([`ImageRules::verify_pixels`]) from the
//!    temporary file, before it is published: a corrupt image never appears under a real name
//!    (nor in the bucket).
//!
//! A text part `{field}-direct` carries the ticket of a [direct upload](crate::direct) (the
//! browser sent the bytes to the bucket): once the ticket is checked, the object is streamed
//! from the bucket through steps 2 to 5, as a file part is, and its temporary key deleted.
//!
//! Timeouts: a body silent for longer than [`UploadOptions::idle_timeout`] between two chunks
//! ends the form with [`UploadError::Idle`] (408), its temporary file removed. Image decoding
//! memory is shared through a [`DecodeBudget`]: over it an upload waits, then gets
//! [`UploadError::Busy`] (503).
//!
//! CSRF: [`receive`] checks none; [`receive_checked`] (what
//! [`ModelAdmin::receive`](crate::ModelAdmin::receive) uses) requires the form's token
//! before any file part, so a forged form stores nothing.
//!
//! The `<field>-clear` checkbox of an optional field clears it; a new file and a ticked clear
//! box together are a validation error, as in Django. A required field left without a file is
//! one too. When any field is invalid, every file stored by the request is deleted and the
//! [`Submission`] carries the messages, so the form can be rendered again (never a 500).
//!
//! ```no_run
//! # use privates::{Field, FieldSpec, PrivateMedia};
//! # #[derive(Debug)] struct Doc { id: i32, pdf: Option<String> }
//! # static PDF: FieldSpec = FieldSpec { optional: true, ..FieldSpec::file("pdf") };
//! # static FIELDS: [Field<Doc>; 1] = [Field { spec: &PDF, get: |d| d.pdf.as_deref() }];
//! # impl PrivateMedia for Doc {
//! #     type Pk = i32;
//! #     const APP: &'static str = "docs";
//! #     const MODEL: &'static str = "iddocument";
//! #     const PERMISSION: &'static str = "docs.can_change_iddocument";
//! #     fn fields() -> &'static [Field<Self>] { &FIELDS }
//! #     fn pk(&self) -> i32 { self.id }
//! # }
//! # async fn load(_: i32) -> Doc { unimplemented!() }
//! # async fn save(_: &Doc) -> Result<(), ()> { Ok(()) }
//! use axum::{extract::{Multipart, Path, State}, response::{IntoResponse, Response}};
//! use loco_rs::app::AppContext;
//! use privates::Privates;
//! use privates_admin::upload::{receive, UploadOptions};
//!
//! async fn change(State(ctx): State<AppContext>, Path(pk): Path<i32>, form: Multipart) -> Response {
//!     let Ok(privates) = Privates::from_ctx(&ctx) else { return http::StatusCode::INTERNAL_SERVER_ERROR.into_response() };
//!     let storage = privates.files();
//!     let mut doc = load(pk).await;
//!     let submission = match receive(storage, form, Doc::fields(), Some(&doc), &UploadOptions::default()).await {
//!         Ok(submission) => submission,
//!         Err(err) => return err.into_response(), // 413 for an over-size file
//!     };
//!     if !submission.is_valid() {
//!         return "render the form again with submission.errors()".into_response();
//!     }
//!     doc.pdf = submission.value(&Doc::fields()[0], Some(&doc));
//!     match save(&doc).await {
//!         Ok(()) => { let _ = submission.commit(storage).await; "saved".into_response() }
//!         Err(()) => { let _ = submission.rollback(storage).await; "not saved".into_response() }
//!     }
//! }
//! ```

mod api;
mod error;
pub mod image;
pub mod limits;
mod save;
pub mod sniff;
mod submission;

use std::{
    future::Future,
    time::{Duration, SystemTime},
};

use axum::extract::{Multipart, multipart::Field as Part};
use bytes::BytesMut;
use privates::{
    Field, FieldKind, PrivateMedia,
    storage::{Checked, Storage, StorageError, valid_upload_filename},
};

use crate::{
    csrf::{CsrfError, TokenCheck},
    direct,
};

pub use self::{
    api::{FieldUpload, FieldUploadError, FieldUploadErrorKind, Uploaded},
    error::{FieldError, FieldErrorKind, UploadError, human_size},
    image::{DecodeBudget, ImageRules},
    limits::{body_limit, body_limit_layer, declared_length, max_size},
    save::{NotAColumn, compare_and_set},
    submission::{Change, FileChange, StoredFile, Submission},
};
use self::{
    image::{Busy, Header, check_header, format_of},
    limits::{StreamFault, counted, len},
    sniff::{SNIFF_BYTES, Sniffed, check, sniff},
    submission::{delete_all, stored_names},
};

/// How change forms are received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOptions {
    /// The prefix of this form's part names, for inline forms (`children-0-`): only parts named
    /// `{prefix}{field}` and `{prefix}{field}-clear` are this model's private fields. Empty by
    /// default.
    pub prefix: String,
    /// Keep the previous file of a replaced or cleared field instead of deleting it on
    /// [`Submission::commit`] (for rows that share files, or an audit trail). Off by default.
    pub keep_replaced: bool,
    /// The limit of a file field that has no `max_size` of its own, in bytes. 10 MiB by
    /// default.
    pub default_max_size: u64,
    /// The limit of all text parts together, in bytes (Django's
    /// `DATA_UPLOAD_MAX_MEMORY_SIZE`: 2.5 MiB).
    pub max_text_bytes: usize,
    /// The most parts a form may have (Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS`: 1000).
    pub max_parts: usize,
    /// Limits for `image` fields.
    pub image: ImageRules,
    /// How long the body may stay silent between two chunks before the upload ends with
    /// [`UploadError::Idle`] (408). 30 s by default.
    pub idle_timeout: Duration,
    /// The image-decoding memory shared with the app's other uploads; `None`: unbounded (each
    /// image is still held to [`ImageRules::max_alloc`]).
    /// [`ModelAdmin::receive`](crate::ModelAdmin::receive) uses the app's.
    pub decode_budget: Option<DecodeBudget>,
}

/// The default [`UploadOptions::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            prefix: String::new(),
            keep_replaced: false,
            default_max_size: 10 * 1024 * 1024,
            max_text_bytes: 2_621_440,
            max_parts: 1000,
            image: ImageRules::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            decode_budget: None,
        }
    }
}

impl UploadOptions {
    /// Sets [`prefix`](Self::prefix).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`keep_replaced`](Self::keep_replaced).
    #[must_use]
    pub fn keep_replaced(mut self, keep: bool) -> Self {
        self.keep_replaced = keep;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Sets [`image`](Self::image).
    #[must_use]
    pub fn image_rules(mut self, rules: ImageRules) -> Self {
        self.image = rules;
        self
    }
}

/// Receives a change form for the private `fields` of `M`: stores the uploads, notes the
/// cleared fields, collects the text fields and the validation messages. `current` is the
/// object being changed (`None` on an add form): its stored names are what replaced or cleared
/// fields held before, and what makes a required field already filled.
///
/// # Errors
/// [`UploadError`] when the form cannot be received at all: an over-size file (413), too many
/// parts or text (413/400), a malformed body, or a storage failure. Nothing of the request is
/// left in the storage then, and the rest of the body is read (up to the route's body limit)
/// so that the browser sees the answer.
pub async fn receive<M: PrivateMedia>(
    storage: &Storage,
    multipart: Multipart,
    fields: &[Field<M>],
    current: Option<&M>,
    options: &UploadOptions,
) -> Result<Submission, UploadError> {
    receive_with(storage, multipart, fields, current, options, (None, None)).await
}

/// [`receive`], CSRF-checked: `csrf` (from [`Csrf::begin`](crate::csrf::Csrf::begin) on the
/// request) must be satisfied by the `X-CSRFToken` header or by a `csrf_token` text part
/// that comes before every file part; otherwise the form ends with [`UploadError::Csrf`]
/// (403) and nothing is stored.
///
/// # Errors
/// As [`receive`], and [`UploadError::Csrf`].
pub async fn receive_checked<M: PrivateMedia>(
    storage: &Storage,
    multipart: Multipart,
    fields: &[Field<M>],
    current: Option<&M>,
    options: &UploadOptions,
    csrf: TokenCheck,
) -> Result<Submission, UploadError> {
    let tickets = Some(csrf.clone());
    let pending = if csrf.has_header() || csrf.is_safe() {
        csrf.verify_header()?;
        None
    } else {
        Some(csrf)
    };
    receive_with(
        storage,
        multipart,
        fields,
        current,
        options,
        (pending, tickets),
    )
    .await
}

async fn receive_with<M: PrivateMedia>(
    storage: &Storage,
    mut multipart: Multipart,
    fields: &[Field<M>],
    current: Option<&M>,
    options: &UploadOptions,
    (csrf, tickets): (Option<TokenCheck>, Option<TokenCheck>),
) -> Result<Submission, UploadError> {
    let mut receiver = Receiver {
        csrf,
        tickets,
        storage,
        fields,
        options,
        submission: Submission {
            keep_replaced: options.keep_replaced,
            ..Submission::default()
        },
        uploaded: Vec::new(),
        cleared: Vec::new(),
        text_bytes: 0,
        parts: 0,
        drain_budget: u64::try_from(body_limit(fields, options)).unwrap_or(u64::MAX),
        orphans: OrphanGuard {
            storage: storage.clone(),
            names: Vec::new(),
        },
    };
    let read = match receiver.read_all(&mut multipart).await {
        Ok(()) => match &receiver.csrf {
            // The whole form came without a token.
            Some(_) => Err(UploadError::Csrf(CsrfError::NoToken)),
            None => Ok(()),
        },
        Err(err) => Err(err),
    };
    if let Err(err) = read {
        let stored = std::mem::take(&mut receiver.submission.changes);
        // Best effort: the request failed already; deletion failures are logged.
        let _ = delete_all(storage, stored_names(stored)).await;
        receiver.orphans.names.clear();
        // A silent client is not waited for again; a refused one is not read further.
        if !matches!(err, UploadError::Idle { .. } | UploadError::Csrf(_)) {
            receiver.drain(&mut multipart).await;
        }
        return Err(err);
    }
    Ok(receiver.finish(current).await)
}

/// The state of one form being received.
struct Receiver<'a, M: 'static> {
    /// The CSRF token still to be seen (before any file part).
    csrf: Option<TokenCheck>,
    /// What [direct upload](crate::direct) tickets are checked against: the request's browser
    /// and session (`None` when the form is not CSRF-checked: no ticket is accepted).
    tickets: Option<TokenCheck>,
    storage: &'a Storage,
    fields: &'a [Field<M>],
    options: &'a UploadOptions,
    submission: Submission,
    /// Fields that received a (non-empty) file part, valid or not.
    uploaded: Vec<&'static str>,
    /// Optional fields whose clear checkbox is ticked.
    cleared: Vec<&'static str>,
    text_bytes: usize,
    parts: usize,
    /// How many more bytes may be read to drain the body after an error.
    drain_budget: u64,
    /// The files stored so far, deleted if the request is abandoned midway.
    orphans: OrphanGuard,
}

/// Deletes the files of a request whose handler was dropped midway (the client went away
/// while a later part was streaming): they were stored, but no row will ever name them.
struct OrphanGuard {
    storage: Storage,
    names: Vec<String>,
}

impl Drop for OrphanGuard {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        let names = std::mem::take(&mut self.names);
        let storage = self.storage.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = delete_all(&storage, names.into_iter()).await;
                });
            }
            Err(_) => tracing::warn!(
                count = names.len(),
                "privates-admin: an abandoned upload left files that could not be deleted"
            ),
        }
    }
}

impl<M: PrivateMedia> Receiver<'_, M> {
    async fn read_all(&mut self, multipart: &mut Multipart) -> Result<(), UploadError> {
        while let Some(mut part) = idle(self.options.idle_timeout, multipart.next_field()).await?? {
            self.parts += 1;
            if self.parts > self.options.max_parts {
                return Err(UploadError::TooManyParts {
                    max: self.options.max_parts,
                });
            }
            let name = part.name().unwrap_or_default().to_owned();
            let file_name = part.file_name().map(str::to_owned);
            let key = name.strip_prefix(self.options.prefix.as_str());
            let field = key.and_then(|key| self.field(key));
            if self.csrf.is_some() {
                if file_name.is_some() {
                    return Err(UploadError::Csrf(CsrfError::TokenAfterFiles));
                }
                if name == crate::csrf::FIELD {
                    let token = self.read_text(&mut part).await?;
                    if let Some(check) = self.csrf.take() {
                        check.verify(&token)?;
                    }
                    continue;
                }
            }
            match (field, file_name) {
                (Some(field), Some(file_name)) => {
                    self.file_part(field, &mut Source::Part(&mut part), &file_name)
                        .await?;
                }
                // A file for something that is not a private field of this form: skipped
                // (the next `next_field` reads past it).
                (None, Some(_)) => {
                    tracing::debug!(part = %name.escape_debug(), "privates-admin: file part of no private field skipped");
                }
                (_, None) => {
                    let value = self.read_text(&mut part).await?;
                    let direct_of = key
                        .and_then(|key| key.strip_suffix(direct::INPUT_SUFFIX))
                        .and_then(|key| self.field(key));
                    if let Some(field) = direct_of {
                        if !value.trim().is_empty() {
                            self.direct_part(field, &value).await?;
                        }
                        continue;
                    }
                    let clear_of = key
                        .and_then(|key| key.strip_suffix("-clear"))
                        .and_then(|key| self.field(key))
                        .filter(|field| field.spec.optional);
                    match clear_of {
                        Some(field) => {
                            if checkbox_ticked(&value) {
                                self.cleared.push(field.name());
                            }
                        }
                        None => self.submission.text.push((name, value)),
                    }
                }
            }
        }
        Ok(())
    }

    fn field(&self, name: &str) -> Option<Field<M>> {
        self.fields
            .iter()
            .find(|field| field.name() == name)
            .copied()
    }

    fn error(&mut self, field: Field<M>, message: impl Into<String>) {
        self.submission.add_error(field.name(), message);
    }

    fn type_error(&mut self, field: Field<M>, message: impl Into<String>) {
        self.submission
            .add_error_of(FieldErrorKind::UnsupportedType, field.name(), message);
    }

    async fn read_text(&mut self, part: &mut Part<'_>) -> Result<String, UploadError> {
        let mut bytes = Vec::new();
        while let Some(chunk) = idle(self.options.idle_timeout, part.chunk()).await?? {
            self.text_bytes = self.text_bytes.saturating_add(chunk.len());
            if self.text_bytes > self.options.max_text_bytes {
                return Err(UploadError::TextTooLarge {
                    max: self.options.max_text_bytes,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// One file of `field`: a file part, or a direct upload's object.
    async fn file_part(
        &mut self,
        field: Field<M>,
        part: &mut Source<'_, '_>,
        file_name: &str,
    ) -> Result<(), UploadError> {
        // A file input left empty still sends a part, with an empty file name.
        if file_name.is_empty() {
            return Ok(());
        }
        if self.uploaded.contains(&field.name()) {
            self.error(field, "Upload one file only.");
            return Ok(());
        }
        self.uploaded.push(field.name());
        let Ok(valid_name) = valid_upload_filename(file_name) else {
            self.error(
                field,
                "The file name is not valid: use letters, digits, `-`, `_` and `.`.",
            );
            return Ok(());
        };
        let max = max_size(field.spec, self.options);
        let mut head = BytesMut::new();
        let mut ended = self
            .read_until(field, part, &mut head, SNIFF_BYTES, max)
            .await?;
        if head.is_empty() && ended {
            self.error(field, "The submitted file is empty.");
            return Ok(());
        }
        let sniffed = sniff(&head, &valid_name);
        if let Err(message) = check(field.spec, &sniffed, &valid_name) {
            self.type_error(field, message);
            return Ok(());
        }
        let mut image = None;
        if field.spec.kind == FieldKind::Image {
            let Some(format) = format_of(&sniffed.mime) else {
                self.type_error(field, "Upload a valid image.");
                return Ok(());
            };
            let rules = self.options.image;
            loop {
                match check_header(&head, ended, format, &rules) {
                    Header::Valid {
                        dimensions,
                        decoded_bytes,
                    } => {
                        image = Some((format, dimensions, decoded_bytes));
                        break;
                    }
                    Header::Invalid(message) => {
                        self.error(field, message);
                        return Ok(());
                    }
                    Header::NeedMore => {
                        let target = head
                            .len()
                            .saturating_mul(2)
                            .clamp(SNIFF_BYTES, rules.max_header_bytes);
                        ended = self.read_until(field, part, &mut head, target, max).await?;
                    }
                }
            }
        }
        self.store(field, part, file_name, head, ended, max, sniffed, image)
            .await
    }

    /// The ticket of a [direct upload](crate::direct) of `field`: checked, then its object
    /// goes through [`file_part`](Self::file_part) like a file part. The temporary object is
    /// deleted either way; a refused ticket leaves it alone (it names no object of this user).
    async fn direct_part(&mut self, field: Field<M>, ticket: &str) -> Result<(), UploadError> {
        let checked = match (&self.tickets, &self.csrf) {
            (Some(check), None) => {
                let scope = (M::APP, M::MODEL, field.name());
                direct::verify_ticket(check, scope, ticket, SystemTime::now())
                    .map_err(|refused| refused.to_string())
            }
            _ => Err("A direct upload needs a CSRF-checked form: send the file with it.".into()),
        };
        let key = match checked {
            Ok(key) => key.to_owned(),
            Err(message) => {
                self.error(field, message);
                return Ok(());
            }
        };
        let received = self.direct_object(field, &key).await;
        direct::discard(self.storage, &key).await;
        received
    }

    /// The object `key` of a direct upload of `field`, through the checks of a file part.
    async fn direct_object(&mut self, field: Field<M>, key: &str) -> Result<(), UploadError> {
        let opened = match self.storage.open(key).await {
            Ok(opened) => opened,
            Err(StorageError::NotFound { .. }) => {
                self.error(
                    field,
                    "The upload did not reach the storage: choose the file again.",
                );
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        };
        let max_size = max_size(field.spec, self.options);
        let too_large = UploadError::TooLarge {
            field: field.name().to_owned(),
            max_size,
        };
        if opened.size() > max_size {
            self.error(field, too_large.public_message());
            return Ok(());
        }
        let file_name = key.rsplit('/').next().unwrap_or_default();
        let stream = opened.into_stream().await?;
        let mut source = Source::Object { key, stream };
        match self.file_part(field, &mut source, file_name).await {
            Err(UploadError::TooLarge { .. }) => {
                self.error(field, too_large.public_message());
                Ok(())
            }
            received => received,
        }
    }

    /// Reads `part` into `head` until it holds `target` bytes or the part ends (`true`).
    async fn read_until(
        &mut self,
        field: Field<M>,
        part: &mut Source<'_, '_>,
        head: &mut BytesMut,
        target: usize,
        max: u64,
    ) -> Result<bool, UploadError> {
        while head.len() < target {
            match idle(self.options.idle_timeout, part.chunk()).await?? {
                Some(chunk) => {
                    head.extend_from_slice(&chunk);
                    if len(head) > max {
                        self.drain_part(part).await;
                        return Err(UploadError::TooLarge {
                            field: field.name().to_owned(),
                            max_size: max,
                        });
                    }
                }
                None => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Streams the part (its first bytes in `head`) into the storage.
    #[allow(clippy::too_many_arguments)]
    async fn store(
        &mut self,
        field: Field<M>,
        part: &mut Source<'_, '_>,
        file_name: &str,
        head: BytesMut,
        ended: bool,
        max: u64,
        sniffed: Sniffed,
        image: Option<(::image::ImageFormat, (u32, u32), u64)>,
    ) -> Result<(), UploadError> {
        let mut received = 0_u64;
        let mut fault = None;
        let stream = counted(
            part,
            head.freeze(),
            ended,
            (max, self.options.idle_timeout),
            &mut received,
            &mut fault,
        );
        // Images are decoded in full before the file is published, so an invalid image never
        // appears under a real name.
        let verify = image
            .filter(|_| self.options.image.verify_pixels)
            .map(|(format, _, decoded_bytes)| (format, self.options.image, decoded_bytes));
        let budget = self.options.decode_budget.clone();
        let name = field
            .spec
            .upload_to
            .name_for(file_name)
            .map_err(StorageError::from)?;
        let saved = self
            .storage
            .save_checked(&name, stream, move |file| {
                let Some((format, rules, decoded_bytes)) = verify else {
                    return Ok(());
                };
                // Held while the pixels are decoded; released when this returns.
                let _memory = match &budget {
                    Some(budget) => Some(
                        budget
                            .reserve_blocking(decoded_bytes.min(rules.max_alloc))
                            .map_err(|Busy(waited)| Refusal::Busy(waited))?,
                    ),
                    None => None,
                };
                image::verify_pixels(file, format, &rules).map_err(Refusal::InvalidImage)
            })
            .await;
        let name = match saved {
            Ok(Checked::Stored(name)) => name,
            Ok(Checked::Refused(Refusal::InvalidImage(message))) => {
                self.error(field, message);
                return Ok(());
            }
            Ok(Checked::Refused(Refusal::Busy(waited))) => {
                return Err(UploadError::Busy { waited });
            }
            Err(StorageError::Stream(source)) => {
                return Err(match fault.take() {
                    Some(StreamFault::TooLarge { max_size }) => {
                        self.drain_part(part).await;
                        UploadError::TooLarge {
                            field: field.name().to_owned(),
                            max_size,
                        }
                    }
                    Some(StreamFault::Read(err)) => err,
                    Some(StreamFault::Idle { after }) => UploadError::Idle { after },
                    None => UploadError::Storage(StorageError::Stream(source)),
                });
            }
            Err(StorageError::InvalidName { .. } | StorageError::NoAvailableName { .. }) => {
                self.error(
                    field,
                    "The file name cannot be stored: use a shorter name of letters, digits, \
                     `-`, `_` and `.`.",
                );
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        };
        self.orphans.names.push(name.clone());
        self.submission.changes.push(Change {
            field: field.name(),
            change: FileChange::Stored(StoredFile {
                name,
                size: received,
                content_type: sniffed.mime,
                dimensions: image.map(|(_, dimensions, _)| dimensions),
            }),
            previous: None,
        });
        Ok(())
    }

    /// After every part: contradictions, required fields, the previous stored names; on any
    /// error, the stored files are deleted again.
    async fn finish(mut self, current: Option<&M>) -> Submission {
        for &field in self.fields {
            let name = field.name();
            let previous = current
                .and_then(|object| field.stored_name(object))
                .map(str::to_owned);
            let stored = self.submission.changes.iter().any(|c| c.field == name);
            let cleared = self.cleared.contains(&name);
            if stored && cleared {
                self.error(
                    field,
                    "Please either submit a file or check the clear checkbox, not both.",
                );
            } else if cleared && previous.is_some() {
                self.submission.changes.push(Change {
                    field: name,
                    change: FileChange::Cleared,
                    previous: None,
                });
            }
            let has_error = self.submission.errors.iter().any(|e| e.field == name);
            let filled = stored || (!cleared && previous.is_some());
            if !field.spec.optional && !filled && !has_error {
                self.submission.add_error_of(
                    FieldErrorKind::Required,
                    name,
                    "This field is required.",
                );
            }
            for change in &mut self.submission.changes {
                if change.field == name {
                    change.previous.clone_from(&previous);
                }
            }
        }
        if !self.submission.is_valid() {
            // The form is shown again either way; a failed deletion is logged.
            let stored = std::mem::take(&mut self.submission.changes);
            let _ = delete_all(self.storage, stored_names(stored)).await;
        }
        // From here on the files are the caller's: `commit` or `rollback`.
        self.orphans.names.clear();
        self.submission
    }

    /// Reads the rest of `part`, within the drain budget (an object is not read further).
    async fn drain_part(&mut self, part: &mut Source<'_, '_>) {
        let Source::Part(part) = part else {
            return;
        };
        while self.drain_budget > 0 {
            match idle(self.options.idle_timeout, part.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    self.drain_budget = self.drain_budget.saturating_sub(len(&chunk));
                }
                _ => return,
            }
        }
    }

    /// Reads the rest of the body after an error, within the drain budget, so that a browser
    /// still uploading sees the answer instead of a reset connection.
    async fn drain(&mut self, multipart: &mut Multipart) {
        while self.drain_budget > 0 {
            match idle(self.options.idle_timeout, multipart.next_field()).await {
                Ok(Ok(Some(mut part))) => self.drain_part(&mut Source::Part(&mut part)).await,
                _ => return,
            }
        }
    }
}

/// `read`, or [`UploadError::Idle`] when it takes longer than `limit`.
async fn idle<T>(limit: Duration, read: impl Future<Output = T>) -> Result<T, UploadError> {
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| UploadError::Idle { after: limit })
}

/// Django's `CheckboxInput.value_from_datadict`: `"false"` (any case) and `""` are unticked,
/// anything else sent is ticked.
fn checkbox_ticked(value: &str) -> bool {
    !(value.is_empty() || value.eq_ignore_ascii_case("false"))
}

/// Why the storage's check of a complete upload refused it (typed through
/// [`Checked::Refused`]).
#[derive(Debug)]
enum Refusal {
    /// The full decode refused the image; the message is for the form.
    InvalidImage(String),
    /// The decoding memory stayed taken for this long.
    Busy(std::time::Duration),
}

/// Where the bytes of one file come from.
pub(crate) enum Source<'s, 'p> {
    /// A file part of the form.
    Part(&'s mut Part<'p>),
    /// The object of a [direct upload](crate::direct), streamed from the bucket.
    Object {
        /// Its temporary key.
        key: &'s str,
        /// Its bytes.
        stream: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
    },
}

impl Source<'_, '_> {
    /// The next chunk, `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, UploadError> {
        match self {
            Self::Part(part) => Ok(part.chunk().await?),
            Self::Object { key, stream } => {
                let next = futures_util::StreamExt::next(stream).await;
                next.transpose().map_err(|err| direct::read_error(key, err))
            }
        }
    }
}

//! Uploads from an app's own controllers (REST and SPA apps, no admin pages): one file into
//! one private field of one row, answered in loco's JSON error shape.
//!
//! See [`FieldUpload`].

use std::borrow::Cow;

use axum::{
    Json,
    extract::{FromRequest, Multipart, Request},
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use loco_rs::{app::AppContext, controller::ErrorDetail};
use privates::{Decision, Field, FindByPk, PrivateMedia, Privates};
use sea_orm::ModelTrait;

use super::{
    FieldError, FieldErrorKind, FileChange, StoredFile, UploadError, UploadOptions, body_limit,
    body_limit_layer, declared_length,
    save::{NotAColumn, compare_and_set},
};
use crate::settings::AdminState;

/// An upload into one private field of `M`, from the app's own controller.
///
/// [`receive`](Self::receive) runs the whole sequence, each step before the next:
/// 1. who asks, and do they hold the permission (the model's, `{app}.can_change_{model}`,
///    unless [`permission`](Self::permission) names another): 401 / 403, before the body is read;
/// 2. a request authenticated by cookie (no `Authorization` header) must pass the admin's
///    CSRF check ([`crate::csrf`]: origin, and the `X-CSRFToken` header); a bearer token
///    cannot be forged cross-site and needs none;
/// 3. the row (404 for an unknown or malformed key);
/// 4. the body: a declared `Content-Length` above [`body_limit`](Self::body_limit) is 413 before a
///    byte is read; the multipart part named like the field streams into the storage under the
///    field's limits ([`receive`](super::receive): `max_size` (413), content type sniffed from
///    the bytes (415), image decoding under its memory budget (422), idle timeout (408));
/// 5. the column is set by [`compare_and_set`]: the row changes only if the field still holds
///    what it held when the row was read (409 otherwise). Saved: the replaced file is deleted
///    ([`Submission::commit`](super::Submission::commit)). Not saved (conflict, database
///    error): the new file is deleted ([`Submission::rollback`](super::Submission::rollback)),
///    so no stored file is left under a real name.
///
/// The route needs a body limit above loco's default 2 MB (`server.middlewares.limit`): wrap
/// it with [`route`](Self::route), which sets the field's own (its `max_size` plus room for
/// the multipart framing) for that route only.
///
/// ```no_run
/// # mod invoices {
/// #     use privates::PrivateMedia;
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
/// #     #[sea_orm(table_name = "invoices")]
/// #     #[private_media(app = "billing")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i32,
/// #         #[private_media(file, content_types = ["application/pdf"])]
/// #         pub scan: Option<String>,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// use axum::{
///     Json,
///     extract::{Path, Request, State},
///     routing::post,
/// };
/// use loco_rs::{app::AppContext, controller::Routes};
/// use privates_admin::upload::{FieldUpload, FieldUploadError};
///
/// use invoices::Model as Invoice;
///
/// fn scan_upload() -> FieldUpload<Invoice> {
///     FieldUpload::new(Invoice::SCAN)
/// }
///
/// async fn upload_scan(
///     State(ctx): State<AppContext>,
///     Path(id): Path<String>,
///     request: Request,
/// ) -> Result<Json<serde_json::Value>, FieldUploadError> {
///     let uploaded = scan_upload().receive(&ctx, &id, request).await?;
///     Ok(Json(serde_json::json!({
///         "scan": uploaded.file.name,
///         "url": uploaded.object.scan_url(),
///     })))
/// }
///
/// pub fn routes() -> Routes {
///     Routes::new()
///         .prefix("/api/invoices")
///         .add("/{id}/scan", scan_upload().route(post(upload_scan)))
/// }
/// ```
#[derive(Debug)]
pub struct FieldUpload<M: PrivateMedia> {
    field: Field<M>,
    permission: Cow<'static, str>,
    options: UploadOptions,
}

impl<M: PrivateMedia> Clone for FieldUpload<M> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            permission: self.permission.clone(),
            options: self.options.clone(),
        }
    }
}

/// A file received, stored and saved in its row.
#[derive(Debug)]
#[non_exhaustive]
pub struct Uploaded<M> {
    /// The row as saved (read again after the update).
    pub object: M,
    /// The new file: its stored name (what the column now holds), size and sniffed type.
    pub file: StoredFile,
    /// The stored name the field held before; that file is deleted unless
    /// [`UploadOptions::keep_replaced`] is set.
    pub replaced: Option<String>,
}

impl<M> FieldUpload<M>
where
    M: PrivateMedia + FindByPk + ModelTrait,
{
    /// Uploads into `field` (a handle such as `Invoice::SCAN`), under the model's permission
    /// and [`UploadOptions::default`]. The multipart part carrying the file is named like the
    /// field (`scan`).
    #[must_use]
    pub fn new(field: Field<M>) -> Self {
        Self {
            field,
            permission: Cow::Borrowed(M::PERMISSION),
            options: UploadOptions::default(),
        }
    }

    /// The permission an upload needs, instead of the model's.
    #[must_use]
    pub fn permission(mut self, permission: impl Into<Cow<'static, str>>) -> Self {
        self.permission = permission.into();
        self
    }

    /// How the body is received (limits for a field without `max_size`, image rules, idle
    /// timeout, keeping the replaced file). With [`AdminInitializer`](crate::AdminInitializer)
    /// registered, its idle timeout and image-decoding budget apply.
    #[must_use]
    pub fn options(mut self, options: UploadOptions) -> Self {
        self.options = options;
        self
    }

    /// The body limit of the upload route: the field's `max_size` (or
    /// [`UploadOptions::default_max_size`]) plus the text parts' allowance and the multipart
    /// framing.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        body_limit(&[self.field], &self.options)
    }

    /// Puts [`body_limit`](Self::body_limit) on the upload route, in place of loco's default
    /// payload limit (`server.middlewares.limit`, 2 MB) for this route only:
    /// `upload.route(post(handler))`.
    pub fn route(&self, route: MethodRouter<AppContext>) -> MethodRouter<AppContext> {
        route.layer(body_limit_layer(&[self.field], &self.options))
    }

    /// Receives the file of the row whose key is `pk` (as it appeared in the path) and saves
    /// it: see [`FieldUpload`] for the steps and their statuses.
    ///
    /// # Errors
    /// [`FieldUploadError`], which answers with its status in loco's JSON error shape (or as
    /// plain text for a client that does not ask for JSON). Nothing of the request is left in
    /// the storage when it is returned.
    pub async fn receive(
        &self,
        ctx: &AppContext,
        pk: &str,
        request: Request,
    ) -> Result<Uploaded<M>, FieldUploadError> {
        let (parts, body) = request.into_parts();
        let json = privates::wants_json(&parts);
        self.receive_parts(ctx, pk, parts, body)
            .await
            .map_err(|kind| FieldUploadError { kind, json })
    }

    async fn receive_parts(
        &self,
        ctx: &AppContext,
        pk: &str,
        parts: Parts,
        body: axum::body::Body,
    ) -> Result<Uploaded<M>, FieldUploadErrorKind> {
        let privates = Privates::from_ctx(ctx).map_err(UploadError::from)?;
        match privates.decide(&parts, ctx, &self.permission).await? {
            Decision::Allowed => {}
            Decision::Anonymous => return Err(FieldUploadErrorKind::Anonymous),
            Decision::Forbidden => return Err(FieldUploadErrorKind::Forbidden),
        }
        let admin = AdminState::from_ctx(ctx).ok();
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            let state = admin
                .as_ref()
                .ok_or(UploadError::Csrf(crate::csrf::CsrfError::NotInstalled))?;
            state.csrf.check(&parts, None).map_err(UploadError::from)?;
        }
        let Ok(pk) = pk.parse::<M::Pk>() else {
            return Err(FieldUploadErrorKind::NotFound);
        };
        let object = M::find_by_pk(ctx, &pk)
            .await?
            .ok_or(FieldUploadErrorKind::NotFound)?;
        // The authorizer's object-level check, as for a download of this row's file: a user
        // who may not reach the row may not replace its file either.
        if privates
            .decide_download(&parts, ctx, &self.permission, &object, &self.field)
            .await?
            != Decision::Allowed
        {
            return Err(FieldUploadErrorKind::Forbidden);
        }

        let limit = u64::try_from(self.body_limit()).unwrap_or(u64::MAX);
        if let Some(declared) = declared_length(&parts.headers).filter(|&d| d > limit) {
            return Err(UploadError::DeclaredTooLarge { declared, limit }.into());
        }
        let multipart = Multipart::from_request(Request::from_parts(parts, body), &())
            .await
            .map_err(UploadError::from)?;
        let mut options = self.options.clone();
        if let Some(state) = admin {
            if let Some(idle) = state.idle_timeout {
                options.idle_timeout = idle;
            }
            options.decode_budget = Some(state.decode);
        }
        let storage = privates.files();
        let submission =
            super::receive(storage, multipart, &[self.field], Some(&object), &options).await?;
        let file = match submission.change(self.field.name()) {
            Some(FileChange::Stored(file)) if submission.is_valid() => file.clone(),
            _ => {
                let refusal = if submission.is_valid() {
                    FieldUploadErrorKind::NoFile {
                        field: self.field.name(),
                    }
                } else {
                    FieldUploadErrorKind::Rejected(submission.errors().to_vec())
                };
                finish(submission.rollback(storage).await);
                return Err(refusal);
            }
        };
        let replaced = (self.field.get)(&object).map(str::to_owned);
        let saved = match compare_and_set(&object, &[self.field], &submission) {
            Ok(update) => update
                .exec(&ctx.db)
                .await
                .map_err(FieldUploadErrorKind::from),
            Err(err) => Err(err.into()),
        };
        match saved {
            Ok(result) if result.rows_affected == 1 => {
                // The row names the new file: the replaced one may go.
                finish(submission.commit(storage).await);
            }
            outcome => {
                finish(submission.rollback(storage).await);
                return Err(outcome.err().unwrap_or(FieldUploadErrorKind::Conflict {
                    field: self.field.name(),
                }));
            }
        }
        let object = M::find_by_pk(ctx, &pk)
            .await?
            .ok_or(FieldUploadErrorKind::NotFound)?;
        Ok(Uploaded {
            object,
            file,
            replaced: replaced.filter(|name| !name.is_empty()),
        })
    }
}

/// A failed deletion after the row's fate is decided is logged (by `delete_all`), never an
/// error of the request: the row is right either way.
fn finish(deleted: Result<(), privates::storage::StorageError>) {
    drop(deleted);
}

/// Why an upload from an app's controller failed. Answers with [`status`](Self::status) in
/// loco's JSON error shape (`{"error": "payload_too_large", "description": "..."}`, with
/// `"errors": {"<field>": ["..."]}` for a refused file) when the request asked for JSON
/// (`Accept: application/json`), as plain text otherwise. Server errors are logged, and their
/// answer says nothing of the internals.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct FieldUploadError {
    kind: FieldUploadErrorKind,
    json: bool,
}

/// What went wrong, see [`FieldUploadError::kind`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldUploadErrorKind {
    /// Nobody is logged in (401).
    #[error("authentication required")]
    Anonymous,
    /// Logged in without the upload's permission (403).
    #[error("permission denied")]
    Forbidden,
    /// No row has this key, or the key does not parse (404).
    #[error("not found")]
    NotFound,
    /// The body holds no file part named like the field (400).
    #[error("the request has no file in the multipart part `{field}`")]
    NoFile {
        /// The field's (and part's) name.
        field: &'static str,
    },
    /// The file was refused: its type (415; sniffed from the bytes), or it is empty, not a
    /// valid image or its name cannot be stored (422). Nothing was stored.
    #[error("{}", describe(.0))]
    Rejected(Vec<FieldError>),
    /// The body could not be received: too large (413), malformed (400), silent (408), the
    /// storage failed (500, 507), a CSRF check failed (403).
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Another request changed the field (or deleted the row) while this one was receiving
    /// (409); the new file was deleted.
    #[error("`{field}` was changed by another request meanwhile; nothing was saved")]
    Conflict {
        /// The field's name.
        field: &'static str,
    },
    /// The field is not a column of the entity (500).
    #[error(transparent)]
    Column(#[from] NotAColumn),
    /// The database failed while saving (500); the new file was deleted.
    #[error("saving the row failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The authorizer or the row's lookup failed (500).
    #[error(transparent)]
    Loco(#[from] loco_rs::Error),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|error| error.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl FieldUploadError {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &FieldUploadErrorKind {
        &self.kind
    }

    /// The status answered.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match &self.kind {
            FieldUploadErrorKind::Anonymous => StatusCode::UNAUTHORIZED,
            FieldUploadErrorKind::Forbidden => StatusCode::FORBIDDEN,
            FieldUploadErrorKind::NotFound => StatusCode::NOT_FOUND,
            FieldUploadErrorKind::NoFile { .. } => StatusCode::BAD_REQUEST,
            FieldUploadErrorKind::Rejected(errors) => {
                if errors
                    .iter()
                    .any(|error| error.kind == FieldErrorKind::UnsupportedType)
                {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE
                } else if errors
                    .iter()
                    .all(|error| error.kind == FieldErrorKind::Required)
                {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            }
            FieldUploadErrorKind::Upload(err) => err.status(),
            FieldUploadErrorKind::Conflict { .. } => StatusCode::CONFLICT,
            FieldUploadErrorKind::Column(_)
            | FieldUploadErrorKind::Database(_)
            | FieldUploadErrorKind::Loco(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The description for the client: what to fix, never internals.
    fn description(&self) -> String {
        match &self.kind {
            FieldUploadErrorKind::Upload(err) => err.public_message(),
            FieldUploadErrorKind::Column(_)
            | FieldUploadErrorKind::Database(_)
            | FieldUploadErrorKind::Loco(_) => {
                "The file could not be saved; please try again later.".to_owned()
            }
            kind => kind.to_string(),
        }
    }
}

impl IntoResponse for FieldUploadError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("privates-admin: upload failed: {}", self.kind);
        }
        let description = self.description();
        let mut response = if self.json {
            // loco's codes: the status's reason in snake case (`payload_too_large`).
            let code = status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
                .replace([' ', '-'], "_");
            let mut detail = ErrorDetail::new(code, description);
            if let FieldUploadErrorKind::Rejected(errors) = &self.kind {
                let mut by_field = serde_json::Map::new();
                for error in errors {
                    let messages = by_field
                        .entry(error.field.clone())
                        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                    if let serde_json::Value::Array(messages) = messages {
                        messages.push(error.message.clone().into());
                    }
                }
                detail.errors = Some(serde_json::Value::Object(by_field));
            }
            (status, Json(detail)).into_response()
        } else {
            (status, description).into_response()
        };
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

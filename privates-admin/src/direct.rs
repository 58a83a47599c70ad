//! Direct uploads to the bucket (ActiveStorage's direct uploads), for the S3 storage: the
//! browser sends a file's bytes straight to the bucket, and the form carries only a ticket.
//!
//! 1. The change form's script asks the issuing route of the model
//!    (`POST {prefix}/{app}/{model}/direct-upload/`, JSON `{"field", "name", "size"}`, the CSRF
//!    token in `X-CSRFToken`), which runs the form's own checks first: the origin and the
//!    token, the model's page permission
//!    ([`ModelAdmin::page_permission`](crate::ModelAdmin::page_permission)), the field, its
//!    `max_size` against the announced size. It answers an [`IssuedUpload`]: a presigned `PUT`
//!    URL of a fresh temporary key under [`DIRECT_UPLOAD_PREFIX`], valid for the admin's
//!    lifetime ([`DEFAULT_TTL`] unless set otherwise), and a ticket.
//! 2. The browser `PUT`s the file to that URL (with progress), puts the ticket in the hidden
//!    input `{field}-direct` and posts the form without the file's bytes.
//! 3. [`ModelAdmin::receive`](crate::ModelAdmin::receive) checks the ticket: an HMAC under the
//!    admin's server key (the CSRF key, shared by every instance) over the app, model, field,
//!    key and expiry, bound to the browser and session the way CSRF tokens are (its CSRF
//!    secret and its session cookie). A ticket of another user, of another field, tampered
//!    with or expired is refused with a form error (the object is left to the cleanup task:
//!    it may be someone else's upload in flight). Then the object is streamed from the bucket
//!    through the very checks of a form's file part (`max_size`, the sniffed type, the image
//!    header and full decode under [`ImageRules`](crate::upload::ImageRules)) and saved
//!    under the field's `upload_to` name the way a form's file is (a free name, never an
//!    overwrite). The temporary object is deleted either way; a refused one leaves the form
//!    error.
//!
//! Why the bytes are streamed back through the app rather than copied inside the bucket: the
//! presigned URL stays valid until it expires, so the browser could rewrite the temporary key
//! after it was checked; what is saved is exactly what was checked (the read is also
//! conditional on the object's ETag).
//!
//! Switch it on per model with [`ModelAdmin::direct_uploads`](crate::ModelAdmin::direct_uploads)
//! (`admin.direct_uploads(direct::DEFAULT_TTL)`):
//! the edit widgets then carry the issuing route in `data-direct-upload` and
//! [`ModelAdmin::routes`](crate::ModelAdmin::routes) serves it. With the local storage the
//! route answers `409` and the script posts the file with the form, as it does without
//! JavaScript. Abandoned temporary objects are removed by `cargo loco task
//! privates_clean_temp` (see [`S3Storage::remove_stale_direct_uploads`]). The bucket must
//! allow the browser's cross-origin `PUT` (a CORS rule, see the README).

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use bytes::Bytes;
use hmac::Mac;
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::ErrorDetail};
use privates::{
    Decision, PrivateMedia, Privates,
    storage::{DIRECT_UPLOAD_PREFIX, S3Storage, Storage, StorageError, valid_upload_filename},
};
use rand::{Rng, distr::Alphanumeric};
use serde::{Deserialize, Serialize};

use crate::{
    ModelAdmin,
    csrf::{CsrfError, HmacSha256, TokenCheck},
    settings::AdminState,
    upload::{UploadError, max_size},
};

/// How long a presigned upload URL and its ticket are valid by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(900);

/// The suffix of the hidden input that carries a field's ticket: `{field}-direct`.
pub const INPUT_SUFFIX: &str = "-direct";

/// The last path segment of the issuing route, below `{prefix}/{app}/{model}/`.
pub const ROUTE_SEGMENT: &str = "direct-upload/";

/// Separates this use of the server key from the CSRF tokens.
const DOMAIN: &[u8] = b"privates-admin direct upload v1";

/// How many random letters and digits make a temporary key unique.
const KEY_RANDOM_CHARS: usize = 24;

/// What the script asks the issuing route for.
#[derive(Clone, Debug, Deserialize)]
pub struct DirectUploadRequest {
    /// The private field.
    pub field: String,
    /// The file's name in the browser.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What the issuing route answers: where to `PUT` the bytes, and the ticket for the form.
#[derive(Clone, Debug, Serialize)]
pub struct IssuedUpload {
    /// The presigned URL.
    pub url: String,
    /// Always `PUT`.
    pub method: &'static str,
    /// Headers the `PUT` must carry (those the signature covers, `Host` aside).
    pub headers: BTreeMap<String, String>,
    /// The temporary key.
    pub key: String,
    /// The value of the hidden input `{field}-direct`.
    pub ticket: String,
    /// When the URL and the ticket expire, in Unix seconds.
    pub expires: u64,
}

/// Why no direct upload was issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectUploadError {
    /// The CSRF check refused the request (403).
    #[error(transparent)]
    Csrf(#[from] CsrfError),
    /// Not logged in (401) or without the model's permission (403).
    #[error("you may not upload files for this model")]
    Refused(Decision),
    /// The field is not a private field of this admin (404).
    #[error("`{0}` is not a private field of this model")]
    UnknownField(String),
    /// The storage is not S3 (409): the form must carry the file itself.
    #[error(
        "direct uploads need the S3 storage (`storage.backend: s3`); send the file with the form"
    )]
    NotS3,
    /// The body is not the JSON of a [`DirectUploadRequest`] (400).
    #[error("the body must be JSON {{\"field\", \"name\", \"size\"}}: {0}")]
    BadRequest(String),
    /// The file name cannot be stored (400).
    #[error("the file name is not valid: use letters, digits, `-`, `_` and `.`")]
    InvalidName,
    /// The announced size is over the field's `max_size` (413).
    #[error("{0}")]
    TooLarge(String),
    /// privates or privates-admin is not initialised, or presigning failed (500).
    #[error("{0}")]
    Internal(String),
}

impl DirectUploadError {
    /// The HTTP status of the answer.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Csrf(err) => err.status(),
            Self::Refused(Decision::Anonymous) => StatusCode::UNAUTHORIZED,
            Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::UnknownField(_) => StatusCode::NOT_FOUND,
            Self::NotS3 => StatusCode::CONFLICT,
            Self::InvalidName | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// loco's JSON error shape.
impl IntoResponse for DirectUploadError {
    fn into_response(self) -> Response {
        let status = self.status();
        let description = if status.is_server_error() {
            tracing::error!("privates-admin: issuing a direct upload failed: {self}");
            "the upload could not be prepared".to_owned()
        } else {
            self.to_string()
        };
        let code = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        (status, Json(ErrorDetail::new(code, description))).into_response()
    }
}

impl<M: PrivateMedia> ModelAdmin<M> {
    /// Issues a direct upload of `asked` for the request `parts` (see the
    /// [module docs](self)): the CSRF check (token in `X-CSRFToken`), the model's page
    /// permission, the field, the announced size, then a presigned `PUT` of a fresh temporary
    /// key and its ticket. The route of [`routes`](Self::routes) answers with it.
    ///
    /// # Errors
    /// [`DirectUploadError`], each with its status.
    pub async fn issue_direct_upload(
        &self,
        ctx: &AppContext,
        parts: &Parts,
        asked: &DirectUploadRequest,
    ) -> Result<IssuedUpload, DirectUploadError> {
        let internal = |err: &dyn std::fmt::Display| DirectUploadError::Internal(err.to_string());
        let privates = Privates::from_ctx(ctx).map_err(|err| internal(&err))?;
        let state = AdminState::from_ctx(ctx).map_err(|err| internal(&err))?;
        let check = state.csrf.begin(parts)?;
        check.verify_header()?;
        let decision = (privates.decide(parts, ctx, self.page_permission()).await)
            .map_err(|err| internal(&err))?;
        if decision != Decision::Allowed {
            return Err(DirectUploadError::Refused(decision));
        }
        let field = (self.fields().iter())
            .find(|field| field.name() == asked.field)
            .ok_or_else(|| DirectUploadError::UnknownField(asked.field.clone()))?;
        let Storage::S3(bucket) = privates.files() else {
            return Err(DirectUploadError::NotS3);
        };
        let name =
            valid_upload_filename(&asked.name).map_err(|_| DirectUploadError::InvalidName)?;
        let max = max_size(field.spec, self.upload());
        if asked.size > max {
            let too_large = UploadError::TooLarge {
                field: field.name().to_owned(),
                max_size: max,
            };
            return Err(DirectUploadError::TooLarge(too_large.public_message()));
        }
        let random: String = (rand::rng().sample_iter(Alphanumeric))
            .take(KEY_RANDOM_CHARS)
            .map(char::from)
            .collect();
        let key = format!("{DIRECT_UPLOAD_PREFIX}{random}/{name}");
        let ttl = self.direct_upload_ttl().unwrap_or(DEFAULT_TTL);
        issue(bucket, &check, (M::APP, M::MODEL, field.name()), key, ttl).await
    }
}

/// The issuing route of `admin`: JSON in, JSON out.
pub(crate) fn route<M: PrivateMedia>(admin: ModelAdmin<M>) -> MethodRouter<AppContext> {
    let admin = Arc::new(admin);
    axum::routing::post(
        move |State(ctx): State<AppContext>, parts: Parts, body: Bytes| {
            let admin = Arc::clone(&admin);
            async move {
                let issued = match serde_json::from_slice::<DirectUploadRequest>(&body) {
                    Ok(asked) => admin.issue_direct_upload(&ctx, &parts, &asked).await,
                    Err(err) => Err(DirectUploadError::BadRequest(err.to_string())),
                };
                match issued {
                    Ok(issued) => Json(issued).into_response(),
                    Err(err) => err.into_response(),
                }
            }
        },
    )
}

/// The presigned `PUT` of `key` and its ticket for `(app, model, field)`.
async fn issue(
    bucket: &S3Storage,
    check: &TokenCheck,
    (app, model, field): (&str, &str, &str),
    key: String,
    ttl: Duration,
) -> Result<IssuedUpload, DirectUploadError> {
    let internal = |err: &dyn std::fmt::Display| DirectUploadError::Internal(err.to_string());
    let expires = unix(SystemTime::now()) + ttl.as_secs();
    let (url, headers) = (bucket.presign_put(&key, ttl).await).map_err(|err| internal(&err))?;
    let headers = (headers.iter())
        .filter(|(name, _)| *name != http::header::HOST)
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let mac = ticket_mac(check, (app, model, field), &key, expires)?;
    let ticket = format!(
        "{expires}.{}.{key}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    Ok(IssuedUpload {
        url: url.to_string(),
        method: "PUT",
        headers,
        key,
        ticket,
        expires,
    })
}

/// The MAC of a ticket.
fn ticket_mac(
    check: &TokenCheck,
    (app, model, field): (&str, &str, &str),
    key: &str,
    expires: u64,
) -> Result<HmacSha256, CsrfError> {
    let expires = expires.to_string();
    check.bound_mac(
        DOMAIN,
        &[
            app.as_bytes(),
            model.as_bytes(),
            field.as_bytes(),
            key.as_bytes(),
            expires.as_bytes(),
        ],
    )
}

/// Why a presented ticket is refused; the message is for the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TicketRefused {
    /// Malformed, tampered with, or issued to another browser, session or field.
    #[error("This upload was not issued to you for this field: choose the file again.")]
    Forged,
    /// Genuine, but expired.
    #[error("The upload expired before the form was saved: choose the file again.")]
    Expired,
}

/// The temporary key of `ticket` if it was issued to this browser and session for `field` of
/// `(app, model)` and has not expired at `now`. The MAC is compared in constant time.
pub(crate) fn verify_ticket<'t>(
    check: &TokenCheck,
    scope: (&str, &str, &str),
    ticket: &'t str,
    now: SystemTime,
) -> Result<&'t str, TicketRefused> {
    let mut split = ticket.trim().splitn(3, '.');
    let (Some(expires), Some(sig), Some(key)) = (split.next(), split.next(), split.next()) else {
        return Err(TicketRefused::Forged);
    };
    let (Ok(expires), Ok(sig)) = (expires.parse::<u64>(), URL_SAFE_NO_PAD.decode(sig)) else {
        return Err(TicketRefused::Forged);
    };
    let genuine =
        ticket_mac(check, scope, key, expires).is_ok_and(|mac| mac.verify_slice(&sig).is_ok());
    if !genuine || !key.starts_with(DIRECT_UPLOAD_PREFIX) {
        return Err(TicketRefused::Forged);
    }
    if unix(now) >= expires {
        return Err(TicketRefused::Expired);
    }
    Ok(key)
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Deletes the temporary object `key` of a direct upload, checked or refused; a failure is
/// logged (the cleanup task removes it later).
pub(crate) async fn discard(storage: &Storage, key: &str) {
    if let Err(err) = storage.delete(key).await {
        tracing::warn!(error = %err, "privates-admin: could not delete a direct upload's temporary object");
    }
}

/// The `StorageError` of a failed read of the temporary object `key`.
pub(crate) fn read_error(key: &str, source: std::io::Error) -> UploadError {
    UploadError::Storage(StorageError::Io {
        name: key.to_owned(),
        source,
    })
}

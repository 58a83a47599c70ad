//! Thumbnails of `image` fields: a small PNG (at most [`THUMBNAIL_SIZE`] pixels on each side)
//! made from the stored image and kept in the private storage beside it
//! ([`Variant::Thumbnail`]: `folder/~thumbnail/file`, a name no upload can take), so a change
//! page or list draws 160 pixels instead of downloading a 5 MiB photo.
//!
//! - **Made on first use, then kept**: whichever comes first, the page that shows it
//!   ([`ModelAdmin::facts`](crate::ModelAdmin::facts)) or a request to its route, makes it
//!   ([`ensure`]); later ones find it. On first use rather than on upload, so every stored
//!   image gets one whatever stored it (a seed, `save_bytes`, a file stored before thumbnails
//!   existed) through one code path, and an upload's answer is not delayed by it. A
//!   thumbnail older than its original (a file replaced under the same name by hand) is made
//!   again.
//! - **Bounded work**: the original is read only up to the field's `max_size`, and decoded
//!   under the upload validation's [`ImageRules`] (dimensions and decoded size) with its
//!   decoded size reserved from the app's [`DecodeBudget`], on the blocking pool.
//! - **Never a 500**: an image that cannot be made into a thumbnail (not an image, corrupt,
//!   too large to decode, missing) has none: the widget shows the file's link alone, and the
//!   route answers 404.
//! - **Served like the file**: the route `{prefix}/{app}/{model}/{pk}/{field}/thumbnail/`
//!   ([`ModelAdmin::routes`](crate::ModelAdmin::routes)) checks what the download checks, in
//!   the same order (401 or the login redirect, 403, 404, the object-level 403, an empty field
//!   404), then hands the thumbnail over through the configured delivery, with the file's
//!   headers (`Cache-Control: private`, `X-Content-Type-Options: nosniff`, validators).
//! - **Removed with the original**: [`Storage::delete`] removes an original's variants, so a
//!   replaced or cleared file ([`Submission::commit`](crate::Submission::commit)) and a
//!   deleted row's files ([`Privates::delete_files`]) take their thumbnail with them.

use std::{borrow::Cow, io::Cursor, str::FromStr};

use axum::{
    extract::{FromRequestParts, Path, Request},
    handler::Handler,
    response::{IntoResponse, Response},
};
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt as _, future::BoxFuture};
use http::{StatusCode, request::Parts};
use image::{DynamicImage, ImageFormat, ImageReader};
use loco_rs::app::AppContext;
use privates::{
    Field, FindByPk, PrivateMedia, Privates, SendfileOptions, refuse,
    storage::{Storage, StorageError, Variant},
};

use crate::{
    settings::AdminState,
    upload::{
        DecodeBudget,
        image::{Header, ImageRules, check_header, format_of},
    },
};

/// The largest side of a thumbnail, in pixels: an image is scaled down to fit in a square of
/// this size, keeping its proportions (a smaller one is kept as it is).
pub const THUMBNAIL_SIZE: u32 = 160;

/// The `Content-Type` of every thumbnail.
pub const THUMBNAIL_CONTENT_TYPE: &str = "image/png";

/// Why an image has no thumbnail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThumbnailError {
    /// The stored file is larger than the field accepts.
    #[error("the stored image is {size} bytes, more than the {limit} bytes its field accepts")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The field's `max_size`.
        limit: u64,
    },
    /// Not an image of a decodable type, corrupt, or over the decoding limits.
    #[error("the stored file cannot be made into a thumbnail: {0}")]
    Image(String),
    /// No image-decoding memory became free in time.
    #[error("no image decoding memory became free within {0:?}")]
    Busy(std::time::Duration),
    /// The storage failed (a missing original is [`StorageError::NotFound`]).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading the original failed midway.
    #[error("reading the stored image failed: {0}")]
    Read(std::io::Error),
    /// The blocking task did not finish.
    #[error("making a thumbnail failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What a thumbnail is made under.
#[derive(Clone, Debug)]
pub struct ThumbnailLimits {
    /// The decoding limits (those of the upload validation).
    pub image: ImageRules,
    /// The most bytes of the original read (the field's `max_size`).
    pub max_bytes: u64,
    /// The decoding memory shared with the app's uploads; `None`: each image is still held to
    /// [`ImageRules::max_alloc`].
    pub budget: Option<DecodeBudget>,
}

/// The name of the thumbnail of the stored image `name`, made now unless one at least as new
/// as the original is stored already.
///
/// # Errors
/// [`ThumbnailError`]: the image has no thumbnail (show its link alone).
pub async fn ensure(
    storage: &Storage,
    name: &str,
    limits: &ThumbnailLimits,
) -> Result<String, ThumbnailError> {
    let thumbnail = Variant::Thumbnail.name_of(name)?;
    // Two metadata reads when it is there already (a page of images asks for each).
    let original_modified = storage.modified(name).await?;
    match storage.modified(&thumbnail).await {
        Ok(made) if made >= original_modified => return Ok(thumbnail),
        Ok(_) => {}
        Err(err) if err.is_not_found() => {}
        Err(err) => return Err(err.into()),
    }
    let original = storage.open(name).await?;
    let size = original.size();
    if size > limits.max_bytes {
        return Err(ThumbnailError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    let mut stream = original.into_stream().await?;
    let mut bytes = BytesMut::with_capacity(usize::try_from(size).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ThumbnailError::Read)?;
        bytes.extend_from_slice(&chunk);
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_bytes {
            return Err(ThumbnailError::TooLarge {
                size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                limit: limits.max_bytes,
            });
        }
    }
    let limits = limits.clone();
    let png = tokio::task::spawn_blocking(move || make(&bytes, &limits)).await??;
    Ok(storage
        .save_variant(name, Variant::Thumbnail, Bytes::from(png))
        .await?)
}

/// Decodes `bytes` under `limits` and encodes the scaled-down image as PNG (blocking).
fn make(bytes: &[u8], limits: &ThumbnailLimits) -> Result<Vec<u8>, ThumbnailError> {
    let not_an_image = || ThumbnailError::Image("not a PNG, JPEG, GIF or WebP image".to_owned());
    let format = image::guess_format(bytes)
        .ok()
        .and_then(|format| format_of(format.to_mime_type()))
        .ok_or_else(not_an_image)?;
    let decoded_bytes = match check_header(bytes, true, format, &limits.image) {
        Header::Valid { decoded_bytes, .. } => decoded_bytes,
        Header::Invalid(message) => return Err(ThumbnailError::Image(message)),
        Header::NeedMore => return Err(not_an_image()),
    };
    let _permit = match &limits.budget {
        Some(budget) => Some(
            budget
                .reserve_blocking(decoded_bytes)
                .map_err(|busy| ThumbnailError::Busy(busy.0))?,
        ),
        None => None,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.image.limits());
    let image = reader
        .decode()
        .map_err(|err| ThumbnailError::Image(err.to_string()))?;
    let small = if image.width() <= THUMBNAIL_SIZE && image.height() <= THUMBNAIL_SIZE {
        image
    } else {
        image.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    };
    // 8 bits per channel, with alpha only when the image has some.
    let small = if small.color().has_alpha() {
        DynamicImage::ImageRgba8(small.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(small.to_rgb8())
    };
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|err| ThumbnailError::Image(err.to_string()))?;
    Ok(png)
}

/// The thumbnail route of one image field (see the [module](self)): registered by
/// [`ModelAdmin::routes`](crate::ModelAdmin::routes).
pub(crate) struct ThumbnailView<M: PrivateMedia> {
    pub(crate) field: Field<M>,
    pub(crate) permission: Cow<'static, str>,
    pub(crate) image: ImageRules,
    pub(crate) max_bytes: u64,
}

impl<M: PrivateMedia> Clone for ThumbnailView<M> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            permission: self.permission.clone(),
            image: self.image,
            max_bytes: self.max_bytes,
        }
    }
}

impl<M: PrivateMedia + FindByPk> ThumbnailView<M> {
    /// The download view's checks, in its order, then the thumbnail.
    async fn respond(&self, ctx: &AppContext, parts: &Parts, pk: &str) -> Response {
        match self.thumbnail(ctx, parts, pk).await {
            Ok(response) | Err(response) => response,
        }
    }

    async fn thumbnail(
        &self,
        ctx: &AppContext,
        parts: &Parts,
        pk: &str,
    ) -> Result<Response, Response> {
        let privates = Privates::from_ctx(ctx).map_err(|err| internal(parts, &err))?;
        // Who asks and whether they hold the permission, before the object is looked up (no
        // existence leak); the object-level check needs the object, so it comes after.
        if let Some(refusal) = privates
            .require(parts, ctx, &self.permission)
            .await
            .map_err(|err| internal(parts, &err))?
        {
            return Err(refusal);
        }
        let Ok(pk) = M::Pk::from_str(pk) else {
            return Err(refuse(parts, StatusCode::NOT_FOUND));
        };
        let object = M::find_by_pk(ctx, &pk)
            .await
            .map_err(|err| internal(parts, &err))?
            .ok_or_else(|| refuse(parts, StatusCode::NOT_FOUND))?;
        // The object-level check (the authorizer's), as the download view makes it.
        let decision = privates
            .decide_download(parts, ctx, &self.permission, &object, &self.field)
            .await
            .map_err(|err| internal(parts, &err))?;
        if let Some(refusal) = decision.refusal(parts, privates.login_url()) {
            return Err(refusal);
        }
        let Some(name) = self.field.stored_name(&object) else {
            return Err(refuse(parts, StatusCode::NOT_FOUND));
        };
        let limits = ThumbnailLimits {
            image: self.image,
            max_bytes: self.max_bytes,
            budget: AdminState::from_ctx(ctx).ok().map(|state| state.decode),
        };
        let thumbnail = match ensure(privates.files(), name, &limits).await {
            Ok(thumbnail) => thumbnail,
            Err(err) => {
                log_failure(M::APP, M::MODEL, self.field.name(), &err);
                return Err(refuse(parts, StatusCode::NOT_FOUND));
            }
        };
        let options = SendfileOptions {
            mimetype: Some(THUMBNAIL_CONTENT_TYPE.to_owned()),
            ..SendfileOptions::default()
        };
        privates
            .sendfile(parts, &thumbnail, &options)
            .await
            .map_err(|err| refuse(parts, err.status()))
    }
}

/// Logs why an image has no thumbnail: a storage or task failure as a warning, an image that
/// cannot be one (a normal outcome for a corrupt upload) at debug level.
pub(crate) fn log_failure(app: &str, model: &str, field: &str, err: &ThumbnailError) {
    match err {
        ThumbnailError::Storage(source) if !source.is_not_found() => {
            tracing::warn!(app, model, field, "privates-admin: no thumbnail: {err}");
        }
        ThumbnailError::Task(_) | ThumbnailError::Busy(_) | ThumbnailError::Read(_) => {
            tracing::warn!(app, model, field, "privates-admin: no thumbnail: {err}");
        }
        _ => tracing::debug!(app, model, field, "privates-admin: no thumbnail: {err}"),
    }
}

fn internal(parts: &Parts, err: &dyn std::fmt::Display) -> Response {
    tracing::error!("privates-admin: thumbnail failed: {err}");
    refuse(parts, StatusCode::INTERNAL_SERVER_ERROR)
}

/// The view as an axum handler taking the app context by value (as privates' own view).
impl<M: PrivateMedia + FindByPk> Handler<(), AppContext> for ThumbnailView<M> {
    type Future = BoxFuture<'static, Response>;

    fn call(self, request: Request, ctx: AppContext) -> Self::Future {
        Box::pin(async move {
            let (mut parts, _body) = request.into_parts();
            match Path::<String>::from_request_parts(&mut parts, &ctx).await {
                Ok(Path(pk)) => self.respond(&ctx, &parts, &pk).await,
                Err(rejection) => rejection.into_response(),
            }
        })
    }
}

//! The object-store backends, over [`S3Storage`]:
//!
//! - `redirect`: `302 Found` to a presigned `GET` URL that expires after `sendfile.expires`
//!   seconds. The URL carries `response-content-type`, `response-content-disposition` and
//!   `response-cache-control` overrides (covered by the signature), so the browser gets the
//!   same `Content-Type` and `Content-Disposition` the local backends send. S3 cannot add a
//!   `Content-Security-Policy` to its answer, so active content (HTML, SVG, XML) goes out as an
//!   attachment, as on nginx. The redirect itself is `Cache-Control: private, no-store`: the
//!   browser must come back (and be checked again) rather than reuse a URL that expired.
//! - `stream`: the app reads the object (a ranged `GET`, chunk by chunk) and answers exactly as
//!   the development backend does: HEAD, `ETag` (the object's) and `Last-Modified`, 304/412,
//!   single byte ranges (206/416).

use std::time::Duration;

use axum::{body::Body, response::Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use super::{
    SendfileError, SendfileOptions, conditional::Validators, development, headers::EntityHeaders,
};
use crate::{
    settings::ObjectDelivery,
    storage::{OpenedObject, ResponseOverrides},
};

/// The `Cache-Control` of the presigned answer S3 sends (as the local backends').
const OBJECT_CACHE_CONTROL: &str = "private";

/// The answer of `how` for `object`.
pub(crate) async fn respond(
    method: &Method,
    headers: &HeaderMap,
    how: ObjectDelivery,
    object: &OpenedObject,
    options: &SendfileOptions,
) -> Result<Response, SendfileError> {
    match how {
        ObjectDelivery::Redirect { expires } => {
            // S3 cannot send a CSP: active content must be an attachment there.
            let entity = EntityHeaders::new(&object.name, options, true)?;
            redirect(object, expires, &entity).await
        }
        ObjectDelivery::Stream => {
            let entity = EntityHeaders::new(&object.name, options, false)?;
            stream(method, headers, object, &entity).await
        }
    }
}

/// The redirect to a presigned URL of `object`.
async fn redirect(
    object: &OpenedObject,
    expires: Duration,
    entity: &EntityHeaders,
) -> Result<Response, SendfileError> {
    // Both are printable ASCII: `content_disposition` and `content_type` only produce that.
    let overrides = ResponseOverrides {
        content_type: entity
            .content_type()
            .to_str()
            .unwrap_or("application/octet-stream"),
        content_disposition: entity.disposition().to_str().unwrap_or("attachment"),
        cache_control: OBJECT_CACHE_CONTROL,
    };
    let uri = object
        .source
        .presign_get(object, expires, &overrides)
        .await?;
    let location = HeaderValue::from_str(&uri.to_string()).map_err(|_| SendfileError::Io {
        path: object.name.clone().into(),
        source: std::io::Error::other("the presigned URL is not a valid header value"),
    })?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    let out = response.headers_mut();
    out.insert(header::LOCATION, location);
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// The app-streamed answer for `object`.
async fn stream(
    method: &Method,
    headers: &HeaderMap,
    object: &OpenedObject,
    entity: &EntityHeaders,
) -> Result<Response, SendfileError> {
    let validators = Validators::from_object(object.etag.as_deref(), object.last_modified);
    let read = |start, count| async move {
        let name = object.name.clone();
        let stream = object.source.read(object, start, count).await?;
        let body = futures_util::StreamExt::inspect(stream, move |chunk| {
            if let Err(err) = chunk {
                // The status line is long gone: the connection is aborted, so say why.
                tracing::error!(
                    name = %name,
                    error = %err,
                    "sendfile: reading the object failed mid-stream"
                );
            }
        });
        Ok(Body::from_stream(body))
    };
    development::respond_with(method, headers, object.len, &validators, entity, read).await
}

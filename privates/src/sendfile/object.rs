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
    conditional::Validators,
    development::{self, Plan},
    headers::EntityHeaders,
};
use crate::{
    Error,
    storage::{S3Object, S3Storage},
};

/// The `Cache-Control` of the presigned answer S3 sends (as the local backends').
const OBJECT_CACHE_CONTROL: &str = "private";

/// The redirect to a presigned URL of `object`.
pub(crate) async fn redirect(
    storage: &S3Storage,
    object: &S3Object,
    expires: Duration,
    entity: &EntityHeaders,
) -> Result<Response, Error> {
    // Both are printable ASCII: `content_disposition` and `content_type` only produce that.
    let content_type = entity
        .content_type()
        .to_str()
        .unwrap_or("application/octet-stream");
    let disposition = entity.disposition().to_str().unwrap_or("attachment");
    let uri = storage
        .presign_get(
            &object.name,
            expires,
            content_type,
            disposition,
            OBJECT_CACHE_CONTROL,
        )
        .await?;
    let location = HeaderValue::from_str(&uri.to_string()).map_err(|_| {
        crate::storage::StorageError::ObjectStore {
            operation: "presign",
            name: object.name.clone(),
            bucket: storage.bucket().to_owned(),
            timeout: 0,
            source: "the presigned URL is not a valid header value".into(),
        }
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
pub(crate) async fn stream(
    method: &Method,
    headers: &HeaderMap,
    storage: &S3Storage,
    object: &S3Object,
    entity: &EntityHeaders,
) -> Result<Response, Error> {
    let validators = Validators::from_object(object.etag.as_deref(), object.last_modified);
    let len = object.len;
    match development::plan(method, headers, len, &validators) {
        Plan::Done(response) => Ok(response),
        Plan::Send {
            status,
            start,
            count,
            body,
        } => {
            let body = if body {
                let name = object.name.clone();
                let stream = storage.read(object, start, count).await?;
                Body::from_stream(futures_util::StreamExt::inspect(stream, move |chunk| {
                    if let Err(err) = chunk {
                        // The status line is long gone: the connection is aborted, so say why.
                        tracing::error!(name = %name, error = %err, "sendfile: reading the object failed mid-stream");
                    }
                }))
            } else {
                Body::empty()
            };
            Ok(development::finish(
                status,
                start,
                count,
                len,
                &validators,
                entity,
                body,
            ))
        }
    }
}

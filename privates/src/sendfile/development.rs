//! The `development` backend: the app streams the file itself, with HEAD, validators,
//! conditional requests and single byte ranges. The `stream` backend (S3) answers through the
//! same [`respond_with`], with the object's ETag and a ranged GET as the body.

use axum::{body::Body, response::Response};
use headers::{AcceptRanges, ContentLength, ContentRange, HeaderMapExt};
use http::{HeaderMap, Method, StatusCode, header};

use std::future::Future;

use super::{
    SendfileError,
    conditional::{self, Precondition, Validators},
    headers::{EntityHeaders, apply_privacy},
    range::{self, RangeDecision},
    stream::FileStream,
};
use crate::storage::OpenedFile;

/// What to send for a request on a representation of `len` bytes.
enum Plan {
    /// A complete answer without a body (304, 412, 416).
    Done(Response),
    /// Send `count` bytes from `start` with `status` (200 or 206); no body for HEAD
    /// (`count` is then still the length to announce).
    Send {
        /// 200 or 206.
        status: StatusCode,
        /// First byte.
        start: u64,
        /// How many bytes.
        count: u64,
        /// Whether a body must be read at all (not for HEAD or an empty range).
        body: bool,
    },
}

/// Evaluates the preconditions and the `Range` header.
fn plan(method: &Method, headers: &HeaderMap, len: u64, validators: &Validators) -> Plan {
    match conditional::evaluate(headers, validators) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            // RFC 9110 §15.4.5: a 304 repeats the validators and Cache-Control, nothing about
            // the body.
            let mut response = empty(StatusCode::NOT_MODIFIED);
            apply_validators(response.headers_mut(), validators);
            return Plan::Done(response);
        }
        Precondition::Failed => return Plan::Done(empty(StatusCode::PRECONDITION_FAILED)),
    }

    // Range is only defined for GET; HEAD describes the full representation.
    let decision = match headers.get(header::RANGE) {
        Some(value)
            if method != Method::HEAD && conditional::if_range_allows(headers, validators) =>
        {
            range::decide(value, len)
        }
        _ => RangeDecision::Full,
    };

    let (status, start, count) = match decision {
        RangeDecision::Full => (StatusCode::OK, 0, len),
        RangeDecision::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeDecision::Unsatisfiable => {
            let mut response = empty(StatusCode::RANGE_NOT_SATISFIABLE);
            let out = response.headers_mut();
            out.typed_insert(ContentRange::unsatisfied_bytes(len));
            out.typed_insert(AcceptRanges::bytes());
            return Plan::Done(response);
        }
    };
    Plan::Send {
        status,
        start,
        count,
        body: method != Method::HEAD && count > 0,
    }
}

/// The 200/206 answer for a [`Plan::Send`], with `body` (empty for HEAD).
fn finish(
    status: StatusCode,
    start: u64,
    count: u64,
    len: u64,
    validators: &Validators,
    entity: &EntityHeaders,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    entity.apply(out);
    out.typed_insert(AcceptRanges::bytes());
    apply_validators(out, validators);
    // Set explicitly: hyper cannot know a stream's length, and HEAD must announce the length
    // of the body a GET would get.
    out.typed_insert(ContentLength(count));
    if status == StatusCode::PARTIAL_CONTENT {
        // Only fails for an unbounded end without a length, which this is not.
        if let Ok(content_range) = ContentRange::bytes(start..start + count, len) {
            out.typed_insert(content_range);
        }
    }
    response
}

/// The answer for a representation of `len` bytes: 304, 412 or 416 as the request's
/// preconditions and range decide, else 200 or 206 with the body `read(start, count)` gives
/// (not asked for HEAD or an empty range).
pub(crate) async fn respond_with<F, Fut>(
    method: &Method,
    headers: &HeaderMap,
    len: u64,
    validators: &Validators,
    entity: &EntityHeaders,
    read: F,
) -> Result<Response, SendfileError>
where
    F: FnOnce(u64, u64) -> Fut,
    Fut: Future<Output = Result<Body, SendfileError>>,
{
    let (status, start, count, body) = match plan(method, headers, len, validators) {
        Plan::Done(response) => return Ok(response),
        Plan::Send {
            status,
            start,
            count,
            body,
        } => (status, start, count, body),
    };
    let body = if body {
        read(start, count).await?
    } else {
        Body::empty()
    };
    Ok(finish(status, start, count, len, validators, entity, body))
}

/// Answers `method` with `headers` for the open `file`.
pub(crate) async fn respond(
    method: &Method,
    headers: &HeaderMap,
    file: OpenedFile,
    entity: &EntityHeaders,
) -> Result<Response, SendfileError> {
    let validators = Validators::from_metadata(&file.metadata);
    let len = file.metadata.len();
    let OpenedFile { file, path, .. } = file;
    respond_with(method, headers, len, &validators, entity, |start, count| {
        std::future::ready(Ok(Body::from_stream(FileStream::new(
            file, start, count, path,
        ))))
    })
    .await
}

fn apply_validators(headers: &mut HeaderMap, validators: &Validators) {
    if let Some(etag) = &validators.etag {
        headers.typed_insert(etag.clone());
    }
    if let Some(last_modified) = validators.last_modified {
        headers.typed_insert(last_modified);
    }
}

/// A bodiless answer with the privacy headers.
fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    apply_privacy(response.headers_mut());
    response
}

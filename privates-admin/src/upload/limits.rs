//! Size limits: the per-file `max_size` enforced while the bytes stream in, and the body limit
//! of an upload route derived from it (loco's default payload limit is 2 MB, too small for
//! most files and not tied to any field).

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use bytes::Bytes;
use futures_util::Stream;
use privates::{Field, FieldSpec};

use super::UploadOptions;

/// Room for the multipart framing (boundaries and part headers) on top of the parts' contents.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// The limit of one field's uploads: its `max_size`, or
/// [`UploadOptions::default_max_size`] when it has none.
#[must_use]
pub fn max_size(spec: &FieldSpec, options: &UploadOptions) -> u64 {
    spec.limits.max_size.unwrap_or(options.default_max_size)
}

/// The body limit of a route receiving a change form with `fields`: every field's
/// [`max_size`] (a form can carry all its files at once), plus the text fields'
/// [`UploadOptions::max_text_bytes`], plus room for the multipart framing. Saturates at
/// `usize::MAX`.
#[must_use]
pub fn body_limit<M>(fields: &[Field<M>], options: &UploadOptions) -> usize {
    let files = fields
        .iter()
        .map(|field| max_size(field.spec, options))
        .fold(0_u64, u64::saturating_add);
    let total = files
        .saturating_add(u64::try_from(options.max_text_bytes).unwrap_or(u64::MAX))
        .saturating_add(FRAMING_ALLOWANCE);
    usize::try_from(total).unwrap_or(usize::MAX)
}

/// The axum layer that gives a route [`body_limit`]: put it on the route that receives the
/// change form (`post(handler).layer(body_limit_layer(..))`). It overrides loco's
/// `limit_payload` middleware for that route only.
pub fn body_limit_layer<M>(fields: &[Field<M>], options: &UploadOptions) -> DefaultBodyLimit {
    DefaultBodyLimit::max(body_limit(fields, options))
}

/// Why the stream of a file part stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamFault {
    /// The part went over the field's limit.
    #[error("the upload is larger than {max_size} bytes")]
    TooLarge { max_size: u64 },
    /// The body (or the bucket's object) could not be read.
    #[error(transparent)]
    Read(super::UploadError),
    /// No byte came for `after`.
    #[error("the upload was silent for {after:?}")]
    Idle { after: Duration },
}

/// The `Content-Length` a request declares, if any (a malformed one counts as none: hyper
/// refuses those before a handler runs).
#[must_use]
pub fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What the stream of a file part yields when it stops early; why is in the `fault` slot given
/// to [`counted`], typed, so nothing has to be downcast from the storage's boxed error.
#[derive(Debug, thiserror::Error)]
#[error("the upload stream stopped early")]
pub(crate) struct StreamStopped;

/// The bytes of a file part: `head` (already read), then the rest of `part`, stopping with
/// [`StreamFault::TooLarge`] (in `fault`) as soon as more than `max_size` bytes came in, and
/// with [`StreamFault::Idle`] when no chunk comes for `idle`. `received` counts every byte,
/// `head` included; `ended` says the part has no more bytes after `head`.
pub(crate) fn counted<'s>(
    part: &'s mut super::Source<'_, '_>,
    head: Bytes,
    ended: bool,
    (max_size, idle): (u64, Duration),
    received: &'s mut u64,
    fault: &'s mut Option<StreamFault>,
) -> impl Stream<Item = Result<Bytes, StreamStopped>> + Send + 's {
    *received = len(&head);
    let state = State {
        head: (!head.is_empty()).then_some(head),
        part,
        ended,
        max_size,
        idle,
        received,
        fault,
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        if let Some(head) = state.head.take() {
            return Ok(Some((head, state)));
        }
        if state.ended {
            return Ok(None);
        }
        let Ok(next) = tokio::time::timeout(state.idle, state.part.chunk()).await else {
            let after = state.idle;
            return Err(state.stop(StreamFault::Idle { after }));
        };
        match next {
            Ok(Some(chunk)) => {
                *state.received = state.received.saturating_add(len(&chunk));
                if *state.received > state.max_size {
                    let max_size = state.max_size;
                    return Err(state.stop(StreamFault::TooLarge { max_size }));
                }
                Ok(Some((chunk, state)))
            }
            Ok(None) => Ok(None),
            Err(err) => Err(state.stop(StreamFault::Read(err))),
        }
    })
}

struct State<'s, 'a, 'p> {
    head: Option<Bytes>,
    part: &'s mut super::Source<'a, 'p>,
    ended: bool,
    max_size: u64,
    idle: Duration,
    received: &'s mut u64,
    fault: &'s mut Option<StreamFault>,
}

impl State<'_, '_, '_> {
    /// Keeps why the stream stops, for the receiver.
    fn stop(self, fault: StreamFault) -> StreamStopped {
        *self.fault = Some(fault);
        StreamStopped
    }
}

/// A chunk's length as `u64`.
pub(crate) fn len(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

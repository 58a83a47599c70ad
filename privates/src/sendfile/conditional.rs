//! Validators (`ETag`, `Last-Modified`) and the conditional request headers evaluated against
//! them, in the order of RFC 9110 §13.2.2.

use std::{fs::Metadata, time::SystemTime};

use headers::{
    ETag, HeaderMapExt, IfMatch, IfModifiedSince, IfNoneMatch, IfRange, IfUnmodifiedSince,
    LastModified,
};
use http::HeaderMap;

/// The validators of one file version.
#[derive(Clone, Debug)]
pub(crate) struct Validators {
    pub(crate) etag: Option<ETag>,
    pub(crate) last_modified: Option<LastModified>,
    modified: Option<SystemTime>,
}

impl Validators {
    /// `ETag: "<size hex>-<mtime nanoseconds hex>"`, `Last-Modified` from the mtime (HTTP
    /// dates have second precision). The tag changes whenever the file is rewritten (the mtime
    /// moves, usually with nanosecond precision) or resized; without a readable mtime there is
    /// no validator at all rather than a size-only tag that two versions could share.
    pub(crate) fn from_metadata(metadata: &Metadata) -> Self {
        let modified = metadata.modified().ok();
        let etag = modified
            .and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|since| {
                format!("\"{:x}-{:x}\"", metadata.len(), since.as_nanos())
                    .parse::<ETag>()
                    .ok()
            });
        Self {
            etag,
            last_modified: modified.map(LastModified::from),
            modified,
        }
    }

    /// The validators of an object-store object: its ETag (S3 ETags are strong: they change
    /// with every write) and its last modification.
    pub(crate) fn from_object(etag: Option<&str>, modified: Option<SystemTime>) -> Self {
        let etag = etag.and_then(|tag| {
            let quoted = if tag.starts_with('"') || tag.starts_with("W/") {
                tag.to_owned()
            } else {
                format!("\"{tag}\"")
            };
            quoted.parse::<ETag>().ok()
        });
        Self {
            etag,
            last_modified: modified.map(LastModified::from),
            modified,
        }
    }
}

/// What the preconditions decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// Serve the file (perhaps a range of it).
    Proceed,
    /// `304 Not Modified`: the client's copy is current.
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the
/// order RFC 9110 §13.2.2 prescribes: a failed `If-Match` (or, without it,
/// `If-Unmodified-Since`) is a 412; then `If-None-Match` decides 304 and, when present, makes
/// `If-Modified-Since` irrelevant. Header values that do not parse are ignored, as the RFC
/// asks for dates. Every method is treated as GET (the router answers 405 for the others).
pub(crate) fn evaluate(headers: &HeaderMap, validators: &Validators) -> Precondition {
    if let Some(if_match) = headers.typed_get::<IfMatch>() {
        let passes = match &validators.etag {
            Some(etag) => if_match.precondition_passes(etag),
            // `If-Match: *` only asks that the file exists, which it does.
            None => if_match.is_any(),
        };
        if !passes {
            return Precondition::Failed;
        }
    } else if let (Some(since), Some(modified)) = (
        headers.typed_get::<IfUnmodifiedSince>(),
        validators.modified,
    ) && !since.precondition_passes(modified)
    {
        return Precondition::Failed;
    }

    if let Some(if_none_match) = headers.typed_get::<IfNoneMatch>() {
        let passes = match &validators.etag {
            Some(etag) => if_none_match.precondition_passes(etag),
            // Without a tag only `*` can match (the file exists).
            None => if_none_match != IfNoneMatch::any(),
        };
        if !passes {
            return Precondition::NotModified;
        }
    } else if let (Some(since), Some(modified)) =
        (headers.typed_get::<IfModifiedSince>(), validators.modified)
        && !since.is_modified(modified)
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// Whether a `Range` may be honoured: true without `If-Range`, or when its validator (strong
/// ETag comparison, or a date not older than `Last-Modified`) still matches. A mismatch or an
/// unparsable `If-Range` means the client's partial copy is stale: send the whole file.
pub(crate) fn if_range_allows(headers: &HeaderMap, validators: &Validators) -> bool {
    if !headers.contains_key(http::header::IF_RANGE) {
        return true;
    }
    headers.typed_get::<IfRange>().is_some_and(|if_range| {
        !if_range.is_modified(validators.etag.as_ref(), validators.last_modified.as_ref())
    })
}

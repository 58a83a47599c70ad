//! The `Range` header: one byte range is honoured (206), an unsatisfiable one refused (416),
//! anything else answered with the whole file (200).
//!
//! Several ranges are deliberately answered with the full body instead of
//! `multipart/byteranges`: a list of many small or overlapping ranges is the classic way to
//! make a server do a lot of work (and seeks) for one request, and a full 200 is always a valid
//! answer to a range request (RFC 9110 §14.2). Downloads and media players only ask for one
//! range at a time. For the same reason an over-long header is ignored unread.
//!
//! The grammar is checked strictly here rather than through `headers::Range::satisfiable_ranges`,
//! which skips malformed specs silently (`bytes=0-9,junk` would become a 206), drops a suffix
//! longer than the file (RFC 9110 §14.1.3 says it means the whole file) and does not check
//! `first <= last`.

use http::HeaderValue;

/// Range headers longer than this are ignored (a single range needs about 45 bytes).
pub(crate) const MAX_RANGE_HEADER_LEN: usize = 1024;

/// Range headers with more specs than this are not even split further (any count above one is
/// answered with the full body anyway; this only bounds the work).
const MAX_RANGE_SPECS: usize = 16;

/// What to send for a `Range` request on a file of a known length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RangeDecision {
    /// No usable range: 200 with the whole file.
    Full,
    /// 206 with bytes `start..=end` (inclusive, as in `Content-Range`).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Decides how to answer `value` for a file of `len` bytes.
pub(crate) fn decide(value: &HeaderValue, len: u64) -> RangeDecision {
    if value.len() > MAX_RANGE_HEADER_LEN {
        return RangeDecision::Full;
    }
    let Ok(value) = value.to_str() else {
        return RangeDecision::Full;
    };
    let Some((unit, set)) = value.split_once('=') else {
        return RangeDecision::Full;
    };
    // The range unit is case-insensitive (RFC 9110 §14.1); any other unit is ignored.
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeDecision::Full;
    }
    // `1#range-spec`: empty list elements are allowed and skipped (RFC 9110 §5.6.1).
    let mut specs = set
        .split(',')
        .map(str::trim)
        .filter(|spec| !spec.is_empty())
        .take(MAX_RANGE_SPECS + 1);
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        // None at all is malformed; several are answered in full (see the module docs).
        return RangeDecision::Full;
    };
    match parse_spec(spec) {
        Some(spec) => spec.resolve(len),
        None => RangeDecision::Full,
    }
}

/// One `range-spec`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spec {
    /// `first-last` or `first-`.
    FromTo(u64, Option<u64>),
    /// `-suffix`: the last `suffix` bytes.
    Suffix(u64),
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let (first, last) = spec.split_once('-')?;
    if first.is_empty() {
        return Some(Spec::Suffix(digits(last)?));
    }
    let first = digits(first)?;
    if last.is_empty() {
        return Some(Spec::FromTo(first, None));
    }
    let last = digits(last)?;
    // `last < first` makes the spec invalid, and with it the header (RFC 9110 §14.1.1).
    (first <= last).then_some(Spec::FromTo(first, Some(last)))
}

/// `1*DIGIT` as a u64: no sign, no spaces, no overflow.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Spec {
    fn resolve(self, len: u64) -> RangeDecision {
        let Some(last_byte) = len.checked_sub(1) else {
            // Nothing in an empty file can be selected.
            return RangeDecision::Unsatisfiable;
        };
        match self {
            Self::FromTo(first, _) if first >= len => RangeDecision::Unsatisfiable,
            Self::FromTo(first, last) => RangeDecision::Partial {
                start: first,
                end: last.map_or(last_byte, |last| last.min(last_byte)),
            },
            Self::Suffix(0) => RangeDecision::Unsatisfiable,
            Self::Suffix(suffix) => RangeDecision::Partial {
                start: len.saturating_sub(suffix),
                end: last_byte,
            },
        }
    }
}

//! The structural rules of a stored name: the gate every name passes before it reaches the
//! file system (the runtime's `validate_name`), and the shape an `upload_to` pattern must
//! expand to.

use std::fmt;

/// The longest stored name accepted, in bytes (well under Linux's `PATH_MAX` of 4096 once the
/// storage location is prepended).
pub const MAX_NAME_BYTES: usize = 1024;

/// The longest `/`-separated segment accepted, in bytes: Linux's `NAME_MAX`.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// The mark that opens the folder of a stored file's variants (`~thumbnail`). `~` never
/// survives [`filename::valid`](crate::filename::valid), which every segment of a saved name
/// passes (the upload's file name and each folder of its `upload_to`), so no upload can ever be
/// stored under a variant's name, nor a variant under an upload's.
pub const VARIANT_MARK: char = '~';

/// The name of the `kind` variant (a thumbnail) of the stored file `name`: beside it, in a
/// folder named by [`VARIANT_MARK`] and the kind, under the same file name, so a variant is
/// found from its original alone and never collides with an upload.
///
/// ```
/// use privates_rules::name::variant;
///
/// assert_eq!(variant("mugshots/2026/me.jpg", "thumbnail").unwrap(), "mugshots/2026/~thumbnail/me.jpg");
/// assert_eq!(variant("me.jpg", "thumbnail").unwrap(), "~thumbnail/me.jpg");
/// ```
///
/// # Errors
/// The rule the variant's name breaks ([`check`]): a name that is invalid itself, or one so
/// long that its variant's name is too long.
pub fn variant(name: &str, kind: &str) -> Result<String, NameRule> {
    check(name)?;
    let variant = match name.rsplit_once('/') {
        Some((folder, file)) => format!("{folder}/{VARIANT_MARK}{kind}/{file}"),
        None => format!("{VARIANT_MARK}{kind}/{name}"),
    };
    check(&variant)?;
    Ok(variant)
}

/// The rule a stored name broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameRule {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME_BYTES`].
    TooLong {
        /// The name's length in bytes.
        len: usize,
    },
    /// A segment is longer than [`MAX_SEGMENT_BYTES`].
    SegmentTooLong {
        /// The segment's length in bytes.
        len: usize,
    },
    /// A NUL byte.
    Nul,
    /// A control character (newline, tab, escape, DEL, C1 controls).
    ControlChar,
    /// A bidirectional formatting character (such as RIGHT-TO-LEFT OVERRIDE), which can make
    /// `gpj.exe` read as `exe.jpg`.
    BidiControl,
    /// Absolute: a leading `/` or `\`, or a Windows drive (`C:`).
    Absolute,
    /// A backslash; the separator of stored names is `/`.
    Backslash,
    /// A percent-encoded separator, dot, percent sign or control byte (`%2f`, `%5C`, `%2e`,
    /// `%25`, `%00`): a layer that decodes the name once more would see another path.
    PercentEncoded,
    /// An empty segment (`a//b`, a trailing `/`).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
    /// Nothing is left of a segment once the characters Django's `get_valid_filename` removes
    /// are gone (`"~"`, `"$$"`); see [`filename::valid`](crate::filename::valid).
    NoValidFilename,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::TooLong { len } => write!(
                f,
                "the name is {len} bytes long, the limit is {MAX_NAME_BYTES}"
            ),
            Self::SegmentTooLong { len } => write!(
                f,
                "a segment of the name is {len} bytes long, the limit is {MAX_SEGMENT_BYTES}"
            ),
            Self::Nul => f.write_str("the name contains a NUL byte"),
            Self::ControlChar => f.write_str("the name contains a control character"),
            Self::BidiControl => {
                f.write_str("the name contains a bidirectional formatting character")
            }
            Self::Absolute => {
                f.write_str("the name is absolute; stored names are relative to the storage root")
            }
            Self::Backslash => {
                f.write_str("the name contains a backslash; use `/` between folders")
            }
            Self::PercentEncoded => f.write_str(
                "the name contains a percent-encoded separator, dot, percent sign or control byte",
            ),
            Self::EmptySegment => {
                f.write_str("the name has an empty segment (`//` or a trailing `/`)")
            }
            Self::DotSegment => f.write_str("the name has a `.` or `..` segment"),
            Self::NoValidFilename => f.write_str(
                "no valid file name can be derived from it (only `-`, `_`, `.`, letters and \
                 digits are kept)",
            ),
        }
    }
}

impl std::error::Error for NameRule {}

/// Checks the structure of a stored name, in this order:
///
/// - not empty, at most [`MAX_NAME_BYTES`] bytes;
/// - no NUL, no control character, no bidirectional formatting character;
/// - relative: no leading `/` or `\`, no drive letter (`C:`);
/// - no backslash, no percent-encoded separator, dot, percent or control byte;
/// - no empty segment, no `.` or `..` segment, each segment at most [`MAX_SEGMENT_BYTES`].
///
/// ```
/// use privates_rules::name::{NameRule, check};
///
/// assert_eq!(check("invoices/2024/march.pdf"), Ok(()));
/// assert_eq!(check("C:/x"), Err(NameRule::Absolute));
/// assert_eq!(check("a/%2e%2e/b"), Err(NameRule::PercentEncoded));
/// assert_eq!(check("a\u{202E}fdp.exe"), Err(NameRule::BidiControl));
/// ```
///
/// # Errors
/// The first [`NameRule`] the name breaks.
pub fn check(name: &str) -> Result<(), NameRule> {
    if name.is_empty() {
        return Err(NameRule::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameRule::TooLong { len: name.len() });
    }
    if name.contains('\0') {
        return Err(NameRule::Nul);
    }
    if name.chars().any(char::is_control) {
        return Err(NameRule::ControlChar);
    }
    if name.chars().any(is_bidi_control) {
        return Err(NameRule::BidiControl);
    }
    if name.starts_with(['/', '\\']) || has_drive_prefix(name) {
        return Err(NameRule::Absolute);
    }
    if name.contains('\\') {
        return Err(NameRule::Backslash);
    }
    if has_dangerous_escape(name) {
        return Err(NameRule::PercentEncoded);
    }
    for segment in name.split('/') {
        match segment {
            "" => return Err(NameRule::EmptySegment),
            "." | ".." => return Err(NameRule::DotSegment),
            _ if segment.len() > MAX_SEGMENT_BYTES => {
                return Err(NameRule::SegmentTooLong { len: segment.len() });
            }
            _ => {}
        }
    }
    Ok(())
}

/// `C:`, `c:x`: a Windows drive, absolute or drive-relative. Refused everywhere so that a name
/// stored on Linux means the same on any platform.
#[must_use]
pub fn has_drive_prefix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Bidirectional formatting characters: ALM, LRM, RLM, the embeddings and overrides, the
/// isolates.
#[must_use]
pub const fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `name` has a `%XX` escape whose byte is a separator, a dot, a percent sign (double
/// encoding) or a control byte.
#[must_use]
pub fn has_dangerous_escape(name: &str) -> bool {
    name.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && dangerous_escape(w[1], w[2]))
}

/// Whether the hex digits `hi lo` encode a separator, dot, percent sign or control byte.
fn dangerous_escape(hi: u8, lo: u8) -> bool {
    match (hex_value(hi), hex_value(lo)) {
        (Some(hi), Some(lo)) => {
            let byte = (hi << 4) | lo;
            matches!(byte, b'/' | b'\\' | b'.' | b'%') || byte < 0x20 || byte == 0x7f
        }
        _ => false,
    }
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{NameRule, check, variant};

    #[test]
    fn rules() {
        for (name, rule) in [
            ("", NameRule::Empty),
            ("a\0b", NameRule::Nul),
            ("a\nb", NameRule::ControlChar),
            ("a\u{7f}", NameRule::ControlChar),
            ("a\u{2066}b", NameRule::BidiControl),
            ("/a", NameRule::Absolute),
            ("\\a", NameRule::Absolute),
            ("c:a", NameRule::Absolute),
            ("a\\b", NameRule::Backslash),
            ("a%2Fb", NameRule::PercentEncoded),
            ("a%25", NameRule::PercentEncoded),
            ("a%00", NameRule::PercentEncoded),
            ("a//b", NameRule::EmptySegment),
            ("a/", NameRule::EmptySegment),
            ("./a", NameRule::DotSegment),
            ("a/..", NameRule::DotSegment),
        ] {
            assert_eq!(check(name), Err(rule), "{name:?}");
        }
        assert_eq!(
            check(&"a".repeat(256)),
            Err(NameRule::SegmentTooLong { len: 256 })
        );
        assert_eq!(
            check(&"a/".repeat(513)),
            Err(NameRule::TooLong { len: 1026 })
        );
        for name in [
            "a", "a/b.c", "~x", "a%20b", "a%zz", "100%", ".hidden", "a..b",
        ] {
            assert_eq!(check(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn variants_sit_beside_their_original_and_inherit_its_rules() {
        assert_eq!(
            variant("a/b/c.png", "thumbnail"),
            Ok("a/b/~thumbnail/c.png".to_owned())
        );
        assert_eq!(variant("../c.png", "thumbnail"), Err(NameRule::DotSegment));
        let long = format!("{}/c.png", "a/".repeat(506).trim_end_matches('/'));
        assert!(check(&long).is_ok());
        assert!(matches!(
            variant(&long, "thumbnail"),
            Err(NameRule::TooLong { .. })
        ));
        // No saved segment keeps the mark: an upload can never take a variant's name.
        assert_eq!(
            crate::filename::valid("~thumbnail").as_deref(),
            Some("thumbnail")
        );
    }
}

//! `upload_to` patterns: a strftime pattern that expands to the folder new uploads of a field
//! go into. The derive refuses at compile time exactly what the runtime refuses.

use std::fmt;

use crate::{
    filename,
    name::{self, NameRule},
    strftime::{self, SpecifierError},
};

/// Why a pattern cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// A `%` specifier chrono cannot format.
    Specifier(SpecifierError),
    /// The expansion is not a relative folder inside the storage.
    Folder {
        /// The expansion at [`SAMPLE_TIME`](strftime::SAMPLE_TIME), ending with `/`.
        expanded: String,
        /// The naming rule it broke.
        rule: NameRule,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Specifier(error) => error.fmt(f),
            Self::Folder { expanded, rule } => write!(
                f,
                "it expands to {expanded:?}, which is not a relative folder inside the storage: \
                 {rule}"
            ),
        }
    }
}

impl std::error::Error for PatternError {}

/// Checks an `upload_to` pattern: every specifier is one chrono formats, and the expansion at
/// [`SAMPLE_TIME`](strftime::SAMPLE_TIME), with a `/` added when missing, is a folder that a
/// stored name can start with: followed by a file name it passes [`name::check`], and each of
/// its segments keeps a character once made valid ([`filename::valid`]), as the storage's save
/// requires. The empty pattern is the storage root.
///
/// ```
/// use privates_rules::{name::NameRule, upload_to::{PatternError, check}};
///
/// assert_eq!(check("scans/%Y/%m/"), Ok(()));
/// assert_eq!(check("%D"), Ok(())); // 12/31/00/
/// assert!(matches!(check("C:/scans/"), Err(PatternError::Folder { rule: NameRule::Absolute, .. })));
/// assert!(matches!(check("~/scans/"), Err(PatternError::Folder { rule: NameRule::NoValidFilename, .. })));
/// assert!(matches!(check("a%%2F/"), Err(PatternError::Folder { rule: NameRule::PercentEncoded, .. })));
/// assert!(matches!(check("a/%Q/"), Err(PatternError::Specifier(_))));
/// ```
///
/// # Errors
/// The first problem found.
pub fn check(pattern: &str) -> Result<(), PatternError> {
    let mut folder = strftime::expand_sample(pattern).map_err(PatternError::Specifier)?;
    if folder.is_empty() {
        return Ok(());
    }
    if !folder.ends_with('/') {
        folder.push('/');
    }
    let probe = format!("{folder}x");
    let refuse = |rule| PatternError::Folder {
        expanded: folder.clone(),
        rule,
    };
    name::check(&probe).map_err(refuse)?;
    let mut cleaned = String::with_capacity(probe.len());
    for (index, segment) in probe.split('/').enumerate() {
        if index > 0 {
            cleaned.push('/');
        }
        cleaned
            .push_str(&filename::valid(segment).ok_or_else(|| refuse(NameRule::NoValidFilename))?);
    }
    name::check(&cleaned).map_err(refuse)
}

#[cfg(test)]
mod tests {
    use super::{PatternError, check};
    use crate::name::NameRule;

    fn rule(pattern: &str) -> Option<NameRule> {
        match check(pattern) {
            Err(PatternError::Folder { rule, .. }) => Some(rule),
            _ => None,
        }
    }

    #[test]
    fn patterns() {
        for pattern in [
            "mugshots/%Y/",
            "docs/%Y/%m/%d",
            "%c/",
            "",
            "a-b_c.d/%j/",
            "%D/%x",
            "~a/",
        ] {
            assert_eq!(check(pattern), Ok(()), "{pattern}");
        }
        for (pattern, expected) in [
            ("../%Y/", NameRule::DotSegment),
            ("./a/", NameRule::DotSegment),
            ("/abs/%Y/", NameRule::Absolute),
            ("/", NameRule::Absolute),
            ("C:/scans/", NameRule::Absolute),
            ("c:scans/", NameRule::Absolute),
            ("a//%Y/", NameRule::EmptySegment),
            ("a/%.f/", NameRule::EmptySegment),
            ("a\\%Y/", NameRule::Backslash),
            ("$$/", NameRule::NoValidFilename),
            ("~/scans/", NameRule::NoValidFilename),
            ("%%/", NameRule::NoValidFilename),
            ("a%%2e%%2e/", NameRule::PercentEncoded),
            ("a%%5C/", NameRule::PercentEncoded),
            ("a\u{202E}b/", NameRule::BidiControl),
            ("a%nb/", NameRule::ControlChar),
            ("a\tb/", NameRule::ControlChar),
            ("a\0b/", NameRule::Nul),
        ] {
            assert_eq!(rule(pattern), Some(expected), "{pattern}");
        }
    }
}

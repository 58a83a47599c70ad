//! The strftime grammar of `upload_to` patterns: exactly what chrono's `StrftimeItems` accepts
//! and can format, and what each specifier formats to at one fixed sample time. Judging a
//! pattern by its expansion at the sample time is what both the derive and the runtime do
//! ([`upload_to::check`](crate::upload_to::check)); `tests/chrono.rs` holds this module to
//! chrono, specifier by specifier.

use std::{borrow::Cow, fmt};

/// The sample time patterns are expanded at: 2000-12-31 23:59:59 UTC, a Sunday, with no
/// fraction of a second. Every numeric field is then at least two digits wide where its
/// padding allows it (day 31, month 12, hour 23), so the sample shows a pattern's structure.
pub const SAMPLE_TIME: &str = "2000-12-31T23:59:59Z";

/// One item of a pattern: literal text or one specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item<'a> {
    /// Where the item starts in the pattern, in bytes.
    pub start: usize,
    /// The item as written (`scans/`, `%Y`, `%-d`, `%%`).
    pub text: &'a str,
    /// What it formats to at [`SAMPLE_TIME`].
    pub sample: Cow<'a, str>,
}

impl Item<'_> {
    /// Whether the item is a `%` specifier (`%%` included) rather than literal text.
    #[must_use]
    pub fn is_specifier(&self) -> bool {
        self.text.starts_with('%')
    }
}

/// A `%` specifier that chrono cannot format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecifierError {
    /// Where the specifier starts (its `%`), in bytes.
    pub start: usize,
    /// Where the offending text ends, in bytes (exclusive).
    pub end: usize,
    /// What is wrong.
    pub problem: SpecifierProblem,
}

/// What is wrong with a specifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecifierProblem {
    /// The pattern ends with a lone `%` (a literal percent sign is `%%`).
    LonePercent,
    /// The pattern ends with a padding modifier (`%-`, `%_`, `%0`) without its specifier.
    PaddingWithoutSpecifier,
    /// A padding modifier on a specifier that is not a single number (`%-F`, `%_%`).
    PaddingNotNumeric,
    /// A specifier chrono only parses and cannot format (`%#z`).
    ParseOnly,
    /// No such specifier.
    Unknown,
}

impl fmt::Display for SpecifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.problem {
            SpecifierProblem::LonePercent => "a lone `%` at the end (write `%%` for a `%`)",
            SpecifierProblem::PaddingWithoutSpecifier => "a padding modifier without a specifier",
            SpecifierProblem::PaddingNotNumeric => {
                "a padding modifier on a specifier that is not a number"
            }
            SpecifierProblem::ParseOnly => "a specifier that only parses dates",
            SpecifierProblem::Unknown => "an unknown specifier",
        };
        write!(f, "{what} at byte {}", self.start)
    }
}

impl std::error::Error for SpecifierError {}

/// How a number is padded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pad {
    None,
    Zero,
    Space,
}

/// A numeric specifier's value at the sample time, and how chrono writes it.
#[derive(Clone, Copy)]
enum Number {
    /// `write_one`: one digit, padding ignored.
    One(u8),
    /// `write_two`: two digits, padding the tens.
    Two(u8),
    /// `write_n`: at least `width` characters when padded.
    Wide(i64, usize),
    /// `write_year` with a year in 1000..=9999: four digits, padding ignored.
    Year(u16),
}

impl Number {
    fn format(self, pad: Pad) -> String {
        match (self, pad) {
            (Self::One(v), _) => v.to_string(),
            (Self::Two(v), _) if v >= 10 => v.to_string(),
            (Self::Two(v), Pad::None) => v.to_string(),
            (Self::Two(v), Pad::Zero) => format!("0{v}"),
            (Self::Two(v), Pad::Space) => format!(" {v}"),
            (Self::Wide(v, _), Pad::None) => v.to_string(),
            (Self::Wide(v, width), Pad::Zero) => format!("{v:0width$}"),
            (Self::Wide(v, width), Pad::Space) => format!("{v:width$}"),
            (Self::Year(v), _) => v.to_string(),
        }
    }
}

/// A numeric specifier: its sample value and default padding.
fn numeric(spec: char) -> Option<(Number, Pad)> {
    use Number::{One, Two, Wide, Year};
    Some(match spec {
        'C' => (Two(20), Pad::Zero),
        'd' | 'e' => (Two(31), if spec == 'e' { Pad::Space } else { Pad::Zero }),
        'f' => (Wide(0, 9), Pad::Zero),
        'G' | 'Y' => (Year(2000), Pad::Zero),
        'g' | 'y' => (Two(0), Pad::Zero),
        'H' | 'k' => (Two(23), if spec == 'k' { Pad::Space } else { Pad::Zero }),
        'I' | 'l' => (Two(11), if spec == 'l' { Pad::Space } else { Pad::Zero }),
        'j' => (Wide(366, 3), Pad::Zero),
        'M' | 'S' => (Two(59), Pad::Zero),
        'm' => (Two(12), Pad::Zero),
        'q' => (One(4), Pad::None),
        's' => (Wide(978_307_199, 9), Pad::None),
        'U' => (Two(53), Pad::Zero),
        'u' => (One(7), Pad::None),
        'V' | 'W' => (Two(52), Pad::Zero),
        'w' => (One(0), Pad::None),
        _ => return None,
    })
}

/// A specifier of text, or of several items, at the sample time.
fn other(spec: char) -> Option<&'static str> {
    Some(match spec {
        'A' => "Sunday",
        'B' => "December",
        'D' | 'x' => "12/31/00",
        'F' => "2000-12-31",
        'P' => "pm",
        'R' => "23:59",
        'T' | 'X' => "23:59:59",
        'Z' => "UTC",
        'a' => "Sun",
        'b' | 'h' => "Dec",
        'c' => "Sun Dec 31 23:59:59 2000",
        'n' => "\n",
        'p' => "PM",
        'r' => "11:59:59 PM",
        't' => "\t",
        'v' => "31-Dec-2000",
        'z' => "+0000",
        '+' => "2000-12-31T23:59:59+00:00",
        '%' => "%",
        _ => return None,
    })
}

/// Splits `pattern` into literal text and specifiers, each with its expansion at
/// [`SAMPLE_TIME`]; the first specifier chrono cannot format is an error.
///
/// ```
/// use privates_rules::strftime::items;
///
/// let parts = items("scans/%Y/%-m/").unwrap();
/// let texts: Vec<&str> = parts.iter().map(|item| item.text).collect();
/// assert_eq!(texts, ["scans/", "%Y", "/", "%-m", "/"]);
/// assert_eq!(parts[1].sample, "2000");
/// assert!(items("scans/%Q/").is_err());
/// ```
///
/// # Errors
/// The first [`SpecifierError`].
pub fn items(pattern: &str) -> Result<Vec<Item<'_>>, SpecifierError> {
    let mut items = Vec::new();
    let mut rest = pattern;
    let mut at = 0;
    while !rest.is_empty() {
        let len = if rest.starts_with('%') {
            let (len, sample) = specifier(rest, at)?;
            items.push(Item {
                start: at,
                text: &rest[..len],
                sample: Cow::Owned(sample),
            });
            len
        } else {
            let len = rest.find('%').unwrap_or(rest.len());
            items.push(Item {
                start: at,
                text: &rest[..len],
                sample: Cow::Borrowed(&rest[..len]),
            });
            len
        };
        rest = &rest[len..];
        at += len;
    }
    Ok(items)
}

/// What `pattern` formats to at [`SAMPLE_TIME`].
///
/// ```
/// use privates_rules::strftime::expand_sample;
///
/// assert_eq!(expand_sample("scans/%Y/%m/%d/").unwrap(), "scans/2000/12/31/");
/// assert_eq!(expand_sample("%D").unwrap(), "12/31/00");
/// assert_eq!(expand_sample("100%%").unwrap(), "100%");
/// ```
///
/// # Errors
/// As [`items`].
pub fn expand_sample(pattern: &str) -> Result<String, SpecifierError> {
    Ok(items(pattern)?.iter().map(|item| &*item.sample).collect())
}

/// The specifier at the start of `text` (which starts with `%`, at byte `at` of the pattern):
/// its length in bytes and its sample expansion. Follows chrono's `StrftimeItems` step by step.
fn specifier(text: &str, at: usize) -> Result<(usize, String), SpecifierError> {
    let mut chars = text.char_indices().skip(1).peekable();
    let error = |end: usize, problem| SpecifierError {
        start: at,
        end: at + end,
        problem,
    };
    let Some((_, first)) = chars.next() else {
        return Err(error(1, SpecifierProblem::LonePercent));
    };
    let pad = match first {
        '-' => Some(Pad::None),
        '0' => Some(Pad::Zero),
        '_' => Some(Pad::Space),
        _ => None,
    };
    let (spec_at, spec) = if pad.is_some() || first == '#' {
        match chars.next() {
            Some(next) => next,
            None if first == '#' => return Err(error(2, SpecifierProblem::Unknown)),
            None => return Err(error(2, SpecifierProblem::PaddingWithoutSpecifier)),
        }
    } else {
        (1, first)
    };
    let mut end = spec_at + spec.len_utf8();
    if first == '#' {
        return Err(if spec == 'z' {
            error(end, SpecifierProblem::ParseOnly)
        } else {
            error(end, SpecifierProblem::Unknown)
        });
    }
    if let Some((number, default)) = numeric(spec) {
        return Ok((end, number.format(pad.unwrap_or(default))));
    }
    // Everything else refuses a padding modifier.
    let not_numeric = |end: usize| {
        if pad.is_some() {
            Err(error(end, SpecifierProblem::PaddingNotNumeric))
        } else {
            Ok(())
        }
    };
    if let Some(sample) = other(spec) {
        not_numeric(end)?;
        return Ok((end, sample.to_owned()));
    }
    let rest = &text[end..];
    let (suffix, sample) = match spec {
        ':' if rest.starts_with("::z") => ("::z", "+00"),
        ':' if rest.starts_with(":z") => (":z", "+00:00:00"),
        ':' if rest.starts_with('z') => ("z", "+00:00"),
        '.' if rest.starts_with("3f") => ("3f", ".000"),
        '.' if rest.starts_with("6f") => ("6f", ".000000"),
        '.' if rest.starts_with("9f") => ("9f", ".000000000"),
        // No fraction of a second at the sample time: `%.f` writes nothing.
        '.' if rest.starts_with('f') => ("f", ""),
        '3' if rest.starts_with('f') => ("f", "000"),
        '6' if rest.starts_with('f') => ("f", "000000"),
        '9' if rest.starts_with('f') => ("f", "000000000"),
        _ => return Err(error(end, SpecifierProblem::Unknown)),
    };
    end += suffix.len();
    not_numeric(end)?;
    Ok((end, sample.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{SpecifierProblem, expand_sample, items};

    fn problem(pattern: &str) -> Option<(SpecifierProblem, &str)> {
        items(pattern)
            .err()
            .map(|e| (e.problem, &pattern[e.start..e.end]))
    }

    #[test]
    fn valid_patterns() {
        for pattern in [
            "scans/%Y/%m/",
            "a/%d-%H%M%S",
            "%F/",
            "%-d/%_m/%0e",
            "100%%/",
            "%.f %.3f %.6f %.9f %3f %6f %9f",
            "%z %:z %::z %:::z %Z",
            "%+ %c %x %X %r %R %T %D %v",
            "%a %A %b %B %h %p %P %q %s %u %w %U %W %G %g %V %j %C %y %k %l %I",
            "plain/folder/",
            "ünïcode/%Y/",
            "%n%t",
        ] {
            assert!(items(pattern).is_ok(), "{pattern}");
        }
        assert_eq!(
            expand_sample("%-y|%_y|%0e|%-j|%_f").ok().as_deref(),
            Some("0| 0|31|366|        0")
        );
    }

    #[test]
    fn invalid_patterns() {
        use SpecifierProblem::{
            LonePercent, PaddingNotNumeric, PaddingWithoutSpecifier, ParseOnly, Unknown,
        };
        assert_eq!(problem("scans/%Q/"), Some((Unknown, "%Q")));
        assert_eq!(problem("scans/%"), Some((LonePercent, "%")));
        assert_eq!(problem("%-"), Some((PaddingWithoutSpecifier, "%-")));
        assert_eq!(problem("%-F"), Some((PaddingNotNumeric, "%-F")));
        assert_eq!(problem("%_%"), Some((PaddingNotNumeric, "%_%")));
        assert_eq!(problem("%-n"), Some((PaddingNotNumeric, "%-n")));
        assert_eq!(problem("%-:z"), Some((PaddingNotNumeric, "%-:z")));
        assert_eq!(problem("%#z"), Some((ParseOnly, "%#z")));
        assert_eq!(problem("%#Y"), Some((Unknown, "%#Y")));
        assert_eq!(problem("%::::z"), Some((Unknown, "%:")));
        assert_eq!(problem("%:y"), Some((Unknown, "%:")));
        assert_eq!(problem("%.2f"), Some((Unknown, "%.")));
        assert_eq!(problem("%4f"), Some((Unknown, "%4")));
        assert_eq!(problem("%é"), Some((Unknown, "%é")));
    }
}

//! `upload_to` patterns: judged by `privates_rules::upload_to::check`, the very function the
//! runtime's `validate_pattern` runs, and explained here with the fix.

use privates_rules::{
    filename,
    name::{self, MAX_NAME_BYTES, MAX_SEGMENT_BYTES, NameRule},
    strftime::{self, SAMPLE_TIME, SpecifierError, SpecifierProblem},
    upload_to::{PatternError, check},
};

/// A short list of what exists, for messages.
const SUMMARY: &str = "chrono's specifiers, such as `%Y`, `%m`, `%d`, `%H`, `%M`, `%S`, `%F`, `%j`, \
                       or `%%` for a literal `%`";

/// What is wrong with `upload_to = "<pattern>"`, with the fix; `None` when it is valid.
pub(crate) fn problem(pattern: &str) -> Option<String> {
    if pattern.is_empty() {
        // Valid at run time (the storage root), but the derive's spelling of that is no
        // `upload_to` at all.
        return Some(
            "`upload_to = \"\"` is empty: remove `upload_to` to store uploads in the storage \
             root (the default), or give a folder such as `upload_to = \"scans/%Y/\"`"
                .to_owned(),
        );
    }
    match check(pattern) {
        Ok(()) => None,
        Err(PatternError::Specifier(error)) => Some(specifier(pattern, error)),
        Err(PatternError::Folder { expanded, rule }) => Some(folder(pattern, &expanded, rule)),
        Err(other) => Some(format!("`upload_to = {pattern:?}` cannot be used: {other}")),
    }
}

/// `fix` when the rules accept it and it differs from `pattern`: a suggestion is never the
/// refused input, and never itself refused.
fn accepted(pattern: &str, fix: String) -> Option<String> {
    (fix != pattern && !fix.is_empty() && check(&fix).is_ok()).then_some(fix)
}

/// `; write `upload_to = "<fix>"``, or `; remove it` when no fix is accepted.
fn remove_it(pattern: &str, fix: String) -> String {
    match accepted(pattern, fix) {
        Some(fix) => format!("; remove it: `upload_to = \"{fix}\"`"),
        None => "; remove it".to_owned(),
    }
}

fn specifier(pattern: &str, error: SpecifierError) -> String {
    let text = pattern.get(error.start..error.end).unwrap_or("%");
    match error.problem {
        SpecifierProblem::LonePercent => {
            format!("`{pattern}` ends with a lone `%`: write `%%` for a literal percent sign")
        }
        SpecifierProblem::PaddingWithoutSpecifier => format!(
            "`{pattern}` ends with `{text}`, a padding modifier without its specifier (e.g. \
             `{text}d`)"
        ),
        SpecifierProblem::PaddingNotNumeric => {
            let spec: String = text.chars().skip(2).collect();
            format!(
                "`{text}` in `{pattern}`: chrono allows a padding modifier (`-`, `_`, `0`) only on \
                 numeric specifiers such as `%d` or `%H`, not on `%{spec}`"
            )
        }
        SpecifierProblem::ParseOnly => format!(
            "`{text}` in `{pattern}` only parses dates, chrono cannot format it: use `%z` or `%:z`"
        ),
        _ => format!("`{text}` in `{pattern}` is not a strftime specifier: use {SUMMARY}"),
    }
}

/// The pattern's expansion, when the broken rule shows only there (a specifier's output), not
/// in the pattern as written.
fn expansion(pattern: &str, expanded: &str, rule: NameRule) -> String {
    let mut literal = pattern.to_owned();
    if !literal.ends_with('/') {
        literal.push('/');
    }
    literal.push('x');
    if name::check(&literal) == Err(rule) {
        String::new()
    } else {
        format!(" (it expands to `{expanded}` at {SAMPLE_TIME})")
    }
}

fn folder(pattern: &str, expanded: &str, rule: NameRule) -> String {
    let shown = format!("`upload_to = {pattern:?}`");
    match rule {
        NameRule::Absolute => {
            let (what, rest) = if name::has_drive_prefix(pattern) {
                (
                    format!("starts with the drive `{}`", &pattern[..2]),
                    &pattern[2..],
                )
            } else {
                ("is absolute".to_owned(), pattern)
            };
            let relative = rest.trim_start_matches(['/', '\\']).to_owned();
            let fix = match accepted(pattern, relative) {
                Some(fix) => format!("write `upload_to = \"{fix}\"`"),
                None => {
                    "name a folder inside it, or remove `upload_to` for the root itself".to_owned()
                }
            };
            format!("{shown} {what}: it is relative to the private storage root, {fix}")
        }
        NameRule::Backslash => format!(
            "{shown} contains `\\`: separate folders with `/`{}",
            match accepted(pattern, pattern.replace('\\', "/")) {
                Some(fix) => format!(", e.g. `\"{fix}\"`"),
                None => String::new(),
            }
        ),
        NameRule::Nul | NameRule::ControlChar => {
            if pattern.chars().any(char::is_control) {
                let fix: String = pattern.chars().filter(|c| !c.is_control()).collect();
                format!(
                    "{shown} contains a control character, which a stored name cannot \
                     hold{}",
                    remove_it(pattern, fix)
                )
            } else {
                control_specifier(pattern)
            }
        }
        NameRule::BidiControl => {
            let found = pattern
                .chars()
                .find(|c| name::is_bidi_control(*c))
                .map_or_else(String::new, |c| format!(" (U+{:04X})", u32::from(c)));
            let fix: String = pattern
                .chars()
                .filter(|c| !name::is_bidi_control(*c))
                .collect();
            format!(
                "{shown} contains a bidirectional formatting character{found}, which can make a \
                 file name read backwards{}",
                remove_it(pattern, fix)
            )
        }
        NameRule::PercentEncoded => format!(
            "{shown} puts a percent-encoded separator, dot, percent sign or control byte into \
             the stored name (it expands to `{expanded}` at {SAMPLE_TIME}), which a later \
             decoding step could turn into another path: leave the escape out"
        ),
        NameRule::DotSegment if expanded.split('/').any(|segment| segment == "..") => format!(
            "{shown} contains a `..` segment, which would leave the private storage root: name a \
             folder inside it"
        ),
        NameRule::DotSegment | NameRule::EmptySegment => {
            let cleaned = pattern
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect::<Vec<_>>()
                .join("/")
                + if pattern.ends_with('/') { "/" } else { "" };
            let fix = match accepted(pattern, cleaned) {
                Some(fix) => format!(": write each folder once, e.g. `\"{fix}\"`"),
                None if pattern.split('/').all(|s| s.is_empty() || s == ".") => {
                    ": remove `upload_to` to store uploads in the storage root".to_owned()
                }
                // A specifier that can write nothing (`%.f` without a fraction of a second).
                None => ": give each folder text that is never empty, whatever the time".to_owned(),
            };
            format!(
                "{shown} has an empty or `.` segment{}{fix}",
                expansion(pattern, expanded, rule)
            )
        }
        NameRule::TooLong { len } => format!(
            "{shown} expands to a folder of {len} bytes with a file name of one, and a stored \
             name is at most {MAX_NAME_BYTES} bytes: shorten it"
        ),
        NameRule::SegmentTooLong { len } => format!(
            "{shown} has a folder name of {len} bytes{}, and the limit is {MAX_SEGMENT_BYTES}: \
             shorten it",
            expansion(pattern, expanded, rule)
        ),
        NameRule::NoValidFilename => no_valid_filename(pattern, expanded),
        _ => format!("{shown} cannot be used: {rule}"),
    }
}

/// `%n` or `%t` put a control character into the expansion.
fn control_specifier(pattern: &str) -> String {
    let found = strftime::items(pattern).ok().and_then(|items| {
        items
            .into_iter()
            .find(|item| item.is_specifier() && item.sample.chars().any(char::is_control))
    });
    match found {
        Some(item) => format!(
            "`{}` in `{pattern}` inserts a {} into the stored name: leave it out",
            item.text,
            if item.sample.contains('\n') {
                "newline"
            } else {
                "tab"
            }
        ),
        None => format!("`upload_to = {pattern:?}` puts a control character into the stored name"),
    }
}

/// A folder of the expansion keeps nothing once made a valid file name (`~`, `$$`, `%%`).
fn no_valid_filename(pattern: &str, expanded: &str) -> String {
    let segments: Vec<&str> = expanded.trim_end_matches('/').split('/').collect();
    let Some(bad) = segments
        .iter()
        .find(|segment| filename::valid(segment).is_none())
    else {
        return format!("`upload_to = {pattern:?}` has a folder that is not a valid file name");
    };
    // The same folder in the pattern, when it is literal text there: drop it.
    let kept: Vec<&str> = pattern
        .trim_end_matches('/')
        .split('/')
        .filter(|segment| segment != bad)
        .collect();
    let fix = if kept.is_empty() {
        ": remove `upload_to` to store uploads in the storage root".to_owned()
    } else {
        match accepted(pattern, format!("{}/", kept.join("/"))) {
            Some(fix) => format!(": rename or drop it, e.g. `upload_to = \"{fix}\"`"),
            None => ": rename it".to_owned(),
        }
    };
    format!(
        "the folder `{bad}` of `upload_to = {pattern:?}`{} keeps no character once made a valid \
         file name as Django's `get_valid_filename` does (it keeps letters, digits, `-`, `_` and \
         `.`), so the storage refuses it{fix}",
        if pattern.split('/').any(|segment| segment == *bad) {
            String::new()
        } else {
            format!(" (it expands to `{expanded}` at {SAMPLE_TIME})")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::problem;

    fn message(pattern: &str) -> String {
        problem(pattern).unwrap_or_default()
    }

    #[test]
    fn messages_name_the_fix() {
        assert!(message("C:/scans/").contains("write `upload_to = \"scans/\"`"));
        assert!(message("/var/scans/").contains("write `upload_to = \"var/scans/\"`"));
        assert!(message("/").contains("remove `upload_to`"));
        assert!(message("~/scans/").contains("e.g. `upload_to = \"scans/\"`"));
        assert!(message("~/").contains("remove `upload_to`"));
        assert!(message("a%%2F/").contains("leave the escape out"));
        assert!(message("a%%2F/").contains("expands to `a%2F/`"));
        assert!(message("a\u{202E}b/").contains("U+202E"));
        assert!(message("scans/%n/").contains("`%n` in `scans/%n/` inserts a newline"));
        assert!(message("scans//%Y/").contains("e.g. `\"scans/%Y/\"`"));
        assert!(message("./").contains("remove `upload_to`"));
        assert!(message("a/%.f/").contains("expands to `a//`"));
        assert!(message("scans/../etc/").contains("`..` segment"));
        assert!(message("scans/%Q/").contains("`%Q`"));
        assert!(message("%#z").contains("only parses"));
        assert!(message("%-").contains("padding modifier without"));
        assert!(message("%-F").contains("not on `%F`"));
        assert!(message("").contains("remove `upload_to`"));
        assert_eq!(problem("scans/%Y/"), None);
    }

    #[test]
    fn a_suggested_fix_is_accepted_and_differs() {
        for pattern in [
            "C:/scans/",
            "/var/",
            "/",
            "~/scans/",
            "a\\b/",
            "./a/",
            "a//b/",
            "a\tb/",
            "\u{202E}a/",
            "$$/x/",
            "c:/",
            "//",
            "a/%.f/",
        ] {
            let text = message(pattern);
            // The first `upload_to = "..."` is the refused input, shown.
            for fix in text.split("upload_to = \"").skip(2) {
                let fix = fix.split('"').next().unwrap_or_default();
                assert_ne!(fix, pattern, "{pattern}: {text}");
                assert!(
                    privates_rules::upload_to::check(fix).is_ok(),
                    "{pattern}: {text}"
                );
            }
        }
    }
}

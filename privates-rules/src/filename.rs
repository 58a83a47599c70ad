//! Django's `django.utils.text.get_valid_filename`, with Python's character classes.

use crate::word_table::LETTERS_AND_NUMBERS;

/// Django's `get_valid_filename`: strip surrounding whitespace (Python's [`is_space`]), turn
/// spaces into `_`, drop every character that is not `-`, `.`, `_`, a letter or a digit (any
/// script: Python's `\w`, [`is_word`]); `None` when the result is empty, `.` or `..`.
///
/// ```
/// use privates_rules::filename::valid;
///
/// assert_eq!(valid("john's portrait in 2004.jpg").as_deref(), Some("johns_portrait_in_2004.jpg"));
/// assert_eq!(valid("Straße café.pdf").as_deref(), Some("Straße_café.pdf"));
/// assert_eq!(valid("~"), None);
/// assert_eq!(valid("$.$.$"), None);
/// ```
#[must_use]
pub fn valid(name: &str) -> Option<String> {
    let valid: String = name
        .trim_matches(is_space)
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('_'),
            '-' | '.' | '_' => Some(c),
            _ if is_word(c) => Some(c),
            _ => None,
        })
        .collect();
    (!valid.is_empty() && valid != "." && valid != "..").then_some(valid)
}

/// Python's `str.isspace`: Unicode `White_Space` plus the information separators
/// U+001C..U+001F, which Python strips too and Rust's `char::is_whitespace` does not.
#[must_use]
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `\w` on `str`: `_`, and letters (`L*`) and numbers (`N*`) by General_Category
/// (combining marks are not word characters, unlike for Rust's `char::is_alphanumeric`).
///
/// ```
/// use privates_rules::filename::is_word;
///
/// assert!(is_word('ß') && is_word('٣') && is_word('_'));
/// assert!(!is_word('\u{301}') && !is_word('~'));
/// ```
#[must_use]
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let cp = u32::from(c);
    LETTERS_AND_NUMBERS
        .binary_search_by(|&(start, end)| {
            if end < cp {
                std::cmp::Ordering::Less
            } else if start > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

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

/// The name a browser-supplied upload file name is stored under: the basename only (a browser
/// may send `C:\fakepath\x.pdf`, a client `../../x`), non-printable characters dropped, cut to
/// 255 characters and [`MAX_SEGMENT_BYTES`](crate::name::MAX_SEGMENT_BYTES) bytes on a
/// character boundary keeping its extension (Django's multipart parser and `UploadedFile` cut
/// to 255 characters; a file system counts bytes), then made [`valid`]; `None` when nothing
/// valid is left.
///
/// ```
/// use privates_rules::filename::upload;
///
/// assert_eq!(upload(r"C:\fakepath\my scan.pdf").as_deref(), Some("my_scan.pdf"));
/// assert_eq!(upload("../../etc/passwd").as_deref(), Some("passwd"));
/// // 200 two-byte characters are 400 bytes: cut to 255 bytes, the extension kept.
/// let long = upload(&format!("{}.pdf", "é".repeat(200))).unwrap();
/// assert_eq!(long, format!("{}.pdf", "é".repeat(125)));
/// ```
#[must_use]
pub fn upload(original: &str) -> Option<String> {
    let base = original.rsplit(['/', '\\']).next().unwrap_or(original);
    let printable: String = base.chars().filter(|c| !c.is_control()).collect();
    valid(&truncate_keeping_extension(
        &printable,
        255,
        crate::name::MAX_SEGMENT_BYTES,
    ))
}

/// Django's `UploadedFile._set_name`: cut a long name to `max_chars` characters and
/// `max_bytes` bytes (on a character boundary), keeping the last extension (itself cut to
/// the same limits).
fn truncate_keeping_extension(name: &str, max_chars: usize, max_bytes: usize) -> String {
    if name.chars().count() <= max_chars && name.len() <= max_bytes {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        // `os.path.splitext` leaves a leading dot in the stem (".bashrc" has no extension).
        Some(dot) if name[..dot].chars().any(|c| c != '.') => name.split_at(dot),
        _ => (name, ""),
    };
    let ext = prefix_within(ext, max_chars, max_bytes);
    let mut cut =
        prefix_within(stem, max_chars - ext.chars().count(), max_bytes - ext.len()).to_owned();
    cut.push_str(ext);
    cut
}

/// The longest prefix of `text` of at most `max_chars` characters and `max_bytes` bytes.
fn prefix_within(text: &str, max_chars: usize, max_bytes: usize) -> &str {
    let end = text
        .char_indices()
        .map(|(start, c)| start + c.len_utf8())
        .take(max_chars)
        .take_while(|&end| end <= max_bytes)
        .last()
        .unwrap_or(0);
    &text[..end]
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

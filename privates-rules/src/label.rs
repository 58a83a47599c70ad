//! App labels, model labels and permission names (`docs`, `iddocument`,
//! `docs.can_change_iddocument`): they go into URLs and permission strings.

/// Whether `value` is a label: `[a-z0-9_]+` (lower-case ASCII letters, digits and `_`).
///
/// ```
/// use privates_rules::label::is_label;
///
/// assert!(is_label("id_document2"));
/// assert!(!is_label("IdDocument"));
/// assert!(!is_label("id-document"));
/// assert!(!is_label(""));
/// ```
#[must_use]
pub const fn is_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut index = 0;
    while index < bytes.len() {
        let b = bytes[index];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether `value` is a permission name: `app_label.codename`, both parts labels.
///
/// ```
/// use privates_rules::label::is_permission;
///
/// assert!(is_permission("docs.view_scans"));
/// assert!(!is_permission("view_scans"));
/// assert!(!is_permission("docs.scans.view"));
/// ```
#[must_use]
pub fn is_permission(value: &str) -> bool {
    value
        .split_once('.')
        .is_some_and(|(app, codename)| is_label(app) && is_label(codename))
}

/// The label closest to `value`: ASCII letters in lower case, digits kept, every other
/// character `_`; `None` when that is empty. Suggested fixes are built with it.
///
/// ```
/// use privates_rules::label::to_label;
///
/// assert_eq!(to_label("Id-Document").as_deref(), Some("id_document"));
/// assert_eq!(to_label(""), None);
/// ```
#[must_use]
pub fn to_label(value: &str) -> Option<String> {
    let label: String = value
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    (!label.is_empty()).then_some(label)
}

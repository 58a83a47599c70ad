//! `Content-Disposition` is always printable ASCII, has only the `filename` (and `filename*`)
//! parameters, and `filename*` decodes to the name minus control and bidi characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use privates::sendfile::{content_disposition, headers::MAX_FILENAME_CHARS};

fuzz_target!(|input: (bool, &str)| {
    let (attachment, name) = input;
    let value = content_disposition(attachment, name);
    let text = value.to_str().expect("ASCII");
    assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{text:?}");
    let prefix = if attachment { "attachment; filename=\"" } else { "inline; filename=\"" };
    let rest = text.strip_prefix(prefix).expect("disposition first");
    // Walk the quoted string: only `\"` and `\\` escapes, then the optional `filename*`.
    let mut chars = rest.chars();
    loop {
        match chars.next().expect("quoted string closes") {
            '\\' => assert!(matches!(chars.next(), Some('"' | '\\'))),
            '"' => break,
            _ => {}
        }
    }
    let tail: String = chars.collect();
    let cleaned: String = name
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    if tail.is_empty() {
        return;
    }
    let encoded = tail.strip_prefix("; filename*=UTF-8''").expect("only filename* may follow");
    assert!(!encoded.contains([';', '"', ' ']), "{encoded:?}");
    let decoded = percent_decode_str(encoded).decode_utf8().expect("UTF-8");
    if cleaned.chars().count() <= MAX_FILENAME_CHARS && !cleaned.is_empty() {
        assert_eq!(decoded, cleaned);
    }
});

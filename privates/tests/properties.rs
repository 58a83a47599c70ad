//! Properties that must hold for every input, checked on generated cases (bounded, so they run
//! in CI; the cargo-fuzz targets explore the same properties without a bound):
//! - a stored name never resolves outside the storage root, symlinks planted or not;
//! - `Content-Disposition` is always a well-formed header that carries exactly the cleaned name
//!   and no extra parameter;
//! - any `Range` header gets 200, 206 or 416, and a 206 carries exactly the slice it announces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{io::Read, path::Path};

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;
use privates::{
    sendfile::{Backend, Sendfile, SendfileOptions, content_disposition},
    storage::LocalStorage,
};
use proptest::prelude::*;

// ---- confinement ---------------------------------------------------------------------------

/// Segments a hostile name is built from: traversal, encodings, separators, and the names of
/// symlinks that lead outside.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just(String::new()),
        Just("link_out".to_string()),
        Just("dir_out".to_string()),
        Just("inside".to_string()),
        Just("secret".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2f".to_string()),
        Just("a\\..\\b".to_string()),
        Just("\0".to_string()),
        Just("/".to_string()),
        "[a-z.%/\\\\]{1,6}",
    ]
}

fn hostile_name() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(segment(), 1..6)).prop_map(|(absolute, parts)| {
        let name = parts.join("/");
        if absolute { format!("/{name}") } else { name }
    })
}

struct Planted {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    storage: LocalStorage,
}

/// A root with an ordinary file and folder, next to an outside folder holding `secret`, with
/// symlinks inside the root leading to it.
fn planted() -> Planted {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(root.join("inside")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("inside/file"), b"inside bytes").unwrap();
    std::fs::write(outside.join("secret"), b"SECRET").unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), root.join("link_out")).unwrap();
    std::os::unix::fs::symlink("../outside", root.join("dir_out")).unwrap();
    std::os::unix::fs::symlink("../outside/secret", root.join("inside/secret")).unwrap();
    let storage = LocalStorage::new(&root, "/private-media/").unwrap();
    Planted {
        _dir: dir,
        root,
        storage,
    }
}

fn is_beneath(path: &Path, root: &Path) -> bool {
    let root = root.canonicalize().unwrap();
    path.canonicalize().is_ok_and(|path| path.starts_with(root))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_name_never_resolves_outside_the_root(name in hostile_name()) {
        let fx = planted();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            if let Ok(mut opened) = fx.storage.open(&name).await {
                let mut bytes = Vec::new();
                opened.file.read_to_end(&mut bytes).unwrap();
                prop_assert_ne!(bytes.as_slice(), b"SECRET".as_slice(), "{:?}", name);
                prop_assert!(is_beneath(&opened.path, &fx.root), "{:?} -> {:?}", name, opened.path);
            }
            if let Ok(path) = fx.storage.path(&name).await {
                prop_assert!(path.starts_with(&fx.root), "{:?} -> {:?}", name, path);
            }
            // A refused delete never touches the outside file.
            let _ = fx.storage.delete(&name).await;
            prop_assert!(fx.root.parent().unwrap().join("outside/secret").is_file());
            Ok(())
        })?;
    }
}

// ---- Content-Disposition -------------------------------------------------------------------

/// What the header must carry: the name without control and bidirectional formatting
/// characters (which could break the header or disguise the extension).
fn cleaned(name: &str) -> String {
    name.chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                )
        })
        .collect()
}

/// Splits `inline; filename="a\"b"; filename*=UTF-8''x` into its parameters, honouring quoted
/// strings with backslash escapes. `None` when the value is malformed.
fn parameters(value: &str) -> Option<(String, Vec<(String, String)>)> {
    let (disposition, mut rest) = value.split_once(';')?;
    let mut params = Vec::new();
    loop {
        rest = rest.strip_prefix(' ')?;
        let (key, after) = rest.split_once('=')?;
        let (param, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            (out, &quoted[end?..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        params.push((key.to_string(), param));
        match tail.strip_prefix(';') {
            Some(next) => rest = next,
            None if tail.is_empty() => return Some((disposition.to_string(), params)),
            None => return None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn content_disposition_carries_exactly_the_cleaned_name(
        attachment in any::<bool>(),
        name in "\\PC{0,3}[\\x00-\\x1f\"\\\\%;=\\u{202E}\\u{2066}]?\\PC{1,60}",
    ) {
        let value = content_disposition(attachment, &name);
        let text = value.to_str().unwrap();
        prop_assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{:?}", text);
        let (disposition, params) = parameters(text).unwrap();
        prop_assert_eq!(disposition, if attachment { "attachment" } else { "inline" });
        let keys: Vec<_> = params.iter().map(|(k, _)| k.as_str()).collect();
        prop_assert!(keys == ["filename"] || keys == ["filename", "filename*"], "{:?}", keys);
        let expected = cleaned(&name);
        prop_assume!(!expected.is_empty());
        let carried = match params.get(1) {
            Some((_, extended)) => {
                let encoded = extended.strip_prefix("UTF-8''").unwrap();
                percent_decode_str(encoded).decode_utf8().unwrap().into_owned()
            }
            None => params[0].1.clone(),
        };
        prop_assert_eq!(carried, expected);
    }
}

// ---- Range ---------------------------------------------------------------------------------

fn range_header() -> impl Strategy<Value = String> {
    let spec = prop_oneof![
        (0u64..3000, 0u64..3000).prop_map(|(a, b)| format!("{a}-{b}")),
        (0u64..3000).prop_map(|a| format!("{a}-")),
        (0u64..3000).prop_map(|n| format!("-{n}")),
        "[0-9a-z ,=-]{0,12}",
    ];
    (
        prop_oneof![Just("bytes="), Just("bytes= "), Just("items="), Just("")],
        prop::collection::vec(spec, 1..4),
    )
        .prop_map(|(unit, specs)| format!("{unit}{}", specs.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_range_answer_never_leaves_the_file(len in 0usize..2500, range in range_header()) {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("f.bin"), &bytes).unwrap();
        let sendfile = Sendfile::new(Backend::Development, dir.path(), None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&range) {
                headers.insert(header::RANGE, value);
            }
            let response = sendfile
                .serve_path(&Method::GET, &headers, Path::new("f.bin"), &SendfileOptions::default())
                .await
                .unwrap();
            let status = response.status();
            let content_range = response
                .headers()
                .get(header::CONTENT_RANGE)
                .map(|v| v.to_str().unwrap().to_string());
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            match status {
                StatusCode::OK => prop_assert_eq!(body.as_ref(), bytes.as_slice()),
                StatusCode::PARTIAL_CONTENT => {
                    let content_range = content_range.unwrap();
                    let spec = content_range.strip_prefix("bytes ").unwrap();
                    let (span, total) = spec.split_once('/').unwrap();
                    let (first, last) = span.split_once('-').unwrap();
                    let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
                    prop_assert_eq!(total.parse::<usize>().unwrap(), len);
                    prop_assert!(first <= last && last < len, "{}", content_range);
                    prop_assert_eq!(body.as_ref(), &bytes[first..=last]);
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    prop_assert_eq!(content_range, Some(format!("bytes */{len}")));
                    prop_assert!(body.is_empty(), "416 with a body of {} bytes", body.len());
                }
                other => prop_assert!(false, "unexpected {} for {:?}", other, range),
            }
            Ok(())
        })?;
    }
}

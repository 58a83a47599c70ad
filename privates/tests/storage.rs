//! Local storage: name rules, kernel-level confinement, saving, upload_to. Real files in
//! temporary folders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::HashSet,
    io::{self, Read},
    os::unix::fs::symlink,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use futures_util::{Stream, StreamExt, stream};
use privates::{
    UploadTo,
    storage::{
        Checked, DEFAULT_MAX_NAME_LENGTH, LocalStorage, MAX_NAME_BYTES, MAX_SEGMENT_BYTES,
        NameError, Storage, StorageError, Variant, get_valid_filename, valid_upload_filename,
        validate_name,
    },
    upload_to::{UploadToError, validate_pattern},
};
use tempfile::TempDir;

/// A temporary folder holding the storage root (`root/`) and a folder outside it (`outside/`).
struct Fixture {
    tmp: TempDir,
    storage: LocalStorage,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("outside")).unwrap();
        std::fs::write(tmp.path().join("outside/secret.txt"), b"secret").unwrap();
        let storage = LocalStorage::new(tmp.path().join("root"), "/private/").unwrap();
        Self { tmp, storage }
    }

    fn root(&self) -> PathBuf {
        self.tmp.path().join("root")
    }

    fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.root().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn link(&self, target: impl AsRef<Path>, name: &str) {
        symlink(target, self.root().join(name)).unwrap();
    }

    /// Every file and symlink beneath the root (hidden ones too), relative, sorted.
    fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
                if entry.file_type().unwrap().is_dir() {
                    walk(&entry.path(), &format!("{name}/"), out);
                } else {
                    out.push(name);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root(), "", &mut out);
        out.sort();
        out
    }

    async fn read(&self, name: &str) -> Vec<u8> {
        let mut opened = self.storage.open(name).await.unwrap();
        let mut bytes = Vec::new();
        opened.file.read_to_end(&mut bytes).unwrap();
        bytes
    }
}

fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, io::Error>> + use<> {
    stream::iter(
        parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part)))
            .collect::<Vec<_>>(),
    )
}

fn once(bytes: impl Into<Bytes>) -> impl Stream<Item = Result<Bytes, io::Error>> {
    stream::iter([Ok(bytes.into())])
}

fn reason<T: std::fmt::Debug>(result: Result<T, impl Into<StorageError>>) -> NameError {
    match result.map_err(Into::into) {
        Err(StorageError::InvalidName { reason, .. }) => reason,
        other => panic!("expected InvalidName, got {other:?}"),
    }
}

fn assert_escapes<T: std::fmt::Debug>(result: Result<T, StorageError>, what: &str) {
    match result {
        Err(StorageError::Escapes { .. }) => {}
        other => panic!("{what}: expected Escapes, got {other:?}"),
    }
}

fn is_alternative(name: &str, stem: &str, ext: &str) -> bool {
    name.strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('_'))
        .and_then(|rest| rest.strip_suffix(ext))
        .is_some_and(|suffix| {
            suffix.len() == 7 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

// ---------------------------------------------------------------------------------------------
// Name rules
// ---------------------------------------------------------------------------------------------

fn hostile_names() -> Vec<(String, NameError)> {
    use NameError::*;
    let mut names: Vec<(String, NameError)> = [
        ("", Empty),
        ("..", DotSegment),
        (".", DotSegment),
        ("../x", DotSegment),
        ("../../etc/passwd", DotSegment),
        ("a/../../x", DotSegment),
        ("a/..", DotSegment),
        ("./x", DotSegment),
        ("a/./b", DotSegment),
        ("/etc/passwd", Absolute),
        ("/", Absolute),
        ("//server/share/x", Absolute),
        ("C:\\x", Absolute),
        ("c:x", Absolute),
        ("C:/Windows/win.ini", Absolute),
        ("\\x", Absolute),
        ("\\\\server\\share", Absolute),
        ("a\\b", Backslash),
        ("a\\..\\..\\x", Backslash),
        ("%2e%2e%2fetc", PercentEncoded),
        ("%2E%2E/etc/passwd", PercentEncoded),
        (".%2e/x", PercentEncoded),
        ("a%2Fb", PercentEncoded),
        ("a%2fb", PercentEncoded),
        ("a%5Cb", PercentEncoded),
        ("a%5cb", PercentEncoded),
        ("a%00b", PercentEncoded),
        ("%252e%252e%252fetc", PercentEncoded),
        ("a%0Ab", PercentEncoded),
        ("a\0b", Nul),
        ("a.pdf\0.jpg", Nul),
        ("a\nb", ControlChar),
        ("a\r\nSet-Cookie: x", ControlChar),
        ("a\tb", ControlChar),
        ("a\u{1b}[31mb", ControlChar),
        ("a\u{7f}b", ControlChar),
        ("a\u{85}b", ControlChar),
        ("invoice\u{202E}fdp.exe", BidiControl),
        ("a\u{2066}b\u{2069}", BidiControl),
        ("a\u{200F}b", BidiControl),
        ("a//b", EmptySegment),
        ("a/", EmptySegment),
        ("a/b/", EmptySegment),
    ]
    .into_iter()
    .map(|(name, reason)| (name.to_owned(), reason))
    .collect();
    // The limits the length rules apply.
    assert_eq!((MAX_NAME_BYTES, MAX_SEGMENT_BYTES), (1024, 255));
    names.push(("x".repeat(1025), TooLong { len: 1025 }));
    names.push((
        format!("a/{}", "x".repeat(256)),
        SegmentTooLong { len: 256 },
    ));
    names.push(("é".repeat(128), SegmentTooLong { len: 256 }));
    names
}

#[test]
fn at_least_40_hostile_names_are_refused_with_the_rule_they_break() {
    let names = hostile_names();
    assert!(names.len() >= 40, "{}", names.len());
    for (name, expected) in names {
        assert_eq!(reason(validate_name(&name)), expected, "{name:?}");
    }
}

#[tokio::test]
async fn every_operation_refuses_hostile_names_before_touching_the_disk() {
    let fx = Fixture::new();
    for (name, expected) in hostile_names() {
        assert_eq!(
            reason(fx.storage.open(&name).await),
            expected,
            "open {name:?}"
        );
        assert_eq!(
            reason(fx.storage.exists(&name).await),
            expected,
            "exists {name:?}"
        );
        assert_eq!(
            reason(fx.storage.size(&name).await),
            expected,
            "size {name:?}"
        );
        assert_eq!(
            reason(fx.storage.modified(&name).await),
            expected,
            "modified {name:?}"
        );
        assert_eq!(
            reason(fx.storage.delete(&name).await),
            expected,
            "delete {name:?}"
        );
        assert_eq!(
            reason(fx.storage.path(&name).await),
            expected,
            "path {name:?}"
        );
        assert_eq!(reason(fx.storage.url(&name)), expected, "url {name:?}");
        assert_eq!(
            reason(fx.storage.save(&name, once("x")).await),
            expected,
            "save {name:?}"
        );
    }
    assert!(fx.files().is_empty(), "{:?}", fx.files());
    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );
}

#[test]
fn ordinary_names_are_accepted_unchanged() {
    for name in [
        "a",
        "a.pdf",
        "docs/2024/03/a.pdf",
        ".hidden",
        "..a",
        "a..b",
        "100%.txt",
        "a%20b.txt",
        "a%2",
        "Ünïcode/日本語.txt",
        "c_:x",
        &"x".repeat(255),
    ] {
        assert_eq!(validate_name(name).unwrap(), name);
    }
}

#[test]
fn error_messages_name_the_rule_and_escape_the_name() {
    let err = validate_name("evil\r\nX-Injected: 1").unwrap_err();
    let message = err.to_string();
    assert_eq!(
        message,
        r#"invalid stored name "evil\r\nX-Injected: 1": the name contains a control character"#
    );
    let long = validate_name(&format!("{}\n", "y".repeat(5000)))
        .unwrap_err()
        .to_string();
    assert!(long.len() < 300, "{}", long.len());
}

// ---------------------------------------------------------------------------------------------
// Kernel-level confinement: symlinks
// ---------------------------------------------------------------------------------------------

/// Every read/delete operation on `name` is refused with `Escapes`.
async fn assert_all_refused(fx: &Fixture, name: &str) {
    assert_escapes(fx.storage.open(name).await, &format!("open {name}"));
    assert_escapes(fx.storage.exists(name).await, &format!("exists {name}"));
    assert_escapes(fx.storage.size(name).await, &format!("size {name}"));
    assert_escapes(fx.storage.modified(name).await, &format!("modified {name}"));
    assert_escapes(fx.storage.path(name).await, &format!("path {name}"));
    assert_escapes(fx.storage.delete(name).await, &format!("delete {name}"));
    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );
}

#[tokio::test]
async fn absolute_symlink_to_a_file_outside_is_refused() {
    let fx = Fixture::new();
    fx.link(fx.outside().join("secret.txt"), "link.txt");
    assert_all_refused(&fx, "link.txt").await;
    // The refused delete left the symlink for an administrator to see.
    assert!(fx.root().join("link.txt").symlink_metadata().is_ok());
}

#[tokio::test]
async fn relative_symlink_climbing_out_is_refused() {
    let fx = Fixture::new();
    fx.link("../outside/secret.txt", "rel.txt");
    assert_all_refused(&fx, "rel.txt").await;
}

#[tokio::test]
async fn symlinked_folder_pointing_outside_is_refused() {
    let fx = Fixture::new();
    fx.link(fx.outside(), "dir");
    assert_all_refused(&fx, "dir/secret.txt").await;
    // Saving through it is refused too, and nothing lands outside.
    assert_escapes(fx.storage.save("dir/new.txt", once("x")).await, "save");
    assert_escapes(
        fx.storage.save("dir/sub/new.txt", once("x")).await,
        "save nested",
    );
    let outside: Vec<_> = std::fs::read_dir(fx.outside()).unwrap().collect();
    assert_eq!(outside.len(), 1);
}

#[tokio::test]
async fn nested_symlinked_folder_pointing_outside_is_refused() {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.root().join("a/b")).unwrap();
    fx.link("../../../outside", "a/b/c");
    assert_all_refused(&fx, "a/b/c/secret.txt").await;
}

#[tokio::test]
async fn symlink_chain_ending_outside_is_refused() {
    let fx = Fixture::new();
    fx.link("second", "first");
    fx.link("third", "second");
    fx.link("../outside/secret.txt", "third");
    assert_all_refused(&fx, "first").await;
}

#[tokio::test]
async fn dangling_symlink_to_outside_is_refused() {
    let fx = Fixture::new();
    fx.link("/nonexistent/privates-test", "dangling");
    assert_escapes(fx.storage.open("dangling").await, "open");
    assert_escapes(fx.storage.exists("dangling").await, "exists");
    assert_escapes(fx.storage.delete("dangling").await, "delete");
}

#[tokio::test]
async fn absolute_symlink_is_refused_even_when_it_points_inside() {
    // RESOLVE_BENEATH refuses absolute symlinks outright: the documented choice is to allow
    // only relative symlinks that stay beneath the root.
    let fx = Fixture::new();
    fx.write("inside.txt", b"inside");
    fx.link(fx.root().join("inside.txt"), "abs.txt");
    assert_escapes(fx.storage.open("abs.txt").await, "open");
}

#[tokio::test]
async fn relative_symlink_staying_inside_is_followed_and_delete_removes_only_the_link() {
    let fx = Fixture::new();
    fx.write("docs/inside.txt", b"inside bytes");
    fx.link("docs/inside.txt", "alias.txt");
    assert_eq!(fx.read("alias.txt").await, b"inside bytes");
    assert_eq!(fx.storage.size("alias.txt").await.unwrap(), 12);
    assert!(fx.storage.exists("alias.txt").await.unwrap());
    fx.storage.delete("alias.txt").await.unwrap();
    assert!(fx.root().join("alias.txt").symlink_metadata().is_err());
    assert_eq!(fx.read("docs/inside.txt").await, b"inside bytes");
}

#[tokio::test]
async fn a_symlink_loop_is_an_error_not_a_hang() {
    let fx = Fixture::new();
    fx.link("loop2", "loop1");
    fx.link("loop1", "loop2");
    assert!(matches!(
        fx.storage.open("loop1").await,
        Err(StorageError::Io { .. })
    ));
}

#[tokio::test]
async fn a_file_opened_before_a_symlink_swap_stays_the_same_file() {
    let fx = Fixture::new();
    fx.write("doc.txt", b"original");
    let mut opened = fx.storage.open("doc.txt").await.unwrap();
    std::fs::remove_file(fx.root().join("doc.txt")).unwrap();
    fx.link(fx.outside().join("secret.txt"), "doc.txt");
    let mut bytes = Vec::new();
    opened.file.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"original");
    assert_escapes(fx.storage.open("doc.txt").await, "reopen");
}

// ---------------------------------------------------------------------------------------------
// get_valid_filename (Django's test suite and docstring) and upload names
// ---------------------------------------------------------------------------------------------

#[test]
fn get_valid_filename_matches_django() {
    for (input, expected) in [
        ("john's portrait in 2004.jpg", "johns_portrait_in_2004.jpg"),
        ("^&'@{}[],$=!-#()%+~_123.txt", "-_123.txt"),
        ("  spaced name.txt \n", "spaced_name.txt"),
        ("../../etc/passwd", "....etcpasswd"),
        ("Straße café.pdf", "Straße_café.pdf"),
        ("日本語 ファイル.txt", "日本語_ファイル.txt"),
        ("файл отчёт.doc", "файл_отчёт.doc"),
        ("½ ² ٣.txt", "½_²_٣.txt"),
        ("a\tb.txt", "ab.txt"),
        ("\u{1c}a.txt\u{1f}", "a.txt"),
        // Combining marks are not `\w` in Python: a decomposed é loses its accent.
        ("e\u{301}.txt", "e.txt"),
        ("emoji 😀.png", "emoji_.png"),
        ("a\u{202E}gpj.exe", "agpj.exe"),
        (".bashrc", ".bashrc"),
        ("...", "..."),
    ] {
        assert_eq!(get_valid_filename(input).unwrap(), expected, "{input:?}");
    }
    for input in ["???", "$.$.$", "", ".", "..", "   ", "/", "\u{301}"] {
        assert_eq!(
            reason(get_valid_filename(input)),
            NameError::NoValidFilename,
            "{input:?}"
        );
    }
    assert_eq!(
        get_valid_filename("???").unwrap_err().to_string(),
        "invalid stored name \"???\": no valid file name can be derived from it (only `-`, `_`, \
         `.`, letters and digits are kept)"
    );
}

#[test]
fn upload_file_names_keep_only_a_valid_basename() {
    assert_eq!(
        valid_upload_filename(r"C:\fakepath\x.pdf").unwrap(),
        "x.pdf"
    );
    assert_eq!(valid_upload_filename("../../x").unwrap(), "x");
    assert_eq!(valid_upload_filename("/etc/passwd").unwrap(), "passwd");
    assert_eq!(
        valid_upload_filename("my photo (1).JPG").unwrap(),
        "my_photo_1.JPG"
    );
    assert_eq!(valid_upload_filename("a\0b\r\n.txt").unwrap(), "ab.txt");
    assert_eq!(
        reason(valid_upload_filename("x/..")),
        NameError::NoValidFilename
    );
    assert_eq!(
        reason(valid_upload_filename("dir/")),
        NameError::NoValidFilename
    );
    let long = valid_upload_filename(&format!("{}.pdf", "n".repeat(300))).unwrap();
    assert_eq!(long, format!("{}.pdf", "n".repeat(251)));
}

// ---------------------------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn save_and_open_round_trip_exact_bytes() {
    let fx = Fixture::new();
    let name = fx
        .storage
        .save(
            "docs/a.bin",
            chunks(&[b"\x00\x01", b"", b"\xff\xfe binary\n", b"end"]),
        )
        .await
        .unwrap();
    assert_eq!(name, "docs/a.bin");
    assert_eq!(fx.read(&name).await, b"\x00\x01\xff\xfe binary\nend");
    assert_eq!(fx.files(), ["docs/a.bin"]);

    let opened = fx.storage.open(&name).await.unwrap();
    assert_eq!(opened.name, "docs/a.bin");
    assert_eq!(opened.path, fx.root().join("docs/a.bin"));
    assert_eq!(opened.metadata.len(), 15);
    assert!(opened.path.is_absolute());
}

/// A body of `total` bytes in uneven chunks (1 byte to ~70 KiB), as a network delivers it.
fn uneven_chunks(total: usize) -> (Vec<u8>, Vec<Bytes>) {
    let bytes: Vec<u8> = (0..total).map(|n| (n % 253) as u8).collect();
    let mut parts = Vec::new();
    let (mut at, mut size) = (0, 1);
    while at < total {
        let end = (at + size).min(total);
        parts.push(Bytes::copy_from_slice(&bytes[at..end]));
        at = end;
        size = (size * 7 + 13) % 70_001 + 1;
    }
    (bytes, parts)
}

#[tokio::test]
async fn a_large_body_in_uneven_chunks_is_stored_exactly() {
    // Several of the storage's write batches, none of them ending on a chunk boundary.
    let fx = Fixture::new();
    let (bytes, parts) = uneven_chunks(3 * 1024 * 1024 + 4321);
    assert!(parts.len() > 50, "{}", parts.len());
    let stream = stream::iter(parts.into_iter().map(Ok::<_, io::Error>));
    let name = fx.storage.save("big/body.bin", stream).await.unwrap();
    assert_eq!(fx.read(&name).await, bytes);
    assert_eq!(fx.files(), ["big/body.bin"]);
}

#[tokio::test]
async fn a_stream_error_after_megabytes_were_written_leaves_no_file_behind() {
    let fx = Fixture::new();
    let (_, parts) = uneven_chunks(2 * 1024 * 1024);
    let failing = stream::iter(parts.into_iter().map(Ok)).chain(stream::iter([Err(
        io::Error::new(io::ErrorKind::ConnectionReset, "client went away"),
    )]));
    let err = fx.storage.save("up/big.bin", failing).await.unwrap_err();
    assert!(matches!(err, StorageError::Stream(_)), "{err:?}");
    assert!(fx.files().is_empty(), "{:?}", fx.files());
}

#[tokio::test]
async fn save_makes_each_segment_valid() {
    let fx = Fixture::new();
    let name = fx
        .storage
        .save("my docs/john's portrait.jpg", once("jpg"))
        .await
        .unwrap();
    assert_eq!(name, "my_docs/johns_portrait.jpg");
    assert_eq!(
        reason(fx.storage.save("ok/???", once("x")).await),
        NameError::NoValidFilename
    );
    assert_eq!(fx.files(), ["my_docs/johns_portrait.jpg"]);
}

#[tokio::test]
async fn a_taken_name_gets_a_random_suffix_and_the_original_is_untouched() {
    let fx = Fixture::new();
    let first = fx.storage.save("report.pdf", once("first")).await.unwrap();
    let second = fx.storage.save("report.pdf", once("second")).await.unwrap();
    let third = fx.storage.save("backup.tar.gz", once("t1")).await.unwrap();
    let fourth = fx.storage.save("backup.tar.gz", once("t2")).await.unwrap();
    assert_eq!(first, "report.pdf");
    assert!(is_alternative(&second, "report", ".pdf"), "{second}");
    assert_eq!(third, "backup.tar.gz");
    assert!(is_alternative(&fourth, "backup", ".tar.gz"), "{fourth}");
    assert_eq!(fx.read("report.pdf").await, b"first");
    assert_eq!(fx.read(&second).await, b"second");
    assert_eq!(fx.files().len(), 4);
}

#[tokio::test]
async fn a_name_taken_by_a_folder_or_a_symlink_is_not_reused() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.root().join("taken.txt")).unwrap();
    fx.link("../outside/secret.txt", "link.txt");
    let a = fx.storage.save("taken.txt", once("a")).await.unwrap();
    let b = fx.storage.save("link.txt", once("b")).await.unwrap();
    assert!(is_alternative(&a, "taken", ".txt"), "{a}");
    assert!(is_alternative(&b, "link", ".txt"), "{b}");
    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );
}

#[tokio::test]
async fn long_names_are_cut_to_the_limit_like_django() {
    let fx = Fixture::new();
    let stem = "s".repeat(150);
    let name = fx
        .storage
        .save(&format!("folder/{stem}.pdf"), once("x"))
        .await
        .unwrap();
    assert_eq!(name.chars().count(), DEFAULT_MAX_NAME_LENGTH);
    let file = name.strip_prefix("folder/").unwrap();
    assert!(
        is_alternative(file, &"s".repeat(100 - 7 - 12), ".pdf"),
        "{name}"
    );

    let tight = fx.storage.clone().with_max_name_length(20);
    assert_eq!(tight.max_name_length(), 20);
    let short = tight.save("abcdefghijkl.txt", once("y")).await.unwrap();
    assert_eq!(short, "abcdefghijkl.txt");
    let again = tight.save("abcdefghijkl.txt", once("z")).await.unwrap();
    assert!(is_alternative(&again, "abcdefgh", ".txt"), "{again}");

    let err = tight
        .save("a_long_folder_name/x.txt", once("z"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::NoAvailableName { max_length: 20, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn alternatives_keep_python_suffixes_and_255_byte_segments() {
    let fx = Fixture::new();
    for (name, stem, ext) in [
        ("a.tar.gz", "a", ".tar.gz"),
        (".bashrc", ".bashrc", ""),
        ("..a.b", "..a", ".b"),
        ("a.", "a.", ""),
        ("plain", "plain", ""),
    ] {
        assert_eq!(fx.storage.save(name, once("1")).await.unwrap(), name);
        let again = fx.storage.save(name, once("2")).await.unwrap();
        assert!(is_alternative(&again, stem, ext), "{name}: {again}");
    }
    // 125 characters, 250 bytes of stem: the name fits, its alternative must be cut.
    let wide = fx.storage.clone().with_max_name_length(300);
    let name = format!("{}.pdf", "é".repeat(125));
    assert_eq!(wide.save(&name, once("1")).await.unwrap(), name);
    let again = wide.save(&name, once("2")).await.unwrap();
    assert!(
        again.len() <= privates::storage::MAX_SEGMENT_BYTES,
        "{}",
        again.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_saves_of_one_name_keep_every_file() {
    let fx = Fixture::new();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let storage = fx.storage.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!("content of upload {i}\n").repeat(100 + i);
            let name = storage
                .save("same/name.txt", once(body.clone()))
                .await
                .unwrap();
            (name, body)
        }));
    }
    let mut names = HashSet::new();
    for task in tasks {
        let (name, body) = task.await.unwrap();
        assert_eq!(fx.read(&name).await, body.as_bytes(), "{name}");
        assert!(
            name == "same/name.txt" || is_alternative(&name, "same/name", ".txt"),
            "{name}"
        );
        names.insert(name);
    }
    assert_eq!(names.len(), 50);
    assert!(names.contains("same/name.txt"));
    assert_eq!(
        fx.files().len(),
        50,
        "no temporary file left: {:?}",
        fx.files()
    );
}

#[tokio::test]
async fn a_stream_error_leaves_no_file_behind() {
    let fx = Fixture::new();
    let failing = stream::iter([
        Ok(Bytes::from_static(b"partial data")),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client went away",
        )),
        Ok(Bytes::from_static(b"never written")),
    ]);
    let err = fx.storage.save("up/file.txt", failing).await.unwrap_err();
    assert!(matches!(err, StorageError::Stream(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the upload stream failed, nothing was stored: client went away"
    );
    assert!(fx.files().is_empty(), "{:?}", fx.files());
    assert!(!fx.storage.exists("up/file.txt").await.unwrap());
}

#[tokio::test]
async fn a_save_dropped_mid_way_leaves_no_file_behind() {
    let fx = Fixture::new();
    let endless = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"first chunk"))])
        .chain(stream::pending());
    let mut save = Box::pin(fx.storage.save("up/file.txt", endless));
    let mut saw_temp_file = false;
    for _ in 0..500 {
        tokio::select! {
            result = &mut save => panic!("the save cannot finish: {result:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        if let [only] = fx.files().as_slice() {
            assert!(
                only.starts_with("up/.file.txt~") && only.ends_with(".part"),
                "{only}"
            );
            saw_temp_file = true;
            break;
        }
    }
    assert!(saw_temp_file, "the temporary file never appeared");
    // Let the save reach the endless part of the stream, so that dropping it cancels a write
    // in progress (not the creation of the temporary file).
    tokio::select! {
        result = &mut save => panic!("the save cannot finish: {result:?}"),
        () = tokio::time::sleep(Duration::from_millis(50)) => {}
    }
    drop(save);
    assert!(fx.files().is_empty(), "{:?}", fx.files());
}

#[tokio::test]
async fn a_large_lazily_generated_stream_is_stored_whole() {
    const CHUNK: usize = 1 << 20;
    const CHUNKS: usize = 64;
    let fx = Fixture::new();
    // Each chunk is made only when the storage asks for it.
    let lazy = stream::unfold(0usize, |i| async move {
        (i < CHUNKS).then(|| {
            (
                Ok::<_, io::Error>(Bytes::from(vec![(i % 251) as u8; CHUNK])),
                i + 1,
            )
        })
    });
    let name = fx.storage.save("big.bin", lazy).await.unwrap();
    assert_eq!(
        fx.storage.size(&name).await.unwrap(),
        (CHUNK * CHUNKS) as u64
    );
    let mut opened = fx.storage.open(&name).await.unwrap();
    let mut buffer = vec![0u8; CHUNK];
    for i in 0..CHUNKS {
        opened.file.read_exact(&mut buffer).unwrap();
        assert!(buffer.iter().all(|&b| b == (i % 251) as u8), "chunk {i}");
    }
    assert_eq!(opened.file.read(&mut buffer).unwrap(), 0);
}

#[test]
fn the_save_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let tmp = tempfile::tempdir().unwrap();
    let storage = LocalStorage::new(tmp.path(), "/p/").unwrap();
    let future = storage.save("x", once("y"));
    assert_send(&future);
    let storage = Storage::Local(storage.clone());
    let upload = storage.save_checked("x", once("y"), |_| Ok::<(), String>(()));
    assert_send(&upload);
}

// ---------------------------------------------------------------------------------------------
// upload_to
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn upload_to_pattern_expands_to_the_current_year_folder() {
    let fx = Fixture::new();
    let year = chrono::Local::now().format("%Y").to_string();
    let name = UploadTo::Pattern("mugshots/%Y/")
        .name_for(r"C:\fakepath\My Photo.jpg")
        .unwrap();
    let name = fx.storage.save(&name, once("jpeg")).await.unwrap();
    assert_eq!(name, format!("mugshots/{year}/My_Photo.jpg"));
    assert_eq!(fx.read(&name).await, b"jpeg");

    let traversal = UploadTo::Root.name_for("../../evil.sh").unwrap();
    let traversal = fx.storage.save(&traversal, once("x")).await.unwrap();
    assert_eq!(traversal, "evil.sh");
}

#[test]
fn upload_to_patterns_expand_at_a_given_time() {
    let at = Utc.with_ymd_and_hms(2004, 2, 29, 13, 5, 9).unwrap();
    let expand =
        |pattern: &'static str| UploadTo::Pattern(pattern).expand_at("a.pdf", &at).unwrap();
    assert_eq!(expand("scans/%Y/%m/%d/"), "scans/2004/02/29/a.pdf");
    // As Django's posixpath.join: no trailing slash still means a folder.
    assert_eq!(expand("docs/%Y"), "docs/2004/a.pdf");
    assert_eq!(expand("%Y %B/"), "2004 February/a.pdf");
    assert_eq!(expand("100%%/"), "100%/a.pdf");
    assert_eq!(expand(""), "a.pdf");
    assert_eq!(UploadTo::Root.expand_at("a.pdf", &at).unwrap(), "a.pdf");
}

fn per_user(name: &str) -> String {
    format!("users/42/{name}")
}

#[tokio::test]
async fn upload_to_function_chooses_the_name() {
    let fx = Fixture::new();
    let upload_to = UploadTo::Function(per_user);
    let name = upload_to.name_for("scan 1.pdf").unwrap();
    let name = fx.storage.save(&name, once("pdf")).await.unwrap();
    assert_eq!(name, "users/42/scan_1.pdf");
    assert_eq!(fx.read("users/42/scan_1.pdf").await, b"pdf");
    assert!(upload_to.validate().is_ok());
}

#[tokio::test]
async fn spaces_in_an_expanded_pattern_are_cleaned_on_save() {
    let fx = Fixture::new();
    let name = UploadTo::Pattern("by month/%Y %m/")
        .name_for("a.pdf")
        .unwrap();
    let name = fx.storage.save(&name, once("a")).await.unwrap();
    let now = chrono::Local::now().format("%Y_%m").to_string();
    assert_eq!(name, format!("by_month/{now}/a.pdf"));
}

#[tokio::test]
async fn invalid_upload_to_patterns_are_refused() {
    assert_eq!(
        validate_pattern("scans/%Q/"),
        Err(UploadToError::InvalidSpecifier {
            pattern: "scans/%Q/".to_owned()
        })
    );
    assert!(matches!(
        validate_pattern("scans/%"),
        Err(UploadToError::InvalidSpecifier { .. })
    ));
    for (pattern, expected) in [
        ("../%Y/", NameError::DotSegment),
        ("/abs/%Y/", NameError::Absolute),
        ("a//%Y/", NameError::EmptySegment),
        ("a\\%Y/", NameError::Backslash),
        ("$$/", NameError::NoValidFilename),
        ("/", NameError::Absolute),
    ] {
        match validate_pattern(pattern) {
            Err(UploadToError::UnsafeFolder { reason, .. }) => {
                assert_eq!(reason, expected, "{pattern}");
            }
            other => panic!("{pattern}: {other:?}"),
        }
    }
    for pattern in ["mugshots/%Y/", "docs/%Y/%m/%d", "%c/", "", "a-b_c.d/%j/"] {
        assert_eq!(validate_pattern(pattern), Ok(()), "{pattern}");
    }
    assert!(UploadTo::Pattern("x/%Q").validate().is_err());

    let err = UploadTo::Pattern("scans/%Q/")
        .name_for("a.pdf")
        .unwrap_err();
    assert!(
        matches!(
            StorageError::from(err.clone()),
            StorageError::UploadTo(UploadToError::InvalidSpecifier { .. })
        ),
        "{err:?}"
    );
    // Naming an upload refuses it before anything is written.
    let fx = Fixture::new();
    let err = UploadTo::Pattern("../%Y/").name_for("a.pdf").unwrap_err();
    assert!(
        matches!(
            StorageError::from(err.clone()),
            StorageError::UploadTo(UploadToError::UnsafeFolder { .. })
        ),
        "{err:?}"
    );
    assert!(fx.files().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The other operations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn url_encodes_each_segment_and_keeps_slashes() {
    let fx = Fixture::new();
    let url = |name: &str| fx.storage.url(name).unwrap();
    assert_eq!(url("a.pdf"), "/private/a.pdf");
    assert_eq!(url("my file.pdf"), "/private/my%20file.pdf");
    assert_eq!(
        url("dossiers/2024/rapport final.pdf"),
        "/private/dossiers/2024/rapport%20final.pdf"
    );
    assert_eq!(url("Ünï/ñame.pdf"), "/private/%C3%9Cn%C3%AF/%C3%B1ame.pdf");
    assert_eq!(url("日本.txt"), "/private/%E6%97%A5%E6%9C%AC.txt");
    assert_eq!(url("a#b?c&d=e+f.txt"), "/private/a%23b%3Fc%26d%3De%2Bf.txt");
    assert_eq!(url("keep-_.~!*()'.txt"), "/private/keep-_.~!*()'.txt");
    assert_eq!(url("100%.txt"), "/private/100%25.txt");
    assert_eq!(url("quote\"<>.txt"), "/private/quote%22%3C%3E.txt");
}

#[tokio::test]
async fn open_size_modified_exists_and_path() {
    let fx = Fixture::new();
    let before = SystemTime::now() - Duration::from_secs(5);
    let name = fx.storage.save("dir/f.txt", once("12345")).await.unwrap();
    assert!(fx.storage.exists("dir/f.txt").await.unwrap());
    assert!(fx.storage.exists("dir").await.unwrap());
    assert!(!fx.storage.exists("dir/missing.txt").await.unwrap());
    assert!(!fx.storage.exists("nowhere/missing.txt").await.unwrap());
    assert!(!fx.storage.exists("dir/f.txt/below").await.unwrap());
    assert_eq!(fx.storage.size(&name).await.unwrap(), 5);
    let modified = fx.storage.modified(&name).await.unwrap();
    assert!(modified >= before && modified <= SystemTime::now() + Duration::from_secs(5));
    assert_eq!(
        fx.storage.path(&name).await.unwrap(),
        fx.root().join("dir/f.txt")
    );
    assert_eq!(
        fx.storage.path("not/yet.txt").await.unwrap(),
        fx.root().join("not/yet.txt")
    );
    assert_eq!(fx.storage.location(), fx.root());
    assert_eq!(fx.storage.base_url(), "/private/");
}

#[tokio::test]
async fn missing_names_and_folders_are_not_found() {
    let fx = Fixture::new();
    fx.write("dir/f.txt", b"x");
    for name in ["missing.txt", "dir/missing.txt", "dir/f.txt/below"] {
        let err = fx.storage.open(name).await.unwrap_err();
        assert!(
            matches!(err, StorageError::NotFound { .. }),
            "{name}: {err:?}"
        );
        assert!(err.is_not_found());
        assert!(matches!(
            fx.storage.size(name).await,
            Err(StorageError::NotFound { .. })
        ));
    }
    let err = fx.storage.open("dir").await.unwrap_err();
    assert!(matches!(err, StorageError::NotAFile { .. }), "{err:?}");
    assert!(err.is_not_found());
    assert!(matches!(
        fx.storage.size("dir").await,
        Err(StorageError::NotAFile { .. })
    ));
    assert!(matches!(
        fx.storage.delete("dir").await,
        Err(StorageError::NotAFile { .. })
    ));
    assert!(fx.root().join("dir/f.txt").exists());
}

/// A named pipe planted in the storage is refused at once: `open` runs on the caller's thread,
/// and opening a FIFO for reading would otherwise wait for a writer forever.
#[test]
fn a_named_pipe_is_not_a_file_and_does_not_block() {
    let fx = Fixture::new();
    let status = std::process::Command::new("mkfifo")
        .arg(fx.root().join("pipe.pdf"))
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo failed");
    // On a thread of its own, so that a blocked open fails the test instead of hanging it
    // (a blocked thread does not keep the test process alive).
    let storage = fx.storage.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _ = tx.send(runtime.block_on(storage.open("pipe.pdf")));
    });
    let opened = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("opening a FIFO must not wait for a writer");
    assert!(
        matches!(opened, Err(StorageError::NotAFile { .. })),
        "{opened:?}"
    );
}

#[tokio::test]
async fn delete_is_idempotent() {
    let fx = Fixture::new();
    let name = fx.storage.save("a/b.txt", once("x")).await.unwrap();
    fx.storage.delete(&name).await.unwrap();
    assert!(!fx.storage.exists(&name).await.unwrap());
    fx.storage.delete(&name).await.unwrap();
    fx.storage.delete("never/was.txt").await.unwrap();
    assert!(fx.files().is_empty());
}

#[test]
fn new_checks_base_url_and_creates_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a/b/c");
    let storage = LocalStorage::new(&nested, "/media/private/").unwrap();
    assert!(nested.is_dir());
    assert_eq!(storage.location(), nested);
    for bad in [
        "private/",
        "/private",
        "",
        "//evil.example/",
        "/a b/",
        "/a\n/",
        "/a?/",
        "/a#/",
    ] {
        let err = LocalStorage::new(tmp.path(), bad).unwrap_err();
        assert!(
            matches!(err, StorageError::BaseUrl { .. }),
            "{bad:?}: {err:?}"
        );
    }
    std::fs::write(tmp.path().join("file"), b"").unwrap();
    let err = LocalStorage::new(tmp.path().join("file"), "/p/").unwrap_err();
    assert!(matches!(err, StorageError::Location { .. }), "{err:?}");
}

#[tokio::test]
async fn a_check_sees_the_whole_file_before_it_is_published() {
    let fx = Fixture::new();
    let name = Storage::Local(fx.storage.clone())
        .save_checked("up/ok.txt", chunks(&[b"hello ", b"world"]), |mut file| {
            let mut seen = String::new();
            file.read_to_string(&mut seen)?;
            assert_eq!(seen, "hello world");
            Ok::<(), std::io::Error>(())
        })
        .await
        .unwrap();
    assert!(
        matches!(&name, Checked::Stored(stored) if stored == "up/ok.txt"),
        "{name:?}"
    );
    assert_eq!(fx.read("up/ok.txt").await, b"hello world");
}

#[tokio::test]
async fn a_refused_check_stores_nothing() {
    let fx = Fixture::new();
    let name = UploadTo::Pattern("scans/").name_for("bomb.png").unwrap();
    let checked = Storage::Local(fx.storage.clone())
        .save_checked(&name, once(&b"\x89PNG not really"[..]), |_| {
            Err("not a valid image")
        })
        .await
        .unwrap();
    // The check's own reason comes back, typed.
    assert_eq!(checked, Checked::Refused("not a valid image"));
    // Neither the real name nor the temporary file: only the (empty) folder remains.
    assert!(fx.files().is_empty(), "{:?}", fx.files());
    assert!(!fx.storage.exists("scans/bomb.png").await.unwrap());
}

// ---------------------------------------------------------------------------------------------
// Long upload names, and the temporary files of interrupted saves
// ---------------------------------------------------------------------------------------------

#[test]
fn long_ascii_names_are_cut_to_255_keeping_the_extension() {
    let name = valid_upload_filename(&format!("{}.pdf", "a".repeat(300))).unwrap();
    assert_eq!(name, format!("{}.pdf", "a".repeat(251)));
}

#[test]
fn long_non_ascii_names_are_cut_by_bytes_on_a_character_boundary() {
    // 2-, 3- and 4-byte characters; the limit falls inside a character for the first two.
    for (c, fits) in [("é", 125), ("文", 83), ("𐐀", 62)] {
        let name = valid_upload_filename(&format!("{}.pdf", c.repeat(300))).unwrap();
        assert!(
            name.len() <= privates::storage::MAX_SEGMENT_BYTES,
            "{c}: {} bytes",
            name.len()
        );
        assert_eq!(name, format!("{}.pdf", c.repeat(fits)), "{c}");
    }
    // Exactly 256 bytes: one character goes.
    let name = valid_upload_filename(&format!("{}ab.pdf", "é".repeat(125))).unwrap();
    assert_eq!(name, format!("{}a.pdf", "é".repeat(125)));
    // A name within both limits is kept whole.
    let short = format!("{}.pdf", "é".repeat(120));
    assert_eq!(valid_upload_filename(&short).unwrap(), short);
}

#[test]
fn an_overlong_extension_is_cut_too() {
    let cut = valid_upload_filename(&format!("a.{}", "é".repeat(200))).unwrap();
    assert!(cut.len() <= 255 && cut.starts_with(".é"), "{cut}");
    // A leading dot starts no extension: the name is cut as a whole.
    let dotted = valid_upload_filename(&format!(".{}", "b".repeat(300))).unwrap();
    assert_eq!(dotted, format!(".{}", "b".repeat(254)));
}

/// A temporary file older than an hour: its modification time set back with `touch`.
fn age_file(path: &std::path::Path) {
    let status = std::process::Command::new("touch")
        .arg("-h")
        .arg("-d")
        .arg("2 hours ago")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The temporary file of a save that is still receiving: found, kept while young, removed
/// once stale; stored files, look-alikes that are no regular files, and everything behind
/// symlinks stay.
#[tokio::test]
async fn finds_and_removes_only_stale_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let storage = LocalStorage::new(&root, "/p/").unwrap();

    // A save that stays in flight: the stream yields one chunk, then never ends.
    let in_flight = {
        let storage = storage.clone();
        tokio::spawn(async move {
            let stream = stream::iter([Ok::<_, std::io::Error>(Bytes::from("%PDF-1.4 half"))])
                .chain(stream::pending());
            storage.save("docs/scan.pdf", stream).await
        })
    };
    let mut found = Vec::new();
    for _ in 0..200 {
        found = storage.temp_files().await.unwrap();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(found.len(), 1, "the save's temporary file: {found:?}");
    let temp = found[0].name.clone();
    assert!(temp.starts_with("docs/.scan.pdf~"), "{temp}");
    assert!(!storage.exists("docs/scan.pdf").await.unwrap());

    // Stored files, one named like a temporary file but a symlink, a folder behind a
    // symlink pointing outside with an old temporary file in it.
    let stored = storage
        .save(
            "docs/kept.pdf",
            stream::iter([Ok::<_, std::io::Error>(Bytes::from("%PDF kept"))]),
        )
        .await
        .unwrap();
    let outside_temp = outside.join(".secret.pdf~AAAAAAAA.part");
    std::fs::write(&outside_temp, b"outside").unwrap();
    age_file(&outside_temp);
    symlink(&outside, root.join("linked")).unwrap();
    symlink(&outside_temp, root.join(".link.pdf~BBBBBBBB.part")).unwrap();
    age_file(&root.join(".link.pdf~BBBBBBBB.part"));
    std::fs::create_dir(root.join(".dir.pdf~CCCCCCCC.part")).unwrap();

    // Young: kept.
    let cleanup = storage
        .remove_stale_temp_files(Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(cleanup.removed.is_empty(), "{cleanup:?}");
    assert_eq!(cleanup.kept.len(), 1, "{cleanup:?}");
    assert!(root.join(&temp).is_file());

    // Stale: removed; nothing else touched.
    in_flight.abort();
    let _ = in_flight.await;
    let leftover = root.join("docs/.left.pdf~DDDDDDDD.part");
    std::fs::write(&leftover, b"%PDF partial").unwrap();
    age_file(&leftover);
    let cleanup = storage
        .remove_stale_temp_files(Duration::from_secs(3600))
        .await
        .unwrap();
    let removed: Vec<&str> = cleanup.removed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(removed, ["docs/.left.pdf~DDDDDDDD.part"], "{cleanup:?}");
    assert_eq!(cleanup.removed_bytes(), 12);
    assert!(cleanup.failed.is_empty());
    assert!(!leftover.exists());
    assert_eq!(std::fs::read(root.join(&stored)).unwrap(), b"%PDF kept");
    assert_eq!(std::fs::read(&outside_temp).unwrap(), b"outside");
    assert!(root.join(".link.pdf~BBBBBBBB.part").is_symlink());
    assert!(root.join(".dir.pdf~CCCCCCCC.part").is_dir());
    assert!(root.join("linked").is_symlink());
}

#[tokio::test]
async fn a_variant_sits_beside_its_original_is_replaced_in_place_and_goes_with_it() {
    let fx = Fixture::new();
    let files = Storage::Local(fx.storage.clone());
    fx.write("mugshots/me.png", b"original");
    let variant = files
        .save_variant(
            "mugshots/me.png",
            Variant::Thumbnail,
            Bytes::from_static(b"small"),
        )
        .await
        .unwrap();
    assert_eq!(variant, "mugshots/~thumbnail/me.png");
    // Made again: replaced under the same name, no temporary file left.
    files
        .save_variant(
            "mugshots/me.png",
            Variant::Thumbnail,
            Bytes::from_static(b"smaller"),
        )
        .await
        .unwrap();
    assert_eq!(fx.read(&variant).await, b"smaller");
    assert_eq!(
        fx.files(),
        ["mugshots/me.png", "mugshots/~thumbnail/me.png"]
    );
    // An upload can never take the variant's name: the mark does not survive the name rules.
    let saved = files
        .save_bytes("mugshots/~thumbnail/me.png", &b"upload"[..])
        .await
        .unwrap();
    assert_eq!(saved, "mugshots/thumbnail/me.png");
    // A traversal is refused, not repaired.
    let err = files
        .save_variant("../me.png", Variant::Thumbnail, Bytes::new())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::InvalidName { .. }), "{err:?}");
    // Deleting the original deletes its variant.
    files.delete("mugshots/me.png").await.unwrap();
    assert_eq!(fx.files(), ["mugshots/thumbnail/me.png"]);
}

/// Only names of the shape a save gives its temporary file count as one; look-alikes (an
/// upload may be named almost anything) are never listed, so never removed.
#[tokio::test]
async fn only_the_temp_file_shape_is_a_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let storage = LocalStorage::new(dir.path(), "/p/").unwrap();
    let temp = [".scan.pdf~Ab3dE5gH.part", ".x~00000000.part"];
    let look_alikes = [
        "scan.pdf",
        ".scan.pdf",
        "scan.pdf~Ab3dE5gH.part",
        ".~Ab3dE5gH.part",
        ".scan.pdf~Ab3dE5g.part",
        ".scan.pdf~Ab3dE5gHi.part",
        ".scan.pdf~Ab3d-5gH.part",
        // What an upload may be called: `~` never survives the name rules.
        ".scan.pdf.Ab3dE5gH.part",
        ".scan.pdf~Ab3dE5gH.parts",
        ".Ab3dE5gH.part",
    ];
    for name in temp.iter().chain(&look_alikes) {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    let mut found: Vec<String> = storage
        .temp_files()
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    found.sort();
    assert_eq!(found, [".scan.pdf~Ab3dE5gH.part", ".x~00000000.part"]);
}

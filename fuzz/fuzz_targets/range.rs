//! Any `Range` / conditional header set gets 200, 206, 304, 412 or 416, and a 206 carries
//! exactly the slice its `Content-Range` announces.
#![no_main]

use std::{path::PathBuf, sync::OnceLock};

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use privates::sendfile::{Backend, Sendfile, SendfileOptions};

const LEN: usize = 1000;

struct Fixture {
    _dir: tempfile::TempDir,
    sendfile: Sendfile,
    bytes: Vec<u8>,
    runtime: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("f.bin"), &bytes).expect("file");
        let root: PathBuf = dir.path().to_path_buf();
        Fixture {
            sendfile: Sendfile::new(Backend::Development, &root, None).expect("sendfile"),
            _dir: dir,
            bytes,
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt"),
        }
    })
}

fuzz_target!(|headers: Vec<(u8, &[u8])>| {
    let fx = fixture();
    let names = [
        header::RANGE,
        header::IF_RANGE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_UNMODIFIED_SINCE,
    ];
    let mut map = HeaderMap::new();
    for (which, value) in headers.into_iter().take(8) {
        let name: &HeaderName = &names[usize::from(which) % names.len()];
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(name.clone(), value);
        }
    }
    fx.runtime.block_on(async {
        let response = fx
            .sendfile
            .serve_path(&Method::GET, &map, std::path::Path::new("f.bin"), &SendfileOptions::default())
            .await
            .expect("serve");
        let status = response.status();
        let content_range = response.headers().get(header::CONTENT_RANGE).cloned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        match status {
            StatusCode::OK => assert_eq!(body.as_ref(), fx.bytes.as_slice()),
            StatusCode::PARTIAL_CONTENT => {
                let value = content_range.expect("Content-Range");
                let spec = value.to_str().expect("ASCII").strip_prefix("bytes ").expect("bytes");
                let (span, total) = spec.split_once('/').expect("total");
                assert_eq!(total, LEN.to_string());
                let (first, last) = span.split_once('-').expect("span");
                let (first, last): (usize, usize) = (first.parse().expect("first"), last.parse().expect("last"));
                assert!(first <= last && last < LEN);
                assert_eq!(body.as_ref(), &fx.bytes[first..=last]);
            }
            StatusCode::NOT_MODIFIED | StatusCode::PRECONDITION_FAILED | StatusCode::RANGE_NOT_SATISFIABLE => {
                assert!(body.is_empty(), "{status} with a body");
            }
            other => panic!("unexpected status {other}"),
        }
    });
});

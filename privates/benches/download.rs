//! Download benchmarks (not run in CI):
//!
//! - `decision`: what a permission-checked download costs the app when a web server sends the
//!   bytes: open the stored file beneath the root (cap-std) and build the nginx
//!   `X-Accel-Redirect` response.
//! - `stream/{1MiB,256MiB}`: the development backend streaming a file against tower-http's
//!   `ServeFile` on the same file, both driven through an axum `Router` with
//!   `tower::ServiceExt::oneshot` and the body drained chunk by chunk (criterion reports
//!   throughput per function; the ratio is printed before the criterion runs).
//! - the resident-memory growth while streaming 256 MiB (VmRSS / VmHWM from /proc/self/status),
//!   printed first so that nothing else has raised the high-water mark.
//!
//! Run: `cargo bench -p privates --bench download -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    response::{IntoResponse, Response},
    routing::get,
};
use criterion::{Criterion, Throughput};
use futures_util::StreamExt;
use http::{HeaderMap, Method, Request};
use privates::sendfile::{Backend, Sendfile, SendfileOptions};
use tokio::runtime::Runtime;
use tower::ServiceExt;
use tower_http::services::ServeFile;

const MIB: u64 = 1024 * 1024;

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    files: Vec<(&'static str, u64)>,
}

impl Fixture {
    fn new(files: Vec<(&'static str, u64)>) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("privates-bench-")
            .tempdir()
            .unwrap();
        let root = tmp.path().join("private");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/scan.pdf"), b"%PDF-1.7 small").unwrap();
        for (name, len) in &files {
            write_file(&root.join(name), *len);
        }
        Self {
            _tmp: tmp,
            root,
            files,
        }
    }

    /// Our development backend and tower-http's ServeFile on `name`, as routers.
    fn routers(&self, name: &'static str) -> (Router, Router) {
        let sendfile = Arc::new(Sendfile::new(Backend::Development, &self.root, None).unwrap());
        let ours = Router::new().route(
            "/",
            get(move |method: Method, headers: HeaderMap| {
                let sendfile = Arc::clone(&sendfile);
                async move {
                    sendfile
                        .serve_path(
                            &method,
                            &headers,
                            Path::new(name),
                            &SendfileOptions::default(),
                        )
                        .await
                        .into_response()
                }
            }),
        );
        let tower = Router::new().route_service("/", ServeFile::new(self.root.join(name)));
        (ours, tower)
    }
}

/// A file of `len` pseudo-random bytes, written in 1 MiB pieces.
fn write_file(path: &Path, len: u64) {
    use std::io::Write;
    let piece: Vec<u8> = (0..MIB).map(|i| (i * 31 % 251) as u8).collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = len;
    while left > 0 {
        let n = left.min(MIB);
        file.write_all(&piece[..usize::try_from(n).unwrap()])
            .unwrap();
        left -= n;
    }
    file.flush().unwrap();
}

/// One GET through `router`, the body drained; returns the byte count.
async fn download(router: &Router) -> u64 {
    let request = Request::get("/").body(Body::empty()).unwrap();
    let response: Response = router.clone().oneshot(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut body = response.into_body().into_data_stream();
    let mut total = 0;
    while let Some(chunk) = body.next().await {
        total += chunk.unwrap().len() as u64;
    }
    total
}

fn runtime() -> Runtime {
    // Two workers, as on the 2-core machines this crate is measured on.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// (VmRSS, VmHWM) in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Streams `name` once through each router and prints how far the peak RSS rose above the RSS
/// before the download (the high-water mark is reset first where the kernel allows it).
fn memory_report(rt: &Runtime, fixture: &Fixture, name: &'static str, len: u64) {
    let (ours, tower) = fixture.routers(name);
    // Warm up: runtime threads, blocking pool, allocator arenas.
    rt.block_on(async {
        download(&ours).await;
        download(&tower).await;
    });
    for (label, router) in [
        ("privates development", &ours),
        ("tower-http ServeFile", &tower),
    ] {
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let (rss_before, hwm_before) = memory();
        let bytes = rt.block_on(download(router));
        let (rss_after, hwm_after) = memory();
        assert_eq!(bytes, len);
        let base = if reset {
            rss_before
        } else {
            rss_before.max(hwm_before)
        };
        println!(
            "memory {label:<22} {} MiB: RSS {rss_before} KiB -> {rss_after} KiB, peak growth {} KiB{}",
            len / MIB,
            hwm_after.saturating_sub(base),
            if reset {
                ""
            } else {
                " (VmHWM not resettable: upper bound)"
            }
        );
    }
}

/// Times `rounds` interleaved downloads of each and prints throughput and the ratio of the
/// medians (ours / ServeFile).
fn ratio_report(rt: &Runtime, fixture: &Fixture, name: &'static str, len: u64, rounds: usize) {
    let (ours, tower) = fixture.routers(name);
    let mut times = [Vec::new(), Vec::new()];
    rt.block_on(async {
        for _ in 0..rounds {
            for (i, router) in [&ours, &tower].into_iter().enumerate() {
                let start = Instant::now();
                assert_eq!(download(router).await, len);
                times[i].push(start.elapsed());
            }
        }
    });
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let ours_median = median(&mut times[0]);
    let tower_median = median(&mut times[1]);
    let throughput = |d: Duration| len as f64 / MIB as f64 / d.as_secs_f64();
    println!(
        "stream {name}: privates {:.0} MiB/s, ServeFile {:.0} MiB/s, ratio {:.2}x (median of {rounds})",
        throughput(ours_median),
        throughput(tower_median),
        tower_median.as_secs_f64() / ours_median.as_secs_f64(),
    );
}

fn bench_decision(c: &mut Criterion, rt: &Runtime, fixture: &Fixture) {
    let sendfile = Sendfile::new(
        Backend::Nginx,
        &fixture.root,
        Some("/private-media/".into()),
    )
    .unwrap();
    let headers = HeaderMap::new();
    let options = SendfileOptions {
        attachment: true,
        ..SendfileOptions::default()
    };
    c.bench_function("decision/open+nginx", |b| {
        b.to_async(rt).iter(|| async {
            let response = sendfile
                .serve_path(&Method::GET, &headers, Path::new("docs/scan.pdf"), &options)
                .await
                .unwrap();
            assert!(response.headers().contains_key("x-accel-redirect"));
            response
        });
    });
}

fn bench_streaming(c: &mut Criterion, rt: &Runtime, fixture: &Fixture) {
    for (name, len) in &fixture.files {
        let (ours, tower) = fixture.routers(name);
        let mut group = c.benchmark_group(format!("stream/{name}"));
        group.throughput(Throughput::Bytes(*len));
        if *len > 16 * MIB {
            group.sample_size(10);
        }
        group.bench_function("privates", |b| b.to_async(rt).iter(|| download(&ours)));
        group.bench_function("tower-http ServeFile", |b| {
            b.to_async(rt).iter(|| download(&tower));
        });
        group.finish();
    }
}

fn main() {
    // `cargo test --benches` runs this in test mode: keep it small and quick there.
    let test_mode = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let files = if test_mode {
        vec![("1MiB", MIB)]
    } else {
        vec![("1MiB", MIB), ("256MiB", 256 * MIB)]
    };
    let fixture = Fixture::new(files);
    let rt = runtime();
    if !test_mode {
        memory_report(&rt, &fixture, "256MiB", 256 * MIB);
        ratio_report(&rt, &fixture, "1MiB", MIB, 200);
        ratio_report(&rt, &fixture, "256MiB", 256 * MIB, 7);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_decision(&mut c, &rt, &fixture);
    bench_streaming(&mut c, &rt, &fixture);
    c.final_summary();
}

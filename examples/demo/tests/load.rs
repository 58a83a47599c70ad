//! The demo under load and under clients that go away, as a separate process measured from
//! outside (`/proc/<pid>/fd`, `/proc/<pid>/status`):
//!
//! - 512 concurrent keep-alive connections for 20 s, mixing authorized downloads through the
//!   development backend (a small and a 64 KiB PDF, bytes checked), 403s and anonymous browser
//!   redirects: no 5xx, no unexpected status, no socket error, no descriptor left open once
//!   the clients are gone, resident memory bounded.
//! - 200 clients that read a few KiB of a 16 MiB download and drop the connection: every
//!   descriptor the downloads held is closed again.
//!
//! `cargo test -p demo --test load -- --include-ignored --nocapture` prints the figures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::BTreeMap,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use common::{
    Demo,
    measure::{Memory, ensure_open_files, fd_summary, fds_of, mib, sockets, split_database},
    pdf_of_size,
};
use reqwest::{StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Concurrent connections of the load run.
const CONNECTIONS: usize = 512;
/// How long the measured load run lasts.
const DURATION: Duration = Duration::from_secs(20);
/// A shorter run first, so the allocator's and the pools' high-water marks are reached before
/// the "before" figures are taken (growth after that would be a leak).
const WARM_UP: Duration = Duration::from_secs(3);
/// Descriptors on the SQLite database the process may hold beyond its idle count afterwards:
/// the pool (`max_connections: 4` in `config/test.yaml`) may keep connections it opened under
/// load until its idle timeout, each with the database and its WAL file. Every other
/// descriptor must return to its idle count.
const DB_FD_SLACK: usize = 12;
/// Resident memory the measured run may add to the figure after the warm-up.
const RSS_GROWTH_BOUND_KIB: u64 = 32 * 1024;
/// The largest resident set allowed at any time (512 connections, each with a download
/// buffer, on a debug build).
const RSS_PEAK_BOUND_KIB: u64 = 512 * 1024;

/// The heavy tests of this file run one at a time (they measure one process each, and share
/// two cores).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a request of the mix is, and what it must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The seeded PDF, as the clerk: 200 with its bytes.
    SmallDownload,
    /// A 64 KiB PDF, as the clerk: 200 with its bytes.
    LargeDownload,
    /// The seeded PDF, as the viewer: 403.
    Forbidden,
    /// The seeded PDF, anonymous browser: 302 to the login page.
    AnonymousRedirect,
}

const MIX: [Kind; 4] = [
    Kind::SmallDownload,
    Kind::LargeDownload,
    Kind::Forbidden,
    Kind::AnonymousRedirect,
];

struct Targets {
    small_url: String,
    small: Vec<u8>,
    large_url: String,
    large: Vec<u8>,
    clerk: String,
    viewer: String,
}

/// Counts of one worker, merged at the end.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<(Kind, u16), u64>,
    unexpected: u64,
    server_errors: u64,
    socket_errors: u64,
    wrong_bodies: u64,
    samples: Vec<String>,
    latencies_us: Vec<u64>,
}

impl Tally {
    fn merge(&mut self, other: Self) {
        for (key, count) in other.statuses {
            *self.statuses.entry(key).or_insert(0) += count;
        }
        self.unexpected += other.unexpected;
        self.server_errors += other.server_errors;
        self.socket_errors += other.socket_errors;
        self.wrong_bodies += other.wrong_bodies;
        for sample in other.samples {
            if self.samples.len() < 10 {
                self.samples.push(sample);
            }
        }
        self.latencies_us.extend(other.latencies_us);
    }

    fn requests(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.socket_errors
    }

    fn sample(&mut self, text: String) {
        if self.samples.len() < 10 {
            self.samples.push(text);
        }
    }

    fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        self.latencies_us.sort_unstable();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        #[allow(clippy::cast_precision_loss)]
        let ms = self.latencies_us[index] as f64 / 1000.0;
        ms
    }
}

/// One client with one keep-alive connection, sending the mix until `deadline`.
async fn worker(id: usize, targets: Arc<Targets>, deadline: Instant) -> Tally {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut tally = Tally::default();
    let mut turn = id;
    while Instant::now() < deadline {
        let kind = MIX[turn % MIX.len()];
        turn += 1;
        let (url, cookie, accept) = match kind {
            Kind::SmallDownload => (&targets.small_url, Some(&targets.clerk), "*/*"),
            Kind::LargeDownload => (&targets.large_url, Some(&targets.clerk), "*/*"),
            Kind::Forbidden => (&targets.small_url, Some(&targets.viewer), "*/*"),
            Kind::AnonymousRedirect => (&targets.small_url, None, "text/html,*/*;q=0.8"),
        };
        let mut request = client.get(url).header(header::ACCEPT, accept);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                tally.socket_errors += 1;
                tally.sample(format!("{kind:?}: send: {err:?}"));
                continue;
            }
        };
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => {
                tally.socket_errors += 1;
                tally.sample(format!("{kind:?}: body: {err:?}"));
                continue;
            }
        };
        tally
            .latencies_us
            .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        *tally.statuses.entry((kind, status.as_u16())).or_insert(0) += 1;
        if status.is_server_error() {
            tally.server_errors += 1;
        }
        let (want, bytes) = match kind {
            Kind::SmallDownload => (StatusCode::OK, Some(&targets.small)),
            Kind::LargeDownload => (StatusCode::OK, Some(&targets.large)),
            Kind::Forbidden => (StatusCode::FORBIDDEN, None),
            Kind::AnonymousRedirect => (StatusCode::FOUND, None),
        };
        if status != want {
            tally.unexpected += 1;
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            tally.sample(format!(
                "{kind:?}: {status} after {} ms: {text}",
                started.elapsed().as_millis()
            ));
            continue;
        }
        let body_ok = match (kind, bytes) {
            (_, Some(bytes)) => body.as_ref() == bytes.as_slice(),
            (Kind::AnonymousRedirect, None) => location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login?next=")),
            // A refusal carries no byte of the file.
            (_, None) => !body
                .windows(targets.small.len().min(64))
                .any(|w| w == &targets.small[..targets.small.len().min(64)]),
        };
        if !body_ok {
            tally.wrong_bodies += 1;
            tally.sample(format!("{kind:?}: wrong body ({} bytes)", body.len()));
        }
    }
    tally
}

/// Runs `CONNECTIONS` workers for `duration`; samples the process's sockets and memory
/// meanwhile. Returns the tally, the most sockets seen, and the wall time.
async fn run_load(
    targets: &Arc<Targets>,
    pid: u32,
    duration: Duration,
) -> (Tally, usize, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|id| tokio::spawn(worker(id, Arc::clone(targets), deadline)))
        .collect();
    let mut most_sockets = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        most_sockets = most_sockets.max(sockets(&fds_of(pid)));
    }
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await.unwrap());
    }
    (tally, most_sockets, started.elapsed())
}

/// Waits until the process's descriptors are back to `idle` (connections closing, pools
/// shrinking), for up to `patience`; the last listing.
async fn settle_fds(pid: u32, database: &Path, idle: &[String], patience: Duration) -> Vec<String> {
    let (idle_db, idle_other) = split_database(idle, database);
    let until = Instant::now() + patience;
    loop {
        let fds = fds_of(pid);
        let (db, other) = split_database(&fds, database);
        if (other.len() <= idle_other.len() && db <= idle_db) || Instant::now() >= until {
            return fds;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Fails unless `after` is back to `idle`: no other descriptor than at idle, and the database's
/// within [`DB_FD_SLACK`].
fn assert_fds_returned(idle: &[String], after: &[String], database: &Path) {
    let (idle_db, idle_other) = split_database(idle, database);
    let (after_db, after_other) = split_database(after, database);
    assert!(
        after_other.len() <= idle_other.len(),
        "descriptors left open: idle {:?}, after {:?}",
        fd_summary(&idle_other),
        fd_summary(&after_other)
    );
    assert!(
        after_db <= idle_db + DB_FD_SLACK,
        "database descriptors grew from {idle_db} to {after_db}"
    );
}

/// `idle 22 (database 9), after 21 (database 8)`.
fn show_fds(label: &str, fds: &[String], database: &Path) -> String {
    let (db, _) = split_database(fds, database);
    format!("{label} {} (database {db})", fds.len())
}

/// Starts the demo with a 64 KiB PDF next to the seeded one, logs the clerk and the viewer in.
async fn start_with_targets() -> (Demo, Arc<Targets>) {
    let large: Vec<u8> = {
        let mut bytes = common::pdf();
        let mut n = 0_u32;
        while bytes.len() < 64 * 1024 {
            bytes.extend_from_slice(format!("% filler line {n:08}\n").as_bytes());
            n += 1;
        }
        bytes.truncate(64 * 1024);
        bytes
    };
    let demo = Demo::start();
    demo.put_file("docs/large.pdf", &large);
    let large_id = demo.insert_doc("Large", Some("docs/large.pdf"), "").await;
    let seeded = demo.doc(1).await;
    let small = demo.read(seeded.pdf.as_deref().unwrap());
    let targets = Arc::new(Targets {
        small_url: demo.url("/admin/docs/iddocument/1/pdf/"),
        large_url: demo.url(&format!("/admin/docs/iddocument/{large_id}/pdf/")),
        small,
        large,
        clerk: demo.login("clerk@example.com", "clerk").await,
        viewer: demo.login("viewer@example.com", "viewer").await,
    });
    (demo, targets)
}

#[ignore = "a 20 s run at 512 concurrent connections; run with --include-ignored"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_512_connections_for_20_seconds() {
    let _serial = SERIAL.lock().await;
    // 512 client sockets here, 512 server sockets and up to 512 open downloads in the demo.
    let (soft, hard) = ensure_open_files(4096);
    let (demo, targets) = start_with_targets().await;

    let idle_fds = demo.fds();
    let idle_memory = demo.memory();

    let (warm, _, _) = run_load(&targets, demo.pid, WARM_UP).await;
    assert_eq!(
        warm.server_errors, 0,
        "5xx during the warm-up: {:?}",
        warm.samples
    );
    let database = demo.database_path();
    let warm_fds = settle_fds(demo.pid, &database, &idle_fds, Duration::from_secs(10)).await;
    let warm_memory = demo.memory();

    let (mut tally, most_sockets, elapsed) = run_load(&targets, demo.pid, DURATION).await;
    let peak_memory = demo.memory();
    // Every client is dropped by now: the demo must close its side of each connection.
    let after_fds = settle_fds(demo.pid, &database, &idle_fds, Duration::from_secs(15)).await;
    let after_memory: Memory = demo.memory();

    let requests = tally.requests();
    #[allow(clippy::cast_precision_loss)]
    let rate = requests as f64 / elapsed.as_secs_f64();
    let (p50, p99) = (tally.percentile_ms(0.5), tally.percentile_ms(0.99));
    println!("load: open-file limit {soft} (hard {hard})");
    println!(
        "load: {CONNECTIONS} connections, {:.1} s, {requests} requests ({rate:.0} req/s), \
         latency p50 {p50:.1} ms, p99 {p99:.1} ms",
        elapsed.as_secs_f64()
    );
    for ((kind, status), count) in &tally.statuses {
        println!("load:   {kind:?} → {status}: {count}");
    }
    println!(
        "load: 5xx {}, unexpected statuses {}, socket errors {}, wrong bodies {}",
        tally.server_errors, tally.unexpected, tally.socket_errors, tally.wrong_bodies
    );
    println!("load: most server sockets seen during the run: {most_sockets}");
    println!(
        "load: fds {}, {}, {} ({:?})",
        show_fds("idle", &idle_fds, &database),
        show_fds("after warm-up", &warm_fds, &database),
        show_fds("after the run", &after_fds, &database),
        fd_summary(&after_fds)
    );
    println!(
        "load: RSS idle {}, after warm-up {}, peak {}, after the run {}",
        mib(idle_memory.rss_kib),
        mib(warm_memory.rss_kib),
        mib(peak_memory.peak_kib),
        mib(after_memory.rss_kib)
    );

    assert!(requests > 0);
    assert_eq!(tally.server_errors, 0, "5xx: {:?}", tally.samples);
    assert_eq!(
        tally.unexpected, 0,
        "unexpected statuses: {:?}",
        tally.samples
    );
    assert_eq!(tally.socket_errors, 0, "socket errors: {:?}", tally.samples);
    assert_eq!(tally.wrong_bodies, 0, "wrong bodies: {:?}", tally.samples);
    for kind in MIX {
        assert!(
            tally.statuses.keys().any(|(k, _)| *k == kind),
            "no {kind:?} was sent"
        );
    }
    assert!(
        most_sockets >= CONNECTIONS,
        "the load never held {CONNECTIONS} connections (most: {most_sockets})"
    );
    assert_fds_returned(&idle_fds, &after_fds, &database);
    assert!(
        sockets(&after_fds) <= sockets(&idle_fds),
        "sockets left open: before {:?}, after {:?}",
        fd_summary(&idle_fds),
        fd_summary(&after_fds)
    );
    assert!(
        !after_fds.iter().any(|fd| {
            let path = std::path::Path::new(fd);
            // The storage root itself stays open (every name is resolved beneath it).
            path.starts_with(&demo.private) && path != demo.private
        }),
        "private files left open: {:?}",
        fd_summary(&after_fds)
    );
    assert!(
        after_memory.rss_kib <= warm_memory.rss_kib + RSS_GROWTH_BOUND_KIB,
        "RSS grew from {} after the warm-up to {} after the run (bound {})",
        mib(warm_memory.rss_kib),
        mib(after_memory.rss_kib),
        mib(RSS_GROWTH_BOUND_KIB)
    );
    assert!(
        peak_memory.peak_kib <= RSS_PEAK_BOUND_KIB,
        "peak RSS {} over the bound {}",
        mib(peak_memory.peak_kib),
        mib(RSS_PEAK_BOUND_KIB)
    );
}

/// Clients that read the start of a large download and vanish.
const DROPPERS: usize = 200;
/// The size of the download they abandon.
const BIG: usize = 16 * 1024 * 1024;
/// How much of it each reads before dropping the connection.
const READ_BEFORE_DROP: usize = 4 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_dropping_mid_download_leave_nothing_open() {
    let _serial = SERIAL.lock().await;
    ensure_open_files(2048);
    let demo = Demo::start();
    let big = pdf_of_size(BIG);
    demo.put_file("docs/big.pdf", &big);
    let big_path = demo.private.join("docs/big.pdf");
    let id = demo.insert_doc("Big", Some("docs/big.pdf"), "").await;
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let path = format!("/admin/docs/iddocument/{id}/pdf/");

    let idle_fds = demo.fds();
    let idle_memory = demo.memory();
    let started = Instant::now();

    // Each client sends the request, reads a few KiB of the answer, reports, and waits.
    let release = Arc::new(tokio::sync::Notify::new());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(DROPPERS);
    let mut clients = Vec::new();
    for _ in 0..DROPPERS {
        let release = Arc::clone(&release);
        let ready = ready_tx.clone();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {clerk}\r\nAccept: */*\r\n\r\n"
        );
        let port = demo.port;
        clients.push(tokio::spawn(async move {
            let released = release.notified();
            let outcome = async {
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                stream
                    .write_all(request.as_bytes())
                    .await
                    .map_err(|e| format!("write: {e}"))?;
                let mut head = Vec::new();
                let mut buf = [0_u8; 1024];
                while head.len() < READ_BEFORE_DROP {
                    let n = stream
                        .read(&mut buf)
                        .await
                        .map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Err(format!("closed after {} bytes", head.len()));
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                if !head.starts_with(b"HTTP/1.1 200 ") {
                    return Err(String::from_utf8_lossy(&head[..64]).into_owned());
                }
                Ok(stream)
            }
            .await;
            match outcome {
                Ok(stream) => {
                    ready.send(Ok(())).await.unwrap();
                    released.await;
                    // Gone without reading the rest: the kernel resets the connection.
                    drop(stream);
                }
                Err(err) => ready.send(Err(err)).await.unwrap(),
            }
        }));
    }
    drop(ready_tx);
    let mut failures = Vec::new();
    for _ in 0..DROPPERS {
        if let Err(err) = ready_rx.recv().await.unwrap() {
            failures.push(err);
        }
    }
    assert!(failures.is_empty(), "clients failed: {failures:?}");

    // Every client is mid-download now: the demo holds the big file open for many of them.
    let holding = demo.fds();
    let big_open = holding
        .iter()
        .filter(|fd| std::path::Path::new(fd) == big_path)
        .count();
    let holding_memory = demo.memory();
    release.notify_waiters();
    for client in clients {
        client.await.unwrap();
    }
    let dropped = Instant::now();
    let database = demo.database_path();
    let after_fds = settle_fds(demo.pid, &database, &idle_fds, Duration::from_secs(15)).await;
    let settled_in = dropped.elapsed();
    let after_memory = demo.memory();

    // The demo still serves the whole file, byte for byte.
    let response = reqwest::Client::new()
        .get(demo.url(&path))
        .header(header::COOKIE, &clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let whole = response.bytes().await.unwrap();

    println!(
        "drop: {DROPPERS} clients read {READ_BEFORE_DROP} bytes of a {} download, then \
         dropped the connection ({:.1} s in all)",
        mib(u64::try_from(BIG / 1024).unwrap()),
        started.elapsed().as_secs_f64()
    );
    println!(
        "drop: fds {}, {} ({big_open} on the big file, {} sockets), {} {:.1} s after they \
         dropped ({:?})",
        show_fds("idle", &idle_fds, &database),
        show_fds("while the clients held on", &holding, &database),
        sockets(&holding),
        show_fds("then", &after_fds, &database),
        settled_in.as_secs_f64(),
        fd_summary(&after_fds)
    );
    println!(
        "drop: RSS idle {}, while held {}, after {}, peak {}",
        mib(idle_memory.rss_kib),
        mib(holding_memory.rss_kib),
        mib(after_memory.rss_kib),
        mib(after_memory.peak_kib)
    );

    assert!(
        big_open >= DROPPERS / 2,
        "only {big_open} of {DROPPERS} downloads were in progress: the test did not drop \
         connections mid-download"
    );
    assert!(
        !after_fds
            .iter()
            .any(|fd| std::path::Path::new(fd) == big_path),
        "the big file is still open after every client left: {:?}",
        fd_summary(&after_fds)
    );
    assert_fds_returned(&idle_fds, &after_fds, &database);
    assert_eq!(whole.len(), big.len());
    assert!(
        whole.as_ref() == big.as_slice(),
        "the download afterwards differs"
    );
}

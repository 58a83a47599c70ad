//! A real S3-protocol server of a test's own ([`S3TestServer`]): s3s-fs in a temporary folder,
//! checking signatures and the expiry of presigned URLs. The tests of `privates`,
//! `privates-admin` and the demo that need an object store start one.

use std::{
    fmt, fs, io,
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use privates::config::{S3Credentials, S3StorageConfig};

/// The `cargo install` line for the s3s-fs version [`S3TestServer`] is written against.
const S3S_FS_INSTALL: &str = "cargo install s3s-fs@0.14.1 --locked --features binary --root .tools";

/// A real S3-protocol server for one test:
/// [s3s-fs](https://crates.io/crates/s3s-fs) on a free loopback port, keeping its buckets as
/// folders of a temporary directory, with authentication on (every request must carry a valid
/// SigV4 signature for the server's credentials, and a presigned URL stops working when it
/// expires). The bucket exists from the start; the server is killed and its folder removed
/// when the guard drops. When the test is failing (the thread panics), the server's log is
/// printed to stderr as the guard drops.
///
/// It runs the `s3s-fs` binary (0.14; install it with
/// `cargo install s3s-fs@0.14.1 --locked --features binary --root .tools`), found as:
/// 1. `$S3S_FS`, when set;
/// 2. `.tools/bin/s3s-fs` in the current folder or one of its parents (cargo runs a package's
///    tests in the package's folder, so a workspace's `.tools/` is found from every member);
/// 3. `s3s-fs` on the `PATH`.
///
/// Starting it never panics: a missing binary, a server that exits or does not listen in time
/// is an [`S3TestServerError`] that says why (with the server's log).
///
/// ```no_run
/// use privates::storage::S3Storage;
/// use privates_test_support::S3TestServer;
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let server = S3TestServer::builder().bucket("media").start_async().await?;
/// let storage = S3Storage::from_config(&server.storage_config())?;
/// let bytes = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("%PDF"))]);
/// let name = storage.save("docs/a.pdf", bytes).await?;
/// // s3s-fs keeps each object as a plain file.
/// assert_eq!(std::fs::read(server.object_path(&name))?, b"%PDF");
/// # Ok(())
/// # }
/// ```
pub struct S3TestServer {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    log: PathBuf,
    bucket: String,
    access_key: String,
    secret_key: String,
}

/// Why an [`S3TestServer`] did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3TestServerError {
    /// The temporary folder, the bucket's folder or the log file cannot be created.
    #[error("cannot prepare the S3 test server's folder {}: {source}", .path.display())]
    Folder {
        /// What could not be created.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The binary cannot be run (most likely: it is not installed).
    #[error(
        "cannot start {} ({source}): run `{}` in the workspace, or set S3S_FS",
        .program.display(),
        S3S_FS_INSTALL
    )]
    Spawn {
        /// The binary tried.
        program: PathBuf,
        /// Why it did not run.
        source: io::Error,
    },
    /// The server exited before it listened.
    #[error("s3s-fs exited ({status}) before it listened:\n{log}")]
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// Its output.
        log: String,
    },
    /// The server did not listen within the startup timeout (it is killed).
    #[error("s3s-fs did not listen within {timeout:?}:\n{log}")]
    Timeout {
        /// How long it was given.
        timeout: Duration,
        /// Its output so far.
        log: String,
    },
    /// The state of the server process cannot be read.
    #[error("cannot watch s3s-fs: {0}")]
    Wait(#[source] io::Error),
    /// The blocking task that started the server failed ([`S3TestServerBuilder::start_async`]).
    #[error("the task starting s3s-fs failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The settings of an [`S3TestServer`]; every one has a default.
#[derive(Clone)]
#[must_use]
pub struct S3TestServerBuilder {
    bucket: String,
    access_key: String,
    secret_key: String,
    program: Option<PathBuf>,
    timeout: Duration,
}

impl Default for S3TestServerBuilder {
    fn default() -> Self {
        Self {
            bucket: "privates-test".to_owned(),
            access_key: "privates-test-key".to_owned(),
            secret_key: "privates-test-secret".to_owned(),
            program: None,
            timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for S3TestServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3TestServerBuilder")
            .field("bucket", &self.bucket)
            .field("access_key", &self.access_key)
            .field("program", &self.program)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl S3TestServerBuilder {
    /// The bucket the server starts with (default `privates-test`).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = bucket.into();
        self
    }

    /// The only credentials the server accepts (default `privates-test-key` /
    /// `privates-test-secret`).
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.access_key = access_key_id.into();
        self.secret_key = secret_access_key.into();
        self
    }

    /// The s3s-fs binary to run, instead of looking for it (see [`S3TestServer`]).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// How long the server may take to listen (default 30 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts the server and waits until it listens, blocking the thread meanwhile (usually
    /// well under a second); in async code, [`start_async`](Self::start_async) does not block
    /// the runtime.
    ///
    /// # Errors
    /// When the folder cannot be prepared, the binary cannot be run, or the server exits or
    /// does not listen in time.
    pub fn start(self) -> Result<S3TestServer, S3TestServerError> {
        let dir = tempfile::Builder::new()
            .prefix("privates-s3-")
            .tempdir()
            .map_err(|source| S3TestServerError::Folder {
                path: std::env::temp_dir(),
                source,
            })?;
        let data = dir.path().join("data");
        // Each folder of the root is a bucket (an unsigned `PUT /bucket` would be refused).
        let bucket = data.join(&self.bucket);
        fs::create_dir_all(&bucket).map_err(|source| S3TestServerError::Folder {
            path: bucket,
            source,
        })?;
        // A file, not a pipe: the server logs every refused request, and a pipe nobody reads
        // would fill up and stall it.
        let log = dir.path().join("s3s-fs.log");
        let folder_error = |source| S3TestServerError::Folder {
            path: log.clone(),
            source,
        };
        let out = fs::File::create(&log).map_err(folder_error)?;
        let err = out.try_clone().map_err(folder_error)?;
        let program = self.program.unwrap_or_else(s3s_fs_program);
        // Port 0: it binds a free port and logs the address it got, so no other process can
        // take the port between a pick and the bind.
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", &self.access_key])
            .args(["--secret-key", &self.secret_key])
            .arg(&data)
            .env("RUST_LOG", "s3s_fs=info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| S3TestServerError::Spawn { program, source })?;
        let mut server = S3TestServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
            log,
            bucket: self.bucket,
            access_key: self.access_key,
            secret_key: self.secret_key,
        };
        server.addr = server.wait_for_address(self.timeout)?;
        Ok(server)
    }

    /// [`start`](Self::start) on tokio's blocking pool, so the runtime goes on meanwhile.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn start_async(self) -> Result<S3TestServer, S3TestServerError> {
        tokio::task::spawn_blocking(move || self.start()).await?
    }
}

impl S3TestServer {
    /// The settings, to change some before starting it.
    pub fn builder() -> S3TestServerBuilder {
        S3TestServerBuilder::default()
    }

    /// Starts a server with the default settings ([`S3TestServerBuilder::start`]).
    ///
    /// # Errors
    /// As [`S3TestServerBuilder::start`].
    pub fn start() -> Result<Self, S3TestServerError> {
        Self::builder().start()
    }

    /// Waits until the log names the address the server listens on.
    fn wait_for_address(&mut self, timeout: Duration) -> Result<SocketAddr, S3TestServerError> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if let Some(addr) = log
                .split("server is running at http://")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.parse().ok())
            {
                return Ok(addr);
            }
            if let Some(status) = self.child.try_wait().map_err(S3TestServerError::Wait)? {
                return Err(S3TestServerError::Exited { status, log });
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(S3TestServerError::Timeout { timeout, log });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://127.0.0.1:<port>` (buckets are addressed path-style beneath it).
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bucket it started with.
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The credentials it accepts.
    #[must_use]
    pub fn credentials(&self) -> S3Credentials {
        S3Credentials {
            access_key_id: self.access_key.clone(),
            secret_access_key: self.secret_key.clone(),
            session_token: None,
        }
    }

    /// An S3 storage on this server's bucket, with its credentials (region `us-east-1`, no
    /// prefix, the default timeout): set `prefix`, `timeout`, … on it as the test needs.
    #[must_use]
    pub fn storage_config(&self) -> S3StorageConfig {
        S3StorageConfig {
            endpoint: Some(self.endpoint()),
            credentials: Some(self.credentials()),
            ..S3StorageConfig::new(self.bucket.clone(), "us-east-1")
        }
    }

    /// The folder the server keeps the bucket's objects in.
    #[must_use]
    pub fn bucket_path(&self) -> PathBuf {
        self.dir.path().join("data").join(&self.bucket)
    }

    /// The file the server keeps the object with the key `key` in (a storage's prefix is part
    /// of the key), whether or not it exists.
    #[must_use]
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.bucket_path().join(key)
    }

    /// The keys of every object in the bucket, sorted.
    ///
    /// # Errors
    /// When the bucket's folder cannot be read.
    pub fn keys(&self) -> io::Result<Vec<String>> {
        let root = self.bucket_path();
        let mut keys = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in fs::read_dir(&folder)? {
                let path = entry?.path();
                if path.is_dir() {
                    folders.push(path);
                } else if let Ok(key) = path.strip_prefix(&root) {
                    keys.push(key.to_string_lossy().into_owned());
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// The server's output so far (it logs every request it refuses, and why).
    #[must_use]
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server now, and waits until it is gone (to test a dead store). Its folder
    /// stays until the guard drops.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl fmt::Debug for S3TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3TestServer")
            .field("endpoint", &self.endpoint())
            .field("bucket", &self.bucket)
            .field("access_key", &self.access_key)
            .field("folder", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- s3s-fs log ---\n{}", self.log());
        }
    }
}

/// The s3s-fs binary: `$S3S_FS`, `.tools/bin/s3s-fs` here or in a parent folder, or `s3s-fs`
/// (looked up on the `PATH` when run).
fn s3s_fs_program() -> PathBuf {
    if let Some(program) = std::env::var_os("S3S_FS").filter(|value| !value.is_empty()) {
        return program.into();
    }
    std::env::current_dir()
        .ok()
        .and_then(|here| {
            here.ancestors()
                .map(|folder| folder.join(".tools/bin/s3s-fs"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("s3s-fs"))
}

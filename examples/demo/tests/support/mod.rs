//! A real web server in front of the demo app (`common::Demo`, started on the site's private
//! root), on loopback ports, in a temporary folder: the server is stopped when its guard is
//! dropped (also when a test fails).

use std::{
    fmt::Write as _,
    fs,
    io::Read as _,
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{NotListening, wait_for_port};

/// How long a process may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The URL prefix of the private files (`sendfile.url` = `storage.base_url` of the demo).
pub(crate) const PREFIX: &str = "/protected/";

/// The web servers with a configuration in `docs/deploy/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Server {
    /// nginx with `X-Accel-Redirect`.
    Nginx,
    /// Apache 2 with mod_xsendfile.
    Apache,
    /// lighttpd with mod_proxy.
    Lighttpd,
}

impl Server {
    /// The demo's `DEMO_SENDFILE_BACKEND` for this server.
    pub(crate) fn backend(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Apache => "apache",
            Self::Lighttpd => "lighttpd",
        }
    }

    /// The template in `docs/deploy/`.
    fn template(self) -> PathBuf {
        let file = match self {
            Self::Nginx => "nginx.conf",
            Self::Apache => "apache.conf",
            Self::Lighttpd => "lighttpd.conf",
        };
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/deploy")
            .join(file)
    }

    /// The executable and the Debian package it comes from.
    fn program(self) -> (&'static str, &'static str) {
        match self {
            Self::Nginx => ("nginx", "nginx-light"),
            Self::Apache => ("apache2", "apache2 libapache2-mod-xsendfile"),
            Self::Lighttpd => ("lighttpd", "lighttpd"),
        }
    }
}

/// A temporary site: the private root and a run folder for the web server.
pub(crate) struct Site {
    /// Removed on drop, with everything in it.
    dir: tempfile::TempDir,
    /// The private storage (`storage.location` = `sendfile.root`).
    pub(crate) private: PathBuf,
    /// The web server's pid file, logs and temporary files.
    pub(crate) run: PathBuf,
}

impl Site {
    /// A fresh site. The folders are readable by everyone (the web servers' workers run as
    /// www-data when the tests run as root) and the run folder belongs to www-data (lighttpd
    /// opens its logs after dropping privileges).
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("privates-webservers-")
            .tempdir()
            .unwrap();
        let private = dir.path().join("private");
        let run = dir.path().join("run");
        fs::create_dir(&private).unwrap();
        fs::create_dir(&run).unwrap();
        for path in [dir.path(), &private, &run] {
            fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        if running_as_root()
            && let Some((uid, gid)) = www_data()
        {
            std::os::unix::fs::chown(&run, Some(uid), Some(gid)).unwrap();
        }
        Self { dir, private, run }
    }

    /// Writes `bytes` to the private storage under `name` (folders created, mode 0644).
    pub(crate) fn put_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.private.join(name);
        let parent = path.parent().unwrap();
        fs::create_dir_all(parent).unwrap();
        let mut folder = parent;
        while folder != self.private {
            fs::set_permissions(folder, fs::Permissions::from_mode(0o755)).unwrap();
            folder = folder.parent().unwrap();
        }
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        path
    }
}

/// Whether the tests run as root (the owner of `/proc/self` is the effective user).
fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// www-data's uid and gid, from /etc/passwd.
fn www_data() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            ["www-data", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
            _ => None,
        }
    })
}

/// A running process, stopped (SIGTERM, then SIGKILL) when dropped. If the test is failing,
/// the end of its logs is printed.
pub(crate) struct Process {
    name: String,
    child: Child,
    logs: Vec<PathBuf>,
}

impl Process {
    /// Starts `command` with its output going to `log`.
    fn spawn(name: &str, mut command: Command, log: &Path, logs: Vec<PathBuf>) -> Self {
        let out = fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        let mut all = vec![log.to_path_buf()];
        all.extend(logs);
        Self {
            name: name.to_string(),
            child,
            logs: all,
        }
    }

    /// Waits until `port` accepts connections; fails if the process ends first.
    fn wait_for_port(&mut self, port: u16) {
        match wait_for_port(&mut self.child, port, START_TIMEOUT) {
            Ok(()) => {}
            Err(NotListening::Exited(status)) => panic!(
                "{} ended with {status} before listening on {port}:\n{}",
                self.name,
                self.log_tail()
            ),
            Err(NotListening::TimedOut) => panic!(
                "{} does not listen on {port} after {START_TIMEOUT:?}:\n{}",
                self.name,
                self.log_tail()
            ),
        }
    }

    /// The last lines of every log of the process.
    pub(crate) fn log_tail(&self) -> String {
        let mut out = String::new();
        for log in &self.logs {
            let mut text = String::new();
            if let Ok(mut file) = fs::File::open(log) {
                let _ = file.read_to_string(&mut text);
            }
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(40);
            let _ = writeln!(out, "--- {} ---", log.display());
            for line in &lines[start..] {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{} logs:\n{}", self.name, self.log_tail());
        }
        // SIGTERM lets nginx and Apache stop their workers too; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `template` with every `@NAME@` replaced; fails if a placeholder is left.
pub(crate) fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("@{name}@"), value);
    }
    let left: Vec<&str> = text
        .split('@')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    assert!(left.is_empty(), "placeholders left unfilled: {left:?}");
    text
}

/// Finds `program` in PATH or the sbin folders (not in a normal user's PATH on Debian).
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Renders the server's template from `docs/deploy/` for this site and starts the server on
/// `port` in front of the app on `app_port`. Returns once it accepts connections.
pub(crate) fn start_server(server: Server, site: &Site, port: u16, app_port: u16) -> Process {
    let (program, package) = server.program();
    let binary = find_program(program).unwrap_or_else(|| {
        panic!("{program} is not installed: apt-get install {package}");
    });
    let template = fs::read_to_string(server.template()).unwrap();
    let port_text = port.to_string();
    let app_port_text = app_port.to_string();
    let private = site.private.to_str().unwrap();
    let run = site.run.to_str().unwrap();
    let config = render(
        &template,
        &[
            ("BIND", "127.0.0.1"),
            ("PORT", &port_text),
            ("APP_PORT", &app_port_text),
            ("PRIVATE_ROOT", private),
            ("PREFIX", PREFIX),
            ("RUN_DIR", run),
        ],
    );
    let config_path = site.run.join(format!("{program}.conf"));
    fs::write(&config_path, config).unwrap();

    let mut command = Command::new(&binary);
    match server {
        // `-e`: the error log from the first line on (not /var/log/nginx); `-p`: the prefix.
        Server::Nginx => command
            .arg("-p")
            .arg(&site.run)
            .arg("-e")
            .arg(site.run.join("error.log"))
            .arg("-c")
            .arg(&config_path)
            .args(["-g", "daemon off;"]),
        Server::Apache => command.arg("-f").arg(&config_path).arg("-DFOREGROUND"),
        Server::Lighttpd => command.arg("-D").arg("-f").arg(&config_path),
    };
    let log = site.dir.path().join(format!("{program}.out"));
    let mut process = Process::spawn(program, command, &log, vec![site.run.join("error.log")]);
    process.wait_for_port(port);
    process
}

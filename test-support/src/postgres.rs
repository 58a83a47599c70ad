//! A throwaway PostgreSQL cluster: `initdb` into a temporary folder, the server on a free
//! loopback port with trust authentication and its unix socket in that folder, stopped and
//! removed on drop. Every statement is logged (`log_statement = all`), so a test can count
//! those that reached the server ([`PostgresServer::statements`]).
//!
//! The programs are looked up on `PATH`, then in Debian's `/usr/lib/postgresql/<version>/bin`
//! (the newest version first), where the `postgresql` package puts them. PostgreSQL refuses to
//! run as root: as root, the cluster runs as the `postgres` account (which Debian's package
//! creates) and its folder is handed to it.
//!
//! ```no_run
//! let server = privates_test_support::postgres::PostgresServer::start()?;
//! let url = server.create_database("store")?; // postgres://postgres@127.0.0.1:<port>/store
//! # Ok::<(), privates_test_support::postgres::PostgresError>(())
//! ```

use std::{
    fs,
    net::TcpListener,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use tempfile::TempDir;

/// Why the cluster could not be started or a database created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// A server program is neither on `PATH` nor in `/usr/lib/postgresql/*/bin`.
    #[error(
        "`{program}` was not found on PATH nor in /usr/lib/postgresql/*/bin: install PostgreSQL's \
         server programs (Debian: `apt-get install postgresql`)"
    )]
    NotInstalled {
        /// The program looked for.
        program: &'static str,
    },
    /// Running as root, but there is no `postgres` account to run the server as.
    #[error(
        "PostgreSQL does not run as root and there is no `postgres` account in /etc/passwd to \
         run it as (Debian's `postgresql` package creates it)"
    )]
    NoAccount,
    /// A file system step failed.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("{what} failed ({status}):\n{output}")]
    Failed {
        /// The step.
        what: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its output, and the server log when there is one.
        output: String,
    },
}

/// A running throwaway cluster; dropping it stops the server and removes its folder.
#[derive(Debug)]
pub struct PostgresServer {
    folder: TempDir,
    port: u16,
    pg_ctl: PathBuf,
    createdb: PathBuf,
    account: Option<Account>,
    running: bool,
}

/// The user the server runs as when the tests run as root.
#[derive(Clone, Copy, Debug)]
struct Account {
    uid: u32,
    gid: u32,
}

/// How often starting is tried: the free port is found, released, then taken by the server,
/// and another process may take it in between.
const START_ATTEMPTS: usize = 3;

impl PostgresServer {
    /// Creates a cluster in a new temporary folder and starts it.
    ///
    /// # Errors
    /// When a program is missing, or `initdb` or the server fails (the error holds their
    /// output and the server log).
    pub fn start() -> Result<Self, PostgresError> {
        let initdb = find_program("initdb")?;
        let pg_ctl = find_program("pg_ctl")?;
        let createdb = find_program("createdb")?;
        let account = if is_root() {
            Some(postgres_account()?)
        } else {
            None
        };
        let folder = tempfile::Builder::new()
            .prefix("privates-postgres-")
            .tempdir()
            .map_err(|source| io("creating the cluster's folder", source))?;
        if let Some(account) = account {
            std::os::unix::fs::chown(folder.path(), Some(account.uid), Some(account.gid))
                .map_err(|source| io("handing the cluster's folder to `postgres`", source))?;
        }
        let mut server = Self {
            port: 0,
            pg_ctl,
            createdb,
            account,
            running: false,
            folder,
        };
        let data = server.data();
        server.run(
            "initdb",
            server.command(&initdb).arg("--pgdata").arg(&data).args([
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]),
        )?;
        let mut attempt = 1;
        loop {
            server.port = free_port()?;
            match server.start_server() {
                Ok(()) => {
                    server.running = true;
                    return Ok(server);
                }
                Err(err) if attempt == START_ATTEMPTS => return Err(err),
                Err(_) => attempt += 1,
            }
        }
    }

    /// The server's TCP port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this server, as superuser `postgres` (trust authentication).
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates the database `name` and returns its URL.
    ///
    /// # Errors
    /// When `createdb` fails (an invalid or taken name).
    pub fn create_database(&self, name: &str) -> Result<String, PostgresError> {
        let port = self.port.to_string();
        self.run(
            &format!("createdb {name}"),
            Command::new(&self.createdb).args([
                "--host=127.0.0.1",
                "--port",
                &port,
                "--username=postgres",
                name,
            ]),
        )?;
        Ok(self.url(name))
    }

    /// How many statements the server has run so far, on any connection (each is logged
    /// before it runs, so one a client has its answer to is counted).
    ///
    /// # Errors
    /// When the server log cannot be read.
    pub fn statements(&self) -> Result<usize, PostgresError> {
        let log = fs::read_to_string(self.log())
            .map_err(|source| io("reading the server log", source))?;
        Ok(log
            .lines()
            .filter(|line| line.contains(" LOG:  statement: ") || line.contains(" LOG:  execute "))
            .count())
    }

    /// Stops the server (immediately: the cluster is thrown away). Dropping does it too.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let data = self.data();
        let stopped = self
            .command(&self.pg_ctl)
            .arg("--pgdata")
            .arg(&data)
            .args(["--mode=immediate", "--wait", "stop"])
            .output();
        if let Ok(output) = stopped
            && !output.status.success()
        {
            eprintln!(
                "privates-test-support: pg_ctl stop failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.folder.path().join("server.log")
    }

    fn start_server(&self) -> Result<(), PostgresError> {
        let socket = self.folder.path().display().to_string();
        // No durability for a cluster thrown away after the tests: no fsync, no full pages.
        let options = format!(
            "-p {} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
             -c log_statement=all",
            self.port
        );
        let data = self.data();
        let log = self.log();
        self.run(
            "pg_ctl start",
            self.command(&self.pg_ctl)
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(&log)
                .arg("--options")
                .arg(&options)
                .args(["--wait", "--timeout=60", "start"]),
        )
    }

    /// A command that runs as the server's account.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some(account) = self.account {
            command.uid(account.uid).gid(account.gid);
        }
        command
    }

    fn run(&self, what: &str, command: &mut Command) -> Result<(), PostgresError> {
        let output: Output = command
            .output()
            .map_err(|source| io(&format!("running {what}"), source))?;
        if output.status.success() {
            return Ok(());
        }
        let log = fs::read_to_string(self.log()).unwrap_or_default();
        Err(PostgresError::Failed {
            what: what.to_owned(),
            status: output.status,
            output: format!(
                "{}{}\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn io(what: &str, source: std::io::Error) -> PostgresError {
    PostgresError::Io {
        what: what.to_owned(),
        source,
    }
}

/// `program` on `PATH`, else in the newest `/usr/lib/postgresql/<version>/bin`.
fn find_program(program: &'static str) -> Result<PathBuf, PostgresError> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    on_path
        .into_iter()
        .chain(debian.into_iter().map(|(_, bin)| bin))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or(PostgresError::NotInstalled { program })
}

fn is_root() -> bool {
    // The owner of this process's own `/proc` entry is its effective user.
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// The `postgres` account's ids, from `/etc/passwd`.
fn postgres_account() -> Result<Account, PostgresError> {
    let passwd =
        fs::read_to_string("/etc/passwd").map_err(|source| io("reading /etc/passwd", source))?;
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != "postgres" {
                return None;
            }
            let _password = fields.next()?;
            Some(Account {
                uid: fields.next()?.parse().ok()?,
                gid: fields.next()?.parse().ok()?,
            })
        })
        .ok_or(PostgresError::NoAccount)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, PostgresError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|source| io("finding a free loopback port", source))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|source| io("finding a free loopback port", source))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    #[ignore = "needs postgres"]
    fn a_cluster_starts_serves_and_is_removed_on_drop() {
        let server = PostgresServer::start().unwrap();
        let folder = server.folder.path().to_owned();
        let url = server.create_database("probe").unwrap();
        assert_eq!(
            url,
            format!("postgres://postgres@127.0.0.1:{}/probe", server.port())
        );
        // Something answers on the port, and a second database of the same name is refused.
        std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        assert!(matches!(
            server.create_database("probe"),
            Err(PostgresError::Failed { .. })
        ));
        let port = server.port();
        drop(server);
        assert!(!folder.exists());
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}

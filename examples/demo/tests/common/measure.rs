//! The demo measured from outside, as the hardening tests (`load.rs`, `faults.rs`) do: its open
//! descriptors (`/proc/<pid>/fd`), its resident memory (`/proc/<pid>/status`), and the limit
//! on open files a load test needs.

use std::{collections::BTreeMap, fs, path::Path, process::Command};

/// The targets of the open descriptors of process `pid`.
pub(crate) fn fds_of(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return out;
    };
    for entry in entries.flatten() {
        // A descriptor closed between the listing and the readlink is simply gone.
        if let Ok(target) = fs::read_link(entry.path()) {
            out.push(target.to_string_lossy().into_owned());
        }
    }
    out
}

/// Descriptors grouped by kind: `socket`, `pipe`, `anon_inode:…`, or the file's path.
pub(crate) fn fd_summary(fds: &[String]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for fd in fds {
        let kind = if fd.starts_with("socket:") {
            "socket".to_owned()
        } else if fd.starts_with("pipe:") {
            "pipe".to_owned()
        } else {
            fd.clone()
        };
        *out.entry(kind).or_insert(0) += 1;
    }
    out
}

/// The descriptors of `fds` on the SQLite database at `database` (the file, its WAL and
/// shared-memory files), and the others.
pub(crate) fn split_database(fds: &[String], database: &Path) -> (usize, Vec<String>) {
    let prefix = database.to_string_lossy().into_owned();
    let (db, other): (Vec<&String>, Vec<&String>) =
        fds.iter().partition(|fd| fd.starts_with(&prefix));
    (db.len(), other.into_iter().cloned().collect())
}

/// How many of `fds` are sockets.
pub(crate) fn sockets(fds: &[String]) -> usize {
    fds.iter().filter(|fd| fd.starts_with("socket:")).count()
}

/// Resident memory of a process, in KiB (`VmRSS`, and its peak `VmHWM`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Memory {
    /// The resident set size now.
    pub(crate) rss_kib: u64,
    /// The largest resident set size so far.
    pub(crate) peak_kib: u64,
}

impl Memory {
    /// Reads `/proc/<pid>/status`.
    pub(crate) fn of(pid: u32) -> Self {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
        };
        Self {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }
}

/// KiB as MiB with one decimal.
pub(crate) fn mib(kib: u64) -> String {
    let tenths = kib * 10 / 1024;
    format!("{}.{} MiB", tenths / 10, tenths % 10)
}

/// The soft and hard limits on open files of this process, from `/proc/self/limits`.
pub(crate) fn open_files_limit() -> (u64, u64) {
    let limits = fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a `Max open files` line in /proc/self/limits");
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|word| {
            if word == "unlimited" {
                Some(u64::MAX)
            } else {
                word.parse().ok()
            }
        })
        .collect();
    (numbers[0], numbers[1])
}

/// Makes sure this process (and the demo it starts, which inherits the limit) may open `needed`
/// files: raises the soft limit with util-linux's `prlimit` if it is lower (the hard limit too
/// when running as root). Fails with the reason otherwise.
pub(crate) fn ensure_open_files(needed: u64) -> (u64, u64) {
    let (soft, hard) = open_files_limit();
    if soft >= needed {
        return (soft, hard);
    }
    let target = needed.max(soft);
    let new_hard = hard.max(target);
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={target}:{new_hard}"))
        .status();
    let (soft_now, hard_now) = open_files_limit();
    assert!(
        soft_now >= needed,
        "this test needs {needed} open files but the limit is {soft} (hard {hard}) and raising it \
         with `prlimit` failed ({status:?}); run `ulimit -n {needed}` before the test"
    );
    (soft_now, hard_now)
}

//! Configuration checks, with the ids of django-privates' system checks.
//!
//! | id | level | condition |
//! |---|---|---|
//! | `privates.E001` | error | no private storage is configured (`storage.location`) |
//! | `privates.W001` | warning | the storage location is the public media folder |
//! | `privates.E002` | error | no sendfile root (`sendfile.root`) |
//! | `privates.W002` | warning | the sendfile root differs from the storage location |
//! | `privates.E003` | error | the nginx backend has no sendfile URL (`sendfile.url`) |
//! | `privates.W003` | warning | the sendfile URL differs from the storage `base_url` |
//! | `privates.E101` | error | the storage location overlaps loco's static-assets folder |
//! | `privates.E102` | error | `base_url` overlaps the static-assets URI |
//! | `privates.E103` | error | `base_url`, `sendfile.url` or `login_url` is not an absolute URL path |
//!
//! The checks run at boot ([`PrivatesInitializer`](crate::PrivatesInitializer): errors stop the
//! boot, warnings are logged), in `cargo loco doctor`, and as the `privates_check` task.

use std::{
    fmt,
    path::{Component, Path, PathBuf},
};

use crate::{config::PrivatesConfig, sendfile::Backend};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth a look; the app still boots.
    Warning,
    /// The app must not boot like this.
    Error,
}

/// One finding of the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckMessage {
    /// The stable id, e.g. `privates.E001`.
    pub id: &'static str,
    /// Error or warning.
    pub level: Level,
    /// The config key to fix, e.g. `initializers.privates.sendfile.root`.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for CheckMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (key `{}`). Fix: {}",
            self.id, self.message, self.key, self.hint
        )
    }
}

/// All findings of one run of the checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The findings, errors first.
    pub messages: Vec<CheckMessage>,
}

impl CheckReport {
    /// The errors among the findings.
    pub fn errors(&self) -> impl Iterator<Item = &CheckMessage> {
        self.messages.iter().filter(|m| m.level == Level::Error)
    }

    /// The warnings among the findings.
    pub fn warnings(&self) -> impl Iterator<Item = &CheckMessage> {
        self.messages.iter().filter(|m| m.level == Level::Warning)
    }

    /// Whether any finding is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Whether the report holds the finding `id`.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.messages.iter().any(|m| m.id == id)
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.messages.is_empty() {
            return f.write_str("privates: configuration checks passed");
        }
        write!(f, "privates: configuration checks found:")?;
        for message in &self.messages {
            write!(f, "\n  {message}")?;
        }
        Ok(())
    }
}

/// Where loco's static-assets middleware serves from, if it is enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticAssets {
    /// The folder on disk.
    pub folder: PathBuf,
    /// The URI prefix.
    pub uri: String,
}

impl StaticAssets {
    /// The enabled static-assets middleware of a loco config, if any.
    #[must_use]
    pub fn from_loco(config: &loco_rs::config::Config) -> Option<Self> {
        config
            .server
            .middlewares
            .static_assets
            .as_ref()
            .filter(|assets| assets.enable)
            .map(|assets| Self {
                folder: PathBuf::from(&assets.folder.path),
                uri: assets.folder.uri.clone(),
            })
    }
}

/// Runs every check against a loco config: the `initializers.privates` block plus loco's own
/// static-assets settings.
#[must_use]
pub fn run_loco(config: &PrivatesConfig, loco: &loco_rs::config::Config) -> CheckReport {
    run(config, StaticAssets::from_loco(loco).as_ref())
}

/// Runs every check.
#[must_use]
pub fn run(config: &PrivatesConfig, static_assets: Option<&StaticAssets>) -> CheckReport {
    let mut messages = Vec::new();
    check_url_paths(config, &mut messages);
    check_storage(config, static_assets, &mut messages);
    check_sendfile(config, &mut messages);
    messages.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(b.id)));
    CheckReport { messages }
}

fn error(id: &'static str, key: &'static str, message: String, hint: String) -> CheckMessage {
    CheckMessage {
        id,
        level: Level::Error,
        key,
        message,
        hint,
    }
}

fn warning(id: &'static str, key: &'static str, message: String, hint: String) -> CheckMessage {
    CheckMessage {
        id,
        level: Level::Warning,
        key,
        message,
        hint,
    }
}

fn check_url_paths(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    let mut check = |key: &'static str, value: &str, folder: bool| {
        let ok = value.starts_with('/')
            && !value.starts_with("//")
            && (!folder || value.ends_with('/'))
            && !value.chars().any(|c| c.is_control() || c.is_whitespace());
        if !ok {
            let shape = if folder {
                "`/private-media/`"
            } else {
                "`/login`"
            };
            out.push(error(
                "privates.E103",
                key,
                format!("`{value}` is not an absolute URL path"),
                format!("write it like {shape}: a leading slash, no host, no spaces"),
            ));
        }
    };
    if let Some(storage) = &config.storage {
        check(
            "initializers.privates.storage.base_url",
            &storage.base_url,
            true,
        );
    }
    if let Some(url) = &config.sendfile.url {
        check("initializers.privates.sendfile.url", url, true);
    }
    check("initializers.privates.login_url", &config.login_url, false);
}

fn check_storage(
    config: &PrivatesConfig,
    static_assets: Option<&StaticAssets>,
    out: &mut Vec<CheckMessage>,
) {
    let Some(storage) = &config.storage else {
        out.push(error(
            "privates.E001",
            "initializers.privates.storage.location",
            "no private storage is configured".to_string(),
            "add `storage: { location: storage/private }` under `initializers.privates`"
                .to_string(),
        ));
        return;
    };
    if let Some(public) = &config.public_media
        && same_path(&public.location, &storage.location)
    {
        out.push(warning(
            "privates.W001",
            "initializers.privates.storage.location",
            format!(
                "the private storage location `{}` is the public media folder",
                storage.location.display()
            ),
            "keep private files in a folder of their own that no web server publishes".to_string(),
        ));
    }
    if let Some(assets) = static_assets {
        if overlaps(&normalize(&storage.location), &normalize(&assets.folder)) {
            out.push(error(
                "privates.E101",
                "initializers.privates.storage.location",
                format!(
                    "the private storage location `{}` overlaps the static-assets folder `{}`, \
                     which loco serves to anyone",
                    storage.location.display(),
                    assets.folder.display()
                ),
                "move `storage.location` out of `server.middlewares.static_assets.folder.path` \
                 (e.g. `storage/private`)"
                    .to_string(),
            ));
        }
        if url_overlaps(&storage.base_url, &assets.uri) {
            out.push(error(
                "privates.E102",
                "initializers.privates.storage.base_url",
                format!(
                    "`base_url` `{}` overlaps the static-assets URI `{}`",
                    storage.base_url, assets.uri
                ),
                "choose a `base_url` of its own, e.g. `/private-media/`".to_string(),
            ));
        }
    }
}

fn check_sendfile(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    let storage = config.storage.as_ref();
    match (&config.sendfile.root, storage) {
        (None, _) => out.push(error(
            "privates.E002",
            "initializers.privates.sendfile.root",
            "no sendfile root is configured".to_string(),
            format!(
                "set `sendfile.root` to the storage location{}",
                storage
                    .map(|s| format!(" (`{}`)", s.location.display()))
                    .unwrap_or_default()
            ),
        )),
        (Some(root), Some(storage)) if !same_path(root, &storage.location) => {
            out.push(warning(
                "privates.W002",
                "initializers.privates.sendfile.root",
                format!(
                    "the sendfile root `{}` differs from the storage location `{}`",
                    root.display(),
                    storage.location.display()
                ),
                "files outside the root are answered with 404; set both to the same folder"
                    .to_string(),
            ));
        }
        _ => {}
    }
    if config.sendfile.backend != Backend::Nginx {
        return;
    }
    match (&config.sendfile.url, storage) {
        (None, _) => out.push(error(
            "privates.E003",
            "initializers.privates.sendfile.url",
            "the nginx backend needs a sendfile URL for X-Accel-Redirect".to_string(),
            format!(
                "set `sendfile.url` to the nginx `internal` location{}",
                storage
                    .map(|s| format!(" (`{}`)", s.base_url))
                    .unwrap_or_default()
            ),
        )),
        (Some(url), Some(storage)) if url != &storage.base_url => out.push(warning(
            "privates.W003",
            "initializers.privates.sendfile.url",
            format!(
                "the sendfile URL `{url}` differs from the storage base_url `{}`",
                storage.base_url
            ),
            "set both to the nginx `internal` location".to_string(),
        )),
        _ => {}
    }
}

/// An absolute, lexically normalised form of `path` (`.` and `..` folded), resolved through
/// symlinks where it exists, so `storage/../assets` and a symlink to `assets` both compare
/// equal to `assets`.
fn normalize(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn same_path(a: &Path, b: &Path) -> bool {
    normalize(a) == normalize(b)
}

/// Whether one folder contains the other (or they are the same).
fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Whether the URL path `a` lies under the prefix `b` (or the other way round), compared by
/// segments. A static URI of `/` (loco's single-page-app fallback) is left out: every URL lies
/// under it, and what it publishes is decided by its folder, which E101 checks.
fn url_overlaps(a: &str, b: &str) -> bool {
    let segments = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|seg| !seg.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (segments(a), segments(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a.starts_with(&b) || b.starts_with(&a)
}

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
//! | `privates.E201` | error | `storage.backend: s3` without `storage.bucket` |
//! | `privates.E202` | error | `storage.backend: s3` without `storage.region` |
//! | `privates.E203` | error | `storage.backend: s3` without credentials (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` in the environment) |
//! | `privates.E204` | error | a local-file sendfile backend (development, nginx, apache, lighttpd) over S3 |
//! | `privates.E205` | error | an object-store sendfile backend (redirect, stream) over local storage |
//! | `privates.E206` | error | `sendfile.expires` is 0 or over 604800 s (SigV4's limit) |
//! | `privates.E207` | error | `share.key` is not base64/hex or shorter than 32 bytes |
//! | `privates.E208` | error | `share.key` is loco's JWT secret (`auth.jwt.secret`) |
//! | `privates.E209` | error | `storage.endpoint` is set but not an `http://` or `https://` URL |
//! | `privates.E210` | error | `storage.timeout` is 0 with the s3 storage (every call would time out) |
//! | `privates.E211` | error | `share.max_ttl` is 0 (no link could be minted) |
//!
//! The E2xx checks read the environment (for the credentials) when they run.
//!
//! The checks run at boot ([`PrivatesInitializer`](crate::PrivatesInitializer): errors stop the
//! boot, warnings are logged), in `cargo loco doctor`, and as the `privates_check` task.

use std::{
    fmt,
    path::{Component, Path, PathBuf},
};

use crate::{
    config::{PrivatesConfig, S3Credentials, StorageBackend},
    sendfile::Backend,
};

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
    let mut report = run(config, StaticAssets::from_loco(loco).as_ref());
    if let (Some(share), Some(secret)) = (&config.share, jwt_secret(loco))
        && share.key.trim() == secret.trim()
    {
        report.messages.push(error(
            "privates.E208",
            "initializers.privates.share.key",
            "`share.key` is loco's JWT secret (`auth.jwt.secret`)".to_string(),
            "give share links a key of their own (`openssl rand -base64 32`): one leaked key \
             must not forge both sessions and links"
                .to_string(),
        ));
        report
            .messages
            .sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(b.id)));
    }
    report
}

/// loco's JWT secret, read from the raw config so this works whatever loco's features are.
fn jwt_secret(loco: &loco_rs::config::Config) -> Option<String> {
    let value = serde_json::to_value(&loco.auth).ok()?;
    value
        .get("jwt")?
        .get("secret")?
        .as_str()
        .map(str::to_string)
}

/// Runs every check.
#[must_use]
pub fn run(config: &PrivatesConfig, static_assets: Option<&StaticAssets>) -> CheckReport {
    let mut messages = Vec::new();
    check_url_paths(config, &mut messages);
    check_share(config, &mut messages);
    if config
        .storage
        .as_ref()
        .is_some_and(|storage| storage.backend == StorageBackend::S3)
    {
        check_s3(config, &mut messages);
    } else {
        check_storage(config, static_assets, &mut messages);
        check_sendfile(config, &mut messages);
    }
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
    let Some(storage) = config
        .storage
        .as_ref()
        .filter(|storage| !storage.location.as_os_str().is_empty())
    else {
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

fn check_share(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    if let Some(share) = &config.share
        && let Err(message) = crate::share::decode_key(&share.key)
    {
        out.push(error(
            "privates.E207",
            "initializers.privates.share.key",
            format!("`share.key` {message}"),
            "generate one with `openssl rand -base64 32` and pass it through the environment \
             (`{{ get_env(name=\"PRIVATES_SHARE_KEY\") }}`); remove `share` to disable share links"
                .to_string(),
        ));
    }
    if let Some(share) = &config.share
        && share.max_ttl == 0
    {
        out.push(error(
            "privates.E211",
            "initializers.privates.share.max_ttl",
            "`share.max_ttl` is 0 s: no share link could be minted".to_string(),
            "set the longest lifetime a link may have, in seconds (default 604800, 7 days); \
             remove `share` to disable share links"
                .to_string(),
        ));
    }
}

fn check_s3(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    let Some(storage) = &config.storage else {
        return;
    };
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&storage.bucket) {
        out.push(error(
            "privates.E201",
            "initializers.privates.storage.bucket",
            "the s3 storage has no bucket".to_string(),
            "set `storage.bucket` to the bucket that holds the private files".to_string(),
        ));
    }
    if blank(&storage.region) {
        out.push(error(
            "privates.E202",
            "initializers.privates.storage.region",
            "the s3 storage has no region".to_string(),
            "set `storage.region`, e.g. `eu-west-1` (`us-east-1` or `auto` for most \
             S3-compatible services)"
                .to_string(),
        ));
    }
    if storage.credentials.is_none() && S3Credentials::from_env().is_none() {
        out.push(error(
            "privates.E203",
            "AWS_ACCESS_KEY_ID",
            "the s3 storage has no credentials".to_string(),
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (never in the \
             config file)"
                .to_string(),
        ));
    }
    // A blank endpoint means AWS itself, as for the storage (an env-templated default of "").
    if let Some(endpoint) = storage.endpoint.as_deref().map(str::trim)
        && !endpoint.is_empty()
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        out.push(error(
            "privates.E209",
            "initializers.privates.storage.endpoint",
            format!("`{endpoint}` is not an http(s) URL"),
            "write the service URL, e.g. `https://minio.internal:9000`".to_string(),
        ));
    }
    if storage.timeout == 0 {
        out.push(error(
            "privates.E210",
            "initializers.privates.storage.timeout",
            "`storage.timeout` is 0 s: every S3 call would time out at once".to_string(),
            "set the seconds one S3 call may take, e.g. 30 (the default)".to_string(),
        ));
    }
    let backend = config.sendfile.backend;
    if !backend.is_object_store() {
        out.push(error(
            "privates.E204",
            "initializers.privates.sendfile.backend",
            format!(
                "the `{}` sendfile backend serves local files, but the storage is s3",
                backend.name()
            ),
            "use `sendfile.backend: redirect` (a short-lived presigned URL; the bytes never pass \
             through the app) or `stream` (the app streams the object, with ranges)"
                .to_string(),
        ));
    }
    check_expires(config, out);
}

fn check_expires(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    const SIGV4_MAX: u64 = 7 * 24 * 3600;
    let expires = config.sendfile.expires;
    if expires == 0 || expires > SIGV4_MAX {
        out.push(error(
            "privates.E206",
            "initializers.privates.sendfile.expires",
            format!("`sendfile.expires` is {expires} s"),
            format!(
                "choose 1..={SIGV4_MAX} seconds; short is safer (default {})",
                crate::config::DEFAULT_EXPIRES
            ),
        ));
    }
}

fn check_sendfile(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) {
    let backend = config.sendfile.backend;
    if backend.is_object_store() {
        out.push(error(
            "privates.E205",
            "initializers.privates.sendfile.backend",
            format!(
                "the `{}` sendfile backend serves from an object store, but the storage is local",
                backend.name()
            ),
            "use `development`, `nginx`, `apache` or `lighttpd` with local storage, or set \
             `storage.backend: s3`"
                .to_string(),
        ));
    }
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

#![doc = include_str!("../docs/checks.md")]

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{
    config::{
        Backend, DEFAULT_EXPIRES, LocalStorageConfig, PrivatesConfig, S3Credentials,
        S3StorageConfig, StorageConfig,
    },
    settings::{
        LocalDelivery, LocalSettings, ObjectDelivery, S3Settings, SendfileRoot, Settings,
        StorageSettings, absolute,
    },
    share::ShareKey,
    urls::{self, UrlShape},
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

/// What the checks judge the block against, gathered once before they run (so the checks
/// themselves read neither the environment nor loco's config).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// loco's static-assets middleware, when enabled (`privates.E101`, `privates.E102`).
    pub static_assets: Option<StaticAssets>,
    /// loco's `auth.jwt.secret` (`privates.E208`).
    pub jwt_secret: Option<String>,
    /// The S3 credentials of the process environment, for a storage without credentials set
    /// in code (`privates.E203`).
    pub s3_credentials: Option<S3Credentials>,
    /// The models registered with the initializer, whose `upload_to` patterns are checked
    /// (`privates.E301`).
    pub models: Vec<ModelFields>,
}

/// A model's private fields, for the check of their `upload_to` patterns (`privates.E301`):
/// the derive runs the same rules at compile time, so this catches what a hand-written
/// [`PrivateMedia`](crate::PrivateMedia) impl got wrong before a user's upload does.
#[derive(Clone, Debug)]
pub struct ModelFields {
    label: String,
    fields: Vec<(&'static str, crate::UploadTo)>,
    permissions: Vec<&'static str>,
}

impl ModelFields {
    /// The private fields of `M`.
    #[must_use]
    pub fn of<M: crate::PrivateMedia>() -> Self {
        Self {
            label: format!("{}.{}", M::APP, M::MODEL),
            fields: M::fields()
                .iter()
                .map(|field| (field.name(), field.spec.upload_to))
                .collect(),
            permissions: M::permissions(),
        }
    }

    /// The model's permissions ([`PrivateMedia::permissions`](crate::PrivateMedia::permissions)).
    #[must_use]
    pub fn permissions(&self) -> &[&'static str] {
        &self.permissions
    }
}

impl Environment {
    /// The process environment alone: its S3 credentials ([`S3Credentials::from_env`]).
    #[must_use]
    pub fn process() -> Self {
        Self {
            s3_credentials: S3Credentials::from_env(),
            ..Self::default()
        }
    }

    /// A loco app's: its static assets and JWT secret, the process's S3 credentials, and the
    /// app's registered `models`.
    #[must_use]
    pub fn from_loco(loco: &loco_rs::config::Config, models: &[ModelFields]) -> Self {
        Self {
            static_assets: StaticAssets::from_loco(loco),
            jwt_secret: jwt_secret(loco),
            models: models.to_vec(),
            ..Self::process()
        }
    }
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

/// A configuration that passed the checks: the settings, and the warnings to log.
#[derive(Clone, Debug)]
pub struct Validated {
    /// What the constructors build from.
    pub settings: Settings,
    /// The warnings (never an error).
    pub warnings: CheckReport,
}

/// The checks of an S3 storage alone (E201–E203, E209, E210), for a storage built without a
/// whole configuration ([`S3Storage::from_config`](crate::storage::S3Storage::from_config)).
pub(crate) fn validate_s3(
    storage: &S3StorageConfig,
    env: &Environment,
) -> Result<S3Settings, CheckReport> {
    let config = PrivatesConfig {
        sendfile: crate::config::SendfileConfig {
            backend: Backend::Stream,
            ..Default::default()
        },
        ..PrivatesConfig::default()
    };
    let mut out = Vec::new();
    let settings = check_s3(&config, storage, env, &mut out);
    let report = report(out);
    match settings {
        Some(settings) if !report.has_errors() => Ok(settings),
        _ => Err(report),
    }
}

/// Every finding on `config` in `env`, errors first.
#[must_use]
pub fn run(config: &PrivatesConfig, env: &Environment) -> CheckReport {
    match validate(config, env) {
        Ok(validated) => validated.warnings,
        Err(report) => report,
    }
}

/// Runs every check: the settings when none fails, else every finding.
///
/// # Errors
/// The report, errors first, when at least one finding is an error.
pub fn validate(config: &PrivatesConfig, env: &Environment) -> Result<Validated, CheckReport> {
    let mut out = Vec::new();
    // `Some(None)`: no login page (switched off); `None`: a check failed.
    let login_url = match &config.login_url {
        Some(url) => check_url(
            "initializers.privates.login_url",
            url,
            UrlShape::Page,
            &mut out,
        )
        .map(Some),
        None => Some(None),
    };
    let share = check_share(config, env, &mut out);
    check_models(env, &mut out);
    let storage = match &config.storage {
        Some(StorageConfig::S3(s3)) => check_s3(config, s3, env, &mut out).map(StorageSettings::S3),
        Some(StorageConfig::Local(local)) => check_local(config, Some(local), env, &mut out),
        None => check_local(config, None, env, &mut out),
    };
    let report = report(out);
    match (storage, share, login_url) {
        (Some(storage), Some(share), Some(login_url)) if !report.has_errors() => Ok(Validated {
            settings: Settings {
                storage,
                login_url,
                share,
            },
            warnings: report,
        }),
        _ => Err(report),
    }
}

fn finding(
    level: Level,
    id: &'static str,
    key: &'static str,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> CheckMessage {
    CheckMessage {
        id,
        level,
        key,
        message: message.into(),
        hint: hint.into(),
    }
}

fn error(
    id: &'static str,
    key: &'static str,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> CheckMessage {
    finding(Level::Error, id, key, message, hint)
}

/// The findings of one run, errors first.
fn report(mut out: Vec<CheckMessage>) -> CheckReport {
    out.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(b.id)));
    CheckReport { messages: out }
}

/// `privates.E301`: every registered model's `upload_to` patterns pass the naming rules.
fn check_models(env: &Environment, out: &mut Vec<CheckMessage>) {
    for model in &env.models {
        for (field, upload_to) in &model.fields {
            if let Err(err) = upload_to.validate() {
                out.push(error(
                    "privates.E301",
                    "upload_to",
                    format!("the field `{}.{field}`: {err}", model.label),
                    "fix the field's `upload_to` in its `PrivateMedia` impl (`#[derive]` checks \
                     it at compile time)",
                ));
            }
        }
    }
}

/// `privates.E103`: `value` has the URL shape `shape`.
fn check_url(
    key: &'static str,
    value: &str,
    shape: UrlShape,
    out: &mut Vec<CheckMessage>,
) -> Option<String> {
    match urls::check_url_path(value, shape) {
        Ok(()) => Some(value.to_owned()),
        Err(reason) => {
            out.push(error(
                "privates.E103",
                key,
                format!("`{value}` is not an absolute URL path: {reason}"),
                format!(
                    "write it like {}: a leading slash, no host, visible ASCII only \
                     (percent-encode anything else)",
                    shape.example()
                ),
            ));
            None
        }
    }
}

/// The share key, decoded: `Some(None)` when share links are off, `None` when a check failed.
fn check_share(
    config: &PrivatesConfig,
    env: &Environment,
    out: &mut Vec<CheckMessage>,
) -> Option<Option<ShareKey>> {
    let Some(share) = &config.share else {
        return Some(None);
    };
    let mut ok = true;
    if share.max_ttl == 0 {
        ok = false;
        out.push(error(
            "privates.E211",
            "initializers.privates.share.max_ttl",
            "`share.max_ttl` is 0 s: no share link could be minted",
            "set the longest lifetime a link may have, in seconds (default 604800, 7 days); \
             remove `share` to disable share links",
        ));
    }
    if let Some(secret) = &env.jwt_secret
        && share.key.trim() == secret.trim()
    {
        ok = false;
        out.push(error(
            "privates.E208",
            "initializers.privates.share.key",
            "`share.key` is loco's JWT secret (`auth.jwt.secret`)",
            "give share links a key of their own (`openssl rand -base64 32`): one leaked key \
             must not forge both sessions and links",
        ));
    }
    match ShareKey::from_config(share) {
        Ok(key) => ok.then_some(Some(key)),
        Err(err) => {
            out.push(error(
                "privates.E207",
                "initializers.privates.share.key",
                format!("`share.key` {err}"),
                "generate one with `openssl rand -base64 32` and pass it through the \
                 environment (`<%= get_env(name=\"PRIVATES_SHARE_KEY\") %>`); remove `share` to \
                 disable share links",
            ));
            None
        }
    }
}

/// The local storage's checks (also run without any storage, to report everything at once).
fn check_local(
    config: &PrivatesConfig,
    storage: Option<&LocalStorageConfig>,
    env: &Environment,
    out: &mut Vec<CheckMessage>,
) -> Option<StorageSettings> {
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
             `storage.backend: s3`",
        ));
    }
    let storage = storage.filter(|storage| !storage.location.as_os_str().is_empty());
    if storage.is_none() {
        out.push(error(
            "privates.E001",
            "initializers.privates.storage.location",
            "no private storage is configured",
            "add `storage: { location: storage/private }` under `initializers.privates`",
        ));
    }
    let base_url = storage.and_then(|storage| {
        check_url(
            "initializers.privates.storage.base_url",
            &storage.base_url,
            UrlShape::Folder,
            out,
        )
    });
    if let Some(storage) = storage {
        check_public_folders(config, storage, env, out);
    }
    let root = check_root(config, storage, out);
    let url = check_sendfile_url(config, storage, out);
    let storage = storage?;
    let location = absolute(&storage.location);
    let delivery = match backend {
        Backend::Development => LocalDelivery::Development,
        Backend::Nginx => LocalDelivery::Nginx { url: url?? },
        Backend::Apache => LocalDelivery::Apache,
        Backend::Lighttpd => LocalDelivery::Lighttpd,
        Backend::Redirect | Backend::Stream => return None,
    };
    Some(StorageSettings::Local(LocalSettings {
        root: SendfileRoot::new(&root?, &location),
        location,
        base_url: base_url?,
        delivery,
    }))
}

/// W001, E101, E102: the private folder and URL are nobody's public ones.
fn check_public_folders(
    config: &PrivatesConfig,
    storage: &LocalStorageConfig,
    env: &Environment,
    out: &mut Vec<CheckMessage>,
) {
    if let Some(public) = &config.public_media
        && same_path(&public.location, &storage.location)
    {
        out.push(finding(
            Level::Warning,
            "privates.W001",
            "initializers.privates.storage.location",
            format!(
                "the private storage location `{}` is the public media folder",
                storage.location.display()
            ),
            "keep private files in a folder of their own that no web server publishes",
        ));
    }
    let Some(assets) = &env.static_assets else {
        return;
    };
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
             (e.g. `storage/private`)",
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
            "choose a `base_url` of its own, e.g. `/private-media/`",
        ));
    }
}

/// E002, W002: the sendfile root, absolute.
fn check_root(
    config: &PrivatesConfig,
    storage: Option<&LocalStorageConfig>,
    out: &mut Vec<CheckMessage>,
) -> Option<PathBuf> {
    // Unset, the root is the storage location (django-sendfile2's SENDFILE_ROOT, which
    // django-privates sets to the same folder).
    let root = match &config.sendfile.root {
        None => return storage.map(|storage| storage.location.clone()),
        Some(root) => Some(root).filter(|root| !root.as_os_str().is_empty()),
    };
    let Some(root) = root else {
        out.push(error(
            "privates.E002",
            "initializers.privates.sendfile.root",
            "`sendfile.root` is empty",
            format!(
                "remove it (it defaults to the storage location{}) or name the folder the web \
                 server may send from",
                storage
                    .map(|s| format!(", `{}`", s.location.display()))
                    .unwrap_or_default()
            ),
        ));
        return None;
    };
    if let Some(storage) = storage
        && !same_path(root, &storage.location)
    {
        out.push(finding(
            Level::Warning,
            "privates.W002",
            "initializers.privates.sendfile.root",
            format!(
                "the sendfile root `{}` differs from the storage location `{}`",
                root.display(),
                storage.location.display()
            ),
            "files outside the root are answered with 404; set both to the same folder",
        ));
    }
    Some(root.clone())
}

/// E003, W003, E103: the nginx URL, which defaults to the storage's `base_url` (SENDFILE_URL
/// is MEDIA_URL-like in django-privates). `Some(None)` when there is none.
fn check_sendfile_url(
    config: &PrivatesConfig,
    storage: Option<&LocalStorageConfig>,
    out: &mut Vec<CheckMessage>,
) -> Option<Option<String>> {
    let url = match &config.sendfile.url {
        Some(url) if !url.is_empty() => Some(check_url(
            "initializers.privates.sendfile.url",
            url,
            UrlShape::Folder,
            out,
        )?),
        Some(_) => None,
        // The base URL is judged where it is read (E103 on `storage.base_url`).
        None => storage.map(|storage| storage.base_url.clone()),
    };
    if config.sendfile.backend != Backend::Nginx {
        return Some(url);
    }
    match (&url, storage) {
        (None, _) if config.sendfile.url.is_some() => out.push(error(
            "privates.E003",
            "initializers.privates.sendfile.url",
            "`sendfile.url` is empty, but the nginx backend needs it for X-Accel-Redirect",
            format!(
                "remove it (it defaults to `storage.base_url`{}) or set the nginx `internal` \
                 location",
                storage
                    .map(|s| format!(", `{}`", s.base_url))
                    .unwrap_or_default()
            ),
        )),
        (Some(url), Some(storage)) if url != &storage.base_url => out.push(finding(
            Level::Warning,
            "privates.W003",
            "initializers.privates.sendfile.url",
            format!(
                "the sendfile URL `{url}` differs from the storage base_url `{}`",
                storage.base_url
            ),
            "set both to the nginx `internal` location",
        )),
        _ => {}
    }
    Some(url)
}

fn check_s3(
    config: &PrivatesConfig,
    storage: &S3StorageConfig,
    env: &Environment,
    out: &mut Vec<CheckMessage>,
) -> Option<S3Settings> {
    let present = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let bucket = present(&storage.bucket);
    if bucket.is_none() {
        out.push(error(
            "privates.E201",
            "initializers.privates.storage.bucket",
            "the s3 storage has no bucket",
            "set `storage.bucket` to the bucket that holds the private files",
        ));
    }
    let region = present(&storage.region);
    if region.is_none() {
        out.push(error(
            "privates.E202",
            "initializers.privates.storage.region",
            "the s3 storage has no region",
            "set `storage.region`, e.g. `eu-west-1` (`us-east-1` or `auto` for most \
             S3-compatible services)",
        ));
    }
    let credentials = storage
        .credentials
        .clone()
        .or_else(|| env.s3_credentials.clone());
    if credentials.is_none() {
        out.push(error(
            "privates.E203",
            "AWS_ACCESS_KEY_ID",
            "the s3 storage has no credentials",
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (never in the \
             config file)",
        ));
    }
    // A blank endpoint means AWS itself (an env-templated default of "").
    let endpoint = present(&storage.endpoint);
    let endpoint_ok = endpoint
        .as_deref()
        .is_none_or(|e| e.starts_with("http://") || e.starts_with("https://"));
    if let Some(endpoint) = endpoint.as_deref().filter(|_| !endpoint_ok) {
        out.push(error(
            "privates.E209",
            "initializers.privates.storage.endpoint",
            format!("`{endpoint}` is not an http(s) URL"),
            "write the service URL, e.g. `https://minio.internal:9000`",
        ));
    }
    if storage.timeout == 0 {
        out.push(error(
            "privates.E210",
            "initializers.privates.storage.timeout",
            "`storage.timeout` is 0 s: every S3 call would time out at once",
            "set the seconds one S3 call may take, e.g. 30 (the default)",
        ));
    }
    let backend = config.sendfile.backend;
    let delivery = match backend {
        Backend::Redirect => check_expires(config, out).map(|expires| ObjectDelivery::Redirect {
            expires: Duration::from_secs(expires),
        }),
        Backend::Stream => check_expires(config, out).map(|_| ObjectDelivery::Stream),
        _ => {
            out.push(error(
                "privates.E204",
                "initializers.privates.sendfile.backend",
                format!(
                    "the `{}` sendfile backend serves local files, but the storage is s3",
                    backend.name()
                ),
                "use `sendfile.backend: redirect` (a short-lived presigned URL; the bytes never \
                 pass through the app) or `stream` (the app streams the object, with ranges)",
            ));
            check_expires(config, out);
            None
        }
    };
    Some(S3Settings {
        bucket: bucket?,
        region: region?,
        endpoint: endpoint
            .filter(|_| endpoint_ok)
            .map(|e| e.trim_end_matches('/').to_owned()),
        prefix: storage.prefix.clone().unwrap_or_default(),
        timeout: Duration::from_secs(storage.timeout),
        credentials: credentials?,
        delivery: delivery?,
    })
}

/// E206: the presigned URLs' lifetime, in seconds.
fn check_expires(config: &PrivatesConfig, out: &mut Vec<CheckMessage>) -> Option<u64> {
    const SIGV4_MAX: u64 = 7 * 24 * 3600;
    let expires = config.sendfile.expires;
    if expires == 0 || expires > SIGV4_MAX {
        out.push(error(
            "privates.E206",
            "initializers.privates.sendfile.expires",
            format!("`sendfile.expires` is {expires} s"),
            format!("choose 1..={SIGV4_MAX} seconds; short is safer (default {DEFAULT_EXPIRES})"),
        ));
        return None;
    }
    Some(expires)
}

/// An absolute, lexically normalised form of `path` (`.` and `..` folded), resolved through
/// symlinks where it exists, so `storage/../assets` and a symlink to `assets` both compare
/// equal to `assets`.
fn normalize(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| absolute(path))
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

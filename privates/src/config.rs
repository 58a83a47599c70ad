#![doc = include_str!("../docs/config.md")]

use std::{fmt, path::PathBuf};

use serde::Deserialize;

/// How files are handed over (`sendfile.backend`, django-sendfile2's `SENDFILE_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    /// The app streams the file itself (`django_sendfile.backends.development` /
    /// `simple`). Fine for development and small deployments.
    #[default]
    Development,
    /// nginx sends it after an `X-Accel-Redirect` to an `internal` location
    /// (`django_sendfile.backends.nginx`); needs `sendfile.url`.
    Nginx,
    /// Apache with mod_xsendfile sends it after `X-Sendfile`
    /// (`django_sendfile.backends.xsendfile`).
    Apache,
    /// lighttpd sends it after `X-Sendfile` (what it honours from an app behind `mod_proxy`;
    /// `X-LIGHTTPD-send-file` works for FastCGI backends only).
    Lighttpd,
    /// S3 storage: a `302` to a presigned `GET` URL that expires after `sendfile.expires`
    /// seconds, carrying the same `Content-Type` and `Content-Disposition`.
    Redirect,
    /// S3 storage: the app streams the object with ranges and validators (the object's ETag),
    /// as [`Development`](Self::Development) does for local files.
    Stream,
}

impl Backend {
    /// Whether this backend serves from an object store (`redirect`, `stream`) rather than
    /// from local files.
    #[must_use]
    pub fn is_object_store(self) -> bool {
        matches!(self, Self::Redirect | Self::Stream)
    }

    /// The name in the config.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Nginx => "nginx",
            Self::Apache => "apache",
            Self::Lighttpd => "lighttpd",
            Self::Redirect => "redirect",
            Self::Stream => "stream",
        }
    }
}

/// S3 credentials. Never read from the YAML: from the environment
/// ([`S3Credentials::from_env`]) or set in code. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<hidden>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

impl S3Credentials {
    /// The environment variable holding the access key id.
    pub const ACCESS_KEY_ID_VAR: &'static str = "AWS_ACCESS_KEY_ID";
    /// The environment variable holding the secret access key.
    pub const SECRET_ACCESS_KEY_VAR: &'static str = "AWS_SECRET_ACCESS_KEY";
    /// The environment variable holding an optional session token.
    pub const SESSION_TOKEN_VAR: &'static str = "AWS_SESSION_TOKEN";

    /// The credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN` when set); `None` unless both are set and non-empty.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Some(Self {
            access_key_id: var(Self::ACCESS_KEY_ID_VAR)?,
            secret_access_key: var(Self::SECRET_ACCESS_KEY_VAR)?,
            session_token: var(Self::SESSION_TOKEN_VAR),
        })
    }
}

/// The key under `initializers` that holds these settings.
pub const INITIALIZER_KEY: &str = "privates";

/// A malformed `initializers.privates` block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key has the wrong type or value, or is unknown.
    #[error("config key `{key}`: {message}")]
    Invalid {
        /// The full key to fix, e.g. `initializers.privates.storage.location`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Everything privates reads from the config. `Default` is what an empty block reads as.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PrivatesConfig {
    /// Where private files are stored (Django's `STORAGES["privates"]`). `None` fails the checks
    /// with `privates.E001`.
    #[serde(default)]
    pub storage: Option<StorageConfig>,
    /// How files are handed to the browser (django-sendfile2's settings).
    #[serde(default)]
    pub sendfile: SendfileConfig,
    /// Where an anonymous browser is sent, with `?next=<the requested path>` (Django's
    /// `LOGIN_URL`); `login_url: null` switches the redirect off, so every anonymous request
    /// gets 401 (an API with no login page).
    #[serde(default = "default_login_url")]
    pub login_url: Option<String>,
    /// The app's public media folder, if it serves one (Django's `MEDIA_ROOT` / `MEDIA_URL`):
    /// only used by the checks to warn when private and public files share a folder.
    #[serde(default)]
    pub public_media: Option<PublicMediaConfig>,
    /// Signed share links; disabled when `None` (minting then fails with
    /// [`ShareError::Disabled`](crate::share::ShareError::Disabled)).
    #[serde(default)]
    pub share: Option<ShareConfig>,
    /// The access audit ([`audit`](crate::audit)).
    #[serde(default)]
    pub audit: AuditConfig,
}

/// The private storage (Django's `STORAGES["privates"]["OPTIONS"]`), by `storage.backend`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "StorageKeys")]
#[non_exhaustive]
pub enum StorageConfig {
    /// `backend: local` (the default): a folder on the local disk.
    Local(LocalStorageConfig),
    /// `backend: s3`: a bucket of AWS S3 or any S3-compatible service, through opendal.
    S3(S3StorageConfig),
}

/// `storage` with `backend: local`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalStorageConfig {
    /// The folder that holds the files; relative paths are relative to the working directory.
    /// Empty fails the checks with `privates.E001`.
    pub location: PathBuf,
    /// The URL prefix under which the web server serves the folder internally (nginx's
    /// `internal` location); never reachable from outside.
    pub base_url: String,
}

/// `storage` with `backend: s3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3StorageConfig {
    /// The bucket (`privates.E201` when missing).
    pub bucket: Option<String>,
    /// The region, e.g. `eu-west-1` (`privates.E202` when missing; S3-compatible services
    /// usually accept `us-east-1` or `auto`).
    pub region: Option<String>,
    /// The service URL for S3-compatible services (MinIO, R2, Garage, ...); AWS's regional
    /// endpoint when `None` or blank. Buckets are addressed path-style (`endpoint/bucket/key`).
    pub endpoint: Option<String>,
    /// A key prefix every stored name is put under (`private/` makes `a.pdf` the key
    /// `private/a.pdf`).
    pub prefix: Option<String>,
    /// Seconds one S3 call (and each chunk read or written) may take before it fails with a
    /// timeout error, so a dead server gives an error rather than a hang.
    pub timeout: u64,
    /// Credentials set in code; those in the environment are used when `None`. Never read
    /// from the config file.
    pub credentials: Option<S3Credentials>,
}

impl S3StorageConfig {
    /// The bucket `bucket` in `region`, no endpoint (AWS), no prefix, the default timeout,
    /// credentials from the environment.
    #[must_use]
    pub fn new(bucket: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            bucket: Some(bucket.into()),
            region: Some(region.into()),
            endpoint: None,
            prefix: None,
            timeout: default_timeout(),
            credentials: None,
        }
    }
}

impl StorageConfig {
    /// A local storage in `location` with the default `base_url`.
    #[must_use]
    pub fn local(location: impl Into<PathBuf>) -> Self {
        Self::Local(LocalStorageConfig {
            location: location.into(),
            base_url: default_base_url(),
        })
    }

    /// The local storage's settings, if that is the backend.
    #[must_use]
    pub fn as_local(&self) -> Option<&LocalStorageConfig> {
        match self {
            Self::Local(local) => Some(local),
            Self::S3(_) => None,
        }
    }
}

/// The `storage` block as written: every key of both backends, so that serde names the exact
/// key of a type error (`storage.base_url`); [`StorageConfig`] is built from it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageKeys {
    #[serde(default)]
    backend: StorageBackend,
    location: Option<PathBuf>,
    base_url: Option<String>,
    bucket: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    prefix: Option<String>,
    timeout: Option<u64>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StorageBackend {
    #[default]
    Local,
    S3,
}

impl TryFrom<StorageKeys> for StorageConfig {
    type Error = String;

    fn try_from(keys: StorageKeys) -> Result<Self, String> {
        let foreign = |backend: &str, present: &[(&str, bool)]| {
            present
                .iter()
                .find(|(_, set)| *set)
                .map(|(key, _)| {
                    format!(
                        "`{key}` is not a key of the {backend} storage: remove it, or set \
                         `backend` to the storage it belongs to"
                    )
                })
                .map_or(Ok(()), Err)
        };
        match keys.backend {
            StorageBackend::Local => {
                foreign(
                    "local",
                    &[
                        ("bucket", keys.bucket.is_some()),
                        ("region", keys.region.is_some()),
                        ("endpoint", keys.endpoint.is_some()),
                        ("prefix", keys.prefix.is_some()),
                        ("timeout", keys.timeout.is_some()),
                    ],
                )?;
                Ok(Self::Local(LocalStorageConfig {
                    location: keys.location.unwrap_or_default(),
                    base_url: keys.base_url.unwrap_or_else(default_base_url),
                }))
            }
            StorageBackend::S3 => {
                foreign(
                    "s3",
                    &[
                        ("location", keys.location.is_some()),
                        ("base_url", keys.base_url.is_some()),
                    ],
                )?;
                Ok(Self::S3(S3StorageConfig {
                    bucket: keys.bucket,
                    region: keys.region,
                    endpoint: keys.endpoint,
                    prefix: keys.prefix,
                    timeout: keys.timeout.unwrap_or_else(default_timeout),
                    credentials: None,
                }))
            }
        }
    }
}

/// The signed share links (`share.*`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareConfig {
    /// The HMAC-SHA256 key, base64 (standard or URL-safe) or hex, at least 32 bytes once
    /// decoded (`privates.E207`). Generate one with `openssl rand -base64 32`. Keep it out of
    /// the repository (`<%= get_env(name="PRIVATES_SHARE_KEY") %>`); changing it invalidates
    /// every link minted with it.
    pub key: String,
    /// The longest lifetime a link may be minted with, in seconds (default 7 days).
    #[serde(default = "default_share_max_ttl")]
    pub max_ttl: u64,
}

impl fmt::Debug for ShareConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareConfig")
            .field("key", &"<hidden>")
            .field("max_ttl", &self.max_ttl)
            .finish()
    }
}

fn default_timeout() -> u64 {
    30
}

fn default_share_max_ttl() -> u64 {
    7 * 24 * 3600
}

/// The default lifetime of a presigned URL, in seconds.
pub const DEFAULT_EXPIRES: u64 = 60;

fn default_expires() -> u64 {
    DEFAULT_EXPIRES
}

/// How a permitted download is handed over (django-sendfile2's `SENDFILE_*` settings).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SendfileConfig {
    /// `development` (the app streams the file), `nginx`, `apache` or `lighttpd` over local
    /// storage; `redirect` (a presigned URL) or `stream` (the app streams the object) over S3.
    #[serde(default)]
    pub backend: Backend,
    /// The folder the web server may send from (`SENDFILE_ROOT`); normally the storage location.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// The internal URL prefix for `X-Accel-Redirect` (`SENDFILE_URL`); normally the storage's
    /// `base_url`.
    #[serde(default)]
    pub url: Option<String>,
    /// `redirect`: seconds a presigned URL stays valid (default 60; at most 604800, SigV4's
    /// limit).
    #[serde(default = "default_expires")]
    pub expires: u64,
}

impl Default for SendfileConfig {
    fn default() -> Self {
        Self {
            backend: Backend::default(),
            root: None,
            url: None,
            expires: DEFAULT_EXPIRES,
        }
    }
}

/// The app's public media folder (only read by the checks).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PublicMediaConfig {
    /// The public folder (`MEDIA_ROOT`).
    pub location: PathBuf,
    /// Its public URL prefix (`MEDIA_URL`).
    #[serde(default)]
    pub url: Option<String>,
}

impl Default for PrivatesConfig {
    fn default() -> Self {
        Self {
            storage: None,
            sendfile: SendfileConfig::default(),
            login_url: default_login_url(),
            public_media: None,
            share: None,
            audit: AuditConfig::default(),
        }
    }
}

#[allow(clippy::unnecessary_wraps)] // serde's `default` wants the field's type
fn default_login_url() -> Option<String> {
    Some("/login".to_string())
}

fn default_base_url() -> String {
    "/private-media/".to_string()
}

impl PrivatesConfig {
    /// Reads the settings from a loco config: `initializers.privates`. A config without that
    /// block reads as the defaults (no storage), which the checks then report as
    /// `privates.E001`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the full key (`initializers.privates.storage.locaton`)
    /// when the block does not match this schema.
    pub fn from_loco(config: &loco_rs::config::Config) -> Result<Self, ConfigError> {
        let Some(initializers) = config.initializers.as_ref() else {
            return Ok(Self::default());
        };
        if let Some(value) = initializers.get(INITIALIZER_KEY) {
            return Self::from_value(value);
        }
        // A misspelled block name would otherwise read as "no storage configured".
        match initializers
            .keys()
            .find(|key| strsim::levenshtein(key, INITIALIZER_KEY) <= 2)
        {
            Some(near) => Err(ConfigError::Invalid {
                key: format!("initializers.{near}"),
                message: format!(
                    "there is no `initializers.{INITIALIZER_KEY}` block, but a `{near}` one: \
                     did you mean `{INITIALIZER_KEY}`?"
                ),
            }),
            None => Ok(Self::default()),
        }
    }

    /// Reads the settings from the JSON value of `initializers.privates`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key that does not fit.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, ConfigError> {
        serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err.path().to_string();
            let key = if path == "." {
                format!("initializers.{INITIALIZER_KEY}")
            } else {
                format!("initializers.{INITIALIZER_KEY}.{path}")
            };
            ConfigError::Invalid {
                key,
                message: err.into_inner().to_string(),
            }
        })
    }
}

/// `audit.*`: the client's address; the other keys are the sink's (privates-audit's table
/// reads `retention`, `queue`, `overflow` and `batch`, and names the key of a bad value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AuditConfig {
    /// The header a trusted proxy sets to the client's address (`X-Real-IP`; of a list, the
    /// last entry counts); the socket's address when `None`. Never set it without such a proxy.
    #[serde(default, deserialize_with = "header_name")]
    pub client_ip_header: Option<http::HeaderName>,
    /// The sink's keys, as written.
    #[serde(flatten)]
    pub sink: serde_json::Map<String, serde_json::Value>,
}

fn header_name<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<http::HeaderName>, D::Error> {
    let name = String::deserialize(de)?;
    http::HeaderName::try_from(name.as_str())
        .map(Some)
        .map_err(serde::de::Error::custom)
}

//! The settings under `initializers.privates` in the loco config YAML.
//!
//! ```yaml
//! initializers:
//!   privates:
//!     storage:
//!       location: storage/private     # STORAGES["privates"]["OPTIONS"]["location"]
//!       base_url: /private-media/     # STORAGES["privates"]["OPTIONS"]["base_url"]
//!     sendfile:
//!       backend: nginx                # SENDFILE_BACKEND
//!       root: storage/private         # SENDFILE_ROOT
//!       url: /private-media/          # SENDFILE_URL
//!     login_url: /login
//! ```
//!
//! Unknown keys are errors that name the key, so a typo never silently falls back to a default.

use std::path::PathBuf;

use serde::Deserialize;

use crate::{error::ConfigError, sendfile::Backend};

/// The key under `initializers` that holds these settings.
pub const INITIALIZER_KEY: &str = "privates";

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
    /// `LOGIN_URL`).
    #[serde(default = "default_login_url")]
    pub login_url: String,
    /// The app's public media folder, if it serves one (Django's `MEDIA_ROOT` / `MEDIA_URL`):
    /// only used by the checks to warn when private and public files share a folder.
    #[serde(default)]
    pub public_media: Option<PublicMediaConfig>,
}

/// The private storage (Django's `STORAGES["privates"]["OPTIONS"]`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The folder that holds the files; relative paths are relative to the working directory.
    pub location: PathBuf,
    /// The URL prefix under which the web server serves the folder internally (nginx's
    /// `internal` location); never reachable from outside.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

/// How a permitted download is handed over (django-sendfile2's `SENDFILE_*` settings).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SendfileConfig {
    /// `development` (the app streams the file), `nginx`, `apache` or `lighttpd`.
    #[serde(default)]
    pub backend: Backend,
    /// The folder the web server may send from (`SENDFILE_ROOT`); normally the storage location.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// The internal URL prefix for `X-Accel-Redirect` (`SENDFILE_URL`); normally the storage's
    /// `base_url`.
    #[serde(default)]
    pub url: Option<String>,
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
        }
    }
}

fn default_login_url() -> String {
    "/login".to_string()
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
        match config
            .initializers
            .as_ref()
            .and_then(|initializers| initializers.get(INITIALIZER_KEY))
        {
            Some(value) => Self::from_value(value),
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

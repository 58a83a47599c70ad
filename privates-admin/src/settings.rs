//! The admin's settings, under `initializers.privates_admin` in the loco config, and
//! [`AdminInitializer`], which reads them once at boot, installs them in the app context and
//! puts the CSRF cookie layer around the router.
//!
//! ```yaml
//! initializers:
//!   privates_admin:
//!     csrf:
//!       # Other origins whose forms may post here (Django's CSRF_TRUSTED_ORIGINS).
//!       trusted_origins: ["https://admin.example.com", "https://*.example.org"]
//!       # The server key of the tokens, at least 32 bytes; by default derived from
//!       # auth.jwt.secret (a one-way derivation: the tokens never reveal the secret).
//!       key: <%= get_env(name="CSRF_KEY") %>
//!       # Served over HTTPS (Secure cookie, https origin, Referer checked); by default
//!       # whether server.host starts with https://.
//!       secure: true
//!       # The login session's cookie, which tokens are bound to; by default the cookie of
//!       # auth.jwt.location.
//!       session_cookie: my_session
//!     upload:
//!       # Seconds an upload may stay silent between two chunks before it ends with 408.
//!       idle_timeout: 30
//!     image:
//!       # Bytes of decoded pixels all image validations together may hold at once.
//!       decode_memory: 268435456
//!       # Seconds an upload waits for that memory before it gets 503.
//!       decode_wait: 10
//! ```
//!
//! Every key is optional; an unknown key is an error naming it.

use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use hmac::{Hmac, Mac};
use loco_rs::{
    app::{AppContext, Initializer},
    config::{Config, JWTLocation, JWTLocationConfig},
};
use serde::Deserialize;
use sha2::Sha256;

use crate::{
    csrf::{Csrf, csrf_cookie},
    upload::DecodeBudget,
};

/// The config key the settings live under, inside `initializers`.
pub const CONFIG_KEY: &str = "privates_admin";

/// `initializers.privates_admin`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// CSRF protection.
    pub csrf: CsrfSettings,
    /// Change-form uploads.
    pub upload: UploadSettings,
    /// Image validation.
    pub image: ImageSettings,
}

/// `initializers.privates_admin.csrf`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CsrfSettings {
    /// The server key of the tokens (at least 32 bytes); derived from `auth.jwt.secret` when
    /// absent.
    pub key: Option<String>,
    /// Origins besides the site's own whose forms may post (`https://*.example.com` for
    /// subdomains).
    pub trusted_origins: Vec<String>,
    /// HTTPS; by default whether `server.host` starts with `https://`.
    pub secure: Option<bool>,
    /// The login session's cookie; by default the cookie of `auth.jwt.location`.
    pub session_cookie: Option<String>,
}

/// `initializers.privates_admin.upload`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Seconds an upload may stay silent between chunks (30 by default).
    pub idle_timeout: Option<f64>,
}

/// `initializers.privates_admin.image`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSettings {
    /// Bytes of decoded pixels all validations together may hold (256 MiB by default).
    pub decode_memory: Option<u64>,
    /// Seconds an upload waits for decoding memory before it gets 503 (10 by default).
    pub decode_wait: Option<f64>,
}

/// The default [`ImageSettings::decode_memory`]: two images at the default 128 MiB limit.
pub const DEFAULT_DECODE_MEMORY: u64 = 256 * 1024 * 1024;
/// The default [`ImageSettings::decode_wait`].
pub const DEFAULT_DECODE_WAIT: Duration = Duration::from_secs(10);

/// The settings cannot be used, or were not installed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A malformed setting; the message names the key.
    #[error("config key initializers.{CONFIG_KEY}.{key}: {message}")]
    Config {
        /// The key under `initializers.privates_admin`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// No CSRF key and no JWT secret to derive one from.
    #[error(
        "privates-admin needs a CSRF key: set initializers.{CONFIG_KEY}.csrf.key (32 bytes or \
         more) or auth.jwt.secret"
    )]
    NoKey,
    /// [`AdminInitializer`] is not registered.
    #[error(
        "privates-admin is not initialised: add privates_admin::AdminInitializer to \
         Hooks::initializers"
    )]
    NotInstalled,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config(yaml: serde_json::Value) -> Config {
        let mut config = loco_rs::tests_cfg::config::test_config();
        config.initializers = Some([(CONFIG_KEY.to_owned(), yaml)].into_iter().collect());
        config
    }

    #[test]
    fn errors_name_the_key() {
        let err = AdminState::from_config(&config(serde_json::json!({
            "csrf": {"key": "k".repeat(40)},
            "upload": {"idle_timeot": 3}
        })))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("config key initializers.privates_admin.upload.idle_timeot"),
            "{err}"
        );
        let err = AdminState::from_config(&config(serde_json::json!({
            "csrf": {"key": "short"}
        })))
        .unwrap_err();
        assert!(err.to_string().contains("privates_admin.csrf.key"), "{err}");
        let err = AdminState::from_config(&config(serde_json::json!({
            "csrf": {"key": "k".repeat(40), "trusted_origins": ["example.com"]}
        })))
        .unwrap_err();
        assert!(err.to_string().contains("csrf.trusted_origins"), "{err}");
        let state = AdminState::from_config(&config(serde_json::json!({
            "csrf": {"key": "k".repeat(40)},
            "upload": {"idle_timeout": 1.5},
            "image": {"decode_memory": 1_048_576, "decode_wait": 0}
        })))
        .unwrap();
        assert_eq!(state.idle_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(state.decode.bytes(), 1_048_576);
        assert_eq!(state.decode.wait(), Duration::ZERO);
    }
}

impl From<AdminError> for loco_rs::Error {
    fn from(err: AdminError) -> Self {
        Self::Message(err.to_string())
    }
}

/// What [`AdminInitializer`] installs in the app context: the CSRF protection, the upload
/// idle timeout and the shared image-decoding budget.
#[derive(Clone, Debug)]
pub struct AdminState {
    /// The CSRF protection.
    pub csrf: Csrf,
    /// The idle timeout of uploads, when configured (else each admin's
    /// [`UploadOptions::idle_timeout`](crate::UploadOptions::idle_timeout)).
    pub idle_timeout: Option<Duration>,
    /// The memory all image validations share.
    pub decode: DecodeBudget,
}

fn seconds(key: &str, value: Option<f64>) -> Result<Option<Duration>, AdminError> {
    value
        .map(|secs| {
            Duration::try_from_secs_f64(secs).map_err(|_| AdminError::Config {
                key: key.to_owned(),
                message: format!("{secs} is not a number of seconds >= 0"),
            })
        })
        .transpose()
}

impl AdminState {
    /// Reads `initializers.privates_admin` of `config`.
    ///
    /// # Errors
    /// A malformed or unknown key, a short CSRF key, or no key at all.
    pub fn from_config(config: &Config) -> Result<Self, AdminError> {
        let value = config
            .initializers
            .as_ref()
            .and_then(|all| all.get(CONFIG_KEY))
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let settings: AdminSettings = if value.is_null() {
            AdminSettings::default()
        } else {
            serde_path_to_error::deserialize(value).map_err(|err| AdminError::Config {
                key: err.path().to_string(),
                message: err.inner().to_string(),
            })?
        };
        Self::from_settings(&settings, config)
    }

    /// These `settings`, with the defaults that come from the rest of `config`.
    ///
    /// # Errors
    /// As [`from_config`](Self::from_config).
    pub fn from_settings(settings: &AdminSettings, config: &Config) -> Result<Self, AdminError> {
        let jwt = config.auth.as_ref().and_then(|auth| auth.jwt.as_ref());
        let key = match (&settings.csrf.key, jwt) {
            (Some(key), _) => key.as_bytes().to_vec(),
            (None, Some(jwt)) if !jwt.secret.is_empty() => {
                // One-way: a token never helps to find the JWT secret.
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(jwt.secret.as_bytes())
                    .map_err(|_| AdminError::NoKey)?;
                mac.update(b"privates-admin csrf key");
                mac.finalize().into_bytes().to_vec()
            }
            _ => return Err(AdminError::NoKey),
        };
        let session_cookie = settings.csrf.session_cookie.clone().or_else(|| {
            let locations = match jwt?.location.as_ref()? {
                JWTLocationConfig::Single(location) => vec![location.clone()],
                JWTLocationConfig::Multiple(locations) => locations.clone(),
            };
            locations.into_iter().find_map(|location| match location {
                JWTLocation::Cookie { name } => Some(name),
                _ => None,
            })
        });
        let secure = settings
            .csrf
            .secure
            .unwrap_or_else(|| config.server.host.starts_with("https://"));
        let csrf = Csrf::new(key)
            .map_err(|err| AdminError::Config {
                key: "csrf.key".to_owned(),
                message: err.0,
            })?
            .trusted_origins(&settings.csrf.trusted_origins)
            .map_err(|err| AdminError::Config {
                key: "csrf.trusted_origins".to_owned(),
                message: err.0,
            })?
            .secure(secure)
            .session_cookie(session_cookie);
        let idle_timeout = seconds("upload.idle_timeout", settings.upload.idle_timeout)?;
        if idle_timeout.is_some_and(|idle| idle.is_zero()) {
            return Err(AdminError::Config {
                key: "upload.idle_timeout".to_owned(),
                message: "0 would end every upload at once".to_owned(),
            });
        }
        let wait = seconds("image.decode_wait", settings.image.decode_wait)?
            .unwrap_or(DEFAULT_DECODE_WAIT);
        let memory = settings
            .image
            .decode_memory
            .unwrap_or(DEFAULT_DECODE_MEMORY);
        if memory == 0 {
            return Err(AdminError::Config {
                key: "image.decode_memory".to_owned(),
                message: "0 would refuse every image".to_owned(),
            });
        }
        Ok(Self {
            csrf,
            idle_timeout,
            decode: DecodeBudget::new(memory, wait),
        })
    }

    /// The state [`AdminInitializer`] installed in `ctx`.
    ///
    /// # Errors
    /// [`AdminError::NotInstalled`].
    pub fn from_ctx(ctx: &AppContext) -> Result<Self, AdminError> {
        ctx.shared_store
            .get::<Self>()
            .ok_or(AdminError::NotInstalled)
    }

    /// Makes this the app's state.
    pub fn install(&self, ctx: &AppContext) {
        ctx.shared_store.insert(self.clone());
    }
}

/// The loco initializer of privates-admin: reads `initializers.privates_admin` at boot (a bad
/// setting stops the boot with a message naming the key), installs [`AdminState`], and wraps
/// the router in the CSRF cookie layer ([`csrf_cookie`]). Register it in
/// `Hooks::initializers`, next to privates' own.
#[derive(Clone, Copy, Debug, Default)]
pub struct AdminInitializer;

#[async_trait]
impl Initializer for AdminInitializer {
    fn name(&self) -> String {
        CONFIG_KEY.to_owned()
    }

    async fn before_run(&self, ctx: &AppContext) -> loco_rs::Result<()> {
        if AdminState::from_ctx(ctx).is_err() {
            AdminState::from_config(&ctx.config)?.install(ctx);
        }
        Ok(())
    }

    async fn after_routes(&self, router: Router, ctx: &AppContext) -> loco_rs::Result<Router> {
        let state = match AdminState::from_ctx(ctx) {
            Ok(state) => state,
            Err(_) => {
                let state = AdminState::from_config(&ctx.config)?;
                state.install(ctx);
                state
            }
        };
        Ok(router.layer(axum::middleware::from_fn_with_state(
            state.csrf,
            csrf_cookie,
        )))
    }
}

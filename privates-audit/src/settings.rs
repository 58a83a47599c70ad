//! The table's settings: the keys of `initializers.privates.audit` besides privates' own
//! `client_ip_header`. A malformed or unknown key is an error naming it.
//!
//! ```yaml
//! initializers:
//!   privates:
//!     audit:
//!       retention: 365   # days an event is kept (privates_audit_clean); for ever when absent
//!       queue: 1024      # events waiting for the writer
//!       overflow: wait   # wait | drop | refuse
//!       batch: 64        # rows per insert
//! ```

use std::num::NonZeroUsize;

use privates::{PrivatesConfig, config::ConfigError};
use serde::Deserialize;

use crate::error::Error;

/// What a full queue does (`audit.overflow`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Overflow {
    /// The request waits for room.
    #[default]
    Wait,
    /// The event is dropped and counted.
    Drop,
    /// The download is refused with 503.
    Refuse,
}

/// The table sink's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSettings {
    /// Days an event is kept; for ever when `None`.
    pub retention: Option<u32>,
    /// Events the queue holds ([`DEFAULT_QUEUE`](crate::table::DEFAULT_QUEUE) when `None`).
    pub queue: Option<NonZeroUsize>,
    /// What a full queue does.
    #[serde(default)]
    pub overflow: Overflow,
    /// Rows per insert ([`DEFAULT_BATCH`](crate::table::DEFAULT_BATCH) when `None`).
    pub batch: Option<NonZeroUsize>,
}

impl TableSettings {
    /// The settings under `initializers.privates.audit` of a loco config.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key of a malformed block or value.
    pub fn from_loco(config: &loco_rs::config::Config) -> Result<Self, Error> {
        Self::from_keys(PrivatesConfig::from_loco(config)?.audit.sink)
    }

    /// The settings from the sink's keys of [`AuditConfig`](privates::config::AuditConfig).
    ///
    /// ```
    /// # use privates_audit::settings::{Overflow, TableSettings};
    /// let keys = serde_json::json!({ "overflow": "drop", "queue": 8 });
    /// let settings = TableSettings::from_keys(keys.as_object().unwrap().clone()).unwrap();
    /// assert_eq!(settings.overflow, Overflow::Drop);
    /// let bad = serde_json::json!({ "batch": 0 });
    /// let err = TableSettings::from_keys(bad.as_object().unwrap().clone()).unwrap_err();
    /// assert!(err.to_string().contains("`initializers.privates.audit.batch`"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] naming the key of an unknown key or a bad value.
    pub fn from_keys(keys: serde_json::Map<String, serde_json::Value>) -> Result<Self, Error> {
        serde_path_to_error::deserialize(serde_json::Value::Object(keys)).map_err(|err| {
            let path = err.path().to_string();
            let key = match path.as_str() {
                "." => "initializers.privates.audit".to_owned(),
                path => format!("initializers.privates.audit.{path}"),
            };
            Error::Config(ConfigError::Invalid {
                key,
                message: err.into_inner().to_string(),
            })
        })
    }
}

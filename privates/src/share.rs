#![doc = include_str!("../docs/share.md")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    config::ShareConfig,
    model::{Field, PrivateMedia},
    urls,
};

type HmacSha256 = Hmac<Sha256>;

/// The shortest accepted key, in bytes (the HMAC-SHA256 block of security).
pub const MIN_KEY_BYTES: usize = 32;

/// What a link may live beyond `share.max_ttl` when checked: instances whose clocks differ
/// by less than this agree.
const CLOCK_SLACK: u64 = 60;

/// Separates this MAC from any other use of the key, and allows a new format later (v2 signs
/// the file's version too).
const DOMAIN: &[u8] = b"privates-share-v2";

/// Why a share link cannot be minted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// `share.key` is not configured.
    #[error(
        "share links are disabled: set `initializers.privates.share.key` (base64 or hex, at \
         least 32 bytes, e.g. from `openssl rand -base64 32`)"
    )]
    Disabled,
    /// The field of this object holds no file.
    #[error("the field `{field}` holds no file to share")]
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// No file is stored under the field's name (removed behind the row's back).
    #[error("the file of the field `{field}` is missing from the storage")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// The field has no download route (`no_download`), so it has no share route either.
    #[error("the field `{field}` has no download route (`no_download`), so it cannot be shared")]
    NoDownload {
        /// The field.
        field: &'static str,
    },
    /// The lifetime is zero or longer than `share.max_ttl`.
    #[error("a share link must live between 1 s and {max} s (`share.max_ttl`), not {asked} s")]
    Lifetime {
        /// The lifetime asked for, in seconds.
        asked: u64,
        /// `share.max_ttl`.
        max: u64,
    },
}

/// Why `share.key` is not a usable key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShareKeyError {
    /// The text is neither hex nor base64.
    #[error("is neither hex nor base64")]
    NotEncoded,
    /// The key is too short.
    #[error(
        "decodes to {len} bytes, at least {MIN_KEY_BYTES} are needed (`openssl rand -base64 32`)"
    )]
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
}

/// The decoded share key.
#[derive(Clone)]
pub struct ShareKey {
    key: Vec<u8>,
    max_ttl: u64,
}

impl std::fmt::Debug for ShareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareKey")
            .field("max_ttl", &self.max_ttl)
            .finish_non_exhaustive()
    }
}

/// What the check of a presented link decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and not expired.
    Valid,
    /// Malformed, tampered, or for another file: `403`.
    Forbidden,
    /// Genuine but expired: `410`.
    Expired,
}

impl ShareKey {
    /// Decodes `share.key`.
    ///
    /// # Errors
    /// [`ShareKeyError`] for a key that is not base64/hex or shorter than [`MIN_KEY_BYTES`].
    pub fn from_config(config: &ShareConfig) -> Result<Self, ShareKeyError> {
        Ok(Self {
            key: decode_key(&config.key)?,
            max_ttl: config.max_ttl,
        })
    }

    /// The signature of one link.
    fn mac(&self, parts: &LinkParts<'_>) -> HmacSha256 {
        // HMAC takes keys of any length, so `new_from_slice` cannot fail; the fallback (an
        // all-zero key) is unreachable and exists only to avoid a panic path.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => HmacSha256::new(&Default::default()),
        };
        mac.update(DOMAIN);
        for field in [
            parts.app.as_bytes(),
            parts.model.as_bytes(),
            parts.pk.as_bytes(),
            parts.field.as_bytes(),
            parts.name.as_bytes(),
            parts.version.as_bytes(),
            parts.expires.to_string().as_bytes(),
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac
    }

    /// `sig` for the link.
    fn sign(&self, parts: &LinkParts<'_>) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(parts).finalize().into_bytes())
    }

    /// Checks a presented `sig` (base64url) in constant time, then the expiry against `now`
    /// (and against `share.max_ttl` from now).
    fn verify(&self, parts: &LinkParts<'_>, sig: &str, now: SystemTime) -> Verdict {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return Verdict::Forbidden;
        };
        if self.mac(parts).verify_slice(&sig).is_err()
            || parts.expires > unix(now).saturating_add(self.max_ttl + CLOCK_SLACK)
        {
            return Verdict::Forbidden;
        }
        if unix(now) >= parts.expires {
            Verdict::Expired
        } else {
            Verdict::Valid
        }
    }

    /// The share URL of `field` on `object`, whose file has the version `version`
    /// ([`Opened::version`](crate::storage::Opened::version)), valid until `expires_at` (not
    /// checked against `max_ttl` here: [`Privates::share_url`](crate::Privates::share_url)
    /// does that, and checking a link refuses one that lives longer).
    ///
    /// # Errors
    /// [`ShareError::EmptyField`], [`ShareError::NoDownload`].
    pub fn url<M: PrivateMedia>(
        &self,
        object: &M,
        field: &Field<M>,
        version: &str,
        expires_at: SystemTime,
    ) -> Result<String, ShareError> {
        let name = shareable_name(object, field)?;
        let pk = object.pk().to_string();
        let expires = unix(expires_at);
        let version = fingerprint(version);
        let sig = self.sign(&LinkParts {
            app: M::APP,
            model: M::MODEL,
            pk: &pk,
            field: field.name(),
            name,
            version: &version,
            expires,
        });
        Ok(urls::share_url(object, field, expires, &version, &sig))
    }

    /// Mints with a lifetime, bounded by `share.max_ttl`.
    pub(crate) fn url_for<M: PrivateMedia>(
        &self,
        object: &M,
        field: &Field<M>,
        version: &str,
        ttl: Duration,
    ) -> Result<String, ShareError> {
        let asked = ttl.as_secs();
        if ttl.is_zero() || ttl > Duration::from_secs(self.max_ttl) {
            return Err(ShareError::Lifetime {
                asked,
                max: self.max_ttl,
            });
        }
        self.url(object, field, version, SystemTime::now() + ttl)
    }

    /// Checks the query string of a presented link for `field` of `object`: its signature
    /// and expiry. A valid link still has to [name the file](LinkedFile::is) the storage
    /// opens.
    pub(crate) fn check<M: PrivateMedia>(
        &self,
        object: &M,
        field: &Field<M>,
        query: Option<&str>,
        now: SystemTime,
    ) -> Result<LinkedFile, Verdict> {
        let Some(Presented {
            expires,
            version,
            sig,
        }) = query.and_then(Presented::parse)
        else {
            return Err(Verdict::Forbidden);
        };
        let Some(name) = field.stored_name(object) else {
            return Err(Verdict::Forbidden);
        };
        let pk = object.pk().to_string();
        let verdict = self.verify(
            &LinkParts {
                app: M::APP,
                model: M::MODEL,
                pk: &pk,
                field: field.name(),
                name,
                version: &version,
                expires,
            },
            &sig,
            now,
        );
        match verdict {
            Verdict::Valid => Ok(LinkedFile(version.into_owned())),
            refused => Err(refused),
        }
    }
}

/// The file a genuine link was minted for, by its fingerprint.
#[derive(Debug)]
pub(crate) struct LinkedFile(String);

impl LinkedFile {
    /// Whether the file of `version` is the one the link names (compared in constant time).
    pub(crate) fn is(&self, version: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0
            .as_bytes()
            .ct_eq(fingerprint(version).as_bytes())
            .into()
    }
}

/// The `v` of a link: 128 bits of SHA-256 over a file's version, base64url.
fn fingerprint(version: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(&Sha256::digest(version.as_bytes())[..16])
}

/// The stored name a link to `field` of `object` would serve.
pub(crate) fn shareable_name<'a, M: PrivateMedia>(
    object: &'a M,
    field: &Field<M>,
) -> Result<&'a str, ShareError> {
    if field.spec.no_download {
        return Err(ShareError::NoDownload {
            field: field.name(),
        });
    }
    field.stored_name(object).ok_or(ShareError::EmptyField {
        field: field.name(),
    })
}

/// What a link signs.
#[derive(Clone, Copy)]
struct LinkParts<'a> {
    app: &'a str,
    model: &'a str,
    pk: &'a str,
    field: &'a str,
    name: &'a str,
    version: &'a str,
    expires: u64,
}

/// The parts of a presented link's query: `expires=<seconds>&v=<fingerprint>&sig=<base64url>`,
/// each exactly once (serde refuses a repeated field), in any order, among any other.
#[derive(serde::Deserialize)]
struct Presented<'a> {
    expires: u64,
    #[serde(borrow, rename = "v")]
    version: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    sig: std::borrow::Cow<'a, str>,
}

impl<'a> Presented<'a> {
    fn parse(query: &'a str) -> Option<Self> {
        serde_urlencoded::from_str(query).ok()
    }
}

/// The expiry a presented link claims, for the audit (checked or not).
pub(crate) fn claimed_expiry(query: Option<&str>) -> Option<u64> {
    Some(Presented::parse(query?)?.expires)
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Decodes a key written in hex or base64 (standard or URL-safe, padded or not); hex wins
/// when the text is both.
fn decode_key(text: &str) -> Result<Vec<u8>, ShareKeyError> {
    let text = text.trim();
    let key = hex::decode(text)
        .ok()
        .or_else(|| {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
        })
        .ok_or(ShareKeyError::NotEncoded)?;
    if key.len() < MIN_KEY_BYTES {
        return Err(ShareKeyError::TooShort { len: key.len() });
    }
    Ok(key)
}

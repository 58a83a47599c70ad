//! Cross-site request forgery protection for the admin's forms and the app's own: Django's
//! `CsrfViewMiddleware`, checked on every unsafe method (`POST`, `PUT`, `PATCH`, `DELETE`).
//!
//! Two checks, both must pass:
//!
//! 1. **Where the request comes from.** An `Origin` header must be this site's own origin
//!    (scheme from the config, host from the request) or one of the trusted origins
//!    (`initializers.privates_admin.csrf.trusted_origins`, Django's `CSRF_TRUSTED_ORIGINS`,
//!    `https://*.example.com` for subdomains); `Origin: null` (sandboxed frames, some
//!    redirects) never passes. Without `Origin`, a `Sec-Fetch-Site` of `cross-site` or
//!    `same-site` is refused, and over HTTPS the `Referer` must be present and trusted.
//! 2. **A token bound to the browser and its session.** Each browser gets a random secret in
//!    the `privates_csrf` cookie (`HttpOnly`, `SameSite=Lax`; set by the layer that
//!    [`AdminInitializer`](crate::AdminInitializer) installs, on the first response that
//!    renders a token). A form carries a token: a fresh random nonce and an HMAC-SHA256, under
//!    a server key, of the secret, the session cookie's value and the nonce. Another site can
//!    neither read nor compute it; a token minted for one login session fails in another
//!    (logging in or out makes the old forms' tokens stale, as Django's `rotate_token`); and
//!    the per-rendering nonce keeps the page's bytes from repeating (BREACH).
//!
//! The token travels as the `csrf_token` form field ([`FIELD`]; in a multipart form it must
//! come before any file, which the admin templates do, so that nothing is stored for a
//! forged form) or the `X-CSRFToken` header ([`HEADER`]) for scripts. A refused request gets
//! [`CsrfError`]'s 403 page, which says why, and changes nothing.
//!
//! In an app's own handlers: [`CsrfToken`] (an extractor) for the template, and
//! [`CsrfForm<T>`] (an extractor in place of axum's `Form<T>`) or [`Csrf::check`] to verify.
//!
//! ```
//! use privates_admin::csrf::{Csrf, CsrfError};
//!
//! let csrf = Csrf::new(b"a server key of at least 32 bytes!!").unwrap();
//! let secret = "k5ZyMd9ieuzTuxvTMUbPi1ULsgfpnpSvIvnAi3mrIxA";
//! let token = csrf.mint(secret, None); // no session cookie configured: bound to the browser only
//!
//! let post = |cookie: &str, origin: &str, token: &str| {
//!     http::Request::post("http://app.example/admin/")
//!         .header("host", "app.example")
//!         .header("origin", origin)
//!         .header("cookie", cookie)
//!         .header("x-csrftoken", token)
//!         .body(())
//!         .unwrap()
//!         .into_parts()
//!         .0
//! };
//! let cookie = format!("privates_csrf={secret}");
//! assert!(csrf.check(&post(&cookie, "http://app.example", &token), None).is_ok());
//! assert!(matches!(
//!     csrf.check(&post(&cookie, "https://evil.example", &token), None),
//!     Err(CsrfError::UntrustedOrigin(_))
//! ));
//! assert!(matches!(
//!     csrf.check(&post(&cookie, "null", &token), None),
//!     Err(CsrfError::NullOrigin)
//! ));
//! assert!(matches!(
//!     csrf.check(&post(&cookie, "http://app.example", "forged"), None),
//!     Err(CsrfError::BadToken)
//! ));
//! ```

use std::{
    fmt,
    sync::{Arc, OnceLock},
};

use askama::Template;
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, State},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use loco_rs::app::AppContext;
use rand::RngCore;
use serde::{Deserialize, de::DeserializeOwned};
use sha2::Sha256;

use crate::{
    pages::{Page, admin_headers_on},
    settings::AdminState,
};

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// The header that carries the token for scripts (Django's `X-CSRFToken`).
pub const HEADER: &str = "x-csrftoken";
/// The cookie that holds the browser's secret.
pub const COOKIE: &str = "privates_csrf";

/// The shortest accepted server key, in bytes.
pub const MIN_KEY_BYTES: usize = 32;
const SECRET_BYTES: usize = 32;
const NONCE_BYTES: usize = 16;
const TAG_BYTES: usize = 32;
/// Separates this use of the key from any other.
const DOMAIN: &[u8] = b"privates-admin csrf token v1";
/// The most a urlencoded form checked by [`checked_form`] may hold (Django's
/// `DATA_UPLOAD_MAX_MEMORY_SIZE`: 2.5 MiB).
pub const MAX_FORM_BYTES: usize = 2_621_440;
/// A year, as Django's `CSRF_COOKIE_AGE`.
const COOKIE_MAX_AGE: u64 = 31_449_600;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Why a request was refused (403), or why the protection cannot run (500).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfError {
    /// `Origin: null`: a sandboxed frame, a data URL or a privacy redirect; never trusted.
    #[error("Origin checking failed: null does not match any trusted origins.")]
    NullOrigin,
    /// The `Origin` is neither this site nor a trusted origin.
    #[error("Origin checking failed: {0} does not match any trusted origins.")]
    UntrustedOrigin(String),
    /// The browser says the request was started by another site (`Sec-Fetch-Site`).
    #[error("The request was started by another site (Sec-Fetch-Site: {0}).")]
    CrossSite(String),
    /// An HTTPS request without `Origin` and without `Referer`.
    #[error("Referer checking failed: no Referer.")]
    NoReferer,
    /// The `Referer` of an HTTPS request is neither this site nor a trusted origin.
    #[error("Referer checking failed: {0} does not match any trusted origins.")]
    UntrustedReferer(String),
    /// The browser has no (valid) CSRF cookie.
    #[error("CSRF cookie not set.")]
    NoCookie,
    /// The request carries no token.
    #[error("CSRF token missing.")]
    NoToken,
    /// A multipart form sent a file before its token.
    #[error("CSRF token missing: the form must send it before any file.")]
    TokenAfterFiles,
    /// The token does not match the browser's secret and session.
    #[error("CSRF token incorrect.")]
    BadToken,
    /// The app did not install the protection (a server error, not the browser's fault).
    #[error(
        "CSRF protection is not set up: register privates_admin::AdminInitializer in \
         Hooks::initializers"
    )]
    NotInstalled,
}

impl CsrfError {
    /// 403, or 500 for [`NotInstalled`](Self::NotInstalled).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotInstalled => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// The page of a refused request (`templates/privates/admin/csrf_failure.html`): Django's
/// "CSRF verification failed. Request aborted." with the reason.
#[derive(Template)]
#[template(path = "privates/admin/csrf_failure.html")]
pub struct CsrfFailurePage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// Why the request was refused.
    pub reason: &'a str,
}

/// The 403 page saying why (the admin pages' security headers included); a 500 for
/// [`CsrfError::NotInstalled`], which is logged.
impl IntoResponse for CsrfError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("privates-admin: {self}");
        } else {
            tracing::info!("privates-admin: request refused: {self}");
        }
        let reason = self.to_string();
        let page = CsrfFailurePage {
            page: Page::new("Forbidden"),
            reason: &reason,
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, reason.clone()).into_response(),
        };
        admin_headers_on(response.headers_mut());
        response
    }
}

/// One allowed origin: exact, or any subdomain (`https://*.example.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct TrustedOrigin {
    scheme: String,
    /// The host (without `*.`), lowercase, with its port if any.
    host: String,
    subdomains: bool,
}

impl TrustedOrigin {
    fn parse(origin: &str) -> Result<Self, String> {
        let origin = origin.trim().to_ascii_lowercase();
        let Some((scheme, host)) = origin.split_once("://") else {
            return Err(format!(
                "trusted origin `{origin}` must start with a scheme (https://...)"
            ));
        };
        if host.is_empty() || host.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "trusted origin `{origin}` must be scheme://host[:port], without a path"
            ));
        }
        let (host, subdomains) = match host.strip_prefix("*.") {
            Some(rest) => (rest, true),
            None => (host, false),
        };
        Ok(Self {
            scheme: scheme.to_owned(),
            host: host.to_owned(),
            subdomains,
        })
    }

    fn matches(&self, scheme: &str, host: &str) -> bool {
        if scheme != self.scheme {
            return false;
        }
        host == self.host
            || (self.subdomains
                && host
                    .strip_suffix(self.host.as_str())
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1))
    }
}

/// The CSRF protection: the server key, the trusted origins, the cookie names. Cheap to
/// clone. [`AdminInitializer`](crate::AdminInitializer) builds it from the config; an app
/// can also build one itself.
#[derive(Clone)]
pub struct Csrf {
    inner: Arc<Inner>,
}

struct Inner {
    key: Vec<u8>,
    trusted: Vec<TrustedOrigin>,
    secure: bool,
    session_cookie: Option<String>,
}

impl fmt::Debug for Csrf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csrf")
            .field("key", &"<redacted>")
            .field("trusted", &self.inner.trusted)
            .field("secure", &self.inner.secure)
            .field("session_cookie", &self.inner.session_cookie)
            .finish()
    }
}

/// The key is too short, or a trusted origin is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CsrfConfigError(pub String);

impl Csrf {
    /// Protection under the server `key` (at least [`MIN_KEY_BYTES`] bytes), for plain HTTP,
    /// no trusted origins besides the site itself, no session binding.
    ///
    /// # Errors
    /// A key shorter than [`MIN_KEY_BYTES`].
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self, CsrfConfigError> {
        let key = key.as_ref();
        if key.len() < MIN_KEY_BYTES {
            return Err(CsrfConfigError(format!(
                "the CSRF key must be at least {MIN_KEY_BYTES} bytes long"
            )));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                key: key.to_vec(),
                trusted: Vec::new(),
                secure: false,
                session_cookie: None,
            }),
        })
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            key: self.inner.key.clone(),
            trusted: self.inner.trusted.clone(),
            secure: self.inner.secure,
            session_cookie: self.inner.session_cookie.clone(),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Also accepts requests from these origins (`https://admin.example.com`,
    /// `https://*.example.com`).
    ///
    /// # Errors
    /// An origin that is not `scheme://host[:port]`.
    pub fn trusted_origins<S: AsRef<str>>(
        self,
        origins: impl IntoIterator<Item = S>,
    ) -> Result<Self, CsrfConfigError> {
        let parsed = origins
            .into_iter()
            .map(|origin| TrustedOrigin::parse(origin.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CsrfConfigError)?;
        Ok(self.with(|inner| inner.trusted.extend(parsed)))
    }

    /// The site is served over HTTPS: its own origin is `https://host`, the cookie is
    /// `Secure`, and a request without `Origin` needs a trusted `Referer`.
    #[must_use]
    pub fn secure(self, secure: bool) -> Self {
        self.with(|inner| inner.secure = secure)
    }

    /// Binds tokens to the value of this cookie (the login session's), so that a token is
    /// only good for the session it was minted in.
    #[must_use]
    pub fn session_cookie(self, name: Option<String>) -> Self {
        self.with(|inner| inner.session_cookie = name)
    }

    /// The protection installed in the app context by
    /// [`AdminInitializer`](crate::AdminInitializer).
    ///
    /// # Errors
    /// [`CsrfError::NotInstalled`].
    pub fn from_ctx(ctx: &AppContext) -> Result<Self, CsrfError> {
        AdminState::from_ctx(ctx)
            .map(|state| state.csrf)
            .map_err(|_| CsrfError::NotInstalled)
    }

    /// A token for the browser `secret` in the session whose cookie holds `session` (`None`
    /// when logged out). Each call gives another token; all of them verify.
    #[must_use]
    pub fn mint(&self, secret: &str, session: Option<&str>) -> String {
        let mut nonce = [0_u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let tag = self.tag(secret, session, &nonce).finalize().into_bytes();
        let mut token = Vec::with_capacity(NONCE_BYTES + TAG_BYTES);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(token)
    }

    fn tag(&self, secret: &str, session: Option<&str>, nonce: &[u8]) -> HmacSha256 {
        let session = session.unwrap_or_default();
        let mut mac = self.mac(&[DOMAIN, secret.as_bytes(), session.as_bytes()]);
        mac.update(nonce);
        mac
    }

    /// The server key's MAC over `parts`, each length-prefixed (so no two lists of parts sign
    /// alike); the first part names the use.
    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC accepts keys of any length; `new` checked it is at least 32 bytes.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.inner.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in parts {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// A token for the request's browser and session, for a form of the page being rendered
    /// (marks the browser's new secret, if any, to be sent in a cookie).
    ///
    /// # Errors
    /// [`CsrfError::NotInstalled`] when the request did not pass through the cookie layer.
    pub fn token(&self, parts: &Parts) -> Result<String, CsrfError> {
        let issued = parts
            .extensions
            .get::<IssuedSecret>()
            .ok_or(CsrfError::NotInstalled)?;
        let secret = match &issued.existing {
            Some(secret) => secret.as_str(),
            None => issued.minted.get_or_init(new_secret).as_str(),
        };
        Ok(self.mint(secret, self.session_of(&parts.headers).as_deref()))
    }

    fn session_of(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.inner.session_cookie.as_deref()?;
        cookie(headers, name)
    }

    /// Checks an unsafe request's origin ([module docs](self), step 1) and captures what its
    /// token must match: verify the token with [`TokenCheck::verify`] once it is read. Safe
    /// methods (`GET`, `HEAD`, `OPTIONS`, `TRACE`) need no token: the check then passes
    /// whatever the token.
    ///
    /// # Errors
    /// Why the origin is refused.
    pub fn begin(&self, parts: &Parts) -> Result<TokenCheck, CsrfError> {
        let safe = matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !safe {
            self.check_origin(parts)?;
        }
        Ok(TokenCheck {
            csrf: self.clone(),
            safe,
            secret: cookie(&parts.headers, COOKIE).filter(|value| valid_secret(value)),
            session: self.session_of(&parts.headers),
            header: parts
                .headers
                .get(HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        })
    }

    /// Checks an unsafe request completely: its origin, then `token` (a form field the caller
    /// read) or else the `X-CSRFToken` header. Safe methods pass.
    ///
    /// # Errors
    /// Why the request is refused.
    pub fn check(&self, parts: &Parts, token: Option<&str>) -> Result<(), CsrfError> {
        let check = self.begin(parts)?;
        match token {
            Some(token) => check.verify(token),
            None => check.verify_header(),
        }
    }

    fn check_origin(&self, parts: &Parts) -> Result<(), CsrfError> {
        let scheme = if self.inner.secure { "https" } else { "http" };
        let own_host = parts
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
            .map(str::to_ascii_lowercase);
        let trusted = |origin: &str| -> bool {
            let origin = origin.to_ascii_lowercase();
            let Some((their_scheme, host)) = origin.split_once("://") else {
                return false;
            };
            (their_scheme == scheme && own_host.as_deref() == Some(host))
                || self
                    .inner
                    .trusted
                    .iter()
                    .any(|trusted| trusted.matches(their_scheme, host))
        };
        if let Some(origin) = parts.headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("<not text>").trim();
            if origin == "null" {
                return Err(CsrfError::NullOrigin);
            }
            if !trusted(origin) {
                return Err(CsrfError::UntrustedOrigin(origin.to_owned()));
            }
            return Ok(());
        }
        if let Some(site) = parts
            .headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
            && (site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site"))
        {
            return Err(CsrfError::CrossSite(site.to_owned()));
        }
        if self.inner.secure {
            let referer = parts
                .headers
                .get(header::REFERER)
                .and_then(|value| value.to_str().ok())
                .ok_or(CsrfError::NoReferer)?;
            let origin = origin_of(referer);
            if !origin.as_deref().is_some_and(trusted) {
                return Err(CsrfError::UntrustedReferer(referer.to_owned()));
            }
        }
        Ok(())
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains('@')).then(|| format!("{scheme}://{host}"))
}

/// What one request's token must match (see [`Csrf::begin`]).
#[derive(Clone, Debug)]
pub struct TokenCheck {
    csrf: Csrf,
    safe: bool,
    secret: Option<String>,
    session: Option<String>,
    header: Option<String>,
}

impl TokenCheck {
    /// Verifies `token` (constant-time comparison).
    ///
    /// # Errors
    /// [`CsrfError::NoCookie`], [`CsrfError::NoToken`] for an empty token, or
    /// [`CsrfError::BadToken`].
    pub fn verify(&self, token: &str) -> Result<(), CsrfError> {
        if self.safe {
            return Ok(());
        }
        let secret = self.secret.as_deref().ok_or(CsrfError::NoCookie)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CsrfError::NoToken);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CsrfError::BadToken)?;
        if bytes.len() != NONCE_BYTES + TAG_BYTES {
            return Err(CsrfError::BadToken);
        }
        let (nonce, tag) = bytes.split_at(NONCE_BYTES);
        self.csrf
            .tag(secret, self.session.as_deref(), nonce)
            .verify_slice(tag)
            .map_err(|_| CsrfError::BadToken)
    }

    /// Verifies the `X-CSRFToken` header.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); [`CsrfError::NoToken`] without the header.
    pub fn verify_header(&self) -> Result<(), CsrfError> {
        if self.safe {
            return Ok(());
        }
        match &self.header {
            Some(token) => self.verify(token),
            None => Err(CsrfError::NoToken),
        }
    }

    /// A signature of `parts` bound to this request's browser and session as its tokens are
    /// (the CSRF secret and the session cookie): what [`direct`](crate::direct) tickets
    /// carry. `domain` names the use.
    ///
    /// # Errors
    /// [`CsrfError::NoCookie`] when the browser has no CSRF secret.
    pub(crate) fn bound_mac(
        &self,
        domain: &[u8],
        parts: &[&[u8]],
    ) -> Result<HmacSha256, CsrfError> {
        let secret = self.secret.as_deref().ok_or(CsrfError::NoCookie)?;
        let session = self.session.as_deref().unwrap_or_default();
        let mut all = vec![domain, secret.as_bytes(), session.as_bytes()];
        all.extend_from_slice(parts);
        Ok(self.csrf.mac(&all))
    }

    /// Whether the request carries the `X-CSRFToken` header (then a form need not).
    #[must_use]
    pub fn has_header(&self) -> bool {
        self.header.is_some()
    }

    /// Whether the request's method is safe (no token needed).
    #[must_use]
    pub fn is_safe(&self) -> bool {
        self.safe
    }
}

/// The browser secret of the current request, put there by [`csrf_cookie`]: the cookie's, or
/// one made when a token is first rendered for a browser without one (then sent back in a
/// cookie). Nothing is made for requests that render no token (downloads).
#[derive(Clone, Debug)]
struct IssuedSecret {
    existing: Option<String>,
    minted: Arc<OnceLock<String>>,
}

fn valid_secret(value: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(value)
        .is_ok_and(|bytes| bytes.len() == SECRET_BYTES)
}

fn new_secret() -> String {
    let mut secret = [0_u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    URL_SAFE_NO_PAD.encode(secret)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// The middleware that gives each browser its secret: reads it from the `privates_csrf`
/// cookie or makes a new one, and sends a new one back in a cookie when a token was rendered
/// with it. [`AdminInitializer`](crate::AdminInitializer) puts it around the whole router:
/// `router.layer(axum::middleware::from_fn_with_state(csrf, csrf_cookie))`.
pub async fn csrf_cookie(State(csrf): State<Csrf>, mut request: Request, next: Next) -> Response {
    let issued = IssuedSecret {
        existing: cookie(request.headers(), COOKIE).filter(|value| valid_secret(value)),
        minted: Arc::new(OnceLock::new()),
    };
    let minted = Arc::clone(&issued.minted);
    request.extensions_mut().insert(issued);
    let mut response = next.run(request).await;
    if let Some(secret) = minted.get() {
        let secure = if csrf.inner.secure { "; Secure" } else { "" };
        let value = format!(
            "{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE}{secure}"
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A token for the page being rendered, to put in its forms' `csrf_token` field (as
/// [`Page::csrf_token`] does for every form of the admin templates).
///
/// ```no_run
/// use axum::response::Html;
/// use privates_admin::csrf::CsrfToken;
///
/// async fn contact_form(token: CsrfToken) -> Html<String> {
///     Html(format!(
///         r#"<form method="post"><input type="hidden" name="csrf_token" value="{token}">…</form>"#
///     ))
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// The token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequestParts<AppContext> for CsrfToken {
    type Rejection = CsrfError;

    async fn from_request_parts(parts: &mut Parts, ctx: &AppContext) -> Result<Self, CsrfError> {
        Csrf::from_ctx(ctx)?.token(parts).map(Self)
    }
}

/// The token field of a urlencoded form.
#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

/// axum's `Form<T>` (`application/x-www-form-urlencoded`), CSRF-checked first: the origin,
/// then the `csrf_token` field (or the `X-CSRFToken` header). A refused request never reaches
/// the handler; it gets [`CsrfError`]'s 403 page.
///
/// ```no_run
/// use privates_admin::csrf::CsrfForm;
///
/// #[derive(serde::Deserialize)]
/// struct Comment { text: String }
///
/// async fn post_comment(CsrfForm(comment): CsrfForm<Comment>) -> String {
///     comment.text
/// }
/// ```
#[derive(Clone, Debug)]
pub struct CsrfForm<T>(pub T);

/// Reads an `application/x-www-form-urlencoded` request and checks it: the origin, then the
/// `csrf_token` field (or the `X-CSRFToken` header). The request's parts and body when it
/// passes; otherwise the answer to send ([`CsrfError`]'s 403 page, or 415 for another body
/// type). For handlers that check who is asking before the form (as the admin's do); else
/// use [`CsrfForm`].
///
/// # Errors
/// The response to send instead.
pub async fn checked_form(request: Request, ctx: &AppContext) -> Result<(Parts, Bytes), Response> {
    let csrf = Csrf::from_ctx(ctx).map_err(IntoResponse::into_response)?;
    let (parts, body) = request.into_parts();
    let check = csrf.begin(&parts).map_err(IntoResponse::into_response)?;
    let urlencoded = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large to be read.",
            )
                .into_response()
        })?;
    if !check.is_safe() && !urlencoded && !body.is_empty() {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected an application/x-www-form-urlencoded form.",
        )
            .into_response());
    }
    let field = serde_urlencoded::from_bytes::<TokenField>(&body)
        .ok()
        .and_then(|field| field.csrf_token);
    match field {
        Some(token) => check.verify(&token),
        None => check.verify_header(),
    }
    .map_err(IntoResponse::into_response)?;
    Ok((parts, body))
}

impl<T: DeserializeOwned> FromRequest<AppContext> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, ctx: &AppContext) -> Result<Self, Response> {
        let (_, bytes) = checked_form(request, ctx).await?;
        serde_urlencoded::from_bytes::<T>(&bytes)
            .map(Self)
            .map_err(|err| {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("The form could not be read: {err}."),
                )
                    .into_response()
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn csrf() -> Csrf {
        Csrf::new([7_u8; 32])
            .unwrap()
            .session_cookie(Some("session".into()))
    }

    fn parts(method: Method, headers: &[(&str, &str)]) -> Parts {
        let mut request = http::Request::builder()
            .method(method)
            .uri("/admin/x/")
            .header("host", "app.example:8080");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn origins() {
        let csrf = csrf()
            .trusted_origins(["https://*.example.org", "http://other.example"])
            .unwrap();
        let ok = |headers: &[(&str, &str)]| csrf.check_origin(&parts(Method::POST, headers));
        assert_eq!(ok(&[("origin", "http://app.example:8080")]), Ok(()));
        assert_eq!(ok(&[("origin", "HTTP://APP.EXAMPLE:8080")]), Ok(()));
        assert_eq!(ok(&[("origin", "http://other.example")]), Ok(()));
        assert_eq!(ok(&[("origin", "https://a.b.example.org")]), Ok(()));
        // As Django's `*.example.org`: the domain itself too.
        assert_eq!(ok(&[("origin", "https://example.org")]), Ok(()));
        assert_eq!(ok(&[]), Ok(()));
        assert_eq!(ok(&[("sec-fetch-site", "same-origin")]), Ok(()));
        for bad in [
            "https://app.example:8080",
            "http://app.example",
            "http://evil.example",
            "https://evilexample.org",
            "http://a.example.org",
        ] {
            assert_eq!(
                ok(&[("origin", bad)]),
                Err(CsrfError::UntrustedOrigin(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(ok(&[("origin", "null")]), Err(CsrfError::NullOrigin));
        assert_eq!(
            ok(&[("sec-fetch-site", "cross-site")]),
            Err(CsrfError::CrossSite("cross-site".into()))
        );
        assert_eq!(
            ok(&[("sec-fetch-site", "same-site")]),
            Err(CsrfError::CrossSite("same-site".into()))
        );
        assert!(TrustedOrigin::parse("example.com").is_err());
        assert!(TrustedOrigin::parse("https://example.com/path").is_err());
    }

    #[test]
    fn https_needs_a_trusted_referer_without_origin() {
        let csrf = csrf().secure(true);
        let check = |headers: &[(&str, &str)]| csrf.check_origin(&parts(Method::POST, headers));
        assert_eq!(check(&[]), Err(CsrfError::NoReferer));
        assert_eq!(
            check(&[("referer", "https://evil.example/app.example:8080/")]),
            Err(CsrfError::UntrustedReferer(
                "https://evil.example/app.example:8080/".into()
            ))
        );
        assert_eq!(
            check(&[("referer", "https://app.example:8080/admin/")]),
            Ok(())
        );
    }

    #[test]
    fn tokens_are_bound_to_the_secret_and_the_session() {
        let csrf = csrf();
        let secret = new_secret();
        let other = new_secret();
        let token = csrf.mint(&secret, Some("s1"));
        assert_ne!(token, csrf.mint(&secret, Some("s1")), "a nonce per token");
        let cookie_header =
            |secret: &str, session: &str| format!("{COOKIE}={secret}; session={session}");
        let verify = |cookie: &str, token: &str| {
            csrf.begin(&parts(Method::POST, &[("cookie", cookie)]))
                .unwrap()
                .verify(token)
        };
        assert_eq!(verify(&cookie_header(&secret, "s1"), &token), Ok(()));
        assert_eq!(
            verify(&cookie_header(&secret, "s2"), &token),
            Err(CsrfError::BadToken)
        );
        assert_eq!(
            verify(&cookie_header(&other, "s1"), &token),
            Err(CsrfError::BadToken)
        );
        assert_eq!(
            verify("session=s1", &token),
            Err(CsrfError::NoCookie),
            "no secret cookie"
        );
        assert_eq!(
            verify(&cookie_header(&secret, "s1"), ""),
            Err(CsrfError::NoToken)
        );
        let mut tampered = token.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            verify(&cookie_header(&secret, "s1"), &tampered),
            Err(CsrfError::BadToken)
        );
        // Another key does not accept it either.
        let other_key = Csrf::new([8_u8; 32])
            .unwrap()
            .session_cookie(Some("session".into()));
        let token = csrf.mint(&secret, Some("s1"));
        assert_eq!(
            other_key
                .begin(&parts(
                    Method::POST,
                    &[("cookie", &cookie_header(&secret, "s1"))]
                ))
                .unwrap()
                .verify(&token),
            Err(CsrfError::BadToken)
        );
        // Safe methods pass without a token.
        assert_eq!(csrf.check(&parts(Method::GET, &[]), None), Ok(()));
        assert!(Csrf::new([0_u8; 31]).is_err());
    }
}

//! Who opened which file: every answer of a download or share route is an [`AuditEvent`],
//! emitted as a `tracing` event under the target [`TARGET`] (loco's logger shows it with
//! `RUST_LOG=info` or `override_filter: info,privates::audit=info`) and handed to the
//! [`AuditSink`] installed with [`Privates::with_audit`](crate::Privates::with_audit) (the
//! `privates-audit` crate's table, for one).

use std::{borrow::Cow, net::IpAddr, time::SystemTime};

use axum::response::Response;
use futures_util::future::BoxFuture;
use http::{HeaderName, request::Parts};

use crate::config::Backend;

/// The `tracing` target of the events.
pub const TARGET: &str = "privates::audit";

/// Who asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// Nobody logged in (refused before a user was known).
    Anonymous,
    /// A user, by the id [`Authorizer::user_id`](crate::Authorizer::user_id) gives (`None`
    /// when the authorizer names none).
    User(Option<String>),
    /// The holder of a share link, with the expiry (unix seconds) the link claims: genuine
    /// when the answer is served or 410.
    Link(Option<u64>),
}

/// Which check refused a request, in the order the routes run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Nobody logged in (401 or the login redirect).
    Authentication,
    /// The permission (403).
    Permission,
    /// The object: a malformed or unknown key (404).
    Object,
    /// The object-level permission (403).
    ObjectPermission,
    /// The field holds no file (404).
    Field,
    /// The storage or the delivery: a refused name, a missing file, a failing store.
    File,
    /// A share link that is malformed, forged, or for another object or file (403).
    Link,
    /// A genuine share link past its expiry (410).
    Expired,
    /// Share links are disabled (404).
    Sharing,
    /// The audit sink is full under the `refuse` policy (503).
    Audit,
}

/// What the route answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The file was handed to the backend.
    Served(u16, Backend),
    /// Refused with this status (the answer's: 302 for the login redirect) by this check.
    Refused(u16, Check),
}

/// One decision of a download or share route.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuditEvent<'a> {
    /// When it was decided.
    pub at: SystemTime,
    /// Who asked.
    pub who: Who,
    /// The model's app label, model label, the key as it appeared in the path, and the field.
    pub app: &'static str,
    /// The model label.
    pub model: &'static str,
    /// The primary key as the object spells it (as requested when it does not parse).
    pub pk: Cow<'a, str>,
    /// The field.
    pub field: &'static str,
    /// The stored name, once the object was found (never for a forged share link).
    pub name: Option<String>,
    /// What the route answered.
    pub outcome: Outcome,
    /// The client: the socket's address, or `audit.client_ip_header`'s when configured.
    pub client: Option<IpAddr>,
    /// loco's request id (`x-request-id`), when its middleware runs.
    pub request_id: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// An event about `field` of the object `pk`, by nobody yet, refused by `Check::Object`.
    pub(crate) fn new(
        parts: &'a Parts,
        header: Option<&HeaderName>,
        labels: [&'static str; 3],
        pk: &'a str,
    ) -> Self {
        use loco_rs::controller::middleware::request_id::LocoRequestId;
        let client = match header {
            // The last line's last entry: what the trusted proxy appended, not the client's.
            Some(name) => (parts.headers.get_all(name).iter().next_back())
                .and_then(|v| v.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()),
            None => parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        };
        let [app, model, field] = labels;
        let request_id = parts.extensions.get::<LocoRequestId>();
        Self {
            at: SystemTime::now(),
            who: Who::Anonymous,
            app,
            model,
            pk: Cow::Borrowed(pk),
            field,
            name: None,
            outcome: Outcome::Refused(404, Check::Object),
            client,
            request_id: request_id.map(LocoRequestId::get),
        }
    }

    /// The requested key parsed as `P`, then recorded as the object spells it (`01`, `+1` and
    /// `1` are one object, whose access log must show every spelling's downloads).
    pub(crate) fn parse_pk<P: std::str::FromStr + std::fmt::Display>(&mut self) -> Option<P> {
        let pk = P::from_str(&self.pk).ok()?;
        self.pk = Cow::Owned(pk.to_string());
        Some(pk)
    }

    /// Sets the outcome from the route's answer (`Err`: refused by that check), hands the
    /// event to `sink`, emits it; the answer, or 503 when the sink refused the event.
    pub(crate) async fn record(
        &mut self,
        sink: Option<&dyn AuditSink>,
        backend: Backend,
        answer: Result<Response, (Check, Response)>,
    ) -> Result<Response, Overloaded> {
        let (response, outcome) = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                (response, Outcome::Served(status, backend))
            }
            Err((check, response)) => {
                let status = response.status().as_u16();
                (response, Outcome::Refused(status, check))
            }
        };
        self.outcome = outcome;
        let taken = match sink {
            Some(sink) => sink.record(self).await,
            None => Ok(()),
        };
        if taken.is_err() {
            self.outcome = Outcome::Refused(503, Check::Audit);
        }
        let (status, check, backend) = match self.outcome {
            Outcome::Served(status, backend) => (status, None, Some(backend.name())),
            Outcome::Refused(status, check) => (status, Some(check), None),
        };
        let said = backend.map_or("refused", |_| "served");
        tracing::info!(target: TARGET, who = ?self.who, app = self.app, model = self.model,
            pk = &*self.pk, field = self.field, name = self.name, status, check = ?check, backend,
            client = ?self.client, request_id = self.request_id, "private file {said}");
        taken.map(|()| response)
    }
}

/// The sink refused an event: the download is answered with 503.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the audit queue is full")]
pub struct Overloaded;

/// Where events go besides `tracing`: a table, a queue, a test's buffer.
pub trait AuditSink: Send + Sync + 'static {
    /// Takes one event. `Err(Overloaded)` answers the request with 503 instead.
    fn record<'a>(&'a self, event: &'a AuditEvent<'a>) -> BoxFuture<'a, Result<(), Overloaded>>;
}

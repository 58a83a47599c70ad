//! The table sink: [`AuditTable`] takes each event on the request path into a bounded queue
//! and returns; one background writer inserts the queued events in batches. When the queue
//! is full, `audit.overflow` decides: `wait` (the request waits for room), `drop` (the event
//! is dropped and counted: the writer logs the count and records it in
//! `privates_audit_drops`) or `refuse` (the download is answered with 503). The memory the
//! audit holds is bounded by `audit.queue` plus one batch, whatever the burst.
//!
//! [`AuditTable::close`] (from the app's `Hooks::on_shutdown`, through [`shutdown`]) stops
//! taking events and waits until every accepted one is written.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use futures_util::future::BoxFuture;
use loco_rs::app::AppContext;
use privates::audit::{AuditEvent, AuditSink, Outcome, Overloaded, Who};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use tokio::{
    sync::{Notify, OwnedMutexGuard, mpsc},
    task::JoinHandle,
};

use crate::{
    check_name,
    entities::{drops, events},
    error::Error,
    settings::{Overflow, TableSettings},
    unix_ms,
};

/// The queue's length when `audit.queue` is not set.
pub const DEFAULT_QUEUE: usize = 1024;
/// The rows of one insert when `audit.batch` is not set.
pub const DEFAULT_BATCH: usize = 64;
/// How long the writer waits for a batch to fill once it has an event: an event reaches the
/// table at most this much later than it would alone.
pub const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// The sink writing events into `privates_audit_events`. Cloning it is cheap; every clone
/// feeds the same queue and writer.
#[derive(Clone)]
pub struct AuditTable {
    shared: Arc<Shared>,
}

struct Shared {
    sender: mpsc::Sender<events::ActiveModel>,
    /// For the events of requests that finish after the close.
    db: DatabaseConnection,
    overflow: Overflow,
    counters: Arc<Counters>,
    /// Held by the writer around each insert, and by [`AuditTable::hold`].
    gate: Arc<tokio::sync::Mutex<()>>,
    closing: Arc<Notify>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// Events dropped: in all, and since the writer last recorded the count.
#[derive(Default)]
struct Counters {
    total: AtomicU64,
    unrecorded: AtomicU64,
}

impl Counters {
    fn drop_one(&self) {
        self.drop_many(1);
    }

    fn drop_many(&self, count: u64) {
        self.total.fetch_add(count, Ordering::Relaxed);
        self.unrecorded.fetch_add(count, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for AuditTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTable")
            .field("overflow", &self.shared.overflow)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

/// Holds the writer while it lives (see [`AuditTable::hold`]).
#[derive(Debug)]
pub struct AuditHold {
    _guard: OwnedMutexGuard<()>,
}

impl AuditTable {
    /// Starts the writer on the app's database with the settings under
    /// `initializers.privates.audit`, and installs the table in the app context (where
    /// [`shutdown`] finds it). Call it in `Hooks::initializers` and hand the table to
    /// [`PrivatesInitializer::audit`](privates::PrivatesInitializer::audit).
    ///
    /// # Errors
    /// [`Error::Config`] naming the key of a malformed `audit` block.
    pub fn start(ctx: &AppContext) -> Result<Self, Error> {
        let settings = TableSettings::from_loco(&ctx.config)?;
        let table = Self::spawn(ctx.db.clone(), &settings);
        ctx.shared_store.insert(table.clone());
        Ok(table)
    }

    /// Starts the writer on `db` with `config`'s queue, batch and overflow policy.
    #[must_use]
    pub fn spawn(db: DatabaseConnection, config: &TableSettings) -> Self {
        let queue = config.queue.map_or(DEFAULT_QUEUE, usize::from);
        let batch = config.batch.map_or(DEFAULT_BATCH, usize::from);
        let (sender, receiver) = mpsc::channel(queue);
        let writer = Writer {
            #[cfg(feature = "sqlite")]
            inserts: crate::sqlite::SqliteInserts::open(&db),
            db: db.clone(),
            batch,
            counters: Arc::new(Counters::default()),
            gate: Arc::new(tokio::sync::Mutex::new(())),
        };
        let closing = Arc::new(Notify::new());
        let shared = Shared {
            sender,
            db,
            overflow: config.overflow,
            counters: Arc::clone(&writer.counters),
            gate: Arc::clone(&writer.gate),
            closing: Arc::clone(&closing),
            writer: Mutex::new(None),
        };
        let handle = tokio::spawn(writer.run(receiver, closing));
        if let Ok(mut slot) = shared.writer.lock() {
            *slot = Some(handle);
        }
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The table installed by [`start`](Self::start).
    #[must_use]
    pub fn from_ctx(ctx: &AppContext) -> Option<Self> {
        ctx.shared_store.get::<Self>()
    }

    /// Events dropped since the start: by a full queue (`audit.overflow: drop`), or because
    /// the database failed to take them.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.shared.counters.total.load(Ordering::Relaxed)
    }

    /// Holds the writer until the returned guard is dropped: events queue up, and once the
    /// queue is full the overflow policy applies. For a maintenance window of the database
    /// (and for tests of the policies).
    pub async fn hold(&self) -> AuditHold {
        AuditHold {
            _guard: Arc::clone(&self.shared.gate).lock_owned().await,
        }
    }

    /// Stops the writer once every queued event is written (and the count of dropped ones
    /// recorded), and returns then. Events of requests still finishing (loco's own serve runs
    /// `Hooks::on_shutdown` before its open requests are done) are written one by one, on their
    /// request. Call it from `on_shutdown` ([`shutdown`]). Later calls return at once.
    pub async fn close(&self) {
        self.shared.closing.notify_one();
        let handle = self
            .shared
            .writer
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        if let Some(handle) = handle
            && let Err(err) = handle.await
        {
            tracing::error!(target: privates::audit::TARGET, error = %err, "the audit writer failed");
        }
    }

    /// Writes one row at once: for the requests that finish after [`close`](Self::close)
    /// (loco's own serve runs `on_shutdown` before its open requests are done).
    async fn write_now(&self, row: events::ActiveModel) {
        if let Err(err) = events::Entity::insert(row).exec(&self.shared.db).await {
            tracing::error!(target: privates::audit::TARGET, error = %err, "could not write an audit event");
            self.shared.counters.drop_one();
        }
    }
}

/// Finds the table [`AuditTable::start`] installed and [closes](AuditTable::close) it: call it
/// in `Hooks::on_shutdown`.
pub async fn shutdown(ctx: &AppContext) {
    if let Some(table) = AuditTable::from_ctx(ctx) {
        table.close().await;
    }
}

impl AuditSink for AuditTable {
    fn record<'a>(&'a self, event: &'a AuditEvent<'a>) -> BoxFuture<'a, Result<(), Overloaded>> {
        use mpsc::error::TrySendError;
        let row = row(event);
        Box::pin(async move {
            let sent = match self.shared.overflow {
                Overflow::Wait => (self.shared.sender.send(row).await)
                    .map_err(|closed| TrySendError::Closed(closed.0)),
                Overflow::Drop | Overflow::Refuse => self.shared.sender.try_send(row),
            };
            match sent {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) if self.shared.overflow == Overflow::Refuse => {
                    Err(Overloaded)
                }
                Err(TrySendError::Full(_)) => {
                    self.shared.counters.drop_one();
                    Ok(())
                }
                Err(TrySendError::Closed(row)) => {
                    self.write_now(row).await;
                    Ok(())
                }
            }
        })
    }
}

/// The row of `event`.
fn row(event: &AuditEvent<'_>) -> events::ActiveModel {
    let (who, user_id, link_expires) = match &event.who {
        Who::Anonymous => ("anonymous", None, None),
        Who::User(id) => ("user", id.clone(), None),
        Who::Link(expires) => ("link", None, expires.and_then(|e| i64::try_from(e).ok())),
    };
    let (status, refused_by, backend) = match event.outcome {
        Outcome::Served(status, backend) => (status, None, Some(backend.name().to_owned())),
        Outcome::Refused(status, check) => (status, Some(check_name(check).to_owned()), None),
    };
    events::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        at_ms: Set(unix_ms(event.at)),
        who: Set(who.to_owned()),
        user_id: Set(user_id),
        link_expires: Set(link_expires),
        app: Set(event.app.to_owned()),
        model: Set(event.model.to_owned()),
        pk: Set(storable_key(&event.pk)),
        field: Set(event.field.to_owned()),
        name: Set(event.name.clone()),
        status: Set(i32::from(status)),
        refused_by: Set(refused_by),
        backend: Set(backend),
        client: Set(event.client.map(|ip| ip.to_string())),
        request_id: Set(event.request_id.map(str::to_owned)),
    }
}

/// The requested key as a column can hold it whatever a client sent: without NUL (PostgreSQL
/// refuses it in text) and at most 255 characters (the index's limit), so no request can make
/// a row, and the batch it rides in, fail.
fn storable_key(pk: &str) -> String {
    pk.chars().filter(|c| *c != '\0').take(255).collect()
}

/// The background writer.
struct Writer {
    /// On an SQLite file, the events go through these (see [`crate::sqlite`]).
    #[cfg(feature = "sqlite")]
    inserts: Option<crate::sqlite::SqliteInserts>,
    db: DatabaseConnection,
    batch: usize,
    counters: Arc<Counters>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Writer {
    async fn run(self, mut receiver: mpsc::Receiver<events::ActiveModel>, closing: Arc<Notify>) {
        let mut rows = Vec::with_capacity(self.batch);
        let mut open = true;
        loop {
            let received = if open {
                tokio::select! {
                    received = receiver.recv_many(&mut rows, self.batch) => received,
                    () = closing.notified() => {
                        // No more sends; what the queue holds is still received, then 0.
                        receiver.close();
                        open = false;
                        continue;
                    }
                }
            } else {
                receiver.recv_many(&mut rows, self.batch).await
            };
            if received == 0 {
                break;
            }
            if open && rows.len() < self.batch {
                open = self.fill(&mut receiver, &mut rows, &closing).await;
            }
            self.write(&mut rows).await;
        }
        self.record_drops().await;
    }

    /// Waits up to [`LINGER`] for more events to fill the batch: under load a batch then
    /// carries many events instead of one or two, and each insert's own cost (a round trip, a
    /// statement, a commit) is shared. Returns `false` once the table is closing.
    async fn fill(
        &self,
        receiver: &mut mpsc::Receiver<events::ActiveModel>,
        rows: &mut Vec<events::ActiveModel>,
        closing: &Notify,
    ) -> bool {
        let linger = tokio::time::sleep(LINGER);
        tokio::pin!(linger);
        while rows.len() < self.batch {
            let room = self.batch - rows.len();
            tokio::select! {
                received = receiver.recv_many(rows, room) => if received == 0 { break },
                () = &mut linger => break,
                () = closing.notified() => {
                    receiver.close();
                    return false;
                }
            }
        }
        true
    }

    async fn write(&self, rows: &mut Vec<events::ActiveModel>) {
        let _gate = self.gate.lock().await;
        let batch = std::mem::take(rows);
        #[cfg(feature = "sqlite")]
        if let Some(inserts) = &self.inserts {
            let errors = inserts.insert(batch).await;
            for error in &errors {
                tracing::error!(target: privates::audit::TARGET, %error, "could not write an audit event");
            }
            self.counters
                .drop_many(u64::try_from(errors.len()).unwrap_or(u64::MAX));
            self.record_drops().await;
            return;
        }
        // Without `RETURNING`: no id comes back, row by row, from the database.
        let inserted = events::Entity::insert_many(batch.clone())
            .exec_without_returning(&self.db)
            .await;
        if inserted.is_err() {
            // One bad row must not take the others with it: each on its own.
            for row in batch {
                if let Err(err) = events::Entity::insert(row).exec(&self.db).await {
                    tracing::error!(target: privates::audit::TARGET, error = %err, "could not write an audit event");
                    self.counters.drop_many(1);
                }
            }
        }
        self.record_drops().await;
    }

    /// Logs and records the events dropped since the last call.
    async fn record_drops(&self) {
        let count = self.counters.unrecorded.swap(0, Ordering::Relaxed);
        if count == 0 {
            return;
        }
        let total = self.counters.total.load(Ordering::Relaxed);
        tracing::warn!(target: privates::audit::TARGET, dropped = count, total, "{count} audit event(s) dropped (the queue was full or the table refused them)");
        let row = drops::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            at_ms: Set(unix_ms(std::time::SystemTime::now())),
            count: Set(i64::try_from(count).unwrap_or(i64::MAX)),
        };
        if let Err(err) = drops::Entity::insert(row).exec(&self.db).await {
            tracing::error!(target: privates::audit::TARGET, error = %err, "could not record the dropped audit events");
            // Kept for the next attempt, so the table's count stays whole.
            self.counters.unrecorded.fetch_add(count, Ordering::Relaxed);
        }
    }
}

//! The two reads on every download, the session's user with their permissions and the
//! document, straight from SQLite on the request's own thread.
//!
//! Why not SeaORM here: sqlx's SQLite driver runs each connection on a thread of its own and
//! hands it every query through channels, so a query costs two thread switches each way
//! (measured on the 2-core benchmark machine: 8 context switches and ~250 µs of CPU per
//! download for the two queries, against SQLite's own few microseconds). A point read by
//! primary or unique key in WAL mode takes microseconds and never waits for a writer, so it
//! runs inline, like a short lock. Nothing is cached: every request reads the rows as they
//! are, so a revoked permission, a deleted user or a replaced file takes effect on the next
//! request. Writes (admin pages, seeds, migrations) stay on SeaORM.
//!
//! A download's reads share one read transaction ([`Reads::one_snapshot`], a layer on the
//! download routes): beginning and ending a WAL read transaction takes and drops a lock in
//! the database's shared memory (an `fcntl` each), and that, not the queries, was most of the
//! reads' cost (measured: 60 % of their CPU time with a transaction per read). One snapshot
//! per request also means the user and the document are read as of the same moment.
//!
//! Used only for a database file; an in-memory database (one per connection) falls back to
//! SeaORM.

use std::{
    cell::RefCell,
    future::Future,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use loco_rs::app::AppContext;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

use crate::{
    auth::SessionUser,
    models::{iddocuments, users},
};

/// Idle connections kept for reuse; more are opened under load and closed when returned.
const MAX_IDLE: usize = 16;

tokio::task_local! {
    /// The connection holding the current request's read transaction, once its first read has
    /// begun it (see [`Reads::one_snapshot`]).
    static SNAPSHOT: RefCell<Option<Connection>>;
}

/// A small pool of read-only SQLite connections (see the module docs).
#[derive(Clone, Debug)]
pub struct Reads {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reads {
    /// Reads from the database file of loco's `database.uri`; `None` for anything but an
    /// SQLite file.
    #[must_use]
    pub fn for_uri(uri: &str) -> Option<Self> {
        let options = SqliteConnectOptions::from_str(uri).ok()?;
        let path = options.get_filename();
        if path == Path::new(":memory:") || path.as_os_str().is_empty() {
            return None;
        }
        Some(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The reads installed in the app context, if any.
    #[must_use]
    pub fn from_ctx(ctx: &AppContext) -> Option<Self> {
        ctx.shared_store.get::<Self>()
    }

    /// Makes these the app's reads.
    pub fn install(&self, ctx: &AppContext) {
        ctx.shared_store.insert(self.clone());
    }

    /// The user whose public id is `pid`, with their permissions.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn session_user(&self, pid: uuid::Uuid) -> rusqlite::Result<Option<SessionUser>> {
        self.with(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT u.id, u.email, u.password, u.is_superuser, u.session_version, \
                 p.permission \
                 FROM users u LEFT JOIN user_permissions p ON p.user_id = u.id \
                 WHERE u.pid = ?1",
            )?;
            let mut rows = statement.query([pid])?;
            let mut session: Option<SessionUser> = None;
            while let Some(row) = rows.next()? {
                let session = match &mut session {
                    Some(session) => session,
                    None => session.insert(SessionUser {
                        user: users::Model {
                            id: row.get(0)?,
                            pid,
                            email: row.get(1)?,
                            password: row.get(2)?,
                            is_superuser: row.get(3)?,
                            session_version: row.get(4)?,
                        },
                        permissions: Vec::new(),
                    }),
                };
                if let Some(permission) = row.get::<_, Option<String>>(5)? {
                    session.permissions.push(permission);
                }
            }
            Ok(session)
        })
    }

    /// The ID document `id`.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn document(&self, id: i32) -> rusqlite::Result<Option<iddocuments::Model>> {
        self.with(|conn| {
            conn.prepare_cached("SELECT id, title, pdf, mugshot FROM id_documents WHERE id = ?1")?
                .query_row([id], |row| {
                    Ok(iddocuments::Model {
                        id: row.get(0)?,
                        title: row.get(1)?,
                        pdf: row.get(2)?,
                        mugshot: row.get(3)?,
                    })
                })
                .optional()
        })
    }

    /// Runs `work` with all of its reads (on this task) in one read transaction, which ends
    /// when `work` is done.
    ///
    /// Keep `work` short, as a download's checks are: while the transaction is open, a WAL
    /// checkpoint cannot move past its snapshot.
    pub async fn one_snapshot<F: Future>(&self, work: F) -> F::Output {
        let (output, conn) = SNAPSHOT
            .scope(RefCell::new(None), async {
                let output = work.await;
                (output, SNAPSHOT.with(RefCell::take))
            })
            .await;
        if let Some(conn) = conn {
            // A read transaction has nothing to write; a connection whose transaction cannot
            // be ended cleanly is dropped rather than reused.
            if conn
                .prepare_cached("COMMIT")
                .and_then(|mut commit| commit.execute([]))
                .is_ok()
            {
                self.check_in(conn);
            }
        }
        output
    }

    /// Runs `read` in the current snapshot (see [`Reads::one_snapshot`]), or else on an idle
    /// connection in a transaction of its own.
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        if SNAPSHOT.try_with(|_| ()).is_ok() {
            return SNAPSHOT.with(|slot| {
                let mut slot = slot.borrow_mut();
                let conn = match slot.take() {
                    Some(conn) => conn,
                    None => {
                        let conn = self.check_out()?;
                        conn.prepare_cached("BEGIN")?.execute([])?;
                        conn
                    }
                };
                read(slot.insert(conn))
            });
        }
        let conn = self.check_out()?;
        let result = read(&conn);
        if result.is_ok() {
            self.check_in(conn);
        }
        result
    }

    /// An idle connection, or a new one.
    fn check_out(&self) -> rusqlite::Result<Connection> {
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.open(),
        }
    }

    /// Keeps `conn` for reuse (up to [`MAX_IDLE`]).
    fn check_in(&self, conn: Connection) {
        let mut idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.inner.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Loco's (and the writers') pragmas that matter to a reader.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "mmap_size", 134_217_728)?;
        conn.pragma_update(None, "cache_size", 2000)?;
        Ok(conn)
    }
}

/// The download view finds documents through [`Reads::document`] (SeaORM without a database
/// file).
#[async_trait::async_trait]
impl privates::FindByPk for iddocuments::Model {
    async fn find_by_pk(ctx: &AppContext, pk: &i32) -> loco_rs::Result<Option<Self>> {
        match Reads::from_ctx(ctx) {
            Some(reads) => reads.document(*pk).map_err(loco_rs::Error::wrap),
            None => Ok(
                <iddocuments::Entity as sea_orm::EntityTrait>::find_by_id(*pk)
                    .one(&ctx.db)
                    .await?,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn database() -> (tempfile::TempDir, Reads, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE id_documents (id INTEGER PRIMARY KEY, title TEXT NOT NULL,
                     pdf TEXT NOT NULL, mugshot TEXT NOT NULL);
                 INSERT INTO id_documents VALUES (1, 'first', 'a.pdf', '');",
            )
            .unwrap();
        let reads = Reads::for_uri(&format!("sqlite://{}?mode=rwc", path.display())).unwrap();
        (dir, reads, writer)
    }

    fn title(reads: &Reads) -> String {
        reads.document(1).unwrap().unwrap().title
    }

    #[tokio::test]
    async fn reads_in_one_snapshot_see_one_moment_and_the_next_request_sees_the_change() {
        let (_dir, reads, writer) = database();
        let seen = reads
            .one_snapshot(async {
                let before = title(&reads);
                writer
                    .execute("UPDATE id_documents SET title = 'second' WHERE id = 1", [])
                    .unwrap();
                (before, title(&reads))
            })
            .await;
        assert_eq!(seen, ("first".to_string(), "first".to_string()));
        // The transaction ended with the scope: the connection went back to the pool and
        // the next read (in a snapshot or not) sees the write.
        assert_eq!(title(&reads), "second");
        assert_eq!(reads.one_snapshot(async { title(&reads) }).await, "second");
        assert_eq!(reads.inner.idle.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn without_a_snapshot_each_read_sees_the_latest_write() {
        let (_dir, reads, writer) = database();
        assert_eq!(title(&reads), "first");
        writer
            .execute("UPDATE id_documents SET title = 'second' WHERE id = 1", [])
            .unwrap();
        assert_eq!(title(&reads), "second");
    }
}

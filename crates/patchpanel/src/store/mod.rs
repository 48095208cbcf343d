//! The embedded store (SQLite, `PATCHPANEL_DB`): the sources' cursors, the NetBox change records
//! already handled, the chat events already answered (so a replay after a restart is not answered
//! twice), a record of every job (the outbox: a job's state is written before its effects run,
//! so a restart neither loses nor repeats work), and the items a source parked after a failed
//! attempt (retried on their own backoff while the source's cursor moves on); ticket-driven
//! changes with their history and outbox (`change.rs`).
//!
//! SQLite calls are short but blocking, so each one runs on a blocking thread; one connection behind a
//! mutex serializes them (the bot writes a few rows per change, not a stream).

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod audit;
mod change;
mod config_watch;
mod job;
mod schema;

pub use audit::{AuditEntry, Verified};
pub use change::{Committed, HistoryEntry, OpenEffect};
pub use config_watch::{
    ConfigChangeRow, NewConfigChange, StoredSnapshot, CONFIG_CHANGE_KIND, OWN_CHANGE_KINDS,
};
pub use job::JobState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file cannot be opened or created: fix the path or its permissions.
    #[error("cannot open the store at {path}: {source} (set PATCHPANEL_DB to a writable file)")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer patchpanel: run that version, or point PATCHPANEL_DB elsewhere.
    #[error("the store was written by a newer patchpanel (schema {found}; this one knows up to {supported}): run that version or set PATCHPANEL_DB to another file")]
    NewerSchema { found: i64, supported: i64 },
    /// A read or write failed (disk full, file locked by another process, corrupt file, …).
    #[error("the store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value no longer reads back (a hand-edited file, or a bug): the store names what.
    #[error("the store holds {what} that cannot be read: {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A change named by an outbox entry or a transition is not in the store.
    #[error("the store has no change {0}")]
    NoSuchChange(String),
    /// The blocking worker of one store call stopped before answering; the call's effect is unknown.
    #[error("the store's worker stopped: {0}")]
    WorkerStopped(#[source] tokio::task::JoinError),
}

/// One job as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub key: String,
    /// The owner's name for the kind of work (e.g. `netbox-interface`).
    pub kind: String,
    pub state: JobState,
    /// What happened on the device, in the owner's words (`applied (3 changes)`, `not valid: …`);
    /// empty until known.
    pub outcome: String,
    /// What followed the outcome, or why the job stopped (`ticket cleared`, `gave up after …`).
    pub detail: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// An item a source set aside after a failed attempt, to offer again at `next_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    /// The source's name (e.g. `netbox`).
    pub source: String,
    /// The source's id of the item (e.g. the NetBox interface id).
    pub item: u64,
    pub ticket: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Unix milliseconds of the next attempt.
    pub next_at_ms: i64,
    /// Why the last attempt failed.
    pub reason: String,
}

/// A write transaction that takes the write lock when it begins, waiting through the busy timeout
/// for another connection (a second process, `patchpanel audit`, a test reading the file). A
/// deferred one would start as a reader and, upgrading, fail at once with "database is locked":
/// SQLite skips the busy handler there to avoid a deadlock.
fn write_tx(conn: &Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
}

/// Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source: rusqlite::Error| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        // First, so that every statement after it (switching to WAL included) waits for another
        // connection's lock instead of failing at once: `patchpanel audit verify` beside a
        // running bot, or a bot restarting while a reader has the file open.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// A store that lives as long as the process (tests, `demo`).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (transactions), so a
            // poisoned mutex still guards a usable connection.
            let guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&guard)
        })
        .await
        .map_err(StoreError::WorkerStopped)?
    }

    pub async fn cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            let v: Option<i64> = c
                .query_row(
                    "SELECT value FROM cursor WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(v.map(|v| v.max(0) as u64))
        })
        .await
    }

    pub async fn set_cursor(&self, name: &str, value: u64) -> Result<(), StoreError> {
        let name = name.to_owned();
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        self.with(move |c| {
            c.execute(
                "INSERT INTO cursor (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
            Ok(())
        })
        .await
    }

    /// Which of `ids` were already marked handled for `source`.
    pub async fn seen(&self, source: &str, ids: &[u64]) -> Result<Vec<u64>, StoreError> {
        let source = source.to_owned();
        let ids = ids.to_vec();
        self.with(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT 1 FROM seen_change WHERE source = ?1 AND id = ?2")?;
            let mut out = Vec::new();
            for id in ids {
                let id_i = i64::try_from(id).unwrap_or(i64::MAX);
                if stmt.exists(params![source, id_i])? {
                    out.push(id);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Marks `id` handled for `source` and forgets ids below `keep_from` (they are behind the cursor
    /// and its overlap window, so they are never read again).
    pub async fn mark_seen(&self, source: &str, id: u64, keep_from: u64) -> Result<(), StoreError> {
        let source = source.to_owned();
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        let keep_from = i64::try_from(keep_from).unwrap_or(i64::MAX);
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO seen_change (source, id) VALUES (?1, ?2)",
                params![source, id],
            )?;
            c.execute(
                "DELETE FROM seen_change WHERE source = ?1 AND id < ?2",
                params![source, keep_from],
            )?;
            Ok(())
        })
        .await
    }

    /// Records event `id` of `source` as seen at `at`; true when it was not seen within `window`
    /// before (handle it), false for a repeat. Entries older than `window` are forgotten here, so
    /// the table holds one window of events.
    pub async fn first_seen(
        &self,
        source: &str,
        id: &str,
        at: SystemTime,
        window: Duration,
    ) -> Result<bool, StoreError> {
        let (source, id) = (source.to_owned(), id.to_owned());
        let at = unix(at);
        let horizon = at.saturating_sub(i64::try_from(window.as_secs()).unwrap_or(i64::MAX));
        self.with(move |c| {
            c.execute(
                "DELETE FROM seen_event WHERE source = ?1 AND at <= ?2",
                params![source, horizon],
            )?;
            let added = c.execute(
                "INSERT OR IGNORE INTO seen_event (source, id, at) VALUES (?1, ?2, ?3)",
                params![source, id, at],
            )?;
            Ok(added == 1)
        })
        .await
    }

    /// Records how the bot finished with event `id` of `source` (e.g. `answered in 1 part`), so
    /// that "answered exactly once" can be read from the store instead of waited out.
    pub async fn finish_event(
        &self,
        source: &str,
        id: &str,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let (source, id, outcome) = (source.to_owned(), id.to_owned(), outcome.to_owned());
        self.with(move |c| {
            c.execute(
                "UPDATE seen_event SET outcome = ?3 WHERE source = ?1 AND id = ?2",
                params![source, id, outcome],
            )?;
            Ok(())
        })
        .await
    }

    /// Where event `id` of `source` stands: `None` when it was not seen (within the window),
    /// `Some(None)` while it is being handled, `Some(Some(outcome))` once the bot is done with it.
    pub async fn event_outcome(
        &self,
        source: &str,
        id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        let (source, id) = (source.to_owned(), id.to_owned());
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT outcome FROM seen_event WHERE source = ?1 AND id = ?2",
                params![source, id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?)
        })
        .await
    }

    pub async fn job(&self, key: &str) -> Result<Option<JobRecord>, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT key, kind, state, outcome, detail, created_at, updated_at FROM job
                 WHERE key = ?1",
                params![key],
                job_row,
            )
            .optional()?)
        })
        .await
    }

    /// Creates or updates a job's state (written before the effect it announces runs).
    pub async fn put_job(
        &self,
        key: &str,
        kind: &str,
        state: JobState,
        outcome: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let (key, kind, outcome, detail) = (
            key.to_owned(),
            kind.to_owned(),
            outcome.to_owned(),
            detail.to_owned(),
        );
        let now = now();
        self.with(move |c| {
            c.execute(
                "INSERT INTO job (key, kind, state, outcome, detail, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT(key) DO UPDATE SET state = excluded.state,
                     outcome = excluded.outcome, detail = excluded.detail,
                     updated_at = excluded.updated_at",
                params![key, kind, state, outcome, detail, now],
            )?;
            Ok(())
        })
        .await
    }

    /// Parks an item (or updates the parked item of the same source and id).
    pub async fn park(&self, p: &Parked) -> Result<(), StoreError> {
        let p = p.clone();
        self.with(move |c| {
            c.execute(
                "INSERT INTO parked (source, item, ticket, attempts, next_at_ms, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(source, item) DO UPDATE SET ticket = excluded.ticket,
                     attempts = excluded.attempts, next_at_ms = excluded.next_at_ms,
                     reason = excluded.reason",
                params![
                    p.source,
                    i64::try_from(p.item).unwrap_or(i64::MAX),
                    p.ticket,
                    p.attempts,
                    p.next_at_ms,
                    p.reason
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Forgets a parked item (handled, or given up); nothing when it is not parked.
    pub async fn unpark(&self, source: &str, item: u64) -> Result<(), StoreError> {
        let source = source.to_owned();
        let item = i64::try_from(item).unwrap_or(i64::MAX);
        self.with(move |c| {
            c.execute(
                "DELETE FROM parked WHERE source = ?1 AND item = ?2",
                params![source, item],
            )?;
            Ok(())
        })
        .await
    }

    /// A source's parked items, the soonest due first, at most `limit`.
    pub async fn parked(&self, source: &str, limit: usize) -> Result<Vec<Parked>, StoreError> {
        let source = source.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT source, item, ticket, attempts, next_at_ms, reason FROM parked
                 WHERE source = ?1 ORDER BY next_at_ms, item LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![source, limit], |r| {
                Ok(Parked {
                    source: r.get(0)?,
                    item: r.get::<_, i64>(1)?.max(0) as u64,
                    ticket: r.get(2)?,
                    attempts: r.get(3)?,
                    next_at_ms: r.get(4)?,
                    reason: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The newest jobs of a kind, newest first (the audit trail).
    pub async fn jobs(&self, kind: &str, limit: usize) -> Result<Vec<JobRecord>, StoreError> {
        let kind = kind.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT key, kind, state, outcome, detail, created_at, updated_at FROM job
                 WHERE kind = ?1 ORDER BY updated_at DESC, rowid DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![kind, limit], job_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    Ok(JobRecord {
        key: r.get(0)?,
        kind: r.get(1)?,
        state: r.get(2)?,
        outcome: r.get(3)?,
        detail: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

fn now() -> i64 {
    unix(SystemTime::now())
}

/// Unix seconds (0 for a clock before 1970).
fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;

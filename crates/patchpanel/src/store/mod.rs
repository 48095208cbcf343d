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

mod change;
mod job;
mod schema;

pub use change::{Committed, HistoryEntry, OpenEffect};
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
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
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
mod tests {
    use super::*;

    /// The same checks for every way of opening a store.
    async fn conformance(store: &Store) {
        assert_eq!(store.cursor("netbox").await.unwrap(), None);
        store.set_cursor("netbox", 41).await.unwrap();
        store.set_cursor("netbox", 42).await.unwrap();
        assert_eq!(store.cursor("netbox").await.unwrap(), Some(42));
        assert_eq!(store.cursor("zammad").await.unwrap(), None);

        store.mark_seen("netbox", 10, 0).await.unwrap();
        store.mark_seen("netbox", 11, 0).await.unwrap();
        assert_eq!(
            store.seen("netbox", &[9, 10, 11]).await.unwrap(),
            vec![10, 11]
        );
        assert_eq!(store.seen("other", &[10]).await.unwrap(), Vec::<u64>::new());
        // Marking with a higher floor forgets what is behind it.
        store.mark_seen("netbox", 20, 11).await.unwrap();
        assert_eq!(
            store.seen("netbox", &[10, 11, 20]).await.unwrap(),
            vec![11, 20]
        );

        assert_eq!(store.job("k").await.unwrap(), None);
        store
            .put_job("k", "netbox-interface", JobState::Received, "", "")
            .await
            .unwrap();
        store
            .put_job(
                "k",
                "netbox-interface",
                JobState::Done,
                "applied",
                "ticket cleared",
            )
            .await
            .unwrap();
        let job = store.job("k").await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.outcome.as_str(), job.detail.as_str()),
            (JobState::Done, "applied", "ticket cleared")
        );
        store
            .put_job("k2", "netbox-interface", JobState::Received, "", "")
            .await
            .unwrap();
        let all = store.jobs("netbox-interface", 10).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(store.jobs("zammad", 10).await.unwrap(), vec![]);

        // How an event ended: unknown, in progress, done.
        assert_eq!(store.event_outcome("webex", "ev-x").await.unwrap(), None);
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert!(store
            .first_seen("webex", "ev-x", t, Duration::from_secs(60))
            .await
            .unwrap());
        assert_eq!(
            store.event_outcome("webex", "ev-x").await.unwrap(),
            Some(None)
        );
        store
            .finish_event("webex", "ev-x", "answered in 1 part")
            .await
            .unwrap();
        assert_eq!(
            store.event_outcome("webex", "ev-x").await.unwrap(),
            Some(Some("answered in 1 part".to_owned()))
        );

        // Seen events: a repeat within the window is refused, per source; the window forgets.
        let day = Duration::from_secs(24 * 3600);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hours = |h: u64| t0 + Duration::from_secs(h * 3600);
        assert!(store.first_seen("webex", "act-1", t0, day).await.unwrap());
        assert!(!store
            .first_seen("webex", "act-1", hours(23), day)
            .await
            .unwrap());
        assert!(store.first_seen("zammad", "act-1", t0, day).await.unwrap());
        assert!(store
            .first_seen("webex", "act-2", hours(1), day)
            .await
            .unwrap());
        // A day after act-1 was first seen it is forgotten; act-2 (seen an hour later) is not yet.
        assert!(store
            .first_seen("webex", "act-1", hours(24), day)
            .await
            .unwrap());
        assert!(!store
            .first_seen("webex", "act-2", hours(24), day)
            .await
            .unwrap());
        // What is left for the restart check below: act-1 seen at 24 h, act-2 at 1 h.
        let parked = |item, attempts, next_at_ms| Parked {
            source: "netbox".into(),
            item,
            ticket: format!("CHG-{item}"),
            attempts,
            next_at_ms,
            reason: "HTTP 500".into(),
        };
        assert_eq!(store.parked("netbox", 10).await.unwrap(), vec![]);
        store.park(&parked(7, 1, 2_000)).await.unwrap();
        store.park(&parked(3, 1, 1_000)).await.unwrap();
        store.park(&parked(7, 2, 5_000)).await.unwrap();
        assert_eq!(
            store.parked("netbox", 10).await.unwrap(),
            vec![parked(3, 1, 1_000), parked(7, 2, 5_000)],
            "soonest first; parking again updates"
        );
        assert_eq!(store.parked("netbox", 1).await.unwrap().len(), 1);
        assert_eq!(store.parked("zammad", 10).await.unwrap(), vec![]);
        store.unpark("netbox", 3).await.unwrap();
        store.unpark("netbox", 99).await.unwrap();
        assert_eq!(
            store.parked("netbox", 10).await.unwrap(),
            vec![parked(7, 2, 5_000)]
        );
    }

    #[tokio::test]
    async fn in_memory_store_conforms() {
        conformance(&Store::open_in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn file_store_conforms_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("patchpanel.db");
        {
            let store = Store::open(&path).unwrap();
            conformance(&store).await;
        }
        let reopened = Store::open(&path).unwrap();
        assert_eq!(reopened.cursor("netbox").await.unwrap(), Some(42));
        assert_eq!(
            reopened.job("k").await.unwrap().unwrap().state,
            JobState::Done
        );
        let day = Duration::from_secs(24 * 3600);
        let later = UNIX_EPOCH + Duration::from_secs(1_800_000_000 + 25 * 3600);
        assert!(
            !reopened
                .first_seen("webex", "act-1", later, day)
                .await
                .unwrap(),
            "seen events survive a restart"
        );
        assert_eq!(reopened.parked("netbox", 10).await.unwrap().len(), 1);
    }

    /// A file written by the first release (no schema version, the outcome joined to the detail)
    /// opens, and its jobs read back with the outcome in its own field.
    #[tokio::test]
    async fn a_version_0_file_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE job (key TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
                     detail TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                 CREATE TABLE cursor (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 INSERT INTO cursor VALUES ('netbox', 7);
                 INSERT INTO job VALUES
                   ('a', 'netbox-interface', 'done', 'applied (2 changes) | ticket cleared', 1, 2),
                   ('b', 'netbox-interface', 'failed', 'received | gave up after 8 attempts: x | y', 1, 2),
                   ('c', 'netbox-interface', 'not-applied', 'not applied: rolled back', 1, 2),
                   ('d', 'netbox-interface', 'invalid', 'mtu 5 is out of range', 1, 2),
                   ('e', 'netbox-interface', 'applying', '', 1, 2);",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.cursor("netbox").await.unwrap(), Some(7));
        let job = |k: &'static str| {
            let store = store.clone();
            async move { store.job(k).await.unwrap().unwrap() }
        };
        let split = |j: JobRecord| (j.state, j.outcome, j.detail);
        assert_eq!(
            split(job("a").await),
            (
                JobState::Done,
                "applied (2 changes)".into(),
                "ticket cleared".into()
            )
        );
        assert_eq!(
            split(job("b").await),
            (
                JobState::Failed,
                "received".into(),
                "gave up after 8 attempts: x | y".into()
            )
        );
        assert_eq!(
            split(job("c").await),
            (
                JobState::NotApplied,
                "not applied: rolled back".into(),
                "".into()
            )
        );
        assert_eq!(
            split(job("d").await),
            (JobState::Invalid, "mtu 5 is out of range".into(), "".into())
        );
        assert_eq!(
            split(job("e").await),
            (JobState::Applying, "".into(), "".into())
        );
        drop(store);
        // Opening again is a no-op (the version is current).
        let again = Store::open(&path).unwrap();
        assert_eq!(split(job_of(&again, "a").await).1, "applied (2 changes)");
    }

    async fn job_of(store: &Store, key: &str) -> JobRecord {
        store.job(key).await.unwrap().unwrap()
    }

    #[test]
    fn a_newer_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(
            matches!(e, StoreError::NewerSchema { found: 99, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("PATCHPANEL_DB"), "{e}");
    }

    #[test]
    fn an_unwritable_path_says_what_to_fix() {
        let e = Store::open(Path::new("/nonexistent-dir/x/patchpanel.db")).unwrap_err();
        assert!(e.to_string().contains("PATCHPANEL_DB"), "{e}");
    }
}

//! The store's tables and their versions: a new file gets the current schema; an older file is
//! migrated step by step inside one transaction (`PRAGMA user_version` says where it stands), and a
//! file written by a newer patchpanel is refused rather than misread.

use super::StoreError;
use rusqlite::Connection;

/// The schema this build writes. 0: the first release (no version set). 1: a job's outcome in its
/// own column instead of joined to the detail with `" | "`. 2: how a seen chat event ended.
/// 3: ticket-driven changes (records, history, outbox, handled ticket versions). 4: the audit log.
/// 5: configuration snapshots and the changes seen on devices.
pub const CURRENT: i64 = 5;

/// Every table at version 0; later versions change them in [`migrate`].
const TABLES_V0: &str = "
CREATE TABLE IF NOT EXISTS cursor (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_change (
    source TEXT NOT NULL,
    id     INTEGER NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE TABLE IF NOT EXISTS job (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_kind_updated ON job (kind, updated_at);
CREATE TABLE IF NOT EXISTS seen_event (
    source TEXT NOT NULL,
    id     TEXT NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX IF NOT EXISTS seen_event_at ON seen_event (source, at);
CREATE TABLE IF NOT EXISTS parked (
    source     TEXT NOT NULL,
    item       INTEGER NOT NULL,
    ticket     TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    next_at_ms INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (source, item)
);
";

/// Version 0 → 1: `job.outcome`. Version 0 kept the outcome (what happened on the device) at the
/// front of `detail`, joined to what followed (the ticket clear, giving up) by `" | "` for `done`
/// and `failed` jobs, and as the whole `detail` for `invalid`, `applied` and `not-applied` ones.
const V0_TO_V1: &str = "
ALTER TABLE job ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
UPDATE job SET outcome = substr(detail, 1, instr(detail, ' | ') - 1),
               detail  = substr(detail, instr(detail, ' | ') + 3)
 WHERE state IN ('done', 'failed') AND instr(detail, ' | ') > 0;
UPDATE job SET outcome = detail, detail = ''
 WHERE state IN ('invalid', 'applied', 'not-applied');
";

/// Version 1 → 2: `seen_event.outcome`, how the bot finished with the event (`NULL` while it is
/// being handled, and for events of earlier versions).
const V1_TO_V2: &str = "ALTER TABLE seen_event ADD COLUMN outcome TEXT;";

/// Brings the file to [`CURRENT`] (a new file is created at version 0 and migrated like any other,
/// so there is one path to the current schema).
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::NewerSchema {
            found,
            supported: CURRENT,
        });
    }
    // IMMEDIATE: the write lock is taken (waiting through the busy timeout) before anything is
    // read. A deferred transaction would start as a reader and, finding another writer when it
    // upgrades, fail at once with "database is locked": SQLite skips the busy handler there.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(TABLES_V0)?;
    if found < 1 {
        tx.execute_batch(V0_TO_V1)?;
    }
    if found < 2 {
        tx.execute_batch(V1_TO_V2)?;
    }
    if found < 3 {
        tx.execute_batch(super::change::TABLES_V3)?;
    }
    if found < 4 {
        tx.execute_batch(super::audit::TABLES_V4)?;
    }
    if found < 5 {
        tx.execute_batch(super::config_watch::TABLES_V5)?;
    }
    tx.pragma_update(None, "user_version", CURRENT)?;
    tx.commit()?;
    Ok(())
}

//! Ticket-driven changes in the store: each change record (the whole record as JSON, its state's
//! word and its version in their own columns), its history, its outbox of effects, and the ticket
//! versions already handled. A transition is committed only onto the version it was computed
//! from, together with its history line and its effects, in one transaction: of two racing
//! decisions exactly one is stored, and no effect runs that was not stored first.

use super::{Store, StoreError};
use crate::approval::{ChangeId, ChangeRecord, Effect, Step, Transition};
use rusqlite::{params, Connection, OptionalExtension};

/// Tables of schema version 3.
pub(super) const TABLES_V3: &str = "
CREATE TABLE IF NOT EXISTS change_record (
    id         TEXT PRIMARY KEY,
    ticket_id  INTEGER NOT NULL,
    state      TEXT NOT NULL,
    record     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS change_record_state ON change_record (state, updated_ms);
CREATE INDEX IF NOT EXISTS change_record_ticket ON change_record (ticket_id);
CREATE TABLE IF NOT EXISTS change_history (
    change_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    state     TEXT NOT NULL,
    actor     TEXT,
    detail    TEXT NOT NULL,
    PRIMARY KEY (change_id, seq)
);
CREATE TABLE IF NOT EXISTS change_effect (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    change_id  TEXT NOT NULL,
    effect     TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    done_ms    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS change_effect_open ON change_effect (done_ms, id);
CREATE TABLE IF NOT EXISTS handled_ticket (
    ticket_id  INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, updated_at)
);
";

/// What committing a transition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// Stored, with the ids of its effects in the outbox (in order).
    Yes { effects: Vec<i64> },
    /// Someone else moved the change first; this is the record as it is now.
    Stale { current: Box<ChangeRecord> },
}

/// One line of a change's history, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at_ms: i64,
    pub state: String,
    pub actor: Option<String>,
    pub detail: String,
}

/// An effect waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEffect {
    pub id: i64,
    pub change_id: ChangeId,
    pub effect: Effect,
    /// Failed runs so far.
    pub attempts: u32,
}

fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Corrupt { what, source })
}

fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt { what, source })
}

fn version_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn add_history(tx: &Connection, id: &ChangeId, step: &Step, at_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO change_history (change_id, seq, at_ms, state, actor, detail)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM change_history WHERE change_id = ?1),
                 ?2, ?3, ?4, ?5)",
        params![id.as_str(), at_ms, step.state, step.actor, step.detail],
    )?;
    Ok(())
}

fn add_effects(
    tx: &Connection,
    id: &ChangeId,
    effects: &[Effect],
    at_ms: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(effects.len());
    for effect in effects {
        tx.execute(
            "INSERT INTO change_effect (change_id, effect, created_ms) VALUES (?1, ?2, ?3)",
            params![id.as_str(), to_json("an effect", effect)?, at_ms],
        )?;
        ids.push(tx.last_insert_rowid());
    }
    Ok(ids)
}

fn read_record(conn: &Connection, id: &str) -> Result<Option<ChangeRecord>, StoreError> {
    let text: Option<String> = conn
        .query_row(
            "SELECT record FROM change_record WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    text.map(|t| from_json("a change record", &t)).transpose()
}

impl Store {
    /// Stores a new change (`received`), its first transition and its effects, and marks the
    /// ticket version handled, in one transaction. `Ok(false)` when a change with that id exists
    /// already (nothing is written).
    pub async fn insert_change(
        &self,
        received: &ChangeRecord,
        first: &Transition,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let received_step = Step {
            state: received.state.word(),
            actor: None,
            detail: format!("ticket {}", received.ticket.number),
        };
        let received = received.clone();
        let first = first.clone();
        self.with(move |conn| {
            let tx = super::write_tx(conn)?;
            let id = &first.record.id;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO change_record
                     (id, ticket_id, state, record, version, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    id.as_str(),
                    version_i64(first.record.ticket.id),
                    first.record.state.word(),
                    to_json("a change record", &first.record)?,
                    version_i64(first.record.version),
                    at_ms
                ],
            )?;
            if inserted == 0 {
                return Ok(false);
            }
            add_history(&tx, id, &received_step, at_ms)?;
            add_history(&tx, id, &first.step, at_ms)?;
            add_effects(&tx, id, &first.effects, at_ms)?;
            tx.execute(
                "INSERT OR IGNORE INTO handled_ticket (ticket_id, updated_at, at_ms)
                 VALUES (?1, ?2, ?3)",
                params![
                    version_i64(received.ticket.id),
                    received.ticket.updated_at,
                    at_ms
                ],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    /// Commits `t` if the stored record is still at `t.record.version - 1`; otherwise answers the
    /// record as it is now and writes nothing.
    pub async fn commit_transition(
        &self,
        t: &Transition,
        at_ms: i64,
    ) -> Result<Committed, StoreError> {
        let t = t.clone();
        self.with(move |conn| {
            let tx = super::write_tx(conn)?;
            let id = &t.record.id;
            let from = t.record.version.saturating_sub(1);
            let updated = tx.execute(
                "UPDATE change_record SET state = ?2, record = ?3, version = ?4, updated_ms = ?5
                 WHERE id = ?1 AND version = ?6",
                params![
                    id.as_str(),
                    t.record.state.word(),
                    to_json("a change record", &t.record)?,
                    version_i64(t.record.version),
                    at_ms,
                    version_i64(from)
                ],
            )?;
            if updated == 0 {
                return match read_record(&tx, id.as_str())? {
                    Some(current) => Ok(Committed::Stale {
                        current: Box::new(current),
                    }),
                    None => Err(StoreError::NoSuchChange(id.to_string())),
                };
            }
            add_history(&tx, id, &t.step, at_ms)?;
            let effects = add_effects(&tx, id, &t.effects, at_ms)?;
            tx.commit()?;
            Ok(Committed::Yes { effects })
        })
        .await
    }

    pub async fn change_record(&self, id: &ChangeId) -> Result<Option<ChangeRecord>, StoreError> {
        let id = id.as_str().to_owned();
        self.with(move |conn| read_record(conn, &id)).await
    }

    /// The change people mean by `id`: that change, or for a bare ticket number its newest request
    /// (`15016` finds `15016-2` once the ticket asked a second time).
    pub async fn find_change(&self, id: &ChangeId) -> Result<Option<ChangeRecord>, StoreError> {
        let id = id.as_str().to_owned();
        self.with(move |conn| {
            // Ids hold only letters, digits and `-` (ChangeId), so LIKE sees no wildcard in them.
            let text: Option<String> = conn
                .query_row(
                    "SELECT record FROM change_record WHERE id = ?1 OR id LIKE ?1 || '-%'
                     ORDER BY created_ms DESC, rowid DESC LIMIT 1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            text.map(|t| from_json("a change record", &t)).transpose()
        })
        .await
    }

    /// A ticket's changes, newest first.
    pub async fn changes_for_ticket(
        &self,
        ticket_id: u64,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT record FROM change_record WHERE ticket_id = ?1
                 ORDER BY created_ms DESC, rowid DESC",
            )?;
            let rows =
                stmt.query_map(params![version_i64(ticket_id)], |r| r.get::<_, String>(0))?;
            rows.map(|t| from_json("a change record", &t?))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
    }

    /// Changes in any of `states` (their words), oldest update first.
    pub async fn changes_in_state(
        &self,
        states: &[&'static str],
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        let states: Vec<&'static str> = states.to_vec();
        self.with(move |conn| {
            let mut out = Vec::new();
            let mut stmt = conn.prepare(
                "SELECT record FROM change_record WHERE state = ?1
                 ORDER BY updated_ms ASC LIMIT ?2",
            )?;
            for state in states {
                let rows =
                    stmt.query_map(params![state, limit as i64], |r| r.get::<_, String>(0))?;
                for text in rows {
                    out.push(from_json("a change record", &text?)?);
                }
            }
            Ok(out)
        })
        .await
    }

    /// How many changes a ticket has had (its next request is revision `n + 1`).
    pub async fn change_count_for_ticket(&self, ticket_id: u64) -> Result<u32, StoreError> {
        self.with(move |conn| {
            let n: i64 = conn.query_row(
                "SELECT COUNT(*) FROM change_record WHERE ticket_id = ?1",
                params![version_i64(ticket_id)],
                |r| r.get(0),
            )?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .await
    }

    pub async fn change_history(&self, id: &ChangeId) -> Result<Vec<HistoryEntry>, StoreError> {
        let id = id.as_str().to_owned();
        self.with(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT at_ms, state, actor, detail FROM change_history
                 WHERE change_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![id], |r| {
                Ok(HistoryEntry {
                    at_ms: r.get(0)?,
                    state: r.get(1)?,
                    actor: r.get(2)?,
                    detail: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Effects not yet done, oldest first (per change, in the order they were stored).
    pub async fn open_effects(&self, limit: usize) -> Result<Vec<OpenEffect>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, change_id, effect, attempts FROM change_effect
                 WHERE done_ms IS NULL ORDER BY id LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, change_id, effect, attempts) = row?;
                out.push(OpenEffect {
                    id,
                    change_id: ChangeId::parse(&change_id)
                        .ok_or_else(|| StoreError::NoSuchChange(change_id.clone()))?,
                    effect: from_json("an effect", &effect)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                });
            }
            Ok(out)
        })
        .await
    }

    /// The open effects of one change, in the order they were stored.
    pub async fn open_effects_of(&self, change: &ChangeId) -> Result<Vec<OpenEffect>, StoreError> {
        let change = change.clone();
        self.with(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, effect, attempts FROM change_effect
                 WHERE change_id = ?1 AND done_ms IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map(params![change.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, effect, attempts) = row?;
                out.push(OpenEffect {
                    id,
                    change_id: change.clone(),
                    effect: from_json("an effect", &effect)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                });
            }
            Ok(out)
        })
        .await
    }

    pub async fn effect_done(&self, id: i64, at_ms: i64) -> Result<(), StoreError> {
        self.with(move |conn| {
            conn.execute(
                "UPDATE change_effect SET done_ms = ?2 WHERE id = ?1",
                params![id, at_ms],
            )?;
            Ok(())
        })
        .await
    }

    /// Records a failed run of an effect (it stays open).
    pub async fn effect_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let error = crate::text_safety::excerpt(error, 500);
        self.with(move |conn| {
            conn.execute(
                "UPDATE change_effect SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )?;
            Ok(())
        })
        .await
    }

    /// Whether this version of the ticket was already turned into a change.
    pub async fn ticket_handled(
        &self,
        ticket_id: u64,
        updated_at: &str,
    ) -> Result<bool, StoreError> {
        let updated_at = updated_at.to_owned();
        self.with(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM handled_ticket WHERE ticket_id = ?1 AND updated_at = ?2",
                    params![version_i64(ticket_id), updated_at],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }

    /// Marks a ticket version handled without a change (the bot's own update, say).
    pub async fn mark_ticket_handled(
        &self,
        ticket_id: u64,
        updated_at: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let updated_at = updated_at.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO handled_ticket (ticket_id, updated_at, at_ms)
                 VALUES (?1, ?2, ?3)",
                params![version_i64(ticket_id), updated_at, at_ms],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
#[path = "change_tests.rs"]
mod tests;

//! What the configuration-change notifier keeps: the last configuration snapshot of each device and
//! the changes it saw, numbered per device (`changes c9300 3`), each with whether it was reported
//! yet (the outbox: a change is stored before its message is posted, and posted again after a
//! crash in between). A change and its audit entry are written in one transaction, and only onto
//! the snapshot it was computed from.

use super::audit::{append_in, AuditEntry};
use super::{Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension};

/// Tables of schema version 5.
pub(super) const TABLES_V5: &str = "
CREATE TABLE IF NOT EXISTS config_snapshot (
    device      TEXT PRIMARY KEY COLLATE NOCASE,
    taken_at_ms INTEGER NOT NULL,
    digest      TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS config_change (
    device     TEXT NOT NULL COLLATE NOCASE,
    n          INTEGER NOT NULL,
    seen_at_ms INTEGER NOT NULL,
    record     TEXT NOT NULL,
    notified   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device, n)
);
CREATE INDEX IF NOT EXISTS config_change_seen ON config_change (seen_at_ms);
CREATE INDEX IF NOT EXISTS config_change_unnotified ON config_change (notified, seen_at_ms);
CREATE INDEX IF NOT EXISTS audit_kind_at ON audit (kind, at_ms);
";

/// The audit kind of a configuration change seen on a device.
pub const CONFIG_CHANGE_KIND: &str = "config-change";
/// The audit kinds of changes the bot made itself (W2, W3), which attribution reads.
pub const OWN_CHANGE_KINDS: [&str; 2] = ["w2-change", "w3-change"];

/// A device's last stored configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub digest: String,
    /// The snapshot's text form (the notifier's `Snapshot::to_text`).
    pub body: String,
    pub taken_at_ms: i64,
}

/// One change seen on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChangeRow {
    pub device: String,
    /// 1, 2, 3, … per device.
    pub n: u64,
    pub seen_at_ms: i64,
    /// The notifier's record of the change (JSON).
    pub record: String,
    pub notified: bool,
}

/// A change to store: the snapshot it moves to and what to record.
#[derive(Debug, Clone)]
pub struct NewConfigChange<'a> {
    pub device: &'a str,
    /// The digest of the stored snapshot the change was computed from.
    pub from_digest: &'a str,
    pub digest: &'a str,
    pub body: &'a str,
    pub at_ms: i64,
    pub record: &'a str,
    /// The audit entry's body (JSON).
    pub audit: &'a str,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigChangeRow> {
    Ok(ConfigChangeRow {
        device: r.get(0)?,
        n: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        seen_at_ms: r.get(2)?,
        record: r.get(3)?,
        notified: r.get::<_, i64>(4)? != 0,
    })
}

const COLUMNS: &str = "device, n, seen_at_ms, record, notified";

fn snapshot_of(conn: &Connection, device: &str) -> Result<Option<StoredSnapshot>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT digest, body, taken_at_ms FROM config_snapshot WHERE device = ?1",
            params![device],
            |r| {
                Ok(StoredSnapshot {
                    digest: r.get(0)?,
                    body: r.get(1)?,
                    taken_at_ms: r.get(2)?,
                })
            },
        )
        .optional()?)
}

impl Store {
    pub async fn config_snapshot(
        &self,
        device: &str,
    ) -> Result<Option<StoredSnapshot>, StoreError> {
        let device = device.to_owned();
        self.with(move |conn| snapshot_of(conn, &device)).await
    }

    /// Stores the first snapshot of a device; answers false (and changes nothing) when the device
    /// has one already.
    pub async fn config_baseline(
        &self,
        device: &str,
        digest: &str,
        body: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let (device, digest, body) = (device.to_owned(), digest.to_owned(), body.to_owned());
        self.with(move |conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO config_snapshot (device, taken_at_ms, digest, body)
                 VALUES (?1, ?2, ?3, ?4)",
                params![device, at_ms, digest, body],
            )?;
            Ok(n == 1)
        })
        .await
    }

    /// Stores a change: the new snapshot, the change (numbered after the device's last one) and its
    /// audit entry, in one transaction, only when the stored snapshot is still `from_digest`.
    /// Answers the change's number, or `None` when the snapshot had moved on (nothing stored).
    pub async fn config_change_record(
        &self,
        change: NewConfigChange<'_>,
    ) -> Result<Option<u64>, StoreError> {
        let device = change.device.to_owned();
        let from = change.from_digest.to_owned();
        let digest = change.digest.to_owned();
        let body = change.body.to_owned();
        let record = change.record.to_owned();
        let audit = change.audit.to_owned();
        let at_ms = change.at_ms;
        self.with(move |conn| {
            let tx = super::write_tx(conn)?;
            let moved = tx.execute(
                "UPDATE config_snapshot SET digest = ?2, body = ?3, taken_at_ms = ?4
                 WHERE device = ?1 AND digest = ?5",
                params![device, digest, body, at_ms, from],
            )?;
            if moved != 1 {
                return Ok(None);
            }
            let n: i64 = tx.query_row(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM config_change WHERE device = ?1",
                params![device],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO config_change (device, n, seen_at_ms, record, notified)
                 VALUES (?1, ?2, ?3, ?4, 0)",
                params![device, n, at_ms, record],
            )?;
            append_in(
                &tx,
                CONFIG_CHANGE_KIND,
                &format!("{device} {n}"),
                &audit,
                at_ms,
            )?;
            tx.commit()?;
            Ok(Some(u64::try_from(n).unwrap_or(0)))
        })
        .await
    }

    /// Changes not yet reported, oldest first.
    pub async fn config_changes_unnotified(
        &self,
        limit: usize,
    ) -> Result<Vec<ConfigChangeRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM config_change WHERE notified = 0
                 ORDER BY seen_at_ms, device, n LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![limit], row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn config_change_notified(&self, device: &str, n: u64) -> Result<(), StoreError> {
        let device = device.to_owned();
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.with(move |conn| {
            conn.execute(
                "UPDATE config_change SET notified = 1 WHERE device = ?1 AND n = ?2",
                params![device, n],
            )?;
            Ok(())
        })
        .await
    }

    /// The most recent changes, newest first: of one device, or of all.
    pub async fn config_changes(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ConfigChangeRow>, StoreError> {
        let device = device.map(str::to_owned);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let out = match device {
                Some(d) => {
                    let mut stmt = conn.prepare(&format!(
                        "SELECT {COLUMNS} FROM config_change WHERE device = ?1
                         ORDER BY n DESC LIMIT ?2"
                    ))?;
                    let rows = stmt.query_map(params![d, limit], row)?;
                    rows.collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut stmt = conn.prepare(&format!(
                        "SELECT {COLUMNS} FROM config_change
                         ORDER BY seen_at_ms DESC, device, n DESC LIMIT ?1"
                    ))?;
                    let rows = stmt.query_map(params![limit], row)?;
                    rows.collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(out)
        })
        .await
    }

    pub async fn config_change(
        &self,
        device: &str,
        n: u64,
    ) -> Result<Option<ConfigChangeRow>, StoreError> {
        let device = device.to_owned();
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.with(move |conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM config_change WHERE device = ?1 AND n = ?2"),
                    params![device, n],
                    row,
                )
                .optional()?)
        })
        .await
    }

    /// The bot's own changes (W2, W3) to `device` recorded at or after `since_ms`, oldest first:
    /// what attribution calls planned. Their subject is `device interface`.
    pub async fn own_changes_since(
        &self,
        device: &str,
        since_ms: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let device = device.to_owned();
        let entries = self
            .with(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT seq, at_ms, kind, subject, body, prev_hash, hash FROM audit
                     WHERE kind IN (?1, ?2) AND at_ms >= ?3 ORDER BY seq LIMIT 1000",
                )?;
                let rows = stmt.query_map(
                    params![OWN_CHANGE_KINDS[0], OWN_CHANGE_KINDS[1], since_ms],
                    |r| {
                        Ok(AuditEntry {
                            seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                            at_ms: r.get(1)?,
                            kind: r.get(2)?,
                            subject: r.get(3)?,
                            body: serde_json::from_str(&r.get::<_, String>(4)?)
                                .unwrap_or(serde_json::Value::Null),
                            prev_hash: r.get(5)?,
                            hash: r.get(6)?,
                        })
                    },
                )?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        Ok(entries
            .into_iter()
            .filter(|e| {
                e.subject
                    .split_once(' ')
                    .is_some_and(|(d, _)| d.eq_ignore_ascii_case(&device))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::Verified;

    fn change<'a>(from: &'a str, to: &'a str, at_ms: i64) -> NewConfigChange<'a> {
        NewConfigChange {
            device: "c9300",
            from_digest: from,
            digest: to,
            body: to,
            at_ms,
            record: "{}",
            audit: "{\"diff\":[]}",
        }
    }

    #[tokio::test]
    async fn baseline_then_changes_numbered_per_device_with_their_audit_entries() {
        let store = Store::open_in_memory().expect("store");
        assert!(store
            .config_baseline("c9300", "d0", "d0", 1)
            .await
            .expect("b"));
        assert!(!store
            .config_baseline("C9300", "dx", "dx", 2)
            .await
            .expect("b"));
        assert_eq!(
            store
                .config_change_record(change("d0", "d1", 3))
                .await
                .expect("c"),
            Some(1)
        );
        // Computed from a snapshot that is no longer the stored one: nothing stored.
        assert_eq!(
            store
                .config_change_record(change("d0", "d2", 4))
                .await
                .expect("c"),
            None
        );
        assert_eq!(
            store
                .config_change_record(change("d1", "d2", 5))
                .await
                .expect("c"),
            Some(2)
        );
        let snap = store
            .config_snapshot("c9300")
            .await
            .expect("s")
            .expect("some");
        assert_eq!((snap.digest.as_str(), snap.taken_at_ms), ("d2", 5));
        let all = store.config_changes(Some("C9300"), 10).await.expect("list");
        assert_eq!(all.iter().map(|r| r.n).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(
            store.audit_verify().await.expect("verify"),
            Verified::Intact { entries: 2 }
        );
        let unnotified = store.config_changes_unnotified(10).await.expect("u");
        assert_eq!(unnotified.len(), 2);
        store.config_change_notified("c9300", 1).await.expect("n");
        let unnotified = store.config_changes_unnotified(10).await.expect("u");
        assert_eq!(unnotified.iter().map(|r| r.n).collect::<Vec<_>>(), [2]);
        assert!(store
            .config_change("c9300", 1)
            .await
            .expect("one")
            .is_some_and(|r| r.notified));
    }

    #[tokio::test]
    async fn own_changes_are_found_by_device_and_time() {
        let store = Store::open_in_memory().expect("store");
        let body = serde_json::json!({"ticket": "42"});
        store
            .audit_append("w2-change", "c9300 GigabitEthernet1/0/7", &body, 10)
            .await
            .expect("a");
        store
            .audit_append("w3-change", "c9300x GigabitEthernet1/0/7", &body, 20)
            .await
            .expect("a");
        store
            .audit_append("w3-change", "c9300 GigabitEthernet1/0/8", &body, 5)
            .await
            .expect("a");
        let found = store.own_changes_since("C9300", 6).await.expect("own");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "c9300 GigabitEthernet1/0/7");
    }
}

//! The tamper-evident record: an append-only log in the store where every entry carries the
//! SHA-256 of the one before it, so an edited, deleted or reordered entry breaks the chain at that
//! place. `patchpanel audit verify` walks it and names the first broken entry; `audit export`
//! writes it as JSON lines. Only [`Store::audit_append`] writes to it.

use super::{Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tables of schema version 4.
pub(super) const TABLES_V4: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq       INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
";

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    pub at_ms: i64,
    /// What happened: `config-change` (seen on a device), `w2-change`, `w3-change`, …
    pub kind: String,
    /// What it is about (a device, `device interface`, a change id).
    pub subject: String,
    /// The details, as JSON.
    pub body: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Every entry links to the one before and hashes to what it says.
    Intact { entries: u64 },
    /// The first entry that does not: its `seq` as stored (or where it should be) and why.
    Broken { seq: u64, why: String },
}

/// The hash of an entry: SHA-256 over the previous hash and the entry's fields, each length-prefixed
/// so no two different entries hash alike by moving bytes between fields.
pub fn entry_hash(
    prev_hash: &str,
    seq: u64,
    at_ms: i64,
    kind: &str,
    subject: &str,
    body: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash.as_bytes(),
        seq.to_string().as_bytes(),
        at_ms.to_string().as_bytes(),
        kind.as_bytes(),
        subject.as_bytes(),
        body.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn last(conn: &Connection) -> Result<Option<(u64, String)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
        .map(|(seq, hash)| (u64::try_from(seq).unwrap_or(0), hash)))
}

/// Appends one entry inside the caller's transaction (so a record and its audit entry are stored
/// together or not at all); answers its `seq`.
pub(super) fn append_in(
    tx: &Connection,
    kind: &str,
    subject: &str,
    body: &str,
    at_ms: i64,
) -> Result<u64, StoreError> {
    let (seq, prev) = match last(tx)? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let hash = entry_hash(&prev, seq, at_ms, kind, subject, body);
    tx.execute(
        "INSERT INTO audit (seq, at_ms, kind, subject, body, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            i64::try_from(seq).unwrap_or(i64::MAX),
            at_ms,
            kind,
            subject,
            body,
            prev,
            hash
        ],
    )?;
    Ok(seq)
}

/// Walks the entries in `seq` order; entries swapped between places show as a broken link.
fn verify_rows(conn: &Connection) -> Result<Verified, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at_ms, kind, subject, body, prev_hash, hash FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1u64;
    let mut prev = GENESIS.to_owned();
    while let Some(r) = rows.next()? {
        let seq = u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0);
        let at_ms: i64 = r.get(1)?;
        let kind: String = r.get(2)?;
        let subject: String = r.get(3)?;
        let body: String = r.get(4)?;
        let prev_hash: String = r.get(5)?;
        let hash: String = r.get(6)?;
        if seq != expected_seq {
            return Ok(Verified::Broken {
                seq: expected_seq,
                why: format!(
                    "entry {expected_seq} is missing or out of place (found entry {seq} there)"
                ),
            });
        }
        if prev_hash != prev {
            return Ok(Verified::Broken {
                seq,
                why: format!("entry {seq} does not link to the entry before it"),
            });
        }
        if entry_hash(&prev_hash, seq, at_ms, &kind, &subject, &body) != hash {
            return Ok(Verified::Broken {
                seq,
                why: format!(
                    "entry {seq} was changed after it was written (its hash does not match)"
                ),
            });
        }
        prev = hash;
        expected_seq += 1;
    }
    Ok(Verified::Intact {
        entries: expected_seq - 1,
    })
}

impl Store {
    /// Appends one entry; answers its `seq`. The link to the previous entry is made inside the
    /// same transaction, so concurrent appends cannot fork the chain.
    pub async fn audit_append(
        &self,
        kind: &str,
        subject: &str,
        body: &serde_json::Value,
        at_ms: i64,
    ) -> Result<u64, StoreError> {
        let (kind, subject) = (kind.to_owned(), subject.to_owned());
        let body = serde_json::to_string(body).map_err(|source| StoreError::Corrupt {
            what: "an audit entry",
            source,
        })?;
        self.with(move |conn| {
            let tx = super::write_tx(conn)?;
            let seq = append_in(&tx, &kind, &subject, &body, at_ms)?;
            tx.commit()?;
            Ok(seq)
        })
        .await
    }

    /// Checks the whole chain.
    pub async fn audit_verify(&self) -> Result<Verified, StoreError> {
        self.with(verify_rows).await
    }

    /// Every entry, oldest first (for `audit export`).
    pub async fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT seq, at_ms, kind, subject, body, prev_hash, hash FROM audit ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at_ms, kind, subject, body, prev_hash, hash) = row?;
                out.push(AuditEntry {
                    seq: u64::try_from(seq).unwrap_or(0),
                    at_ms,
                    kind,
                    subject,
                    // An entry whose body no longer parses is exported as the text it holds.
                    body: serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)),
                    prev_hash,
                    hash,
                });
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn three(store: &Store) {
        for (i, subject) in ["c9300", "c9300 Gi1/0/5", "15016"].iter().enumerate() {
            let seq = store
                .audit_append("w3-change", subject, &json!({"n": i}), 100 + i as i64)
                .await
                .unwrap();
            assert_eq!(seq, i as u64 + 1);
        }
    }

    fn raw(dir: &tempfile::TempDir) -> Connection {
        Connection::open(dir.path().join("a.db")).unwrap()
    }

    #[tokio::test]
    async fn an_intact_chain_verifies_and_exports() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            store.audit_verify().await.unwrap(),
            Verified::Intact { entries: 0 }
        );
        three(&store).await;
        assert_eq!(
            store.audit_verify().await.unwrap(),
            Verified::Intact { entries: 3 }
        );
        let entries = store.audit_entries().await.unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert_eq!(entries[2].body, json!({"n": 2}));
    }

    #[tokio::test]
    async fn an_edited_entry_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        three(&store).await;
        raw(&dir)
            .execute("UPDATE audit SET body = '{\"n\":9}' WHERE seq = 2", [])
            .unwrap();
        let Verified::Broken { seq, why } = store.audit_verify().await.unwrap() else {
            panic!("not detected")
        };
        assert_eq!(seq, 2);
        assert!(why.contains("changed after it was written"), "{why}");
    }

    #[tokio::test]
    async fn a_deleted_entry_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        three(&store).await;
        raw(&dir)
            .execute("DELETE FROM audit WHERE seq = 2", [])
            .unwrap();
        let Verified::Broken { seq, why } = store.audit_verify().await.unwrap() else {
            panic!("not detected")
        };
        assert_eq!(seq, 2);
        assert!(why.contains("missing or out of place"), "{why}");
    }

    #[tokio::test]
    async fn a_reordered_entry_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).unwrap();
        three(&store).await;
        // Entries 2 and 3 trade places: each keeps its contents and hashes, the numbers swap.
        raw(&dir)
            .execute_batch(
                "UPDATE audit SET seq = -2 WHERE seq = 2;
                 UPDATE audit SET seq = 2 WHERE seq = 3;
                 UPDATE audit SET seq = 3 WHERE seq = -2;",
            )
            .unwrap();
        let Verified::Broken { seq, .. } = store.audit_verify().await.unwrap() else {
            panic!("not detected")
        };
        assert_eq!(seq, 2);
    }

    #[test]
    fn fields_cannot_trade_bytes() {
        assert_ne!(
            entry_hash(GENESIS, 1, 1, "ab", "c", "{}"),
            entry_hash(GENESIS, 1, 1, "a", "bc", "{}")
        );
    }
}

//! The store against real SQLite files: cursors, seen events, jobs, parking, schema versions.
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

/// Regression (issue 11): a bot restarting while another connection (a test, `patchpanel audit
/// verify`) was opening the same file failed at once with "database is locked", because the WAL
/// switch ran before the busy timeout was set. Opening now waits for the other writer.
#[test]
fn opening_waits_for_another_connection_holding_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    drop(Store::open(&path).unwrap());
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let opener = {
        let path = path.clone();
        std::thread::spawn(move || Store::open(&path).map(|_| ()))
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    holder.execute_batch("COMMIT").unwrap();
    opener.join().unwrap().unwrap();
}

/// The same for the store's multi-statement writes (the audit chain reads its last entry, then
/// appends): they take the write lock when they begin, so another connection's lock is waited for
/// instead of failing the append at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_another_connection_holding_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let store = Store::open(&path).unwrap();
    store
        .audit_append("w2-change", "c9300 Gi1/0/1", &serde_json::json!({}), 1)
        .await
        .unwrap();
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let append = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .audit_append("w2-change", "c9300 Gi1/0/2", &serde_json::json!({}), 2)
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    holder.execute_batch("COMMIT").unwrap();
    assert_eq!(append.await.unwrap().unwrap(), 2);
}

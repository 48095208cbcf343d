//! `patchpanel audit verify|export` as an operator runs them against the bot's store: an intact
//! chain, then the same file with an entry edited behind the bot's back.

use patchpanel::store::Store;
use serde_json::json;
use std::process::Command;

fn audit(args: &[&str], db: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_patchpanel"))
        .arg("audit")
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("PATCHPANEL_DB")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn verify_and_export_the_chain_and_name_the_first_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("patchpanel.db");
    {
        let store = Store::open(&db).unwrap();
        for n in 1..=3 {
            store
                .audit_append(
                    "w3-change",
                    "c9300 GigabitEthernet1/0/5",
                    &json!({"n": n}),
                    n,
                )
                .await
                .unwrap();
        }
    }
    let (ok, out, err) = audit(&["verify"], &db);
    assert!(ok, "{out}{err}");
    assert!(out.contains("3 entries, the chain is intact"), "{out}");
    let (ok, out, _) = audit(&["export"], &db);
    assert!(ok);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["body"], json!({"n": 3}));
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);

    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE audit SET subject = 'c9300 Gi1/0/6' WHERE seq = 2",
            [],
        )
        .unwrap();
    let (ok, out, err) = audit(&["verify"], &db);
    assert!(!ok, "a broken chain fails: {out}");
    assert!(err.contains("broken at entry 2"), "{err}");

    let (ok, _, err) = audit(&["verify"], &dir.path().join("nope.db"));
    assert!(!ok);
    assert!(err.contains("no store at"), "{err}");
}

//! `changes [device [n]]`: reads the configuration-change record from the store and answers with
//! the notifier's texts. A record that no longer parses is named, not skipped silently.

use crate::store::{ConfigChangeRow, Store};
use crate::text_safety::escape_markdown;
use crate::watch::messages;
use crate::watch::record::ChangeRecord;

fn parsed(row: &ConfigChangeRow) -> Result<ChangeRecord, String> {
    serde_json::from_str(&row.record).map_err(|e| {
        format!(
            "change {} on {} is stored in a form this version cannot read ({e})",
            row.n,
            escape_markdown(&row.device)
        )
    })
}

/// The answer to `changes`, `changes <device>` and `changes <device> <n>`.
pub async fn answer(store: &Store, device: Option<&str>, number: Option<u32>) -> String {
    match (device, number) {
        (Some(device), Some(n)) => match store.config_change(device, u64::from(n)).await {
            Err(e) => format!("⚠️ The change record could not be read: {e}"),
            Ok(None) => format!(
                "There is no change {n} on **{}**. `changes {}` lists the recorded ones.",
                escape_markdown(device),
                escape_markdown(device)
            ),
            Ok(Some(row)) => match parsed(&row) {
                Ok(r) => messages::one(row.n, &r),
                Err(e) => format!("⚠️ {e}"),
            },
        },
        (device, _) => match store.config_changes(device, messages::LIST_LIMIT).await {
            Err(e) => format!("⚠️ The change record could not be read: {e}"),
            Ok(rows) => {
                let mut records = Vec::with_capacity(rows.len());
                let mut unreadable = Vec::new();
                for row in &rows {
                    match parsed(row) {
                        Ok(r) => records.push((row.n, r)),
                        Err(e) => unreadable.push(e),
                    }
                }
                let mut out = messages::list(device, &records);
                if records.is_empty() && unreadable.is_empty() {
                    if let Some(d) = device {
                        match store.config_snapshot(d).await {
                            Ok(Some(s)) => out.push_str(&format!(
                                " Its configuration has been watched since {}.",
                                crate::approval::when::utc_minute(s.taken_at_ms)
                            )),
                            Ok(None) => out.push_str(
                                " The bot has not read its configuration yet: is it a managed \
                                 device (devices file or NetBox with a primary IP)?",
                            ),
                            Err(_) => {}
                        }
                    }
                }
                for e in unreadable {
                    out.push_str(&format!("\n- ⚠️ {e}"));
                }
                out
            }
        },
    }
}

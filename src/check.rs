//! `patchpanel check`: validates the configuration and reaches every configured system, as a table.

use crate::config::{NetboxSyncSettings, Settings};
use crate::device::Inventory;
use crate::webex::WebexRest;
use std::time::Duration;
use tokio::net::TcpStream;

const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub system: String,
    pub ok: bool,
    pub detail: String,
}

/// Renders the rows as an aligned plain-text table.
pub fn render(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.system.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!("{:<width$}  {:<6}  {}\n", "SYSTEM", "STATUS", "DETAIL");
    for r in rows {
        let status = if r.ok { "ok" } else { "FAIL" };
        out.push_str(&format!(
            "{:<width$}  {:<6}  {}\n",
            r.system, status, r.detail
        ));
    }
    out
}

/// Runs every check, prints the table, and returns whether all passed.
pub async fn run() -> bool {
    let rows = collect().await;
    use std::io::Write as _;
    let _ = write!(std::io::stdout(), "{}", render(&rows));
    rows.iter().all(|r| r.ok)
}

async fn collect() -> Vec<Row> {
    let mut rows = Vec::new();
    let settings = match Settings::from_env() {
        Ok(s) => {
            rows.push(row(
                "configuration",
                true,
                format!("allowed: {}", s.allowed),
            ));
            s
        }
        Err(e) => {
            rows.push(row("configuration", false, e.to_string()));
            return rows;
        }
    };
    match WebexRest::new(&settings.webex) {
        Err(e) => rows.push(row("webex", false, e.to_string())),
        Ok(rest) => match rest.me().await {
            Ok(me) => rows.push(row(
                "webex",
                true,
                format!("signed in as {} ({})", me.display_name, me.email),
            )),
            Err(e) => rows.push(row("webex", false, e.to_string())),
        },
    }
    match &settings.netbox {
        None => rows.push(row(
            "netbox",
            true,
            "not configured (NETBOX_URL unset)".into(),
        )),
        Some(cfg) => rows.push(match crate::netbox::NetboxClient::new(cfg) {
            Err(e) => row("netbox", false, e.to_string()),
            Ok(client) => match client.status().await {
                Ok(st) => row(
                    "netbox",
                    true,
                    format!(
                        "NetBox {} (change log: {:?} API, {:?} token)",
                        st.version.as_deref().unwrap_or("?"),
                        st.change_log,
                        st.token_kind
                    ),
                ),
                Err(e) => row("netbox", false, e.to_string()),
            },
        }),
    }
    rows.extend(webhook_row(&settings.netbox_sync));
    let Some(path) = &settings.inventory else {
        rows.push(row(
            "inventory",
            true,
            "not configured (PATCHPANEL_INVENTORY unset)".into(),
        ));
        return rows;
    };
    let inventory = match Inventory::load(path) {
        Ok(i) => i,
        Err(e) => {
            rows.push(row("inventory", false, e.to_string()));
            return rows;
        }
    };
    rows.push(row(
        "inventory",
        true,
        format!(
            "{} devices from {}",
            inventory.devices().len(),
            path.display()
        ),
    ));
    for device in inventory.devices() {
        for (label, host, port) in device.endpoints(settings.devices.default_netconf_port) {
            let system = format!("{} {label}", device.name);
            let outcome =
                tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect((host.as_str(), port)))
                    .await;
            rows.push(match outcome {
                Ok(Ok(_)) => row(&system, true, format!("{host}:{port} reachable")),
                Ok(Err(e)) => row(&system, false, format!("{host}:{port}: {e}")),
                Err(_) => row(
                    &system,
                    false,
                    format!(
                        "{host}:{port}: no answer within {}s",
                        PROBE_TIMEOUT.as_secs()
                    ),
                ),
            });
        }
    }
    rows
}

/// The webhook receiver's row, when NETBOX_WEBHOOK_LISTEN is set (never shows the secret).
fn webhook_row(sync: &NetboxSyncSettings) -> Option<Row> {
    let addr = sync.webhook_listen?;
    let secret_set = sync.webhook_secret.as_ref().is_some_and(|s| !s.is_empty());
    Some(if secret_set {
        row(
            "netbox webhook",
            true,
            format!("receiver on {addr} (POST /netbox), secret set"),
        )
    } else {
        row(
            "netbox webhook",
            false,
            format!("receiver on {addr}: NETBOX_WEBHOOK_SECRET is empty; set it to the secret of NetBox's webhook"),
        )
    })
}

fn row(system: &str, ok: bool, detail: String) -> Row {
    Row {
        system: system.to_owned(),
        ok,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_row_only_when_configured_and_never_the_secret() {
        let mut sync = NetboxSyncSettings::default();
        assert_eq!(webhook_row(&sync), None);
        sync.webhook_listen = Some("127.0.0.1:9009".parse().unwrap());
        sync.webhook_secret = Some(crate::secret::Secret::new("hunter2"));
        let r = webhook_row(&sync).unwrap();
        assert!(r.ok);
        assert!(
            r.detail.contains("127.0.0.1:9009") && r.detail.contains("secret set"),
            "{r:?}"
        );
        assert!(!r.detail.contains("hunter2"));
        sync.webhook_secret = Some(crate::secret::Secret::new(""));
        assert!(!webhook_row(&sync).unwrap().ok);
    }

    #[test]
    fn table_is_aligned_and_marks_failures() {
        let text = render(&[
            row("webex", true, "ok".into()),
            row("c9300 netconf", false, "refused".into()),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("c9300 netconf  FAIL"));
        assert!(lines[1].starts_with("webex          ok"));
    }
}

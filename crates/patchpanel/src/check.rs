//! `patchpanel check`: validates the configuration and reaches every configured system, as a table.

use crate::config::{NetboxSyncSettings, Settings, ZammadSettings};
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
    /// Works, but not as well as it should: shown as `warn`, does not fail the check.
    pub warning: bool,
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
        let status = match (r.ok, r.warning) {
            (false, _) => "FAIL",
            (true, true) => "warn",
            (true, false) => "ok",
        };
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
        Some(cfg) => match crate::netbox::NetboxClient::new(cfg) {
            Err(e) => rows.push(row("netbox", false, e.to_string())),
            Ok(client) => match client.status().await {
                Ok(st) => {
                    rows.push(row(
                        "netbox",
                        true,
                        format!(
                            "NetBox {} (change log: {:?} API, {:?} token)",
                            st.version.as_deref().unwrap_or("?"),
                            st.change_log,
                            st.token_kind
                        ),
                    ));
                    rows.push(ticket_field_row(&client.ticket_field_filter_logic().await));
                }
                Err(e) => rows.push(row("netbox", false, e.to_string())),
            },
        },
    }
    rows.push(match &settings.zammad {
        None => row(ZAMMAD_ROW, true, "not configured (ZAMMAD_URL unset)".into()),
        Some(z) => zammad_row(z).await,
    });
    rows.extend(webhook_row(&settings.netbox_sync));
    if settings.netbox.is_some() {
        rows.push(notify_row(settings.notify.as_deref()));
    }
    // The chat remembers the events it answered there, with or without NetBox.
    rows.push(store_row(&settings.db_path, settings.netbox.is_some()).await);
    let Some(path) = &settings.inventory else {
        let detail = if settings.netbox.is_some() {
            "devices come from NetBox (PATCHPANEL_INVENTORY unset)"
        } else {
            "not configured (PATCHPANEL_INVENTORY unset)"
        };
        rows.push(row("inventory", true, detail.into()));
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

/// Where workflow messages go; unset is a warning (W2 then only logs them).
fn notify_row(notify: Option<&str>) -> Row {
    match notify {
        Some(target) if target.contains('@') => {
            row("notify", true, format!("1:1 messages to {target}"))
        }
        Some(target) => row("notify", true, format!("messages to room {target}")),
        None => warn(
            "notify",
            "PATCHPANEL_NOTIFY is unset: NetBox workflow messages are only logged (set an email or a room id)".into(),
        ),
    }
}

/// The store opens (created if new) and, with NetBox, says where its change log will be read from.
async fn store_row(path: &std::path::Path, netbox: bool) -> Row {
    let owned = path.to_owned();
    // Opening SQLite touches the disk: not on an async worker.
    let store = match tokio::task::spawn_blocking(move || crate::store::Store::open(&owned)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return row("store", false, e.to_string()),
        Err(e) => {
            return row(
                "store",
                false,
                format!("the store could not be opened: {e}"),
            )
        }
    };
    if !netbox {
        return row("store", true, format!("{}: opens", path.display()));
    }
    match store.cursor(crate::netbox::poller::CURSOR).await {
        Ok(Some(c)) => row(
            "store",
            true,
            format!(
                "{}: NetBox change log read up to change {c}",
                path.display()
            ),
        ),
        Ok(None) => row(
            "store",
            true,
            format!(
                "{}: new; the first start reads NetBox's change log from its head",
                path.display()
            ),
        ),
        Err(e) => row("store", false, e.to_string()),
    }
}

fn row(system: &str, ok: bool, detail: String) -> Row {
    Row {
        system: system.to_owned(),
        ok,
        warning: false,
        detail,
    }
}

fn warn(system: &str, detail: String) -> Row {
    Row {
        warning: true,
        ..row(system, true, detail)
    }
}

const ZAMMAD_ROW: &str = "zammad";

/// Zammad answers, takes the token, names the bot's user and has every state the workflow uses.
async fn zammad_row(z: &ZammadSettings) -> Row {
    let client = match crate::zammad::ZammadClient::new(&z.client) {
        Ok(c) => c,
        Err(e) => return row(ZAMMAD_ROW, false, e.to_string()),
    };
    let me = match client.me().await {
        Ok(me) => me,
        Err(e) => return row(ZAMMAD_ROW, false, e.to_string()),
    };
    let states = client.states().await.and_then(|states| {
        crate::zammad::StateIds::resolve(&states, &crate::zammad::REQUIRED_STATES)
    });
    zammad_summary(&me, states, z)
}

/// The Zammad row from what was read (pure).
fn zammad_summary(
    me: &crate::zammad::User,
    states: Result<crate::zammad::StateIds, crate::zammad::ZammadError>,
    z: &ZammadSettings,
) -> Row {
    let who = format!(
        "signed in as {} (user id {})",
        crate::text_safety::excerpt(&me.display(), 80),
        me.id.map_or_else(|| "?".to_owned(), |id| id.to_string())
    );
    match states {
        Ok(ids) => row(
            ZAMMAD_ROW,
            true,
            format!(
                "{who}; states {}; network changes are tickets with {} = {}",
                ids.summary(),
                z.change_field,
                z.change_value
            ),
        ),
        Err(e) => row(ZAMMAD_ROW, false, format!("{who}, but {e}")),
    }
}

const TICKET_FIELD_ROW: &str = "netbox ticket field";

/// Whether the custom field W2 watches exists and NetBox honours the sweep's filter on it
/// (docs/netbox.md §7): with any logic but `exact` the sweep lists every interface.
fn ticket_field_row(logic: &Result<Option<String>, crate::netbox::NetboxError>) -> Row {
    let field = crate::netbox::wire::TICKET_FIELD;
    match logic {
        Err(e) => row(TICKET_FIELD_ROW, false, e.to_string()),
        Ok(None) => warn(
            TICKET_FIELD_ROW,
            format!(
                "custom field {field} does not exist: create it (type Text, object type \
                 dcim.interface, Filter logic Exact) to push NetBox edits to switches"
            ),
        ),
        Ok(Some(l)) if l == "exact" => row(
            TICKET_FIELD_ROW,
            true,
            format!("custom field {field} exists, filter logic exact"),
        ),
        Ok(Some(l)) => warn(
            TICKET_FIELD_ROW,
            format!(
                "custom field {field} has filter logic {:?}, so NetBox ignores the sweep's filter \
                 and it lists every interface: set Filter logic to Exact on the custom field",
                if l.is_empty() { "unknown" } else { l.as_str() }
            ),
        ),
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
    fn notify_row_names_the_target_or_warns() {
        assert!(notify_row(Some("a@example.com"))
            .detail
            .contains("1:1 messages"));
        assert!(notify_row(Some("Y2lzY29zcGFyazovL3VzL1JPT00v"))
            .detail
            .contains("room"));
        let unset = notify_row(None);
        assert!(unset.ok && unset.warning, "{unset:?}");
    }

    #[tokio::test]
    async fn store_row_opens_the_file_or_says_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let fresh = store_row(&path, true).await;
        assert!(fresh.ok && fresh.detail.contains("new"), "{fresh:?}");
        crate::store::Store::open(&path)
            .unwrap()
            .set_cursor(crate::netbox::poller::CURSOR, 42)
            .await
            .unwrap();
        assert!(store_row(&path, true).await.detail.contains("change 42"));
        let chat_only = store_row(&path, false).await;
        assert!(
            chat_only.ok && !chat_only.detail.contains("NetBox"),
            "{chat_only:?}"
        );
        let bad = store_row(std::path::Path::new("/nonexistent-dir/x/p.db"), false).await;
        assert!(!bad.ok && bad.detail.contains("PATCHPANEL_DB"), "{bad:?}");
    }

    fn zammad_settings(url: &str) -> ZammadSettings {
        crate::config::Settings::from_lookup(|k| {
            match k {
                "WEBEX_BOT_TOKEN" => Some("t"),
                "PATCHPANEL_ALLOWED" => Some("@example.com"),
                "ZAMMAD_URL" => Some(url),
                "ZAMMAD_TOKEN" => Some("zammad-s3cret-token"),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap()
        .zammad
        .unwrap()
    }

    #[test]
    fn zammad_row_names_the_user_and_every_missing_state() {
        let z = zammad_settings("https://zammad.example.com");
        let me = crate::zammad::User {
            id: Some(9),
            login: Some("patchpanel".into()),
            ..Default::default()
        };
        let state = |id: u64, name: &str| crate::zammad::TicketState {
            id: Some(id),
            name: Some(name.into()),
            state_type_id: Some(1),
            active: Some(true),
        };
        let mut states = vec![state(1, "new"), state(2, "open"), state(4, "closed")];
        let resolve = |s: &[crate::zammad::TicketState]| {
            crate::zammad::StateIds::resolve(s, &crate::zammad::REQUIRED_STATES)
        };
        let missing = zammad_summary(&me, resolve(&states), &z);
        assert!(!missing.ok, "{missing:?}");
        assert!(missing
            .detail
            .starts_with("signed in as patchpanel (user id 9), but"));
        for name in ["pending approval", "attention required", "denied"] {
            assert!(missing.detail.contains(name), "{missing:?}");
        }
        states.extend([
            state(7, "pending approval"),
            state(8, "attention required"),
            state(9, "denied"),
        ]);
        let ok = zammad_summary(&me, resolve(&states), &z);
        assert!(ok.ok && !ok.warning, "{ok:?}");
        assert!(ok.detail.contains("pending approval 7"), "{ok:?}");
        assert!(ok.detail.contains("ticket_type = network_change"), "{ok:?}");
    }

    #[tokio::test]
    async fn zammad_row_fails_when_zammad_does_not_answer_without_the_token() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = zammad_row(&zammad_settings(&format!("http://127.0.0.1:{port}"))).await;
        assert!(!r.ok && r.detail.contains("unavailable"), "{r:?}");
        assert!(!r.detail.contains("s3cret"), "{r:?}");
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

    #[test]
    fn ticket_field_row_warns_with_the_fix() {
        let exact = ticket_field_row(&Ok(Some("exact".into())));
        assert!(exact.ok && !exact.warning, "{exact:?}");
        let loose = ticket_field_row(&Ok(Some("loose".into())));
        assert!(loose.ok && loose.warning, "a warning, not a failure");
        assert!(loose
            .detail
            .contains("set Filter logic to Exact on the custom field"));
        let missing = ticket_field_row(&Ok(None));
        assert!(missing.ok && missing.warning);
        assert!(missing.detail.contains("does not exist"));
        let down = ticket_field_row(&Err(crate::netbox::NetboxError::Unavailable {
            retry_after: None,
            status: Some(503),
            detail: "503".into(),
        }));
        assert!(!down.ok);
        assert!(render(&[loose]).contains("  warn  "));
    }
}

//! `patchpanel demo`: every simulator on loopback, the real bot against them, and a terminal chat.
//!
//! Lines typed (or piped) become Webex messages from `engineer@example.com` in a 1:1 space; every reply
//! the bot posts is printed. `/as EMAIL` switches the sender, `/press N` presses button N of the last
//! card. With piped input the demo exits 0 once the reply to the last line has settled.
//!
//! NetBox is simulated too and workflow W2 runs (1 s poll, notifications to the demo user):
//! `/netbox Gi1/0/2 ticket=CHG-1 mtu=9000 description=Printer floor 2` edits the interface in NetBox as
//! a person would, and the bot's messages about it are printed.
//!
//! Zammad is simulated too and workflow W3 runs (1 s poll, cards 1:1 to `approver@example.com`):
//! `/ticket Gi1/0/5 mtu=2000 vlan=access:100: description=Printer` opens a network-change ticket as
//! the current sender; the approval card is printed with its buttons; `/as approver@example.com`
//! then `/press 1` approves it, and NetBox, the switch and the ticket change (`/tickets` shows the
//! tickets' states).

/// `println!` that ignores a closed stdout (`demo | head`) instead of panicking.
macro_rules! emit {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod control;
mod terminal;
use control::{await_replies, press, send_syslog_to_bot, wait_connected, Control};
use terminal::{cards, submit_actions};
pub use terminal::{parse_console, parse_netbox_edit, parse_ticket, render_message, EditError};

use patchpanel::app;
use patchpanel::config::{
    ApprovalSettings, NetboxSyncSettings, WatchSettings, ZammadSettings,
    DEFAULT_ZAMMAD_CHANGE_FIELD, DEFAULT_ZAMMAD_CHANGE_VALUE,
};
use patchpanel::config::{Settings, DEVICE_NAME};
use patchpanel::device::DeviceSettings;
use patchpanel::netbox::NetboxConfig;
use patchpanel::policy::AllowList;
use patchpanel::secret::Secret;
use patchpanel::webex::WebexConfig;
use patchpanel::zammad::ZammadConfig;
use patchpanel_sim as sim;
use patchpanel_sim::webex::MessageDto;
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

const DEFAULT_SENDER: &str = "engineer@example.com";
/// Who may approve in the demo (the card goes to them 1:1).
const APPROVER: &str = "approver@example.com";
const DEMO_TOKEN: &str = "demo-bot-token";
const BOT_EMAIL: &str = "patchpanel@webex.bot";
/// How long a reply may take before the demo gives up on it.
const REPLY_DEADLINE: Duration = Duration::from_secs(60);
/// A reply has settled when no further bot message arrived for this long.
const SETTLE: Duration = Duration::from_millis(400);
const POLL: Duration = Duration::from_millis(20);
/// A W2 round waits for the next poll (1 s) and a device write between its messages.
const NETBOX_SETTLE: Duration = Duration::from_millis(2500);
const DEMO_NETBOX_TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the Webex simulator: {0}")]
    WebexSim(#[from] sim::webex::SimError),
    #[error("cannot start the device simulator: {0}")]
    DeviceSim(#[from] sim::device::DeviceSimError),
    #[error("cannot start the NetBox simulator: {0}")]
    NetboxSim(#[from] sim::netbox::NetboxSimError),
    #[error("cannot start the Zammad simulator: {0}")]
    ZammadSim(#[from] sim::zammad::ZammadSimError),
    #[error("cannot prepare the demo folder {path}: {source}")]
    Scratch {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the simulator's control API failed: {0}")]
    Control(String),
    #[error("the bot did not connect to the simulator within {0} s")]
    NotConnected(u64),
    #[error("the bot stopped: {0}")]
    Bot(String),
}

/// The `known_hosts` line for an SSH endpoint (`[host]:port key` for non-22 ports).
pub fn known_hosts_line(addr: SocketAddr, host_key_openssh: &str) -> String {
    let host = match addr.port() {
        22 => addr.ip().to_string(),
        port => format!("[{}]:{port}", addr.ip()),
    };
    format!("{host} {}", host_key_openssh.trim())
}

/// A scratch folder removed when the demo ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the demo; returns the process exit code.
pub async fn run(shutdown: CancellationToken) -> Result<i32, DemoError> {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let webex = sim::webex::start(
        sim::webex::WebexSimConfig {
            token: Some(DEMO_TOKEN.to_owned()),
            ..sim::webex::WebexSimConfig::new(loopback)
        },
        shutdown.clone(),
    )
    .await?;
    let device = sim::device::start(
        sim::device::DeviceSimConfig {
            restconf_listen: loopback,
            netconf_listen: loopback,
            hostname: "c9300".to_owned(),
            credentials: Some(("admin".to_owned(), Secret::new("demo-password"))),
            host_key_path: None,
            base_1_1: true,
        },
        shutdown.clone(),
    )
    .await?;
    let netbox = sim::netbox::start(
        sim::netbox::NetboxSimConfig {
            listen: loopback,
            token: Some(DEMO_NETBOX_TOKEN.to_owned()),
        },
        shutdown.clone(),
    )
    .await?;
    let zammad =
        sim::zammad::start(sim::zammad::ZammadSimConfig::default(), shutdown.clone()).await?;

    let dir = std::env::temp_dir().join(format!("patchpanel-demo-{}", std::process::id()));
    let scratch_err = |source| DemoError::Scratch {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(scratch_err)?;
    let scratch = Scratch(dir.clone());
    let inventory = dir.join("inventory.toml");
    let known_hosts = dir.join("known_hosts");
    std::fs::write(&inventory, demo_inventory(&device)?).map_err(scratch_err)?;
    std::fs::write(
        &known_hosts,
        format!(
            "{}\n",
            known_hosts_line(device.netconf_addr, &device.host_key_openssh)
        ),
    )
    .map_err(scratch_err)?;

    let settings = Settings {
        webex: WebexConfig {
            api_url: webex.api_url(),
            u2c_url: webex.u2c_url(),
            token: Secret::new(DEMO_TOKEN),
            device_name: DEVICE_NAME.to_owned(),
        },
        allowed: AllowList::parse("@example.com").map_err(|e| DemoError::Bot(e.to_string()))?,
        notify: Some(DEFAULT_SENDER.to_owned()),
        db_path: dir.join("patchpanel.db"),
        inventory: Some(inventory),
        netbox: Some(NetboxConfig::new(
            netbox.base_url.clone(),
            Secret::new(DEMO_NETBOX_TOKEN),
        )),
        netbox_sync: NetboxSyncSettings {
            poll_interval: Duration::from_secs(1),
            ..NetboxSyncSettings::default()
        },
        approvals: ApprovalSettings {
            approvers: AllowList::parse(APPROVER).map_err(|e| DemoError::Bot(e.to_string()))?,
            ..ApprovalSettings::default()
        },
        watch: WatchSettings {
            room: Some(DEFAULT_SENDER.to_owned()),
            // The switch's syslog goes to the bot (any free port; read back from the store).
            syslog_listen: Some(loopback),
            ..WatchSettings::default()
        },
        zammad: Some(ZammadSettings {
            client: ZammadConfig::new(zammad.base_url.clone(), Secret::new("demo-zammad-token")),
            poll_interval: Duration::from_secs(1),
            change_field: DEFAULT_ZAMMAD_CHANGE_FIELD.to_owned(),
            change_value: DEFAULT_ZAMMAD_CHANGE_VALUE.to_owned(),
            webhook_listen: None,
            webhook_secret: None,
        }),
        devices: DeviceSettings {
            username: Some("admin".to_owned()),
            password: Some(Secret::new("demo-password")),
            ssh_key: None,
            known_hosts: Some(known_hosts),
            default_netconf_port: device.netconf_addr.port(),
            ca_file: None,
            accept_new_host_keys: false,
        },
    };
    let bot_shutdown = shutdown.child_token();
    let bot = tokio::spawn(app::run(settings, bot_shutdown.clone()));

    let control = Control::new(&webex.base_url);
    send_syslog_to_bot(&dir.join("patchpanel.db"), &device, &bot).await?;
    let result = chat(
        &control,
        &device,
        &netbox,
        &zammad,
        webex.subscribe(),
        &bot,
        &shutdown,
    )
    .await;
    bot_shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), bot).await;
    shutdown.cancel();
    drop(scratch);
    result
}

fn demo_inventory(device: &sim::device::RunningDeviceSim) -> Result<String, DemoError> {
    let doc = json!({
        "device": [
            { "name": "c9300", "host": "127.0.0.1", "restconf_url": device.restconf_url, "profile": "iosxe" },
            // The same switch under a second name: reported once, as c9300.
            { "name": "c9300-nc", "host": "127.0.0.1", "netconf_port": device.netconf_addr.port(), "profile": "iosxe", "watch": false },
        ]
    });
    // Built through the TOML serializer so no value is pasted into the file as text.
    toml::to_string(&doc)
        .map_err(|e| DemoError::Bot(format!("cannot write the demo inventory: {e}")))
}

async fn chat(
    control: &Control,
    device: &sim::device::RunningDeviceSim,
    netbox: &sim::netbox::RunningNetboxSim,
    zammad: &sim::zammad::RunningZammadSim,
    mut posted: broadcast::Receiver<MessageDto>,
    bot: &tokio::task::JoinHandle<Result<(), app::AppError>>,
    shutdown: &CancellationToken,
) -> Result<i32, DemoError> {
    wait_connected(control, bot).await?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        emit!("patchpanel demo — you are {DEFAULT_SENDER} in a 1:1 space with the bot.");
        emit!("Try `help`, `vrf c9300`, `show iface c9300 Gi1/0/2` (or c9300-nc over NETCONF).");
        emit!("`/netbox Gi1/0/2 ticket=CHG-1 mtu=9000 description=Printer floor 2` edits NetBox as a person would;");
        emit!("the bot pushes edits that carry a ticket number to the switch and tells you here.");
        emit!("`/ticket Gi1/0/5 mtu=2000 vlan=access:100: description=Printer` opens a Zammad change ticket;");
        emit!(
            "its approval card goes to {APPROVER}: `/as {APPROVER}` then `/press 1` approves it."
        );
        emit!("`/console Gi1/0/7 description=rogue` changes the switch at its console, behind the bot's back;");
        emit!("the bot notices, reports the unplanned change with its diff here, and `changes c9300` lists it.");
        emit!("`/as EMAIL` switches the sender, `/press N` presses button N of the last card, `/quit` ends.\n");
    }
    let mut sender = DEFAULT_SENDER.to_owned();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut missed = 0;
    loop {
        if interactive {
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = write!(out, "{sender}> ");
            let _ = out.flush();
        }
        let line = tokio::select! {
            _ = shutdown.cancelled() => break,
            line = lines.next_line() => line,
        };
        let Ok(Some(line)) = line else { break };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !interactive {
            emit!("{sender}> {text}");
        }
        if let Some(email) = text.strip_prefix("/as ") {
            sender = email.trim().to_owned();
            emit!("(now speaking as {sender})");
            continue;
        }
        if matches!(text, "/quit" | "/exit") {
            break;
        }
        let mut settle = SETTLE;
        if let Some(edit) = text.strip_prefix("/netbox") {
            match parse_netbox_edit(edit) {
                Err(why) => {
                    emit!("({why})");
                    continue;
                }
                Ok((interface, fields)) => {
                    match netbox.edit_interface("c9300", &interface, fields, "engineer") {
                        Ok(_) => emit!("(NetBox: c9300 {interface} saved)"),
                        Err(e) => {
                            emit!("(NetBox refused the edit: {e})");
                            continue;
                        }
                    }
                    if edit.contains("ticket=") {
                        settle = NETBOX_SETTLE;
                    } else {
                        continue;
                    }
                }
            }
        } else if let Some(args) = text.strip_prefix("/console") {
            let request = match parse_console(args).and_then(|body| {
                serde_json::from_value::<sim::device::console::CliRequest>(body)
                    .map_err(|e| EditError(e.to_string()))
            }) {
                Ok(r) => r,
                Err(why) => {
                    emit!("({why})");
                    continue;
                }
            };
            match device.console(request) {
                Ok(edits) => emit!("(c9300 console: {} change(s) configured)", edits.len()),
                Err(e) => {
                    emit!("(the switch refused: {e})");
                    continue;
                }
            }
            settle = NETBOX_SETTLE;
        } else if text == "/tickets" {
            let state = zammad.state();
            for t in state["tickets"].as_array().into_iter().flatten() {
                emit!(
                    "(ticket {}: {} — {})",
                    t["number"].as_str().unwrap_or("?"),
                    t["state"].as_str().unwrap_or("?"),
                    t["title"].as_str().unwrap_or("")
                );
            }
            continue;
        } else if let Some(args) = text.strip_prefix("/ticket") {
            let attributes = match parse_ticket(args) {
                Ok(a) => a,
                Err(why) => {
                    emit!("({why})");
                    continue;
                }
            };
            let mut ticket = json!({
                "title": format!("Network change: {}", attributes["network_interface_name"].as_str().unwrap_or("?")),
                "customer": sender,
                "ticket_type": DEFAULT_ZAMMAD_CHANGE_VALUE,
            });
            if let (Some(t), Some(a)) = (ticket.as_object_mut(), attributes.as_object()) {
                t.extend(a.clone());
            }
            match zammad.create_ticket(ticket) {
                Ok((_, number)) => emit!("(Zammad: ticket {number} created)"),
                Err(e) => {
                    emit!("(Zammad refused the ticket: {e})");
                    continue;
                }
            }
            settle = NETBOX_SETTLE;
        } else if let Some(n) = text.strip_prefix("/press ") {
            match press(control, &sender, n.trim()).await? {
                Some(_) => settle = NETBOX_SETTLE,
                None => {
                    emit!("(no such button; the last card's buttons are numbered from 1)");
                    continue;
                }
            }
        } else {
            control
                .post(
                    "/_sim/say",
                    json!({"from": sender, "text": text, "room": "direct", "mention": false}),
                )
                .await?;
        }
        if !await_replies(&mut posted, settle).await? {
            missed += 1;
            emit!("(no reply within {} s)", REPLY_DEADLINE.as_secs());
        }
    }
    Ok(if missed == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::control::count_connected;
    use super::*;

    #[test]
    fn known_hosts_lines_bracket_non_default_ports() {
        let addr: SocketAddr = "127.0.0.1:2222".parse().unwrap();
        assert_eq!(
            known_hosts_line(addr, "ssh-ed25519 AAAA\n"),
            "[127.0.0.1]:2222 ssh-ed25519 AAAA"
        );
        let addr: SocketAddr = "10.0.0.1:22".parse().unwrap();
        assert_eq!(
            known_hosts_line(addr, "ssh-ed25519 AAAA"),
            "10.0.0.1 ssh-ed25519 AAAA"
        );
    }

    #[test]
    fn inventory_values_are_escaped() {
        let doc = json!({"device": [{"name": "a\"b", "netconf_port": 830}]});
        let text = toml::to_string(&doc).unwrap();
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(parsed["device"][0]["name"].as_str(), Some("a\"b"));
        assert_eq!(parsed["device"][0]["netconf_port"].as_integer(), Some(830));
    }

    #[test]
    fn cards_render_as_text_with_numbered_buttons() {
        let message = json!({
            "markdown": "A change needs approval",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {
                "type": "AdaptiveCard",
                "body": [{"type": "TextBlock", "text": "Change 42"},
                         {"type": "FactSet", "facts": [{"title": "Device", "value": "c9300"}]}],
                "actions": [{"type": "Action.Submit", "title": "Approve", "data": {"action": "approve"}},
                            {"type": "Action.Submit", "title": "Decline"}]
            }}]
        });
        let text = render_message(&message);
        assert!(text.contains("Change 42"));
        assert!(text.contains("Device: c9300"));
        assert!(text.contains("[1] Approve"));
        assert!(text.contains("[2] Decline"));
    }

    #[test]
    fn netbox_edits_parse_into_fields() {
        let (iface, fields) =
            parse_netbox_edit(" gi1/0/2 ticket=CHG-1 mtu=9000 enabled=no description=Printer <2>")
                .unwrap();
        assert_eq!(iface, "GigabitEthernet1/0/2");
        assert_eq!(
            fields,
            json!({"custom_fields": {"change_ticket_number": "CHG-1"}, "mtu": 9000,
                   "enabled": false, "description": "Printer <2>"})
        );
        assert!(parse_netbox_edit("").unwrap_err().contains("usage"));
        assert!(parse_netbox_edit("Gi1/0/2")
            .unwrap_err()
            .contains("nothing to change"));
        assert!(parse_netbox_edit("Gi1/0/2 mtu=big")
            .unwrap_err()
            .contains("mtu"));
        assert!(parse_netbox_edit("Gi1/0/2 color=red")
            .unwrap_err()
            .contains("unknown field"));
        assert!(parse_netbox_edit("Gi1/0/2 ticket")
            .unwrap_err()
            .contains("KEY=VALUE"));
    }

    #[test]
    fn connected_count_reads_the_socket_total() {
        assert_eq!(
            count_connected(&json!({"devices": [{"sockets": 1}], "sockets": 1})),
            1
        );
        assert_eq!(count_connected(&json!({"devices": [], "sockets": 0})), 0);
        assert_eq!(count_connected(&json!({"unexpected": true})), 0);
    }
}

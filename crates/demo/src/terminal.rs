//! What the terminal chat reads and prints: a `/netbox` line parsed into a NetBox edit, a `/ticket`
//! line into a Zammad network-change ticket, and a Webex message (text, markdown, cards with their
//! buttons) rendered as plain text.

use patchpanel::iface::InterfaceName;
use serde_json::Value;

/// What is wrong with a `/netbox` line, with the usage, for the person typing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(pub String);

impl std::ops::Deref for EditError {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

pub fn parse_netbox_edit(args: &str) -> Result<(String, Value), EditError> {
    const USAGE: &str =
        "usage: /netbox IFACE [ticket=T] [mtu=N] [enabled=yes|no] [description=TEXT]";
    let args = args.trim();
    let (iface, mut rest) = args.split_once(' ').unwrap_or((args, ""));
    if iface.is_empty() {
        return Err(EditError(USAGE.to_owned()));
    }
    let name = InterfaceName::parse(iface).map_err(|e| EditError(format!("{e}; {USAGE}")))?;
    let mut fields = serde_json::Map::new();
    let mut custom = serde_json::Map::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(text) = rest.strip_prefix("description=") {
            fields.insert("description".into(), Value::String(text.trim().to_owned()));
            break;
        }
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        let Some((key, value)) = word.split_once('=') else {
            return Err(EditError(format!("`{word}` is not KEY=VALUE; {USAGE}")));
        };
        match key {
            "ticket" => {
                custom.insert(
                    "change_ticket_number".into(),
                    Value::String(value.to_owned()),
                );
            }
            "mtu" => {
                let mtu: u32 = value
                    .parse()
                    .map_err(|_| EditError(format!("mtu `{value}` is not a number")))?;
                fields.insert("mtu".into(), Value::from(mtu));
            }
            "enabled" => {
                let on = match value {
                    "yes" | "true" | "on" => true,
                    "no" | "false" | "off" => false,
                    _ => return Err(EditError(format!("enabled `{value}` is not yes/no"))),
                };
                fields.insert("enabled".into(), Value::Bool(on));
            }
            _ => return Err(EditError(format!("unknown field `{key}`; {USAGE}"))),
        }
    }
    if !custom.is_empty() {
        fields.insert("custom_fields".into(), Value::Object(custom));
    }
    if fields.is_empty() {
        return Err(EditError(format!("nothing to change; {USAGE}")));
    }
    Ok((name.as_str().to_owned(), Value::Object(fields)))
}

/// `/console IFACE [description=TEXT] [mtu=N] [shutdown=yes|no] [vlan=N]` → the body of the device
/// simulator's `POST /_sim/cli`: a person at the switch's console, behind the bot's back.
pub fn parse_console(args: &str) -> Result<Value, EditError> {
    const USAGE: &str =
        "usage: /console IFACE [mtu=N] [shutdown=yes|no] [vlan=N] [description=TEXT]";
    let args = args.trim();
    let (iface, mut rest) = args.split_once(' ').unwrap_or((args, ""));
    if iface.is_empty() {
        return Err(EditError(USAGE.to_owned()));
    }
    let mut set = serde_json::Map::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(text) = rest.strip_prefix("description=") {
            set.insert("description".into(), Value::String(text.trim().to_owned()));
            break;
        }
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        let Some((key, value)) = word.split_once('=') else {
            return Err(EditError(format!("`{word}` is not KEY=VALUE; {USAGE}")));
        };
        let number = |what: &str| {
            value
                .parse::<u32>()
                .map_err(|_| EditError(format!("{what} `{value}` is not a number")))
        };
        match key {
            "mtu" => {
                set.insert("mtu".into(), Value::from(number("mtu")?));
            }
            "vlan" => {
                set.insert("access_vlan".into(), Value::from(number("vlan")?));
            }
            "shutdown" => {
                let on = match value {
                    "yes" | "true" | "on" => true,
                    "no" | "false" | "off" => false,
                    _ => return Err(EditError(format!("shutdown `{value}` is not yes/no"))),
                };
                set.insert("shutdown".into(), Value::Bool(on));
            }
            other => return Err(EditError(format!("unknown field `{other}`; {USAGE}"))),
        }
    }
    if set.is_empty() {
        return Err(EditError(format!("nothing to change; {USAGE}")));
    }
    Ok(serde_json::json!({
        "interface": iface, "set": set, "user": "admin", "line": "vty0", "from": "10.1.1.1"
    }))
}

/// `/ticket IFACE [device=D] [mtu=N] [enabled=yes|no] [vlan=MODE:UNTAGGED:TAGGED] [ip=A.B.C.D/N]
/// [description=TEXT…]` → the seven `network_*` attributes of a Zammad ticket, as its form fills
/// them (unset ones empty). The values go to the bot unchecked: it is the bot's job to refuse bad
/// ones, and the demo shows how.
pub fn parse_ticket(args: &str) -> Result<Value, EditError> {
    const USAGE: &str = "usage: /ticket IFACE [device=c9300] [mtu=N] [enabled=yes|no] \
                         [vlan=access:100:] [ip=10.1.2.3/24] [description=TEXT]";
    let args = args.trim();
    let (iface, mut rest) = args.split_once(' ').unwrap_or((args, ""));
    if iface.is_empty() {
        return Err(EditError(USAGE.to_owned()));
    }
    let mut t = serde_json::json!({
        "network_device_name": "c9300",
        "network_interface_name": iface,
        "network_interface_description": "",
        "network_interface_enabled": true,
        "network_interface_mtu": null,
        "network_interface_ip4_address": "",
        "network_switchport_mode_and_vlan": "::",
    });
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(text) = rest.strip_prefix("description=") {
            t["network_interface_description"] = Value::String(text.trim().to_owned());
            break;
        }
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        rest = tail;
        let Some((key, value)) = word.split_once('=') else {
            return Err(EditError(format!("`{word}` is not KEY=VALUE; {USAGE}")));
        };
        let field = match key {
            "device" => "network_device_name",
            "mtu" => "network_interface_mtu",
            "enabled" => "network_interface_enabled",
            "vlan" => "network_switchport_mode_and_vlan",
            "ip" => "network_interface_ip4_address",
            _ => return Err(EditError(format!("unknown field `{key}`; {USAGE}"))),
        };
        t[field] = match key {
            // Zammad's integer and boolean attributes take only those types.
            "mtu" => Value::from(
                value
                    .parse::<u32>()
                    .map_err(|_| EditError(format!("mtu `{value}` is not a number")))?,
            ),
            "enabled" => Value::Bool(match value {
                "yes" | "true" | "on" => true,
                "no" | "false" | "off" => false,
                _ => return Err(EditError(format!("enabled `{value}` is not yes/no"))),
            }),
            _ => Value::String(value.to_owned()),
        };
    }
    Ok(t)
}

/// A bot message as terminal text: its markdown, and a card's text and numbered buttons.
pub fn render_message(message: &Value) -> String {
    let text = message
        .get("markdown")
        .or_else(|| message.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = format!("patchpanel> {}", text.trim_end());
    for card in cards(message) {
        let mut texts = Vec::new();
        collect_texts(card.get("body").unwrap_or(&Value::Null), &mut texts);
        for t in texts {
            out.push_str(&format!("\n  │ {t}"));
        }
        for (i, action) in submit_actions(card).iter().enumerate() {
            let title = action
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("(button)");
            out.push_str(&format!("\n  [{}] {title}", i + 1));
        }
    }
    out
}

pub(super) fn cards(message: &Value) -> Vec<&Value> {
    message
        .get("attachments")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|att| att.get("content")).collect())
        .unwrap_or_default()
}

fn collect_texts(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Array(items) => items.iter().for_each(|i| collect_texts(i, out)),
        Value::Object(map) => {
            match map.get("type").and_then(Value::as_str) {
                Some("TextBlock") => {
                    if let Some(t) = map.get("text").and_then(Value::as_str) {
                        out.push(t.to_owned());
                    }
                }
                Some("FactSet") => {
                    for f in map
                        .get("facts")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let title = f.get("title").and_then(Value::as_str).unwrap_or("");
                        let value = f.get("value").and_then(Value::as_str).unwrap_or("");
                        out.push(format!("{title}: {value}"));
                    }
                }
                _ => {}
            }
            for key in ["items", "columns", "body"] {
                if let Some(child) = map.get(key) {
                    collect_texts(child, out);
                }
            }
        }
        _ => {}
    }
}

pub(super) fn submit_actions(card: &Value) -> Vec<&Value> {
    card.get("actions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|x| x.get("type").and_then(Value::as_str) == Some("Action.Submit"))
                .collect()
        })
        .unwrap_or_default()
}

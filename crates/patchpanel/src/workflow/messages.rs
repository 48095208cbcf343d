//! The Webex markdown W2 posts, one round per change (pure): received → valid/configuring or
//! invalid → configured or failed. Every value that came from NetBox or a device is escaped, so a
//! description such as `*x* <b>|` cannot inject formatting; nothing here ever sees a token.

use crate::device::apply::{ApplyError, ApplyReport, Outcome};
use crate::device::change::{Edit, Field, ModeChange, Problem, ValidChange};
use crate::netbox::NetboxError;

/// Longest piece of outside text shown (descriptions are ≤ 200, device errors can be long).
const MAX_TEXT: usize = 400;
/// Problems listed before the rest is summarized.
const MAX_PROBLEMS: usize = 20;

/// Escapes outside text for markdown as `text_safety::escape_markdown` does, bounded by `MAX_TEXT`
/// rather than a table cell's width.
pub fn escape(s: &str) -> String {
    crate::text_safety::escape_markdown_bounded(s, MAX_TEXT)
}

/// Which change a message is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub device: &'a str,
    pub interface: &'a str,
    pub ticket: &'a str,
}

impl Subject<'_> {
    fn head(&self) -> String {
        format!(
            "**{}** on **{}** (ticket **{}**)",
            escape(self.interface),
            escape(self.device),
            escape(self.ticket)
        )
    }
}

/// The edit was seen; `edited_by` is the NetBox user when the change log names one.
pub fn received(s: &Subject<'_>, edited_by: Option<&str>) -> String {
    let by = edited_by
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| format!(", edited by {}", escape(u)))
        .unwrap_or_default();
    format!("📥 NetBox change received: {}{by}", s.head())
}

/// The change is valid and is being pushed; lists what will be set.
pub fn configuring(s: &Subject<'_>, valid: &ValidChange) -> String {
    let mut lines = vec![format!(
        "✅ Valid data received for {}; configuring the device:",
        s.head()
    )];
    lines.extend(what_is_set(valid).into_iter().map(|l| format!("- {l}")));
    lines.join("\n")
}

/// What a valid change sets, one item per line (no bullets).
pub fn what_is_set(v: &ValidChange) -> Vec<String> {
    let mut out = Vec::new();
    match &v.description {
        Some(Edit::Set(t)) => out.push(format!("description: “{}”", escape(t))),
        Some(Edit::Remove) => out.push("description: removed".to_owned()),
        None => {}
    }
    match v.enabled {
        Some(true) => out.push("enabled (no shutdown)".to_owned()),
        Some(false) => out.push("disabled (shutdown)".to_owned()),
        None => {}
    }
    match &v.mtu {
        Some(Edit::Set(m)) => out.push(format!("MTU {m}")),
        Some(Edit::Remove) => out.push("MTU: the device default (no mtu)".to_owned()),
        None => {}
    }
    match &v.mode {
        Some(ModeChange::Access { vlan }) => out.push(format!("access port in VLAN {vlan}")),
        Some(ModeChange::Trunk { native, allowed }) => {
            let native = native
                .map(|n| format!("native VLAN {n}"))
                .unwrap_or_else(|| "native VLAN unchanged".to_owned());
            let allowed = if allowed.as_str() == "1-4094" {
                "all VLANs".to_owned()
            } else {
                format!("VLANs {}", escape(allowed.as_str()))
            };
            out.push(format!("trunk carrying {allowed}, {native}"));
        }
        Some(ModeChange::Routed) => out.push("routed port".to_owned()),
        None => {}
    }
    match &v.ipv4 {
        Some(Edit::Set(net)) => out.push(format!("IPv4 {net}")),
        Some(Edit::Remove) => out.push("IPv4 removed".to_owned()),
        None => {}
    }
    out
}

/// The change cannot be made: every reason, and how to try again. Nothing reached the device.
pub fn invalid(s: &Subject<'_>, problems: &[Problem]) -> String {
    let mut lines = vec![format!(
        "❌ The NetBox change of {} is not valid; nothing was sent to the device:",
        s.head()
    )];
    lines.extend(
        problems
            .iter()
            .take(MAX_PROBLEMS)
            .map(|p| format!("- {}: {}", field_name(p.field), escape(&p.message))),
    );
    if problems.len() > MAX_PROBLEMS {
        lines.push(format!("- … and {} more", problems.len() - MAX_PROBLEMS));
    }
    lines.push("Fix it in NetBox and set the ticket number again.".to_owned());
    lines.join("\n")
}

/// A problem's field as W2 names it: the reason of a W2 change is its ticket number.
fn field_name(f: Field) -> String {
    match f {
        Field::Reason => "ticket number".to_owned(),
        other => other.to_string(),
    }
}

/// What NetBox refused, naming each field it named (`- \`field\`: message`).
fn netbox_refusal(e: &NetboxError) -> String {
    match e {
        NetboxError::Invalid { field_errors, .. } if !field_errors.is_empty() => field_errors
            .iter()
            .take(MAX_PROBLEMS)
            .map(|f| {
                let field = match f.field.as_str() {
                    // NetBox's model-wide validation (e.g. a required custom field).
                    "__all__" | "non_field_errors" => "the interface as a whole",
                    "request" => "the request",
                    name => name,
                };
                format!("- {}: {}", escape(field), escape(&f.messages.join("; ")))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("- {}", escape(&other.to_string())),
    }
}

/// The change was handled (`outcome`) but NetBox refused to clear its ticket number for a reason
/// that asking again will not fix. The job ends; a person clears the ticket.
pub fn clear_refused(s: &Subject<'_>, outcome: &str, e: &NetboxError) -> String {
    format!(
        "⚠️ NetBox refused to clear the ticket number of {}:\n{}\nThe change itself: {}.\nClear the ticket number in NetBox by hand (and fix what NetBox names); the bot will not try again.",
        s.head(),
        netbox_refusal(e),
        escape(outcome)
    )
}

/// NetBox refused to show the interface for a reason asking again will not fix.
pub fn unreadable(interface_id: u64, ticket: &str, e: &NetboxError) -> String {
    format!(
        "🔴 The NetBox change of interface id {interface_id} (ticket **{}**) cannot be handled: NetBox refused to show the interface:\n{}\nNothing was sent to the device. Fix it in NetBox and set the ticket number again.",
        escape(ticket),
        netbox_refusal(e)
    )
}

/// The change could not be finished after `attempts` attempts (NetBox kept failing for it while
/// answering otherwise). The job ends; nothing more is tried.
pub fn gave_up(s: &Subject<'_>, attempts: u32, reason: &str, outcome: Option<&str>) -> String {
    let so_far = outcome
        .filter(|o| !o.trim().is_empty())
        .map(|o| format!("\nThe change itself: {}.", escape(o)))
        .unwrap_or_default();
    format!(
        "🔴 Gave up on the NetBox change of {} after {attempts} attempts: {}{so_far}\nThe ticket number is still set in NetBox. Fix the cause, then set the ticket number again (or clear it by hand); the bot will not try again by itself.",
        s.head(),
        escape(reason)
    )
}

/// The device could not be resolved (unknown, no address): the change cannot go anywhere.
pub fn invalid_device(s: &Subject<'_>, why: &str) -> String {
    format!(
        "❌ The NetBox change of {} cannot be pushed: {}\nFix it in NetBox and set the ticket number again.",
        s.head(),
        escape(why)
    )
}

/// The outcome of the apply: configured when verified, failed otherwise (the report says why).
pub fn finished(s: &Subject<'_>, report: &ApplyReport) -> String {
    match report.outcome {
        Outcome::Applied { .. } => format!(
            "🟢 Device configured for ticket **{}**:\n{}",
            escape(s.ticket),
            crate::render::apply_report(report)
        ),
        _ => format!(
            "🔴 The device was not configured for ticket **{}** ({}):\n{}\nSet the ticket number again in NetBox to retry.",
            escape(s.ticket),
            report.outcome.word(),
            crate::render::apply_report(report)
        ),
    }
}

/// The apply did not happen (busy, unreachable, interrupted, refused before sending).
pub fn failed(s: &Subject<'_>, err: &ApplyError) -> String {
    if err.may_have_changed() {
        return format!(
            "🟠 OUTCOME UNKNOWN: {}: {}\nCheck the device, then set the ticket number again in NetBox if the change is still wanted.",
            s.head(),
            escape(&err.to_string())
        );
    }
    format!(
        "🔴 The device was not configured: {}: {}\nSet the ticket number again in NetBox to retry.",
        s.head(),
        escape(&err.to_string())
    )
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;

//! The notifier's chat texts (pure): the message for one change, the `changes` list and one change
//! with its whole diff. Every value from a device or a signal is escaped; long diffs are cut with a
//! count of what was left out and a pointer to `changes <device> <n>`.

use super::record::{ChangeRecord, Verdict};
use crate::approval::when::utc_minute;
use crate::text_safety::{escape_markdown, escape_markdown_bounded};

/// Diff lines in a notification; the rest is counted (and shown by `changes <device> <n>`).
pub const NOTIFY_DIFF_LINES: usize = 20;
/// Diff lines `changes <device> <n>` shows (a chat message is split on line boundaries).
pub const SHOW_DIFF_LINES: usize = 400;
/// Changes `changes` lists.
pub const LIST_LIMIT: usize = 15;

const LINE_CHARS: usize = 300;

/// How a report of a planned change starts.
pub const PLANNED_HEAD: &str = "✅ **Configuration changed**";
/// How a report of an unplanned change starts.
pub const UNPLANNED_HEAD: &str = "⚠️ **Unplanned configuration change**";

/// Whether a message the bot posted is a configuration-change report (tests and tools tell them
/// from the workflows' messages when both go to the same room).
pub fn is_report(markdown: &str) -> bool {
    markdown.starts_with(PLANNED_HEAD) || markdown.starts_with(UNPLANNED_HEAD)
}

fn who(r: &ChangeRecord) -> String {
    let mut out = match &r.by.user {
        Some(u) => format!("by **{}**", escape_markdown(u)),
        None => "by an unknown user".to_owned(),
    };
    if let Some(h) = &r.by.source_host {
        out.push_str(&format!(" from {}", escape_markdown(h)));
    }
    if let Some(l) = &r.by.line {
        out.push_str(&format!(" on {}", escape_markdown(l)));
    }
    out
}

fn verdict_words(v: &Verdict) -> String {
    match v {
        Verdict::Planned { reasons } if reasons.is_empty() => "planned".to_owned(),
        Verdict::Planned { reasons } => format!(
            "planned: {}",
            reasons
                .iter()
                .map(|r| escape_markdown(r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Verdict::Unplanned { also_planned } if also_planned.is_empty() => "unplanned".to_owned(),
        Verdict::Unplanned { also_planned } => format!(
            "unplanned (besides {})",
            also_planned
                .iter()
                .map(|r| escape_markdown(r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn diff_block(r: &ChangeRecord, max: usize) -> String {
    let mut out = String::new();
    for line in r.diff.iter().take(max) {
        out.push_str("- ");
        out.push_str(&escape_markdown_bounded(line, LINE_CHARS));
        out.push('\n');
    }
    let left = r.diff.len().saturating_sub(max) + r.diff_left_out;
    if left > 0 {
        out.push_str(&format!(
            "- … and {left} more line{}\n",
            if left == 1 { "" } else { "s" }
        ));
    }
    out
}

fn drift_block(r: &ChangeRecord) -> String {
    let mut out = String::new();
    if !r.drift.is_empty() {
        out.push_str("**Drift from NetBox** (the source of truth says otherwise):\n");
        for d in &r.drift {
            out.push_str(&format!("- {}\n", escape_markdown_bounded(d, LINE_CHARS)));
        }
    }
    if let Some(note) = &r.drift_note {
        out.push_str(&format!(
            "_NetBox could not be compared: {}_\n",
            escape_markdown_bounded(note, LINE_CHARS)
        ));
    }
    out
}

/// The message posted for one change.
pub fn notification(n: u64, r: &ChangeRecord) -> String {
    let head = if r.verdict.is_planned() {
        format!(
            "{PLANNED_HEAD} on **{}** (change {n}, {})",
            escape_markdown(&r.device),
            verdict_words(&r.verdict)
        )
    } else {
        format!(
            "{UNPLANNED_HEAD} on **{}** (change {n}{})",
            escape_markdown(&r.device),
            match &r.verdict {
                Verdict::Unplanned { also_planned } if !also_planned.is_empty() =>
                    format!(", {}", verdict_words(&r.verdict)),
                _ => String::new(),
            }
        )
    };
    let mut out = format!(
        "{head}\n{} · {} · seen by {}\n",
        who(r),
        utc_minute(r.first_signal_ms.min(r.seen_at_ms)),
        r.vias.join(", ")
    );
    out.push_str(&diff_block(r, NOTIFY_DIFF_LINES));
    out.push_str(&drift_block(r));
    if r.diff.len() + r.diff_left_out > NOTIFY_DIFF_LINES {
        out.push_str(&format!(
            "Whole diff: `changes {} {n}`\n",
            escape_markdown(&r.device)
        ));
    }
    out.trim_end().to_owned()
}

/// One line of the `changes` list.
pub fn list_line(n: u64, r: &ChangeRecord) -> String {
    let mark = if r.verdict.is_planned() {
        "✅"
    } else {
        "⚠️"
    };
    format!(
        "- {mark} {} · **{}** #{n} · {} · {} · {}",
        utc_minute(r.seen_at_ms),
        escape_markdown(&r.device),
        who(r),
        verdict_words(&r.verdict),
        escape_markdown_bounded(&r.summary, 160)
    )
}

/// The `changes [device]` answer. `records`: newest first.
pub fn list(device: Option<&str>, records: &[(u64, ChangeRecord)]) -> String {
    let scope = match device {
        Some(d) => format!("on **{}**", escape_markdown(d)),
        None => "on all devices".to_owned(),
    };
    if records.is_empty() {
        return format!("No configuration changes recorded {scope}.");
    }
    let mut out = format!(
        "**Recent configuration changes** {scope} (newest first; `changes <device> <n>` shows one):\n"
    );
    for (n, r) in records {
        out.push_str(&list_line(*n, r));
        out.push('\n');
    }
    out.trim_end().to_owned()
}

/// The `changes <device> <n>` answer.
pub fn one(n: u64, r: &ChangeRecord) -> String {
    let mut out = format!(
        "**Change {n} on {}** · {} · {} · {}\nseen by {} ({} signal{}) at {}\n",
        escape_markdown(&r.device),
        utc_minute(r.seen_at_ms),
        who(r),
        verdict_words(&r.verdict),
        r.vias.join(", "),
        r.signals,
        if r.signals == 1 { "" } else { "s" },
        utc_minute(r.seen_at_ms),
    );
    out.push_str(&diff_block(r, SHOW_DIFF_LINES));
    out.push_str(&drift_block(r));
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::record::By;

    fn record(diff: Vec<String>, verdict: Verdict) -> ChangeRecord {
        ChangeRecord {
            device: "c9300".into(),
            seen_at_ms: 1_780_000_000_000,
            first_signal_ms: 1_780_000_000_000,
            vias: vec!["syslog".into()],
            signals: 1,
            by: By {
                user: Some("admin".into()),
                source_host: Some("10.1.1.1".into()),
                line: Some("vty0".into()),
            },
            verdict,
            summary: "Gi1/0/7 description".into(),
            diff,
            diff_left_out: 0,
            interfaces: vec!["GigabitEthernet1/0/7".into()],
            drift: vec![],
            drift_note: None,
        }
    }

    #[test]
    fn an_unplanned_change_says_who_and_the_diff() {
        let r = record(
            vec!["interface GigabitEthernet1/0/7: description \"a\" → \"rogue\"".into()],
            Verdict::Unplanned {
                also_planned: vec![],
            },
        );
        let m = notification(3, &r);
        assert!(m.starts_with("⚠️ **Unplanned configuration change** on **c9300** (change 3)"));
        assert!(m.contains("by **admin** from 10.1.1.1 on vty0"), "{m}");
        assert!(m.contains("description \"a\" → \"rogue\""), "{m}");
        assert!(!m.contains("Whole diff"));
    }

    #[test]
    fn a_planned_change_names_its_ticket() {
        let r = record(
            vec!["x".into()],
            Verdict::Planned {
                reasons: vec!["ticket 42".into()],
            },
        );
        assert!(notification(4, &r).contains("planned: ticket 42"));
    }

    #[test]
    fn long_diffs_are_cut_with_a_count_and_a_pointer() {
        let mut r = record(
            (0..30).map(|i| format!("+ vlan {i}")).collect(),
            Verdict::Unplanned {
                also_planned: vec![],
            },
        );
        r.diff_left_out = 5;
        let m = notification(9, &r);
        assert!(m.contains("… and 15 more lines"), "{m}");
        assert!(m.contains("`changes c9300 9`"));
        assert!(one(9, &r).contains("… and 5 more lines"));
    }

    #[test]
    fn device_text_cannot_inject_markdown() {
        let mut r = record(
            vec!["interface X: description \"**bold** [link](http://x)\u{202e}\"".into()],
            Verdict::Unplanned {
                also_planned: vec![],
            },
        );
        r.by.user = Some("<@all>".into());
        let m = notification(1, &r);
        assert!(!m.contains("**bold**"));
        assert!(!m.contains("<@all>"));
        assert!(!m.contains('\u{202e}'));
    }

    #[test]
    fn the_list_says_when_there_is_nothing() {
        assert!(list(Some("c9300"), &[]).contains("No configuration changes recorded on **c9300**"));
        let r = record(
            vec![],
            Verdict::Unplanned {
                also_planned: vec![],
            },
        );
        let l = list(None, &[(2, r)]);
        assert!(l.contains("**c9300** #2"), "{l}");
        assert!(l.contains("Gi1/0/7 description"));
    }
}

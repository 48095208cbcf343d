//! Chat markdown (pure) for what the device layer returns: VRFs, an interface and NetBox's intent
//! beside it, a change's diff and an apply report. Every value that came from a device is escaped, so a description
//! such as `a|b *x* <y>` cannot break the table or inject formatting.

use crate::device::apply::{ApplyReport, Outcome};
use crate::device::diff::{Diff, FieldChange};
use crate::device::intent::{compare, Intent, Row, Verdict};
use crate::device::model::{Answer, InterfaceConfig, InterfaceView, PortMode, Vrf};
use crate::text_safety::escape_markdown as escape;

/// Rows shown before the table is cut (a Webex message holds ~7 KB).
pub const MAX_VRF_ROWS: usize = 40;
fn opt(s: &Option<String>) -> String {
    s.as_deref().map(escape).unwrap_or_else(|| "—".into())
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.iter().map(|s| escape(s)).collect::<Vec<_>>().join(", ")
    }
}

pub fn vrfs(answer: &Answer<Vec<Vrf>>) -> String {
    let dev = escape(&answer.device);
    let via = answer.protocol;
    let n = answer.data.len();
    if n == 0 {
        return format!("**{dev}** has no VRFs configured (via {via}).");
    }
    let mut out = format!(
        "**{dev}** — {n} VRF{} (via {via})\n\n",
        if n == 1 { "" } else { "s" }
    );
    out.push_str("| VRF | RD | RT import | RT export | Address families | Description |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for v in answer.data.iter().take(MAX_VRF_ROWS) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            escape(&v.name),
            opt(&v.rd),
            list(&v.import_targets),
            list(&v.export_targets),
            list(&v.address_families),
            opt(&v.description),
        ));
    }
    if n > MAX_VRF_ROWS {
        out.push_str(&format!("\n…and {} more.\n", n - MAX_VRF_ROWS));
    }
    out.trim_end().to_string()
}

/// ietf-interfaces reports speed in bit/s (`1000000000`); people read `1 Gbit/s`.
fn speed(raw: &str) -> String {
    let Ok(bits) = raw.trim().parse::<u64>() else {
        return escape(raw);
    };
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "Tbit/s"),
        (1_000_000_000, "Gbit/s"),
        (1_000_000, "Mbit/s"),
        (1_000, "kbit/s"),
    ];
    for (scale, unit) in UNITS {
        if bits >= scale && bits % (scale / 10) == 0 {
            let tenths = bits / (scale / 10);
            return if tenths % 10 == 0 {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bits} bit/s")
}

pub fn interface(answer: &Answer<InterfaceView>) -> String {
    let c = &answer.data.config;
    let mut rows: Vec<(&str, String)> = vec![("Description", opt(&c.description))];
    rows.push((
        "Admin state",
        match c.shutdown {
            Some(true) => "shutdown".into(),
            Some(false) => "enabled".into(),
            None => "unknown".into(),
        },
    ));
    if let Some(st) = &answer.data.state {
        if let Some(o) = &st.oper_status {
            rows.push(("Oper state", escape(o)));
        }
        if let Some(s) = &st.speed {
            rows.push(("Speed", speed(s)));
        }
    }
    if let Some(m) = &c.mode {
        rows.push((
            "Mode",
            match m {
                PortMode::Access { vlan: Some(v) } => format!("access, VLAN {v}"),
                PortMode::Access { vlan: None } => "access (default VLAN)".into(),
                PortMode::Trunk { allowed, native } => format!(
                    "trunk, allowed VLANs {}, native VLAN {}",
                    allowed
                        .as_deref()
                        .map(escape)
                        .unwrap_or_else(|| "all".into()),
                    native
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "1 (default)".into()),
                ),
                PortMode::Routed => "routed".into(),
            },
        ));
    }
    rows.push((
        "IPv4",
        if c.ipv4.is_empty() {
            "—".into()
        } else {
            c.ipv4
                .iter()
                .map(|a| {
                    if a.mask.is_empty() {
                        escape(&a.address)
                    } else if a.mask.starts_with('/') {
                        format!("{}{}", escape(&a.address), escape(&a.mask))
                    } else {
                        format!("{} {}", escape(&a.address), escape(&a.mask))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
    ));
    rows.push((
        "MTU",
        c.mtu
            .map(|m| m.to_string())
            .unwrap_or_else(|| "default".into()),
    ));
    rows.push((
        "VRF",
        c.vrf
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "global".into()),
    ));
    let mut out = format!(
        "**{}** — {} (via {})\n\n| Field | Value |\n|---|---|\n",
        escape(&answer.device),
        escape(&c.name),
        answer.protocol
    );
    for (k, v) in rows {
        out.push_str(&format!("| {k} | {v} |\n"));
    }
    out.trim_end().to_string()
}

/// The comparison as markdown: a heading that says whether anything differs, then the table.
/// Every value is escaped.
pub fn intent(intent: &Intent, device: &InterfaceConfig) -> String {
    intent_rows(&compare(intent, device))
}

pub fn intent_rows(rows: &[Row]) -> String {
    let differ = rows
        .iter()
        .filter(|r| r.verdict == Verdict::Differs)
        .count();
    let summary = match differ {
        0 => "in sync".to_owned(),
        1 => "1 field differs".to_owned(),
        n => format!("{n} fields differ"),
    };
    let mut out =
        format!("**NetBox intent vs device** — {summary}\n\n| Field | NetBox | Device | |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.field,
            escape(&r.netbox),
            escape(&r.device),
            r.verdict.mark()
        ));
    }
    out.trim_end().to_owned()
}

/// `- **mtu**: 1500 → 9000`, values escaped for markdown.
pub fn field_change(change: &FieldChange) -> String {
    let v = |s: &Option<String>| s.as_deref().map(escape).unwrap_or_else(|| "—".into());
    format!(
        "- **{}**: {} → {}",
        change.field,
        v(&change.before),
        v(&change.after)
    )
}

/// One markdown line per changed field; a single "no change" line when nothing differs.
pub fn diff_lines(diff: &Diff) -> Vec<String> {
    if diff.changes.is_empty() {
        return vec!["- no change".into()];
    }
    diff.changes.iter().map(field_change).collect()
}

/// An apply report for chat: headline, diff lines, warnings. Device text is escaped.
pub fn apply_report(report: &ApplyReport) -> String {
    let headline = match &report.outcome {
        Outcome::Applied { diff } if diff.is_empty() => format!(
            "**{}** {} on **{}**: already as requested, nothing written",
            escape(&report.interface),
            "unchanged",
            escape(&report.device)
        ),
        Outcome::Applied { .. } => format!(
            "**{}** on **{}**: applied and verified ({})",
            escape(&report.interface),
            escape(&report.device),
            escape(&report.reason.to_string())
        ),
        Outcome::Rejected { device_words, .. } => format!(
            "**{}** on **{}**: the device refused the change, nothing was changed: {}",
            escape(&report.interface),
            escape(&report.device),
            escape(device_words)
        ),
        Outcome::RolledBack { reason, .. } => format!(
            "**{}** on **{}**: rolled back, the device is unchanged: {}",
            escape(&report.interface),
            escape(&report.device),
            escape(reason)
        ),
        Outcome::OutcomeUnknown { detail, .. } => format!(
            "**{}** on **{}**: OUTCOME UNKNOWN, check the device: {}",
            escape(&report.interface),
            escape(&report.device),
            escape(detail)
        ),
    };
    let mut lines = vec![headline];
    lines.extend(diff_lines(report.outcome.diff()));
    lines.extend(report.warnings.iter().map(|w| format!("- ⚠ {}", escape(w))));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::intent::IntentMode;
    use crate::text_safety::{escape_markdown_bounded as escape_bounded, MAX_CELL};

    fn configured(
        description: Option<&str>,
        shutdown: Option<bool>,
        mtu: Option<u32>,
    ) -> InterfaceConfig {
        InterfaceConfig {
            name: "GigabitEthernet1/0/2".into(),
            description: description.map(str::to_owned),
            shutdown,
            mode: Some(PortMode::Access { vlan: None }),
            mtu,
            ..InterfaceConfig::default()
        }
    }

    fn wanted(description: Option<&str>, enabled: bool, mtu: Option<u32>) -> Intent {
        Intent {
            description: description.map(str::to_owned),
            enabled,
            mtu,
            mode: IntentMode::Unset,
        }
    }

    #[test]
    fn intent_in_sync_shows_the_device_text_escaped() {
        let rows = compare(
            &wanted(Some("printer"), true, None),
            &configured(Some("printer ##ticket:1234##"), Some(false), Some(1500)),
        );
        let md = intent_rows(&rows);
        assert!(
            md.starts_with("**NetBox intent vs device** — in sync"),
            "{md}"
        );
        assert!(
            md.contains("| Description | printer | printer \\#\\#ticket:1234\\#\\# |  |"),
            "{md}"
        );
    }

    #[test]
    fn intent_differences_are_marked_and_counted() {
        let rows = compare(
            &wanted(Some("new desc"), false, Some(9000)),
            &configured(Some("old desc"), Some(false), None),
        );
        let md = intent_rows(&rows);
        assert!(md.contains("3 fields differ"), "{md}");
        assert!(md.contains("| MTU | 9000 | default | ≠ |"), "{md}");
        assert!(
            md.contains("| Admin state | shutdown | enabled | ≠ |"),
            "{md}"
        );
    }

    #[test]
    fn intent_unknown_device_values_are_not_differences() {
        let mut d = configured(None, None, None);
        d.mode = None;
        assert!(intent_rows(&compare(&wanted(None, true, None), &d)).contains("in sync"));
    }

    #[test]
    fn intent_hostile_values_are_escaped() {
        let rows = compare(
            &wanted(Some("a|b *x* <script>\n"), true, None),
            &configured(Some("a|b"), Some(false), None),
        );
        let md = intent_rows(&rows);
        for line in md.lines().filter(|l| l.starts_with("| Description")) {
            assert_eq!(line.replace("\\|", "").matches('|').count(), 5, "{line}");
            assert!(!line.contains("<script>"), "{line}");
        }
    }

    use crate::device::model::{InterfaceConfig, InterfaceState, Ipv4, Protocol};

    fn vrf(name: &str) -> Vrf {
        Vrf {
            name: name.into(),
            rd: Some("65000:1".into()),
            address_families: vec!["ipv4".into()],
            ..Vrf::default()
        }
    }

    #[test]
    fn vrf_table_heading_rows_and_escaping() {
        let mut blue = vrf("BLUE");
        blue.description = Some("a|b *x* `c` <script>\nnext".into());
        blue.import_targets = vec!["65000:2".into()];
        let a = Answer {
            device: "c9300".into(),
            protocol: Protocol::Restconf,
            data: vec![blue, vrf("MGMT")],
        };
        let md = vrfs(&a);
        assert!(md.starts_with("**c9300** — 2 VRFs (via RESTCONF)"), "{md}");
        assert!(
            md.contains("| VRF | RD | RT import | RT export | Address families | Description |")
        );
        assert!(md.contains("| BLUE | 65000:1 | 65000:2 | — | ipv4 | a\\|b \\*x\\* \\`c\\` &lt;script&gt; next |"), "{md}");
        assert!(md.contains("| MGMT |"));
        // every data row has exactly the 7 unescaped pipes of a 6-column row
        for line in md.lines().filter(|l| l.starts_with("| BLUE")) {
            let unescaped = line.replace("\\|", "").matches('|').count();
            assert_eq!(unescaped, 7, "{line}");
        }
    }

    #[test]
    fn no_vrfs_is_a_friendly_line_and_many_are_cut() {
        let mut a = Answer {
            device: "sw_1".into(),
            protocol: Protocol::Netconf,
            data: vec![],
        };
        assert_eq!(vrfs(&a), "**sw\\_1** has no VRFs configured (via NETCONF).");
        a.data = (0..MAX_VRF_ROWS + 3)
            .map(|i| vrf(&format!("V{i:03}")))
            .collect();
        let md = vrfs(&a);
        assert!(md.contains("…and 3 more."));
        assert!(md.starts_with("**sw\\_1** — 43 VRFs"));
    }

    #[test]
    fn interface_table() {
        let a = Answer {
            device: "c9300".into(),
            protocol: Protocol::Netconf,
            data: InterfaceView {
                config: InterfaceConfig {
                    name: "GigabitEthernet1/0/2".into(),
                    description: Some("uplink to core".into()),
                    shutdown: Some(false),
                    mode: Some(PortMode::Trunk {
                        allowed: Some("10,20".into()),
                        native: Some(99),
                    }),
                    ipv4: vec![Ipv4 {
                        address: "192.0.2.1".into(),
                        mask: "255.255.255.0".into(),
                    }],
                    mtu: Some(9000),
                    vrf: Some("MGMT".into()),
                },
                state: Some(InterfaceState {
                    oper_status: Some("up".into()),
                    ..InterfaceState::default()
                }),
            },
        };
        let md = interface(&a);
        assert!(
            md.starts_with("**c9300** — GigabitEthernet1/0/2 (via NETCONF)"),
            "{md}"
        );
        for row in [
            "| Description | uplink to core |",
            "| Admin state | enabled |",
            "| Oper state | up |",
            "| Mode | trunk, allowed VLANs 10,20, native VLAN 99 |",
            "| IPv4 | 192.0.2.1 255.255.255.0 |",
            "| MTU | 9000 |",
            "| VRF | MGMT |",
        ] {
            assert!(md.contains(row), "missing {row} in\n{md}");
        }
    }

    #[test]
    fn escape_bounds_length_and_kills_control_chars() {
        let long = "x".repeat(1000);
        assert_eq!(escape(&long).chars().count(), MAX_CELL + 1);
        assert_eq!(escape("a\u{7}\r\nb"), "a   b");
    }

    /// Every character that can disguise text comes out visible, in every escaped value.
    #[test]
    fn disguising_characters_are_shown_visibly() {
        assert_eq!(
            escape("uplink\u{202E}1/0/1ig"),
            "uplink&lt;U+202E&gt;1/0/1ig"
        );
        for c in ('\u{2000}'..='\u{2070}').chain(['\u{FEFF}']) {
            let out = escape_bounded(&format!("a{c}b"), 10);
            assert!(
                !out.chars().any(crate::text_safety::is_disguising),
                "U+{:04X}: {out:?}",
                u32::from(c)
            );
        }
        // One character of the bound, however long its visible form.
        assert_eq!(
            escape_bounded("\u{200B}\u{200B}xyz", 2),
            "&lt;U+200B&gt;&lt;U+200B&gt;…"
        );
    }

    #[test]
    fn rlo_in_a_device_description_renders_visibly() {
        let a = Answer {
            device: "c9300".into(),
            protocol: Protocol::Netconf,
            data: InterfaceView {
                config: InterfaceConfig {
                    name: "GigabitEthernet1/0/2".into(),
                    description: Some("printer \u{202E}1/0/1ig knilpu".into()),
                    ..InterfaceConfig::default()
                },
                state: None,
            },
        };
        let md = interface(&a);
        assert!(
            md.contains("| Description | printer &lt;U+202E&gt;1/0/1ig knilpu |"),
            "{md}"
        );
        assert!(!md.chars().any(crate::text_safety::is_disguising), "{md}");
    }

    #[test]
    fn speeds_read_like_a_switch() {
        assert_eq!(speed("1000000000"), "1 Gbit/s");
        assert_eq!(speed("2500000000"), "2.5 Gbit/s");
        assert_eq!(speed("100000000"), "100 Mbit/s");
        assert_eq!(speed("25000000000"), "25 Gbit/s");
        assert_eq!(speed("1234"), "1234 bit/s");
        assert_eq!(speed("auto|x"), escape("auto|x"));
    }
}

//! The command table: one row per command. It is the single source for the parser's keyword
//! dispatch and argument order, for `help`, and for the command list in the READMEs, so the three
//! cannot drift apart.

use super::Command;
use crate::iface::InterfaceName;

/// Whether the bot acts on a command yet. Reserved commands parse, so users get the real syntax
/// checked now, but the app answers "not available yet".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    Reserved,
}

/// How one argument is read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A fixed word chosen from a list, such as `interface` in `show interface`. Produces no value.
    Keyword {
        canonical: &'static str,
        aliases: &'static [&'static str],
    },
    /// A command name, for `help`.
    Topic,
    Device,
    Interface,
    Id,
    /// A whole number from 1 (a change's number on its device).
    Number,
    /// The rest of the line: one quoted word, or free text.
    Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    /// The placeholder shown in usage lines (`<device>`).
    pub name: &'static str,
    pub kind: ArgKind,
    pub required: bool,
}

/// The most value-producing (non-keyword) arguments a row may have; a unit test holds rows to it.
pub const MAX_VALUES: usize = 2;

/// One checked argument value: text, or an interface name already read by the interface table.
#[derive(Debug)]
pub enum Value {
    Text(String),
    Interface(InterfaceName),
}

/// Argument values in the order of the row's non-keyword arguments; `None` for an absent optional.
#[derive(Debug, Default)]
pub struct Values(pub [Option<Value>; MAX_VALUES]);

impl Values {
    fn take(&mut self, index: usize) -> Option<String> {
        match self.0.get_mut(index).and_then(Option::take)? {
            Value::Text(t) => Some(t),
            Value::Interface(n) => Some(n.as_str().to_owned()),
        }
    }

    fn take_interface(&mut self, index: usize) -> Option<InterfaceName> {
        match self.0.get_mut(index).and_then(Option::take)? {
            Value::Interface(n) => Some(n),
            Value::Text(_) => None,
        }
    }
}

#[derive(Debug)]
pub struct Row {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub args: &'static [Arg],
    pub usage: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub examples: &'static [&'static str],
    pub availability: Availability,
    /// Builds the command from checked values. Required values are always present (the parser
    /// guarantees it), so the empty default is never observed.
    pub build: fn(Values) -> Command,
}

impl Row {
    /// Whether `word` is this command's name or one of its aliases (ASCII case-insensitive).
    pub fn is_called(&self, word: &str) -> bool {
        self.name.eq_ignore_ascii_case(word)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
    }

    /// The keyword argument of this row, if any (`interface` for `show`).
    pub fn keyword(&self) -> Option<(&'static str, &'static [&'static str])> {
        self.args.iter().find_map(|a| match a.kind {
            ArgKind::Keyword { canonical, aliases } => Some((canonical, aliases)),
            _ => None,
        })
    }
}

const fn arg(name: &'static str, kind: ArgKind, required: bool) -> Arg {
    Arg {
        name,
        kind,
        required,
    }
}

pub static COMMANDS: &[Row] = &[
    Row {
        name: "help",
        aliases: &["?"],
        args: &[arg("command", ArgKind::Topic, false)],
        usage: "help [command]",
        summary: "List the commands, or explain one.",
        description: "Without a command, lists everything the bot understands. With one (`help show`), \
                      explains that command: its usage, what it does and examples.",
        examples: &["help", "help vrf", "HELP show", "? decline"],
        availability: Availability::Available,
        build: |mut v| Command::Help { topic: v.take(0) },
    },
    Row {
        name: "vrf",
        aliases: &["vrfs"],
        args: &[arg("device", ArgKind::Device, true)],
        usage: "vrf <device>",
        summary: "List the VRFs configured on a device.",
        description: "Reads the device and answers with each VRF: its name, route distinguisher, \
                      route targets, address families and description. `<device>` is the device name from the inventory (letters, digits, \
                      `.`, `-`, `_`; up to 63 characters).",
        examples: &["vrf c9300", "VRF core-sw1.lab", "vrfs \"c9300\""],
        availability: Availability::Available,
        build: |mut v| Command::Vrf { device: v.take(0).unwrap_or_default() },
    },
    Row {
        name: "show",
        aliases: &["sh"],
        args: &[
            arg(
                "interface",
                ArgKind::Keyword { canonical: "interface", aliases: &["iface", "int", "intf"] },
                true,
            ),
            arg("device", ArgKind::Device, true),
            arg("interface", ArgKind::Interface, true),
        ],
        usage: "show interface <device> <interface>",
        summary: "Show one interface of a device: its state and settings.",
        description: "`interface` may be written `iface`, `int` or `intf`. The interface name may be \
                      abbreviated as on the switch CLI, in any case, with or without a space before \
                      the number: `Gi1/0/2`, `gi 1/0/2`, `Te1/1/1`, `Po10`, `Vl100`, `Lo0`.",
        examples: &[
            "show iface c9300 Gi1/0/2",
            "show interface c9300 GigabitEthernet1/0/2",
            "sh int c9300 te 1/1/1",
            "show iface c9300 Po10",
        ],
        availability: Availability::Available,
        build: |mut v| match v.take_interface(1) {
            Some(interface) => Command::ShowInterface {
                device: v.take(0).unwrap_or_default(),
                interface,
            },
            // The parser always reads the interface argument through the table.
            None => Command::Help { topic: Some("show".into()) },
        },
    },
    Row {
        name: "approve",
        aliases: &[],
        args: &[arg("id", ArgKind::Id, true)],
        usage: "approve <id>",
        summary: "Approve a pending change.",
        description: "Does what the *Approve* button on the change card does. `<id>` is the change or \
                      ticket id (letters, digits, `-`; an optional leading `#`; up to 32 characters).",
        examples: &["approve 42", "approve #CHG-1001"],
        availability: Availability::Available,
        build: |mut v| Command::Approve { id: v.take(0).unwrap_or_default() },
    },
    Row {
        name: "decline",
        aliases: &["deny"],
        args: &[arg("id", ArgKind::Id, true), arg("reason…", ArgKind::Reason, false)],
        usage: "decline <id> [reason…]",
        summary: "Decline a pending change, optionally saying why.",
        description: "Does what the *Decline* button on the change card does. The reason is the rest \
                      of the message, as free text or in quotes.",
        examples: &["decline 42", "decline 42 wrong VLAN on the uplink", "decline #42 \"change freeze\""],
        availability: Availability::Available,
        build: |mut v| Command::Decline { id: v.take(0).unwrap_or_default(), reason: v.take(1) },
    },
    Row {
        name: "status",
        aliases: &[],
        args: &[arg("id", ArgKind::Id, true)],
        usage: "status <id>",
        summary: "Show where a change stands.",
        description: "Answers with the change's state, who approved or declined it, and its last steps.",
        examples: &["status 42", "status #CHG-1001"],
        availability: Availability::Available,
        build: |mut v| Command::Status { id: v.take(0).unwrap_or_default() },
    },
    Row {
        name: "changes",
        aliases: &[],
        args: &[arg("device", ArgKind::Device, false), arg("n", ArgKind::Number, false)],
        usage: "changes [device] [n]",
        summary: "List recent configuration changes, on all devices or one; show one change's diff.",
        description: "Lists the configuration changes the bot saw on the switches, newest first: when, \
                      device, who and from where, planned (with its ticket) or unplanned, and a \
                      one-line summary. `changes <device> <n>` shows change number `n` of that device \
                      with its whole diff.",
        examples: &["changes", "changes c9300", "changes c9300 3"],
        availability: Availability::Available,
        build: |mut v| Command::Changes {
            device: v.take(0),
            number: v.take(1).and_then(|n| n.parse().ok()),
        },
    },
];

/// The row whose name or alias is `word` (ASCII case-insensitive).
pub fn lookup(word: &str) -> Option<&'static Row> {
    COMMANDS.iter().find(|r| r.is_called(word))
}

/// The row named exactly `name` (a canonical name, as `Command::name` gives).
pub fn by_name(name: &str) -> Option<&'static Row> {
    COMMANDS.iter().find(|r| r.name == name)
}

/// The row a `help` topic refers to: a command name or alias, or a `show` keyword (`iface`).
pub fn topic(word: &str) -> Option<&'static Row> {
    lookup(word).or_else(|| {
        COMMANDS.iter().find(|r| {
            r.keyword().is_some_and(|(canonical, aliases)| {
                canonical.eq_ignore_ascii_case(word)
                    || aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
            })
        })
    })
}

/// Every word a `help` topic may be, with the command name it stands for (for "did you mean").
pub fn topic_words() -> impl Iterator<Item = (&'static str, &'static str)> {
    COMMANDS.iter().flat_map(|r| {
        let keywords = r.keyword();
        std::iter::once(r.name)
            .chain(r.aliases.iter().copied())
            .chain(keywords.map(|(c, _)| c))
            .chain(keywords.into_iter().flat_map(|(_, a)| a.iter().copied()))
            .map(move |w| (w, r.name))
    })
}

/// The usage line built from the argument spec; a test holds each row's `usage` to it.
#[cfg(test)]
pub fn derived_usage(row: &Row) -> String {
    let mut out = String::from(row.name);
    for a in row.args {
        out.push(' ');
        match (a.kind, a.required) {
            (ArgKind::Keyword { canonical, .. }, _) => out.push_str(canonical),
            (_, true) => {
                out.push('<');
                out.push_str(a.name);
                out.push('>');
            }
            (_, false) => {
                out.push('[');
                out.push_str(a.name);
                out.push(']');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_aliases_are_unique_and_lowercase() {
        let mut seen = HashSet::new();
        for r in COMMANDS {
            for w in std::iter::once(r.name).chain(r.aliases.iter().copied()) {
                assert_eq!(w, w.to_ascii_lowercase(), "{w}");
                assert!(seen.insert(w), "{w} is used twice");
            }
        }
    }

    #[test]
    fn usage_matches_the_argument_spec() {
        for r in COMMANDS {
            assert_eq!(r.usage, derived_usage(r), "row {}", r.name);
        }
    }

    #[test]
    fn rows_fit_the_value_slots_and_optionals_come_last() {
        for r in COMMANDS {
            let values = r
                .args
                .iter()
                .filter(|a| !matches!(a.kind, ArgKind::Keyword { .. }))
                .count();
            assert!(values <= MAX_VALUES, "row {}", r.name);
            let first_optional = r
                .args
                .iter()
                .position(|a| !a.required)
                .unwrap_or(r.args.len());
            assert!(
                r.args[first_optional..].iter().all(|a| !a.required),
                "row {}",
                r.name
            );
            assert!(r
                .args
                .iter()
                .filter(|a| a.kind == ArgKind::Reason)
                .all(|_| { r.args.last().map(|a| a.kind) == Some(ArgKind::Reason) }));
        }
    }

    #[test]
    fn every_row_has_docs_and_examples() {
        for r in COMMANDS {
            assert!(
                !r.summary.is_empty() && !r.description.is_empty(),
                "row {}",
                r.name
            );
            assert!(!r.examples.is_empty(), "row {}", r.name);
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_knows_aliases() {
        assert_eq!(lookup("SHOW").map(|r| r.name), Some("show"));
        assert_eq!(lookup("sh").map(|r| r.name), Some("show"));
        assert_eq!(lookup("?").map(|r| r.name), Some("help"));
        assert!(lookup("shw").is_none());
        assert_eq!(topic("iface").map(|r| r.name), Some("show"));
        assert_eq!(topic("Deny").map(|r| r.name), Some("decline"));
        assert!(topic_words().any(|(w, n)| w == "intf" && n == "show"));
    }
}

//! Help text rendered from the command table: the chat `help` answer (all commands, or one) and the
//! markdown command list kept in `README.md` and `grammar/README.md`.

use super::table::{self, Availability, Row, COMMANDS};
use crate::suggest;

const NOT_YET: &str = "not available yet";

pub fn help(topic: Option<&str>) -> String {
    let Some(topic) = topic.map(str::trim).filter(|t| !t.is_empty()) else {
        return all();
    };
    match table::topic(topic) {
        Some(row) => one(row),
        None => {
            let shown: String = topic
                .chars()
                .filter(|c| !c.is_control() && *c != '`')
                .take(40)
                .collect();
            let dym = suggest::phrase(&suggest::did_you_mean(topic, table::topic_words()))
                .map(|s| format!(" — {s}"))
                .unwrap_or_default();
            format!("There is no command `{shown}`{dym}\n\n{}", all())
        }
    }
}

fn all() -> String {
    let mut out = String::from("**Commands**\n\n");
    for row in COMMANDS {
        out.push_str(&format!("- `{}` — {}", row.usage, row.summary));
        if row.availability == Availability::Reserved {
            out.push_str(&format!(" _({NOT_YET})_"));
        }
        out.push('\n');
    }
    out.push_str(
        "\nKeywords are not case-sensitive. Interface names may be abbreviated, as on the switch: \
         `Gi1/0/2`, `te 1/1/1`, `Po10`. Quote an argument that has spaces: `\"like this\"`.\n\
         Type `help <command>` for details, e.g. `help show`.\n",
    );
    out
}

fn one(row: &Row) -> String {
    let mut out = format!(
        "**{}** — {}\n\nUsage: `{}`\n",
        row.name, row.summary, row.usage
    );
    let mut also: Vec<String> = row.aliases.iter().map(|a| format!("`{a}`")).collect();
    if let Some((canonical, aliases)) = row.keyword() {
        also.extend(aliases.iter().map(|a| format!("`{a}` for `{canonical}`")));
    }
    if !also.is_empty() {
        out.push_str(&format!("Also written: {}\n", also.join(", ")));
    }
    out.push('\n');
    out.push_str(row.description);
    out.push_str("\n\nExamples:\n");
    for example in row.examples {
        out.push_str(&format!("- `{example}`\n"));
    }
    if row.availability == Availability::Reserved {
        out.push_str(&format!(
            "\n_This command is {NOT_YET}: it is recognised, but this version of the bot does not act on it._\n"
        ));
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The command list for the READMEs: a markdown table, one line per command of the table.
pub fn command_list_markdown() -> String {
    let mut out = String::from(
        "| Command | Also written | What it does | Status |\n| --- | --- | --- | --- |\n",
    );
    for row in COMMANDS {
        let mut also: Vec<String> = row
            .aliases
            .iter()
            .map(|a| format!("`{}`", cell(a)))
            .collect();
        if let Some((canonical, aliases)) = row.keyword() {
            let words: Vec<String> = aliases.iter().map(|a| format!("`{}`", cell(a))).collect();
            also.push(format!("{} for `{canonical}`", words.join(", ")));
        }
        let status = match row.availability {
            Availability::Available => "available",
            Availability::Reserved => NOT_YET,
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {status} |\n",
            cell(row.usage),
            if also.is_empty() {
                "—".to_owned()
            } else {
                also.join("; ")
            },
            cell(row.summary)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_row_and_marks_reserved_ones() {
        let h = help(None);
        for row in COMMANDS {
            let line = h
                .lines()
                .find(|l| l.contains(&format!("`{}`", row.usage)))
                .unwrap_or_else(|| panic!("{}", row.name));
            assert_eq!(
                line.contains(NOT_YET),
                row.availability == Availability::Reserved,
                "{line}"
            );
        }
        assert_eq!(help(Some("  ")), h);
    }

    #[test]
    fn one_command_by_name_alias_or_keyword() {
        let h = help(Some("SHOW"));
        assert!(h.starts_with("**show**"));
        assert!(h.contains("Usage: `show interface <device> <interface>`"));
        assert!(h.contains("`iface` for `interface`"));
        assert!(h.contains("- `show iface c9300 Gi1/0/2`"));
        assert_eq!(help(Some("iface")), h);
        assert!(!help(Some("changes")).contains(NOT_YET));
        assert!(!help(Some("approve")).contains(NOT_YET));
        assert!(!help(Some("vrf")).contains(NOT_YET));
    }

    #[test]
    fn unknown_topic_suggests_and_lists() {
        let h = help(Some("vfr"));
        assert!(
            h.starts_with("There is no command `vfr` — did you mean `vrf`?"),
            "{h}"
        );
        assert!(h.contains("**Commands**"));
        let h = help(Some("a`b\u{7}"));
        assert!(h.starts_with("There is no command `ab`"), "{h}");
    }

    #[test]
    fn command_list_has_a_row_per_command() {
        let md = command_list_markdown();
        assert_eq!(md.lines().count(), COMMANDS.len() + 2);
        for row in COMMANDS {
            assert!(md.contains(&format!("| `{}` |", row.usage)));
        }
    }
}

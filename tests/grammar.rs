//! The chat grammar against its documents: every case of `grammar/examples.txt`, the command table
//! against the parser, `help` and the READMEs, and the EBNF against the table.

use std::path::{Path, PathBuf};

use patchpanel::command::table::{ArgKind, COMMANDS};
use patchpanel::command::{command_list_markdown, help, interface_types, parse};

const START: &str = "<!-- commands:start -->";
const END: &str = "<!-- commands:end -->";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_file(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Decodes the escapes of examples.txt: \s \t \n \r \\ and \u{XXXX}; anything else stays as written.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('u') if chars.peek() == Some(&'{') => {
                let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                let code =
                    u32::from_str_radix(&hex, 16).unwrap_or_else(|_| panic!("bad \\u{{{hex}}}"));
                out.push(char::from_u32(code).unwrap_or_else(|| panic!("not a char: {hex}")));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[test]
fn unescape_decodes_the_documented_escapes() {
    assert_eq!(unescape(r"\sa\tb\n\u{A0}\\\x"), " a\tb\n\u{A0}\\\\x");
}

#[test]
fn every_example_in_examples_txt_holds() {
    let text = read("grammar/examples.txt");
    let (mut oks, mut errs) = (0, 0);
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (Some(first), Some(last)) = (line.find(" | "), line.rfind(" | ")) else {
            panic!("line {n}: expected `kind | message | expected`: {line}");
        };
        assert!(last > first, "line {n}: needs two ` | ` separators: {line}");
        let kind = line[..first].trim();
        let input = unescape(line[first + 3..last].trim());
        let expected = line[last + 3..].trim();
        match (kind, parse(&input)) {
            ("ok", Ok(cmd)) => {
                oks += 1;
                if format!("{cmd:?}") != expected {
                    failures.push(format!(
                        "line {n}: {input:?}\n  got  {cmd:?}\n  want {expected}"
                    ));
                }
            }
            ("ok", Err(e)) => failures.push(format!("line {n}: {input:?} should parse, got:\n{e}")),
            ("err", Ok(cmd)) => {
                failures.push(format!("line {n}: {input:?} should fail, got {cmd:?}"))
            }
            ("err", Err(e)) => {
                errs += 1;
                assert!(!e.message.trim().is_empty(), "line {n}");
                for want in expected.split(" && ").map(unescape) {
                    if !e.message.contains(&want) {
                        failures.push(format!("line {n}: {input:?}: message lacks {want:?}:\n{e}"));
                    }
                }
            }
            (other, _) => panic!("line {n}: kind must be ok or err, not {other:?}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        oks >= 40 && errs >= 40,
        "examples.txt lost cases: {oks} ok, {errs} err"
    );
}

#[test]
fn every_table_example_parses_to_its_own_command() {
    for row in COMMANDS {
        for example in row.examples {
            let cmd = parse(example)
                .unwrap_or_else(|e| panic!("example {example:?} of `{}`:\n{e}", row.name));
            assert_eq!(cmd.name(), row.name, "example {example:?}");
            assert_eq!(cmd.availability(), row.availability, "example {example:?}");
        }
    }
}

#[test]
fn every_name_and_alias_dispatches_to_its_row_in_any_case() {
    for row in COMMANDS {
        let sample = row.examples[0];
        let rest = sample.split_once(' ').map_or("", |(_, r)| r);
        for word in std::iter::once(row.name).chain(row.aliases.iter().copied()) {
            for spelled in [word.to_owned(), word.to_uppercase()] {
                let msg = format!("{spelled} {rest}");
                let cmd = parse(&msg).unwrap_or_else(|e| panic!("{msg:?}: {e}"));
                assert_eq!(cmd.name(), row.name, "{msg:?}");
            }
        }
    }
}

#[test]
fn help_mentions_every_row_and_explains_each() {
    let all = help(None);
    for row in COMMANDS {
        assert!(
            all.contains(&format!("`{}`", row.usage)),
            "help lacks {}",
            row.usage
        );
        assert!(
            all.contains(row.summary),
            "help lacks the summary of {}",
            row.name
        );
        for topic in std::iter::once(row.name).chain(row.aliases.iter().copied()) {
            let one = help(Some(topic));
            assert!(
                one.starts_with(&format!("**{}**", row.name)),
                "help {topic}:\n{one}"
            );
            assert!(
                one.contains(row.usage) && one.contains(row.description),
                "help {topic}"
            );
            for example in row.examples {
                assert!(
                    one.contains(example),
                    "help {topic} lacks example {example}"
                );
            }
        }
        let asked = parse(&format!("help {}", row.name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            asked,
            patchpanel::command::Command::Help {
                topic: Some(row.name.to_owned())
            }
        );
    }
}

/// Where the text between the marker lines of a README is, or why there is none.
fn marked_block(text: &str) -> Result<std::ops::Range<usize>, String> {
    let start = text
        .find(&format!("{START}\n"))
        .ok_or(format!("no `{START}` line"))?
        + START.len()
        + 1;
    let end = if text[start..].starts_with(END) {
        Some(start)
    } else {
        text[start..]
            .find(&format!("\n{END}"))
            .map(|i| start + i + 1)
    };
    end.map(|end| start..end)
        .ok_or(format!("no `{END}` line after `{START}`"))
}

/// Both READMEs carry exactly the generated command list. Run with `UPDATE_COMMAND_LIST=1` to
/// rewrite the marked blocks after changing the table.
#[test]
fn readmes_carry_the_generated_command_list() {
    let want = command_list_markdown();
    for rel in ["README.md", "grammar/README.md"] {
        let text = read(rel);
        let range = marked_block(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let block = &text[range.clone()];
        if block == want {
            continue;
        }
        if std::env::var_os("UPDATE_COMMAND_LIST").is_some() {
            let mut updated = text.clone();
            updated.replace_range(range, &want);
            std::fs::write(repo_file(rel), updated).unwrap_or_else(|e| panic!("{rel}: {e}"));
            continue;
        }
        panic!("{rel}: the command list between `{START}` and `{END}` is stale; run `UPDATE_COMMAND_LIST=1 cargo test --test grammar readmes` and commit.\n\nwant:\n{want}\ngot:\n{block}");
    }
}

#[test]
fn ebnf_and_user_readme_name_every_keyword_and_interface_type() {
    let ebnf = read("grammar/commands.ebnf");
    let guide = read("grammar/README.md");
    for row in COMMANDS {
        for word in std::iter::once(row.name).chain(row.aliases.iter().copied()) {
            assert!(
                ebnf.contains(&format!("\"{word}\"")),
                "commands.ebnf lacks \"{word}\""
            );
        }
        for arg in row.args {
            if let ArgKind::Keyword { canonical, aliases } = arg.kind {
                for word in std::iter::once(canonical).chain(aliases.iter().copied()) {
                    assert!(
                        ebnf.contains(&format!("\"{word}\"")),
                        "commands.ebnf lacks \"{word}\""
                    );
                }
            }
        }
        assert!(
            guide.contains(&format!("`{}`", row.usage)),
            "grammar/README.md lacks `{}`",
            row.usage
        );
    }
    for (name, abbreviation) in interface_types() {
        assert!(
            ebnf.contains(&format!("\"{abbreviation}\" {name}")),
            "commands.ebnf lacks {abbreviation} → {name}"
        );
        assert!(
            guide.contains(&format!("`{abbreviation}`")) && guide.contains(name),
            "grammar/README.md lacks {abbreviation} → {name}"
        );
    }
}

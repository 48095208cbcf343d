//! The parser for normalised messages (`grammar/commands.ebnf`): a nom lexer for words, and the
//! command table driving which arguments follow which keyword.

use std::borrow::Cow;
use std::ops::Range;

use nom::branch::alt;
use nom::bytes::complete::take_till;
use nom::character::complete::{char, satisfy, space0};
use nom::combinator::{map, recognize};
use nom::sequence::{delimited, pair};
use nom::IResult;

use super::args::{self, ValueError};
use super::error::{ErrorKind, ParseError, Source};
use super::table::Value;
use super::table::{self, ArgKind, Row, Values};
use super::{text, Command};
use crate::iface::InterfaceName;
use crate::suggest;

/// One word of the message. `text` is the value (without quotes); `span` covers the word as written
/// (with quotes), in bytes of the normalised message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Word<'a> {
    text: &'a str,
    span: (usize, usize),
    quoted: bool,
}

impl Word<'_> {
    fn range(&self) -> Range<usize> {
        self.span.0..self.span.1
    }

    /// Where the value starts within the message (after an opening quote).
    fn value_start(&self) -> usize {
        self.span.0 + usize::from(self.quoted)
    }
}

/// `quoted ::= '"' (char - '"')* '"' | "'" (char - "'")* "'"`
fn quoted(q: char) -> impl FnMut(&str) -> IResult<&str, &str> {
    move |i| delimited(char(q), take_till(move |c| c == q), char(q))(i)
}

/// `bare ::= (char - ws - '"' - "'") (char - ws)*`
fn bare(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c != ' ' && c != '"' && c != '\''),
        take_till(|c| c == ' '),
    ))(i)
}

/// `word ::= quoted | bare`, returning the value and whether it was quoted.
fn word(i: &str) -> IResult<&str, (&str, bool)> {
    alt((
        map(quoted('"'), |t| (t, true)),
        map(quoted('\''), |t| (t, true)),
        map(bare, |t| (t, false)),
    ))(i)
}

/// Reads words left to right, remembering where it is.
struct Parser<'a> {
    source: Source<'a>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn line(&self) -> &'a str {
        self.source.line
    }

    fn error(
        &self,
        kind: ErrorKind,
        headline: String,
        span: Range<usize>,
        hint: Option<String>,
    ) -> ParseError {
        ParseError::at(&self.source, kind, headline, span, hint)
    }

    /// Skips spaces (`ws*`) and returns the rest.
    fn skip_space(&mut self) -> &'a str {
        let rest = self.line().get(self.pos..).unwrap_or("");
        let rest = match space0::<_, nom::error::Error<&str>>(rest) {
            Ok((rest, _)) => rest,
            Err(_) => rest,
        };
        self.pos = self.line().len() - rest.len();
        rest
    }

    /// The next word, `None` at the end of the message, or the unbalanced-quote error.
    fn next_word(&mut self) -> Result<Option<Word<'a>>, ParseError> {
        let rest = self.skip_space();
        if rest.is_empty() {
            return Ok(None);
        }
        let start = self.pos;
        match word(rest) {
            Ok((after, (text, quoted))) => {
                self.pos = self.line().len() - after.len();
                Ok(Some(Word {
                    text,
                    span: (start, self.pos),
                    quoted,
                }))
            }
            Err(_) => Err(self.unbalanced(start)),
        }
    }

    fn peek_word(&mut self) -> Result<Option<Word<'a>>, ParseError> {
        let saved = self.pos;
        let word = self.next_word();
        self.pos = saved;
        word
    }

    fn unbalanced(&self, at: usize) -> ParseError {
        let q = self.line()[at..].chars().next().unwrap_or('"');
        self.error(
            ErrorKind::UnbalancedQuote,
            format!("The quote `{q}` opened here is never closed."),
            at..at + q.len_utf8(),
            Some(format!("Close it with another `{q}`, or remove it.")),
        )
    }

    fn end(&self) -> Range<usize> {
        self.line().len()..self.line().len()
    }
}

fn usage_hint(row: &Row) -> Option<String> {
    Some(format!("Usage: `{}` (see `help {}`)", row.usage, row.name))
}

/// Parses a message as sent in the chat.
pub fn parse(input: &str) -> Result<Command, ParseError> {
    let line: Cow<'_, str> = text::normalize(input)?;
    let mut p = Parser {
        source: Source {
            original: input,
            line: &line,
        },
        pos: 0,
    };
    let Some(first) = p.next_word()? else {
        // normalize rejects blank messages; kept so this path cannot misbehave.
        return Err(ParseError::plain(
            ErrorKind::Empty,
            "I didn't get a command. Try `help`.".to_owned(),
        ));
    };
    let Some(row) = table::lookup(first.text) else {
        return Err(unknown_command(&p, first));
    };
    let values = parse_args(&mut p, row)?;
    if let Some(extra) = p.next_word()? {
        let takes = if row.args.is_empty() {
            "nothing".to_owned()
        } else {
            format!("`{}`", row.usage)
        };
        return Err(p.error(
            ErrorKind::ExtraArgument,
            format!(
                "I didn't expect `{}` here: `{}` is written {takes}.",
                extra.text, row.name
            ),
            extra.range(),
            Some("Remove the extra words, or quote an argument that contains spaces.".to_owned()),
        ));
    }
    Ok((row.build)(values))
}

fn unknown_command(p: &Parser<'_>, first: Word<'_>) -> ParseError {
    let candidates = table::COMMANDS.iter().flat_map(|r| {
        std::iter::once(r.name)
            .chain(r.aliases.iter().copied())
            .map(move |w| (w, r.name))
    });
    let suggestions = suggest::did_you_mean(first.text, candidates);
    let (headline, hint) = match suggest::phrase(&suggestions) {
        Some(dym) => {
            let usage = suggestions
                .first()
                .and_then(|n| table::by_name(n))
                .map(|r| format!("Usage: `{}`. ", r.usage));
            (
                format!("I don't know the command `{}` — {dym}", first.text),
                format!(
                    "{}Type `help` to see all commands.",
                    usage.unwrap_or_default()
                ),
            )
        }
        None => (
            format!("I don't know the command `{}`.", first.text),
            "Type `help` to see all commands.".to_owned(),
        ),
    };
    p.error(
        ErrorKind::UnknownCommand,
        headline,
        first.range(),
        Some(hint),
    )
}

fn parse_args(p: &mut Parser<'_>, row: &'static Row) -> Result<Values, ParseError> {
    let mut values = Values::default();
    let mut slot = 0;
    for arg in row.args {
        let value = match arg.kind {
            ArgKind::Reason => reason(p)?.map(Value::Text),
            kind => {
                let Some(word) = p.next_word()? else {
                    if arg.required {
                        return Err(missing(p, row, arg.name, kind));
                    }
                    break;
                };
                match kind {
                    ArgKind::Keyword { canonical, aliases } => {
                        keyword(p, row, word, canonical, aliases)?;
                        continue;
                    }
                    ArgKind::Topic => Some(Value::Text(topic(p, word)?)),
                    ArgKind::Device => Some(Value::Text(checked(
                        p,
                        row,
                        word,
                        ErrorKind::InvalidDevice,
                        args::device,
                    )?)),
                    ArgKind::Id => Some(Value::Text(checked(
                        p,
                        row,
                        word,
                        ErrorKind::InvalidId,
                        args::id,
                    )?)),
                    ArgKind::Number => Some(Value::Text(checked(
                        p,
                        row,
                        word,
                        ErrorKind::InvalidNumber,
                        args::number,
                    )?)),
                    ArgKind::Interface => Some(Value::Interface(interface(p, row, word)?)),
                    ArgKind::Reason => None,
                }
            }
        };
        if let Some(cell) = values.0.get_mut(slot) {
            *cell = value;
        }
        slot += 1;
    }
    Ok(values)
}

fn missing(p: &Parser<'_>, row: &Row, name: &str, kind: ArgKind) -> ParseError {
    let what = match kind {
        ArgKind::Keyword { canonical, .. } => format!("`{canonical}`"),
        _ => format!("`<{name}>`"),
    };
    p.error(
        ErrorKind::MissingArgument,
        format!("`{}` needs {what} here.", row.name),
        p.end(),
        usage_hint(row),
    )
}

fn keyword(
    p: &Parser<'_>,
    row: &Row,
    word: Word<'_>,
    canonical: &'static str,
    aliases: &'static [&'static str],
) -> Result<(), ParseError> {
    if canonical.eq_ignore_ascii_case(word.text)
        || aliases.iter().any(|a| a.eq_ignore_ascii_case(word.text))
    {
        return Ok(());
    }
    let candidates = std::iter::once(canonical)
        .chain(aliases.iter().copied())
        .map(|w| (w, canonical));
    let dym = suggest::phrase(&suggest::did_you_mean(word.text, candidates))
        .map(|s| format!(" — {s}"))
        .unwrap_or_default();
    Err(p.error(
        ErrorKind::UnknownKeyword,
        format!("`{}` can't show `{}`{dym}", row.name, word.text),
        word.range(),
        usage_hint(row),
    ))
}

fn topic(p: &Parser<'_>, word: Word<'_>) -> Result<String, ParseError> {
    if let Some(row) = table::topic(word.text) {
        return Ok(row.name.to_owned());
    }
    let dym = suggest::phrase(&suggest::did_you_mean(word.text, table::topic_words()))
        .map(|s| format!(" — {s}"))
        .unwrap_or_default();
    Err(p.error(
        ErrorKind::UnknownTopic,
        format!("There is no command `{}`{dym}", word.text),
        word.range(),
        Some("Type `help` to see all commands.".to_owned()),
    ))
}

/// Runs a value check and turns its error into one that points into the message.
fn checked(
    p: &Parser<'_>,
    row: &Row,
    word: Word<'_>,
    kind: ErrorKind,
    check: fn(&str) -> Result<String, ValueError>,
) -> Result<String, ParseError> {
    check(word.text).map_err(|e| located(p, row, word.value_start(), kind, e))
}

fn located(p: &Parser<'_>, row: &Row, base: usize, kind: ErrorKind, e: ValueError) -> ParseError {
    p.error(
        kind,
        e.message,
        base + e.span.start..base + e.span.end,
        usage_hint(row),
    )
}

/// `interface ::= word | if-type ws+ if-number`: a bare type word followed by a word starting with a
/// digit is read as one name (`Gi 1/0/2`).
fn interface(p: &mut Parser<'_>, row: &Row, word: Word<'_>) -> Result<InterfaceName, ParseError> {
    let mut text = word.text;
    let mut base = word.value_start();
    if !word.quoted
        && word
            .text
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        if let Some(next) = p.peek_word()? {
            if !next.quoted && next.text.starts_with(|c: char| c.is_ascii_digit()) {
                p.next_word()?;
                text = p.line().get(word.span.0..next.span.1).unwrap_or(word.text);
                base = word.span.0;
            }
        }
    }
    let trimmed = text.trim_start_matches(' ');
    base += text.len() - trimmed.len();
    InterfaceName::parse_iosxe(trimmed.trim_end_matches(' ')).map_err(|e| {
        let e = ValueError {
            message: e.message,
            span: e.span,
        };
        located(p, row, base, ErrorKind::InvalidInterface, e)
    })
}

/// `reason ::= quoted | word (ws+ word)*`: one quoted word gives its content; otherwise the words as
/// written, joined by single spaces.
fn reason(p: &mut Parser<'_>) -> Result<Option<String>, ParseError> {
    let mut words = Vec::new();
    while let Some(word) = p.next_word()? {
        words.push(word);
    }
    let value = match words.as_slice() {
        [] => return Ok(None),
        [only] if only.quoted => only.text.trim().to_owned(),
        many => {
            let line = p.line();
            let parts: Vec<&str> = many.iter().filter_map(|w| line.get(w.range())).collect();
            parts.join(" ")
        }
    };
    Ok(if value.is_empty() { None } else { Some(value) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn err(s: &str) -> ParseError {
        parse(s).expect_err(s)
    }

    #[test]
    fn lexer_reads_bare_and_quoted_words() {
        assert_eq!(word("abc def"), Ok((" def", ("abc", false))));
        assert_eq!(word("\"a b\" c"), Ok((" c", ("a b", true))));
        assert_eq!(word("'a \"b'"), Ok(("", ("a \"b", true))));
        assert_eq!(word("don't x"), Ok((" x", ("don't", false))));
        assert!(word("\"open").is_err());
    }

    #[test]
    fn commands_parse() {
        assert_eq!(ok("help"), Command::Help { topic: None });
        assert_eq!(
            ok("? SH"),
            Command::Help {
                topic: Some("show".into())
            }
        );
        assert_eq!(
            ok("help iface"),
            Command::Help {
                topic: Some("show".into())
            }
        );
        assert_eq!(
            ok("VRF c9300"),
            Command::Vrf {
                device: "c9300".into()
            }
        );
        assert_eq!(
            ok("  show  IFACE\tc9300 gi 1/0/2 "),
            Command::ShowInterface {
                device: "c9300".into(),
                interface: InterfaceName::parse_iosxe("GigabitEthernet1/0/2").unwrap()
            }
        );
        assert_eq!(ok("approve #42"), Command::Approve { id: "42".into() });
        assert_eq!(ok("status CHG-1"), Command::Status { id: "CHG-1".into() });
        assert_eq!(
            ok("changes"),
            Command::Changes {
                device: None,
                number: None
            }
        );
        assert_eq!(
            ok("changes c9300 3"),
            Command::Changes {
                device: Some("c9300".into()),
                number: Some(3)
            }
        );
    }

    #[test]
    fn decline_reasons() {
        let d = |s: &str| match ok(s) {
            Command::Decline { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(d("decline 42"), None);
        assert_eq!(d("decline 42   wrong   VLAN "), Some("wrong VLAN".into()));
        assert_eq!(
            d("decline 42 \u{201C}change  freeze\u{201D}"),
            Some("change  freeze".into())
        );
        assert_eq!(
            d("decline 42 don\u{2019}t do it"),
            Some("don't do it".into())
        );
        assert_eq!(
            d("decline 42 \"bad\" and late"),
            Some("\"bad\" and late".into())
        );
        assert_eq!(d("decline 42 \"\""), None);
        assert_eq!(
            err("decline 42 it's \"wrong").kind,
            ErrorKind::UnbalancedQuote
        );
    }

    #[test]
    fn unbalanced_quote_points_at_the_opening_quote() {
        let e = err("vrf \u{201C}c9300");
        assert_eq!(e.kind, ErrorKind::UnbalancedQuote);
        assert_eq!(
            e.span,
            Some(4..7),
            "the smart quote is 3 bytes in the input"
        );
        assert!(
            e.message.contains("\nvrf \"c9300\n    ^\n"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_words_get_suggestions_and_usage() {
        let e = err("shwo iface c9300 Gi1/0/2");
        assert_eq!(e.kind, ErrorKind::UnknownCommand);
        assert!(e.message.contains("did you mean `show`?"), "{}", e.message);
        assert!(e.message.contains("show interface <device> <interface>"));
        assert!(e.message.contains("\nshwo iface c9300 Gi1/0/2\n^^^^\n"));
        let e = err("show intrface c9300 Gi1/0/2");
        assert_eq!(e.kind, ErrorKind::UnknownKeyword);
        assert!(
            e.message.contains("did you mean `interface`?"),
            "{}",
            e.message
        );
        assert_eq!(e.span, Some(5..13));
        assert_eq!(err("help vfr").kind, ErrorKind::UnknownTopic);
        assert!(err("frobnicate").message.contains("`help`"));
    }

    #[test]
    fn missing_and_extra_words() {
        let e = err("vrf");
        assert_eq!(e.kind, ErrorKind::MissingArgument);
        assert!(
            e.message.contains("`<device>`") && e.message.contains("Usage: `vrf <device>`"),
            "{}",
            e.message
        );
        assert_eq!(err("show").kind, ErrorKind::MissingArgument);
        assert!(err("show iface c9300").message.contains("`<interface>`"));
        let e = err("vrf c9300 c9400 extra");
        assert_eq!(e.kind, ErrorKind::ExtraArgument);
        assert!(e.message.contains("`c9400`"));
        assert_eq!(e.span, Some(10..15));
        assert_eq!(err("help vrf show").kind, ErrorKind::ExtraArgument);
    }

    #[test]
    fn value_errors_point_inside_the_word() {
        let e = err("show iface c9300 Gi1/0/x");
        assert_eq!(e.kind, ErrorKind::InvalidInterface);
        assert_eq!(e.span, Some(23..24));
        let e = err("show iface c9300 \"Gi 1/0/x\"");
        assert_eq!(e.span, Some(25..26));
        let e = err("show iface c9300 gi  1/0/x");
        assert_eq!(e.span, Some(25..26));
        let e = err("vrf \u{A0}\"c9!300\"");
        assert_eq!(e.kind, ErrorKind::InvalidDevice);
        assert_eq!(e.span, Some(9..10));
        assert_eq!(err("approve 4_2").kind, ErrorKind::InvalidId);
    }
}

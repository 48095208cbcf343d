//! Syslog as the configuration-change notifier reads it, pure: framing of a TCP stream (RFC 6587:
//! octet counting, or one message per line), one message in either format (RFC 3164 "BSD" or
//! RFC 5424), and the one event the bot acts on, IOS-XE's `%SYS-5-CONFIG_I: Configured from
//! console by admin on vty0 (10.1.1.1)` (the event seed 000's EEM applet waits for) and its
//! NETCONF/RESTCONF siblings (`%DMI-5-CONFIG_I`, `%SYS-5-CONFIG_P`). Anything else is not an
//! error: it is counted and ignored by the caller. What it relies on: docs/syslog.md.

use std::fmt;

/// Longest message taken (RFC 5424 receivers must take 480 octets and should take 2048; IOS-XE
/// messages are short). Longer frames are refused whole.
pub const MAX_MESSAGE: usize = 8 * 1024;

/// What a syslog message says, as far as the bot needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `<PRI>`: facility × 8 + severity.
    pub priority: u8,
    /// The sender's name for itself, when the message carries one.
    pub hostname: Option<String>,
    /// The text after the header (IOS-XE: `%SYS-5-CONFIG_I: …`).
    pub text: String,
}

/// Why a message was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    TooLong(usize),
    NoPriority,
    BadPriority,
    NotText,
    /// A TCP frame starting with a digit whose octet count is not `DIGITS SP`.
    BadOctetCount,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooLong(n) => write!(f, "{n} bytes, more than the {MAX_MESSAGE} taken"),
            Malformed::NoPriority => f.write_str("no <PRI> at the start"),
            Malformed::BadPriority => f.write_str("the <PRI> is not a number from 0 to 191"),
            Malformed::NotText => f.write_str("not UTF-8 text"),
            Malformed::BadOctetCount => {
                f.write_str("a frame starts with a digit but not with an octet count and a space")
            }
        }
    }
}

/// One message from its bytes (a UDP datagram, or a frame cut from a TCP stream).
pub fn parse(bytes: &[u8]) -> Result<Message, Malformed> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Malformed::TooLong(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Malformed::NotText)?;
    let text = text.trim_end_matches(['\r', '\n', '\0']);
    let rest = text.strip_prefix('<').ok_or(Malformed::NoPriority)?;
    let end = rest.find('>').ok_or(Malformed::NoPriority)?;
    let priority: u8 = rest[..end]
        .parse()
        .ok()
        .filter(|p| *p <= 191 && end <= 3)
        .ok_or(Malformed::BadPriority)?;
    let rest = &rest[end + 1..];
    // RFC 5424: `1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`.
    if let Some(after_version) = rest.strip_prefix("1 ") {
        let mut parts = after_version.splitn(6, ' ');
        let _timestamp = parts.next();
        let hostname = parts.next().filter(|h| *h != "-").map(str::to_owned);
        let _app = parts.next();
        let _proc = parts.next();
        let _msgid = parts.next();
        let tail = parts.next().unwrap_or("");
        return Ok(Message {
            priority,
            hostname,
            text: strip_structured_data(tail)
                .trim_start_matches('\u{feff}')
                .to_owned(),
        });
    }
    // RFC 3164, as IOS-XE sends it: `seq: *Mmm dd hh:mm:ss.mmm: %FAC-SEV-MNEMONIC: text`, or with a
    // hostname and timestamp in front. The event starts at the first `%`.
    let hostname = bsd_hostname(rest);
    let text = match rest.find('%') {
        Some(i) => &rest[i..],
        None => rest.trim(),
    };
    Ok(Message {
        priority,
        hostname,
        text: text.to_owned(),
    })
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 3164's HEADER is `Mmm dd hh:mm:ss HOSTNAME ` (4.1.2); many senders (IOS-XE among them)
/// leave the hostname out, so a word ending in `:` (a TAG) or starting with `%` is not one.
fn bsd_hostname(rest: &str) -> Option<String> {
    let b = rest.as_bytes();
    let stamp = b.len() > 16
        && MONTHS.contains(&rest.get(..3)?)
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[7..15].iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                *c == b':'
            } else {
                c.is_ascii_digit()
            }
        })
        && b[15] == b' ';
    if !stamp {
        return None;
    }
    let host = rest.get(16..)?.split(' ').next()?;
    let plausible = !host.is_empty()
        && !host.ends_with(':')
        && !host.starts_with('%')
        && host.len() <= 255
        && !host.chars().any(char::is_control);
    plausible.then(|| host.to_owned())
}

/// RFC 5424's STRUCTURED-DATA is `-` or `[…]` elements (with `\]` escapes); the message follows.
fn strip_structured_data(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix("- ") {
        return rest;
    }
    if s == "-" {
        return "";
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] == b'[' {
        let mut escaped = false;
        i += 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if !escaped => escaped = true,
                b']' if !escaped => break,
                _ => escaped = false,
            }
            i += 1;
        }
        i += 1;
    }
    s.get(i..).unwrap_or("").trim_start()
}

/// A configuration change reported by the device itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChanged {
    /// The user name (`admin`), as the device said.
    pub by: Option<String>,
    /// Where on the device: `console`, `vty0`, `NETCONF/RESTCONF transaction-id 2071`.
    pub line: Option<String>,
    /// The address the user came from (`10.1.1.1`).
    pub from: Option<String>,
}

/// Longest user, line or address taken from a message (the rest is cut): they end up in chat and
/// in the watcher's queue, and no real one is longer.
pub const MAX_FIELD: usize = 64;

/// How the text after a tag is read.
type ReadChange = fn(&str) -> ConfigChanged;

/// The configuration-change messages of IOS-XE, each with how its fields are read.
const CHANGE_TAGS: [(&str, ReadChange); 3] = [
    // `Configured from console by admin on vty0 (10.1.1.1)` (CLI, also `from memory`, `from tftp://…`).
    ("%SYS-5-CONFIG_I:", configured_from),
    // `R0/0: dmiauthd: Configured from NETCONF/RESTCONF by admin, transaction-id 2071` (a stack
    // member prefixes `Switch 1 `): a NETCONF or RESTCONF commit.
    ("%DMI-5-CONFIG_I:", configured_by_dmi),
    // `Configured programmatically by process iosp_dmiauthd_conn_100023_vty_100001 from console as
    // admin on vty63`: the same commit as the running configuration sees it (comes with DMI's).
    ("%SYS-5-CONFIG_P:", configured_programmatically),
];

/// IOS-XE's configuration-change messages (`%SYS-5-CONFIG_I`, NETCONF/RESTCONF's
/// `%DMI-5-CONFIG_I` and `%SYS-5-CONFIG_P`) with who, where and from where; `None` for any other
/// message. The first tag in the text decides.
pub fn config_changed(text: &str) -> Option<ConfigChanged> {
    let (at, tag, read) = CHANGE_TAGS
        .iter()
        .filter_map(|(tag, read)| text.find(tag).map(|at| (at, *tag, *read)))
        .min_by_key(|(at, _, _)| *at)?;
    Some(read(text[at + tag.len()..].trim()))
}

/// The first word after `marker` (cut at `,` too), at most [`MAX_FIELD`] characters.
fn word_after(text: &str, marker: &str) -> Option<String> {
    let (_, after) = text.split_once(marker)?;
    let word = after
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("");
    field(word)
}

/// `(10.1.1.1)` at the end of the message.
fn address_in_parens(text: &str) -> Option<String> {
    text.rsplit_once('(')
        .and_then(|(_, f)| f.split_once(')'))
        .and_then(|(f, _)| field(f.trim()))
}

fn field(s: &str) -> Option<String> {
    let s: String = s.chars().take(MAX_FIELD).collect();
    (!s.is_empty()).then_some(s)
}

fn configured_from(rest: &str) -> ConfigChanged {
    ConfigChanged {
        by: word_after(rest, " by "),
        line: word_after(rest, " on "),
        from: address_in_parens(rest),
    }
}

fn configured_by_dmi(rest: &str) -> ConfigChanged {
    let how = rest
        .split_once("Configured from ")
        .and_then(|(_, r)| r.split_once(" by "))
        .map(|(how, _)| how.trim());
    let line = match (how, word_after(rest, "transaction-id ")) {
        (Some(how), Some(tx)) => field(&format!("{how} transaction-id {tx}")),
        (Some(how), None) => field(how),
        (None, tx) => tx.and_then(|tx| field(&format!("transaction-id {tx}"))),
    };
    ConfigChanged {
        by: word_after(rest, " by "),
        line,
        from: None,
    }
}

fn configured_programmatically(rest: &str) -> ConfigChanged {
    ConfigChanged {
        by: word_after(rest, " as "),
        line: word_after(rest, " on "),
        from: address_in_parens(rest),
    }
}

/// Cuts messages out of a TCP stream (RFC 6587): octet counting (`LEN SP MSG`) when a frame starts
/// with a digit, otherwise one message per line. Holds at most one partial frame (plus one read),
/// and every byte is looked at a bounded number of times, so a hostile stream costs linear time.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    /// Where the unread part of `buf` begins: frames are cut by moving it, and the buffer is
    /// compacted once per `feed` (removing from the front per frame would be quadratic).
    start: usize,
}

/// What the framer found in the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// A frame that cannot be taken (`TooLong`: an octet count or a line over [`MAX_MESSAGE`];
    /// `BadOctetCount`): the connection should be closed, as the rest of the stream cannot be
    /// framed reliably.
    Broken(Malformed),
}

/// Most digits an octet count may have before its space (a count that long is refused anyway).
const MAX_COUNT_DIGITS: usize = 20;

impl Framer {
    pub fn new() -> Self {
        Framer::default()
    }

    /// Adds `bytes`; answers every whole frame now available. After a `Broken` frame the framer
    /// starts over with the next bytes fed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(frame) = self.next() {
            let broken = matches!(frame, Frame::Broken(_));
            out.push(frame);
            if broken {
                self.buf.clear();
                self.start = 0;
                return out;
            }
        }
        self.buf.drain(..self.start);
        self.start = 0;
        if self.buf.len() > MAX_MESSAGE + 16 {
            out.push(Frame::Broken(Malformed::TooLong(self.buf.len())));
            self.buf.clear();
        }
        out
    }

    /// Bytes of a frame begun but not finished.
    pub fn partial(&self) -> usize {
        self.buf.len() - self.start
    }

    fn next(&mut self) -> Option<Frame> {
        let skip = self.buf[self.start..]
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        self.start += skip;
        let rest = &self.buf[self.start..];
        let first = *rest.first()?;
        if first.is_ascii_digit() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            let Some(&after) = rest.get(digits) else {
                return (digits > MAX_COUNT_DIGITS)
                    .then_some(Frame::Broken(Malformed::BadOctetCount));
            };
            if after != b' ' || digits > MAX_COUNT_DIGITS {
                return Some(Frame::Broken(Malformed::BadOctetCount));
            }
            // Digits only, so UTF-8; a count beyond u64 is as refused as one beyond the limit.
            let len = std::str::from_utf8(&rest[..digits])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
            if len > MAX_MESSAGE {
                return Some(Frame::Broken(Malformed::TooLong(len)));
            }
            let body = rest.get(digits + 1..digits + 1 + len)?;
            let msg = body.to_vec();
            self.start += digits + 1 + len;
            return Some(Frame::Message(msg));
        }
        let end = rest.iter().position(|b| *b == b'\n')?;
        let msg = rest[..end].to_vec();
        self.start += end + 1;
        Some(Frame::Message(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_xe_config_i_in_bsd_format() {
        let m = parse(b"<189>42: *Dec  4 07:30:01.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)").unwrap();
        assert_eq!(m.priority, 189);
        let c = config_changed(&m.text).unwrap();
        assert_eq!(c.by.as_deref(), Some("admin"));
        assert_eq!(c.line.as_deref(), Some("vty0"));
        assert_eq!(c.from.as_deref(), Some("10.1.1.1"));
        let m = parse(
            b"<189>Dec  4 07:30:01 c9300 %SYS-5-CONFIG_I: Configured from console by console",
        )
        .unwrap();
        let c = config_changed(&m.text).unwrap();
        assert_eq!(c.by.as_deref(), Some("console"));
        assert_eq!(c.from, None);
    }

    #[test]
    fn rfc5424_with_and_without_structured_data() {
        let m = parse(b"<189>1 2026-12-04T07:30:01.123Z c9300 - - - - %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)").unwrap();
        assert_eq!(m.hostname.as_deref(), Some("c9300"));
        assert!(config_changed(&m.text).is_some(), "{}", m.text);
        let m = parse(br#"<189>1 2026-12-04T07:30:01Z c9300 app 1 ID47 [x@1 a="b\]c"][y@1] %SYS-5-CONFIG_I: Configured from console by eve"#).unwrap();
        assert_eq!(config_changed(&m.text).unwrap().by.as_deref(), Some("eve"));
    }

    #[test]
    fn other_and_malformed_messages() {
        let m = parse(b"<190>%LINK-3-UPDOWN: Interface Gi1/0/2, changed state to up").unwrap();
        assert_eq!(config_changed(&m.text), None);
        assert_eq!(parse(b"no pri"), Err(Malformed::NoPriority));
        assert_eq!(parse(b"<999>x"), Err(Malformed::BadPriority));
        assert_eq!(parse(b"<12"), Err(Malformed::NoPriority));
        assert_eq!(parse(&[b'<', b'1', b'>', 0xff]), Err(Malformed::NotText));
        assert_eq!(
            parse(&vec![b'a'; MAX_MESSAGE + 1]),
            Err(Malformed::TooLong(MAX_MESSAGE + 1))
        );
    }

    #[test]
    fn tcp_framing_by_count_and_by_line_across_reads() {
        let mut f = Framer::new();
        assert_eq!(
            f.feed(b"8 <1>hel"),
            Vec::<Frame>::new(),
            "a partial frame waits"
        );
        assert_eq!(
            f.feed(b"lo<2>line one\r\n<3>two\n"),
            vec![
                Frame::Message(b"<1>hello".to_vec()),
                Frame::Message(b"<2>line one\r".to_vec()),
                Frame::Message(b"<3>two".to_vec()),
            ]
        );
        assert_eq!(
            f.feed(b"99999999 x"),
            vec![Frame::Broken(Malformed::TooLong(99_999_999))]
        );
        let mut f = Framer::new();
        let out = f.feed(&vec![b'a'; MAX_MESSAGE + 100]);
        assert!(matches!(out.last(), Some(Frame::Broken(_))), "{out:?}");
        assert_eq!(
            f.feed(b"<4>after\n"),
            vec![Frame::Message(b"<4>after".to_vec())]
        );
    }
    #[test]
    fn rfc3164_hostname_only_where_the_header_has_one() {
        let m = parse(b"<13>Dec  4 08:40:37 vm root: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)").unwrap();
        assert_eq!(m.hostname.as_deref(), Some("vm"));
        assert!(m.text.starts_with("%SYS-5-CONFIG_I:"), "{}", m.text);
        let m = parse(b"<13>Dec 14 08:40:37 root: hello").unwrap();
        assert_eq!(m.hostname, None, "a TAG is not a hostname");
        let m = parse(b"<13>Dec 14 08:40:37 %SYS-5-CONFIG_I: x").unwrap();
        assert_eq!(m.hostname, None);
        let m = parse(b"<189>42: *Dec  4 07:30:01.123: %SYS-5-CONFIG_I: x").unwrap();
        assert_eq!(m.hostname, None, "IOS-XE sends none");
        assert_eq!(
            parse("<1>Déc  4 08:40:37 h x".as_bytes()).unwrap().hostname,
            None
        );
    }

    #[test]
    fn netconf_and_restconf_changes_are_changes_too() {
        // As IOS-XE 17 logs a NETCONF/RESTCONF commit: DMI's line, then the running config's.
        let m = parse(b"<189>2071: *May 31 05:19:42.730: %DMI-5-CONFIG_I: Switch 1 R0/0: dmiauthd: Configured from NETCONF/RESTCONF by admin, transaction-id 2071").unwrap();
        let c = config_changed(&m.text).unwrap();
        assert_eq!(c.by.as_deref(), Some("admin"));
        assert_eq!(
            c.line.as_deref(),
            Some("NETCONF/RESTCONF transaction-id 2071")
        );
        assert_eq!(c.from, None);
        let c = config_changed("%DMI-5-CONFIG_I: R0/0: dmiauthd: Configured from NETCONF/RESTCONF by system-ompd-fwd, transaction-id 682279").unwrap();
        assert_eq!(c.by.as_deref(), Some("system-ompd-fwd"));
        let c = config_changed("%SYS-5-CONFIG_P: Configured programmatically by process iosp_dmiauthd_conn_100023_vty_100001 from console as admin on vty63").unwrap();
        assert_eq!(c.by.as_deref(), Some("admin"));
        assert_eq!(c.line.as_deref(), Some("vty63"));
        assert_eq!(
            config_changed(
                "%DMI-5-AUTH_PASSED: R0/0: dmiauthd: User 'admin' authenticated successfully"
            ),
            None
        );
        assert_eq!(
            config_changed("%DMI-5-CONFIG_I"),
            None,
            "the colon belongs to the tag"
        );
    }

    #[test]
    fn the_first_tag_decides_and_fields_are_bounded() {
        let c = config_changed(
            "%SYS-5-CONFIG_P: Configured programmatically by process p from console as eve on vty1 %SYS-5-CONFIG_I: Configured from console by mallory",
        )
        .unwrap();
        assert_eq!(c.by.as_deref(), Some("eve"));
        let long = format!(
            "%SYS-5-CONFIG_I: Configured from console by {}",
            "x".repeat(5000)
        );
        let c = config_changed(&long).unwrap();
        assert_eq!(c.by.map(|b| b.chars().count()), Some(MAX_FIELD));
        let c = config_changed("%SYS-5-CONFIG_I: Configured from memory by console").unwrap();
        assert_eq!(
            (c.by.as_deref(), c.line, c.from),
            (Some("console"), None, None)
        );
        let c = config_changed("%SYS-5-CONFIG_I:").unwrap();
        assert_eq!(
            c,
            ConfigChanged {
                by: None,
                line: None,
                from: None
            }
        );
    }

    #[test]
    fn hostile_streams_are_refused_early_and_cheaply() {
        let mut f = Framer::new();
        assert_eq!(
            f.feed(b"1000000000000 <13>x"),
            vec![Frame::Broken(Malformed::TooLong(1_000_000_000_000))],
            "an octet count of 10^12 is refused before any of it is buffered"
        );
        assert_eq!(f.partial(), 0);
        assert_eq!(
            f.feed(&[b'7'; 30]),
            vec![Frame::Broken(Malformed::BadOctetCount)],
            "digits without end"
        );
        assert_eq!(
            f.feed(b"12x"),
            vec![Frame::Broken(Malformed::BadOctetCount)]
        );
        assert_eq!(
            f.feed(b"99999999999999999999 x"),
            vec![Frame::Broken(Malformed::TooLong(usize::MAX))],
            "beyond u64"
        );
        // A megabyte of line ends and empty lines: linear, nothing held, nothing produced.
        let mut f = Framer::new();
        let started = std::time::Instant::now();
        for _ in 0..16 {
            assert_eq!(f.feed(&vec![b'\n'; 64 * 1024]), Vec::<Frame>::new());
        }
        assert_eq!(f.partial(), 0);
        // Many tiny frames in one read are cut in linear time.
        let many: Vec<u8> = b"<1>x\n".repeat(100_000);
        assert_eq!(f.feed(&many).len(), 100_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // A frame waits for its last byte, and says how much of it is held.
        assert_eq!(f.feed(b"5 <1>"), Vec::<Frame>::new());
        assert_eq!(f.partial(), 5);
        assert_eq!(f.feed(b"ab"), vec![Frame::Message(b"<1>ab".to_vec())]);
        assert_eq!(f.partial(), 0);
    }

    #[test]
    fn no_byte_sequence_panics() {
        // A cheap deterministic sweep over short inputs built from the bytes that matter.
        let alphabet = [
            b'<', b'>', b'1', b'9', b' ', b'\n', b'\r', b'%', b'[', b']', b'\\', 0xff, 0xc3, b'-',
            b'D',
        ];
        let mut f = Framer::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i % 60)) as usize + i) % alphabet.len()])
                .collect();
            if let Ok(m) = parse(&bytes) {
                let _ = config_changed(&m.text);
            }
            for frame in f.feed(&bytes) {
                if let Frame::Message(m) = frame {
                    let _ = parse(&m);
                }
            }
        }
    }
}

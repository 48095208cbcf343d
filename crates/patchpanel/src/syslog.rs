//! Syslog as the configuration-change notifier reads it, pure: framing of a TCP stream (RFC 6587:
//! octet counting, or one message per line), one message in either format (RFC 3164 "BSD" or
//! RFC 5424), and the one event the bot acts on, IOS-XE's `%SYS-5-CONFIG_I: Configured from
//! console by admin on vty0 (10.1.1.1)` (the event seed 000's EEM applet waits for). Anything
//! else is not an error: it is counted and ignored by the caller.

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
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooLong(n) => write!(f, "{n} bytes, more than the {MAX_MESSAGE} taken"),
            Malformed::NoPriority => f.write_str("no <PRI> at the start"),
            Malformed::BadPriority => f.write_str("the <PRI> is not a number from 0 to 191"),
            Malformed::NotText => f.write_str("not UTF-8 text"),
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
    let text = match rest.find('%') {
        Some(i) => &rest[i..],
        None => rest.trim(),
    };
    Ok(Message {
        priority,
        hostname: None,
        text: text.to_owned(),
    })
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
    /// `console`, `vty0`, … as the device said.
    pub by: Option<String>,
    pub line: Option<String>,
    pub from: Option<String>,
}

/// `%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)`, or `None` for any
/// other message.
pub fn config_changed(text: &str) -> Option<ConfigChanged> {
    let at = text.find("%SYS-5-CONFIG_I:")?;
    let rest = text[at + "%SYS-5-CONFIG_I:".len()..].trim();
    let rest = rest.strip_prefix("Configured from ").unwrap_or(rest);
    let by = rest
        .split_once(" by ")
        .map(|(_, b)| b.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|b| !b.is_empty());
    let line = rest
        .split_once(" on ")
        .map(|(_, l)| l.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|l| !l.is_empty());
    let from = rest
        .rsplit_once('(')
        .and_then(|(_, f)| f.split_once(')'))
        .map(|(f, _)| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    Some(ConfigChanged { by, line, from })
}

/// Cuts messages out of a TCP stream (RFC 6587): octet counting (`LEN SP MSG`) when a frame starts
/// with a digit, otherwise one message per line. Holds at most one partial frame.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
}

/// What the framer found in the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// A frame that cannot be taken (too long, a bad length): the connection should be closed, as
    /// the rest of the stream cannot be framed reliably.
    Broken(String),
}

impl Framer {
    pub fn new() -> Self {
        Framer::default()
    }

    /// Adds `bytes`; answers every whole frame now available.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            match self.next() {
                Some(f @ Frame::Broken(_)) => {
                    out.push(f);
                    self.buf.clear();
                    return out;
                }
                Some(f) => out.push(f),
                None => break,
            }
        }
        if self.buf.len() > MAX_MESSAGE + 16 {
            out.push(Frame::Broken(format!(
                "a frame longer than {MAX_MESSAGE} bytes"
            )));
            self.buf.clear();
        }
        out
    }

    fn next(&mut self) -> Option<Frame> {
        while self.buf.first().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            self.buf.remove(0);
        }
        let first = *self.buf.first()?;
        if first.is_ascii_digit() {
            let space = self.buf.iter().position(|b| *b == b' ')?;
            let len: usize = match std::str::from_utf8(&self.buf[..space])
                .ok()
                .and_then(|s| s.parse().ok())
            {
                Some(n) if n <= MAX_MESSAGE => n,
                _ => return Some(Frame::Broken("a bad octet count".to_owned())),
            };
            if self.buf.len() < space + 1 + len {
                return None;
            }
            let msg = self.buf[space + 1..space + 1 + len].to_vec();
            self.buf.drain(..space + 1 + len);
            return Some(Frame::Message(msg));
        }
        let end = self.buf.iter().position(|b| *b == b'\n')?;
        let msg = self.buf[..end].to_vec();
        self.buf.drain(..=end);
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
            vec![Frame::Broken("a bad octet count".to_owned())]
        );
        let mut f = Framer::new();
        let out = f.feed(&vec![b'a'; MAX_MESSAGE + 100]);
        assert!(matches!(out.last(), Some(Frame::Broken(_))), "{out:?}");
        assert_eq!(
            f.feed(b"<4>after\n"),
            vec![Frame::Message(b"<4>after".to_vec())]
        );
    }
}

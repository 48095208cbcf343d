//! Sans-IO NETCONF message framing (RFC 6242 §4): end-of-message `]]>]]>` (base:1.0) and chunked
//! (base:1.1). Bytes go in with [`Decoder::push`], whole messages come out of [`Decoder::next_message`];
//! chunk boundaries may fall anywhere. Sizes are bounded so a broken peer cannot exhaust memory.

pub const EOM: &[u8] = b"]]>]]>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    EndOfMessage,
    Chunked,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("message larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("bad chunk header: {0}")]
    BadChunk(String),
}

/// Encodes one message. Chunked output is a single chunk (a receiver must accept any split).
pub fn encode(framing: Framing, msg: &[u8]) -> Vec<u8> {
    match framing {
        Framing::EndOfMessage => {
            let mut v = Vec::with_capacity(msg.len() + EOM.len());
            v.extend_from_slice(msg);
            v.extend_from_slice(EOM);
            v
        }
        Framing::Chunked => {
            let mut v = Vec::with_capacity(msg.len() + 24);
            if !msg.is_empty() {
                v.extend_from_slice(format!("\n#{}\n", msg.len()).as_bytes());
                v.extend_from_slice(msg);
            }
            v.extend_from_slice(b"\n##\n");
            v
        }
    }
}

#[derive(Debug)]
enum ChunkState {
    /// Expecting `\n#` then digits or `#`.
    Header,
    /// Inside chunk data, with this many bytes still to copy.
    Data(usize),
}

#[derive(Debug)]
pub struct Decoder {
    framing: Framing,
    max: usize,
    buf: Vec<u8>,
    /// EOM: where to resume the marker search.
    scanned: usize,
    chunk: ChunkState,
    /// Chunked: the message assembled so far.
    msg: Vec<u8>,
    failed: Option<FramingError>,
}

impl Decoder {
    /// Starts in end-of-message framing (hellos always use it).
    pub fn new(max_message: usize) -> Self {
        Decoder {
            framing: Framing::EndOfMessage,
            max: max_message,
            buf: Vec::new(),
            scanned: 0,
            chunk: ChunkState::Header,
            msg: Vec::new(),
            failed: None,
        }
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Switches framing for the bytes after the last returned message (call right after the hello).
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        self.scanned = 0;
        self.chunk = ChunkState::Header;
        self.msg.clear();
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a returned message.
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.msg.len()
    }

    /// The next complete message, `Ok(None)` when more bytes are needed. After an error the
    /// stream cannot be resynchronised: every later call returns the same error.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = match self.framing {
            Framing::EndOfMessage => self.next_eom(),
            Framing::Chunked => self.next_chunked(),
        };
        if let Err(e) = &r {
            self.failed = Some(e.clone());
            self.buf.clear();
            self.msg.clear();
        }
        r
    }

    fn next_eom(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let start = self.scanned.saturating_sub(EOM.len() - 1);
        if let Some(pos) = find(&self.buf[start..], EOM).map(|p| p + start) {
            let rest = self.buf.split_off(pos + EOM.len());
            let mut msg = std::mem::replace(&mut self.buf, rest);
            msg.truncate(pos);
            self.scanned = 0;
            if msg.len() > self.max {
                return Err(FramingError::TooLarge { limit: self.max });
            }
            return Ok(Some(msg));
        }
        self.scanned = self.buf.len();
        if self.buf.len() > self.max + EOM.len() {
            return Err(FramingError::TooLarge { limit: self.max });
        }
        Ok(None)
    }

    fn next_chunked(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let mut pos = 0;
        let result = loop {
            match self.chunk {
                ChunkState::Data(remaining) => {
                    let avail = self.buf.len() - pos;
                    let take = remaining.min(avail);
                    self.msg.extend_from_slice(&self.buf[pos..pos + take]);
                    pos += take;
                    if take < remaining {
                        self.chunk = ChunkState::Data(remaining - take);
                        break Ok(None);
                    }
                    self.chunk = ChunkState::Header;
                }
                ChunkState::Header => {
                    // Tolerate stray LFs before a header (seen from real devices, ncclient #182).
                    while self.buf.len() - pos >= 2
                        && self.buf[pos] == b'\n'
                        && self.buf[pos + 1] == b'\n'
                    {
                        pos += 1;
                    }
                    let rest = &self.buf[pos..];
                    if rest.is_empty() {
                        break Ok(None);
                    }
                    if rest[0] != b'\n' {
                        break Err(FramingError::BadChunk(format!(
                            "expected LF, got byte 0x{:02x}",
                            rest[0]
                        )));
                    }
                    if rest.len() < 2 {
                        break Ok(None);
                    }
                    if rest[1] != b'#' {
                        break Err(FramingError::BadChunk(format!(
                            "expected '#', got byte 0x{:02x}",
                            rest[1]
                        )));
                    }
                    if rest.len() < 3 {
                        break Ok(None);
                    }
                    if rest[2] == b'#' {
                        if rest.len() < 4 {
                            break Ok(None);
                        }
                        if rest[3] != b'\n' {
                            break Err(FramingError::BadChunk(
                                "end-of-chunks not followed by LF".into(),
                            ));
                        }
                        if self.msg.is_empty() {
                            break Err(FramingError::BadChunk(
                                "end-of-chunks before any chunk".into(),
                            ));
                        }
                        pos += 4;
                        break Ok(Some(std::mem::take(&mut self.msg)));
                    }
                    // Up to 10 digits (max 4294967295), first 1-9, then LF.
                    let digits = &rest[2..];
                    let n = digits
                        .iter()
                        .take(11)
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    if n == 0 {
                        break Err(FramingError::BadChunk(format!(
                            "expected chunk size, got byte 0x{:02x}",
                            digits[0]
                        )));
                    }
                    if digits[0] == b'0' {
                        break Err(FramingError::BadChunk(
                            "chunk size with leading zero".into(),
                        ));
                    }
                    if n > 10 {
                        break Err(FramingError::BadChunk(
                            "chunk size longer than 10 digits".into(),
                        ));
                    }
                    if digits.len() == n {
                        break Ok(None); // size may continue in the next read
                    }
                    if digits[n] != b'\n' {
                        break Err(FramingError::BadChunk(
                            "chunk size not followed by LF".into(),
                        ));
                    }
                    let size = std::str::from_utf8(&digits[..n])
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .filter(|s| *s <= u64::from(u32::MAX))
                        .ok_or_else(|| FramingError::BadChunk("chunk size out of range".into()));
                    let size = match size {
                        Ok(s) => s as usize,
                        Err(e) => break Err(e),
                    };
                    if self.msg.len().saturating_add(size) > self.max {
                        break Err(FramingError::TooLarge { limit: self.max });
                    }
                    pos += 2 + n + 1;
                    self.chunk = ChunkState::Data(size);
                }
            }
        };
        self.buf.drain(..pos.min(self.buf.len()));
        result
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(d: &mut Decoder) -> Result<Vec<Vec<u8>>, FramingError> {
        let mut out = vec![];
        while let Some(m) = d.next_message()? {
            out.push(m);
        }
        Ok(out)
    }

    /// Feeds `input` in pieces of `step` bytes and collects all messages.
    fn feed(
        framing: Framing,
        input: &[u8],
        step: usize,
        max: usize,
    ) -> Result<Vec<Vec<u8>>, FramingError> {
        let mut d = Decoder::new(max);
        d.set_framing(framing);
        let mut out = vec![];
        for piece in input.chunks(step.max(1)) {
            d.push(piece);
            out.extend(drain(&mut d)?);
        }
        Ok(out)
    }

    #[test]
    fn eom_round_trip_at_every_split() {
        let mut wire = encode(Framing::EndOfMessage, b"<hello/>");
        wire.extend(encode(Framing::EndOfMessage, "<rpc>é]]></rpc>".as_bytes()));
        for step in 1..wire.len() {
            let msgs = feed(Framing::EndOfMessage, &wire, step, 1024).unwrap();
            assert_eq!(
                msgs,
                vec![b"<hello/>".to_vec(), "<rpc>é]]></rpc>".as_bytes().to_vec()],
                "step {step}"
            );
        }
    }

    #[test]
    fn chunked_message_split_into_many_chunks_and_reads() {
        // "<rpc-reply/>" as three chunks, one ending inside a tag and one inside a UTF-8 char.
        let wire = b"\n#4\n<rpc\n#5\n-rep\xc3\n#5\n\xa9ly/>\n##\n\n#2\nok\n##\n".to_vec();
        for step in 1..wire.len() {
            let msgs = feed(Framing::Chunked, &wire, step, 1024).unwrap();
            assert_eq!(
                msgs,
                vec![b"<rpc-rep\xc3\xa9ly/>".to_vec(), b"ok".to_vec()],
                "step {step}"
            );
        }
    }

    #[test]
    fn chunked_encode_decodes() {
        let wire = encode(Framing::Chunked, b"<rpc/>");
        assert_eq!(wire, b"\n#6\n<rpc/>\n##\n");
        assert_eq!(
            feed(Framing::Chunked, &wire, 3, 64).unwrap(),
            vec![b"<rpc/>".to_vec()]
        );
    }

    #[test]
    fn hello_then_switch_keeps_following_bytes() {
        let mut d = Decoder::new(1024);
        d.push(b"<hello/>]]>]]>\n#2\nhi\n##\n");
        assert_eq!(d.next_message().unwrap(), Some(b"<hello/>".to_vec()));
        d.set_framing(Framing::Chunked);
        assert_eq!(d.next_message().unwrap(), Some(b"hi".to_vec()));
        assert_eq!(d.next_message().unwrap(), None);
    }

    #[test]
    fn extra_lf_before_header_is_tolerated() {
        let msgs = feed(Framing::Chunked, b"\n\n\n#2\nhi\n##\n", 1, 64).unwrap();
        assert_eq!(msgs, vec![b"hi".to_vec()]);
    }

    #[test]
    fn adversarial_chunked_input_fails_cleanly() {
        let cases: &[&[u8]] = &[
            b"x#2\nhi\n##\n",
            b"\n#0\n\n##\n",
            b"\n#02\nhi\n##\n",
            b"\n#99999999999\n",
            b"\n#4294967296\n",
            b"\n#2x\nhi",
            b"\n#-1\n",
            b"\n##\n",
            b"\n#2\nhi\n#",
            b"\n#2\nhi\n##x",
            b"\n#2\nhiX#2\nhi",
        ];
        for case in cases {
            let r = feed(Framing::Chunked, case, 1, 1 << 20);
            let r2 = feed(Framing::Chunked, case, case.len(), 1 << 20);
            // Either an error, or (for truncated input) no message — never a panic or a bogus message.
            for m in [r, r2].into_iter().flatten() {
                assert!(
                    m.is_empty(),
                    "{:?} gave {:?}",
                    String::from_utf8_lossy(case),
                    m
                );
            }
        }
        assert!(feed(Framing::Chunked, b"\n#0\n", 4, 64).is_err());
        assert!(feed(Framing::Chunked, b"\n##\n", 4, 64).is_err());
    }

    #[test]
    fn size_limits_hold_without_buffering_the_whole_claim() {
        // A 4 GB chunk claim is refused at the header, before any data arrives.
        assert_eq!(
            feed(Framing::Chunked, b"\n#4000000000\n", 64, 1024),
            Err(FramingError::TooLarge { limit: 1024 })
        );
        // Many small chunks adding up past the limit.
        let mut wire = vec![];
        for _ in 0..20 {
            wire.extend_from_slice(b"\n#100\n");
            wire.extend_from_slice(&[b'a'; 100]);
        }
        assert!(matches!(
            feed(Framing::Chunked, &wire, 50, 1024),
            Err(FramingError::TooLarge { .. })
        ));
        // EOM without a marker.
        assert!(matches!(
            feed(Framing::EndOfMessage, &[b'a'; 5000], 100, 1024),
            Err(FramingError::TooLarge { .. })
        ));
        // Errors are sticky.
        let mut d = Decoder::new(8);
        d.set_framing(Framing::Chunked);
        d.push(b"garbage");
        assert!(d.next_message().is_err());
        d.push(b"\n#2\nhi\n##\n");
        assert!(d.next_message().is_err());
    }

    #[test]
    fn pseudo_random_splits_match_whole_decode() {
        let mut wire = vec![];
        let msgs: Vec<Vec<u8>> = (0..30)
            .map(|i| format!("<m{i}>{}</m{i}>", "x".repeat(i * 7)).into_bytes())
            .collect();
        for m in &msgs {
            // split each message into irregular chunks
            let mut rest = &m[..];
            let mut k = 1;
            while !rest.is_empty() {
                let n = k.min(rest.len());
                wire.extend_from_slice(format!("\n#{n}\n").as_bytes());
                wire.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                k = k * 3 % 17 + 1;
            }
            wire.extend_from_slice(b"\n##\n");
        }
        let mut rng = fastrand::Rng::with_seed(7);
        let mut d = Decoder::new(1 << 16);
        d.set_framing(Framing::Chunked);
        let mut out = vec![];
        let mut i = 0;
        while i < wire.len() {
            let n = rng.usize(1..40).min(wire.len() - i);
            d.push(&wire[i..i + n]);
            i += n;
            out.extend(drain(&mut d).unwrap());
        }
        assert_eq!(out, msgs);
        assert_eq!(d.buffered(), 0);
    }
}

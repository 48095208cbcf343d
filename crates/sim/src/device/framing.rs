//! NETCONF message framing (RFC 6242 §4), sans IO: the base:1.0 end-of-message marker and the base:1.1
//! chunked encoding, as a decoder fed with arbitrary byte slices and a pure encoder.

/// The base:1.0 end-of-message marker.
pub const EOM: &[u8] = b"]]>]]>";

/// Which framing a session uses. Every session starts with [`Framing::Eom`] for the hellos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// base:1.0, messages end with `]]>]]>`.
    Eom,
    /// base:1.1, `\n#<len>\n…\n##\n`.
    Chunked,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A message (or the bytes waiting for a marker) grew past the configured bound: drop the session.
    #[error("message larger than {limit} bytes")]
    TooBig { limit: usize },
    /// A byte that the chunked grammar does not allow: drop the session, never resynchronise.
    #[error("invalid chunk framing at byte {byte:#04x}")]
    BadChunk { byte: u8 },
}

/// Where the chunked parser is inside the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting the `\n` that starts a chunk header or the end-of-chunks.
    HeaderLf,
    /// Seen `\n`, expecting `#`.
    Hash,
    /// Seen `\n#`, expecting the first size digit (1-9) or a second `#`.
    SizeStart,
    /// Inside the size digits.
    Size { value: u64, digits: u8 },
    /// Copying chunk data.
    Data { remaining: u64 },
    /// Seen `\n##`, expecting the final `\n`.
    EndLf,
}

/// Incremental decoder: `feed` raw bytes, then pull whole messages with `next_message`. Framing may be
/// switched between pulls (after the hello), and bytes already buffered are read with the new framing.
#[derive(Debug)]
pub struct Decoder {
    framing: Framing,
    limit: usize,
    pending: Vec<u8>,
    /// For EOM: how far `pending` has been searched for the marker already.
    scanned: usize,
    chunk_state: ChunkState,
    message: Vec<u8>,
    failed: Option<FramingError>,
}

impl Decoder {
    /// `limit` bounds one message (and the unframed bytes buffered while looking for its end).
    pub fn new(limit: usize) -> Self {
        Decoder {
            framing: Framing::Eom,
            limit,
            pending: Vec::new(),
            scanned: 0,
            chunk_state: ChunkState::HeaderLf,
            message: Vec::new(),
            failed: None,
        }
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        self.scanned = 0;
        self.chunk_state = ChunkState::HeaderLf;
        self.message.clear();
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete message, `Ok(None)` when more bytes are needed. After an error the decoder stays
    /// failed: the caller must drop the session.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = match self.framing {
            Framing::Eom => self.next_eom(),
            Framing::Chunked => self.next_chunked(),
        };
        if let Err(e) = &result {
            self.failed = Some(e.clone());
            self.pending.clear();
            self.message.clear();
        }
        result
    }

    fn next_eom(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let start = self.scanned.saturating_sub(EOM.len() - 1);
        let found = self.pending[start..]
            .windows(EOM.len())
            .position(|w| w == EOM)
            .map(|i| i + start);
        match found {
            Some(end) => {
                if end > self.limit {
                    return Err(FramingError::TooBig { limit: self.limit });
                }
                let message = self.pending[..end].to_vec();
                self.pending.drain(..end + EOM.len());
                self.scanned = 0;
                Ok(Some(message))
            }
            None => {
                if self.pending.len() > self.limit + EOM.len() {
                    return Err(FramingError::TooBig { limit: self.limit });
                }
                self.scanned = self.pending.len();
                Ok(None)
            }
        }
    }

    fn next_chunked(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let mut i = 0;
        let mut done = None;
        while i < self.pending.len() {
            let byte = self.pending[i];
            match self.chunk_state {
                ChunkState::HeaderLf => {
                    if byte != b'\n' {
                        return Err(FramingError::BadChunk { byte });
                    }
                    self.chunk_state = ChunkState::Hash;
                    i += 1;
                }
                ChunkState::Hash => {
                    if byte != b'#' {
                        return Err(FramingError::BadChunk { byte });
                    }
                    self.chunk_state = ChunkState::SizeStart;
                    i += 1;
                }
                ChunkState::SizeStart => {
                    match byte {
                        b'#' => self.chunk_state = ChunkState::EndLf,
                        b'1'..=b'9' => {
                            self.chunk_state = ChunkState::Size {
                                value: u64::from(byte - b'0'),
                                digits: 1,
                            }
                        }
                        _ => return Err(FramingError::BadChunk { byte }),
                    }
                    i += 1;
                }
                ChunkState::Size { value, digits } => {
                    match byte {
                        b'0'..=b'9' if digits < 10 => {
                            self.chunk_state = ChunkState::Size {
                                value: value * 10 + u64::from(byte - b'0'),
                                digits: digits + 1,
                            }
                        }
                        b'\n' => {
                            if value > u64::from(u32::MAX) {
                                return Err(FramingError::BadChunk { byte });
                            }
                            if self.message.len() as u64 + value > self.limit as u64 {
                                return Err(FramingError::TooBig { limit: self.limit });
                            }
                            self.chunk_state = ChunkState::Data { remaining: value };
                        }
                        _ => return Err(FramingError::BadChunk { byte }),
                    }
                    i += 1;
                }
                ChunkState::Data { remaining } => {
                    let available = (self.pending.len() - i) as u64;
                    let take = remaining.min(available) as usize;
                    self.message.extend_from_slice(&self.pending[i..i + take]);
                    i += take;
                    let left = remaining - take as u64;
                    self.chunk_state = if left == 0 {
                        ChunkState::HeaderLf
                    } else {
                        ChunkState::Data { remaining: left }
                    };
                }
                ChunkState::EndLf => {
                    if byte != b'\n' {
                        return Err(FramingError::BadChunk { byte });
                    }
                    i += 1;
                    self.chunk_state = ChunkState::HeaderLf;
                    // `\n##\n` right after a header is an empty message, which the grammar forbids.
                    if self.message.is_empty() {
                        return Err(FramingError::BadChunk { byte });
                    }
                    done = Some(std::mem::take(&mut self.message));
                    break;
                }
            }
        }
        self.pending.drain(..i);
        Ok(done)
    }
}

/// Frame one message for sending. Chunked messages are cut into chunks of at most `max_chunk` bytes
/// (real devices split large replies; clients must reassemble).
pub fn encode(framing: Framing, message: &[u8], max_chunk: usize) -> Vec<u8> {
    match framing {
        Framing::Eom => {
            let mut out = Vec::with_capacity(message.len() + EOM.len());
            out.extend_from_slice(message);
            out.extend_from_slice(EOM);
            out
        }
        Framing::Chunked => {
            let mut out = Vec::with_capacity(message.len() + 32);
            for chunk in message.chunks(max_chunk.max(1)) {
                out.extend_from_slice(format!("\n#{}\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
            }
            out.extend_from_slice(b"\n##\n");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(d: &mut Decoder) -> Result<Vec<Vec<u8>>, FramingError> {
        let mut out = Vec::new();
        while let Some(m) = d.next_message()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn eom_split_across_every_boundary() {
        let wire = b"<a/>]]>]]><b>x</b>]]>]]>";
        for cut in 0..=wire.len() {
            let mut d = Decoder::new(1024);
            d.feed(&wire[..cut]);
            let mut got = drain(&mut d).unwrap();
            d.feed(&wire[cut..]);
            got.extend(drain(&mut d).unwrap());
            assert_eq!(
                got,
                vec![b"<a/>".to_vec(), b"<b>x</b>".to_vec()],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn eom_byte_by_byte() {
        let mut d = Decoder::new(1024);
        let mut got = Vec::new();
        for b in b"<hello/>]]>]]>" {
            d.feed(&[*b]);
            got.extend(drain(&mut d).unwrap());
        }
        assert_eq!(got, vec![b"<hello/>".to_vec()]);
    }

    #[test]
    fn chunked_split_anywhere_and_multi_chunk() {
        let wire = b"\n#4\n<rpc\n#17\n message-id=\"1\"/>\n##\n\n#3\n<b/\n#1\n>\n##\n";
        for cut in 0..=wire.len() {
            let mut d = Decoder::new(1024);
            d.set_framing(Framing::Chunked);
            d.feed(&wire[..cut]);
            let mut got = drain(&mut d).unwrap();
            d.feed(&wire[cut..]);
            got.extend(drain(&mut d).unwrap());
            assert_eq!(
                got,
                vec![b"<rpc message-id=\"1\"/>".to_vec(), b"<b/>".to_vec()],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn hello_then_chunked_in_one_read() {
        let mut d = Decoder::new(1024);
        d.feed(b"<hello/>]]>]]>\n#5\n<rpc/\n#1\n>\n##\n");
        assert_eq!(d.next_message().unwrap(), Some(b"<hello/>".to_vec()));
        d.set_framing(Framing::Chunked);
        assert_eq!(d.next_message().unwrap(), Some(b"<rpc/>".to_vec()));
        assert_eq!(d.next_message().unwrap(), None);
    }

    #[test]
    fn chunked_garbage_is_an_error_and_stays_one() {
        for wire in [
            &b"garbage"[..],
            b"\n#0\n",
            b"\n#01\nx",
            b"\n#12345678901\n",
            b"\n#x",
            b"\n##\n",
            b"\n#2\nab\n##x",
            b"\n#3\nabc#",
        ] {
            let mut d = Decoder::new(1024);
            d.set_framing(Framing::Chunked);
            d.feed(wire);
            assert!(drain(&mut d).is_err(), "{wire:?}");
            d.feed(b"\n#1\na\n##\n");
            assert!(d.next_message().is_err(), "poisoned after {wire:?}");
        }
    }

    #[test]
    fn bounded_sizes() {
        let mut d = Decoder::new(8);
        d.set_framing(Framing::Chunked);
        d.feed(b"\n#4294967295\n");
        assert_eq!(d.next_message(), Err(FramingError::TooBig { limit: 8 }));

        let mut d = Decoder::new(8);
        d.set_framing(Framing::Chunked);
        d.feed(b"\n#5\naaaaa\n#5\n");
        assert_eq!(d.next_message(), Err(FramingError::TooBig { limit: 8 }));

        let mut d = Decoder::new(8);
        d.feed(&[b'x'; 100]);
        assert_eq!(d.next_message(), Err(FramingError::TooBig { limit: 8 }));

        let mut d = Decoder::new(8);
        d.feed(b"123456789]]>]]>");
        assert_eq!(d.next_message(), Err(FramingError::TooBig { limit: 8 }));
    }

    #[test]
    fn encode_round_trips_through_the_decoder() {
        let msg = "<rpc-reply>ünïcödé ]]>]]> inside</rpc-reply>".repeat(7);
        for (framing, max_chunk) in [(Framing::Chunked, 5), (Framing::Chunked, 10_000)] {
            let wire = encode(framing, msg.as_bytes(), max_chunk);
            let mut d = Decoder::new(1 << 20);
            d.set_framing(framing);
            for piece in wire.chunks(3) {
                d.feed(piece);
            }
            assert_eq!(drain(&mut d).unwrap(), vec![msg.as_bytes().to_vec()]);
        }
        assert_eq!(
            encode(Framing::Chunked, b"abc", 2),
            b"\n#2\nab\n#1\nc\n##\n"
        );
        assert_eq!(encode(Framing::Eom, b"<a/>", 2), b"<a/>]]>]]>");
    }
}

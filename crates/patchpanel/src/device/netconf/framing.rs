//! Framing layer, sans IO (RFC 6242 §4): end-of-message `]]>]]>` (base:1.0) and chunked (base:1.1).
//! Bytes go in with [`Decoder::push`], whole messages come out of [`Decoder::next_message`]; chunk and
//! read boundaries may fall anywhere. The decoder copies chunk data with slice copies (never byte by
//! byte), searches for the end-of-message marker with a word-at-a-time scan, and bounds every buffer
//! by the message limit so a hostile peer cannot make it allocate more than that.

pub const EOM: &[u8] = b"]]>]]>";
const END_OF_CHUNKS: &[u8] = b"\n##\n";
/// Longest chunk size: 4294967295 has 10 digits (RFC 6242 §4.2).
const MAX_SIZE_DIGITS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// base:1.0: each message ends with `]]>]]>`. Hellos always use it.
    EndOfMessage,
    /// base:1.1: `\n#<size>\n<data>` chunks, then `\n##\n`.
    Chunked,
}

/// The peer broke the framing; the stream cannot be resynchronised, so the session must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The message is larger than the configured limit (the rest of it is not read).
    #[error("message larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("bad chunk header: {0}")]
    BadChunk(String),
}

/// Encodes one message. Chunked output is a single chunk (a receiver must accept any split).
/// Messages are never empty in this crate; an empty chunked message cannot be represented.
pub fn encode(framing: Framing, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 24);
    encode_into(framing, msg, &mut out);
    out
}

/// Appends one framed message to `out` (reusing its allocation).
pub fn encode_into(framing: Framing, msg: &[u8], out: &mut Vec<u8>) {
    match framing {
        Framing::EndOfMessage => {
            out.extend_from_slice(msg);
            out.extend_from_slice(EOM);
        }
        Framing::Chunked => encode_chunked_into(msg, usize::MAX, out),
    }
}

/// Chunked framing with chunks of at most `chunk_size` bytes, as devices send large replies.
pub fn encode_chunked(msg: &[u8], chunk_size: usize) -> Vec<u8> {
    let chunk_size = chunk_size.clamp(1, u32::MAX as usize);
    let mut out = Vec::with_capacity(msg.len() + (msg.len() / chunk_size + 1) * 14 + 4);
    encode_chunked_into(msg, chunk_size, &mut out);
    out
}

fn encode_chunked_into(msg: &[u8], chunk_size: usize, out: &mut Vec<u8>) {
    let chunk_size = chunk_size.clamp(1, u32::MAX as usize);
    for chunk in msg.chunks(chunk_size) {
        out.extend_from_slice(b"\n#");
        push_decimal(out, chunk.len());
        out.push(b'\n');
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(END_OF_CHUNKS);
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting `\n#` then digits or `#`.
    Header,
    /// Inside chunk data, with this many bytes still to copy.
    Data(usize),
}

/// Incremental decoder for one direction of a NETCONF stream. Starts in end-of-message framing.
///
/// Call [`Decoder::next_message`] until it returns `Ok(None)` after every [`Decoder::push`]; memory is
/// then bounded by the message limit plus one push. Errors are sticky.
#[derive(Debug)]
pub struct Decoder {
    framing: Framing,
    max: usize,
    /// Received bytes not yet decoded start at `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// EOM: `buf[start..scanned]` holds no marker start, so the search resumes there.
    scanned: usize,
    chunk: ChunkState,
    /// Chunked: the message assembled so far.
    msg: Vec<u8>,
    /// A buffer handed back with [`Decoder::recycle`], used for the next message.
    spare: Vec<u8>,
    failed: Option<FramingError>,
}

impl Decoder {
    /// `max_message` bounds each decoded message (and so every internal buffer).
    pub fn new(max_message: usize) -> Self {
        Decoder {
            framing: Framing::EndOfMessage,
            max: max_message,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            chunk: ChunkState::Header,
            msg: Vec::new(),
            spare: Vec::new(),
            failed: None,
        }
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    pub fn limit(&self) -> usize {
        self.max
    }

    /// Switches framing for the bytes after the last returned message (call right after the hello).
    pub fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
        self.scanned = self.start;
        self.chunk = ChunkState::Header;
        self.msg.clear();
    }

    /// Bytes received but not yet returned as part of a message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start + self.msg.len()
    }

    /// Bytes of memory the decoder holds (capacity of its buffers), for tests of the bounds.
    pub fn allocated(&self) -> usize {
        self.buf.capacity() + self.msg.capacity() + self.spare.capacity()
    }

    /// Gives a returned message's buffer back so the next message reuses its allocation.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > self.spare.capacity() && buf.capacity() <= self.soft_cap() {
            buf.clear();
            self.spare = buf;
        }
    }

    fn soft_cap(&self) -> usize {
        self.max.saturating_add(64 * 1024)
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.failed.is_some() || bytes.is_empty() {
            return;
        }
        // Fast path: chunk data with nothing pending goes straight into the message (one copy).
        if let (Framing::Chunked, ChunkState::Data(remaining)) = (self.framing, self.chunk) {
            if self.start == self.buf.len() {
                let take = remaining.min(bytes.len());
                self.append_msg(&bytes[..take]);
                self.chunk = ChunkState::Data(remaining - take);
                bytes = &bytes[take..];
                if bytes.is_empty() {
                    return;
                }
            }
        }
        self.compact();
        if self.buf.is_empty() && self.buf.capacity() < bytes.len() && self.spare.capacity() > 0 {
            self.buf = std::mem::take(&mut self.spare);
        }
        let cap = self.soft_cap().saturating_add(bytes.len());
        grow(&mut self.buf, bytes.len(), cap);
        self.buf.extend_from_slice(bytes);
    }

    /// Drops consumed bytes from the front of `buf`.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        if self.start == self.buf.len() {
            self.buf.clear();
        } else {
            self.buf.drain(..self.start);
        }
        self.scanned -= self.start.min(self.scanned);
        self.start = 0;
    }

    fn append_msg(&mut self, data: &[u8]) {
        if self.msg.capacity() == 0 && self.spare.capacity() > 0 {
            self.msg = std::mem::take(&mut self.spare);
        }
        let cap = self.max;
        grow(&mut self.msg, data.len(), cap);
        self.msg.extend_from_slice(data);
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
            self.buf = Vec::new();
            self.msg = Vec::new();
            self.spare = Vec::new();
            self.start = 0;
            self.scanned = 0;
        }
        r
    }

    fn next_eom(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let from = self.scanned.max(self.start);
        match find_eom(&self.buf[from..]) {
            Some(rel) => {
                let end = from + rel;
                let len = end - self.start;
                if len > self.max {
                    return Err(FramingError::TooLarge { limit: self.max });
                }
                let rest_len = self.buf.len() - end - EOM.len();
                let msg = if self.spare.capacity() < len && self.start == 0 && rest_len < len {
                    // Hand the big buffer over and keep only the (small) rest.
                    let rest = self.buf[end + EOM.len()..].to_vec();
                    let mut msg = std::mem::replace(&mut self.buf, rest);
                    msg.truncate(end);
                    msg
                } else {
                    let mut msg = std::mem::take(&mut self.spare);
                    msg.clear();
                    msg.extend_from_slice(&self.buf[self.start..end]);
                    self.start = end + EOM.len();
                    msg
                };
                self.scanned = self.start;
                Ok(Some(msg))
            }
            None => {
                // A marker may straddle this read and the next: rescan the last 5 bytes.
                self.scanned = self.buf.len().saturating_sub(EOM.len() - 1).max(self.start);
                if self.buf.len() - self.start > self.max + EOM.len() {
                    return Err(FramingError::TooLarge { limit: self.max });
                }
                Ok(None)
            }
        }
    }

    fn next_chunked(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        loop {
            match self.chunk {
                ChunkState::Data(remaining) => {
                    let avail = self.buf.len() - self.start;
                    let take = remaining.min(avail);
                    if take > 0 {
                        let (s, e) = (self.start, self.start + take);
                        let cap = self.max;
                        if self.msg.capacity() == 0 && self.spare.capacity() > 0 {
                            self.msg = std::mem::take(&mut self.spare);
                        }
                        grow(&mut self.msg, take, cap);
                        self.msg.extend_from_slice(&self.buf[s..e]);
                        self.start = e;
                    }
                    if take < remaining {
                        self.chunk = ChunkState::Data(remaining - take);
                        return Ok(None);
                    }
                    self.chunk = ChunkState::Header;
                }
                ChunkState::Header => match self.header()? {
                    None => return Ok(None),
                    Some(Header::End) => return Ok(Some(std::mem::take(&mut self.msg))),
                    Some(Header::Chunk(size)) => self.chunk = ChunkState::Data(size),
                },
            }
        }
    }

    /// Parses one chunk header or end-of-chunks at `buf[start..]`; `None` when incomplete.
    fn header(&mut self) -> Result<Option<Header>, FramingError> {
        let mut pos = self.start;
        // Tolerate stray LFs before a header (seen from real devices, ncclient #182).
        while self.buf.len() - pos >= 2 && self.buf[pos] == b'\n' && self.buf[pos + 1] == b'\n' {
            pos += 1;
        }
        self.start = pos;
        let rest = &self.buf[pos..];
        let Some(&first) = rest.first() else {
            return Ok(None);
        };
        if first != b'\n' {
            return Err(bad(format!("expected LF, got byte 0x{first:02x}")));
        }
        let Some(&second) = rest.get(1) else {
            return Ok(None);
        };
        if second != b'#' {
            return Err(bad(format!("expected '#', got byte 0x{second:02x}")));
        }
        let Some(&third) = rest.get(2) else {
            return Ok(None);
        };
        if third == b'#' {
            let Some(&fourth) = rest.get(3) else {
                return Ok(None);
            };
            if fourth != b'\n' {
                return Err(bad("end-of-chunks not followed by LF".into()));
            }
            if self.msg.is_empty() {
                return Err(bad("end-of-chunks before any chunk".into()));
            }
            self.start += 4;
            return Ok(Some(Header::End));
        }
        if !third.is_ascii_digit() {
            return Err(bad(format!("expected chunk size, got byte 0x{third:02x}")));
        }
        if third == b'0' {
            return Err(bad("chunk size with leading zero or zero".into()));
        }
        let digits = &rest[2..];
        let n = digits
            .iter()
            .take(MAX_SIZE_DIGITS + 1)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n > MAX_SIZE_DIGITS {
            return Err(bad("chunk size longer than 10 digits".into()));
        }
        let Some(&after) = digits.get(n) else {
            return Ok(None); // the size may continue in the next read
        };
        if after != b'\n' {
            return Err(bad("chunk size not followed by LF".into()));
        }
        let size = digits[..n]
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        if size > u64::from(u32::MAX) {
            return Err(bad("chunk size out of range".into()));
        }
        // Refuse an oversize claim at the header, before any of its data is buffered.
        let size = usize::try_from(size).map_err(|_| FramingError::TooLarge { limit: self.max })?;
        if self.msg.len().saturating_add(size) > self.max {
            return Err(FramingError::TooLarge { limit: self.max });
        }
        self.start += 2 + n + 1;
        Ok(Some(Header::Chunk(size)))
    }
}

enum Header {
    Chunk(usize),
    End,
}

fn bad(reason: String) -> FramingError {
    FramingError::BadChunk(reason)
}

/// Grows `v` for `additional` more bytes, doubling as usual but never past `soft_cap` (unless the
/// bytes themselves need more), so a buffer bounded by the message limit cannot reserve twice that.
fn grow(v: &mut Vec<u8>, additional: usize, soft_cap: usize) {
    let needed = v.len().saturating_add(additional);
    if needed <= v.capacity() {
        return;
    }
    let target = v
        .capacity()
        .saturating_mul(2)
        .max(8 * 1024)
        .min(soft_cap)
        .max(needed);
    v.reserve_exact(target - v.len());
}

/// Position of the first `]]>]]>` in `hay`.
pub fn find_eom(hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = memchr(b']', &hay[from..]) {
        let i = from + rel;
        match hay.get(i..i + EOM.len()) {
            Some(w) if w == EOM => return Some(i),
            Some(_) => from = i + 1,
            None => return None,
        }
    }
    None
}

/// First position of `needle` in `hay`: 16 bytes per step with the classic SWAR zero-byte test
/// (`(w - 0x01..) & !w & 0x80..` is non-zero iff some byte of `w` is zero), std only.
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let has_zero = |w: u64| w.wrapping_sub(LO) & !w & HI != 0;
    let mut blocks = hay.chunks_exact(16);
    let mut offset = 0;
    for block in blocks.by_ref() {
        let (a, b) = block.split_at(8);
        let a = u64::from_le_bytes(a.try_into().unwrap_or([0; 8])) ^ pattern;
        let b = u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) ^ pattern;
        if has_zero(a) || has_zero(b) {
            return block.iter().position(|&x| x == needle).map(|p| offset + p);
        }
        offset += 16;
    }
    blocks
        .remainder()
        .iter()
        .position(|&x| x == needle)
        .map(|p| offset + p)
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;

//! A minimal, independent NETCONF client for the simulator tests: blocking `ssh2` (libssh2) with its own
//! end-of-message and chunk parsing, so the server's framing is checked by code it does not share.
// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

pub const HELLO_10: &str = r#"<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>"#;
pub const HELLO_11: &str = r#"<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>"#;

pub fn ssh_session(addr: SocketAddr) -> ssh2::Session {
    let tcp = TcpStream::connect(addr).unwrap();
    let mut sess = ssh2::Session::new().unwrap();
    sess.set_tcp_stream(tcp);
    // A safety net so a server bug fails the test instead of hanging it; nothing asserts on time.
    sess.set_timeout(20_000);
    sess.handshake().unwrap();
    sess
}

/// A minimal, independent NETCONF client: its own EOM and chunk parsing.
pub struct Nc {
    _sess: ssh2::Session,
    pub ch: ssh2::Channel,
    buf: Vec<u8>,
    pub chunked: bool,
    pub chunks_in_last_reply: usize,
}

impl Nc {
    pub fn open(sess: ssh2::Session) -> Nc {
        let mut ch = sess.channel_session().unwrap();
        ch.subsystem("netconf").unwrap();
        Nc {
            _sess: sess,
            ch,
            buf: Vec::new(),
            chunked: false,
            chunks_in_last_reply: 0,
        }
    }

    /// Returns false at EOF.
    pub fn fill(&mut self) -> bool {
        self.try_fill().unwrap()
    }

    /// Like `fill`, but a read error (a timeout, a dropped connection) is returned.
    pub fn try_fill(&mut self) -> std::io::Result<bool> {
        let mut tmp = [0u8; 16384];
        let n = self.ch.read(&mut tmp)?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n > 0)
    }

    /// Read timeout of the whole SSH session, in milliseconds.
    pub fn set_timeout(&self, ms: u32) {
        self._sess.set_timeout(ms);
    }

    /// Whatever bytes the next read brings, unparsed (empty at EOF).
    pub fn read_raw(&mut self) -> std::io::Result<Vec<u8>> {
        if self.buf.is_empty() {
            self.try_fill()?;
        }
        Ok(std::mem::take(&mut self.buf))
    }

    /// Read one chunked message without keeping it: its length and its last bytes.
    pub fn measure_chunked(&mut self) -> Option<(u64, Vec<u8>)> {
        let mut total = 0u64;
        let mut tail: Vec<u8> = Vec::new();
        loop {
            while self.buf.len() < 4 {
                if !self.fill() {
                    return None;
                }
            }
            assert_eq!(&self.buf[..2], b"\n#", "chunk header");
            if self.buf[2] == b'#' {
                assert_eq!(self.buf[3], b'\n');
                self.buf.drain(..4);
                return Some((total, tail));
            }
            let lf = loop {
                if let Some(p) = self.buf[2..].iter().position(|b| *b == b'\n') {
                    break p + 2;
                }
                if !self.fill() {
                    return None;
                }
            };
            let size: usize = std::str::from_utf8(&self.buf[2..lf])
                .unwrap()
                .parse()
                .unwrap();
            self.buf.drain(..=lf);
            let mut left = size;
            while left > 0 {
                if self.buf.is_empty() && !self.fill() {
                    return None;
                }
                let n = left.min(self.buf.len());
                tail.extend_from_slice(&self.buf[..n]);
                if tail.len() > 256 {
                    tail.drain(..tail.len() - 256);
                }
                self.buf.drain(..n);
                left -= n;
            }
            total += size as u64;
        }
    }

    pub fn read_eom(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.windows(6).position(|w| w == b"]]>]]>") {
                let msg = String::from_utf8(self.buf[..i].to_vec()).unwrap();
                self.buf.drain(..i + 6);
                return Some(msg);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    pub fn read_chunked(&mut self) -> Option<String> {
        let mut msg = Vec::new();
        let mut chunks = 0;
        loop {
            while self.buf.len() < 4 {
                if !self.fill() {
                    return None;
                }
            }
            assert_eq!(&self.buf[..2], b"\n#", "chunk header");
            if self.buf[2] == b'#' {
                assert_eq!(self.buf[3], b'\n');
                self.buf.drain(..4);
                self.chunks_in_last_reply = chunks;
                return Some(String::from_utf8(msg).unwrap());
            }
            let lf = loop {
                if let Some(p) = self.buf[2..].iter().position(|b| *b == b'\n') {
                    break p + 2;
                }
                if !self.fill() {
                    return None;
                }
            };
            let size: usize = std::str::from_utf8(&self.buf[2..lf])
                .unwrap()
                .parse()
                .unwrap();
            while self.buf.len() < lf + 1 + size {
                if !self.fill() {
                    return None;
                }
            }
            msg.extend_from_slice(&self.buf[lf + 1..lf + 1 + size]);
            self.buf.drain(..lf + 1 + size);
            chunks += 1;
        }
    }

    pub fn read_msg(&mut self) -> Option<String> {
        if self.chunked {
            self.read_chunked()
        } else {
            self.read_eom()
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        // No `flush()`: on an ssh2 channel it discards received-but-unread data.
        self.ch.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, xml: &str) {
        if self.chunked {
            // Split in two chunks on purpose: the server must reassemble.
            let (a, b) = xml.as_bytes().split_at(xml.len() / 2);
            let mut wire = format!("\n#{}\n", a.len()).into_bytes();
            wire.extend_from_slice(a);
            wire.extend_from_slice(format!("\n#{}\n", b.len()).as_bytes());
            wire.extend_from_slice(b);
            wire.extend_from_slice(b"\n##\n");
            self.send_raw(&wire);
        } else {
            let mut wire = xml.as_bytes().to_vec();
            wire.extend_from_slice(b"]]>]]>");
            self.send_raw(&wire);
        }
    }

    /// Hello exchange: read the server hello, then send ours; returns the server hello.
    pub fn hello(&mut self, offer_11: bool) -> String {
        let server = self.read_eom().expect("server hello");
        let mut wire = if offer_11 { HELLO_11 } else { HELLO_10 }
            .as_bytes()
            .to_vec();
        wire.extend_from_slice(b"]]>]]>");
        self.send_raw(&wire);
        self.chunked = offer_11 && server.contains("urn:ietf:params:netconf:base:1.1");
        server
    }

    pub fn rpc(&mut self, xml: &str) -> String {
        self.send(xml);
        self.read_msg().expect("rpc-reply")
    }
}

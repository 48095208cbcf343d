//! A scripted in-memory NETCONF server behind the client's `Transport` trait: it sends its hello
//! at once, decodes what the client writes with the crate's framing decoder, parses each rpc, and
//! answers as the test's handler says. It records every call so tests can check ordering.

use patchpanel::device::netconf::framing::{encode, Decoder, Framing};
use patchpanel::device::netconf::{NetconfSession, SessionOptions, Transport, TransportError};
use patchpanel::device::tree::{from_xml, Node};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BASE_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
pub const C: &str = "urn:ietf:params:netconf:capability:";

/// What the scripted server does with one rpc.
pub enum Answer {
    /// `<rpc-reply message-id=ID xmlns=base>` + this + `</rpc-reply>`.
    Body(String),
    /// These bytes, framed, as the whole reply (wrong ids, notifications, garbage).
    Raw(String),
    /// Several raw messages in a row.
    RawMany(Vec<String>),
    /// Nothing: the client's deadline passes.
    Silence,
    /// The channel closes.
    Hangup,
    /// An endless chunked reply of 8 KiB chunks (stops after 100 MB).
    Endless,
}

pub type Handler = Box<dyn FnMut(&Node, &str) -> Answer + Send>;

#[derive(Default)]
pub struct Log {
    /// Every rpc the server received, parsed.
    pub rpcs: Vec<Node>,
    /// "write <n bytes>" / "read" in call order.
    pub calls: Vec<String>,
    pub client_hello: Option<String>,
    pub served: usize,
    pub closed: bool,
}

pub struct Fake {
    caps: Vec<String>,
    handler: Handler,
    inbound: Decoder,
    framing: Framing,
    hello_seen: bool,
    outbound: VecDeque<u8>,
    endless: bool,
    hangup: bool,
    log: Arc<Mutex<Log>>,
}

impl Fake {
    pub fn new(caps: &[&str], handler: Handler) -> (Fake, Arc<Mutex<Log>>) {
        let log = Arc::new(Mutex::new(Log::default()));
        let mut caps_xml = String::new();
        for c in caps {
            caps_xml.push_str(&format!("<capability>{c}</capability>"));
        }
        let hello = format!("<?xml version=\"1.0\"?><hello xmlns=\"{BASE_NS}\"><capabilities>{caps_xml}</capabilities><session-id>17</session-id></hello>");
        let fake = Fake {
            caps: caps.iter().map(|c| c.to_string()).collect(),
            handler,
            inbound: Decoder::new(1 << 20),
            framing: Framing::EndOfMessage,
            hello_seen: false,
            // Real servers send their hello as soon as the channel opens.
            outbound: encode(Framing::EndOfMessage, hello.as_bytes()).into(),
            endless: false,
            hangup: false,
            log: log.clone(),
        };
        (fake, log)
    }

    fn send(&mut self, xml: &str) {
        self.outbound.extend(encode(self.framing, xml.as_bytes()));
    }
}

impl Transport for Fake {
    fn write_all(
        &mut self,
        bytes: &[u8],
        _deadline: Instant,
        _during: &'static str,
    ) -> Result<(), TransportError> {
        self.log
            .lock()
            .unwrap()
            .calls
            .push(format!("write {}", bytes.len()));
        self.inbound.push(bytes);
        while let Some(msg) = self.inbound.next_message().expect("client framing") {
            let text = String::from_utf8(msg).expect("client sends UTF-8");
            if !self.hello_seen {
                self.hello_seen = true;
                let base11 = "urn:ietf:params:netconf:base:1.1";
                if text.contains(base11) && self.caps.iter().any(|c| c == base11) {
                    self.framing = Framing::Chunked;
                    self.inbound.set_framing(Framing::Chunked);
                }
                self.log.lock().unwrap().client_hello = Some(text);
                continue;
            }
            let rpc = from_xml(text.as_bytes()).expect("client sends well-formed XML");
            let id = rpc.attr("message-id").unwrap_or("").to_string();
            self.log.lock().unwrap().rpcs.push(rpc.clone());
            match (self.handler)(&rpc, &id) {
                Answer::Body(b) => self.send(&format!(
                    "<rpc-reply message-id=\"{id}\" xmlns=\"{BASE_NS}\">{b}</rpc-reply>"
                )),
                Answer::Raw(r) => self.send(&r),
                Answer::RawMany(rs) => rs.iter().for_each(|r| self.send(r)),
                Answer::Silence => {}
                Answer::Hangup => self.hangup = true,
                Answer::Endless => self.endless = true,
            }
        }
        Ok(())
    }

    fn read(
        &mut self,
        buf: &mut [u8],
        _deadline: Instant,
        during: &'static str,
    ) -> Result<usize, TransportError> {
        let mut log = self.log.lock().unwrap();
        log.calls.push("read".into());
        if self.outbound.is_empty() && self.endless && log.served < 100_000_000 {
            self.outbound.extend(b"\n#8192\n");
            self.outbound.extend(vec![b'x'; 8192]);
        }
        if self.outbound.is_empty() {
            return Err(if self.hangup || self.endless {
                TransportError::Closed { during }
            } else {
                TransportError::Timeout {
                    during,
                    after: Duration::ZERO,
                }
            });
        }
        let n = buf.len().min(self.outbound.len());
        for (i, b) in self.outbound.drain(..n).enumerate() {
            buf[i] = b;
        }
        log.served += n;
        Ok(n)
    }

    fn close(&mut self) {
        self.log.lock().unwrap().closed = true;
    }
}

pub fn all_caps() -> Vec<String> {
    let mut v: Vec<String> = [
        "urn:ietf:params:netconf:base:1.0",
        "urn:ietf:params:netconf:base:1.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in [
        "candidate:1.0",
        "confirmed-commit:1.0",
        "confirmed-commit:1.1",
        "validate:1.0",
        "validate:1.1",
        "rollback-on-error:1.0",
        "writable-running:1.0",
        "startup:1.0",
        "xpath:1.0",
    ] {
        v.push(format!("{C}{c}"));
    }
    v.push("http://cisco.com/yang/cisco-ia?module=cisco-ia&amp;revision=2000-01-01".into());
    v
}

pub fn options(max: usize) -> SessionOptions {
    SessionOptions {
        hello_timeout: Duration::from_secs(5),
        rpc_timeout: Duration::from_secs(5),
        max_reply_bytes: max,
        offer_base_1_1: true,
        peer: "fake:830".into(),
    }
}

pub fn open_with(
    caps: &[String],
    max: usize,
    handler: impl FnMut(&Node, &str) -> Answer + Send + 'static,
) -> (NetconfSession, Arc<Mutex<Log>>) {
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    let (fake, log) = Fake::new(&caps, Box::new(handler));
    let session = NetconfSession::over(Box::new(fake), &options(max)).expect("hello");
    (session, log)
}

pub fn open(
    handler: impl FnMut(&Node, &str) -> Answer + Send + 'static,
) -> (NetconfSession, Arc<Mutex<Log>>) {
    open_with(&all_caps(), 1 << 20, handler)
}

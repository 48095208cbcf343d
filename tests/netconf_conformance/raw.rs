//! A bare NETCONF session for requests the project's client has no typed operation for
//! (`create-subscription`, `<with-defaults>`, `ietf-yang-library` reads): the project's SSH transport
//! and framing codec, base:1.0 (end-of-message framing) only, requests written as text and replies
//! parsed by the client's reply parser. It works around netconfd's coalesced-hello stall the way the
//! client does (README quirk 2): when the first reply is late, one harmless probe follows.

use crate::target::{Target, TIMEOUT};
use patchpanel::device::netconf::framing::{encode, Decoder, Framing};
use patchpanel::device::netconf::reply::{parse_hello, parse_message, Incoming, ParsedReply};
use patchpanel::device::netconf::{SshTransport, Transport, TransportError};
use std::time::{Duration, Instant};

const BASE: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
/// The probe's message-id; its reply is skipped.
const PROBE: &str = "probe";

pub struct Raw {
    transport: SshTransport,
    decoder: Decoder,
    next_id: u32,
    first: bool,
    /// The server hello, as text.
    pub hello: String,
    /// Every message received after the hello that was no reply (notifications), as text.
    pub notifications: Vec<String>,
}

impl Raw {
    pub fn connect(t: &Target) -> Raw {
        let mut transport = SshTransport::connect(&t.opts).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let mut decoder = Decoder::new(16 * 1024 * 1024);
        decoder.set_framing(Framing::EndOfMessage);
        let hello = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><hello xmlns=\"{BASE}\"><capabilities>\
             <capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>"
        );
        transport
            .write_all(
                &encode(Framing::EndOfMessage, hello.as_bytes()),
                deadline,
                "hello",
            )
            .unwrap();
        let mut raw = Raw {
            transport,
            decoder,
            next_id: 1,
            first: true,
            hello: String::new(),
            notifications: Vec::new(),
        };
        let server = raw.read_message(deadline).unwrap();
        parse_hello(&server).unwrap();
        raw.hello = String::from_utf8(server).unwrap();
        raw
    }

    fn read_message(&mut self, deadline: Instant) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if let Some(m) = self.decoder.next_message().unwrap() {
                return Ok(m);
            }
            let n = self.transport.read(&mut buf, deadline, "reply")?;
            self.decoder.push(&buf[..n]);
        }
    }

    fn send(&mut self, id: &str, operation: &str) {
        let rpc = format!("<rpc message-id=\"{id}\" xmlns=\"{BASE}\">{operation}</rpc>");
        self.transport
            .write_all(
                &encode(Framing::EndOfMessage, rpc.as_bytes()),
                Instant::now() + TIMEOUT,
                "rpc",
            )
            .unwrap();
    }

    /// Sends `operation` (the XML inside `<rpc>`) and returns its reply, parsed and as text.
    pub fn rpc(&mut self, operation: &str) -> (ParsedReply, String) {
        let id = self.next_id.to_string();
        self.next_id += 1;
        self.send(&id, operation);
        let deadline = Instant::now() + TIMEOUT;
        let mut nudge = self.first.then(|| Instant::now() + Duration::from_secs(1));
        self.first = false;
        loop {
            let until = nudge.map_or(deadline, |n| n.min(deadline));
            let message = match self.read_message(until) {
                Ok(m) => m,
                Err(TransportError::Timeout { .. }) if nudge.is_some() => {
                    nudge = None;
                    self.send(
                        PROBE,
                        "<get-config><source><running/></source><filter type=\"subtree\"/></get-config>",
                    );
                    continue;
                }
                Err(e) => panic!("no reply to {operation}: {e}"),
            };
            let text = String::from_utf8(message.clone()).unwrap();
            match parse_message(&message).unwrap() {
                Incoming::Notification => self.notifications.push(text),
                Incoming::Reply(r) if r.message_id.as_deref() == Some(id.as_str()) => {
                    return (r, text)
                }
                Incoming::Reply(r) if r.message_id.as_deref() == Some(PROBE) => {}
                Incoming::Reply(r) => panic!("a reply to nothing sent: {r:?}"),
            }
        }
    }

    pub fn close(mut self) {
        let _ = self.rpc("<close-session/>");
        self.transport.close();
    }
}

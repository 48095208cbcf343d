//! Regression for the client fix of netconfd's coalesced-hello stall (README quirk 2): a transport that
//! deliberately holds the client hello back and writes it in one piece with the first rpc, which makes
//! netconfd sit on that rpc until another message arrives. The session's probe must release it, and
//! the probe's late reply must be skipped by the next requests.

use crate::target::Target;
use patchpanel::device::netconf::{
    Datastore, NetconfSession, SessionOptions, SshTransport, Transport, TransportError,
};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Joins the first write (the hello) with the second (the first rpc); records every write after.
struct Coalescing {
    inner: SshTransport,
    held: Option<Vec<u8>>,
    writes: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Transport for Coalescing {
    fn write_all(
        &mut self,
        bytes: &[u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<(), TransportError> {
        let mut writes = self.writes.lock().unwrap();
        if writes.is_empty() && self.held.is_none() {
            self.held = Some(bytes.to_vec());
            return Ok(());
        }
        let mut wire = self.held.take().unwrap_or_default();
        wire.extend_from_slice(bytes);
        writes.push(wire.clone());
        drop(writes);
        self.inner.write_all(&wire, deadline, during)
    }

    fn read(
        &mut self,
        buf: &mut [u8],
        deadline: Instant,
        during: &'static str,
    ) -> Result<usize, TransportError> {
        self.inner.read(buf, deadline, during)
    }

    fn close(&mut self) {
        self.inner.close();
    }
}

pub fn first_rpc_coalesced_with_the_hello(t: &Target) {
    let writes = Arc::new(Mutex::new(Vec::new()));
    let transport = Coalescing {
        inner: SshTransport::connect(&t.opts).unwrap(),
        held: None,
        writes: writes.clone(),
    };
    let mut s = NetconfSession::over(Box::new(transport), &SessionOptions::from(&t.opts))
        .unwrap_or_else(|e| panic!("{}: hello: {e}", t.facts.name));
    // Without the probe this waits for the whole rpc timeout and fails.
    s.get_config(Datastore::Running, None)
        .unwrap_or_else(|e| panic!("{}: first rpc: {e}", t.facts.name));
    // Later requests match their own replies (the probe's reply, if any, is skipped).
    for _ in 0..3 {
        s.keepalive().unwrap();
    }
    crate::checks::baseline(&mut s, "1/0/14", "after the probe");
    assert!(s.is_usable());
    let sent = writes.lock().unwrap().clone();
    let text = |i: usize| String::from_utf8_lossy(&sent[i]).into_owned();
    assert!(
        text(0).contains("<hello") && text(0).contains("message-id=\"1\""),
        "hello and first rpc went out in one write: {}",
        text(0)
    );
    if t.facts.stalls_coalesced_first_rpc {
        // The server never answers the stuck rpc by itself, so the probe went out, with the next id.
        assert!(
            text(1).contains("message-id=\"2\"") && text(1).contains("get-config"),
            "{}",
            text(1)
        );
        assert!(text(2).contains("message-id=\"3\""), "{}", text(2));
    }
    s.close();
}

//! What clients did to the simulator (`GET /_sim/log`): every API request with the status and
//! tracking id it got, and every Mercury socket with its query, authorization, acks and the client's
//! close code. Tests prove what a client sent from here instead of from a second, hand-written fake.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Requests kept; older ones are forgotten so a long demo run stays bounded.
pub const MAX_REQUESTS: usize = 10_000;
/// Sockets kept, for the same reason.
pub const MAX_SOCKETS: usize = 1_000;

/// One request outside `/_sim`, as answered (injected failures and 401s included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The `trackingid` header of the answer.
    pub tracking_id: String,
}

/// One Mercury socket, from its upgrade on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedSocket {
    /// Counts from 1 in upgrade order.
    pub id: u64,
    pub registration: String,
    /// The raw query string of the upgrade URL (empty when there was none).
    pub query: String,
    /// The authorization frame was accepted.
    pub authorized: bool,
    /// Envelope ids the client acked, in order.
    pub acks: Vec<String>,
    /// The code of the client's close frame (1005 when it carried none).
    pub client_close: Option<u16>,
    /// Still being served.
    pub open: bool,
}

/// A copy of the log at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLog {
    pub requests: Vec<LoggedRequest>,
    pub sockets: Vec<LoggedSocket>,
}

#[derive(Debug, Default)]
pub struct Log {
    requests: VecDeque<LoggedRequest>,
    sockets: VecDeque<LoggedSocket>,
    next_socket: u64,
}

impl Log {
    pub fn request(&mut self, req: LoggedRequest) {
        if self.requests.len() >= MAX_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(req);
    }

    /// A socket was upgraded; returns its id for the calls below.
    pub fn socket_opened(&mut self, registration: &str, query: &str) -> u64 {
        if self.sockets.len() >= MAX_SOCKETS {
            self.sockets.pop_front();
        }
        self.next_socket += 1;
        self.sockets.push_back(LoggedSocket {
            id: self.next_socket,
            registration: registration.to_owned(),
            query: query.to_owned(),
            authorized: false,
            acks: Vec::new(),
            client_close: None,
            open: true,
        });
        self.next_socket
    }

    fn socket(&mut self, id: u64) -> Option<&mut LoggedSocket> {
        self.sockets.iter_mut().find(|s| s.id == id)
    }

    pub fn authorized(&mut self, id: u64) {
        if let Some(s) = self.socket(id) {
            s.authorized = true;
        }
    }

    pub fn acked(&mut self, id: u64, envelope_id: &str) {
        if let Some(s) = self.socket(id) {
            s.acks.push(envelope_id.to_owned());
        }
    }

    pub fn client_closed(&mut self, id: u64, code: u16) {
        if let Some(s) = self.socket(id) {
            s.client_close = Some(code);
        }
    }

    pub fn socket_ended(&mut self, id: u64) {
        if let Some(s) = self.socket(id) {
            s.open = false;
        }
    }

    pub fn snapshot(&self) -> SimLog {
        SimLog {
            requests: self.requests.iter().cloned().collect(),
            sockets: self.sockets.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_record_their_life_and_the_log_stays_bounded() {
        let mut log = Log::default();
        let a = log.socket_opened("r1", "outboundWireFormat=text");
        let b = log.socket_opened("r1", "");
        log.authorized(a);
        log.acked(a, "e1");
        log.client_closed(a, 1000);
        log.socket_ended(a);
        log.acked(99, "ignored");
        let snap = log.snapshot();
        assert_eq!(snap.sockets.len(), 2);
        let first = &snap.sockets[0];
        assert_eq!((first.id, first.authorized, first.open), (a, true, false));
        assert_eq!(first.acks, vec!["e1".to_owned()]);
        assert_eq!(first.client_close, Some(1000));
        assert_eq!(snap.sockets[1].id, b);
        assert!(snap.sockets[1].open && !snap.sockets[1].authorized);

        for i in 0..MAX_REQUESTS + 3 {
            log.request(LoggedRequest {
                method: "GET".into(),
                path: format!("/v1/people/{i}"),
                status: 200,
                tracking_id: String::new(),
            });
        }
        let snap = log.snapshot();
        assert_eq!(snap.requests.len(), MAX_REQUESTS);
        assert_eq!(snap.requests[0].path, "/v1/people/3");
    }
}

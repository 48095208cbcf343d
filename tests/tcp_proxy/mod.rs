//! A loopback TCP forwarder with an off switch: "NetBox is down" for a real NetBox and the simulator
//! alike. While down, open connections are cut and new ones are accepted and closed at once (the
//! client sees a reset/EOF, as when a server dies). Use from a test file with `mod tcp_proxy;`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct TcpProxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
    /// Cancelled to cut the connections of the current "up" period.
    epoch: Arc<Mutex<CancellationToken>>,
    _stop: tokio_util::sync::DropGuard,
}

impl TcpProxy {
    /// Forwards `127.0.0.1:<ephemeral>` to `target`.
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let down = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicU64::new(0));
        let epoch = Arc::new(Mutex::new(stop.child_token()));
        let (d, r, e, s) = (down.clone(), refused.clone(), epoch.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = s.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((client, _)) = accepted else { continue };
                if d.load(Ordering::SeqCst) {
                    r.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let cut = e.lock().unwrap().clone();
                tokio::spawn(forward(client, target, cut));
            }
        });
        TcpProxy {
            addr,
            down,
            refused,
            epoch,
            _stop: stop.drop_guard(),
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            let mut epoch = self.epoch.lock().unwrap();
            epoch.cancel();
            *epoch = CancellationToken::new();
        }
    }

    /// Connections refused while down (proof that the client kept trying).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr, cut: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = cut.cancelled() => {}
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
    }
}

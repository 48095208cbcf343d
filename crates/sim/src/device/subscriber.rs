//! Delivers one subscribed NETCONF session's notifications over its SSH channel, in its own task
//! (RFC 5277 `:interleave`: the session keeps answering rpcs meanwhile). Each notification is framed
//! whole with the session's framing and written with one channel write, so it never splits an
//! rpc-reply and vice versa. The `drop-subscriptions` fault ends here: the connection is closed.

use super::framing::{self, Framing};
use super::netconf::MAX_CHUNK;
use super::signals::Subscription;
use russh::server::Handle;
use russh::{ChannelId, CryptoVec};
use std::sync::atomic::Ordering;
use tokio_util::sync::CancellationToken;

pub async fn deliver(
    handle: Handle,
    channel: ChannelId,
    framing: Framing,
    mut sub: Subscription,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => return,
            _ = sub.drop.cancelled() => {
                tracing::info!(?channel, "fault: dropping a subscribed session's connection");
                let _ = handle
                    .disconnect(
                        russh::Disconnect::ByApplication,
                        "subscription dropped".into(),
                        "en".into(),
                    )
                    .await;
                return;
            }
            doc = sub.rx.recv() => {
                let Some(doc) = doc else {
                    // The session ended and the hub forgot it.
                    return;
                };
                let framed = framing::encode(framing, &doc, MAX_CHUNK);
                if handle.data(channel, CryptoVec::from(framed)).await.is_err() {
                    return;
                }
                sub.sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

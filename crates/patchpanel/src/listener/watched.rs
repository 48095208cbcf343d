//! A socket that remembers when a byte last moved, so the connection's watchdog can close it once
//! nothing has moved for the idle timeout, whatever hyper is waiting for (a request head, a body,
//! the handler, or a client that never reads its answer), and knows whether a request is in flight
//! (on shutdown, only those get a grace period).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// What the watchdog of one connection needs to know: when a byte last moved (milliseconds after
/// the connection was opened) and whether a request is being handled.
#[derive(Debug, Clone)]
pub struct LastMove {
    opened: Instant,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    ms: AtomicU64,
    in_flight: AtomicU32,
}

/// A request being handled; dropping it ends it.
#[derive(Debug)]
pub struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LastMove {
    pub fn new() -> Self {
        LastMove {
            opened: Instant::now(),
            shared: Arc::new(Shared::default()),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.shared.ms.store(ms, Ordering::Relaxed);
    }

    /// The last time a byte moved (the opening when none has).
    pub fn at(&self) -> Instant {
        let ms = self.shared.ms.load(Ordering::Relaxed);
        self.opened
            .checked_add(Duration::from_millis(ms))
            .unwrap_or(self.opened)
    }

    /// Marks a request as being handled until the guard is dropped.
    pub fn begin(&self) -> InFlight {
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.shared.clone())
    }

    /// Whether a request is being handled now.
    pub fn busy(&self) -> bool {
        self.shared.in_flight.load(Ordering::Relaxed) > 0
    }
}

/// `io` with every successful read or write of at least one byte recorded in `last`.
#[derive(Debug)]
pub struct Watched<T> {
    io: T,
    last: LastMove,
}

impl<T> Watched<T> {
    pub fn new(io: T, last: LastMove) -> Self {
        Watched { io, last }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.last.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

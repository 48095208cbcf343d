//! The one hardened HTTP/1.1 listener behind every port the bot opens (the NetBox webhook now; the
//! Zammad webhook and a syslog receiver later). Whatever a peer does, the listener holds at most
//! `max_connections` sockets, a bounded read buffer per socket, and no other per-connection state:
//!
//! * over the cap, a new connection is accepted and closed at once (never queued);
//! * a connection must send a whole request head within `header_read` (hyper's timer, which also
//!   runs while a kept-alive connection waits for its next request), and is closed once no byte has
//!   moved for `idle` (a stalled body, a client that does not read its answer);
//! * requests beyond `per_second` (with `burst`) across all connections get 429 with `Retry-After`;
//! * every connection task is owned by the listener's `TaskTracker` and ends on shutdown.
//!
//! Each notable event is counted ([`Counts`]) and logged once per burst ([`Events`]), so a flood
//! cannot flood the log. Handlers bound their bodies with [`read_body`].

mod body;
mod burst;
pub mod edge;
mod events;
mod rate;
mod watched;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use body::{declared_too_large, read_body, BodyError};
pub use burst::{Burst, Report};
pub use events::{Counts, Event, Events};
pub use rate::{retry_after_seconds, RateLimiter};

use watched::{LastMove, Watched};

/// hyper refuses a read buffer smaller than this.
const MIN_BUFFER: usize = 8192;
/// How long the accept loop rests after `accept` failed (out of descriptors): no busy loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How often due burst summaries are written.
const TICK: Duration = Duration::from_secs(1);
/// Longest timeout honoured (a day): longer ones would only overflow deadline arithmetic.
const LONGEST: Duration = Duration::from_secs(86_400);

/// The limits of one listener. `Default` is what every listener of the bot uses unless it says
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// The whole request head (request line and headers) must arrive within this (at most a day,
    /// as are the other durations).
    pub header_read: Duration,
    /// A connection on which no byte moves for this long is closed.
    pub idle: Duration,
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Requests admitted per second on average, across all connections…
    pub per_second: u32,
    /// …and at once after a quiet spell.
    pub burst: u32,
    /// Largest request head, and the per-connection read buffer (at least 8 KiB).
    pub max_head_bytes: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_grace: Duration,
}

impl Default for ListenerConfig {
    /// Header read 5 s, idle 30 s, 128 connections, 20 requests/s (burst 40), 16 KiB heads with
    /// at most 64 fields, 5 s shutdown grace.
    fn default() -> Self {
        ListenerConfig {
            header_read: Duration::from_secs(5),
            idle: Duration::from_secs(30),
            max_connections: 128,
            per_second: 20,
            burst: 40,
            max_head_bytes: 16 * 1024,
            max_headers: 64,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The address is taken or not ours: choose another.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A listener while it runs. Dropping it stops it; [`Self::stopped`] waits until every connection
/// has ended.
pub struct RunningListener {
    /// Where it listens (the real port when bound to port 0).
    pub addr: SocketAddr,
    events: Events,
    stop: CancellationToken,
    tracker: TaskTracker,
}

impl std::fmt::Debug for RunningListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningListener")
            .field("name", &self.events.name())
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningListener {
    /// Every counter now.
    pub fn counts(&self) -> Counts {
        self.events.counts()
    }

    /// Resolves once the accept loop and every connection have ended (after shutdown or drop).
    pub async fn stopped(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Drop for RunningListener {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Binds `listen` and serves `router` under `config`'s limits until `shutdown` fires (or the
/// returned handle is dropped). `events` is the board the handler notes its own refusals on.
pub async fn serve(
    listen: SocketAddr,
    router: Router,
    config: ListenerConfig,
    events: Events,
    shutdown: CancellationToken,
) -> Result<RunningListener, ListenerError> {
    let bind_err = |source| ListenerError::Bind {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let stop = shutdown.child_token();
    let tracker = TaskTracker::new();
    let accept = Accept {
        listener,
        h1: http1_builder(&config),
        slots: Arc::new(Semaphore::new(config.max_connections.max(1))),
        limiter: Arc::new(Mutex::new(RateLimiter::new(
            config.per_second,
            config.burst,
        ))),
        router,
        config,
        events: events.clone(),
        stop: stop.clone(),
        tracker: tracker.clone(),
    };
    tracker.spawn(accept.run());
    Ok(RunningListener {
        addr,
        events,
        stop,
        tracker,
    })
}

fn http1_builder(config: &ListenerConfig) -> http1::Builder {
    let head = config.max_head_bytes.max(MIN_BUFFER);
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(config.header_read.min(LONGEST))
        .keep_alive(true)
        .max_buf_size(head)
        .max_header_size(head)
        .max_headers(config.max_headers.max(1));
    b
}

struct Accept {
    listener: TcpListener,
    h1: http1::Builder,
    slots: Arc<Semaphore>,
    limiter: Arc<Mutex<RateLimiter>>,
    router: Router,
    config: ListenerConfig,
    events: Events,
    stop: CancellationToken,
    tracker: TaskTracker,
}

impl Accept {
    async fn run(self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let accepted = tokio::select! {
                biased;
                _ = self.stop.cancelled() => break,
                _ = tick.tick() => {
                    self.events.tick();
                    continue;
                }
                a = self.listener.accept() => a,
            };
            match accepted {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) => {
                    self.events.note(Event::AcceptFailed, &e);
                    tokio::select! {
                        _ = self.stop.cancelled() => break,
                        _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            }
        }
        // Closing the socket now refuses newcomers while the connections wind down.
        drop(self.listener);
        self.events.tick();
    }

    fn admit(&self, stream: TcpStream, peer: SocketAddr) {
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            // Dropped here: closed at once, never queued.
            drop(stream);
            self.events.note(Event::OverCap, &peer);
            return;
        };
        self.events.connection_opened();
        let last = LastMove::new();
        let io = TokioIo::new(Watched::new(stream, last.clone()));
        // The router behind the rate limit: over it, 429 without reaching the handler.
        let inner = TowerToHyperService::new(self.router.clone());
        let limiter = self.limiter.clone();
        let events = self.events.clone();
        let pulse = last.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let admitted = limiter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .admit(Instant::now().into_std());
            let call =
                admitted.map(|()| (pulse.begin(), hyper::service::Service::call(&inner, req)));
            let events = events.clone();
            async move {
                match call {
                    Ok((_in_flight, call)) => call.await,
                    Err(wait) => {
                        events.note(Event::RateLimited, &peer);
                        Ok::<_, Infallible>(too_many_requests(wait))
                    }
                }
            }
        });
        let conn = self.h1.serve_connection(io, service);
        let watch = Watchdog {
            last,
            idle: self.config.idle,
            grace: self.config.shutdown_grace,
            events: self.events.clone(),
            peer,
            stop: self.stop.clone(),
            _permit: permit,
        };
        self.tracker.spawn(watch.drive(conn));
    }
}

fn too_many_requests(wait: Duration) -> Response {
    let seconds = retry_after_seconds(wait);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        Json(json!({ "error": format!("too many requests: retry after {seconds} s") })),
    )
        .into_response()
}

/// Owns one connection: its slot, its idle deadline and its part in shutdown.
struct Watchdog {
    last: LastMove,
    idle: Duration,
    grace: Duration,
    events: Events,
    peer: SocketAddr,
    stop: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

impl Watchdog {
    async fn drive<S>(self, conn: http1::Connection<TokioIo<Watched<TcpStream>>, S>)
    where
        S: hyper::service::HttpService<Incoming, ResBody = axum::body::Body>,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        tokio::pin!(conn);
        let idle = self.idle.min(LONGEST);
        let mut deadline_of_grace: Option<Instant> = None;
        loop {
            let idle_at = self.last.at() + idle;
            let wake_at = deadline_of_grace.map_or(idle_at, |g| g.min(idle_at));
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        if e.is_timeout() {
                            self.events.note(Event::HeaderTimeout, &self.peer);
                        } else {
                            tracing::debug!(listener = self.events.name(), peer = %self.peer, error = %e, "connection ended");
                        }
                    }
                    break;
                }
                _ = self.stop.cancelled(), if deadline_of_grace.is_none() => {
                    // A request in flight may finish within the grace; anything else (an idle
                    // keep-alive, a head still arriving) ends now.
                    if !self.last.busy() {
                        break;
                    }
                    conn.as_mut().graceful_shutdown();
                    deadline_of_grace = Some(Instant::now() + self.grace.min(LONGEST));
                }
                _ = tokio::time::sleep_until(wake_at) => {
                    if deadline_of_grace.is_some_and(|g| g <= Instant::now()) {
                        break;
                    }
                    if self.last.at() + idle <= Instant::now() {
                        self.events.note(Event::IdleTimeout, &self.peer);
                        break;
                    }
                }
            }
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.events.connection_closed();
    }
}

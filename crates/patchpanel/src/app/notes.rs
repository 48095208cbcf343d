//! Answers Webex would not take: when a reply still cannot be posted after the client's retries,
//! a short note goes to the same thread once Webex accepts posts again, so nobody waits for an
//! answer that was dropped. The notes wait in a bounded queue served by one owned task; whatever
//! cannot be delivered (queue full, note too old, shutdown) is logged as an error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn, Instrument};

use crate::backoff::Backoff;
use crate::inbound::Reply;
use crate::webex::{WebexError, WebexRest};

/// Notes waiting at once; more are logged and dropped (Webex has been refusing posts for long).
pub const NOTE_QUEUE: usize = 64;

/// How the note task retries; tests shorten it.
#[derive(Debug, Clone)]
pub struct NoteSettings {
    /// First wait after a note could not be posted either; doubles up to `retry_max`.
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// A note older than this is dropped (logged): the question is stale by then.
    pub max_age: Duration,
}

impl Default for NoteSettings {
    fn default() -> Self {
        NoteSettings {
            retry_initial: Duration::from_secs(5),
            retry_max: Duration::from_secs(5 * 60),
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// One answer that was not posted.
#[derive(Debug, Clone)]
pub struct Note {
    pub room_id: String,
    pub parent_id: Option<String>,
    /// When the person's message reached the bot.
    pub received: SystemTime,
    /// Why the answer was not posted, in the person's words (see [`why`]).
    pub why: String,
    queued: Instant,
}

impl Note {
    pub fn new(
        room_id: String,
        parent_id: Option<String>,
        received: SystemTime,
        why: String,
    ) -> Note {
        Note {
            room_id,
            parent_id,
            received,
            why,
            queued: Instant::now(),
        }
    }

    fn reply(&self) -> Reply {
        Reply {
            room_id: self.room_id.clone(),
            parent_id: self.parent_id.clone(),
            markdown: note_text(self.received, &self.why),
        }
    }
}

/// The note's markdown.
pub fn note_text(received: SystemTime, why: &str) -> String {
    format!(
        "⚠️ I could not post my answer to your message of {} UTC because {why}. Please ask again.",
        clock_utc(received)
    )
}

/// `HH:MM` of `t` in UTC (the bot does not know the person's time zone, so it says which it uses).
pub fn clock_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let of_day = secs % 86_400;
    format!("{:02}:{:02}", of_day / 3600, of_day % 3600 / 60)
}

/// Whether a note is worth queuing after the reply failed with `e`, and what it says. `None` when
/// a note would fail the same way (the room is gone, the token refused) or the answer may well
/// have arrived (an unreadable response to a post that Webex accepted).
pub fn why(e: &WebexError) -> Option<String> {
    match e {
        WebexError::RetryAfter { .. } => {
            Some("Webex refused it (429 rate limit) for longer than I keep trying".to_owned())
        }
        WebexError::Unavailable { .. } => {
            Some("Webex was unavailable for longer than I keep trying".to_owned())
        }
        WebexError::BadRequest { status, .. } => Some(format!("Webex refused it (HTTP {status})")),
        // The same message would be too large again.
        WebexError::TooLarge { .. } => None,
        WebexError::TokenRejected
        | WebexError::Replaced
        | WebexError::NotFound { .. }
        | WebexError::Forbidden { .. }
        | WebexError::InvalidResponse { .. }
        | WebexError::Config(_) => None,
    }
}

/// Errors after which Webex may accept the same post later.
fn transient(e: &WebexError) -> bool {
    matches!(
        e,
        WebexError::RetryAfter { .. } | WebexError::Unavailable { .. }
    )
}

/// The sending side of the note queue; cheap to clone.
#[derive(Debug, Clone)]
pub struct Notes {
    tx: mpsc::Sender<Note>,
}

impl Notes {
    /// Starts the note task on `tracker`; it stops on `shutdown` (logging the notes still waiting).
    pub fn start(
        rest: WebexRest,
        settings: NoteSettings,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Notes {
        let (tx, rx) = mpsc::channel(NOTE_QUEUE);
        tracker.spawn(run(rest, settings, rx, shutdown).instrument(tracing::info_span!("notes")));
        Notes { tx }
    }

    /// Queues `note`; never waits. A full or closed queue is logged: the person is not told.
    pub fn queue(&self, note: Note) {
        if let Err(e) = self.tx.try_send(note) {
            let (full, note) = match e {
                mpsc::error::TrySendError::Full(n) => (true, n),
                mpsc::error::TrySendError::Closed(n) => (false, n),
            };
            error!(
                room = %note.room_id,
                parent = note.parent_id.as_deref().unwrap_or(""),
                reason = if full { "the note queue is full" } else { "shutting down" },
                "an answer was not posted and its note is dropped"
            );
        }
    }
}

async fn run(
    rest: WebexRest,
    settings: NoteSettings,
    mut rx: mpsc::Receiver<Note>,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::new(settings.retry_initial, settings.retry_max);
    'notes: loop {
        let note = tokio::select! {
            _ = shutdown.cancelled() => break,
            n = rx.recv() => match n {
                Some(n) => n,
                None => break,
            },
        };
        loop {
            if note.queued.elapsed() > settings.max_age {
                lost(&note, "it waited longer than notes are kept");
                continue 'notes;
            }
            match rest.send_reply(&note.reply()).await {
                Ok(_) => {
                    info!(room = %note.room_id, "posted a note for an answer Webex refused");
                    backoff.reset();
                    continue 'notes;
                }
                Err(e) if transient(&e) && !shutdown.is_cancelled() => {
                    let d = backoff.next_delay(fastrand::f64());
                    warn!(error = %e, retry_in_ms = d.as_millis() as u64, "a note could not be posted yet");
                    tokio::select! {
                        _ = shutdown.cancelled() => {
                            lost(&note, "shutting down");
                            break 'notes;
                        }
                        _ = tokio::time::sleep(d) => {}
                    }
                }
                Err(e) => {
                    lost(&note, &e.to_string());
                    continue 'notes;
                }
            }
        }
    }
    rx.close();
    while let Ok(note) = rx.try_recv() {
        lost(&note, "shutting down");
    }
}

fn lost(note: &Note, reason: &str) {
    error!(
        room = %note.room_id,
        parent = note.parent_id.as_deref().unwrap_or(""),
        received = %clock_utc(note.received),
        reason,
        "an answer was not posted and the person could not be told"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_the_time_and_the_reason() {
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 14 * 3600 + 5 * 60 + 59);
        assert_eq!(clock_utc(t), "14:05");
        assert_eq!(clock_utc(UNIX_EPOCH), "00:00");
        let why = why(&WebexError::RetryAfter {
            after: Duration::from_secs(100_000),
        })
        .unwrap();
        let text = note_text(t, &why);
        assert!(text.contains("message of 14:05 UTC"), "{text}");
        assert!(text.contains("429 rate limit"), "{text}");
        assert!(text.contains("ask again"), "{text}");
    }

    #[test]
    fn no_note_when_it_would_fail_too_or_the_answer_may_have_arrived() {
        assert!(why(&WebexError::Unavailable { detail: "x".into() }).is_some());
        assert!(why(&WebexError::BadRequest {
            status: 400,
            message: "m".into(),
            tracking_id: "t".into()
        })
        .is_some_and(|w| w.contains("400")));
        for e in [
            WebexError::TokenRejected,
            WebexError::NotFound {
                what: "w".into(),
                tracking_id: "t".into(),
            },
            WebexError::Forbidden {
                message: "m".into(),
                tracking_id: "t".into(),
            },
            WebexError::InvalidResponse {
                what: "w".into(),
                detail: "d".into(),
            },
        ] {
            assert_eq!(why(&e), None, "{e:?}");
        }
    }
}

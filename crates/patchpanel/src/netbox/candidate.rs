//! What the NetBox poller hands to workflow W2, and what W2 answers: the seam between the source (the
//! change log, the sweep, the retries of parked candidates, the webhook's wake-up) and the handler,
//! free of NetBox JSON.

/// An interface that may carry work: its ticket number was set by someone other than the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub interface_id: u64,
    /// The ticket number seen in the change record or the sweep. The handler re-reads the live
    /// interface and acts on its current state, so this is for logs and de-duplication only.
    pub ticket: String,
    pub source: CandidateSource,
}

impl Candidate {
    /// Whether this is the candidate's last attempt: a handler that cannot finish it now must end
    /// its job (failed, reported) and answer [`Handled::Done`] instead of asking again.
    pub fn is_last_attempt(&self) -> bool {
        matches!(self.source, CandidateSource::Retry { last: true, .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// An object-change record (its id).
    ChangeLog { change_id: u64 },
    /// The periodic sweep of interfaces that still carry a ticket number.
    Sweep,
    /// A parked candidate offered again on its own backoff: `attempt` counts from 1 (the first
    /// offer), `last` when the retry budget ends with this attempt.
    Retry { attempt: u32, last: bool },
}

/// The handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Finished (whatever the outcome for the change: applied, invalid, failed and reported): the
    /// poller may move past it.
    Done,
    /// This candidate could not be finished now, but others may be: the poller parks it (persisted,
    /// with its attempts), moves past it, and offers it again on its own backoff until its retry
    /// budget is spent.
    RetryLater { reason: String },
    /// Something every candidate needs is down (NetBox unreachable, the store failing): the poller
    /// keeps its cursor before this candidate, backs off and offers it again; no budget is spent.
    Unavailable { reason: String },
}

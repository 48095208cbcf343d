//! What the NetBox poller hands to workflow W2, and what W2 answers: the seam between the source (the
//! change log, the sweep, the webhook's wake-up) and the handler, free of NetBox JSON.

/// An interface that may carry work: its ticket number was set by someone other than the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub interface_id: u64,
    /// The ticket number seen in the change record or the sweep. The handler re-reads the live
    /// interface and acts on its current state, so this is for logs and de-duplication only.
    pub ticket: String,
    pub source: CandidateSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSource {
    /// An object-change record (its id).
    ChangeLog { change_id: u64 },
    /// The periodic sweep of interfaces that still carry a ticket number.
    Sweep,
}

/// The handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Finished (whatever the outcome for the change): the poller may move past it.
    Done,
    /// Could not be handled now (NetBox or the store unavailable): the poller keeps its cursor
    /// before this candidate, backs off and offers it again.
    RetryLater { reason: String },
}

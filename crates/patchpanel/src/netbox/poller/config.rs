//! What the poller is told (`PollerConfig`) and what it reports (`PollerStats`).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// How often the change log is read when idle.
    pub interval: Duration,
    /// How often every interface carrying a ticket number is listed.
    pub sweep_interval: Duration,
    /// Records re-read below the cursor (late commits; docs/netbox.md §8 point 5).
    pub overlap: u64,
    /// Change records per request (at most 1000).
    pub page_limit: u32,
    /// Longest wait between attempts while NetBox fails.
    pub max_backoff: Duration,
    /// Attempts one candidate gets, the first included, before its job is ended as failed.
    pub retry_budget: u32,
    /// Wait before a parked candidate's first retry; doubles per failure up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
}

impl PollerConfig {
    /// `overlap` 50, `page_limit` 200, `max_backoff` 60 s; a
    /// retry budget of 8 attempts, 5 s doubling up to 5 min (about ten minutes in all).
    pub fn new(interval: Duration, sweep_interval: Duration) -> Self {
        PollerConfig {
            interval,
            sweep_interval,
            overlap: 50,
            page_limit: 200,
            max_backoff: Duration::from_secs(60),
            retry_budget: 8,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
        }
    }
}

/// What the poller has done so far (for health reports, benches and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollerStats {
    /// Change-log reads done (what they brought handled or deferred).
    pub polls: u64,
    /// Sweeps completed.
    pub sweeps: u64,
    /// Failed NetBox requests (each backoff step counts).
    pub failures: u64,
    /// The persisted cursor.
    pub cursor: u64,
    pub netbox_up: bool,
    /// Candidates parked now (waiting for their next attempt).
    pub parked: u64,
    /// Candidates whose retry budget was spent.
    pub given_up: u64,
}

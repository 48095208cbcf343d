//! A job's lifecycle state, and the one mapping between it and the text the store keeps.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// Where a job stands. Written before the effect it announces runs, so a restart resumes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Seen; nothing done yet.
    Received,
    /// Refused before any effect (the reason is the outcome); the ticket is still to clear.
    Invalid,
    /// Announced and being applied; a restart re-reads the device before doing anything.
    Applying,
    /// The device was changed and verified; the ticket is still to clear.
    Applied,
    /// The device was not changed (refused, rolled back, unreachable, …); the ticket is still to clear.
    NotApplied,
    /// Finished: the outcome recorded and the ticket cleared.
    Done,
    /// The bot stopped for good and said so; a person takes over.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 7] = [
        JobState::Received,
        JobState::Invalid,
        JobState::Applying,
        JobState::Applied,
        JobState::NotApplied,
        JobState::Done,
        JobState::Failed,
    ];

    /// The stored text (also what logs show).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Received => "received",
            JobState::Invalid => "invalid",
            JobState::Applying => "applying",
            JobState::Applied => "applied",
            JobState::NotApplied => "not-applied",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql for JobState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for JobState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        JobState::parse(text).ok_or_else(|| {
            FromSqlError::Other(
                format!("unknown job state {text:?} (a newer or damaged store?)").into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_text_and_texts_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
            assert!(seen.insert(s.as_str()), "{s} twice");
        }
        assert_eq!(JobState::parse("Done"), None);
        assert_eq!(JobState::parse(""), None);
    }
}

//! How often a stranger is told they may not use the bot: once per person per window, so that a
//! stranger (or a script posting as one) cannot make the bot answer every message. Pure: the caller
//! passes the clock; the table is bounded.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One refusal per person per this long.
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(10 * 60);
/// People remembered at once; the oldest is forgotten first (it then gets its next refusal early).
pub const REFUSAL_CAPACITY: usize = 10_000;

/// What to do with one more message from a stranger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Answer with the refusal. `suppressed` messages of this person went unanswered since their
    /// previous refusal (for the log).
    Answer { suppressed: u32 },
    /// Stay silent: this person was refused within the window.
    Suppress,
}

#[derive(Debug)]
struct Entry {
    refused_at: Instant,
    suppressed: u32,
}

#[derive(Debug)]
pub struct RefusalLimiter {
    window: Duration,
    capacity: usize,
    people: HashMap<String, Entry>,
    /// (person, refused_at) in refusal order, oldest first: expiry and eviction. A person refused
    /// again appears twice; only the pair matching the map's `refused_at` is live.
    order: VecDeque<(String, Instant)>,
}

impl Default for RefusalLimiter {
    fn default() -> Self {
        RefusalLimiter::new(REFUSAL_WINDOW, REFUSAL_CAPACITY)
    }
}

impl RefusalLimiter {
    pub fn new(window: Duration, capacity: usize) -> Self {
        RefusalLimiter {
            window,
            capacity: capacity.max(1),
            people: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Decides for a message of `person` (any stable key: the person id) arriving at `now`.
    pub fn check(&mut self, person: &str, now: Instant) -> Refusal {
        let window = self.window;
        let mut suppressed = 0;
        if let Some(e) = self.people.get_mut(person) {
            if now.saturating_duration_since(e.refused_at) < window {
                e.suppressed = e.suppressed.saturating_add(1);
                return Refusal::Suppress;
            }
            suppressed = e.suppressed;
            e.refused_at = now;
            e.suppressed = 0;
            self.order.push_back((person.to_owned(), now));
        } else {
            self.people.insert(
                person.to_owned(),
                Entry {
                    refused_at: now,
                    suppressed: 0,
                },
            );
            self.order.push_back((person.to_owned(), now));
        }
        self.forget(now);
        Refusal::Answer { suppressed }
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// Drops people whose window ended and, beyond the capacity, the longest-refused.
    fn forget(&mut self, now: Instant) {
        while let Some((person, at)) = self.order.front() {
            let live = self.people.get(person).map(|e| e.refused_at) == Some(*at);
            let expired = now.saturating_duration_since(*at) >= self.window;
            if live && !expired && self.people.len() <= self.capacity {
                break;
            }
            if let Some((person, at)) = self.order.pop_front() {
                if live && self.people.get(&person).map(|e| e.refused_at) == Some(at) {
                    self.people.remove(&person);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn five_messages_of_a_stranger_get_one_refusal() {
        let mut l = RefusalLimiter::default();
        let t = Instant::now();
        let verdicts: Vec<Refusal> = (0..5).map(|i| l.check("eve", t + i * MIN)).collect();
        assert_eq!(verdicts[0], Refusal::Answer { suppressed: 0 });
        assert!(verdicts[1..].iter().all(|v| *v == Refusal::Suppress));
        // Someone else is refused on their own account.
        assert_eq!(l.check("mallory", t), Refusal::Answer { suppressed: 0 });
    }

    #[test]
    fn after_the_window_the_next_refusal_counts_the_suppressed() {
        let mut l = RefusalLimiter::default();
        let t = Instant::now();
        assert_eq!(l.check("eve", t), Refusal::Answer { suppressed: 0 });
        assert_eq!(l.check("eve", t + 9 * MIN), Refusal::Suppress);
        assert_eq!(l.check("eve", t + 9 * MIN), Refusal::Suppress);
        assert_eq!(
            l.check("eve", t + 10 * MIN),
            Refusal::Answer { suppressed: 2 }
        );
        // The window restarts at that refusal.
        assert_eq!(l.check("eve", t + 19 * MIN), Refusal::Suppress);
        assert_eq!(
            l.check("eve", t + 20 * MIN),
            Refusal::Answer { suppressed: 1 }
        );
    }

    #[test]
    fn the_table_is_bounded_and_forgets_expired_people() {
        let mut l = RefusalLimiter::new(10 * MIN, 3);
        let t = Instant::now();
        for p in ["a", "b", "c", "d"] {
            assert_eq!(l.check(p, t), Refusal::Answer { suppressed: 0 });
        }
        assert_eq!(l.len(), 3);
        assert_eq!(
            l.check("a", t),
            Refusal::Answer { suppressed: 0 },
            "the oldest was forgotten"
        );
        assert_eq!(l.check("d", t), Refusal::Suppress);
        // Everyone's window ends: one newcomer later, the table holds only them.
        assert_eq!(
            l.check("z", t + 11 * MIN),
            Refusal::Answer { suppressed: 0 }
        );
        assert_eq!(l.len(), 1);
        let mut big = RefusalLimiter::default();
        for i in 0..25_000 {
            big.check(&i.to_string(), t);
        }
        assert_eq!(big.len(), REFUSAL_CAPACITY);
    }
}

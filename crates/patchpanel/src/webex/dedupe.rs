//! A bounded, time-limited set of activity ids already handled (re-deliveries after reconnects,
//! docs/webex.md §4 "Duplicates").

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct Dedupe {
    ttl: Duration,
    capacity: usize,
    seen: HashMap<String, Instant>,
    /// Insertion order, oldest first, for expiry and eviction.
    order: VecDeque<(String, Instant)>,
}

impl Default for Dedupe {
    fn default() -> Self {
        Dedupe::new(DEFAULT_TTL, DEFAULT_CAPACITY)
    }
}

impl Dedupe {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Dedupe {
            ttl,
            capacity: capacity.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `id`; true when it was not seen within the window (handle it), false for a duplicate.
    pub fn first_time(&mut self, id: &str, now: Instant) -> bool {
        self.expire(now);
        if self.seen.contains_key(id) {
            return false;
        }
        while self.order.len() >= self.capacity {
            if let Some((old, at)) = self.order.pop_front() {
                if self.seen.get(&old) == Some(&at) {
                    self.seen.remove(&old);
                }
            }
        }
        self.seen.insert(id.to_owned(), now);
        self.order.push_back((id.to_owned(), now));
        true
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.ttl {
                break;
            }
            if let Some((old, at)) = self.order.pop_front() {
                if self.seen.get(&old) == Some(&at) {
                    self.seen.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_delivery_is_a_duplicate() {
        let mut d = Dedupe::default();
        let t = Instant::now();
        assert!(d.first_time("a", t));
        assert!(!d.first_time("a", t + Duration::from_secs(60)));
        assert!(d.first_time("b", t));
    }

    #[test]
    fn entries_expire_after_the_window() {
        let mut d = Dedupe::new(Duration::from_secs(300), 100);
        let t = Instant::now();
        assert!(d.first_time("a", t));
        assert!(!d.first_time("a", t + Duration::from_secs(299)));
        assert!(d.first_time("a", t + Duration::from_secs(301)));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn capacity_is_bounded_and_evicts_the_oldest() {
        let mut d = Dedupe::new(Duration::from_secs(300), 3);
        let t = Instant::now();
        for id in ["a", "b", "c", "d"] {
            assert!(d.first_time(id, t));
        }
        assert_eq!(d.len(), 3);
        assert!(d.first_time("a", t), "oldest was evicted");
        assert!(!d.first_time("d", t));
        let mut big = Dedupe::default();
        for i in 0..25_000 {
            big.first_time(&i.to_string(), t);
        }
        assert_eq!(big.len(), DEFAULT_CAPACITY);
    }
}

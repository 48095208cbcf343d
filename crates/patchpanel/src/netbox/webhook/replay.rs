//! Replayed webhooks: a signed body already seen within `window` is acknowledged but wakes nothing.
//! NetBox puts a timestamp and a request id in every body, so the same bytes twice are a replay (or
//! NetBox retrying a delivery), never a new change. Bounded: at most `capacity` bodies are
//! remembered, the oldest forgotten first; forgetting one early only costs one more poll. Pure: the
//! caller passes the time.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

type BodyHash = [u8; 32];

#[derive(Debug, Clone)]
pub struct ReplayGuard {
    window: Duration,
    capacity: usize,
    order: VecDeque<(Instant, BodyHash)>,
    seen: HashSet<BodyHash>,
}

impl ReplayGuard {
    pub fn new(window: Duration, capacity: usize) -> Self {
        ReplayGuard {
            window,
            capacity: capacity.max(1),
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// `true` the first time `body` is seen within the window (it is remembered from now on);
    /// `false` for a replay. The window runs from the first sighting: replays do not extend it.
    pub fn first_time(&mut self, body: &[u8], now: Instant) -> bool {
        self.forget_older_than(now);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&Sha256::digest(body));
        if self.seen.contains(&hash) {
            return false;
        }
        while self.order.len() >= self.capacity {
            self.forget_oldest();
        }
        self.order.push_back((now, hash));
        self.seen.insert(hash);
        true
    }

    /// Bodies remembered now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn forget_older_than(&mut self, now: Instant) {
        while self
            .order
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= self.window)
        {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, hash)) = self.order.pop_front() {
            self.seen.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(300);

    #[test]
    fn the_same_body_is_new_once_per_window() {
        let t0 = Instant::now();
        let mut g = ReplayGuard::new(WINDOW, 16);
        assert!(g.first_time(b"{\"a\":1}", t0));
        for s in 0..299 {
            assert!(!g.first_time(b"{\"a\":1}", t0 + Duration::from_secs(s)));
        }
        assert!(g.first_time(b"{\"a\":2}", t0), "another body is new");
        assert!(
            g.first_time(b"{\"a\":1}", t0 + WINDOW),
            "after the window it wakes once more"
        );
        assert!(!g.first_time(b"{\"a\":1}", t0 + WINDOW));
    }

    #[test]
    fn memory_is_bounded_by_the_capacity() {
        let t0 = Instant::now();
        let mut g = ReplayGuard::new(WINDOW, 3);
        for i in 0..1_000u32 {
            assert!(g.first_time(&i.to_be_bytes(), t0));
            assert!(g.len() <= 3);
        }
        // The newest three are remembered; an older one was forgotten and counts as new.
        assert!(!g.first_time(&999u32.to_be_bytes(), t0));
        assert!(g.first_time(&0u32.to_be_bytes(), t0));
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn expired_bodies_are_dropped_as_time_passes() {
        let t0 = Instant::now();
        let mut g = ReplayGuard::new(WINDOW, 100);
        for i in 0..50u32 {
            g.first_time(&i.to_be_bytes(), t0);
        }
        assert_eq!(g.len(), 50);
        g.first_time(b"later", t0 + WINDOW);
        assert_eq!(g.len(), 1);
    }
}

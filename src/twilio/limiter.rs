//! The bound on requests in flight, shared by the whole audit and adaptive: Twilio's 429 halves it,
//! answers grow it back by about one per round of requests (AIMD, as TCP does), and a `Retry-After`
//! pauses every request, not only the one that got it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Hands out permits to send a request, at most `limit` at once, `1 <= limit <= max`.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    state: Mutex<State>,
    /// Signalled when a permit is returned or the limit grows.
    changed: Notify,
}

#[derive(Debug)]
struct State {
    /// The bound in effect; fractional so that it grows by 1/limit per answer.
    limit: f64,
    in_flight: usize,
    /// Counts the halvings, so that the 429s of requests sent before one do not halve it again.
    generation: u64,
    /// No request starts before this instant.
    paused_until: Option<Instant>,
}

impl State {
    fn allowed(&self) -> usize {
        self.limit as usize
    }
}

/// What a 429 did to the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// It lowered the bound to this many requests in flight.
    Lowered(usize),
    /// The bound was already one: the API refuses even one request at a time.
    AtFloor,
    /// The bound was lowered for an earlier 429 after this request was sent: nothing more to do.
    AlreadyLowered,
}

/// Leave to send one request; returning it (dropping) frees the place.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a Limiter,
    generation: u64,
}

impl Limiter {
    /// A limiter that starts at, and never exceeds, `max` requests in flight (at least one).
    pub fn new(max: usize) -> Limiter {
        let max = max.max(1);
        Limiter {
            max,
            state: Mutex::new(State {
                limit: max as f64,
                in_flight: 0,
                generation: 0,
                paused_until: None,
            }),
            changed: Notify::new(),
        }
    }

    /// Waits for a place under the bound, and for the end of any pause.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            let pause = {
                let mut state = self.lock();
                match state.paused_until.filter(|until| *until > Instant::now()) {
                    Some(until) => Some(until),
                    None if state.in_flight < state.allowed() => {
                        state.in_flight += 1;
                        return Permit {
                            limiter: self,
                            generation: state.generation,
                        };
                    }
                    None => None,
                }
            };
            match pause {
                Some(until) => tokio::time::sleep_until(until).await,
                None => changed.await,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent, so a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Permit<'_> {
    /// The request got an answer other than 429: the bound grows by 1/limit, so by about one per
    /// round of `limit` answers, up to the maximum. Returns the new bound when it grew by one.
    pub fn answered(&self) -> Option<usize> {
        let grown = {
            let mut state = self.limiter.lock();
            let before = state.allowed();
            state.limit = (state.limit + 1.0 / state.limit).min(self.limiter.max as f64);
            Some(state.allowed()).filter(|&now| now > before)
        };
        if grown.is_some() {
            self.limiter.changed.notify_waiters();
        }
        grown
    }

    /// Twilio answered 429. The bound is halved, once for all the requests sent under the same bound;
    /// with `pause` (its `Retry-After`), no request starts until it is over.
    pub fn throttled(&self, pause: Option<Duration>) -> Throttle {
        let mut state = self.limiter.lock();
        if let Some(pause) = pause {
            let until = Instant::now() + pause;
            state.paused_until = Some(state.paused_until.map_or(until, |now| now.max(until)));
        }
        if state.generation != self.generation {
            return Throttle::AlreadyLowered;
        }
        state.generation += 1;
        if state.allowed() == 1 {
            return Throttle::AtFloor;
        }
        state.limit = (state.limit / 2.0).max(1.0);
        Throttle::Lowered(state.allowed())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.lock().in_flight -= 1;
        self.limiter.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_most_the_limit_is_in_flight() {
        let limiter = Limiter::new(2);
        let first = limiter.acquire().await;
        let _second = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_err(), "a third request waits");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(500), limiter.acquire()).await;
        assert!(third.is_ok(), "a returned permit lets the next one go");
    }

    #[tokio::test]
    async fn a_429_halves_the_bound_once_and_answers_grow_it_back() {
        let limiter = Limiter::new(8);
        let permits: Vec<Permit<'_>> = acquire_all(&limiter, 8).await;
        assert_eq!(permits[0].throttled(None), Throttle::Lowered(4));
        assert_eq!(
            permits[1].throttled(None),
            Throttle::AlreadyLowered,
            "sent under the old bound: no second halving"
        );
        drop(permits);
        let permit = limiter.acquire().await;
        assert_eq!(permit.throttled(None), Throttle::Lowered(2));
        assert_eq!(permit.answered(), None, "2.5");
        assert_eq!(permit.answered(), None, "2.9");
        assert_eq!(
            permit.answered(),
            Some(3),
            "about one more place per round of answers"
        );
        let grown: Vec<usize> = (0..100).filter_map(|_| permit.answered()).collect();
        assert_eq!(grown, [4, 5, 6, 7, 8], "never above the maximum");
        drop(permit);
        let floor = Limiter::new(1);
        let permit = floor.acquire().await;
        assert_eq!(permit.throttled(None), Throttle::AtFloor, "never below one");
        drop(permit);
        let permit = floor.acquire().await;
        assert_eq!(permit.throttled(None), Throttle::AtFloor);
    }

    #[tokio::test]
    async fn retry_after_pauses_every_request() {
        let limiter = Limiter::new(4);
        let permit = limiter.acquire().await;
        let started = Instant::now();
        permit.throttled(Some(Duration::from_millis(200)));
        let _next = limiter.acquire().await;
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    async fn acquire_all(limiter: &Limiter, n: usize) -> Vec<Permit<'_>> {
        let mut permits = Vec::new();
        for _ in 0..n {
            permits.push(limiter.acquire().await);
        }
        permits
    }
}

//! When to try a request again and how long to wait first: which failures are transient, exponential
//! backoff with full jitter, `Retry-After`, and the retry budget shared by the whole audit.

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::hash::{BuildHasher, Hasher};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// The first retry waits up to this long; each later one up to twice as long as the one before.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// No single wait between retries is longer than this, whatever `Retry-After` asks.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// A retry costs this many tokens of the budget; every answer that needed no retry earns one back.
const TOKENS_PER_RETRY: u64 = 10;
/// The audit's retry budget, in retries, for each retry a single request may make.
const BUDGET_PER_REQUEST_RETRY: u32 = 10;

/// Statuses worth another try: too many requests, a request timeout, or a server error.
pub fn is_transient_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// Whether a request that got no complete answer is worth another try: it timed out, or the connection
/// was refused, reset or closed before the answer was complete. Name resolution and TLS failures are not:
/// they do not heal in seconds.
pub fn is_transient_network(error: &reqwest::Error) -> bool {
    if error.is_timeout() {
        return true;
    }
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::TimedOut
            )
        {
            return true;
        }
        if cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// How long `Retry-After` asks to wait, when the server sent one: in seconds or as an HTTP date (a date
/// already past is no wait). Capped at [`BACKOFF_CAP`], so a hostile value cannot stall the audit.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => BACKOFF_CAP,
        Err(_) => httpdate::parse_http_date(text)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(BACKOFF_CAP))
}

/// Exponential backoff with full jitter: a random wait between zero and `BACKOFF_BASE * 2^(attempt-1)`.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(attempt);
    let random = RandomState::new().build_hasher().finish();
    let millis = ceiling.as_millis() as u64;
    Duration::from_millis(random % (millis + 1))
}

fn backoff_ceiling(attempt: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP)
}

/// Retries left for the whole audit, so a failing API ends the audit in minutes rather than retrying every
/// request to its own limit. It holds `retries` retries at first; each retry spends one, and each request
/// answered at its first attempt earns a tenth of one back, up to the start: an API that fails now and then
/// never exhausts it, one that keeps failing soon does.
#[derive(Debug)]
pub struct RetryBudget {
    retries: u32,
    tokens: AtomicU64,
    spent: AtomicBool,
}

impl RetryBudget {
    /// A budget of `retries` retries.
    pub fn new(retries: u32) -> RetryBudget {
        RetryBudget {
            retries,
            tokens: AtomicU64::new(u64::from(retries) * TOKENS_PER_RETRY),
            spent: AtomicBool::new(false),
        }
    }

    /// The budget for an audit whose requests may each be retried `max_retries` times.
    pub fn for_max_retries(max_retries: u32) -> RetryBudget {
        RetryBudget::new(max_retries.saturating_mul(BUDGET_PER_REQUEST_RETRY))
    }

    /// The retries the budget started with.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Takes one retry from the budget; false when it is spent. Once it is, it stays spent: see
    /// [`RetryBudget::is_spent`].
    pub fn spend(&self) -> bool {
        let spent = self
            .tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |tokens| {
                tokens.checked_sub(TOKENS_PER_RETRY)
            })
            .is_err();
        if spent {
            self.spent.store(true, Ordering::SeqCst);
        }
        !spent
    }

    /// Whether a retry was ever refused: the API keeps failing, and the audit gives up rather than
    /// send every remaining request once more into the failure.
    pub fn is_spent(&self) -> bool {
        self.spent.load(Ordering::SeqCst)
    }

    /// Earns back a tenth of a retry, for a request answered at its first attempt.
    pub fn earn(&self) {
        let full = u64::from(self.retries) * TOKENS_PER_RETRY;
        // The closure never refuses, so the update cannot fail.
        let _ = self
            .tokens
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |tokens| {
                Some((tokens + 1).min(full))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_but_stays_capped() {
        for attempt in 1..40 {
            assert!(backoff(attempt) <= backoff_ceiling(attempt));
        }
        assert_eq!(backoff_ceiling(1), BACKOFF_BASE);
        assert_eq!(backoff_ceiling(3), BACKOFF_BASE * 4);
        assert_eq!(backoff_ceiling(40), BACKOFF_CAP);
    }

    #[test]
    fn transient_statuses() {
        for code in [429, 408, 500, 502, 503, 504] {
            assert!(
                is_transient_status(StatusCode::from_u16(code).expect("valid")),
                "{code}"
            );
        }
        for code in [200, 301, 307, 400, 401, 403, 404, 409] {
            assert!(
                !is_transient_status(StatusCode::from_u16(code).expect("valid")),
                "{code}"
            );
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date_and_capped() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(reqwest::header::RETRY_AFTER, "2".parse().expect("valid"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "86400".parse().expect("valid"),
        );
        assert_eq!(retry_after(&headers), Some(BACKOFF_CAP));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "18446744073709551616".parse().expect("valid"),
        );
        assert_eq!(retry_after(&headers), Some(BACKOFF_CAP), "past u64");
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("valid"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a date past");
        let in_an_hour = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            in_an_hour.parse().expect("valid"),
        );
        assert_eq!(retry_after(&headers), Some(BACKOFF_CAP));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(4));
        headers.insert(reqwest::header::RETRY_AFTER, soon.parse().expect("valid"));
        let wait = retry_after(&headers).expect("a date");
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(4),
            "{wait:?}"
        );
        for junk in ["soon", "-1", "1.5", "Wed, 99 Oct 2015 07:28:00 GMT"] {
            headers.insert(reqwest::header::RETRY_AFTER, junk.parse().expect("valid"));
            assert_eq!(retry_after(&headers), None, "{junk}");
        }
    }

    #[test]
    fn the_budget_is_spent_by_retries_and_slowly_earned_back() {
        let budget = RetryBudget::new(2);
        assert!(budget.spend());
        assert!(budget.spend());
        assert!(!budget.is_spent(), "not until a retry is refused");
        assert!(!budget.spend(), "two retries, then none");
        for _ in 0..9 {
            budget.earn();
        }
        assert!(!budget.spend(), "nine clean answers are not yet a retry");
        assert!(budget.is_spent(), "a refused retry is remembered");
        budget.earn();
        assert!(budget.spend(), "ten are");
        for _ in 0..1000 {
            budget.earn();
        }
        assert!(budget.spend() && budget.spend());
        assert!(!budget.spend(), "never more than the start");
        assert_eq!(RetryBudget::for_max_retries(5).retries(), 50);
        assert!(!RetryBudget::for_max_retries(0).spend());
    }
}

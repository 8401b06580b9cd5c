//! Fault injection: what a world's `faults:` section (or the binary's flags) asks the fake to do wrong —
//! latency, a concurrency cap answering 429, chosen error statuses, dropped connections, slow or broken
//! bodies, and paging links that lead away from the API or back to the same page.
//!
//! ```yaml
//! faults:
//!   latency_ms: 20              # every answer leaves 20 ms after its request arrived
//!   latency_jitter_ms: 10       # plus 0..=10 ms, drawn from `seed`
//!   max_in_flight: 100          # the 101st request at once gets 429 / 20429
//!   seed: 7
//!   inject:                     # for each request, the first whose `when` fires applies
//!     - when: {path: "/v1/Services/*/Builds/*", nth: 2, times: 3}
//!       then: {status: {code: 503, retry_after: 1}}
//!     - when: {rate: 0.1}
//!       then: reset             # or truncate, next_page_self, {stall: {ms: 5000}},
//!                               # {slow_body: {chunk_bytes: 16, delay_ms: 50}},
//!                               # {next_page_url: "http://elsewhere/v1/Services"}, {redirect: URL}
//! ```
//!
//! The binary takes the same settings as flags (`--latency-ms`, `--max-in-flight`, `--inject YAML`…).

mod connection;
mod layer;

pub(crate) use connection::{Connection, FaultyListener};
pub(crate) use layer::{FaultCounters, Injected, inject};

use std::time::Duration;

use serde::Deserialize;

/// The faults the fake injects. The default injects none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Fixed latency of every answer, in ms, counted from the request's arrival.
    pub latency_ms: u64,
    /// Extra random latency, uniform in 0..=latency_jitter_ms (seeded, deterministic).
    pub latency_jitter_ms: u64,
    /// Above this many requests in flight, answer 429 with Twilio's 20429 error body.
    pub max_in_flight: Option<usize>,
    /// Seed of the pseudo-random draws behind the jitter and `rate` triggers: same seed, same draws.
    pub seed: u64,
    /// Faults injected into chosen answers. For each request the first one whose trigger fires applies.
    pub inject: Vec<Injection>,
}

/// One injected fault: which requests it hits and what it does to them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    /// Which requests; by default every request.
    #[serde(default)]
    pub when: Trigger,
    /// What happens to them.
    pub then: Fault,
}

/// Which requests an [`Injection`] hits. Without `nth` or `rate`, every request whose path matches.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Trigger {
    /// Only requests whose path matches this pattern, where `*` stands for any run of characters
    /// (e.g. `/v1/Services/*/Builds/*`); by default every path.
    pub path: Option<String>,
    /// Only the Nth matching request (counting from 1), and the `times - 1` after it.
    pub nth: Option<u64>,
    /// With `nth`: how many matching requests in a row, from the Nth on (default 1).
    pub times: Option<u64>,
    /// Each matching request with this probability (0 to 1), from the seeded pseudo-random draws.
    pub rate: Option<f64>,
}

/// What an [`Injection`] does to a request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer this HTTP status with Twilio's error body, and `Retry-After: retry_after` (seconds) when given.
    Status {
        /// The HTTP status, such as 429 or 503.
        code: u16,
        /// The `Retry-After` header's value in seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Drop the TCP connection without answering.
    Reset,
    /// Wait this long, then answer normally (past the client's timeout, a timeout).
    Stall {
        /// How long to wait, in ms.
        ms: u64,
    },
    /// Send the real answer a few bytes at a time, pausing before each piece.
    SlowBody {
        /// Bytes per piece.
        chunk_bytes: usize,
        /// The pause before each piece, in ms.
        delay_ms: u64,
    },
    /// Send the first half of the real answer's body as if it were all of it: valid HTTP, broken JSON.
    Truncate,
    /// Set a list page's `meta.next_page_url` to this URL (such as one on another origin).
    NextPageUrl(String),
    /// Set a list page's `meta.next_page_url` to the URL of the request itself: a paging loop.
    NextPageSelf,
    /// Answer `307 Temporary Redirect` to this URL.
    Redirect(String),
}

impl Fault {
    /// A short name for the request log, such as `status` or `reset`.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Reset => "reset",
            Fault::Stall { .. } => "stall",
            Fault::SlowBody { .. } => "slow_body",
            Fault::Truncate => "truncate",
            Fault::NextPageUrl(_) => "next_page_url",
            Fault::NextPageSelf => "next_page_self",
            Fault::Redirect(_) => "redirect",
        }
    }
}

impl Faults {
    /// Every problem with these settings, one message each (empty when they are usable).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_in_flight == Some(0) {
            problems.push("faults.max_in_flight must be at least 1".to_owned());
        }
        for (position, injection) in self.inject.iter().enumerate() {
            let mut problem =
                |text: String| problems.push(format!("faults.inject[{position}]: {text}"));
            let when = &injection.when;
            if when.nth.is_some() && when.rate.is_some() {
                problem("give nth or rate, not both".to_owned());
            }
            if when.nth == Some(0) {
                problem("nth counts from 1".to_owned());
            }
            if when.times.is_some() && when.nth.is_none() {
                problem("times needs nth".to_owned());
            }
            if when.times == Some(0) {
                problem("times must be at least 1".to_owned());
            }
            if let Some(rate) = when.rate
                && !(0.0..=1.0).contains(&rate)
            {
                problem(format!("rate {rate} is not between 0 and 1"));
            }
            match &injection.then {
                Fault::Status { code, .. } if !(400..=599).contains(code) => {
                    problem(format!(
                        "status code {code} is not an error status (400-599)"
                    ));
                }
                Fault::SlowBody { chunk_bytes: 0, .. } => {
                    problem("slow_body.chunk_bytes must be at least 1".to_owned());
                }
                _ => {}
            }
        }
        problems
    }

    /// The latency before answering the request that arrived `number`th (from 0).
    pub fn latency(&self, number: u64) -> Duration {
        let jitter = match self.latency_jitter_ms {
            0 => 0,
            most => draw(self.seed, u64::MAX, number) % (most + 1),
        };
        Duration::from_millis(self.latency_ms.saturating_add(jitter))
    }
}

impl Trigger {
    /// Whether this trigger's path pattern matches `path`.
    pub fn matches(&self, path: &str) -> bool {
        self.path
            .as_deref()
            .is_none_or(|pattern| wildcard_match(pattern, path))
    }

    /// Whether the trigger fires on its `count`th matching request (from 1); `draw` is that request's
    /// pseudo-random number.
    pub fn fires(&self, count: u64, draw: u64) -> bool {
        match (self.nth, self.rate) {
            (Some(nth), _) => (nth..nth.saturating_add(self.times.unwrap_or(1))).contains(&count),
            (None, Some(rate)) => unit_interval(draw) < rate,
            (None, None) => true,
        }
    }
}

/// The `n`th pseudo-random number of `stream` under `seed` (SplitMix64 over the three): the same inputs
/// give the same number on every run and platform.
pub fn draw(seed: u64, stream: u64, n: u64) -> u64 {
    let mut x =
        seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03);
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A pseudo-random number mapped to [0, 1).
fn unit_interval(random: u64) -> f64 {
    (random >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (`/` included).
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle_and_last: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle_and_last.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_run_of_characters() {
        for (pattern, text, expected) in [
            ("/v1/Services", "/v1/Services", true),
            ("/v1/Services", "/v1/Services/ZS1", false),
            (
                "/v1/Services/*/Builds/*",
                "/v1/Services/ZS1/Builds/ZB1",
                true,
            ),
            (
                "/v1/Services/*/Builds/*",
                "/v1/Services/ZS1/Environments",
                false,
            ),
            ("*/Environments", "/v1/Services/ZS1/Environments", true),
            ("*", "", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "ab", false),
            ("a*a", "a", false),
        ] {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn nth_fires_on_a_window_and_rate_on_a_share() {
        let nth = Trigger {
            nth: Some(2),
            times: Some(3),
            ..Trigger::default()
        };
        let fired: Vec<u64> = (1..=6).filter(|&count| nth.fires(count, 0)).collect();
        assert_eq!(fired, [2, 3, 4]);
        let quarter = Trigger {
            rate: Some(0.25),
            ..Trigger::default()
        };
        let hits = (0..10_000)
            .filter(|&n| quarter.fires(n, draw(7, 0, n)))
            .count();
        assert!((2_300..2_700).contains(&hits), "{hits}");
        assert!(Trigger::default().fires(1, u64::MAX));
    }

    #[test]
    fn draws_and_latency_are_deterministic_and_bounded() {
        assert_eq!(draw(1, 2, 3), draw(1, 2, 3));
        assert_ne!(draw(1, 2, 3), draw(2, 2, 3));
        let faults = Faults {
            latency_ms: 10,
            latency_jitter_ms: 5,
            seed: 42,
            ..Faults::default()
        };
        let latencies: Vec<Duration> = (0..200).map(|n| faults.latency(n)).collect();
        assert!(latencies.iter().all(|l| (10..=15).contains(&l.as_millis())));
        assert!(latencies.iter().any(|l| l.as_millis() == 10));
        assert!(latencies.iter().any(|l| l.as_millis() == 15));
        assert_eq!(
            latencies,
            (0..200).map(|n| faults.latency(n)).collect::<Vec<_>>()
        );
        assert_eq!(Faults::default().latency(9), Duration::ZERO);
    }

    #[test]
    fn bad_settings_are_all_reported() {
        let faults = Faults {
            max_in_flight: Some(0),
            inject: vec![
                Injection {
                    when: Trigger {
                        nth: Some(0),
                        rate: Some(1.5),
                        times: Some(0),
                        ..Trigger::default()
                    },
                    then: Fault::Status {
                        code: 200,
                        retry_after: None,
                    },
                },
                Injection {
                    when: Trigger {
                        times: Some(2),
                        ..Trigger::default()
                    },
                    then: Fault::SlowBody {
                        chunk_bytes: 0,
                        delay_ms: 1,
                    },
                },
            ],
            ..Faults::default()
        };
        let problems = faults.problems();
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(problems[1].starts_with("faults.inject[0]: give nth or rate"));
        assert!(problems[7].starts_with("faults.inject[1]: slow_body"));
    }
}

//! Why a PR comment could not be kept current: each message says what happened and how to fix it, and
//! none ever contains the token, even when GitHub (or a proxy) echoes it back.

use std::time::{SystemTime, UNIX_EPOCH};

use super::context::PullRequest;
use crate::twilio::client::{error_chain, retried};

/// A failure to read the pull request's context or to keep its comment current.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// A variable GitHub Actions sets is missing.
    #[error("{variable} is not set: {fix}")]
    MissingVariable {
        /// The variable's name.
        variable: &'static str,
        /// How to set it.
        fix: &'static str,
    },
    /// A variable holds something that cannot be right.
    #[error("{variable} {problem}")]
    InvalidVariable {
        /// The variable's name.
        variable: &'static str,
        /// What is wrong with it and what it should be.
        problem: String,
    },
    /// The event file cannot be read or is not a pull request event's payload.
    #[error(
        "cannot use the GitHub event file {path} (GITHUB_EVENT_PATH): {problem}; it should be the JSON payload \
         of a pull_request or pull_request_target event, as GitHub Actions writes it"
    )]
    EventFile {
        /// The file's path.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The workflow runs on an event without a pull request: there is nothing to comment on.
    #[error(
        "no pull request to comment on: the workflow runs on {event}, not on pull_request or pull_request_target; \
         run the comment step only for pull requests (`if: github.event_name == 'pull_request'`)",
        event = event_name(.event.as_deref())
    )]
    NotPullRequest {
        /// `GITHUB_EVENT_NAME`, when set.
        event: Option<String>,
    },
    /// 401: the token is wrong or expired.
    #[error(
        "GitHub rejected the token (HTTP 401: {message}) when asked to {action}: GITHUB_TOKEN is wrong or \
         expired; pass the job's token (`GITHUB_TOKEN: ${{{{ github.token }}}}`) or a valid token"
    )]
    Unauthorized {
        /// What twgate asked GitHub to do.
        action: String,
        /// GitHub's message.
        message: String,
    },
    /// 403: the token may not comment here.
    #[error("GitHub refused to {action} (HTTP 403: {message}): {fix}", fix = forbidden_fix(*.from_fork))]
    Forbidden {
        /// What twgate asked GitHub to do.
        action: String,
        /// GitHub's message.
        message: String,
        /// Whether the pull request comes from a fork.
        from_fork: bool,
    },
    /// 404: the repository or pull request is unknown, or hidden from the token.
    #[error(
        "GitHub answered 404 Not Found when asked to {action}: check GITHUB_REPOSITORY, the event's pull \
         request number and GITHUB_API_URL ({api_url}; on GitHub Enterprise Server it is https://HOST/api/v3); \
         GitHub also answers 404 when the token may not see a private repository"
    )]
    NotFound {
        /// What twgate asked GitHub to do.
        action: String,
        /// The API base in use.
        api_url: String,
    },
    /// 422: GitHub refused the comment's content.
    #[error(
        "GitHub refused the comment (HTTP 422: {message}) when asked to {action}: its body broke one of \
         GitHub's rules for comments; the report is still in the job log and summary; please report this \
         message as a twgate bug"
    )]
    Validation {
        /// What twgate asked GitHub to do.
        action: String,
        /// GitHub's message and the rule that was broken.
        message: String,
    },
    /// A primary or secondary rate limit.
    #[error(
        "GitHub's rate limit stopped twgate when asked to {action} (HTTP {status}: {message}){wait}: every job \
         using this token shares its limit; re-run the job later, or run fewer jobs that call GitHub at once",
        wait = rate_limit_wait(*.retry_after, *.resets_in)
    )]
    RateLimited {
        /// What twgate asked GitHub to do.
        action: String,
        /// 403 or 429.
        status: u16,
        /// GitHub's message.
        message: String,
        /// Seconds GitHub asked to wait (`retry-after`).
        retry_after: Option<u64>,
        /// Seconds until the limit resets (from `x-ratelimit-reset`).
        resets_in: Option<u64>,
    },
    /// Any other HTTP status, after retries where they apply.
    #[error(
        "GitHub answered HTTP {status} ({message}) when asked to {action}{tries}: {fix}",
        tries = retried(*.attempts),
        fix = status_fix(*.status)
    )]
    Status {
        /// What twgate asked GitHub to do.
        action: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's message.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// No answer: connection refused, reset, TLS failure or time limit.
    #[error(
        "could not reach GitHub at {api_url} to {action}{tries}: {detail}: check GITHUB_API_URL and the \
         runner's network and proxy settings (HTTPS_PROXY)",
        tries = retried(*.attempts)
    )]
    Network {
        /// What twgate asked GitHub to do.
        action: String,
        /// The API base in use.
        api_url: String,
        /// What went wrong.
        detail: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// An answer that is not what GitHub's API documents.
    #[error(
        "GitHub's answer when asked to {action} is not what its REST API documents ({detail}): check that \
         GITHUB_API_URL ({api_url}) points at GitHub's REST API"
    )]
    Malformed {
        /// What twgate asked GitHub to do.
        action: String,
        /// The API base in use.
        api_url: String,
        /// What was wrong.
        detail: String,
    },
    /// A `Link: rel="next"` URL outside the API, which twgate will not send the token to.
    #[error("refusing to follow the comment list's next page {url}: {why}")]
    UnsafePage {
        /// The URL GitHub gave.
        url: String,
        /// Why it is refused.
        why: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client for GitHub: {0}")]
    Setup(String),
}

fn event_name(event: Option<&str>) -> String {
    match event {
        Some(event) => format!("a `{event}` event"),
        None => "an event without a pull request".to_owned(),
    }
}

fn forbidden_fix(from_fork: bool) -> &'static str {
    if from_fork {
        "this pull request comes from a fork, and GitHub gives such runs a read-only token: post the comment \
         from a `pull_request_target` workflow that checks out only the base branch (twgate needs none of the \
         pull request's code)"
    } else {
        "the token lacks `permissions: pull-requests: write`: add it to the job's `permissions:`, or use a \
         token that may comment on this repository"
    }
}

fn rate_limit_wait(retry_after: Option<u64>, resets_in: Option<u64>) -> String {
    match (retry_after, resets_in) {
        (Some(seconds), _) => format!("; GitHub asks to wait {seconds} s"),
        (None, Some(seconds)) => format!("; the limit resets in {} min", seconds.div_ceil(60)),
        (None, None) => String::new(),
    }
}

fn status_fix(status: u16) -> &'static str {
    if status >= 500 {
        "GitHub (or the Enterprise server) is having trouble; re-run the job later"
    } else {
        "twgate does not expect this answer; please report it with this message"
    }
}

/// A failed request: the error to report, and whether trying again may help.
#[derive(Debug)]
pub(super) struct Failure {
    pub error: CommentError,
    pub transient: bool,
}

impl Failure {
    /// No answer came in time.
    pub fn timed_out(pr: &PullRequest, action: &str, attempts: u32, seconds: f64) -> Failure {
        Failure {
            error: CommentError::Network {
                action: action.to_owned(),
                api_url: pr.api_url.to_string(),
                detail: format!("no answer within {seconds} s"),
                attempts,
            },
            transient: true,
        }
    }

    /// What an octocrab error means for this request; every text from the server is redacted.
    pub fn from_octocrab(
        error: octocrab::Error,
        pr: &PullRequest,
        action: &str,
        attempts: u32,
    ) -> Failure {
        // octocrab's service stack wraps the transport's errors once more.
        let error = match error {
            octocrab::Error::Service { source, .. } => match source.downcast::<octocrab::Error>() {
                Ok(inner) => *inner,
                Err(other) => {
                    return Failure {
                        error: CommentError::Network {
                            action: action.to_owned(),
                            api_url: pr.api_url.to_string(),
                            detail: redact(pr, error_chain(&*other)),
                            attempts,
                        },
                        transient: true,
                    };
                }
            },
            error => error,
        };
        let redact = |text: String| redact(pr, text);
        let action = action.to_owned();
        let api_url = pr.api_url.to_string();
        let (error, transient) = match error {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code.as_u16();
                let message = redact(github_message(&source));
                let (retry_after, reset) = rate_limit_headers(&source);
                let rate_limited = matches!(status, 403 | 429)
                    && (retry_after.is_some()
                        || reset.is_some()
                        || message.to_ascii_lowercase().contains("rate limit"));
                let error = match status {
                    _ if rate_limited => CommentError::RateLimited {
                        action,
                        status,
                        message,
                        retry_after,
                        resets_in: reset.map(seconds_until),
                    },
                    401 => CommentError::Unauthorized { action, message },
                    403 => CommentError::Forbidden {
                        action,
                        message,
                        from_fork: pr.from_fork,
                    },
                    404 => CommentError::NotFound { action, api_url },
                    422 => CommentError::Validation { action, message },
                    _ => CommentError::Status {
                        action,
                        status,
                        message,
                        attempts,
                    },
                };
                (error, status >= 500 || status == 408)
            }
            octocrab::Error::Reqwest { source, .. } => {
                let detail = redact(error_chain(&source.without_url()));
                let error = CommentError::Network {
                    action,
                    api_url,
                    detail,
                    attempts,
                };
                (error, true)
            }
            octocrab::Error::Serde { source, .. } => {
                let detail = redact(source.to_string());
                (
                    CommentError::Malformed {
                        action,
                        api_url,
                        detail,
                    },
                    false,
                )
            }
            other => (CommentError::Setup(redact(other.to_string())), false),
        };
        Failure { error, transient }
    }
}

/// GitHub's message with the details of its `errors` list, such as "Validation Failed: body is too long".
fn github_message(error: &octocrab::GitHubError) -> String {
    let details: Vec<String> = error
        .errors
        .iter()
        .flatten()
        .map(
            |detail| match detail.get("message").and_then(|m| m.as_str()) {
                Some(message) => message.to_owned(),
                None => detail.to_string(),
            },
        )
        .collect();
    if details.is_empty() {
        error.message.clone()
    } else {
        format!("{}: {}", error.message, details.join("; "))
    }
}

/// `retry-after` (seconds) and, when the limit is spent, `x-ratelimit-reset` (a Unix time).
fn rate_limit_headers(error: &octocrab::GitHubError) -> (Option<u64>, Option<u64>) {
    let Some(headers) = &error.headers else {
        return (None, None);
    };
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let spent = number("x-ratelimit-remaining") == Some(0);
    (
        number("retry-after"),
        number("x-ratelimit-reset").filter(|_| spent),
    )
}

fn seconds_until(unix_time: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    unix_time.saturating_sub(now)
}

/// `text` with the token replaced by `***`.
pub(super) fn redact(pr: &PullRequest, text: String) -> String {
    let token = pr.token.expose();
    if token.is_empty() {
        text
    } else {
        text.replace(token, "***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(from_fork: bool) -> CommentError {
        CommentError::Forbidden {
            action: "create a comment on acme/site#7".to_owned(),
            message: "Resource not accessible by integration".to_owned(),
            from_fork,
        }
    }

    #[test]
    fn a_403_names_the_permission_or_the_fork_pattern() {
        assert_eq!(
            forbidden(false).to_string(),
            "GitHub refused to create a comment on acme/site#7 (HTTP 403: Resource not accessible by integration): \
             the token lacks `permissions: pull-requests: write`: add it to the job's `permissions:`, or use a \
             token that may comment on this repository"
        );
        let fork = forbidden(true).to_string();
        assert!(
            fork.contains("fork") && fork.contains("`pull_request_target`"),
            "{fork}"
        );
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let limited = |retry_after, resets_in| {
            CommentError::RateLimited {
                action: "list the comments of a/b#1".to_owned(),
                status: 403,
                message: "API rate limit exceeded".to_owned(),
                retry_after,
                resets_in,
            }
            .to_string()
        };
        assert!(limited(Some(60), Some(900)).contains("; GitHub asks to wait 60 s:"));
        assert!(limited(None, Some(61)).contains("; the limit resets in 2 min:"));
        assert!(limited(None, None).contains("(HTTP 403: API rate limit exceeded): every job"));
    }

    #[test]
    fn the_workflow_expression_in_the_401_fix_is_printed_literally() {
        let error = CommentError::Unauthorized {
            action: "list the comments of a/b#1".to_owned(),
            message: "Bad credentials".to_owned(),
        };
        assert!(
            error
                .to_string()
                .contains("(`GITHUB_TOKEN: ${{ github.token }}`)"),
            "{error}"
        );
    }

    #[test]
    fn server_errors_and_surprises_get_different_advice() {
        let status = |status| CommentError::Status {
            action: "update comment 1".to_owned(),
            status,
            message: "Server Error".to_owned(),
            attempts: 3,
        };
        assert_eq!(
            status(502).to_string(),
            "GitHub answered HTTP 502 (Server Error) when asked to update comment 1 (after 3 attempts): GitHub \
             (or the Enterprise server) is having trouble; re-run the job later"
        );
        assert!(status(409).to_string().contains("please report it"));
    }
}

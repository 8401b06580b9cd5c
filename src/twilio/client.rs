//! The HTTP client for Twilio's API: Basic auth, an adaptive bound on requests in flight shared by the
//! whole audit, retries of transient failures within a total budget, and paging that only ever follows
//! URLs on the configured API origin.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tracing::{debug, info};

use super::config::{Credentials, Redactor};
use super::limiter::{Limiter, Throttle};
use super::models::{ErrorBody, Page, parse_page, quoted};
use super::retry::{RetryBudget, backoff, is_transient_network, is_transient_status, retry_after};
use crate::text::{clean, counted};

/// Pages twgate follows in one list before deciding the API is looping.
const MAX_PAGES: usize = 10_000;
/// Items asked for per page: Twilio's maximum, so big accounts need few requests.
const PAGE_SIZE: u32 = 1000;
/// The largest answer twgate reads; a page of 1000 items is about 1 MiB.
const MAX_BODY_BYTES: usize = 64 << 20;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The API's base URL, such as `https://serverless.twilio.com`.
    pub base_url: Url,
    /// Who to authenticate as.
    pub credentials: Credentials,
    /// Requests in flight at once, across the whole audit (fewer for a while after a 429).
    pub concurrency: usize,
    /// Time limit of one request, from sending to the end of the body.
    pub timeout: Duration,
    /// Retries of one request after a 429, 5xx, 408, a dropped or refused connection, or a timeout; a 429
    /// to a request sent before an earlier 429 lowered the bound is not counted (up to as many times as
    /// the bound can halve). Retries after failures other than 429, and after a 429 that took the bound
    /// to one or came at one, also draw on a budget for the whole audit: ten times this many, refilled by
    /// a tenth of a retry for each request answered at its first attempt.
    pub max_retries: u32,
}

/// Why a request to Twilio failed. None of these messages ever contains a credential.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Twilio rejected the credentials.
    #[error(
        "Twilio rejected the credentials (HTTP 401{code}) for GET {url}: check {variables}",
        code = twilio_code(*.code, .message)
    )]
    Unauthorized {
        /// The request URL.
        url: String,
        /// Twilio's error code.
        code: Option<u64>,
        /// Twilio's error message.
        message: Option<String>,
        /// The variables that hold the credentials in use.
        variables: &'static str,
    },
    /// The credentials are valid but may not read this.
    #[error(
        "permission denied (HTTP 403{code}) for GET {url}: the account may be suspended or closed, or the API key \
         may not read Serverless resources; use the auth token or a key with that permission",
        code = twilio_code(*.code, .message)
    )]
    Forbidden {
        /// The request URL.
        url: String,
        /// Twilio's error code.
        code: Option<u64>,
        /// Twilio's error message.
        message: Option<String>,
    },
    /// Any other unexpected HTTP status, after retries where they apply.
    #[error("Twilio answered HTTP {status}{code} for GET {url}{retried}",
        code = twilio_code(*.code, .message),
        retried = retried(*.attempts))]
    Status {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Twilio's error code.
        code: Option<u64>,
        /// Twilio's error message.
        message: Option<String>,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// A redirect, which is never followed, so that credentials go to the configured API origin only.
    #[error(
        "Twilio answered HTTP {status} for GET {url}{target}: twgate never follows redirects, so that \
         credentials go to the configured API origin only; check --api-url, TWILIO_REGION and TWILIO_EDGE",
        target = redirect_target(.location)
    )]
    Redirected {
        /// The request URL.
        url: String,
        /// The HTTP status (3xx).
        status: u16,
        /// Where the answer pointed, if it said.
        location: Option<String>,
    },
    /// The request could not be sent or its answer not received.
    #[error("could not reach Twilio at GET {url}: {detail}{retried}", retried = retried(*.attempts))]
    Network {
        /// The request URL.
        url: String,
        /// What went wrong.
        detail: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// The answer was not what the API documents.
    #[error("unexpected answer from GET {url}: {detail}")]
    Malformed {
        /// The request URL.
        url: String,
        /// What was wrong with it.
        detail: String,
    },
    /// A `next_page_url` that twgate will not follow.
    #[error("refusing to follow next_page_url {url}: {why}")]
    UnsafePage {
        /// The URL Twilio gave.
        url: String,
        /// Why it is refused.
        why: String,
    },
    /// Requests kept failing until the audit's retry budget was spent.
    #[error("{last}; giving up: the audit's budget of {budget} retries is spent")]
    RetryBudgetSpent {
        /// The failure that would have been retried next.
        last: Box<ApiError>,
        /// The budget the audit started with, in retries.
        budget: u32,
    },
    /// A request not sent because the audit had given up: its retry budget was spent.
    #[error("GET {url} was not sent: the audit gave up when its retry budget was spent")]
    NotSent {
        /// The request URL.
        url: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

fn twilio_code(code: Option<u64>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(", Twilio error {code}: {message}"),
        (Some(code), None) => format!(", Twilio error {code}"),
        (None, Some(message)) => format!(": {message}"),
        (None, None) => String::new(),
    }
}

/// The error for an answer to `url` that is not what the API documents: `detail` says what is wrong, and
/// an answer that is not JSON at all (a proxy's HTML page, say) is named as such with its start.
fn malformed(url: &Url, body: &[u8], detail: String) -> ApiError {
    let text = String::from_utf8_lossy(body);
    let start = text.trim_start();
    let is_json = || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
    let detail = if start.starts_with(['{', '[']) || is_json() {
        detail
    } else if start.is_empty() {
        "the answer is empty, not JSON".to_string()
    } else if start.starts_with('\u{feff}') {
        "the answer starts with a byte-order mark (U+FEFF), which JSON does not allow".to_string()
    } else {
        format!("the answer is not JSON: it starts with {}", quoted(start))
    };
    ApiError::Malformed {
        url: url.to_string(),
        detail,
    }
}

/// ", a redirect to LOCATION" when the answer named one, else nothing.
fn redirect_target(location: &Option<String>) -> String {
    location
        .as_ref()
        .map(|target| format!(", a redirect to {target}"))
        .unwrap_or_default()
}

/// " (after N attempts)" when a request was sent more than once, else nothing.
pub(crate) fn retried(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// A client for one account's API; shared by every task of an audit.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    options: ClientOptions,
    limiter: Limiter,
    budget: RetryBudget,
    redactor: Redactor,
    /// How often the bound can halve from `--concurrency` to one: a request's 429s sent before the bound
    /// was lowered are not counted against its retries, up to this many.
    halvings: u32,
    requests: AtomicU64,
    retries: AtomicU64,
}

/// What became of one attempt.
enum Attempt {
    Done(Vec<u8>),
    Retry {
        error: ApiError,
        wait: Option<Duration>,
        charge: Charge,
    },
    Fail(ApiError),
}

/// What a retry counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charge {
    /// Nothing: a 429 to a request sent before the bound on requests in flight was lowered for an
    /// earlier 429, an overload already being answered (at most as often per request as the bound
    /// can halve; past that, as `Request`).
    Nothing,
    /// The request's own retries only: a 429 that lowered the bound to two or more, which is how the
    /// bound finds the API's limit, not a sign that the API is failing.
    Request,
    /// The request's retries and the audit's budget: every other transient failure, and a 429 that
    /// lowered the bound to one request or came when it was one already.
    RequestAndBudget,
}

impl Client {
    /// Builds a client. Redirects are never followed, so credentials cannot be sent elsewhere.
    pub fn new(options: ClientOptions) -> Result<Client, ApiError> {
        // Several clients in one process share one provider; a second install is refused, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .timeout(options.timeout)
            .user_agent(concat!("twgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::Setup(error_chain(&error)))?;
        Ok(Client {
            http,
            limiter: Limiter::new(options.concurrency),
            budget: RetryBudget::for_max_retries(options.max_retries),
            redactor: options.credentials.redactor(),
            halvings: options.concurrency.max(1).ilog2() + 1,
            options,
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// The URL of the first page of a list, or of a resource: `path` under the base URL, such as
    /// `/v1/Services`. Lists ask for Twilio's largest page size.
    pub fn url(&self, path: &str, list: bool) -> Url {
        let mut url = self.options.base_url.clone();
        let joined = format!("{}{path}", url.path().trim_end_matches('/'));
        url.set_path(&joined);
        if list {
            url.query_pairs_mut()
                .append_pair("PageSize", &PAGE_SIZE.to_string());
        }
        url
    }

    /// What replaces echoes of the credentials by `***`, for everything read from the API.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Requests whose answer the audit used: one per page or resource read, retries not counted.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests sent again after a transient failure.
    pub fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Fetches and parses one JSON resource.
    pub async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<T, ApiError> {
        let body = self
            .fetch(url)
            .await
            .map_err(|error| self.redacted(error))?;
        serde_json::from_slice(&body)
            .map_err(|error| self.redacted(malformed(url, &body, error.to_string())))
    }

    /// Reads every page of the list at `first`, calling `each_page` with each page's items as they arrive.
    pub async fn for_each_page<T: DeserializeOwned>(
        &self,
        first: Url,
        key: &str,
        each_page: impl FnMut(Vec<T>),
    ) -> Result<(), ApiError> {
        self.read_pages(first, key, each_page)
            .await
            .map_err(|error| self.redacted(error))
    }

    async fn read_pages<T: DeserializeOwned>(
        &self,
        first: Url,
        key: &str,
        mut each_page: impl FnMut(Vec<T>),
    ) -> Result<(), ApiError> {
        let mut seen = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            if !seen.insert(url.to_string()) {
                return Err(ApiError::UnsafePage {
                    url: url.to_string(),
                    why: "that page was already read: the list loops".to_string(),
                });
            }
            if seen.len() > MAX_PAGES {
                return Err(ApiError::UnsafePage {
                    url: url.to_string(),
                    why: format!("more than {MAX_PAGES} pages in one list"),
                });
            }
            let body = self.fetch(&url).await?;
            let page: Page<T> =
                parse_page(&body, key).map_err(|detail| malformed(&url, &body, detail))?;
            debug!(
                "{}: {} {key}{}",
                self.redactor.text(url.as_str()),
                page.items.len(),
                if page.next_page_url.is_some() {
                    ", and a next page"
                } else {
                    ""
                }
            );
            each_page(page.items);
            next = page
                .next_page_url
                .map(|text| self.check_next_page(&text))
                .transpose()?;
        }
        Ok(())
    }

    /// Reads every page of the list at `first`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        first: Url,
        key: &str,
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        self.for_each_page(first, key, |items| all.extend(items))
            .await?;
        Ok(all)
    }

    /// `error` as twgate may print it: every text in it [`Client::shown`].
    fn redacted(&self, error: ApiError) -> ApiError {
        let clean = |text: String| self.shown(&text);
        let clean_option = |text: Option<String>| text.map(clean);
        match error {
            ApiError::Unauthorized {
                url,
                code,
                message,
                variables,
            } => ApiError::Unauthorized {
                url: clean(url),
                code,
                message: clean_option(message),
                variables,
            },
            ApiError::Forbidden { url, code, message } => ApiError::Forbidden {
                url: clean(url),
                code,
                message: clean_option(message),
            },
            ApiError::Status {
                url,
                status,
                code,
                message,
                attempts,
            } => ApiError::Status {
                url: clean(url),
                status,
                code,
                message: clean_option(message),
                attempts,
            },
            ApiError::Redirected {
                url,
                status,
                location,
            } => ApiError::Redirected {
                url: clean(url),
                status,
                location: clean_option(location),
            },
            ApiError::Network {
                url,
                detail,
                attempts,
            } => ApiError::Network {
                url: clean(url),
                detail: clean(detail),
                attempts,
            },
            ApiError::Malformed { url, detail } => ApiError::Malformed {
                url: clean(url),
                detail: clean(detail),
            },
            ApiError::UnsafePage { url, why } => ApiError::UnsafePage {
                url: clean(url),
                why: clean(why),
            },
            ApiError::RetryBudgetSpent { last, budget } => ApiError::RetryBudgetSpent {
                last: Box::new(self.redacted(*last)),
                budget,
            },
            ApiError::NotSent { url } => ApiError::NotSent { url: clean(url) },
            ApiError::Setup(detail) => ApiError::Setup(clean(detail)),
        }
    }

    /// A next-page URL is followed only when it is absolute and on the configured API origin and path.
    fn check_next_page(&self, text: &str) -> Result<Url, ApiError> {
        next_page_on_api(&self.options.base_url, text).map_err(|why| ApiError::UnsafePage {
            url: text.to_string(),
            why,
        })
    }

    /// Sends GET `url` until it succeeds, fails for good, or its retries or the audit's are spent.
    async fn fetch(&self, url: &Url) -> Result<Vec<u8>, ApiError> {
        let mut attempts = 0;
        let mut charged_retries = 0;
        let mut uncounted_retries = 0;
        loop {
            attempts += 1;
            match self.attempt(url, attempts).await {
                Attempt::Done(body) => {
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    if attempts == 1 {
                        self.budget.earn();
                    }
                    return Ok(body);
                }
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry {
                    error,
                    wait,
                    mut charge,
                } => {
                    if charge == Charge::Nothing {
                        uncounted_retries += 1;
                        if uncounted_retries > self.halvings {
                            charge = Charge::Request;
                        }
                    }
                    if charge != Charge::Nothing {
                        if charged_retries >= self.options.max_retries {
                            return Err(error);
                        }
                        charged_retries += 1;
                    }
                    if charge == Charge::RequestAndBudget && !self.budget.spend() {
                        return Err(ApiError::RetryBudgetSpent {
                            last: Box::new(error),
                            budget: self.budget.retries(),
                        });
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = wait.unwrap_or_else(|| backoff(charged_retries.max(1)));
                    info!(
                        "retrying GET {} in {} ms ({}): {}",
                        self.redactor.text(url.as_str()),
                        wait.as_millis(),
                        match charge {
                            Charge::Nothing =>
                                "sent before the bound was lowered: not counted".to_string(),
                            _ => format!(
                                "retry {charged_retries} of at most {}",
                                self.options.max_retries
                            ),
                        },
                        self.redacted_detail(&error)
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// GET `url` with the credentials; the Authorization header is marked sensitive, so that no debug
    /// output of the request shows it.
    fn request(&self, url: &Url) -> Result<reqwest::Request, reqwest::Error> {
        let credentials = &self.options.credentials;
        let mut request = self
            .http
            .get(url.clone())
            .basic_auth(&credentials.username, Some(credentials.secret.expose()))
            .header(ACCEPT, "application/json")
            .build()?;
        if let Some(value) = request.headers_mut().get_mut(AUTHORIZATION) {
            value.set_sensitive(true);
        }
        Ok(request)
    }

    async fn attempt(&self, url: &Url, attempts: u32) -> Attempt {
        let permit = self.limiter.acquire().await;
        if self.budget.is_spent() {
            return Attempt::Fail(ApiError::NotSent {
                url: url.to_string(),
            });
        }
        let started = Instant::now();
        let shown_url = self.redactor.text(url.as_str());
        let network = |error: reqwest::Error| {
            let transient = is_transient_network(&error);
            let timed_out = error.is_timeout();
            let mut detail = error_chain(&error.without_url());
            if timed_out {
                detail.push_str(&format!(
                    " (no complete answer within --timeout {} s)",
                    self.options.timeout.as_secs()
                ));
            }
            let error = ApiError::Network {
                url: url.to_string(),
                detail,
                attempts,
            };
            info!(
                "GET {shown_url} failed after {} ms: {}",
                started.elapsed().as_millis(),
                self.redacted_detail(&error)
            );
            if transient {
                Attempt::Retry {
                    error,
                    wait: None,
                    charge: Charge::RequestAndBudget,
                }
            } else {
                Attempt::Fail(error)
            }
        };
        let request = match self.request(url) {
            Ok(request) => request,
            Err(error) => return Attempt::Fail(ApiError::Setup(error_chain(&error.without_url()))),
        };
        let mut response = match self.http.execute(request).await {
            Ok(response) => response,
            Err(error) => return network(error),
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY_BYTES => {
                    return Attempt::Fail(ApiError::Malformed {
                        url: url.to_string(),
                        detail: format!("the answer is larger than {} MiB", MAX_BODY_BYTES >> 20),
                    });
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => return network(error),
            }
        }
        // Before anything reads it, so that no preview or cut of the answer can keep part of an echo.
        self.redactor.in_place_bytes(&mut body);
        info!(
            "GET {shown_url} -> {} in {} ms ({} bytes)",
            status.as_u16(),
            started.elapsed().as_millis(),
            body.len()
        );
        let charge = if status == StatusCode::TOO_MANY_REQUESTS {
            match permit.throttled(retry_after) {
                Throttle::Lowered(limit) => {
                    info!(
                        "Twilio answered 429: at most {} in flight from now on",
                        counted(limit, "request", "requests")
                    );
                    if limit == 1 {
                        Charge::RequestAndBudget
                    } else {
                        Charge::Request
                    }
                }
                Throttle::AtFloor => Charge::RequestAndBudget,
                Throttle::AlreadyLowered => Charge::Nothing,
            }
        } else {
            if let Some(limit) = permit.answered() {
                debug!(
                    "at most {} in flight from now on",
                    counted(limit, "request", "requests")
                );
            }
            Charge::RequestAndBudget
        };
        drop(permit);
        if status.is_success() {
            return Attempt::Done(body);
        }
        let ErrorBody { code, message } = ErrorBody::parse(&body, &self.redactor);
        let url = url.to_string();
        let credentials = &self.options.credentials;
        match status {
            StatusCode::UNAUTHORIZED => Attempt::Fail(ApiError::Unauthorized {
                url,
                code,
                message,
                variables: credentials.variables(),
            }),
            StatusCode::FORBIDDEN => Attempt::Fail(ApiError::Forbidden { url, code, message }),
            _ if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) => {
                Attempt::Fail(ApiError::Redirected {
                    url,
                    status: status.as_u16(),
                    location,
                })
            }
            _ if is_transient_status(status) => Attempt::Retry {
                error: ApiError::Status {
                    url,
                    status: status.as_u16(),
                    code,
                    message,
                    attempts,
                },
                wait: retry_after,
                charge,
            },
            _ => Attempt::Fail(ApiError::Status {
                url,
                status: status.as_u16(),
                code,
                message,
                attempts,
            }),
        }
    }

    /// The message of `error` as a log line shows it (see [`Client::shown`]).
    fn redacted_detail(&self, error: &ApiError) -> String {
        self.shown(&error.to_string())
    }

    /// Text from or about an API answer as twgate prints it: credentials replaced by `***`, and control
    /// characters escaped, so that it can neither forge a line of output (a GitHub workflow command) nor
    /// drive the terminal.
    pub fn shown(&self, text: &str) -> String {
        clean(&self.redactor.text(text))
    }
}

/// `text` as a URL when a client of the API at `base` may follow it to a next page with its credentials:
/// absolute, on the base's origin and under its path, with no credentials of its own. Else why not.
pub(crate) fn next_page_on_api(base: &Url, text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text).map_err(|_| "not an absolute URL".to_string())?;
    // A fragment is never sent: without it, a page that differs only there is seen as the same page.
    url.set_fragment(None);
    if url.origin() != base.origin() {
        return Err(format!(
            "it is not on the API origin {}: credentials are only ever sent there",
            base.origin().ascii_serialization()
        ));
    }
    let base_path = base.path().trim_end_matches('/');
    let under_base = url
        .path()
        .strip_prefix(base_path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if !under_base {
        return Err("it is outside the API's base path".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it carries credentials of its own".to_string());
    }
    Ok(url)
}

/// An error with its causes, such as "error sending request: connection refused".
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::config::Secret;

    fn client(base: &str) -> Client {
        Client::new(ClientOptions {
            base_url: Url::parse(base).expect("valid"),
            credentials: Credentials {
                account_sid: "AC1".into(),
                username: "AC1".into(),
                secret: Secret::new("token"),
            },
            concurrency: 2,
            timeout: Duration::from_secs(5),
            max_retries: 0,
        })
        .expect("client")
    }

    #[test]
    fn list_urls_ask_for_the_largest_page() {
        let client = client("https://serverless.twilio.com/");
        assert_eq!(
            client.url("/v1/Services", true).as_str(),
            "https://serverless.twilio.com/v1/Services?PageSize=1000"
        );
        let proxied = self::client("https://proxy.example/twilio");
        assert_eq!(
            proxied.url("/v1/Services/ZS1", false).as_str(),
            "https://proxy.example/twilio/v1/Services/ZS1"
        );
    }

    #[test]
    fn next_pages_must_stay_on_the_api_origin() {
        let client = client("https://serverless.twilio.com");
        assert!(
            client
                .check_next_page("https://serverless.twilio.com/v1/Services?PageToken=PT1")
                .is_ok()
        );
        for bad in [
            "https://evil.example/v1/Services?PageToken=PT1",
            "http://serverless.twilio.com/v1/Services",
            "https://serverless.twilio.com:444/v1/Services",
            "/v1/Services?PageToken=PT1",
            "https://user:pw@serverless.twilio.com/v1/Services",
        ] {
            assert!(client.check_next_page(bad).is_err(), "{bad}");
        }
        let proxied = self::client("https://proxy.example/twilio");
        for outside in [
            "https://proxy.example/other/v1/Services",
            "https://proxy.example/twilio2/v1/Services",
        ] {
            assert!(proxied.check_next_page(outside).is_err(), "{outside}");
        }
        let page = client
            .check_next_page("https://serverless.twilio.com/v1/Services?Page=1#again")
            .expect("on the API");
        assert_eq!(
            page.as_str(),
            "https://serverless.twilio.com/v1/Services?Page=1",
            "the fragment, never sent, is not part of the page"
        );
    }

    #[test]
    fn the_authorization_header_is_marked_sensitive() {
        let client = client("https://serverless.twilio.com");
        let request = client
            .request(&client.url("/v1/Services", true))
            .expect("a request");
        let authorization = &request.headers()[AUTHORIZATION];
        assert!(authorization.is_sensitive());
        let shown = format!("{request:?} {:?}", request.headers());
        assert!(!shown.contains("QUMxOnRva2Vu"), "{shown}");
        assert!(shown.contains("Sensitive"), "{shown}");
    }

    #[test]
    fn error_messages_name_the_variables_and_never_the_secret() {
        let error = ApiError::Unauthorized {
            url: "https://serverless.twilio.com/v1/Services".into(),
            code: Some(20003),
            message: Some("Authenticate".into()),
            variables: "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        };
        assert_eq!(
            error.to_string(),
            "Twilio rejected the credentials (HTTP 401, Twilio error 20003: Authenticate) for GET \
             https://serverless.twilio.com/v1/Services: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        );
    }
}

//! A stateful fake of GitHub's REST API for the comments of pull requests (the issue-comment endpoints),
//! for twgate's tests.
//!
//! It speaks GitHub's wire format: `Authorization: Bearer TOKEN` (or `token TOKEN`), `per_page`/`page` paging
//! with a `Link` header of absolute `next`/`last` URLs, GitHub's error JSON, and the 65,536-character body
//! limit. It can serve under a path prefix, as GitHub Enterprise Server does (`/api/v3`), records every
//! request, and fails on demand ([`Fault`]): 403, 422, rate limits, 502s, slow answers.

mod server;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

pub use store::{Fault, MAX_BODY_CHARS, Operation, RequestRecord, StoredComment};

/// A running fake GitHub. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeGitHub {
    shared: Arc<server::Shared>,
    task: JoinHandle<()>,
}

impl FakeGitHub {
    /// Starts serving on `addr` ("127.0.0.1:0" for a free port) on the current tokio runtime, with the API
    /// under `prefix`: "" like api.github.com, or a path such as "/api/v3" like GitHub Enterprise Server.
    pub async fn start(addr: SocketAddr, prefix: &str) -> std::io::Result<FakeGitHub> {
        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty() && !prefix.starts_with('/') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the API prefix {prefix:?} must start with /"),
            ));
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(format!("http://{addr}"), prefix));
        let app = server::router(shared.clone(), prefix);
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("fake-github: server error: {error}");
            }
        });
        Ok(FakeGitHub { shared, task })
    }

    /// The API's base URL, `http://HOST:PORT` plus the prefix: what `GITHUB_API_URL` would hold.
    pub fn api_url(&self) -> String {
        self.shared.api_url().to_owned()
    }

    /// Accepts `token`, acting as `login` (a login ending in `[bot]` is a bot, like `github-actions[bot]`).
    pub fn allow_token(&self, token: &str, login: &str) {
        self.shared.store().allow_token(token, login);
    }

    /// Opens pull request `number` in `repo` (`owner/name`); comments on others answer 404.
    pub fn add_pull_request(&self, repo: &str, number: u64) {
        self.shared.store().add_pull_request(repo, number);
    }

    /// Adds a comment by `login`, as if written earlier, and returns it.
    pub fn add_comment(&self, repo: &str, number: u64, login: &str, body: &str) -> StoredComment {
        self.shared.store().add_comment(repo, number, login, body)
    }

    /// The comments of a pull request, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<StoredComment> {
        self.shared.store().comments_of(repo, number)
    }

    /// The next request to `operation` meets `fault`; several calls queue several faults, in order.
    pub fn fail_next(&self, operation: Operation, fault: Fault) {
        self.shared.store().fail_next(operation, fault);
    }

    /// When on, every error message quotes the request's `Authorization` header back, as a careless
    /// server or proxy might: for testing that clients never print what they get back.
    pub fn echo_authorization_in_errors(&self, on: bool) {
        self.shared.store().echo_authorization = on;
    }

    /// Every request served so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.store().log.clone()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

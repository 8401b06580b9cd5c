//! The fake's state: tokens, pull requests, their comments, queued faults and the request log.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

/// GitHub's limit on a comment body, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Which comment endpoint a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /repos/{owner}/{repo}/issues/{number}/comments`
    List,
    /// `POST /repos/{owner}/{repo}/issues/{number}/comments`
    Create,
    /// `PATCH /repos/{owner}/{repo}/issues/comments/{id}`
    Update,
    /// `DELETE /repos/{owner}/{repo}/issues/comments/{id}`
    Delete,
}

/// A failure the next request to an [`Operation`] meets instead of (or after) its normal work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 403 "Resource not accessible by integration": a token without `pull-requests: write`.
    Forbidden,
    /// 422 "Validation Failed" on the body.
    Validation,
    /// The primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset time.
    RateLimit,
    /// A secondary rate limit: 429 with `retry-after: 60`.
    SecondaryRateLimit,
    /// 502 without doing anything.
    BadGateway,
    /// The request's work is done (a create is stored), but the answer is 502.
    BadGatewayAfterCommit,
    /// The answer comes only after this long; then the request is served normally.
    Delay(Duration),
}

/// One comment as the fake stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredComment {
    /// GitHub's comment id.
    pub id: u64,
    /// `owner/name` of the repository, lower case.
    pub repo: String,
    /// The pull request (issue) number.
    pub number: u64,
    /// Who wrote it.
    pub login: String,
    /// The Markdown body.
    pub body: String,
    /// When it was created, as seconds after the fake's epoch.
    pub created: u64,
    /// When it was last changed, as seconds after the fake's epoch.
    pub updated: u64,
}

/// One request as the fake saw it. The token itself is never recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// URL path, with any API prefix, e.g. `/api/v3/repos/o/r/issues/1/comments`.
    pub path: String,
    /// Raw query string without `?` (empty when none).
    pub query: String,
    /// HTTP status of the answer.
    pub status: u16,
    /// How the request authenticated: `bearer`, `token`, `other` or `none`.
    pub auth_scheme: &'static str,
}

/// Everything the server keeps between requests.
#[derive(Debug, Default)]
pub struct Store {
    tokens: HashMap<String, String>,
    pull_requests: HashSet<(String, u64)>,
    comments: Vec<StoredComment>,
    next_id: u64,
    clock: u64,
    faults: VecDeque<(Operation, Fault)>,
    /// Whether error messages quote the `Authorization` header back, as a careless server might.
    pub echo_authorization: bool,
    /// Every request served, oldest first.
    pub log: Vec<RequestRecord>,
}

/// The first comment id handed out: large, like GitHub's, so clients must not squeeze ids into 32 bits.
const FIRST_ID: u64 = 5_000_000_000;

/// Repositories are matched ignoring case, as GitHub does.
pub fn repo_key(owner: &str, name: &str) -> String {
    format!("{owner}/{name}").to_ascii_lowercase()
}

impl Store {
    /// Accepts `token`, acting as `login`.
    pub fn allow_token(&mut self, token: &str, login: &str) {
        self.tokens.insert(token.to_owned(), login.to_owned());
    }

    /// The login a token acts as, when the fake knows the token.
    pub fn login(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }

    /// Opens pull request `number` in `repo` (`owner/name`).
    pub fn add_pull_request(&mut self, repo: &str, number: u64) {
        self.pull_requests
            .insert((repo.to_ascii_lowercase(), number));
    }

    /// Whether pull request `number` exists in `repo`.
    pub fn has_pull_request(&self, repo: &str, number: u64) -> bool {
        self.pull_requests.contains(&(repo.to_owned(), number))
    }

    /// Stores a new comment and returns it.
    pub fn add_comment(
        &mut self,
        repo: &str,
        number: u64,
        login: &str,
        body: &str,
    ) -> StoredComment {
        self.clock += 1;
        let comment = StoredComment {
            id: FIRST_ID + self.next_id,
            repo: repo.to_ascii_lowercase(),
            number,
            login: login.to_owned(),
            body: body.to_owned(),
            created: self.clock,
            updated: self.clock,
        };
        self.next_id += 1;
        self.comments.push(comment.clone());
        comment
    }

    /// The comments of one pull request, oldest first.
    pub fn comments_of(&self, repo: &str, number: u64) -> Vec<StoredComment> {
        let repo = repo.to_ascii_lowercase();
        self.comments
            .iter()
            .filter(|comment| comment.repo == repo && comment.number == number)
            .cloned()
            .collect()
    }

    /// Replaces a comment's body; `None` when `repo` has no such comment.
    pub fn update_comment(&mut self, repo: &str, id: u64, body: &str) -> Option<StoredComment> {
        self.clock += 1;
        let clock = self.clock;
        let comment = self
            .comments
            .iter_mut()
            .find(|comment| comment.repo == repo && comment.id == id)?;
        comment.body = body.to_owned();
        comment.updated = clock;
        Some(comment.clone())
    }

    /// Deletes a comment; false when `repo` has no such comment.
    pub fn delete_comment(&mut self, repo: &str, id: u64) -> bool {
        let before = self.comments.len();
        self.comments
            .retain(|comment| !(comment.repo == repo && comment.id == id));
        self.comments.len() < before
    }

    /// Queues `fault` for the next request to `operation`.
    pub fn fail_next(&mut self, operation: Operation, fault: Fault) {
        self.faults.push_back((operation, fault));
    }

    /// Takes the oldest fault queued for `operation`, if any.
    pub fn take_fault(&mut self, operation: Operation) -> Option<Fault> {
        let index = self.faults.iter().position(|(op, _)| *op == operation)?;
        self.faults.remove(index).map(|(_, fault)| fault)
    }
}

/// Why a comment body is refused, in GitHub's words; `None` when it is acceptable.
pub fn body_problem(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return Some("body cannot be blank".to_owned());
    }
    let length = body.chars().count();
    (length > MAX_BODY_CHARS)
        .then(|| format!("body is too long (maximum is {MAX_BODY_CHARS} characters)"))
}

/// One page of `total` items: the index range to serve and the last page number (at least 1).
pub fn page_range(total: usize, per_page: usize, page: usize) -> (std::ops::Range<usize>, usize) {
    let last = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    (start..end, last)
}

/// A fake timestamp `seconds` after 2025-06-01T00:00:00Z, in GitHub's format.
pub fn timestamp(seconds: u64) -> String {
    let day = 1 + seconds / 86_400;
    let rest = seconds % 86_400;
    format!(
        "2025-06-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        assert_eq!(page_range(0, 30, 1), (0..0, 1));
        assert_eq!(page_range(250, 100, 1), (0..100, 3));
        assert_eq!(page_range(250, 100, 3), (200..250, 3));
        assert_eq!(page_range(250, 100, 4), (250..250, 3));
        assert_eq!(page_range(200, 100, 2), (100..200, 2));
    }

    #[test]
    fn bodies_are_limited_in_characters() {
        assert_eq!(body_problem("hi"), None);
        assert_eq!(body_problem(&"é".repeat(MAX_BODY_CHARS)), None);
        assert!(body_problem(&"a".repeat(MAX_BODY_CHARS + 1)).is_some());
        assert_eq!(body_problem(" \n"), Some("body cannot be blank".to_owned()));
    }

    #[test]
    fn faults_apply_once_in_order_per_operation() {
        let mut store = Store::default();
        store.fail_next(Operation::Create, Fault::Forbidden);
        store.fail_next(Operation::List, Fault::BadGateway);
        store.fail_next(Operation::Create, Fault::Validation);
        assert_eq!(store.take_fault(Operation::Update), None);
        assert_eq!(store.take_fault(Operation::Create), Some(Fault::Forbidden));
        assert_eq!(store.take_fault(Operation::Create), Some(Fault::Validation));
        assert_eq!(store.take_fault(Operation::Create), None);
        assert_eq!(store.take_fault(Operation::List), Some(Fault::BadGateway));
    }

    #[test]
    fn comments_are_kept_per_pull_request_and_repository() {
        let mut store = Store::default();
        let first = store.add_comment("Acme/Site", 7, "alice", "one");
        store.add_comment("acme/site", 8, "alice", "other PR");
        let second = store.add_comment("acme/site", 7, "bob", "two");
        assert!(second.id > first.id && first.id > u64::from(u32::MAX));
        let bodies: Vec<_> = store
            .comments_of("ACME/site", 7)
            .into_iter()
            .map(|c| c.body)
            .collect();
        assert_eq!(bodies, ["one", "two"]);
        assert!(store.update_comment("acme/other", first.id, "x").is_none());
        assert_eq!(
            store
                .update_comment("acme/site", first.id, "uno")
                .map(|c| c.body),
            Some("uno".to_owned())
        );
        assert!(store.delete_comment("acme/site", first.id));
        assert!(!store.delete_comment("acme/site", first.id));
    }

    #[test]
    fn timestamps_look_like_githubs() {
        assert_eq!(timestamp(0), "2025-06-01T00:00:00Z");
        assert_eq!(timestamp(86_400 + 3_723), "2025-06-02T01:02:03Z");
    }
}

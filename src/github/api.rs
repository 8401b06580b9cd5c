//! The four GitHub REST calls the PR comment needs, through octocrab: each with a time limit, the
//! idempotent ones retried after a transient failure, and the comment list read across all its pages.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use octocrab::{Octocrab, Page};
use serde::Deserialize;
use serde_json::json;

use super::comment::SyncOptions;
use super::context::PullRequest;
use super::error::{CommentError, Failure};
use crate::twilio::client::next_page_on_api;

/// GitHub's largest page of comments.
const PER_PAGE: u32 = 100;
/// Pages read in one list before deciding the list loops: a million comments.
const MAX_PAGES: usize = 10_000;

/// A comment as far as twgate reads one; GitHub sends far more, which is ignored.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Comment {
    /// GitHub's comment id.
    pub id: u64,
    /// The Markdown body (absent for some bots' comments).
    #[serde(default)]
    pub body: Option<String>,
    /// Where a person sees it.
    #[serde(default)]
    pub html_url: String,
}

/// One pull request's comment endpoints.
pub(super) struct Api<'a> {
    octocrab: Octocrab,
    pr: &'a PullRequest,
    options: &'a SyncOptions,
}

impl<'a> Api<'a> {
    /// A client for `pr`'s API. Redirects are never followed, so the token goes nowhere else.
    pub fn new(pr: &'a PullRequest, options: &'a SyncOptions) -> Result<Api<'a>, CommentError> {
        let setup = |error: &dyn std::fmt::Display| CommentError::Setup(error.to_string());
        // Several clients in one process share one provider; a second install is refused, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("twgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| setup(&error))?;
        let octocrab = Octocrab::builder()
            .base_uri(pr.api_url.as_str())
            .map_err(|error| setup(&error))?
            .personal_token(pr.token.expose().to_owned())
            .build_with_reqwest(http)
            .map_err(|error| setup(&error))?;
        Ok(Api {
            octocrab,
            pr,
            options,
        })
    }

    /// An absolute URL for `path` under the API base (octocrab keeps absolute URLs as they are).
    fn url(&self, path: &str) -> String {
        format!(
            "{}{}{path}",
            self.pr.api_url.origin().ascii_serialization(),
            self.pr.api_url.path().trim_end_matches('/')
        )
    }

    /// Every comment of the pull request, oldest first, following `Link: rel="next"` to the last page.
    pub async fn list(&self) -> Result<Vec<Comment>, CommentError> {
        let pr = self.pr;
        let action = format!("list the comments of {pr}");
        let mut next = Some(self.url(&format!(
            "/repos/{}/{}/issues/{}/comments?per_page={PER_PAGE}",
            pr.owner, pr.repo, pr.number
        )));
        let mut seen = HashSet::new();
        let mut comments = Vec::new();
        while let Some(url) = next.take() {
            if !seen.insert(url.clone()) || seen.len() > MAX_PAGES {
                return Err(CommentError::UnsafePage {
                    url,
                    why: "that page was already read, or there are too many: the list loops"
                        .to_owned(),
                });
            }
            let page: Page<Comment> = self
                .retried(&action, || self.octocrab.get(&url, None::<&()>))
                .await?;
            comments.extend(page.items);
            next = page
                .next
                .map(|uri| self.check_next_page(&uri.to_string()))
                .transpose()?;
        }
        Ok(comments)
    }

    /// Posts a comment, once: a lost answer may hide a stored comment, so the caller looks before posting again.
    pub async fn create(&self, body: &str) -> Result<Comment, Failure> {
        let pr = self.pr;
        let url = self.url(&format!(
            "/repos/{}/{}/issues/{}/comments",
            pr.owner, pr.repo, pr.number
        ));
        let payload = json!({ "body": body });
        self.attempt(
            &format!("create a comment on {pr}"),
            1,
            self.octocrab.post(&url, Some(&payload)),
        )
        .await
    }

    /// Replaces comment `id`'s body.
    pub async fn update(&self, id: u64, body: &str) -> Result<Comment, CommentError> {
        let url = self.comment_url(id);
        let payload = json!({ "body": body });
        let action = format!("update comment {id} on {}", self.pr);
        self.retried(&action, || self.octocrab.patch(&url, Some(&payload)))
            .await
    }

    /// Deletes comment `id`; one that is already gone counts as deleted.
    pub async fn delete(&self, id: u64) -> Result<(), CommentError> {
        let url = self.comment_url(id);
        let action = format!("delete duplicate comment {id} on {}", self.pr);
        let deleted = self
            .retried(&action, || async {
                let response = self.octocrab._delete(url.as_str(), None::<&()>).await?;
                octocrab::map_github_error(response).await.map(drop)
            })
            .await;
        match deleted {
            Err(CommentError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    fn comment_url(&self, id: u64) -> String {
        self.url(&format!(
            "/repos/{}/{}/issues/comments/{id}",
            self.pr.owner, self.pr.repo
        ))
    }

    /// Runs `call` until it succeeds, fails for good, or the retries are spent.
    async fn retried<T, F, Fut>(&self, action: &str, call: F) -> Result<T, CommentError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.attempt(action, attempts, call()).await {
                Ok(value) => return Ok(value),
                Err(failure) if failure.transient && attempts <= self.options.max_retries => {
                    tokio::time::sleep(backoff(self.options, attempts)).await;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    /// One request, within the time limit.
    async fn attempt<T>(
        &self,
        action: &str,
        attempts: u32,
        request: impl Future<Output = octocrab::Result<T>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.options.timeout, request).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Failure::from_octocrab(error, self.pr, action, attempts)),
            Err(_) => Err(Failure::timed_out(
                self.pr,
                action,
                attempts,
                self.options.timeout.as_secs_f64(),
            )),
        }
    }

    /// A next-page URL is followed only when it is absolute and on the API's origin and base path.
    fn check_next_page(&self, text: &str) -> Result<String, CommentError> {
        next_page_on_api(&self.pr.api_url, text)
            .map(String::from)
            .map_err(|why| CommentError::UnsafePage {
                url: text.to_owned(),
                why,
            })
    }
}

/// The wait before retry number `attempt`: the base, doubled for each retry before it.
pub(super) fn backoff(options: &SyncOptions, attempt: u32) -> Duration {
    options
        .backoff
        .saturating_mul(1 << attempt.saturating_sub(1).min(8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::Secret;

    fn pull_request(api_url: &str) -> PullRequest {
        PullRequest {
            api_url: reqwest::Url::parse(api_url).expect("url"),
            owner: "acme".to_owned(),
            repo: "site".to_owned(),
            number: 7,
            token: Secret::new("ghs_api"),
            from_fork: false,
        }
    }

    #[tokio::test]
    async fn urls_keep_an_enterprise_path_prefix() {
        let options = SyncOptions::default();
        let pr = pull_request("https://github.example.com/api/v3");
        let api = Api::new(&pr, &options).expect("client");
        assert_eq!(
            api.comment_url(12),
            "https://github.example.com/api/v3/repos/acme/site/issues/comments/12"
        );
        let pr = pull_request("https://api.github.com");
        let api = Api::new(&pr, &options).expect("client");
        assert_eq!(
            api.comment_url(12),
            "https://api.github.com/repos/acme/site/issues/comments/12"
        );
    }

    #[tokio::test]
    async fn next_pages_must_stay_on_the_api() {
        let options = SyncOptions::default();
        let pr = pull_request("https://github.example.com/api/v3");
        let api = Api::new(&pr, &options).expect("client");
        assert!(
            api.check_next_page(
                "https://github.example.com/api/v3/repos/acme/site/issues/7/comments?page=2"
            )
            .is_ok()
        );
        for bad in [
            "https://evil.example/api/v3/repos/acme/site/issues/7/comments?page=2",
            "http://github.example.com/api/v3/repos/acme/site/issues/7/comments?page=2",
            "https://github.example.com:8443/api/v3/repos/acme/site/issues/7/comments",
            "https://github.example.com/other/repos/acme/site/issues/7/comments",
            "/api/v3/repos/acme/site/issues/7/comments?page=2",
            "https://user:pw@github.example.com/api/v3/repos/acme/site/issues/7/comments",
        ] {
            let error = api.check_next_page(bad).expect_err(bad);
            assert!(
                error.to_string().starts_with("refusing to follow"),
                "{error}"
            );
        }
    }

    #[test]
    fn backoff_doubles() {
        let options = SyncOptions {
            backoff: Duration::from_millis(100),
            ..SyncOptions::default()
        };
        let waits: Vec<_> = (1..=4)
            .map(|attempt| backoff(&options, attempt).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800]);
    }
}

//! Which pull request to comment on, and with which token: read from the variables GitHub Actions sets.

use std::fmt;

use reqwest::Url;
use serde_json::Value;

use super::error::CommentError;
use crate::twilio::Secret;
use crate::twilio::config::is_loopback;

/// The API used when `GITHUB_API_URL` is not set.
const DEFAULT_API_URL: &str = "https://api.github.com";

/// One pull request of one repository, reached through one API with one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// The REST API's base URL, its path without a trailing slash: `https://api.github.com`, or
    /// `https://HOST/api/v3` on GitHub Enterprise Server.
    pub api_url: Url,
    /// The repository's owner (user or organisation).
    pub owner: String,
    /// The repository's name.
    pub repo: String,
    /// The pull request's number.
    pub number: u64,
    /// The token that may comment; prints as `***`.
    pub token: Secret,
    /// Whether the pull request comes from another repository (a fork): GitHub gives such runs of
    /// `pull_request` workflows a read-only token.
    pub from_fork: bool,
}

impl fmt::Display for PullRequest {
    /// `owner/repo#number`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}#{}", self.owner, self.repo, self.number)
    }
}

impl PullRequest {
    /// Reads the pull request from `GITHUB_EVENT_PATH` (the event of a `pull_request` or
    /// `pull_request_target` workflow), `GITHUB_REPOSITORY`, `GITHUB_API_URL` (GitHub Enterprise; default
    /// `https://api.github.com`) and the token from `GITHUB_TOKEN`. `env` reads one environment variable.
    ///
    /// Any other event gives [`CommentError::NotPullRequest`], so a caller can tell "nothing to comment
    /// on" from a broken setup.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<PullRequest, CommentError> {
        let get = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let event_path = get("GITHUB_EVENT_PATH").ok_or(CommentError::MissingVariable {
            variable: "GITHUB_EVENT_PATH",
            fix: "the PR comment works inside a GitHub Actions job run by a pull_request or \
                  pull_request_target event, where GitHub sets it",
        })?;
        let event = read_event(&event_path)?;
        let Some(pull_request) = event.get("pull_request").filter(|value| value.is_object()) else {
            return Err(CommentError::NotPullRequest {
                event: get("GITHUB_EVENT_NAME").map(|name| name.trim().to_owned()),
            });
        };
        let number = pull_request
            .get("number")
            .and_then(Value::as_u64)
            .filter(|number| *number > 0)
            .ok_or_else(|| CommentError::EventFile {
                path: event_path.clone(),
                problem: "pull_request.number is missing or not a positive whole number".to_owned(),
            })?;
        let repository = get("GITHUB_REPOSITORY").ok_or(CommentError::MissingVariable {
            variable: "GITHUB_REPOSITORY",
            fix: "set it to OWNER/REPO of the pull request's repository (GitHub Actions sets it)",
        })?;
        let (owner, repo) = parse_repository(repository.trim())?;
        let api_url = parse_api_url(get("GITHUB_API_URL").as_deref().unwrap_or(DEFAULT_API_URL))?;
        let token = get("GITHUB_TOKEN").ok_or(CommentError::MissingVariable {
            variable: "GITHUB_TOKEN",
            fix: "pass the workflow's token to the step: `env: GITHUB_TOKEN: ${{ github.token }}`, with \
                  `permissions: pull-requests: write` on the job",
        })?;
        Ok(PullRequest {
            api_url,
            owner,
            repo,
            number,
            token: parse_token(&token)?,
            from_fork: is_from_fork(pull_request),
        })
    }
}

fn read_event(path: &str) -> Result<Value, CommentError> {
    let problem = |problem: String| CommentError::EventFile {
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|error| problem(format!("cannot read it: {error}")))?;
    let event: Value =
        serde_json::from_str(&text).map_err(|error| problem(format!("it is not JSON: {error}")))?;
    if event.is_object() {
        Ok(event)
    } else {
        Err(problem(
            "it holds JSON but not an object, as GitHub's event payloads are".to_owned(),
        ))
    }
}

/// Whether the pull request's head is another repository than its base; a deleted fork counts as one.
fn is_from_fork(pull_request: &Value) -> bool {
    let full_name = |side: &str| {
        pull_request
            .pointer(&format!("/{side}/repo/full_name"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    match (full_name("head"), full_name("base")) {
        (Some(head), Some(base)) => head != base,
        (None, Some(_)) => true,
        _ => false,
    }
}

/// `OWNER/REPO`, each part made of the characters GitHub allows in names.
fn parse_repository(text: &str) -> Result<(String, String), CommentError> {
    let invalid = || CommentError::InvalidVariable {
        variable: "GITHUB_REPOSITORY",
        problem: format!("is {text:?}: it must be OWNER/REPO, such as octo-org/octo-repo"),
    };
    let (owner, repo) = text.split_once('/').ok_or_else(invalid)?;
    let is_name = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if is_name(owner) && is_name(repo) {
        Ok((owner.to_owned(), repo.to_owned()))
    } else {
        Err(invalid())
    }
}

/// The API base: https, or plain http to this machine only (the token must not cross a network unencrypted).
fn parse_api_url(text: &str) -> Result<Url, CommentError> {
    let text = text.trim();
    let invalid = |problem: String| CommentError::InvalidVariable {
        variable: "GITHUB_API_URL",
        problem: format!("is {text:?}: {problem}"),
    };
    let url = Url::parse(text).map_err(|error| {
        invalid(format!(
            "not a URL ({error}); it is https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server"
        ))
    })?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(invalid(
                "plain http to another machine would send the token unencrypted: use https"
                    .to_owned(),
            ));
        }
        _ => return Err(invalid("it must start with https://".to_owned())),
    }
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it must name a host and hold no credentials".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment".to_owned()));
    }
    let mut base = url;
    let trimmed = base.path().trim_end_matches('/').to_owned();
    base.set_path(&trimmed);
    Ok(base)
}

/// The token, which goes into an HTTP header: visible ASCII only. The error never quotes it.
fn parse_token(text: &str) -> Result<Secret, CommentError> {
    let token = text.trim();
    if token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Secret::new(token))
    } else {
        Err(CommentError::InvalidVariable {
            variable: "GITHUB_TOKEN",
            problem:
                "holds spaces, line breaks or non-ASCII characters, which no GitHub token has: \
                      set it to the token alone"
                    .to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOKEN: &str = "ghs_c0ntext0000000000000000000000000000";

    /// An event file in a fresh temporary folder; the folder lives as long as the returned guard.
    fn event_file(json: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("event.json");
        std::fs::write(&path, json).expect("write event");
        (dir, path.to_string_lossy().into_owned())
    }

    fn pull_request_event(number: u64, head: &str, base: &str) -> String {
        format!(
            r#"{{"action":"synchronize","number":{number},"pull_request":{{"number":{number},
               "head":{{"repo":{{"full_name":"{head}"}}}},"base":{{"repo":{{"full_name":"{base}"}}}}}}}}"#
        )
    }

    fn from(vars: &[(&str, &str)]) -> Result<PullRequest, CommentError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        PullRequest::from_env(|name| vars.get(name).cloned())
    }

    #[test]
    fn reads_a_pull_request_event() {
        let (_dir, path) = event_file(&pull_request_event(42, "acme/site", "acme/site"));
        let pr = from(&[
            ("GITHUB_EVENT_PATH", &path),
            ("GITHUB_REPOSITORY", "acme/site"),
            ("GITHUB_TOKEN", TOKEN),
        ])
        .expect("a pull request");
        assert_eq!(pr.api_url.as_str(), "https://api.github.com/");
        assert_eq!(pr.to_string(), "acme/site#42");
        assert_eq!(pr.token.expose(), TOKEN);
        assert!(!pr.from_fork);
        assert!(!format!("{pr:?}").contains(TOKEN), "{pr:?}");
    }

    #[test]
    fn a_fork_and_an_enterprise_server_are_recognised() {
        let (_dir, path) = event_file(&pull_request_event(7, "Mallory/site", "acme/site"));
        let pr = from(&[
            ("GITHUB_EVENT_PATH", &path),
            ("GITHUB_EVENT_NAME", "pull_request_target"),
            ("GITHUB_REPOSITORY", "acme/site"),
            ("GITHUB_API_URL", "https://github.example.com/api/v3/"),
            ("GITHUB_TOKEN", &format!("  {TOKEN}\n")),
        ])
        .expect("a pull request");
        assert!(pr.from_fork);
        assert_eq!(pr.api_url.as_str(), "https://github.example.com/api/v3");
        assert_eq!(
            pr.token.expose(),
            TOKEN,
            "surrounding whitespace is trimmed"
        );
        let (_dir, path) = event_file(
            r#"{"pull_request":{"number":3,"head":{"repo":null},"base":{"repo":{"full_name":"a/b"}}}}"#,
        );
        let pr = from(&[
            ("GITHUB_EVENT_PATH", &path),
            ("GITHUB_REPOSITORY", "a/b"),
            ("GITHUB_TOKEN", TOKEN),
        ])
        .expect("a pull request");
        assert!(pr.from_fork, "a deleted fork is still a fork");
    }

    #[test]
    fn other_events_are_not_pull_requests() {
        let (_dir, path) = event_file(r#"{"ref":"refs/heads/main","commits":[]}"#);
        let error = from(&[("GITHUB_EVENT_PATH", &path), ("GITHUB_EVENT_NAME", "push")])
            .expect_err("a push is not a PR");
        assert!(
            matches!(&error, CommentError::NotPullRequest { event } if event.as_deref() == Some("push"))
        );
        assert!(error.to_string().contains("pull_request_target"), "{error}");
    }

    #[test]
    fn a_bad_event_file_is_named_with_what_is_wrong() {
        let (dir, path) = event_file("{not json");
        let cases = [
            (path.clone(), "is not JSON"),
            (
                dir.path()
                    .join("missing.json")
                    .to_string_lossy()
                    .into_owned(),
                "cannot read it",
            ),
        ];
        for (path, expected) in cases {
            let error = from(&[("GITHUB_EVENT_PATH", &path)]).expect_err("bad file");
            let text = error.to_string();
            assert!(text.contains(&path) && text.contains(expected), "{text}");
            assert!(text.contains("GITHUB_EVENT_PATH"), "{text}");
        }
        let (_dir, path) = event_file(r#"{"pull_request":{"number":"12"}}"#);
        let text = from(&[("GITHUB_EVENT_PATH", &path)])
            .expect_err("bad number")
            .to_string();
        assert!(text.contains("pull_request.number"), "{text}");
        let (_dir, path) = event_file("[1]");
        let text = from(&[("GITHUB_EVENT_PATH", &path)])
            .expect_err("not an object")
            .to_string();
        assert!(text.contains("not an object"), "{text}");
    }

    #[test]
    fn missing_and_invalid_variables_say_how_to_fix_them() {
        let error = from(&[]).expect_err("no event");
        assert!(
            error
                .to_string()
                .starts_with("GITHUB_EVENT_PATH is not set"),
            "{error}"
        );
        let (_dir, path) = event_file(&pull_request_event(1, "a/b", "a/b"));
        let base = [
            ("GITHUB_EVENT_PATH", path.as_str()),
            ("GITHUB_REPOSITORY", "a/b"),
        ];
        let error = from(&base).expect_err("no token");
        assert!(
            error.to_string().contains("pull-requests: write"),
            "{error}"
        );
        for (variable, value, expected) in [
            ("GITHUB_REPOSITORY", "just-a-name", "OWNER/REPO"),
            ("GITHUB_REPOSITORY", "a/b/c", "OWNER/REPO"),
            ("GITHUB_REPOSITORY", "../b", "OWNER/REPO"),
            (
                "GITHUB_API_URL",
                "http://github.example.com/api/v3",
                "unencrypted",
            ),
            ("GITHUB_API_URL", "ftp://github.example.com", "https://"),
            ("GITHUB_API_URL", "api.github.com", "not a URL"),
            (
                "GITHUB_API_URL",
                "https://user:pw@github.example.com",
                "no credentials",
            ),
            ("GITHUB_API_URL", "https://api.github.com/?x=1", "query"),
        ] {
            let mut vars = base.to_vec();
            vars.retain(|(name, _)| *name != variable);
            vars.extend([(variable, value), ("GITHUB_TOKEN", TOKEN)]);
            let text = from(&vars).expect_err(value).to_string();
            assert!(
                text.starts_with(variable) && text.contains(expected),
                "{value}: {text}"
            );
        }
        let local = from(&[
            base[0],
            base[1],
            ("GITHUB_API_URL", "http://127.0.0.1:8080/api/v3"),
            ("GITHUB_TOKEN", TOKEN),
        ])
        .expect("plain http to this machine is allowed");
        assert_eq!(local.api_url.as_str(), "http://127.0.0.1:8080/api/v3");
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_without_being_quoted() {
        let (_dir, path) = event_file(&pull_request_event(1, "a/b", "a/b"));
        let token = "ghs_first\nghs_second";
        let error = from(&[
            ("GITHUB_EVENT_PATH", &path),
            ("GITHUB_REPOSITORY", "a/b"),
            ("GITHUB_TOKEN", token),
        ])
        .expect_err("two lines");
        let text = error.to_string();
        assert!(text.starts_with("GITHUB_TOKEN holds"), "{text}");
        assert!(
            !text.contains("ghs_first") && !text.contains("ghs_second"),
            "{text}"
        );
    }
}

//! The sticky PR comment against fake-github over real HTTP: create → update → unchanged with never a
//! duplicate, pagination, duplicate clean-up, GitHub's errors explained, safe retries, a token that is never
//! printed, time limits, bodies cut to GitHub's limit, and GitHub Enterprise's path prefix.

use std::collections::HashMap;
use std::time::Duration;

use fake_github::{FakeGitHub, Fault, Operation, StoredComment};
use reqwest::Url;
use twgate::github::{
    CommentError, CommentOutcome, MARKER, PullRequest, SyncOptions, sync_comment_with,
};
use twgate::twilio::Secret;

/// The workflow token: must never appear in any error.
const TOKEN: &str = "ghs_N3verPrintThisT0ken000000000000000001";
const BOT: &str = "github-actions[bot]";
const REPO: &str = "acme/site";
const NUMBER: u64 = 7;

async fn fake(prefix: &str) -> FakeGitHub {
    let fake = FakeGitHub::start(([127, 0, 0, 1], 0).into(), prefix)
        .await
        .expect("start fake-github");
    fake.allow_token(TOKEN, BOT);
    fake.add_pull_request(REPO, NUMBER);
    fake
}

fn pull_request(fake: &FakeGitHub) -> PullRequest {
    pull_request_at(&fake.api_url())
}

/// The test pull request, reached through the API at `api_url`.
fn pull_request_at(api_url: &str) -> PullRequest {
    PullRequest {
        api_url: Url::parse(api_url).expect("api url"),
        owner: "acme".to_owned(),
        repo: "site".to_owned(),
        number: NUMBER,
        token: Secret::new(TOKEN),
        from_fork: false,
    }
}

/// Short waits, so retries do not slow the suite.
fn fast() -> SyncOptions {
    SyncOptions {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff: Duration::from_millis(10),
    }
}

async fn sync(
    pr: &PullRequest,
    body: &str,
    worth_creating: bool,
) -> Result<CommentOutcome, CommentError> {
    sync_comment_with(pr, body, worth_creating, &fast()).await
}

/// twgate's comments on the test pull request, oldest first.
fn ours(fake: &FakeGitHub) -> Vec<StoredComment> {
    fake.comments(REPO, NUMBER)
        .into_iter()
        .filter(|comment| comment.body.starts_with(MARKER))
        .collect()
}

fn count(fake: &FakeGitHub, method: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|request| request.method == method)
        .count()
}

fn expect_posted(outcome: CommentOutcome) -> (&'static str, twgate::github::Posted) {
    match outcome {
        CommentOutcome::Created(posted) => ("created", posted),
        CommentOutcome::Updated(posted) => ("updated", posted),
        CommentOutcome::Unchanged(posted) => ("unchanged", posted),
        CommentOutcome::NotNeeded => panic!("expected a comment, got NotNeeded"),
    }
}

#[tokio::test]
async fn create_then_update_then_unchanged_and_never_a_duplicate() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    fake.add_comment(REPO, NUMBER, "alice", "Looks good to me");

    let (what, created) =
        expect_posted(sync(&pr, "## 2 new exposures", true).await.expect("create"));
    assert_eq!(what, "created");
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!(ours(&fake)[0].body, format!("{MARKER}\n## 2 new exposures"));
    assert_eq!(ours(&fake)[0].login, BOT);
    assert!(
        created
            .url
            .ends_with(&format!("/acme/site/pull/7#issuecomment-{}", created.id)),
        "{}",
        created.url
    );

    let (what, updated) =
        expect_posted(sync(&pr, "## 1 new exposure", true).await.expect("update"));
    assert_eq!((what, updated.id), ("updated", created.id));
    assert_eq!(ours(&fake)[0].body, format!("{MARKER}\n## 1 new exposure"));

    let writes_before = count(&fake, "POST") + count(&fake, "PATCH");
    for worth_creating in [true, false] {
        let (what, unchanged) = expect_posted(
            sync(&pr, "## 1 new exposure", worth_creating)
                .await
                .expect("same"),
        );
        assert_eq!(
            (what, unchanged.id, unchanged.duplicates_deleted),
            ("unchanged", created.id, 0)
        );
    }
    assert_eq!(
        count(&fake, "POST") + count(&fake, "PATCH"),
        writes_before,
        "an unchanged body is not sent"
    );
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!(count(&fake, "POST"), 1);
    assert_eq!(
        fake.comments(REPO, NUMBER).len(),
        2,
        "other people's comments are left alone"
    );
    assert!(
        fake.requests()
            .iter()
            .all(|request| request.auth_scheme == "bearer")
    );
}

#[tokio::test]
async fn nothing_to_say_creates_nothing_but_an_earlier_comment_is_still_kept_current() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    assert_eq!(
        sync(&pr, "all clear", false).await.expect("not needed"),
        CommentOutcome::NotNeeded
    );
    assert_eq!((count(&fake, "POST"), ours(&fake).len()), (0, 0));

    sync(&pr, "1 new exposure", true).await.expect("create");
    let (what, _) = expect_posted(
        sync(&pr, "all clear: the exposure was fixed", false)
            .await
            .expect("update"),
    );
    assert_eq!(what, "updated");
    assert_eq!(
        ours(&fake)[0].body,
        format!("{MARKER}\nall clear: the exposure was fixed")
    );
}

#[tokio::test]
async fn the_marker_on_page_3_of_3_is_found_and_not_created_again() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    for n in 0..230 {
        fake.add_comment(REPO, NUMBER, "alice", &format!("comment {n}"));
    }
    let earlier = fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nold report"));
    let (what, updated) = expect_posted(sync(&pr, "new report", true).await.expect("update"));
    assert_eq!((what, updated.id), ("updated", earlier.id));
    assert_eq!(count(&fake, "POST"), 0);
    let pages: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|request| request.method == "GET")
        .map(|request| request.query)
        .collect();
    assert_eq!(
        pages,
        ["per_page=100", "per_page=100&page=2", "per_page=100&page=3"]
    );
    assert_eq!(ours(&fake).len(), 1);
}

#[tokio::test]
async fn duplicates_are_deleted_and_the_oldest_is_kept() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    let oldest = fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nreport"));
    fake.add_comment(
        REPO,
        NUMBER,
        "alice",
        "> <!-- twgate:pr-comment -->\n> quoting is not a duplicate",
    );
    fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nreport"));
    fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nolder report"));

    let (what, kept) = expect_posted(sync(&pr, "report", true).await.expect("dedupe"));
    assert_eq!(
        (what, kept.id, kept.duplicates_deleted),
        ("unchanged", oldest.id, 2)
    );
    assert_eq!(
        ours(&fake).iter().map(|c| c.id).collect::<Vec<_>>(),
        [oldest.id]
    );
    assert_eq!(fake.comments(REPO, NUMBER).len(), 2, "alice's quote stays");
    assert_eq!(count(&fake, "DELETE"), 2);
}

#[tokio::test]
async fn a_403_names_the_missing_permission_or_the_fork_pattern() {
    let fake = fake("").await;
    let mut pr = pull_request(&fake);
    fake.fail_next(Operation::Create, Fault::Forbidden);
    let error = sync(&pr, "report", true).await.expect_err("403");
    assert!(matches!(error, CommentError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("HTTP 403: Resource not accessible by integration"),
        "{text}"
    );
    assert!(
        text.contains("`permissions: pull-requests: write`"),
        "{text}"
    );

    pr.from_fork = true;
    fake.fail_next(Operation::Create, Fault::Forbidden);
    let text = sync(&pr, "report", true)
        .await
        .expect_err("403")
        .to_string();
    assert!(
        text.contains("comes from a fork") && text.contains("`pull_request_target`"),
        "{text}"
    );
    assert_eq!(ours(&fake).len(), 0);
    assert_eq!(count(&fake, "POST"), 2, "a 403 is not retried");
}

#[tokio::test]
async fn a_422_and_a_404_are_explained() {
    let fake = fake("").await;
    let mut pr = pull_request(&fake);
    fake.fail_next(Operation::Create, Fault::Validation);
    let error = sync(&pr, "report", true).await.expect_err("422");
    assert!(
        matches!(error, CommentError::Validation { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("(HTTP 422: Validation Failed: body is invalid)"),
        "{text}"
    );
    assert!(text.contains("please report"), "{text}");

    pr.number = 99;
    let error = sync(&pr, "report", true).await.expect_err("404");
    assert!(matches!(error, CommentError::NotFound { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("list the comments of acme/site#99"), "{text}");
    assert!(
        text.contains("GITHUB_REPOSITORY") && text.contains(&fake.api_url()),
        "{text}"
    );
}

#[tokio::test]
async fn rate_limits_are_recognised_and_say_how_long_to_wait() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    fake.fail_next(Operation::List, Fault::RateLimit);
    let error = sync(&pr, "report", true).await.expect_err("primary limit");
    let CommentError::RateLimited {
        status, resets_in, ..
    } = &error
    else {
        panic!("expected a rate limit, got {error:?}");
    };
    assert_eq!(*status, 403);
    assert!(
        resets_in.is_some_and(|seconds| (1700..=1800).contains(&seconds)),
        "{resets_in:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("API rate limit exceeded") && text.contains("resets in 30 min"),
        "{text}"
    );

    fake.fail_next(Operation::Create, Fault::SecondaryRateLimit);
    let error = sync(&pr, "report", true)
        .await
        .expect_err("secondary limit");
    assert!(
        matches!(
            error,
            CommentError::RateLimited {
                status: 429,
                retry_after: Some(60),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("GitHub asks to wait 60 s"),
        "{error}"
    );
    assert_eq!(
        count(&fake, "GET") + count(&fake, "POST"),
        3,
        "rate limits are not retried at once"
    );
    assert_eq!(ours(&fake).len(), 0);
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_posted_twice() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    fake.fail_next(Operation::Create, Fault::BadGatewayAfterCommit);
    let (what, created) = expect_posted(sync(&pr, "report", true).await.expect("recovered"));
    assert_eq!(what, "created");
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!(ours(&fake)[0].id, created.id);
    assert_eq!(
        (count(&fake, "POST"), count(&fake, "GET")),
        (1, 2),
        "looked again instead of posting again"
    );
}

#[tokio::test]
async fn a_create_that_was_not_stored_is_posted_again_once() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    fake.fail_next(Operation::Create, Fault::BadGateway);
    let (what, _) = expect_posted(sync(&pr, "report", true).await.expect("second post"));
    assert_eq!(what, "created");
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!((count(&fake, "POST"), count(&fake, "GET")), (2, 2));
}

#[tokio::test]
async fn with_retries_spent_the_next_run_still_finds_the_stored_comment() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    let no_retries = SyncOptions {
        max_retries: 0,
        ..fast()
    };
    fake.fail_next(Operation::Create, Fault::BadGatewayAfterCommit);
    let error = sync_comment_with(&pr, "report", true, &no_retries)
        .await
        .expect_err("502");
    assert!(
        matches!(error, CommentError::Status { status: 502, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("re-run the job later"),
        "{error}"
    );
    let (what, _) = expect_posted(sync(&pr, "report", true).await.expect("next run"));
    assert_eq!(what, "unchanged");
    assert_eq!(ours(&fake).len(), 1);
}

#[tokio::test]
async fn transient_failures_of_reads_updates_and_deletes_are_retried_until_spent() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nold"));
    fake.add_comment(REPO, NUMBER, BOT, &format!("{MARKER}\nold"));
    fake.fail_next(Operation::List, Fault::BadGateway);
    fake.fail_next(Operation::Update, Fault::BadGatewayAfterCommit);
    fake.fail_next(Operation::Delete, Fault::BadGatewayAfterCommit);
    let (what, posted) = expect_posted(sync(&pr, "new", true).await.expect("retried"));
    assert_eq!((what, posted.duplicates_deleted), ("updated", 1));
    assert_eq!(ours(&fake).len(), 1);
    assert_eq!(ours(&fake)[0].body, format!("{MARKER}\nnew"));

    for _ in 0..3 {
        fake.fail_next(Operation::List, Fault::BadGateway);
    }
    let error = sync(&pr, "newer", true).await.expect_err("retries spent");
    assert!(
        error.to_string().contains("HTTP 502 (Server Error)"),
        "{error}"
    );
    assert!(error.to_string().contains("(after 3 attempts)"), "{error}");
}

#[tokio::test]
async fn the_token_never_appears_in_any_error_even_when_github_echoes_it() {
    let fake = fake("").await;
    fake.echo_authorization_in_errors(true);
    let pr = pull_request(&fake);
    let faults = [
        (Operation::Create, Fault::Forbidden),
        (Operation::Create, Fault::Validation),
        (Operation::List, Fault::RateLimit),
        (Operation::Create, Fault::SecondaryRateLimit),
    ];
    let mut errors = Vec::new();
    for (operation, fault) in faults {
        fake.fail_next(operation, fault);
        errors.push(sync(&pr, "report", true).await.expect_err("fault"));
    }
    for _ in 0..3 {
        fake.fail_next(Operation::List, Fault::BadGateway);
    }
    errors.push(sync(&pr, "report", true).await.expect_err("502"));
    let wrong = PullRequest {
        token: Secret::new("ghs_WrongT0kenAlsoNeverPrinted0000000002"),
        ..pr.clone()
    };
    let unauthorized = sync(&wrong, "report", true).await.expect_err("401");
    assert!(
        unauthorized
            .to_string()
            .contains("HTTP 401: Bad credentials"),
        "{unauthorized}"
    );
    errors.push(unauthorized);

    for error in &errors {
        let shown = format!("{error} / {error:?}");
        assert!(
            shown.contains("you sent Authorization: Bearer ***"),
            "the fake echoed the header: {shown}"
        );
        assert!(
            !shown.contains("N3verPrint") && !shown.contains("WrongT0ken"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_request_without_an_answer_times_out() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    let impatient = SyncOptions {
        timeout: Duration::from_millis(200),
        max_retries: 0,
        ..fast()
    };
    fake.fail_next(Operation::List, Fault::Delay(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    let error = sync_comment_with(&pr, "report", true, &impatient)
        .await
        .expect_err("time-out");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, CommentError::Network { .. }), "{error:?}");
    assert!(
        error.to_string().contains("no answer within 0.2 s"),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_cut_to_githubs_limit_and_accepted() {
    let fake = fake("").await;
    let pr = pull_request(&fake);
    let body = "| /exports/customers.csv | production | denied |\n".repeat(2_000);
    let (what, posted) = expect_posted(sync(&pr, &body, true).await.expect("cut, then accepted"));
    assert_eq!(what, "created");
    assert!(posted.truncated);
    let stored = &ours(&fake)[0].body;
    assert!(
        stored.chars().count() <= fake_github::MAX_BODY_CHARS,
        "{}",
        stored.chars().count()
    );
    assert!(stored.contains("cut this comment at GitHub's 65,536-character limit"));
    let (what, again) = expect_posted(sync(&pr, &body, true).await.expect("same cut"));
    assert_eq!((what, again.truncated), ("unchanged", true));
}

#[tokio::test]
async fn github_enterprise_with_a_path_prefix_works_from_the_actions_environment() {
    let fake = fake("/api/v3").await;
    for n in 0..150 {
        fake.add_comment(REPO, NUMBER, "alice", &format!("comment {n}"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"opened","number":7,"pull_request":{"number":7,
            "head":{"repo":{"full_name":"acme/site"}},"base":{"repo":{"full_name":"acme/site"}}}}"#,
    )
    .expect("write event");
    let vars: HashMap<&str, String> = HashMap::from([
        ("GITHUB_EVENT_PATH", event.to_string_lossy().into_owned()),
        ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
        ("GITHUB_REPOSITORY", REPO.to_owned()),
        ("GITHUB_API_URL", format!("{}/", fake.api_url())),
        ("GITHUB_TOKEN", TOKEN.to_owned()),
    ]);
    let pr = PullRequest::from_env(|name| vars.get(name).cloned()).expect("pull request");
    assert!(fake.api_url().ends_with("/api/v3"));

    let (what, _) = expect_posted(sync(&pr, "report", true).await.expect("create"));
    assert_eq!(what, "created");
    let (what, _) = expect_posted(sync(&pr, "report", true).await.expect("found on page 2"));
    assert_eq!(what, "unchanged");
    let requests = fake.requests();
    assert!(
        requests
            .iter()
            .all(|request| request.path.starts_with("/api/v3/repos/acme/site/")),
        "{requests:?}"
    );
    assert!(
        requests.iter().all(|request| request.status < 300),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|request| request.query == "per_page=100&page=2")
    );
    assert_eq!(ours(&fake).len(), 1);
}

#[tokio::test]
async fn an_unreachable_api_is_a_network_error_after_retries() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api_url = format!("http://{}/api/v3", closed.local_addr().expect("addr"));
    drop(closed);
    let pr = pull_request_at(&api_url);
    let error = sync(&pr, "report", true)
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(error, CommentError::Network { attempts: 3, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "could not reach GitHub at {api_url} to list the comments"
        )),
        "{text}"
    );
    assert!(
        text.contains("(after 3 attempts)") && text.contains("HTTPS_PROXY"),
        "{text}"
    );
}

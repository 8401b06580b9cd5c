//! `--github-comment` end to end: the CLI, in a simulated pull-request job, keeps one comment current on a
//! fake GitHub REST API; a comment that cannot be posted is a warning that never changes the exit code.

mod common;

use std::path::Path;

use common::twgate;
use fake_github::{FakeGitHub, Fault, Operation};

const TOKEN: &str = "ghs_CliTestT0kenNeverPrinted0000000000001";
const REPO: &str = "acme/site";
const NUMBER: u64 = 12;

/// fake-github on its own runtime, alive as long as this value.
struct GitHub {
    server: FakeGitHub,
    _runtime: tokio::runtime::Runtime,
}

impl GitHub {
    fn start() -> GitHub {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(FakeGitHub::start(([127, 0, 0, 1], 0).into(), ""))
            .expect("start fake-github");
        server.allow_token(TOKEN, "github-actions[bot]");
        server.add_pull_request(REPO, NUMBER);
        GitHub {
            server,
            _runtime: runtime,
        }
    }

    fn comments(&self) -> Vec<String> {
        self.server
            .comments(REPO, NUMBER)
            .into_iter()
            .map(|comment| comment.body)
            .collect()
    }
}

/// Runs `twgate ARGS --github-comment` as a pull_request job would, with the job summary in `dir`.
fn run_in_pull_request(dir: &Path, github: &GitHub, args: &[&str]) -> common::Run {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        format!(
            r#"{{"pull_request": {{"number": {NUMBER}, "head": {{"repo": {{"full_name": "{REPO}"}}}}, "base": {{"repo": {{"full_name": "{REPO}"}}}}}}}}"#
        ),
    )
    .expect("write event");
    let summary = dir.join("summary.md");
    let api_url = github.server.api_url();
    let mut all_args = args.to_vec();
    all_args.push("--github-comment");
    twgate(
        dir,
        &all_args,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.to_str().expect("utf-8")),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_API_URL", &api_url),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8")),
        ],
    )
}

/// Baselines every demo violation, then runs the demo in the pull request with `--fail-on new`.
fn run_with_everything_baselined(dir: &Path, github: &GitHub) -> common::Run {
    let create = twgate(dir, &["baseline", "create", "--demo"], &[]);
    assert_eq!(create.code, 0, "{}", create.stderr);
    run_in_pull_request(
        dir,
        github,
        &[
            "demo",
            "--baseline",
            "twgate-baseline.json",
            "--fail-on",
            "new",
        ],
    )
}

#[test]
fn the_comment_is_created_updated_left_alone_and_never_duplicated() {
    let github = GitHub::start();
    let dir = tempfile::tempdir().expect("tempdir");

    let run = run_in_pull_request(dir.path(), &github, &["demo"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("created the pull request comment"),
        "{}",
        run.stderr
    );
    let comments = github.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].contains("5 exposures failing the gate"),
        "{}",
        comments[0]
    );

    let run = run_in_pull_request(dir.path(), &github, &["demo"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("already up to date"), "{}", run.stderr);
    assert_eq!(github.comments(), comments);

    let run = run_with_everything_baselined(dir.path(), &github);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("updated the pull request comment"),
        "{}",
        run.stderr
    );
    let comments = github.comments();
    assert_eq!(
        comments.len(),
        1,
        "updated in place, never a second comment"
    );
    assert!(
        comments[0].contains("twgate: no new exposures"),
        "{}",
        comments[0]
    );
    assert!(!run.all_output().contains(TOKEN));
}

#[test]
fn nothing_new_and_no_earlier_comment_posts_nothing() {
    let github = GitHub::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_with_everything_baselined(dir.path(), &github);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(github.comments().is_empty(), "{:?}", github.comments());
}

#[test]
fn a_forbidden_comment_is_a_warning_with_the_fix_and_falls_back_to_the_job_summary() {
    let github = GitHub::start();
    github.server.fail_next(Operation::Create, Fault::Forbidden);
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_in_pull_request(dir.path(), &github, &["demo"]);
    assert_eq!(run.code, 1, "the exit code is the audit's: {}", run.stderr);
    assert!(
        run.stderr
            .contains("twgate: warning: the PR comment was not updated"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pull-requests: write"),
        "{}",
        run.stderr
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(summary.starts_with("## twgate: 5 exposures failing the gate"));
    assert!(
        summary.contains(
            "The pull request comment was not updated, so this job summary is the report"
        ),
        "{summary}"
    );
    assert!(!run.all_output().contains(TOKEN));
    assert!(!summary.contains(TOKEN));
}

#[test]
fn outside_a_pull_request_the_flag_is_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let event = dir.path().join("push.json");
    std::fs::write(&event, r#"{"ref": "refs/heads/main"}"#).expect("write");
    let run = twgate(
        dir.path(),
        &["demo", "--github-comment"],
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", event.to_str().expect("utf-8")),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_TOKEN", TOKEN),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("twgate: note: no PR comment"),
        "{}",
        run.stderr
    );
}

//! The commands, wired end to end: choose the policy, read the inventory, build the report, render it,
//! write it. Returns the report or a typed error; the exit code is decided in `exit`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::baseline::{Baseline, render_baseline_file};
use crate::cli::{AuditArgs, DemoArgs, Format, ReportArgs, ScopeArgs, SnapshotArgs};
use crate::github::actions::{append_outputs, append_step_summary};
use crate::github::{CommentError, PullRequest, sync_comment};
use crate::output::{check_writable, resolve_file, write_atomically, write_atomically_with};
use crate::policy::init::starting_policy;
use crate::policy::{Date, Policy, PolicyError, PolicySource};
use crate::report::{self, Report};
use crate::text::{counted, plural};
use crate::twilio::collect::CollectError;
use crate::twilio::config::api_base_url;
use crate::twilio::{ApiError, Client, ClientOptions, ConfigError, Credentials, Filters, collect};

/// The policy file twgate looks for in the working directory.
pub const DEFAULT_POLICY_FILE: &str = "twgate.yaml";

/// The example policy, which the demo uses unless `--policy` is given.
pub const EXAMPLE_POLICY_YAML: &str = include_str!("../policy.example.yaml");

/// Why a command could not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The policy file is missing, unreadable or invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Credentials or API location are missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The `--baseline` file is missing or invalid.
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    /// A `--service` or `--environment` filter matched nothing.
    #[error("{0}")]
    Filter(CollectError),
    /// `policy validate` without a file, and no `twgate.yaml` here.
    #[error(
        "no policy file given and no {DEFAULT_POLICY_FILE} in this directory: pass the file to check"
    )]
    NoPolicyFile,
    /// The report could not be written.
    #[error("cannot write the report to {path}: {source}")]
    Output {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Client(#[from] ApiError),
    /// The demo's in-process fake Twilio could not start.
    #[error("cannot start the demo's fake Twilio server: {0}")]
    Demo(std::io::Error),
    /// Two outputs name one file, or an output would replace an input.
    #[error("{} is named twice ({first} and {second}): each report needs its own file, and no report may replace the policy or the baseline", path.display())]
    SameFile {
        /// The file.
        path: PathBuf,
        /// What names it first.
        first: String,
        /// What names it again.
        second: String,
    },
    /// `baseline create` or `policy init` would replace an existing file.
    #[error("{} already exists: pass --force to replace it, or --output to write another file", .0.display())]
    Exists(PathBuf),
    /// `baseline create` or `policy init` read only part of the account, so it wrote nothing.
    #[error("the audit is incomplete, so nothing was written: {0}")]
    Incomplete(String),
}

/// The default file of `twgate baseline create`.
pub const DEFAULT_BASELINE_FILE: &str = "twgate-baseline.json";

/// Where the inventory comes from.
enum Source {
    /// A live account.
    Live {
        credentials: Credentials,
        base_url: reqwest::Url,
    },
    /// The built-in demo account, served by an in-process fake Twilio.
    Demo,
}

/// `twgate audit`: reads the live account named by the environment, judges it and reports it.
pub async fn audit(
    args: &AuditArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Report, AppError> {
    audit_and_report(
        &args.scope,
        &args.report,
        false,
        args.api_url.as_deref(),
        env,
    )
    .await
}

/// `twgate demo`: the same audit, against a fake Twilio serving the built-in demo account.
pub async fn demo(
    args: &DemoArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Report, AppError> {
    audit_and_report(&args.scope, &args.report, true, None, env).await
}

/// Audits the live account (or the demo one), then publishes every requested report.
async fn audit_and_report(
    scope: &ScopeArgs,
    report_args: &ReportArgs,
    demo: bool,
    api_url: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Report, AppError> {
    let result = async {
        let (policy, source) = policy_and_source(scope, demo, api_url, &env)?;
        let report = judge(scope, report_args, policy, source).await?;
        if let Err(error) = publish(&report, report_args, &env).await {
            if let Some(reason) = &report.error {
                eprintln!("twgate: error: the audit is incomplete: {reason}");
            }
            return Err(error);
        }
        Ok(report)
    }
    .await;
    summarize_failure(result, &env)
}

/// `twgate baseline create`: writes a baseline accepting every current violation. Returns the file written.
pub async fn create_baseline(
    args: &SnapshotArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(PathBuf, Report), AppError> {
    snapshot(args, env, DEFAULT_BASELINE_FILE, |report, today| {
        render_baseline_file(report, today)
    })
    .await
}

/// `twgate policy init`: writes a policy allowing what is public today. Returns the file written.
pub async fn init_policy(
    args: &SnapshotArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(PathBuf, Report), AppError> {
    snapshot(args, env, DEFAULT_POLICY_FILE, starting_policy).await
}

/// `twgate policy validate`: loads the policy and describes it.
pub fn validate_policy(file: Option<&Path>) -> Result<String, AppError> {
    let path = match file {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_POLICY_FILE).exists() => PathBuf::from(DEFAULT_POLICY_FILE),
        None => return Err(AppError::NoPolicyFile),
    };
    let policy = Policy::load(&path)?;
    let mut text = format!(
        "{}: valid policy ({} allow {}, {} deny {}, protected routes {} an allow rule)\n",
        path.display(),
        policy.allow.len(),
        plural(policy.allow.len(), "rule", "rules"),
        policy.deny.len(),
        plural(policy.deny.len(), "rule", "rules"),
        if policy.protected_requires_allow {
            "need"
        } else {
            "do not need"
        },
    );
    for rule in policy.expired_rules(Date::today()) {
        text.push_str(&format!(
            "{}:{}: note: {} expired on {} and no longer allows anything\n",
            path.display(),
            rule.at,
            rule.id(),
            rule.expires.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    Ok(text)
}

/// Fails before any request when a report could not be written to `path` (its directory is missing or
/// not writable, it is a directory), so a long audit is not wasted.
fn check_output_directory(path: &Path) -> Result<(), AppError> {
    check_writable(path).map_err(|source| AppError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// `--policy FILE`, else `twgate.yaml` here, else `fallback` (the demo's example) or the built-in default.
fn choose_policy(
    explicit: Option<&Path>,
    fallback: Option<(&str, &'static str)>,
) -> Result<Policy, AppError> {
    if let Some(path) = explicit {
        return Ok(Policy::load(path)?);
    }
    if let Some((text, name)) = fallback {
        return Ok(Policy::from_yaml(text, PolicySource::Builtin(name))?);
    }
    let local = Path::new(DEFAULT_POLICY_FILE);
    if local.exists() {
        return Ok(Policy::load(local)?);
    }
    Ok(Policy::builtin_default())
}

/// Refuses a file named by two outputs, or an output that would replace the policy or the baseline read.
fn check_distinct_files(policy: &Policy, args: &ReportArgs) -> Result<(), AppError> {
    let mut named: Vec<(PathBuf, String)> = Vec::new();
    if let PolicySource::File(path) = &policy.source {
        named.push((resolve_file(path), "--policy".to_string()));
    }
    if let Some(path) = &args.baseline {
        named.push((resolve_file(path), "--baseline".to_string()));
    }
    for (_, path, flag) in args.files() {
        let flag = flag.to_string();
        let identity = resolve_file(path);
        if let Some((_, first)) = named.iter().find(|(seen, _)| *seen == identity) {
            return Err(AppError::SameFile {
                path: path.to_path_buf(),
                first: first.clone(),
                second: flag,
            });
        }
        named.push((identity, flag));
    }
    Ok(())
}

/// Audits the account of `args` and writes `render(report, today)` to the output file, refusing to replace
/// an existing file without `--force` and writing nothing when the audit is incomplete.
async fn snapshot(
    args: &SnapshotArgs,
    env: impl Fn(&str) -> Option<String>,
    default_file: &str,
    render: impl Fn(&Report, Date) -> String,
) -> Result<(PathBuf, Report), AppError> {
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_file));
    check_output_directory(&path)?;
    if path.exists() && !args.force {
        return Err(AppError::Exists(path));
    }
    let (policy, source) =
        policy_and_source(&args.scope, args.demo, args.api_url.as_deref(), &env)?;
    let report = judge(&args.scope, &ReportArgs::default(), policy, source).await?;
    if let Some(error) = &report.error {
        return Err(AppError::Incomplete(error.clone()));
    }
    write_atomically(&path, render(&report, Date::today()).as_bytes()).map_err(|source| {
        AppError::Output {
            path: path.clone(),
            source,
        }
    })?;
    Ok((path, report))
}

/// The policy and the account to audit: the demo account with the example policy as its default, or the
/// live account named by the environment, at the API location the flags and environment give.
fn policy_and_source(
    scope: &ScopeArgs,
    demo: bool,
    api_url: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(Policy, Source), AppError> {
    if demo {
        let example = (EXAMPLE_POLICY_YAML, "policy.example.yaml (built-in copy)");
        return Ok((
            choose_policy(scope.policy.as_deref(), Some(example))?,
            Source::Demo,
        ));
    }
    let policy = choose_policy(scope.policy.as_deref(), None)?;
    let credentials = Credentials::from_env(env)?;
    let base_url = api_base_url(
        api_url,
        env("TWILIO_REGION").as_deref(),
        env("TWILIO_EDGE").as_deref(),
    )?;
    Ok((
        policy,
        Source::Live {
            credentials,
            base_url,
        },
    ))
}

/// Checks every input and output path, reads the inventory, and builds the report (with the baseline's
/// comparison and `--fail-on`). Nothing is written yet.
async fn judge(
    scope: &ScopeArgs,
    report_args: &ReportArgs,
    policy: Policy,
    source: Source,
) -> Result<Report, AppError> {
    crate::logging::init(scope.verbose);
    for path in report_args.files().map(|(_, path, _)| path) {
        check_output_directory(path)?;
    }
    check_distinct_files(&policy, report_args)?;
    let baseline = report_args
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()?;
    let filters = Filters {
        services: scope.services.clone(),
        environments: scope.environments.clone(),
    };
    let (collected, api) = match source {
        Source::Live {
            credentials,
            base_url,
        } => read_account(scope, credentials, base_url, &filters).await?,
        Source::Demo => {
            let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let server = fake_twilio::FakeTwilio::start(fake_twilio::demo::world(), loopback)
                .await
                .map_err(AppError::Demo)?;
            eprintln!(
                "twgate demo: auditing the demo account \"Acme Health\" served by an in-process fake Twilio at {}",
                server.base_url()
            );
            let credentials = Credentials {
                account_sid: fake_twilio::demo::ACCOUNT_SID.to_string(),
                username: fake_twilio::demo::ACCOUNT_SID.to_string(),
                secret: crate::twilio::Secret::new(fake_twilio::demo::AUTH_TOKEN),
            };
            let base_url = api_base_url(Some(&server.base_url()), None, None)?;
            let collected = read_account(scope, credentials, base_url, &filters).await;
            server.shutdown().await;
            collected?
        }
    };
    let error = match collected.error {
        Some(error @ (CollectError::UnknownService(_) | CollectError::UnknownEnvironment(_))) => {
            return Err(AppError::Filter(error));
        }
        other => other.map(|error| error.to_string()),
    };
    let mut report = Report::build(collected.inventory, &policy, Date::today(), error);
    report.summary.api_requests = Some(api.requests);
    report.summary.api_retries = Some(api.retries);
    report.fail_on = report_args.fail_on;
    if let Some(baseline) = &baseline {
        report.compare_with(baseline);
    }
    Ok(report)
}

/// How many API requests an audit made.
struct ApiCounts {
    /// Requests answered and used (retries not counted).
    requests: u64,
    /// Retries after transient failures.
    retries: u64,
}

/// Reads the account through a client bound by the scope's limits; returns what was read and how many
/// API requests it took.
async fn read_account(
    scope: &ScopeArgs,
    credentials: Credentials,
    base_url: reqwest::Url,
    filters: &Filters,
) -> Result<(collect::Collected, ApiCounts), AppError> {
    let account_sid = credentials.account_sid.clone();
    let client = Arc::new(Client::new(ClientOptions {
        base_url,
        credentials,
        concurrency: usize::from(scope.concurrency),
        timeout: Duration::from_secs(scope.timeout),
        max_retries: scope.max_retries,
    })?);
    let collected = collect(client.clone(), &account_sid, filters).await;
    let counts = ApiCounts {
        requests: client.request_count(),
        retries: client.retry_count(),
    };
    tracing::info!(
        "{} API requests answered, {}",
        counts.requests,
        counted(counts.retries as usize, "retry", "retries")
    );
    Ok((collected, counts))
}

/// Renders every requested report, then writes them: the --format report to standard output or
/// --output, the side files atomically, in GitHub Actions the job summary and step outputs, and with
/// `--github-comment` the pull request's comment.
async fn publish(
    report: &Report,
    args: &ReportArgs,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), AppError> {
    for (format, path, _) in args.files() {
        write_atomically_with(path, |out| render_into(report, format, out)).map_err(|source| {
            AppError::Output {
                path: path.to_path_buf(),
                source,
            }
        })?;
        eprintln!(
            "twgate: wrote {} ({} routes, {} violations{})",
            path.display(),
            report.summary.routes,
            report.summary.violations,
            if report.complete { "" } else { ", INCOMPLETE" }
        );
    }
    if args.output.is_none() {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        render_into(report, args.format, &mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(|source| AppError::Output {
                path: PathBuf::from("standard output"),
                source,
            })?;
    }
    let step_summary = env("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty());
    if let Some(path) = &step_summary {
        append_step_summary(Path::new(path), &report::markdown::render(report));
    }
    if args.github_comment
        && let Err(warning) = comment_on_pull_request(report, env).await
    {
        eprintln!("twgate: warning: the PR comment was not updated: {warning}");
        if let Some(path) = &step_summary {
            append_step_summary(
                Path::new(path),
                &format!(
                    "> [!WARNING]\n> The pull request comment was not updated, so this job summary is the report: {}\n",
                    report::markdown::escape(&warning.to_string())
                ),
            );
        }
    }
    if let Some(path) = env("GITHUB_OUTPUT").filter(|path| !path.is_empty()) {
        append_outputs(
            Path::new(&path),
            &[
                ("complete", report.complete.to_string()),
                ("violations", report.summary.violations.to_string()),
                ("new-violations", report.summary.new_violations.to_string()),
            ],
        );
    }
    Ok(())
}

/// Keeps the pull request's twgate comment current: updates it whenever it exists, creates it only when
/// there is something to say (new or resolved exposures, or an incomplete audit). Not being in a pull
/// request is a note, not a failure.
async fn comment_on_pull_request(
    report: &Report,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), CommentError> {
    let pull_request = match PullRequest::from_env(env) {
        Err(note @ CommentError::NotPullRequest { .. }) => {
            eprintln!("twgate: note: no PR comment: {note}");
            return Ok(());
        }
        other => other?,
    };
    let worth_creating =
        report.summary.new_violations > 0 || !report.resolved.is_empty() || !report.complete;
    let outcome = sync_comment(
        &pull_request,
        &report::markdown::render(report),
        worth_creating,
    )
    .await?;
    eprintln!("twgate: {outcome}");
    Ok(())
}

/// Writes `report` in `format` to `out`; the formats with a line per route are streamed.
fn render_into(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => report::table::write(report, out),
        Format::Json => report::json::write(report, out),
        Format::Csv => report::csv::write(report, out),
        Format::Sarif => report::sarif::write(report, out),
        Format::Junit => report::junit::write(report, out),
        Format::Markdown => out.write_all(report::markdown::render(report).as_bytes()),
        Format::Github => out.write_all(report::github::render(report).as_bytes()),
    }
}

/// In GitHub Actions, a command that stopped before it had a report still says why in the job summary.
fn summarize_failure(
    result: Result<Report, AppError>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Report, AppError> {
    if let (Err(error), Some(path)) = (&result, env("GITHUB_STEP_SUMMARY"))
        && !path.is_empty()
    {
        append_step_summary(
            Path::new(&path),
            &format!(
                "## twgate: the audit did not run\n\n{}\n",
                report::markdown::escape(&error.to_string())
            ),
        );
    }
    result
}

impl ReportArgs {
    /// The files to write, each with its format and the flag that named it: `--output` in `--format`, then
    /// each side file in its own format.
    pub fn files(&self) -> impl Iterator<Item = (Format, &Path, &'static str)> {
        [
            (self.format, &self.output, "--output"),
            (Format::Sarif, &self.sarif, "--sarif"),
            (Format::Json, &self.json, "--json"),
            (Format::Csv, &self.csv, "--csv"),
            (Format::Junit, &self.junit, "--junit"),
            (Format::Markdown, &self.markdown, "--markdown"),
        ]
        .into_iter()
        .filter_map(|(format, path, flag)| path.as_deref().map(|path| (format, path, flag)))
    }
}

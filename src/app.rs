//! The commands, wired end to end: choose the policy, read the inventory, build the report, render it,
//! write it. Returns the report or a typed error; the exit code is decided in `exit`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{AuditArgs, Format, RunArgs};
use crate::output::write_atomically;
use crate::policy::{Date, Policy, PolicyError, PolicySource};
use crate::report::{self, Report};
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
}

/// `twgate audit`: reads the live account named by the environment.
pub async fn audit(
    args: &AuditArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Report, AppError> {
    let policy = choose_policy(args.run.policy.as_deref(), None)?;
    let credentials = Credentials::from_env(&env)?;
    let base_url = api_base_url(
        args.api_url.as_deref(),
        env("TWILIO_REGION").as_deref(),
        env("TWILIO_EDGE").as_deref(),
    )?;
    run(&args.run, policy, credentials, base_url).await
}

/// `twgate demo`: the same audit, against a fake Twilio serving the built-in demo account.
pub async fn demo(args: &RunArgs) -> Result<Report, AppError> {
    let policy = choose_policy(
        args.policy.as_deref(),
        Some((EXAMPLE_POLICY_YAML, "policy.example.yaml (built-in copy)")),
    )?;
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
    let report = run(args, policy, credentials, base_url).await;
    server.shutdown().await;
    report
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
        if policy.allow.len() == 1 {
            "rule"
        } else {
            "rules"
        },
        policy.deny.len(),
        if policy.deny.len() == 1 {
            "rule"
        } else {
            "rules"
        },
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

/// Fails before any request when `--output`'s directory does not exist, so a long audit is not wasted.
fn check_output_directory(path: &Path) -> Result<(), AppError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if directory.is_dir() && !path.is_dir() {
        return Ok(());
    }
    let why = if path.is_dir() {
        "it is a directory"
    } else {
        "its directory does not exist"
    };
    Err(AppError::Output {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, why),
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

async fn run(
    args: &RunArgs,
    policy: Policy,
    credentials: Credentials,
    base_url: reqwest::Url,
) -> Result<Report, AppError> {
    crate::logging::init(args.verbose);
    if let Some(path) = &args.output {
        check_output_directory(path)?;
    }
    let account_sid = credentials.account_sid.clone();
    let client = Arc::new(Client::new(ClientOptions {
        base_url,
        credentials,
        concurrency: usize::from(args.concurrency),
        timeout: Duration::from_secs(args.timeout),
        max_retries: args.max_retries,
    })?);
    let filters = Filters {
        services: args.services.clone(),
        environments: args.environments.clone(),
    };
    let collected = collect(client.clone(), &account_sid, &filters).await;
    let retries = client.retry_count();
    tracing::info!(
        "{} API requests answered, {retries} {}",
        client.request_count(),
        if retries == 1 { "retry" } else { "retries" }
    );
    let error = match collected.error {
        Some(error @ (CollectError::UnknownService(_) | CollectError::UnknownEnvironment(_))) => {
            return Err(AppError::Filter(error));
        }
        other => other.map(|error| error.to_string()),
    };
    let report = Report::build(&collected.inventory, &policy, Date::today(), error);
    let rendered = match args.format {
        Format::Table => report::table::render(&report),
        Format::Json => report::json::render(&report),
        Format::Csv => report::csv::render(&report),
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, rendered.as_bytes()).map_err(|source| AppError::Output {
                path: path.clone(),
                source,
            })?;
            eprintln!(
                "twgate: wrote the report to {} ({} routes, {} violations{})",
                path.display(),
                report.summary.routes,
                report.summary.violations,
                if report.complete { "" } else { ", INCOMPLETE" }
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|source| AppError::Output {
                    path: PathBuf::from("standard output"),
                    source,
                })?;
        }
    }
    Ok(report)
}

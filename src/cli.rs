//! Command-line interface definitions (clap derive): commands, flags, and the help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::FailOn;

const AFTER_HELP: &str = "\
Exit codes:
  0  the audit is complete and nothing violates the policy
  1  the audit is complete and routes violate the policy
  2  bad invocation, or an invalid policy file (every problem listed as file:line:col)
  3  the audit could not be completed (credentials, permission, network, unexpected API answer);
     an incomplete audit never exits 0 or 1

Environment:
  TWILIO_ACCOUNT_SID   the account to audit (AC...)
  TWILIO_AUTH_TOKEN    its auth token, or instead:
  TWILIO_API_KEY       an API key SID (SK...) with
  TWILIO_API_SECRET    its secret
  TWILIO_REGION        e.g. ie1, au1 (selects serverless.{edge}.{region}.twilio.com)
  TWILIO_EDGE          e.g. dublin, sydney
  TWGATE_API_URL       the API base URL, overriding region and edge (same as --api-url)
  GITHUB_STEP_SUMMARY  when set (GitHub Actions), the Markdown summary is appended to this file
  GITHUB_OUTPUT        when set, `complete=true|false`, `violations=N`, `new-violations=N` are appended
  GITHUB_TOKEN, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL
                       used by --github-comment to find the pull request and post to it

Try it without an account: twgate demo";

const DEMO_AFTER_HELP: &str = "\
The demo serves the fictional account \"Acme Health\" (crates/fake-twilio/worlds/demo.yaml) on a free
loopback port and audits it over real HTTP with the same code as `twgate audit`. Its exit codes are audit's:
0 pass, 1 violations, 2 bad invocation or policy, 3 incomplete.";

/// twgate: fail the build when a Twilio Serverless function or asset is public without being allowed.
#[derive(Debug, Parser)]
#[command(name = "twgate", version, after_help = AFTER_HELP, max_term_width = 110)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit what a live Twilio account serves: every environment's current build, against the policy.
    #[command(after_help = AFTER_HELP)]
    Audit(AuditArgs),
    /// Run the audit on a built-in demo account (an in-process fake Twilio; no credentials needed).
    #[command(after_help = DEMO_AFTER_HELP)]
    Demo(DemoArgs),
    /// Work with baselines: exposures accepted for now, so only new ones fail (`--fail-on new`).
    Baseline {
        /// What to do with the baseline.
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Work with policy files.
    Policy {
        /// What to do with the policy.
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

/// Baseline subcommands.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Audit the account and write a baseline accepting every current violation, each with a reason to
    /// review (exit 0 written, 2 bad invocation or file exists, 3 audit incomplete: nothing written).
    Create(SnapshotArgs),
}

/// Policy subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file and list every problem as file:line:col (exit 0 valid, 2 invalid).
    Validate {
        /// The policy file [default: twgate.yaml]
        file: Option<PathBuf>,
    },
    /// Audit the account and write a starting policy that allows what is public today, each rule with a
    /// reason to fill in and an expiry 90 days out (exit 0 written, 2 bad invocation or file exists,
    /// 3 audit incomplete: nothing written).
    Init(SnapshotArgs),
}

/// Flags of `twgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Serverless API base URL; default from TWILIO_REGION/TWILIO_EDGE, else https://serverless.twilio.com.
    #[arg(long, env = "TWGATE_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// What to audit and how.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How to report it.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Flags of `twgate demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// What to audit and how.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// How to report it.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Flags of the commands that write a file from an audit (`baseline create`, `policy init`).
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The file to write [default: twgate-baseline.json for baselines, twgate.yaml for policies].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Audit the built-in demo account instead of a live one: no credentials, and no API URL (--api-url
    /// and TWGATE_API_URL are not used).
    #[arg(long)]
    pub demo: bool,
    /// Serverless API base URL; default from TWILIO_REGION/TWILIO_EDGE, else https://serverless.twilio.com.
    #[arg(long, env = "TWGATE_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// What to audit and how.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

/// What to audit and how: shared by every command that reads an account.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Policy file. Default for audit: twgate.yaml if present, else the built-in policy (public static
    /// web assets only). Default for demo: the built-in copy of policy.example.yaml.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Audit only this service (unique name or ZS SID); repeatable.
    #[arg(long = "service", value_name = "NAME_OR_SID")]
    pub services: Vec<String>,
    /// Audit only this environment (unique name or domain suffix); repeatable.
    #[arg(long = "environment", value_name = "NAME_OR_SUFFIX")]
    pub environments: Vec<String>,
    /// API requests in flight at once (1-100).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub concurrency: u16,
    /// Time limit of one API request, in seconds (1-600).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", allow_negative_numbers = true, value_parser = clap::builder::RangedI64ValueParser::<u64>::new().range(1..=600))]
    pub timeout: u64,
    /// Retries of a request after 429, 5xx, 408, timeouts and dropped connections (0-20). Waits follow
    /// Retry-After (at most 8 s) or back off exponentially with jitter. Apart from 429s that lower the
    /// bound on requests in flight to two or more, the whole audit shares a budget of ten times this many
    /// retries (one back per ten clean answers); once it is spent nothing more is sent, so a failing API
    /// ends the audit instead of stalling it.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub max_retries: u32,
    /// Log to standard error: -v each API request (URL, status, time, size), retry and 429 that lowered
    /// the bound on requests in flight; -vv also each page read and the bound growing back. Never
    /// credentials.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How to report an audit: shared by `audit` and `demo`.
#[derive(Debug, Default, Args)]
pub struct ReportArgs {
    /// Report format for standard output (or --output).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the --format report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a SARIF 2.1.0 report (for GitHub code scanning) to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the CSV report to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Compare with a baseline file (`twgate baseline create`) or an earlier JSON report: each result is
    /// marked new or existing, and fixed exposures are listed as resolved.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which violations make the run exit 1: new (not in the baseline), any, or none. Verdicts are the
    /// same whatever it is.
    #[arg(long, value_enum, default_value_t = FailOn::Any, value_name = "WHICH")]
    pub fail_on: FailOn,
    /// In a GitHub Actions pull request, keep one twgate comment current with the new exposures
    /// (GITHUB_TOKEN needs `pull-requests: write`). A comment that cannot be posted is a warning and never
    /// changes the exit code.
    #[arg(long)]
    pub github_comment: bool,
}

impl Format {
    /// The format's name, as `--format` and the side-file flags spell it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
        }
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Aligned text: one line per exposed route, then counts.
    #[default]
    Table,
    /// Versioned JSON with every live route.
    Json,
    /// One row per route; formula-safe for spreadsheets.
    Csv,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per route.
    Junit,
    /// The Markdown summary used for the job summary and the PR comment.
    Markdown,
    /// GitHub Actions annotations (::error / ::warning workflow commands).
    Github,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn numeric_options_outside_their_range_say_the_range() {
        for (option, value, range) in [
            ("--concurrency", "-1", "1..=100"),
            ("--concurrency", "0", "1..=100"),
            ("--timeout", "-1", "1..=600"),
            ("--timeout", "601", "1..=600"),
            ("--max-retries", "-3", "0..=20"),
            ("--max-retries", "21", "0..=20"),
        ] {
            let error = Cli::try_parse_from(["twgate", "audit", option, value])
                .expect_err(value)
                .to_string();
            assert!(
                error.contains(&format!("{value} is not in {range}")),
                "{option} {value}: {error}"
            );
        }
        let cli =
            Cli::try_parse_from(["twgate", "audit", "--timeout", "600", "--max-retries", "0"]);
        assert!(cli.is_ok(), "the ends of the ranges are allowed");
    }
}

//! Command-line interface definitions (clap derive): commands, flags, and the help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Demo(RunArgs),
    /// Work with policy files.
    Policy {
        /// What to do with the policy.
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

/// Policy subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file and list every problem as file:line:col (exit 0 valid, 2 invalid).
    Validate {
        /// The policy file [default: twgate.yaml]
        file: Option<PathBuf>,
    },
}

/// Flags of `twgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Serverless API base URL; default from TWILIO_REGION/TWILIO_EDGE, else https://serverless.twilio.com.
    #[arg(long, env = "TWGATE_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// What to audit and how to report it.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Flags shared by `audit` and `demo`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Policy file. Default for audit: twgate.yaml if present, else the built-in policy (public static
    /// web assets only). Default for demo: policy.example.yaml.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Audit only this service (unique name or ZS SID); repeatable.
    #[arg(long = "service", value_name = "NAME_OR_SID")]
    pub services: Vec<String>,
    /// Audit only this environment (unique name or domain suffix); repeatable.
    #[arg(long = "environment", value_name = "NAME_OR_SUFFIX")]
    pub environments: Vec<String>,
    /// API requests in flight at once (1-100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub concurrency: u16,
    /// Time limit of one API request, in seconds (1-600).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Retries of a request after 429, 5xx, timeouts and dropped connections (0-20).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub max_retries: u32,
    /// Log to standard error: -v each API request (URL, status, time, size) and retry, -vv more detail
    /// (pages read, changes of the concurrency bound); never credentials.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text: one line per exposed route, then counts.
    Table,
    /// Versioned JSON with every live route.
    Json,
    /// One row per route; formula-safe for spreadsheets.
    Csv,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

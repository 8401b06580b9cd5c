//! The `twgate` binary: parse arguments, run the command, map the outcome to the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use twgate::app;
use twgate::cli::{BaselineCommand, Cli, Command, PolicyCommand};
use twgate::exit::ExitStatus;
use twgate::report::Report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match &cli.command {
        Command::Policy {
            command: PolicyCommand::Validate { file },
        } => match app::validate_policy(file.as_deref()) {
            Ok(text) => {
                print!("{text}");
                ExitStatus::Pass
            }
            Err(error) => fail(&error),
        },
        Command::Policy {
            command: PolicyCommand::Init(args),
        } => run_snapshot(app::init_policy(args, env), "policy"),
        Command::Baseline {
            command: BaselineCommand::Create(args),
        } => run_snapshot(app::create_baseline(args, env), "baseline"),
        Command::Audit(args) => run(app::audit(args, env)),
        Command::Demo(args) => run(app::demo(args, env)),
    };
    status.into()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn block_on<T>(command: impl Future<Output = Result<T, app::AppError>>) -> Result<T, ExitStatus> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("twgate: cannot start the async runtime: {error}");
            ExitStatus::Incomplete
        })?;
    runtime.block_on(command).map_err(|error| fail(&error))
}

fn run_snapshot(
    command: impl Future<Output = Result<(PathBuf, Report), app::AppError>>,
    what: &str,
) -> ExitStatus {
    match block_on(command) {
        Ok((path, report)) => {
            eprintln!(
                "twgate: wrote the {what} {} from {} live routes ({} violations today); review it before committing",
                path.display(),
                report.summary.routes,
                report.summary.violations
            );
            ExitStatus::Pass
        }
        Err(status) => status,
    }
}

fn run(command: impl Future<Output = Result<Report, app::AppError>>) -> ExitStatus {
    match block_on(command) {
        Ok(report) => {
            if let Some(error) = &report.error {
                eprintln!("twgate: error: the audit is incomplete: {error}");
            }
            let status = ExitStatus::of_report(&report);
            // The process exits next: freeing each of the findings first would only delay that.
            std::mem::forget(report);
            status
        }
        Err(status) => status,
    }
}

fn fail(error: &app::AppError) -> ExitStatus {
    eprintln!("twgate: error: {error}");
    ExitStatus::of_error(error)
}

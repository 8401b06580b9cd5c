//! The `twgate` binary: parse arguments, run the command, map the outcome to the exit code.

use std::process::ExitCode;

use clap::Parser;
use twgate::app;
use twgate::cli::{Cli, Command, PolicyCommand};
use twgate::exit::ExitStatus;

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
        Command::Audit(args) => run(app::audit(args, |name| std::env::var(name).ok())),
        Command::Demo(args) => run(app::demo(args)),
    };
    status.into()
}

fn run(command: impl Future<Output = Result<twgate::report::Report, app::AppError>>) -> ExitStatus {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("twgate: cannot start the async runtime: {error}");
            return ExitStatus::Incomplete;
        }
    };
    match runtime.block_on(command) {
        Ok(report) => {
            if let Some(error) = &report.error {
                eprintln!("twgate: error: the audit is incomplete: {error}");
            }
            ExitStatus::of_report(&report)
        }
        Err(error) => fail(&error),
    }
}

fn fail(error: &app::AppError) -> ExitStatus {
    eprintln!("twgate: error: {error}");
    ExitStatus::of_error(error)
}

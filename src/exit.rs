//! The exit code, decided in one place from the report or the error that replaced it.

use std::process::ExitCode;

use crate::app::AppError;
use crate::report::Report;

/// The documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the audit is complete and nothing violates the policy.
    Pass = 0,
    /// 1: the audit is complete and routes violate the policy.
    Violations = 1,
    /// 2: bad invocation, or an invalid policy or input file.
    Usage = 2,
    /// 3: the audit could not be completed.
    Incomplete = 3,
}

impl ExitStatus {
    /// The status of a finished audit: an incomplete one never passes and never merely "fails".
    pub fn of_report(report: &Report) -> ExitStatus {
        if !report.complete {
            ExitStatus::Incomplete
        } else if report.summary.violations > 0 {
            ExitStatus::Violations
        } else {
            ExitStatus::Pass
        }
    }

    /// The status of a command that stopped with `error`.
    pub fn of_error(error: &AppError) -> ExitStatus {
        match error {
            AppError::Policy(_)
            | AppError::Config(_)
            | AppError::Filter(_)
            | AppError::NoPolicyFile
            | AppError::Output { .. } => ExitStatus::Usage,
            AppError::Client(_) | AppError::Demo(_) => ExitStatus::Incomplete,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn report_statuses() {
        let mut report = fixtures::report();
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Violations);
        report.summary.violations = 0;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Pass);
        report.complete = false;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Incomplete);
        report.summary.violations = 3;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Incomplete);
    }

    #[test]
    fn error_statuses() {
        assert_eq!(
            ExitStatus::of_error(&AppError::NoPolicyFile),
            ExitStatus::Usage
        );
        assert_eq!(
            ExitStatus::of_error(&AppError::Demo(std::io::Error::other("x"))),
            ExitStatus::Incomplete
        );
    }
}

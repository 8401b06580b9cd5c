//! The exit code, decided in one place from the report or the error that replaced it.

use std::process::ExitCode;

use serde::Serialize;

use crate::app::AppError;
use crate::report::Report;

/// Which violations make a complete audit exit 1 (`--fail-on`). It never changes a route's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Violations not in the baseline (every violation when there is no baseline).
    New,
    /// Every violation.
    #[default]
    Any,
    /// None: report only (an incomplete audit still exits 3).
    None,
}

impl FailOn {
    /// The flag value's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::New => "new",
            FailOn::Any => "any",
            FailOn::None => "none",
        }
    }
}

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
    /// The status of a finished audit: an incomplete one never passes and never merely "fails"; a complete
    /// one fails when a violation counts under the report's `fail_on`.
    pub fn of_report(report: &Report) -> ExitStatus {
        if !report.complete {
            ExitStatus::Incomplete
        } else if report.failing().next().is_some() {
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
            | AppError::Baseline(_)
            | AppError::Exists(_)
            | AppError::Output { .. } => ExitStatus::Usage,
            AppError::Client(_) | AppError::Demo(_) | AppError::Incomplete(_) => {
                ExitStatus::Incomplete
            }
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
        report.fail_on = FailOn::None;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Pass);
        report.complete = false;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Incomplete);
        report.fail_on = FailOn::Any;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Incomplete);
    }

    #[test]
    fn fail_on_new_ignores_baselined_violations() {
        let mut report = fixtures::report();
        report.fail_on = FailOn::New;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Violations);
        let all_violations = crate::baseline::Baseline::parse(
            &crate::report::json::render(&report),
            std::path::Path::new("earlier.json"),
        )
        .expect("a report is a baseline");
        report.compare_with(&all_violations);
        assert_eq!(report.summary.new_violations, 0);
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Pass);
        report.fail_on = FailOn::Any;
        assert_eq!(ExitStatus::of_report(&report), ExitStatus::Violations);
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

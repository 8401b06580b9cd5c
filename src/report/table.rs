//! The human-readable report: one line per exposed route, violations first, then notes and counts.

use std::io::{self, Write};

use super::{Finding, Report};
use crate::exit::ExitStatus;
use crate::policy::Verdict;
use crate::text::{clean, counted, plural};

const HEADINGS: [&str; 7] = [
    "VERDICT",
    "VISIBILITY",
    "SERVICE",
    "ENVIRONMENT",
    "KIND",
    "URL",
    "REASON",
];

/// Renders `report` as an aligned text table with a summary.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Streams [`render`]'s text to `out`, a row at a time.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    writeln!(out, "Policy: {}", clean(&report.policy.source))?;
    writeln!(
        out,
        "Audited {} {}, {} {}, {} live {}.",
        summary.services,
        plural(summary.services, "service", "services"),
        summary.environments,
        plural(summary.environments, "environment", "environments"),
        summary.routes,
        plural(summary.routes, "route", "routes"),
    )?;
    if let Some(error) = &report.error {
        writeln!(
            out,
            "\nINCOMPLETE: the audit stopped early: {}",
            clean(error)
        )?;
    }
    let mut exposed: Vec<&Finding> = report
        .results
        .iter()
        .filter(|f| f.verdict != Verdict::Ok)
        .collect();
    exposed.sort_by_key(|f| f.verdict);
    if exposed.is_empty() && report.complete {
        out.write_all(b"\nNo exposed routes.\n")?;
    } else {
        out.write_all(b"\n")?;
        // Two passes over the rows, to align the columns without holding every row at once.
        let mut widths = HEADINGS.map(|heading| heading.chars().count());
        for cells in exposed.iter().map(|f| row(f)) {
            for (width, cell) in widths.iter_mut().zip(&cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        write_line(out, &HEADINGS.map(str::to_string), &widths)?;
        for finding in exposed {
            write_line(out, &row(finding), &widths)?;
        }
    }
    for expired in &report.policy.expired_rules {
        writeln!(
            out,
            "\nnote: {} (line {}) expired on {} and no longer allows anything: {}",
            expired.rule,
            expired.line,
            expired.expires,
            clean(&expired.reason)
        )?;
    }
    writeln!(
        out,
        "\n{} {}: {} public, {} protected, {} private{}. {} {}, {} allowed.",
        summary.routes,
        plural(summary.routes, "route", "routes"),
        summary.public,
        summary.protected,
        summary.private,
        if summary.unknown > 0 {
            format!(", {} of unknown visibility", summary.unknown)
        } else {
            String::new()
        },
        summary.violations,
        plural(summary.violations, "violation", "violations"),
        summary.allowed,
    )?;
    if report.baseline.is_some() {
        writeln!(
            out,
            "Against the baseline: {} new, {} existing, {} resolved.",
            summary.new_violations,
            summary.violations - summary.new_violations,
            summary.resolved,
        )?;
    }
    let failing = report.failing().count();
    let verdict = match ExitStatus::of_report(report) {
        ExitStatus::Incomplete => {
            "INCOMPLETE: not every service was read, so this is not a pass.".to_string()
        }
        ExitStatus::Violations => format!(
            "FAIL: {} (--fail-on {}).",
            counted(failing, "violation", "violations"),
            report.fail_on.as_str()
        ),
        _ if summary.violations > 0 => format!(
            "PASS under --fail-on {}: {} reported, none failing.",
            report.fail_on.as_str(),
            counted(summary.violations, "violation", "violations")
        ),
        _ => "PASS: nothing is exposed that the policy does not allow.".to_string(),
    };
    writeln!(out, "{verdict}")
}

/// One line of the table: every cell but the last padded to its column's width.
fn write_line(out: &mut dyn Write, cells: &[String; 7], widths: &[usize; 7]) -> io::Result<()> {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index + 1 == cells.len() {
            line.push_str(cell);
        } else {
            line.push_str(&format!("{cell:<width$}  "));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

fn row(finding: &Finding) -> [String; 7] {
    let reason = match &finding.rule {
        Some(rule) => format!("[{rule}] {}", finding.reason),
        None => finding.reason.to_string(),
    };
    let verdict = if finding.is_baselined_violation() {
        "violation (baselined)".to_string()
    } else {
        finding.verdict.as_str().to_string()
    };
    [
        verdict,
        clean(&finding.visibility),
        clean(&finding.service_name),
        clean(&finding.environment),
        finding.kind.as_str().to_string(),
        clean(finding.url.as_deref().unwrap_or(&finding.path)),
        clean(&reason),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    #[test]
    fn table_matches_the_golden_file() {
        assert_golden("report.txt", &render(&fixtures::report()));
    }

    #[test]
    fn an_incomplete_report_says_so_and_never_passes() {
        let report = fixtures::incomplete_report("could not reach Twilio");
        let text = render(&report);
        assert!(text.contains("INCOMPLETE: the audit stopped early: could not reach Twilio"));
        assert!(text.ends_with("INCOMPLETE: not every service was read, so this is not a pass.\n"));
    }
}

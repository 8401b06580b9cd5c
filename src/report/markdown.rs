//! The Markdown summary, the same text for `--format markdown`, the job summary and the PR comment: new
//! exposures first (path, environment, URL, why), then counts, resolved ones, and the rest collapsed.
//! Untrusted text is escaped so it cannot add links, mentions, HTML or table cells, and the whole stays
//! under a size limit by dropping rows, never by cutting the text mid-way.

use std::fmt::Write;

use super::{Finding, Report};
use crate::exit::ExitStatus;
use crate::policy::Verdict;
use crate::text::{counted, is_bidi_control};

/// The size this renderer keeps to, in UTF-16 code units (the larger of the ways GitHub may count): under
/// GitHub's 65,536-character comment limit with room for the comment's hidden marker.
pub const SUMMARY_LIMIT: usize = 64_000;

/// Longest text kept in one table cell, in characters.
const CELL_LIMIT: usize = 300;

/// Renders `report` as Markdown within [`SUMMARY_LIMIT`].
pub fn render(report: &Report) -> String {
    render_within(report, SUMMARY_LIMIT)
}

/// Renders `report` within `limit` UTF-16 code units: tables lose rows (collapsed sections first) until it
/// fits.
pub fn render_within(report: &Report, limit: usize) -> String {
    let mut rows = usize::MAX;
    loop {
        let text = render_rows(report, rows);
        if text.encode_utf16().count() <= limit || rows == 0 {
            return text;
        }
        rows = if rows == usize::MAX {
            report.results.len() / 2
        } else {
            rows / 2
        };
    }
}

/// The tables of one summary: which findings go in each section.
struct Sections<'a> {
    failing: Vec<&'a Finding>,
    other_violations: Vec<&'a Finding>,
    allowed: Vec<&'a Finding>,
}

fn render_rows(report: &Report, max_rows: usize) -> String {
    let summary = &report.summary;
    let sections = Sections {
        failing: report.failing().collect(),
        other_violations: report
            .results
            .iter()
            .filter(|f| f.verdict == Verdict::Violation && !f.fails(report.fail_on))
            .collect(),
        allowed: report
            .results
            .iter()
            .filter(|f| f.verdict == Verdict::Allowed)
            .collect(),
    };
    let with_baseline = report.baseline.is_some();
    let mut out = String::new();
    let headline = match ExitStatus::of_report(report) {
        ExitStatus::Incomplete => "twgate: audit incomplete, no verdict".to_string(),
        ExitStatus::Violations if with_baseline => format!(
            "twgate: {} failing the gate",
            counted(sections.failing.len(), "new exposure", "new exposures")
        ),
        ExitStatus::Violations => format!(
            "twgate: {} failing the gate",
            counted(sections.failing.len(), "exposure", "exposures")
        ),
        _ if with_baseline => "twgate: no new exposures".to_string(),
        _ => "twgate: no exposures failing the gate".to_string(),
    };
    let _ = writeln!(out, "## {headline}\n");
    if let Some(error) = &report.error {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> The audit stopped early: {}. An incomplete audit never passes (exit 3); fix the cause and run it again.\n",
            escape(error)
        );
    }
    let _ = writeln!(
        out,
        "Audited {}, {} and {} under policy {}{}; `--fail-on {}`.\n",
        counted(summary.services, "service", "services"),
        counted(summary.environments, "environment", "environments"),
        counted(summary.routes, "live route", "live routes"),
        code(&report.policy.source),
        match &report.baseline {
            Some(baseline) => format!(" against baseline {}", code(baseline)),
            None => String::new(),
        },
        report.fail_on.as_str(),
    );
    if !sections.failing.is_empty() {
        let title = if with_baseline {
            "New exposures"
        } else {
            "Exposures failing the gate"
        };
        let _ = writeln!(out, "### {title} ({})\n", sections.failing.len());
        push_table(&mut out, &sections.failing, max_rows);
    }
    push_counts(&mut out, report);
    if !report.resolved.is_empty() {
        let _ = writeln!(
            out,
            "### Resolved since the baseline ({})\n",
            report.resolved.len()
        );
        for (index, resolved) in report.resolved.iter().enumerate() {
            if index == max_rows {
                let _ = writeln!(
                    out,
                    "- … and {} more in the JSON report",
                    report.resolved.len() - index
                );
                break;
            }
            let _ = writeln!(
                out,
                "- {} in {} / {} ({})",
                code(&resolved.path),
                code(&resolved.service_name),
                code(&resolved.environment),
                escape(&resolved.kind)
            );
        }
        out.push('\n');
    }
    let collapsed_rows = max_rows / 2;
    if !sections.other_violations.is_empty() {
        let title = if with_baseline {
            "Existing violations (in the baseline, or not failing under --fail-on)"
        } else {
            "Violations not failing under --fail-on"
        };
        push_details(&mut out, title, &sections.other_violations, collapsed_rows);
    }
    if !sections.allowed.is_empty() {
        push_details(
            &mut out,
            "Allowed exposures",
            &sections.allowed,
            collapsed_rows,
        );
    }
    for expired in &report.policy.expired_rules {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> Policy rule `{}` (line {}) expired on {} and no longer allows anything: {}\n",
            expired.rule,
            expired.line,
            expired.expires,
            escape(&expired.reason)
        );
    }
    out
}

fn push_counts(out: &mut String, report: &Report) {
    let summary = &report.summary;
    out.push_str("### Counts\n\n| | |\n|---|---:|\n");
    let mut rows = vec![("Violations", summary.violations)];
    if report.baseline.is_some() {
        rows.push(("New violations", summary.new_violations));
        rows.push(("Resolved", summary.resolved));
    }
    rows.extend([
        ("Allowed exposures", summary.allowed),
        ("Public routes", summary.public),
        ("Protected routes", summary.protected),
        ("Private routes", summary.private),
    ]);
    if summary.unknown > 0 {
        rows.push(("Unknown visibility", summary.unknown));
    }
    for (label, count) in rows {
        let _ = writeln!(out, "| {label} | {count} |");
    }
    out.push('\n');
}

fn push_details(out: &mut String, title: &str, findings: &[&Finding], max_rows: usize) {
    let _ = writeln!(
        out,
        "<details><summary>{title} ({})</summary>\n",
        findings.len()
    );
    push_table(out, findings, max_rows);
    out.push_str("</details>\n\n");
}

fn push_table(out: &mut String, findings: &[&Finding], max_rows: usize) {
    out.push_str("| Path | Environment | URL | Why |\n|---|---|---|---|\n");
    for (index, finding) in findings.iter().enumerate() {
        if index == max_rows {
            let _ = writeln!(
                out,
                "| … and {} more in the JSON report | | | |",
                findings.len() - index
            );
            break;
        }
        let why = match (&finding.rule, &finding.baseline_reason) {
            (_, Some(accepted)) if finding.verdict == Verdict::Violation => {
                format!("{} (baseline: {})", finding.reason, accepted)
            }
            (Some(rule), _) => format!("{} ({rule})", finding.reason),
            (None, _) => finding.reason.to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {} / {} | {} | {} |",
            code(&finding.path),
            code(&finding.service_name),
            code(&finding.environment),
            finding.url.as_deref().map(code).unwrap_or_default(),
            escape(&why)
        );
    }
    out.push('\n');
}

/// Untrusted text shortened to [`CELL_LIMIT`] and stripped of line breaks, controls and bidi overrides.
fn one_line(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .take(CELL_LIMIT)
        .collect();
    if text.chars().count() > CELL_LIMIT {
        out.push('…');
    }
    out
}

/// Untrusted text as a code span inside a table cell: no Markdown, link or mention inside takes effect.
fn code(text: &str) -> String {
    let text = one_line(text).replace('|', "\\|");
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Untrusted text as plain Markdown: the characters that start emphasis, links, HTML, entities or table
/// cells backslash-escaped, and `@` followed by a zero-width space so it never mentions anyone.
pub fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        match c {
            '@' => out.push_str("@\u{200b}"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    #[test]
    fn markdown_matches_the_golden_file() {
        assert_golden("report.md", &render(&fixtures::report()));
    }

    #[test]
    fn markdown_with_a_baseline_matches_the_golden_file() {
        assert_golden("report-baseline.md", &render(&fixtures::baselined_report()));
    }

    #[test]
    fn untrusted_text_cannot_add_markdown() {
        assert_eq!(code("/a|b"), "`/a\\|b`");
        assert_eq!(code("/x`y"), "``/x`y``");
        assert_eq!(code("`"), "`` ` ``");
        assert_eq!(code("/a\nb"), "`/a\u{fffd}b`");
        assert_eq!(
            escape("[x](http://e) <img> @team"),
            "\\[x\\](http://e) \\<img\\> @\u{200b}team"
        );
    }

    #[test]
    fn long_reports_drop_rows_to_fit_the_limit() {
        let mut report = fixtures::report();
        let template = report
            .results
            .iter()
            .find(|f| f.verdict == Verdict::Violation)
            .cloned()
            .expect("the fixture has violations");
        report.results = (0..5_000)
            .map(|index| {
                let mut finding = template.clone();
                finding.path = format!("/export-{index:05}.csv");
                finding
            })
            .collect();
        let text = render(&report);
        assert!(
            text.encode_utf16().count() <= SUMMARY_LIMIT,
            "{}",
            text.len()
        );
        assert!(text.contains("more in the JSON report"));
        let tiny = render_within(&report, 2_000);
        assert!(tiny.starts_with("## twgate: 5000 exposures failing the gate"));
    }

    #[test]
    fn an_incomplete_report_says_what_went_wrong() {
        let report =
            fixtures::incomplete_report("HTTP 503 from https://serverless.twilio.com/v1/Services");
        let text = render(&report);
        assert!(text.starts_with("## twgate: audit incomplete, no verdict"));
        assert!(text.contains("HTTP 503 from https://serverless"), "{text}");
    }
}

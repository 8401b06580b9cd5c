//! GitHub Actions workflow commands: one `::error` per violation that fails the gate, `::warning` for
//! violations that do not (baselined, or `--fail-on`) and for expired rules. Every value is escaped so that
//! text from the API or the policy can never end the command or start another one.

use std::fmt::Write;

use super::{Finding, Report};
use crate::exit::ExitStatus;
use crate::policy::Verdict;
use crate::text::{counted, is_bidi_control};

/// Renders `report` as workflow commands, then a plain summary line.
pub fn render(report: &Report) -> String {
    let file = report.policy.file();
    let mut out = String::new();
    if let Some(error) = &report.error {
        push_command(
            &mut out,
            "error",
            &[("title", "twgate: audit incomplete")],
            &format!("The audit stopped early, so there is no verdict (exit 3): {error}"),
        );
    }
    for finding in report
        .results
        .iter()
        .filter(|f| f.verdict == Verdict::Violation)
    {
        let level = if finding.fails(report.fail_on) {
            "error"
        } else {
            "warning"
        };
        push_finding(&mut out, level, finding, file);
    }
    for expired in &report.policy.expired_rules {
        let line = expired.line.to_string();
        let mut properties = vec![("title", "twgate: expired allow rule")];
        if let Some(file) = file {
            properties.extend([("file", file), ("line", line.as_str())]);
        }
        push_command(
            &mut out,
            "warning",
            &properties,
            &format!(
                "{} expired on {} and no longer allows anything: {}",
                expired.rule, expired.expires, expired.reason
            ),
        );
    }
    let summary = &report.summary;
    let verdict = match ExitStatus::of_report(report) {
        ExitStatus::Incomplete => "incomplete",
        ExitStatus::Violations => "fail",
        _ => "pass",
    };
    let _ = writeln!(
        out,
        "twgate: {verdict}: {} ({} new), {} allowed, {} live routes (--fail-on {})",
        counted(summary.violations, "violation", "violations"),
        summary.new_violations,
        summary.allowed,
        summary.routes,
        report.fail_on.as_str()
    );
    out
}

fn push_finding(out: &mut String, level: &str, finding: &Finding, file: Option<&str>) {
    let title = format!(
        "twgate: {} {} {}",
        finding.check.as_str(),
        finding.kind,
        finding.path
    );
    let line = finding.rule_line.unwrap_or(1).to_string();
    let mut properties = vec![("title", title.as_str())];
    if let Some(file) = file {
        properties.extend([("file", file), ("line", line.as_str())]);
    }
    let mut message = format!(
        "{} / {}: {} {} is {}: {}",
        finding.service_name,
        finding.environment,
        finding.kind,
        finding.url.as_deref().unwrap_or(&finding.path),
        finding.visibility,
        finding.reason
    );
    if let Some(accepted) = finding
        .baseline_reason
        .as_deref()
        .filter(|_| finding.is_baselined_violation())
    {
        let _ = write!(message, " (in the baseline: {accepted})");
    }
    push_command(out, level, &properties, &message);
}

fn push_command(out: &mut String, command: &str, properties: &[(&str, &str)], message: &str) {
    out.push_str("::");
    out.push_str(command);
    for (index, (name, value)) in properties.iter().enumerate() {
        out.push(if index == 0 { ' ' } else { ',' });
        out.push_str(name);
        out.push('=');
        out.push_str(&escape_property(value));
    }
    out.push_str("::");
    out.push_str(&escape_data(message));
    out.push('\n');
}

/// Escapes a command's message: `%`, CR and LF as the runner decodes them; other control characters
/// (terminal escapes) and bidi overrides are shown as `\u{..}`, so they never reach the log raw.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() || is_bidi_control(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property: the message escapes plus `:` and `,`, which end a property.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    fn with_policy_file(mut report: crate::report::Report) -> crate::report::Report {
        report.policy.source = "twgate.yaml".into();
        report.policy.kind = "file";
        report
    }

    #[test]
    fn annotations_match_the_golden_file() {
        assert_golden(
            "report.github.txt",
            &render(&with_policy_file(fixtures::report())),
        );
        assert_golden(
            "report-baseline.github.txt",
            &render(&with_policy_file(fixtures::baselined_report())),
        );
    }

    #[test]
    fn crafted_text_cannot_start_another_command() {
        let mut report = fixtures::report();
        let finding = report
            .results
            .iter_mut()
            .find(|f| f.verdict == Verdict::Violation)
            .expect("a violation");
        finding.path = "/x\n::add-mask::secret,title=y:z%0A\r::stop-commands::t".into();
        finding.reason = "r\n::error::forged\u{1b}[2J\u{7}\u{202e}".into();
        let text = render(&with_policy_file(report));
        for line in text.lines() {
            assert!(
                line.starts_with("::error ")
                    || line.starts_with("::warning ")
                    || line.starts_with("twgate: "),
                "{line}"
            );
        }
        assert!(text.contains("title=twgate%3A unknown-visibility function /x%0A%3A%3Aadd-mask%3A%3Asecret%2Ctitle=y%3Az%250A%0D%3A%3Astop-commands%3A%3At,"), "{text}");
        assert!(
            text.contains("r%0A::error::forged\\u{1b}[2J\\u{7}\\u{202e}"),
            "{text}"
        );
    }

    #[test]
    fn an_incomplete_audit_is_an_error_annotation() {
        let report =
            fixtures::incomplete_report("HTTP 500 from https://serverless.twilio.com/v1/Services");
        let text = render(&report);
        assert!(text.starts_with("::error title=twgate%3A audit incomplete::The audit stopped early, so there is no verdict (exit 3): HTTP 500 from https://serverless.twilio.com/v1/Services\n"), "{text}");
        assert!(text.ends_with("(--fail-on any)\n"));
        assert!(!text.contains("file="), "no file without a policy file");
    }
}

//! JUnit XML for CI test viewers: one test suite per service environment, one test case per live route;
//! a violation that fails the gate is a failed test, every other route passes.

use std::io::{self, Write};

use super::{Finding, Report};

/// Renders `report` as a JUnit XML document.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Streams [`render`]'s text to `out`, a test case at a time.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: Vec<(&str, &str, Vec<&Finding>)> = Vec::new();
    for finding in &report.results {
        match suites.last_mut() {
            Some((service, environment, cases))
                if *service == &*finding.service_name && *environment == &*finding.environment =>
            {
                cases.push(finding);
            }
            _ => suites.push((&finding.service_name, &finding.environment, vec![finding])),
        }
    }
    let failures = report.failing().count();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<testsuites name=\"twgate\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\">",
        report.results.len(),
        usize::from(!report.complete)
    )?;
    if let Some(error) = &report.error {
        writeln!(
            out,
            "  <testsuite name=\"twgate audit\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"twgate\" name=\"the audit is complete\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>",
            xml(&format!(
                "The audit stopped early, so there is no verdict: {error}"
            ))
        )?;
    }
    for (service, environment, cases) in suites {
        let failed = cases.iter().filter(|f| f.fails(report.fail_on)).count();
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            xml(&format!("{service}/{environment}")),
            cases.len()
        )?;
        for finding in cases {
            write_case(out, report, finding)?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }
    out.write_all(b"</testsuites>\n")
}

fn write_case(out: &mut dyn Write, report: &Report, finding: &Finding) -> io::Result<()> {
    write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        xml(&format!(
            "{}.{}.{}",
            finding.service_name, finding.environment, finding.kind
        )),
        xml(&finding.path)
    )?;
    let detail = format!(
        "{} {} is {}: {}",
        finding.kind,
        finding.url.as_deref().unwrap_or(&finding.path),
        finding.visibility,
        finding.reason
    );
    if finding.fails(report.fail_on) {
        writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
            xml(&finding.reason),
            finding.check.as_str(),
            xml(&format!("{detail}\nfingerprint: {}", finding.fingerprint))
        )
    } else {
        writeln!(
            out,
            ">\n      <system-out>{}</system-out>\n    </testcase>",
            xml(&format!("{}: {detail}", finding.verdict.as_str()))
        )
    }
}

/// Text safe in XML content and attribute values: markup escaped, characters XML 1.0 forbids replaced.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => {
                out.push_str(&format!("&#{};", u32::from(c)));
            }
            c if c < ' ' || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
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
    fn junit_matches_the_golden_files() {
        assert_golden("report.junit.xml", &render(&fixtures::report()));
        assert_golden(
            "report-baseline.junit.xml",
            &render(&fixtures::baselined_report()),
        );
    }

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1}\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{fffd}&#10;"
        );
    }

    #[test]
    fn an_incomplete_audit_is_an_error() {
        let report = fixtures::incomplete_report("HTTP 503");
        let text = render(&report);
        assert!(text.contains("errors=\"1\""), "{text}");
        assert!(text.contains(
            "<error message=\"The audit stopped early, so there is no verdict: HTTP 503\"/>"
        ));
    }
}

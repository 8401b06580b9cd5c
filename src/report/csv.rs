//! The CSV report: one row per route, starting with the columns of the Relay Hawk scanner's CSV
//! (`type,url,path,SID,service_name,service_sid`), with spreadsheet formula injection neutralised; an
//! incomplete audit ends with a row of type `error`, verdict `incomplete`, saying why.

use std::io::{self, Write};

use super::Report;

const HEADER: [&str; 14] = [
    "type",
    "url",
    "path",
    "SID",
    "service_name",
    "service_sid",
    "environment",
    "visibility",
    "verdict",
    "rule",
    "reason",
    "account_sid",
    "domain_name",
    "fingerprint",
];

/// Renders `report` as CSV (RFC 4180, CRLF line ends), one row per result.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Streams [`render`]'s text to `out`, a row at a time.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_row(out, HEADER.iter().copied())?;
    for finding in &report.results {
        write_row(
            out,
            [
                finding.kind.as_str(),
                finding.url.as_deref().unwrap_or(""),
                &finding.path,
                &finding.version_sid,
                &finding.service_name,
                &finding.service_sid,
                &finding.environment,
                &finding.visibility,
                finding.verdict.as_str(),
                finding.rule.as_deref().unwrap_or(""),
                &finding.reason,
                &finding.account_sid,
                &finding.domain_name,
                &finding.fingerprint,
            ],
        )?;
    }
    if !report.complete {
        let why = report.error.as_deref().unwrap_or("the audit stopped early");
        let reason = format!("the audit is incomplete, so there is no verdict: {why}");
        let mut row = [""; HEADER.len()];
        row[0] = "error";
        row[8] = "incomplete";
        row[10] = &reason;
        write_row(out, row)?;
    }
    Ok(())
}

fn write_row<'a>(out: &mut dyn Write, cells: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
    let cells: Vec<String> = cells.into_iter().map(cell).collect();
    write!(out, "{}\r\n", cells.join(","))
}

/// One cell: a value a spreadsheet would run as a formula gets a leading `'`, then the cell is quoted
/// when it holds a comma, quote or line break.
fn cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r', '|']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ')
    {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    #[test]
    fn csv_matches_the_golden_file() {
        assert_golden("report.csv", &render(&fixtures::report()));
    }

    #[test]
    fn formulas_are_neutralised_and_quoting_is_rfc4180() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell("/plain/path"), "/plain/path");
    }

    #[test]
    fn an_incomplete_audit_ends_with_an_error_row() {
        let report = fixtures::incomplete_report("HTTP 503, for GET x");
        let text = render(&report);
        assert_eq!(text.lines().count(), 2 + report.results.len());
        assert!(
            text.ends_with(
                "error,,,,,,,,incomplete,,\"the audit is incomplete, so there is no verdict: HTTP 503, for GET x\",,,\r\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn header_starts_with_the_relay_hawk_columns() {
        let text = render(&fixtures::report());
        assert!(text.starts_with(
            "type,url,path,SID,service_name,service_sid,environment,visibility,verdict,"
        ));
        assert_eq!(text.lines().count(), 1 + fixtures::report().results.len());
    }
}

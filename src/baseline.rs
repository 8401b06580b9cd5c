//! Baselines: exposures accepted earlier, read from a baseline file or an earlier JSON report, so a run can
//! tell new violations from existing ones and list the ones that were fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::input::{MIB, read_text_limited};
use crate::policy::{Date, Verdict};
use crate::report::{Report, SCHEMA_VERSION};

/// The `format` value of a baseline file.
pub const BASELINE_FORMAT: &str = "twgate-baseline";

/// The largest baseline read: an earlier JSON report of a 100,000-route account is about 95 MB.
const MAX_BASELINE_BYTES: u64 = 512 * MIB;

/// The baseline file's version.
pub const BASELINE_VERSION: u32 = 1;

/// Accepted exposures by route fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The file it was read from.
    pub source: PathBuf,
    /// Reason by fingerprint.
    pub entries: BTreeMap<String, String>,
}

/// Why a baseline could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read the baseline {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not a baseline or report.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong and what to do.
        message: String,
    },
}

/// A baseline file as written by `twgate baseline create`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    format: String,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    entries: Vec<BaselineEntry>,
}

/// One accepted exposure in a baseline file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineEntry {
    fingerprint: String,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// The parts of an earlier JSON report a baseline needs.
#[derive(Debug, Deserialize)]
struct EarlierReport {
    schema_version: u32,
    results: Vec<EarlierResult>,
}

#[derive(Debug, Deserialize)]
struct EarlierResult {
    fingerprint: String,
    verdict: Verdict,
}

impl Baseline {
    /// Reads a baseline file, or an earlier JSON report whose violations become the baseline.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text =
            read_text_limited(path, MAX_BASELINE_BYTES).map_err(|source| BaselineError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Baseline::parse(&text, path)
    }

    /// Parses the text of a baseline file or JSON report read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let invalid = |error: serde_json::Error, what: &str| BaselineError::Invalid {
            path: path.to_path_buf(),
            line: error.line(),
            column: error.column(),
            message: format!("{what}: {error}"),
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| invalid(error, "not valid JSON"))?;
        let entries = if value.get("format").and_then(|f| f.as_str()) == Some(BASELINE_FORMAT) {
            let file: BaselineFile = serde_json::from_str(text)
                .map_err(|error| invalid(error, "not a valid twgate baseline file"))?;
            if file.version != BASELINE_VERSION {
                return Err(BaselineError::Invalid {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "baseline version {} is not supported (this twgate reads version {BASELINE_VERSION}); recreate it with `twgate baseline create`",
                        file.version
                    ),
                });
            }
            if let Some((index, entry)) = file
                .entries
                .iter()
                .enumerate()
                .find(|(_, entry)| !is_fingerprint(&entry.fingerprint))
            {
                return Err(BaselineError::Invalid {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "entries[{index}].fingerprint {:?} is not a twgate route fingerprint (v1|ACCOUNT_SID|SERVICE|ENVIRONMENT|KIND|PATH): copy it from a report",
                        entry.fingerprint
                    ),
                });
            }
            file.entries
                .into_iter()
                .map(|entry| (entry.fingerprint, entry.reason))
                .collect()
        } else if value.get("schema_version").is_some() && value.get("results").is_some() {
            let report: EarlierReport = serde_json::from_str(text)
                .map_err(|error| invalid(error, "not a valid twgate JSON report"))?;
            if report.schema_version != SCHEMA_VERSION {
                return Err(BaselineError::Invalid {
                    path: path.to_path_buf(),
                    line: 1,
                    column: 1,
                    message: format!(
                        "a JSON report of schema version {} (this twgate writes and reads version {SCHEMA_VERSION}): make it again with this twgate",
                        report.schema_version
                    ),
                });
            }
            let reason = format!("a violation in the earlier report {}", path.display());
            report
                .results
                .into_iter()
                .filter(|result| result.verdict == Verdict::Violation)
                .map(|result| (result.fingerprint, reason.clone()))
                .collect()
        } else {
            return Err(BaselineError::Invalid {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!(
                    "neither a twgate baseline file (\"format\": \"{BASELINE_FORMAT}\") nor a twgate JSON report (--format json): create one with `twgate baseline create`"
                ),
            });
        };
        Ok(Baseline {
            source: path.to_path_buf(),
            entries,
        })
    }
}

/// Whether `text` has the shape of a route fingerprint: `v1|` and five more `|`-separated parts.
fn is_fingerprint(text: &str) -> bool {
    text.starts_with("v1|AC") && text.splitn(6, '|').count() == 6
}

/// Writes the baseline file that accepts every violation of `report`, each with a reason to review.
pub fn render_baseline_file(report: &Report, today: Date) -> String {
    let entries = report
        .results
        .iter()
        .filter(|finding| finding.verdict == Verdict::Violation)
        .map(|finding| BaselineEntry {
            fingerprint: finding.fingerprint.clone(),
            reason: format!(
                "exposed when this baseline was created on {today}: fix it or write why it may stay"
            ),
            url: finding.url.clone(),
        })
        .collect();
    let file = BaselineFile {
        format: BASELINE_FORMAT.to_string(),
        version: BASELINE_VERSION,
        created: Some(today.to_string()),
        entries,
    };
    let mut text = serde_json::to_string_pretty(&file)
        .expect("a baseline holds only strings and numbers: it always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse(text, Path::new("base.json"))
    }

    #[test]
    fn a_created_baseline_reads_back_with_every_violation() {
        let report = fixtures::report();
        let text = render_baseline_file(&report, Date::parse("2026-12-03").expect("valid"));
        let baseline = parse(&text).expect("valid baseline");
        assert_eq!(baseline.entries.len(), report.summary.violations);
        assert!(
            baseline
                .entries
                .values()
                .all(|reason| reason.contains("2026-12-03")),
            "{baseline:?}"
        );
    }

    #[test]
    fn an_earlier_json_report_is_a_baseline_of_its_violations() {
        let report = fixtures::report();
        let baseline =
            parse(&crate::report::json::render(&report)).expect("a report is a baseline");
        let violations: std::collections::BTreeSet<_> = report
            .results
            .iter()
            .filter(|f| f.verdict == Verdict::Violation)
            .map(|f| f.fingerprint.clone())
            .collect();
        assert_eq!(
            baseline
                .entries
                .keys()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>(),
            violations
        );
    }

    #[test]
    fn bad_files_say_where_and_what_to_do() {
        let error = parse("{\n  \"format\": \"twgate-baseline\",\n  \"version\": 1,\n  \"entries\": [{\"fingerprint\": 3}]\n}")
            .expect_err("invalid");
        let text = error.to_string();
        assert!(text.starts_with("base.json:4:"), "{text}");
        assert!(text.contains("not a valid twgate baseline file"), "{text}");

        let text = parse("[1, 2").expect_err("invalid").to_string();
        assert!(text.starts_with("base.json:1:"), "{text}");
        assert!(text.contains("not valid JSON"), "{text}");

        let text = parse("{\"hello\": 1}").expect_err("invalid").to_string();
        assert!(text.contains("twgate baseline create"), "{text}");

        let text = parse("{\"format\": \"twgate-baseline\", \"version\": 1, \"entries\": [{\"fingerprint\": \"garbage\", \"reason\": \"r\"}]}")
            .expect_err("invalid")
            .to_string();
        assert!(
            text.contains("entries[0].fingerprint \"garbage\" is not a twgate route fingerprint"),
            "{text}"
        );

        let text = parse("{\"schema_version\": 99, \"results\": []}")
            .expect_err("invalid")
            .to_string();
        assert!(text.contains("schema version 99"), "{text}");

        let text = parse("{\"format\": \"twgate-baseline\", \"version\": 9, \"entries\": []}")
            .expect_err("invalid")
            .to_string();
        assert!(text.contains("version 9 is not supported"), "{text}");
    }
}

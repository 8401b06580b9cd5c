//! SARIF 2.1.0 for GitHub code scanning: one rule per kind of finding, one result per exposed route with a
//! location and a fingerprint of its own; allowed and baselined exposures are suppressed results.

use std::io::Write;

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::{BaselineStatus, Finding, Report};
use crate::policy::{Check, Verdict};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The policy file code scanning shows when the built-in policy was used.
const DEFAULT_POLICY_URI: &str = "twgate.yaml";

/// What code scanning shows for one kind of finding.
struct RuleText {
    check: Check,
    name: &'static str,
    short: &'static str,
    full: &'static str,
    help: &'static str,
    security_severity: &'static str,
}

const RULES: [RuleText; 4] = [
    RuleText {
        check: Check::NotAllowed,
        name: "ExposedRouteNotAllowed",
        short: "A Twilio Serverless route is exposed without an allow rule",
        full: "A function or asset in a live Twilio Serverless environment can be reached from the internet (public, or protected where the policy asks protected routes for a rule too), and no allow rule of the policy says that is intended.",
        help: "Rename the file to `name.protected.js` / `name.private.json` (or set its visibility) and deploy again, or, if it is meant to be public, add an allow rule with a reason to the policy.",
        security_severity: "7.5",
    },
    RuleText {
        check: Check::Denied,
        name: "DeniedRouteExposed",
        short: "A route the policy denies is exposed",
        full: "A live route matches one of the policy's deny globs, which no allow rule can override: such files (data exports, configuration, logs) must never be reachable.",
        help: "Make the route private (`.private` in its file name) or remove it from the deployment, then deploy again.",
        security_severity: "9.1",
    },
    RuleText {
        check: Check::AllowExpired,
        name: "AllowRuleExpired",
        short: "The allow rule for an exposed route has expired",
        full: "The only allow rule covering this exposed route has passed its `expires` date, so the exposure is no longer accepted.",
        help: "Make the route private or protected, or review the rule and move its `expires` date forward with an updated reason.",
        security_severity: "5.3",
    },
    RuleText {
        check: Check::UnknownVisibility,
        name: "UnknownVisibility",
        short: "Twilio reports a visibility twgate does not know",
        full: "The API returned a visibility other than public, protected or private; twgate treats the route as exposed until it understands the value.",
        help: "Check the route in the Twilio console and upgrade twgate; report the value if the newest twgate does not know it.",
        security_severity: "5.3",
    },
];

/// Renders `report` as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Streams [`render`]'s text to `out`, one result at a time: a log of 90,000 results is never held whole.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let uri = report.policy.file().unwrap_or(DEFAULT_POLICY_URI);
    let mut invocation = json!({ "executionSuccessful": report.complete });
    if let Some(error) = &report.error {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "error",
            "message": { "text": format!("The audit stopped early, so there is no verdict: {error}") },
        }]);
    }
    // Fields in alphabetical order, as a `serde_json::Value` map writes them.
    let log = Log {
        schema: SCHEMA,
        runs: [Run {
            invocations: [invocation],
            properties: json!({ "policy": report.policy.source, "failOn": report.fail_on.as_str() }),
            results: Results { report, uri },
            tool: json!({ "driver": {
                "name": "twgate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": RULES.iter().map(rule).collect::<Vec<_>>(),
            }}),
        }],
        version: "2.1.0",
    };
    super::write_pretty_json(&log, out)
}

/// The SARIF log.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

/// twgate's one run.
#[derive(Serialize)]
struct Run<'a> {
    invocations: [Value; 1],
    properties: Value,
    results: Results<'a>,
    tool: Value,
}

/// The results of a report, each made as it is written.
struct Results<'a> {
    report: &'a Report,
    /// The policy file every result points at.
    uri: &'a str,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            (self.report.results.iter())
                .filter(|finding| finding.verdict != Verdict::Ok)
                .map(|finding| result(finding, self.uri)),
        )
    }
}

fn rule(text: &RuleText) -> Value {
    json!({
        "id": rule_id(text.check),
        "name": text.name,
        "shortDescription": { "text": text.short },
        "fullDescription": { "text": text.full },
        "help": { "text": text.help, "markdown": text.help },
        "defaultConfiguration": { "level": "error" },
        "properties": {
            "security-severity": text.security_severity,
            "tags": ["security", "twilio", "serverless"],
            "precision": "high",
        },
    })
}

/// The rule id of a check; allowed routes are reported under the rule they would otherwise break.
fn rule_id(check: Check) -> String {
    let check = match check {
        Check::Allowed | Check::Private | Check::Protected => Check::NotAllowed,
        other => other,
    };
    format!("twgate/{}", check.as_str())
}

fn result(finding: &Finding, uri: &str) -> Value {
    let target = finding.url.as_deref().unwrap_or(&finding.path);
    let mut value = json!({
        "ruleId": rule_id(finding.check),
        "level": "error",
        "message": { "text": format!(
            "{} {} in {} / {} is {}: {}",
            finding.kind, target, finding.service_name, finding.environment, finding.visibility,
            finding.reason
        )},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": finding.rule_line.unwrap_or(1) },
            },
            "logicalLocations": [{
                "fullyQualifiedName": format!(
                    "{}/{}{}", finding.service_name, finding.environment, finding.path
                ),
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { "primaryLocationLineHash": line_hash(&finding.fingerprint) },
        "properties": {
            "fingerprint": finding.fingerprint,
            "url": finding.url,
            "service": finding.service_name,
            "environment": finding.environment,
            "kind": finding.kind,
            "path": finding.path,
            "visibility": finding.visibility,
            "verdict": finding.verdict,
        },
    });
    let suppression = match (finding.verdict, &finding.baseline_reason) {
        (Verdict::Allowed, _) => Some(format!("allowed by the policy: {}", finding.reason)),
        (Verdict::Violation, Some(reason)) if finding.is_baselined_violation() => {
            Some(format!("in the baseline: {reason}"))
        }
        _ => None,
    };
    if let Some(status) = finding.baseline {
        value["baselineState"] = json!(match status {
            BaselineStatus::New => "new",
            BaselineStatus::Existing => "unchanged",
        });
    }
    if let Some(justification) = suppression {
        value["suppressions"] = json!([{ "kind": "external", "justification": justification }]);
    }
    value
}

/// A stable hash of a route's fingerprint (64-bit FNV-1a), so every route is its own alert.
fn line_hash(fingerprint: &str) -> String {
    let hash = fingerprint
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}:1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{fixtures, golden::assert_golden};

    #[test]
    fn sarif_matches_the_golden_files() {
        assert_golden("report.sarif", &render(&fixtures::report()));
        assert_golden(
            "report-baseline.sarif",
            &render(&fixtures::baselined_report()),
        );
    }

    #[test]
    fn every_result_has_a_rule_a_location_and_its_own_fingerprint() {
        let log: Value =
            serde_json::from_str(&render(&fixtures::baselined_report())).expect("valid JSON");
        let run = &log["runs"][0];
        let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|rule| rule["id"].as_str().expect("id"))
            .collect();
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 5, "4 violations and 1 allowed route");
        let mut hashes = std::collections::HashSet::new();
        for result in results {
            assert!(rule_ids.contains(&result["ruleId"].as_str().expect("ruleId")));
            assert!(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string()
            );
            assert!(
                hashes.insert(
                    result["partialFingerprints"]["primaryLocationLineHash"]
                        .as_str()
                        .expect("hash")
                        .to_string()
                )
            );
        }
        let suppressed: Vec<&str> = results
            .iter()
            .filter_map(|r| r["suppressions"][0]["justification"].as_str())
            .collect();
        assert_eq!(
            suppressed,
            [
                "in the baseline: known: being moved behind auth in PORTAL-12",
                "allowed by the policy: web page"
            ]
        );
    }

    #[test]
    fn the_line_hash_is_stable() {
        assert_eq!(line_hash(""), "cbf29ce484222325:1");
        assert_eq!(line_hash("a"), "af63dc4c8601ec8c:1");
    }
}

//! The report: every live route with its verdict, counts, and whether the audit was complete. Built
//! once from an inventory and a policy; every output format is a pure function of it.

pub mod csv;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;
pub mod text;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::baseline::Baseline;
use crate::exit::FailOn;
use crate::inventory::{Inventory, Kind, Visibility, live_url};
use crate::policy::{Check, Date, Policy, PolicySource, RouteFacts, Verdict};

/// The JSON report's schema version; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The outcome of one audit.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Whether every service and environment in scope was read. An incomplete report never passes.
    pub complete: bool,
    /// Why the audit is incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The policy that decided the verdicts.
    pub policy: PolicyInfo,
    /// Which violations fail the run (`--fail-on`); verdicts do not depend on it.
    pub fail_on: FailOn,
    /// The baseline file the results were compared with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Counts over `results`.
    pub summary: Summary,
    /// Every live route, sorted by service, environment, kind and path.
    pub results: Vec<Finding>,
    /// Baselined exposures that are no longer violations (empty without a baseline, or when incomplete).
    pub resolved: Vec<Resolved>,
    /// The environments read, as the `v1|account|service|environment|` start of their routes' fingerprints:
    /// a baselined route outside them (filtered out) was not read, so it is not resolved.
    #[serde(skip)]
    audited: std::collections::HashSet<String>,
}

/// A baselined exposure that is no longer a violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The route's fingerprint, as in the baseline.
    pub fingerprint: String,
    /// The service's unique name, read from the fingerprint.
    pub service_name: String,
    /// The environment's unique name, read from the fingerprint.
    pub environment: String,
    /// Function or asset, read from the fingerprint.
    pub kind: String,
    /// The URL path, read from the fingerprint.
    pub path: String,
    /// The reason the baseline gave.
    pub baseline_reason: String,
}

/// Whether a result was in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineStatus {
    /// Not in the baseline.
    New,
    /// In the baseline.
    Existing,
}

/// Which policy was used.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    /// The file's path, or the name of the built-in policy.
    pub source: String,
    /// `file` or `builtin`.
    pub kind: &'static str,
    /// Allow rules past their `expires` date.
    pub expired_rules: Vec<ExpiredRule>,
}

/// An allow rule that no longer allows anything.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiredRule {
    /// The rule's id, such as `allow[3]`.
    pub rule: String,
    /// The line of the policy file the rule starts on.
    pub line: u64,
    /// The last day it allowed anything.
    pub expires: String,
    /// The rule's reason.
    pub reason: String,
}

/// Counts of the report's results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Services read.
    pub services: usize,
    /// Environments read.
    pub environments: usize,
    /// Live routes.
    pub routes: usize,
    /// Routes anyone can reach.
    pub public: usize,
    /// Routes that need a Twilio signature.
    pub protected: usize,
    /// Routes only the service itself can reach.
    pub private: usize,
    /// Routes whose visibility twgate does not know.
    pub unknown: usize,
    /// Routes that fail the policy.
    pub violations: usize,
    /// Violations not in the baseline (all of them without a baseline).
    pub new_violations: usize,
    /// Exposed routes an allow rule covers.
    pub allowed: usize,
    /// Baselined exposures that are no longer violations.
    pub resolved: usize,
    /// Twilio API requests the audit made (retries not counted), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_requests: Option<u64>,
    /// Retries after transient failures (429, 5xx, timeouts, dropped connections), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_retries: Option<u64>,
}

/// One live route and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The account (`AC…`).
    pub account_sid: Arc<str>,
    /// The service (`ZS…`).
    pub service_sid: Arc<str>,
    /// The service's unique name.
    pub service_name: Arc<str>,
    /// The environment's unique name.
    pub environment: Arc<str>,
    /// The environment (`ZE…`).
    pub environment_sid: Arc<str>,
    /// The environment's domain.
    pub domain_name: Arc<str>,
    /// Function or asset.
    pub kind: Kind,
    /// The URL path.
    pub path: String,
    /// The full URL; `None` for private routes, which no URL reaches.
    pub url: Option<String>,
    /// The deployed visibility, as a lower-case word (or as Twilio sent it, when unknown).
    pub visibility: Cow<'static, str>,
    /// The deployed version (`ZN…`).
    pub version_sid: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The check that decided the verdict.
    pub check: Check,
    /// The rule that decided, such as `allow[0]` or `deny[1]`.
    pub rule: Option<Arc<str>>,
    /// The line of the policy file that rule starts on.
    pub rule_line: Option<u64>,
    /// Why, in words.
    pub reason: Arc<str>,
    /// New or existing, when a baseline was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
    /// The baseline's reason, for existing results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_reason: Option<String>,
    /// A stable identity of the route across runs:
    /// `v1|{account_sid}|{service_unique_name}|{environment_unique_name}|{kind}|{path}`.
    pub fingerprint: String,
}

impl Report {
    /// Judges every route of `inventory` under `policy` on `today`. `error` is why the inventory is
    /// incomplete, if it is.
    pub fn build(
        inventory: &Inventory,
        policy: &Policy,
        today: Date,
        error: Option<String>,
    ) -> Report {
        let route_count = inventory
            .accounts
            .iter()
            .flat_map(|account| &account.services)
            .flat_map(|service| &service.environments)
            .map(|environment| environment.routes.len())
            .sum();
        let mut results = Vec::with_capacity(route_count);
        let mut summary = Summary::default();
        let mut audited = std::collections::HashSet::new();
        let mut accounts: Vec<_> = inventory.accounts.iter().collect();
        accounts.sort_by(|a, b| a.sid.cmp(&b.sid));
        for account in accounts {
            let account_sid: Arc<str> = Arc::from(account.sid.as_str());
            let mut services: Vec<_> = account.services.iter().collect();
            services.sort_by(|a, b| a.unique_name.cmp(&b.unique_name));
            for service in services {
                summary.services += 1;
                let service_sid: Arc<str> = Arc::from(service.sid.as_str());
                let service_name: Arc<str> = Arc::from(service.unique_name.as_str());
                let mut environments: Vec<_> = service.environments.iter().collect();
                environments.sort_by(|a, b| a.unique_name.cmp(&b.unique_name));
                for environment in environments {
                    summary.environments += 1;
                    let prefix = format!(
                        "v1|{}|{}|{}|",
                        account.sid, service.unique_name, environment.unique_name
                    );
                    let environment_name: Arc<str> = Arc::from(environment.unique_name.as_str());
                    let environment_sid: Arc<str> = Arc::from(environment.sid.as_str());
                    let domain_name: Arc<str> = Arc::from(environment.domain_name.as_str());
                    let mut routes: Vec<_> = environment.routes.iter().collect();
                    routes.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
                    for route in routes {
                        let decision =
                            policy.evaluate(&RouteFacts::new(service, environment, route), today);
                        results.push(Finding {
                            account_sid: account_sid.clone(),
                            service_sid: service_sid.clone(),
                            service_name: service_name.clone(),
                            environment: environment_name.clone(),
                            environment_sid: environment_sid.clone(),
                            domain_name: domain_name.clone(),
                            kind: route.kind,
                            path: route.path.clone(),
                            url: live_url(&environment.domain_name, &route.path, &route.visibility),
                            visibility: route.visibility.name(),
                            version_sid: route.version_sid.clone(),
                            verdict: decision.verdict,
                            check: decision.check,
                            rule: decision.rule,
                            rule_line: decision.rule_line,
                            reason: decision.reason,
                            baseline: None,
                            baseline_reason: None,
                            fingerprint: format!("{prefix}{}|{}", route.kind, route.path),
                        });
                        match route.visibility {
                            Visibility::Public => summary.public += 1,
                            Visibility::Protected => summary.protected += 1,
                            Visibility::Private => summary.private += 1,
                            Visibility::Unknown(_) => summary.unknown += 1,
                        }
                    }
                    audited.insert(prefix);
                }
            }
        }
        summary.routes = results.len();
        summary.violations = results
            .iter()
            .filter(|f| f.verdict == Verdict::Violation)
            .count();
        summary.new_violations = summary.violations;
        summary.allowed = results
            .iter()
            .filter(|f| f.verdict == Verdict::Allowed)
            .count();
        Report {
            schema_version: SCHEMA_VERSION,
            complete: error.is_none(),
            error,
            policy: PolicyInfo::new(policy, today),
            fail_on: FailOn::Any,
            baseline: None,
            summary,
            results,
            resolved: Vec::new(),
            audited,
        }
    }

    /// Marks every result new or existing against `baseline`, and lists the baselined exposures that are no
    /// longer violations (only when the audit is complete: an unread route is not a fixed one).
    pub fn compare_with(&mut self, baseline: &Baseline) {
        for finding in &mut self.results {
            finding.baseline_reason = baseline.entries.get(&finding.fingerprint).cloned();
            finding.baseline = Some(match finding.baseline_reason {
                Some(_) => BaselineStatus::Existing,
                None => BaselineStatus::New,
            });
        }
        self.summary.new_violations = self
            .results
            .iter()
            .filter(|f| f.verdict == Verdict::Violation && f.baseline == Some(BaselineStatus::New))
            .count();
        self.resolved = if self.complete {
            let violations: std::collections::HashSet<&str> = self
                .results
                .iter()
                .filter(|f| f.verdict == Verdict::Violation)
                .map(|f| f.fingerprint.as_str())
                .collect();
            baseline
                .entries
                .iter()
                .filter(|(fingerprint, _)| {
                    !violations.contains(fingerprint.as_str()) && self.was_audited(fingerprint)
                })
                .map(|(fingerprint, reason)| Resolved::new(fingerprint, reason))
                .collect()
        } else {
            Vec::new()
        };
        self.summary.resolved = self.resolved.len();
        self.baseline = Some(baseline.source.display().to_string());
    }

    /// Whether the route of `fingerprint` lies in an environment this audit read.
    fn was_audited(&self, fingerprint: &str) -> bool {
        let environment_end = fingerprint
            .match_indices('|')
            .nth(3)
            .map(|(index, _)| index + 1);
        environment_end.is_some_and(|end| self.audited.contains(&fingerprint[..end]))
    }

    /// The violations that fail the run under `fail_on`.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.results.iter().filter(|f| f.fails(self.fail_on))
    }
}

impl Finding {
    /// Whether this is a violation the baseline accepted.
    pub fn is_baselined_violation(&self) -> bool {
        self.verdict == Verdict::Violation && self.baseline == Some(BaselineStatus::Existing)
    }

    /// Whether this result fails the run under `fail_on`.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.verdict == Verdict::Violation
            && match fail_on {
                FailOn::Any => true,
                FailOn::New => !self.is_baselined_violation(),
                FailOn::None => false,
            }
    }
}

impl Resolved {
    /// Reads the route's names back out of a `v1|account|service|environment|kind|path` fingerprint.
    fn new(fingerprint: &str, reason: &str) -> Resolved {
        let mut parts = fingerprint.splitn(6, '|').skip(2);
        let mut next = || parts.next().unwrap_or_default().to_string();
        Resolved {
            fingerprint: fingerprint.to_string(),
            service_name: next(),
            environment: next(),
            kind: next(),
            path: next(),
            baseline_reason: reason.to_string(),
        }
    }
}

impl PolicyInfo {
    /// The policy file's path, when the policy came from a file.
    pub fn file(&self) -> Option<&str> {
        (self.kind == "file").then_some(self.source.as_str())
    }

    fn new(policy: &Policy, today: Date) -> PolicyInfo {
        PolicyInfo {
            source: policy.source.to_string(),
            kind: match policy.source {
                PolicySource::File(_) => "file",
                PolicySource::Builtin(_) => "builtin",
            },
            expired_rules: policy
                .expired_rules(today)
                .map(|rule| ExpiredRule {
                    rule: rule.id(),
                    line: rule.at.line,
                    expires: rule.expires.map(|d| d.to_string()).unwrap_or_default(),
                    reason: rule.reason.to_string(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small inventory and policy shared by the renderers' golden tests.

    use super::*;
    use crate::inventory::{Account, Environment, Route, Service};

    fn route(kind: Kind, path: &str, visibility: &str, version: &str) -> Route {
        Route {
            kind,
            path: path.into(),
            visibility: Visibility::parse(visibility),
            version_sid: version.into(),
            resource_sid: None,
        }
    }

    /// A report with a violation, an allowed route, protected/private/unknown routes and an expired rule.
    pub fn report() -> Report {
        let inventory = Inventory {
            accounts: vec![Account {
                sid: "AC00000000000000000000000000000001".into(),
                services: vec![Service {
                    sid: "ZS00000000000000000000000000000001".into(),
                    unique_name: "portal".into(),
                    friendly_name: "Portal".into(),
                    environments: vec![Environment {
                        sid: "ZE00000000000000000000000000000001".into(),
                        unique_name: "production".into(),
                        domain_suffix: String::new(),
                        domain_name: "portal-1234.twil.io".into(),
                        build_sid: Some("ZB00000000000000000000000000000001".into()),
                        routes: vec![
                            route(Kind::Asset, "/index.html", "public", "ZN01"),
                            route(Kind::Asset, "/=cmd|'/c calc'!A1.csv", "PUBLIC", "ZN02"),
                            route(Kind::Function, "/call-log", "public", "ZN03"),
                            route(Kind::Function, "/sms/reply", "protected", "ZN04"),
                            route(Kind::Function, "/lib/db", "private", "ZN05"),
                            route(Kind::Asset, "/brochure.pdf", "public", "ZN06"),
                            route(Kind::Function, "/beta", "semi-public", "ZN07"),
                        ],
                    }],
                }],
            }],
        };
        let policy = Policy::from_yaml(
            "allow:\n  - paths: '*.html'\n    reason: web page\n  - paths: /brochure.pdf\n    reason: brochure, until the new site ships\n    expires: 2026-01-31\ndeny:\n  - paths: '*.csv'\n    reason: data files must never be public\n",
            PolicySource::Builtin("test policy"),
        )
        .expect("valid policy");
        Report::build(
            &inventory,
            &policy,
            Date::parse("2026-12-03").expect("valid"),
            None,
        )
    }

    /// The same report under `--fail-on new`, against a baseline that accepts `/call-log` and a route that
    /// no longer exists.
    pub fn baselined_report() -> Report {
        let mut report = report();
        report.fail_on = FailOn::New;
        let baseline = Baseline {
            source: "twgate-baseline.json".into(),
            entries: [
                (
                    "v1|AC00000000000000000000000000000001|portal|production|function|/call-log",
                    "known: being moved behind auth in PORTAL-12",
                ),
                (
                    "v1|AC00000000000000000000000000000001|portal|production|asset|/old-export.csv",
                    "was public before the cleanup",
                ),
            ]
            .into_iter()
            .map(|(fingerprint, reason)| (fingerprint.to_string(), reason.to_string()))
            .collect(),
        };
        report.compare_with(&baseline);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_every_route() {
        let report = fixtures::report();
        assert_eq!(
            report.summary,
            Summary {
                services: 1,
                environments: 1,
                routes: 7,
                public: 4,
                protected: 1,
                private: 1,
                unknown: 1,
                violations: 4,
                new_violations: 4,
                allowed: 1,
                resolved: 0,
                api_requests: None,
                api_retries: None,
            }
        );
        assert!(report.complete);
        assert_eq!(report.policy.expired_rules.len(), 1);
    }

    #[test]
    fn results_are_sorted_and_fingerprinted() {
        let report = fixtures::report();
        let paths: Vec<_> = report
            .results
            .iter()
            .map(|f| (f.kind, f.path.as_str()))
            .collect();
        assert_eq!(paths[0], (Kind::Function, "/beta"));
        assert_eq!(paths[6], (Kind::Asset, "/index.html"));
        assert_eq!(
            report.results[0].fingerprint,
            "v1|AC00000000000000000000000000000001|portal|production|function|/beta"
        );
    }

    #[test]
    fn an_error_makes_the_report_incomplete() {
        let report = Report::build(
            &Inventory::default(),
            &Policy::builtin_default(),
            Date::today(),
            Some("boom".into()),
        );
        assert!(!report.complete);
        assert_eq!(report.error.as_deref(), Some("boom"));
    }
}

#[cfg(test)]
pub(crate) mod golden {
    //! Golden-file comparison: `TWGATE_UPDATE_GOLDEN=1 cargo test` rewrites the files in `tests/golden/`.

    /// Asserts that `actual` equals the golden file `name`, or rewrites it when asked to.
    pub fn assert_golden(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name);
        if std::env::var_os("TWGATE_UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, actual).expect("write golden file");
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!(
                "{}: {error}; run with TWGATE_UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        });
        assert!(
            expected == actual,
            "{} differs from the output; run with TWGATE_UPDATE_GOLDEN=1 to accept.\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

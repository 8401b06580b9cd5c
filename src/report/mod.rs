//! The report: every live route with its verdict, counts, and whether the audit was complete. Built
//! once from an inventory and a policy; every output format is a pure function of it.

pub mod csv;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::baseline::Baseline;
use crate::exit::FailOn;
use crate::inventory::{Inventory, Kind, Service, Visibility, live_url};
use crate::policy::{Check, Date, Policy, PolicySource, RouteFacts, Verdict};

/// The text a streaming renderer writes, collected in memory.
fn written(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut bytes = Vec::new();
    write(&mut bytes).expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("the renderers write UTF-8")
}

/// Writes `value` as pretty-printed JSON and a newline. serde_json writes many tiny pieces: they are
/// buffered here, where the writer's type is known, to save a dynamic call on each.
fn write_pretty_json(value: &impl Serialize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, value).map_err(std::io::Error::from)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

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
        inventory: Inventory,
        policy: &Policy,
        today: Date,
        error: Option<String>,
    ) -> Report {
        let mut accounts = inventory.accounts;
        accounts.sort_by(|a, b| a.sid.cmp(&b.sid));
        let mut services = Vec::new();
        for account in accounts {
            let account_sid: Arc<str> = Arc::from(account.sid);
            let mut account_services = account.services;
            account_services.sort_by(|a, b| a.unique_name.cmp(&b.unique_name));
            services.extend(
                (account_services.into_iter()).map(|service| (account_sid.clone(), service)),
            );
        }
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let parts: Vec<Judged> = std::thread::scope(|scope| {
            let handles: Vec<_> = split_evenly(services, threads)
                .into_iter()
                .map(|chunk| scope.spawn(move || Judged::services(chunk, policy, today)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut results = Vec::with_capacity(parts.iter().map(|part| part.results.len()).sum());
        let mut summary = Summary::default();
        let mut audited = std::collections::HashSet::new();
        for part in parts {
            results.extend(part.results);
            summary.add_counts(&part.summary);
            audited.extend(part.audited);
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

impl Summary {
    /// Adds the counts of services, environments and visibilities of `other` to these.
    fn add_counts(&mut self, other: &Summary) {
        self.services += other.services;
        self.environments += other.environments;
        self.public += other.public;
        self.protected += other.protected;
        self.private += other.private;
        self.unknown += other.unknown;
    }
}

/// The findings of some services, judged on one thread: a part of a [`Report`].
struct Judged {
    results: Vec<Finding>,
    /// The counts of services, environments and visibilities.
    summary: Summary,
    /// The fingerprint starts of the environments judged.
    audited: Vec<String>,
}

impl Judged {
    /// Judges every route of `services` (each with its account's SID), in order, under `policy` on
    /// `today`. The routes' strings move into the findings.
    fn services(services: Vec<(Arc<str>, Service)>, policy: &Policy, today: Date) -> Judged {
        let routes = services
            .iter()
            .map(|(_, service)| route_count(service))
            .sum();
        let mut judged = Judged {
            results: Vec::with_capacity(routes),
            summary: Summary::default(),
            audited: Vec::new(),
        };
        for (account_sid, mut service) in services {
            judged.summary.services += 1;
            let service_sid: Arc<str> = Arc::from(service.sid.as_str());
            let service_name: Arc<str> = Arc::from(service.unique_name.as_str());
            let mut environments = std::mem::take(&mut service.environments);
            environments.sort_by(|a, b| a.unique_name.cmp(&b.unique_name));
            for mut environment in environments {
                judged.summary.environments += 1;
                let prefix = format!(
                    "v1|{account_sid}|{}|{}|",
                    service.unique_name, environment.unique_name
                );
                let environment_name: Arc<str> = Arc::from(environment.unique_name.as_str());
                let environment_sid: Arc<str> = Arc::from(environment.sid.as_str());
                let domain_name: Arc<str> = Arc::from(environment.domain_name.as_str());
                let mut routes = std::mem::take(&mut environment.routes);
                routes.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
                for route in routes {
                    let decision =
                        policy.evaluate(&RouteFacts::new(&service, &environment, &route), today);
                    match route.visibility {
                        Visibility::Public => judged.summary.public += 1,
                        Visibility::Protected => judged.summary.protected += 1,
                        Visibility::Private => judged.summary.private += 1,
                        Visibility::Unknown(_) => judged.summary.unknown += 1,
                    }
                    judged.results.push(Finding {
                        account_sid: account_sid.clone(),
                        service_sid: service_sid.clone(),
                        service_name: service_name.clone(),
                        environment: environment_name.clone(),
                        environment_sid: environment_sid.clone(),
                        domain_name: domain_name.clone(),
                        kind: route.kind,
                        url: live_url(&environment.domain_name, &route.path, &route.visibility),
                        fingerprint: format!("{prefix}{}|{}", route.kind, route.path),
                        path: route.path,
                        visibility: route.visibility.name(),
                        version_sid: route.version_sid,
                        verdict: decision.verdict,
                        check: decision.check,
                        rule: decision.rule,
                        rule_line: decision.rule_line,
                        reason: decision.reason,
                        baseline: None,
                        baseline_reason: None,
                    });
                }
                judged.audited.push(prefix);
            }
        }
        judged
    }
}

/// The live routes of every environment of `service`.
fn route_count(service: &Service) -> usize {
    (service.environments.iter())
        .map(|environment| environment.routes.len())
        .sum()
}

/// `services` cut into at most `parts` runs, in order, of about the same number of routes each.
fn split_evenly<T>(mut services: Vec<(T, Service)>, parts: usize) -> Vec<Vec<(T, Service)>> {
    let weights: Vec<usize> = (services.iter())
        .map(|(_, service)| 1 + route_count(service))
        .collect();
    let share = weights.iter().sum::<usize>().div_ceil(parts.max(1)).max(1);
    let mut lengths = Vec::with_capacity(parts);
    let (mut length, mut filled) = (0, 0);
    for weight in weights {
        (length, filled) = (length + 1, filled + weight);
        if filled >= share {
            lengths.push(length);
            (length, filled) = (0, 0);
        }
    }
    if length > 0 {
        lengths.push(length);
    }
    let mut chunks = Vec::with_capacity(lengths.len());
    for length in lengths.into_iter().rev() {
        chunks.push(services.split_off(services.len() - length));
    }
    chunks.reverse();
    chunks
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

    /// [`report`] of an audit that stopped early because of `error`.
    pub fn incomplete_report(error: &str) -> Report {
        let mut report = report();
        report.complete = false;
        report.error = Some(error.into());
        report
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
            inventory,
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
    use crate::inventory::{Account, Environment, Route};

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

    /// An account of `services` services named in reverse order, the `n`th with `n` routes in each of two
    /// environments.
    fn account_of(services: usize) -> Account {
        let environment = |name: &str, routes: usize| Environment {
            sid: format!("ZE{name}"),
            unique_name: name.into(),
            domain_suffix: String::new(),
            domain_name: format!("{name}.twil.io"),
            build_sid: Some("ZB1".into()),
            routes: (0..routes)
                .rev()
                .map(|route| Route {
                    kind: Kind::Asset,
                    path: format!("/file-{route}.txt"),
                    visibility: Visibility::Public,
                    version_sid: format!("ZN{route}"),
                    resource_sid: None,
                })
                .collect(),
        };
        Account {
            sid: "AC1".into(),
            services: (0..services)
                .rev()
                .map(|n| Service {
                    sid: format!("ZS{n}"),
                    unique_name: format!("service-{n:02}"),
                    friendly_name: String::new(),
                    environments: vec![environment("prod", n), environment("dev", n)],
                })
                .collect(),
        }
    }

    #[test]
    fn services_split_evenly_in_order() {
        let account = account_of(9);
        let expected: Vec<String> = (account.services.iter())
            .map(|service| service.sid.clone())
            .collect();
        for parts in 1..=12 {
            let services: Vec<((), Service)> = account
                .services
                .iter()
                .map(|service| ((), service.clone()))
                .collect();
            let chunks = split_evenly(services, parts);
            assert!(!chunks.is_empty() && chunks.len() <= parts, "{parts} parts");
            assert!(chunks.iter().all(|chunk| !chunk.is_empty()));
            let joined: Vec<String> = (chunks.into_iter().flatten())
                .map(|(_, service)| service.sid)
                .collect();
            assert_eq!(joined, expected, "{parts} parts");
        }
        assert_eq!(split_evenly::<()>(Vec::new(), 2).len(), 0);
        let services = account.services.into_iter().map(|service| ((), service));
        assert_eq!(
            split_evenly(services.collect(), 2).len(),
            2,
            "72 routes halve"
        );
    }

    #[test]
    fn reports_of_many_services_are_whole_and_in_order() {
        let inventory = Inventory {
            accounts: vec![account_of(9)],
        };
        let report = Report::build(
            inventory,
            &Policy::builtin_default(),
            Date::parse("2026-12-03").expect("valid"),
            None,
        );
        assert_eq!(report.summary.services, 9);
        assert_eq!(report.summary.environments, 18);
        assert_eq!(report.summary.routes, 72);
        assert_eq!(report.summary.public, 72);
        let order: Vec<(&str, &str, &str)> = (report.results.iter())
            .map(|f| (&*f.service_name, &*f.environment, f.path.as_str()))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        assert_eq!(report.audited.len(), 18);
    }

    /// A writer that takes `room` bytes, then fails as a full disk does.
    struct Full {
        room: usize,
    }

    impl std::io::Write for Full {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            let taken = bytes.len().min(self.room);
            self.room -= taken;
            Ok(taken)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn streamed_reports_stop_at_a_write_error() {
        type Writer = fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>;
        let report = fixtures::report();
        for (name, write) in [
            ("table", table::write as Writer),
            ("json", json::write),
            ("csv", csv::write),
            ("sarif", sarif::write),
            ("junit", junit::write),
        ] {
            for room in [0, 100, 1000] {
                let error = write(&report, &mut Full { room }).expect_err(name);
                assert_eq!(error.kind(), std::io::ErrorKind::StorageFull, "{name}");
            }
            let whole = written(|out| write(&report, out));
            assert!(
                write(&report, &mut Full { room: whole.len() }).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn an_error_makes_the_report_incomplete() {
        let report = Report::build(
            Inventory::default(),
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

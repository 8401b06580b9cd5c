//! Deciding one route's verdict under a policy: deny globs first, then allow rules, honouring expiry.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use super::index::PathMatches;
use super::{AllowRule, Date, Policy};
use crate::inventory::{Environment, Kind, Route, Service, Visibility};

/// What the policy needs to know about a route.
#[derive(Debug, Clone, Copy)]
pub struct RouteFacts<'a> {
    /// The service's SID.
    pub service_sid: &'a str,
    /// The service's unique name.
    pub service_name: &'a str,
    /// The environment's unique name.
    pub environment_name: &'a str,
    /// The environment's domain suffix (empty for none).
    pub environment_suffix: &'a str,
    /// Function or asset.
    pub kind: Kind,
    /// The URL path.
    pub path: &'a str,
    /// The deployed visibility.
    pub visibility: &'a Visibility,
}

impl<'a> RouteFacts<'a> {
    /// The facts of `route`, served by `environment` of `service`.
    pub fn new(service: &'a Service, environment: &'a Environment, route: &'a Route) -> Self {
        RouteFacts {
            service_sid: &service.sid,
            service_name: &service.unique_name,
            environment_name: &environment.unique_name,
            environment_suffix: &environment.domain_suffix,
            kind: route.kind,
            path: &route.path,
            visibility: &route.visibility,
        }
    }
}

/// The outcome for one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Exposed and not allowed: fails the build.
    Violation,
    /// Exposed, and an allow rule says that is intended.
    Allowed,
    /// Not exposed in a way that needs permission.
    Ok,
}

impl Verdict {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Allowed => "allowed",
            Verdict::Ok => "ok",
        }
    }
}

/// Which check decided a route's verdict: the kind of finding, as reports and SARIF rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Private: no URL reaches it.
    Private,
    /// Protected, and the policy does not ask protected routes for an allow rule.
    Protected,
    /// Exposed, and an allow rule covers it.
    Allowed,
    /// Exposed, and no allow rule covers it.
    NotAllowed,
    /// Exposed, and the only allow rule that covered it has expired.
    AllowExpired,
    /// Exposed, and it matches a deny glob.
    Denied,
    /// Twilio reported a visibility twgate does not know.
    UnknownVisibility,
}

impl Check {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Private => "private",
            Check::Protected => "protected",
            Check::Allowed => "allowed",
            Check::NotAllowed => "not-allowed",
            Check::AllowExpired => "allow-expired",
            Check::Denied => "denied",
            Check::UnknownVisibility => "unknown-visibility",
        }
    }

    /// The verdict this check gives.
    pub fn verdict(self) -> Verdict {
        match self {
            Check::Private | Check::Protected => Verdict::Ok,
            Check::Allowed => Verdict::Allowed,
            Check::NotAllowed | Check::AllowExpired | Check::Denied | Check::UnknownVisibility => {
                Verdict::Violation
            }
        }
    }
}

/// A verdict with the check and rule that decided it and the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// The check that decided.
    pub check: Check,
    /// The deciding rule's id (`allow[0]`, `deny[1]`), if a rule decided.
    pub rule: Option<Arc<str>>,
    /// The line of the policy file the deciding rule starts on.
    pub rule_line: Option<u64>,
    /// Why, in words.
    pub reason: Arc<str>,
}

/// The reasons every policy gives, made once and shared by every route they decide.
static PRIVATE: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from("private: not reachable from the internet"));
static PROTECTED: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from("protected: requests need a valid X-Twilio-Signature"));
static PUBLIC_NOT_ALLOWED: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from("public and no allow rule covers it"));
static PROTECTED_NOT_ALLOWED: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from("protected and no allow rule covers it"));

impl Decision {
    fn new(check: Check, rule: Option<(Arc<str>, u64)>, reason: Arc<str>) -> Decision {
        let (rule, rule_line) = rule.unzip();
        Decision {
            verdict: check.verdict(),
            check,
            rule,
            rule_line,
            reason,
        }
    }
}

impl Policy {
    /// Decides `route`'s verdict on `today` (allow rules past their `expires` date no longer allow).
    pub fn evaluate(&self, route: &RouteFacts<'_>, today: Date) -> Decision {
        match route.visibility {
            Visibility::Private => {
                return Decision::new(Check::Private, None, PRIVATE.clone());
            }
            Visibility::Protected if !self.protected_requires_allow => {
                return Decision::new(Check::Protected, None, PROTECTED.clone());
            }
            Visibility::Unknown(raw) => {
                return Decision::new(
                    Check::UnknownVisibility,
                    None,
                    format!(
                        "unknown visibility \"{raw}\": treated as exposed until twgate understands it"
                    )
                    .into(),
                );
            }
            Visibility::Public | Visibility::Protected => {}
        }
        let candidates = match self.index.matches(route.path) {
            PathMatches::Deny { rule, glob } => {
                let deny = &self.deny[rule];
                let why = deny.reason.as_deref().unwrap_or("denied by policy");
                return Decision::new(
                    Check::Denied,
                    Some((deny.label.clone(), deny.at.line)),
                    format!(
                        "{} and matches deny glob \"{}\": {why}",
                        route.visibility,
                        deny.paths[glob].as_str()
                    )
                    .into(),
                );
            }
            PathMatches::Allow(rules) => rules,
        };
        let mut matching = candidates
            .iter()
            .map(|&rule| &self.allow[rule])
            .filter(|rule| rule.admits(route));
        let first_match = matching.next();
        if let Some(rule) = first_match
            .into_iter()
            .chain(matching)
            .find(|rule| !rule.is_expired(today))
        {
            return Decision::new(
                Check::Allowed,
                Some((rule.label.clone(), rule.at.line)),
                rule.reason.clone(),
            );
        }
        match first_match {
            Some(expired) => Decision::new(
                Check::AllowExpired,
                Some((expired.label.clone(), expired.at.line)),
                format!(
                    "{} and the allow rule that covered it expired on {}: {}",
                    route.visibility,
                    expired.expires.map(|d| d.to_string()).unwrap_or_default(),
                    expired.reason
                )
                .into(),
            ),
            None => Decision::new(
                Check::NotAllowed,
                None,
                match route.visibility {
                    Visibility::Protected => PROTECTED_NOT_ALLOWED.clone(),
                    _ => PUBLIC_NOT_ALLOWED.clone(),
                },
            ),
        }
    }
}

impl AllowRule {
    /// Whether the rule's service, environment and kind filters admit `route` (its paths are matched by
    /// the policy's rule index).
    fn admits(&self, route: &RouteFacts<'_>) -> bool {
        let service_ok = self.services.is_empty()
            || self
                .services
                .iter()
                .any(|name| name == route.service_name || name == route.service_sid);
        let environment_ok = self.environments.is_empty()
            || self.environments.iter().any(|name| {
                name == route.environment_name
                    || (!route.environment_suffix.is_empty() && name == route.environment_suffix)
            });
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&route.kind);
        service_ok && environment_ok && kind_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicySource;

    fn policy(text: &str) -> Policy {
        Policy::from_yaml(text, PolicySource::Builtin("test")).expect("valid policy")
    }

    fn today() -> Date {
        Date::parse("2026-06-15").expect("valid")
    }

    fn facts<'a>(path: &'a str, visibility: &'a Visibility) -> RouteFacts<'a> {
        RouteFacts {
            service_sid: "ZS1",
            service_name: "portal",
            environment_name: "dev-environment",
            environment_suffix: "dev",
            kind: Kind::Asset,
            path,
            visibility,
        }
    }

    #[test]
    fn facts_are_taken_from_the_service_environment_and_route() {
        let route = Route {
            kind: Kind::Function,
            path: "/hook".into(),
            visibility: Visibility::Protected,
            version_sid: "ZN1".into(),
            resource_sid: None,
        };
        let environment = Environment {
            sid: "ZE1".into(),
            unique_name: "dev-environment".into(),
            domain_suffix: "dev".into(),
            domain_name: "portal-1234-dev.twil.io".into(),
            build_sid: Some("ZB1".into()),
            routes: Vec::new(),
        };
        let service = Service {
            sid: "ZS1".into(),
            unique_name: "portal".into(),
            friendly_name: "Portal".into(),
            environments: Vec::new(),
        };
        let facts = RouteFacts::new(&service, &environment, &route);
        assert_eq!(
            (
                facts.service_sid,
                facts.service_name,
                facts.environment_name,
                facts.environment_suffix
            ),
            ("ZS1", "portal", "dev-environment", "dev")
        );
        assert_eq!(
            (facts.kind, facts.path, facts.visibility),
            (Kind::Function, "/hook", &Visibility::Protected)
        );
    }

    const RULES: &str = "allow:\n  - paths: ['*.html', '*.csv']\n    reason: site\ndeny:\n  - paths: ['*.csv']\n    reason: data\n";

    #[test]
    fn public_route_without_a_rule_is_a_violation() {
        let decision = policy(RULES).evaluate(&facts("/x.pdf", &Visibility::Public), today());
        assert_eq!(decision.verdict, Verdict::Violation);
        assert_eq!(decision.rule, None);
        assert_eq!(&*decision.reason, "public and no allow rule covers it");
    }

    #[test]
    fn allow_rule_allows_and_gives_its_reason() {
        let decision =
            policy(RULES).evaluate(&facts("/a/index.html", &Visibility::Public), today());
        assert_eq!(
            decision,
            Decision::new(Check::Allowed, Some(("allow[0]".into(), 2)), "site".into())
        );
    }

    #[test]
    fn deny_beats_allow_and_ignores_case() {
        let decision = policy(RULES).evaluate(&facts("/Export.CSV", &Visibility::Public), today());
        assert_eq!(decision.verdict, Verdict::Violation);
        assert_eq!(decision.check, Check::Denied);
        assert_eq!(decision.rule.as_deref(), Some("deny[0]"));
        assert_eq!(decision.rule_line, Some(5));
        assert!(decision.reason.contains("data"), "{}", decision.reason);
    }

    #[test]
    fn expired_rule_no_longer_allows_and_says_so() {
        let text = "allow:\n  - paths: ['*.pdf']\n    reason: brochure\n    expires: 2026-06-14\n";
        let decision = policy(text).evaluate(&facts("/b.pdf", &Visibility::Public), today());
        assert_eq!(decision.verdict, Verdict::Violation);
        assert_eq!(
            &*decision.reason,
            "public and the allow rule that covered it expired on 2026-06-14: brochure"
        );
        let on_last_day = Date::parse("2026-06-14").expect("valid");
        let decision = policy(text).evaluate(&facts("/b.pdf", &Visibility::Public), on_last_day);
        assert_eq!(decision.verdict, Verdict::Allowed);
    }

    #[test]
    fn a_live_rule_after_an_expired_one_still_allows() {
        let text = "allow:\n  - paths: ['*.pdf']\n    reason: old\n    expires: 2020-01-01\n  - paths: ['/b.pdf']\n    reason: new\n";
        let decision = policy(text).evaluate(&facts("/b.pdf", &Visibility::Public), today());
        assert_eq!(decision.rule.as_deref(), Some("allow[1]"));
    }

    #[test]
    fn private_is_ok_and_protected_is_ok_unless_policy_says_otherwise() {
        let lenient = policy(RULES);
        assert_eq!(
            lenient
                .evaluate(&facts("/x.csv", &Visibility::Private), today())
                .verdict,
            Verdict::Ok
        );
        assert_eq!(
            lenient
                .evaluate(&facts("/x.pdf", &Visibility::Protected), today())
                .verdict,
            Verdict::Ok
        );
        let strict = policy(
            "protected_requires_allow: true\nallow:\n  - paths: /hook\n    reason: webhook\n",
        );
        assert_eq!(
            strict
                .evaluate(&facts("/x", &Visibility::Protected), today())
                .verdict,
            Verdict::Violation
        );
        assert_eq!(
            strict
                .evaluate(&facts("/hook", &Visibility::Protected), today())
                .verdict,
            Verdict::Allowed
        );
    }

    #[test]
    fn unknown_visibility_is_always_a_violation() {
        let weird = Visibility::Unknown("semi".into());
        let decision = policy(RULES).evaluate(&facts("/index.html", &weird), today());
        assert_eq!(decision.verdict, Verdict::Violation);
        assert!(decision.reason.contains("\"semi\""));
    }

    #[test]
    fn filters_limit_a_rule_to_services_environments_and_kinds() {
        let text = "allow:\n  - paths: '/**'\n    reason: r\n    services: [portal]\n    environments: [dev]\n    kinds: [function]\n";
        let policy = policy(text);
        let mut route = facts("/x", &Visibility::Public);
        assert_eq!(
            policy.evaluate(&route, today()).verdict,
            Verdict::Violation,
            "asset kind"
        );
        route.kind = Kind::Function;
        assert_eq!(policy.evaluate(&route, today()).verdict, Verdict::Allowed);
        route.environment_suffix = "stage";
        route.environment_name = "stage-environment";
        assert_eq!(
            policy.evaluate(&route, today()).verdict,
            Verdict::Violation,
            "other environment"
        );
        route.environment_name = "dev";
        route.service_name = "other";
        assert_eq!(
            policy.evaluate(&route, today()).verdict,
            Verdict::Violation,
            "other service"
        );
        route.service_sid = "portal";
        assert_eq!(
            policy.evaluate(&route, today()).verdict,
            Verdict::Allowed,
            "by SID"
        );
    }

    #[test]
    fn the_default_policy_allows_web_assets_and_nothing_else() {
        let default = Policy::builtin_default();
        let verdict = |path: &str, kind: Kind| {
            let mut route = facts(path, &Visibility::Public);
            route.kind = kind;
            default.evaluate(&route, today()).verdict
        };
        assert_eq!(verdict("/index.html", Kind::Asset), Verdict::Allowed);
        assert_eq!(verdict("/img/logo.png", Kind::Asset), Verdict::Allowed);
        assert_eq!(verdict("/fonts/a.woff2", Kind::Asset), Verdict::Allowed);
        assert_eq!(verdict("/", Kind::Asset), Verdict::Allowed);
        assert_eq!(verdict("/customers.csv", Kind::Asset), Verdict::Violation);
        assert_eq!(verdict("/.env", Kind::Asset), Verdict::Violation);
        assert_eq!(verdict("/config.json", Kind::Asset), Verdict::Violation);
        assert_eq!(verdict("/call-log", Kind::Function), Verdict::Violation);
        assert_eq!(verdict("/app.js", Kind::Function), Verdict::Violation);
    }
}
